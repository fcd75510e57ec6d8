//! The analysis of one vendor on one protocol: built once from the trials, then read
//! many ways (per-group tables, operating points, EER, cross-group FMR). Every rate
//! carries its numerator, denominator and interval. Definitions: docs/metrics.md.

use crate::model::benchmark::ProtocolKind;
use crate::model::population::Grouping;
use crate::model::rate::{Interval, Rate};
use crate::model::thresholds::OperatingPoint;
use serde::Serialize;

/// Metric names follow ISO/IEC 19795-1 and NISTIR 8271.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// False match rate: non-mated comparisons with score >= T / non-mated comparisons.
    Fmr,
    /// False non-match rate: mated comparisons with score < T or failed / mated comparisons.
    Fnmr,
    /// True positive identification rate, 1 - FNIR.
    Tpir,
    /// False negative identification rate at rank R and threshold T.
    Fnir,
    /// False positive identification rate: non-mated searches with any candidate >= T.
    Fpir,
    /// Selectivity: non-mated candidates with score >= T per non-mated search (not a proportion).
    Sel,
    /// Cumulative match characteristic: mated searches with the mate at rank <= R, no threshold.
    Cmc,
    /// Failure to enrol: enrolment templates that could not be made.
    Fte,
    /// Failure to acquire: verification/search templates that could not be made.
    Fta,
}

impl Metric {
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Fmr => "fmr",
            Metric::Fnmr => "fnmr",
            Metric::Tpir => "tpir",
            Metric::Fnir => "fnir",
            Metric::Fpir => "fpir",
            Metric::Sel => "sel",
            Metric::Cmc => "cmc",
            Metric::Fte => "fte",
            Metric::Fta => "fta",
        }
    }
    /// Whether the rate is a proportion (and so has a binomial interval).
    pub fn is_proportion(&self) -> bool {
        !matches!(self, Metric::Sel)
    }
}

/// One rate of one group at one operating point: a row of the tidy `rates` table.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RateRow {
    pub metric: Metric,
    /// 1:N only: the number of enrolled subjects.
    pub gallery_size: Option<u64>,
    /// FNIR/TPIR/CMC only: the rank R.
    pub rank: Option<u32>,
    /// `None` for rates without a threshold (CMC, FTE, FTA).
    pub threshold: Option<f64>,
    /// Why this threshold is here: `grid`, `declared:LABEL`, `calibrated:fpir=1e-3`.
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub grouping: String,
    pub group: String,
    pub rate: Rate,
    /// Two-sided interval (Wilson by default, or Clopper–Pearson) at the configured
    /// confidence; `None` when undefined or not a proportion.
    pub interval: Option<Interval>,
    /// One-sided exact (Clopper–Pearson) upper bound at the configured confidence, for
    /// "at most" claims (with zero errors, 1 − (1 − c)^(1/n)); `None` as `interval`.
    pub upper_bound: Option<f64>,
    /// One-sided exact (Clopper–Pearson) lower bound, for "at least" claims.
    pub lower_bound: Option<f64>,
    /// Subject-bootstrap percentile interval (subjects resampled within groups), the
    /// honest interval when trials share subjects; `None` when not computed (SEL, CMC,
    /// FTE/FTA, or `bootstrap_replicates` = 0).
    pub bootstrap: Option<crate::model::differences::BootstrapInterval>,
}

/// A threshold the analysis evaluated, and why.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ThresholdUse {
    pub threshold: f64,
    pub operating_point: OperatingPoint,
}

/// A threshold calibrated on the whole test population to a target rate.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Calibration {
    /// `fmr` (verification) or `fpir` (identification, watchlist).
    pub metric: Metric,
    pub target: f64,
    pub gallery_size: Option<u64>,
    /// The smallest threshold T with rate(T) <= target; `None` when not estimable.
    pub threshold: Option<f64>,
    /// The whole-population rate at that threshold.
    pub achieved: Option<Rate>,
    /// Why a calibration is missing or weak, in words.
    pub note: Option<String>,
}

