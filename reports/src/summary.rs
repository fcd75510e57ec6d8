//! `summary.md`: a short Markdown summary for people, at one headline threshold per
//! vendor. It selects and formats numbers the engine computed; it computes none
//! except the "1 in X" reading of FPIR (X = 1 / FPIR, docs/metrics.md).
//!
//! The headline threshold is the vendor's first declared threshold, else the middle of
//! the user's grid, else the middle of the thresholds the protocol was evaluated at.
//! One global threshold applies to every group (NIST practice).

use crate::format::{count, one_in, rate_cell};
use crate::{ReportError, atomic};
use harness::model::analysis::{Metric, ProtocolAnalysis};
use harness::model::benchmark::ProtocolKind;
use harness::model::query::RateQuery;
use harness::model::rate::Rate;
use harness::model::results::{Results, VendorResults};
use std::fmt::Write;
use std::path::Path;

/// The Markdown summary of `results`.
pub fn markdown(results: &Results) -> String {
    let mut md = String::new();
    let b = &results.benchmark;
    let _ = writeln!(md, "# verity results\n");
    let _ = writeln!(
        md,
        "Benchmark **{}** version {} (licence {}), content hash `{}`: {} subjects, {} samples.\n",
        b.name,
        b.version,
        b.licence,
        b.content_hash,
        count(b.subjects),
        count(b.samples)
    );
    if b.label_provenance.is_empty() {
        let _ = writeln!(md, "Demographic labels: provenance not recorded.\n");
    } else {
        let labels: Vec<String> = b.label_provenance.iter().map(|(a, p)| format!("{a}: {p}")).collect();
        let _ = writeln!(md, "Demographic labels: {}.\n", labels.join("; "));
    }
    let _ = writeln!(md, "{}\n", interval_statement(results));

    let _ = writeln!(md, "## Trial lists\n");
    let _ = writeln!(md, "| Protocol | Kind | Mated | Non-mated | Gallery subjects | Hash |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|---|");
    for t in &results.trial_lists {
        let gallery = t.gallery_subjects.map(count).unwrap_or_else(|| "—".to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | `{}` |",
            cell_text(&t.protocol),
            t.kind.name(),
            count(t.mated),
            count(t.non_mated),
            gallery,
            t.hash
        );
    }
    md.push('\n');

    for vendor in &results.vendors {
        vendor_section(&mut md, results, vendor);
    }

    let p = &results.provenance;
    let _ = writeln!(md, "## Provenance\n");
    let _ = writeln!(md, "verity {}. To reproduce:\n", p.verity_version);
    let _ = writeln!(md, "```\n{}\n```", p.command);
    md
}

/// Write `summary.md` atomically.
pub fn write_summary(path: &Path, results: &Results) -> Result<(), ReportError> {
    Ok(atomic::write_bytes(path, markdown(results).as_bytes())?)
}

/// The interval method and confidence, said once.
fn interval_statement(results: &Results) -> String {
    let interval = results
        .vendors
        .iter()
        .flat_map(|v| v.template_rates.iter().chain(v.protocols.iter().flat_map(|p| &p.rates)))
        .find_map(|r| r.interval);
    let (method, confidence) = match interval {
        Some(i) => (i.method.name(), i.confidence),
        None => ("wilson", results.config.confidence),
    };
    let method = if method == "wilson" { "Wilson score" } else { method };
    format!(
        "Rates are shown with numerator/denominator and a two-sided {} {} interval. \
         One threshold applies to every group.",
        crate::format::trim(confidence * 100.0, 6) + "%",
        method
    )
}

/// The headline threshold of a vendor on a protocol, and why it was chosen.
fn headline(results: &Results, vendor: &VendorResults, protocol: &ProtocolAnalysis) -> Option<(f64, String)> {
    if let Some(d) = vendor.vendor.thresholds.first() {
        return Some((d.value, format!("the vendor's declared threshold `{}`", d.label)));
    }
    let grid = &results.config.thresholds;
    if !grid.is_empty() {
        return Some((grid[(grid.len() - 1) / 2], "the middle of the threshold grid".to_string()));
    }
    let used = &protocol.thresholds;
    (!used.is_empty())
        .then(|| (used[(used.len() - 1) / 2].threshold, "the middle of the evaluated thresholds".to_string()))
}

fn vendor_section(md: &mut String, results: &Results, vendor: &VendorResults) {
    let v = &vendor.vendor;
    let _ = writeln!(md, "## {} {}\n", v.name, v.version);
    let _ = writeln!(
        md,
        "Fingerprint `{}`. Scores: {}, from {} to {}.\n",
        vendor.fingerprint, v.score_meaning, v.score_min, v.score_max
    );
    if !vendor.template_rates.is_empty() {
        let _ = writeln!(md, "Templates that could not be made:\n");
        let _ = writeln!(md, "| Rate | Grouping | Group | Value |");
        let _ = writeln!(md, "|---|---|---|---|");
        for r in &vendor.template_rates {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                r.metric.name().to_uppercase(),
                cell_text(&r.grouping),
                cell_text(&r.group),
                rate_cell(r.rate, r.interval.map(|i| (i.low, i.high)))
            );
        }
        md.push('\n');
    }
    for protocol in &vendor.protocols {
        let _ = writeln!(md, "### {} ({})\n", protocol.protocol, protocol.kind.name());
        let Some((threshold, why)) = headline(results, vendor, protocol) else {
            let _ = writeln!(md, "No threshold was evaluated.\n");
            continue;
        };
        match protocol.kind {
            ProtocolKind::Verification => verification_table(md, protocol, threshold, &why),
            ProtocolKind::Identification | ProtocolKind::Watchlist => search_table(md, protocol, threshold, &why),
        }
    }
}

