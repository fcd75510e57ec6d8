//! The DPIA / PSED annex: plain-language statements generated from the numbers, with
//! their uncertainty and their caveats, for a data protection officer to put into a
//! Data Protection Impact Assessment and an equality assessment. Each statement reads
//! one or more rows the engine computed (rates with counts and intervals, the tests
//! between groups, the minimum detectable ratios); nothing here is estimated anew.

use super::view::*;
use crate::document::{Block, Document, Mark};
use crate::format::{count, one_in_value, p_value, percent, ratio, trim};
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::results::{Results, VendorResults};
use harness::model::thresholds::OperatingPoint;

/// "95% CI 1 in A to 1 in B" from an interval on a rate (the high end gives the smaller X).
pub(super) fn one_in_interval(r: &RateRow, confidence: f64) -> String {
    let Some(i) = r.interval else { return String::new() };
    let high = one_in_value(i.high).unwrap_or_else(|| "none".into());
    let low = one_in_value(i.low).unwrap_or_else(|| "none".into());
    format!(" ({}% CI {high} to {low})", trim(confidence * 100.0, 4))
}

pub(super) fn interval_pct(r: &RateRow, confidence: f64) -> String {
    r.interval
        .map(|i| format!(" ({}% CI {} to {})", trim(confidence * 100.0, 4), percent(i.low), percent(i.high)))
        .unwrap_or_default()
}

/// The first letter upper-case, for a group label that starts a sentence.
pub(super) fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// The false-positive sentence for everyone (`group` = `None`) or one group.
pub(super) fn false_positive_sentence(
    p: &ProtocolAnalysis,
    v: &View,
    r: &RateRow,
    group: Option<&str>,
    threshold: f64,
    c: f64,
) -> String {
    let trials = count(r.rate.denominator);
    let upper = || r.upper_bound.and_then(one_in_value).unwrap_or_else(|| "undetermined".into());
    let conf = trim(c * 100.0, 4);
    match (p.kind, group) {
        (ProtocolKind::Verification, None) => match r.rate.value() {
            Some(x) if x > 0.0 => format!(
                "At threshold {threshold}, about {} comparisons of two different people would be wrongly declared a match{} ({} in {trials} non-mated comparisons).",
                one_in_value(x).unwrap_or_default(),
                one_in_interval(r, c),
                plural(r.rate.numerator, "false match", "false matches")
            ),
            Some(_) => format!(
                "At threshold {threshold}, no comparison of two different people was wrongly declared a match in {trials}; the rate is at most {} (one-sided {conf}% upper bound).",
                upper()
            ),
            None => "No non-mated comparisons were tested.".into(),
        },
        (ProtocolKind::Verification, Some(g)) => match r.rate.value() {
            Some(x) if x > 0.0 => format!(
                "{} faces: about {} comparisons of two different {g} people would be wrongly declared a match{} ({} in {trials}).",
                cap(g),
                one_in_value(x).unwrap_or_default(),
                one_in_interval(r, c),
                plural(r.rate.numerator, "false match", "false matches")
            ),
            Some(_) => format!(
                "{} faces: no false match in {trials} comparisons; at most {} (one-sided {conf}% upper bound).",
                cap(g),
                upper()
            ),
            None => format!("{} faces: no non-mated comparisons were tested.", cap(g)),
        },
        (_, None) => {
            let size = v.gallery.map(|n| format!("{}-person", count(n))).unwrap_or_default();
            match r.rate.value() {
                Some(x) if x > 0.0 => format!(
                    "At threshold {threshold}, about {} faces of people not on a {size} watchlist would raise a false alert{}: {} in {trials} searches, about {} per 10,000 such faces.",
                    one_in_value(x).unwrap_or_default(),
                    one_in_interval(r, c),
                    plural(r.rate.numerator, "false alert", "false alerts"),
                    ratio(x * 10_000.0)
                ),
                Some(_) => format!(
                    "At threshold {threshold}, none of {trials} faces of people not on a {size} watchlist raised a false alert; the rate is at most {} (one-sided {conf}% upper bound).",
                    upper()
                ),
                None => "No faces of people not on the watchlist were tested.".into(),
            }
        }
        (_, Some(g)) => match r.rate.value() {
            Some(x) if x > 0.0 => format!(
                "{} faces: about {} would raise a false alert{}: {} in {trials} searches.",
                cap(g),
                one_in_value(x).unwrap_or_default(),
                one_in_interval(r, c),
                plural(r.rate.numerator, "false alert", "false alerts")
            ),
            Some(_) => format!(
                "{} faces: no false alert in {trials} searches; at most {} (one-sided {conf}% upper bound).",
                cap(g),
                upper()
            ),
            None => format!("{} faces: none were tested.", cap(g)),
        },
    }
}

