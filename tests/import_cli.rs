//! `verity import` end to end on the fixtures of every layout (tests/fixtures/import,
//! written by make_fixtures.py): import, validate, then run the simulated vendor (or,
//! for BFW's published scores, `verity analyse`), and check the counts per group against
//! the counts written by hand next to each fixture in make_fixtures.py. Malformed inputs
//! exit 2 naming the file and line, and leave nothing behind.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{s, text, verity};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn import_fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(path)
}

/// `verity import KIND SRC --out OUT ARGS...`, which must succeed; returns OUT.
fn import(dir: &Path, kind: &str, src: &Path, args: &[&str]) -> PathBuf {
    let out = dir.join(kind);
    let mut all = vec!["import", kind, s(src), "--out", s(&out)];
    all.extend_from_slice(args);
    let o = verity(&all);
    assert!(o.status.success(), "{}", text(&o));
    out
}

fn validate_ok(bench: &Path, expected: &str) {
    let o = verity(&["validate", s(bench)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(expected), "{expected} not in {}", text(&o));
}

/// `(grouping, group) -> (mated, non-mated)` from a run's `eer.csv`.
fn counts(run: &Path) -> BTreeMap<(String, String), (u64, u64)> {
    let csv = std::fs::read_to_string(run.join("eer.csv")).expect("eer.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("eer.csv column");
    let (g, grp, m, n) = (col("grouping"), col("group"), col("mated"), col("non_mated"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[g].to_string(), f[grp].to_string()), (f[m].parse().unwrap(), f[n].parse().unwrap()))
        })
        .collect()
}

/// Run the simulated vendor on an imported benchmark; `(grouping, group) -> counts`.
fn run_simulated(dir: &Path, bench: &Path) -> BTreeMap<(String, String), (u64, u64)> {
    let out = dir.join(format!("run-{}", bench.file_name().unwrap().to_string_lossy()));
    let vendor = import_fixture("vendor.toml");
    let o = verity(&["run", s(bench), "--vendor", s(&vendor), "--out", s(&out), "--bootstrap-replicates", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    counts(&out)
}

fn key(grouping: &str, group: &str) -> (String, String) {
    (grouping.to_string(), group.to_string())
}

fn assert_counts(got: &BTreeMap<(String, String), (u64, u64)>, want: &[(&str, &str, u64, u64)]) {
    for &(grouping, group, mated, non_mated) in want {
        assert_eq!(got.get(&key(grouping, group)), Some(&(mated, non_mated)), "{grouping} {group} in {got:?}");
    }
}

fn import_json(dir: &Path, kind: &str, src: &Path, args: &[&str]) -> serde_json::Value {
    let out = dir.join(format!("{kind}-json"));
    let mut all = vec!["import", kind, s(src), "--out", s(&out), "--json"];
    all.extend_from_slice(args);
    let o = verity(&all);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("JSON summary")
}

/// `attribute -> group -> subjects` from an import's JSON summary.
fn subjects_per_group(summary: &serde_json::Value) -> BTreeMap<(String, String), u64> {
    summary["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let k = key(g["attribute"].as_str().unwrap(), g["group"].as_str().unwrap());
            (k, g["subjects"].as_u64().unwrap())
        })
        .collect()
}

const FOLDER_ARGS: [&str; 8] =
    ["--provenance", "sex=self-declared", "--provenance", "ethnicity=annotated", "--vocabulary", "", "--pairs", "all"];

fn folder_args(vocabulary: &Path, subjects: &Path) -> Vec<String> {
    let mut args: Vec<String> = FOLDER_ARGS.iter().map(|a| a.to_string()).collect();
    args[5] = s(vocabulary).to_string();
    args.extend(["--subjects".to_string(), s(subjects).to_string()]);
    args
}

#[test]
fn folder_imports_validates_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let args = folder_args(&import_fixture("folder/vocabulary.toml"), &import_fixture("folder/subjects.csv"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let bench = import(dir.path(), "folder", &import_fixture("folder/faces"), &args);
    validate_ok(&bench, "6 subjects, 12 samples, 1 protocols");
    // The subjects table keeps the codes; the manifest names them.
    let subjects = std::fs::read_to_string(bench.join("subjects.csv")).unwrap();
    assert!(subjects.starts_with("subject_id,sex,ethnicity\ns01,F,a\n"), "{subjects}");
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.contains("[vocabulary.sex]\nF = \"female\"\nM = \"male\"\n"), "{manifest}");
    assert!(manifest.contains("[attributes.sex]\nprovenance = \"self-declared\"\n"), "{manifest}");
    let got = run_simulated(dir.path(), &bench);
    assert_counts(
        &got,
        &[
            ("all", "all", 7, 59),
            ("sex", "female", 4, 11),
            ("sex", "male", 3, 12),
            ("ethnicity", "group a", 2, 8),
            ("ethnicity", "group b", 5, 16),
        ],
    );
    let summary = import_json(dir.path(), "folder", &import_fixture("folder/faces"), &args);
    assert_eq!((summary["subjects"].as_u64(), summary["samples"].as_u64()), (Some(6), Some(12)));
    let per_group = subjects_per_group(&summary);
    assert_eq!(per_group.get(&key("sex", "female")), Some(&3));
    assert_eq!(per_group.get(&key("ethnicity", "group b")), Some(&3));
}

#[test]
fn lfw_without_labels_records_none_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bench = import(dir.path(), "lfw", &import_fixture("lfw/pairs.txt"), &[]);
    validate_ok(&bench, "6 subjects, 11 samples, 1 protocols");
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.contains("labels = \"none\""), "{manifest}");
    assert!(manifest.contains("source = \"LFW\""), "{manifest}");
    let got = run_simulated(dir.path(), &bench);
    assert_counts(&got, &[("all", "all", 4, 4)]);
    assert_eq!(got.len(), 1, "no demographic groups: {got:?}");
}

