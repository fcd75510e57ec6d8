//! `verity compare RUN... --out DIR [--target X] [--benchmark BENCH]`: several vendors
//! side by side on identical trials, with paired exact (McNemar) tests (docs/compare.md).
//! Refuses (exit 2) runs made on different benchmarks or with different trial lists.

use super::common::stage;
use crate::error::{CliError, CliResult};
use reports::compare::{
    CompareError, ComparedRun, check_identical_trials, compare, layout, load_run, write_comparison,
};
use std::path::{Path, PathBuf};

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

fn bad(e: CompareError) -> CliError {
    CliError::BadInput(e.to_string())
}

pub fn execute(args: Args) -> CliResult {
    if let Some(t) = args.target
        && !(t > 0.0 && t < 1.0)
    {
        return Err(CliError::BadInput(format!("--target: value `{t}` is not a rate strictly between 0 and 1")));
    }
    let runs = args.runs.iter().map(|r| load_run(r)).collect::<Result<Vec<_>, _>>().map_err(bad)?;
    // Refuse different benchmarks or trial lists before anything slow is done.
    check_identical_trials(&runs).map_err(bad)?;
    let (population, notes) = population(args.benchmark.as_deref(), &runs)?;
    let comparison =
        stage("pairing the vendors' trials", || compare(runs, args.target, population.as_ref(), notes)).map_err(bad)?;
    write_comparison(&args.out, &comparison)
        .map_err(|e| CliError::Failure(format!("writing {}: {e}", args.out.display())))?;
    for name in [layout::HTML, layout::MARKDOWN, layout::RATES_CSV, layout::PAIRED_CSV] {
        println!("{}", args.out.join(name).display());
    }
    Ok(())
}

/// The benchmark's population, for per-group tests: from `--benchmark` (which must be
/// the runs' benchmark), else from the path a run recorded, if it is still there and
/// unchanged. Returns what the document should say about it.
fn population(
    given: Option<&Path>,
    runs: &[ComparedRun],
) -> Result<(Option<harness::model::population::Population>, Vec<String>), CliError> {
    let hash = &runs[0].results.benchmark.content_hash;
    if let Some(path) = given {
        let bench = stage("loading the benchmark", || super::load_benchmark(path))?;
        if bench.content_hash != *hash {
            return Err(CliError::BadInput(format!(
                "--benchmark {}: its content hash is {}, but the runs were made on a benchmark with content hash {hash}",
                path.display(),
                bench.content_hash
            )));
        }
        let note = format!("Groups of the paired tests: the subjects of benchmark {}.", path.display());
        return Ok((Some(bench.population), vec![note]));
    }
    // Recorded paths are relative to each run's folder (docs/results.md, provenance).
    let recorded: Vec<PathBuf> = runs
        .iter()
        .flat_map(|r| {
            r.results.provenance.inputs.keys().filter_map(|k| k.strip_prefix("benchmark:")).map(|p| r.dir.join(p))
        })
        .collect();
    let mut tried = Vec::new();
    for path in &recorded {
        if tried.contains(path) {
            continue;
        }
        tried.push(path.clone());
        if !path.join("benchmark.toml").is_file() {
            continue;
        }
        match stage("loading the benchmark", || super::load_benchmark(path)) {
            Ok(bench) if bench.content_hash == *hash => {
                let note = format!(
                    "Groups of the paired tests: the subjects of benchmark {} (recorded in the run's provenance; its content hash matches).",
                    path.display()
                );
                return Ok((Some(bench.population), vec![note]));
            }
            _ => continue,
        }
    }
    let where_ = if tried.is_empty() {
        "no benchmark path is recorded in the runs".to_string()
    } else {
        format!(
            "the benchmark recorded in the runs ({}) was not found or has changed",
            tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    };
    let note =
        format!("The paired tests are overall only: {where_}. Give it with --benchmark BENCH for per-group tests.");
    eprintln!("note: {note}");
    Ok((None, vec![note]))
}
