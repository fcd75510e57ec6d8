//! End-to-end tests of `verity report`: a run of the small synthetic benchmark, its
//! report written and read back. The HTML must be self-contained, the figures valid
//! SVG, the Markdown must hold the same sections, and the numbers printed must be the
//! numbers in results.json.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, text, verity};

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Simulate the small benchmark and run its vendor; returns the run folder.
fn small_run(dir: &Path) -> PathBuf {
    let bench = dir.join("bench");
    let spec = fixture("small/population.toml");
    let o = verity(&["simulate", "--spec", spec.to_str().unwrap(), "--out", bench.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let run = dir.join("run");
    // The vendor config beside the benchmark, so every recorded path is inside `dir`.
    let vendor = dir.join("vendor.toml");
    std::fs::copy(fixture("small/vendor.toml"), &vendor).unwrap();
    let o =
        verity(&["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    run
}

/// The section headings a report must have, in the order of docs/report.md.
const SECTIONS: [&str; 14] = [
    "Summary at the operating threshold",
    "Test description",
    "Threshold sweep (NPL style)",
    "DET curves by group",
    "Error rates against threshold",
    "Cross-group false match rates",
    "Score distributions by group",
    "Cumulative match characteristic (CMC)",
    "Differential summary",
    "Significance tests",
    "Minimum detectable differences",
    "Deployment projection",
    "DPIA and PSED statements",
    "Provenance and how to reproduce",
];

#[test]
fn report_is_self_contained_with_every_section_and_valid_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    let o = verity(&["report", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    common::assert_self_contained(&html);
    common::assert_self_contained(&std::fs::read_to_string(run.join("annex.html")).unwrap());

    // Every section, in order, in both renderings.
    let mut at_html = 0;
    let mut at_md = 0;
    for s in SECTIONS {
        let h = html[at_html..]
            .find(&format!(">{}</h2>", s.replace('&', "&amp;")))
            .unwrap_or_else(|| panic!("HTML lacks `{s}` after byte {at_html}"));
        at_html += h;
        let m = md[at_md..].find(&format!("\n## {s}\n")).unwrap_or_else(|| panic!("Markdown lacks `{s}`"));
        at_md += m;
    }

    // Every figure is valid XML, has a caption, and is the same in both renderings.
    let figures: Vec<_> = std::fs::read_dir(run.join("figures")).unwrap().map(|e| e.unwrap().path()).collect();
    // DET, rates against threshold and scores for 3 protocols, a heatmap, a CMC.
    assert!(figures.len() >= 11, "{} figures", figures.len());
    for f in &figures {
        let svg = std::fs::read_to_string(f).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let stem = f.file_stem().unwrap().to_str().unwrap();
        assert!(md.contains(&format!("![{stem}](figures/{stem}.svg)\n\n*")), "{stem} has no caption in the Markdown");
        assert!(html.contains(&format!("<figure id=\"fig-{stem}\">")), "{stem} is not in the HTML");
    }
    assert_eq!(html.matches("<figcaption>").count(), figures.len());
    // Each SVG inlined in the HTML is well-formed XML too.
    let inline: Vec<&str> = html.split("<svg").skip(1).map(|s| s.split("</svg>").next().unwrap()).collect();
    assert_eq!(inline.len(), figures.len());
    for s in inline {
        roxmltree::Document::parse(&format!("<svg{s}</svg>")).expect("inline SVG is well-formed");
    }

    // The reproduce command and the hashes are printed.
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    assert!(md.contains(results["provenance"]["command"].as_str().unwrap()));
    assert!(md.contains(results["benchmark"]["content_hash"].as_str().unwrap()));
    assert!(md.contains(results["trial_lists"][0]["hash"].as_str().unwrap()));
}

/// Every (numerator, denominator) pair anywhere in results.json.
fn count_pairs(v: &serde_json::Value, out: &mut HashSet<(u64, u64)>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (Some(n), Some(d)) =
                (m.get("numerator").and_then(|x| x.as_u64()), m.get("denominator").and_then(|x| x.as_u64()))
            {
                out.insert((n, d));
            }
            m.values().for_each(|x| count_pairs(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| count_pairs(x, out)),
        _ => {}
    }
}

fn number(s: &str) -> u64 {
    s.replace(',', "").parse().unwrap()
}

#[test]
fn every_rate_in_the_report_is_a_rate_of_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    let o = verity(&["report", run.to_str().unwrap(), "--grouping", "ethnicity"]);
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    let mut pairs = HashSet::new();
    count_pairs(&results, &mut pairs);

    // Every "P% (K/N" printed is a rate of results.json, and P is K/N as printed.
    let mut checked = 0;
    for line in md.lines().filter(|l| l.starts_with('|')) {
        for cell in line.split(" | ") {
            let Some((pct, rest)) = cell.trim_matches(['|', ' ', '*']).split_once("% (") else { continue };
            let Some((k, rest)) = rest.split_once('/') else { continue };
            let n: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
            let pct = pct.trim_start_matches("**");
            if pct.parse::<f64>().is_err() {
                continue;
            }
            let (k, n) = (number(k), number(&n));
            assert!(pairs.contains(&(k, n)), "{k}/{n} in `{cell}` is not a rate of results.json");
            let shown = reports::format::percent(k as f64 / n as f64);
            assert_eq!(shown, format!("{pct}%"), "`{cell}`: {k}/{n} is {shown}");
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} rates checked");

    // A sample checked row by row: the summary table of the watchlist at the declared
    // threshold, each ethnicity group's TPIR and FPIR, against the rows of results.json.
    let vendor = &results["vendors"][0];
    let watchlist = vendor["protocols"].as_array().unwrap().iter().find(|p| p["kind"] == "watchlist").unwrap();
    let rates = watchlist["rates"].as_array().unwrap();
    let find = |metric: &str, group: &str| {
        rates
            .iter()
            .find(|r| {
                r["metric"] == metric
                    && r["operating_point"] == "declared:operating"
                    && r["grouping"] == "ethnicity"
                    && r["group"] == group
            })
            .unwrap_or_else(|| panic!("no {metric} row for {group}"))
    };
    let section = md.split("### small-vendor: watchlist").nth(1).unwrap();
    for group in ["a", "b"] {
        let row = section.lines().find(|l| l.starts_with(&format!("| {group} |"))).unwrap();
        for metric in ["tpir", "fpir"] {
            let r = find(metric, group);
            let counts = format!(
                "({}/{};",
                r["rate"]["numerator"].as_u64().unwrap(),
                reports::format::count(r["rate"]["denominator"].as_u64().unwrap())
            );
            assert!(row.contains(&counts), "{metric} {group}: `{counts}` not in `{row}`");
        }
    }
}

#[test]
fn report_refuses_what_the_run_did_not_evaluate_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    let o = verity(&["report", run.to_str().unwrap(), "--threshold", "0.61"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("threshold 0.61 was not evaluated"), "{}", text(&o));
    let o = verity(&["report", run.to_str().unwrap(), "--grouping", "age"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("grouping `age` is not in the results"), "{}", text(&o));
    let o = verity(&["report", dir.path().join("nowhere").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("results.json"), "{}", text(&o));
    assert!(!run.join("report.html").exists() && !run.join("figures").exists());
}

/// The report of the small run, held as a snapshot: a change to the report shows up
/// as a diff here. `UPDATE_SNAPSHOTS=1 cargo test --test report_cli` rewrites it.
#[test]
fn small_report_markdown_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let run = small_run(dir.path());
    let o = verity(&["report", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let md = md.replace(dir.path().to_str().unwrap(), "<TMP>").replace(env!("CARGO_MANIFEST_DIR"), "<REPO>");
    common::check_snapshot("small-report.md", &md);
}

/// Snapshots hold what verity computes, not its version or the bytes of an example
/// config: a version bump or a comment edited in a vendor config leaves them valid.
#[test]
fn snapshots_do_not_depend_on_the_version_or_config_comments() {
    let version = env!("CARGO_PKG_VERSION");
    let hash = "0ec13b18c7b57a8463020819da4aa68757405328d79d965026b12a7ecca6e696";
    let text = format!(
        "Written by verity {version} from results.json.\n- verity version {version}; results schema 1.2.\n\
         - Vendor c fingerprint simulated:sha256:{hash}.\n| vendor:vendors/vendor-c.toml | {hash} |\n\
         - Content hash (SHA-256): {hash}.\n"
    );
    assert_eq!(
        common::normalise_snapshot(&text),
        format!(
            "Written by verity <VERSION> from results.json.\n- verity version <VERSION>; results schema 1.2.\n\
             - Vendor c fingerprint simulated:sha256:<CONFIG-SHA256>.\n| vendor:vendors/vendor-c.toml | <CONFIG-SHA256> |\n\
             - Content hash (SHA-256): {hash}.\n"
        )
    );
}