#[test]
fn lfw_with_an_attributes_table() {
    let dir = tempfile::tempdir().unwrap();
    let table = import_fixture("lfw/attributes.csv");
    let args = ["--subjects", s(&table), "--provenance", "sex=annotated"];
    let bench = import(dir.path(), "lfw", &import_fixture("lfw/pairs.txt"), &args);
    validate_ok(&bench, "6 subjects, 11 samples, 1 protocols");
    let got = run_simulated(dir.path(), &bench);
    assert_counts(&got, &[("all", "all", 4, 4), ("sex", "female", 2, 1), ("sex", "male", 2, 1)]);
}

#[test]
fn rfw_imports_pairs_races_and_landmarks() {
    let dir = tempfile::tempdir().unwrap();
    let bench = import(dir.path(), "rfw", &import_fixture("rfw"), &[]);
    validate_ok(&bench, "6 subjects, 10 samples, 1 protocols");
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.contains("detail = \"subset of the dataset (annotated by the dataset authors)\""), "{manifest}");
    let samples = std::fs::read_to_string(bench.join("samples.csv")).unwrap();
    let header = samples.lines().next().unwrap();
    assert_eq!(
        header,
        "sample_id,subject_id,media,lmk_x1,lmk_y1,lmk_x2,lmk_y2,lmk_x3,lmk_y3,lmk_x4,lmk_y4,lmk_x5,lmk_y5"
    );
    // m.0b2_0001 has no line in Asian_lmk.txt: its landmarks are empty.
    let row = samples.lines().find(|l| l.starts_with("Asian/m.0b2/")).unwrap();
    assert!(row.ends_with(",,,,,,,,,,"), "{row}");
    let lmk = std::fs::read_to_string(import_fixture("rfw/txts/Asian/Asian_lmk.txt")).unwrap();
    let first: Vec<&str> = lmk.lines().next().unwrap().split('\t').collect();
    let row = samples.lines().find(|l| l.starts_with("Asian/m.0b1/m.0b1_0001.jpg")).unwrap();
    assert!(row.ends_with(&first[1..].join(",")), "{row} vs {first:?}");
    let got = run_simulated(dir.path(), &bench);
    assert_counts(&got, &[("all", "all", 4, 3), ("race", "African", 2, 2), ("race", "Asian", 2, 1)]);
}

