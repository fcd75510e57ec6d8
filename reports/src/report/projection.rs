//! The deployment projection: expected false alerts per group for a crowd composed like the test set.

use super::view::*;
use crate::document::{Document, Table};
use crate::format::{count, people_number, percent, rate_cell};
use harness::model::analysis::Metric;
use harness::model::benchmark::ProtocolKind;
use harness::model::results::Results;

/// Expected false alerts per 10,000 faces, per group, for a crowd composed like the
/// test set's non-mated searches.
pub(super) fn projection_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold], grouping: &str) {
    d.heading(2, "Deployment projection");
    d.paragraph(
        "Expected false alerts when 10,000 faces of people not on the watchlist pass the camera, at the operating threshold, for a crowd composed like the test set. Each group's expected count is its FPIR times its faces, with the interval carried through; the overall figure weights the groups by their share of the crowd. For another crowd composition or watchlist size, run `verity project`.",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = vr.protocols.iter().find(|p| p.kind != ProtocolKind::Verification) else { continue };
        let v = view_of(p);
        let measured: Vec<(String, harness::model::rate::Rate)> = groups_of(p, &v, grouping)
            .into_iter()
            .filter_map(|g| {
                rate_row(p, &v, Metric::Fpir, op.threshold, &op.point_in(p), grouping, &g).map(|r| (g, r.rate))
            })
            .collect();
        let total: u64 = measured.iter().map(|(_, r)| r.denominator).sum();
        let Some(size) = v.gallery else { continue };
        if total == 0 {
            continue;
        }
        let deployment = harness::analysis::projection::Deployment {
            crowd: measured.iter().map(|(g, r)| (g.clone(), r.denominator as f64 / total as f64)).collect(),
            faces: 10_000,
            tested_watchlist_size: size,
            watchlist_size: None,
            confidence: results.config.confidence,
            method: harness::analysis::projection::BinomialMethod::Wilson,
        };
        d.heading(3, format!("{}: {} at {}", vr.vendor.name, protocol_title(p, &v), op.threshold));
        match harness::analysis::projection::project(&measured, &deployment) {
            Ok(pr) => {
                let mut t = Table {
                    header: vec![
                        "Group".into(),
                        "Share of crowd".into(),
                        "Faces".into(),
                        "Measured FPIR".into(),
                        "Expected false alerts [95% CI]".into(),
                        "1 in X".into(),
                    ],
                    rows: vec![],
                    note: Some(pr.interval_note.clone()),
                };
                for g in &pr.groups {
                    t.rows.push(vec![
                        g.group.as_str().into(),
                        percent(g.share).into(),
                        people_number(g.faces).into(),
                        rate_cell(g.measured, Some((g.fpir_low, g.fpir_high))).into(),
                        format!("{:.1} [{:.1}–{:.1}]", g.expected_false_alerts, g.low, g.high).into(),
                        crate::format::projected_one_in(&g.one_in).into(),
                    ]);
                }
                t.rows.push(vec![
                    "all".into(),
                    "100%".into(),
                    count(pr.faces).into(),
                    percent(pr.overall.fpir).into(),
                    format!("{:.1} [{:.1}–{:.1}]", pr.overall.expected_false_alerts, pr.overall.low, pr.overall.high)
                        .into(),
                    crate::format::projected_one_in(&pr.overall.one_in).into(),
                ]);
                d.table(t);
            }
            Err(e) => d.paragraph(format!("No projection: {e}.")),
        }
    }
}
