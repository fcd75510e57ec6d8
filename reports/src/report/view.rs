//! What every section of the report reads the results through: each vendor's operating
//! threshold, the grouping of the figures, the rates a protocol shows ([`View`]), and
//! lookups of rows and tests between groups (thin wrappers on the engine's query API,
//! `harness::model::query`).

use super::ReportBuildError;
use crate::format::{count, p_value, rate_cell, ratio};
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::differences::GroupComparison;
use harness::model::query::RateQuery;
use harness::model::results::{Results, VendorResults};
use harness::model::thresholds::{OperatingPoint, same_threshold};

/// A vendor's operating threshold, the label of its rows and why it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatingThreshold {
    pub threshold: f64,
    /// Declared, or a point of the grid.
    pub operating_point: OperatingPoint,
    pub why: String,
}

impl OperatingThreshold {
    /// The operating point of this threshold's rows in `p`: the chosen point where `p`
    /// evaluated it, else the grid point at the same threshold, else any point at it.
    pub fn point_in(&self, p: &ProtocolAnalysis) -> OperatingPoint {
        let at = p.operating_points_at(self.threshold);
        if at.contains(&&self.operating_point) {
            self.operating_point.clone()
        } else if at.iter().any(|o| o.is_grid()) {
            OperatingPoint::Grid
        } else {
            at.first().map_or_else(|| self.operating_point.clone(), |o| (*o).clone())
        }
    }
}

pub(crate) fn evaluated_list(v: &VendorResults) -> String {
    let mut t: Vec<f64> = v.protocols.iter().flat_map(|p| p.thresholds.iter().map(|u| u.threshold)).collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t.iter().map(|x| format!("{x}")).collect::<Vec<_>>().join(", ")
}

/// The operating threshold of `v` under `threshold` (the caller's choice, if any).
pub fn operating_threshold(v: &VendorResults, threshold: Option<f64>) -> Result<OperatingThreshold, ReportBuildError> {
    let evaluated = |t: f64, op: &OperatingPoint| v.protocols.iter().any(|p| p.operating_points_at(t).contains(&op));
    match threshold {
        Some(t) => {
            if let Some(d) = v.vendor.thresholds.iter().find(|d| same_threshold(d.value, t)) {
                let op = OperatingPoint::Declared { label: d.label.clone() };
                if evaluated(t, &op) {
                    return Ok(OperatingThreshold {
                        threshold: t,
                        operating_point: op,
                        why: format!("chosen for this report; the vendor's declared threshold `{}`", d.label),
                    });
                }
            }
            if evaluated(t, &OperatingPoint::Grid) {
                Ok(OperatingThreshold {
                    threshold: t,
                    operating_point: OperatingPoint::Grid,
                    why: "chosen for this report (a threshold of the grid)".into(),
                })
            } else {
                Err(ReportBuildError::NotEvaluated {
                    vendor: v.vendor.name.clone(),
                    threshold: t,
                    evaluated: evaluated_list(v),
                })
            }
        }
        None => {
            let Some(d) = v.vendor.thresholds.first() else {
                return Err(ReportBuildError::NoThreshold {
                    vendor: v.vendor.name.clone(),
                    evaluated: evaluated_list(v),
                });
            };
            Ok(OperatingThreshold {
                threshold: d.value,
                operating_point: OperatingPoint::Declared { label: d.label.clone() },
                why: format!("the vendor's declared operating threshold `{}`", d.label),
            })
        }
    }
}

