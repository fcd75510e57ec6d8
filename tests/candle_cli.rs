//! `verity run` with the `candle` adapter (feature `candle`) beside the `onnx` adapter on
//! the same model: a small benchmark of face-api's demo faces (two captures each: the
//! crop, and the crop moved and brightened) gives the same decisions through both.
//! Needs `scripts/setup-onnx`; `VERITY_SKIP_ONNX=1` skips it.
#![cfg(feature = "candle")]
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{root, s, text, verity, write_face_benchmark};
use image::imageops;
use std::path::{Path, PathBuf};

/// A benchmark of the fixture's demo faces, two captures of each, with a verification protocol.
fn face_benchmark(dir: &Path) -> PathBuf {
    let bench = dir.join("faces");
    std::fs::create_dir_all(bench.join("media")).unwrap();
    let fixture = std::fs::read_to_string(root().join("vendors/tests/fixtures/face_api_demo_faces.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let mut subjects = String::from("subject_id,group\n");
    let mut samples = String::from("sample_id,subject_id,media\n");
    for (i, f) in json["faces"].as_array().unwrap().iter().enumerate() {
        let b: Vec<u32> = f["box"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        let photo = image::open(root().join(".verity-deps/face-api/demo").join(f["photo"].as_str().unwrap()))
            .unwrap()
            .to_rgb8();
        subjects.push_str(&format!("p{i},{}\n", if i % 2 == 0 { "a" } else { "b" }));
        for (k, (shift, lift)) in [(0u32, 0u8), (3, 12)].into_iter().enumerate() {
            let mut face = imageops::crop_imm(&photo, b[0] + shift, b[1] + shift, b[2], b[3]).to_image();
            face.pixels_mut().for_each(|p| p.0 = p.0.map(|v| v.saturating_add(lift)));
            let name = format!("media/p{i}-{k}.png");
            face.save(bench.join(&name)).unwrap();
            samples.push_str(&format!("p{i}-{k},p{i},{name}\n"));
        }
    }
    write_face_benchmark(&bench, "demo-faces", "face-api's demo faces, two captures each.", &subjects, &samples);
    bench
}

/// (errors, trials) of each verification rate row of a run at the declared threshold.
fn declared_counts(out: &Path, vendor: &str) -> Vec<String> {
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    rates
        .lines()
        .filter(|l| l.starts_with(&format!("{vendor},")) && l.contains(",declared:"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {} {} {} {}/{}", f[1], f[3], f[8], f[9], f[10], f[11])
        })
        .collect()
}

#[test]
fn candle_and_onnx_make_the_same_decisions_through_verity_run() {
    if std::env::var_os("VERITY_SKIP_ONNX").is_some_and(|v| !v.is_empty()) {
        println!("SKIPPED: VERITY_SKIP_ONNX is set");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bench = face_benchmark(dir.path());
    let mut counts = Vec::new();
    for (vendor, name) in [("candle-dlib", "dlib-resnet-v1-candle"), ("onnx-dlib", "dlib-resnet-v1")] {
        let config = root().join(format!("examples/{vendor}/vendor.toml"));
        let out = dir.path().join(vendor);
        let o = verity(&["run", s(&bench), "--vendor", s(&config), "--out", s(&out), "--no-cache"]);
        assert!(o.status.success(), "{vendor}: {}", text(&o));
        let c = declared_counts(&out, name);
        assert!(!c.is_empty(), "{vendor}: no declared-threshold rows");
        counts.push(c);
    }
    assert_eq!(counts[0], counts[1], "candle and onnx decide differently");
    // The two captures of a face match at dlib's 0.6: no false non-match.
    assert!(counts[0].iter().any(|r| r.starts_with("verification fnmr all all 0/")), "{:?}", counts[0]);
}
