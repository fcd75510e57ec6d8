//! `verity project`: expected false alerts of a watchlist deployment, overall and per
//! group, from a run's per-group FPIR and a crowd composition. The work is in
//! `harness::analysis::projection`; see docs/planning.md.

use super::plan::{RateTable, check_open_unit, rate_tables, read_results, to_json};
use harness::model::thresholds::same_threshold;
use reports::format::projected_one_in;
use crate::error::{CliError, CliResult};
use harness::analysis::projection::{BinomialMethod, Deployment, Projection, project};
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum IntervalArg {
    Wilson,
    ClopperPearson,
}

#[derive(clap::Args)]
pub struct Args {
    /// A run's results.json.
    #[arg(long)]
    pub results: PathBuf,
    /// Vendor name, as in results.json.
    #[arg(long)]
    pub vendor: String,
    /// An identification or watchlist protocol of the run.
    #[arg(long)]
    pub protocol: String,
    /// Threshold at which the per-group FPIR was measured.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub threshold: f64,
    /// Grouping whose groups make up the crowd, e.g. `ethnicity`.
    #[arg(long)]
    pub grouping: String,
    /// Share of faces by group, summing to 1: `asian=0.2,black=0.3,white=0.5`.
    #[arg(long)]
    pub crowd: String,
    /// Faces seen per deployment.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(1, u64::MAX))]
    pub faces: u64,
    /// Watchlist size deployed (default: the size tested; otherwise FPIR is extrapolated).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(1, u64::MAX))]
    pub watchlist_size: Option<u64>,
    /// Tested gallery size to take FPIR from, when the protocol has several (default: largest).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(1, u64::MAX))]
    pub gallery_size: Option<u64>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub confidence: f64,
    /// Binomial interval of each group's FPIR.
    #[arg(long, value_enum, default_value = "wilson")]
    pub interval: IntervalArg,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

/// `a=0.2,b=0.8` -> [(a, 0.2), (b, 0.8)]; every problem names --crowd and the item.
fn parse_crowd(text: &str) -> Result<Vec<(String, f64)>, CliError> {
    let bad = |item: &str, why: &str| CliError::BadInput(format!("--crowd {text:?}: item {item:?} {why}"));
    let mut crowd = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (g, s) = item.split_once('=').ok_or_else(|| bad(item, "is not GROUP=SHARE"))?;
        let share: f64 = s.trim().parse().map_err(|_| bad(item, "has a share that is not a number"))?;
        if !(0.0..=1.0).contains(&share) {
            return Err(bad(item, "has a share outside [0, 1]"));
        }
        crowd.push((g.trim().to_string(), share));
    }
    if crowd.is_empty() {
        return Err(CliError::BadInput(format!("--crowd {text:?}: no GROUP=SHARE items")));
    }
    Ok(crowd)
}

