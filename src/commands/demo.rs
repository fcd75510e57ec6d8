//! `verity demo`: a synthetic benchmark, three simulated vendors with different
//! differential profiles, every output (the pipeline's `demo`), and a per-group table at
//! threshold 0.6.

use crate::error::CliResult;
use crate::progress::Bars;
use std::path::PathBuf;

/// The threshold of the printed table: NPL's operating threshold.
const HEADLINE: f64 = 0.6;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder: the benchmark, the vendor configs and every result go here.
    #[arg(long, default_value = "verity-demo")]
    pub out: PathBuf,
}

pub fn execute(args: Args) -> CliResult {
    let out = pipeline::demo::demo(&args.out, &Bars)?;
    for (vendor, timing) in &out.timings {
        eprintln!("{}", reports::text::totals_line(vendor, timing));
    }
    print!("{}", reports::text::watchlist_headline(&out.results, HEADLINE));
    print!(
        "\nScorecard ({}, rubric {}):\n{}",
        out.rubric_name,
        out.rubric_path.display(),
        reports::scorecard::ranking_text(&out.scorecard)
    );
    println!(
        "\nEverything is in {}: report.html (the full report; report.md is the same as Markdown), annex.md (DPIA/PSED statements), explore.html (the threshold explorer), compare.html (the vendors side by side, paired tests), scorecard.html (rubric.toml applied), summary.md, results.json, rates.csv/.parquet, comparisons.csv (tests between groups), summary_measures.csv, raw/.",
        args.out.display()
    );
    Ok(())
}
