//! Template throughput of the `onnx` adapter, for benches/onnx_throughput.py, which runs
//! this and Python onnxruntime on the same inputs and prints the ratio.
//!
//! cargo run --release -p vendors --example onnx_throughput -- CONFIG IMAGES BATCH THREADS INPUTS_OUT
//!
//! Makes IMAGES face crops (the demo faces of the fixture, repeated with small shifts),
//! writes their preprocessed tensors to INPUTS_OUT (raw f32, for Python), then times
//! (1) the model on the preprocessed tensors (`OnnxVendor::embed`) and (2) templates from
//! PNG bytes end to end (`OnnxVendor::create_templates`: decode, preprocess, model), and
//! prints one JSON line of images per second.

#[path = "common/faces.rs"]
mod faces;
#[path = "common/timing.rs"]
mod timing;

use faces::face_media;
use std::path::{Path, PathBuf};
use vendors::OnnxVendor;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: onnx_throughput CONFIG IMAGES BATCH THREADS INPUTS_OUT");
        std::process::exit(2);
    }
    let config = PathBuf::from(&args[1]);
    let images: usize = args[2].parse().expect("IMAGES is a number");
    let batch: i64 = args[3].parse().expect("BATCH is a number");
    let threads: i64 = args[4].parse().expect("THREADS is a number");
    let text = std::fs::read_to_string(&config).expect("read the config");
    let mut table: toml::Table = toml::from_str(&text).expect("parse the config");
    table.insert("batch_size".into(), toml::Value::Integer(batch));
    table.insert("threads".into(), toml::Value::Integer(threads));
    let vendor =
        OnnxVendor::from_toml(&toml::to_string(&table).expect("write toml"), &config).unwrap_or_else(|e| panic!("{e}"));

    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let media = face_media(repo, images);
    let inputs: Vec<Vec<f32>> = media.iter().map(|m| vendor.preprocess(m).expect("preprocess")).collect();
    let bytes: Vec<u8> = inputs.concat().iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&args[5], bytes).expect("write the inputs");

    vendor.embed(&inputs[..(batch as usize).min(inputs.len())]).expect("warm-up");
    let best = timing::best_of_three;
    let model_seconds = best(&|| {
        vendor.embed(&inputs).expect("embed");
    });
    let refs: Vec<&[u8]> = media.iter().map(Vec::as_slice).collect();
    let end_to_end_seconds = best(&|| {
        assert!(vendor.create_templates(&refs).iter().all(Result::is_ok));
    });
    println!(
        "{{\"images\": {images}, \"batch_size\": {batch}, \"threads\": {threads}, \"model_images_per_second\": {:.3}, \
         \"end_to_end_images_per_second\": {:.3}}}",
        images as f64 / model_seconds,
        images as f64 / end_to_end_seconds
    );
}
