pub mod analyse;
pub mod common;
pub mod compare;
pub mod demo;
pub mod import;
pub mod inspect;
pub mod plan;
pub mod project;
pub mod protocol;
pub mod report;
pub mod run;
pub mod score;
pub mod simulate;
pub mod validate;

use crate::error::CliError;
use std::path::Path;

/// Load and validate a benchmark; every problem becomes one line of a bad-input error.
pub fn load_benchmark(dir: &Path) -> Result<harness::model::benchmark::Benchmark, CliError> {
    datasets::load(dir)
        .map_err(|problems| CliError::BadInput(problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")))
}
