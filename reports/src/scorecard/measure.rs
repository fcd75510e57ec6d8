//! Reading one rubric measure for one vendor out of a `Results` value. Nothing is
//! computed here that the engine did not compute: a rate, a bound, a ratio or a verdict
//! is selected and described with its counts and where it came from.
//!
//! Two ways a number can fail to be there, kept apart:
//! - absent ([`Absent`]): the results do not hold what the rubric asks for (no such
//!   protocol, operating point, grouping, group): always an error;
//! - undefined (`Measured::value == None`): the results hold it and it is undefined (a
//!   rate with no trials, a max/min ratio over a zero-error group): an error unless the
//!   rubric says what it scores (`if_undefined`).
//!
//! Longer than most files (about 660 lines): one reader per kind of measure (rate,
//! ratio, differential, template time), each of which names every way its number can be
//! missing; split, they would share nothing but this file's selection helpers.

use super::rubric::{At, Bid, DifferentialMeasure, GroupSelect, Measure, RateMeasure, RatioMeasure, Site, Statistic};
use crate::format::{as_written, count, one_in, p_value, percent, threshold, trim};
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::population::Grouping;
use harness::model::query::RateQuery;
use harness::model::results::{Results, VendorResults};
use harness::model::thresholds::OperatingPoint;
use harness::model::thresholds::same_threshold;

/// A measured value with what it is and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// `None`: undefined, the reason in `text`.
    pub value: Option<f64>,
    /// For people: the value with its counts, e.g. `FPIR all @ declared:operating (0.6) =
    /// 0.015% (1 in 6,700; 15/100,000); upper 95% bound 0.024%`.
    pub text: String,
    /// Where in results.json the number was read.
    pub source: String,
    /// Per-group values (`worst` and `each` rate measures), `None` for a group with no trials.
    pub groups: Vec<(String, Option<f64>)>,
    /// Whether the value is a proportion (shown as a percentage).
    pub proportion: bool,
}

/// What the results lack, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Absent(pub String);

type Found<T> = Result<T, Absent>;

fn absent<T>(message: impl Into<String>) -> Found<T> {
    Err(Absent(message.into()))
}

/// Read `measure` for `vendor` of `results`; `bid` supplies what results.json does not hold.
pub fn measure(measure: &Measure, results: &Results, vendor: &VendorResults, bid: &Bid) -> Found<Measured> {
    match measure {
        Measure::Rate(r) => rate(r, results, vendor),
        Measure::Ratio(r) => ratio(r, results, vendor),
        Measure::SignificantDifferential(d) => differential(d, results, vendor),
        Measure::TemplateBytes => {
            let t = &vendor.timing;
            let source = format!("vendors[{}].timing.template_bytes_mean", vendor.vendor.name);
            if t.templates == 0 {
                return Ok(Measured {
                    value: None,
                    text: "undefined: no template was made".into(),
                    source,
                    groups: Vec::new(),
                    proportion: false,
                });
            }
            Ok(Measured {
                value: Some(t.template_bytes_mean),
                text: format!(
                    "{} bytes per template (mean of {} templates)",
                    trim(t.template_bytes_mean, 1),
                    count(t.templates)
                ),
                source,
                groups: Vec::new(),
                proportion: false,
            })
        }
        Measure::TemplateTime => match bid.template_time {
            Some(s) => Ok(Measured {
                value: Some(s),
                text: format!("{} s per template, as given in the bid", as_written(s)),
                source: format!("rubric [[bid]] for {} (template_time)", bid.vendor),
                groups: Vec::new(),
                proportion: false,
            }),
            None => absent(
                "template_time is not recorded in results.json (timings are kept out so that results are byte-identical): give `template_time = SECONDS` in this vendor's [[bid]]",
            ),
        },
    }
}

