//! Metric kernels over columns of scores and group codes. They take slices and return
//! counts; nothing here knows a file, a vendor or a report.

pub mod counting;
pub mod eer;
pub mod identification;
pub mod levels;
pub mod linking;
pub mod order;