/// The comparison of one group with the reference, in words, with the detectable ratio.
pub(super) fn difference_sentence(
    p: &ProtocolAnalysis,
    v: &View,
    op: &OperatingThreshold,
    grouping: &str,
    group: &str,
    m: Metric,
) -> Option<String> {
    let c = comparison(p, v, m, op.threshold, &op.point_in(p), grouping)?;
    let g = c.groups.iter().find(|g| g.group == group)?;
    let reference = c.reference_group.clone().unwrap_or_default();
    if g.verdict == "reference" {
        return Some(format!(
            "{} faces have the lowest {} and are the reference the other {grouping} groups are compared with.",
            cap(group),
            metric_name(m)
        ));
    }
    let mut s = String::new();
    if let Some(r) = g.ratio
        && let Some(estimate) = r.estimate
    {
        s.push_str(&format!(
            "Compared with {reference} faces, the {} is {} times as high (95% CI {} to {}); ",
            metric_name(m),
            ratio(estimate),
            ratio(r.low),
            ratio(r.high)
        ));
    }
    let p_text = g.p_holm.map(|p| format!(" (Holm-adjusted p = {})", p_value(p))).unwrap_or_default();
    if g.verdict.starts_with("significantly") {
        s.push_str(&format!("this difference is statistically significant{p_text}."));
    } else {
        s.push_str(&format!("this difference is not statistically significant{p_text}"));
        match g.minimum_detectable_ratio {
            Some(mdr) => s.push_str(&format!(
                "; with these sample sizes a difference smaller than {}x could not have been detected reliably.",
                ratio(mdr)
            )),
            None => s.push('.'),
        }
    }
    Some(s)
}

pub(super) fn vendor_statements(
    results: &Results,
    vr: &VendorResults,
    op: &OperatingThreshold,
    grouping: &str,
) -> Vec<String> {
    let c = results.config.confidence;
    let Some(p) = headline_protocol(vr) else { return vec![] };
    let v = view_of(p);
    let mut out = Vec::new();
    let row = |m: Metric, gg: &str, g: &str| rate_row(p, &v, m, op.threshold, &op.point_in(p), gg, g);
    if let Some(r) = row(v.fp, "all", "all") {
        out.push(false_positive_sentence(p, &v, r, None, op.threshold, c));
    }
    if let Some(r) = row(v.shown_fn, "all", "all") {
        let s = match p.kind {
            ProtocolKind::Verification => format!(
                "Of two images of the same person, {} would fail to match{} ({} of {} mated comparisons).",
                r.rate.value().map(percent).unwrap_or_default(),
                interval_pct(r, c),
                count(r.rate.numerator),
                count(r.rate.denominator)
            ),
            _ => format!(
                "Of people on the watchlist whose face is searched, about {} would be correctly alerted{} ({} of {} searches); the rest would be missed.",
                r.rate.value().map(percent).unwrap_or_default(),
                interval_pct(r, c),
                count(r.rate.numerator),
                count(r.rate.denominator)
            ),
        };
        out.push(s);
    }
    for g in groups_of(p, &v, grouping) {
        let Some(r) = row(v.fp, grouping, &g) else { continue };
        let mut s = false_positive_sentence(p, &v, r, Some(&g), op.threshold, c);
        if let Some(diff) = difference_sentence(p, &v, op, grouping, &g, v.fp) {
            s.push(' ');
            s.push_str(&diff);
        }
        out.push(s);
        if let Some(cmp) = comparison(p, &v, v.tested_fn, op.threshold, &op.point_in(p), grouping)
            && cmp.groups.iter().any(|x| x.group == g && x.verdict.starts_with("significantly"))
            && let Some(diff) = difference_sentence(p, &v, op, grouping, &g, v.tested_fn)
        {
            out.push(format!("{} faces, {}: {diff}", cap(&g), metric_name(v.tested_fn)));
        }
    }
    out
}

pub(super) fn threshold_statements(
    results: &Results,
    vr: &VendorResults,
    op: &OperatingThreshold,
    grouping: &str,
) -> Vec<String> {
    let Some(p) = headline_protocol(vr) else { return vec![] };
    let v = view_of(p);
    let mut pts: Vec<f64> = results.config.thresholds.clone();
    pts.retain(|t| *t != op.threshold);
    pts.iter()
        .filter_map(|&t| {
            let fp = rate_row(p, &v, v.fp, t, &OperatingPoint::Grid, "all", "all")?;
            let tp = rate_row(p, &v, v.shown_fn, t, &OperatingPoint::Grid, "all", "all")?;
            let fp_text = match fp.rate.value() {
                Some(x) if x > 0.0 => one_in_value(x).unwrap_or_default(),
                Some(_) => "none observed".into(),
                None => "undefined".into(),
            };
            let sig: Vec<String> = subject_groupings(results)[1..]
                .iter()
                .flat_map(|gg| {
                    significant_groups(comparison(p, &v, v.fp, t, &OperatingPoint::Grid, gg))
                        .into_iter()
                        .map(move |s| format!("{gg}: {s}"))
                })
                .collect();
            let _ = grouping;
            Some(format!(
                "At threshold {t}: false positives {fp_text} ({} of {}), {} {} ({} of {}); {}.",
                count(fp.rate.numerator),
                count(fp.rate.denominator),
                metric_name(v.shown_fn),
                tp.rate.value().map(percent).unwrap_or_default(),
                count(tp.rate.numerator),
                count(tp.rate.denominator),
                if sig.is_empty() {
                    format!("no statistically significant {} difference between groups", metric_name(v.fp))
                } else {
                    format!("statistically significant {} differences: {}", metric_name(v.fp), sig.join("; "))
                }
            ))
        })
        .collect()
}