/// The grouping the figures, the per-group summary and the annex use: the caller's, else
/// the single attribute with the most groups (first configured on a tie), where the
/// counts per group are largest for the detail shown; intersections are in the tables.
pub fn figure_grouping(results: &Results, chosen: Option<&str>) -> Result<String, ReportBuildError> {
    let names: Vec<(usize, String)> =
        results.config.groupings.iter().map(|g| (g.attributes.len(), g.attributes.join("×"))).collect();
    match chosen {
        Some(c) => {
            let c = c.replace(',', "×");
            if c == "all" || names.iter().any(|(_, n)| *n == c) {
                Ok(c)
            } else {
                let list = names.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join(", ");
                Err(ReportBuildError::UnknownGrouping(c, list))
            }
        }
        None => {
            let groups = |name: &str| results.benchmark.subjects_per_group.get(name).map_or(0, |g| g.len());
            // People's groupings first: a capture grouping is the default only alone.
            let capture = capture_groupings(results);
            let single: Vec<&String> =
                names.iter().filter(|(k, n)| *k == 1 && !capture.contains(n)).map(|(_, n)| n).collect();
            let most = single.iter().map(|n| groups(n)).max().unwrap_or(0);
            Ok(single
                .into_iter()
                .find(|n| groups(n) == most)
                .cloned()
                .or_else(|| names.first().map(|(_, n)| n.clone()))
                .unwrap_or_else(|| "all".into()))
        }
    }
}

/// The groupings of the results in configured order, `all` first.
pub(crate) fn groupings(results: &Results) -> Vec<String> {
    let mut g = vec!["all".to_string()];
    g.extend(results.config.groupings.iter().filter(|g| !g.attributes.is_empty()).map(|g| g.attributes.join("×")));
    g
}

/// The groupings of people (subjects' attributes only), `all` first: the verdict and the
/// annex's equality-duty sentences speak of these. A capture grouping (`camera`,
/// `ethnicity×camera`) is in the tables and the tests, not in the verdict.
pub(crate) fn subject_groupings(results: &Results) -> Vec<String> {
    let mut g = vec!["all".to_string()];
    g.extend(
        results
            .config
            .groupings
            .iter()
            .filter(|g| !g.attributes.is_empty() && !results.config.is_capture_grouping(g))
            .map(|g| g.attributes.join("×")),
    );
    g
}

/// `chosen` where it is a grouping of people, else the first grouping of people (the
/// whole population, `all`, where there is none).
pub(crate) fn people_grouping(results: &Results, chosen: &str) -> String {
    if !capture_groupings(results).iter().any(|c| c == chosen) {
        return chosen.to_string();
    }
    subject_groupings(results).get(1).cloned().unwrap_or_else(|| "all".to_string())
}

/// The capture groupings, in configured order.
pub(crate) fn capture_groupings(results: &Results) -> Vec<String> {
    results.config.groupings.iter().filter(|g| results.config.is_capture_grouping(g)).map(|g| g.name()).collect()
}

/// The rates of a protocol the report shows: the false-positive and false-negative
/// metric, and for 1:N the largest gallery and the candidate list length L.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub fp: Metric,
    /// What is shown of the false-negative side: TPIR (1:N) or FNMR (1:1).
    pub shown_fn: Metric,
    /// The tested false-negative metric: FNIR (1:N) or FNMR.
    pub tested_fn: Metric,
    pub gallery: Option<u64>,
    pub rank: Option<u32>,
}

pub(crate) fn view_of(p: &ProtocolAnalysis) -> View {
    match p.kind {
        ProtocolKind::Verification => {
            View { fp: Metric::Fmr, shown_fn: Metric::Fnmr, tested_fn: Metric::Fnmr, gallery: None, rank: None }
        }
        _ => {
            let gallery = p.rates_where(&RateQuery::metric(Metric::Fpir)).filter_map(|r| r.gallery_size).max();
            let rank =
                p.rates_where(&RateQuery::metric(Metric::Tpir).gallery_size(gallery)).filter_map(|r| r.rank).max();
            View { fp: Metric::Fpir, shown_fn: Metric::Tpir, tested_fn: Metric::Fnir, gallery, rank }
        }
    }
}

impl View {
    pub(crate) fn rank_of(&self, m: Metric) -> Option<u32> {
        if matches!(m, Metric::Tpir | Metric::Fnir) { self.rank } else { None }
    }
}

