//! End-to-end tests of `verity compare`: two vendors run on the small fixture benchmark
//! and compared (outputs, and a McNemar p-value recomputed here from the raw candidate
//! lists with statrs), and the refusals (different benchmarks, different trial lists,
//! too few vendors, a folder without results.json) that exit 2 and write nothing.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, s, text, verity};

use std::path::{Path, PathBuf};

/// The small fixture population, with another seed where given.
fn simulate(dir: &Path, name: &str, seed: Option<u64>) -> PathBuf {
    let mut spec = fixture("small/population.toml");
    if let Some(seed) = seed {
        let body = std::fs::read_to_string(&spec).unwrap().replace("seed = 7", &format!("seed = {seed}"));
        spec = dir.join(format!("{name}.toml"));
        std::fs::write(&spec, body).unwrap();
    }
    let bench = dir.join(name);
    let o = verity(&["simulate", "--spec", s(&spec), "--out", s(&bench)]);
    assert!(o.status.success(), "{}", text(&o));
    bench
}

/// A second simulated vendor: another seed, noisier captures, a lower declared threshold.
fn vendor_b(dir: &Path) -> PathBuf {
    let body = std::fs::read_to_string(fixture("small/vendor.toml"))
        .unwrap()
        .replace("name = \"small-vendor\"", "name = \"small-vendor-b\"")
        .replace("seed = 11", "seed = 12")
        .replace("noise = 0.6", "noise = 0.75")
        .replace("value = 0.6", "value = 0.58");
    assert!(body.contains("small-vendor-b") && body.contains("0.58"), "fixture vendor changed: {body}");
    let path = dir.join("vendor-b.toml");
    std::fs::write(&path, body).unwrap();
    path
}

fn run(bench: &Path, vendors: &[&Path], out: &Path) {
    let mut args = vec!["run", s(bench)];
    for v in vendors {
        args.extend(["--vendor", s(v)]);
    }
    args.extend(["--out", s(out), "--bootstrap-replicates", "50"]);
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
}

/// Per search: (search id, is mated, the mate is within the list at >= t, any
/// candidate >= t), from a candidates file read back as trials.
fn outcomes(path: &Path, t: f64, subjects: &mut reports::output::raw::SubjectIndex) -> Vec<(String, bool, bool, bool)> {
    let read = reports::output::raw::read_candidates(path, subjects, Some(3)).unwrap();
    assert_eq!(read.searches.len(), 1, "the watchlist has one gallery size");
    let w = &read.searches[0];
    (0..w.len())
        .map(|i| {
            let (who, scores) = w.candidates_of(i);
            let hit = who.iter().zip(scores).any(|(&c, &sc)| c == w.subject[i] && sc >= t);
            let alert = scores.iter().any(|&sc| sc >= t);
            (read.search_ids[w.search[i] as usize].clone(), w.mated[i], hit, alert)
        })
        .collect()
}

/// Two-sided exact McNemar p by statrs' binomial distribution function.
fn mcnemar_by_statrs(b: u64, c: u64) -> f64 {
    use statrs::distribution::{Binomial, DiscreteCDF};
    if b + c == 0 {
        return 1.0;
    }
    (2.0 * Binomial::new(0.5, b + c).unwrap().cdf(b.min(c))).min(1.0)
}

/// As the document prints a p-value.
fn p_text(p: f64) -> String {
    if p >= 0.001 { format!("{p:.3}") } else { format!("{p:.1e}") }
}

