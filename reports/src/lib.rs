//! Reports: turns the engine's result values into files people and programs read.
//!
//! Files for programs are in [`output`]: `results.json` (`output::json`), the tidy
//! tables as CSV and Parquet (`output::tables`, written through `output::frame`), the raw
//! trial outputs (`output::raw`), and `output::write_all`, which writes a run's whole
//! folder in one commit (layout: `docs/results.md`). Documents for people are the rest:
//! the report ([`report`], one module per section), the comparison ([`compare`]), the
//! scorecard ([`scorecard`]), `summary.md` ([`summary`]), all built on one [`document`]
//! model rendered to HTML and Markdown, with figures from [`plots`]; terminal layouts are
//! in [`text`]. Every number is formatted by [`format`].
//!
//! This crate reads `harness` types only. It must never depend on `datasets`,
//! `vendors` or the command line: whatever produced a `Results` value, the files come
//! out the same. It computes no metric: every number it prints was computed by the
//! engine; it only selects, formats and writes.

/// Atomic writes (the `storage` crate's, shared by every crate that writes).
pub use storage::atomic;
pub mod compare;
pub mod document;
pub mod format;
pub mod output;
pub mod plots;
pub mod report;
pub mod scorecard;
pub mod summary;
pub mod text;

use output::finite;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    Parquet { path: PathBuf, source: polars::error::PolarsError },
    /// NaN or an infinity where a number is to be written; JSON cannot hold them and a
    /// table would show them as numbers.
    #[error(
        "{field} is {value}: only finite numbers can be written (an undefined value must be absent, not NaN or infinite)"
    )]
    NonFinite { field: String, value: f64 },
    #[error("{what}: {found} given, {expected} expected")]
    LengthMismatch { what: String, expected: usize, found: usize },
    #[error("{what}: subject index {index} has no subject id ({subjects} subject ids given)")]
    UnknownSubject { what: String, index: u32, subjects: usize },
    #[error("`{0}` cannot be used as a file or folder name")]
    BadName(String),
    #[error(transparent)]
    Build(#[from] report::ReportBuildError),
    #[error("two outputs would be written to `{0}`")]
    DuplicatePath(String),
}

impl From<storage::IoError> for ReportError {
    fn from(e: storage::IoError) -> Self {
        ReportError::Io { path: e.path, source: e.source }
    }
}

impl From<finite::NonFinite> for ReportError {
    fn from(e: finite::NonFinite) -> Self {
        ReportError::NonFinite { field: e.field, value: e.value }
    }
}

#[cfg(test)]
pub(crate) mod fixture;