/// The rate row of `metric` for one group at one threshold and operating point.
pub(crate) fn rate_row<'a>(
    p: &'a ProtocolAnalysis,
    v: &View,
    metric: Metric,
    threshold: f64,
    op: &OperatingPoint,
    grouping: &str,
    group: &str,
) -> Option<&'a RateRow> {
    let q = RateQuery::metric(metric).threshold(threshold).at(op).grouping(grouping).group(group);
    p.rate(&q.gallery_size(v.gallery).rank(v.rank_of(metric)))
}

/// The groups of `grouping` in the engine's order.
pub(crate) fn groups_of(p: &ProtocolAnalysis, v: &View, grouping: &str) -> Vec<String> {
    let q = RateQuery::metric(v.fp).grouping(grouping);
    let mut out: Vec<String> = Vec::new();
    for r in p.rates_where(&q) {
        if !out.contains(&r.group) {
            out.push(r.group.clone());
        }
    }
    out
}

pub(crate) fn comparison<'a>(
    p: &'a ProtocolAnalysis,
    v: &View,
    metric: Metric,
    threshold: f64,
    op: &OperatingPoint,
    grouping: &str,
) -> Option<&'a GroupComparison> {
    let q = RateQuery::metric(metric).threshold(threshold).at(op).grouping(grouping);
    p.comparison(&q.gallery_size(v.gallery).rank(v.rank_of(metric)))
}

/// The verdict of one group in a comparison, if it is a significant one.
pub(crate) fn significant<'a>(c: Option<&'a GroupComparison>, group: &str) -> Option<&'a str> {
    c?.groups.iter().find(|g| g.group == group).map(|g| g.verdict.as_str()).filter(|v| v.starts_with("significantly"))
}

pub(crate) fn metric_name(m: Metric) -> String {
    m.name().to_uppercase()
}

pub(crate) fn interval_of(r: &RateRow) -> Option<(f64, f64)> {
    r.interval.map(|i| (i.low, i.high))
}

pub(crate) fn cell_of(r: Option<&RateRow>) -> String {
    r.map_or_else(|| "not computed".into(), |r| rate_cell(r.rate, interval_of(r)))
}

pub(crate) fn protocol_title(p: &ProtocolAnalysis, v: &View) -> String {
    let kind = if p.protocol == p.kind.name() { String::new() } else { format!("{}, ", p.kind.name()) };
    match (p.kind, v.gallery) {
        (ProtocolKind::Verification, _) => format!("{} ({kind}1:1)", p.protocol),
        (_, Some(n)) => format!("{} ({kind}gallery of {} subjects, L = {})", p.protocol, count(n), v.rank.unwrap_or(0)),
        (_, None) => format!("{} ({kind}1:N)", p.protocol),
    }
}

/// The protocol the summary leads with: a watchlist, else identification, else verification.
pub(crate) fn headline_protocol(v: &VendorResults) -> Option<&ProtocolAnalysis> {
    let rank = |k: ProtocolKind| match k {
        ProtocolKind::Watchlist => 0,
        ProtocolKind::Identification => 1,
        ProtocolKind::Verification => 2,
    };
    v.protocols.iter().min_by_key(|p| rank(p.kind))
}

pub(crate) fn interval_name(results: &Results) -> &'static str {
    match results.config.interval_method {
        harness::model::rate::IntervalMethod::Wilson => "Wilson score",
        harness::model::rate::IntervalMethod::ClopperPearson => "Clopper–Pearson exact",
    }
}

/// The groups of a comparison that are significantly higher, with their ratio.
pub(crate) fn significant_groups(c: Option<&GroupComparison>) -> Vec<String> {
    let Some(c) = c else { return Vec::new() };
    c.groups
        .iter()
        .filter(|g| g.verdict.starts_with("significantly"))
        .map(|g| {
            let ratio = g.ratio.and_then(|r| r.estimate).map(|e| format!(", ratio {}", ratio(e))).unwrap_or_default();
            let p = g.p_holm.map(|p| format!(", Holm-adjusted p = {}", p_value(p))).unwrap_or_default();
            format!("{} ({}{ratio}{p})", g.group, g.verdict)
        })
        .collect()
}

pub(crate) fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "undefined".into(), f)
}
