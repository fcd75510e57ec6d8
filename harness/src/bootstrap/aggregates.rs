//! The counts a bootstrap replicate needs, built once from the trials: per subject (mated
//! trials, searches) and per pair of subjects (non-mated 1:1 trials), at every threshold.
//! A replicate is then a weighted sum over subjects or subject pairs; it never touches a
//! trial again.
//!
//! Each trial is binned once by its *level*, the number of thresholds at or below its
//! score (a binary search in the sorted thresholds), so "score >= T_k" is "level > k"
//! and "score < T_k" (a miss, or a failure at `-inf`) is "level <= k".

use super::BootstrapError;
use crate::model::population::GroupCodes;

const ABSENT: u32 = u32::MAX;

/// The subjects that take part, renumbered as *units* so that each group's units are
/// contiguous (group `g` owns `group_start[g]..group_start[g + 1]`).
#[derive(Debug, Clone)]
pub(crate) struct Units {
    unit_of: Vec<u32>,
    pub group_start: Vec<usize>,
}

impl Units {
    /// `present` lists subject indices (repeats allowed) that appear in the trials.
    pub fn new(present: impl Iterator<Item = u32>, codes: &GroupCodes) -> Result<Self, BootstrapError> {
        let n_subjects = codes.of_subject.len();
        let mut seen = vec![false; n_subjects];
        for s in present {
            *seen.get_mut(s as usize).ok_or(BootstrapError::UnknownSubject { subject: s, subjects: n_subjects })? =
                true;
        }
        let n_groups = codes.n_groups();
        let mut group_start = vec![0usize; n_groups + 1];
        for s in (0..n_subjects).filter(|&s| seen[s]) {
            let g = codes.of_subject[s] as usize;
            if g >= n_groups {
                return Err(BootstrapError::UnknownGroup { code: g as u32, groups: n_groups });
            }
            group_start[g + 1] += 1;
        }
        for g in 0..n_groups {
            group_start[g + 1] += group_start[g];
        }
        let mut cursor = group_start.clone();
        let mut unit_of = vec![ABSENT; n_subjects];
        for s in (0..n_subjects).filter(|&s| seen[s]) {
            let g = codes.of_subject[s] as usize;
            unit_of[s] = cursor[g] as u32;
            cursor[g] += 1;
        }
        Ok(Units { unit_of, group_start })
    }

    /// The unit of a subject known to take part.
    pub fn unit(&self, subject: u32) -> usize {
        self.unit_of[subject as usize] as usize
    }

    pub fn n_units(&self) -> usize {
        *self.group_start.last().unwrap_or(&0)
    }

    pub fn n_groups(&self) -> usize {
        self.group_start.len() - 1
    }

    pub fn group_size(&self, g: usize) -> usize {
        self.group_start[g + 1] - self.group_start[g]
    }
}

/// Thresholds sorted ascending, and where each of the caller's thresholds went.
#[derive(Debug, Clone)]
pub(crate) struct Levels {
    sorted: Vec<f64>,
    /// `position[i]`: index in `sorted` of the caller's threshold `i`.
    pub position: Vec<usize>,
}

impl Levels {
    pub fn new(thresholds: &[f64]) -> Result<Self, BootstrapError> {
        if let Some(&t) = thresholds.iter().find(|t| t.is_nan()) {
            return Err(BootstrapError::InvalidThreshold(t));
        }
        if thresholds.len() >= u16::MAX as usize {
            return Err(BootstrapError::TooManyThresholds(thresholds.len()));
        }
        let mut order: Vec<usize> = (0..thresholds.len()).collect();
        order.sort_by(|&a, &b| thresholds[a].total_cmp(&thresholds[b]));
        let mut position = vec![0; thresholds.len()];
        for (k, &i) in order.iter().enumerate() {
            position[i] = k;
        }
        Ok(Levels { sorted: order.iter().map(|&i| thresholds[i]).collect(), position })
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Number of thresholds `<= score`: the trial reaches (`score >= T`) exactly the
    /// sorted thresholds below this index. NaN reaches none.
    pub fn level(&self, score: f64) -> usize {
        self.sorted.partition_point(|&t| t <= score)
    }
}

/// Whether a block counts trials that reach a threshold (false matches, false positives)
/// or trials that miss it (false non-matches, false negatives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Reaching,
    Missing,
}

