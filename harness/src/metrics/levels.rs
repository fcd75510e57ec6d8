//! Counting at thresholds without sorting: every score is binned once by its *level*,
//! the number of thresholds at or below it, so that "score >= T_k" is "level > k" and
//! a group's count at every threshold is a suffix sum of its level histogram
//! (docs/metrics.md, "Counting"). Counts are exact integers; they add across chunks,
//! threads and shards.
//!
//! The level of a score is found by a table lookup: the thresholds' span is cut into
//! [`BINS`] equal bins, and a bin that holds no threshold has one level for every score
//! in it (the bin of a score is monotone in the score, so a threshold in an earlier bin
//! is below the score and one in a later bin above it). Only a score in one of the few
//! bins that hold a threshold takes a binary search.

/// Bins of the lookup table.
pub const BINS: usize = 1 << 14;
const SEARCH: u32 = u32::MAX;

/// Thresholds sorted ascending (duplicates removed), with the lookup table.
#[derive(Debug, Clone)]
pub struct Levels {
    sorted: Vec<f64>,
    lo: f64,
    scale: f64,
    /// Per bin: the level of every score in it, or [`SEARCH`].
    table: Vec<u32>,
}

impl Levels {
    /// `thresholds` in any order, finite; repeats are kept once.
    pub fn new(thresholds: &[f64]) -> Self {
        let mut sorted: Vec<f64> = thresholds.to_vec();
        sorted.sort_by(f64::total_cmp);
        // `==` merges -0 and +0, as `>=` does not tell them apart.
        sorted.dedup_by(|a, b| a == b);
        let (lo, hi) = match (sorted.first(), sorted.last()) {
            (Some(&lo), Some(&hi)) if lo.is_finite() && hi.is_finite() && hi > lo => (lo, hi),
            _ => return Levels { sorted, lo: 0.0, scale: 0.0, table: Vec::new() },
        };
        let scale = BINS as f64 / (hi - lo);
        let mut levels = Levels { sorted, lo, scale, table: Vec::new() };
        if !scale.is_finite() {
            return levels;
        }
        // thresholds_in[b]: thresholds whose bin is b.
        let mut thresholds_in = vec![0u32; BINS];
        for &t in &levels.sorted {
            thresholds_in[levels.bin(t)] += 1;
        }
        let mut below = 0u32;
        levels.table = thresholds_in
            .iter()
            .map(|&n| {
                let entry = if n == 0 { below } else { SEARCH };
                below += n;
                entry
            })
            .collect();
        levels
    }

    #[inline]
    fn bin(&self, x: f64) -> usize {
        // Saturating float-to-integer cast: below `lo` (and -inf) is bin 0.
        (((x - self.lo) * self.scale) as usize).min(BINS - 1)
    }

    /// The thresholds, ascending and distinct.
    pub fn thresholds(&self) -> &[f64] {
        &self.sorted
    }

    /// Number of distinct thresholds; levels run from 0 to `len()`.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Number of thresholds `<= score`: the score reaches (`score >= T`) exactly the
    /// thresholds below this index. `-inf` reaches none.
    #[inline]
    pub fn level(&self, score: f64) -> usize {
        if !self.table.is_empty() {
            let entry = self.table[self.bin(score)];
            if entry != SEARCH {
                return entry as usize;
            }
        }
        self.sorted.partition_point(|&t| t <= score)
    }

    /// Index of threshold `t` among the sorted thresholds, if it is one of them.
    pub fn position(&self, t: f64) -> Option<usize> {
        let i = self.sorted.partition_point(|&x| x < t);
        (i < self.sorted.len() && self.sorted[i] == t).then_some(i)
    }
}

/// A level histogram per cell: `counts[cell * (K + 1) + level]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LevelCounts {
    width: usize,
    counts: Vec<u64>,
}

impl LevelCounts {
    pub fn new(cells: usize, levels: &Levels) -> Self {
        let width = levels.len() + 1;
        LevelCounts { width, counts: vec![0; cells * width] }
    }

