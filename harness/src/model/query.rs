//! The one way to find a number in the results (fairlearn's `MetricFrame`, read side):
//! a rate row, a test between groups or a summary measure is selected by a
//! [`RateQuery`], never by re-matching its key fields by hand, and thresholds are
//! compared by the one rule, [`same_threshold`]. The report, the comparison, the
//! scorecard and the command line all look numbers up here.

use crate::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use crate::model::benchmark::ProtocolKind;
use crate::model::differences::{GroupComparison, SummaryAtThreshold};
use crate::model::results::{Results, VendorResults};
use crate::model::thresholds::{OperatingPoint, same_threshold};

/// A selection of rows: every field left unset matches any value. Built from the metric:
/// `RateQuery::metric(Metric::Fpir).threshold(0.6).grouping("ethnicity").group("black")`.
#[derive(Debug, Clone, Default)]
pub struct RateQuery<'a> {
    pub metric: Option<Metric>,
    /// `Some(None)` selects the rows without a gallery size (1:1, FTE, FTA).
    pub gallery_size: Option<Option<u64>>,
    /// `Some(None)` selects the rows without a rank.
    pub rank: Option<Option<u32>>,
    /// Compared by [`same_threshold`].
    pub threshold: Option<f64>,
    pub operating_point: Option<&'a OperatingPoint>,
    pub grouping: Option<&'a str>,
    pub group: Option<&'a str>,
}

impl<'a> RateQuery<'a> {
    pub fn metric(metric: Metric) -> Self {
        RateQuery { metric: Some(metric), ..RateQuery::default() }
    }
    /// Every metric.
    pub fn any() -> Self {
        RateQuery::default()
    }
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = Some(threshold);
        self
    }
    /// At an operating point (its threshold is the one that point evaluated).
    pub fn at(mut self, point: &'a OperatingPoint) -> Self {
        self.operating_point = Some(point);
        self
    }
    pub fn grouping(mut self, grouping: &'a str) -> Self {
        self.grouping = Some(grouping);
        self
    }
    pub fn group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }
    pub fn gallery_size(mut self, gallery_size: Option<u64>) -> Self {
        self.gallery_size = Some(gallery_size);
        self
    }
    pub fn rank(mut self, rank: Option<u32>) -> Self {
        self.rank = Some(rank);
        self
    }

    fn matches_key(
        &self,
        metric: Metric,
        gallery_size: Option<u64>,
        rank: Option<u32>,
        threshold: Option<f64>,
        point: &OperatingPoint,
        grouping: &str,
    ) -> bool {
        self.metric.is_none_or(|m| m == metric)
            && self.gallery_size.is_none_or(|n| n == gallery_size)
            && self.rank.is_none_or(|r| r == rank)
            && self.threshold.is_none_or(|t| threshold.is_some_and(|x| same_threshold(x, t)))
            && self.operating_point.is_none_or(|p| p == point)
            && self.grouping.is_none_or(|g| g == grouping)
    }

    /// Whether a rate row is selected.
    pub fn matches(&self, r: &RateRow) -> bool {
        self.matches_key(r.metric, r.gallery_size, r.rank, r.threshold, &r.operating_point, &r.grouping)
            && self.group.is_none_or(|g| g == r.group)
    }

    /// Whether a table of tests between groups is selected (`group` is not a key of it).
    pub fn matches_comparison(&self, c: &GroupComparison) -> bool {
        self.matches_key(c.metric, c.gallery_size, c.rank, Some(c.threshold), &c.operating_point, &c.grouping)
    }
}