/// Per-unit counts: `values[u * columns + c]`. A block of `K + 1` columns holds the
/// number of trials, then the number counted at each sorted threshold.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubjectTable {
    pub columns: usize,
    pub values: Vec<u32>,
}

impl SubjectTable {
    /// Append a block from `(unit, level)` items; returns the block's first column.
    pub fn add_block(
        &mut self,
        n_units: usize,
        k: usize,
        count: Count,
        items: impl Iterator<Item = (usize, usize)>,
    ) -> usize {
        let width = k + 1;
        // Histogram of levels per unit, then cumulated into counts per threshold.
        let mut hist = vec![0u32; n_units * width];
        for (u, level) in items {
            hist[u * width + level] += 1;
        }
        let old = self.columns;
        let columns = old + width;
        let mut values = vec![0u32; n_units * columns];
        for u in 0..n_units {
            values[u * columns..u * columns + old].copy_from_slice(&self.values[u * old..(u + 1) * old]);
            let h = &hist[u * width..(u + 1) * width];
            let out = &mut values[u * columns + old..(u + 1) * columns];
            out[0] = h.iter().sum();
            cumulate(h, count, &mut out[1..]);
        }
        self.columns = columns;
        self.values = values;
        old
    }

    /// `out[g * columns + c] += sum over units u of group g of w[u] * values[u][c]`.
    pub fn weighted_sums(&self, units: &Units, w: &[u32], out: &mut [u64]) {
        let c = self.columns;
        for g in 0..units.n_groups() {
            let acc = &mut out[g * c..(g + 1) * c];
            let (start, end) = (units.group_start[g], units.group_start[g + 1]);
            for (&wu, row) in w[start..end].iter().zip(self.values[start * c..end * c].chunks_exact(c)) {
                if wu == 0 {
                    continue;
                }
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a += u64::from(wu) * u64::from(v);
                }
            }
        }
    }
}

/// From a histogram over levels `0..=K`, the count at each sorted threshold k.
fn cumulate(hist: &[u32], count: Count, out: &mut [u32]) {
    let k = out.len();
    match count {
        // level > k reaches T_k: suffix sums.
        Count::Reaching => {
            let mut run = 0;
            for j in (0..k).rev() {
                run += hist[j + 1];
                out[j] = run;
            }
        }
        // level <= k misses T_k: prefix sums.
        Count::Missing => {
            let mut run = 0;
            for j in 0..k {
                run += hist[j];
                out[j] = run;
            }
        }
    }
}

/// Non-mated 1:1 counts per unordered pair of distinct units of the same group, in
/// compressed rows keyed by the lower unit: entry `e` of row `a` is the pair
/// `(a, partner[e])` with counts `values[e * (K + 1)..]` (trials, then false matches
/// at each sorted threshold). Pairs across groups enter no per-group FMR and are not kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairTable {
    pub columns: usize,
    row_start: Vec<usize>,
    partner: Vec<u32>,
    values: Vec<u32>,
}