pub(super) fn caveats(results: &Results, grouping: &str) -> Vec<String> {
    let b = &results.benchmark;
    let mut out = Vec::new();
    let per_group: Vec<String> = b
        .subjects_per_group
        .iter()
        .map(|(a, gs)| {
            format!("{a}: {}", gs.iter().map(|(g, n)| format!("{g} {}", count(*n))).collect::<Vec<_>>().join(", "))
        })
        .collect();
    out.push(format!(
        "Sample size: the test used {} subjects ({}). Rates near 1 in 10,000 rest on few errors; each statement gives the errors and trials it comes from, and the intervals show how far the true rate may lie from the measured one.",
        count(b.subjects),
        per_group.join("; ")
    ));
    let synthetic = b.label_provenance.values().any(|p| p.to_lowercase().contains("synthetic"));
    if b.label_provenance.is_empty() {
        out.push("Labels: how the demographic labels were obtained was not recorded; the group figures are only as good as those labels.".into());
    } else {
        out.push(format!(
            "Labels: {}. Self-declared labels are the most reliable; annotated or estimated labels can misassign people and blur real differences.",
            b.label_provenance.iter().map(|(a, p)| format!("{a} labels are {p}")).collect::<Vec<_>>().join("; ")
        ));
    }
    if synthetic {
        out.push("Synthetic data: this benchmark is simulated. The figures demonstrate the method; they say nothing about any real product, camera or population.".into());
    }
    out.push(format!(
        "Representativeness: the test population is not the deployment population. The groups ({grouping}) and their shares in the test set, the image conditions (camera, lighting, pose, distance) and the watchlist size of a deployment may all differ; the false-alert figures scale with watchlist size and crowd composition (see `verity project`)."
    ));
    out.push(format!(
        "Uncertainty: the intervals are {} intervals at {}% confidence, which treat trials as independent; where the same people appear in many trials, the subject-bootstrap intervals in the report are the honest ones. 'Not statistically significant' does not show that groups are equal: read it with the minimum detectable difference.",
        interval_name(results),
        trim(results.config.confidence * 100.0, 4)
    ));
    out
}

/// The annex as a section of a larger document.
pub fn annex_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold], grouping: &str) {
    d.heading(2, "DPIA and PSED statements");
    d.paragraph(
        "Plain-language statements generated from the measured numbers, for a Data Protection Impact Assessment and for the Public Sector Equality Duty. Each gives the errors and trials it rests on and its uncertainty; the caveats below apply to all of them.",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        let Some(p) = headline_protocol(vr) else { continue };
        d.heading(3, format!("{} {}: {}", vr.vendor.name, vr.vendor.version, protocol_title(p, &view_of(p))));
        d.push(Block::List(vendor_statements(results, vr, op, grouping)));
        let moves = threshold_statements(results, vr, op, grouping);
        if !moves.is_empty() {
            d.paragraph("If the threshold moves:");
            d.push(Block::List(moves));
        }
        let v = view_of(p);
        let capture: Vec<String> = [v.fp, v.tested_fn]
            .into_iter()
            .filter_map(|m| super::confound::adjusted_at(p, m, op.threshold, grouping))
            .flat_map(super::confound::sentences)
            .collect();
        if !capture.is_empty() {
            d.paragraph(format!(
                "The algorithm or the capture (logistic models adjusted for {}; the report's section on capture covariates has the numbers):",
                results.config.covariates.join(", ")
            ));
            d.push(Block::List(capture));
        }
    }
    d.heading(3, "Caveats");
    d.push(Block::List(caveats(results, grouping)));
    if results.vendors.iter().any(|v| v.protocols.iter().all(|p| p.kind == ProtocolKind::Verification)) {
        d.push(Block::Callout(
            Mark::None,
            "A vendor tested on 1:1 verification only: its statements are about comparisons of two images, not about a watchlist deployment.".into(),
        ));
    }
}

/// The annex on its own (`annex.html`, `annex.md`).
pub fn annex_document(results: &Results, ops: &[OperatingThreshold], grouping: &str) -> Document {
    let mut d = Document::new(format!("DPIA / PSED annex: {}", results.benchmark.name));
    annex_section(&mut d, results, ops, grouping);
    d
}