impl ProtocolAnalysis {
    /// Every rate row selected, in the order of `results.json`.
    pub fn rates_where<'s, 'q>(&'s self, query: &'q RateQuery<'q>) -> impl Iterator<Item = &'s RateRow> + use<'s, 'q> {
        self.rates.iter().filter(move |r| query.matches(r))
    }

    /// The first rate row selected: with every key field given, the one row there is.
    pub fn rate(&self, query: &RateQuery) -> Option<&RateRow> {
        self.rates.iter().find(|r| query.matches(r))
    }

    /// The groups of `grouping`, in the order the engine wrote them.
    pub fn groups(&self, grouping: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in self.rates.iter().filter(|r| r.grouping == grouping) {
            if !out.contains(&r.group.as_str()) {
                out.push(&r.group);
            }
        }
        out
    }

    /// The groupings analysed (`all` first), in the order the engine wrote them.
    pub fn groupings(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rates {
            if !out.contains(&r.grouping.as_str()) {
                out.push(&r.grouping);
            }
        }
        out
    }

    /// The gallery sizes of a 1:N protocol, ascending; `[None]` for 1:1.
    pub fn gallery_sizes(&self) -> Vec<Option<u64>> {
        let mut sizes: Vec<u64> = self.rates.iter().filter_map(|r| r.gallery_size).collect();
        sizes.sort_unstable();
        sizes.dedup();
        if sizes.is_empty() { vec![None] } else { sizes.into_iter().map(Some).collect() }
    }

    /// The candidate list length L of a 1:N protocol: the largest rank FNIR is reported at.
    pub fn list_length(&self) -> Option<u32> {
        self.rates.iter().filter(|r| r.metric == Metric::Fnir).filter_map(|r| r.rank).max()
    }

    /// The operating point that evaluated `threshold` first (grid, then declared, then
    /// calibrated, in the order of the analysis).
    pub fn operating_points_at(&self, threshold: f64) -> Vec<&OperatingPoint> {
        self.thresholds.iter().filter(|u| same_threshold(u.threshold, threshold)).map(|u| &u.operating_point).collect()
    }

    /// The threshold an operating point evaluated.
    pub fn threshold_of(&self, point: &OperatingPoint) -> Option<f64> {
        self.thresholds.iter().find(|u| &u.operating_point == point).map(|u| u.threshold)
    }

    /// The tests between groups selected (the query's `group` is ignored).
    pub fn comparisons_where<'s, 'q>(
        &'s self,
        query: &'q RateQuery<'q>,
    ) -> impl Iterator<Item = &'s GroupComparison> + use<'s, 'q> {
        self.comparisons.iter().filter(move |c| query.matches_comparison(c))
    }

    /// The first table of tests between groups selected.
    pub fn comparison(&self, query: &RateQuery) -> Option<&GroupComparison> {
        self.comparisons.iter().find(|c| query.matches_comparison(c))
    }

    /// The summary measures of one grouping at one threshold (and gallery size).
    pub fn summary(&self, grouping: &str, threshold: f64, gallery_size: Option<u64>) -> Option<&SummaryAtThreshold> {
        self.summaries.iter().find(|s| {
            s.grouping == grouping && same_threshold(s.threshold, threshold) && s.gallery_size == gallery_size
        })
    }
}

/// The per-group rates of one metric of one grouping at one threshold and operating
/// point (grouping `all` left out): the unit a test between groups, a planned study and
/// a deployment projection look at. Serialised, it is the table's key (the rates are in
/// `groups`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupTable {
    pub vendor: String,
    pub protocol: String,
    pub kind: String,
    pub metric: String,
    pub gallery_size: Option<u64>,
    pub threshold: f64,
    pub operating_point: String,
    pub grouping: String,
    #[serde(skip)]
    pub groups: Vec<(String, crate::model::rate::Rate)>,
}

impl Results {
    /// Every per-group table of `metric_for(kind)` in the results, in the order of the
    /// file (rows without a threshold left out).
    pub fn group_tables(&self, metric_for: impl Fn(ProtocolKind) -> Option<Metric>) -> Vec<GroupTable> {
        let mut tables: Vec<GroupTable> = Vec::new();
        for vendor in &self.vendors {
            for protocol in &vendor.protocols {
                let Some(metric) = metric_for(protocol.kind) else { continue };
                for row in protocol.rates.iter().filter(|r| r.metric == metric && r.grouping != "all") {
                    let Some(threshold) = row.threshold else { continue };
                    let label = row.operating_point.label();
                    let same = |t: &GroupTable| {
                        t.vendor == vendor.vendor.name
                            && t.protocol == protocol.protocol
                            && t.gallery_size == row.gallery_size
                            && t.operating_point == label
                            && t.grouping == row.grouping
                            && same_threshold(t.threshold, threshold)
                    };
                    let i = match tables.iter().position(same) {
                        Some(i) => i,
                        None => {
                            tables.push(GroupTable {
                                vendor: vendor.vendor.name.clone(),
                                protocol: protocol.protocol.clone(),
                                kind: protocol.kind.name().to_string(),
                                metric: metric.name().to_string(),
                                gallery_size: row.gallery_size,
                                threshold,
                                operating_point: label,
                                grouping: row.grouping.clone(),
                                groups: Vec::new(),
                            });
                            tables.len() - 1
                        }
                    };
                    tables[i].groups.push((row.group.clone(), row.rate));
                }
            }
        }
        tables
    }
}

