//! Differentials adjusted for capture covariates: per error indicator, threshold and
//! grouping, each group's odds ratio against a reference group from a logistic model
//! without and with the covariates (docs/metrics.md, "Adjusted differentials").

use crate::model::analysis::Metric;
use serde::Serialize;

/// An odds ratio of one group against the reference group, from one model.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OddsRatio {
    pub odds_ratio: f64,
    /// Wald interval at the configured confidence, from the subject-clustered covariance.
    pub low: f64,
    pub high: f64,
    /// Two-sided Wald p-value, and after Holm's correction over the groups of the model.
    pub p_value: f64,
    pub p_holm: f64,
    /// `p_holm < alpha`.
    pub significant: bool,
}

/// One group of an adjusted differential.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AdjustedGroup {
    pub group: String,
    /// Errors and trials of the group among the trials in the models.
    pub errors: u64,
    pub trials: u64,
    /// `None` for the reference group, and where the model is undefined.
    pub unadjusted: Option<OddsRatio>,
    pub adjusted: Option<OddsRatio>,
    /// Share of the unadjusted log odds ratio that the covariates account for:
    /// `(ln OR_unadjusted − ln OR_adjusted) / ln OR_unadjusted`; `None` where either
    /// model is undefined or the unadjusted odds ratio is not significant (there is then
    /// no differential to explain, and the share of a ratio near 1 is noise).
    pub explained: Option<f64>,
}

/// The odds ratio of one unit of a numeric covariate, or of one level against the
/// covariate's most common level, in the adjusted model.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CovariateEffect {
    /// `face_size` for a numeric covariate, `camera=cctv-2` for a level.
    pub term: String,
    pub odds_ratio: f64,
    pub low: f64,
    pub high: f64,
    pub p_value: f64,
}

/// The models of one error indicator at one threshold for one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AdjustedDifferential {
    /// `fmr`, `fnmr` (verification), `fpir`, `fnir` (1:N, at rank L).
    pub metric: Metric,
    pub gallery_size: Option<u64>,
    pub rank: Option<u32>,
    pub threshold: f64,
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub grouping: String,
    /// The group every odds ratio is against: the configured reference group, or the
    /// group with the lowest rate.
    pub reference_group: String,
    pub covariates: Vec<String>,
    /// Trials in both models (every covariate known), and trials left out (a covariate
    /// unknown for the trial's probe or search sample).
    pub trials: u64,
    pub excluded: u64,
    /// Subjects (clusters of the covariance).
    pub subjects: u64,
    pub groups: Vec<AdjustedGroup>,
    pub covariate_effects: Vec<CovariateEffect>,
    /// Why the unadjusted model, or the adjusted one, is undefined (separation, too few
    /// errors, a covariate with one level); `None` when it was fitted.
    pub unadjusted_note: Option<String>,
    pub adjusted_note: Option<String>,
}

/// The distribution of one covariate in one group, over the trials of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CovariateDistribution {
    /// `mated` or `non-mated` trials (the probe or search samples of each).
    pub trials: String,
    pub gallery_size: Option<u64>,
    pub grouping: String,
    pub group: String,
    pub covariate: String,
    /// Trials with the covariate known.
    pub known: u64,
    pub unknown: u64,
    /// Numeric covariates: mean and the quartiles (minimum, Q1, median, Q3, maximum;
    /// order statistics, the lower one where a quartile falls between two).
    pub mean: Option<f64>,
    pub quartiles: Option<[f64; 5]>,
    /// Categorical covariates: each level and its count, in level order.
    pub levels: Vec<(String, u64)>,
}

/// The error rate of one group among the trials whose capture falls in one band of a
/// covariate: accuracy broken down by capture, crossed with the grouping (`all` gives the
/// band alone).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CovariateRate {
    /// `fmr`, `fnmr` (verification), `fpir`, `fnir` (1:N, at rank L).
    pub metric: Metric,
    pub gallery_size: Option<u64>,
    pub rank: Option<u32>,
    pub threshold: f64,
    #[serde(with = "crate::model::thresholds::as_label")]
    pub operating_point: crate::model::thresholds::OperatingPoint,
    pub grouping: String,
    pub group: String,
    pub covariate: String,
    /// The band's position among the covariate's bands (0 first), and its name: a level,
    /// or for a numeric covariate `face_size < 54`, `54 <= face_size < 64`,
    /// `face_size >= 75` (edges: the quartiles of the kind's trials, pooled over groups).
    pub band_index: u32,
    pub band: String,
    /// Errors among the trials of the group in the band.
    pub rate: crate::model::rate::Rate,
    /// The configured interval over trials (Wilson or Clopper–Pearson); the subject
    /// bootstrap is not applied to these cells.
    pub interval: Option<crate::model::rate::Interval>,
}
