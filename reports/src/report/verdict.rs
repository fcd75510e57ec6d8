//! The verdict page: the first printed page of the report, which a panel or a DPIA
//! appendix can take as it is. Per vendor, at its operating threshold on its leading
//! protocol: TPIR and FPIR with counts and intervals, FPIR as "1 in X" with its
//! interval, the verdict on differences between groups with the smallest ratio the
//! tests could have detected, and what changes at the neighbouring thresholds of the
//! sweep. Every number is a row the engine computed (docs/report.md, "Verdict").

use super::annex::one_in_interval;
use super::view::*;
use crate::document::{Block, Cell, Document, Mark, Table};
use crate::format::{one_in, rate_cell, ratio, threshold as threshold_text};
use harness::model::analysis::ProtocolAnalysis;
use harness::model::results::{Results, VendorResults};
use harness::model::thresholds::OperatingPoint;

/// The verdict section, ending with a page break in print.
pub(super) fn verdict_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold], grouping: &str) {
    d.heading(2, "Verdict");
    let tested: Vec<String> = subject_groupings(results)[1..].to_vec();
    let titles: Vec<String> =
        results.vendors.iter().filter_map(|vr| headline_protocol(vr).map(|p| protocol_title(p, &view_of(p)))).collect();
    let common = titles.first().filter(|t| titles.iter().all(|x| x == *t)).cloned();
    if let Some(t) = &common {
        d.paragraph(format!("Each vendor on {t} at its operating threshold."));
    }
    let mut main = Table {
        header: vec![
            if common.is_some() { "Vendor" } else { "Vendor and protocol" }.into(),
            "Threshold".into(),
            "True positive (TPIR / 1−FNMR)".into(),
            "False positive (FPIR / FMR)".into(),
            "1 in X".into(),
            "Differences between groups".into(),
        ],
        rows: Vec::new(),
        note: Some(
            format!(
                "Tests: in every grouping ({}), each group against the lowest-rate group (or the declared reference), Fisher's exact test, Holm-adjusted, alpha = {}, where the omnibus test also rejects. Detectable ratio: the largest, over the {grouping} groups, of the smallest false-positive rate ratio each test would find with 80% power.",
                tested.join(", "),
                results.config.alpha
            ) + &capture_note(results),
        ),
    };
    let mut moves = Table {
        header: vec![
            "Vendor".into(),
            "Threshold".into(),
            "True positive".into(),
            "False positive".into(),
            "1 in X".into(),
            "Significant false-positive differences".into(),
        ],
        rows: Vec::new(),
        note: Some("Rates overall (errors/trials); the threshold sweep has their intervals and every group.".into()),
    };
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = headline_protocol(vr) else { continue };
        main.rows.push(operating_row(results, vr, p, op, grouping, common.is_none()));
        for (t, point) in neighbours(results, p, op) {
            moves.rows.push(threshold_row(results, vr, p, op, t, &point));
        }
    }
    d.table(main);
    if !moves.rows.is_empty() {
        d.heading(3, "If the threshold moves");
        d.table(moves);
    }
    d.push(Block::PageBreak);
}

/// Where the capture groupings' tests are, when there are any: they are differences
/// between captures, not between people, and are not in the verdict.
fn capture_note(results: &Results) -> String {
    let capture = capture_groupings(results);
    if capture.is_empty() {
        return String::new();
    }
    format!(
        " Groupings by capture attribute ({}) are tested the same way in the tables and Significance tests; they compare captures, not people, and are not in this verdict.",
        capture.join(", ")
    )
}

/// The first significant difference and how many more the significance tests list: the
/// verdict page fits one printed page however many groups differ.
fn first_and_more(findings: &[String]) -> String {
    match findings {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first}; and {} more (Significance tests)", rest.len()),
    }
}

