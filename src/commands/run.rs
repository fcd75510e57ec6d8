//! `verity run BENCH --vendor CONFIG... --out DIR`: run vendors on a benchmark, analyse, write.

use super::common::{AnalysisOptions, check_vendor_names, print_timings, provenance, sha256_file, stage, write_run};
use crate::error::{CliError, CliResult};
use crate::progress::Bars;
use std::collections::BTreeMap;
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
    #[command(flatten)]
    pub analysis: AnalysisOptions,
}

pub fn execute(args: Args) -> CliResult {
    let bench = stage("loading the benchmark", || super::load_benchmark(&args.benchmark))?;
    let config = args.analysis.config(&bench.population)?;
    let mut inputs = BTreeMap::new();
    inputs.insert(format!("benchmark:{}", args.benchmark.display()), bench.content_hash.clone());
    let mut vendors = Vec::new();
    for path in &args.vendors {
        let vendor = vendors::load_vendor(path).map_err(|e| CliError::BadInput(e.to_string()))?;
        inputs.insert(format!("vendor:{}", path.display()), sha256_file(path)?);
        vendors.push(vendor);
    }
    let runs: Vec<_> = vendors.iter().map(|v| harness::runner::run_vendor(&bench, v.as_ref(), &Bars)).collect();
    check_vendor_names(&runs)?;
    print_timings(&runs);
    let results = stage("analysing and writing", || {
        write_run(&bench, &runs, config, provenance(inputs, BTreeMap::new()), &args.out)
    })?;
    println!("{}", reports::summary::markdown(&results));
    println!("outputs written to {}", args.out.display());
    Ok(())
}