#[test]
fn bfw_imports_pairs_and_published_scores() {
    let dir = tempfile::tempdir().unwrap();
    let bench = import(dir.path(), "bfw", &import_fixture("bfw/bfw-datatable.csv"), &[]);
    validate_ok(&bench, "6 subjects, 12 samples, 1 protocols");
    let want = [
        ("all", "all", 6, 4),
        ("ethnicity", "Asian", 4, 2),
        ("ethnicity", "Black", 2, 1),
        ("sex", "female", 4, 3),
        ("sex", "male", 2, 1),
    ];
    assert_counts(&run_simulated(dir.path(), &bench), &want);
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.contains("[vocabulary.ethnicity]\nA = \"Asian\"\nB = \"Black\"\nI = \"Indian\"\nW = \"White\"\n"));
    // Each published score column is a score-level vendor for `verity analyse`.
    for model in ["sphereface", "vgg2"] {
        let out = dir.path().join(format!("analyse-{model}"));
        let scores = bench.join(format!("scores/{model}.csv"));
        let o = verity(&[
            "analyse",
            "--subjects",
            s(&bench.join("scores/subjects.csv")),
            "--verification",
            s(&scores),
            "--vendor",
            model,
            "--out",
            s(&out),
            "--bootstrap-replicates",
            "0",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        assert_counts(&counts(&out), &want);
    }
}

/// A verification protocol added by hand to an attribute-only benchmark: every command
/// that loads it refuses it with the reason.
fn refuses_identity_protocols(dir: &Path, bench: &Path, source: &str) {
    let name = bench.file_name().unwrap().to_string_lossy().to_string();
    let want = format!(
        "benchmark {name} has no identities (imported from {source}): it supports failure-to-acquire and quality breakdowns only"
    );
    let mut manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    let samples = std::fs::read_to_string(bench.join("samples.csv")).unwrap();
    let ids: Vec<&str> = samples.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    std::fs::write(bench.join("pairs.csv"), format!("probe_sample,reference_sample\n{},{}\n", ids[0], ids[1])).unwrap();
    let original = manifest.clone();
    manifest += "\n[[protocols]]\nname = \"v\"\nkind = \"verification\"\npairs = \"pairs.csv\"\n";
    std::fs::write(bench.join("benchmark.toml"), &manifest).unwrap();
    let o = verity(&["validate", s(bench)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(&want), "{want} not in {}", text(&o));
    let vendor = import_fixture("vendor.toml");
    let out = dir.join(format!("run-{name}"));
    let o = verity(&["run", s(bench), "--vendor", s(&vendor), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(&want), "{}", text(&o));
    assert!(!out.exists());
    // The protocol builder refuses too (its own words), and writes nothing.
    std::fs::write(bench.join("benchmark.toml"), &original).unwrap();
    let o = verity(&["protocol", s(bench), "verification"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("identities"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(bench.join("benchmark.toml")).unwrap(), original);
}

#[test]
fn utkface_is_attribute_only() {
    let dir = tempfile::tempdir().unwrap();
    let bench = import(dir.path(), "utkface", &import_fixture("utkface"), &[]);
    validate_ok(&bench, "8 subjects, 8 samples, 0 protocols");
    let manifest = std::fs::read_to_string(bench.join("benchmark.toml")).unwrap();
    assert!(manifest.contains("identities = false"), "{manifest}");
    assert!(manifest.contains("[vocabulary.race]\n0 = \"White\"\n"), "{manifest}");
    // Codes as in the file names: race is the third field, gender the second.
    let subjects = std::fs::read_to_string(bench.join("subjects.csv")).unwrap();
    assert!(subjects.contains("\n25_0_0_20170116174525121.jpg.chip.jpg,0,0,20-29\n"), "{subjects}");
    let summary = import_json(dir.path(), "utkface", &import_fixture("utkface"), &[]);
    assert_eq!(summary["identities"], false);
    let per_group = subjects_per_group(&summary);
    for (attribute, group, n) in [
        ("race", "White", 2),
        ("race", "Black", 2),
        ("race", "Asian", 2),
        ("race", "Indian", 2),
        ("sex", "male", 4),
        ("sex", "female", 4),
        ("age_band", "20-29", 3),
        ("age_band", "30-39", 3),
        ("age_band", "60-69", 2),
    ] {
        assert_eq!(per_group.get(&key(attribute, group)), Some(&n), "{attribute} {group}: {per_group:?}");
    }
    // With no protocol, a run makes every sample's template once, as a probe: failure to
    // acquire per group, each group's denominator its number of images.
    let out = dir.path().join("fta-run");
    let vendor = import_fixture("vendor.toml");
    let o = verity(&["run", s(&bench), "--vendor", s(&vendor), "--out", s(&out), "--bootstrap-replicates", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let fta: BTreeMap<(String, String), u64> = results["vendors"][0]["template_rates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["metric"] == "fta")
        .map(|r| {
            let k = key(r["grouping"].as_str().unwrap(), r["group"].as_str().unwrap());
            (k, r["rate"]["denominator"].as_u64().unwrap())
        })
        .collect();
    for (grouping, group, n) in [("all", "all", 8), ("race", "White", 2), ("race", "Indian", 2), ("sex", "female", 4)] {
        assert_eq!(fta.get(&key(grouping, group)), Some(&n), "FTA {grouping} {group}: {fta:?}");
    }
    assert_eq!(results["vendors"][0]["protocols"].as_array().unwrap().len(), 0);
    refuses_identity_protocols(dir.path(), &bench, "UTKFace");
}

#[test]
fn fairface_is_attribute_only() {
    let dir = tempfile::tempdir().unwrap();
    let bench = import(dir.path(), "fairface", &import_fixture("fairface/fairface_label_val.csv"), &[]);
    validate_ok(&bench, "6 subjects, 6 samples, 0 protocols");
    let samples = std::fs::read_to_string(bench.join("samples.csv")).unwrap();
    assert!(samples.starts_with("sample_id,subject_id,media,service_test\nval/1.jpg,val/1.jpg,"), "{samples}");
    let summary = import_json(dir.path(), "fairface", &import_fixture("fairface/fairface_label_val.csv"), &[]);
    let per_group = subjects_per_group(&summary);
    for (attribute, group, n) in [
        ("race", "East Asian", 2),
        ("race", "Black", 2),
        ("race", "Latino or Hispanic", 2),
        ("sex", "male", 3),
        ("sex", "female", 3),
        ("age_band", "20-29", 2),
        ("age_band", "30-39", 2),
        ("age_band", "70+", 2),
    ] {
        assert_eq!(per_group.get(&key(attribute, group)), Some(&n), "{attribute} {group}: {per_group:?}");
    }
    refuses_identity_protocols(dir.path(), &bench, "FairFace");
}

fn bob_args(images: &Path) -> Vec<String> {
    [
        "--images",
        s(images),
        "--extension",
        ".png",
        "--provenance",
        "gender=self-declared",
        "--provenance",
        "race=annotated",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

#[test]
fn bob_all_against_all() {
    let dir = tempfile::tempdir().unwrap();
    let args = bob_args(&import_fixture("bob/images"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let bench = import(dir.path(), "bob", &import_fixture("bob/all"), &args);
    validate_ok(&bench, "4 subjects, 7 samples, 1 protocols");
    let samples = std::fs::read_to_string(bench.join("samples.csv")).unwrap();
    assert!(samples.starts_with("sample_id,subject_id,media,session\n"), "{samples}");
    let got = run_simulated(dir.path(), &bench);
    assert_counts(
        &got,
        &[
            ("all", "all", 3, 9),
            ("gender", "male", 2, 2),
            ("gender", "female", 1, 1),
            ("race", "A", 2, 2),
            ("race", "B", 1, 1),
        ],
    );
}

#[test]
fn bob_with_a_matching_list() {
    let dir = tempfile::tempdir().unwrap();
    let args = bob_args(&import_fixture("bob/images"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let bench = import(dir.path(), "bob", &import_fixture("bob/matched/dev"), &args);
    validate_ok(&bench, "4 subjects, 7 samples, 1 protocols");
    let got = run_simulated(dir.path(), &bench);
    assert_counts(
        &got,
        &[
            ("all", "all", 2, 2),
            ("gender", "male", 2, 0),
            ("gender", "female", 0, 1),
            ("race", "A", 1, 1),
            ("race", "B", 1, 0),
        ],
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Replace line `line` (1-based) of a text file.
fn replace_line(path: &Path, line: usize, with: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[line - 1] = with.to_string();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The import must exit 2, name every `want`, and leave the output's parent as it was.
fn refused(dir: &Path, kind: &str, src: &Path, args: &[&str], want: &[&str]) {
    let parent = dir.join(format!("out-{kind}"));
    std::fs::create_dir_all(&parent).unwrap();
    let out = parent.join("bench");
    let mut all = vec!["import", kind, s(src), "--out", s(&out)];
    all.extend_from_slice(args);
    let o = verity(&all);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for w in want {
        assert!(text(&o).contains(w), "{w} not in {}", text(&o));
    }
    assert!(text(&o).contains("nothing was written"), "{}", text(&o));
    assert!(std::fs::read_dir(&parent).unwrap().next().is_none(), "something was left in {}", parent.display());
}

#[test]
fn malformed_folder_and_lfw_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("folder");
    copy_dir(&import_fixture("folder"), &src);
    replace_line(&src.join("subjects.csv"), 3, "s02,X,b");
    let args = folder_args(&src.join("vocabulary.toml"), &src.join("subjects.csv"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(
        dir.path(),
        "folder",
        &src.join("faces"),
        &args,
        &["subjects.csv:3: column sex: value \"X\": unknown `sex` code"],
    );

    let src = dir.path().join("lfw");
    copy_dir(&import_fixture("lfw"), &src);
    replace_line(&src.join("pairs.txt"), 3, "Bob_B\t1");
    std::fs::remove_file(src.join("lfw/Eve_E/Eve_E_0001.jpg")).unwrap();
    refused(
        dir.path(),
        "lfw",
        &src.join("pairs.txt"),
        &[],
        &[
            "pairs.txt:3: value \"Bob_B\\t1\": expected a matched pair",
            "pairs.txt:5: column n2: value \"Eve_E/Eve_E_0001.jpg\": image file not found",
        ],
    );
    replace_line(&src.join("pairs.txt"), 3, "Bob_B\t1\tFrank_F\t1");
    refused(
        dir.path(),
        "lfw",
        &src.join("pairs.txt"),
        &[],
        &["pairs.txt:3: value \"Bob_B\\t1\\tFrank_F\\t1\": expected a matched pair"],
    );
}

#[test]
fn malformed_rfw_and_bfw_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("rfw");
    copy_dir(&import_fixture("rfw"), &src);
    replace_line(&src.join("txts/Asian/Asian_lmk.txt"), 2, "./x/m.0b1/m.0b1_0002.jpg 1 2 3 4 5 6 7 8 9");
    replace_line(&src.join("txts/African/African_pairs.txt"), 2, "m.0a2\t1\t9");
    refused(
        dir.path(),
        "rfw",
        &src,
        &[],
        &[
            "Asian_lmk.txt:2: value \"./x/m.0b1/m.0b1_0002.jpg 1 2 3 4 5 6 7 8 9\": expected an image path and 10 numbers",
            "African_pairs.txt:2: column n2: value \"m.0a2/m.0a2_0009.jpg\": image not listed in African_images.txt",
        ],
    );

    let src = dir.path().join("bfw");
    copy_dir(&import_fixture("bfw"), &src);
    let table = src.join("bfw-datatable.csv");
    let original = std::fs::read_to_string(&table).unwrap();
    let line3 = original.lines().nth(2).unwrap().replace(",F,F,A,A,", ",F,F,Z,A,");
    replace_line(&table, 3, &line3);
    refused(dir.path(), "bfw", &table, &[], &["bfw-datatable.csv:3: column e1: value \"Z\": unknown code"]);
    let without_label: String = original
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [&f[..2], &f[3..]].concat().join(",") + "\n"
        })
        .collect();
    std::fs::write(&table, without_label).unwrap();
    refused(dir.path(), "bfw", &table, &[], &["bfw-datatable.csv:1: column label: missing column"]);
}

#[test]
fn malformed_utkface_fairface_and_bob_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("utkface");
    copy_dir(&import_fixture("utkface"), &src);
    std::fs::write(src.join("61_1_20170109142408075.jpg.chip.jpg"), "x").unwrap();
    std::fs::write(src.join("40_1_7_20170109142408075.jpg.chip.jpg"), "x").unwrap();
    refused(
        dir.path(),
        "utkface",
        &src,
        &[],
        &[
            "61_1_20170109142408075.jpg.chip.jpg: value \"61_1_20170109142408075.jpg.chip.jpg\": file name is not AGE_GENDER_RACE_DATETIME.jpg",
            "40_1_7_20170109142408075.jpg.chip.jpg: column race: value \"7\": unknown race code",
        ],
    );

    let src = dir.path().join("fairface");
    copy_dir(&import_fixture("fairface"), &src);
    let table = src.join("fairface_label_val.csv");
    replace_line(&table, 4, "val/3.jpg,20-29,Female,Martian,True");
    refused(
        dir.path(),
        "fairface",
        &table,
        &[],
        &["fairface_label_val.csv:4: column race: value \"Martian\": unknown `race` code"],
    );

    let src = dir.path().join("bob");
    copy_dir(&import_fixture("bob"), &src);
    let probing = src.join("all/dev/for_probing.csv");
    std::fs::write(&probing, "path,reference_id,gender,race,session\nu01/s2,p01,male,A,2\n").unwrap();
    let args = bob_args(&src.join("images"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(dir.path(), "bob", &src.join("all"), &args, &["for_probing.csv:1: column subject_id: missing column"]);
    let enrolling = src.join("all/dev/for_enrolling.csv");
    replace_line(&enrolling, 3, "u02/s1,r01,u02,female,A,1");
    std::fs::copy(import_fixture("bob/all/dev/for_probing.csv"), &probing).unwrap();
    refused(
        dir.path(),
        "bob",
        &src.join("all"),
        &args,
        &["for_enrolling.csv:3: column reference_id: value \"r01\": template has several samples (first at line 2)"],
    );
}

#[test]
fn replaces_its_own_output_and_refuses_a_foreign_folder() {
    let dir = tempfile::tempdir().unwrap();
    let bench = import(dir.path(), "utkface", &import_fixture("utkface"), &[]);
    let bench2 = import(dir.path(), "utkface", &import_fixture("utkface"), &[]);
    assert_eq!(bench, bench2);
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let o = verity(&["import", "utkface", s(&import_fixture("utkface")), "--out", s(&foreign)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("refusing to overwrite"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).unwrap(), "mine");
    // An option that does not apply to the layout is refused, not ignored.
    let o = verity(&[
        "import",
        "utkface",
        s(&import_fixture("utkface")),
        "--out",
        s(&dir.path().join("x")),
        "--pairs",
        "all",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--pairs: does not apply to the utkface layout"), "{}", text(&o));
}
