//! The counts a bootstrap replicate needs, accumulated for a block of replicates at
//! once while the trials stream past: per statistic, group and level (the number of
//! thresholds at or below the score, `metrics::levels`), the weighted number of trials
//! in each replicate of the block. A trial's weight is the number of times its subject
//! was drawn, or for a non-mated pair the product of its two subjects'. A replicate is
//! then one cumulative sum per statistic and group, never a pass over pairs or trials:
//! O(replicates × (trials + groups × thresholds)) in all, and memory
//! O(replicates × groups × thresholds) beside the weights.

use super::BootstrapError;
use crate::model::analysis::Metric;
use crate::model::population::GroupCodes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::ops::Range;

const ABSENT: u32 = u32::MAX;

/// The subjects that take part, renumbered as *units* so that each group's units are
/// contiguous (group `g` owns `group_start[g]..group_start[g + 1]`), in subject order.
#[derive(Debug, Clone)]
pub(crate) struct Units {
    unit_of: Vec<u32>,
    pub group_start: Vec<usize>,
}

impl Units {
    /// `present[s]`: subject `s` appears in the trials.
    pub fn new(present: &[bool], codes: &GroupCodes) -> Result<Self, BootstrapError> {
        let n_groups = codes.n_groups();
        let mut group_start = vec![0usize; n_groups + 1];
        for s in (0..present.len()).filter(|&s| present[s]) {
            let g = codes.of_subject.get(s).copied().unwrap_or(u32::MAX) as usize;
            if g >= n_groups {
                return Err(BootstrapError::UnknownGroup { code: g as u32, groups: n_groups });
            }
            group_start[g + 1] += 1;
        }
        for g in 0..n_groups {
            group_start[g + 1] += group_start[g];
        }
        let mut cursor = group_start.clone();
        let mut unit_of = vec![ABSENT; present.len()];
        for s in (0..present.len()).filter(|&s| present[s]) {
            let g = codes.of_subject[s] as usize;
            unit_of[s] = cursor[g] as u32;
            cursor[g] += 1;
        }
        Ok(Units { unit_of, group_start })
    }

    /// The unit of a subject known to take part.
    #[inline]
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

    /// Multinomial counts of replicate `b`: each group draws its own size, uniformly
    /// with replacement, from its own units, on stream `b` of the seed.
    pub fn draw(&self, seed: u64, b: usize) -> Vec<u32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(b as u64);
        let mut w = vec![0u32; self.n_units()];
        for g in 0..self.n_groups() {
            let (start, n) = (self.group_start[g], self.group_size(g));
            for _ in 0..n {
                w[start + rng.random_range(0..n)] += 1;
            }
        }
        w
    }
}

/// The weights of replicates `first..first + count`, unit-major: `of(u)[r]` is unit
/// `u`'s weight in replicate `first + r`.
#[derive(Debug, Clone)]
pub(crate) struct Weights {
    pub first: usize,
    pub count: usize,
    w: Vec<u32>,
}

impl Weights {
    pub fn draw(units: &Units, seed: u64, replicates: Range<usize>) -> Self {
        use rayon::prelude::*;
        let (first, count) = (replicates.start, replicates.len());
        let n = units.n_units();
        let drawn: Vec<Vec<u32>> = replicates.into_par_iter().map(|b| units.draw(seed, b)).collect();
        let mut w = vec![0u32; n * count];
        for (r, d) in drawn.iter().enumerate() {
            for (u, &x) in d.iter().enumerate() {
                w[u * count + r] = x;
            }
        }
        Weights { first, count, w }
    }

    /// Weights given, one replicate: `w[u]` for unit `u` (tests).
    #[cfg(test)]
    pub fn given(w: Vec<u32>) -> Self {
        Weights { first: 0, count: 1, w }
    }

    #[inline]
    pub fn of(&self, unit: usize) -> &[u32] {
        &self.w[unit * self.count..(unit + 1) * self.count]
    }
}

/// How many replicates to draw at once: as many as fit `budget` bytes of weights for
/// `units` units in each of `tables` groupings (at least one).
pub(crate) fn replicate_block(replicates: usize, units: usize, tables: usize, budget: usize) -> usize {
    let per_replicate = (units * tables * std::mem::size_of::<u32>()).max(1);
    (budget / per_replicate).clamp(1, replicates.max(1))
}

/// Weighted level histograms: `acc[((stat * groups + g) * width + level) * count + r]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tally {
    groups: usize,
    width: usize,
    count: usize,
    acc: Vec<u64>,
}

impl Tally {
    /// `levels`: number of thresholds (levels run `0..=levels`).
    pub fn new(stats: usize, groups: usize, levels: usize, count: usize) -> Self {
        let width = levels + 1;
        Tally { groups, width, count, acc: vec![0; stats * groups * width * count] }
    }

    #[inline]
    fn slot(&mut self, stat: usize, g: usize, level: usize) -> &mut [u64] {
        let at = ((stat * self.groups + g) * self.width + level) * self.count;
        &mut self.acc[at..at + self.count]
    }

