//! Running a vendor on a benchmark: which templates each protocol needs ([`plan`]), the
//! runner that makes them in parallel and compares or searches ([`runner`], [`search`]),
//! the template cache that makes a run resumable ([`cache`]), and how long it took
//! ([`timing`]). Progress is reported through [`progress`], so the engine needs no terminal.

pub mod cache;
pub mod plan;
pub mod products;
pub mod progress;
pub mod runner;
pub mod search;
pub mod timing;