#[test]
fn two_vendors_are_compared_with_paired_tests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bench = simulate(d, "bench", None);
    let vendor_a = fixture("small/vendor.toml");
    let vendor_b = vendor_b(d);
    let run_dir = d.join("run");
    run(&bench, &[&vendor_a, &vendor_b], &run_dir);

    let out = d.join("cmp");
    let o = verity(&["compare", s(&run_dir), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for f in ["compare.html", "compare.md", "compare.csv", "compare_paired.csv"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(md.contains("small-vendor") && md.contains("small-vendor-b"));
    // The benchmark recorded in the run was found: the tests are per group.
    assert!(!md.contains("overall only"), "{md}");
    assert!(md.contains("| FPIR | 40 | sex×ethnicity |"), "{md}");
    // The run is named by its path from the comparison's folder, never an absolute path.
    for f in ["compare.html", "compare.md", "compare.csv", "compare_paired.csv"] {
        let body = std::fs::read_to_string(out.join(f)).unwrap();
        if let Some(i) = body.find(s(d)) {
            panic!("{f} holds an absolute path: {}", &body[i.saturating_sub(120)..(i + 80).min(body.len())]);
        }
    }
    assert!(md.contains("| ../run |"), "{md}");

    // Recount the watchlist searches at the declared thresholds from the raw candidate
    // lists, independently of the paired kernel.
    let mut subjects = reports::output::raw::SubjectIndex::growing();
    let raw = run_dir.join("raw");
    let a = outcomes(&raw.join("small-vendor/watchlist.candidates.parquet"), 0.6, &mut subjects);
    let b = outcomes(&raw.join("small-vendor-b/watchlist.candidates.parquet"), 0.58, &mut subjects);
    assert_eq!(a.len(), b.len());
    let (mut miss_a, mut miss_b, mut alert_a, mut alert_b, mut mated) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((&x.0, x.1), (&y.0, y.1), "the two files list the same searches");
        if x.1 {
            mated += 1;
            miss_a += u64::from(!x.2 && y.2);
            miss_b += u64::from(x.2 && !y.2);
        } else {
            alert_a += u64::from(x.3 && !y.3);
            alert_b += u64::from(!x.3 && y.3);
        }
    }
    assert_eq!(mated, 80);
    let p_miss = mcnemar_by_statrs(miss_a, miss_b);
    let (more, fewer, diff) = if miss_b >= miss_a {
        ("small-vendor-b", "small-vendor", miss_b - miss_a)
    } else {
        ("small-vendor", "small-vendor-b", miss_a - miss_b)
    };
    assert!(diff > 0, "the vendors should differ in misses ({miss_a} against {miss_b})");
    let sentence = format!(
        "At their declared thresholds (small-vendor 0.6, small-vendor-b 0.58, gallery of 40), {more} misses {diff} more of 80 passes of watchlist subjects than {fewer} (exact McNemar p = {}).",
        p_text(p_miss)
    );
    assert!(md.contains(&sentence), "{sentence}\n{md}");

    // The paired table in compare_paired.csv has the same counts and p-values.
    let paired = std::fs::read_to_string(out.join("compare_paired.csv")).unwrap();
    let row = |metric: &str| -> Vec<String> {
        let prefix = format!(
            "watchlist,40,{},declared,small-vendor,small-vendor-b,0.6,0.58,{metric},all,all,",
            if metric == "fnir" { "3" } else { "" }
        );
        paired
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no row {prefix}\n{paired}"))
            .split(',')
            .map(str::to_string)
            .collect()
    };
    for (metric, only_a, only_b) in [("fnir", miss_a, miss_b), ("fpir", alert_a, alert_b)] {
        let r = row(metric);
        assert_eq!((r[13].parse::<u64>().unwrap(), r[14].parse::<u64>().unwrap()), (only_a, only_b), "{metric}");
        let (got, want) = (r[18].parse::<f64>().unwrap(), mcnemar_by_statrs(only_a, only_b));
        assert!((got - want).abs() <= 1e-9 * want, "{metric}: p {got} against statrs {want}");
    }

    // compare.csv carries the rates shown, including each vendor's calibrated threshold.
    let rates = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(rates.contains(",watchlist,40,,common,calibrated:fpir=1e-2@N=40,"), "{rates}");
    assert!(rates.contains("small-vendor-b,small-vendor-b,1,"));
}

#[test]
fn runs_on_different_benchmarks_or_trials_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vendor_a = fixture("small/vendor.toml");
    let vendor_b = vendor_b(d);
    let (bench1, bench2) = (simulate(d, "bench1", None), simulate(d, "bench2", Some(8)));
    let (run1, run2) = (d.join("run1"), d.join("run2"));
    run(&bench1, &[&vendor_a], &run1);
    run(&bench2, &[&vendor_b], &run2);
    let results = |r: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(r.join("results.json")).unwrap()).unwrap()
    };
    let hash = |r: &Path| results(r)["benchmark"]["content_hash"].as_str().unwrap().to_string();
    let (h1, h2) = (hash(&run1), hash(&run2));
    assert_ne!(h1, h2);

    let out = d.join("refused");
    let o = verity(&["compare", s(&run1), s(&run2), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    for needle in [h1.as_str(), h2.as_str(), s(&run1), s(&run2)] {
        assert!(err.contains(needle), "`{needle}` not in: {err}");
    }
    assert!(!out.exists(), "nothing may be written on refusal");

    // Same benchmark, but one protocol's trial list differs (results.json edited).
    let run3 = d.join("run3");
    run(&bench1, &[&vendor_b], &run3);
    let mut edited = results(&run3);
    let lists = edited["trial_lists"].as_array_mut().unwrap();
    let watchlist = lists.iter_mut().find(|l| l["protocol"] == "watchlist").unwrap();
    let original = watchlist["hash"].as_str().unwrap().to_string();
    watchlist["hash"] = serde_json::Value::String("0".repeat(64));
    std::fs::write(run3.join("results.json"), serde_json::to_string_pretty(&edited).unwrap()).unwrap();
    let o = verity(&["compare", s(&run1), s(&run3), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    for needle in ["protocol `watchlist`", original.as_str(), &"0".repeat(64), s(&run1), s(&run3)] {
        assert!(err.contains(needle), "`{needle}` not in: {err}");
    }
    assert!(!out.exists());

    // One vendor in all: nothing to compare.
    let o = verity(&["compare", s(&run1), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("at least two vendors"), "{}", text(&o));
    // A folder without results.json is named.
    let o = verity(&["compare", s(&run1), s(d), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(s(&d.join("results.json"))), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn without_the_benchmark_the_tests_are_overall_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bench = simulate(d, "bench", None);
    let run_dir = d.join("run");
    run(&bench, &[&fixture("small/vendor.toml"), &vendor_b(d)], &run_dir);
    std::fs::rename(&bench, d.join("moved")).unwrap();
    let out = d.join("cmp");
    let o = verity(&["compare", s(&run_dir), "--out", s(&out), "--target", "1e-2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(md.contains("Paired tests are overall only"), "{md}");
    assert!(!md.contains("| FPIR | 40 | sex |"));
    // Given explicitly, it is used again.
    let o = verity(&["compare", s(&run_dir), "--out", s(&out), "--benchmark", s(&d.join("moved"))]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(md.contains("| FPIR | 40 | sex |"), "{md}");
    // A target the runs did not calibrate to is bad input.
    let o = verity(&["compare", s(&run_dir), "--out", s(&d.join("x")), "--target", "0.05"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!d.join("x").exists());
}
