//! `verity plan` and `verity project` on a terminal: trials per group a study needs, the
//! ratios a run's counts could have detected, and a deployment's expected false alerts.

use crate::format::{projected_one_in, scientific};
use harness::analysis::planning::{DetectabilityTable, PlanningMethod, SampleSize};
use harness::analysis::projection::Projection;
use harness::model::query::GroupTable;

fn method_words(m: &PlanningMethod) -> String {
    match m {
        PlanningMethod::Exact => "exact power of Fisher's exact test (enumeration)".to_string(),
        PlanningMethod::Simulation { replicates, seed } => {
            format!("simulated power of Fisher's exact test ({replicates} replicates, seed {seed})")
        }
        PlanningMethod::ArcsineApproximation => "arcsine normal approximation".to_string(),
    }
}

pub fn sample_size(s: &SampleSize) -> String {
    let se = s.power_standard_error.map(|e| format!(" ± {e:.3}")).unwrap_or_default();
    format!(
        "To detect a rate {} times the reference rate {} with a {} test at alpha {} and power {}:\n\
         trials per group: {}  (power {:.4}{se})\n\
         method: {}; the arcsine approximation says {}\n\
         assumption: {}\n",
        s.ratio,
        s.base_rate,
        s.alternative,
        s.alpha,
        s.target_power,
        s.trials_per_group,
        s.achieved_power,
        method_words(&s.method),
        s.arcsine_trials_per_group,
        s.note
    )
}

/// The minimum detectable ratios of every table, under one heading.
pub fn detectability(rows: &[(&GroupTable, &DetectabilityTable)]) -> String {
    let Some((_, first)) = rows.first() else { return String::new() };
    let mut out = format!(
        "Minimum detectable ratio of each group's rate to the base rate (the lowest-rate group's), \
         {} Fisher exact test at alpha {}, power {}.\n",
        first.alternative, first.alpha, first.target_power
    );
    for (t, d) in rows {
        out += &detectability_table(t, d);
    }
    out
}

fn detectability_table(t: &GroupTable, d: &DetectabilityTable) -> String {
    let gallery = t.gallery_size.map(|n| format!(" N={n}")).unwrap_or_default();
    let base = d.base_rate.map(scientific).unwrap_or_else(|| "undefined".into());
    let mut out = format!(
        "\n{} / {} / {}{gallery} at threshold {} ({}) / {}: base rate {base} ({})\n",
        t.vendor, t.protocol, t.metric, t.threshold, t.operating_point, t.grouping, d.base_rate_source
    );
    let width = d.groups.iter().map(|g| g.group.chars().count()).max().unwrap_or(5).max(5);
    for g in &d.groups {
        let rate = g.rate.value().map(scientific).unwrap_or_default();
        let verdict = match (g.minimum_detectable_ratio, &g.method) {
            (Some(r), Some(m)) => {
                format!(
                    "{r:.3} ({})",
                    match m {
                        PlanningMethod::Exact => "exact",
                        PlanningMethod::Simulation { .. } => "simulated",
                        PlanningMethod::ArcsineApproximation => "arcsine approximation",
                    }
                ) + &g
                    .simulated_power
                    .map(|p| {
                        format!(
                            "; exact test's simulated power there {p:.3} ± {:.3}",
                            g.simulated_power_se.unwrap_or(0.0)
                        )
                    })
                    .unwrap_or_default()
            }
            _ => g.note.clone().unwrap_or_default(),
        };
        out += &format!(
            "  {:<width$}  {:>14}  {rate:>10}  {verdict}\n",
            g.group,
            format!("{}/{}", g.rate.numerator, g.rate.denominator)
        );
    }
    if !d.excluded_groups.is_empty() {
        out += &format!("  no trials: {}\n", d.excluded_groups.join(", "));
    }
    out
}

pub fn projection(t: &GroupTable, p: &Projection) -> String {
    let watchlist = if p.watchlist_size == p.tested_watchlist_size {
        format!("watchlist of {} (as tested)", p.watchlist_size)
    } else {
        format!("watchlist of {} (FPIR measured at {}; extrapolated)", p.watchlist_size, p.tested_watchlist_size)
    };
    let mut out = format!(
        "Projection: {} / {} at threshold {} ({}) / {}\n{} faces per deployment, {watchlist}\n\n",
        t.vendor, t.protocol, t.threshold, t.operating_point, t.grouping, p.faces
    );
    let pct = (p.confidence * 100.0).to_string();
    let width = p.groups.iter().map(|g| g.group.chars().count()).max().unwrap_or(7).max(7);
    out += &format!(
        "  {:<width$}  {:>6}  {:>10}  {:>14}  {:>10}  {:>30}  {}\n",
        "group",
        "share",
        "faces",
        "FPIR measured",
        "FPIR",
        format!("false alerts [{pct}% interval]"),
        "1 in X"
    );
    for g in &p.groups {
        out += &format!(
            "  {:<width$}  {:>6}  {:>10.0}  {:>14}  {:>10.3e}  {:>30}  {}\n",
            g.group,
            g.share,
            g.faces,
            format!("{}/{}", g.measured.numerator, g.measured.denominator),
            g.fpir,
            format!("{:.2} [{:.2}, {:.2}]", g.expected_false_alerts, g.low, g.high),
            projected_one_in(&g.one_in)
        );
    }
    let o = &p.overall;
    out += &format!(
        "  {:<width$}  {:>6}  {:>10}  {:>14}  {:>10.3e}  {:>30}  {}\n",
        "overall",
        "1",
        p.faces,
        "",
        o.fpir,
        format!("{:.2} [{:.2}, {:.2}]", o.expected_false_alerts, o.low, o.high),
        projected_one_in(&o.one_in)
    );
    out += &format!("\nintervals: {}\n", p.interval_note);
    if let Some(e) = &p.extrapolation {
        out += &format!("extrapolation: {e}\n");
    }
    if !p.not_in_crowd.is_empty() {
        out += &format!("measured but not in the crowd: {}\n", p.not_in_crowd.join(", "));
    }
    out
}
