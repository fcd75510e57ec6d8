//! A run survives being killed: `verity run` stopped with SIGKILL at several moments and
//! started again with the same arguments ends with a `results.json` byte-identical to an
//! uninterrupted run's, and makes no finished template again (docs/runner.md).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn verity_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_verity"))
}

/// The small benchmark, and the small vendor slowed to `delay_us` per template so that a
/// kill can land in the middle of the template stage.
fn setup(dir: &Path, delay_us: u64) -> (PathBuf, PathBuf) {
    let bench = dir.join("bench");
    let spec = fixture("small/population.toml");
    let o = verity_command()
        .args(["simulate", "--spec", spec.to_str().unwrap(), "--out", bench.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let config = std::fs::read_to_string(fixture("small/vendor.toml")).unwrap();
    assert!(config.contains("seed = 11\n"));
    let vendor = dir.join("slow-vendor.toml");
    std::fs::write(&vendor, config.replacen("seed = 11\n", &format!("seed = 11\ndelay_us = {delay_us}\n"), 1)).unwrap();
    (bench, vendor)
}

/// The arguments of every run: absolute benchmark and vendor, `--out out` relative to the
/// folder the run starts in, so the recorded command (and so results.json) is the same
/// for runs in different folders.
fn run_args<'a>(bench: &'a Path, vendor: &'a Path) -> Vec<&'a str> {
    vec![
        "run",
        bench.to_str().unwrap(),
        "--vendor",
        vendor.to_str().unwrap(),
        "--out",
        "out",
        "--bootstrap-replicates",
        "50",
        "--thresholds",
        "0.58,0.6,0.62",
    ]
}

/// (from cache, made) as printed: "small-vendor: templates: 1,234 from cache, 56 made".
fn counts(o: &Output) -> (u64, u64) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("small-vendor: templates: "))
        .unwrap_or_else(|| panic!("no template counter in:\n{}", text(o)));
    let n = |s: &str| -> u64 { s.trim().replace(',', "").parse().unwrap_or_else(|_| panic!("bad count in `{line}`")) };
    let rest = line.trim_start_matches("small-vendor: templates: ");
    let (cached, made) = rest.split_once(" from cache, ").unwrap();
    (n(cached), n(made.split(" made").next().unwrap()))
}

fn complete(cwd: &Path, args: &[&str]) -> Output {
    std::fs::create_dir_all(cwd).unwrap();
    let o = verity_command().current_dir(cwd).args(args).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    o
}

fn timing(cwd: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(cwd.join("out/timing.json")).unwrap()).unwrap()
}

