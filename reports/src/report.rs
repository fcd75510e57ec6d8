//! The report of a run (`report.html`, `report.md`): NPL/NIST-style sections in the order
//! of DESIGN.md section 7, built as one [`Document`] so the HTML and the Markdown say
//! the same thing. It selects and formats what the engine computed; it computes no
//! metric (the deployment projection is the engine's `harness::analysis::projection::project`).
//!
//! Every vendor is reported at one operating threshold: its first declared threshold,
//! or the threshold the caller names (which must be one the analysis evaluated). One
//! threshold applies to every group (NIST practice). Figures draw one grouping (by
//! default the most detailed one: the intersection of the configured attributes).

use crate::annex;
use crate::document::{Block, Cell, Document, Mark, Table};
use crate::plots;
use crate::summary::{count, one_in, people_number, percent, rate_cell};
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::differences::GroupComparison;
use harness::model::results::{Results, VendorResults};

/// What the caller chooses; every choice is stated in the report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The grouping the figures, the per-group summary and the annex use; `None`: the
    /// single attribute with the most groups ([`figure_grouping`]).
    pub grouping: Option<String>,
    /// The operating threshold of every vendor; `None`: each vendor's first declared
    /// threshold.
    pub threshold: Option<f64>,
    /// Other outputs beside the report (e.g. `compare.html`, `scorecard.html`) to name
    /// in the summary.
    pub see_also: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportBuildError {
    #[error(
        "vendor {vendor} declares no operating threshold: name one with --threshold (evaluated thresholds: {evaluated})"
    )]
    NoThreshold { vendor: String, evaluated: String },
    #[error(
        "threshold {threshold} was not evaluated for vendor {vendor} (evaluated: {evaluated}); add it to --thresholds of the run or analysis"
    )]
    NotEvaluated { vendor: String, threshold: f64, evaluated: String },
    #[error("grouping `{0}` is not in the results (groupings: {1})")]
    UnknownGrouping(String, String),
    #[error("the results hold no vendor")]
    NoVendors,
}

/// A vendor's operating threshold, the label of its rows and why it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatingThreshold {
    pub threshold: f64,
    /// `declared:LABEL` or `grid`.
    pub operating_point: String,
    pub why: String,
}