/// Equal error rate of one group (verification).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EerRow {
    pub grouping: String,
    pub group: String,
    /// `None` when the group has no mated or no non-mated trials.
    pub eer: Option<f64>,
    /// The score threshold at the crossing, interpolated as `eer` is.
    pub threshold: Option<f64>,
    pub mated: u64,
    pub non_mated: u64,
}

/// Non-mated FMR between a probe group and a reference group (the NISTIR 8280 heatmap).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CrossGroupCell {
    pub grouping: String,
    pub probe_group: String,
    pub reference_group: String,
    pub threshold: f64,
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub rate: Rate,
}

/// Everything computed for one vendor on one protocol.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ProtocolAnalysis {
    pub protocol: String,
    pub kind: ProtocolKind,
    pub thresholds: Vec<ThresholdUse>,
    pub calibrations: Vec<Calibration>,
    pub rates: Vec<RateRow>,
    pub eer: Vec<EerRow>,
    pub cross_group_fmr: Vec<CrossGroupCell>,
    /// Tests of the differences between groups, per rate, grouping and threshold.
    pub comparisons: Vec<crate::model::differences::GroupComparison>,
    /// Summary measures of differential performance (max/min ratio, FDR, IR, GARBE).
    pub summaries: Vec<crate::model::differences::SummaryAtThreshold>,
    /// Verification only: FPIR(N) extrapolated from each group's FMR at each threshold,
    /// labelled as an extrapolation with its independence assumption.
    pub extrapolations: Vec<ExtrapolationRow>,
    /// Error counts per group over a fine threshold grid, for DET curves and rates
    /// against threshold (verification: one; 1:N: one per gallery size).
    pub curves: Vec<crate::model::curves::Curves>,
    /// Mated and non-mated score histograms per group (one per gallery size for 1:N).
    pub histograms: Vec<crate::model::curves::ScoreHistograms>,
    /// Differentials adjusted for the configured capture covariates (schema 1.3); absent
    /// when no covariate was named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjusted: Vec<crate::model::adjusted::AdjustedDifferential>,
    /// Each covariate's distribution per group, over mated and non-mated trials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariate_distributions: Vec<crate::model::adjusted::CovariateDistribution>,
    /// Error rates per group and band of each covariate (accuracy by capture).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariate_rates: Vec<crate::model::adjusted::CovariateRate>,
}

impl ProtocolAnalysis {
    /// A protocol's analysis with its thresholds and calibrations, the rest to be filled.
    pub fn new(
        protocol: &str,
        kind: ProtocolKind,
        thresholds: Vec<ThresholdUse>,
        calibrations: Vec<Calibration>,
    ) -> Self {
        ProtocolAnalysis {
            protocol: protocol.to_string(),
            kind,
            thresholds,
            calibrations,
            rates: Vec::new(),
            eer: Vec::new(),
            cross_group_fmr: Vec::new(),
            comparisons: Vec::new(),
            summaries: Vec::new(),
            extrapolations: Vec::new(),
            curves: Vec::new(),
            histograms: Vec::new(),
            adjusted: Vec::new(),
            covariate_distributions: Vec::new(),
            covariate_rates: Vec::new(),
        }
    }
}

/// One group's FMR at one threshold carried to a gallery of N by FPIR(N) = 1 - (1 - FMR)^N.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ExtrapolationRow {
    pub threshold: f64,
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub grouping: String,
    pub group: String,
    pub extrapolation: FpirExtrapolation,
}

