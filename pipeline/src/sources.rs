//! The vendors of a run, loaded and checked before any of them runs: a `scores` config
//! is read against the benchmark's published trial list, any other config is a vendor to
//! run on the media. Each is recorded in the provenance with its files' hashes.

use crate::Error;
use crate::provenance::{input_name, sha256_file, vendor_inputs};
use harness::model::benchmark::{Benchmark, Protocol};
use harness::run::runner::VendorRun;
use harness::vendor::{Vendor, VendorDescription};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One vendor of a run.
pub enum Source {
    /// A vendor to run on the benchmark's media; `identity` keys its template cache (its
    /// fingerprint and the hashes of its model files, so a model replaced under an
    /// unchanged config never reuses stale templates).
    Run { config: PathBuf, vendor: Box<dyn Vendor>, identity: String },
    /// A vendor's own scores for the published trial list (`kind = "scores"`).
    Scores { config: PathBuf, run: Box<VendorRun> },
}

impl Source {
    pub fn description(&self) -> VendorDescription {
        match self {
            Source::Run { vendor, .. } => vendor.describe(),
            Source::Scores { run, .. } => run.description.clone(),
        }
    }
}

/// Every vendor of a run, with what the provenance records of them, and notes for the
/// user (thresholds of the grid outside a vendor's score range).
pub struct Sources {
    pub list: Vec<Source>,
    pub inputs: BTreeMap<String, String>,
    pub notes: Vec<String>,
}

/// Load every vendor config in `configs`, in order. `grid` is the threshold grid (its
/// text as given, for messages); a grid wholly outside a vendor's declared score range is
/// refused. `out` is the output folder provenance names are relative to.
pub fn load(
    configs: &[PathBuf],
    bench: &Benchmark,
    grid_text: &str,
    grid: &[f64],
    out: &Path,
) -> Result<Sources, Error> {
    let mut sources = Sources { list: Vec::new(), inputs: BTreeMap::new(), notes: Vec::new() };
    for path in configs {
        let source = if vendors::scores::is_scores_config(path)? {
            let run = vendors::scores::load_run(path, bench)?;
            sources.inputs.insert(format!("vendor:{}", input_name(path, out)), sha256_file(path)?);
            Source::Scores { config: path.clone(), run: Box::new(run) }
        } else {
            let vendor = vendors::load_vendor(path)?;
            if !vendor.compares()
                && let Some(p) = bench.protocols.iter().find(|p| matches!(p, Protocol::Verification(_)))
            {
                return Err(Error::BadInput(format!(
                    "{}: vendor `{}` has no 1:1 comparison (an FRTE 1:N library), so it cannot run the \
                     verification protocol `{}` of this benchmark; give it a benchmark whose protocols are \
                     identification and watchlist only",
                    path.display(),
                    vendor.describe().name,
                    p.name()
                )));
            }
            let declared = vendor_inputs(path, vendor.as_ref(), out)?;
            let mut identity = vendor.fingerprint();
            for (name, hash) in declared.iter().filter(|(name, _)| name.starts_with("vendor-file:")) {
                identity.push_str(&format!("\n{name} {hash}"));
            }
            sources.inputs.extend(declared);
            Source::Run { config: path.clone(), vendor, identity }
        };
        if let Some(note) = check_grid_in_range(grid_text, grid, &source.description())? {
            sources.notes.push(note);
        }
        sources.list.push(source);
    }
    Ok(sources)
}

/// Refuse a threshold grid that lies wholly outside a vendor's declared score range (it
/// would measure nothing); a note naming the thresholds of a grid partly outside it.
pub fn check_grid_in_range(grid_text: &str, grid: &[f64], vendor: &VendorDescription) -> Result<Option<String>, Error> {
    let (lo, hi) = (vendor.score_min, vendor.score_max);
    let outside: Vec<String> = grid.iter().filter(|t| **t < lo || **t > hi).map(|t| t.to_string()).collect();
    if grid.is_empty() || outside.is_empty() {
        return Ok(None);
    }
    if outside.len() == grid.len() {
        return Err(Error::BadInput(format!(
            "--thresholds {grid_text}: every threshold lies outside vendor `{}`'s score range {lo} to {hi}; \
             give thresholds inside that range",
            vendor.name
        )));
    }
    Ok(Some(format!(
        "--thresholds {grid_text}: {} lie outside vendor `{}`'s score range {lo} to {hi}",
        outside.join(", "),
        vendor.name
    )))
}