impl OperatingThreshold {
    /// The operating-point label of this threshold's rows in `p`: the chosen label where
    /// `p` evaluated it, else the grid point at the same threshold, else any label at it.
    pub fn label_in(&self, p: &ProtocolAnalysis) -> String {
        let at: Vec<String> =
            p.thresholds.iter().filter(|u| u.threshold == self.threshold).map(|u| u.operating_point.label()).collect();
        if at.contains(&self.operating_point) {
            self.operating_point.clone()
        } else if at.iter().any(|l| l == "grid") {
            "grid".into()
        } else {
            at.into_iter().next().unwrap_or_else(|| self.operating_point.clone())
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
    let evaluated = |t: f64, op: &str| {
        v.protocols.iter().any(|p| p.thresholds.iter().any(|u| u.threshold == t && u.operating_point.label() == op))
    };
    match threshold {
        Some(t) => {
            if let Some(d) = v.vendor.thresholds.iter().find(|d| d.value == t) {
                let op = format!("declared:{}", d.label);
                if evaluated(t, &op) {
                    return Ok(OperatingThreshold {
                        threshold: t,
                        operating_point: op,
                        why: format!("chosen for this report; the vendor's declared threshold `{}`", d.label),
                    });
                }
            }
            if evaluated(t, "grid") {
                Ok(OperatingThreshold {
                    threshold: t,
                    operating_point: "grid".into(),
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
                operating_point: format!("declared:{}", d.label),
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
            let single: Vec<&String> = names.iter().filter(|(k, _)| *k == 1).map(|(_, n)| n).collect();
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

pub(crate) fn view(p: &ProtocolAnalysis) -> View {
    match p.kind {
        ProtocolKind::Verification => {
            View { fp: Metric::Fmr, shown_fn: Metric::Fnmr, tested_fn: Metric::Fnmr, gallery: None, rank: None }
        }
        _ => {
            let gallery = p.rates.iter().filter(|r| r.metric == Metric::Fpir).filter_map(|r| r.gallery_size).max();
            let rank = p
                .rates
                .iter()
                .filter(|r| r.metric == Metric::Tpir && r.gallery_size == gallery)
                .filter_map(|r| r.rank)
                .max();
            View { fp: Metric::Fpir, shown_fn: Metric::Tpir, tested_fn: Metric::Fnir, gallery, rank }
        }
    }
}

impl View {
    fn rank_of(&self, m: Metric) -> Option<u32> {
        if matches!(m, Metric::Tpir | Metric::Fnir) { self.rank } else { None }
    }
}

/// The rate row of `metric` for one group at one threshold and operating point.
pub(crate) fn rate_row<'a>(
    p: &'a ProtocolAnalysis,
    v: &View,
    metric: Metric,
    threshold: f64,
    op: &str,
    grouping: &str,
    group: &str,
) -> Option<&'a RateRow> {
    p.rates.iter().find(|r| {
        r.metric == metric
            && r.threshold == Some(threshold)
            && r.operating_point == op
            && r.grouping == grouping
            && r.group == group
            && r.gallery_size == v.gallery
            && r.rank == v.rank_of(metric)
    })
}

/// The groups of `grouping` in the engine's order.
pub(crate) fn groups_of(p: &ProtocolAnalysis, v: &View, grouping: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in p.rates.iter().filter(|r| r.grouping == grouping && r.metric == v.fp) {
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
    op: &str,
    grouping: &str,
) -> Option<&'a GroupComparison> {
    p.comparisons.iter().find(|c| {
        c.metric == metric
            && c.threshold == threshold
            && c.operating_point == op
            && c.grouping == grouping
            && c.gallery_size == v.gallery
            && c.rank == v.rank_of(metric)
    })
}

/// The verdict of one group in a comparison, if it is a significant one.
pub(crate) fn significant<'a>(c: Option<&'a GroupComparison>, group: &str) -> Option<&'a str> {
    c?.groups.iter().find(|g| g.group == group).map(|g| g.verdict.as_str()).filter(|v| v.starts_with("significantly"))
}

pub(crate) fn metric_name(m: Metric) -> String {
    m.name().to_uppercase()
}

fn interval_of(r: &RateRow) -> Option<(f64, f64)> {
    r.interval.map(|i| (i.low, i.high))
}

fn cell_of(r: Option<&RateRow>) -> String {
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

/// A p-value for people: three decimals from 0.001, else two significant figures.
pub(crate) fn fmt_p(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else if p > 0.0 {
        format!("{p:.1e}")
    } else {
        "< 1e-300".into()
    }
}

/// A ratio for people: two decimals below 10, one below 100, none above.
pub(crate) fn fmt_ratio(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "undefined".into(), f)
}

/// Build the whole report of `results`.
pub fn build_report(results: &Results, options: &ReportOptions) -> Result<Document, ReportBuildError> {
    if results.vendors.is_empty() {
        return Err(ReportBuildError::NoVendors);
    }
    let grouping = figure_grouping(results, options.grouping.as_deref())?;
    let ops: Vec<OperatingThreshold> =
        results.vendors.iter().map(|v| operating_threshold(v, options.threshold)).collect::<Result<_, _>>()?;
    let names: Vec<String> = results.vendors.iter().map(|v| v.vendor.name.clone()).collect();
    let mut d = Document::new(format!("Face recognition accuracy and demographic differentials: {}", names.join(", ")));
    d.paragraph(format!(
        "Benchmark {} version {}; {} subjects; {} vendor(s). Written by verity {} from results.json (schema {}). \
         Rates are shown as percentage (errors/trials; two-sided {}% {} interval). One threshold applies to every group.",
        results.benchmark.name,
        results.benchmark.version,
        count(results.benchmark.subjects),
        results.vendors.len(),
        results.provenance.verity_version,
        results.schema_version,
        trim(results.config.confidence * 100.0),
        interval_name(results),
    ));
    summary_section(&mut d, results, &ops, &grouping, options);
    description_section(&mut d, results);
    sweep_section(&mut d, results);
    figure_sections(&mut d, results, &ops, &grouping);
    differential_section(&mut d, results, &ops);
    tests_section(&mut d, results, &ops);
    detectable_section(&mut d, results, &ops);
    projection_section(&mut d, results, &ops, &grouping);
    annex::annex_section(&mut d, results, &ops, &grouping);
    provenance_section(&mut d, results);
    Ok(d)
}

/// `x` with at most four decimals, trailing zeros dropped (95.0 as `95`).
pub(crate) fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
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
            let ratio =
                g.ratio.and_then(|r| r.estimate).map(|e| format!(", ratio {}", fmt_ratio(e))).unwrap_or_default();
            let p = g.p_holm.map(|p| format!(", Holm-adjusted p = {}", fmt_p(p))).unwrap_or_default();
            format!("{} ({}{ratio}{p})", g.group, g.verdict)
        })
        .collect()
}

fn summary_section(
    d: &mut Document,
    results: &Results,
    ops: &[OperatingThreshold],
    grouping: &str,
    options: &ReportOptions,
) {
    d.heading(2, "Summary at the operating threshold");
    let mut overview = Table {
        header: vec![
            "Vendor".into(),
            "Protocol".into(),
            "Threshold".into(),
            "True positive (TPIR / 1−FNMR)".into(),
            "False positive (FPIR / FMR)".into(),
            "1 in X".into(),
            "Significant differences between groups".into(),
        ],
        rows: Vec::new(),
        note: Some(format!(
            "Differences are tested at the operating threshold for every grouping ({}), each group against the lowest-rate group (or the declared reference), Fisher's exact test with Holm's correction at alpha = {}, and only where the omnibus test across groups also rejects.",
            groupings(results)[1..].join(", "),
            results.config.alpha
        )),
    };
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = headline_protocol(vr) else { continue };
        let v = view(p);
        let tp = rate_row(p, &v, v.shown_fn, op.threshold, &op.label_in(p), "all", "all");
        let fp = rate_row(p, &v, v.fp, op.threshold, &op.label_in(p), "all", "all");
        let mut findings = Vec::new();
        for g in &groupings(results)[1..] {
            for m in [v.fp, v.tested_fn] {
                for s in significant_groups(comparison(p, &v, m, op.threshold, &op.label_in(p), g)) {
                    findings.push(format!("{} {g}: {s}", metric_name(m)));
                }
            }
        }
        let verdict = if findings.is_empty() {
            Cell::plain("none")
        } else {
            Cell::marked(findings.join("; "), Mark::Significant)
        };
        overview.rows.push(vec![
            Cell::plain(format!("{} {}", vr.vendor.name, vr.vendor.version)),
            Cell::plain(protocol_title(p, &v)),
            Cell::plain(format!("{} ({})", op.threshold, op.why)),
            Cell::plain(cell_of(tp)),
            Cell::plain(cell_of(fp)),
            Cell::plain(fp.map_or_else(|| "not computed".into(), |r| one_in(r.rate))),
            verdict,
        ]);
    }
    d.table(overview);
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = headline_protocol(vr) else { continue };
        let v = view(p);
        d.heading(3, format!("{}: {} by {grouping} at {}", vr.vendor.name, protocol_title(p, &v), op.threshold));
        let fp_cmp = comparison(p, &v, v.fp, op.threshold, &op.label_in(p), grouping);
        let fn_cmp = comparison(p, &v, v.tested_fn, op.threshold, &op.label_in(p), grouping);
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
            let tp = rate_row(p, &v, v.shown_fn, op.threshold, &op.label_in(p), gg, &g);
            let fp = rate_row(p, &v, v.fp, op.threshold, &op.label_in(p), gg, &g);
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
    if !options.see_also.is_empty() {
        d.paragraph(format!("Vendors side by side and the procurement scorecard: {}.", options.see_also.join(", ")));
    }
}

