//! The `onnx` adapter's detection stage (examples/onnx-dlib-photos/vendor.toml) on
//! face-api's six multi-face demo photos, against the independent Python reference
//! (scripts/reference_detect.py: numpy, Pillow and Python onnxruntime), whose output is
//! the fixture vendors/tests/fixtures/face_api_demo_detect.json. Both read the photos as
//! the PNGs `scripts/setup-onnx` decodes them to (.verity-deps/photos/), so both see
//! the same pixels (the fixture holds their hash); the JPEGs themselves go through
//! verity's own decoder in `a_face_cut_out_of_its_photo_gives_the_same_descriptor`.
//!
//! Needs what `scripts/setup-onnx` installs in `.verity-deps/`; `VERITY_SKIP_ONNX=1`
//! skips these tests as it does the onnx adapter's.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::vendor::{FailureCode, Role, Vendor};
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vendors::OnnxVendor;
use vendors::onnx::euclidean;

// Tolerances. On the machine that made the fixture the two sides agree exactly (0 px,
// 0 in score and descriptor); these leave room for ONNX Runtime's kernels on another
// CPU (other SIMD widths sum in another order).
/// Box corners and landmarks, in photo pixels (the photos are 1920 wide).
const POINT_TOLERANCE: f64 = 0.01;
const SCORE_TOLERANCE: f64 = 1e-4;
/// Descriptors, largest absolute difference of one value.
const DESCRIPTOR_TOLERANCE: f32 = 1e-4;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn skip() -> bool {
    if std::env::var_os("VERITY_SKIP_ONNX").is_some_and(|v| !v.is_empty()) {
        eprintln!("VERITY_SKIP_ONNX is set: skipping the onnx detection tests");
        return true;
    }
    let deps = repo().join(".verity-deps");
    for needed in [
        "onnxruntime/libonnxruntime.so",
        "models/ssd_mobilenetv1.onnx",
        "models/face_landmark_68.onnx",
        "photos/sample1.png",
    ] {
        assert!(deps.join(needed).exists(), "{} is missing: run scripts/setup-onnx", deps.join(needed).display());
    }
    false
}

fn config_text(align: &str) -> String {
    let text = std::fs::read_to_string(repo().join("examples/onnx-dlib-photos/vendor.toml")).unwrap();
    assert!(text.contains("align = \"box\""));
    text.replace("align = \"box\"", &format!("align = \"{align}\""))
}

