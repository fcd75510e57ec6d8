//! `verity run BENCH --vendor CONFIG... --out DIR`: run vendors on a benchmark, analyse, write.
//!
//! Templates are cached in `DIR/.verity-cache/` (docs/runner.md): a run that was killed
//! and started again with the same arguments takes up where it stopped.

use super::common::{
    AnalysisOptions, check_grid_in_range, input_name, check_vendor_names, print_vendor_timing, provenance, sha256_file, stage, vendor_inputs, write_run,
    timing_json, TIMING,
};
use crate::error::{CliError, CliResult};
use crate::progress::Bars;
use harness::run::cache::DirStore;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The folder inside `--out` that holds the template cache, one sub-folder per vendor fingerprint.
pub const CACHE_DIR: &str = ".verity-cache";

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
    let bench = stage("loading the benchmark", || super::load_benchmark(&args.benchmark))?;
    let config = args.analysis.config(&bench.population)?;
    let mut inputs = BTreeMap::new();
    inputs.insert(format!("benchmark:{}", input_name(&args.benchmark, &args.out)), bench.content_hash.clone());
    let mut vendors = Vec::new();
    // Precomputed scores (`kind = "scores"`), by their place among the vendors.
    let mut scored = BTreeMap::new();
    for path in &args.vendors {
        if vendors::scores::is_scores_config(path).map_err(|e| CliError::BadInput(e.to_string()))? {
            let run = vendors::scores::load_run(path, &bench).map_err(|e| CliError::BadInput(e.to_string()))?;
            check_grid_in_range(&args.analysis.thresholds, &config.thresholds, &run.description)?;
            inputs.insert(format!("vendor:{}", input_name(path, &args.out)), sha256_file(path)?);
            scored.insert(vendors.len() + scored.len(), run);
            continue;
        }
        let vendor = vendors::load_vendor(path).map_err(|e| CliError::BadInput(e.to_string()))?;
        check_grid_in_range(&args.analysis.thresholds, &config.thresholds, &vendor.describe())?;
        // The model and library files the config points to too: a changed model file
        // changes the provenance even when the config text did not change.
        let declared = vendor_inputs(path, vendor.as_ref(), &args.out)?;
        // The cache is keyed by the fingerprint and by the model files' hashes too, so a
        // model file replaced under an unchanged config never reuses stale templates.
        let mut identity = vendor.fingerprint();
        for (name, hash) in declared.iter().filter(|(name, _)| name.starts_with("vendor-file:")) {
            identity.push_str(&format!("\n{name} {hash}"));
        }
        inputs.extend(declared);
        vendors.push((vendor, identity));
    }
    let mut runs = Vec::new();
    for (vendor, identity) in &vendors {
        while let Some(run) = scored.remove(&runs.len()) {
            runs.push(run);
        }
        let store = if args.no_cache {
            None
        } else {
            let root = args.out.join(CACHE_DIR);
            Some(DirStore::open(&root, identity).map_err(|e| CliError::Failure(e.to_string()))?)
        };
        let run = harness::run::runner::run_vendor_with(
            &bench,
            vendor.as_ref(),
            &Bars,
            store.as_ref().map(|s| s as &dyn harness::run::cache::TemplateStore),
        )
        .map_err(|e| CliError::Failure(e.to_string()))?;
        // A vendor that declared itself broken (docs/process-protocol.md) ends the run.
        // Its cache stays: the runner kept only blocks made while it was healthy, and
        // finished work is never deleted (a rerun takes them up and is judged on them).
        if let Some(message) = vendor.fatal() {
            return Err(CliError::Failure(format!("the run was stopped: {message}")));
        }
        let c = run.cache;
        eprintln!(
            "{}: templates: {} from cache, {} made{}",
            run.description.name,
            reports::format::count(c.from_cache),
            reports::format::count(c.made),
            if c.damaged_blocks > 0 {
                format!(" ({} damaged cache blocks ignored)", reports::format::count(c.damaged_blocks))
            } else {
                String::new()
            }
        );
        runs.push(run);
    }
    runs.extend(scored.into_values());
    check_vendor_names(&runs)?;
    let timings = runs
        .iter()
        .map(|r| harness::run::timing::vendor_timing(&bench, r, &config.groupings))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::BadInput(e.to_string()))?;
    print_vendor_timing(&timings);
    let timing = timing_json(&timings)?;
    let results = stage("analysing and writing", || {
        write_run(&bench, &runs, config, provenance(inputs, BTreeMap::new(), &args.out), &args.out, &[(TIMING, &timing)])
    })?;
    println!("{}", reports::summary::markdown(&results));
    println!("outputs written to {}", args.out.display());
    Ok(())
}
