//! Planning a test (docs/metrics.md, "Planning"): how many trials per group are
//! needed to detect a given ratio of error rates between two groups, and, for counts
//! already observed, which ratios a test could have detected.
//!
//! The test planned for is the one verity runs between a group and the reference group:
//! Fisher's exact test at level `alpha` (`stats::exact_two_proportion`). Its power is
//! computed exactly by enumeration (`stats::power::exact_power`) where that is affordable,
//! and otherwise by seeded simulation of the two binomials followed by the same exact
//! test, so the answer never rests on the normal approximation alone. The arcsine
//! formula (Cohen 1988, "Statistical power analysis for the behavioral sciences", ch. 6)
//! only gives the starting point of the search.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::differential::lowest_rate_index;
use crate::model::rate::Rate;
use crate::stats::power::exact_power;
use crate::stats::special::normal_quantile;
use crate::stats::{Alternative, PowerMethod, StatsError, exact_two_proportion, minimum_detectable_ratio};

/// Largest enumeration cost (outcomes of each binomial within 9 sd, times the length of a
/// Fisher sum, as in `stats::power`) for which power is computed exactly.
const EXACT_BUDGET: f64 = 5e7;

/// No plan asks for more than this many trials per group.
pub const MAX_TRIALS: u64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanningError {
    #[error("ratio {0} must be greater than 1 (the compared group's rate over the reference's)")]
    InvalidRatio(f64),
    #[error("base rate {0} times ratio {1} is {2}, which is not below 1")]
    RateTimesRatio(f64, f64, f64),
    #[error("power {0} is not strictly between 0 and 1")]
    InvalidPower(f64),
    #[error("the test is one-sided 'greater' or two-sided; 'less' is not planned for")]
    UnsupportedAlternative,
    #[error("more than {MAX_TRIALS} trials per group would be needed (the arcsine approximation says {0})")]
    TooManyTrials(f64),
    #[error("the number of simulation replicates must be positive")]
    NoReplicates,
    #[error(transparent)]
    Stats(#[from] StatsError),
}

/// How a power figure behind a plan was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PlanningMethod {
    /// Exact: enumeration of both binomials, each outcome tested with Fisher's exact test.
    Exact,
    /// Seeded simulation: `replicates` pairs of binomial counts, each tested with Fisher's
    /// exact test; the same seed at every n (common random numbers).
    Simulation { replicates: u64, seed: u64 },
    /// The arcsine normal approximation (only for minimum detectable ratios on very large
    /// counts, as `stats::power::minimum_detectable_ratio` documents).
    ArcsineApproximation,
}

/// What to plan for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSizeRequest {
    /// Error rate p of the reference group (e.g. its FPIR).
    pub base_rate: f64,
    /// Ratio R > 1 to detect: the compared group's rate is R·p.
    pub ratio: f64,
    /// Significance level of the test.
    pub alpha: f64,
    /// Target power 1 - beta.
    pub power: f64,
    /// `TwoSided` or `Greater` ("the compared group is higher").
    pub alternative: Alternative,
    /// Replicates and seed for simulated power, used when enumeration costs too much.
    pub replicates: u64,
    pub seed: u64,
}

impl SampleSizeRequest {
    /// Defaults of `verity plan`: two-sided, 2,000 replicates, seed 20261123.
    pub fn new(base_rate: f64, ratio: f64, alpha: f64, power: f64) -> Self {
        SampleSizeRequest {
            base_rate,
            ratio,
            alpha,
            power,
            alternative: Alternative::TwoSided,
            replicates: 2000,
            seed: 20261123,
        }
    }
}

/// Trials needed in each of two groups (equal sizes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleSize {
    pub base_rate: f64,
    pub ratio: f64,
    pub alpha: f64,
    pub target_power: f64,
    pub alternative: &'static str,
    /// Smallest n found with power(n) >= target and power(n - 1) < target.
    pub trials_per_group: u64,
    /// Power at `trials_per_group` by `method`.
    pub achieved_power: f64,
    /// Monte Carlo standard error of `achieved_power` (simulation only).
    pub power_standard_error: Option<f64>,
    pub method: PlanningMethod,
    /// The arcsine approximation's answer, the search's starting point.
    pub arcsine_trials_per_group: u64,
    pub note: &'static str,
}

