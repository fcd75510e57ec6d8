//! End-to-end tests of `verity protocol`: hand-counted trials on a hand-written
//! benchmark, same-group and cross-group pairs, nested galleries, determinism for a seed,
//! and refusals that write nothing.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{text, verity};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Seven subjects, (ethnicity, sex, samples): s0 (a, F, 3), s1 (a, M, 2), s2 (a, F, 1),
/// s3 (b, F, 2), s4 (b, M, 2), s5 (c, F, 3), s6 (c, M, 1), with embedded templates, and one
/// protocol already there (`given`).
const SUBJECTS: [(&str, &str, usize); 7] =
    [("a", "F", 3), ("a", "M", 2), ("a", "F", 1), ("b", "F", 2), ("b", "M", 2), ("c", "F", 3), ("c", "M", 1)];

const MANIFEST: &str = r#"[benchmark]
name = "hand"
version = "1"
licence = "CC0-1.0"

[tables]
subjects = "subjects.csv"
samples = "samples.csv"

[attributes.ethnicity]
provenance = "annotated"
[attributes.sex]
provenance = "self-declared"

[[protocols]]
name = "given"
kind = "verification"
pairs = "given.csv"
"#;

fn hand_made(dir: &Path) -> PathBuf {
    let bench = dir.join("hand");
    std::fs::create_dir_all(&bench).unwrap();
    let mut subjects = String::from("subject_id,ethnicity,sex\n");
    let mut samples = String::from("sample_id,subject_id,template\n");
    for (s, (eth, sex, n)) in SUBJECTS.iter().enumerate() {
        subjects += &format!("s{s},{eth},{sex}\n");
        for j in 0..*n {
            samples += &format!("s{s}-{j},s{s},{s} {j} 1\n");
        }
    }
    std::fs::write(bench.join("subjects.csv"), subjects).unwrap();
    std::fs::write(bench.join("samples.csv"), samples).unwrap();
    std::fs::write(bench.join("given.csv"), "probe_sample,reference_sample\ns0-1,s0-0\n").unwrap();
    std::fs::write(bench.join("benchmark.toml"), MANIFEST).unwrap();
    bench
}

fn read_pairs(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("probe_sample,reference_sample"));
    lines.map(|l| l.split_once(',').map(|(a, b)| (a.to_string(), b.to_string())).unwrap()).collect()
}

fn ethnicity(sample: &str) -> &'static str {
    let s: usize = sample[1..sample.find('-').unwrap()].parse().unwrap();
    SUBJECTS[s].0
}

fn subject(sample: &str) -> &str {
    &sample[..sample.find('-').unwrap()]
}

/// (mated, non-mated) pairs by the probe's ethnicity.
fn by_group(pairs: &[(String, String)]) -> BTreeMap<&'static str, (usize, usize)> {
    let mut out = BTreeMap::new();
    for (p, r) in pairs {
        let e: &mut (usize, usize) = out.entry(ethnicity(p)).or_default();
        if subject(p) == subject(r) { e.0 += 1 } else { e.1 += 1 }
    }
    out
}