impl VendorResults {
    /// The analysis of the protocol named `protocol`.
    pub fn protocol(&self, protocol: &str) -> Option<&ProtocolAnalysis> {
        self.protocols.iter().find(|p| p.protocol == protocol)
    }
}

impl Results {
    /// The results of the vendor named `name`.
    pub fn vendor(&self, name: &str) -> Option<&VendorResults> {
        self.vendors.iter().find(|v| v.vendor.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::{AnalysisConfig, ProtocolAnalysis, ThresholdUse};
    use crate::model::rate::Rate;

    fn row(metric: Metric, threshold: f64, point: OperatingPoint, grouping: &str, group: &str, k: u64) -> RateRow {
        RateRow {
            metric,
            gallery_size: Some(100),
            rank: if metric == Metric::Fnir { Some(1) } else { None },
            threshold: Some(threshold),
            operating_point: point,
            grouping: grouping.into(),
            group: group.into(),
            rate: Rate::new(k, 1000),
            interval: None,
            upper_bound: None,
            lower_bound: None,
            bootstrap: None,
        }
    }

    fn analysis() -> ProtocolAnalysis {
        let declared = OperatingPoint::Declared { label: "op".into() };
        let grid_point = 0.56 + 2.0 * 0.02; // 0.6000000000000001, as a grid may compute it
        let mut a = ProtocolAnalysis::new(
            "watchlist",
            ProtocolKind::Watchlist,
            vec![
                ThresholdUse { threshold: grid_point, operating_point: OperatingPoint::Grid },
                ThresholdUse { threshold: 0.6, operating_point: declared.clone() },
            ],
            Vec::new(),
        );
        a.rates = vec![
            row(Metric::Fpir, grid_point, OperatingPoint::Grid, "all", "all", 3),
            row(Metric::Fpir, grid_point, OperatingPoint::Grid, "sex", "F", 1),
            row(Metric::Fpir, grid_point, OperatingPoint::Grid, "sex", "M", 2),
            row(Metric::Fnir, grid_point, OperatingPoint::Grid, "sex", "M", 20),
            row(Metric::Fpir, 0.6, declared, "sex", "M", 2),
        ];
        a
    }

    #[test]
    fn one_query_finds_one_row_by_the_one_threshold_rule() {
        let p = analysis();
        let q = RateQuery::metric(Metric::Fpir).threshold(0.6).at(&OperatingPoint::Grid).grouping("sex").group("M");
        let r = p.rate(&q).expect("the grid row at 0.6");
        assert_eq!((r.rate.numerator, r.operating_point.label()), (2, "grid".to_string()));
        let declared = OperatingPoint::Declared { label: "op".into() };
        assert_eq!(p.rates_where(&RateQuery::metric(Metric::Fpir).threshold(0.6)).count(), 4);
        assert_eq!(p.rates_where(&RateQuery::metric(Metric::Fpir).at(&declared)).count(), 1);
        assert!(p.rate(&RateQuery::metric(Metric::Fpir).threshold(0.62)).is_none());
        assert_eq!(p.rates_where(&RateQuery::metric(Metric::Fnir).rank(Some(1))).count(), 1);
        assert_eq!(p.rates_where(&RateQuery::metric(Metric::Fnir).rank(Some(5))).count(), 0);
        assert_eq!(p.rates_where(&RateQuery::any().gallery_size(None)).count(), 0);
    }

    #[test]
    fn groups_points_and_sizes() {
        let p = analysis();
        assert_eq!(p.groups("sex"), ["F", "M"]);
        assert_eq!(p.groupings(), ["all", "sex"]);
        assert_eq!(p.gallery_sizes(), [Some(100)]);
        assert_eq!(p.list_length(), Some(1));
        assert_eq!(p.operating_points_at(0.6).len(), 2);
        assert_eq!(p.threshold_of(&OperatingPoint::Declared { label: "op".into() }), Some(0.6));
        let _ = AnalysisConfig::with_thresholds(vec![0.6], Vec::new());
    }
}
