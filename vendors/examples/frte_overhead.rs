//! The `frte` adapter's cost per call, beyond the library's own work: templates and
//! comparisons through the worker (JSON lines, base64, the pipe to the forked child)
//! with the null FRTE library of the tests, whose own work is microseconds.
//!
//! g++ -std=c++11 -shared -fPIC -O2 -I vendors/frte tests/fixtures/frte/null_impl.cpp -o /tmp/libfrvt_11_null_001.so
//! mkdir -p /tmp/null-config && touch /tmp/null-config/null.conf && chmod -R a-w /tmp/null-config
//! cargo run --release -p vendors --example frte_overhead -- /tmp/libfrvt_11_null_001.so /tmp/null-config [CALLS]
//!
//! Prints one JSON line: microseconds per createTemplate and per matchTemplates call, one
//! caller, one worker (the best of three rounds of CALLS calls, default 2,000).

#[path = "common/timing.rs"]
mod timing;

use harness::vendor::{Role, Vendor};

fn main() {
    // This program is also the adapter's worker.
    vendors::frte_worker::worker_entry();
    let args: Vec<String> = std::env::args().collect();
    let (library, config_dir) = (&args[1], &args[2]);
    let calls: usize = args.get(3).map_or(2000, |c| c.parse().expect("CALLS is a number"));
    let dir = std::env::temp_dir().join(format!("verity-frte-overhead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let config = dir.join("null.toml");
    let text = format!(
        "kind = \"frte\"\nlibrary = {library:?}\nconfig_dir = {config_dir:?}\napi = \"1:1\"\nscore_max = 1.0\n\
         stderr_log = \"null.stderr.log\"\n"
    );
    let vendor = vendors::FrteVendor::from_toml(&text, &config).unwrap_or_else(|e| panic!("{e}"));
    // A synthetic face as one row of grey pixels, as the tests make them.
    let face = b"face/v1 identity=034f739552a91b48 appearance=M\xc3\x97a capture=4af9869737a4cb00".to_vec();
    let mut png = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_raw(face.len() as u32, 1, face)
        .expect("image")
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("png");
    let media = png.into_inner();
    let best = timing::best_of_three;
    let template = vendor.create_template(&media, Role::Enrol).expect("template");
    let create = best(&|| {
        for _ in 0..calls {
            vendor.create_template(&media, Role::Enrol).expect("template");
        }
    });
    let compare = best(&|| {
        for _ in 0..calls {
            vendor.compare(&template, &template).expect("compare");
        }
    });
    drop(vendor);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{{\"calls\": {calls}, \"create_template_us\": {:.1}, \"compare_us\": {:.1}}}",
        create * 1e6 / calls as f64,
        compare * 1e6 / calls as f64
    );
}