fn cache_blocks(cwd: &Path) -> Vec<PathBuf> {
    let root = cwd.join("out/.verity-cache");
    let mut out = Vec::new();
    for vendor in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(vendor.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.file_name().unwrap().to_string_lossy().starts_with("block-") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Start the run in `cwd` once per moment, SIGKILL it that many seconds after its start;
/// the number of cache blocks finished at the end (never fewer after a kill).
fn kill_at(cwd: &Path, args: &[&str], moments: &[f64]) -> usize {
    std::fs::create_dir_all(cwd).unwrap();
    let mut blocks_before = 0;
    for (i, at) in moments.iter().enumerate() {
        let mut child =
            verity_command().current_dir(cwd).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_secs_f64(*at));
        // Child::kill is SIGKILL on Unix: no destructor, no cleanup runs.
        let _ = child.kill();
        child.wait().unwrap();
        if cwd.join("out/.verity-cache").exists() {
            let blocks = cache_blocks(cwd).len();
            assert!(blocks >= blocks_before, "kill {i}: blocks went from {blocks_before} to {blocks}");
            blocks_before = blocks;
        }
    }
    blocks_before
}

/// Start the run in `cwd` once per target, SIGKILL it as soon as the cache holds that
/// many blocks; the number of blocks at the end.
fn kill_after_blocks(cwd: &Path, args: &[&str], targets: &[usize]) -> usize {
    std::fs::create_dir_all(cwd).unwrap();
    let mut blocks = 0;
    for &target in targets {
        let mut child =
            verity_command().current_dir(cwd).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let started = Instant::now();
        loop {
            if cwd.join("out/.verity-cache").exists() && cache_blocks(cwd).len() >= target {
                break;
            }
            assert!(child.try_wait().unwrap().is_none(), "the run ended before {target} blocks were written");
            assert!(started.elapsed() < Duration::from_secs(60), "no {target} blocks after a minute");
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        child.wait().unwrap();
        let now = cache_blocks(cwd).len();
        assert!(now >= blocks.max(target), "blocks went from {blocks} to {now}");
        blocks = now;
    }
    blocks
}

#[test]
fn killed_runs_resume_to_byte_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let (bench, vendor) = setup(dir.path(), 3000);
    let args = run_args(&bench, &vendor);

    // Uninterrupted.
    let fresh = dir.path().join("fresh");
    let started = Instant::now();
    let o = complete(&fresh, &args);
    let fresh_wall = started.elapsed();
    let (cached, total) = counts(&o);
    assert_eq!(cached, 0);
    assert!(total > 500, "{total} templates");
    let expected = std::fs::read(fresh.join("out/results.json")).unwrap();
    // The recorded command is the one given, every option in it, its paths relative to
    // the output folder (run from there, it reproduces the run).
    let results: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    assert_eq!(
        results["provenance"]["command"],
        "verity run ../../bench --vendor ../../slow-vendor.toml --out . --bootstrap-replicates 50 --thresholds 0.58,0.6,0.62"
    );
    let t = timing(&fresh);
    assert_eq!(t["vendors"][0]["templates"]["planned"], total);
    let stage = t["vendors"][0]["templates"]["stage_seconds"].as_f64().unwrap();
    // Each template waited 3 ms: the recorded median creation time shows it.
    let median = t["vendors"][0]["templates"]["seconds"]["median"].as_f64().unwrap();
    assert!(median >= 0.003, "median {median}");

    eprintln!("fresh run: {:.2} s, template stage {stage:.2} s", fresh_wall.as_secs_f64());

    // Killed twice inside the template stage (once 4 blocks were written, then in the
    // resumed run once 12 were), then resumed to the end:
    // part of the templates come from the cache, the rest are made.
    let resumed = dir.path().join("resumed");
    let blocks = kill_after_blocks(&resumed, &args, &[4, 12]);
    assert!(blocks > 0, "no block was finished before the kills");
    let o = complete(&resumed, &args);
    let (cached, made) = counts(&o);
    eprintln!("after kills inside the template stage ({blocks} blocks): {cached} from cache, {made} made of {total}");
    assert_eq!(cached + made, total, "{}", text(&o));
    assert!(cached > 0, "nothing came from the cache after a late kill");
    assert_eq!(std::fs::read(resumed.join("out/results.json")).unwrap(), expected, "resumed results differ");

    // Killed after the templates, while analysing or writing: everything comes from the cache.
    let late = dir.path().join("late");
    let blocks = kill_at(&late, &args, &[fresh_wall.as_secs_f64() * 0.95]);
    let o = complete(&late, &args);
    let (cached, made) = counts(&o);
    eprintln!("after a kill at the end ({blocks} blocks): {cached} from cache, {made} made of {total}");
    assert_eq!(cached + made, total);
    assert_eq!(std::fs::read(late.join("out/results.json")).unwrap(), expected, "resumed results differ");

    // Once finished, nothing is made again.
    let o = complete(&resumed, &args);
    assert_eq!(counts(&o), (total, 0));
    assert_eq!(std::fs::read(resumed.join("out/results.json")).unwrap(), expected);
}

#[test]
fn a_partial_cache_gives_the_results_of_a_fresh_run() {
    let dir = tempfile::tempdir().unwrap();
    let (bench, vendor) = setup(dir.path(), 0);
    let args = run_args(&bench, &vendor);

    let fresh = dir.path().join("fresh");
    let (_, total) = counts(&complete(&fresh, &args));
    let expected = std::fs::read(fresh.join("out/results.json")).unwrap();

    // Lose every other block, and damage one that remains: as a crash mid-write could
    // not (blocks are renamed whole), but a disk could.
    let blocks = cache_blocks(&fresh);
    assert!(blocks.len() >= 4, "{} blocks", blocks.len());
    for b in blocks.iter().step_by(2) {
        std::fs::remove_file(b).unwrap();
    }
    let damaged = &blocks[1];
    let mut bytes = std::fs::read(damaged).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(damaged, &bytes).unwrap();
    let o = complete(&fresh, &args);
    let (cached, made) = counts(&o);
    assert_eq!(cached + made, total);
    assert!(cached > 0 && made > 0, "{cached} from cache, {made} made");
    assert!(text(&o).contains("(1 damaged cache blocks ignored)"), "{}", text(&o));
    assert_eq!(std::fs::read(fresh.join("out/results.json")).unwrap(), expected);

    // Without the cache the results are the same but for the recorded command.
    let plain = dir.path().join("plain");
    let mut no_cache = args.clone();
    no_cache.push("--no-cache");
    let o = complete(&plain, &no_cache);
    assert_eq!(counts(&o), (0, total));
    assert!(!plain.join("out/.verity-cache").exists());
    let read = |p: &Path| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["provenance"]["command"] = serde_json::Value::Null;
        v
    };
    assert_eq!(read(&plain.join("out/results.json")), read(&fresh.join("out/results.json")));
}