    #[inline]
    pub fn add(&mut self, cell: usize, level: usize) {
        self.counts[cell * self.width + level] += 1;
    }

    /// Add another histogram of the same shape (another chunk or thread).
    pub fn merge(&mut self, other: &LevelCounts) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// The histogram of one cell over levels `0..=K`.
    pub fn cell(&self, cell: usize) -> &[u64] {
        &self.counts[cell * self.width..(cell + 1) * self.width]
    }

    /// Scores counted in `cell`.
    pub fn total(&self, cell: usize) -> u64 {
        self.cell(cell).iter().sum()
    }

    /// Scores of `cell` at or above the threshold at sorted position `k` (level > k).
    pub fn at_least(&self, cell: usize, k: usize) -> u64 {
        self.cell(cell)[k + 1..].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn direct(sorted: &[f64], x: f64) -> usize {
        sorted.iter().filter(|&&t| t <= x).count()
    }

    #[test]
    fn levels_follow_ties_and_order() {
        let l = Levels::new(&[0.5, 0.2, 0.8, 0.5]);
        assert_eq!(l.thresholds(), &[0.2, 0.5, 0.8]);
        assert_eq!(l.level(0.5), 2); // reaches 0.2 and 0.5 (a tie counts)
        assert_eq!(l.level(0.5f64.next_down()), 1);
        assert_eq!(l.level(f64::NEG_INFINITY), 0);
        assert_eq!(l.level(0.9), 3);
        assert_eq!(l.level(f64::INFINITY), 3);
        assert_eq!(l.position(0.8), Some(2));
        assert_eq!(l.position(0.7), None);
    }

    #[test]
    fn negative_zero_is_zero() {
        let l = Levels::new(&[-1.0, 0.0, 1.0]);
        assert_eq!(l.level(-0.0), 2);
        let l = Levels::new(&[-0.0, 0.0]);
        assert_eq!(l.len(), 1);
        assert_eq!(l.level(0.0), 1);
    }

    #[test]
    fn one_threshold_and_none() {
        assert_eq!(Levels::new(&[]).level(3.0), 0);
        let l = Levels::new(&[0.3]);
        assert_eq!((l.level(0.2), l.level(0.3), l.level(0.4)), (0, 1, 1));
    }

    /// The table agrees with a direct count on random scores, on the thresholds
    /// themselves and on their neighbours (the values a bin boundary could get wrong).
    #[test]
    fn table_equals_direct_count() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for case in 0..40 {
            let n = rng.random_range(1..300);
            let (a, b) = if case % 3 == 0 { (-1e-3, 1e-3) } else { (-1.0, 1.0) };
            let t: Vec<f64> = (0..n).map(|_| rng.random_range(a..b)).collect();
            let l = Levels::new(&t);
            let mut probes: Vec<f64> = (0..2000).map(|_| rng.random_range(2.0 * a..2.0 * b)).collect();
            for &x in &t {
                probes.extend([x, x.next_up(), x.next_down()]);
            }
            probes.extend([f64::NEG_INFINITY, f64::INFINITY, 0.0, -0.0, f64::MAX, f64::MIN]);
            for x in probes {
                assert_eq!(l.level(x), direct(l.thresholds(), x), "x = {x:e}, case {case}");
            }
        }
    }

    #[test]
    fn counts_at_thresholds() {
        let l = Levels::new(&[0.2, 0.5]);
        let mut c = LevelCounts::new(2, &l);
        for (cell, x) in [(0, 0.1), (0, 0.2), (0, 0.6), (1, 0.5), (1, f64::NEG_INFINITY)] {
            c.add(cell, l.level(x));
        }
        assert_eq!((c.total(0), c.at_least(0, 0), c.at_least(0, 1)), (3, 2, 1));
        assert_eq!((c.total(1), c.at_least(1, 0), c.at_least(1, 1)), (2, 1, 1));
        let mut d = c.clone();
        d.merge(&c);
        assert_eq!(d.at_least(0, 0), 4);
    }
}
