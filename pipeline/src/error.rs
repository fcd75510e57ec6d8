//! Errors of the pipeline, each with its exit class: bad input (the user's files or
//! options are wrong: exit 2, nothing written) or a failure (a vendor broke, a write
//! failed: exit 1). Library errors convert with `From`, classified once here.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// The input is wrong; the message names file, line, column and value where known.
    BadInput(String),
    /// The run failed for another reason.
    Failure(String),
}

impl Error {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Error::BadInput(_))
    }
    pub fn message(&self) -> &str {
        match self {
            Error::BadInput(m) | Error::Failure(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

macro_rules! bad_input {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::BadInput(e.to_string())
            }
        }
    )*};
}

bad_input!(
    datasets::synthetic::SpecError,
    vendors::VendorError,
    vendors::scores::ScoresError,
    harness::analysis::protocol::AnalysisError,
    harness::model::population::GroupingError,
    reports::compare::CompareError,
    reports::scorecard::RubricError,
    reports::scorecard::ScoreError,
    reports::report::ReportBuildError,
    reports::output::json::ReadError
);

impl From<datasets::DatasetError> for Error {
    fn from(e: datasets::DatasetError) -> Self {
        match e {
            datasets::DatasetError::Exists(_) | datasets::DatasetError::Invalid(_) => Error::BadInput(e.to_string()),
            _ => Error::Failure(e.to_string()),
        }
    }
}

/// Writing an output failed (a full disk, a folder without permission): a failure.
impl From<reports::ReportError> for Error {
    fn from(e: reports::ReportError) -> Self {
        Error::Failure(e.to_string())
    }
}

impl From<storage::IoError> for Error {
    fn from(e: storage::IoError) -> Self {
        Error::Failure(e.to_string())
    }
}

impl From<harness::run::cache::CacheError> for Error {
    fn from(e: harness::run::cache::CacheError) -> Self {
        Error::Failure(e.to_string())
    }
}

/// Score-level input: its problems are bad input; its temporary file failing is not.
impl From<datasets::scores::ScoreError> for Error {
    fn from(e: datasets::scores::ScoreError) -> Self {
        match e {
            datasets::scores::ScoreError::Invalid(p) => p.into(),
            datasets::scores::ScoreError::Spill(e) => Error::Failure(e.to_string()),
        }
    }
}

/// The problems of a benchmark or of score files, one a line.
impl From<datasets::Problems> for Error {
    fn from(p: datasets::Problems) -> Self {
        Error::BadInput(p.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("\n"))
    }
}
