//! `verity validate` on the committed corpus: the tiny fixture passes, every case under
//! tests/broken fails with exit status 2 and names its problem, and nothing is written.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn validate(dir: &Path, json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_verity"));
    cmd.arg("validate").arg(dir);
    if json {
        cmd.arg("--json");
    }
    cmd.output().expect("run verity")
}

#[test]
fn tiny_fixture_validates() {
    let dir = tests_dir().join("fixtures/tiny");
    let before = tree(&dir);
    let out = validate(&dir, false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("ok: tiny v1, 8 subjects, 24 samples, 3 protocols, hash "), "{stdout}");
    let hash = stdout.trim().rsplit(' ').next().unwrap_or_default();
    assert_eq!(hash.len(), 64, "{stdout}");
    assert_eq!(tree(&dir), before, "validate wrote into the benchmark folder");
}

#[test]
fn tiny_fixture_json() {
    let out = validate(&tests_dir().join("fixtures/tiny"), true);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], true);
    assert_eq!(v["subjects"], 8);
    assert_eq!(v["samples"], 24);
    assert_eq!(v["protocols"], 3);
}

#[test]
fn every_broken_case_fails_with_its_problems() {
    let broken = tests_dir().join("broken");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&broken)
        .expect("tests/broken")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "only {} broken cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let expected = std::fs::read_to_string(case.join("expected.txt")).expect("expected.txt");
        let before = tree(case);
        let out = validate(case, false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            failures.push(format!("{name}: exit status {:?}, stderr:\n{stderr}", out.status.code()));
        }
        for want in expected.lines().filter(|l| !l.trim().is_empty()) {
            if !stderr.contains(want) {
                failures.push(format!("{name}: missing {want:?} in:\n{stderr}"));
            }
        }
        if !out.stdout.is_empty() {
            failures.push(format!("{name}: printed on stdout: {}", String::from_utf8_lossy(&out.stdout)));
        }
        if tree(case) != before {
            failures.push(format!("{name}: the case folder changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn problems_are_one_a_line_after_a_count() {
    let out = validate(&tests_dir().join("broken/many-problems"), false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("error: 3 problems in "), "{stderr}");
    assert_eq!(lines.len(), 4, "{stderr}");
}

#[test]
fn broken_json_lists_every_problem() {
    let out = validate(&tests_dir().join("broken/many-problems"), true);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], false);
    let problems = v["problems"].as_array().expect("problems array");
    assert_eq!(problems.len(), 3);
    assert_eq!(problems[0]["file"], "subjects.csv");
    assert_eq!(problems[0]["line"], 4);
    assert_eq!(problems[0]["column"], "ethnicity");
    assert_eq!(problems[0]["value"], "");
}

#[test]
fn a_missing_folder_is_bad_input() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = validate(&dir.path().join("nowhere"), false);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("benchmark.toml: file not found"));
}

#[test]
fn frames_are_counted_as_tracks_and_videos() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&tests_dir().join("fixtures/tiny"), dir.path());
    let samples = std::fs::read_to_string(dir.path().join("samples.csv")).unwrap();
    let mut lines: Vec<String> = samples.lines().map(str::to_string).collect();
    lines[0].push_str(",video,track,frame_time");
    for line in lines.iter_mut().skip(1) {
        let extra = match line.split(',').next().unwrap() {
            "s01-2" => "cam1,t1,0.0",
            "s01-3" => "cam1,t1,0.04",
            "s02-2" => "cam1,t2,0.0",
            "s03-2" => "cam2,t3,9.5",
            _ => ",,",
        };
        line.push(',');
        line.push_str(extra);
    }
    std::fs::write(dir.path().join("samples.csv"), lines.join("\n") + "\n").unwrap();
    let out = validate(dir.path(), false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("ok: tiny v1, 8 subjects, 24 samples, 3 tracks in 2 videos, 3 protocols, hash "),
        "{stdout}"
    );
    let v: serde_json::Value = serde_json::from_slice(&validate(dir.path(), true).stdout).unwrap();
    assert_eq!((v["tracks"].as_u64(), v["videos"].as_u64()), (Some(3), Some(2)));
}
