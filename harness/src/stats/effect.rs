//! Effect sizes between two groups' error rates, with intervals: the difference
//! p1 - p2 and the ratio p1 / p2 (group 2 is usually the reference group).

use super::binomial::{Bound, wilson};
use super::special::normal_quantile;
use super::{StatsError, check_confidence, check_count};

/// A point estimate with a two-sided interval. `estimate` is `None` where the plain
/// estimate is undefined (a ratio to a reference with zero errors); the interval can
/// still be given, since its method adjusts the counts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EffectInterval {
    pub estimate: Option<f64>,
    pub low: f64,
    pub high: f64,
}

/// Difference of two proportions p1 - p2 (k1 of n1 against k2 of n2) with Newcombe's
/// hybrid score interval (Newcombe 1998, "Interval estimation for the difference between
/// independent proportions", Stat. Med. 17, method 10), built from the two Wilson
/// intervals (l_i, u_i): low = d - sqrt((p1 - l1)² + (u2 - p2)²),
/// high = d + sqrt((p2 - l2)² + (u1 - p1)²). Matches statsmodels
/// `confint_proportions_2indep(k1, n1, k2, n2, compare="diff", method="newcomb")`.
pub fn difference_newcombe(k1: u64, n1: u64, k2: u64, n2: u64, confidence: f64) -> Result<EffectInterval, StatsError> {
    check_count(k1, n1)?;
    check_count(k2, n2)?;
    check_confidence(confidence)?;
    let w1 = wilson(k1, n1, confidence, Bound::TwoSided)?;
    let w2 = wilson(k2, n2, confidence, Bound::TwoSided)?;
    let p1 = k1 as f64 / n1 as f64;
    let p2 = k2 as f64 / n2 as f64;
    let d = p1 - p2;
    let d_low = ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt();
    let d_high = ((p2 - w2.low).powi(2) + (w1.high - p1).powi(2)).sqrt();
    Ok(EffectInterval { estimate: Some(d), low: d - d_low, high: d + d_high })
}

/// Ratio of two proportions p1 / p2 with the Katz log interval (Katz, Baptista, Azen &
/// Pike 1978, Biometrics 34) in its "adjusted" form: 0.5 is added to each count and
/// each total (always, not only at zero counts), then
/// exp(ln(p1'/p2') ± z·sqrt(1/k1' - 1/n1' + 1/k2' - 1/n2')). Matches statsmodels
/// `confint_proportions_2indep(..., compare="ratio", method="log-adjusted")` (its
/// default for ratios). The adjustment keeps the interval finite when a group has no
/// errors; `estimate` is the unadjusted k1/n1 ÷ k2/n2, `None` when k2 = 0.
pub fn ratio_log_adjusted(k1: u64, n1: u64, k2: u64, n2: u64, confidence: f64) -> Result<EffectInterval, StatsError> {
    check_count(k1, n1)?;
    check_count(k2, n2)?;
    check_confidence(confidence)?;
    let (c1, t1) = (k1 as f64 + 0.5, n1 as f64 + 0.5);
    let (c2, t2) = (k2 as f64 + 0.5, n2 as f64 + 0.5);
    let ratio_adj = (c1 / t1) / (c2 / t2);
    let var = 1.0 / c1 - 1.0 / t1 + 1.0 / c2 - 1.0 / t2;
    let z = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
    let half = z * var.sqrt();
    let estimate = (k2 > 0).then(|| (k1 as f64 / n1 as f64) / (k2 as f64 / n2 as f64));
    Ok(EffectInterval { estimate, low: (ratio_adj.ln() - half).exp(), high: (ratio_adj.ln() + half).exp() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_contain_their_estimates() {
        for &(k1, n1, k2, n2) in &[(7u64, 100u64, 3u64, 120u64), (0, 50, 4, 50), (50, 50, 1, 9)] {
            let d = difference_newcombe(k1, n1, k2, n2, 0.95).unwrap();
            let e = d.estimate.unwrap();
            assert!(d.low <= e && e <= d.high);
            let r = ratio_log_adjusted(k1, n1, k2, n2, 0.95).unwrap();
            assert!(r.low < r.high && r.low > 0.0);
        }
        assert_eq!(ratio_log_adjusted(1, 10, 0, 10, 0.95).unwrap().estimate, None);
    }
}
