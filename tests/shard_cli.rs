//! Sharded runs (docs/scale.md): `verity run --shard I/N` parts merged by `verity merge`
//! give the outputs of the unsharded run byte for byte (timing.json, wall-clock times,
//! aside), for 1, 2, 3 and 7 shards; parts that do not belong together are refused with
//! exit 2 naming the part and what differs, and nothing is written; a shard run again
//! takes its templates from its own cache; the Kubernetes example's shard arithmetic
//! (JOB_COMPLETION_INDEX, 0-based) gives the same run.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn verity(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verity")).args(args).current_dir(dir).output().unwrap()
}

/// The small benchmark and its vendor in `dir`.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    let bench = dir.join("bench");
    let spec = fixture("small/population.toml");
    let o = verity(&["simulate", "--spec", spec.to_str().unwrap(), "--out", bench.to_str().unwrap()], dir);
    assert!(o.status.success(), "{}", text(&o));
    let vendor = dir.join("vendor.toml");
    std::fs::copy(fixture("small/vendor.toml"), &vendor).unwrap();
    (bench, vendor)
}

const OPTIONS: [&str; 4] = ["--bootstrap-replicates", "50", "--thresholds", "0.58,0.6,0.62"];

fn run(dir: &Path, out: &str, shard: Option<&str>) -> Output {
    let mut args = vec!["run", "bench", "--vendor", "vendor.toml", "--out", out];
    args.extend(OPTIONS);
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    verity(&args, dir)
}

/// Every file of an output folder but the template cache, by path relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap() == ".verity-cache" {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// `merged` holds the same files as `whole`, byte for byte, but timing.json (wall-clock).
fn assert_same_outputs(whole: &Path, merged: &Path) {
    let names = files(whole);
    assert_eq!(names, files(merged), "the same files");
    assert!(names.iter().any(|n| n == Path::new("results.json")));
    for name in names.iter().filter(|n| *n != Path::new("timing.json")) {
        let (a, b) = (std::fs::read(whole.join(name)).unwrap(), std::fs::read(merged.join(name)).unwrap());
        assert!(a == b, "{} differs between the unsharded run and the merge", name.display());
    }
}

#[test]
fn merged_parts_write_the_unsharded_runs_outputs_for_1_2_3_and_7_shards() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = run(d, "whole", None);
    assert!(o.status.success(), "{}", text(&o));
    for n in [1usize, 2, 3, 7] {
        let mut parts = Vec::new();
        for i in 1..=n {
            let part = format!("n{n}-part{i}");
            let o = run(d, &part, Some(&format!("{i}/{n}")));
            assert!(o.status.success(), "{}", text(&o));
            assert!(!d.join(&part).join("results.json").exists(), "a shard writes no results");
            parts.push(part);
        }
        // Parts in any order.
        parts.reverse();
        let out = format!("merged-{n}");
        let mut args = vec!["merge"];
        args.extend(parts.iter().map(String::as_str));
        args.extend(["--out", &out]);
        let o = verity(&args, d);
        assert!(o.status.success(), "{}", text(&o));
        // Every template came from the parts.
        assert!(text(&o).contains("0 made"), "{}", text(&o));
        assert_same_outputs(&d.join("whole"), &d.join(&out));
    }
    // A shard run again (as after a kill) takes every template from its cache.
    let again = run(d, "n3-part2", Some("2/3"));
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("(0 made, 320 from the cache)"), "{}", text(&again));
}

