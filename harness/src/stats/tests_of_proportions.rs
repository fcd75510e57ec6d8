//! Tests of differences between groups' error rates: Fisher's exact test on a 2x2
//! table, the exact two-proportion comparison built on it, Pearson's chi-squared test of
//! homogeneity on an r x 2 table, and its seeded Monte Carlo exact version.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Hypergeometric as HypergeometricSampler};

use super::hypergeometric::Hypergeometric;
use super::special::chi_squared_sf;
use super::{StatsError, check_count};

/// The alternative hypothesis of a test, in scipy's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    TwoSided,
    /// The first group's rate (the table's top-left cell) is lower.
    Less,
    /// The first group's rate (the table's top-left cell) is higher.
    Greater,
}

/// Relative tolerance under which two hypergeometric probabilities count as tied in the
/// two-sided Fisher test. scipy uses 1e-14 on its own pmf values; ours are accurate to
/// ~1e-14, so a hair looser keeps exact ties (symmetric margins) tied. Two distinct pmf
/// values differ by at least ~1/variance relative (>= 4e-9 for N <= 4e9), so this
/// cannot merge values that are truly different.
const TIE_TOLERANCE: f64 = 1e-12;

/// Fisher's exact test (Fisher 1935, "The logic of inductive inference") of a 2x2 table
/// `[[a, b], [c, d]]`, conditioning on both margins: X = a is hypergeometric.
/// `Less` is P(X <= a), `Greater` is P(X >= a); `TwoSided` sums the probabilities of all
/// tables no more likely than the observed one (the "minimum likelihood" rule), exactly
/// as `scipy.stats.fisher_exact` (including its short-cut to 1 when the observed table is
/// the mode). A table with an empty row or column gives p = 1, as scipy.
///
/// Works for counts up to ~1e9 and more: probabilities are computed in log space by
/// Loader's method and each tail sums only the terms above a cutoff that cannot move the
/// result by more than 1e-17 relative (see [`Hypergeometric`]).
pub fn fisher_exact(table: [[u64; 2]; 2], alternative: Alternative) -> f64 {
    let [[a, b], [c, d]] = table;
    let (row1, row2, col1, col2) = (a + b, c + d, a + c, b + d);
    if row1 == 0 || row2 == 0 || col1 == 0 || col2 == 0 {
        return 1.0;
    }
    let h = Hypergeometric::new(col1, col2, row1);
    let p = match alternative {
        Alternative::Less => h.ln_cdf(a).exp(),
        Alternative::Greater => h.ln_sf_inclusive(a).exp(),
        Alternative::TwoSided => fisher_two_sided(&h, a),
    };
    p.min(1.0)
}

fn fisher_two_sided(h: &Hypergeometric, a: u64) -> f64 {
    let mode = h.mode();
    let ln_obs = h.ln_pmf(a);
    let ln_mode = h.ln_pmf(mode);
    let ln_tol = TIE_TOLERANCE.ln_1p();
    if ln_mode - ln_obs <= ln_tol {
        return 1.0;
    }
    let threshold = ln_obs + ln_tol;
    if a < mode {
        // Other side: the pmf falls on (mode, max]; find the first y with pmf <= threshold.
        let near = h.ln_cdf(a).exp();
        if h.ln_pmf(h.max()) > threshold {
            return near;
        }
        let (mut lo, mut hi) = (mode, h.max()); // pmf(lo) > threshold >= pmf(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if h.ln_pmf(mid) > threshold { lo = mid } else { hi = mid }
        }
        near + h.ln_sf_inclusive(hi).exp()
    } else {
        let near = h.ln_sf_inclusive(a).exp();
        if h.ln_pmf(h.min()) > threshold {
            return near;
        }
        let (mut lo, mut hi) = (h.min(), mode); // pmf(lo) <= threshold < pmf(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if h.ln_pmf(mid) > threshold { hi = mid } else { lo = mid }
        }
        near + h.ln_cdf(lo).exp()
    }
}