fn description_section(d: &mut Document, results: &Results) {
    let b = &results.benchmark;
    d.heading(2, "Test description");
    d.push(Block::List(vec![
        format!("Benchmark: {} version {}, licence {}.", b.name, b.version, b.licence),
        format!("Content hash (SHA-256): {}.", b.content_hash),
        format!("{} subjects, {} samples.", count(b.subjects), count(b.samples)),
        if b.label_provenance.is_empty() {
            "Demographic labels: provenance not recorded.".into()
        } else {
            format!(
                "Demographic labels: {}.",
                b.label_provenance.iter().map(|(a, p)| format!("{a}: {p}")).collect::<Vec<_>>().join("; ")
            )
        },
    ]));
    let mut subjects =
        Table { header: vec!["Attribute".into(), "Group".into(), "Subjects".into()], rows: vec![], note: None };
    for (attr, groups) in &b.subjects_per_group {
        for (g, n) in groups {
            subjects.rows.push(vec![attr.as_str().into(), g.as_str().into(), count(*n).into()]);
        }
    }
    d.table(subjects);
    let mut protocols = Table {
        header: vec![
            "Protocol".into(),
            "Kind".into(),
            "Mated".into(),
            "Non-mated".into(),
            "Gallery subjects".into(),
            "Trial-list hash (SHA-256)".into(),
        ],
        rows: vec![],
        note: Some(
            "Verification counts pairs; identification and watchlist count searches. Every vendor got the same trial list: the hash proves it."
                .into(),
        ),
    };
    for t in &results.trial_lists {
        protocols.rows.push(vec![
            t.protocol.as_str().into(),
            t.kind.name().into(),
            count(t.mated).into(),
            count(t.non_mated).into(),
            t.gallery_subjects.map_or_else(|| "—".into(), count).into(),
            t.hash.as_str().into(),
        ]);
    }
    d.table(protocols);
    d.heading(3, "Failures to enrol and to acquire");
    let mut t = Table {
        header: vec!["Vendor".into(), "Rate".into(), "Grouping".into(), "Group".into(), "Value".into()],
        rows: vec![],
        note: Some("FTE: enrolment templates that could not be made; FTA: probe (verification or search) templates that could not be made. A failure counts as an error in FNMR/FNIR, never as a dropped trial.".into()),
    };
    for v in &results.vendors {
        for r in &v.template_rates {
            t.rows.push(vec![
                v.vendor.name.as_str().into(),
                metric_name(r.metric).into(),
                r.grouping.as_str().into(),
                r.group.as_str().into(),
                rate_cell(r.rate, interval_of(r)).into(),
            ]);
        }
    }
    d.table(t);
}

