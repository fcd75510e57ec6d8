//! The `onnx` adapter on a real face model: dlib's ResNet face descriptor converted from
//! face-api (examples/onnx-dlib/vendor.toml), on face crops of face-api's demo photos
//! (tests/fixtures/face_api_demo_faces.json).
//!
//! These tests need what `scripts/setup-onnx` installs in `.verity-deps/` (scripts/test
//! runs it first). When it is missing they fail, saying so; set `VERITY_SKIP_ONNX=1` to
//! skip them on a machine without Python or npm.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::vendor::{Role, Template, TemplateFormat, Vendor};
use image::{RgbImage, imageops};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vendors::OnnxVendor;
use vendors::onnx::euclidean;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn skip() -> bool {
    if std::env::var_os("VERITY_SKIP_ONNX").is_some_and(|v| !v.is_empty()) {
        eprintln!("VERITY_SKIP_ONNX is set: skipping the onnx adapter tests");
        return true;
    }
    let deps = repo().join(".verity-deps");
    for needed in ["onnxruntime/libonnxruntime.so", "models/dlib_face_recognition.onnx", "face-api/demo"] {
        assert!(
            deps.join(needed).exists(),
            "{} is missing: run scripts/setup-onnx (or set VERITY_SKIP_ONNX=1 to skip these tests)",
            deps.join(needed).display()
        );
    }
    false
}

fn config_path() -> PathBuf {
    repo().join("examples/onnx-dlib/vendor.toml")
}

fn vendor() -> &'static OnnxVendor {
    static VENDOR: OnceLock<OnnxVendor> = OnceLock::new();
    VENDOR.get_or_init(|| OnnxVendor::from_file(&config_path()).unwrap_or_else(|e| panic!("{e}")))
}

#[derive(serde::Deserialize)]
struct Face {
    photo: String,
    box_: [u32; 4],
}

