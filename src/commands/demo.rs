//! `verity demo`: a synthetic benchmark, three simulated vendors with different
//! differential profiles, every output, and a per-group table at threshold 0.6.
//! It needs nothing but the binary: the population and vendor configs are built in
//! (they are the files under `examples/demo/`).

use super::common::{AnalysisOptions, check_vendor_names, print_timings, provenance, stage, write_run};
use crate::error::{CliError, CliResult};
use crate::progress::Bars;
use harness::model::analysis::{Metric, ProtocolAnalysis, RateRow};
use harness::model::query::RateQuery;
use harness::model::thresholds::OperatingPoint;
use harness::model::results::Results;
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
/// The threshold of the printed table: NPL's operating threshold.
const HEADLINE: f64 = 0.6;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder: the benchmark, the vendor configs and every result go here.
    #[arg(long, default_value = "verity-demo")]
    pub out: PathBuf,
}

fn write_text(path: &Path, text: &str) -> Result<(), CliError> {
    reports::atomic::write_bytes(path, text.as_bytes()).map_err(|e| CliError::Failure(e.to_string()))
}

pub fn execute(args: Args) -> CliResult {
    let out = &args.out;
    let failure = |e: String| CliError::Failure(e);
    std::fs::create_dir_all(out.join("vendors")).map_err(|e| failure(format!("{}: {e}", out.display())))?;

    // The benchmark: generated from the built-in spec, written (replacing the folder an
    // earlier demo wrote), then loaded back so that the demo runs on exactly what
    // `verity validate` accepts.
    let spec_path = out.join("population.toml");
    write_text(&spec_path, POPULATION)?;
    let spec = datasets::synthetic::parse_spec(POPULATION, &spec_path).map_err(|e| failure(e.to_string()))?;
    let bench_dir = out.join("benchmark");
    let generated = stage("generating the benchmark", || datasets::synthetic::generate(&spec))
        .map_err(|e| failure(e.to_string()))?;
    stage("writing the benchmark", || datasets::write_benchmark(&generated, &spec.population.description, &bench_dir))
        .map_err(|e| failure(e.to_string()))?;
    let bench = stage("loading the benchmark", || super::load_benchmark(&bench_dir))?;

    let mut inputs = BTreeMap::new();
    inputs.insert(format!("benchmark:{}", super::common::input_name(&bench_dir, out)), bench.content_hash.clone());
    let mut vendor_paths = Vec::new();
    let mut vendors = Vec::new();
    for (name, text) in VENDORS {
        let path = out.join("vendors").join(name);
        write_text(&path, text)?;
        vendors.push(vendors::vendor_from_toml(text, &path).map_err(|e| failure(e.to_string()))?);
        inputs.insert(format!("vendor:{}", super::common::input_name(&path, out)), super::common::sha256_file(&path)?);
        vendor_paths.push(path);
    }

    let runs: Vec<_> = vendors.iter().map(|v| harness::run::runner::run_vendor(&bench, v.as_ref(), &Bars)).collect();
    check_vendor_names(&runs)?;
    print_timings(&runs);
    // The command line's own defaults (the demo's grid is the default grid), so the two
    // can never drift apart.
    let options = AnalysisOptions::defaults();
    let config = options.config(&bench.population)?;
    // The command that reproduces these results from the files the demo wrote, run from
    // inside the output folder like every recorded command.
    let mut reproduce = format!("verity run {}", super::common::input_name(&bench_dir, out));
    for p in &vendor_paths {
        reproduce.push_str(&format!(" --vendor {}", super::common::input_name(p, out)));
    }
    reproduce.push_str(&format!(" --out . --thresholds {}", options.thresholds));
    let mut prov = provenance(inputs, BTreeMap::from([("population".to_string(), spec.population.seed)]), out);
    prov.command = reproduce;
    let results = stage("analysing and writing", || write_run(&bench, &runs, config, prov, out, &[]))?;
    let report_options = reports::report::ReportOptions {
        grouping: None,
        threshold: None,
        see_also: vec![
            "compare.html (the vendors side by side)".into(),
            "scorecard.html (the procurement scorecard)".into(),
        ],
    };
    stage("writing the report", || reports::report::write_report(out, &results, &report_options))
        .map_err(|e| failure(e.to_string()))?;
    // The three vendors side by side, with paired tests on the same searches.
    let run = reports::compare::load_run(out).map_err(|e| failure(e.to_string()))?;
    let note = format!("Groups of the paired tests: the subjects of benchmark {}.", bench_dir.display());
    let comparison = stage("comparing the vendors", || {
        reports::compare::compare(vec![run], None, Some(&bench.population), vec![note])
    })
    .map_err(|e| failure(e.to_string()))?;
    reports::compare::write_comparison(out, &comparison).map_err(|e| failure(e.to_string()))?;
    let rubric_path = out.join("rubric.toml");
    write_text(&rubric_path, RUBRIC)?;
    let rubric = reports::scorecard::Rubric::parse(RUBRIC, &rubric_path).map_err(|e| failure(e.to_string()))?;
    let run_label = out.display().to_string();
    let card =
        reports::scorecard::score(&rubric, &[(run_label.as_str(), &results)]).map_err(|e| failure(e.to_string()))?;
    let sources = vec![reports::json::digest(&results).map_err(|e| failure(e.to_string()))?];
    stage("writing the scorecard", || reports::scorecard::write_scorecard(out, &card, sources))
        .map_err(|e| failure(e.to_string()))?;
    print!("{}", headline_table(&results));
    print!(
        "\nScorecard ({}, rubric {}):\n{}",
        rubric.name,
        rubric_path.display(),
        reports::scorecard::ranking_text(&card)
    );
    println!(
        "\nEverything is in {}: report.html (the full report; report.md is the same as Markdown), annex.md (DPIA/PSED statements), compare.html (the vendors side by side, paired tests), scorecard.html (rubric.toml applied), summary.md, results.json, rates.csv/.parquet, comparisons.csv (tests between groups), summary_measures.csv, raw/.",
        out.display()
    );
    Ok(())
}