/// The protocol kinds a metric is read from, in order of preference.
fn kinds_for(metric: Metric) -> &'static [ProtocolKind] {
    match metric {
        Metric::Fmr | Metric::Fnmr => &[ProtocolKind::Verification],
        _ => &[ProtocolKind::Watchlist, ProtocolKind::Identification],
    }
}

/// Pick a protocol by name, else by kind; with none named, the first of the kinds the
/// metric is read from. Works on trial lists and on analyses alike.
pub fn pick_protocol<'a, T>(
    items: &'a [T],
    name_of: impl Fn(&T) -> &str,
    kind_of: impl Fn(&T) -> ProtocolKind,
    wanted: Option<&str>,
    metric: Metric,
) -> Option<&'a T> {
    match wanted {
        Some(w) => items.iter().find(|p| name_of(p) == w).or_else(|| items.iter().find(|p| kind_of(p).name() == w)),
        None => kinds_for(metric).iter().find_map(|k| items.iter().find(|p| kind_of(p) == *k)),
    }
}

fn protocol<'a>(vendor: &'a VendorResults, site: &Site, metric: Metric) -> Found<&'a ProtocolAnalysis> {
    pick_protocol(&vendor.protocols, |p| &p.protocol, |p| p.kind, site.protocol.as_deref(), metric).ok_or_else(|| {
        let have: Vec<String> =
            vendor.protocols.iter().map(|p| format!("{} ({})", p.protocol, p.kind.name())).collect();
        let wanted = match &site.protocol {
            Some(w) => format!("protocol `{w}`"),
            None => {
                let kinds: Vec<&str> = kinds_for(metric).iter().map(|k| k.name()).collect();
                format!("a {} protocol (for {})", kinds.join(" or "), metric.name().to_uppercase())
            }
        };
        Absent(format!("no {wanted} in the results (protocols: {})", list_or_none(&have)))
    })
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

/// The intersection grouping: the one of people's attributes with the most attributes
/// (the first among equals). A grouping by capture attribute compares captures, not
/// people, and is never a default.
fn intersection(results: &Results) -> Option<String> {
    let mut best: Option<&Grouping> = None;
    for g in results.config.groupings.iter().filter(|g| !results.config.is_capture_grouping(g)) {
        if best.is_none_or(|b| g.attributes.len() > b.attributes.len()) {
            best = Some(g);
        }
    }
    best.map(Grouping::name)
}

/// The grouping a measure reads: named (`sex,ethnicity` and `sex×ethnicity` alike) or
/// the intersection.
fn grouping_name(wanted: Option<&str>, results: &Results) -> Found<String> {
    match wanted {
        Some(w) => Ok(Grouping::parse(w).map(|g| g.name()).unwrap_or_else(|_| w.to_string())),
        None => intersection(results).map_or_else(|| absent("the results have no grouping"), Ok),
    }
}

/// The gallery size a 1:N rate is read at: the one asked for, else the largest.
fn gallery(rows: &[RateRow], metric: Metric, wanted: Option<u64>, protocol: &str) -> Found<Option<u64>> {
    let mut sizes: Vec<u64> = rows.iter().filter(|r| r.metric == metric).filter_map(|r| r.gallery_size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    match wanted {
        Some(n) if sizes.contains(&n) => Ok(Some(n)),
        Some(n) => {
            let have: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
            absent(format!("protocol `{protocol}` has no gallery size {n} (gallery sizes: {})", list_or_none(&have)))
        }
        None => Ok(sizes.last().copied()),
    }
}

fn rank(
    rows: &[RateRow],
    metric: Metric,
    gallery_size: Option<u64>,
    wanted: Option<u32>,
    protocol: &str,
) -> Found<Option<u32>> {
    if !matches!(metric, Metric::Fnir | Metric::Tpir) {
        return Ok(None);
    }
    let mut ranks: Vec<u32> =
        rows.iter().filter(|r| r.metric == metric && r.gallery_size == gallery_size).filter_map(|r| r.rank).collect();
    ranks.sort_unstable();
    ranks.dedup();
    match wanted {
        Some(k) if ranks.contains(&k) => Ok(Some(k)),
        Some(k) => {
            let have: Vec<String> = ranks.iter().map(|s| s.to_string()).collect();
            absent(format!(
                "protocol `{protocol}` reports {} at no rank {k} (ranks: {})",
                metric.name().to_uppercase(),
                list_or_none(&have)
            ))
        }
        None => Ok(ranks.first().copied()),
    }
}

/// An operating point of the results and the threshold it evaluated.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    point: OperatingPoint,
    threshold: f64,
}

