//! Summary measures of differential performance across demographic groups
//! (docs/metrics.md, "Summary measures"): max/min ratio, ratio to a reference group, FDR, IR and
//! GARBE, for 1:1 (FMR, FNMR) and 1:N (FPIR, FNIR).
//!
//! Pure functions on per-group [`Rate`]s. The weight `alpha` between the false-positive
//! and the false-negative term is always passed by the caller and echoed in the result
//! (the papers use 0.5). A value that cannot be computed is `None`, with the reason in
//! words in `undefined_reason`; nothing is ever infinite or NaN.
//!
//! Sources:
//! - FDR: de Freitas Pereira & Marcel (2021), "Fairness in biometrics: a figure of merit
//!   to assess biometric verification systems", IEEE T-BIOM.
//! - GARBE: Howard, Laird, Rubin, Sirotin, Tipton & Vemury (2022), "Evaluating proposed
//!   fairness models for face recognition algorithms" (Gini aggregation rate).
//! - IR (inequity rate): the same paper, after the max/min ratios of NISTIR 8280.

use crate::model::differences::Comparison;
use crate::model::differences::DifferentialSummary;
use crate::model::differences::GroupRatio;
use crate::model::differences::RatioSummary;
use crate::model::differences::SummaryAtThreshold;

use crate::model::rate::Rate;
use crate::model::thresholds::OperatingPoint;

/// The group every other group is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// The group with the lowest defined rate (docs/metrics.md default); ties go to the group
    /// with more trials, then to the first given.
    LowestRate,
    /// A declared group.
    Named(String),
}

/// Why a value could not be computed, or why the inputs are wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DifferentialError {
    #[error("alpha {0} is not in [0, 1]")]
    InvalidAlpha(f64),
    #[error("reference group '{0}' is not among the groups with a defined {1}")]
    UnknownReference(String, &'static str),
}

/// Exact comparison of two rates by cross-multiplication (no rounding).
fn cmp_rate(a: &Rate, b: &Rate) -> std::cmp::Ordering {
    (a.numerator as u128 * b.denominator as u128).cmp(&(b.numerator as u128 * a.denominator as u128))
}

/// Ratios of one metric: each group against the reference, and highest over lowest.
pub fn ratio_summary(
    metric: &'static str,
    groups: &[(String, Rate)],
    reference: &Reference,
) -> Result<RatioSummary, DifferentialError> {
    let (defined, excluded) = split_defined(groups);
    let mut reasons = Vec::new();
    let lowest = lowest_rate_index(&defined);
    let highest = (0..defined.len()).max_by(|&i, &j| cmp_rate(&defined[i].1, &defined[j].1).then(j.cmp(&i)));
    let reference_index = match reference {
        Reference::LowestRate => lowest,
        Reference::Named(name) => Some(
            defined
                .iter()
                .position(|(g, _)| g == name)
                .ok_or_else(|| DifferentialError::UnknownReference(name.clone(), metric))?,
        ),
    };
    let reference_rate = reference_index.and_then(|i| defined[i].1.value());
    if let (Some(i), Some(0.0)) = (reference_index, reference_rate) {
        reasons.push(format!(
            "ratios to the reference: reference group '{}' has no errors ({} 0 of {})",
            defined[i].0, metric, defined[i].1.denominator
        ));
    }
    let rows = defined
        .iter()
        .map(|(g, r)| GroupRatio {
            group: g.clone(),
            rate: *r,
            ratio_to_reference: match (r.value(), reference_rate) {
                (Some(v), Some(base)) if base > 0.0 => Some(v / base),
                _ => None,
            },
        })
        .collect();
    let max_min_ratio = match (lowest, highest) {
        _ if defined.len() < 2 => {
            reasons.push(format!("max/min ratio: fewer than two groups with a defined {metric}"));
            None
        }
        (Some(lo), Some(hi)) => {
            let (l, h) = (defined[lo].1.value().unwrap_or(0.0), defined[hi].1.value().unwrap_or(0.0));
            if l > 0.0 {
                Some(h / l)
            } else {
                reasons.push(format!("max/min ratio: {}", zero_reason(metric, &defined[lo], h == 0.0)));
                None
            }
        }
        _ => None,
    };
    Ok(RatioSummary {
        metric: metric.to_string(),
        reference: reference_index.map(|i| defined[i].0.clone()),
        groups: rows,
        excluded_groups: excluded,
        highest_group: highest.map(|i| defined[i].0.clone()),
        lowest_group: lowest.map(|i| defined[i].0.clone()),
        max_min_ratio,
        undefined_reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    })
}