impl PairTable {
    /// `items`: `(unit a, unit b, level)` for each within-group non-mated trial, a != b.
    pub fn new(n_units: usize, k: usize, items: &[(u32, u32, u16)]) -> Self {
        let width = k + 1;
        // Counting sort by the lower unit, then sort each row by (partner, level).
        let mut row_start = vec![0usize; n_units + 1];
        for &(a, b, _) in items {
            row_start[a.min(b) as usize + 1] += 1;
        }
        for u in 0..n_units {
            row_start[u + 1] += row_start[u];
        }
        let mut cursor = row_start.clone();
        let mut keyed = vec![0u64; items.len()];
        for &(a, b, level) in items {
            let (lo, hi) = (a.min(b) as usize, a.max(b));
            keyed[cursor[lo]] = (u64::from(hi) << 16) | u64::from(level);
            cursor[lo] += 1;
        }
        {
            use rayon::prelude::*;
            let mut rows: Vec<&mut [u64]> = Vec::with_capacity(n_units);
            let mut rest: &mut [u64] = &mut keyed;
            for u in 0..n_units {
                let (head, tail) = rest.split_at_mut(row_start[u + 1] - row_start[u]);
                rows.push(head);
                rest = tail;
            }
            rows.par_iter_mut().with_min_len(1024).for_each(|r| r.sort_unstable());
        }
        let mut table = PairTable { columns: width, row_start: vec![0; n_units + 1], ..Default::default() };
        let mut hist = vec![0u32; width];
        for u in 0..n_units {
            let row = &keyed[row_start[u]..row_start[u + 1]];
            let mut i = 0;
            while i < row.len() {
                let partner = row[i] >> 16;
                hist.iter_mut().for_each(|h| *h = 0);
                while i < row.len() && row[i] >> 16 == partner {
                    hist[(row[i] & 0xffff) as usize] += 1;
                    i += 1;
                }
                table.partner.push(partner as u32);
                let start = table.values.len();
                table.values.resize(start + width, 0);
                table.values[start] = hist.iter().sum();
                cumulate(&hist, Count::Reaching, &mut table.values[start + 1..start + width]);
            }
            table.row_start[u + 1] = table.partner.len();
        }
        table
    }

    /// Number of distinct subject pairs kept.
    pub fn pairs(&self) -> usize {
        self.partner.len()
    }

    /// `out[g * columns + c] += sum over pairs (a, b) of group g of w[a] * w[b] * values[c]`:
    /// a pair takes part once for every way of drawing both of its subjects.
    pub fn weighted_sums(&self, units: &Units, w: &[u32], out: &mut [u64], scratch: &mut Vec<u64>) {
        let c = self.columns;
        if c == 0 {
            return;
        }
        scratch.clear();
        scratch.resize(c, 0);
        for g in 0..units.n_groups() {
            for a in units.group_start[g]..units.group_start[g + 1] {
                let wa = u64::from(w[a]);
                if wa == 0 {
                    continue;
                }
                scratch.iter_mut().for_each(|s| *s = 0);
                let (start, end) = (self.row_start[a], self.row_start[a + 1]);
                for (&b, row) in self.partner[start..end].iter().zip(self.values[start * c..end * c].chunks_exact(c)) {
                    let wb = u64::from(w[b as usize]);
                    for (s, &v) in scratch.iter_mut().zip(row) {
                        *s += wb * u64::from(v);
                    }
                }
                for (o, &s) in out[g * c..(g + 1) * c].iter_mut().zip(scratch.iter()) {
                    *o += wa * s;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_ties_and_order() {
        let l = Levels::new(&[0.5, 0.2, 0.8]).unwrap();
        assert_eq!(l.position, vec![1, 0, 2]);
        assert_eq!(l.level(0.5), 2); // reaches 0.2 and 0.5 (tie counts)
        assert_eq!(l.level(f64::NEG_INFINITY), 0);
        assert_eq!(l.level(0.9), 3);
        assert!(Levels::new(&[f64::NAN]).is_err());
    }

    #[test]
    fn cumulated_counts() {
        let mut out = [0u32; 2];
        // levels: 0 (misses both), 1 (reaches T0 only), 2 (reaches both)
        cumulate(&[3, 2, 1], Count::Reaching, &mut out);
        assert_eq!(out, [3, 1]);
        cumulate(&[3, 2, 1], Count::Missing, &mut out);
        assert_eq!(out, [3, 5]);
    }
}
