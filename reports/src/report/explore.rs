//! The threshold explorer (`explore.html`): one self-contained file beside the report,
//! with its data and script inline (no network, no framework), where a reader moves a
//! threshold and sees each group's rates change (docs/report.md, "The threshold
//! explorer").
//!
//! Its numbers are the counts of `curves` in `results.json` (errors per group at every
//! threshold of the curve grid, which holds every threshold the analysis evaluated), with
//! the intervals computed here by the engine's own interval function, so a figure it
//! shows at a threshold is the static report's at that threshold. The page formats
//! them as `crate::format` does (its script mirrors `percent`, `count` and
//! `people_number`); the verdicts between groups are the engine's, shown only at the
//! thresholds where the tests were run, never interpolated.

use super::view::*;
use super::{OperatingThreshold, ReportBuildError, ReportOptions};
use crate::document::escape;
use crate::format::{count, p_value, threshold as threshold_text};
use harness::model::analysis::{Metric, ProtocolAnalysis};
use harness::model::benchmark::ProtocolKind;
use harness::model::curves::Curves;
use harness::model::query::RateQuery;
use harness::model::rate::Rate;
use harness::model::results::{Results, VendorResults};
use harness::model::thresholds::OperatingPoint;
use serde_json::{Value, json};

/// The file the explorer is written to, beside `report.html`.
pub const FILE: &str = "explore.html";

/// The number of faces seen for which the expected false alerts are shown at first.
pub const DEFAULT_FACES: u64 = 10_000;

const SCRIPT: &str = include_str!("explore.js");
const STYLE: &str = include_str!("explore.css");

/// The whole page.
pub fn explorer_html(results: &Results, options: &ReportOptions) -> Result<String, ReportBuildError> {
    let data = explorer_data(results, options)?;
    // `<` is escaped so that no text of the data can close the script element.
    let json = serde_json::to_string(&data).unwrap_or_default().replace('<', "\\u003c");
    let title = format!("Threshold explorer: {}", results.benchmark.name);
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n\
         <noscript><p class=\"message\">This page needs JavaScript to move the threshold; report.html has every number at the evaluated thresholds.</p></noscript>\n\
         <div id=\"app\"></div>\n<script type=\"application/json\" id=\"data\">{json}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        t = escape(&title)
    ))
}

/// What the page shows, as JSON: one view per vendor, protocol and curve.
pub fn explorer_data(results: &Results, options: &ReportOptions) -> Result<Value, ReportBuildError> {
    let (grouping, ops) = super::choices(results, options)?;
    let mut views = Vec::new();
    let mut first = None;
    for (vr, op) in results.vendors.iter().zip(&ops) {
        let headline = headline_protocol(vr).map(|p| p.protocol.clone());
        for p in &vr.protocols {
            for c in &p.curves {
                if first.is_none() && headline.as_deref() == Some(p.protocol.as_str()) && is_headline_curve(p, c) {
                    first = Some(views.len());
                }
                views.push(view_data(results, vr, p, c, op));
            }
        }
    }
    Ok(json!({
        "benchmark": format!("{} version {}", results.benchmark.name, results.benchmark.version),
        "confidence": results.config.confidence,
        "interval": interval_name(results),
        "alpha": results.config.alpha,
        "faces": DEFAULT_FACES,
        "groupings": groupings(results),
        "default": { "view": first.unwrap_or(0), "grouping": grouping },
        "views": views,
    }))
}

/// The curve the report's headline rates come from: the largest gallery at rank L.
fn is_headline_curve(p: &ProtocolAnalysis, c: &Curves) -> bool {
    let v = view_of(p);
    c.gallery_size == v.gallery && (p.kind == ProtocolKind::Verification || c.rank == v.rank)
}

fn curve_title(p: &ProtocolAnalysis, c: &Curves) -> String {
    match c.gallery_size {
        None => format!("{} (1:1)", p.protocol),
        Some(n) => format!("{} (gallery of {} subjects, L = {})", p.protocol, count(n), c.rank.unwrap_or(0)),
    }
}

