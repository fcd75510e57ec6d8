//! The comparison as a [`Document`]: which runs and trial lists, per protocol the
//! vendors side by side at their declared thresholds and at the common operating point,
//! and the paired McNemar tests of every two vendors. Selects and formats only: every
//! number is a field of `results.json` or of the paired kernel's result.

use super::{Comparison, PairedSet, Point, VendorPoint, operating_point};
use crate::document::{Block, Cell, Document, Mark, Table};
use crate::format::{self, count, one_in, p_value, percent, rate_cell, threshold};
use harness::analysis::paired::{PairedComparison, PairedRow};
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::differences::GroupComparison;
use harness::model::differences::SummaryAtThreshold;
use harness::model::query::RateQuery;
use harness::model::results::VendorResults;
use harness::model::thresholds::OperatingPoint;

/// The rank a rate is reported at in the comparison: FNIR and TPIR at the list length L.
fn rank_for(p: &ProtocolAnalysis, metric: Metric) -> Option<u32> {
    if matches!(metric, Metric::Fnir | Metric::Tpir) { p.list_length() } else { None }
}

pub(super) fn rate_row<'a>(
    p: &'a ProtocolAnalysis,
    metric: Metric,
    point: &OperatingPoint,
    grouping: &str,
    group: &str,
    gallery_size: Option<u64>,
) -> Option<&'a RateRow> {
    let q = RateQuery::metric(metric).at(point).grouping(grouping).group(group).gallery_size(gallery_size);
    p.rate(&q.rank(rank_for(p, metric)))
}

/// The groups of `grouping` at one operating point, in `results.json` order.
fn groups_of<'a>(
    p: &'a ProtocolAnalysis,
    metric: Metric,
    point: &OperatingPoint,
    grouping: &str,
    n: Option<u64>,
) -> Vec<&'a RateRow> {
    let q = RateQuery::metric(metric).at(point).grouping(grouping).gallery_size(n).rank(rank_for(p, metric));
    p.rates_where(&q).collect()
}

/// The group with the highest defined rate (ties: the first), compared exactly.
fn worst<'a>(rows: &[&'a RateRow]) -> Option<&'a RateRow> {
    let mut best: Option<&RateRow> = None;
    for r in rows.iter().copied().filter(|r| r.rate.denominator > 0) {
        let higher = best.is_none_or(|b| {
            r.rate.numerator as u128 * b.rate.denominator as u128
                > b.rate.numerator as u128 * r.rate.denominator as u128
        });
        if higher {
            best = Some(r);
        }
    }
    best
}

fn summary<'a>(
    p: &'a ProtocolAnalysis,
    point: &OperatingPoint,
    grouping: &str,
    n: Option<u64>,
) -> Option<&'a SummaryAtThreshold> {
    let at = |s: &&SummaryAtThreshold| &s.operating_point == point && s.grouping == grouping && s.gallery_size == n;
    let l = p.list_length();
    p.summaries.iter().filter(at).find(|s| s.rank == l).or_else(|| p.summaries.iter().find(at))
}

pub(super) fn group_comparison<'a>(
    p: &'a ProtocolAnalysis,
    metric: Metric,
    point: &OperatingPoint,
    grouping: &str,
    n: Option<u64>,
) -> Option<&'a GroupComparison> {
    let rank = if metric == Metric::Fnir { p.list_length() } else { None };
    p.comparison(&RateQuery::metric(metric).at(point).grouping(grouping).gallery_size(n).rank(rank))
}

/// Groups the tests between groups found significantly higher than the reference.
fn significantly_worse(c: Option<&GroupComparison>) -> Vec<String> {
    c.map(|c| {
        c.groups
            .iter()
            .filter(|g| g.verdict.starts_with("significantly higher"))
            .map(|g| format!("{} ({})", g.group, g.verdict))
            .collect()
    })
    .unwrap_or_default()
}

/// Why the max/min ratio is undefined: the part of `undefined_reason` about it.
fn max_min_reason(reason: Option<&str>) -> String {
    let reason = reason.unwrap_or("");
    let part = reason.split("; ").find(|p| p.contains("max/min")).unwrap_or(reason);
    let part = part.strip_prefix("max/min ratio: ").unwrap_or(part).trim();
    if part.is_empty() { "undefined".to_string() } else { format!("undefined: {part}") }
}

