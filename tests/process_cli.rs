//! End-to-end tests of the `process` adapter (docs/process-protocol.md) and the `scores`
//! adapter (docs/scores-adapter.md) on the small simulated benchmark.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{root, simulate_small, text, verity, write};

use harness::model::benchmark::Benchmark;
use harness::vendor::{FailureCode, Role};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A config for the faulty vendor (tests/fixtures/process/faulty_vendor.py).
fn faulty_config(dir: &Path, extra_args: &str, share: f64) -> PathBuf {
    let script = root().join("tests/fixtures/process/faulty_vendor.py");
    write(
        dir,
        &format!("faulty{}.toml", extra_args.len()),
        &format!(
            "kind = \"process\"\ncommand = \"python3\"\nargs = [{:?}{extra_args}]\ntimeout_ms = 300\n\
             processes = 2\nmax_failure_share = {share}\nstderr_log = \"faulty.stderr.log\"\n",
            script.to_str().unwrap()
        ),
    )
}

/// The fault the faulty vendor injects for these media bytes (its `fault_of`).
fn fault_of(media: &[u8]) -> Option<&'static str> {
    let digest = Sha256::digest(media);
    let v = u16::from_be_bytes([digest[0], digest[1]]) % 1000;
    ["crash", "hang", "invalid-json", "wrong-length", "no-status"]
        .into_iter()
        .enumerate()
        .find_map(|(i, kind)| if (v as usize) < (i + 1) * 4 { Some(kind) } else { None })
}

fn run_args<'a>(bench: &'a Path, vendor: &'a Path, out: &'a Path) -> [&'a str; 7] {
    ["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-cache"]
}

#[test]
fn example_process_vendor_runs_the_small_benchmark_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let vendor = root().join("examples/process-vendor/vendor.toml");
    let out = dir.path().join("out");
    let o = verity(&run_args(&bench, &vendor, &out));
    assert!(o.status.success(), "{}", text(&o));
    let first = std::fs::read(out.join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let v = &results["vendors"][0];
    assert_eq!(v["vendor"]["name"], "example-process-vendor");
    assert_eq!(v["failures"].as_array().map(Vec::len), Some(0), "{}", v["failures"]);
    // Sensible rates: captures of one face score about 0.8, of two faces about 0.
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let overall = |metric: &str| -> f64 {
        let prefix = format!("example-process-vendor,verification,verification,{metric},,,0.6,grid,");
        let row = rates.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {metric} row"));
        row.split(',').nth(12).unwrap().parse().unwrap()
    };
    assert!(overall("fnmr") < 0.05, "FNMR {}", overall("fnmr"));
    assert!(overall("fmr") < 0.01, "FMR {}", overall("fmr"));
    assert!(out.join("raw/example-process-vendor/verification.scores.parquet").is_file());

    let o = verity(&run_args(&bench, &vendor, &out));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(first, std::fs::read(out.join("results.json")).unwrap(), "results.json differs between runs");
}

/// Every planned template whose media the faulty vendor chokes on, with the fault.
fn expected_faults(bench: &Benchmark) -> BTreeMap<(u32, Role), &'static str> {
    harness::run::plan::templates_needed(&bench.protocols)
        .into_iter()
        .filter_map(|(s, role)| {
            let media = bench.samples.media[s as usize].bytes().unwrap();
            fault_of(&media).map(|f| ((s, role), f))
        })
        .collect()
}