/// Exact test that group 1 (k1 errors in n1 trials) and group 2 (k2 of n2) share one
/// error rate: Fisher's exact test on `[[k1, n1 - k1], [k2, n2 - k2]]`, so `Greater`
/// means "group 1's rate is higher". Same p-value as
/// `scipy.stats.fisher_exact([[k1, n1-k1], [k2, n2-k2]], alternative)`.
pub fn exact_two_proportion(k1: u64, n1: u64, k2: u64, n2: u64, alternative: Alternative) -> Result<f64, StatsError> {
    check_count(k1, n1)?;
    check_count(k2, n2)?;
    Ok(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative))
}

/// Result of Pearson's chi-squared test of homogeneity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquared {
    pub statistic: f64,
    /// Degrees of freedom, groups - 1.
    pub dof: u64,
    pub p_value: f64,
    /// Smallest expected cell count under homogeneity; below 5 the chi-squared
    /// approximation is doubtful and [`monte_carlo_homogeneity`] should be used
    /// (docs/metrics.md).
    pub min_expected: f64,
    /// Whether Yates' continuity correction was applied.
    pub yates: bool,
}

fn expected_counts(errors: &[u64], totals: &[u64]) -> Result<(Vec<[f64; 2]>, f64), StatsError> {
    if errors.len() != totals.len() {
        return Err(StatsError::LengthMismatch(errors.len(), totals.len()));
    }
    if errors.len() < 2 {
        return Err(StatsError::TooFewGroups(errors.len()));
    }
    for (&k, &n) in errors.iter().zip(totals) {
        if k > n {
            return Err(StatsError::CountExceedsTotal { count: k, total: n });
        }
    }
    let n_all: u64 = totals.iter().sum();
    let k_all: u64 = errors.iter().sum();
    let (nf, kf, jf) = (n_all as f64, k_all as f64, (n_all - k_all) as f64);
    // As scipy.stats.contingency.expected_freq: row sum * column sum / total.
    let expected: Vec<[f64; 2]> = totals.iter().map(|&n| [n as f64 * kf / nf, n as f64 * jf / nf]).collect();
    let min = expected.iter().flat_map(|e| e.iter().copied()).fold(f64::INFINITY, f64::min);
    if min.is_nan() || min <= 0.0 {
        return Err(StatsError::ZeroExpectedCount);
    }
    Ok((expected, min))
}

fn pearson_statistic(errors: &[u64], totals: &[u64], expected: &[[f64; 2]], yates: bool) -> f64 {
    let mut stat = 0.0;
    for ((&k, &n), e) in errors.iter().zip(totals).zip(expected) {
        for (o, e) in [(k as f64, e[0]), ((n - k) as f64, e[1])] {
            let mut diff = o - e;
            if yates {
                // scipy: move each observed count toward its expectation by at most 0.5.
                diff = diff.signum() * (diff.abs() - diff.abs().min(0.5));
            }
            stat += diff * diff / e;
        }
    }
    stat
}

/// Pearson's chi-squared test (Pearson 1900) that every group has the same error rate,
/// on the r x 2 table of errors and non-errors per group (`errors[i]` of `totals[i]`).
/// With `yates_if_2x2` set, Yates' continuity correction is applied when dof = 1 (two
/// groups) and never otherwise: this is scipy's default
/// (`scipy.stats.chi2_contingency(table)`, `correction=True`, which only corrects when
/// dof = 1); with it unset the result is `chi2_contingency(table, correction=False)`.
/// Errors when an expected count is zero (scipy raises there too).
pub fn chi_squared_homogeneity(errors: &[u64], totals: &[u64], yates_if_2x2: bool) -> Result<ChiSquared, StatsError> {
    let (expected, min_expected) = expected_counts(errors, totals)?;
    let dof = (errors.len() - 1) as u64;
    let yates = yates_if_2x2 && dof == 1;
    let statistic = pearson_statistic(errors, totals, &expected, yates);
    let p_value = chi_squared_sf(statistic, dof as f64);
    Ok(ChiSquared { statistic, dof, p_value, min_expected, yates })
}

/// Result of the Monte Carlo exact test of homogeneity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarlo {
    /// Observed Pearson statistic (no continuity correction).
    pub statistic: f64,
    /// (1 + exceed) / (1 + replicates).
    pub p_value: f64,
    /// Simulated tables whose statistic reached the observed one.
    pub exceed: u64,
    pub replicates: u64,
    pub seed: u64,
}