fn run_ok(args: &[&str]) -> String {
    let o = verity(args);
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

#[test]
fn same_group_and_cross_group_pairs_match_hand_counts() {
    let dir = tempfile::tempdir().unwrap();
    let bench = hand_made(dir.path());
    let b = bench.to_str().unwrap();
    let out = run_ok(&[
        "protocol",
        b,
        "verification",
        "--name",
        "same",
        "--non-mated",
        "same-group",
        "--grouping",
        "ethnicity",
    ]);
    assert!(out.contains("wrote protocols/same-pairs.csv"), "{out}");
    let same = read_pairs(&bench.join("protocols/same-pairs.csv"));
    // Probes (samples after a subject's first): a 3, b 2, c 2. Same group: a 3 x 2 other
    // subjects, b 2 x 1, c 2 x 1.
    assert_eq!(by_group(&same), BTreeMap::from([("a", (3, 6)), ("b", (2, 2)), ("c", (2, 2))]));
    assert!(same.iter().all(|(p, r)| ethnicity(p) == ethnicity(r)));
    // Mated pairs compare a later sample with the subject's first.
    assert!(same.contains(&("s0-2".to_string(), "s0-0".to_string())));

    run_ok(&[
        "protocol",
        b,
        "verification",
        "--name",
        "cross",
        "--non-mated",
        "cross-group",
        "--grouping",
        "ethnicity",
    ]);
    let cross = read_pairs(&bench.join("protocols/cross-pairs.csv"));
    // a: 3 probes x 4 subjects of b and c; b: 2 x 5; c: 2 x 5.
    assert_eq!(by_group(&cross), BTreeMap::from([("a", (3, 12)), ("b", (2, 10)), ("c", (2, 10))]));
    assert!(cross.iter().all(|(p, r)| subject(p) == subject(r) || ethnicity(p) != ethnicity(r)));

    run_ok(&["protocol", b, "verification", "--name", "all"]);
    assert_eq!(read_pairs(&bench.join("protocols/all-pairs.csv")).len(), 7 + 7 * 6);

    let o = verity(&["validate", b]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("4 protocols"), "{}", text(&o));
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.starts_with(MANIFEST), "the manifest is appended to, never rewritten");
    assert!(manifest.contains("seed 20251123"), "{manifest}");
}

#[test]
fn json_summary_counts_per_group() {
    let dir = tempfile::tempdir().unwrap();
    let bench = hand_made(dir.path());
    let o = verity(&[
        "protocol",
        bench.to_str().unwrap(),
        "verification",
        "--non-mated",
        "same-group",
        "--grouping",
        "sex",
        "--per-probe",
        "1",
        "--seed",
        "3",
        "--json",
        "--dry-run",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["seed"], 3);
    assert!(v["written"].is_null());
    let sex = v["counts"]["groupings"].as_array().unwrap().iter().find(|g| g["grouping"] == "sex").unwrap();
    // Probes by sex: F = s0 2 + s3 1 + s5 2 = 5, M = s1 1 + s4 1 = 2; one same-sex reference each.
    let f = &sex["groups"][0];
    assert_eq!((f["group"].as_str(), f["mated"].as_u64(), f["non_mated"].as_u64()), (Some("F"), Some(5), Some(5)));
    let m = &sex["groups"][1];
    assert_eq!(
        (m["mated"].as_u64(), m["non_mated"].as_u64(), m["non_mated_cross_group"].as_u64()),
        (Some(2), Some(2), Some(0))
    );
    assert!(!bench.join("protocols").exists(), "a dry run writes nothing");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let original = hand_made(dir.path());
    let copies: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("copy{i}"))).collect();
    for (c, seed) in copies.iter().zip(["7", "7", "8"]) {
        copy_dir(&original, c);
        run_ok(&["protocol", c.to_str().unwrap(), "verification", "--per-probe", "2", "--seed", seed]);
        run_ok(&[
            "protocol",
            c.to_str().unwrap(),
            "watchlist",
            "--watchlist-size",
            "2",
            "--passes-per-subject",
            "1",
            "--crowd",
            "5",
            "--candidates",
            "1",
            "--seed",
            seed,
        ]);
    }
    let read = |c: &Path, f: &str| std::fs::read(c.join(f)).unwrap();
    for f in ["protocols/verification-pairs.csv", "protocols/watchlist-crowd.csv", "benchmark.toml"] {
        assert_eq!(read(&copies[0], f), read(&copies[1], f), "{f}");
    }
    assert_ne!(
        read(&copies[0], "protocols/verification-pairs.csv"),
        read(&copies[2], "protocols/verification-pairs.csv")
    );
    let manifest = String::from_utf8(read(&copies[2], "benchmark.toml")).unwrap();
    assert!(manifest.contains("seed 8"), "{manifest}");
}

fn ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().skip(1).map(str::to_string).collect()
}

