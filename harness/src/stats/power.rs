//! Power of the exact two-proportion test and the minimum detectable ratio: how large
//! a difference from the reference group a "no significant difference" verdict could
//! have seen (docs/metrics.md).

use super::StatsError;
use super::special::{beta_inc, ln_binomial_pmf, normal_cdf, normal_quantile};
use super::tests_of_proportions::{Alternative, exact_two_proportion};

/// How a power figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerMethod {
    /// Exact: summed over every pair of binomial outcomes that carries probability,
    /// each tested with Fisher's exact test.
    ExactEnumeration,
    /// Normal approximation on the arcsine (variance-stabilised) scale, Cohen's h
    /// (Cohen 1988, ch. 6): used when enumeration would cost too much.
    ArcsineApproximation,
}

/// Result of [`minimum_detectable_ratio`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinimumDetectableRatio {
    /// Smallest ratio R > 1 of the compared group's rate to the reference rate at which
    /// the test reaches the target power; `None` when not even a rate of 1 would.
    pub ratio: Option<f64>,
    /// Power at `ratio` by `method` (0 when `ratio` is `None`).
    pub power: f64,
    pub method: PowerMethod,
}

/// Outcomes x of Bin(n, p) whose probability is within e^-40 (4e-18) of the mode's;
/// by log-concavity what is left out is below 1e-15 of the total for any n <= 1e9.
fn binomial_support(n: u64, p: f64) -> Vec<(u64, f64)> {
    let q = 1.0 - p;
    let mode = (((n + 1) as f64 * p).floor() as u64).min(n);
    let ln_mode = ln_binomial_pmf(mode, n, p, q);
    // Each outcome's log-probability is computed once: walk down, then up, from the mode.
    let mut below = Vec::new();
    let mut x = mode;
    while x > 0 {
        let v = ln_binomial_pmf(x - 1, n, p, q);
        if v - ln_mode <= -40.0 {
            break;
        }
        below.push((x - 1, v));
        x -= 1;
    }
    let mut out: Vec<(u64, f64)> = below.into_iter().rev().collect();
    out.push((mode, ln_mode));
    let mut x = mode;
    while x < n {
        let v = ln_binomial_pmf(x + 1, n, p, q);
        if v - ln_mode <= -40.0 {
            break;
        }
        out.push((x + 1, v));
        x += 1;
    }
    for o in &mut out {
        o.1 = o.1.exp();
    }
    out
}

fn width(n: u64, p: f64) -> f64 {
    2.0 * 9.0 * (n as f64 * p * (1.0 - p)).sqrt() + 3.0
}

/// Largest enumeration cost (pairs of outcomes times the length of each Fisher sum)
/// done exactly; above it the arcsine approximation is used.
const EXACT_BUDGET: f64 = 5e7;

/// Power by enumeration with a cache of test decisions (the decision for (x0, x1) does
/// not depend on the ratio).
struct ExactPower {
    p0: f64,
    n0: u64,
    n1: u64,
    alpha: f64,
    alternative: Alternative,
    reference: Vec<(u64, f64)>,
    /// Per outcome of the reference (its index in `reference`): the test's decision for
    /// each compared outcome x1 from a first one on (0 unknown, 1 reject, 2 keep), one
    /// byte a pair where a map would take 25.
    reject: Vec<(u64, Vec<u8>)>,
}

impl ExactPower {
    fn power(&mut self, ratio: f64) -> f64 {
        let p1 = (ratio * self.p0).min(1.0);
        let compared = binomial_support(self.n1, p1);
        let (Some(&(first, _)), Some(&(last, _))) = (compared.first(), compared.last()) else { return 0.0 };
        let (n0, n1, alpha, alt) = (self.n0, self.n1, self.alpha, self.alternative);
        if self.reject.is_empty() {
            self.reject = vec![(first, Vec::new()); self.reference.len()];
        }
        let mut power = 0.0;
        for (&(x0, w0), (start, decided)) in self.reference.iter().zip(&mut self.reject) {
            // Widen the row to cover first..=last.
            if decided.is_empty() {
                *start = first;
            }
            if first < *start {
                let mut wider = vec![0u8; (*start - first) as usize];
                wider.append(decided);
                *decided = wider;
                *start = first;
            }
            let needed = (last - *start + 1) as usize;
            if decided.len() < needed {
                decided.resize(needed, 0);
            }
            for &(x1, w1) in &compared {
                let d = &mut decided[(x1 - *start) as usize];
                if *d == 0 {
                    let rejected = exact_two_proportion(x1, n1, x0, n0, alt).is_ok_and(|p| p <= alpha);
                    *d = if rejected { 1 } else { 2 };
                }
                if *d == 1 {
                    power += w0 * w1;
                }
            }
        }
        power
    }
}