/// Thresholds of the sweep: the grid and the declared thresholds, ascending.
fn sweep_points(p: &ProtocolAnalysis) -> Vec<(f64, String)> {
    let mut pts: Vec<(f64, String)> = p
        .thresholds
        .iter()
        .filter(|u| !u.operating_point.label().starts_with("calibrated"))
        .map(|u| (u.threshold, u.operating_point.label()))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    pts.dedup();
    pts
}

fn sweep_section(d: &mut Document, results: &Results) {
    d.heading(2, "Threshold sweep (NPL style)");
    d.paragraph(
        "Rows are thresholds (the grid and each declared threshold); columns are groups. Each cell is the rate, errors/trials, and its interval. ▲ marks a group whose rate differs significantly from the reference group at that threshold (Fisher's exact test, Holm-adjusted across the groups and thresholds of the table, omnibus test rejecting).",
    );
    for vr in &results.vendors {
        for p in &vr.protocols {
            let v = view(p);
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
                        let label = if op == "grid" { format!("{threshold}") } else { format!("{threshold} ({op})") };
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

fn figure_sections(d: &mut Document, results: &Results, ops: &[OperatingThreshold], grouping: &str) {
    let slug = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>();
    fn largest(p: &ProtocolAnalysis) -> Option<&harness::model::curves::Curves> {
        let v = view(p);
        p.curves.iter().find(|c| c.gallery_size == v.gallery)
    }
    d.heading(2, "DET curves by group");
    d.paragraph(format!(
        "Detection error trade-off: each curve shows, for one {grouping} group, the false-negative rate (y) against the false-positive rate (x) as the threshold moves; both axes are on a probit (normal-deviate) scale, as NIST plots them. Lower and further left is better; a curve above the others means more misses at the same false-positive rate. Points with zero errors cannot be drawn on a probit axis and are left out."
    ));
    for vr in &results.vendors {
        for p in &vr.protocols {
            if let Some(c) = largest(p) {
                let v = view(p);
                d.figure(
                    format!("det-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::det_curve(c, grouping),
                    format!(
                        "DET of {} on {} by {grouping}: {} against {}, probit axes.",
                        vr.vendor.name,
                        protocol_title(p, &v),
                        metric_name(c.false_negative),
                        metric_name(c.false_positive)
                    ),
                );
            }
        }
    }
    d.heading(2, "Error rates against threshold");
    d.paragraph(format!(
        "The false-positive rate (FMR or FPIR, log scale: each step is a factor of 10) and the false-negative rate (FNMR or FNIR) against the threshold, per {grouping} group. The vertical rule marks the operating threshold. Where curves separate, one threshold gives the groups different error rates."
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            if let Some(c) = largest(p) {
                let v = view(p);
                d.figure(
                    format!("rates-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::rates_against_threshold(c, grouping, &[op.threshold]),
                    format!(
                        "{} and {} of {} on {} by {grouping}, against threshold; operating threshold {}.",
                        metric_name(c.false_positive),
                        metric_name(c.false_negative),
                        vr.vendor.name,
                        protocol_title(p, &v),
                        op.threshold
                    ),
                );
            }
        }
    }
    d.heading(2, "Cross-group false match rates");
    d.paragraph(
        "Non-mated FMR between the probe's group (rows) and the reference's group (columns) at the operating threshold, on a log10 colour scale (darker: more false matches), as in NISTIR 8280. The diagonal is each group's own FMR; off-diagonal cells show how often faces of different groups are confused. Cells print the rate; '0 of N' means no false match in N pairs.",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in vr.protocols.iter().filter(|p| !p.cross_group_fmr.is_empty()) {
            d.figure(
                format!("cross-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                plots::cross_group_heatmap(&p.cross_group_fmr, grouping, op.threshold),
                format!(
                    "Cross-group FMR of {} on {} by {grouping} at the operating threshold {}.",
                    vr.vendor.name, p.protocol, op.threshold
                ),
            );
            // At a high operating threshold few non-mated pairs match anywhere; NIST reads
            // the heatmap where the whole population's FMR is resolvable: the smallest
            // calibrated FMR target met with at least 10 false matches.
            let resolvable = p
                .calibrations
                .iter()
                .filter(|c| c.metric == Metric::Fmr && c.threshold.is_some())
                .filter(|c| c.achieved.is_some_and(|a| a.numerator >= 10))
                .min_by(|a, b| a.target.total_cmp(&b.target));
            if let Some(c) = resolvable
                && let Some(t) = c.threshold
                && t != op.threshold
            {
                d.figure(
                    format!("cross-{}-{}-calibrated", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::cross_group_heatmap(&p.cross_group_fmr, grouping, t),
                    format!(
                        "Cross-group FMR of {} on {} by {grouping} at threshold {t:.4}, calibrated so that the whole test population's FMR is {:e} ({}).",
                        vr.vendor.name,
                        p.protocol,
                        c.target,
                        c.achieved.map(|a| rate_cell(a, None)).unwrap_or_default()
                    ),
                );
            }
        }
    }
    d.heading(2, "Score distributions by group");
    d.paragraph(format!(
        "Mated (solid) and non-mated (dashed) scores per {grouping} group, as the share of that group's scored trials in each score bin. The operating threshold (dashed rule, T) separates them: non-mated mass to its right is false positives, mated mass to its left is misses. A group whose non-mated scores sit further right will get more false alerts at one threshold."
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view(p);
            if let Some(h) = p.histograms.iter().find(|h| h.gallery_size == v.gallery) {
                d.figure(
                    format!("scores-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::score_histograms(h, grouping, &[op.threshold]),
                    format!(
                        "Scores of {} on {} by {grouping}: mated = {}; non-mated = {}.",
                        vr.vendor.name,
                        protocol_title(p, &v),
                        h.mated_score,
                        h.non_mated_score
                    ),
                );
            }
        }
    }
    d.heading(2, "Cumulative match characteristic (CMC)");
    d.paragraph(format!(
        "Identification without a threshold: the share of mated searches whose mate is at rank R or better, per {grouping} group. Higher is better; a gap between groups at rank 1 means one group's mates are ranked first less often."
    ));
    for vr in &results.vendors {
        for p in vr.protocols.iter().filter(|p| p.kind == ProtocolKind::Identification) {
            let v = view(p);
            d.figure(
                format!("cmc-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                plots::cmc_curve(&p.rates, grouping, v.gallery),
                format!("CMC of {} on {} by {grouping}.", vr.vendor.name, protocol_title(p, &v)),
            );
        }
    }
}

fn boot(b: &Option<harness::model::differences::BootstrapInterval>) -> String {
    match b {
        Some(harness::model::differences::BootstrapInterval { low: Some(l), high: Some(h), .. }) => {
            format!(" [{}–{}]", fmt_ratio(*l), fmt_ratio(*h))
        }
        _ => String::new(),
    }
}

fn differential_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold]) {
    d.heading(2, "Differential summary");
    d.paragraph(format!(
        "How far apart the groups are, at every threshold of the sweep: the max/min ratio of the false-positive and false-negative rates across the groups of a grouping (1 = equal), with subject-bootstrap 95% intervals in brackets; FDR (fairness discrepancy rate, 1 = fair), IR (inequity rate, 1 = fair) and GARBE (Gini aggregation rate, 0 = fair), with alpha = {} weighting the false-positive side.",
        results.config.summary_alpha
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view(p);
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
                let label = if s.operating_point == "grid" {
                    format!("{}", s.threshold)
                } else {
                    format!("{} ({})", s.threshold, s.operating_point)
                };
                t.rows.push(vec![
                    Cell::plain(s.grouping.clone()),
                    Cell::marked(label, if is_op { Mark::Pass } else { Mark::None }),
                    Cell::plain(format!(
                        "{}{}",
                        opt(m.false_positive.max_min_ratio, fmt_ratio),
                        boot(&s.bootstrap_max_min_false_positive)
                    )),
                    Cell::plain(format!(
                        "{}{}",
                        opt(m.false_negative.max_min_ratio, fmt_ratio),
                        boot(&s.bootstrap_max_min_false_negative)
                    )),
                    Cell::plain(opt(m.fdr, |x| format!("{x:.4}"))),
                    Cell::plain(opt(m.ir, fmt_ratio)),
                    Cell::plain(opt(m.garbe, |x| format!("{x:.4}"))),
                    Cell::plain(m.undefined_reason.clone().unwrap_or_default()),
                ]);
            }
            d.table(t);
        }
    }
}

fn tests_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold]) {
    d.heading(2, "Significance tests");
    d.paragraph(format!(
        "At the operating threshold, for every grouping: the omnibus test of equal rates across groups (Pearson chi-squared, or a seeded Monte Carlo exact test when an expected count is below 5), then each group against the reference group (Fisher's exact test, two-sided), with p-values Holm-adjusted across the groups and thresholds of the table. A group is called significantly different only when its adjusted p and the omnibus p are both below alpha = {}. The ratio interval is log-adjusted; the bootstrap interval resamples subjects.",
        results.config.alpha
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view(p);
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
                    let Some(c) = comparison(p, &v, m, op.threshold, &op.label_in(p), grouping) else { continue };
                    let omnibus = match &c.omnibus {
                        Some(o) => format!("{} p = {}", o.method, fmt_p(o.p_value)),
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
                                |r| {
                                    format!(
                                        "{} [{}–{}]",
                                        opt(r.estimate, fmt_ratio),
                                        fmt_ratio(r.low),
                                        fmt_ratio(r.high)
                                    )
                                },
                            )),
                            Cell::plain(boot(&g.bootstrap_ratio).trim().to_string()),
                            Cell::plain(g.p_value.map_or_else(|| "—".into(), fmt_p)),
                            Cell::plain(g.p_holm.map_or_else(|| "—".into(), fmt_p)),
                            Cell::marked(g.verdict.clone(), mark),
                        ]);
                    }
                }
            }
            d.table(t);
        }
    }
}