#[test]
fn nested_galleries_are_balanced_subsets() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("small");
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small/population.toml");
    run_ok(&["simulate", "--spec", spec.to_str().unwrap(), "--out", bench.to_str().unwrap()]);
    let b = bench.to_str().unwrap();
    let o = verity(&[
        "protocol",
        b,
        "identification",
        "--name",
        "nested",
        "--gallery-sizes",
        "20,60",
        "--candidates",
        "5",
        "--balance",
        "ethnicity",
        "--non-mated-subjects",
        "40",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let eth = v["counts"]["groupings"].as_array().unwrap().iter().find(|g| g["grouping"] == "ethnicity").unwrap();
    for g in eth["groups"].as_array().unwrap() {
        assert_eq!(g["gallery_subjects"], serde_json::json!([10, 30]), "{g}");
        // Three samples a subject: two mated searches each.
        assert_eq!(g["mated_per_gallery_size"], serde_json::json!([20, 60]), "{g}");
        assert_eq!(g["subjects"], 50, "30 enrolled and 20 non-mated searchers");
    }
    // The gallery of 20 is the first 20 distinct subjects of the gallery of 60.
    let gallery = ids(&bench.join("protocols/nested-gallery.csv"));
    let subject = |s: &str| s.rsplit_once('-').unwrap().0.to_string();
    let small: HashSet<String> = gallery[..20].iter().map(|s| subject(s)).collect();
    let large: HashSet<String> = gallery.iter().map(|s| subject(s)).collect();
    assert_eq!((small.len(), large.len()), (20, 60));
    assert!(small.is_subset(&large));
    let non_mated: HashSet<String> =
        ids(&bench.join("protocols/nested-non-mated.csv")).iter().map(|s| subject(s)).collect();
    assert!(non_mated.is_disjoint(&large));
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.contains("gallery_sizes = [20, 60]"), "{manifest}");
    assert!(run_ok(&["validate", b]).contains("4 protocols"));
}

fn listing(dir: &Path) -> HashMap<PathBuf, Vec<u8>> {
    let mut out = HashMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn asking_too_much_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bench = hand_made(dir.path());
    let b = bench.to_str().unwrap();
    let before = listing(&bench);
    let cases: [(&[&str], &str); 6] = [
        (
            &["identification", "--gallery-sizes", "2,10", "--candidates", "1"],
            "gallery subjects (subjects with 2 or more samples: one enrolled, the others searched): 10 needed, 5 available (short by 5)",
        ),
        (
            &["identification", "--gallery-sizes", "6", "--candidates", "1", "--balance", "ethnicity"],
            "in group 'c' of ethnicity: 2 needed, 1 available (short by 1)",
        ),
        (
            &["watchlist", "--watchlist-size", "3", "--passes-per-subject", "2", "--crowd", "1", "--candidates", "1"],
            "3 needed, 2 available (short by 1)",
        ),
        (
            &["verification", "--non-mated", "same-group", "--grouping", "ethnicity", "--per-probe", "2"],
            "group 'b' (other subjects of the same group): 2 needed, 1 available (short by 1)",
        ),
        (&["verification", "--name", "given"], "already has a protocol named `given`"),
        (&["verification", "--non-mated", "same-group"], "need a grouping"),
    ];
    for (args, want) in cases {
        let mut all = vec!["protocol", b];
        all.extend_from_slice(args);
        let o = verity(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
        assert_eq!(listing(&bench), before, "{args:?} wrote something");
    }
    let o = verity(&["protocol", dir.path().join("none").to_str().unwrap(), "verification"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn attribute_only_benchmarks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bench = hand_made(dir.path());
    let manifest = MANIFEST
        .split("[[protocols]]")
        .next()
        .unwrap()
        .replace("licence = \"CC0-1.0\"\n", "licence = \"CC0-1.0\"\nidentities = false\n");
    std::fs::write(bench.join("benchmark.toml"), &manifest).unwrap();
    let before = listing(&bench);
    let o = verity(&["protocol", bench.to_str().unwrap(), "verification"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("identities"), "{}", text(&o));
    assert_eq!(listing(&bench), before);
}
