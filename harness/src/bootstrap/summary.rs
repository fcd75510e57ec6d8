//! From replicate rates to percentile intervals: per-group rates, each group against the
//! reference group (difference and ratio), and the max/min ratio across groups.

use super::{BootstrapConfig, RateSpec, rate_value};
use crate::model::analysis::Metric;
use crate::model::differences::BootstrapInterval;
use crate::model::differences::MeasuresBootstrap;
use crate::model::population::GroupCodes;
use crate::model::rate::Rate;
use serde::Serialize;

/// One group's rate at one threshold (and rank), with its bootstrap intervals.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GroupRateBootstrap {
    pub metric: Metric,
    /// FNIR/TPIR only.
    pub rank: Option<u32>,
    pub threshold: f64,
    /// Group code and its label.
    pub group: usize,
    pub label: String,
    /// The observed counts (numerator, denominator), as in the analysis.
    pub rate: Rate,
    pub interval: BootstrapInterval,
    /// The reference group this row is compared with; `None` when no group has a
    /// defined rate.
    pub reference_group: Option<usize>,
    /// `rate - reference rate`; `None` for the reference group itself.
    pub difference_to_reference: Option<BootstrapInterval>,
    /// `rate / reference rate`; `None` for the reference group itself.
    pub ratio_to_reference: Option<BootstrapInterval>,
}

/// The spread of one rate across groups at one threshold (and rank).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SpreadBootstrap {
    pub metric: Metric,
    pub rank: Option<u32>,
    pub threshold: f64,
    /// Highest over lowest group rate; undefined in a replicate where any group's rate
    /// is undefined or the lowest is zero (never printed as infinity).
    pub max_min_ratio: BootstrapInterval,
}

/// FDR, IR and GARBE of one set of group rates (NaN when undefined).
fn measures(fp: &[f64], fnr: &[f64], alpha: f64) -> (f64, f64, f64) {
    if fp.iter().chain(fnr).any(|x| x.is_nan()) || fp.len() < 2 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let spread = |x: &[f64]| {
        let (lo, hi) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        (lo, hi)
    };
    let ((fl, fh), (nl, nh)) = (spread(fp), spread(fnr));
    let fdr = 1.0 - (alpha * (fh - fl) + (1.0 - alpha) * (nh - nl));
    let term = |hi: f64, lo: f64, w: f64| if w == 0.0 { 1.0 } else { ratio(hi, lo).powf(w) };
    let ir = term(fh, fl, alpha) * term(nh, nl, 1.0 - alpha);
    let gini = |x: &[f64], w: f64| if w == 0.0 { Ok(0.0) } else { crate::stats::gini(x) };
    let garbe = match (gini(fp, alpha), gini(fnr, 1.0 - alpha)) {
        (Ok(a), Ok(b)) => alpha * a + (1.0 - alpha) * b,
        _ => f64::NAN,
    };
    (fdr, ir, garbe)
}

/// Pair each false-positive spec with the false-negative spec of the same threshold
/// (and, for 1:N, each rank) and bootstrap the summary measures.
pub(crate) fn summarise_measures(
    specs: &[RateSpec],
    groups: usize,
    point: &[(u64, u64)],
    replicates: &[Vec<f64>],
    config: &BootstrapConfig,
) -> Vec<MeasuresBootstrap> {
    let alpha = config.summary_alpha;
    let of =
        |values: &dyn Fn(usize) -> f64, s: usize| -> Vec<f64> { (0..groups).map(|i| values(s * groups + i)).collect() };
    let mut out = Vec::new();
    for (f, fp_spec) in specs.iter().enumerate().filter(|(_, s)| matches!(s.metric, Metric::Fmr | Metric::Fpir)) {
        let fn_metric = if fp_spec.metric == Metric::Fmr { Metric::Fnmr } else { Metric::Fnir };
        for (n, fn_spec) in specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.metric == fn_metric && s.threshold.to_bits() == fp_spec.threshold.to_bits())
        {
            let observed = |i: usize| rate_value(point[i].0, point[i].1);
            let (fdr, ir, garbe) = measures(&of(&observed, f), &of(&observed, n), alpha);
            let per: Vec<(f64, f64, f64)> = replicates
                .iter()
                .map(|r| {
                    let value = |i: usize| r[i];
                    measures(&of(&value, f), &of(&value, n), alpha)
                })
                .collect();
            let c = config.confidence;
            out.push(MeasuresBootstrap {
                threshold: fp_spec.threshold,
                rank: fn_spec.rank,
                alpha,
                fdr: percentile_interval(fdr, per.iter().map(|m| m.0), c),
                ir: percentile_interval(ir, per.iter().map(|m| m.1), c),
                garbe: percentile_interval(garbe, per.iter().map(|m| m.2), c),
            });
        }
    }
    out
}