fn same_target(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn point(at: &At, vendor: &VendorResults, p: &ProtocolAnalysis, gallery_size: Option<u64>) -> Found<Point> {
    let declared = |label: &str| -> Found<Point> {
        p.thresholds
            .iter()
            .find(|t| matches!(&t.operating_point, OperatingPoint::Declared { label: l } if l == label))
            .map(|t| Point { point: t.operating_point.clone(), threshold: t.threshold })
            .ok_or_else(|| {
                Absent(format!("protocol `{}` was not analysed at declared threshold `{label}`", p.protocol))
            })
    };
    match at {
        At::Declared(None) => match vendor.vendor.thresholds.first() {
            Some(t) => declared(&t.label),
            None => absent(format!("vendor {} declares no threshold", vendor.vendor.name)),
        },
        At::Declared(Some(label)) => {
            if vendor.vendor.thresholds.iter().any(|t| &t.label == label) {
                declared(label)
            } else {
                let have: Vec<String> =
                    vendor.vendor.thresholds.iter().map(|t| format!("{} = {}", t.label, t.value)).collect();
                absent(format!(
                    "vendor {} declares no threshold `{label}` (declared: {})",
                    vendor.vendor.name,
                    list_or_none(&have)
                ))
            }
        }
        At::Threshold(x) => {
            let matching: Vec<_> = p.thresholds.iter().filter(|t| same_threshold(t.threshold, *x)).collect();
            let chosen = matching
                .iter()
                .find(|t| t.operating_point == OperatingPoint::Grid)
                .or_else(|| matching.first())
                .map(|t| Point { point: t.operating_point.clone(), threshold: t.threshold });
            chosen.ok_or_else(|| {
                let mut grid: Vec<f64> = p
                    .thresholds
                    .iter()
                    .filter(|t| t.operating_point == OperatingPoint::Grid)
                    .map(|t| t.threshold)
                    .collect();
                grid.sort_by(f64::total_cmp);
                let grid: Vec<String> = grid.iter().map(|t| t.to_string()).collect();
                Absent(format!(
                    "protocol `{}` was not analysed at threshold {x} (grid: {}); rerun with --thresholds including it",
                    p.protocol,
                    list_or_none(&grid)
                ))
            })
        }
        At::Calibrated { metric, target } => {
            let wanted_n = if p.kind == ProtocolKind::Verification { None } else { gallery_size };
            let found = p.thresholds.iter().find(|t| match &t.operating_point {
                OperatingPoint::Calibrated { metric: m, target: x, gallery_size: n } => {
                    m == metric.name() && same_target(*x, *target) && *n == wanted_n
                }
                _ => false,
            });
            if let Some(t) = found {
                return Ok(Point { point: t.operating_point.clone(), threshold: t.threshold });
            }
            let at_n = wanted_n.map(|n| format!(" at gallery size {n}")).unwrap_or_default();
            let note = p
                .calibrations
                .iter()
                .find(|c| c.metric == *metric && same_target(c.target, *target) && c.gallery_size == wanted_n)
                .and_then(|c| c.note.clone());
            match note {
                Some(n) => absent(format!(
                    "protocol `{}` has no threshold calibrated to {}={target}{at_n}: {n}",
                    p.protocol,
                    metric.name()
                )),
                None => {
                    let have: Vec<String> = p
                        .calibrations
                        .iter()
                        .filter(|c| c.threshold.is_some())
                        .map(|c| {
                            format!(
                                "{}={}{}",
                                c.metric.name(),
                                c.target,
                                c.gallery_size.map(|n| format!("@N={n}")).unwrap_or_default()
                            )
                        })
                        .collect();
                    absent(format!(
                        "protocol `{}` has no threshold calibrated to {}={target}{at_n} (calibrated: {}); rerun with that target",
                        p.protocol,
                        metric.name(),
                        list_or_none(&have)
                    ))
                }
            }
        }
    }
}

/// Everything that selects the rows of one thresholded rate.
struct Selection<'a> {
    protocol: &'a ProtocolAnalysis,
    metric: Metric,
    gallery_size: Option<u64>,
    rank: Option<u32>,
    point: Point,
}

