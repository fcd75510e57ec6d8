//! What the plots of a report are drawn from: error counts per group over a fine grid
//! of thresholds (DET curves; FMR/FNMR and FPIR/FNIR against threshold) and histograms
//! of mated and non-mated scores per group. They are counts, like every rate, so that a
//! plotted point can be checked against its numerator and denominator.
//!
//! The grid is shared by every group of a protocol (and gallery size): it holds the
//! thresholds of the analysis, evenly spaced thresholds across the scores seen, and the
//! pooled scores at which the false-positive and false-negative rates pass 10^(-j/10),
//! so a DET curve on probit axes has points in every decade the data can resolve.

use crate::model::curves::{CurveGroup, HistogramGroup};

/// Evenly spaced thresholds across the scores seen.
const LINEAR_POINTS: usize = 41;
/// Points per decade of the error rates (DET resolution).
const PER_DECADE: f64 = 10.0;
/// Bins of a score histogram.
pub const HISTOGRAM_BINS: usize = 40;

fn finite(sorted: &[f64]) -> &[f64] {
    let lo = sorted.partition_point(|x| !x.is_finite() && *x < 0.0);
    let hi = sorted.partition_point(|x| x.is_finite() || *x < 0.0);
    &sorted[lo..hi]
}

/// The ranks (0 = lowest, among finite scores) of the pooled non-mated and mated
/// scores that join the grid: the k-th highest non-mated score gives a false-positive
/// rate of at least k/n, and k falls by a factor 10^(1/PER_DECADE) each step, down to
/// one false positive; the (k+1)-th lowest mated score leaves k false negatives, down to
/// none.
pub fn curve_ranks(mated_finite: usize, non_mated_finite: usize) -> (Vec<usize>, Vec<usize>) {
    let mut fp = Vec::new();
    let n = non_mated_finite;
    if n > 0 {
        for j in 0u32.. {
            let k = (n as f64 * 10f64.powf(-f64::from(j) / PER_DECADE)).ceil() as usize;
            fp.push(n - k.clamp(1, n));
            if k <= 1 {
                break;
            }
        }
    }
    let mut fneg = Vec::new();
    let n = mated_finite;
    if n > 0 {
        for j in 0u32.. {
            let k = (n as f64 * 10f64.powf(-f64::from(j) / PER_DECADE)).floor() as usize;
            fneg.push(k.min(n - 1));
            if k == 0 {
                break;
            }
        }
    }
    (fp, fneg)
}

/// The shared threshold grid: the thresholds the analysis evaluated, [`LINEAR_POINTS`]
/// across `range` (the lowest and highest finite pooled score), and the scores at the
/// ranks of [`curve_ranks`] (`non_mated` and `mated`, in that order).
pub fn curve_grid(range: Option<(f64, f64)>, non_mated: &[f64], mated: &[f64], evaluated: &[f64]) -> Vec<f64> {
    let mut t: Vec<f64> = evaluated.iter().copied().filter(|x| x.is_finite()).collect();
    if let Some((lo, hi)) = range {
        for i in 0..LINEAR_POINTS {
            t.push(lo + (hi - lo) * i as f64 / (LINEAR_POINTS - 1) as f64);
        }
    }
    t.extend(non_mated);
    t.extend(mated);
    t.sort_unstable_by(f64::total_cmp);
    t.dedup();
    t
}

