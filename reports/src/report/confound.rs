//! Is the differential the algorithm's or the capture's? At the operating threshold, per
//! protocol and error: each group's rate, its capture covariates' distribution (table
//! and a small box plot), and its odds ratio against the reference group without and
//! with adjustment for the covariates, with a plain-language sentence that says only
//! what the models support (docs/metrics.md, "Adjusted differentials").

use super::view::*;
use crate::document::{Block, Cell, Document, Mark, Table};
use crate::format::{count, p_value, percent, rate_cell, ratio, threshold as threshold_text, trim};
use harness::model::adjusted::{AdjustedDifferential, CovariateDistribution, CovariateRate, OddsRatio};
use harness::model::analysis::{Metric, ProtocolAnalysis};
use harness::model::results::Results;

/// The errors a metric counts, in words.
pub(crate) fn errors_word(m: Metric) -> &'static str {
    match m {
        Metric::Fpir => "false alerts",
        Metric::Fnir => "misses",
        Metric::Fmr => "false matches",
        Metric::Fnmr => "false non-matches",
        _ => "errors",
    }
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The explained share as written: it can be negative (the adjustment widens the
/// difference) or above 100% (it reverses it), which `percent` would clamp.
fn explained(s: f64) -> String {
    if (0.0..=1.0).contains(&s) { percent(s) } else { format!("{}%", trim(s * 100.0, 1)) }
}

fn odds(o: &OddsRatio) -> String {
    format!("{} [{}–{}]", ratio(o.odds_ratio), ratio(o.low), ratio(o.high))
}

/// The models of `metric` at `threshold` for `grouping`, if the run has them.
pub(crate) fn adjusted_at<'a>(
    p: &'a ProtocolAnalysis,
    metric: Metric,
    threshold: f64,
    grouping: &str,
) -> Option<&'a AdjustedDifferential> {
    p.adjusted.iter().find(|a| a.metric == metric && a.threshold == threshold && a.grouping == grouping)
}

/// The rate of `m` per group (and over everyone) in each band of covariate `c` at the
/// models' threshold: accuracy broken down by capture.
fn band_table(p: &ProtocolAnalysis, a: &AdjustedDifferential, m: Metric, c: &str, grouping: &str) -> Option<Table> {
    let cells: Vec<&CovariateRate> = p
        .covariate_rates
        .iter()
        .filter(|r| r.metric == m && r.threshold == a.threshold && r.gallery_size == a.gallery_size && r.covariate == c)
        .collect();
    let mut bands: Vec<(u32, &str)> = cells.iter().map(|r| (r.band_index, r.band.as_str())).collect();
    bands.sort();
    bands.dedup();
    if bands.is_empty() {
        return None;
    }
    let mut header = vec!["Group".to_string()];
    header.extend(bands.iter().map(|(_, b)| b.to_string()));
    let mut rows = Vec::new();
    for (g_name, group) in std::iter::once(("all", "all")).chain(a.groups.iter().map(|g| (grouping, g.group.as_str())))
    {
        let mut row = vec![Cell::plain(if g_name == "all" { "everyone".to_string() } else { group.to_string() })];
        let mut any = false;
        for (i, _) in &bands {
            let cell = cells.iter().find(|r| r.grouping == g_name && r.group == group && r.band_index == *i);
            any |= cell.is_some();
            row.push(Cell::plain(cell.map_or_else(|| "no trials".to_string(), |r| rate_cell(r.rate, None))));
        }
        if any {
            rows.push(row);
        }
    }
    let interval = match cells.first().and_then(|r| r.interval).map(|i| i.method) {
        Some(harness::model::rate::IntervalMethod::ClopperPearson) => "Clopper–Pearson",
        _ => "Wilson",
    };
    let numeric = a.groups.iter().any(|g| distribution(p, a, &g.group, c).is_some_and(|d| d.quartiles.is_some()));
    let cut = if numeric {
        format!("{c} bands cut at the quartiles of {c} over all the trials of this kind, the same for every group")
    } else {
        format!("each level of {c}")
    };
    let whose = if a.gallery_size.is_none() { " A comparison counts under its probe's capture." } else { "" };
    Some(Table {
        header,
        rows,
        note: Some(format!(
            "{} (errors/trials) by {cut}.{whose} Each cell's {interval} interval is in results.json (covariate_rates).",
            metric_name(m)
        )),
    })
}