fn detectable_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold]) {
    d.heading(2, "Minimum detectable differences");
    d.paragraph(
        "With these sample sizes, the smallest ratio to the reference group that Fisher's test at alpha would have detected with 80% power. 'No significant difference' means little when this ratio is large: a real difference smaller than it could have gone unseen. Exact by enumeration where counts are small, the arcsine approximation above (the method column says which).",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view(p);
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
                    let Some(c) = comparison(p, &v, m, op.threshold, &op.label_in(p), grouping) else { continue };
                    for g in c.groups.iter().filter(|g| g.verdict != "reference") {
                        t.rows.push(vec![
                            Cell::plain(metric_name(m)),
                            Cell::plain(grouping.clone()),
                            Cell::plain(g.group.clone()),
                            Cell::plain(c.reference_group.clone().unwrap_or_default()),
                            Cell::plain(g.minimum_detectable_ratio.map_or_else(|| "—".into(), fmt_ratio)),
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

/// Expected false alerts per 10,000 faces, per group, for a crowd composed like the
/// test set's non-mated searches.
fn projection_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold], grouping: &str) {
    d.heading(2, "Deployment projection");
    d.paragraph(
        "Expected false alerts when 10,000 faces of people not on the watchlist pass the camera, at the operating threshold, for a crowd composed like the test set. Each group's expected count is its FPIR times its faces, with the interval carried through; the overall figure weights the groups by their share of the crowd. For another crowd composition or watchlist size, run `verity project`.",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = vr.protocols.iter().find(|p| p.kind != ProtocolKind::Verification) else { continue };
        let v = view(p);
        let measured: Vec<(String, harness::model::rate::Rate)> = groups_of(p, &v, grouping)
            .into_iter()
            .filter_map(|g| {
                rate_row(p, &v, Metric::Fpir, op.threshold, &op.label_in(p), grouping, &g).map(|r| (g, r.rate))
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
                        g.one_in.text.as_str().into(),
                    ]);
                }
                t.rows.push(vec![
                    "all".into(),
                    "100%".into(),
                    count(pr.faces).into(),
                    percent(pr.overall.fpir).into(),
                    format!("{:.1} [{:.1}–{:.1}]", pr.overall.expected_false_alerts, pr.overall.low, pr.overall.high)
                        .into(),
                    pr.overall.one_in.text.as_str().into(),
                ]);
                d.table(t);
            }
            Err(e) => d.paragraph(format!("No projection: {e}.")),
        }
    }
}

