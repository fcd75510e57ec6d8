//! Helpers shared by the end-to-end tests.
#![allow(dead_code)] // each test file uses some of them

use std::path::{Path, PathBuf};

/// Compare `text` with the snapshot `tests/fixtures/snapshots/NAME`, failing at the
/// first differing line. `UPDATE_SNAPSHOTS=1` rewrites the snapshot first (review the
/// diff before committing it).
pub fn check_snapshot(name: &str, text: &str) {
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).expect("snapshot exists (UPDATE_SNAPSHOTS=1 writes it)");
    if text != expected {
        let line = text.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from {} at line {}:\n  now:      {}\n  snapshot: {}",
            snapshot.display(),
            line + 1,
            text.lines().nth(line).unwrap_or("(end)"),
            expected.lines().nth(line).unwrap_or("(end)")
        );
    }
}

/// Nothing in the HTML may point outside the file.
pub fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for bad in ["<script", "<link", "<iframe", "<img", "src=", "url(", "@import", "http://", "https://"] {
        // The SVG namespace is an identifier, not a reference: allow exactly that URI.
        let count = lower.matches(bad).count();
        let allowed = if bad == "http://" { lower.matches("http://www.w3.org/").count() } else { 0 };
        assert_eq!(count, allowed, "the HTML holds `{bad}`");
    }
    for (i, _) in lower.match_indices("href=\"") {
        assert!(lower[i + 6..].starts_with('#'), "a link that leaves the page: {}", &html[i..(i + 60).min(html.len())]);
    }
}

/// A benchmark without protocols (each sample's template made once, in sample order) of
/// `samples` synthetic faces, the samples at `faulty` marked so that the faulty vendor in
/// `--marked` mode fails them.
pub fn marked_benchmark(dir: &Path, samples: usize, faulty: &[usize]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("benchmark.toml"),
        "[benchmark]\nname = \"marked\"\nversion = \"1\"\nlicence = \"CC0-1.0\"\n\
         description = \"Synthetic faces, some marked to fail.\"\n\n[tables]\nsubjects = \"subjects.csv\"\n\
         samples = \"samples.csv\"\n\n[attributes.group]\nprovenance = \"synthetic\"\n",
    )
    .unwrap();
    let mut subjects = String::from("subject_id,group\n");
    let mut rows = String::from("sample_id,subject_id,media\n");
    for i in 0..samples {
        subjects.push_str(&format!("p{i:05},{}\n", if i % 2 == 0 { "a" } else { "b" }));
        let capture = if faulty.contains(&i) { "fault".to_string() } else { format!("{i:016x}") };
        rows.push_str(&format!("s{i:05},p{i:05},inline:face/v1 identity={:016x} capture={capture}\n", i + 1));
    }
    std::fs::write(dir.join("subjects.csv"), subjects).unwrap();
    std::fs::write(dir.join("samples.csv"), rows).unwrap();
    dir.to_path_buf()
}

