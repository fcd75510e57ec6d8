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
