//! The summary at the operating threshold: per vendor, the verdict on differences between groups and each group's TPIR, FPIR, "1 in X" and upper bound at the figure grouping (the vendors side by side are on the verdict page).

use super::ReportOptions;
use super::view::*;
use crate::document::{Block, Cell, Document, Mark, Table};
use crate::format::{one_in, percent};
use harness::model::results::Results;

pub(super) fn summary_section(
    d: &mut Document,
    results: &Results,
    ops: &[OperatingThreshold],
    grouping: &str,
    options: &ReportOptions,
) {
    d.heading(2, "Summary at the operating threshold");
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = headline_protocol(vr) else { continue };
        let v = view_of(p);
        d.heading(3, format!("{}: {} by {grouping} at {}", vr.vendor.name, protocol_title(p, &v), op.threshold));
        let fp_cmp = comparison(p, &v, v.fp, op.threshold, &op.point_in(p), grouping);
        let fn_cmp = comparison(p, &v, v.tested_fn, op.threshold, &op.point_in(p), grouping);
        let sig: Vec<String> = significant_groups(fp_cmp)
            .into_iter()
            .map(|s| format!("{}: {s}", metric_name(v.fp)))
            .chain(significant_groups(fn_cmp).into_iter().map(|s| format!("{}: {s}", metric_name(v.tested_fn))))
            .collect();
        if sig.is_empty() {
            d.push(Block::Callout(
                Mark::Pass,
                format!(
                    "Verdict: no statistically significant difference between {grouping} groups in {} or {} at threshold {}.",
                    metric_name(v.fp),
                    metric_name(v.tested_fn),
                    op.threshold
                ),
            ));
        } else {
            d.push(Block::Callout(
                Mark::Significant,
                format!(
                    "Verdict: statistically significant differences at threshold {}: {}.",
                    op.threshold,
                    sig.join("; ")
                ),
            ));
        }
        let mut t = Table {
            header: vec![
                "Group".into(),
                metric_name(v.shown_fn),
                metric_name(v.fp),
                "1 in X".into(),
                format!("{} one-sided upper bound", metric_name(v.fp)),
                format!("{} verdict", metric_name(v.fp)),
            ],
            rows: Vec::new(),
            note: Some(
                "▲ marks a statistically significant difference (Holm-adjusted, omnibus test rejecting).".into(),
            ),
        };
        for (gg, g) in std::iter::once(("all", "all".to_string()))
            .chain(groups_of(p, &v, grouping).into_iter().map(|g| (grouping, g)))
        {
            let tp = rate_row(p, &v, v.shown_fn, op.threshold, &op.point_in(p), gg, &g);
            let fp = rate_row(p, &v, v.fp, op.threshold, &op.point_in(p), gg, &g);
            let fn_mark = if significant(fn_cmp, &g).is_some() { Mark::Significant } else { Mark::None };
            let fp_mark = if significant(fp_cmp, &g).is_some() { Mark::Significant } else { Mark::None };
            let verdict = fp_cmp
                .and_then(|c| c.groups.iter().find(|x| x.group == g))
                .map_or_else(|| if gg == "all" { "".into() } else { "not tested".into() }, |x| x.verdict.clone());
            t.rows.push(vec![
                Cell::plain(g.clone()),
                Cell::marked(cell_of(tp), fn_mark),
                Cell::marked(cell_of(fp), fp_mark),
                Cell::plain(fp.map_or_else(|| "not computed".into(), |r| one_in(r.rate))),
                Cell::plain(opt(fp.and_then(|r| r.upper_bound), percent)),
                Cell::plain(verdict),
            ]);
        }
        d.table(t);
    }
    let mut beside = vec![format!(
        "{} (the threshold explorer: move the threshold and see each group's rates change)",
        super::explore::FILE
    )];
    beside.extend(options.see_also.iter().cloned());
    d.paragraph(format!("Beside this report: {}.", beside.join(", ")));
}
