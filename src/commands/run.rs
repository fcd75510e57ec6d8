//! `verity run BENCH --vendor CONFIG... --out DIR`: run vendors on a benchmark, analyse,
//! write (the pipeline's `run`).
//!
//! Templates are cached in `DIR/.verity-cache/` (docs/runner.md): a run that was killed
//! and started again with the same arguments takes up where it stopped.

use crate::error::CliResult;
use crate::options::AnalysisOptions;
use crate::progress::Bars;
use harness::run::progress::stage;
use pipeline::run::{RunRequest, run};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The benchmark folder.
    pub benchmark: PathBuf,
    /// A vendor configuration (TOML); repeat for several vendors.
    #[arg(long = "vendor", required = true)]
    pub vendors: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Make every template afresh and keep none: no `OUT/.verity-cache/` is read or
    /// written (the results are the same; only the time differs).
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten)]
    pub analysis: AnalysisOptions,
}

pub fn execute(args: Args) -> CliResult {
    let bench = stage(&Bars, "loading the benchmark", || datasets::load(&args.benchmark))?;
    let config = args.analysis.settings().config(&bench.population)?;
    let sources =
        pipeline::sources::load(&args.vendors, &bench, &args.analysis.thresholds, &config.thresholds, &args.out)?;
    for note in &sources.notes {
        eprintln!("note: {note}");
    }
    let request = RunRequest {
        bench: &bench,
        bench_path: &args.benchmark,
        sources,
        config,
        out: &args.out,
        cache: !args.no_cache,
        command: crate::provenance::command_line(&args.out),
    };
    let output = run(request, &Bars)?;
    for (vendor, counts) in &output.cache {
        eprintln!("{}", reports::text::cache_line(vendor, counts));
    }
    for line in reports::text::timing_lines(&output.timings) {
        eprintln!("{line}");
    }
    println!("{}", reports::summary::markdown(&output.results));
    println!("outputs written to {}", args.out.display());
    Ok(())
}
