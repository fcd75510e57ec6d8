//! `verity demo` as a library call: a synthetic benchmark, three simulated vendors with
//! different differential profiles, and every output (results, report, comparison,
//! scorecard). It needs nothing but the binary: the population, vendor configs and rubric
//! are built in (they are the files under `examples/`).

use crate::Error;
use crate::provenance::{input_name, provenance, sha256_file};
use crate::settings::AnalysisSettings;
use crate::write::{check_vendor_names, results, write_outputs};
use harness::model::results::{Results, Timing};
use harness::run::progress::{Progress, stage};
use reports::scorecard::Scorecard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const POPULATION: &str = include_str!("../../examples/demo/population.toml");
const VENDORS: [(&str, &str); 3] = [
    ("vendor-a.toml", include_str!("../../examples/demo/vendor-a.toml")),
    ("vendor-b.toml", include_str!("../../examples/demo/vendor-b.toml")),
    ("vendor-c.toml", include_str!("../../examples/demo/vendor-c.toml")),
];
/// The example procurement rubric (the Met's 70:30 quality:price weighting).
const RUBRIC: &str = include_str!("../../examples/rubric-70-30.toml");

/// What the demo wrote into its folder, for the command line to summarise.
pub struct DemoOutput {
    pub results: Results,
    pub scorecard: Scorecard,
    pub rubric_name: String,
    pub rubric_path: PathBuf,
    /// Per vendor, its name and how long it took (wall-clock, not in results.json).
    pub timings: Vec<(String, Timing)>,
}

fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    Ok(reports::atomic::write_bytes(path, text.as_bytes())?)
}

/// Build the benchmark, run the vendors and write every output into `out`.
pub fn demo(out: &Path, progress: &dyn Progress) -> Result<DemoOutput, Error> {
    let failure = |e: String| Error::Failure(e);
    std::fs::create_dir_all(out.join("vendors")).map_err(|e| failure(format!("{}: {e}", out.display())))?;

    // The benchmark: generated from the built-in spec, written (replacing the folder an
    // earlier demo wrote), then loaded back so that the demo runs on exactly what
    // `verity validate` accepts.
    let spec_path = out.join("population.toml");
    write_text(&spec_path, POPULATION)?;
    let spec = datasets::synthetic::parse_spec(POPULATION, &spec_path).map_err(|e| failure(e.to_string()))?;
    let bench_dir = out.join("benchmark");
    let generated = stage(progress, "generating the benchmark", || datasets::synthetic::generate(&spec))
        .map_err(|e| failure(e.to_string()))?;
    stage(progress, "writing the benchmark", || {
        datasets::write_benchmark(&generated, &spec.population.description, &bench_dir)
    })
    .map_err(|e| failure(e.to_string()))?;
    let mut bench = stage(progress, "loading the benchmark", || datasets::load(&bench_dir))?;

    let mut inputs = BTreeMap::new();
    inputs.insert(format!("benchmark:{}", input_name(&bench_dir, out)), bench.content_hash.clone());
    let mut vendor_paths = Vec::new();
    let mut vendors = Vec::new();
    for (name, text) in VENDORS {
        let path = out.join("vendors").join(name);
        write_text(&path, text)?;
        vendors.push(vendors::vendor_from_toml(text, &path).map_err(|e| failure(e.to_string()))?);
        inputs.insert(format!("vendor:{}", input_name(&path, out)), sha256_file(&path)?);
        vendor_paths.push(path);
    }

    let runs: Vec<_> = vendors.iter().map(|v| harness::run::runner::run_vendor(&bench, v.as_ref(), progress)).collect();
    check_vendor_names(&runs)?;
    // The command line's own defaults: the demo's grid is the default grid.
    // The demo's planted confound is in face size and lighting: the differentials are
    // adjusted for both, on the log scale (vendor-c's noise is a power of each).
    let settings = AnalysisSettings {
        covariates: vec!["log(face_size)".into(), "log(brightness)".into()],
        ..AnalysisSettings::default()
    };
    let config = settings.config_for(&mut bench)?;
    // The command that reproduces these results from the files the demo wrote, run from
    // inside the output folder like every recorded command.
    let mut reproduce = format!("verity run {}", input_name(&bench_dir, out));
    for p in &vendor_paths {
        reproduce.push_str(&format!(" --vendor {}", input_name(p, out)));
    }
    reproduce.push_str(&format!(" --out . --thresholds {}", settings.thresholds));
    for c in &settings.covariates {
        reproduce.push_str(&format!(" --adjust {c}"));
    }
    let prov = provenance(reproduce, BTreeMap::from([("population".to_string(), spec.population.seed)]), inputs);
    let results = stage(progress, "analysing and writing", || -> Result<Results, Error> {
        let results = results(&bench, &runs, config, prov)?;
        write_outputs(out, &bench, &runs, &results, &[])?;
        Ok(results)
    })?;
    let report_options = reports::report::ReportOptions {
        grouping: None,
        threshold: None,
        see_also: vec![
            "compare.html (the vendors side by side)".into(),
            "scorecard.html (the procurement scorecard)".into(),
        ],
        no_bands: Vec::new(),
    };
    stage(progress, "writing the report", || reports::report::write_report(out, &results, &report_options))?;
    // The three vendors side by side, with paired tests on the same searches.
    // The run, the benchmark and the scorecard's run are named from the output folder
    // (`.` is the folder itself): the documents hold no absolute path.
    let mut run = reports::compare::load_run(out)?;
    run.name = storage::relative::relative_to(out, out);
    let note = format!(
        "Groups of the paired tests: the subjects of the benchmark in the folder {}.",
        storage::relative::relative_to(&bench_dir, out)
    );
    let comparison = stage(progress, "comparing the vendors", || {
        reports::compare::compare(vec![run], None, Some(&bench.population), vec![note])
    })?;
    reports::compare::write_comparison(out, &comparison)?;
    let rubric_path = out.join("rubric.toml");
    write_text(&rubric_path, RUBRIC)?;
    let rubric = reports::scorecard::Rubric::parse(RUBRIC, &rubric_path)?;
    let run_label = storage::relative::relative_to(out, out);
    let mut scorecard = reports::scorecard::score(&rubric, &[(run_label.as_str(), &results)])?;
    scorecard.rubric.path = std::path::PathBuf::from(storage::relative::relative_to(&rubric_path, out));
    let sources = vec![reports::output::json::digest(&results)?];
    stage(progress, "writing the scorecard", || reports::scorecard::write_scorecard(out, &scorecard, sources))?;
    Ok(DemoOutput {
        timings: runs.iter().map(|r| (r.description.name.clone(), r.timing.clone())).collect(),
        results,
        scorecard,
        rubric_name: rubric.name.clone(),
        rubric_path,
    })
}
