//! The NPL-style threshold sweep: per group TPIR and FPIR (or FNMR and FMR) at every grid and declared threshold, significant cells marked.

use super::view::*;
use crate::document::{Cell, Document, Mark, Table};
use harness::model::analysis::ProtocolAnalysis;
use harness::model::results::Results;
use harness::model::thresholds::OperatingPoint;

/// Thresholds of the sweep: the grid and the declared thresholds, ascending.
pub(super) fn sweep_points(p: &ProtocolAnalysis) -> Vec<(f64, OperatingPoint)> {
    let mut pts: Vec<(f64, OperatingPoint)> = p
        .thresholds
        .iter()
        .filter(|u| !u.operating_point.is_calibrated())
        .map(|u| (u.threshold, u.operating_point.clone()))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.label().cmp(&b.1.label())));
    pts.dedup();
    pts
}

pub(super) fn sweep_section(d: &mut Document, results: &Results) {
    d.heading(2, "Threshold sweep (NPL style)");
    d.paragraph(
        "Rows are thresholds (the grid and each declared threshold); columns are groups. Each cell is the rate, errors/trials, and its interval. ▲ marks a group whose rate differs significantly from the reference group at that threshold (Fisher's exact test, Holm-adjusted across the groups and thresholds of the table, omnibus test rejecting).",
    );
    for vr in &results.vendors {
        for p in &vr.protocols {
            let v = view_of(p);
            d.heading(3, format!("{}: {}", vr.vendor.name, protocol_title(p, &v)));
            // Per grouping; the `all` column of each table is the whole population.
            for grouping in groupings(results).into_iter().skip(1) {
                let groups = groups_of(p, &v, &grouping);
                for (shown, tested) in [(v.shown_fn, v.tested_fn), (v.fp, v.fp)] {
                    let mut header = vec![format!("Threshold ({})", metric_name(shown)), "all".into()];
                    header.extend(groups.iter().cloned());
                    let mut t = Table { header, rows: vec![], note: None };
                    for (threshold, op) in sweep_points(p) {
                        let c = comparison(p, &v, tested, threshold, &op, &grouping);
                        let label = if op.is_grid() { format!("{threshold}") } else { format!("{threshold} ({op})") };
                        let mut row = vec![Cell::plain(label)];
                        row.push(Cell::plain(cell_of(rate_row(p, &v, shown, threshold, &op, "all", "all"))));
                        for g in &groups {
                            let mark = if significant(c, g).is_some() { Mark::Significant } else { Mark::None };
                            row.push(Cell::marked(cell_of(rate_row(p, &v, shown, threshold, &op, &grouping, g)), mark));
                        }
                        t.rows.push(row);
                    }
                    d.heading(4, format!("{} by {grouping}", metric_name(shown)));
                    d.table(t);
                }
            }
        }
    }
}
