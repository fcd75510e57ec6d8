//! `verity run` with the `onnx` adapter's detection stage (examples/onnx-dlib-photos/) on
//! raw photos: face-api's six multi-face demo photos, each subject's second capture a
//! cut-out around its face, and one subject whose two images hold no face. The faceless
//! images are failures to acquire, counted exactly and per group; the photos match
//! their cut-outs. Needs `scripts/setup-onnx`; `VERITY_SKIP_ONNX=1` skips it.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{failure_counts, root, s, text, verity, write_face_benchmark};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The photos' subjects p0..p5 (groups a, b, a, b, a, b) and the faceless p6 (group b).
fn photo_benchmark(dir: &Path) -> PathBuf {
    let bench = dir.join("photos");
    std::fs::create_dir_all(bench.join("media")).unwrap();
    let fixture = std::fs::read_to_string(root().join("vendors/tests/fixtures/face_api_demo_detect.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let mut subjects = String::from("subject_id,group\n");
    let mut samples = String::from("sample_id,subject_id,media\n");
    for (i, record) in json["photos"].as_array().unwrap().iter().enumerate() {
        let jpeg = record["file"].as_str().unwrap().replace(".png", ".jpg");
        let bytes = std::fs::read(root().join(".verity-deps/face-api/demo").join(&jpeg)).unwrap();
        std::fs::write(bench.join(format!("media/p{i}-0.jpg")), &bytes).unwrap();
        // The chosen face's box (the reference's), with one box size of margin.
        let photo = image::load_from_memory(&bytes).unwrap().to_rgb8();
        let chosen = record["chosen"].as_u64().unwrap() as usize;
        let b: Vec<f64> =
            record["faces"][chosen]["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
        let (x0, y0) = ((b[0] - bw).max(0.0) as u32, (b[1] - bh).max(0.0) as u32);
        let (x1, y1) = ((b[2] + bw).min(photo.width() as f64) as u32, (b[3] + bh).min(photo.height() as f64) as u32);
        image::imageops::crop_imm(&photo, x0, y0, x1 - x0, y1 - y0)
            .to_image()
            .save(bench.join(format!("media/p{i}-1.png")))
            .unwrap();
        subjects.push_str(&format!("p{i},{}\n", if i % 2 == 0 { "a" } else { "b" }));
        samples.push_str(&format!("p{i}-0,p{i},media/p{i}-0.jpg\np{i}-1,p{i},media/p{i}-1.png\n"));
    }
    for k in 0..2u32 {
        let blank =
            image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x / 3) as u8, (y / 2) as u8, 90 + 40 * k as u8]));
        blank.save(bench.join(format!("media/p6-{k}.png"))).unwrap();
        samples.push_str(&format!("p6-{k},p6,media/p6-{k}.png\n"));
    }
    subjects.push_str("p6,b\n");
    write_face_benchmark(
        &bench,
        "demo-photos",
        "face-api's demo photos, raw, and cut-outs of one face of each.",
        &subjects,
        &samples,
    );
    bench
}

#[test]
fn raw_photos_are_detected_and_faceless_ones_are_failures_to_acquire_per_group() {
    if std::env::var_os("VERITY_SKIP_ONNX").is_some_and(|v| !v.is_empty()) {
        println!("SKIPPED: VERITY_SKIP_ONNX is set");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bench = photo_benchmark(dir.path());
    let config = root().join("examples/onnx-dlib-photos/vendor.toml");
    let out = dir.path().join("out");
    let args =
        ["run", s(&bench), "--vendor", s(&config), "--out", s(&out), "--no-cache", "--bootstrap-replicates", "0"];
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let vendor = &results["vendors"][0];
    // The verification protocol enrols one image of each subject and verifies with the
    // other. Only p6's two images fail: one enrolment and one verification template,
    // failures to acquire with the stage's message, in group b.
    let failures = failure_counts(vendor);
    let want: BTreeMap<(String, String), u64> =
        [(("enrol".into(), "face-detection-error".into()), 1), (("verify".into(), "face-detection-error".into()), 1)]
            .into();
    assert_eq!(failures, want);
    let rate_of = |metric: &str, group: &str| -> (u64, u64) {
        let row = vendor["template_rates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["metric"] == metric && r["grouping"] == "group" && r["group"] == group)
            .unwrap_or_else(|| panic!("no {metric} row for group {group}"));
        (row["rate"]["numerator"].as_u64().unwrap(), row["rate"]["denominator"].as_u64().unwrap())
    };
    assert_eq!([rate_of("fte", "a"), rate_of("fta", "a")], [(0, 3), (0, 3)]);
    assert_eq!([rate_of("fte", "b"), rate_of("fta", "b")], [(1, 4), (1, 4)]);
    // Every photo matches its cut-out at dlib's 0.6: no false non-match in group a,
    // whose templates all exist.
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let row = rates
        .lines()
        .find(|l| {
            l.contains(",verification,fnmr,") && l.contains(",declared:dlib-distance-0.6,") && l.contains(",group,a,")
        })
        .unwrap_or_else(|| panic!("no FNMR row for group a:\n{rates}"));
    let fields: Vec<&str> = row.split(',').collect();
    assert_eq!((fields[10], fields[11]), ("0", "3"), "{row}");
}