/// What the models say, in sentences that never claim more than they show.
pub(crate) fn sentences(a: &AdjustedDifferential) -> Vec<String> {
    let errors = errors_word(a.metric);
    let covs = and_list(&a.covariates);
    let at = threshold_text(a.threshold);
    if let Some(note) = &a.unadjusted_note {
        return vec![format!(
            "At {at} the odds ratios of {errors} between {} groups are not estimable: {note}.",
            a.grouping
        )];
    }
    let mut out = Vec::new();
    let reference = &a.reference_group;
    let mut any = false;
    for g in &a.groups {
        let Some(u) = &g.unadjusted else { continue };
        match (&g.adjusted, u.significant) {
            (_, true) => {
                any = true;
                let before = format!(
                    "At {at}, {} had significantly different odds of {errors} from {reference} before adjustment (odds ratio {}, Holm-adjusted p = {})",
                    g.group,
                    odds(u),
                    p_value(u.p_holm)
                );
                let share = g
                    .explained
                    .map(|s| {
                        if s <= 0.0 {
                            "; the covariates account for none of it: adjusted, it is as large or larger".to_string()
                        } else {
                            format!("; the covariates account for about {} of it (on the log-odds scale)", explained(s))
                        }
                    })
                    .unwrap_or_default();
                // Still significant: what remains is not explained by these covariates,
                // however much of the raw difference they took away.
                let remains = if g.explained.is_some_and(|s| s > 0.0) {
                    "what remains is not explained by these covariates"
                } else {
                    "it is not explained by these covariates"
                };
                out.push(match &g.adjusted {
                    Some(adj) if adj.significant => format!(
                        "{before}. After adjusting for {covs} the difference is still statistically significant (odds ratio {}, p = {}){share}: {remains}.",
                        odds(adj),
                        p_value(adj.p_holm)
                    ),
                    Some(adj) => format!(
                        "{before}. After adjusting for {covs} the difference is not statistically significant (odds ratio {}, p = {}){share}. This does not show that the algorithm treats the groups equally: the interval says how large a difference remains possible.",
                        odds(adj),
                        p_value(adj.p_holm)
                    ),
                    None => format!(
                        "{before}. The adjusted model could not be fitted ({}), so nothing is said about the covariates.",
                        a.adjusted_note.as_deref().unwrap_or("undefined")
                    ),
                });
            }
            (Some(adj), false) if adj.significant => out.push(format!(
                "At {at}, {} did not differ significantly from {reference} in {errors} before adjustment (odds ratio {}), but does after adjusting for {covs} (odds ratio {}, p = {}).",
                g.group,
                odds(u),
                odds(adj),
                p_value(adj.p_holm)
            )),
            _ => {}
        }
    }
    if !any {
        out.insert(
            0,
            format!(
                "At {at}, no {} group's odds of {errors} differ significantly from {reference}'s before adjustment: there is no differential here for {covs} to explain.",
                a.grouping
            ),
        );
    }
    if let Some(note) = &a.adjusted_note
        && a.groups.iter().all(|g| g.unadjusted.as_ref().is_none_or(|u| !u.significant))
    {
        out.push(format!("The adjusted model is undefined: {note}."));
    }
    out
}

fn distribution<'a>(
    p: &'a ProtocolAnalysis,
    a: &AdjustedDifferential,
    group: &str,
    covariate: &str,
) -> Option<&'a CovariateDistribution> {
    let kind = if matches!(a.metric, Metric::Fnir | Metric::Fnmr) { "mated" } else { "non-mated" };
    p.covariate_distributions.iter().find(|d| {
        d.trials == kind
            && d.gallery_size == a.gallery_size
            && d.grouping == a.grouping
            && d.group == group
            && d.covariate == covariate
    })
}