fn interval_of(r: &RateRow) -> Option<(f64, f64)> {
    r.interval.map(|i| (i.low, i.high))
}

fn cell_rate(r: Option<&RateRow>) -> String {
    r.map_or_else(|| "—".to_string(), |r| rate_cell(r.rate, interval_of(r)))
}

/// 1 − FNMR with its interval, from the FNMR row (the complement of its counts and bounds).
fn complement_cell(r: Option<&RateRow>) -> String {
    r.map_or_else(
        || "—".to_string(),
        |r| rate_cell(r.rate.complement(), r.interval.map(|i| (1.0 - i.high, 1.0 - i.low))),
    )
}

fn template_rate(v: &VendorResults, metric: Metric) -> String {
    v.template_rates
        .iter()
        .find(|r| r.metric == metric && r.grouping == "all")
        .map_or_else(|| "—".to_string(), |r| rate_cell(r.rate, None))
}

fn gallery_text(n: Option<u64>) -> String {
    n.map_or_else(String::new, count)
}

fn metric_title(m: Metric) -> &'static str {
    match m {
        Metric::Fmr => "FMR",
        Metric::Fnmr => "FNMR",
        Metric::Fpir => "FPIR",
        Metric::Fnir => "FNIR",
        Metric::Tpir => "TPIR",
        _ => "rate",
    }
}

fn kind_text(kind: ProtocolKind) -> &'static str {
    match kind {
        ProtocolKind::Verification => "1:1 verification",
        ProtocolKind::Identification => "1:N identification",
        ProtocolKind::Watchlist => "watchlist (live-deployment style)",
    }
}

fn target_text(c: &Comparison, kind: ProtocolKind) -> String {
    let (metric, target) = c.targets.of(kind);
    format!("{} {target:e}", metric_title(metric))
}

/// The whole comparison.
pub fn document(c: &Comparison) -> Document {
    let names: Vec<&str> = c.vendors.iter().map(|v| v.label.as_str()).collect();
    let mut d = Document::new(format!("Comparison of vendors: {}", names.join(", ")));
    runs_section(&mut d, c);
    for protocol in &c.protocols {
        protocol_section(&mut d, c, protocol);
    }
    method_section(&mut d, c);
    d
}