fn view_data(
    results: &Results,
    vr: &VendorResults,
    p: &ProtocolAnalysis,
    c: &Curves,
    op: &OperatingThreshold,
) -> Value {
    let method = results.config.interval_method;
    let conf = results.config.confidence;
    let one_to_n = p.kind != ProtocolKind::Verification;
    // 1:N shows TPIR (mates found), 1:1 FNMR (mates missed), as the report does.
    let shown = |mated: u64, missed: u64| if one_to_n { mated - missed.min(mated) } else { missed };
    let interval = |k: u64, n: u64| -> Vec<Value> {
        match (Rate { numerator: k, denominator: n }).interval(method, conf) {
            Some(i) => vec![json!(i.low), json!(i.high)],
            None => vec![Value::Null, Value::Null],
        }
    };
    let mut by_grouping = serde_json::Map::new();
    for g in &c.groups {
        let tp: Vec<u64> = g.false_negatives.iter().map(|&m| shown(g.mated, m)).collect();
        let fp_i: Vec<Value> = g.false_positives.iter().flat_map(|&k| interval(k, g.non_mated)).collect();
        let tp_i: Vec<Value> = tp.iter().flat_map(|&k| interval(k, g.mated)).collect();
        let entry = by_grouping.entry(g.grouping.clone()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            a.push(json!({
                "group": g.group, "non_mated": g.non_mated, "mated": g.mated,
                "fp": g.false_positives, "tp": tp, "fp_interval": fp_i, "tp_interval": tp_i,
            }));
        }
    }
    let (fp, tested_fn) = (c.false_positive, c.false_negative);
    let verdicts: Vec<Value> = p
        .thresholds
        .iter()
        .flat_map(|t| groupings(results).into_iter().skip(1).map(move |g| (t, g)))
        .filter_map(|(t, g)| verdict_data(p, c, fp, tested_fn, t.threshold, &t.operating_point, &g))
        .collect();
    let operating = match &op.operating_point {
        OperatingPoint::Declared { label } => format!("declared `{label}`"),
        OperatingPoint::Grid => "chosen for the report".into(),
        other => other.to_string(),
    };
    json!({
        "vendor": format!("{} {}", vr.vendor.name, vr.vendor.version),
        "protocol": curve_title(p, c),
        "one_to_n": one_to_n,
        "fp_name": metric_name(fp),
        "tp_name": if one_to_n { metric_name(Metric::Tpir) } else { metric_name(tested_fn) },
        "fn_name": metric_name(tested_fn),
        "operating": { "threshold": op.threshold, "label": format!("{} ({operating})", threshold_text(op.threshold)) },
        "thresholds": c.thresholds,
        "groupings": by_grouping,
        "verdicts": verdicts,
    })
}

/// The tests between the groups of `grouping` at one evaluated threshold, for the
/// curve's gallery and rank: each group's verdict with its Holm-adjusted p.
fn verdict_data(
    p: &ProtocolAnalysis,
    c: &Curves,
    fp: Metric,
    tested_fn: Metric,
    threshold: f64,
    at: &OperatingPoint,
    grouping: &str,
) -> Option<Value> {
    let find = |m: Metric| {
        let rank = if m == fp { None } else { c.rank };
        let q =
            RateQuery::metric(m).threshold(threshold).at(at).grouping(grouping).gallery_size(c.gallery_size).rank(rank);
        p.comparison(&q)
    };
    let words = |m: Metric| -> Value {
        let Some(cmp) = find(m) else { return Value::Null };
        let groups: serde_json::Map<String, Value> = cmp
            .groups
            .iter()
            .map(|g| {
                let p = g.p_holm.map(|p| format!(" (Holm-adjusted p = {})", p_value(p))).unwrap_or_default();
                (g.group.clone(), json!({ "text": format!("{}{p}", g.verdict), "significant": g.verdict.starts_with("significantly") }))
            })
            .collect();
        Value::Object(groups)
    };
    let (f, n) = (words(fp), words(tested_fn));
    if f.is_null() && n.is_null() {
        return None;
    }
    Some(json!({ "threshold": threshold, "point": at.label(), "grouping": grouping, "fp": f, "fn": n }))
}
