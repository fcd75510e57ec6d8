//! What the command line prints of `datasets`' values (which `reports` does not know):
//! `inspect` and `import` summaries. Values of the engine are laid out by `reports::text`.

pub mod import;
pub mod inspect;
