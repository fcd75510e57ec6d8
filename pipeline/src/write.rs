//! From vendor runs to the output folder: every vendor analysed, the results assembled,
//! raw ids restored for the raw outputs, and the whole folder written through `reports`
//! in one commit (docs/results.md).

use crate::Error;
use harness::model::analysis::AnalysisConfig;
use harness::model::benchmark::{Benchmark, Protocol};
use harness::model::results::{BenchmarkInfo, Provenance, RESULTS_SCHEMA_VERSION, Results};
use harness::run::runner::{ProtocolTrials, VendorRun};
use harness::run::timing::VendorTiming;
use reports::output::raw::FailureRecord;
use reports::output::{RawProtocolOutputs, RawVendorOutputs};
use std::path::Path;

/// The file beside `results.json` that holds wall-clock times (docs/results.md).
pub const TIMING: &str = "timing.json";

/// Analyse every vendor run and assemble the results.
pub fn results(
    bench: &Benchmark,
    runs: &[VendorRun],
    config: AnalysisConfig,
    provenance: Provenance,
) -> Result<Results, Error> {
    let mut vendors = Vec::new();
    for run in runs {
        let mut v = harness::analysis::vendor_results::evaluate(bench, run, &config)?;
        v.timing.template_bytes_per_group = harness::run::timing::template_bytes_per_group(
            run,
            &bench.population,
            &config.subject_groupings_only().groupings,
        )?;
        vendors.push(v);
    }
    Ok(Results {
        schema_version: RESULTS_SCHEMA_VERSION.to_string(),
        benchmark: BenchmarkInfo::of(bench),
        config,
        trial_lists: bench.protocols.iter().map(|p| harness::run::plan::trial_list(bench, p)).collect(),
        vendors,
        provenance,
    })
}

/// Write the output folder of `results`: the tables, the raw outputs of every run (ids
/// restored from the benchmark) and `extras` (such as `timing.json`), in one commit.
pub fn write_outputs(
    out: &Path,
    bench: &Benchmark,
    runs: &[VendorRun],
    results: &Results,
    extras: &[(&str, &[u8])],
) -> Result<(), Error> {
    let ids = &bench.samples.ids;
    let subject_ids: Vec<String> = bench.population.subjects.iter().map(|s| s.id.clone()).collect();
    // Sample ids per protocol, shared by every vendor.
    let protocol_ids: Vec<(Vec<String>, Vec<String>)> = bench
        .protocols
        .iter()
        .map(|p| match p {
            Protocol::Verification(v) => (
                v.probe.iter().map(|&s| ids[s as usize].clone()).collect(),
                v.reference.iter().map(|&s| ids[s as usize].clone()).collect(),
            ),
            Protocol::Identification(s) | Protocol::Watchlist(s) => {
                (s.mated.iter().chain(&s.non_mated).map(|&x| ids[x as usize].clone()).collect(), Vec::new())
            }
        })
        .collect();
    let raw_protocols: Vec<Vec<RawProtocolOutputs>> = runs
        .iter()
        .map(|run| {
            bench
                .protocols
                .iter()
                .zip(&run.protocols)
                .zip(&protocol_ids)
                .map(|((p, trials), (first, second))| match trials {
                    ProtocolTrials::Verification(t) => RawProtocolOutputs::Verification {
                        protocol: p.name(),
                        trials: t,
                        probe_ids: first,
                        reference_ids: second,
                    },
                    ProtocolTrials::Search(t) => {
                        RawProtocolOutputs::Search { protocol: p.name(), searches: t, search_ids: first }
                    }
                })
                .collect()
        })
        .collect();
    let failures: Vec<Vec<FailureRecord>> = runs
        .iter()
        .map(|run| {
            run.failures
                .iter()
                .map(|f| FailureRecord {
                    sample: ids[f.sample as usize].clone(),
                    role: f.role,
                    code: f.failure.code,
                    message: f.failure.message.clone(),
                })
                .collect()
        })
        .collect();
    let raw: Vec<RawVendorOutputs> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| RawVendorOutputs {
            vendor: &run.description.name,
            subject_ids: &subject_ids,
            protocols: &raw_protocols[i],
            failures: &failures[i],
        })
        .collect();
    reports::output::write_all(out, results, &raw, extras)
        .map_err(|e| Error::Failure(format!("writing {}: {e}", out.display())))
}

/// Refuse two vendors with one name: their outputs would collide.
pub fn check_vendor_names(runs: &[VendorRun]) -> Result<(), Error> {
    let mut seen = std::collections::BTreeSet::new();
    for r in runs {
        if !seen.insert(r.description.name.as_str()) {
            return Err(Error::BadInput(format!(
                "two vendors are named `{}`; give each vendor config a distinct name",
                r.description.name
            )));
        }
    }
    Ok(())
}

/// The text of `OUT/timing.json`. Times vary from run to run, so they live there and not
/// in `results.json`.
pub fn timing_json(timings: &[VendorTiming]) -> Result<Vec<u8>, Error> {
    #[derive(serde::Serialize)]
    struct TimingFile<'a> {
        timing_version: &'static str,
        note: &'static str,
        vendors: &'a [VendorTiming],
    }
    let file = TimingFile {
        timing_version: "1.0",
        note: "wall-clock seconds; they vary between runs and machines, so they are kept out of results.json",
        vendors: timings,
    };
    let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| Error::Failure(format!("timing.json: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}