impl Selection<'_> {
    fn query(&self) -> RateQuery<'_> {
        RateQuery::metric(self.metric)
            .gallery_size(self.gallery_size)
            .rank(self.rank)
            .at(&self.point.point)
            .threshold(self.point.threshold)
    }
    fn describe(&self) -> String {
        let n = self.gallery_size.map(|n| format!(", N={n}")).unwrap_or_default();
        let k = self.rank.map(|k| format!(", rank {k}")).unwrap_or_default();
        format!("@ {} ({}){n}{k}", self.point.point, threshold(self.point.threshold))
    }
    fn source(&self, vendor: &str) -> String {
        let mut s =
            format!("vendors[{vendor}].protocols[{}].rates{{metric={}", self.protocol.protocol, self.metric.name());
        if let Some(n) = self.gallery_size {
            s.push_str(&format!(", gallery_size={n}"));
        }
        if let Some(k) = self.rank {
            s.push_str(&format!(", rank={k}"));
        }
        s.push_str(&format!(", operating_point={}, threshold={}", self.point.point, self.point.threshold));
        s
    }
}

fn select<'a>(
    vendor: &'a VendorResults,
    site: &Site,
    metric: Metric,
    rank_wanted: Option<u32>,
) -> Found<Selection<'a>> {
    let p = protocol(vendor, site, metric)?;
    if p.rate(&RateQuery::metric(metric)).is_none() {
        return absent(format!(
            "protocol `{}` ({}) has no {} rates",
            p.protocol,
            p.kind.name(),
            metric.name().to_uppercase()
        ));
    }
    let gallery_size = gallery(&p.rates, metric, site.gallery_size, &p.protocol)?;
    let rank = rank(&p.rates, metric, gallery_size, rank_wanted, &p.protocol)?;
    let point = point(&site.at, vendor, p, gallery_size)?;
    Ok(Selection { protocol: p, metric, gallery_size, rank, point })
}

fn statistic(row: &RateRow, s: Statistic) -> Option<f64> {
    match s {
        Statistic::Rate => row.rate.value(),
        Statistic::UpperBound => row.upper_bound,
        Statistic::LowerBound => row.lower_bound,
        Statistic::IntervalHigh => row.interval.map(|i| i.high),
        Statistic::IntervalLow => row.interval.map(|i| i.low),
    }
}

/// `0.015% (1 in 6,700; 15/100,000)`.
fn rate_text(row: &RateRow) -> String {
    let Some(v) = row.rate.value() else {
        return "undefined (no trials)".into();
    };
    let counts = format!("{}/{}", count(row.rate.numerator), count(row.rate.denominator));
    if matches!(row.metric, Metric::Fpir | Metric::Fmr) && row.rate.numerator > 0 {
        format!("{} ({}; {counts})", percent(v), one_in(row.rate))
    } else {
        format!("{} ({counts})", percent(v))
    }
}

fn statistic_text(row: &RateRow, s: Statistic, confidence: f64) -> String {
    let c = trim(confidence * 100.0, 2);
    let value = statistic(row, s).map(percent).unwrap_or_else(|| "undefined".into());
    match s {
        Statistic::Rate => String::new(),
        Statistic::UpperBound => format!("; upper {c}% bound {value}"),
        Statistic::LowerBound => format!("; lower {c}% bound {value}"),
        Statistic::IntervalHigh => format!("; {c}% interval high end {value}"),
        Statistic::IntervalLow => format!("; {c}% interval low end {value}"),
    }
}

