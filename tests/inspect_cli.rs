//! End-to-end tests of `verity inspect`: hand-counted groups on a benchmark of tiny PNGs
//! with one deliberately darker group and one unreadable image, the JSON fields, a
//! score-level benchmark, and bad input.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{text, verity};

use std::path::{Path, PathBuf};

/// Groups of `tone` and their base luma: `dark` is far darker than the three others.
const GROUPS: [(&str, u8); 4] = [("dark", 40), ("m1", 150), ("m2", 155), ("m3", 160)];

const MANIFEST: &str = r#"[benchmark]
name = "tones"
version = "1"
licence = "CC0-1.0"

[tables]
subjects = "subjects.csv"
samples = "samples.csv"

[attributes.tone]
provenance = "estimated"
[attributes.sex]
provenance = "self-declared"

[[protocols]]
name = "pairs"
kind = "verification"
pairs = "pairs.csv"
"#;

/// Four groups of two subjects (sex F then M), two 8x8 PNGs each: a checkerboard of
/// amplitude 10 on the group's base luma, so sharpness is equal and brightness is not.
/// The second image of `m3`'s second subject is not a PNG at all.
fn tones(dir: &Path) -> PathBuf {
    let bench = dir.join("tones");
    std::fs::create_dir_all(bench.join("media")).unwrap();
    let mut subjects = String::from("subject_id,tone,sex\n");
    let mut samples = String::from("sample_id,subject_id,media\n");
    let mut pairs = String::from("probe_sample,reference_sample\n");
    for (group, base) in GROUPS {
        for (k, sex) in ["F", "M"].iter().enumerate() {
            let s = format!("{group}{k}");
            subjects += &format!("{s},{group},{sex}\n");
            for j in 0..2 {
                let file = format!("media/{s}-{j}.png");
                if group == "m3" && k == 1 && j == 1 {
                    std::fs::write(bench.join(&file), b"not a png").unwrap();
                } else {
                    let img = image::GrayImage::from_fn(8, 8, |x, y| {
                        image::Luma([base + if (x + y) % 2 == 0 { 10 } else { 0 }])
                    });
                    img.save(bench.join(&file)).unwrap();
                }
                samples += &format!("{s}-{j},{s},{file}\n");
            }
            pairs += &format!("{s}-1,{s}-0\n");
        }
        // One same-group and one cross-group non-mated pair per group.
        pairs += &format!("{group}0-1,{group}1-0\n");
        let other = if group == "dark" { "m10-0" } else { "dark0-0" };
        pairs += &format!("{group}1-1,{other}\n");
    }
    std::fs::write(bench.join("subjects.csv"), subjects).unwrap();
    std::fs::write(bench.join("samples.csv"), samples).unwrap();
    std::fs::write(bench.join("pairs.csv"), pairs).unwrap();
    std::fs::write(bench.join("benchmark.toml"), MANIFEST).unwrap();
    bench
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = verity(args);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
}

fn find<'a>(list: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    list.as_array().unwrap().iter().find(|x| x[key] == value).unwrap_or_else(|| panic!("no {key} {value} in {list}"))
}