    /// A trial of one subject with weights `w`.
    #[inline]
    pub fn add(&mut self, stat: usize, g: usize, level: usize, w: &[u32]) {
        for (a, &x) in self.slot(stat, g, level).iter_mut().zip(w) {
            *a += u64::from(x);
        }
    }

    /// A trial of a pair of subjects with weights `a` and `b`.
    #[inline]
    pub fn add_pair(&mut self, stat: usize, g: usize, level: usize, a: &[u32], b: &[u32]) {
        for ((acc, &x), &y) in self.slot(stat, g, level).iter_mut().zip(a).zip(b) {
            *acc += u64::from(x) * u64::from(y);
        }
    }

    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.acc.iter_mut().zip(&other.acc) {
            *a += b;
        }
    }

    /// Cumulative counts of `(stat, g)` in replicate `r`: `out[l]` = weighted trials
    /// below level `l` (so `out[width]` is the total).
    pub fn cumulative(&self, stat: usize, g: usize, r: usize, out: &mut Vec<u64>) {
        out.clear();
        out.push(0);
        let base = (stat * self.groups + g) * self.width;
        let mut run = 0;
        for level in 0..self.width {
            run += self.acc[(base + level) * self.count + r];
            out.push(run);
        }
    }
}

/// Whether a statistic counts trials that reach a threshold (false matches, false
/// positives) or trials that miss it (false non-matches, false negatives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Reaching,
    Missing,
}

/// One bootstrapped rate: which statistic, at which threshold (its position among the
/// sorted thresholds), counted how.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateSpec {
    pub metric: Metric,
    pub threshold: f64,
    pub rank: Option<u32>,
    pub stat: usize,
    pub position: usize,
    pub count: Count,
    /// The rate is `1 - numerator / denominator` (TPIR from missed mates).
    pub complement: bool,
}

/// `(numerator, denominator)` of every spec in every group, spec-major (index
/// `s * groups + g`), from the cumulative counts of each statistic and group.
pub(crate) fn spec_counts(
    specs: &[RateSpec],
    stats: usize,
    groups: usize,
    cumulative: impl Fn(usize, usize, &mut Vec<u64>),
) -> Vec<(u64, u64)> {
    let mut cum: Vec<Vec<u64>> = Vec::with_capacity(stats * groups);
    for stat in 0..stats {
        for g in 0..groups {
            let mut c = Vec::new();
            cumulative(stat, g, &mut c);
            cum.push(c);
        }
    }
    let mut out = Vec::with_capacity(specs.len() * groups);
    for spec in specs {
        for g in 0..groups {
            let c = &cum[spec.stat * groups + g];
            let total = c.last().copied().unwrap_or(0);
            // Levels 0..=position miss the threshold; the rest reach it.
            let below = c.get(spec.position + 1).copied().unwrap_or(total);
            let num = match spec.count {
                Count::Missing => below,
                Count::Reaching => total - below,
            };
            out.push((if spec.complement { total - num } else { num }, total));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::population::Grouping;

    #[test]
    fn units_are_contiguous_per_group_in_subject_order() {
        let codes = GroupCodes {
            grouping: Grouping::parse("g").unwrap(),
            labels: vec!["a".into(), "b".into()],
            of_subject: vec![1, 0, 1, 0, 1],
        };
        let u = Units::new(&[true, true, false, true, true], &codes).unwrap();
        assert_eq!(u.group_start, vec![0, 2, 4]);
        assert_eq!((u.unit(1), u.unit(3), u.unit(0), u.unit(4)), (0, 1, 2, 3));
        let w = Weights::draw(&u, 9, 3..7);
        for r in 0..4 {
            let drawn = u.draw(9, 3 + r);
            assert_eq!((0..4).map(|x| w.of(x)[r]).collect::<Vec<_>>(), drawn);
            assert_eq!(drawn[0] + drawn[1], 2);
        }
    }

    #[test]
    fn counts_reach_and_miss() {
        // Two levels of one statistic: weights 2 at level 0, 3 at level 2 (of 2 thresholds).
        let mut t = Tally::new(1, 1, 2, 1);
        t.add(0, 0, 0, &[2]);
        t.add_pair(0, 0, 2, &[1], &[3]);
        let spec = |position, count, complement| RateSpec {
            metric: Metric::Fmr,
            threshold: 0.0,
            rank: None,
            stat: 0,
            position,
            count,
            complement,
        };
        let specs = [spec(0, Count::Reaching, false), spec(1, Count::Missing, false), spec(1, Count::Missing, true)];
        let got = spec_counts(&specs, 1, 1, |s, g, out| t.cumulative(s, g, 0, out));
        assert_eq!(got, vec![(3, 5), (2, 5), (3, 5)]);
        assert_eq!(replicate_block(1000, 10, 2, 800), 10);
        assert_eq!(replicate_block(3, 10, 2, 1 << 20), 3);
        assert_eq!(replicate_block(3, 1 << 30, 2, 1), 1);
    }
}