pub(crate) fn alternative_name(a: Alternative) -> &'static str {
    match a {
        Alternative::TwoSided => "two-sided",
        Alternative::Greater => "one-sided (greater)",
        Alternative::Less => "one-sided (less)",
    }
}

fn critical(alpha: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::TwoSided => normal_quantile(1.0 - alpha / 2.0),
        _ => normal_quantile(1.0 - alpha),
    }
}

/// Arcsine (Cohen's h) trials per group for two equal groups:
/// n = 2 ((z_crit + z_power) / h)², h = 2 asin√(Rp) - 2 asin√p. statsmodels
/// `NormalIndPower().solve_power(proportion_effectsize(Rp, p), ...)` gives the same
/// (to 1e-8 one-sided; two-sided it also counts the far tail, a few 1e-6 relative).
pub fn arcsine_trials_per_group(p: f64, ratio: f64, alpha: f64, power: f64, alternative: Alternative) -> f64 {
    let h = 2.0 * (ratio * p).sqrt().asin() - 2.0 * p.sqrt().asin();
    let z = critical(alpha, alternative) + normal_quantile(power);
    2.0 * (z / h).powi(2)
}

/// Enumeration cost at n trials per group, as `stats::power` estimates it.
fn exact_cost(p0: f64, p1: f64, n: u64) -> f64 {
    let width = |p: f64| 2.0 * 9.0 * (n as f64 * p * (1.0 - p)).sqrt() + 3.0;
    let (w0, w1) = (width(p0), width(p1));
    w0 * w1 * (w0 + w1)
}

/// Replicates and seed of a simulated power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simulation {
    pub replicates: u64,
    pub seed: u64,
}

/// Power of Fisher's exact test by seeded simulation: each replicate draws x0 ~ Bin(n0,
/// p0) and x1 ~ Bin(n1, R·p0) from its own ChaCha8 stream (seed, replicate), so the result
/// does not depend on the number of threads. Returns (power, standard error).
pub fn simulated_power(
    p0: f64,
    n0: u64,
    n1: u64,
    ratio: f64,
    alpha: f64,
    alternative: Alternative,
    sim: Simulation,
) -> Result<(f64, f64), PlanningError> {
    let Simulation { replicates, seed } = sim;
    if replicates == 0 {
        return Err(PlanningError::NoReplicates);
    }
    let p1 = (ratio * p0).min(1.0);
    let b0 = Binomial::new(n0, p0).map_err(|_| StatsError::InvalidRate(p0))?;
    let b1 = Binomial::new(n1, p1).map_err(|_| StatsError::InvalidRate(p1))?;
    let rejected: u64 = (0..replicates)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i);
            let (x0, x1) = (b0.sample(&mut rng), b1.sample(&mut rng));
            u64::from(exact_two_proportion(x1, n1, x0, n0, alternative).is_ok_and(|p| p <= alpha))
        })
        .sum();
    let power = rejected as f64 / replicates as f64;
    Ok((power, (power * (1.0 - power) / replicates as f64).sqrt()))
}