/// Exact power of Fisher's exact test at level `alpha` when the compared group (n1
/// trials) has rate `ratio * p0` and the reference group (n0 trials) has rate p0:
/// the sum, over all outcomes (x1, x0) of the two binomials, of their probability times
/// 1[p-value <= alpha]. `Greater` tests "compared is higher". Matches an enumeration with
/// `scipy.stats.fisher_exact` and `binom.pmf` (fixtures) to 1e-9.
pub fn exact_power(
    p0: f64,
    n0: u64,
    n1: u64,
    ratio: f64,
    alpha: f64,
    alternative: Alternative,
) -> Result<f64, StatsError> {
    validate(p0, n0, n1, alpha)?;
    let mut e = ExactPower { p0, n0, n1, alpha, alternative, reference: binomial_support(n0, p0), reject: Vec::new() };
    Ok(e.power(ratio))
}

/// Power by the arcsine approximation: Φ(|h| / sqrt(1/n0 + 1/n1) - z), h = 2 asin√p1 -
/// 2 asin√p0, z the one- or two-sided critical value.
pub fn arcsine_power(p0: f64, n0: u64, n1: u64, ratio: f64, alpha: f64, alternative: Alternative) -> f64 {
    let p1 = (ratio * p0).min(1.0);
    let h = 2.0 * p1.sqrt().asin() - 2.0 * p0.sqrt().asin();
    let z = critical(alpha, alternative);
    normal_cdf(h.abs() / (1.0 / n0 as f64 + 1.0 / n1 as f64).sqrt() - z)
}

fn critical(alpha: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::TwoSided => normal_quantile(1.0 - alpha / 2.0),
        _ => normal_quantile(1.0 - alpha),
    }
}

fn validate(p0: f64, n0: u64, n1: u64, alpha: f64) -> Result<(), StatsError> {
    if !(p0 > 0.0 && p0 < 1.0) {
        return Err(StatsError::InvalidRate(p0));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(alpha));
    }
    if n0 == 0 || n1 == 0 {
        return Err(StatsError::NoTrials);
    }
    Ok(())
}

/// Minimum detectable ratio: the smallest R > 1 at which Fisher's exact test of the
/// compared group (n1 trials, rate R·p0) against the reference (n0 trials, rate p0) at
/// level `alpha` has power >= `target_power` (0.8 in docs/metrics.md). `alternative` is
/// `Greater` (one-sided, "higher than the reference") or `TwoSided`.
///
/// Exact enumeration of the two binomials (see [`exact_power`]) when its cost
/// (outcomes of each binomial within 9 sd, times the length of a Fisher sum) is at most
/// 5e7; above that, the arcsine approximation, solved in closed form:
/// asin√p1 = asin√p0 + (z_crit + z_power)·sqrt(1/n0 + 1/n1)/2. The result says which.
///
/// The exact search scans R on a geometric grid of step 2% from 1 up to 1/p0 (rate 1)
/// and refines the first grid step where power reaches the target by bisection to 1e-6
/// relative. For the one-sided test power rises with R (each rejection region is an upper
/// set in x1, proven by the stochastic order of the conditional law), so the result is
/// the smallest such R; for the two-sided test the lower-tail part of the power falls
/// with R, so power could dip within one grid step, an effect far below the step.
pub fn minimum_detectable_ratio(
    p0: f64,
    n0: u64,
    n1: u64,
    alpha: f64,
    target_power: f64,
    alternative: Alternative,
) -> Result<MinimumDetectableRatio, StatsError> {
    minimum_detectable_ratio_within(p0, n0, n1, alpha, target_power, alternative, EXACT_BUDGET)
}