/// What to compute. Every default is recorded in the results, never silent.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AnalysisConfig {
    /// The user's threshold grid.
    pub thresholds: Vec<f64>,
    /// Targets for thresholds calibrated on the whole population: FMR (1:1), which are
    /// also the FNMR-at-FMR points, default 1e-2..1e-6.
    pub fmr_targets: Vec<f64>,
    /// FPIR targets for 1:N and watchlist calibration, default 1e-2, 1e-3, 1e-4.
    pub fpir_targets: Vec<f64>,
    /// Ranks R at which FNIR/TPIR are reported for identification (watchlist uses L).
    pub ranks: Vec<u32>,
    pub groupings: Vec<Grouping>,
    /// Confidence level of intervals.
    pub confidence: f64,
    /// Method of the two-sided interval on every rate.
    pub interval_method: crate::model::rate::IntervalMethod,
    /// Significance level of the tests between groups (after Holm's correction).
    pub alpha: f64,
    /// The group every other group is compared with, where a grouping has it; otherwise
    /// the group with the lowest rate.
    pub reference_group: Option<String>,
    /// Tables simulated by the Monte Carlo homogeneity test.
    pub monte_carlo_replicates: u64,
    /// Seed of every random choice of the analysis.
    pub seed: u64,
    /// Weight alpha of the false-positive term in FDR, IR and GARBE (0.5 weighs both equally).
    pub summary_alpha: f64,
    /// Subject-bootstrap replicates per rate (0: no bootstrap intervals).
    pub bootstrap_replicates: usize,
    /// Gallery sizes to which verification FMR is extrapolated as FPIR(N).
    pub extrapolation_sizes: Vec<u64>,
    /// Capture covariates the differentials are adjusted for (schema 1.3; none: no
    /// adjusted models).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<String>,
    /// The capture attributes that groupings use (schema 1.4): each sample's group is its
    /// value or band (docs/metrics.md, "Groupings by capture attribute"). A grouping that
    /// names one of them is a capture grouping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capture_attributes: Vec<CaptureAttribute>,
}

/// How a capture column splits the samples into groups.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CaptureAttribute {
    pub name: String,
    /// Band edges of a numeric column banded by its quartiles over the benchmark's samples
    /// (a value `x` is in band `1 + #{edges <= x}`); empty when each value is a group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
    /// The group names, sorted; `unknown` holds the samples without a value.
    pub groups: Vec<String>,
}

impl AnalysisConfig {
    /// Whether `grouping` names a capture attribute (its groups are then samples' groups,
    /// not subjects').
    pub fn is_capture_grouping(&self, grouping: &Grouping) -> bool {
        grouping.attributes.iter().any(|a| self.capture_attributes.iter().any(|c| &c.name == a))
    }

    /// This configuration with only the groupings of subjects' attributes.
    pub fn subject_groupings_only(&self) -> AnalysisConfig {
        let mut out = self.clone();
        out.groupings.retain(|g| !self.is_capture_grouping(g));
        out.capture_attributes.clear();
        out
    }
}

impl AnalysisConfig {
    pub fn with_thresholds(thresholds: Vec<f64>, groupings: Vec<Grouping>) -> Self {
        AnalysisConfig {
            thresholds,
            fmr_targets: vec![1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
            fpir_targets: vec![1e-2, 1e-3, 1e-4],
            ranks: vec![1],
            groupings,
            confidence: 0.95,
            interval_method: crate::model::rate::IntervalMethod::Wilson,
            alpha: 0.05,
            reference_group: None,
            monte_carlo_replicates: 10_000,
            seed: 20_231_101,
            summary_alpha: 0.5,
            bootstrap_replicates: 1000,
            extrapolation_sizes: vec![1_000, 10_000],
            covariates: Vec::new(),
            capture_attributes: Vec::new(),
        }
    }
}

/// An FPIR extrapolated from a per-comparison FMR; always labelled as such.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FpirExtrapolation {
    /// Always `"extrapolation"`.
    pub kind: String,
    pub formula: String,
    pub assumption: String,
    pub fmr: f64,
    pub gallery_size: u64,
    pub fpir: f64,
    /// The FMR interval carried through the (increasing) formula, when one was given.
    pub fpir_low: Option<f64>,
    pub fpir_high: Option<f64>,
}
