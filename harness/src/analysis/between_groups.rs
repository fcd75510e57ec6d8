//! Tests of the differences between groups (docs/metrics.md, "Differences between
//! groups"), computed from an analysis's rate rows: for each rate, grouping and
//! threshold, an omnibus test of homogeneity across the groups, and each group against
//! a reference group by Fisher's exact test, Holm-corrected across the groups and
//! thresholds of one table, with the ratio and difference to the reference (with
//! intervals), a verdict in words, and the minimum ratio the test could have detected.

use crate::bootstrap::BootstrapIndex;
use crate::model::analysis::{AnalysisConfig, Metric, RateRow};
use crate::model::differences::{GroupComparison, GroupTest, OmnibusTest};
use crate::model::thresholds::OperatingPoint;
use crate::stats::power::{PowerMethod, minimum_detectable_ratio_within};
use crate::stats::tests_of_proportions::{Alternative, Homogeneity, exact_two_proportion, homogeneity};
use crate::stats::{difference_newcombe, holm, ratio_log_adjusted};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The rates that are tested: error rates with a threshold (TPIR is 1 - FNIR, tested
/// as FNIR; SEL is not a proportion; CMC has no threshold).
fn tested(metric: Metric) -> bool {
    matches!(metric, Metric::Fmr | Metric::Fnmr | Metric::Fnir | Metric::Fpir)
}

/// Exact enumeration budget for the minimum detectable ratio of each group at each
/// threshold (a table can hold thousands): exact where counts are small (where the
/// normal approximation is poor), the arcsine approximation above it,
/// and the table says which (`power_method`).
const MDR_EXACT_BUDGET: f64 = 1e6;

type TableKey = (Metric, Option<u64>, Option<u32>, String);
type CellKey = (u64, String);
/// One threshold's rows of a table: its key, the threshold, and the rows of its groups.
type Cell<'a> = (CellKey, f64, Vec<&'a RateRow>);

/// Compare groups for every tested rate of `rates` (the rows of one protocol).
pub fn compare_groups(rates: &[RateRow], config: &AnalysisConfig, bootstrap: &BootstrapIndex) -> Vec<GroupComparison> {
    // table -> (threshold bits, operating point) -> rows, in first-seen order.
    let mut tables: BTreeMap<TableKey, Vec<Cell>> = BTreeMap::new();
    for r in rates.iter().filter(|r| tested(r.metric) && r.grouping != "all") {
        let Some(t) = r.threshold else { continue };
        let cells = tables.entry((r.metric, r.gallery_size, r.rank, r.grouping.clone())).or_default();
        let key = (t.to_bits(), r.operating_point.label());
        match cells.iter_mut().find(|c| c.0 == key) {
            Some(c) => c.2.push(r),
            None => cells.push((key, t, vec![r])),
        }
    }
    let tables: Vec<_> = tables.into_iter().collect();
    tables.par_iter().flat_map_iter(|(key, cells)| compare_table(key, cells, config, bootstrap)).collect()
}