fn runs_section(d: &mut Document, c: &Comparison) {
    d.heading(2, "Runs, vendors and trial lists");
    let b = &c.runs[0].results.benchmark;
    d.paragraph(format!(
        "Every run was made on benchmark {} {} (content hash {}), and every vendor received the same trial list of each protocol compared: the trial-list hashes below are the same in all {} run(s). The comparison refuses runs whose benchmark or trial lists differ.",
        b.name,
        b.version,
        b.content_hash,
        c.runs.len()
    ));
    let mut vendors = Table {
        header: ["vendor", "name", "version", "run", "fingerprint", "declared threshold"].map(String::from).to_vec(),
        rows: Vec::new(),
        note: None,
    };
    for cv in &c.vendors {
        let v = cv.results(&c.runs);
        let declared: Vec<String> =
            v.vendor.thresholds.iter().map(|t| format!("{} = {}", t.label, threshold(t.value))).collect();
        vendors.rows.push(vec![
            Cell::plain(cv.label.clone()),
            Cell::plain(v.vendor.name.clone()),
            Cell::plain(v.vendor.version.clone()),
            Cell::plain(c.runs[cv.run].name.clone()),
            Cell::plain(v.fingerprint.clone()),
            Cell::plain(if declared.is_empty() { "none".to_string() } else { declared.join("; ") }),
        ]);
    }
    d.table(vendors);
    let mut lists = Table {
        header: ["protocol", "kind", "mated", "non-mated", "gallery subjects", "trial-list hash"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
        note: Some("Verification counts pairs; 1:N and watchlist count searches.".to_string()),
    };
    for l in c.runs[0].results.trial_lists.iter().filter(|l| c.protocols.contains(&l.protocol)) {
        lists.rows.push(vec![
            Cell::plain(l.protocol.clone()),
            Cell::plain(kind_text(l.kind)),
            Cell::plain(count(l.mated)),
            Cell::plain(count(l.non_mated)),
            Cell::plain(l.gallery_subjects.map_or_else(String::new, count)),
            Cell::plain(l.hash.clone()),
        ]);
    }
    d.table(lists);
    if !c.per_group {
        d.push(Block::Callout(
            Mark::Fail,
            "Paired tests are overall only: the benchmark's subjects (and so their groups) were not available.".into(),
        ));
    }
    if !c.notes.is_empty() {
        d.push(Block::List(c.notes.clone()));
    }
}

fn protocol_section(d: &mut Document, c: &Comparison, protocol: &str) {
    let Some(kind) = c.runs[0].results.trial_lists.iter().find(|l| l.protocol == protocol).map(|l| l.kind) else {
        return;
    };
    d.heading(2, format!("Protocol {protocol} ({})", kind_text(kind)));
    for point in [Point::Declared, Point::Common] {
        let title = match point {
            Point::Declared => "At each vendor's declared threshold".to_string(),
            Point::Common => format!("At the common operating point: {}", target_text(c, kind)),
        };
        d.heading(3, title);
        if point == Point::Common {
            d.paragraph(format!(
                "Each vendor at its own threshold calibrated on the whole test population to {} (the smallest threshold whose measured rate is at most the target), so the vendors are compared at the same false-positive rate rather than at thresholds that mean different things on different score scales.",
                target_text(c, kind)
            ));
        }
        side_by_side(d, c, protocol, kind, point);
        by_grouping(d, c, protocol, kind, point);
    }
    d.heading(3, "Paired tests (McNemar, exact)");
    d.paragraph(
        "Both vendors of a pair ran the identical trials, so each trial gives a pair of outcomes. McNemar's test uses only the trials on which exactly one vendor erred: if both erred equally often, each such trial would be equally likely to be either vendor's. p-values are two-sided and exact; Holm's correction is across the groups of one grouping.",
    );
    for set in c.paired.iter().filter(|s| s.protocol == protocol) {
        paired_block(d, c, kind, set);
    }
}

/// Per vendor (and gallery size): the headline rates at the point.
fn side_by_side(d: &mut Document, c: &Comparison, protocol: &str, kind: ProtocolKind, point: Point) {
    let search = kind != ProtocolKind::Verification;
    let confidence = c.runs[0].results.config.confidence;
    let header: Vec<String> = if search {
        ["vendor", "gallery", "threshold", "TPIR", "FPIR", "FPIR as 1 in X", "FTE", "FTA"].map(String::from).to_vec()
    } else {
        ["vendor", "threshold", "1 − FNMR", "FMR", "FMR as 1 in X", "FTE", "FTA"].map(String::from).to_vec()
    };
    let mut t = Table { header, rows: Vec::new(), note: None };
    let mut missing = Vec::new();
    let mut rank = None;
    for (i, cv) in c.vendors.iter().enumerate() {
        let v = cv.results(&c.runs);
        let Some(p) = c.protocol_of(i, protocol) else { continue };
        rank = rank.or(p.list_length());
        for n in p.gallery_sizes() {
            let op = match operating_point(v, p, point, &c.targets, n) {
                Ok(op) => op,
                Err(e) => {
                    missing.push(format!(
                        "{}{}: {e}",
                        cv.label,
                        n.map(|n| format!(", gallery of {n}")).unwrap_or_default()
                    ));
                    continue;
                }
            };
            let mut row = vec![Cell::plain(cv.label.clone())];
            if search {
                row.push(Cell::plain(gallery_text(n)));
            }
            row.push(Cell::plain(threshold(op.threshold)));
            let (fp, fnr) = if search {
                let fp = rate_row(p, Metric::Fpir, &op.point, "all", "all", n);
                row.push(Cell::plain(cell_rate(rate_row(p, Metric::Tpir, &op.point, "all", "all", n))));
                (fp, None)
            } else {
                let fnmr = rate_row(p, Metric::Fnmr, &op.point, "all", "all", n);
                (rate_row(p, Metric::Fmr, &op.point, "all", "all", n), Some(fnmr))
            };
            if let Some(fnmr) = fnr {
                row.push(Cell::plain(complement_cell(fnmr)));
            }
            row.push(Cell::plain(cell_rate(fp)));
            row.push(Cell::plain(fp.map_or_else(|| "—".to_string(), |r| one_in(r.rate))));
            row.push(Cell::plain(template_rate(v, Metric::Fte)));
            row.push(Cell::plain(template_rate(v, Metric::Fta)));
            t.rows.push(row);
        }
    }
    let interval = c.runs[0].results.config.interval_method.name();
    t.note = Some(format!(
        "Rates with counts and two-sided {} {interval} intervals, from results.json.{} FTE and FTA are over all of a vendor's templates.",
        format::confidence(confidence),
        if search {
            format!(" TPIR at rank {} (the candidate list length).", rank.unwrap_or(0))
        } else {
            String::new()
        }
    ));
    d.table(t);
    if !missing.is_empty() {
        d.push(Block::List(missing.into_iter().map(|m| format!("Not available: {m}")).collect()));
    }
}

/// Per vendor and grouping: the worst group, the spread across groups, and the verdicts
/// of the tests between groups.
fn by_grouping(d: &mut Document, c: &Comparison, protocol: &str, kind: ProtocolKind, point: Point) {
    let search = kind != ProtocolKind::Verification;
    let (fp_metric, fn_metric) = if search { (Metric::Fpir, Metric::Fnir) } else { (Metric::Fmr, Metric::Fnmr) };
    let (fp, fnn) = (metric_title(fp_metric), metric_title(fn_metric));
    let confidence = c.runs[0].results.config.confidence;
    let mut header: Vec<String> = vec!["vendor".into()];
    if search {
        header.push("gallery".into());
    }
    header.extend([
        "grouping".to_string(),
        format!("worst group's {fp}"),
        format!("its {} upper bound", format::confidence(confidence)),
        format!("max/min {fp} (bootstrap interval)"),
        format!("worst group's {fnn}"),
        "significantly worse groups".to_string(),
    ]);
    let mut t = Table { header, rows: Vec::new(), note: None };
    for (i, cv) in c.vendors.iter().enumerate() {
        let v = cv.results(&c.runs);
        let Some(p) = c.protocol_of(i, protocol) else { continue };
        let config = &c.runs[cv.run].results.config;
        for n in p.gallery_sizes() {
            let Ok(op) = operating_point(v, p, point, &c.targets, n) else { continue };
            for grouping in config.groupings.iter().map(|g| g.name()) {
                t.rows.push(grouping_row(p, cv.label.as_str(), &op, &grouping, n, search, (fp_metric, fn_metric)));
            }
        }
    }
    let pairs =
        if search { "" } else { " A group's FMR counts the non-mated pairs whose two subjects are both in the group." };
    t.note = Some(format!(
        "Worst group: the highest rate of the grouping's groups. Upper bound: one-sided exact (Clopper–Pearson) at {}. Max/min: the highest group's rate over the lowest's, with its subject-bootstrap percentile interval where computed. Significantly worse: a group whose rate the tests between groups (Fisher's exact test against the reference group, Holm-corrected, with the omnibus test also significant) found higher, from results.json.{pairs}",
        format::confidence(confidence)
    ));
    d.table(t);
}

fn grouping_row(
    p: &ProtocolAnalysis,
    vendor: &str,
    op: &VendorPoint,
    grouping: &str,
    n: Option<u64>,
    search: bool,
    (fp_metric, fn_metric): (Metric, Metric),
) -> Vec<Cell> {
    let mut row = vec![Cell::plain(vendor)];
    if search {
        row.push(Cell::plain(gallery_text(n)));
    }
    row.push(Cell::plain(grouping));
    let fp_rows = groups_of(p, fp_metric, &op.point, grouping, n);
    let worst_fp = worst(&fp_rows);
    row.push(Cell::plain(worst_fp.map_or_else(|| "—".into(), |r| format!("{}: {}", r.group, rate_cell(r.rate, None)))));
    row.push(Cell::plain(worst_fp.and_then(|r| r.upper_bound).map_or_else(|| "—".into(), percent)));
    let ratio = summary(p, &op.point, grouping, n).map(|s| {
        let fp = &s.summary.false_positive;
        match fp.max_min_ratio {
            Some(x) => {
                let boot = s
                    .bootstrap_max_min_false_positive
                    .as_ref()
                    .and_then(|b| Some((b.low?, b.high?)))
                    .map(|(l, h)| format!(" ({}–{})", crate::format::ratio(l), crate::format::ratio(h)))
                    .unwrap_or_default();
                format!("{}{boot}", crate::format::ratio(x))
            }
            None => max_min_reason(fp.undefined_reason.as_deref()),
        }
    });
    row.push(Cell::plain(ratio.unwrap_or_else(|| "—".into())));
    let worst_fn = worst(&groups_of(p, fn_metric, &op.point, grouping, n));
    row.push(Cell::plain(worst_fn.map_or_else(|| "—".into(), |r| format!("{}: {}", r.group, rate_cell(r.rate, None)))));
    let mut worse = Vec::new();
    for m in [fp_metric, fn_metric] {
        for g in significantly_worse(group_comparison(p, m, &op.point, grouping, n)) {
            worse.push(format!("{}: {g}", metric_title(m)));
        }
    }
    row.push(if worse.is_empty() { Cell::plain("none") } else { Cell::marked(worse.join("; "), Mark::Significant) });
    row
}

/// What an error is, for a sentence: the verb phrase and the trials counted.
fn error_words(metric: Metric, kind: ProtocolKind) -> (&'static str, &'static str) {
    match (metric, kind) {
        (Metric::Fnir, ProtocolKind::Watchlist) => ("misses", "passes of watchlist subjects"),
        (Metric::Fnir, _) => ("misses", "mated searches"),
        (Metric::Fpir, ProtocolKind::Watchlist) => {
            ("raises a false alert on", "faces seen from people not on the watchlist")
        }
        (Metric::Fpir, _) => ("raises a false alert on", "non-mated searches"),
        (Metric::Fnmr, _) => ("falsely rejects", "mated pairs"),
        (Metric::Fmr, _) => ("falsely accepts", "non-mated pairs"),
        _ => ("errs on", "trials"),
    }
}

/// "At the common operating point (FPIR 1e-3), vendor-b misses 412 more of 10,000 mated
/// searches than vendor-a (exact McNemar p = 2.0e-12)."
pub(super) fn sentence(
    c: &Comparison,
    kind: ProtocolKind,
    set: &PairedSet,
    comp: &PairedComparison,
    row: &PairedRow,
) -> String {
    let (a, b) = (&c.vendors[set.a].label, &c.vendors[set.b].label);
    let gallery = comp.gallery_size.map(|n| format!(", gallery of {}", count(n))).unwrap_or_default();
    let at = match set.point {
        Point::Common => format!("At the common operating point ({}{gallery})", target_text(c, kind)),
        Point::Declared => format!(
            "At their declared thresholds ({a} {}, {b} {}{gallery})",
            threshold(comp.threshold_a),
            threshold(comp.threshold_b)
        ),
    };
    let (verb, trials) = error_words(row.metric, kind);
    let n = count(row.table.trials());
    // "p = 0.045", "p = 2.0e-12", or "p < 1e-300" where the value underflows.
    let p = if row.p_value > 0.0 { format!("= {}", p_value(row.p_value)) } else { p_value(row.p_value) };
    let (only_a, only_b) = (row.table.only_a, row.table.only_b);
    if only_a == only_b {
        return format!(
            "{at}, {a} and {b} err on the same number of the {n} {trials} ({} each; {} on which only one of them erred; exact McNemar p {p}).",
            count(row.table.errors_a()),
            count(only_a + only_b)
        );
    }
    let (more, fewer, diff) = if only_b > only_a { (b, a, only_b - only_a) } else { (a, b, only_a - only_b) };
    format!("{at}, {more} {verb} {} more of {n} {trials} than {fewer} (exact McNemar p {p}).", count(diff))
}

fn paired_block(d: &mut Document, c: &Comparison, kind: ProtocolKind, set: &PairedSet) {
    let (a, b) = (&c.vendors[set.a].label, &c.vendors[set.b].label);
    let at = match set.point {
        Point::Declared => "declared thresholds".to_string(),
        Point::Common => format!("common operating point, {}", target_text(c, kind)),
    };
    d.heading(4, format!("{a} against {b}, at the {at}"));
    if set.comparisons.is_empty() {
        let why = if set.missing.is_empty() { "no paired test".to_string() } else { set.missing.join("; ") };
        d.paragraph(format!("Not tested: {why}."));
        return;
    }
    let alpha = c.alpha();
    let mut sentences = Vec::new();
    for comp in &set.comparisons {
        for row in comp.rows.iter().filter(|r| r.grouping == "all") {
            let mark = if row.p_holm < alpha { Mark::Significant } else { Mark::None };
            sentences.push((mark, sentence(c, kind, set, comp, row)));
        }
    }
    for (mark, s) in sentences {
        d.push(Block::Callout(mark, s));
    }
    if !set.missing.is_empty() {
        d.push(Block::List(set.missing.iter().map(|m| format!("Not tested: {m}")).collect()));
    }
    let search = kind != ProtocolKind::Verification;
    let mut header: Vec<String> = vec!["metric".into()];
    if search {
        header.push("gallery".into());
    }
    header.extend([
        "grouping".to_string(),
        "group".to_string(),
        a.to_string(),
        b.to_string(),
        format!("only {a} erred"),
        format!("only {b} erred"),
        "McNemar p".to_string(),
        "Holm p".to_string(),
    ]);
    let mut t = Table { header, rows: Vec::new(), note: None };
    for comp in &set.comparisons {
        for row in &comp.rows {
            let mut cells = vec![Cell::plain(metric_title(row.metric))];
            if search {
                cells.push(Cell::plain(gallery_text(comp.gallery_size)));
            }
            let significant = row.p_holm < alpha;
            cells.extend([
                Cell::plain(row.grouping.clone()),
                Cell::plain(row.group.clone()),
                Cell::plain(rate_cell(row.rate_a, None)),
                Cell::plain(rate_cell(row.rate_b, None)),
                Cell::plain(count(row.table.only_a)),
                Cell::plain(count(row.table.only_b)),
                Cell::plain(p_value(row.p_value)),
                Cell::marked(p_value(row.p_holm), if significant { Mark::Significant } else { Mark::None }),
            ]);
            t.rows.push(cells);
        }
    }
    t.note = Some(format!(
        "Thresholds: {a} {}, {b} {}{}. Rates are each vendor's errors on the trials of the group, with counts{}. ▲: Holm-adjusted p below {alpha}.",
        threshold_list(set, true),
        threshold_list(set, false),
        if search { format!("; FNIR at rank {}", set.comparisons[0].rank.unwrap_or(0)) } else { String::new() },
        if search { "" } else { " (a group's FMR: the non-mated pairs whose two subjects are both in the group)" }
    ));
    d.table(t);
}

/// The thresholds of one vendor of a set: one, or one per gallery size.
fn threshold_list(set: &PairedSet, first: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    for comp in &set.comparisons {
        let t = threshold(if first { comp.threshold_a } else { comp.threshold_b });
        match comp.gallery_size {
            Some(n) if set.comparisons.len() > 1 => out.push(format!("{t} (gallery of {})", count(n))),
            _ => out.push(t),
        }
    }
    out.join(", ")
}

fn method_section(d: &mut Document, c: &Comparison) {
    d.heading(2, "How these numbers were obtained");
    let config = &c.runs[0].results.config;
    d.push(Block::List(vec![
        "Every rate, interval, upper bound, ratio and verdict between groups is copied from each run's results.json; nothing is recomputed for this page.".to_string(),
        "The paired tables are counted from the raw trial outputs in each run's raw/ folder, at exactly the thresholds above; each vendor's rate in them was checked to equal its rate in results.json before this page was written.".to_string(),
        format!(
            "The common operating point is each vendor's own threshold calibrated on the whole test population to FPIR {:e} (1:N, watchlist) or FMR {:e} (1:1): the smallest threshold whose measured rate is at most the target. It sets every vendor to the same false-positive rate, so their true-positive rates can be compared fairly.",
            c.targets.fpir, c.targets.fmr
        ),
        format!(
            "McNemar's exact test (McNemar 1947): two-sided p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2), b and c the trials on which only one vendor erred. Holm's correction across the groups of each grouping; significance level {}.",
            config.alpha
        ),
        format!("Intervals: {} at {}.", config.interval_method.name(), format::confidence(config.confidence)),
        "Machine-readable: compare.csv (every rate shown, one row per vendor, protocol, operating point, grouping, group and metric) and compare_paired.csv (every paired table).".to_string(),
    ]));
}
