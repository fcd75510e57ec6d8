//! Helpers shared by the end-to-end tests.

use std::path::Path;

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
