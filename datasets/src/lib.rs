//! Benchmarks as folders: the benchmark format (`docs/benchmark-format.md`), its
//! validation, loading into the engine's [`harness::model::benchmark::Benchmark`], writing one
//! back, and synthetic benchmarks.
//!
//! This crate sits between files and the engine. It depends on `harness` only, and must
//! never depend on `vendors`, `reports` or the command line: a benchmark means the same
//! whichever vendor runs on it and however it is reported.

mod error;
pub mod import;
pub mod inspect;
mod load;
mod manifest;
pub mod protocol_builder;
mod protocols;
pub mod score_rows;
pub mod scores;
pub mod synthetic;
pub mod table;
mod write;

#[cfg(test)]
mod testing;

pub use error::{DatasetError, Problem, Problems};
pub use load::{INLINE_PREFIX, load};
pub use manifest::PROVENANCES;
pub use write::{WRITTEN_BY_VERITY, WriteOptions, write_benchmark, write_benchmark_with};