/// A rate of one group, ready to print.
struct GroupRate {
    grouping: String,
    group: String,
    rate: Rate,
    interval: Option<(f64, f64)>,
}

/// The first row per group of `metric` at `threshold` (and gallery size and rank, when
/// given), in the engine's order.
fn group_rates(
    p: &ProtocolAnalysis,
    metric: Metric,
    threshold: f64,
    gallery: Option<u64>,
    rank: Option<u32>,
) -> Vec<GroupRate> {
    let mut out: Vec<GroupRate> = Vec::new();
    let mut q = RateQuery::metric(metric).threshold(threshold);
    if gallery.is_some() {
        q = q.gallery_size(gallery);
    }
    if rank.is_some() {
        q = q.rank(rank);
    }
    for r in p.rates_where(&q) {
        if !out.iter().any(|g| g.grouping == r.grouping && g.group == r.group) {
            let interval = r.interval.map(|i| (i.low, i.high));
            out.push(GroupRate { grouping: r.grouping.clone(), group: r.group.clone(), rate: r.rate, interval });
        }
    }
    out
}

/// Groups in the order they first appear in either list.
fn groups_of(lists: &[&[GroupRate]]) -> Vec<(String, String)> {
    let mut groups: Vec<(String, String)> = Vec::new();
    for g in lists.iter().flat_map(|l| l.iter()) {
        let key = (g.grouping.clone(), g.group.clone());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    groups
}

fn find<'a>(list: &'a [GroupRate], key: &(String, String)) -> Option<&'a GroupRate> {
    list.iter().find(|g| g.grouping == key.0 && g.group == key.1)
}

fn threshold_line(md: &mut String, threshold: f64, why: &str, extra: &str) {
    let _ = writeln!(md, "At threshold {threshold} ({why}){extra}.\n");
}

fn search_table(md: &mut String, p: &ProtocolAnalysis, threshold: f64, why: &str) {
    let at_t = |m: Metric| p.rates.iter().filter(move |r| RateQuery::metric(m).threshold(threshold).matches(r));
    // The whole gallery (the largest size evaluated) is the headline.
    let gallery =
        at_t(Metric::Tpir).chain(at_t(Metric::Fnir)).chain(at_t(Metric::Fpir)).filter_map(|r| r.gallery_size).max();
    let tpir_rank = |m: Metric| at_t(m).filter(|r| r.gallery_size == gallery).filter_map(|r| r.rank).min();
    let (tpir, rank) = match tpir_rank(Metric::Tpir) {
        Some(rank) => (group_rates(p, Metric::Tpir, threshold, gallery, Some(rank)), Some(rank)),
        None => {
            // Only FNIR was computed: TPIR = 1 - FNIR over the same searches.
            let rank = tpir_rank(Metric::Fnir);
            let mut fnir = group_rates(p, Metric::Fnir, threshold, gallery, rank);
            for g in &mut fnir {
                g.rate = g.rate.complement();
                g.interval = g.interval.map(|(low, high)| (1.0 - high, 1.0 - low));
            }
            (fnir, rank)
        }
    };
    let fpir = group_rates(p, Metric::Fpir, threshold, gallery, None);
    let mut extra = String::new();
    if let Some(g) = gallery {
        let _ = write!(extra, ", gallery of {} subjects", count(g));
    }
    if let Some(r) = rank {
        let _ = write!(extra, ", TPIR at rank {r}");
    }
    threshold_line(md, threshold, why, &extra);
    let groups = groups_of(&[&tpir, &fpir]);
    if groups.is_empty() {
        let _ = writeln!(md, "No rates were computed at this threshold.\n");
        return;
    }
    let _ = writeln!(md, "| Grouping | Group | TPIR | FPIR | FPIR as 1 in X |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for key in &groups {
        let cell =
            |g: Option<&GroupRate>| g.map_or_else(|| "not computed".to_string(), |g| rate_cell(g.rate, g.interval));
        let one_in_x = find(&fpir, key).map_or_else(|| "not computed".to_string(), |g| one_in(g.rate));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell_text(&key.0),
            cell_text(&key.1),
            cell(find(&tpir, key)),
            cell(find(&fpir, key)),
            one_in_x
        );
    }
    md.push('\n');
}

fn verification_table(md: &mut String, p: &ProtocolAnalysis, threshold: f64, why: &str) {
    let fmr = group_rates(p, Metric::Fmr, threshold, None, None);
    let fnmr = group_rates(p, Metric::Fnmr, threshold, None, None);
    threshold_line(md, threshold, why, "");
    let groups = groups_of(&[&fmr, &fnmr]);
    if groups.is_empty() {
        let _ = writeln!(md, "No rates were computed at this threshold.\n");
        return;
    }
    let _ = writeln!(md, "| Grouping | Group | FMR | FNMR |");
    let _ = writeln!(md, "|---|---|---|---|");
    for key in &groups {
        let cell =
            |g: Option<&GroupRate>| g.map_or_else(|| "not computed".to_string(), |g| rate_cell(g.rate, g.interval));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            cell_text(&key.0),
            cell_text(&key.1),
            cell(find(&fmr, key)),
            cell(find(&fnmr, key))
        );
    }
    md.push('\n');
}

/// Text safe inside a Markdown table cell.
fn cell_text(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
