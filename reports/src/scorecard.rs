//! The procurement scorecard: a rubric (criteria with scoring functions and weights,
//! pass/fail gates, the quality:price split and the bid prices) applied to the results
//! of one or more runs, giving a ranked table in which every number can be traced to
//! results.json. Rubric format and scoring rules: `docs/scorecard.md`.
//!
//! - [`Rubric::load`] / [`Rubric::parse`]: the TOML rubric, checked; every error names
//!   the file, line, column and the text found there.
//! - [`score`]: a pure function from a rubric and `(run label, Results)` pairs to a
//!   [`Scorecard`]. It selects numbers the engine computed; it computes no metric.
//! - [`to_document`], [`csv_table`], [`write_scorecard`]: the scorecard as HTML and
//!   Markdown (one [`Document`](crate::document::Document)) and as CSV.

mod evaluate;
mod measure;
mod parse;
mod render;
mod rubric;

pub use evaluate::{
    BidScore, CriterionScore, GateResult, Mismatch, ProtocolUse, RunInfo, ScoreError, Scorecard, Standing, rank, score,
};
pub use measure::{Absent, Measured};
pub use render::{csv_table, layout, ranking_text, to_document, why, write_scorecard};
pub use rubric::{
    At, Better, Bid, Condition, Criterion, DifferentialMeasure, Gate, GroupSelect, Location, Measure, PriceFormula,
    RateMeasure, RatioMeasure, Rubric, RubricError, Scoring, Site, Statistic,
};

#[cfg(test)]
#[path = "scorecard_tests.rs"]
mod tests;
