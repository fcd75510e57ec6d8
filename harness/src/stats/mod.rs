//! Statistics on counts: binomial intervals, tests between groups, multiple-comparison
//! adjustment, effect sizes and power (docs/metrics.md, "Intervals" and
//! "Differences between groups").
//!
//! Pure functions on counts: no trials, no files. Every method names its source and the
//! reference implementation it is tested against (scipy.stats / statsmodels, through the
//! fixtures made by `harness/tests/fixtures/make_stats_fixtures.py`).

pub mod binomial;
pub mod effect;
pub mod hypergeometric;
pub mod inequality;
pub mod logistic;
pub mod mcnemar;
pub mod multiple;
pub mod power;
pub mod special;
pub mod tests_of_proportions;

pub use binomial::{BinomialInterval, Bound, clopper_pearson, wilson, zero_error_upper_bound};
pub use effect::{EffectInterval, difference_newcombe, ratio_log_adjusted};
pub use inequality::gini;
pub use multiple::holm;
pub use power::{MinimumDetectableRatio, PowerMethod, exact_power, minimum_detectable_ratio};
pub use tests_of_proportions::{
    Alternative, ChiSquared, Homogeneity, MonteCarlo, chi_squared_homogeneity, exact_two_proportion, fisher_exact,
    homogeneity, monte_carlo_homogeneity,
};

/// Why a statistic could not be computed from the counts given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("no trials: a rate over zero trials is undefined")]
    NoTrials,
    #[error("count {count} exceeds its total {total}")]
    CountExceedsTotal { count: u64, total: u64 },
    #[error("confidence {0} is not strictly between 0 and 1")]
    InvalidConfidence(f64),
    #[error("significance level {0} is not strictly between 0 and 1")]
    InvalidAlpha(f64),
    #[error("a test of homogeneity needs at least two groups, got {0}")]
    TooFewGroups(usize),
    #[error("groups and totals differ in length ({0} and {1})")]
    LengthMismatch(usize, usize),
    #[error("an expected count is zero (a group with no trials, or no errors / no successes at all)")]
    ZeroExpectedCount,
    #[error("the number of Monte Carlo replicates must be positive")]
    NoReplicates,
    #[error("p-value {0} is not in [0, 1]")]
    InvalidPValue(f64),
    #[error("base rate {0} is not strictly between 0 and 1")]
    InvalidRate(f64),
}

pub(crate) fn check_count(count: u64, total: u64) -> Result<(), StatsError> {
    if total == 0 {
        return Err(StatsError::NoTrials);
    }
    if count > total {
        return Err(StatsError::CountExceedsTotal { count, total });
    }
    Ok(())
}

pub(crate) fn check_confidence(c: f64) -> Result<(), StatsError> {
    if c > 0.0 && c < 1.0 { Ok(()) } else { Err(StatsError::InvalidConfidence(c)) }
}