fn find<'a>(p: &'a ProtocolAnalysis, metric: Metric, grouping: &str, group: &str) -> Option<&'a RateRow> {
    let q = RateQuery::metric(metric).at(&OperatingPoint::Grid).threshold(HEADLINE);
    p.rate(&q.grouping(grouping).group(group))
}

fn cell(r: Option<&RateRow>) -> String {
    r.map_or_else(|| "not computed".into(), |r| reports::format::rate_cell(r.rate, None))
}

/// Watchlist TPIR and FPIR per ethnicity (and overall) at 0.6, per vendor.
fn headline_table(results: &Results) -> String {
    let mut s = format!(
        "\nWatchlist at threshold {HEADLINE} (TPIR: passes that alert for the right person; FPIR: crowd faces that raise any alert)\n"
    );
    let grouping = results
        .benchmark
        .subjects_per_group
        .keys()
        .find(|k| *k == "ethnicity")
        .cloned()
        .or_else(|| results.benchmark.subjects_per_group.keys().next().cloned())
        .unwrap_or_default();
    let mut groups: Vec<(String, String)> = vec![("all".into(), "all".into())];
    if let Some(g) = results.benchmark.subjects_per_group.get(&grouping) {
        groups.extend(g.keys().map(|k| (grouping.clone(), k.clone())));
    }
    for v in &results.vendors {
        let Some(p) = v.protocols.iter().find(|p| p.kind == harness::model::benchmark::ProtocolKind::Watchlist) else {
            continue;
        };
        s.push_str(&format!(
            "\n{} ({})\n  {:<10} {:>28} {:>28} {:>12}\n",
            v.vendor.name, v.vendor.version, "group", "TPIR", "FPIR", "1 in X"
        ));
        for (grouping, group) in &groups {
            let fpir = find(p, Metric::Fpir, grouping, group);
            let one_in = fpir.map_or_else(|| "not computed".into(), |r| reports::format::one_in(r.rate));
            s.push_str(&format!(
                "  {:<10} {:>28} {:>28} {:>12}\n",
                group,
                cell(find(p, Metric::Tpir, grouping, group)),
                cell(fpir),
                one_in
            ));
        }
    }
    s
}