/// Higher is worse for error rates, lower for TPIR.
fn worse(metric: Metric, a: f64, b: f64) -> bool {
    if metric == Metric::Tpir { a < b } else { a > b }
}

fn rate(m: &RateMeasure, results: &Results, vendor: &VendorResults) -> Found<Measured> {
    let name = &vendor.vendor.name;
    let label = m.metric.name().to_uppercase();
    // Rows of the measure (every grouping), a description of where, and a source path.
    let (rows, at, source): (Vec<&RateRow>, String, String) = match &m.site {
        None => {
            let rows: Vec<&RateRow> = vendor.template_rates.iter().filter(|r| r.metric == m.metric).collect();
            if rows.is_empty() {
                return absent(format!("vendors[{name}].template_rates has no {label} rows"));
            }
            (rows, String::new(), format!("vendors[{name}].template_rates{{metric={}", m.metric.name()))
        }
        Some(site) => {
            let sel = select(vendor, site, m.metric, m.rank)?;
            let q = sel.query();
            let rows: Vec<&RateRow> = sel.protocol.rates_where(&q).collect();
            if rows.is_empty() {
                return absent(format!("protocol `{}` has no {label} rows {}", sel.protocol.protocol, sel.describe()));
            }
            (rows, format!(" {}", sel.describe()), sel.source(name))
        }
    };
    let stat_suffix = |s: Statistic| if s == Statistic::Rate { String::new() } else { format!(".{}", s.name()) };
    let confidence = results.config.confidence;
    let one = |row: &RateRow, who: String| -> Found<Measured> {
        let value = if row.rate.denominator == 0 { None } else { statistic(row, m.statistic) };
        if row.rate.denominator > 0 && value.is_none() {
            return absent(format!("{label} {who}{at} has no {} in the results", m.statistic.name()));
        }
        Ok(Measured {
            value,
            text: format!("{label} {who}{at} = {}{}", rate_text(row), statistic_text(row, m.statistic, confidence)),
            source: format!("{source}, grouping={}, group={}}}{}", row.grouping, row.group, stat_suffix(m.statistic)),
            groups: Vec::new(),
            proportion: true,
        })
    };
    let grouping = match &m.group {
        GroupSelect::All => {
            let row = rows
                .iter()
                .find(|r| r.grouping == "all" && r.group == "all")
                .ok_or_else(|| Absent(format!("no {label} row for the whole population{at}")))?;
            return one(row, "all".into());
        }
        _ => grouping_name(m.grouping.as_deref(), results)?,
    };
    let in_grouping: Vec<&RateRow> = rows.iter().copied().filter(|r| r.grouping == grouping).collect();
    if in_grouping.is_empty() {
        let mut have: Vec<String> = rows.iter().map(|r| r.grouping.clone()).collect();
        have.dedup();
        return absent(format!("no {label} rows for grouping {grouping}{at} (groupings: {})", list_or_none(&have)));
    }
    if let GroupSelect::Named(g) = &m.group {
        let row = in_grouping.iter().find(|r| &r.group == g).ok_or_else(|| {
            let have: Vec<String> = in_grouping.iter().map(|r| r.group.clone()).collect();
            Absent(format!("grouping {grouping} has no group `{g}` (groups: {})", have.join(", ")))
        })?;
        return one(row, format!("{grouping} {g}"));
    }
    // Worst or each: every group's statistic; groups without trials are named and left out.
    let mut groups = Vec::new();
    let mut worst: Option<(&RateRow, f64)> = None;
    for row in &in_grouping {
        let v = if row.rate.denominator == 0 { None } else { statistic(row, m.statistic) };
        if row.rate.denominator > 0 && v.is_none() {
            return absent(format!(
                "{label} {grouping} {}{at} has no {} in the results",
                row.group,
                m.statistic.name()
            ));
        }
        groups.push((row.group.clone(), v));
        if let Some(v) = v
            && worst.is_none_or(|(_, w)| worse(m.metric, v, w))
        {
            worst = Some((row, v));
        }
    }
    let empty: Vec<&str> = groups.iter().filter(|g| g.1.is_none()).map(|g| g.0.as_str()).collect();
    let left_out =
        if empty.is_empty() { String::new() } else { format!("; no trials, left out: {}", empty.join(", ")) };
    let (how, of) = if m.group == GroupSelect::Each {
        ("worst of every group", "every group of {n}, the worst")
    } else {
        ("worst group", "worst group of {n}")
    };
    match worst {
        None => Ok(Measured {
            value: None,
            text: format!("{label} {grouping}{at}: undefined, no group has trials"),
            source: format!("{source}, grouping={grouping}}}{}", stat_suffix(m.statistic)),
            groups,
            proportion: true,
        }),
        Some((row, v)) => Ok(Measured {
            value: Some(v),
            text: format!(
                "{label} {grouping}{at}, {}: {} = {}{}{left_out}",
                of.replace("{n}", &(groups.len() - empty.len()).to_string()),
                row.group,
                rate_text(row),
                statistic_text(row, m.statistic, confidence)
            ),
            source: format!("{source}, grouping={grouping}, group={} ({how})}}{}", row.group, stat_suffix(m.statistic)),
            groups,
            proportion: true,
        }),
    }
}

