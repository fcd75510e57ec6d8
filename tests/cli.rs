//! End-to-end tests of the command line: simulate -> validate -> run -> outputs, and
//! analyse on hand-made score files.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, s, simulate_small, text, tree, verity, write};

use std::path::Path;

#[test]
fn simulate_validate_run_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let o = verity(&["validate", bench.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("160 subjects"), "{}", text(&o));

    let out = dir.path().join("out");
    let vendor = fixture("small/vendor.toml");
    let args = ["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    for f in [
        "results.json",
        "rates.csv",
        "rates.parquet",
        "calibrations.csv",
        "eer.csv",
        "cross_group_fmr.csv",
        "summary.md",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    for f in [
        "verification.scores.parquet",
        "identification.candidates.parquet",
        "watchlist.candidates.parquet",
        "failures.parquet",
    ] {
        assert!(out.join("raw/small-vendor").join(f).is_file(), "missing raw/small-vendor/{f}");
    }
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["benchmark"]["subjects"], 160);
    assert_eq!(results["vendors"][0]["vendor"]["name"], "small-vendor");
    // The rates table has the documented columns, a row per group at every grid threshold.
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let header = rates.lines().next().unwrap();
    assert!(header.starts_with("vendor,protocol,kind,metric,gallery_size,rank,threshold,operating_point,grouping,group,numerator,denominator,rate"), "{header}");
    for t in ["0.56", "0.58", "0.6", "0.62", "0.64"] {
        let needle = format!(",fpir,40,,{t},grid,ethnicity,a,");
        assert!(rates.contains(&needle), "no FPIR row for ethnicity a at {t}");
    }

    // Template sizes per group are in results.json (32-d embeddings: 128 bytes each).
    let per_group = results["vendors"][0]["timing"]["template_bytes_per_group"].as_array().unwrap();
    let all = per_group.iter().find(|g| g["grouping"] == "all").unwrap();
    assert_eq!(all["bytes_mean"], 128.0);
    assert!(per_group.iter().any(|g| g["grouping"] == "sex" && g["group"] == "F" && g["bytes_mean"] == 128.0));
    let planned = results["vendors"][0]["timing"]["templates"].as_u64().unwrap();
    assert_eq!(all["templates"], planned);
    // Times are in timing.json, not results.json.
    let timing: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("timing.json")).unwrap()).unwrap();
    let t = &timing["vendors"][0]["templates"];
    assert_eq!(t["planned"], planned);
    assert_eq!(t["made"], planned);
    assert!(t["seconds"]["median"].as_f64().unwrap() > 0.0);
    assert!(t["seconds"]["p95"].as_f64().unwrap() >= t["seconds"]["median"].as_f64().unwrap());
    assert!(t["seconds_per_group"].as_array().unwrap().iter().any(|g| g["grouping"] == "ethnicity"));
    assert!(!std::fs::read_to_string(out.join("results.json")).unwrap().contains("seconds"));

    // The same inputs give a byte-identical results.json, the second time from the cache.
    let first = std::fs::read(out.join("results.json")).unwrap();
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    let counter = format!("small-vendor: templates: {planned} from cache 0 made");
    assert!(text(&o).replace(',', "").contains(&counter), "{}", text(&o));
    assert_eq!(first, std::fs::read(out.join("results.json")).unwrap());
}

#[test]
fn run_refuses_a_bad_vendor_config_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let vendor = dir.path().join("bad.toml");
    std::fs::write(&vendor, "kind = \"simulated\"\nname = \"x\"\nversion = \"1\"\ndim = \"many\"\nseed = 1\n").unwrap();
    let out = dir.path().join("out");
    let o =
        verity(&["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("bad.toml"), "{}", text(&o));
    assert!(text(&o).contains("dim"), "{}", text(&o));
    assert!(!out.exists());
}

#[test]
fn bad_threshold_grid_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let vendor = fixture("small/vendor.toml");
    let out = dir.path().join("out");
    let o = verity(&[
        "run",
        bench.to_str().unwrap(),
        "--vendor",
        vendor.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--thresholds",
        "0.6:0.5:0.01",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--thresholds"), "{}", text(&o));
    assert!(!out.exists());
}

fn rate_row<'a>(csv: &'a str, prefix: &str) -> Vec<&'a str> {
    csv.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no row {prefix}\n{csv}")).split(',').collect()
}

