//! Counting over sorted scores: scores split by a group code and sorted once, so that
//! "how many scores of group g are >= T" is a binary search, and the calibrated
//! threshold of a target rate. The analysis counts without sorting (`metrics::levels`,
//! `metrics::order`); this is the direct form the tests and benchmarks hold it equal to.
//! Counts are exact integers and merge across partitions by addition.

/// Scores bucketed by group code, each bucket sorted ascending (`f64::total_cmp`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedScores {
    offsets: Vec<usize>,
    scores: Vec<f64>,
}

impl GroupedScores {
    /// `groups[i]` is the bucket of `scores[i]`; every code must be `< n_groups`.
    /// NaN scores must not occur (vendors' NaN is a failure, mapped to -inf earlier).
    pub fn new(scores: &[f64], groups: &[u32], n_groups: usize) -> Self {
        assert_eq!(scores.len(), groups.len(), "one group code per score");
        // Counting sort by group, then sort each bucket.
        let mut offsets = vec![0usize; n_groups + 1];
        for &g in groups {
            offsets[g as usize + 1] += 1;
        }
        for g in 0..n_groups {
            offsets[g + 1] += offsets[g];
        }
        let mut cursor = offsets.clone();
        let mut sorted = vec![0f64; scores.len()];
        for (&s, &g) in scores.iter().zip(groups) {
            debug_assert!(!s.is_nan(), "NaN score reached the counting kernel");
            sorted[cursor[g as usize]] = s;
            cursor[g as usize] += 1;
        }
        {
            use rayon::prelude::*;
            let mut buckets: Vec<&mut [f64]> = Vec::with_capacity(n_groups);
            let mut rest: &mut [f64] = &mut sorted;
            for g in 0..n_groups {
                let (head, tail) = rest.split_at_mut(offsets[g + 1] - offsets[g]);
                buckets.push(head);
                rest = tail;
            }
            buckets.par_iter_mut().for_each(|b| b.sort_unstable_by(f64::total_cmp));
        }
        GroupedScores { offsets, scores: sorted }
    }

    pub fn n_groups(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The sorted scores of group `g`, ascending.
    pub fn group(&self, g: usize) -> &[f64] {
        &self.scores[self.offsets[g]..self.offsets[g + 1]]
    }

    /// Number of scores in group `g`.
    pub fn total(&self, g: usize) -> u64 {
        (self.offsets[g + 1] - self.offsets[g]) as u64
    }

    /// Number of scores of group `g` with score >= `t` (a tie at the threshold counts).
    pub fn at_least(&self, g: usize, t: f64) -> u64 {
        let s = self.group(g);
        (s.len() - s.partition_point(|&x| x < t)) as u64
    }
}

/// The smallest threshold T whose rate `#{s >= T} / n` is at most `target`, over
/// `sorted` (ascending) scores; docs/metrics.md, "the threshold is the smallest T
/// with FMR(T) <= target".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CalibratedThreshold {
    /// Scores at or above `threshold` number `count` of `n`.
    Threshold { threshold: f64, count: u64 },
    /// `n * target < 1`: no empirical rate can be at the target; the test set is too small.
    TooFewTrials,
    /// Every finite threshold meets the target (so many scores are failures).
    AnyThreshold,
    /// No scores at all.
    NoTrials,
}

/// The rank (0 = lowest) among `n` scores of the score a threshold for `target` must
/// exceed, or why no threshold is calibrated.
pub fn calibration_rank(n: usize, target: f64) -> Result<usize, CalibratedThreshold> {
    if n == 0 {
        return Err(CalibratedThreshold::NoTrials);
    }
    // Largest k with k/n <= target, checked in the same arithmetic as the rate.
    let mut k = (target * n as f64).floor().clamp(0.0, n as f64) as usize;
    while k < n && ((k + 1) as f64 / n as f64) <= target {
        k += 1;
    }
    while k > 0 && (k as f64 / n as f64) > target {
        k -= 1;
    }
    if k == 0 {
        return Err(CalibratedThreshold::TooFewTrials);
    }
    if k >= n {
        return Err(CalibratedThreshold::AnyThreshold);
    }
    // At most k scores may be >= T: T must exceed the (k+1)-th largest score.
    Ok(n - 1 - k)
}

pub fn calibrate(sorted: &[f64], target: f64) -> CalibratedThreshold {
    let pivot = match calibration_rank(sorted.len(), target) {
        Ok(rank) => sorted[rank],
        Err(why) => return why,
    };
    if pivot == f64::NEG_INFINITY {
        return CalibratedThreshold::AnyThreshold;
    }
    let threshold = pivot.next_up();
    let count = (sorted.len() - sorted.partition_point(|&x| x < threshold)) as u64;
    CalibratedThreshold::Threshold { threshold, count }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_at_threshold_count_as_at_least() {
        let g = GroupedScores::new(&[0.5, 0.6, 0.6, 0.7, 0.1], &[0, 0, 1, 1, 1], 2);
        assert_eq!(g.total(0), 2);
        assert_eq!(g.total(1), 3);
        assert_eq!(g.at_least(0, 0.6), 1);
        assert_eq!(g.at_least(1, 0.6), 2);
        assert_eq!(g.at_least(1, 0.600_000_000_000_000_1), 1);
        assert_eq!(g.group(1), &[0.1, 0.6, 0.7]);
    }

    #[test]
    fn failures_never_reach_a_threshold() {
        let g = GroupedScores::new(&[f64::NEG_INFINITY, 0.2], &[0, 0], 1);
        assert_eq!(g.at_least(0, -1e300), 1);
    }

    #[test]
    fn empty_group_has_zero_total() {
        let g = GroupedScores::new(&[0.3], &[2], 3);
        assert_eq!((g.total(0), g.total(1), g.total(2)), (0, 0, 1));
        assert_eq!(g.at_least(0, 0.0), 0);
    }

    #[test]
    fn calibration_hand_cases() {
        let s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
        // target 0.2 of 10: at most 2 scores >= T; smallest such T is just above 0.8.
        match calibrate(&s, 0.2) {
            CalibratedThreshold::Threshold { threshold, count } => {
                assert_eq!(threshold, 0.8f64.next_up());
                assert_eq!(count, 2);
            }
            other => panic!("{other:?}"),
        }
        // target 0.25: still 2 (2.5 rounds down).
        assert!(matches!(calibrate(&s, 0.25), CalibratedThreshold::Threshold { count: 2, .. }));
        // target below 1/n cannot be resolved.
        assert_eq!(calibrate(&s, 0.05), CalibratedThreshold::TooFewTrials);
        // exactly 1/n resolves to the top score only.
        assert!(matches!(calibrate(&s, 0.1), CalibratedThreshold::Threshold { count: 1, .. }));
        assert_eq!(calibrate(&[], 0.1), CalibratedThreshold::NoTrials);
    }

    #[test]
    fn calibration_with_ties_stays_at_or_below_target() {
        // Four tied scores at the top: no T can admit exactly 2; T goes above the tie.
        let s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9, 0.9, 0.9, 0.9];
        match calibrate(&s, 0.2) {
            CalibratedThreshold::Threshold { threshold, count } => {
                assert_eq!(threshold, 0.9f64.next_up());
                assert_eq!(count, 0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn calibration_with_failures() {
        let s = [f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY, 0.5];
        assert_eq!(calibrate(&s, 0.5), CalibratedThreshold::AnyThreshold);
    }
}
