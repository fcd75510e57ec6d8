//! The hypergeometric distribution behind Fisher's exact test, in log space, with tail
//! sums that visit only the terms that matter (so tables with n ~ 1e9 cost milliseconds).

use super::special::ln_binomial_pmf;

/// X = number of "white" items among `draws` taken without replacement from an urn of
/// `white + black` items.
#[derive(Debug, Clone, Copy)]
pub struct Hypergeometric {
    pub white: u64,
    pub black: u64,
    pub draws: u64,
    /// ln P(Bin(N, draws/N) = draws), the denominator of every [`Self::ln_pmf`] term,
    /// computed once.
    ln_norm: f64,
}

/// Stop summing a tail when the bound on what is left falls below this fraction of the
/// partial sum. The pmf is log-concave, so moving away from the mode the ratio r of
/// successive terms only falls and the remainder after a term t is at most
/// t·r/(1 - r); with this cutoff the truncation changes a tail by < 1e-17 relative.
const TAIL_CUTOFF: f64 = 1e-17;

impl Hypergeometric {
    pub fn new(white: u64, black: u64, draws: u64) -> Self {
        debug_assert!(draws <= white + black);
        let n = white + black;
        let ln_norm = if draws == 0 || draws == n {
            0.0
        } else {
            let (p, q) = (draws as f64 / n as f64, (n - draws) as f64 / n as f64);
            ln_binomial_pmf(draws, n, p, q)
        };
        Hypergeometric { white, black, draws, ln_norm }
    }

    /// Smallest value with positive probability.
    pub fn min(&self) -> u64 {
        self.draws.saturating_sub(self.black)
    }

    /// Largest value with positive probability.
    pub fn max(&self) -> u64 {
        self.draws.min(self.white)
    }

    /// A mode, floor((draws + 1)(white + 1)/(N + 2)), as scipy's `fisher_exact` takes it.
    pub fn mode(&self) -> u64 {
        let n = (self.white + self.black) as u128;
        let m = ((self.draws as u128 + 1) * (self.white as u128 + 1) / (n + 2)) as u64;
        m.clamp(self.min(), self.max())
    }

    /// ln P(X = x), as R's `dhyper` (Loader 2000): the ratio of three binomial
    /// probabilities at p = draws/N, each by the saddle-point method, so the result keeps
    /// ~1e-14 relative accuracy for any N.
    pub fn ln_pmf(&self, x: u64) -> f64 {
        if x < self.min() || x > self.max() {
            return f64::NEG_INFINITY;
        }
        let n = self.white + self.black;
        if self.draws == 0 || self.draws == n {
            return 0.0;
        }
        let p = self.draws as f64 / n as f64;
        let q = (n - self.draws) as f64 / n as f64;
        ln_binomial_pmf(x, self.white, p, q) + ln_binomial_pmf(self.draws - x, self.black, p, q) - self.ln_norm
    }

    /// P(X = x + 1) / P(X = x).
    fn ratio_up(&self, x: u64) -> f64 {
        let (w, b, d) = (self.white as f64, self.black as f64, self.draws as f64);
        let x = x as f64;
        (w - x) * (d - x) / ((x + 1.0) * (b - d + x + 1.0))
    }

    /// ln P(X >= x). Sums upward when x is above the mode, else takes the complement of
    /// the lower tail (which is then at most ~1/2, so nothing is lost).
    pub fn ln_sf_inclusive(&self, x: u64) -> f64 {
        if x <= self.min() {
            return 0.0;
        }
        if x > self.max() {
            return f64::NEG_INFINITY;
        }
        if x > self.mode() { self.ln_tail_up(x) } else { (-self.ln_tail_down(x - 1).exp()).ln_1p() }
    }

    /// ln P(X <= x).
    pub fn ln_cdf(&self, x: u64) -> f64 {
        if x >= self.max() {
            return 0.0;
        }
        if x < self.min() {
            return f64::NEG_INFINITY;
        }
        if x < self.mode() { self.ln_tail_down(x) } else { (-self.ln_tail_up(x + 1).exp()).ln_1p() }
    }

    /// ln Σ_{y >= x} P(X = y) for x at or above the mode (terms decrease).
    fn ln_tail_up(&self, x: u64) -> f64 {
        let first = self.ln_pmf(x);
        let mut sum = 1.0;
        let mut term = 1.0;
        let mut y = x;
        while y < self.max() {
            let r = self.ratio_up(y);
            if r < 1.0 && term * r / (1.0 - r) < TAIL_CUTOFF * sum {
                break;
            }
            y += 1;
            // Recompute each term from the pmf, not from the running product, so no
            // rounding error accumulates over long tails.
            term = (self.ln_pmf(y) - first).exp();
            sum += term;
        }
        first + sum.ln()
    }

    /// ln Σ_{y <= x} P(X = y) for x at or below the mode (terms decrease going down).
    fn ln_tail_down(&self, x: u64) -> f64 {
        let first = self.ln_pmf(x);
        let mut sum = 1.0;
        let mut term = 1.0;
        let mut y = x;
        while y > self.min() {
            let r = 1.0 / self.ratio_up(y - 1);
            if r < 1.0 && term * r / (1.0 - r) < TAIL_CUTOFF * sum {
                break;
            }
            y -= 1;
            term = (self.ln_pmf(y) - first).exp();
            sum += term;
        }
        first + sum.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_urn_matches_counting() {
        // 5 white, 5 black, 4 draws: P(X = x) = C(5,x) C(5,4-x) / C(10,4).
        let h = Hypergeometric::new(5, 5, 4);
        let c = |n: u64, k: u64| (0..k).fold(1.0, |a, i| a * (n - i) as f64 / (i + 1) as f64);
        let mut cdf = 0.0;
        for x in 0..=4 {
            let want = c(5, x) * c(5, 4 - x) / c(10, 4);
            cdf += want;
            assert!((h.ln_pmf(x).exp() - want).abs() < 1e-15);
            assert!((h.ln_cdf(x).exp() - cdf).abs() < 1e-15);
            assert!((h.ln_sf_inclusive(x).exp() - (1.0 - cdf + want)).abs() < 1e-15);
        }
    }

    #[test]
    fn huge_urn_sums_to_one() {
        let h = Hypergeometric::new(1_000_000, 999_000_000, 2_000_000);
        let m = h.mode();
        let total = h.ln_tail_down(m).exp() + h.ln_tail_up(m + 1).exp();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }
}