fn provenance_section(d: &mut Document, results: &Results) {
    let pr = &results.provenance;
    d.heading(2, "Provenance and how to reproduce");
    let mut items = vec![
        format!("verity version {}; results schema {}.", pr.verity_version, results.schema_version),
        format!(
            "Analysis: confidence {}, {} intervals, alpha {}, reference group {}, {} bootstrap replicates, {} Monte Carlo replicates, seed {}.",
            results.config.confidence,
            interval_name(results),
            results.config.alpha,
            results.config.reference_group.as_deref().unwrap_or("the lowest-rate group"),
            results.config.bootstrap_replicates,
            results.config.monte_carlo_replicates,
            results.config.seed
        ),
    ];
    for (name, seed) in &pr.seeds {
        items.push(format!("Seed {name}: {seed}."));
    }
    for v in &results.vendors {
        items.push(format!("Vendor {} {} fingerprint {}.", v.vendor.name, v.vendor.version, v.fingerprint));
    }
    d.push(Block::List(items));
    let mut t = Table { header: vec!["Input".into(), "SHA-256".into()], rows: vec![], note: None };
    for (k, h) in &pr.inputs {
        t.rows.push(vec![k.as_str().into(), h.as_str().into()]);
    }
    d.table(t);
    d.paragraph("The command that reproduces these results (byte-identical results.json):");
    d.push(Block::Code(pr.command.clone()));
}