fn operating_row(
    results: &Results,
    vr: &VendorResults,
    p: &ProtocolAnalysis,
    op: &OperatingThreshold,
    grouping: &str,
    with_protocol: bool,
) -> Vec<Cell> {
    let v = view_of(p);
    let at = op.point_in(p);
    let tp = rate_row(p, &v, v.shown_fn, op.threshold, &at, "all", "all");
    let fp = rate_row(p, &v, v.fp, op.threshold, &at, "all", "all");
    let mut findings = Vec::new();
    for g in &subject_groupings(results)[1..] {
        for m in [v.fp, v.tested_fn] {
            for s in significant_groups(comparison(p, &v, m, op.threshold, &at, g)) {
                findings.push(format!("{} {g}: {s}", metric_name(m)));
            }
        }
    }
    let detectable = comparison(p, &v, v.fp, op.threshold, &at, grouping)
        .and_then(|c| c.groups.iter().filter_map(|g| g.minimum_detectable_ratio).max_by(f64::total_cmp))
        .map_or_else(
            || format!("no detectable {} ratio was computed for {grouping}", metric_name(v.fp)),
            |r| {
                format!(
                    "{} ratios below {}x between {grouping} groups could not have been detected",
                    metric_name(v.fp),
                    ratio(r)
                )
            },
        );
    let verdict = if findings.is_empty() {
        Cell::plain(format!(
            "None statistically significant ({}); {detectable}.",
            subject_groupings(results)[1..].join(", ")
        ))
    } else {
        Cell::marked(format!("{}; {detectable}.", first_and_more(&findings)), Mark::Significant)
    };
    let one_in_x = fp.map_or_else(
        || "not computed".into(),
        |r| {
            format!(
                "{}{}",
                one_in(r.rate),
                if r.rate.numerator > 0 { one_in_interval(r, results.config.confidence) } else { String::new() }
            )
        },
    );
    let vendor = format!("{} {}", vr.vendor.name, vr.vendor.version);
    let kind = match &op.operating_point {
        OperatingPoint::Declared { label } => format!("declared `{label}`"),
        OperatingPoint::Grid => "chosen for this report".into(),
        other => other.to_string(),
    };
    vec![
        Cell::plain(if with_protocol { format!("{vendor}, {}", protocol_title(p, &v)) } else { vendor }),
        Cell::plain(format!("{} ({kind})", threshold_text(op.threshold))),
        Cell::plain(cell_of(tp)),
        Cell::plain(cell_of(fp)),
        Cell::plain(one_in_x),
        verdict,
    ]
}

/// The operating threshold with the nearest sweep (grid) thresholds below and above
/// it that `p` evaluated, in increasing order.
fn neighbours(results: &Results, p: &ProtocolAnalysis, op: &OperatingThreshold) -> Vec<(f64, OperatingPoint)> {
    let grid: Vec<f64> = results
        .config
        .thresholds
        .iter()
        .copied()
        .filter(|&t| p.operating_points_at(t).iter().any(|o| o.is_grid()))
        .collect();
    let below = grid.iter().copied().filter(|&t| t < op.threshold).max_by(f64::total_cmp);
    let above = grid.iter().copied().filter(|&t| t > op.threshold).min_by(f64::total_cmp);
    below
        .map(|t| (t, OperatingPoint::Grid))
        .into_iter()
        .chain(std::iter::once((op.threshold, op.point_in(p))))
        .chain(above.map(|t| (t, OperatingPoint::Grid)))
        .collect()
}

fn threshold_row(
    results: &Results,
    vr: &VendorResults,
    p: &ProtocolAnalysis,
    op: &OperatingThreshold,
    t: f64,
    point: &OperatingPoint,
) -> Vec<Cell> {
    let v = view_of(p);
    let tp = rate_row(p, &v, v.shown_fn, t, point, "all", "all");
    let fp = rate_row(p, &v, v.fp, t, point, "all", "all");
    let sig: Vec<String> = subject_groupings(results)[1..]
        .iter()
        .flat_map(|g| {
            significant_groups(comparison(p, &v, v.fp, t, point, g)).into_iter().map(move |s| format!("{g}: {s}"))
        })
        .collect();
    let operating = t == op.threshold;
    let label = if operating { format!("{} (operating)", threshold_text(t)) } else { threshold_text(t) };
    let sig_cell =
        if sig.is_empty() { Cell::plain("none") } else { Cell::marked(first_and_more(&sig), Mark::Significant) };
    vec![
        Cell::plain(format!("{} {}", vr.vendor.name, vr.vendor.version)),
        Cell::plain(label),
        Cell::plain(tp.map_or_else(|| "not computed".into(), |r| rate_cell(r.rate, None))),
        Cell::plain(fp.map_or_else(|| "not computed".into(), |r| rate_cell(r.rate, None))),
        Cell::plain(fp.map_or_else(|| "not computed".into(), |r| one_in(r.rate))),
        sig_cell,
    ]
}