/// The exact sequence of the fault report: a run of 66 cache blocks killed after block
/// 40, whose first 20 new calls hold 5 faults. Judged on the new calls alone the fault
/// share is 25%, past `max_failure_share` = 10%, and the stop used to delete the whole
/// cache; judged over every template of the run (the 1,280 cached ones included) it is
/// 0.4%, and the resumed run ends as the uninterrupted run does.
#[test]
fn a_resumed_run_judges_faults_over_the_whole_run_and_never_deletes_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/fixtures/process/faulty_vendor.py");
    let vendor = dir.path().join("marked.toml");
    std::fs::write(
        &vendor,
        format!(
            "kind = \"process\"\ncommand = \"python3\"\nargs = [{:?}, \"--marked\"]\ntimeout_ms = 5000\n\
             processes = 1\nmax_failure_share = 0.1\nmin_calls = 20\nstderr_log = \"marked.stderr.log\"\n",
            script.to_str().unwrap()
        ),
    )
    .unwrap();
    // 2,100 templates: blocks of 32 (2,100 / 64), 66 blocks. Block 41 holds templates
    // 1,280..1,311; five of its first twenty fail.
    let faulty = [1280, 1283, 1287, 1291, 1295];
    let full = common::marked_benchmark(&dir.path().join("bench"), 2100, &faulty);
    // The first 40 blocks exactly: the same templates made by a run of the first 1,280
    // samples (the cache is keyed by media and vendor, not by benchmark), which is the
    // state a kill right after block 40 leaves.
    let prefix = common::marked_benchmark(&dir.path().join("prefix"), 1280, &[]);
    let args = |bench: &Path| -> Vec<String> {
        ["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out", "out"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let run = |cwd: &Path, bench: &Path| -> Output {
        std::fs::create_dir_all(cwd).unwrap();
        verity_command().current_dir(cwd).args(args(bench)).output().unwrap()
    };

    let fresh = dir.path().join("fresh");
    let o = run(&fresh, &full);
    assert!(o.status.success(), "the uninterrupted run succeeds: {}", text(&o));

    let resumed = dir.path().join("resumed");
    let o = run(&resumed, &prefix);
    assert!(o.status.success(), "{}", text(&o));
    let blocks = cache_blocks(&resumed).len();
    assert_eq!(blocks, 40, "the interrupted state: 40 finished blocks");
    let o = run(&resumed, &full);
    assert!(o.status.success(), "the resumed run succeeds as the uninterrupted one did: {}", text(&o));
    assert_eq!(counts_of(&o, "faulty-vendor"), (1280, 820));
    assert_eq!(cache_blocks(&resumed).len(), 66);
    let results = |cwd: &Path| -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(cwd.join("out/results.json")).unwrap()).unwrap();
        v["vendors"].clone()
    };
    assert_eq!(results(&resumed), results(&fresh));

    // A vendor that is broken stops the run, and the cache keeps every block it holds.
    let broken = dir.path().join("broken");
    let many: Vec<usize> = (1280..1700).collect();
    let bad = common::marked_benchmark(&dir.path().join("bad"), 2100, &many);
    let o = run(&broken, &prefix);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&broken, &bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("the run was stopped"), "{}", text(&o));
    assert!(cache_blocks(&broken).len() >= 40, "finished blocks survive a stopped run");
}

/// (from cache, made) as printed for `vendor`.
fn counts_of(o: &Output, vendor: &str) -> (u64, u64) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    let prefix = format!("{vendor}: templates: ");
    let line = stderr.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no counter in:\n{}", text(o)));
    let rest = line.trim_start_matches(&prefix);
    let n = |s: &str| -> u64 { s.trim().replace(',', "").parse().unwrap() };
    let (cached, made) = rest.split_once(" from cache, ").unwrap();
    (n(cached), n(made.split(" made").next().unwrap()))
}