/// Trials per group needed to detect a rate ratio R at level alpha with the target power,
/// for reference rate p (docs/metrics.md, "Planning"), both groups of equal size.
///
/// Search: start at the arcsine answer n_a; step by 15% up (or down) until power crosses
/// the target, then bisect on integers to an n with power(n) >= target > power(n - 1).
/// Power is exact (enumeration) when its cost at the bracket's upper end is within budget,
/// else simulated with the request's seed at every n. The exact power of Fisher's test
/// is a saw-tooth in n, so a slightly smaller n below a previous tooth may also reach the
/// target; the answer is the crossing next to the arcsine start, which is what a planner
/// can rely on for every larger n up to the next tooth.
pub fn trials_per_group(req: &SampleSizeRequest) -> Result<SampleSize, PlanningError> {
    let SampleSizeRequest { base_rate: p, ratio, alpha, power, alternative, replicates, seed } = *req;
    if !(p > 0.0 && p < 1.0) {
        return Err(StatsError::InvalidRate(p).into());
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(alpha).into());
    }
    if !(power > 0.0 && power < 1.0) {
        return Err(PlanningError::InvalidPower(power));
    }
    if ratio.is_nan() || ratio <= 1.0 || ratio.is_infinite() {
        return Err(PlanningError::InvalidRatio(ratio));
    }
    if ratio * p >= 1.0 {
        return Err(PlanningError::RateTimesRatio(p, ratio, ratio * p));
    }
    if alternative == Alternative::Less {
        return Err(PlanningError::UnsupportedAlternative);
    }
    if replicates == 0 {
        return Err(PlanningError::NoReplicates);
    }
    let approx = arcsine_trials_per_group(p, ratio, alpha, power, alternative);
    if approx > MAX_TRIALS as f64 / 2.0 {
        return Err(PlanningError::TooManyTrials(approx));
    }
    let start = (approx.ceil() as u64).max(2);
    let exact = exact_cost(p, ratio * p, start.saturating_mul(2)) <= EXACT_BUDGET;
    let method = if exact { PlanningMethod::Exact } else { PlanningMethod::Simulation { replicates, seed } };
    let power_at = |n: u64| -> Result<f64, PlanningError> {
        if exact {
            Ok(exact_power(p, n, n, ratio, alpha, alternative)?)
        } else {
            Ok(simulated_power(p, n, n, ratio, alpha, alternative, Simulation { replicates, seed })?.0)
        }
    };
    // Bracket [lo, hi] with power(lo) < target <= power(hi).
    let (mut lo, mut hi);
    let p_start = power_at(start)?;
    let mut hi_power;
    if p_start >= power {
        hi = start;
        hi_power = p_start;
        lo = start;
        loop {
            if lo <= 1 {
                lo = 0;
                break;
            }
            lo = ((lo as f64 / 1.15).floor() as u64).min(lo - 1);
            let pw = power_at(lo)?;
            if pw < power {
                break;
            }
            hi = lo;
            hi_power = pw;
        }
    } else {
        lo = start;
        loop {
            hi = ((lo as f64 * 1.15).ceil() as u64).max(lo + 1);
            if hi > MAX_TRIALS {
                return Err(PlanningError::TooManyTrials(approx));
            }
            hi_power = power_at(hi)?;
            if hi_power >= power {
                break;
            }
            lo = hi;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let pw = power_at(mid)?;
        if pw >= power {
            hi = mid;
            hi_power = pw;
        } else {
            lo = mid;
        }
    }
    let se = (!exact).then(|| (hi_power * (1.0 - hi_power) / replicates as f64).sqrt());
    Ok(SampleSize {
        base_rate: p,
        ratio,
        alpha,
        target_power: power,
        alternative: alternative_name(alternative),
        trials_per_group: hi,
        achieved_power: hi_power,
        power_standard_error: se,
        method,
        arcsine_trials_per_group: start,
        note: "trials are independent Bernoulli trials per group (e.g. non-mated searches for FPIR); searches \
               that share subjects are correlated, so plan for more subjects than this when each subject \
               contributes many trials",
    })
}

/// One group's minimum detectable ratio against the reference group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectableRatio {
    pub group: String,
    pub rate: Rate,
    /// Smallest ratio (group rate / base rate) detectable with the target power; `None`
    /// for the reference group itself or when not even a rate of 1 would be detected.
    pub minimum_detectable_ratio: Option<f64>,
    pub power: Option<f64>,
    pub method: Option<PlanningMethod>,
    /// When `method` is the arcsine approximation: the power of Fisher's exact test at
    /// `minimum_detectable_ratio` by seeded simulation, and its standard error, so the
    /// approximation is checked against the real test.
    pub simulated_power: Option<f64>,
    pub simulated_power_se: Option<f64>,
    pub note: Option<String>,
}

