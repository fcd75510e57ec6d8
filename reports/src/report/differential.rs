//! The differential summary: max/min ratios, FDR, IR and GARBE, with their bootstrap intervals.

use super::sweep::sweep_points;
use super::view::*;
use crate::document::{Cell, Document, Mark, Table};
use crate::format::ratio;
use harness::model::results::Results;

pub(super) fn boot(b: &Option<harness::model::differences::BootstrapInterval>) -> String {
    match b {
        Some(harness::model::differences::BootstrapInterval { low: Some(l), high: Some(h), .. }) => {
            format!(" [{}–{}]", ratio(*l), ratio(*h))
        }
        _ => String::new(),
    }
}

pub(super) fn differential_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold]) {
    d.heading(2, "Differential summary");
    d.paragraph(format!(
        "How far apart the groups are, at every threshold of the sweep: the max/min ratio of the false-positive and false-negative rates across the groups of a grouping (1 = equal), with subject-bootstrap 95% intervals in brackets; FDR (fairness discrepancy rate, 1 = fair), IR (inequity rate, 1 = fair) and GARBE (Gini aggregation rate, 0 = fair), with alpha = {} weighting the false-positive side.",
        results.config.summary_alpha
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view_of(p);
            d.heading(3, format!("{}: {}", vr.vendor.name, protocol_title(p, &v)));
            let mut t = Table {
                header: vec![
                    "Grouping".into(),
                    "Threshold".into(),
                    format!("{} max/min", metric_name(v.fp)),
                    format!("{} max/min", metric_name(v.tested_fn)),
                    "FDR".into(),
                    "IR".into(),
                    "GARBE".into(),
                    "Why undefined".into(),
                ],
                rows: vec![],
                note: None,
            };
            let pts = sweep_points(p);
            for s in p.summaries.iter().filter(|s| {
                s.gallery_size == v.gallery && pts.iter().any(|(t, o)| *t == s.threshold && *o == s.operating_point)
            }) {
                let m = &s.summary;
                let is_op = s.threshold == op.threshold && s.operating_point == op.operating_point;
                let label = if s.operating_point.is_grid() {
                    format!("{}", s.threshold)
                } else {
                    format!("{} ({})", s.threshold, s.operating_point)
                };
                t.rows.push(vec![
                    Cell::plain(s.grouping.clone()),
                    Cell::marked(label, if is_op { Mark::Pass } else { Mark::None }),
                    Cell::plain(format!(
                        "{}{}",
                        opt(m.false_positive.max_min_ratio, ratio),
                        boot(&s.bootstrap_max_min_false_positive)
                    )),
                    Cell::plain(format!(
                        "{}{}",
                        opt(m.false_negative.max_min_ratio, ratio),
                        boot(&s.bootstrap_max_min_false_negative)
                    )),
                    Cell::plain(opt(m.fdr, |x| format!("{x:.4}"))),
                    Cell::plain(opt(m.ir, ratio)),
                    Cell::plain(opt(m.garbe, |x| format!("{x:.4}"))),
                    Cell::plain(m.undefined_reason.clone().unwrap_or_default()),
                ]);
            }
            d.table(t);
        }
    }
}