#[test]
fn faults_cost_one_template_each_and_are_counted_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = simulate_small(dir.path());
    let bench = datasets::load(&bench_dir).unwrap();
    let config = faulty_config(dir.path(), "", 0.1);
    let expected = expected_faults(&bench);
    let needed = harness::run::plan::templates_needed(&bench.protocols).len();
    for kind in ["crash", "hang", "invalid-json", "wrong-length", "no-status"] {
        assert!(expected.values().any(|k| *k == kind), "the benchmark triggers no `{kind}`");
    }
    assert!(expected.len() * 100 < needed * 4, "{} faults in {needed}", expected.len());

    // In process: the exact calls fail, each with its reason, and nothing else.
    let vendor = vendors::load_vendor(&config).unwrap();
    let run = harness::run::runner::run_vendor(&bench, vendor.as_ref(), &harness::run::progress::Silent);
    assert_eq!(vendor.fatal(), None);
    let found: BTreeMap<(u32, Role), (FailureCode, String)> =
        run.failures.iter().map(|f| ((f.sample, f.role), (f.failure.code, f.failure.message.clone()))).collect();
    assert_eq!(found.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (key, kind) in &expected {
        let (code, message) = &found[key];
        let (want_code, want_text) = match *kind {
            "crash" => (FailureCode::VendorError, "vendor process crashed"),
            "hang" => (FailureCode::VendorError, "did not reply within 300 ms"),
            "invalid-json" => (FailureCode::VendorError, "malformed reply: reply is not JSON"),
            "wrong-length" => (FailureCode::TemplateFormatError, "template has 252 bytes, expected 256"),
            _ => (FailureCode::VendorError, "malformed reply: reply has no `status`"),
        };
        assert_eq!(*code, want_code, "{kind}: {message}");
        assert!(message.contains(want_text), "{kind}: {message}");
    }
    // Every other template was made.
    assert_eq!(run.outcomes.failed.len(), needed);
    assert_eq!(run.outcomes.failed.iter().filter(|f| !**f).count(), needed - expected.len());
    drop(vendor);
    let log = std::fs::read_to_string(dir.path().join("faulty.stderr.log")).unwrap();
    assert!(log.contains("crashing on purpose"), "{log}");

    // Through the command line: the run completes and results.json counts each fault.
    let out = dir.path().join("out");
    let o = verity(&run_args(&bench_dir, &config, &out));
    assert!(o.status.success(), "{}", text(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let mut counted: BTreeMap<(String, String), u64> = BTreeMap::new();
    for f in results["vendors"][0]["failures"].as_array().unwrap() {
        let key = (f["role"].as_str().unwrap().to_string(), f["code"].as_str().unwrap().to_string());
        *counted.entry(key).or_default() += f["count"].as_u64().unwrap();
    }
    let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
    for ((_, role), kind) in &expected {
        let code = if *kind == "wrong-length" { "template-format-error" } else { "vendor-error" };
        *want.entry((role.name().to_string(), code.to_string())).or_default() += 1;
    }
    assert_eq!(counted, want);
    assert!(out.join("raw/faulty-vendor/failures.parquet").is_file());
}

#[test]
fn a_vendor_failing_most_calls_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let config = faulty_config(dir.path(), ", \"--mostly\"", 0.05);
    let out = dir.path().join("out");
    let o = verity(&run_args(&bench, &config, &out));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("the run was stopped: vendor `faulty-vendor` failed"), "{t}");
    assert!(t.contains("more than max_failure_share = 0.05"), "{t}");
    assert!(!out.join("results.json").exists());
}

