//! Descriptor throughput of the `candle` adapter beside the `onnx` adapter (ONNX
//! Runtime) on the same model and the same preprocessed inputs, in one run; prints images
//! per second of each and the ratio candle / ONNX Runtime (benches/README.md).
//!
//! scripts/setup-onnx
//! cargo run --release -p vendors --features candle --example candle_throughput -- [IMAGES] [BATCH] [THREADS]
//!
//! IMAGES face crops (default 128; the fixture's demo faces, shifted), batches of BATCH
//! (default 16) for both, ONNX Runtime with THREADS intra-op threads (default 2; candle
//! uses its own thread pool over every core). Each side is timed three times, best kept.

#[path = "common/faces.rs"]
mod faces;
#[path = "common/timing.rs"]
mod timing;

use std::path::Path;
use vendors::OnnxVendor;
use vendors::candle::CandleVendor;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let images = args.first().copied().unwrap_or(128);
    let batch = args.get(1).copied().unwrap_or(16);
    let threads = args.get(2).copied().unwrap_or(2);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let candle =
        CandleVendor::from_file(&repo.join("examples/candle-dlib/vendor.toml")).unwrap_or_else(|e| panic!("{e}"));
    let onnx_config = repo.join("examples/onnx-dlib/vendor.toml");
    let text = std::fs::read_to_string(&onnx_config).expect("read the onnx config");
    let mut table: toml::Table = toml::from_str(&text).expect("parse the config");
    table.insert("batch_size".into(), toml::Value::Integer(batch as i64));
    table.insert("threads".into(), toml::Value::Integer(threads as i64));
    let onnx =
        OnnxVendor::from_toml(&toml::to_string(&table).expect("toml"), &onnx_config).unwrap_or_else(|e| panic!("{e}"));

    let media = faces::face_media(repo, images);
    let inputs: Vec<Vec<f32>> = media.iter().map(|m| onnx.preprocess(m).expect("preprocess")).collect();
    let best = |f: &dyn Fn()| {
        f(); // warm-up
        timing::best_of_three(f)
    };
    let onnx_seconds = best(&|| {
        onnx.embed(&inputs).expect("onnx");
    });
    let candle_seconds = best(&|| {
        for chunk in inputs.chunks(batch) {
            candle.embed(chunk).expect("candle");
        }
    });
    let rate = |s: f64| images as f64 / s;
    println!(
        "{{\"images\": {images}, \"batch_size\": {batch}, \"onnx_threads\": {threads}, \
         \"candle_images_per_second\": {:.2}, \"onnx_images_per_second\": {:.2}, \"candle_over_onnx\": {:.3}}}",
        rate(candle_seconds),
        rate(onnx_seconds),
        onnx_seconds / candle_seconds
    );
}
