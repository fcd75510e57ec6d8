//! What the plots of a report are drawn from, as results: error counts per group over a
//! fine threshold grid (DET, rates against threshold) and score histograms. Computed by
//! `analysis::curves`.

use crate::model::analysis::Metric;
use serde::{Deserialize, Serialize};

/// Error counts of every group at every threshold of `thresholds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// 1:N: the gallery size; `None` for verification.
    pub gallery_size: Option<u64>,
    /// 1:N: the rank at which a mate counts as found (the candidate list length L).
    pub rank: Option<u32>,
    /// `fmr` (verification) or `fpir` (1:N).
    pub false_positive: Metric,
    /// `fnmr` (verification) or `fnir` (1:N).
    pub false_negative: Metric,
    /// Ascending.
    pub thresholds: Vec<f64>,
    pub groups: Vec<CurveGroup>,
}

/// One group's counts; `false_positives[i]` and `false_negatives[i]` belong to
/// `thresholds[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveGroup {
    pub grouping: String,
    pub group: String,
    /// Denominator of the false-positive rate (non-mated trials or searches).
    pub non_mated: u64,
    /// Denominator of the false-negative rate (mated trials or searches).
    pub mated: u64,
    /// Non-mated trials with score >= T (1:N: searches with any candidate >= T).
    pub false_positives: Vec<u64>,
    /// Mated trials with score < T or no score (1:N: mate not returned within rank L at >= T).
    pub false_negatives: Vec<u64>,
}

/// Score histograms per group over shared bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistograms {
    pub gallery_size: Option<u64>,
    /// What the mated scores are: `mated comparison score` or `mate's score (within rank L)`.
    pub mated_score: String,
    /// What the non-mated scores are: `non-mated comparison score` or `highest candidate score`.
    pub non_mated_score: String,
    /// `HISTOGRAM_BINS + 1` ascending edges; bin i is [edges[i], edges[i+1]), the last
    /// bin also holds its upper edge.
    pub edges: Vec<f64>,
    pub groups: Vec<HistogramGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramGroup {
    pub grouping: String,
    pub group: String,
    pub mated: Vec<u64>,
    pub non_mated: Vec<u64>,
    /// Trials with no score (a failed template, or a mate not returned): not in any bin.
    pub mated_unscored: u64,
    pub non_mated_unscored: u64,
}