/// File names the report writes into its folder.
pub mod files {
    pub const HTML: &str = "report.html";
    pub const MARKDOWN: &str = "report.md";
    pub const ANNEX_HTML: &str = "annex.html";
    pub const ANNEX_MARKDOWN: &str = "annex.md";
    /// SVG files of the figures, linked from the Markdown.
    pub const FIGURES: &str = "figures";
}

/// Write `report.html`, `report.md`, `annex.html`, `annex.md` and `figures/*.svg` into
/// `out_dir`, all or nothing (staged, then moved into place; `figures/` is replaced
/// whole). Returns the report document.
pub fn write_report(
    out_dir: &std::path::Path,
    results: &Results,
    options: &ReportOptions,
) -> Result<Document, crate::ReportError> {
    use std::path::Path;
    crate::finite::check(results)?;
    let doc = build_report(results, options)?;
    let grouping = figure_grouping(results, options.grouping.as_deref())?;
    let ops: Vec<OperatingThreshold> =
        results.vendors.iter().map(|v| operating_threshold(v, options.threshold)).collect::<Result<_, _>>()?;
    let annex = crate::annex::annex_document(results, &ops, &grouping);
    let staged = crate::atomic::StagedDir::create(out_dir)?;
    staged.dir(Path::new(files::FIGURES))?;
    let mut seen = std::collections::BTreeSet::new();
    for f in doc.figures() {
        if !seen.insert(f.name.clone()) {
            return Err(crate::ReportError::DuplicatePath(format!("{}/{}.svg", files::FIGURES, f.name)));
        }
        let path = staged.path(&Path::new(files::FIGURES).join(format!("{}.svg", f.name)))?;
        crate::atomic::write_bytes(&path, f.svg.as_bytes())?;
    }
    crate::atomic::write_bytes(&staged.path(Path::new(files::MARKDOWN))?, doc.to_markdown().as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::ANNEX_MARKDOWN))?, annex.to_markdown().as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::ANNEX_HTML))?, annex.to_html().as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::HTML))?, doc.to_html().as_bytes())?;
    let owner = storage::outputs::Owner::new("report", vec![crate::json::digest(results)?]);
    staged.commit(&[files::HTML], &owner)?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn operating_threshold_is_declared_unless_chosen_and_must_be_evaluated() {
        let r = fixture::results();
        let v = &r.vendors[0];
        let op = operating_threshold(v, None).unwrap();
        assert_eq!((op.threshold, op.operating_point.as_str()), (0.6, "declared:operational"));
        // 0.6 is also declared: the declared rows are used.
        assert_eq!(operating_threshold(v, Some(0.6)).unwrap().operating_point, "declared:operational");
        let e = operating_threshold(v, Some(0.61)).unwrap_err();
        assert!(matches!(e, ReportBuildError::NotEvaluated { threshold, .. } if threshold == 0.61));
        let mut none = v.clone();
        none.vendor.thresholds.clear();
        assert!(matches!(operating_threshold(&none, None), Err(ReportBuildError::NoThreshold { .. })));
    }

    #[test]
    fn figure_grouping_defaults_to_the_attribute_with_most_groups() {
        let r = fixture::results();
        assert_eq!(figure_grouping(&r, None).unwrap(), "sex");
        assert_eq!(figure_grouping(&r, Some("sex")).unwrap(), "sex");
        assert!(matches!(figure_grouping(&r, Some("age")), Err(ReportBuildError::UnknownGrouping(..))));
    }

    #[test]
    fn summary_cells_are_the_declared_rows_of_results() {
        let r = fixture::results();
        let doc = build_report(&r, &ReportOptions::default()).unwrap();
        let md = doc.to_markdown();
        let p = r.vendors[0].protocols.iter().find(|p| p.kind == ProtocolKind::Watchlist).unwrap();
        let v = view(p);
        for g in groups_of(p, &v, "sex") {
            let row = rate_row(p, &v, Metric::Fpir, 0.6, "declared:operational", "sex", &g).unwrap();
            let cell = rate_cell(row.rate, interval_of(row));
            assert!(md.contains(&format!("| {g} | ")), "{g}");
            assert!(md.contains(&cell), "{cell} not in the report");
        }
        // The HTML and the Markdown are the same document.
        let html = doc.to_html();
        for b in &doc.blocks {
            if let Block::Heading(_, t) = b {
                assert!(html.contains(&crate::document::escape(t)) && md.contains(t.as_str()), "{t}");
            }
        }
    }

    #[test]
    fn results_json_reads_back_to_the_same_value_and_bytes() {
        let r = fixture::results();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let back: Results = serde_json::from_str(&text).unwrap();
        // Wall-clock times are not written (so the same inputs give the same bytes).
        let mut expected = r.clone();
        expected.vendors[0].timing.template_seconds_total = 0.0;
        assert_eq!(back, expected);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
        // A rate whose value disagrees with its counts is refused.
        let bad = text.replacen("\"denominator\": 200,\n", "\"denominator\": 201,\n", 1);
        assert_ne!(bad, text);
        assert!(serde_json::from_str::<Results>(&bad).unwrap_err().to_string().contains("does not equal"));
    }
}
