//! Errors as the command line reports them: bad input exits 2, any other failure 1.

use std::fmt;

#[derive(Debug)]
pub enum CliError {
    /// The user's input is wrong: exit status 2. The message names file, line, column, value.
    BadInput(String),
    /// The run failed for another reason: exit status 1.
    Failure(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) => 2,
            CliError::Failure(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::BadInput(m) | CliError::Failure(m) => f.write_str(m),
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// The pipeline's errors carry their exit class.
impl From<pipeline::Error> for CliError {
    fn from(e: pipeline::Error) -> Self {
        match e {
            pipeline::Error::BadInput(m) => CliError::BadInput(m),
            pipeline::Error::Failure(m) => CliError::Failure(m),
        }
    }
}

/// Every library error the command line meets converts through the pipeline's one
/// classification (bad input or failure), so no call site decides an exit code.
macro_rules! through_pipeline {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::from(pipeline::Error::from(e))
            }
        }
    )*};
}

through_pipeline!(
    datasets::Problems,
    datasets::DatasetError,
    datasets::synthetic::SpecError,
    vendors::VendorError,
    reports::ReportError,
    reports::compare::CompareError,
    reports::scorecard::RubricError,
    reports::scorecard::ScoreError,
    reports::report::ReportBuildError,
    reports::output::json::ReadError
);

/// A JSON value that cannot be written (not expected: every value printed is plain data).
impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Failure(format!("cannot write JSON: {e}"))
    }
}