fn split_defined(groups: &[(String, Rate)]) -> (Vec<(String, Rate)>, Vec<String>) {
    let defined = groups.iter().filter(|(_, r)| r.denominator > 0).cloned().collect();
    let excluded = groups.iter().filter(|(_, r)| r.denominator == 0).map(|(g, _)| g.clone()).collect();
    (defined, excluded)
}

/// Lowest rate; ties to more trials, then to the first given.
pub(crate) fn lowest_rate_index(defined: &[(String, Rate)]) -> Option<usize> {
    (0..defined.len()).min_by(|&i, &j| {
        cmp_rate(&defined[i].1, &defined[j].1)
            .then(defined[j].1.denominator.cmp(&defined[i].1.denominator))
            .then(i.cmp(&j))
    })
}

fn zero_reason(metric: &str, lowest: &(String, Rate), all_zero: bool) -> String {
    if all_zero {
        format!("no group has any errors ({metric} 0 in every group), so max/min is 0/0")
    } else {
        format!("group '{}' has no errors ({metric} 0 of {}), so max/min is unbounded", lowest.0, lowest.1.denominator)
    }
}

/// All summary measures at one threshold. `false_positive` holds each group's FMR (FPIR
/// for 1:N), `false_negative` its FNMR (FNIR). Each term uses the groups where its rate
/// is defined; groups with no trials for a rate are listed in that rate's
/// `excluded_groups`. A term whose weight is 0 (alpha = 0 or 1) is not needed, so its
/// being undefined does not make the measure undefined.
pub fn summarise(
    comparison: Comparison,
    false_positive: &[(String, Rate)],
    false_negative: &[(String, Rate)],
    alpha: f64,
    reference: &Reference,
) -> Result<DifferentialSummary, DifferentialError> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(DifferentialError::InvalidAlpha(alpha));
    }
    let (fp_name, fn_name) = (comparison.false_positive_metric(), comparison.false_negative_metric());
    let fp = ratio_summary(fp_name, false_positive, reference)?;
    let fnr = ratio_summary(fn_name, false_negative, reference)?;
    let fp_values: Vec<f64> = fp.groups.iter().filter_map(|g| g.rate.value()).collect();
    let fn_values: Vec<f64> = fnr.groups.iter().filter_map(|g| g.rate.value()).collect();
    let mut reasons: Vec<String> = Vec::new();
    let need = |v: Result<f64, String>, weight: f64, reasons: &mut Vec<String>| match v {
        Ok(x) => Some(x),
        Err(why) => {
            if weight > 0.0 {
                reasons.push(why);
            }
            None
        }
    };

    let spread = |xs: &[f64], metric: &str| -> Result<f64, String> {
        if xs.len() < 2 {
            return Err(format!("FDR: fewer than two groups with a defined {metric}"));
        }
        let max = xs.iter().cloned().fold(f64::MIN, f64::max);
        let min = xs.iter().cloned().fold(f64::MAX, f64::min);
        Ok(max - min)
    };
    let a = need(spread(&fp_values, fp_name), alpha, &mut reasons);
    let b = need(spread(&fn_values, fn_name), 1.0 - alpha, &mut reasons);
    let fdr = combine(a, b, alpha, |a, b| 1.0 - (alpha * a + (1.0 - alpha) * b));

    let ratio = |s: &RatioSummary| s.max_min_ratio.ok_or_else(|| format!("IR: {}", max_min_reason(s)));
    let ir_fp = need(ratio(&fp), alpha, &mut reasons);
    let ir_fn = need(ratio(&fnr), 1.0 - alpha, &mut reasons);
    let ir = combine(ir_fp, ir_fn, alpha, |x, y| x.powf(alpha) * y.powf(1.0 - alpha));

    let g = |xs: &[f64], metric: &str| crate::stats::gini(xs).map_err(|why| format!("GARBE: {metric}: {why}"));
    let g_fp = need(g(&fp_values, fp_name), alpha, &mut reasons);
    let g_fn = need(g(&fn_values, fn_name), 1.0 - alpha, &mut reasons);
    let garbe = combine(g_fp, g_fn, alpha, |x, y| alpha * x + (1.0 - alpha) * y);

    Ok(DifferentialSummary {
        comparison,
        alpha,
        false_positive: fp,
        false_negative: fnr,
        max_false_positive_difference: a,
        max_false_negative_difference: b,
        fdr,
        ir,
        gini_false_positive: g_fp,
        gini_false_negative: g_fn,
        garbe,
        undefined_reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    })
}