fn distribution_cell(d: Option<&CovariateDistribution>) -> String {
    let Some(d) = d else { return "—".into() };
    let unknown = if d.unknown > 0 { format!(" ({} unknown)", count(d.unknown)) } else { String::new() };
    if let Some(q) = d.quartiles {
        format!("{} [{}–{}]{unknown}", trim(q[2], 3), trim(q[1], 3), trim(q[3], 3))
    } else {
        let total: u64 = d.levels.iter().map(|(_, n)| n).sum();
        let shares: Vec<String> =
            d.levels.iter().map(|(l, n)| format!("{l} {}", percent(*n as f64 / total.max(1) as f64))).collect();
        format!("{}{unknown}", shares.join(", "))
    }
}

/// A small horizontal box plot (whiskers at the minimum and maximum) of a numeric
/// covariate per group; `None` when no group has a numeric distribution.
fn box_plot(rows: &[(&str, &CovariateDistribution)], covariate: &str) -> Option<String> {
    let qs: Vec<(&str, [f64; 5])> = rows.iter().filter_map(|(g, d)| d.quartiles.map(|q| (*g, q))).collect();
    if qs.is_empty() {
        return None;
    }
    let lo = qs.iter().map(|(_, q)| q[0]).fold(f64::INFINITY, f64::min);
    let hi = qs.iter().map(|(_, q)| q[4]).fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (left, width, row) = (120.0, 360.0, 22.0);
    let x = |v: f64| left + (v - lo) / span * width;
    let height = row * qs.len() as f64 + 34.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 500 {height}\" width=\"500\" height=\"{height}\" role=\"img\" aria-label=\"{} by group\" font-family=\"sans-serif\" font-size=\"11\">",
        crate::document::escape(covariate)
    );
    for (i, (g, q)) in qs.iter().enumerate() {
        let y = 8.0 + row * i as f64;
        let mid = y + row / 2.0 - 2.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            mid + 4.0,
            crate::document::escape(g)
        ));
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\" stroke=\"#555\"/>",
            x(q[0]),
            x(q[4])
        ));
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#c6dbef\" stroke=\"#08519c\"/>",
            x(q[1]),
            mid - 6.0,
            (x(q[3]) - x(q[1])).max(1.0),
            12.0
        ));
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#08519c\" stroke-width=\"2\"/>",
            x(q[2]),
            x(q[2]),
            mid - 6.0,
            mid + 6.0
        ));
    }
    let axis = 8.0 + row * qs.len() as f64 + 4.0;
    svg.push_str(&format!(
        "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{axis:.1}\" y2=\"{axis:.1}\" stroke=\"#555\"/>",
        left + width
    ));
    for k in 0..=4 {
        let v = lo + span * k as f64 / 4.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(v),
            axis + 14.0,
            trim(v, 2)
        ));
    }
    svg.push_str("</svg>");
    Some(svg)
}