/// The face crops of the fixture, decoded once.
fn faces() -> &'static Vec<(RgbImage, [u32; 4])> {
    static FACES: OnceLock<Vec<(RgbImage, [u32; 4])>> = OnceLock::new();
    FACES.get_or_init(|| {
        let text = std::fs::read_to_string(repo().join("vendors/tests/fixtures/face_api_demo_faces.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut photos = std::collections::HashMap::new();
        json["faces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let b: Vec<u32> = f["box"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
                let face = Face { photo: f["photo"].as_str().unwrap().to_string(), box_: [b[0], b[1], b[2], b[3]] };
                let photo: &RgbImage = photos.entry(face.photo.clone()).or_insert_with(|| {
                    let path = repo().join(".verity-deps/face-api/demo").join(&face.photo);
                    image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgb8()
                });
                (photo.clone(), face.box_)
            })
            .collect()
    })
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A face crop, moved by (dx, dy) pixels and brightened by `lift` grey levels.
fn crop(photo: &RgbImage, b: [u32; 4], dx: i32, dy: i32, lift: u8) -> Vec<u8> {
    let x = (b[0] as i32 + dx).max(0) as u32;
    let y = (b[1] as i32 + dy).max(0) as u32;
    let mut face = imageops::crop_imm(photo, x, y, b[2], b[3]).to_image();
    for p in face.pixels_mut() {
        p.0 = p.0.map(|v| v.saturating_add(lift));
    }
    png(&face)
}

fn embedding(t: &Template) -> Vec<f32> {
    t.embedding(128).unwrap()
}

#[test]
fn describes_the_euclidean_score_mapping() {
    if skip() {
        return;
    }
    let v = vendors::load_vendor(&config_path()).unwrap_or_else(|e| panic!("{e}"));
    let d = v.describe();
    assert_eq!((d.score_min, d.score_max), (0.0, 1.0));
    assert_eq!(d.template, TemplateFormat::Opaque);
    assert!(d.score_meaning.contains("Euclidean"));
    assert_eq!(d.thresholds[0].value, 0.625);
    assert!(v.fingerprint().starts_with("onnx:sha256:"));
}

#[test]
fn embeddings_are_deterministic_and_batch_independent() {
    if skip() {
        return;
    }
    let v = vendor();
    let media: Vec<Vec<u8>> = faces().iter().map(|(p, b)| crop(p, *b, 0, 0, 0)).collect();
    let one = v.create_template(&media[0], Role::Enrol).unwrap();
    assert_eq!(one, v.create_template(&media[0], Role::Search).unwrap());
    let refs: Vec<&[u8]> = media.iter().map(Vec::as_slice).collect();
    let batch = v.create_templates(&refs);
    assert_eq!(batch, v.create_templates(&refs));
    let (a, b) = (embedding(&one), embedding(batch[0].as_ref().unwrap()));
    assert!(euclidean(&a, &b) < 1e-5, "batched and single runs differ by {}", euclidean(&a, &b));
    let norm = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((0.3..3.0).contains(&norm), "descriptor norm {norm}");
    // Through the contract from many threads (the runner's way): the queue batches them.
    let parallel: Vec<Template> = {
        use rayon::prelude::*;
        media.par_iter().map(|m| v.create_template(m, Role::Verify).unwrap()).collect()
    };
    for (p, b) in parallel.iter().zip(&batch) {
        assert!(euclidean(&embedding(p), &embedding(b.as_ref().unwrap())) < 1e-5);
    }
    let garbage = v.create_template(b"not an image", Role::Enrol).unwrap_err();
    assert_eq!(garbage.code, harness::vendor::FailureCode::ParseError);
}

#[test]
fn a_face_is_closer_to_its_shifted_brightened_copy_than_to_other_people() {
    if skip() {
        return;
    }
    let v = vendor();
    let originals: Vec<Vec<u8>> = faces().iter().map(|(p, b)| crop(p, *b, 0, 0, 0)).collect();
    let copies: Vec<Vec<u8>> =
        faces().iter().map(|(p, b)| crop(p, *b, (b[2] / 25) as i32, -((b[3] / 25) as i32), 20)).collect();
    let make = |m: &Vec<Vec<u8>>| -> Vec<Template> {
        v.create_templates(&m.iter().map(Vec::as_slice).collect::<Vec<_>>()).into_iter().map(Result::unwrap).collect()
    };
    let (originals, copies) = (make(&originals), make(&copies));
    let n = originals.len();
    for i in 0..n {
        let mated = v.compare(&originals[i], &copies[i]).unwrap();
        let best_other = (0..n).filter(|&j| j != i).map(|j| v.compare(&originals[i], &originals[j]).unwrap());
        let best_other = best_other.fold(f64::MIN, f64::max);
        eprintln!("face {i}: own copy {mated:.4}, most similar other person {best_other:.4}");
        assert!(mated > best_other, "face {i}: own copy {mated}, another person {best_other}");
        // dlib's distance 0.6 (score 0.625) separates them too.
        assert!(mated > 0.625, "face {i}: own copy scores {mated}, below the declared threshold");
    }
}

#[test]
fn matches_python_onnxruntime_to_1e_5() {
    if skip() {
        return;
    }
    let v = vendor();
    let inputs: Vec<Vec<f32>> = faces().iter().map(|(p, b)| v.preprocess(&crop(p, *b, 0, 0, 0)).unwrap()).collect();
    let ours = v.embed(&inputs).unwrap();
    let dir = tempfile_dir();
    let input_path = dir.join("inputs.f32");
    let output_path = dir.join("outputs.f32");
    std::fs::write(&input_path, inputs.concat().iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let python = repo().join(".verity-deps/venv/bin/python");
    let status = std::process::Command::new(&python)
        .arg(repo().join("scripts/onnx_reference.py"))
        .arg("--model")
        .arg(repo().join(".verity-deps/models/dlib_face_recognition.onnx"))
        .arg("--input")
        .arg(&input_path)
        .args(["--shape", "3,150,150", "--batch-size", &v.config().batch_size.to_string(), "--out"])
        .arg(&output_path)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(status.success(), "scripts/onnx_reference.py failed");
    let bytes = std::fs::read(&output_path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let reference: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(reference.len(), ours.len() * 128);
    let worst = ours.concat().iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    eprintln!("largest difference from Python onnxruntime: {worst:e}");
    assert!(worst <= 1e-5, "verity and Python onnxruntime differ by {worst}");
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("verity-onnx-reference-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn landmark_alignment_undoes_a_known_rotation_and_scale() {
    if skip() {
        return;
    }
    use harness::vendor::Landmarks;
    use vendors::onnx::preprocess::warp_similarity;
    let v = vendor();
    // A face crop brought to the model's 150x150 input: the canonical view.
    let (photo, b) = &faces()[0];
    let face = imageops::crop_imm(photo, b[0], b[1], b[2], b[3]).to_image();
    let canonical = imageops::resize(&face, 150, 150, imageops::FilterType::Triangle);
    // Five reference points in the canonical view, and a known similarity (scale 1.6,
    // rotation 25 degrees, shift) that places the face in a larger photo.
    let reference = [[50.0, 60.0], [100.0, 60.0], [75.0, 85.0], [55.0, 110.0], [95.0, 110.0]];
    let (scale, angle) = (1.6f64, 25f64.to_radians());
    let s = [scale * angle.cos(), scale * angle.sin(), 120.0, 60.0];
    let photo = warp_similarity(&canonical, s, 480, 480);
    let moved = Landmarks(reference.map(|[x, y]| [s[0] * x - s[1] * y + s[2], s[1] * x + s[0] * y + s[3]]));

    let aligned = v.preprocess_aligned(&png(&photo), &moved, &reference).unwrap();
    let unaligned = v.preprocess(&png(&photo)).unwrap();
    let truth = v.preprocess(&png(&canonical)).unwrap();
    let e = v.embed(&[aligned, unaligned, truth]).unwrap();
    let (d_aligned, d_unaligned) = (euclidean(&e[0], &e[2]), euclidean(&e[1], &e[2]));
    eprintln!("distance to the canonical view: aligned {d_aligned:.4}, unaligned {d_unaligned:.4}");
    // Aligned, the face is the same person by dlib's own threshold (0.6) and much closer
    // than the rotated, shrunken unaligned view.
    assert!(d_aligned < 0.3, "aligned distance {d_aligned}");
    assert!(d_aligned < d_unaligned / 2.0, "aligned {d_aligned}, unaligned {d_unaligned}");

    // Through the contract: the runner's call with landmarks aligns when configured.
    // (Top-level keys go before the config's tables.)
    let text = "align = \"landmarks\"\nreference_landmarks = [[50.0, 60.0], [100.0, 60.0], [75.0, 85.0], [55.0, 110.0], [95.0, 110.0]]\n"
        .to_string()
        + &std::fs::read_to_string(config_path()).unwrap();
    let aligning = OnnxVendor::from_toml(&text, &config_path()).unwrap_or_else(|e| panic!("{e}"));
    let with = aligning.create_template_with_landmarks(&png(&photo), Role::Verify, Some(&moved)).unwrap();
    assert_eq!(embedding(&with), e[0]);
    let without = aligning.create_template_with_landmarks(&png(&photo), Role::Verify, None).unwrap();
    assert_eq!(embedding(&without), e[1], "without landmarks the media are fitted as before");
    // align = "landmarks" without the model's reference points is refused.
    let bad = "align = \"landmarks\"\n".to_string() + &std::fs::read_to_string(config_path()).unwrap();
    let err = OnnxVendor::from_toml(&bad, &config_path()).err().expect("refused").to_string();
    assert!(err.contains("reference_landmarks"), "{err}");
}
