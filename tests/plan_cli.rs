//! End-to-end tests of `verity plan` and `verity project`: hand-made results.json files
//! with hand-computed answers, a real simulated run, and bad input (exit status 2).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{text, verity};

use std::path::{Path, PathBuf};
use std::process::Output;

use harness::analysis::planning::{SampleSizeRequest, trials_per_group};
use harness::model::analysis::{AnalysisConfig, Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::rate::Rate;
use harness::model::results::{BenchmarkInfo, Provenance, RESULTS_SCHEMA_VERSION, Results, VendorResults};
use harness::stats::{Alternative, minimum_detectable_ratio};
use harness::vendor::{TemplateFormat, VendorDescription};
use serde_json::{Value, json};

fn stdout_json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn row(metric: Metric, gallery: Option<u64>, threshold: f64, group: &str, k: u64, n: u64) -> RateRow {
    RateRow {
        metric,
        gallery_size: gallery,
        rank: None,
        threshold: Some(threshold),
        operating_point: harness::model::thresholds::OperatingPoint::Grid,
        grouping: if group == "all" { "all" } else { "ethnicity" }.into(),
        group: group.into(),
        rate: Rate::new(k, n),
        interval: None,
        upper_bound: None,
        lower_bound: None,
        bootstrap: None,
    }
}

fn protocol(name: &str, kind: ProtocolKind, rates: Vec<RateRow>) -> ProtocolAnalysis {
    ProtocolAnalysis { rates, ..ProtocolAnalysis::new(name, kind, Vec::new(), Vec::new()) }
}

/// A results.json with a watchlist (FPIR at N = 100, threshold 0.6) and a verification
/// protocol (FMR at threshold 0.6), written through the results model so that it is a
/// results.json every command reads.
fn hand_made(dir: &Path) -> PathBuf {
    let results = Results {
        schema_version: RESULTS_SCHEMA_VERSION.into(),
        benchmark: BenchmarkInfo {
            name: "hand-made".into(),
            version: "1".into(),
            licence: "CC0-1.0".into(),
            content_hash: "0".into(),
            subjects: 0,
            samples: 0,
            label_provenance: Default::default(),
            subjects_per_group: Default::default(),
        },
        config: AnalysisConfig::with_thresholds(vec![0.6], Vec::new()),
        trial_lists: Vec::new(),
        vendors: vec![VendorResults {
            vendor: VendorDescription {
                name: "acme".into(),
                version: "1".into(),
                score_min: 0.0,
                score_max: 1.0,
                score_meaning: "similarity".into(),
                thresholds: Vec::new(),
                template: TemplateFormat::Opaque,
            },
            fingerprint: String::new(),
            template_rates: Vec::new(),
            failures: Vec::new(),
            timing: Default::default(),
            protocols: vec![
                protocol(
                    "watchlist",
                    ProtocolKind::Watchlist,
                    vec![
                        row(Metric::Fpir, Some(100), 0.6, "a", 2, 1000),
                        row(Metric::Fpir, Some(100), 0.6, "b", 0, 500),
                        row(Metric::Fpir, Some(100), 0.6, "c", 5, 1000),
                        row(Metric::Fpir, Some(100), 0.6, "all", 7, 2500),
                        row(Metric::Fnir, Some(100), 0.6, "a", 9, 100),
                    ],
                ),
                protocol(
                    "one-to-one",
                    ProtocolKind::Verification,
                    vec![
                        row(Metric::Fmr, None, 0.6, "a", 10, 400),
                        row(Metric::Fmr, None, 0.6, "b", 20, 400),
                        row(Metric::Fmr, None, 0.6, "z", 0, 0),
                    ],
                ),
            ],
        }],
        provenance: Provenance {
            verity_version: "0".into(),
            command: String::new(),
            seeds: Default::default(),
            inputs: Default::default(),
        },
    };
    let path = dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    path
}

fn project_args<'a>(results: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "project",
        "--results",
        results,
        "--vendor",
        "acme",
        "--protocol",
        "watchlist",
        "--threshold",
        "0.6",
        "--grouping",
        "ethnicity",
        "--faces",
        "10000",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn plan_sample_size_matches_the_library() {
    let o = verity(&["plan", "--rate", "0.05", "--ratio", "3", "--one-sided", "--json"]);
    let v = stdout_json(&o);
    let mut req = SampleSizeRequest::new(0.05, 3.0, 0.05, 0.8);
    req.alternative = Alternative::Greater;
    let want = trials_per_group(&req).unwrap();
    assert_eq!(v["trials_per_group"].as_u64(), Some(want.trials_per_group));
    assert_eq!(v["method"]["kind"], "exact");
    assert_eq!(v["alternative"], "one-sided (greater)");

    let o = verity(&["plan", "--rate", "0.05", "--ratio", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("trials per group:") && t.contains("two-sided") && t.contains("Fisher"), "{t}");
}

#[test]
fn plan_results_gives_minimum_detectable_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let results = hand_made(dir.path());
    let o = verity(&["plan", "--results", results.to_str().unwrap(), "--protocol", "one-to-one", "--json"]);
    let v = stdout_json(&o);
    let tables = v.as_array().unwrap();
    assert_eq!(tables.len(), 1);
    let d = &tables[0]["detectability"];
    assert_eq!(tables[0]["metric"], "fmr");
    assert_eq!(d["reference"], "a");
    assert_eq!(d["base_rate"], 0.025);
    assert_eq!(d["excluded_groups"], json!(["z"]));
    let want = minimum_detectable_ratio(0.025, 400, 400, 0.05, 0.8, Alternative::TwoSided).unwrap();
    assert_eq!(d["groups"][1]["minimum_detectable_ratio"].as_f64(), want.ratio);

    // The watchlist's reference (b) has no false alerts: the pooled rate 7/2500 is the base.
    let o = verity(&["plan", "--results", results.to_str().unwrap(), "--protocol", "watchlist"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("acme / watchlist / fpir N=100 at threshold 0.6"), "{t}");
    assert!(t.contains("pooled rate of all groups (7 of 2500)"), "{t}");
    assert!(t.contains("reference group"), "{t}");
}

#[test]
fn project_hand_computed() {
    let dir = tempfile::tempdir().unwrap();
    let results = hand_made(dir.path());
    let r = results.to_str().unwrap();
    let o = verity(&project_args(r, &["--crowd", "a=0.5,b=0.3,c=0.2", "--json"]));
    let v = stdout_json(&o);
    let p = &v["projection"];
    // a: 10000·0.5·2/1000 = 10; b: 0; c: 10000·0.2·5/1000 = 10.
    let close = |x: &Value, y: f64| (x.as_f64().unwrap() - y).abs() < 1e-9;
    assert!(close(&p["groups"][0]["expected_false_alerts"], 10.0));
    assert!(close(&p["groups"][1]["expected_false_alerts"], 0.0));
    assert!(close(&p["overall"]["expected_false_alerts"], 20.0));
    assert_eq!(p["overall"]["one_in"]["text"], "1 in 500");
    assert!(p["groups"][1]["one_in"]["text"].as_str().unwrap().starts_with("none expected"));
    assert_eq!(p["groups"][1]["one_in"]["x"], Value::Null);
    assert!(p["overall"]["low"].as_f64().unwrap() < 20.0 && p["overall"]["high"].as_f64().unwrap() > 20.0);
    assert_eq!(p["extrapolation"], Value::Null);
    assert_eq!(v["gallery_size"], 100);

    let o = verity(&project_args(r, &["--crowd", "a=0.5,b=0.3,c=0.2", "--watchlist-size", "1000"]));
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("extrapolation, not a measurement"), "{t}");
    assert!(t.contains("watchlist of 1000 (FPIR measured at 100; extrapolated)"), "{t}");
}

#[test]
fn bad_input_names_the_option_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let results = hand_made(dir.path());
    let r = results.to_str().unwrap();
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, "{\n  \"vendors\": [,\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["plan", "--rate", "0.01", "--ratio", "0.5"], "--ratio 0.5"),
        (vec!["plan", "--rate", "1.5", "--ratio", "2"], "--rate 1.5"),
        (vec!["plan", "--rate", "0.01", "--ratio", "2", "--alpha", "0"], "--alpha 0"),
        (vec!["plan", "--rate", "0.4", "--ratio", "3"], "would not be below 1"),
        (vec!["plan", "--results", "/nonexistent/results.json"], "--results /nonexistent/results.json"),
        (vec!["plan", "--results", bad_json.to_str().unwrap()], ":2:"),
        (project_args(r, &["--crowd", "a=0.5,b=0.3"]), "sum to 0.8"),
        (project_args(r, &["--crowd", "a=0.5,q=0.5"]), "crowd group 'q'"),
        (project_args(r, &["--crowd", "a=half"]), "--crowd \"a=half\""),
        (project_args(r, &["--crowd", "a=1", "--confidence", "95"]), "--confidence 95"),
        (project_args(r, &["--crowd", "a=1", "--gallery-size", "7"]), "--gallery-size 7"),
    ];
    for (args, needle) in cases {
        let o = verity(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: wanted {needle:?} in {}", text(&o));
    }
    // A threshold not evaluated lists those that were.
    let mut args = project_args(r, &["--crowd", "a=1"]);
    args[8] = "0.7";
    let o = verity(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--threshold 0.7: not evaluated in the run (thresholds: 0.6)"), "{}", text(&o));
}

#[test]
fn plan_and_project_on_a_simulated_run() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    let bench = dir.path().join("bench");
    let out = dir.path().join("out");
    let spec = fixtures.join("population.toml");
    let o = verity(&["simulate", "--spec", spec.to_str().unwrap(), "--out", bench.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let vendor = fixtures.join("vendor.toml");
    let o =
        verity(&["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let results = out.join("results.json");
    let r = results.to_str().unwrap();

    let v = stdout_json(&verity(&["plan", "--results", r, "--grouping", "ethnicity", "--json"]));
    let tables = v.as_array().unwrap();
    assert!(tables.iter().any(|t| t["metric"] == "fmr") && tables.iter().any(|t| t["metric"] == "fpir"));
    for t in tables {
        assert_eq!(t["grouping"], "ethnicity");
        let d = &t["detectability"];
        for g in d["groups"].as_array().unwrap() {
            // Each group has either a ratio above 1 or a note saying why not.
            let ratio = g["minimum_detectable_ratio"].as_f64();
            assert!(ratio.is_some_and(|x| x > 1.0) || g["note"].is_string(), "{g}");
        }
    }

    let v = stdout_json(&verity(&[
        "project",
        "--results",
        r,
        "--vendor",
        "small-vendor",
        "--protocol",
        "watchlist",
        "--threshold",
        "0.6",
        "--grouping",
        "ethnicity",
        "--crowd",
        "a=0.4,b=0.6",
        "--faces",
        "10000",
        "--json",
    ]));
    let p = &v["projection"];
    let sum: f64 = p["groups"].as_array().unwrap().iter().map(|g| g["expected_false_alerts"].as_f64().unwrap()).sum();
    assert!((sum - p["overall"]["expected_false_alerts"].as_f64().unwrap()).abs() < 1e-9);
}