/// [`minimum_detectable_ratio`] with exact enumeration only up to `budget` (same cost
/// units as [`EXACT_BUDGET`]; about 1e5 per millisecond), for callers that need many
/// figures quickly, such as a table of every group at every threshold.
pub fn minimum_detectable_ratio_within(
    p0: f64,
    n0: u64,
    n1: u64,
    alpha: f64,
    target_power: f64,
    alternative: Alternative,
    budget: f64,
) -> Result<MinimumDetectableRatio, StatsError> {
    validate(p0, n0, n1, alpha)?;
    if !(target_power > 0.0 && target_power < 1.0) {
        return Err(StatsError::InvalidConfidence(target_power));
    }
    let w0 = width(n0, p0);
    let w1 = width(n1, (4.0_f64 * p0).min(0.5));
    let cost = w0 * w1 * (w0 + w1);
    let r_max = 1.0 / p0;
    if cost > budget {
        let z = critical(alpha, alternative) + normal_quantile(target_power);
        let phi1 = p0.sqrt().asin() + z * (1.0 / n0 as f64 + 1.0 / n1 as f64).sqrt() / 2.0;
        if phi1 >= std::f64::consts::FRAC_PI_2 {
            return Ok(MinimumDetectableRatio { ratio: None, power: 0.0, method: PowerMethod::ArcsineApproximation });
        }
        let ratio = phi1.sin().powi(2) / p0;
        let power = arcsine_power(p0, n0, n1, ratio, alpha, alternative);
        return Ok(MinimumDetectableRatio { ratio: Some(ratio), power, method: PowerMethod::ArcsineApproximation });
    }
    let mut e = ExactPower { p0, n0, n1, alpha, alternative, reference: binomial_support(n0, p0), reject: Vec::new() };
    let mut prev = 1.0_f64;
    loop {
        let r = (prev * 1.02).min(r_max);
        let pw = e.power(r);
        if pw >= target_power {
            let (mut lo, mut hi, mut hi_power) = (prev, r, pw);
            while hi - lo > 1e-6 * hi {
                let mid = 0.5 * (lo + hi);
                let pm = e.power(mid);
                if pm >= target_power {
                    hi = mid;
                    hi_power = pm;
                } else {
                    lo = mid;
                }
            }
            return Ok(MinimumDetectableRatio {
                ratio: Some(hi),
                power: hi_power,
                method: PowerMethod::ExactEnumeration,
            });
        }
        if r >= r_max {
            return Ok(MinimumDetectableRatio { ratio: None, power: 0.0, method: PowerMethod::ExactEnumeration });
        }
        prev = r;
    }
}

/// Upper binomial tail P(X >= x), X ~ Bin(n, p) = I_p(x, n - x + 1).
pub fn binomial_sf_inclusive(x: u64, n: u64, p: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n {
        return 0.0;
    }
    beta_inc(x as f64, (n - x + 1) as f64, p).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_rises_with_ratio_and_mdr_reaches_target() {
        let m = minimum_detectable_ratio(0.05, 200, 200, 0.05, 0.8, Alternative::Greater).unwrap();
        assert_eq!(m.method, PowerMethod::ExactEnumeration);
        let r = m.ratio.unwrap();
        assert!(m.power >= 0.8);
        let below = exact_power(0.05, 200, 200, r * 0.999, 0.05, Alternative::Greater).unwrap();
        assert!(below < 0.8, "{r} {below}");
        // Roughly what the arcsine approximation says.
        let approx = arcsine_power(0.05, 200, 200, r, 0.05, Alternative::Greater);
        assert!((approx - 0.8).abs() < 0.1, "{approx}");
    }

    #[test]
    fn large_samples_fall_back_to_arcsine() {
        let m = minimum_detectable_ratio(1e-3, 10_000_000, 10_000_000, 0.05, 0.8, Alternative::TwoSided).unwrap();
        assert_eq!(m.method, PowerMethod::ArcsineApproximation);
        assert!((m.power - 0.8).abs() < 1e-9);
        let r = m.ratio.unwrap();
        assert!(r > 1.0 && r < 1.1);
    }

    #[test]
    fn binomial_tail_small_case() {
        // P(X >= 2), X ~ Bin(3, 0.5) = 0.5
        assert!((binomial_sf_inclusive(2, 3, 0.5) - 0.5).abs() < 1e-14);
    }
}