fn ratio(m: &RatioMeasure, results: &Results, vendor: &VendorResults) -> Found<Measured> {
    let sel = select(vendor, &m.site, m.metric, None)?;
    let grouping = grouping_name(m.grouping.as_deref(), results)?;
    let label = m.metric.name().to_uppercase();
    let summary = sel
        .protocol
        .summaries
        .iter()
        .find(|s| {
            s.gallery_size == sel.gallery_size
                && s.operating_point == sel.point.point
                && same_threshold(s.threshold, sel.point.threshold)
                && s.grouping == *grouping
        })
        .ok_or_else(|| Absent(format!("no summary measures for grouping {grouping} {}", sel.describe())))?;
    let side = [&summary.summary.false_positive, &summary.summary.false_negative]
        .into_iter()
        .find(|s| s.metric == m.metric.name())
        .ok_or_else(|| Absent(format!("the summary measures {} hold no {label} ratio", sel.describe())))?;
    let source = format!(
        "vendors[{}].protocols[{}].summaries{{gallery_size={}, operating_point={}, threshold={}, grouping={grouping}}}.{}.max_min_ratio",
        vendor.vendor.name,
        sel.protocol.protocol,
        sel.gallery_size.map_or("none".into(), |n| n.to_string()),
        sel.point.point,
        sel.point.threshold,
        if std::ptr::eq(side, &summary.summary.false_positive) { "false_positive" } else { "false_negative" }
    );
    let group_text = |name: &Option<String>| -> String {
        name.as_ref()
            .and_then(|g| side.groups.iter().find(|x| &x.group == g))
            .map(|x| {
                let v = x.rate.value().map(percent).unwrap_or_else(|| "undefined".into());
                format!("{} {v} ({}/{})", x.group, count(x.rate.numerator), count(x.rate.denominator))
            })
            .unwrap_or_default()
    };
    let between = format!("highest {}, lowest {}", group_text(&side.highest_group), group_text(&side.lowest_group));
    let at = sel.describe();
    Ok(match side.max_min_ratio {
        Some(r) => Measured {
            value: Some(r),
            text: format!("{label} max/min across {grouping} {at} = {} ({between})", trim(r, 2)),
            source,
            groups: Vec::new(),
            proportion: false,
        },
        None => Measured {
            value: None,
            text: format!(
                "{label} max/min across {grouping} {at}: undefined — {} ({between})",
                side.undefined_reason.as_deref().unwrap_or("no reason recorded")
            ),
            source,
            groups: Vec::new(),
            proportion: false,
        },
    })
}

