//! What the plots of a report are drawn from: error counts per group over a fine grid
//! of thresholds (DET curves; FMR/FNMR and FPIR/FNIR against threshold) and histograms
//! of mated and non-mated scores per group. They are counts, like every rate, so that a
//! plotted point can be checked against its numerator and denominator.
//!
//! The grid is shared by every group of a protocol (and gallery size): it holds the
//! thresholds of the analysis, evenly spaced thresholds across the scores seen, and the
//! pooled scores at which the false-positive and false-negative rates pass 10^(-j/10),
//! so a DET curve on probit axes has points in every decade the data can resolve.

use crate::metrics::counting::GroupedScores;
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

/// The shared threshold grid from the pooled (`all`) mated and non-mated scores, both
/// sorted ascending, and the thresholds the analysis evaluated.
pub fn curve_thresholds(mated: &[f64], non_mated: &[f64], evaluated: &[f64]) -> Vec<f64> {
    let (m, nm) = (finite(mated), finite(non_mated));
    let mut t: Vec<f64> = evaluated.iter().copied().filter(|x| x.is_finite()).collect();
    let lo = m.first().into_iter().chain(nm.first()).copied().fold(f64::INFINITY, f64::min);
    let hi = m.last().into_iter().chain(nm.last()).copied().fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() && hi.is_finite() {
        for i in 0..LINEAR_POINTS {
            t.push(lo + (hi - lo) * i as f64 / (LINEAR_POINTS - 1) as f64);
        }
    }
    // False positives: the k-th highest non-mated score gives a rate of at least k/n;
    // k falls by a factor 10^(1/PER_DECADE) each step, down to one false positive.
    let n = nm.len();
    if n > 0 {
        for j in 0u32.. {
            let k = (n as f64 * 10f64.powf(-f64::from(j) / PER_DECADE)).ceil() as usize;
            t.push(nm[n - k.clamp(1, n)]);
            if k <= 1 {
                break;
            }
        }
    }
    // False negatives: k mated scores below the (k+1)-th lowest, down to none.
    let n = m.len();
    if n > 0 {
        for j in 0u32.. {
            let k = (n as f64 * 10f64.powf(-f64::from(j) / PER_DECADE)).floor() as usize;
            t.push(m[k.min(n - 1)]);
            if k == 0 {
                break;
            }
        }
    }
    t.sort_unstable_by(f64::total_cmp);
    t.dedup();
    t
}

/// One group's curve from its false-positive scores (`fp`, group `fg` of `fp`) and the
/// scores that make a mated trial succeed (`hits`, group `hg`): a mated trial is a false
/// negative at T unless its score is >= T.
pub(crate) fn curve_group(
    grouping: &str,
    group: &str,
    thresholds: &[f64],
    fp: (&GroupedScores, usize),
    hits: (&GroupedScores, usize),
) -> CurveGroup {
    let (nm_total, m_total) = (fp.0.total(fp.1), hits.0.total(hits.1));
    CurveGroup {
        grouping: grouping.to_string(),
        group: group.to_string(),
        non_mated: nm_total,
        mated: m_total,
        false_positives: thresholds.iter().map(|&t| fp.0.at_least(fp.1, t)).collect(),
        false_negatives: thresholds.iter().map(|&t| m_total - hits.0.at_least(hits.1, t)).collect(),
    }
}

/// Histogram edges spanning the finite scores of both sorted slices; `None` without
/// any finite score.
pub fn histogram_edges(mated: &[f64], non_mated: &[f64]) -> Option<Vec<f64>> {
    let (m, nm) = (finite(mated), finite(non_mated));
    let lo = m.first().into_iter().chain(nm.first()).copied().fold(f64::INFINITY, f64::min);
    let hi = m.last().into_iter().chain(nm.last()).copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return None;
    }
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

pub(crate) fn histogram_group(
    grouping: &str,
    group: &str,
    edges: &[f64],
    mated: &[f64],
    non_mated: &[f64],
) -> HistogramGroup {
    let (m, mu) = bin_counts(mated, edges);
    let (nm, nmu) = bin_counts(non_mated, edges);
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
    fn curve_counts_match_direct_counts() {
        let scores = [0.1, 0.2, 0.3, 0.9, f64::NEG_INFINITY];
        let groups = [0, 0, 0, 0, 0];
        let g = GroupedScores::new(&scores, &groups, 1);
        let c = curve_group("all", "all", &[0.2, 0.95], (&g, 0), (&g, 0));
        assert_eq!(c.false_positives, vec![3, 0]);
        assert_eq!(c.false_negatives, vec![2, 5]);
        assert_eq!((c.mated, c.non_mated), (5, 5));
    }
}