/// Monte Carlo exact test of homogeneity, for when an expected count is below 5 (Hope
/// 1968; the method of R's `chisq.test(simulate.p.value = TRUE)`, Patefield-style
/// sampling of tables with both margins fixed). Under the null every assignment of the
/// observed errors to the trials is equally likely, so each replicate draws the errors
/// of group i as hypergeometric given those left for groups i.. (exactly the
/// multivariate hypergeometric law of a permutation). The statistic is Pearson's;
/// a replicate counts when it reaches the observed value within 64 ulps (as R, so that
/// ties are not lost to rounding); p = (1 + #{stat >= observed}) / (1 + R), never 0.
/// Seeded with ChaCha8: the same seed gives the same p-value on every machine.
pub fn monte_carlo_homogeneity(
    errors: &[u64],
    totals: &[u64],
    replicates: u64,
    seed: u64,
) -> Result<MonteCarlo, StatsError> {
    if replicates == 0 {
        return Err(StatsError::NoReplicates);
    }
    let (expected, _) = expected_counts(errors, totals)?;
    let statistic = pearson_statistic(errors, totals, &expected, false);
    let threshold = statistic / (1.0 + 64.0 * f64::EPSILON);
    let n_all: u64 = totals.iter().sum();
    let k_all: u64 = errors.iter().sum();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sim = vec![0u64; errors.len()];
    let mut exceed = 0u64;
    // Drawing the smaller of the errors and the non-errors one at a time from the urn of
    // trials costs O(min(K, N - K)) per table: the common case here (few errors, which is
    // why the test is needed) is then fast whatever N is. Both ways sample the same
    // multivariate hypergeometric law.
    let drawn = k_all.min(n_all - k_all);
    let by_draws = drawn <= URN_DRAWS_MAX;
    let mut left = totals.to_vec();
    for _ in 0..replicates {
        if by_draws {
            left.copy_from_slice(totals);
            sim.iter_mut().for_each(|x| *x = 0);
            let mut remaining = n_all;
            for _ in 0..drawn {
                let mut u = rng.random_range(0..remaining);
                let mut g = 0;
                while u >= left[g] {
                    u -= left[g];
                    g += 1;
                }
                left[g] -= 1;
                sim[g] += 1;
                remaining -= 1;
            }
            if drawn != k_all {
                // The draws were the non-errors: errors are what is left of each group.
                for (x, &n) in sim.iter_mut().zip(totals) {
                    *x = n - *x;
                }
            }
        } else {
            sequential_hypergeometric(totals, n_all, k_all, &mut rng, &mut sim);
        }
        if pearson_statistic(&sim, totals, &expected, false) >= threshold {
            exceed += 1;
        }
    }
    Ok(MonteCarlo { statistic, p_value: (1 + exceed) as f64 / (1 + replicates) as f64, exceed, replicates, seed })
}

/// Above this many draws per table the sequential hypergeometric sampler is used.
const URN_DRAWS_MAX: u64 = 100_000;

/// One table with both margins fixed: the errors of group i are hypergeometric given
/// those left for groups i.. (the multivariate hypergeometric law of a permutation).
fn sequential_hypergeometric(totals: &[u64], n_all: u64, k_all: u64, rng: &mut ChaCha8Rng, sim: &mut [u64]) {
    let (mut n_left, mut k_left) = (n_all, k_all);
    let last = totals.len() - 1;
    for (i, &n) in totals.iter().enumerate() {
        let x = if i == last {
            k_left
        } else if k_left == 0 {
            0
        } else if k_left == n_left {
            n
        } else {
            // Parameters are valid by construction: n <= n_left, k_left <= n_left.
            match HypergeometricSampler::new(n_left, k_left, n) {
                Ok(d) => d.sample(rng),
                Err(_) => unreachable!("hypergeometric parameters are valid by construction"),
            }
        };
        sim[i] = x;
        n_left -= n;
        k_left -= x;
    }
}

/// The omnibus test of homogeneity docs/metrics.md asks for: Pearson's chi-squared
/// test (no continuity correction) when every expected count is at least 5, else the
/// seeded Monte Carlo exact test with `replicates` tables.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Homogeneity {
    ChiSquared(ChiSquared),
    /// The Monte Carlo test, with the chi-squared result whose smallest expected count
    /// (below 5) made it necessary.
    MonteCarlo(MonteCarlo, ChiSquared),
}