fn compare_table(
    key: &TableKey,
    cells: &[Cell<'_>],
    config: &AnalysisConfig,
    bootstrap: &BootstrapIndex,
) -> Vec<GroupComparison> {
    let (metric, gallery_size, rank, grouping) = key;
    // Cells in parallel (their power figures dominate), collected in order.
    let mut out: Vec<GroupComparison> = cells
        .par_iter()
        .map(|(_, threshold, rows)| {
            let op = &rows[0].operating_point;
            compare_cell(*metric, *gallery_size, *rank, grouping, *threshold, op, rows, config, bootstrap)
        })
        .collect();
    // Holm across every group and threshold of this table.
    let raw: Vec<f64> = out.iter().flat_map(|c| c.groups.iter().filter_map(|g| g.p_value)).collect();
    if let Ok(adjusted) = holm(&raw) {
        let mut next = adjusted.into_iter();
        for c in &mut out {
            let reference = c.reference_group.clone().unwrap_or_default();
            // A group is called different only when the omnibus test also rejects
            // homogeneity: the lowest-rate reference is chosen from the data, which alone
            // would let the pairwise tests reject too often (measured in tests/planted.rs).
            let omnibus_rejects = c.omnibus.as_ref().is_some_and(|o| o.p_value < config.alpha);
            for g in &mut c.groups {
                if g.p_value.is_some() {
                    g.p_holm = next.next();
                    g.verdict = verdict(g, &reference, config.alpha, omnibus_rejects);
                }
            }
        }
    }
    out
}

fn verdict(g: &GroupTest, reference: &str, alpha: f64, omnibus_rejects: bool) -> String {
    match (g.p_holm, g.difference.and_then(|d| d.estimate)) {
        (Some(p), Some(d)) if omnibus_rejects && p < alpha && d > 0.0 => {
            format!("significantly higher than {reference}")
        }
        (Some(p), Some(d)) if omnibus_rejects && p < alpha && d < 0.0 => {
            format!("significantly lower than {reference}")
        }
        _ => format!("no significant difference from {reference}"),
    }
}

#[allow(clippy::too_many_arguments)]
fn compare_cell(
    metric: Metric,
    gallery_size: Option<u64>,
    rank: Option<u32>,
    grouping: &str,
    threshold: f64,
    operating_point: &OperatingPoint,
    rows: &[&RateRow],
    config: &AnalysisConfig,
    bootstrap: &BootstrapIndex,
) -> GroupComparison {
    let mut c = GroupComparison {
        metric,
        gallery_size,
        rank,
        threshold,
        operating_point: operating_point.clone(),
        grouping: grouping.to_string(),
        omnibus: None,
        reference_group: None,
        reference_rule: "lowest rate".into(),
        groups: Vec::new(),
        note: None,
    };
    let defined: Vec<&RateRow> = rows.iter().copied().filter(|r| r.rate.denominator > 0).collect();
    if defined.len() < 2 {
        c.note = Some("fewer than two groups have trials".into());
        return c;
    }
    let errors: Vec<u64> = defined.iter().map(|r| r.rate.numerator).collect();
    let totals: Vec<u64> = defined.iter().map(|r| r.rate.denominator).collect();
    match homogeneity(&errors, &totals, config.monte_carlo_replicates, config.seed) {
        Ok(Homogeneity::ChiSquared(x)) => {
            c.omnibus = Some(OmnibusTest {
                method: "chi-squared".into(),
                statistic: x.statistic,
                dof: x.dof,
                p_value: x.p_value,
                min_expected: x.min_expected,
                replicates: None,
                seed: None,
            })
        }
        Ok(Homogeneity::MonteCarlo(m, x)) => {
            c.omnibus = Some(OmnibusTest {
                method: "monte-carlo".into(),
                statistic: m.statistic,
                dof: x.dof,
                p_value: m.p_value,
                min_expected: x.min_expected,
                replicates: Some(m.replicates),
                seed: Some(m.seed),
            })
        }
        Err(e) => c.note = Some(format!("no omnibus test: {e}")),
    }
    let declared = config.reference_group.as_deref().and_then(|name| defined.iter().find(|r| r.group == name));
    let reference = match declared {
        Some(r) => {
            c.reference_rule = "declared".into();
            *r
        }
        // Lowest rate; ties go to the first group in label order.
        None => defined
            .iter()
            .copied()
            .min_by(|a, b| {
                let (x, y) = (
                    a.rate.numerator as u128 * b.rate.denominator as u128,
                    b.rate.numerator as u128 * a.rate.denominator as u128,
                );
                x.cmp(&y)
            })
            .expect("two groups"),
    };
    c.reference_group = Some(reference.group.clone());
    let (k0, n0) = (reference.rate.numerator, reference.rate.denominator);
    for r in &defined {
        let mut g = GroupTest {
            group: r.group.clone(),
            rate: r.rate,
            p_value: None,
            p_holm: None,
            ratio: None,
            difference: None,
            verdict: "reference".into(),
            minimum_detectable_ratio: None,
            power_method: None,
            bootstrap_ratio: None,
            bootstrap_difference: None,
            note: None,
        };
        // Only when the bootstrap compared with the same reference group.
        if let Some(v) = bootstrap
            .versus(grouping, metric, gallery_size, rank, threshold, &r.group)
            .filter(|v| v.reference == reference.group)
        {
            g.bootstrap_ratio = Some(v.ratio.clone());
            g.bootstrap_difference = Some(v.difference.clone());
        }
        if r.group != reference.group {
            let (k1, n1) = (r.rate.numerator, r.rate.denominator);
            g.p_value = exact_two_proportion(k1, n1, k0, n0, Alternative::TwoSided).ok();
            g.ratio = ratio_log_adjusted(k1, n1, k0, n0, config.confidence).ok();
            g.difference = difference_newcombe(k1, n1, k0, n0, config.confidence).ok();
            g.verdict = format!("no significant difference from {}", reference.group);
            if k0 == 0 {
                g.note = Some(format!("{} has no errors: no ratio to it is defined", reference.group));
            } else {
                let p0 = k0 as f64 / n0 as f64;
                match minimum_detectable_ratio_within(
                    p0,
                    n0,
                    n1,
                    config.alpha,
                    0.8,
                    Alternative::TwoSided,
                    MDR_EXACT_BUDGET,
                ) {
                    Ok(m) => {
                        g.minimum_detectable_ratio = m.ratio;
                        g.power_method = Some(
                            match m.method {
                                PowerMethod::ExactEnumeration => "exact",
                                PowerMethod::ArcsineApproximation => "arcsine",
                            }
                            .into(),
                        );
                        if m.ratio.is_none() {
                            g.note = Some("no ratio up to a rate of 1 reaches 80% power".into());
                        }
                    }
                    Err(e) => g.note = Some(format!("no minimum detectable ratio: {e}")),
                }
            }
        }
        c.groups.push(g);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::population::Grouping;
    use crate::model::rate::Rate;
    use crate::model::thresholds::OperatingPoint;

    fn row(threshold: f64, group: &str, k: u64, n: u64) -> RateRow {
        RateRow {
            metric: Metric::Fpir,
            gallery_size: Some(100),
            rank: None,
            threshold: Some(threshold),
            operating_point: OperatingPoint::Grid,
            grouping: "ethnicity".into(),
            group: group.into(),
            rate: Rate::new(k, n),
            interval: None,
            upper_bound: None,
            lower_bound: None,
            bootstrap: None,
        }
    }

    fn config() -> AnalysisConfig {
        AnalysisConfig::with_thresholds(vec![0.5, 0.6], vec![Grouping::parse("ethnicity").unwrap()])
    }

    #[test]
    fn fisher_and_holm_match_scipy_and_statsmodels() {
        // At 0.5: a 5/1000, b 20/1000, c 6/1000; at 0.6: a 2/1000, b 9/1000, c 1/1000.
        let rates = vec![
            row(0.5, "a", 5, 1000),
            row(0.5, "b", 20, 1000),
            row(0.5, "c", 6, 1000),
            row(0.6, "a", 2, 1000),
            row(0.6, "b", 9, 1000),
            row(0.6, "c", 1, 1000),
        ];
        let c = compare_groups(&rates, &config(), &BootstrapIndex::default());
        assert_eq!(c.len(), 2);
        let (at5, at6) = (&c[0], &c[1]);
        assert_eq!(at5.reference_group.as_deref(), Some("a"));
        assert_eq!(at6.reference_group.as_deref(), Some("c"));
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1e-300);
        // scipy.stats.fisher_exact([[20, 980], [5, 995]]) -> p = 0.0038590206248560925
        let b5 = at5.groups.iter().find(|g| g.group == "b").unwrap();
        assert!(close(b5.p_value.unwrap(), 0.003_859_020_624_856_092_5), "{:?}", b5.p_value);
        // multipletests([0.00386, 1.0, 1.0, 0.02118], method="holm")
        assert!(close(b5.p_holm.unwrap(), 0.015_436_082_499_424_37));
        assert_eq!(b5.verdict, "significantly higher than a");
        let b6 = at6.groups.iter().find(|g| g.group == "b").unwrap();
        assert!(close(b6.p_value.unwrap(), 0.021_177_529_396_841_25));
        assert!(close(b6.p_holm.unwrap(), 0.063_532_588_190_523_75));
        assert_eq!(b6.verdict, "no significant difference from c");
        assert!(b6.minimum_detectable_ratio.unwrap() > 1.0);
        // chi2_contingency([[5, 995], [20, 980], [6, 994]], correction=False)
        let o = at5.omnibus.as_ref().unwrap();
        assert_eq!(o.method, "chi-squared");
        assert!(close(o.statistic, 13.755_038_624_930_735));
        assert!(close(o.p_value, 0.001_030_697_715_410_795));
        // At 0.6 the expected counts are 4: the Monte Carlo test is used, seeded.
        let o6 = at6.omnibus.as_ref().unwrap();
        assert_eq!(o6.method, "monte-carlo");
        assert_eq!(o6.seed, Some(config().seed));
        // The reference itself is not tested.
        let a5 = at5.groups.iter().find(|g| g.group == "a").unwrap();
        assert_eq!((a5.p_value, a5.verdict.as_str()), (None, "reference"));
    }

    #[test]
    fn declared_reference_and_undefined_groups() {
        let mut cfg = config();
        cfg.reference_group = Some("b".into());
        let rates = vec![row(0.5, "a", 0, 1000), row(0.5, "b", 3, 1000), row(0.5, "c", 0, 0)];
        let c = &compare_groups(&rates, &cfg, &BootstrapIndex::default())[0];
        assert_eq!(c.reference_rule, "declared");
        assert_eq!(c.reference_group.as_deref(), Some("b"));
        // A group without trials is not compared.
        assert!(c.groups.iter().all(|g| g.group != "c"));
        let a = c.groups.iter().find(|g| g.group == "a").unwrap();
        assert!(a.p_value.is_some());
        // With a lowest-rate reference of zero errors no ratio is defined.
        cfg.reference_group = None;
        let c = &compare_groups(&rates, &cfg, &BootstrapIndex::default())[0];
        assert_eq!(c.reference_group.as_deref(), Some("a"));
        let b = c.groups.iter().find(|g| g.group == "b").unwrap();
        assert_eq!(b.minimum_detectable_ratio, None);
        assert!(b.note.as_deref().unwrap().contains("no errors"));
    }

    #[test]
    fn one_group_is_not_compared() {
        let c = &compare_groups(&[row(0.5, "a", 1, 10), row(0.5, "b", 0, 0)], &config(), &BootstrapIndex::default())[0];
        assert!(c.omnibus.is_none());
        assert_eq!(c.note.as_deref(), Some("fewer than two groups have trials"));
    }
}