#[test]
fn analyse_hand_computed_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subjects = write(d, "subjects.csv", "subject_id,sex\na,F\nb,F\nc,M\nd,M\n");
    // Mated: a 0.7, b 0.6 (tie: match), c failed (empty score), d 0.5.
    // Non-mated: a-b 0.6 (tie: false match), c-d 0.2, a-c 0.9 (cross-group).
    let scores = write(
        d,
        "scores.csv",
        "probe_subject,reference_subject,score\na,a,0.7\nb,b,0.6\nc,c,\nd,d,0.5\na,b,0.6\nc,d,0.2\na,c,0.9\n",
    );
    let out = d.join("out");
    let o = verity(&[
        "analyse",
        "--subjects",
        subjects.to_str().unwrap(),
        "--verification",
        scores.to_str().unwrap(),
        "--thresholds",
        "0.6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let fmr_all = rate_row(&rates, "scores,verification,verification,fmr,,,0.6,grid,all,all,");
    assert_eq!(&fmr_all[10..12], &["2", "3"]);
    let fnmr_m = rate_row(&rates, "scores,verification,verification,fnmr,,,0.6,grid,sex,M,");
    assert_eq!(&fnmr_m[10..12], &["2", "2"]);
    let fmr_f = rate_row(&rates, "scores,verification,verification,fmr,,,0.6,grid,sex,F,");
    assert_eq!(&fmr_f[10..12], &["1", "1"]);
}

#[test]
fn analyse_bad_input_names_file_line_column_value() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subjects = write(d, "subjects.csv", "subject_id,sex\na,F\nb,M\n");
    let scores = write(d, "scores.csv", "probe_subject,reference_subject,score\na,a,0.7\nb,zz,0.1\na,b,nan\n");
    let out = d.join("out");
    let o = verity(&[
        "analyse",
        "--subjects",
        subjects.to_str().unwrap(),
        "--verification",
        scores.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("scores.csv:3: column reference_subject: value \"zz\": unknown subject"), "{t}");
    assert!(t.contains("scores.csv:4: column score: value \"nan\": score is not a finite number"), "{t}");
    assert!(!out.exists());
}

#[test]
fn analyse_identification_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subjects = write(d, "subjects.csv", "subject_id,sex\na,F\nb,F\nc,M\nd,M\n");
    let gallery = write(d, "gallery.csv", "subject_id\na\nc\n");
    let searches = write(d, "searches.csv", "search_id,search_subject\ns1,a\ns2,c\ns3,b\ns4,d\n");
    // s1: mate at rank 1 (0.8). s2: mate at rank 2 (0.7) -> a miss at rank 1.
    // s3, s4 non-mated: s3 tops at 0.65 (an alert at 0.6), s4 at 0.3.
    let candidates = write(
        d,
        "candidates.csv",
        "search_id,rank,candidate_subject,score\ns1,1,a,0.8\ns1,2,c,0.1\ns2,1,a,0.75\ns2,2,c,0.7\ns3,1,a,0.65\ns4,1,c,0.3\n",
    );
    let out = d.join("out");
    let o = verity(&[
        "analyse",
        "--subjects",
        subjects.to_str().unwrap(),
        "--searches",
        searches.to_str().unwrap(),
        "--gallery",
        gallery.to_str().unwrap(),
        "--candidates",
        candidates.to_str().unwrap(),
        "--thresholds",
        "0.6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let fnir1 = rate_row(&rates, "scores,identification,identification,fnir,2,1,0.6,grid,all,all,");
    assert_eq!(&fnir1[10..12], &["1", "2"]);
    let fnir2 = rate_row(&rates, "scores,identification,identification,fnir,2,2,0.6,grid,all,all,");
    assert_eq!(&fnir2[10..12], &["0", "2"]);
    let fpir = rate_row(&rates, "scores,identification,identification,fpir,2,,0.6,grid,sex,F,");
    assert_eq!(&fpir[10..12], &["1", "1"]);
}

/// The raw scores a run writes, analysed again with `verity analyse`, give the same
/// FMR and FNMR rows: the Parquet round trip and the two entry points agree.
#[test]
fn analyse_of_a_runs_raw_scores_reproduces_its_rates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tiny = fixture("tiny");
    let vendor = write(d, "emb.toml", "kind = \"embedded\"\nname = \"emb\"\nversion = \"1\"\n");
    let run_out = d.join("run");
    let o = verity(&[
        "run",
        tiny.to_str().unwrap(),
        "--vendor",
        vendor.to_str().unwrap(),
        "--out",
        run_out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let scores = run_out.join("raw/emb/verification.scores.parquet");
    let again = d.join("again");
    let o = verity(&[
        "analyse",
        "--subjects",
        tiny.join("subjects.csv").to_str().unwrap(),
        "--verification",
        scores.to_str().unwrap(),
        "--vendor",
        "emb",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let rows = |dir: &Path| -> Vec<String> {
        std::fs::read_to_string(dir.join("rates.csv"))
            .unwrap()
            .lines()
            .filter(|l| {
                l.starts_with("emb,verification,verification,fmr,")
                    || l.starts_with("emb,verification,verification,fnmr,")
            })
            .filter(|l| l.contains(",grid,"))
            .map(str::to_string)
            .collect()
    };
    let (first, second) = (rows(&run_out), rows(&again));
    assert!(first.len() >= 5 * 2 * 9, "{}", first.len());
    assert_eq!(first, second);
}

/// Trials past `--memory-trials` go to a temporary file and are read back chunk by
/// chunk: every output is the same as with every trial in memory (the command line,
/// which names the option, aside), for CSV and Parquet input, with the bootstrap on.
#[test]
fn analyse_with_trials_spilled_to_a_file_writes_the_same_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut subjects = String::from("subject_id,sex\n");
    let mut scores = String::from("probe_subject,reference_subject,score\n");
    for i in 0..40 {
        subjects.push_str(&format!("p{i},{}\n", if i % 3 == 0 { "F" } else { "M" }));
    }
    for i in 0..40u32 {
        for j in 0..40u32 {
            let x = f64::from((i * 7919 + j * 104_729) % 1000) / 1000.0;
            let score = if i == j {
                format!("{}", 0.4 + 0.6 * x)
            } else if (i + j) % 97 == 5 {
                String::new()
            } else {
                format!("{}", 0.7 * x)
            };
            scores.push_str(&format!("p{i},p{j},{score}\n"));
        }
    }
    let subjects = write(d, "subjects.csv", &subjects);
    let scores = write(d, "scores.csv", &scores);
    let analyse = |out: &str, extra: &[&str]| {
        let out = d.join(out);
        let mut args = vec![
            "analyse",
            "--subjects",
            s(&subjects),
            "--verification",
            s(&scores),
            "--bootstrap-replicates",
            "200",
            "--out",
            s(&out),
        ];
        args.extend_from_slice(extra);
        let o = verity(&args);
        assert!(o.status.success(), "{}", text(&o));
        let mut files: std::collections::BTreeMap<_, _> =
            tree(&out).into_iter().map(|(p, b)| (p.strip_prefix(&out).unwrap().to_path_buf(), b)).collect();
        let json = String::from_utf8(files.remove(Path::new("results.json")).unwrap()).unwrap();
        let json: Vec<&str> = json.lines().filter(|l| !l.trim_start().starts_with("\"command\"")).collect();
        (json.join("\n"), files)
    };
    let (memory_json, memory_files) = analyse("memory", &[]);
    let (spilled_json, spilled_files) = analyse("spilled", &["--memory-trials", "7"]);
    assert!(memory_json.contains("\"fnmr\""), "{memory_json}");
    assert_eq!(memory_json, spilled_json);
    assert_eq!(memory_files.keys().collect::<Vec<_>>(), spilled_files.keys().collect::<Vec<_>>());
    for (name, bytes) in &memory_files {
        // It records the hash of results.json, whose command line differs.
        if name == Path::new(".verity-outputs.json") {
            continue;
        }
        let other = &spilled_files[name];
        if name == Path::new("summary.md") {
            let without = |b: &[u8]| -> String {
                String::from_utf8_lossy(b).lines().filter(|l| !l.starts_with("verity analyse")).collect()
            };
            assert_eq!(without(bytes), without(other));
            continue;
        }
        assert!(other == bytes, "{} differs", name.display());
    }
}

/// A temporary file that cannot be made (no such TMPDIR) is the machine's failure, not
/// bad input: exit 1, the file named, nothing written.
#[test]
fn analyse_without_room_for_spilled_trials_fails_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let subjects = write(d, "subjects.csv", "subject_id,sex\na,F\nb,M\n");
    let scores = write(d, "scores.csv", "probe_subject,reference_subject,score\na,a,0.7\nb,b,0.6\na,b,0.2\n");
    let out = d.join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_verity"))
        .args(["analyse", "--subjects", s(&subjects), "--verification", s(&scores), "--memory-trials", "1"])
        .args(["--out", s(&out)])
        .env("TMPDIR", d.join("no-such-folder"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("scores.csv: cannot hold the trials in a temporary file"), "{t}");
    assert!(!out.exists());
}

/// `examples/voice-scores`: speaker-verification scores (log-likelihood ratios, not
/// similarities) through the same per-group analysis. Each rate is checked against a
/// count made here from the example's own files, at threshold 0 and at -1.
#[test]
fn voice_scores_example_is_analysed_per_group() {
    let example = common::root().join("examples/voice-scores");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = verity(&[
        "analyse",
        "--subjects",
        s(&example.join("subjects.csv")),
        "--verification",
        s(&example.join("scores.csv")),
        "--vendor",
        "example-speaker-verifier",
        "--thresholds=-2:2:1",
        "--bootstrap-replicates",
        "50",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // The groups of each speaker, and every trial, read independently of verity.
    let subjects = std::fs::read_to_string(example.join("subjects.csv")).unwrap();
    let group: std::collections::HashMap<&str, (&str, &str)> = subjects
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], (f[1], f[2]))
        })
        .collect();
    let scores = std::fs::read_to_string(example.join("scores.csv")).unwrap();
    let trials: Vec<(&str, &str, f64)> = scores
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[1], f[2].parse().unwrap())
        })
        .collect();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let rates = results["vendors"][0]["protocols"][0]["rates"].as_array().unwrap();
    let verity_count = |metric: &str, grouping: &str, g: &str, t: f64| -> (u64, u64) {
        let r = rates
            .iter()
            .find(|r| {
                r["metric"] == metric
                    && r["grouping"] == grouping
                    && r["group"] == g
                    && r["threshold"].as_f64() == Some(t)
                    && r["operating_point"] == "grid"
            })
            .unwrap_or_else(|| panic!("no {metric} {grouping}={g} at {t}"));
        assert!(!r["bootstrap"].is_null(), "a speaker-bootstrap interval");
        (r["rate"]["numerator"].as_u64().unwrap(), r["rate"]["denominator"].as_u64().unwrap())
    };
    let of = |s: &str, accent: bool| if accent { group[s].1 } else { group[s].0 };
    for t in [0.0, -1.0] {
        for (grouping, accent, g) in
            [("sex", false, "F"), ("sex", false, "M"), ("accent", true, "west"), ("accent", true, "north")]
        {
            let mated: Vec<f64> = trials.iter().filter(|x| x.0 == x.1 && of(x.0, accent) == g).map(|x| x.2).collect();
            let non_mated: Vec<f64> = trials
                .iter()
                .filter(|x| x.0 != x.1 && of(x.0, accent) == g && of(x.1, accent) == g)
                .map(|x| x.2)
                .collect();
            let rejected = mated.iter().filter(|&&s| s < t).count() as u64;
            let accepted = non_mated.iter().filter(|&&s| s >= t).count() as u64;
            assert_eq!(verity_count("fnmr", grouping, g, t), (rejected, mated.len() as u64), "FNMR {g} at {t}");
            assert_eq!(verity_count("fmr", grouping, g, t), (accepted, non_mated.len() as u64), "FMR {g} at {t}");
        }
    }
    // The planted differential: west speakers are falsely rejected significantly more.
    let comparisons = results["vendors"][0]["protocols"][0]["comparisons"].as_array().unwrap();
    let fnmr_accent = comparisons
        .iter()
        .find(|c| c["metric"] == "fnmr" && c["grouping"] == "accent" && c["threshold"].as_f64() == Some(0.0))
        .unwrap();
    let west = fnmr_accent["groups"].as_array().unwrap().iter().find(|g| g["group"] == "west").unwrap();
    assert!(west["verdict"].as_str().unwrap().starts_with("significantly higher"), "{west}");
}
