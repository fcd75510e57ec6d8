//! The differences between groups as results: tests between groups (omnibus, each group
//! against a reference, effects, minimum detectable ratio), summary measures of
//! differential performance (max/min ratio, FDR, IR, GARBE) and their subject-bootstrap
//! intervals. Computed by `analysis::between_groups`, `analysis::differential` and
//! `bootstrap`; defined in `docs/metrics.md` ("Differences between groups", "Summary
//! measures").

use crate::model::analysis::Metric;
use crate::model::rate::Rate;
use crate::stats::EffectInterval;
use serde::Serialize;

/// The omnibus test of homogeneity across the groups of one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OmnibusTest {
    /// `chi-squared` (Pearson, no continuity correction) or `monte-carlo` (exact test by
    /// simulation with the observed margins, used when an expected count is below 5).
    pub method: String,
    pub statistic: f64,
    pub dof: u64,
    pub p_value: f64,
    pub min_expected: f64,
    pub replicates: Option<u64>,
    pub seed: Option<u64>,
}

/// One group against the reference group.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GroupTest {
    pub group: String,
    pub rate: Rate,
    /// Fisher's exact test, two-sided; `None` for the reference group itself.
    pub p_value: Option<f64>,
    /// Holm-adjusted across every group and threshold of the table.
    pub p_holm: Option<f64>,
    /// Ratio to the reference rate (log-adjusted interval) and difference (Newcombe).
    pub ratio: Option<EffectInterval>,
    pub difference: Option<EffectInterval>,
    /// `reference`, `significantly higher than X`, `significantly lower than X` (the
    /// Holm-adjusted p-value and the omnibus test are both below alpha), or
    /// `no significant difference from X`.
    pub verdict: String,
    /// Smallest ratio to the reference that Fisher's test at `alpha` would detect with
    /// 80% power with these counts; `None` with the reason in `note`.
    pub minimum_detectable_ratio: Option<f64>,
    /// `exact` (enumeration) or `arcsine` (normal approximation, for large counts).
    pub power_method: Option<String>,
    /// Subject-bootstrap percentile intervals of the ratio and difference to the same
    /// reference group (subjects resampled within groups); `None` when not computed.
    pub bootstrap_ratio: Option<BootstrapInterval>,
    pub bootstrap_difference: Option<BootstrapInterval>,
    pub note: Option<String>,
}

/// The tests for one rate of one grouping at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GroupComparison {
    pub metric: Metric,
    pub gallery_size: Option<u64>,
    pub rank: Option<u32>,
    pub threshold: f64,
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub grouping: String,
    /// `None` with the reason in `note` when fewer than two groups have trials or no
    /// group has an error.
    pub omnibus: Option<OmnibusTest>,
    pub reference_group: Option<String>,
    /// `declared` (the configured reference group) or `lowest rate`.
    pub reference_rule: String,
    pub groups: Vec<GroupTest>,
    pub note: Option<String>,
}

/// Which pair of rates the measures summarise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    /// 1:1 verification: FMR and FNMR.
    Verification,
    /// 1:N identification or watchlist: FPIR in place of FMR, FNIR in place of FNMR.
    Identification,
}

impl Comparison {
    pub fn false_positive_metric(self) -> &'static str {
        match self {
            Comparison::Verification => "fmr",
            Comparison::Identification => "fpir",
        }
    }
    pub fn false_negative_metric(self) -> &'static str {
        match self {
            Comparison::Verification => "fnmr",
            Comparison::Identification => "fnir",
        }
    }
}

/// One group's rate and its ratio to the reference group.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GroupRatio {
    pub group: String,
    pub rate: Rate,
    /// This group's rate over the reference group's; `None` when the reference rate is 0.
    pub ratio_to_reference: Option<f64>,
}

/// Ratios of one metric across the groups where it is defined.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RatioSummary {
    pub metric: String,
    pub reference: Option<String>,
    pub groups: Vec<GroupRatio>,
    /// Groups left out because the rate has no trials (zero denominator).
    pub excluded_groups: Vec<String>,
    pub highest_group: Option<String>,
    pub lowest_group: Option<String>,
    /// Highest rate over lowest rate.
    pub max_min_ratio: Option<f64>,
    pub undefined_reason: Option<String>,
}

/// Every summary measure for one threshold, with `alpha` stated.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DifferentialSummary {
    pub comparison: Comparison,
    /// Weight of the false-positive term (1 - alpha weighs the false-negative term).
    pub alpha: f64,
    pub false_positive: RatioSummary,
    pub false_negative: RatioSummary,
    /// A: max pairwise |FMR_i - FMR_j| (FPIR for 1:N).
    pub max_false_positive_difference: Option<f64>,
    /// B: max pairwise |FNMR_i - FNMR_j| (FNIR for 1:N).
    pub max_false_negative_difference: Option<f64>,
    /// FDR = 1 - (alpha A + (1 - alpha) B); 1 is perfectly fair.
    pub fdr: Option<f64>,
    /// IR = (max/min false-positive)^alpha (max/min false-negative)^(1 - alpha); 1 is fair.
    pub ir: Option<f64>,
    /// Gini coefficients of the two rates across groups.
    pub gini_false_positive: Option<f64>,
    pub gini_false_negative: Option<f64>,
    /// GARBE = alpha G(false-positive) + (1 - alpha) G(false-negative); 0 is fair.
    pub garbe: Option<f64>,
    /// Every reason a value above is `None`, "; "-separated; `None` when all are defined.
    pub undefined_reason: Option<String>,
}

/// The summary measures of one grouping at one threshold of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SummaryAtThreshold {
    pub gallery_size: Option<u64>,
    /// The FNIR rank used (1:N): the smallest rank reported for the protocol.
    pub rank: Option<u32>,
    pub threshold: f64,
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub grouping: String,
    pub summary: DifferentialSummary,
    /// Subject-bootstrap percentile intervals of the max/min ratios; `None` when not computed.
    pub bootstrap_max_min_false_positive: Option<BootstrapInterval>,
    pub bootstrap_max_min_false_negative: Option<BootstrapInterval>,
    /// Subject-bootstrap percentile intervals of FDR, IR and GARBE (same alpha).
    pub bootstrap_measures: Option<MeasuresBootstrap>,
}

/// A percentile interval with its bookkeeping. `estimate` is the statistic on the data
/// as observed; `low`/`high` are `None` when no replicate defined it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct BootstrapInterval {
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Replicates in which the statistic was defined (the interval is over these).
    pub replicates_used: usize,
    /// Replicates in which it was undefined (a zero denominator, a ratio over zero).
    pub undefined: usize,
}

/// Bootstrap intervals of the summary measures of differential performance at one
/// threshold: FDR, IR and GARBE with `alpha` (docs/metrics.md), from the false-positive
/// rate (FMR, FPIR) and the false-negative rate (FNMR, FNIR at `rank`) of every group.
/// A replicate in which a group's rate is undefined, or IR's lowest rate is 0, is
/// counted as undefined.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct MeasuresBootstrap {
    pub threshold: f64,
    pub rank: Option<u32>,
    pub alpha: f64,
    pub fdr: BootstrapInterval,
    pub ir: BootstrapInterval,
    pub garbe: BootstrapInterval,
}
