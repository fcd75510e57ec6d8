//! The engine of verity: the data model, the vendor contract, the runner, the metric
//! kernels, the analysis and its statistics.
//!
//! It must never depend on `datasets`, `vendors`, `reports` or the command line, and it
//! knows no file format: kernels take slices and return plain structs. The folders show
//! the stages a number goes through:
//!
//! - [`model`]: what the engine works on and what it produces: population, benchmark,
//!   trials, rates, thresholds, and the result types (`results.json` is their
//!   serialisation). Nothing here computes a metric.
//! - [`vendor`]: the vendor contract (modelled on NIST FRTE).
//! - [`run`]: running vendors: which templates a benchmark needs, the runner, the 1:N
//!   search, the template cache, timing.
//! - [`metrics`]: counting kernels over columns of scores.
//! - [`analysis`]: from trials to the analysis of each protocol (rates, calibrations,
//!   EER, curves), tests between groups, summary measures, vendors compared on the same
//!   trials, deployment projection and planning.
//! - [`stats`]: intervals, tests and power on counts; [`bootstrap`]: the subject bootstrap.
//!
//! Every number's definition is in `docs/metrics.md`.

pub mod analysis;
pub mod bootstrap;
pub mod metrics;
pub mod model;
pub mod run;
pub mod stats;
pub mod vendor;
