//! McNemar's exact test for paired binary outcomes: two vendors on the same trials,
//! each trial an error or not for each (docs/design.md, "Outputs": paired tests on the same
//! searches).
//!
//! Only the discordant trials carry information about which vendor errs more: under
//! the null hypothesis that both err equally often, each of the b + c discordant trials
//! is equally likely to be "only A erred" or "only B erred", so b ~ Binomial(b + c, 1/2)
//! (McNemar 1947, "Note on the sampling error of the difference between correlated
//! proportions or percentages", Psychometrika 12; the exact form as statsmodels
//! `mcnemar(table, exact=True)`).

use super::power::binomial_sf_inclusive;
use serde::Serialize;

/// The paired 2x2 table of two vendors' outcomes on the same trials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PairedTable {
    /// Trials on which both vendors erred.
    pub both: u64,
    /// Trials on which only vendor A erred (McNemar's b).
    pub only_a: u64,
    /// Trials on which only vendor B erred (McNemar's c).
    pub only_b: u64,
    /// Trials on which neither erred.
    pub neither: u64,
}

impl PairedTable {
    /// Count one trial.
    pub fn add(&mut self, a_errs: bool, b_errs: bool) {
        match (a_errs, b_errs) {
            (true, true) => self.both += 1,
            (true, false) => self.only_a += 1,
            (false, true) => self.only_b += 1,
            (false, false) => self.neither += 1,
        }
    }

    /// Number of paired trials.
    pub fn trials(&self) -> u64 {
        self.both + self.only_a + self.only_b + self.neither
    }

    /// Errors of vendor A (both + only A).
    pub fn errors_a(&self) -> u64 {
        self.both + self.only_a
    }

    /// Errors of vendor B (both + only B).
    pub fn errors_b(&self) -> u64 {
        self.both + self.only_b
    }

    /// Trials on which exactly one vendor erred.
    pub fn discordant(&self) -> u64 {
        self.only_a + self.only_b
    }

    /// Two-sided exact McNemar p-value of this table ([`mcnemar_exact`]).
    pub fn mcnemar_exact(&self) -> f64 {
        mcnemar_exact(self.only_a, self.only_b)
    }
}

/// Two-sided exact McNemar p-value from the discordant counts `b` (only A errs) and `c`
/// (only B errs): p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2); p = 1 when
/// there is no discordant trial.
///
/// By the symmetry of Binomial(n, 1/2), P(X <= min) = P(X >= max), the upper tail
/// I_{1/2}(max, min + 1) of [`binomial_sf_inclusive`], which the incomplete beta
/// function computes directly (not as 1 minus the rest), so a tiny p keeps its
/// relative accuracy for any count (down to the underflow near 1e-308; b + c = 1e6 with
/// b = 0 gives 2^-999999, which is 0 in f64). Up to 100 discordant trials the tail is
/// summed exactly instead.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let (low, high) = if b <= c { (b, c) } else { (c, b) };
    if high - low <= 1 {
        // P(X <= low) >= 1/2 (exactly 1/2 when n is odd), so the doubled tail is at
        // least 1; returned exactly rather than as 1 - rounding.
        return 1.0;
    }
    if n <= EXACT_MAX_N {
        // Exactly: 2 sum_{j <= low} C(n, j) / 2^n in integers, rounded once.
        let (mut term, mut tail) = (1u128, 1u128);
        for j in 0..low {
            term = term * (n - j) as u128 / (j + 1) as u128;
            tail += term;
        }
        return (tail as f64 * 2f64.powi(1 - n as i32)).min(1.0);
    }
    (2.0 * binomial_sf_inclusive(high, n, 0.5)).min(1.0)
}

/// Up to this many discordant trials the p-value is summed exactly in integers
/// (C(100, 50) * 50 is far below u128's range), so small tables give exact values such
/// as 0.5 rather than 0.5 minus rounding.
const EXACT_MAX_N: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_small_cases() {
        // b = 0, c = 5: 2 * (1/2)^5 = 1/16.
        assert_eq!(mcnemar_exact(0, 5), 0.0625);
        assert_eq!(mcnemar_exact(5, 0), 0.0625);
        // b = 1, c = 4: 2 * (1 + 5) / 32 = 0.375.
        assert_eq!(mcnemar_exact(1, 4), 0.375);
        // b = 2, c = 8: 2 * (1 + 10 + 45) / 1024.
        assert_eq!(mcnemar_exact(2, 8), 112.0 / 1024.0);
        assert_eq!(mcnemar_exact(0, 2), 0.5);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(7, 7), 1.0);
        // b = 3, c = 4: 2 * P(X <= 3 | n = 7) = 1, capped.
        assert_eq!(mcnemar_exact(3, 4), 1.0);
    }

    #[test]
    fn exact_and_incomplete_beta_paths_agree_where_they_meet() {
        for n in [90u64, 100, 101, 110] {
            for low in [0, 1, 10, 30, 44] {
                let exact_sum = mcnemar_exact(low, n - low);
                let by_beta = (2.0 * binomial_sf_inclusive(n - low, n, 0.5)).min(1.0);
                assert!((exact_sum - by_beta).abs() <= 1e-12 * by_beta, "n={n} low={low}");
            }
        }
    }

    #[test]
    fn table_counts() {
        let mut t = PairedTable::default();
        for (a, b) in [(true, true), (true, false), (false, true), (false, true), (false, false)] {
            t.add(a, b);
        }
        assert_eq!(t, PairedTable { both: 1, only_a: 1, only_b: 2, neither: 1 });
        assert_eq!((t.trials(), t.errors_a(), t.errors_b(), t.discordant()), (5, 2, 3, 3));
        assert_eq!(t.mcnemar_exact(), 1.0);
    }
}
