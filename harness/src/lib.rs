//! The engine of verity: core types, the vendor contract, protocols, the runner, and
//! the metric kernels.
//!
//! It must never depend on `datasets`, `vendors`, `reports` or the command line, and it
//! knows no file format: kernels take slices and return plain structs.

pub mod analyse;
pub mod analysis;
pub mod benchmark;
pub mod bootstrap;
pub mod cache;
pub mod comparisons;
pub mod curves;
pub mod differential;
pub mod evaluate;
pub mod metrics;
pub mod paired;
pub mod plan;
pub mod planning;
pub mod population;
pub mod progress;
pub mod projection;
pub mod rate;
pub mod results;
pub mod runner;
pub mod search;
pub mod stats;
pub mod synthetic_face;
pub mod thresholds;
pub mod timing;
pub mod trials;
pub mod vendor;
