//! Write a folder-per-subject face set from face-api's demo photos, for the worked
//! example in examples/onnx-dlib/README.md:
//!
//! cargo run -p vendors --example onnx_demo_faces -- FACES/
//!
//! Each face of vendors/tests/fixtures/face_api_demo_faces.json becomes a subject folder
//! `faceNN/` with two samples: `1.png`, the crop, and `2.png`, the crop moved by 4% of its
//! size and brightened by 20 grey levels. The photos have no identity labels and one
//! photo per person, so the "mated" pairs are two captures made from one photo: a
//! plumbing check of the adapter and the pipeline, not an accuracy figure.

use image::imageops;
use std::path::{Path, PathBuf};

fn main() {
    let Some(out) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: onnx_demo_faces OUT_FOLDER");
        std::process::exit(2);
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let text = std::fs::read_to_string(repo.join("vendors/tests/fixtures/face_api_demo_faces.json")).expect("fixture");
    let json: serde_json::Value = serde_json::from_str(&text).expect("fixture json");
    for (i, face) in json["faces"].as_array().expect("faces").iter().enumerate() {
        let path = repo.join(".verity-deps/face-api/demo").join(face["photo"].as_str().expect("photo"));
        let photo = image::open(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup-onnx)", path.display()));
        let photo = photo.to_rgb8();
        let b: Vec<u32> = face["box"].as_array().expect("box").iter().map(|v| v.as_u64().unwrap_or(0) as u32).collect();
        let dir = out.join(format!("face{:02}", i + 1));
        std::fs::create_dir_all(&dir).expect("create the subject folder");
        imageops::crop_imm(&photo, b[0], b[1], b[2], b[3]).to_image().save(dir.join("1.png")).expect("write");
        let (dx, dy) = (b[2] / 25, b[3] / 25);
        let mut copy = imageops::crop_imm(&photo, b[0] + dx, b[1].saturating_sub(dy), b[2], b[3]).to_image();
        copy.pixels_mut().for_each(|p| p.0 = p.0.map(|v| v.saturating_add(20)));
        copy.save(dir.join("2.png")).expect("write");
    }
    eprintln!("wrote {} subjects to {}", json["faces"].as_array().map_or(0, Vec::len), out.display());
}