pub(super) fn confound_section(d: &mut Document, results: &Results, ops: &[OperatingThreshold], grouping: &str) {
    if results.config.covariates.is_empty() {
        return;
    }
    let covs = results.config.covariates.clone();
    d.heading(2, "Capture covariates: the algorithm or the camera?");
    d.paragraph(format!(
        "Whether a difference between groups comes from the algorithm or from the images: at the operating threshold, each error is modelled by logistic regression on group alone and on group plus {} (the search sample's value; for 1:1 the probe's and the reference's). Odds ratios are against the reference group, with {}% Wald intervals from the subject-clustered (sandwich) covariance, and p-values Holm-adjusted across the groups of a model. 'Explained' is the share of the unadjusted log odds ratio that the covariates remove, given only where the unadjusted difference is significant. Groups by {grouping}; every grouping is in results.json under adjusted.",
        and_list(&covs),
        trim(results.config.confidence * 100.0, 4)
    ));
    // The distributions are the benchmark's, the same for every vendor: drawn once each.
    let mut drawn = std::collections::BTreeSet::new();
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view_of(p);
            for m in [v.fp, v.tested_fn] {
                let Some(a) = adjusted_at(p, m, op.threshold, grouping) else { continue };
                d.heading(
                    3,
                    format!(
                        "{}: {} of {} at {}",
                        vr.vendor.name,
                        errors_word(m),
                        protocol_title(p, &v),
                        threshold_text(op.threshold)
                    ),
                );
                let mut header = vec!["Group".to_string(), format!("{} (errors/trials)", metric_name(m))];
                header.extend(covs.iter().map(|c| format!("{c}: median [Q1–Q3]")));
                header.extend([
                    "Odds ratio, unadjusted".to_string(),
                    "Odds ratio, adjusted".to_string(),
                    "Explained".to_string(),
                ]);
                let mut t = Table { header, rows: Vec::new(), note: None };
                for g in &a.groups {
                    let mut row = vec![
                        Cell::plain(g.group.clone()),
                        Cell::plain(format!(
                            "{} ({}/{})",
                            percent(g.errors as f64 / g.trials.max(1) as f64),
                            count(g.errors),
                            count(g.trials)
                        )),
                    ];
                    row.extend(covs.iter().map(|c| Cell::plain(distribution_cell(distribution(p, a, &g.group, c)))));
                    let reference = g.group == a.reference_group;
                    let or_cell = |o: &Option<OddsRatio>, note: &Option<String>| match o {
                        Some(o) => Cell::marked(
                            format!("{}{}", odds(o), if o.significant { " *" } else { "" }),
                            if o.significant { Mark::Significant } else { Mark::None },
                        ),
                        None if reference => Cell::plain("reference"),
                        None => Cell::plain(if note.is_some() { "undefined" } else { "—" }),
                    };
                    row.push(or_cell(&g.unadjusted, &a.unadjusted_note));
                    row.push(or_cell(&g.adjusted, &a.adjusted_note));
                    row.push(Cell::plain(g.explained.map_or_else(|| "—".into(), explained)));
                    t.rows.push(row);
                }
                let effects: Vec<String> = a
                    .covariate_effects
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: odds ratio {} [{}–{}] per unit (p = {})",
                            e.term,
                            trim(e.odds_ratio, 4),
                            trim(e.low, 4),
                            trim(e.high, 4),
                            p_value(e.p_value)
                        )
                    })
                    .collect();
                t.note = Some(format!(
                    "{} trials of {} subjects in the models{}. * significant at alpha = {} after Holm's correction.{}",
                    count(a.trials),
                    count(a.subjects),
                    if a.excluded > 0 {
                        format!("; {} left out (a covariate unknown)", count(a.excluded))
                    } else {
                        String::new()
                    },
                    results.config.alpha,
                    if effects.is_empty() {
                        String::new()
                    } else {
                        format!(" In the adjusted model: {}.", effects.join("; "))
                    }
                ));
                d.table(t);
                for c in &covs {
                    if let Some(t) = band_table(p, a, m, c, grouping) {
                        d.table(t);
                    }
                }
                for c in &covs {
                    let rows: Vec<(&str, &CovariateDistribution)> = a
                        .groups
                        .iter()
                        .filter_map(|g| distribution(p, a, &g.group, c).map(|dist| (g.group.as_str(), dist)))
                        .collect();
                    let kind = if matches!(m, Metric::Fnir | Metric::Fnmr) { "mated" } else { "non-mated" };
                    let name = format!("covariate-{}-{kind}-{c}", p.protocol)
                        .replace(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-', "-");
                    if drawn.contains(&name) {
                        continue;
                    }
                    if let Some(svg) = box_plot(&rows, c) {
                        drawn.insert(name.clone());
                        d.figure(
                            name,
                            svg,
                            format!(
                                "{c} of the {kind} trials of {} by group (the benchmark's, the same for every vendor): box from Q1 to Q3, the median marked, whiskers to the minimum and maximum.",
                                p.protocol
                            ),
                        );
                    }
                }
                d.push(Block::List(sentences(a)));
                // The sweep's other thresholds, where a group differs before adjustment.
                let others: Vec<String> = p
                    .adjusted
                    .iter()
                    .filter(|o| o.metric == m && o.grouping == grouping && o.threshold != op.threshold)
                    .filter(|o| o.groups.iter().any(|g| g.unadjusted.as_ref().is_some_and(|u| u.significant)))
                    .flat_map(sentences)
                    .collect();
                if !others.is_empty() {
                    d.paragraph(format!(
                        "At the other thresholds of the sweep where {} differ between groups:",
                        errors_word(m)
                    ));
                    d.push(Block::List(others));
                }
            }
        }
    }
}