/// The `q` quantile of ascending `sorted` values, linear between order statistics
/// (Hyndman & Fan 1996 type 7, numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Percentile interval (Efron & Tibshirani 1993, chapter 13) of `values`, where NaN marks
/// an undefined replicate.
pub fn percentile_interval(estimate: f64, values: impl Iterator<Item = f64>, confidence: f64) -> BootstrapInterval {
    let mut defined: Vec<f64> = Vec::new();
    let mut undefined = 0;
    for v in values {
        if v.is_nan() { undefined += 1 } else { defined.push(v) }
    }
    defined.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    let (low, high) = if defined.is_empty() {
        (None, None)
    } else {
        (Some(quantile(&defined, tail)), Some(quantile(&defined, 1.0 - tail)))
    };
    BootstrapInterval {
        estimate: (!estimate.is_nan()).then_some(estimate),
        low,
        high,
        replicates_used: defined.len(),
        undefined,
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// Highest over lowest of `rates`; NaN when any is undefined or the lowest is zero.
fn max_min_ratio(rates: impl Iterator<Item = f64>) -> f64 {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in rates {
        if r.is_nan() {
            return f64::NAN;
        }
        lo = lo.min(r);
        hi = hi.max(r);
    }
    ratio(hi, lo)
}

/// `point[s * g + i]`: observed counts of spec `s`, group `i`; `replicates[b]` the same
/// layout as rates (NaN undefined).
pub(crate) fn summarise(
    specs: &[RateSpec],
    codes: &GroupCodes,
    point: &[(u64, u64)],
    replicates: &[Vec<f64>],
    config: &BootstrapConfig,
) -> (Vec<GroupRateBootstrap>, Vec<SpreadBootstrap>) {
    let g = codes.n_groups();
    let c = config.confidence;
    let mut rates = Vec::with_capacity(specs.len() * g);
    let mut spreads = Vec::with_capacity(specs.len());
    for (s, spec) in specs.iter().enumerate() {
        let cell = |i: usize| s * g + i;
        let observed: Vec<f64> = (0..g).map(|i| rate_value(point[cell(i)].0, point[cell(i)].1)).collect();
        let reference = config
            .reference_group
            .or_else(|| (0..g).filter(|&i| !observed[i].is_nan()).min_by(|&a, &b| observed[a].total_cmp(&observed[b])));
        for i in 0..g {
            let interval = percentile_interval(observed[i], replicates.iter().map(|r| r[cell(i)]), c);
            let (difference, ratio_to) = match reference {
                Some(r) if r != i => {
                    let diff = percentile_interval(
                        observed[i] - observed[r],
                        replicates.iter().map(|x| x[cell(i)] - x[cell(r)]),
                        c,
                    );
                    let rat = percentile_interval(
                        ratio(observed[i], observed[r]),
                        replicates.iter().map(|x| ratio(x[cell(i)], x[cell(r)])),
                        c,
                    );
                    (Some(diff), Some(rat))
                }
                _ => (None, None),
            };
            rates.push(GroupRateBootstrap {
                metric: spec.metric,
                rank: spec.rank,
                threshold: spec.threshold,
                group: i,
                label: codes.labels[i].clone(),
                rate: Rate::new(point[cell(i)].0, point[cell(i)].1),
                interval,
                reference_group: reference,
                difference_to_reference: difference,
                ratio_to_reference: ratio_to,
            });
        }
        spreads.push(SpreadBootstrap {
            metric: spec.metric,
            rank: spec.rank,
            threshold: spec.threshold,
            max_min_ratio: percentile_interval(
                max_min_ratio(observed.iter().copied()),
                replicates.iter().map(|x| max_min_ratio((0..g).map(|i| x[cell(i)]))),
                c,
            ),
        });
    }
    (rates, spreads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_match_the_point_formulas() {
        // As differential::summaries_tests: FDR 0.96, IR 2 sqrt(2), GARBE 0.3 + 1/6.
        let (fdr, ir, garbe) = measures(&[0.01, 0.04], &[0.10, 0.05], 0.5);
        assert!((fdr - 0.96).abs() < 1e-12);
        assert!((ir - 2.0 * 2f64.sqrt()).abs() < 1e-12);
        assert!((garbe - (0.3 + 1.0 / 6.0)).abs() < 1e-12);
        assert!(measures(&[f64::NAN, 0.04], &[0.10, 0.05], 0.5).0.is_nan());
        // IR is undefined with a zero rate; FDR is not.
        let (fdr, ir, _) = measures(&[0.0, 0.04], &[0.10, 0.05], 0.5);
        assert!(!fdr.is_nan() && ir.is_nan());
    }

    #[test]
    fn type_7_quantiles_match_numpy() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) -> [1.075, 3.925]
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&x, 0.025) - 1.075).abs() < 1e-12);
        assert!((quantile(&x, 0.975) - 3.925).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.3), 5.0);
    }

    #[test]
    fn undefined_replicates_are_counted_not_dropped_silently() {
        let i = percentile_interval(0.5, [0.2, f64::NAN, 0.4, f64::NAN].into_iter(), 0.95);
        assert_eq!((i.replicates_used, i.undefined), (2, 2));
        assert_eq!(i.estimate, Some(0.5));
        let none = percentile_interval(f64::NAN, [f64::NAN].into_iter(), 0.95);
        assert_eq!((none.estimate, none.low, none.high), (None, None, None));
    }

    #[test]
    fn spread_is_undefined_with_a_zero_or_undefined_group() {
        assert_eq!(max_min_ratio([0.1, 0.4, 0.2].into_iter()), 4.0);
        assert!(max_min_ratio([0.0, 0.4].into_iter()).is_nan());
        assert!(max_min_ratio([f64::NAN, 0.4].into_iter()).is_nan());
    }
}
