//! `verity project`: expected false alerts of a watchlist deployment, overall and per
//! group, from a run's per-group FPIR and a crowd composition. The work is in
//! `harness::analysis::projection`; see docs/planning.md.

use super::plan::{check_open_unit, read_results};
use crate::error::{CliError, CliResult};
use harness::analysis::projection::{BinomialMethod, Deployment, OneIn};
use pipeline::planning::{ProjectionSource, projection};
use reports::format::projected_one_in;
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

pub fn execute(args: Args) -> CliResult {
    check_open_unit("--confidence", args.confidence)?;
    let crowd = parse_crowd(&args.crowd)?;
    let results = read_results(&args.results)?;
    let source = ProjectionSource {
        vendor: args.vendor.clone(),
        protocol: args.protocol.clone(),
        grouping: args.grouping.clone(),
        threshold: args.threshold,
        gallery_size: args.gallery_size,
    };
    let deployment = Deployment {
        crowd,
        faces: args.faces,
        tested_watchlist_size: 0,
        watchlist_size: args.watchlist_size,
        confidence: args.confidence,
        method: match args.interval {
            IntervalArg::Wilson => BinomialMethod::Wilson,
            IntervalArg::ClopperPearson => BinomialMethod::ClopperPearson,
        },
    };
    let (table, p) = projection(&results, &source, deployment).map_err(|e| match e {
        pipeline::Error::BadInput(m) if m.starts_with("--crowd") => {
            CliError::BadInput(m.replacen("--crowd", &format!("--crowd {}", args.crowd), 1))
        }
        other => other.into(),
    })?;
    if args.json {
        // The table's key, then the projection.
        let mut value = serde_json::to_value(&table)?;
        value["projection"] = serde_json::to_value(&p)?;
        // Each "1 in X" also in words, as the report writes it (reports::format).
        let words = |o: &OneIn| serde_json::Value::String(projected_one_in(o));
        for (i, g) in p.groups.iter().enumerate() {
            value["projection"]["groups"][i]["one_in"]["text"] = words(&g.one_in);
        }
        value["projection"]["overall"]["one_in"]["text"] = words(&p.overall.one_in);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", reports::text::planning::projection(&table, &p));
    }
    Ok(())
}