#[test]
fn json_has_the_documented_fields_and_hand_counted_groups() {
    let dir = tempfile::tempdir().unwrap();
    let bench = tones(dir.path());
    let v = json(&["inspect", bench.to_str().unwrap(), "--json"]);
    for field in ["benchmark", "settings", "provenance", "population", "protocols", "images", "warnings"] {
        assert!(v.get(field).is_some(), "no {field}");
    }
    assert_eq!(v["benchmark"]["subjects"], 8);
    assert_eq!(v["benchmark"]["samples"], 16);
    assert_eq!(v["benchmark"]["media"], "images");
    assert_eq!(
        v["settings"]["expected_rates"],
        serde_json::json!({"fmr": 0.001, "fnmr": 0.05, "fpir": 0.001, "fnir": 0.1})
    );
    assert_eq!(v["provenance"][0], serde_json::json!({"attribute": "tone", "provenance": "estimated"}));

    let tone = find(&v["population"], "grouping", "tone");
    assert_eq!(
        find(&tone["groups"], "group", "dark"),
        &serde_json::json!({"group": "dark", "subjects": 2, "samples": 4, "single_sample_subjects": 0})
    );
    let inter = find(&v["population"], "grouping", "tone×sex");
    assert_eq!(find(&inter["groups"], "group", "m1×F")["samples"], 2);

    // Pairs per group: 2 mated, 1 non-mated within the group, 1 to another group.
    let p = &v["protocols"][0];
    assert_eq!((p["name"].as_str(), p["kind"].as_str()), (Some("pairs"), Some("verification")));
    let tone = find(&p["groupings"], "grouping", "tone");
    for g in tone["groups"].as_array().unwrap() {
        assert_eq!(
            (g["subjects"].as_u64(), g["mated"].as_u64(), g["non_mated"].as_u64(), g["non_mated_cross_group"].as_u64()),
            (Some(2), Some(2), Some(1), Some(1)),
            "{g}"
        );
        let d = &g["false_positive"];
        assert_eq!(d["metric"], "fmr");
        assert_eq!(d["enough"], false, "one pair cannot detect a doubling");
        for field in [
            "expected_rate",
            "trials",
            "compared_with",
            "compared_trials",
            "minimum_detectable_ratio",
            "method",
            "note",
        ] {
            assert!(d.get(field).is_some(), "no {field} in {d}");
        }
    }
    assert_eq!(p["totals"]["mated"], 8);

    let images = &v["images"];
    assert_eq!(
        (images["status"].as_str(), images["images"].as_u64(), images["unreadable"].as_u64()),
        (Some("measured"), Some(15), Some(1))
    );
    assert_eq!(images["unreadable_samples"][0]["path"], "media/m31-1.png");
    let tone = find(&images["groupings"], "grouping", "tone");
    let dark = find(&tone["groups"], "group", "dark");
    assert_eq!(dark["brightness"]["median"], 45.0, "40 and 50 in equal parts");
    assert_eq!(dark["width"]["median"], 8.0);
    assert_eq!(dark["brightness_flag"], true);
    for g in ["m1", "m2", "m3"] {
        let row = find(&tone["groups"], "group", g);
        assert_eq!(row["brightness_flag"], false, "{row}");
        assert_eq!(row["sharpness_flag"], false, "{row}");
    }
    let m3 = find(&tone["groups"], "group", "m3");
    assert_eq!((m3["images"].as_u64(), m3["unreadable"].as_u64()), (Some(3), Some(1)));
    assert_eq!(m3["unreadable_paths"], serde_json::json!(["media/m31-1.png"]));
    let warnings: Vec<&str> = v["warnings"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect();
    assert!(warnings.iter().any(|w| w.contains("tone `dark`: median brightness 45.0")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("minimum detectable ratio")), "{warnings:?}");
}

#[test]
fn text_output_states_the_defaults_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let bench = tones(dir.path());
    let o = verity(&["inspect", bench.to_str().unwrap(), "--expected-fmr", "0.01"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for want in [
        "expected FMR 0.01,",
        "FNMR 0.05 (default)",
        "FPIR 0.001 (default)",
        "FNIR 0.1 (default)",
        "label provenance: tone estimated, sex self-declared",
        "45.0 [",
        "media/m31-1.png",
        "Warnings",
    ] {
        assert!(out.contains(want), "{want} not in\n{out}");
    }
    let o = verity(&["inspect", bench.to_str().unwrap(), "--no-images"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("not measured (--no-images)"), "{}", text(&o));
}

#[test]
fn score_level_benchmarks_have_no_image_properties() {
    let dir = tempfile::tempdir().unwrap();
    let bench = tones(dir.path());
    let samples = std::fs::read_to_string(bench.join("samples.csv")).unwrap();
    let embedded: String = samples
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let (head, _) = l.rsplit_once(',').unwrap();
            if i == 0 { format!("{head},template\n") } else { format!("{head},{i} 1 0\n") }
        })
        .collect();
    std::fs::write(bench.join("samples.csv"), embedded).unwrap();
    let v = json(&["inspect", bench.to_str().unwrap(), "--json"]);
    assert_eq!((v["benchmark"]["media"].as_str(), v["images"]["status"].as_str()), (Some("embeddings"), Some("none")));
    assert!(v["images"]["note"].as_str().unwrap().contains("embeddings"));
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bench = tones(dir.path());
    let b = bench.to_str().unwrap();
    let missing = dir.path().join("missing");
    for args in [
        vec!["inspect", missing.to_str().unwrap()],
        vec!["inspect", b, "--expected-fpir", "0"],
        vec!["inspect", b, "--ratio", "1"],
        vec!["inspect", b, "--group", "age"],
        vec!["inspect", b, "--expected-fnir", "x"],
    ] {
        let o = verity(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
    std::fs::write(bench.join("subjects.csv"), "subject_id,tone\n").unwrap();
    let o = verity(&["inspect", b]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