fn vendor(align: &'static str) -> &'static OnnxVendor {
    static BOX: OnceLock<OnnxVendor> = OnceLock::new();
    static FIVE: OnceLock<OnnxVendor> = OnceLock::new();
    let cell = if align == "box" { &BOX } else { &FIVE };
    cell.get_or_init(|| {
        let path = repo().join("examples/onnx-dlib-photos/vendor.toml");
        OnnxVendor::from_toml(&config_text(align), &path).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(repo().join("vendors/tests/fixtures/face_api_demo_detect.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// A fixture photo as PNG bytes and pixels, checked against the fixture's pixel hash.
fn photo(record: &serde_json::Value) -> (Vec<u8>, RgbImage) {
    let path = repo().join(".verity-deps/photos").join(record["file"].as_str().unwrap());
    let bytes = std::fs::read(&path).unwrap();
    let image = image::load_from_memory(&bytes).unwrap().to_rgb8();
    let sha = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(image.as_raw()));
    assert_eq!(sha, record["pixels_sha256"].as_str().unwrap(), "{} is not the photo of the fixture", path.display());
    (bytes, image)
}

/// A face-api demo photo as its JPEG bytes.
fn jpeg(record: &serde_json::Value) -> Vec<u8> {
    let name = record["file"].as_str().unwrap().replace(".png", ".jpg");
    std::fs::read(repo().join(".verity-deps/face-api/demo").join(name)).unwrap()
}

#[test]
fn boxes_and_landmarks_match_the_python_reference() {
    if skip() {
        return;
    }
    let stage = vendor("box").detector().unwrap();
    let (mut worst_point, mut worst_score, mut faces) = (0f64, 0f64, 0);
    for record in fixture()["photos"].as_array().unwrap() {
        let (_, image) = photo(record);
        let found = stage.detect(&image).unwrap();
        let name = record["file"].as_str().unwrap();
        let want = record["faces"].as_array().unwrap();
        assert_eq!(found.faces.len(), want.len(), "{name}: faces found");
        for (got, want) in found.faces.iter().zip(want) {
            for (a, b) in got.bbox.iter().zip(floats(&want["box"])) {
                worst_point = worst_point.max((a - b).abs());
            }
            worst_score = worst_score.max((got.score - want["score"].as_f64().unwrap()).abs());
        }
        faces += want.len();
        assert_eq!(found.chosen, record["chosen"].as_u64().map(|c| c as usize), "{name}: the chosen face");
        let points: Vec<f64> = record["landmarks"].as_array().unwrap().iter().flat_map(floats).collect();
        assert_eq!(found.landmarks.len(), 68);
        for (a, b) in found.landmarks.iter().flatten().zip(points) {
            worst_point = worst_point.max((a - b).abs());
        }
    }
    eprintln!("{faces} faces; largest difference from the reference: {worst_point:.3e} px, score {worst_score:.3e}");
    assert_eq!(faces, 22, "the six demo photos hold 22 faces the reference finds");
    assert!(worst_point <= POINT_TOLERANCE, "a box corner or landmark differs by {worst_point} px");
    assert!(worst_score <= SCORE_TOLERANCE, "a face score differs by {worst_score}");
}

#[test]
fn descriptors_match_the_python_reference_for_both_alignments() {
    if skip() {
        return;
    }
    for align in ["box", "five-point"] {
        let v = vendor(align);
        let mut worst = 0f32;
        let records = fixture()["photos"].as_array().unwrap().clone();
        for record in &records {
            let (bytes, _) = photo(record);
            let template = v.create_template(&bytes, Role::Enrol).unwrap();
            let ours = template.embedding(128).unwrap();
            let want: Vec<f32> = floats(&record[format!("descriptor_{align}")]).iter().map(|&x| x as f32).collect();
            for (a, b) in ours.iter().zip(&want) {
                worst = worst.max((a - b).abs());
            }
        }
        eprintln!("align {align}: largest descriptor difference from the reference {worst:.3e}");
        assert!(worst <= DESCRIPTOR_TOLERANCE, "align {align}: descriptors differ by {worst}");
    }
}

#[test]
fn a_face_cut_out_of_its_photo_gives_the_same_descriptor() {
    if skip() {
        return;
    }
    // The whole stage on two framings of one face: the JPEG photo, and a cut-out of the
    // chosen face with one box width and height of margin on each side (other pixel
    // positions, another detector scale). Six photos, six different people.
    let v = vendor("box");
    let records = fixture()["photos"].as_array().unwrap().clone();
    let descriptors: Vec<Vec<f32>> =
        records.iter().map(|r| v.create_template(&jpeg(r), Role::Enrol).unwrap().embedding(128).unwrap()).collect();
    for (i, record) in records.iter().enumerate() {
        let image = image::load_from_memory(&jpeg(record)).unwrap().to_rgb8();
        let chosen = record["chosen"].as_u64().unwrap() as usize;
        let b = floats(&record["faces"][chosen]["box"]);
        let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
        let (x0, y0) = ((b[0] - bw).max(0.0) as u32, (b[1] - bh).max(0.0) as u32);
        let (x1, y1) = ((b[2] + bw).min(image.width() as f64) as u32, (b[3] + bh).min(image.height() as f64) as u32);
        let cut = image::imageops::crop_imm(&image, x0, y0, x1 - x0, y1 - y0).to_image();
        let mut png = std::io::Cursor::new(Vec::new());
        cut.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let same = v.create_template(png.get_ref(), Role::Verify).unwrap().embedding(128).unwrap();
        let own = euclidean(&same, &descriptors[i]);
        let nearest_other =
            (0..records.len()).filter(|&j| j != i).map(|j| euclidean(&same, &descriptors[j])).fold(f64::MAX, f64::min);
        eprintln!("photo {i}: distance to its own face {own:.3}, to the nearest other {nearest_other:.3}");
        assert!(own < 0.3 && own < nearest_other, "photo {i}: own {own}, nearest other {nearest_other}");
    }
}

#[test]
fn a_photo_without_a_face_is_a_failure_to_acquire() {
    if skip() {
        return;
    }
    let v = vendor("box");
    let mut png = std::io::Cursor::new(Vec::new());
    RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x / 3) as u8, (y / 2) as u8, 90]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let failure = v.create_template(png.get_ref(), Role::Verify).unwrap_err();
    assert_eq!(failure.code, FailureCode::FaceDetectionError);
    assert_eq!(failure.message, "no face found (min_confidence 0.5)");
    let failure = v.create_template(b"not an image", Role::Verify).unwrap_err();
    assert_eq!(failure.code, FailureCode::ParseError);
}

#[test]
fn a_bad_detect_table_is_a_located_error_before_any_template() {
    if skip() {
        return;
    }
    let path = repo().join("examples/onnx-dlib-photos/vendor.toml");
    let text = config_text("box");
    let error = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        let e = OnnxVendor::from_toml(&text.replace(from, to), &path).err().expect("an error").to_string();
        let line = text.lines().position(|l| l.contains(from)).unwrap() + 1;
        assert!(e.contains(&format!("line {line}")), "{e}");
        e
    };
    let e = error("ssd_mobilenetv1.onnx", "no_such_detector.onnx");
    assert!(e.contains("no_such_detector.onnx does not exist") && e.contains("`detect.detector`"), "{e}");
    // The recognition model is not a detector: it has no input `image`.
    let e = error("models/ssd_mobilenetv1.onnx", "models/dlib_face_recognition.onnx");
    assert!(e.contains("the detector model has no input `image`"), "{e}");
    let e = error("models/face_landmark_68.onnx", "models/ssd_mobilenetv1.onnx");
    assert!(e.contains("the landmark model has no output `landmarks`"), "{e}");
    let e = error("min_confidence = 0.5", "min_confidence = 1.5");
    assert!(e.contains("min_confidence must be in (0, 1)"), "{e}");
    let e = error("select = \"largest\"", "select = \"leftmost\"");
    assert!(e.contains("leftmost"), "{e}");
    let five = config_text("five-point");
    let without = five.lines().filter(|l| !l.starts_with("reference_landmarks")).collect::<Vec<_>>().join("\n");
    let e = OnnxVendor::from_toml(&without, &path).err().expect("an error").to_string();
    assert!(e.contains("align = \"five-point\" needs reference_landmarks"), "{e}");
}