/// Why a summary's max/min ratio is undefined.
fn max_min_reason(s: &RatioSummary) -> String {
    let defined: Vec<(String, Rate)> = s.groups.iter().map(|g| (g.group.clone(), g.rate)).collect();
    match lowest_rate_index(&defined) {
        Some(lo) if defined.len() >= 2 => {
            let all_zero = defined.iter().all(|(_, r)| r.numerator == 0);
            zero_reason(&s.metric, &defined[lo], all_zero)
        }
        _ => format!("fewer than two groups with a defined {}", s.metric),
    }
}

/// Combine a false-positive term and a false-negative term; a term with weight 0 may be
/// missing (it is replaced by a neutral value that the weight cancels).
fn combine(x: Option<f64>, y: Option<f64>, alpha: f64, f: impl Fn(f64, f64) -> f64) -> Option<f64> {
    let x = x.or((alpha == 0.0).then_some(1.0))?;
    let y = y.or((alpha == 1.0).then_some(1.0))?;
    Some(f(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(counts: &[(&str, u64, u64)]) -> Vec<(String, Rate)> {
        counts.iter().map(|&(g, k, n)| (g.to_string(), Rate::new(k, n))).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn hand_computed_two_groups() {
        // FMR: a = 1/100 = 0.01, b = 3/100 = 0.03; FNMR: a = 10/100 = 0.1, b = 5/100 = 0.05.
        let fp = groups(&[("a", 1, 100), ("b", 3, 100)]);
        let fnr = groups(&[("a", 10, 100), ("b", 5, 100)]);
        let s = summarise(Comparison::Verification, &fp, &fnr, 0.5, &Reference::LowestRate).unwrap();
        // A = 0.03 - 0.01 = 0.02; B = 0.1 - 0.05 = 0.05; FDR = 1 - (0.5·0.02 + 0.5·0.05) = 0.965
        assert!(close(s.max_false_positive_difference.unwrap(), 0.02));
        assert!(close(s.max_false_negative_difference.unwrap(), 0.05));
        assert!(close(s.fdr.unwrap(), 0.965));
        // IR = (0.03/0.01)^0.5 · (0.1/0.05)^0.5 = sqrt(3 · 2) = sqrt(6)
        assert!(close(s.ir.unwrap(), 6f64.sqrt()));
        // G(FMR): n = 2, Σ|xi-xj| = 2·0.02 = 0.04, mean = 0.02: 2/1 · 0.04 / (2·4·0.02) = 0.5
        // G(FNMR): Σ = 2·0.05 = 0.1, mean = 0.075: 2 · 0.1 / (8·0.075) = 1/3
        // GARBE = 0.5·0.5 + 0.5/3 = 0.41666...
        assert!(close(s.gini_false_positive.unwrap(), 0.5));
        assert!(close(s.gini_false_negative.unwrap(), 1.0 / 3.0));
        assert!(close(s.garbe.unwrap(), 0.25 + 0.5 / 3.0));
        // Reference for FMR: lowest = a; b/a = 3. For FNMR: lowest = b; a/b = 2.
        assert_eq!(s.false_positive.reference.as_deref(), Some("a"));
        assert!(close(s.false_positive.groups[1].ratio_to_reference.unwrap(), 3.0));
        assert_eq!(s.false_negative.reference.as_deref(), Some("b"));
        assert!(close(s.false_negative.max_min_ratio.unwrap(), 2.0));
        assert_eq!(s.undefined_reason, None);
    }

    #[test]
    fn hand_computed_three_groups_alpha_weights() {
        // FPIR: 0.1, 0.2, 0.3 (1/10, 2/10, 3/10); FNIR: 0.2 for all (2/10).
        let fp = groups(&[("x", 1, 10), ("y", 2, 10), ("z", 3, 10)]);
        let fnr = groups(&[("x", 2, 10), ("y", 2, 10), ("z", 2, 10)]);
        let s = summarise(Comparison::Identification, &fp, &fnr, 0.25, &Reference::Named("y".into())).unwrap();
        // A = 0.2, B = 0; FDR = 1 - 0.25·0.2 = 0.95
        assert!(close(s.fdr.unwrap(), 0.95));
        // IR = 3^0.25 · 1^0.75
        assert!(close(s.ir.unwrap(), 3f64.powf(0.25)));
        // G(FPIR): pairs |.1-.2|,|.1-.3|,|.2-.3| = .1,.2,.1, each twice: Σ = 0.8; mean 0.2, n 3:
        // 3/2 · 0.8 / (2·9·0.2) = 1.2 / 3.6 = 1/3. G(FNIR) = 0. GARBE = 0.25/3.
        assert!(close(s.garbe.unwrap(), 0.25 / 3.0));
        // Named reference y: x/y = 0.5, z/y = 1.5.
        let r: Vec<f64> = s.false_positive.groups.iter().map(|g| g.ratio_to_reference.unwrap()).collect();
        assert!(close(r[0], 0.5) && close(r[1], 1.0) && close(r[2], 1.5));
        assert_eq!(s.comparison.false_positive_metric(), "fpir");
    }

    #[test]
    fn zero_errors_make_ir_undefined_with_reason_and_exclude_empty_groups() {
        // FMR: a = 0/50, b = 2/50, c has no trials; FNMR: 5/50, 10/50, 1/10.
        let fp = groups(&[("a", 0, 50), ("b", 2, 50), ("c", 0, 0)]);
        let fnr = groups(&[("a", 5, 50), ("b", 10, 50), ("c", 1, 10)]);
        let s = summarise(Comparison::Verification, &fp, &fnr, 0.5, &Reference::LowestRate).unwrap();
        assert_eq!(s.false_positive.excluded_groups, vec!["c".to_string()]);
        assert_eq!(s.false_positive.max_min_ratio, None);
        assert_eq!(s.ir, None);
        let why = s.undefined_reason.unwrap();
        assert!(why.contains("IR: group 'a' has no errors (fmr 0 of 50)"), "{why}");
        // FDR stays defined: A = 0.04, B = 0.2 - 0.1 = 0.1: 1 - (0.02 + 0.05) = 0.93
        assert!(close(s.fdr.unwrap(), 0.93));
        // GARBE stays defined: G(FMR) over (0, 0.04): 2 · 0.08 / (8 · 0.02) = 1.
        assert!(close(s.gini_false_positive.unwrap(), 1.0));
        // alpha = 0 ignores the undefined FMR ratio: IR = (0.2/0.1)^1 = 2.
        let s = summarise(Comparison::Verification, &fp, &fnr, 0.0, &Reference::LowestRate).unwrap();
        assert!(close(s.ir.unwrap(), 2.0));
    }

    #[test]
    fn all_zero_and_single_group_are_undefined() {
        let fp = groups(&[("a", 0, 50), ("b", 0, 50)]);
        let s = summarise(Comparison::Verification, &fp, &fp, 0.5, &Reference::LowestRate).unwrap();
        assert_eq!((s.ir, s.garbe), (None, None));
        assert!(close(s.fdr.unwrap(), 1.0));
        assert!(s.undefined_reason.unwrap().contains("0/0"));
        let one = groups(&[("a", 1, 50)]);
        let s = summarise(Comparison::Verification, &one, &one, 0.5, &Reference::LowestRate).unwrap();
        assert_eq!((s.fdr, s.ir, s.garbe), (None, None, None));
        assert!(matches!(
            summarise(Comparison::Verification, &one, &one, 1.5, &Reference::LowestRate),
            Err(DifferentialError::InvalidAlpha(_))
        ));
        assert!(summarise(Comparison::Verification, &one, &one, 0.5, &Reference::Named("zz".into())).is_err());
    }

    #[test]
    fn lowest_rate_ties_go_to_more_trials() {
        let fp = groups(&[("a", 1, 100), ("b", 2, 200)]);
        let s = ratio_summary("fmr", &fp, &Reference::LowestRate).unwrap();
        assert_eq!(s.reference.as_deref(), Some("b"));
    }

    /// Values from `harness/tests/fixtures/make_differential_fixtures.py` (numpy).
    #[test]
    fn matches_numpy_reference() {
        let text = include_str!("../../tests/fixtures/differential_reference.txt");
        let mut cases = 0;
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let f: Vec<&str> = line.split('|').map(str::trim).collect();
            let alpha: f64 = f[0].parse().unwrap();
            let parse = |s: &str| -> Vec<(String, Rate)> {
                s.split(',')
                    .enumerate()
                    .map(|(i, kn)| {
                        let (k, n) = kn.split_once('/').unwrap();
                        (format!("g{i}"), Rate::new(k.parse().unwrap(), n.parse().unwrap()))
                    })
                    .collect()
            };
            let (fp, fnr) = (parse(f[1]), parse(f[2]));
            let s = summarise(Comparison::Verification, &fp, &fnr, alpha, &Reference::LowestRate).unwrap();
            let want: Vec<Option<f64>> =
                f[3].split_whitespace().map(|v| (v != "nan").then(|| v.parse().unwrap())).collect();
            let got = [s.fdr, s.ir, s.garbe, s.false_positive.max_min_ratio, s.false_negative.max_min_ratio];
            for (g, w) in got.iter().zip(&want) {
                match (g, w) {
                    (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-10 * w.abs().max(1e-12), "{line}: {g} vs {w}"),
                    (None, None) => {}
                    _ => panic!("{line}: {got:?} vs {want:?}"),
                }
            }
            cases += 1;
        }
        assert!(cases >= 10);
    }
}

/// Summary measures for every grouping (but `all`) at every threshold of one protocol's
/// rate rows: FMR/FNMR for verification, FPIR/FNIR (at the smallest rank reported) for
/// 1:N. The reference is `reference_group` where the grouping has it, else the lowest rate.
pub fn summaries_of(
    rates: &[crate::model::analysis::RateRow],
    comparison: Comparison,
    alpha: f64,
    reference_group: Option<&str>,
    bootstrap: &crate::bootstrap::BootstrapIndex,
) -> Vec<SummaryAtThreshold> {
    use crate::model::analysis::Metric;
    use std::collections::BTreeMap;
    let (fp_metric, fn_metric) = match comparison {
        Comparison::Verification => (Metric::Fmr, Metric::Fnmr),
        Comparison::Identification => (Metric::Fpir, Metric::Fnir),
    };
    let rank = rates.iter().filter(|r| r.metric == fn_metric).filter_map(|r| r.rank).min();
    // (gallery size, threshold bits, operating point, grouping) -> (fp rows, fn rows), in first-seen order.
    type Key = (Option<u64>, u64, String, String);
    let mut order: Vec<(Key, f64, OperatingPoint)> = Vec::new();
    type GroupRates = Vec<(String, Rate)>;
    let mut cells: BTreeMap<Key, (GroupRates, GroupRates)> = BTreeMap::new();
    for r in rates.iter().filter(|r| r.grouping != "all") {
        let Some(t) = r.threshold else { continue };
        let is_fp = r.metric == fp_metric;
        let is_fn = r.metric == fn_metric && r.rank == rank;
        if !(is_fp || is_fn) {
            continue;
        }
        let key = (r.gallery_size, t.to_bits(), r.operating_point.label(), r.grouping.clone());
        let cell = cells.entry(key.clone()).or_insert_with(|| {
            order.push((key, t, r.operating_point.clone()));
            (Vec::new(), Vec::new())
        });
        let side = if is_fp { &mut cell.0 } else { &mut cell.1 };
        side.push((r.group.clone(), r.rate));
    }
    order
        .into_iter()
        .filter_map(|(key, threshold, operating_point)| {
            let (fp, fnr) = &cells[&key];
            let named = reference_group
                .filter(|g| fp.iter().chain(fnr).any(|(name, rate)| name == g && rate.denominator > 0))
                .map(|g| Reference::Named(g.to_string()));
            let summary = summarise(comparison, fp, fnr, alpha, named.as_ref().unwrap_or(&Reference::LowestRate))
                .or_else(|_| summarise(comparison, fp, fnr, alpha, &Reference::LowestRate))
                .ok()?;
            let fn_rank = if matches!(comparison, Comparison::Identification) { rank } else { None };
            Some(SummaryAtThreshold {
                gallery_size: key.0,
                rank: fn_rank,
                threshold,
                bootstrap_max_min_false_positive: bootstrap.spread(&key.3, fp_metric, key.0, None, threshold).cloned(),
                bootstrap_max_min_false_negative: bootstrap
                    .spread(&key.3, fn_metric, key.0, fn_rank, threshold)
                    .cloned(),
                bootstrap_measures: bootstrap
                    .measures(&key.3, key.0, fn_rank, threshold)
                    .filter(|m| m.alpha == alpha)
                    .cloned(),
                operating_point,
                grouping: key.3,
                summary,
            })
        })
        .collect()
}

#[cfg(test)]
mod summaries_tests {
    use super::*;
    use crate::model::analysis::{Metric, RateRow};

    fn row(metric: Metric, grouping: &str, group: &str, k: u64, n: u64) -> RateRow {
        RateRow {
            metric,
            gallery_size: None,
            rank: None,
            threshold: Some(0.5),
            operating_point: OperatingPoint::Grid,
            grouping: grouping.into(),
            group: group.into(),
            rate: Rate::new(k, n),
            interval: None,
            upper_bound: None,
            lower_bound: None,
            bootstrap: None,
        }
    }

    #[test]
    fn summaries_of_a_verification_table() {
        // FMR a 1/100, b 4/100; FNMR a 10/100, b 5/100; the `all` rows are skipped.
        let rates = vec![
            row(Metric::Fmr, "all", "all", 5, 200),
            row(Metric::Fmr, "sex", "a", 1, 100),
            row(Metric::Fnmr, "sex", "a", 10, 100),
            row(Metric::Fmr, "sex", "b", 4, 100),
            row(Metric::Fnmr, "sex", "b", 5, 100),
        ];
        let s = summaries_of(&rates, Comparison::Verification, 0.5, None, &Default::default());
        assert_eq!(s.len(), 1);
        let m = &s[0].summary;
        assert_eq!((s[0].grouping.as_str(), s[0].threshold), ("sex", 0.5));
        // A = 0.03, B = 0.05: FDR = 1 - (0.015 + 0.025) = 0.96.
        assert!((m.fdr.unwrap() - 0.96).abs() < 1e-12);
        // IR = (0.04 / 0.01)^0.5 (0.10 / 0.05)^0.5 = 2 sqrt(2).
        assert!((m.ir.unwrap() - 2.0 * 2f64.sqrt()).abs() < 1e-12);
        // G(FMR) = 2 (2 * 0.03) / (2 * 4 * 0.025) = 0.6; G(FNMR) = 2 (2 * 0.05) / (2 * 4 * 0.075) = 1/3.
        assert!((m.garbe.unwrap() - (0.5 * 0.6 + 0.5 / 3.0)).abs() < 1e-12);
        // A declared reference present in the grouping is used.
        let s = summaries_of(&rates, Comparison::Verification, 0.5, Some("b"), &Default::default());
        assert_eq!(s[0].summary.false_positive.reference.as_deref(), Some("b"));
    }
}
