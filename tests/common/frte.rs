//! The null FRTE libraries of the `frte` adapter's tests (tests/fixtures/frte/) and the
//! image benchmark they read.

use super::{root, simulate_small, text};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Build a null library from `source` (in tests/fixtures/frte/) with extra compiler
/// flags; `None` (and SKIPPED printed) when there is no g++.
pub fn build_library(dir: &Path, source: &str, name: &str, flags: &[&str]) -> Option<PathBuf> {
    let out = dir.join(name);
    let o = Command::new("g++")
        .args(["-std=c++11", "-shared", "-fPIC", "-O1", "-I"])
        .arg(root().join("vendors/frte"))
        .args(flags)
        .arg(root().join("tests/fixtures/frte").join(source))
        .arg("-o")
        .arg(&out)
        .output();
    match o {
        Ok(o) if o.status.success() => Some(out),
        Ok(o) => panic!("g++ failed: {}", text(&o)),
        Err(e) => {
            println!("SKIPPED: the frte tests need g++ to build the null FRTE library ({e})");
            None
        }
    }
}

/// The small simulated benchmark with every synthetic face stored as a PNG image whose
/// one row of 8-bit pixels holds the face's text (what the null library reads).
pub fn image_benchmark(dir: &Path) -> PathBuf {
    let bench = simulate_small(dir);
    let samples = bench.join("samples.csv");
    let table = std::fs::read_to_string(&samples).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let media = header.split(',').position(|c| c == "media").unwrap();
    let mut out = vec![header.to_string()];
    std::fs::create_dir_all(bench.join("media")).unwrap();
    for line in lines {
        assert!(!line.contains('"'), "{line}");
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        let face = fields[media].strip_prefix("inline:").unwrap().as_bytes().to_vec();
        let name = format!("media/{}.png", fields[0]);
        image::GrayImage::from_raw(face.len() as u32, 1, face).unwrap().save(bench.join(&name)).unwrap();
        fields[media] = name;
        out.push(fields.join(","));
    }
    std::fs::write(&samples, out.join("\n") + "\n").unwrap();
    bench
}

/// The text of a sample's image.
pub fn face_text(media: &[u8]) -> String {
    let image = image::load_from_memory(media).unwrap().to_luma8();
    String::from_utf8(image.into_raw()).unwrap()
}

pub fn read_only(dir: &Path) {
    assert!(Command::new("chmod").args(["-R", "a-w"]).arg(dir).status().unwrap().success());
}

/// The program the adapter starts as its workers: this build's verity.
pub fn worker() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_verity"))
}
