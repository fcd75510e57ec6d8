//! The tests between groups at the operating threshold, and the minimum differences they could have detected.

use super::differential::boot;
use super::view::*;
use crate::document::{Cell, Document, Mark, Table};
use crate::format::{p_value, rate_cell, ratio};
use harness::model::results::Results;

pub(super) fn tests_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold]) {
    d.heading(2, "Significance tests");
    d.paragraph(format!(
        "At the operating threshold, for every grouping: the omnibus test of equal rates across groups (Pearson chi-squared, or a seeded Monte Carlo exact test when an expected count is below 5), then each group against the reference group (Fisher's exact test, two-sided), with p-values Holm-adjusted across the groups and thresholds of the table. A group is called significantly different only when its adjusted p and the omnibus p are both below alpha = {}. The ratio interval is log-adjusted; the bootstrap interval resamples subjects.",
        results.config.alpha
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view_of(p);
            d.heading(3, format!("{}: {} at {}", vr.vendor.name, protocol_title(p, &v), op.threshold));
            let mut t = Table {
                header: vec![
                    "Rate".into(),
                    "Grouping".into(),
                    "Omnibus".into(),
                    "Group".into(),
                    "Rate (errors/trials)".into(),
                    "Ratio to reference [95% CI]".into(),
                    "Bootstrap ratio [95%]".into(),
                    "p (Fisher)".into(),
                    "p (Holm)".into(),
                    "Verdict".into(),
                ],
                rows: vec![],
                note: None,
            };
            for grouping in &groupings(results)[1..] {
                for m in [v.fp, v.tested_fn] {
                    let Some(c) = comparison(p, &v, m, op.threshold, &op.point_in(p), grouping) else { continue };
                    let omnibus = match &c.omnibus {
                        Some(o) => format!("{} p = {}", o.method, p_value(o.p_value)),
                        None => c.note.clone().unwrap_or_else(|| "not tested".into()),
                    };
                    for g in &c.groups {
                        let mark = if g.verdict.starts_with("significantly") { Mark::Significant } else { Mark::None };
                        t.rows.push(vec![
                            Cell::plain(metric_name(m)),
                            Cell::plain(grouping.clone()),
                            Cell::plain(omnibus.clone()),
                            Cell::plain(g.group.clone()),
                            Cell::plain(rate_cell(g.rate, None)),
                            Cell::plain(g.ratio.map_or_else(
                                || "—".into(),
                                |r| format!("{} [{}–{}]", opt(r.estimate, ratio), ratio(r.low), ratio(r.high)),
                            )),
                            Cell::plain(boot(&g.bootstrap_ratio).trim().to_string()),
                            Cell::plain(g.p_value.map_or_else(|| "—".into(), p_value)),
                            Cell::plain(g.p_holm.map_or_else(|| "—".into(), p_value)),
                            Cell::marked(g.verdict.clone(), mark),
                        ]);
                    }
                }
            }
            d.table(t);
        }
    }
}

pub(super) fn detectable_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold]) {
    d.heading(2, "Minimum detectable differences");
    d.paragraph(
        "With these sample sizes, the smallest ratio to the reference group that Fisher's test at alpha would have detected with 80% power. 'No significant difference' means little when this ratio is large: a real difference smaller than it could have gone unseen. Exact by enumeration where counts are small, the arcsine approximation above (the method column says which).",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view_of(p);
            let mut t = Table {
                header: vec![
                    "Rate".into(),
                    "Grouping".into(),
                    "Group".into(),
                    "Reference".into(),
                    "Minimum detectable ratio".into(),
                    "Method".into(),
                    "Note".into(),
                ],
                rows: vec![],
                note: None,
            };
            for grouping in &groupings(results)[1..] {
                for m in [v.fp, v.tested_fn] {
                    let Some(c) = comparison(p, &v, m, op.threshold, &op.point_in(p), grouping) else { continue };
                    for g in c.groups.iter().filter(|g| g.verdict != "reference") {
                        t.rows.push(vec![
                            Cell::plain(metric_name(m)),
                            Cell::plain(grouping.clone()),
                            Cell::plain(g.group.clone()),
                            Cell::plain(c.reference_group.clone().unwrap_or_default()),
                            Cell::plain(g.minimum_detectable_ratio.map_or_else(|| "—".into(), ratio)),
                            Cell::plain(g.power_method.clone().unwrap_or_default()),
                            Cell::plain(g.note.clone().unwrap_or_default()),
                        ]);
                    }
                }
            }
            d.heading(3, format!("{}: {} at {}", vr.vendor.name, protocol_title(p, &v), op.threshold));
            d.table(t);
        }
    }
}
