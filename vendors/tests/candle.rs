//! The `candle` adapter (feature `candle`) against the `onnx` adapter on the same model:
//! dlib's ResNet face descriptor from face-api's weights (examples/candle-dlib/ and
//! examples/onnx-dlib/), on the face crops of face-api's demo photos
//! (tests/fixtures/face_api_demo_faces.json).
//!
//! Needs what `scripts/setup-onnx` installs in `.verity-deps/`; `VERITY_SKIP_ONNX=1`
//! skips these tests as it does the onnx adapter's.
#![cfg(feature = "candle")]
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::vendor::{Role, TemplateFormat, Vendor};
use image::{RgbImage, imageops};
use std::path::{Path, PathBuf};
use vendors::OnnxVendor;
use vendors::candle::CandleVendor;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn skip() -> bool {
    if std::env::var_os("VERITY_SKIP_ONNX").is_some_and(|v| !v.is_empty()) {
        eprintln!("VERITY_SKIP_ONNX is set: skipping the candle adapter tests");
        return true;
    }
    let weights = repo().join(".verity-deps/models/dlib_face_recognition.safetensors");
    assert!(weights.exists(), "{} is missing: run scripts/setup-onnx", weights.display());
    false
}

/// The fixture's face crops as PNG bytes.
fn face_crops() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo().join("vendors/tests/fixtures/face_api_demo_faces.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["faces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let b: Vec<u32> = f["box"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
            let path = repo().join(".verity-deps/face-api/demo").join(f["photo"].as_str().unwrap());
            let photo: RgbImage = image::open(&path).unwrap().to_rgb8();
            let face = imageops::crop_imm(&photo, b[0], b[1], b[2], b[3]).to_image();
            let mut out = std::io::Cursor::new(Vec::new());
            face.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        })
        .collect()
}

#[test]
fn candle_descriptors_match_onnx_runtime_within_1e_4() {
    if skip() {
        return;
    }
    let candle = CandleVendor::from_file(&repo().join("examples/candle-dlib/vendor.toml")).unwrap();
    let onnx = OnnxVendor::from_file(&repo().join("examples/onnx-dlib/vendor.toml")).unwrap();
    let d = candle.describe();
    assert_eq!((d.score_min, d.score_max, d.template.clone()), (0.0, 1.0, TemplateFormat::Opaque));
    assert!(d.score_meaning.starts_with("1 / (1 + d), d the Euclidean distance"), "{}", d.score_meaning);
    let media = face_crops();
    assert!(media.len() >= 8);
    let mut worst = 0f32;
    let mut templates = Vec::new();
    for m in &media {
        let a = candle.create_template(m, Role::Enrol).unwrap();
        let b = onnx.create_template(m, Role::Enrol).unwrap();
        let (x, y) = (a.embedding(128).unwrap(), b.embedding(128).unwrap());
        let diff = x.iter().zip(&y).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
        worst = worst.max(diff);
        templates.push((a, b));
    }
    println!("largest |candle - onnx| over {} descriptors of 128 values: {worst:e}", media.len());
    assert!(worst <= 1e-4, "candle and ONNX Runtime differ by {worst}");
    // Scores agree as closely: the same comparisons, to 1e-5.
    for (a, b) in &templates {
        for (c, d) in &templates {
            let (s, t) = (candle.compare(a, c).unwrap(), onnx.compare(b, d).unwrap());
            assert!((s - t).abs() < 1e-5, "{s} vs {t}");
        }
    }
    // A batch gives what single images give.
    let inputs: Vec<Vec<f32>> = media.iter().map(|m| candle.preprocess(m).unwrap()).collect();
    let batch = candle.embed(&inputs).unwrap();
    let first = templates[0].0.embedding(128).unwrap();
    assert!(batch[0].iter().zip(&first).all(|(p, q)| (p - q).abs() <= 1e-5));
    let garbage = candle.create_template(b"not an image", Role::Enrol).unwrap_err();
    assert_eq!(garbage.code, harness::vendor::FailureCode::ParseError);
}

#[test]
fn weights_of_the_wrong_shape_are_bad_input_naming_the_tensor() {
    if skip() {
        return;
    }
    use candle_core::{Device, Tensor};
    let source = repo().join(".verity-deps/models/dlib_face_recognition.safetensors");
    let tensors = candle_core::safetensors::load(&source, &Device::Cpu).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/candle-dlib/vendor.toml"))
        .unwrap()
        .replace("../../.verity-deps/models/dlib_face_recognition.safetensors", "bad.safetensors");
    let config = dir.path().join("vendor.toml");
    type Change = Box<dyn Fn(&mut std::collections::HashMap<String, Tensor>)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "tensor `fc` has shape [128, 256], expected [256, 128]",
            Box::new(|t| {
                let fc = t["fc"].t().unwrap().contiguous().unwrap();
                t.insert("fc".into(), fc);
            }),
        ),
        ("has no tensor `conv64_1/conv2/scale/biases`", Box::new(|t| drop(t.remove("conv64_1/conv2/scale/biases")))),
        (
            "has a tensor `extra` the network does not use",
            Box::new(|t| {
                drop(t.insert("extra".into(), Tensor::zeros(3, candle_core::DType::F32, &Device::Cpu).unwrap()))
            }),
        ),
    ];
    for (message, change) in cases {
        let mut t = tensors.clone();
        change(&mut t);
        candle_core::safetensors::save(&t, dir.path().join("bad.safetensors")).unwrap();
        let e = CandleVendor::from_toml(&text, &config).err().unwrap().to_string();
        assert!(e.contains("vendor.toml") && e.contains("`weights`") && e.contains("bad.safetensors"), "{e}");
        assert!(e.contains(message), "{message}: {e}");
    }
    std::fs::write(dir.path().join("bad.safetensors"), b"not safetensors").unwrap();
    let e = CandleVendor::from_toml(&text, &config).err().unwrap().to_string();
    assert!(e.contains("is not a safetensors file"), "{e}");
}