/// Which ratios a test with the observed counts could have detected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectabilityTable {
    pub alpha: f64,
    pub target_power: f64,
    pub alternative: &'static str,
    /// The group with the lowest rate (ties to more trials).
    pub reference: Option<String>,
    /// The rate the ratios are relative to.
    pub base_rate: Option<f64>,
    /// Where `base_rate` came from, in words.
    pub base_rate_source: String,
    pub groups: Vec<DetectableRatio>,
    /// Groups with no trials.
    pub excluded_groups: Vec<String>,
}

/// Minimum detectable ratio of each group against the lowest-rate group, with the counts
/// observed: the smallest R at which Fisher's exact test of the group's trial count
/// against the reference's, at level alpha, reaches the target power when the group's
/// true rate is R times the base rate (`stats::power::minimum_detectable_ratio`: exact
/// enumeration, arcsine approximation above its budget, as its result says). Where the
/// arcsine approximation was used, the power of the exact test at that ratio is checked
/// by seeded simulation (`simulation`) and reported beside it.
///
/// The base rate is the reference group's observed rate; when that is 0 (common for
/// FPIR), the pooled rate of all groups is used instead and said so, because a ratio to
/// a rate of 0 is undefined. When no group has any error, no ratio is defined.
pub fn detectable_ratios(
    groups: &[(String, Rate)],
    alpha: f64,
    power: f64,
    alternative: Alternative,
    simulation: Simulation,
) -> Result<DetectabilityTable, PlanningError> {
    if !(power > 0.0 && power < 1.0) {
        return Err(PlanningError::InvalidPower(power));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(StatsError::InvalidAlpha(alpha).into());
    }
    let defined: Vec<(String, Rate)> = groups.iter().filter(|(_, r)| r.denominator > 0).cloned().collect();
    let excluded = groups.iter().filter(|(_, r)| r.denominator == 0).map(|(g, _)| g.clone()).collect();
    let reference = lowest_rate_index(&defined);
    let (errors, trials) = defined.iter().fold((0u64, 0u64), |(k, n), (_, r)| (k + r.numerator, n + r.denominator));
    let (base_rate, source) = match reference.map(|i| defined[i].1) {
        None => (None, "no group has any trials".to_string()),
        Some(r) if r.numerator > 0 => (r.value(), "the reference group's observed rate".to_string()),
        Some(_) if errors > 0 => (
            Some(errors as f64 / trials as f64),
            format!("the pooled rate of all groups ({errors} of {trials}), because the reference group has no errors"),
        ),
        Some(_) => {
            let bound = crate::stats::zero_error_upper_bound(trials, 0.95)?;
            let words = format!(
                "no group has any errors (0 of {trials} pooled; the rate is at most {bound:.3e} at 95%), \
                 so no ratio is defined"
            );
            (None, words)
        }
    };
    let mut rows = Vec::new();
    for (i, (g, r)) in defined.iter().enumerate() {
        let mut row = DetectableRatio {
            group: g.clone(),
            rate: *r,
            minimum_detectable_ratio: None,
            power: None,
            method: None,
            simulated_power: None,
            simulated_power_se: None,
            note: None,
        };
        let n0 = reference.map(|j| defined[j].1.denominator).unwrap_or(0);
        match base_rate {
            _ if Some(i) == reference => row.note = Some("reference group".to_string()),
            None => row.note = Some(source.clone()),
            Some(p0) if p0 >= 1.0 => row.note = Some("the base rate is 1: no higher rate exists".to_string()),
            Some(p0) => {
                let m = minimum_detectable_ratio(p0, n0, r.denominator, alpha, power, alternative)?;
                row.minimum_detectable_ratio = m.ratio;
                row.power = m.ratio.map(|_| m.power);
                row.method = Some(match m.method {
                    PowerMethod::ExactEnumeration => PlanningMethod::Exact,
                    PowerMethod::ArcsineApproximation => PlanningMethod::ArcsineApproximation,
                });
                if let (Some(ratio), PowerMethod::ArcsineApproximation) = (m.ratio, m.method) {
                    let (pw, se) = simulated_power(p0, n0, r.denominator, ratio, alpha, alternative, simulation)?;
                    row.simulated_power = Some(pw);
                    row.simulated_power_se = Some(se);
                }
                if m.ratio.is_none() {
                    row.note = Some("not detectable even at a rate of 1 with these counts".to_string());
                }
            }
        }
        rows.push(row);
    }
    Ok(DetectabilityTable {
        alpha,
        target_power: power,
        alternative: alternative_name(alternative),
        reference: reference.map(|i| defined[i].0.clone()),
        base_rate,
        base_rate_source: source,
        groups: rows,
        excluded_groups: excluded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from `harness/tests/fixtures/make_differential_fixtures.py` (statsmodels).
    #[test]
    fn arcsine_start_matches_statsmodels() {
        let text = include_str!("../../tests/fixtures/projection_reference.txt");
        let mut n = 0;
        for line in text.lines().filter(|l| l.starts_with("arcsine")) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap();
            let alt = if f[5] == "larger" { Alternative::Greater } else { Alternative::TwoSided };
            let got = arcsine_trials_per_group(num(1), num(2), num(3), num(4), alt);
            // statsmodels' two-sided power adds the far tail Φ(-h√(n/2) - z) (~1e-6 here),
            // which the closed form leaves out; one-sided they agree to statsmodels' root-finder tolerance.
            let tol = if alt == Alternative::Greater { 1e-8 } else { 1e-5 };
            assert!((got - num(6)).abs() <= tol * num(6), "{line}: {got}");
            n += 1;
        }
        assert!(n >= 4);
    }

    #[test]
    fn exact_plan_is_a_crossing_of_the_exact_power() {
        // p = 0.05, R = 3, one-sided: arcsine says ~ 115 per group.
        let mut req = SampleSizeRequest::new(0.05, 3.0, 0.05, 0.8);
        req.alternative = Alternative::Greater;
        let s = trials_per_group(&req).unwrap();
        assert_eq!(s.method, PlanningMethod::Exact);
        let n = s.trials_per_group;
        assert!(s.achieved_power >= 0.8);
        let below = exact_power(0.05, n - 1, n - 1, 3.0, 0.05, Alternative::Greater).unwrap();
        assert!(below < 0.8, "{n}: {below}");
        // Fisher's test is conservative: it needs more than the normal approximation.
        assert!(n as f64 >= 0.9 * s.arcsine_trials_per_group as f64, "{n} vs {}", s.arcsine_trials_per_group);
        assert!(n < 3 * s.arcsine_trials_per_group);
    }

    #[test]
    fn large_plans_are_simulated_and_reproducible() {
        // p = 0.05, R = 1.25 two-sided at 0.05: arcsine ~ 7000 per group, too costly to enumerate.
        let mut req = SampleSizeRequest::new(0.05, 1.25, 0.05, 0.8);
        req.replicates = 400;
        let a = trials_per_group(&req).unwrap();
        assert_eq!(a.method, PlanningMethod::Simulation { replicates: 400, seed: 20261123 });
        assert_eq!(a, trials_per_group(&req).unwrap());
        let se = a.power_standard_error.unwrap();
        assert!(se > 0.0 && se < 0.03);
        let ratio = a.trials_per_group as f64 / a.arcsine_trials_per_group as f64;
        assert!((0.8..1.3).contains(&ratio), "{ratio}");
    }

    #[test]
    fn simulated_power_agrees_with_exact_power() {
        let exact = exact_power(0.1, 200, 200, 2.0, 0.05, Alternative::TwoSided).unwrap();
        let (sim, se) =
            simulated_power(0.1, 200, 200, 2.0, 0.05, Alternative::TwoSided, Simulation { replicates: 4000, seed: 1 })
                .unwrap();
        assert!((sim - exact).abs() < 4.0 * se, "{sim} vs {exact} (se {se})");
    }

    #[test]
    fn bad_requests_are_refused() {
        let bad = |p: f64, r: f64, a: f64, pw: f64| trials_per_group(&SampleSizeRequest::new(p, r, a, pw)).is_err();
        assert!(bad(0.0, 2.0, 0.05, 0.8));
        assert!(bad(0.01, 1.0, 0.05, 0.8));
        assert!(bad(0.01, 0.5, 0.05, 0.8));
        assert!(bad(0.6, 2.0, 0.05, 0.8));
        assert!(bad(0.01, 2.0, 1.5, 0.8));
        assert!(bad(0.01, 2.0, 0.05, 1.0));
        assert!(matches!(
            trials_per_group(&SampleSizeRequest::new(1e-12, 1.0001, 0.05, 0.8)),
            Err(PlanningError::TooManyTrials(_))
        ));
    }

    const SIM: Simulation = Simulation { replicates: 1000, seed: 7 };

    #[test]
    fn large_counts_check_the_arcsine_ratio_by_simulation() {
        let groups =
            vec![("a".to_string(), Rate::new(10_000, 10_000_000)), ("b".to_string(), Rate::new(10_500, 10_000_000))];
        let t = detectable_ratios(&groups, 0.05, 0.8, Alternative::TwoSided, SIM).unwrap();
        let b = &t.groups[1];
        assert_eq!(b.method, Some(PlanningMethod::ArcsineApproximation));
        let (pw, se) = (b.simulated_power.unwrap(), b.simulated_power_se.unwrap());
        // With ~1e4 errors per group the normal approximation is good: the exact test's
        // simulated power at the arcsine ratio is near the target.
        assert!((pw - 0.8).abs() < 4.0 * se + 0.02, "{pw} ± {se}");
        assert!(t.groups[0].simulated_power.is_none());
    }

    #[test]
    fn detectable_ratios_against_the_lowest_group() {
        let groups = vec![
            ("a".to_string(), Rate::new(10, 400)),
            ("b".to_string(), Rate::new(20, 400)),
            ("c".to_string(), Rate::new(0, 0)),
        ];
        let t = detectable_ratios(&groups, 0.05, 0.8, Alternative::TwoSided, SIM).unwrap();
        assert_eq!(t.reference.as_deref(), Some("a"));
        assert_eq!(t.base_rate, Some(0.025));
        assert_eq!(t.excluded_groups, vec!["c".to_string()]);
        assert_eq!(t.groups[0].note.as_deref(), Some("reference group"));
        let m = minimum_detectable_ratio(0.025, 400, 400, 0.05, 0.8, Alternative::TwoSided).unwrap();
        assert_eq!(t.groups[1].minimum_detectable_ratio, m.ratio);
        assert!(m.ratio.unwrap() > 2.0);
    }

    #[test]
    fn zero_error_reference_uses_the_pooled_rate() {
        let groups = vec![("a".to_string(), Rate::new(0, 300)), ("b".to_string(), Rate::new(6, 300))];
        let t = detectable_ratios(&groups, 0.05, 0.8, Alternative::TwoSided, SIM).unwrap();
        assert_eq!(t.base_rate, Some(0.01));
        assert!(t.base_rate_source.contains("pooled"));
        assert!(t.groups[1].minimum_detectable_ratio.is_some());
        let none = vec![("a".to_string(), Rate::new(0, 300)), ("b".to_string(), Rate::new(0, 300))];
        let t = detectable_ratios(&none, 0.05, 0.8, Alternative::TwoSided, SIM).unwrap();
        assert_eq!(t.base_rate, None);
        assert!(t.groups[1].note.as_deref().unwrap().contains("no group has any errors"));
    }
}