/// The lowest and highest finite score of two sorted slices.
fn finite_range(mated: &[f64], non_mated: &[f64]) -> Option<(f64, f64)> {
    let (m, nm) = (finite(mated), finite(non_mated));
    let lo = m.first().into_iter().chain(nm.first()).copied().fold(f64::INFINITY, f64::min);
    let hi = m.last().into_iter().chain(nm.last()).copied().fold(f64::NEG_INFINITY, f64::max);
    (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
}

/// The shared threshold grid from the pooled (`all`) mated and non-mated scores, both
/// sorted ascending, and the thresholds the analysis evaluated.
pub fn curve_thresholds(mated: &[f64], non_mated: &[f64], evaluated: &[f64]) -> Vec<f64> {
    let (m, nm) = (finite(mated), finite(non_mated));
    let (fp, fneg) = curve_ranks(m.len(), nm.len());
    let fp: Vec<f64> = fp.iter().map(|&r| nm[r]).collect();
    let fneg: Vec<f64> = fneg.iter().map(|&r| m[r]).collect();
    curve_grid(finite_range(mated, non_mated), &fp, &fneg, evaluated)
}

/// One group's curve from its false-positive counts (`fp`: trials, and how many reach a
/// threshold) and the counts that make a mated trial succeed (`hits`): a mated trial is
/// a false negative at T unless its score is >= T.
pub(crate) fn curve_group(
    grouping: &str,
    group: &str,
    thresholds: &[f64],
    fp: (u64, impl Fn(f64) -> u64),
    hits: (u64, impl Fn(f64) -> u64),
) -> CurveGroup {
    let (nm_total, m_total) = (fp.0, hits.0);
    CurveGroup {
        grouping: grouping.to_string(),
        group: group.to_string(),
        non_mated: nm_total,
        mated: m_total,
        false_positives: thresholds.iter().map(|&t| (fp.1)(t)).collect(),
        false_negatives: thresholds.iter().map(|&t| m_total - (hits.1)(t)).collect(),
    }
}

/// Histogram edges spanning the finite scores of both sorted slices; `None` without
/// any finite score.
pub fn histogram_edges(mated: &[f64], non_mated: &[f64]) -> Option<Vec<f64>> {
    histogram_edges_for(finite_range(mated, non_mated))
}

/// Histogram edges spanning `range`, the lowest and highest finite score.
pub fn histogram_edges_for(range: Option<(f64, f64)>) -> Option<Vec<f64>> {
    let (lo, hi) = range?;
    let hi = if hi > lo { hi } else { lo + 1.0 };
    Some((0..=HISTOGRAM_BINS).map(|i| lo + (hi - lo) * i as f64 / HISTOGRAM_BINS as f64).collect())
}

/// Counts of the sorted `scores` in the bins of `edges`, and the count of non-finite scores.
pub fn bin_counts(scores: &[f64], edges: &[f64]) -> (Vec<u64>, u64) {
    let f = finite(scores);
    let bins = edges.len() - 1;
    let mut counts = vec![0u64; bins];
    for (i, count) in counts.iter_mut().enumerate() {
        let below = |e: f64| f.partition_point(|&x| x < e);
        let start = below(edges[i]);
        let end = if i + 1 == bins { f.partition_point(|&x| x <= edges[bins]) } else { below(edges[i + 1]) };
        *count = (end - start) as u64;
    }
    (counts, (scores.len() - f.len()) as u64)
}

/// Counts in the bins of `edges` from a group's trials and how many reach a threshold
/// (every edge, and just above the last, among them), and the count of unscored trials.
/// The same counts as [`bin_counts`] over the sorted scores: a bin holds the finite
/// scores in `[e_i, e_i+1)`, the last `[e_n-1, e_n]`.
pub fn bins_from_counts(edges: &[f64], total: u64, at_least: impl Fn(f64) -> u64) -> (Vec<u64>, u64) {
    let bins = edges.len() - 1;
    let above_last = edges.last().map_or(0, |&e| at_least(e.next_up()));
    let counts = (0..bins)
        .map(|i| at_least(edges[i]) - if i + 1 == bins { above_last } else { at_least(edges[i + 1]) })
        .collect();
    (counts, total - at_least(edges[0]))
}

pub(crate) fn histogram_group(
    grouping: &str,
    group: &str,
    edges: &[f64],
    mated: (u64, impl Fn(f64) -> u64),
    non_mated: (u64, impl Fn(f64) -> u64),
) -> HistogramGroup {
    let (m, mu) = bins_from_counts(edges, mated.0, mated.1);
    let (nm, nmu) = bins_from_counts(edges, non_mated.0, non_mated.1);
    HistogramGroup {
        grouping: grouping.to_string(),
        group: group.to_string(),
        mated: m,
        non_mated: nm,
        mated_unscored: mu,
        non_mated_unscored: nmu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_count_every_finite_score_once() {
        let scores = [f64::NEG_INFINITY, 0.0, 0.1, 0.25, 0.5, 0.5, 1.0];
        let edges = [0.0, 0.25, 0.5, 0.75, 1.0];
        let (counts, unscored) = bin_counts(&scores, &edges);
        assert_eq!(counts, vec![2, 1, 2, 1]);
        assert_eq!(unscored, 1);
    }

    #[test]
    fn grid_reaches_one_false_positive_and_one_false_negative() {
        let nm: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
        let m: Vec<f64> = (0..100).map(|i| 0.5 + i as f64 / 200.0).collect();
        let t = curve_thresholds(&m, &nm, &[0.6]);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        assert!(t.contains(&0.6));
        // The highest non-mated score (FMR = 1/1000) and the lowest mated score (FNMR = 0).
        assert!(t.contains(&0.999));
        assert!(t.contains(&0.5));
        // Ten points per decade of FMR between 1 and 1e-3: at least 30 from the non-mated side.
        let fp_side = t.iter().filter(|&&x| (0.0..=0.999).contains(&x)).count();
        assert!(fp_side >= 30, "{fp_side}");
    }

    #[test]
    fn bins_from_counts_equal_bins_of_sorted_scores() {
        let scores = [f64::NEG_INFINITY, 0.0, 0.1, 0.25, 0.5, 0.5, 0.9, 1.0];
        let edges = histogram_edges(&scores, &[]).unwrap();
        let at_least = |t: f64| scores.iter().filter(|&&x| x >= t).count() as u64;
        assert_eq!(bins_from_counts(&edges, 8, at_least), bin_counts(&scores, &edges));
    }

    #[test]
    fn curve_counts_match_direct_counts() {
        let scores = [0.1, 0.2, 0.3, 0.9, f64::NEG_INFINITY];
        let at_least = |t: f64| scores.iter().filter(|&&x| x >= t).count() as u64;
        let c = curve_group("all", "all", &[0.2, 0.95], (5, at_least), (5, at_least));
        assert_eq!(c.false_positives, vec![3, 0]);
        assert_eq!(c.false_negatives, vec![2, 5]);
        assert_eq!((c.mated, c.non_mated), (5, 5));
    }
}