fn differential(d: &DifferentialMeasure, results: &Results, vendor: &VendorResults) -> Found<Measured> {
    let sel = select(vendor, &d.site, d.metric, d.rank)?;
    let label = d.metric.name().to_uppercase();
    let groupings: Vec<String> = match d.grouping.as_deref() {
        Some("any") => {
            // Any grouping of people: capture groupings (`camera`) are named explicitly.
            let capture: Vec<String> = results
                .config
                .groupings
                .iter()
                .filter(|g| results.config.is_capture_grouping(g))
                .map(Grouping::name)
                .collect();
            let mut g: Vec<String> =
                sel.protocol.comparisons.iter().map(|c| c.grouping.clone()).filter(|g| !capture.contains(g)).collect();
            g.sort();
            g.dedup();
            g
        }
        other => vec![grouping_name(other, results)?],
    };
    let at = sel.describe();
    let mut higher = Vec::new();
    let mut notes = Vec::new();
    let mut tested = 0usize;
    for grouping in &groupings {
        let q = RateQuery::metric(d.metric)
            .gallery_size(sel.gallery_size)
            .rank(sel.rank)
            .at(&sel.point.point)
            .threshold(sel.point.threshold)
            .grouping(grouping);
        let Some(c) = sel.protocol.comparison(&q) else {
            return absent(format!("no tests between groups of {grouping} for {label} {at}"));
        };
        if c.groups.len() < 2 {
            notes.push(format!("{grouping}: {}", c.note.as_deref().unwrap_or("fewer than two groups have trials")));
            continue;
        }
        tested += 1;
        for g in &c.groups {
            // The verdict strings of harness::analysis::between_groups.
            if g.verdict.starts_with("significantly higher than") {
                let p = g.p_holm.map(|p| format!(", Holm-adjusted p {}", p_value(p))).unwrap_or_default();
                let reference_rate = c
                    .groups
                    .iter()
                    .find(|x| Some(&x.group) == c.reference_group.as_ref())
                    .and_then(|x| x.rate.value())
                    .map(|v| format!(" {}", percent(v)))
                    .unwrap_or_default();
                higher.push(format!(
                    "{grouping} {} {} {}{reference_rate} ({}/{}{p})",
                    g.group,
                    g.rate.value().map(percent).unwrap_or_default(),
                    g.verdict,
                    count(g.rate.numerator),
                    count(g.rate.denominator)
                ));
            } else if let Some(o) = &c.omnibus
                && g.verdict == "reference"
            {
                notes.push(format!("{grouping}: omnibus {} p {}", o.method, p_value(o.p_value)));
            }
        }
    }
    let source = format!(
        "vendors[{}].protocols[{}].comparisons{{metric={}, gallery_size={}, operating_point={}, threshold={}, grouping={}}}.groups[].verdict",
        vendor.vendor.name,
        sel.protocol.protocol,
        d.metric.name(),
        sel.gallery_size.map_or("none".into(), |n| n.to_string()),
        sel.point.point,
        sel.point.threshold,
        groupings.join("|")
    );
    let alpha = trim(results.config.alpha, 4);
    if tested == 0 {
        return Ok(Measured {
            value: None,
            text: format!("{label} differential {at}: undefined — {}", notes.join("; ")),
            source,
            groups: Vec::new(),
            proportion: false,
        });
    }
    let text = if higher.is_empty() {
        let n = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
        format!("no group with a significantly higher {label} {at} at alpha {alpha}{n}")
    } else {
        format!("{} significantly higher {label} {at} at alpha {alpha}: {}", higher.len(), higher.join("; "))
    };
    Ok(Measured { value: Some(higher.len() as f64), text, source, groups: Vec::new(), proportion: false })
}
