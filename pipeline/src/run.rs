//! `verity run` as a library call: every vendor of [`Sources`] on the benchmark, each
//! with its template cache (`OUT/.verity-cache/`, docs/runner.md), a broken vendor
//! stopping the run without deleting what it finished, every vendor analysed, and the
//! output folder written with `timing.json` in one commit.

use crate::Error;
use crate::sources::{Source, Sources};
use crate::write::{TIMING, check_vendor_names, results, timing_json, write_outputs};
use harness::model::analysis::AnalysisConfig;
use harness::model::benchmark::Benchmark;
use harness::model::results::Results;
use harness::run::cache::{DirStore, TemplateStore};
use harness::run::progress::{Progress, stage};
use harness::run::runner::{CacheCounts, VendorRun};
use harness::run::timing::VendorTiming;
use std::collections::BTreeMap;
use std::path::Path;

/// The folder inside the output folder that holds the template cache, one sub-folder per
/// vendor identity.
pub const CACHE_DIR: &str = ".verity-cache";

/// What to run and where to write it.
pub struct RunRequest<'a> {
    pub bench: &'a Benchmark,
    /// The benchmark's folder, as the provenance names it (relative to `out`).
    pub bench_path: &'a Path,
    pub sources: Sources,
    pub config: AnalysisConfig,
    pub out: &'a Path,
    /// Keep and reuse templates in `OUT/.verity-cache/`.
    pub cache: bool,
    /// The command that reproduces the run, its paths relative to `out`.
    pub command: String,
}

/// What a run produced, beside the files it wrote.
pub struct RunOutput {
    pub results: Results,
    pub timings: Vec<VendorTiming>,
    /// Per vendor run on media: its name and how many templates came from the cache.
    pub cache: Vec<(String, CacheCounts)>,
    /// Galleries a vendor's own search could not enrol: (vendor, what happened).
    pub search_faults: Vec<(String, String)>,
}

/// Run every vendor, analyse, write the output folder.
pub fn run(request: RunRequest, progress: &dyn Progress) -> Result<RunOutput, Error> {
    let RunRequest { bench, bench_path, sources, config, out, cache, command } = request;
    let mut inputs = BTreeMap::new();
    inputs.insert(format!("benchmark:{}", crate::provenance::input_name(bench_path, out)), bench.content_hash.clone());
    inputs.extend(sources.inputs);
    let mut runs: Vec<VendorRun> = Vec::new();
    let mut counts = Vec::new();
    for source in sources.list {
        match source {
            Source::Scores { run, .. } => runs.push(*run),
            Source::Run { vendor, identity, .. } => {
                let store = if cache { Some(DirStore::open(&out.join(CACHE_DIR), &identity)?) } else { None };
                let run = harness::run::runner::run_vendor_with(
                    bench,
                    vendor.as_ref(),
                    progress,
                    store.as_ref().map(|s| s as &dyn TemplateStore),
                )?;
                // A vendor that declared itself broken (docs/process-protocol.md) ends the
                // run. Its cache stays: the runner kept only blocks made while it was
                // healthy, and finished work is never deleted.
                if let Some(message) = vendor.fatal() {
                    return Err(Error::Failure(format!("the run was stopped: {message}")));
                }
                counts.push((run.description.name.clone(), run.cache));
                runs.push(run);
            }
        }
    }
    check_vendor_names(&runs)?;
    let timings = runs
        .iter()
        .map(|r| harness::run::timing::vendor_timing(bench, r, &config.subject_groupings_only().groupings))
        .collect::<Result<Vec<_>, _>>()?;
    let timing = timing_json(&timings)?;
    let provenance = crate::provenance::provenance(command, BTreeMap::new(), inputs);
    let results = stage(progress, "analysing and writing", || -> Result<Results, Error> {
        let results = results(bench, &runs, config, provenance)?;
        write_outputs(out, bench, &runs, &results, &[(TIMING, &timing)])?;
        Ok(results)
    })?;
    let search_faults =
        runs.iter().flat_map(|r| r.search_faults.iter().map(|f| (r.description.name.clone(), f.clone()))).collect();
    Ok(RunOutput { results, timings, cache: counts, search_faults })
}
