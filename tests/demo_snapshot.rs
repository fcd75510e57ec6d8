//! `verity demo` end to end: the full report, the comparison of its three vendors and
//! the scorecard are written, self-contained, and their Markdown is held as snapshots,
//! so any change to what the demo tells a panel shows up as a diff in review.
//! `UPDATE_SNAPSHOTS=1 cargo test --test demo_snapshot` rewrites the snapshots.
//!
//! The demo is the largest run of the test suite (48,000 subjects, three vendors): this
//! is one test so it runs once.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::check_snapshot;
use std::process::Command;

#[test]
fn demo_writes_report_comparison_and_scorecard() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = Command::new(env!("CARGO_BIN_EXE_verity")).args(["demo", "--out", out.to_str().unwrap()]).output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{printed}");
    // The panel's question, answered on the terminal too: who wins, who fails a gate.
    assert!(printed.contains("excluded — fails gate"), "{printed}");

    for html in ["report.html", "annex.html", "compare.html", "scorecard.html"] {
        common::assert_self_contained(&std::fs::read_to_string(out.join(html)).unwrap());
    }
    for svg in std::fs::read_dir(out.join("figures")).unwrap() {
        let path = svg.unwrap().path();
        roxmltree::Document::parse(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    let normalise =
        |name: &str| std::fs::read_to_string(out.join(name)).unwrap().replace(dir.path().to_str().unwrap(), "<TMP>");
    check_snapshot("demo-report.md", &normalise("report.md"));
    check_snapshot("demo-scorecard.md", &normalise("scorecard.md"));
    check_snapshot("demo-compare.md", &normalise("compare.md"));
}