#[test]
fn a_process_config_naming_no_program_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let config = write(dir.path(), "v.toml", "kind = \"process\"\ncommand = \"./no-such-vendor\"\n");
    let out = dir.path().join("out");
    let o = verity(&run_args(&bench, &config, &out));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("line 2") && text(&o).contains("`command`"), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn a_scores_file_reproduces_the_rates_of_a_run_and_a_wrong_one_names_the_trials() {
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = simulate_small(dir.path());
    let vendor = root().join("tests/fixtures/small/vendor.toml");
    let run_out = dir.path().join("run");
    let o = verity(&run_args(&bench_dir, &vendor, &run_out));
    assert!(o.status.success(), "{}", text(&o));

    let bench = datasets::load(&bench_dir).unwrap();
    let simulated = vendors::load_vendor(&vendor).unwrap();
    let run = harness::run::runner::run_vendor(&bench, simulated.as_ref(), &harness::run::progress::Silent);
    assert!(!run.failures.is_empty(), "the small vendor plants failures to enrol");
    let scores_dir = dir.path().join("scores");
    std::fs::create_dir(&scores_dir).unwrap();
    let scores = common::write_scores(&scores_dir, &bench, &run);
    let again = dir.path().join("again");
    let o = verity(&run_args(&bench_dir, &scores, &again));
    assert!(o.status.success(), "{}", text(&o));
    let rates = |d: &Path| std::fs::read_to_string(d.join("rates.csv")).unwrap();
    assert!(rates(&run_out).lines().count() > 100);
    assert_eq!(rates(&run_out), rates(&again));

    // One planned comparison left out, one that is not planned added.
    let path = scores_dir.join("verification.csv");
    let body = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = body.lines().collect();
    let dropped = lines.remove(1).to_string();
    let first_ids = |line: &str| line.split(',').take(2).map(str::to_string).collect::<Vec<_>>();
    let (probe, reference) = (first_ids(&dropped)[0].clone(), first_ids(&dropped)[1].clone());
    let extra = format!("{reference},{reference},0.5");
    lines.push(&extra);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let bad = dir.path().join("bad");
    let o = verity(&run_args(&bench_dir, &scores, &bad));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!(
            "1 planned comparisons of the published trial list missing: probe `{probe}` reference `{reference}`"
        )),
        "{t}"
    );
    let extra_line = lines.len();
    assert!(t.contains(&format!("verification.csv:{extra_line}: probe `{reference}` reference `{reference}`")), "{t}");
    assert!(!bad.exists(), "nothing is written for bad input");

    // 1:N: every row of one search left out, and a rank outside 1..=L.
    std::fs::write(&path, body).unwrap();
    let path = scores_dir.join("identification.csv");
    let body = std::fs::read_to_string(&path).unwrap();
    let first: Vec<&str> = body.lines().nth(1).unwrap().split(',').collect();
    let (size, search) = (first[0], first[1]);
    let kept: Vec<&str> = body.lines().filter(|l| !l.starts_with(&format!("{size},{search},"))).collect();
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    let o = verity(&run_args(&bench_dir, &scores, &bad));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let want = format!("1 planned searches of the published trial list missing: gallery size {size} search `{search}`");
    assert!(text(&o).contains(&want), "{}", text(&o));
    let mut rows: Vec<String> = body.lines().map(str::to_string).collect();
    let mut cells: Vec<&str> = first.clone();
    cells[2] = "99";
    rows[1] = cells.join(",");
    std::fs::write(&path, rows.join("\n") + "\n").unwrap();
    let o = verity(&run_args(&bench_dir, &scores, &bad));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("identification.csv:2: column rank: value \"99\": not a rank 1..=5"), "{}", text(&o));
    assert!(!bad.exists(), "nothing is written for bad input");
}

/// A vendor that writes megabytes to its standard error on every call leaves a log of
/// bounded size: the first and the last megabyte, and a line saying how much was left out.
#[test]
fn a_noisy_vendor_s_stderr_log_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let bench = common::marked_benchmark(&dir.path().join("bench"), 13, &[]);
    let script = root().join("tests/fixtures/process/faulty_vendor.py");
    let config = write(
        dir.path(),
        "noisy.toml",
        &format!(
            "kind = \"process\"\ncommand = \"python3\"\nargs = [{:?}, \"--marked\", \"--noisy\"]\n\
             stderr_log = \"noisy.stderr.log\"\n",
            script.to_str().unwrap()
        ),
    );
    let out = dir.path().join("out");
    let o = verity(&run_args(&bench, &config, &out));
    assert!(o.status.success(), "{}", text(&o));
    let log = std::fs::read(dir.path().join("noisy.stderr.log")).unwrap();
    // 13 calls of 4 MiB each: 52 MiB written, 2 MiB and a line kept.
    assert!(log.len() <= (2 << 20) + 300, "log of {} bytes", log.len());
    let text = String::from_utf8_lossy(&log);
    assert!(text.starts_with("noise 0 "), "{}", &text[..40]);
    let note = text.lines().find(|l| l.starts_with("[verity: ")).expect("a note of what was left out");
    let left_out: u64 = note["[verity: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert_eq!(left_out + (2 << 20), 13 * (4 << 20), "{note}");
    assert!(text.trim_end().ends_with("end of call 12"), "{}", &text[text.len() - 60..]);
}
