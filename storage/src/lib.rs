//! How verity touches files: the rules every reader and writer of every crate shares.
//!
//! - [`atomic`]: a file or a whole output folder is replaced all at once or not at all;
//! - [`confine`]: a path named by an input (a media file, a table, an imported image)
//!   is read only when it resolves, symlinks followed, inside the folder it belongs to;
//! - [`lines`]: the line and column an editor shows for a byte offset, and the same for
//!   the records of a CSV file as they stream past ([`csv`]);
//! - [`relative`]: a path written into results relative to the output folder, so that
//!   results carry no absolute path;
//! - [`toml`]: TOML parsed with errors located by line, column and key path.
//!
//! It knows no file format of verity's own (that is `datasets` and `reports`) and depends
//! on no crate of the workspace, so that every crate, the engine included, can use it.

pub mod atomic;
pub mod confine;
pub mod csv;
pub mod lines;
pub mod outputs;
pub mod relative;
pub mod toml;

use std::path::PathBuf;

/// An I/O error with the path it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct IoError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl IoError {
    pub fn new(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError { path: path.into(), source }
    }
}