impl Homogeneity {
    pub fn p_value(&self) -> f64 {
        match self {
            Homogeneity::ChiSquared(c) => c.p_value,
            Homogeneity::MonteCarlo(m, _) => m.p_value,
        }
    }
}

/// Smallest expected count at which the chi-squared approximation is trusted
/// (Cochran 1954's rule, as docs/metrics.md).
pub const MIN_EXPECTED_FOR_CHI_SQUARED: f64 = 5.0;

/// Chi-squared test of homogeneity, or the Monte Carlo exact test when an expected count
/// is below [`MIN_EXPECTED_FOR_CHI_SQUARED`].
pub fn homogeneity(errors: &[u64], totals: &[u64], replicates: u64, seed: u64) -> Result<Homogeneity, StatsError> {
    let chi = chi_squared_homogeneity(errors, totals, false)?;
    if chi.min_expected >= MIN_EXPECTED_FOR_CHI_SQUARED {
        Ok(Homogeneity::ChiSquared(chi))
    } else {
        Ok(Homogeneity::MonteCarlo(monte_carlo_homogeneity(errors, totals, replicates, seed)?, chi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_tea_tasting() {
        // Fisher's lady tasting tea: [[3, 1], [1, 3]]; scipy: two-sided 0.48571428571428527,
        // greater 0.24285714285714283.
        let t = [[3, 1], [1, 3]];
        assert!((fisher_exact(t, Alternative::TwoSided) - 0.485_714_285_714_285).abs() < 1e-14);
        assert!((fisher_exact(t, Alternative::Greater) - 0.242_857_142_857_142_83).abs() < 1e-14);
        assert_eq!(fisher_exact([[0, 0], [3, 4]], Alternative::TwoSided), 1.0);
    }

    #[test]
    fn monte_carlo_is_reproducible_and_close_to_exact() {
        // Exact p-value of the Pearson-statistic test by enumerating the hypergeometric
        // law of the first group's errors; the Monte Carlo estimate must be within 4 SE.
        let (e, t) = ([1u64, 9], [200u64, 210]);
        let a = monte_carlo_homogeneity(&e, &t, 20_000, 7).unwrap();
        let b = monte_carlo_homogeneity(&e, &t, 20_000, 7).unwrap();
        assert_eq!(a, b);
        let (expected, _) = expected_counts(&e, &t).unwrap();
        let h = Hypergeometric::new(10, 400, 200);
        let exact: f64 = (0..=10u64)
            .filter(|&x| {
                pearson_statistic(&[x, 10 - x], &t, &expected, false) >= a.statistic / (1.0 + 64.0 * f64::EPSILON)
            })
            .map(|x| h.ln_pmf(x).exp())
            .sum();
        let se = (exact * (1.0 - exact) / 20_000.0).sqrt();
        assert!((a.p_value - exact).abs() < 4.0 * se + 1e-4, "{} {}", a.p_value, exact);
        let c = monte_carlo_homogeneity(&e, &t, 20_000, 8).unwrap();
        assert_ne!(a.exceed, c.exceed);
    }

    #[test]
    fn homogeneity_switches_to_monte_carlo_for_small_expected_counts() {
        let big = homogeneity(&[50, 70, 65], &[1000, 1000, 1000], 1000, 1).unwrap();
        assert!(matches!(big, Homogeneity::ChiSquared(_)));
        let small = homogeneity(&[0, 3, 1], &[1000, 1000, 1000], 1000, 1).unwrap();
        assert!(matches!(small, Homogeneity::MonteCarlo(..)));
        assert!(small.p_value() > 0.0 && small.p_value() <= 1.0);
    }

    #[test]
    fn chi_squared_rejects_degenerate_tables() {
        assert_eq!(chi_squared_homogeneity(&[0, 0], &[10, 10], false), Err(StatsError::ZeroExpectedCount));
        assert_eq!(chi_squared_homogeneity(&[1], &[10], false), Err(StatsError::TooFewGroups(1)));
    }
}
