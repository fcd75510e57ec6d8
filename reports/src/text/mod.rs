//! What the command line prints on a terminal from the engine's values: the same numbers
//! as the documents, formatted by [`crate::format`], laid out for a fixed-width screen:
//! the demo's headline table and the run's timing lines here, `plan` and `project` in
//! [`planning`]. (`inspect` and `import` print datasets' values, which this crate does
//! not know: the command line lays those out, with the same formatter.)

pub mod planning;

use crate::format::{count, one_in, rate_cell};
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::query::RateQuery;
use harness::model::results::{Results, Timing};
use harness::model::thresholds::OperatingPoint;
use harness::run::runner::CacheCounts;
use harness::run::timing::VendorTiming;

/// `NAME: templates: 1,234 from cache, 56 made` (with damaged blocks, when there were any).
pub fn cache_line(vendor: &str, c: &CacheCounts) -> String {
    format!(
        "{vendor}: templates: {} from cache, {} made{}",
        count(c.from_cache),
        count(c.made),
        if c.damaged_blocks > 0 {
            format!(" ({} damaged cache blocks ignored)", count(c.damaged_blocks))
        } else {
            String::new()
        }
    )
}

/// Template, comparison and search times per vendor: median and 95th percentile per
/// template, overall and per group (one line each).
pub fn timing_lines(timings: &[VendorTiming]) -> Vec<String> {
    let ms = |x: Option<f64>| x.map_or("-".to_string(), |s| format!("{:.3} ms", s * 1e3));
    let mut out = Vec::new();
    for t in timings {
        let tt = &t.templates;
        out.push(format!(
            "{}: template creation median {}, p95 {} ({} templates timed); {:.1} bytes per template; comparisons {:.2} s, searches {:.2} s",
            t.vendor,
            ms(tt.seconds.median),
            ms(tt.seconds.p95),
            tt.seconds.count,
            tt.bytes_mean,
            t.comparisons.seconds_total,
            t.searches.seconds_total
        ));
        for g in tt.seconds_per_group.iter().filter(|g| g.grouping != "all") {
            out.push(format!(
                "  {} {}: template median {}, p95 {}",
                g.grouping,
                g.group,
                ms(g.seconds.median),
                ms(g.seconds.p95)
            ));
        }
    }
    out
}

/// A vendor's totals: templates, mean time per template, comparison and search time.
pub fn totals_line(vendor: &str, t: &Timing) -> String {
    let per = if t.templates > 0 { t.template_seconds_total / t.templates as f64 * 1e3 } else { 0.0 };
    format!(
        "{vendor}: {} templates ({per:.3} ms each, summed over threads), comparisons {:.2} s, searches {:.2} s",
        t.templates, t.comparison_seconds_total, t.search_seconds_total
    )
}

fn grid_row<'a>(p: &'a ProtocolAnalysis, t: f64, metric: Metric, grouping: &str, group: &str) -> Option<&'a RateRow> {
    p.rate(&RateQuery::metric(metric).at(&OperatingPoint::Grid).threshold(t).grouping(grouping).group(group))
}

/// Watchlist TPIR and FPIR per ethnicity (or the first attribute) and overall at the
/// grid threshold `t`, per vendor, with "1 in X".
pub fn watchlist_headline(results: &Results, t: f64) -> String {
    let cell = |r: Option<&RateRow>| r.map_or_else(|| "not computed".into(), |r| rate_cell(r.rate, None));
    let mut s = format!(
        "\nWatchlist at threshold {t} (TPIR: passes that alert for the right person; FPIR: crowd faces that raise any alert)\n"
    );
    let per_group = &results.benchmark.subjects_per_group;
    let grouping =
        per_group.keys().find(|k| *k == "ethnicity").or_else(|| per_group.keys().next()).cloned().unwrap_or_default();
    let mut groups: Vec<(String, String)> = vec![("all".into(), "all".into())];
    if let Some(g) = per_group.get(&grouping) {
        groups.extend(g.keys().map(|k| (grouping.clone(), k.clone())));
    }
    for v in &results.vendors {
        let Some(p) = v.protocols.iter().find(|p| p.kind == ProtocolKind::Watchlist) else { continue };
        s.push_str(&format!(
            "\n{} ({})\n  {:<10} {:>28} {:>28} {:>12}\n",
            v.vendor.name, v.vendor.version, "group", "TPIR", "FPIR", "1 in X"
        ));
        for (grouping, group) in &groups {
            let fpir = grid_row(p, t, Metric::Fpir, grouping, group);
            let x = fpir.map_or_else(|| "not computed".into(), |r| one_in(r.rate));
            let tpir = cell(grid_row(p, t, Metric::Tpir, grouping, group));
            s.push_str(&format!("  {:<10} {:>28} {:>28} {:>12}\n", group, tpir, cell(fpir), x));
        }
    }
    s
}
