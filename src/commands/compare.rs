//! `verity compare RUN... --out DIR [--target X] [--benchmark BENCH]`: several vendors
//! side by side on identical trials, with paired exact (McNemar) tests (docs/compare.md).
//! Refuses (exit 2) runs made on different benchmarks or with different trial lists.

use crate::error::{CliError, CliResult};
use crate::progress::Bars;
use harness::run::progress::stage;
use reports::compare::{check_identical_trials, compare, layout, load_run, write_comparison};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Run folders of `verity run` (each holds results.json and raw/); several runs,
    /// several vendors per run, or both. At least two vendors in all.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Output folder: compare.html, compare.md, compare.csv, compare_paired.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// Target of the common operating point: FPIR for 1:N and watchlist, FMR for 1:1.
    /// Default: the first of the runs' --fpir-targets and --fmr-targets. Every run must
    /// have calibrated to it.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub target: Option<f64>,
    /// The benchmark the runs were made on, for per-group paired tests (default: the
    /// one recorded in the runs' provenance, where it is still there). Without it the
    /// paired tests are overall only.
    #[arg(long)]
    pub benchmark: Option<PathBuf>,
}

pub fn execute(args: Args) -> CliResult {
    if let Some(t) = args.target
        && !(t > 0.0 && t < 1.0)
    {
        return Err(CliError::BadInput(format!("--target: value `{t}` is not a rate strictly between 0 and 1")));
    }
    let mut runs = args.runs.iter().map(|r| load_run(r)).collect::<Result<Vec<_>, _>>()?;
    // Refuse different benchmarks or trial lists before anything slow is done.
    check_identical_trials(&runs)?;
    // Messages name each run as given; the documents by its path from the comparison's
    // folder, so that they hold no absolute path.
    for run in &mut runs {
        run.name = storage::relative::relative_to(&run.dir, &args.out);
    }
    let (population, notes) = pipeline::comparison::population(args.benchmark.as_deref(), &runs, &args.out, &Bars)?;
    if population.is_none() {
        for note in &notes {
            eprintln!("note: {note}");
        }
    }
    let comparison =
        stage(&Bars, "pairing the vendors' trials", || compare(runs, args.target, population.as_ref(), notes))?;
    write_comparison(&args.out, &comparison)?;
    for name in [layout::HTML, layout::MARKDOWN, layout::RATES_CSV, layout::PAIRED_CSV] {
        println!("{}", args.out.join(name).display());
    }
    Ok(())
}