#[test]
fn parts_that_do_not_belong_together_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    for spec in ["0/3", "4/3", "a/b", "3", "1/0"] {
        let o = run(d, "bad", Some(spec));
        assert_eq!(o.status.code(), Some(2), "{spec}: {}", text(&o));
        assert!(text(&o).contains(&format!("{spec:?}")) && text(&o).contains("1 <= I <= N"), "{}", text(&o));
        assert!(!d.join("bad").exists(), "{spec}: nothing written");
    }
    for (part, spec) in [("p1", "1/3"), ("p2", "2/3"), ("p3", "3/3"), ("q2", "2/2")] {
        assert!(run(d, part, Some(spec)).status.success());
    }
    // Another run's part: other thresholds.
    let mut args = vec!["run", "bench", "--vendor", "vendor.toml", "--out", "other3"];
    args.extend(["--bootstrap-replicates", "50", "--thresholds", "0.5,0.6", "--shard", "3/3"]);
    assert!(verity(&args, d).status.success());
    let mut stale = std::fs::read_to_string(d.join("p3/shard.json")).unwrap();
    stale = stale
        .replace(&format!("\"verity_version\": \"{}\"", env!("CARGO_PKG_VERSION")), "\"verity_version\": \"0.0.1\"");
    std::fs::create_dir_all(d.join("old3")).unwrap();
    std::fs::write(d.join("old3/shard.json"), stale).unwrap();
    // A manifest naming a shard that cannot be; parts made on another benchmark content.
    let bad_index = std::fs::read_to_string(d.join("p1/shard.json")).unwrap().replace("\"index\": 1", "\"index\": 9");
    std::fs::create_dir_all(d.join("nine")).unwrap();
    std::fs::write(d.join("nine/shard.json"), bad_index).unwrap();
    for k in 1..=3 {
        let text = std::fs::read_to_string(d.join(format!("p{k}/shard.json"))).unwrap();
        let hash = text.split("\"benchmark\": \"").nth(1).unwrap().split('"').next().unwrap().to_string();
        std::fs::create_dir_all(d.join(format!("moved{k}"))).unwrap();
        std::fs::write(d.join(format!("moved{k}/shard.json")), text.replace(&hash, &"0".repeat(64))).unwrap();
    }
    let cases: [(&[&str], &str); 9] = [
        (&["p1", "p2", "nine"], "nine/shard.json: shard 9/3 is not a shard"),
        (&["moved1", "moved2", "moved3"], "the benchmark has changed since the shards were made"),
        (&["p1", "p2"], "shards missing: 3/3"),
        (&["p1", "p2", "p3", "p3"], "shard 3/3 is given twice"),
        (&["p1", "p2", "q2"], "its shard count is 2, there 3"),
        (&["p1", "p2", "other3"], "other3: not a part of the same run as p1: its command is"),
        (&["p1", "p2", "old3"], "old3: written by verity 0.0.1"),
        (&["p1", "p2", "bench"], "bench: no readable shard.json"),
        (&["p1", "p2", "p3", "--out", "p1"], "is one of the parts"),
    ];
    for (parts, says) in cases {
        let mut args = vec!["merge"];
        args.extend(parts);
        if !parts.contains(&"--out") {
            args.extend(["--out", "merged"]);
        }
        let o = verity(&args, d);
        assert_eq!(o.status.code(), Some(2), "{parts:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{parts:?}: wanted {says:?} in {}", text(&o));
        assert!(!d.join("merged").exists(), "{parts:?}: nothing written");
    }
}

/// The shard and merge commands of examples/kubernetes/, run by `sh` with
/// JOB_COMPLETION_INDEX 0..N-1 as the Indexed Job sets it, give the unsharded run.
#[test]
fn kubernetes_indexed_job_commands_shard_and_merge_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = verity(&["run", "bench", "--vendor", "vendor.toml", "--out", "whole", "--bootstrap-replicates", "50"], d);
    assert!(o.status.success(), "{}", text(&o));
    // `verity` on the PATH, as in the image.
    let bin = d.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_verity"), bin.join("verity")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let command_of = |file: &str| -> String {
        let yaml =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes").join(file))
                .unwrap();
        let line = yaml.lines().find(|l| l.trim_start().starts_with("- exec verity")).unwrap();
        line.trim_start().trim_start_matches("- ").to_string()
    };
    let sh = |command: &str, env: &[(&str, String)]| -> Output {
        let mut c = Command::new("sh");
        c.args(["-c", command]).current_dir(d).env("PATH", &path);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let base = [
        ("BENCH", d.join("bench").display().to_string()),
        ("VENDOR", d.join("vendor.toml").display().to_string()),
        ("PARTS", d.join("parts").display().to_string()),
        ("OUT", d.join("merged").display().to_string()),
        ("SHARDS", "3".to_string()),
        ("VERITY_OPTIONS", "--bootstrap-replicates 50".to_string()),
    ];
    for index in 0..3 {
        let mut env = base.to_vec();
        env.push(("JOB_COMPLETION_INDEX", index.to_string()));
        let o = sh(&command_of("shards.yaml"), &env);
        assert!(o.status.success(), "{}", text(&o));
        let manifest = std::fs::read_to_string(d.join(format!("parts/part-{}/shard.json", index + 1))).unwrap();
        assert!(manifest.contains(&format!("\"index\": {},\n    \"count\": 3", index + 1)), "{manifest}");
    }
    let o = sh(&command_of("merge.yaml"), &base);
    assert!(o.status.success(), "{}", text(&o));
    let whole = std::fs::read(d.join("whole/results.json")).unwrap();
    let merged = std::fs::read(d.join("merged/results.json")).unwrap();
    assert!(whole == merged, "results.json differs");
}
