//! Face crops for the throughput examples (`onnx_throughput`, `candle_throughput`).

use image::{RgbImage, imageops};
use std::path::Path;

/// PNG face crops of the fixture's demo faces, shifted a little each round.
pub fn face_media(repo: &Path, n: usize) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo.join("vendors/tests/fixtures/face_api_demo_faces.json")).expect("fixture");
    let json: serde_json::Value = serde_json::from_str(&text).expect("fixture json");
    let faces: Vec<(RgbImage, [u32; 4])> = json["faces"]
        .as_array()
        .expect("faces")
        .iter()
        .map(|f| {
            let path = repo.join(".verity-deps/face-api/demo").join(f["photo"].as_str().expect("photo"));
            let photo = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgb8();
            let b: Vec<u32> =
                f["box"].as_array().expect("box").iter().map(|v| v.as_u64().unwrap_or(0) as u32).collect();
            (photo, [b[0], b[1], b[2], b[3]])
        })
        .collect();
    (0..n)
        .map(|i| {
            let (photo, b) = &faces[i % faces.len()];
            let shift = (i / faces.len()) as u32 % 8;
            let crop = imageops::crop_imm(photo, b[0] + shift, b[1] + shift, b[2], b[3]).to_image();
            let mut out = std::io::Cursor::new(Vec::new());
            crop.write_to(&mut out, image::ImageFormat::Png).expect("png");
            out.into_inner()
        })
        .collect()
}
