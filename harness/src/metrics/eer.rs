//! Equal error rate of 1:1 verification. `equal_error_rate` reads sorted scores; the
//! analysis finds the same crossing without sorting (`metrics::order`), and the tests
//! hold the two equal bit for bit.
//!
//! Interpolation (stated in every report): FMR(t) and FNMR(t) are evaluated at every
//! distinct finite score t and just above the highest score; between the two adjacent
//! thresholds where FNMR - FMR changes sign, both rates and the threshold are linearly
//! interpolated to the point where FMR = FNMR. This is the crossing of the
//! piecewise-linear DET in rate space with the diagonal.

/// The EER and the threshold where it is reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    pub eer: f64,
    pub threshold: f64,
}

/// The crossing from the first candidate threshold `t` where FNMR >= FMR, with its
/// rates, and the candidate before it (`None`: FNMR already reaches FMR at the lowest
/// candidate, and the two rates are averaged there).
pub fn crossing_point(previous: Option<(f64, f64, f64)>, (t, fmr, fnmr): (f64, f64, f64)) -> Crossing {
    let (eer, threshold) = match previous {
        None => ((fmr + fnmr) / 2.0, t),
        Some((t0, fmr0, fnmr0)) => {
            let d0 = fnmr0 - fmr0; // < 0
            let d1 = fnmr - fmr; // >= 0
            let lambda = -d0 / (d1 - d0);
            (fmr0 + lambda * (fmr - fmr0), t0 + lambda * (t - t0))
        }
    };
    Crossing { eer, threshold }
}

/// `(eer, threshold)` from ascending mated and non-mated scores (failures are -inf).
/// `None` when either side has no trials.
pub fn equal_error_rate(mated: &[f64], non_mated: &[f64]) -> Option<(f64, f64)> {
    if mated.is_empty() || non_mated.is_empty() {
        return None;
    }
    let (nm, nn) = (mated.len() as f64, non_mated.len() as f64);
    // Rates at threshold t: FMR = #{non-mated >= t} / nn, FNMR = #{mated < t} / nm.
    let rates = |t: f64| {
        let fnmr = mated.partition_point(|&x| x < t) as f64 / nm;
        let fmr = (non_mated.len() - non_mated.partition_point(|&x| x < t)) as f64 / nn;
        (fmr, fnmr)
    };
    let top =
        mated.last().copied().unwrap_or(f64::NEG_INFINITY).max(non_mated.last().copied().unwrap_or(f64::NEG_INFINITY));
    // Distinct finite candidate thresholds, ascending, merged from both sides.
    let mut candidates: Vec<f64> = mated.iter().chain(non_mated).copied().filter(|x| x.is_finite()).collect();
    candidates.sort_unstable_by(f64::total_cmp);
    candidates.dedup();
    if top.is_finite() {
        candidates.push(top.next_up());
    }
    if candidates.is_empty() {
        return None;
    }
    let mut previous: Option<(f64, f64, f64)> = None;
    for &t in &candidates {
        let (fmr, fnmr) = rates(t);
        if fnmr >= fmr {
            let c = crossing_point(previous, (t, fmr, fnmr));
            return Some((c.eer, c.threshold));
        }
        previous = Some((t, fmr, fnmr));
    }
    // Unreachable in practice: just above the top score FNMR = 1 >= FMR = 0.
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_scores_have_zero_eer() {
        let (eer, t) = equal_error_rate(&[0.8, 0.9], &[0.1, 0.2]).unwrap();
        // At t = 0.8: FMR 0, FNMR 0 -> crossing exactly there, interpolation from t=0.2
        // (FMR 0.5, FNMR 0) gives lambda = 1.
        assert_eq!(eer, 0.0);
        assert_eq!(t, 0.8);
    }

    #[test]
    fn hand_computed_overlap() {
        // mated 0.3 0.6 0.9; non-mated 0.2 0.5 0.7.
        // t=0.5: FMR 2/3, FNMR 1/3 (d=-1/3); t=0.6: FMR 1/3, FNMR 1/3 (d=0) -> EER 1/3 at 0.6.
        let (eer, t) = equal_error_rate(&[0.3, 0.6, 0.9], &[0.2, 0.5, 0.7]).unwrap();
        assert!((eer - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(t, 0.6);
    }

    #[test]
    fn interpolates_between_thresholds() {
        // mated 0.4 0.6; non-mated 0.5 0.55.
        // t=0.4: FMR 1, FNMR 0 (d=-1); t=0.5: FMR 1, FNMR 1/2 (d=-1/2);
        // t=0.55: FMR 1/2, FNMR 1/2 (d=0) -> EER 1/2 at 0.55.
        let (eer, t) = equal_error_rate(&[0.4, 0.6], &[0.5, 0.55]).unwrap();
        assert!((eer - 0.5).abs() < 1e-15);
        assert_eq!(t, 0.55);
        // A sign change strictly inside a step:
        // mated 0.5 0.7; non-mated 0.6 0.65 0.66.
        // t=0.6: FMR 1, FNMR 1/2 (d=-1/2); t=0.65: FMR 2/3, FNMR 1/2 (d=-1/6);
        // t=0.66: FMR 1/3, FNMR 1/2 (d=+1/6) -> lambda=1/2: EER = 2/3 - 1/6 = 1/2, t=0.655.
        let (eer, t) = equal_error_rate(&[0.5, 0.7], &[0.6, 0.65, 0.66]).unwrap();
        assert!((eer - 0.5).abs() < 1e-12, "{eer}");
        assert!((t - 0.655).abs() < 1e-12, "{t}");
    }

    #[test]
    fn empty_side_is_undefined() {
        assert_eq!(equal_error_rate(&[], &[0.1]), None);
        assert_eq!(equal_error_rate(&[0.1], &[]), None);
    }

    #[test]
    fn failed_mated_trials_raise_eer() {
        let (clean, _) = equal_error_rate(&[0.8, 0.9], &[0.1, 0.2]).unwrap();
        let (failed, _) = equal_error_rate(&[f64::NEG_INFINITY, 0.8, 0.9], &[0.1, 0.2]).unwrap();
        assert!(failed > clean);
    }
}
