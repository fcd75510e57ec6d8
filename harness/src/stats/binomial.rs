//! Confidence intervals for a binomial proportion k/n: Wilson score, Clopper–Pearson
//! (exact) and the exact zero-error bound.

use super::special::{beta_inc_inv, beta_inc_inv_upper, normal_quantile};
use super::{StatsError, check_confidence, check_count};

/// Which bound(s) an interval gives at its confidence level c.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Both bounds, each with tail (1 - c)/2.
    TwoSided,
    /// Only an upper bound, with tail 1 - c ("the rate is at most ..."); `low` is 0.
    Upper,
    /// Only a lower bound, with tail 1 - c ("the rate is at least ..."); `high` is 1.
    Lower,
}

impl Bound {
    /// Probability in each bounded tail.
    fn tail(self, confidence: f64) -> f64 {
        match self {
            Bound::TwoSided => (1.0 - confidence) / 2.0,
            Bound::Upper | Bound::Lower => 1.0 - confidence,
        }
    }
}

/// An interval for a proportion. One-sided intervals have `low = 0` or `high = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinomialInterval {
    pub low: f64,
    pub high: f64,
}

/// Wilson score interval (Wilson 1927, "Probable inference, the law of succession, and
/// statistical inference", JASA 22). Same formula as statsmodels
/// `proportion_confint(k, n, alpha, method="wilson")`; a one-sided bound at c is the
/// matching side of the two-sided interval at alpha = 2(1 - c). At k = 0 (k = n) the
/// lower (upper) bound is exactly 0 (1). [`crate::model::rate::Rate::wilson`] calls this.
pub fn wilson(k: u64, n: u64, confidence: f64, bound: Bound) -> Result<BinomialInterval, StatsError> {
    check_count(k, n)?;
    check_confidence(confidence)?;
    let z = normal_quantile(1.0 - bound.tail(confidence));
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let low = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
    let high = if k == n { 1.0 } else { (centre + half).min(1.0) };
    Ok(match bound {
        Bound::TwoSided => BinomialInterval { low, high },
        Bound::Upper => BinomialInterval { low: 0.0, high },
        Bound::Lower => BinomialInterval { low, high: 1.0 },
    })
}

/// Clopper–Pearson exact interval (Clopper & Pearson 1934, Biometrika 26): the bounds
/// are Beta quantiles, low = B⁻¹(t; k, n-k+1), high = B⁻¹(1-t; k+1, n-k), with t the tail
/// of [`Bound`]. Matches statsmodels `proportion_confint(method="beta")` (two-sided at
/// alpha, one-sided at alpha = 2(1 - c)). Guarantees coverage >= c for every true rate.
pub fn clopper_pearson(k: u64, n: u64, confidence: f64, bound: Bound) -> Result<BinomialInterval, StatsError> {
    check_count(k, n)?;
    check_confidence(confidence)?;
    let t = bound.tail(confidence);
    let (kf, nf) = (k as f64, n as f64);
    let low = if k == 0 { 0.0 } else { beta_inc_inv(kf, nf - kf + 1.0, t) };
    let high = if k == n { 1.0 } else { beta_inc_inv_upper(kf + 1.0, nf - kf, t) };
    Ok(match bound {
        Bound::TwoSided => BinomialInterval { low, high },
        Bound::Upper => BinomialInterval { low: 0.0, high },
        Bound::Lower => BinomialInterval { low, high: 1.0 },
    })
}

/// Exact one-sided upper bound on the rate when none of n trials erred:
/// 1 - alpha^(1/n), alpha = 1 - c (the solution of (1 - p)^n = alpha; "rule of 3",
/// 3/n, is its approximation at c = 0.95, Hanley & Lippman-Hand 1983). Equals the
/// one-sided Clopper–Pearson upper bound at k = 0. Computed as -expm1(ln(alpha)/n) so
/// it keeps its relative accuracy at n = 1e9.
pub fn zero_error_upper_bound(n: u64, confidence: f64) -> Result<f64, StatsError> {
    check_count(0, n)?;
    check_confidence(confidence)?;
    Ok(-((1.0 - confidence).ln() / n as f64).exp_m1())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_error_bound_is_clopper_pearson_at_zero() {
        for &n in &[1u64, 2, 10, 300, 41_000, 1_000_000_000] {
            for &c in &[0.9, 0.95, 0.99] {
                let z = zero_error_upper_bound(n, c).unwrap();
                let cp = clopper_pearson(0, n, c, Bound::Upper).unwrap().high;
                assert!((z - cp).abs() <= 1e-12 * z, "n={n} c={c} {z} {cp}");
            }
        }
        // Rule of 3: 3/n approximates the 95% bound for large n.
        let z = zero_error_upper_bound(1_000_000, 0.95).unwrap();
        assert!((z * 1e6 - 3.0).abs() < 0.01);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(wilson(1, 0, 0.95, Bound::TwoSided), Err(StatsError::NoTrials));
        assert!(clopper_pearson(5, 4, 0.95, Bound::TwoSided).is_err());
        assert!(clopper_pearson(1, 4, 1.0, Bound::TwoSided).is_err());
    }
}
