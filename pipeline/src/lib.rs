//! The pipeline: from a benchmark and vendors (or a vendor's scores, or score files) to
//! an output folder, as one library call. The command line's `run`, `analyse` and
//! `demo` only parse options and call it (bob's thin commands, fairlearn's "compute
//! once"): loading and checking the vendors ([`sources`]), running them with the
//! template cache and the stop of a broken vendor ([`run`]), analysing every vendor and
//! writing results, raw outputs and timing through `reports` ([`write`]), score-level
//! input ([`score_level`]), the analysis options ([`settings`]) and the demo ([`demo`]).
//!
//! It sits above every other crate of the workspace and below the command line. Its
//! errors carry their exit class ([`Error`]): bad input (exit 2) or a failure (exit 1).

pub mod comparison;
pub mod demo;
pub mod error;
pub mod planning;
pub mod provenance;
pub mod run;
pub mod score_level;
pub mod settings;
pub mod shard;
pub mod sources;
pub mod write;

pub use error::Error;