fn choose<'a>(tables: &'a [RateTable], args: &Args) -> Result<&'a RateTable, CliError> {
    let listed = |xs: Vec<String>| {
        let mut xs = xs;
        xs.dedup();
        xs.join(", ")
    };
    let by_vendor: Vec<&RateTable> = tables.iter().filter(|t| t.vendor == args.vendor).collect();
    if by_vendor.is_empty() {
        let mut names: Vec<String> = tables.iter().map(|t| t.vendor.clone()).collect();
        names.sort();
        return Err(CliError::BadInput(format!(
            "--vendor {}: not in the results (vendors: {})",
            args.vendor,
            listed(names)
        )));
    }
    let by_protocol: Vec<&RateTable> = by_vendor.iter().copied().filter(|t| t.protocol == args.protocol).collect();
    if by_protocol.is_empty() {
        let mut names: Vec<String> = by_vendor.iter().map(|t| t.protocol.clone()).collect();
        names.sort();
        return Err(CliError::BadInput(format!(
            "--protocol {}: no identification or watchlist protocol of that name (FPIR is needed; protocols: {})",
            args.protocol,
            listed(names)
        )));
    }
    let by_grouping: Vec<&RateTable> = by_protocol.iter().copied().filter(|t| t.grouping == args.grouping).collect();
    if by_grouping.is_empty() {
        let mut names: Vec<String> = by_protocol.iter().map(|t| t.grouping.clone()).collect();
        names.sort();
        return Err(CliError::BadInput(format!(
            "--grouping {}: not in the results (groupings: {})",
            args.grouping,
            listed(names)
        )));
    }
    let at: Vec<&RateTable> =
        by_grouping.iter().copied().filter(|t| same_threshold(t.threshold, args.threshold)).collect();
    if at.is_empty() {
        let mut ts: Vec<f64> = by_grouping.iter().map(|t| t.threshold).collect();
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        let ts: Vec<String> = ts.iter().map(f64::to_string).collect();
        return Err(CliError::BadInput(format!(
            "--threshold {}: not evaluated in the run (thresholds: {})",
            args.threshold,
            ts.join(", ")
        )));
    }
    match args.gallery_size {
        Some(n) => at.iter().copied().find(|t| t.gallery_size == Some(n)).ok_or_else(|| {
            let sizes: Vec<String> = at.iter().filter_map(|t| t.gallery_size.map(|s| s.to_string())).collect();
            CliError::BadInput(format!("--gallery-size {n}: not tested (gallery sizes: {})", listed(sizes)))
        }),
        // The first table of the largest size (a grid threshold before a declared one of equal value).
        None => Ok(at.iter().rev().copied().max_by_key(|t| t.gallery_size).expect("non-empty")),
    }
}

pub fn execute(args: Args) -> CliResult {
    check_open_unit("--confidence", args.confidence)?;
    if args.faces == 0 {
        return Err(CliError::BadInput("--faces 0: must be at least 1".into()));
    }
    if args.watchlist_size == Some(0) {
        return Err(CliError::BadInput("--watchlist-size 0: must be at least 1".into()));
    }
    let crowd = parse_crowd(&args.crowd)?;
    let results = read_results(&args.results)?;
    use harness::model::benchmark::ProtocolKind;
    let tables = rate_tables(&results, |kind| {
        matches!(kind, ProtocolKind::Identification | ProtocolKind::Watchlist).then_some(harness::model::analysis::Metric::Fpir)
    });
    let table = choose(&tables, &args)?;
    let tested = table.gallery_size.ok_or_else(|| {
        CliError::BadInput(format!("--results {}: FPIR rows without a gallery_size", args.results.display()))
    })?;
    let deployment = Deployment {
        crowd,
        faces: args.faces,
        tested_watchlist_size: tested,
        watchlist_size: args.watchlist_size,
        confidence: args.confidence,
        method: match args.interval {
            IntervalArg::Wilson => BinomialMethod::Wilson,
            IntervalArg::ClopperPearson => BinomialMethod::ClopperPearson,
        },
    };
    let p =
        project(&table.groups, &deployment).map_err(|e| CliError::BadInput(format!("--crowd {}: {e}", args.crowd)))?;
    if args.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            table: &'a RateTable,
            projection: &'a Projection,
        }
        // Each "1 in X" also in words, as the report writes it (reports::format).
        let mut value = serde_json::to_value(Out { table, projection: &p })
            .map_err(|e| CliError::Failure(format!("cannot write JSON: {e}")))?;
        let words = |o: &harness::analysis::projection::OneIn| serde_json::Value::String(projected_one_in(o));
        for (g, one_in) in p.groups.iter().enumerate().map(|(i, g)| (i, &g.one_in)) {
            value["projection"]["groups"][g]["one_in"]["text"] = words(one_in);
        }
        value["projection"]["overall"]["one_in"]["text"] = words(&p.overall.one_in);
        println!("{}", to_json(&value)?);
    } else {
        print!("{}", render(table, &p));
    }
    Ok(())
}

fn render(t: &RateTable, p: &Projection) -> String {
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
