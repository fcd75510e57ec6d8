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
    /// Make only part I of N of the templates into OUT's template cache, and a manifest
    /// (OUT/shard.json); `verity merge` of the N parts writes the outputs of the whole
    /// run (docs/scale.md). I counts from 1 (Slurm: `$SLURM_ARRAY_TASK_ID/N`).
    #[arg(long, value_name = "I/N", value_parser = pipeline::shard::Shard::parse, conflicts_with = "no_cache")]
    pub shard: Option<pipeline::shard::Shard>,
    #[command(flatten)]
    pub analysis: AnalysisOptions,
}

pub fn execute(args: Args) -> CliResult {
    let command = crate::provenance::command_line(&args.out);
    execute_as(args, command, None)
}

/// Where the output folder goes in the arguments a shard records.
pub const OUT_PLACEHOLDER: &str = "<OUT>";

/// The arguments of this process's `verity run` with every path absolute, without
/// `--shard`, and with the value of `--out` [`OUT_PLACEHOLDER`]: the unsharded run a
/// shard belongs to, in the order typed.
fn unsharded_arguments() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let absolute = crate::provenance::absolute_arguments(&args);
    let mut kept = Vec::new();
    let mut words = absolute.into_iter();
    while let Some(w) = words.next() {
        match w.as_str() {
            "--shard" => {
                words.next();
            }
            "--out" => {
                words.next();
                kept.extend(["--out".to_string(), OUT_PLACEHOLDER.to_string()]);
            }
            _ if w.starts_with("--shard=") => {}
            _ if w.starts_with("--out=") => kept.push(format!("--out={OUT_PLACEHOLDER}")),
            _ => kept.push(w),
        }
    }
    kept
}

/// `verity run` recording `command` as the command that reproduces it (`verity merge`
/// records the unsharded run's). For `verity merge`, `parts` are the checked parts: the
/// benchmark must be the one they were made on, and their caches are gathered into the
/// output folder only then.
pub fn execute_as(args: Args, command: String, parts: Option<(&pipeline::shard::Manifest, &[PathBuf])>) -> CliResult {
    let mut bench = stage(&Bars, "loading the benchmark", || datasets::load(&args.benchmark))?;
    if let Some((manifest, folders)) = parts {
        if manifest.benchmark != bench.content_hash {
            return Err(crate::error::CliError::BadInput(format!(
                "{}: the benchmark has changed since the shards were made (content hash {}, the parts' {}): run the shards again",
                args.benchmark.display(),
                bench.content_hash,
                manifest.benchmark
            )));
        }
        pipeline::shard::gather_caches(folders, &args.out)?;
    }
    let config = args.analysis.settings().config_for(&mut bench)?;
    let sources =
        pipeline::sources::load(&args.vendors, &bench, &args.analysis.thresholds, &config.thresholds, &args.out)?;
    for note in &sources.notes {
        eprintln!("note: {note}");
    }
    if let Some(shard) = args.shard {
        let manifest = pipeline::shard::run_shard(&bench, sources, &args.out, shard, unsharded_arguments(), &Bars)?;
        for v in &manifest.vendors {
            eprintln!(
                "{}: templates {}..{} of {} ({} made, {} from the cache)",
                v.name, v.start, v.end, v.planned, v.made, v.from_cache
            );
        }
        println!(
            "shard {}/{} written to {} ({}); merge the parts with `verity merge PART... --out DIR`",
            shard.index,
            shard.count,
            args.out.display(),
            pipeline::shard::MANIFEST
        );
        return Ok(());
    }
    let request = RunRequest {
        bench: &bench,
        bench_path: &args.benchmark,
        sources,
        config,
        out: &args.out,
        cache: !args.no_cache,
        command,
    };
    let output = run(request, &Bars)?;
    for (vendor, counts) in &output.cache {
        eprintln!("{}", reports::text::cache_line(vendor, counts));
    }
    for line in reports::text::timing_lines(&output.timings) {
        eprintln!("{line}");
    }
    for (vendor, fault) in &output.search_faults {
        eprintln!("warning: {vendor}: {fault}");
    }
    println!("{}", reports::summary::markdown(&output.results));
    println!("outputs written to {}", args.out.display());
    Ok(())
}
