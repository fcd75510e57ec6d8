//! End-to-end test of `verity score`: simulate the small fixture benchmark, run two
//! vendors, score them with a rubric, and trace a scorecard value back to results.json.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, s, text, verity};

/// Fields of one CSV line (quotes doubled inside quoted fields; no line breaks in fields).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

const RUBRIC: &str = r#"
[rubric]
name = "small fixture rubric"

[[bid]]
vendor = "small-vendor"
price = 1000

[[bid]]
vendor = "second-vendor"
price = 1250

[[criterion]]
id = "tpir"
name = "TPIR at the declared threshold"
weight = 40
measure = { kind = "rate", metric = "tpir", protocol = "watchlist", declared = true }
scoring = { function = "linear", worst = 0.5, best = 1.0 }

[[criterion]]
id = "fpir"
name = "FPIR at 0.6"
weight = 30
measure = { kind = "rate", metric = "fpir", protocol = "watchlist", threshold = 0.6 }
scoring = { function = "log-linear", worst = 0.1, best = 0.001 }

[[criterion]]
id = "fte"
name = "FTE"
weight = 20
measure = { kind = "rate", metric = "fte" }
scoring = { function = "linear", worst = 0.05, best = 0.0 }

[[criterion]]
id = "size"
name = "template size"
weight = 10
measure = { kind = "template_bytes" }
scoring = { function = "steps", better = "lower", bands = [[256, 1.0], [1024, 0.5]] }

[[gate]]
id = "fpir-each"
name = "every group's FPIR upper bound at most 0.9"
measure = { kind = "rate", metric = "fpir", protocol = "watchlist", declared = true, group = "each", statistic = "upper_bound" }
max = 0.9
"#;

#[test]
fn score_ranks_two_vendors_and_traces_values_to_results() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench");
    let o = verity(&["simulate", "--spec", s(&fixture("small/population.toml")), "--out", s(&bench)]);
    assert!(o.status.success(), "{}", text(&o));
    // A second vendor: the fixture vendor with another name and seed.
    let second = dir.path().join("second.toml");
    let config = std::fs::read_to_string(fixture("small/vendor.toml")).unwrap();
    let config =
        config.replace("name = \"small-vendor\"", "name = \"second-vendor\"").replace("seed = 11", "seed = 12");
    assert!(config.contains("second-vendor"));
    std::fs::write(&second, config).unwrap();
    let run = dir.path().join("run");
    let o = verity(&[
        "run",
        s(&bench),
        "--vendor",
        s(&fixture("small/vendor.toml")),
        "--vendor",
        s(&second),
        "--out",
        s(&run),
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let rubric = dir.path().join("rubric.toml");
    std::fs::write(&rubric, RUBRIC).unwrap();
    let card = dir.path().join("card");
    let o = verity(&["score", "--rubric", s(&rubric), s(&run), "--out", s(&card)]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("small-vendor") && out.contains("second-vendor"), "{out}");
    assert!(out.contains("total (of 100)"), "{out}");
    for f in ["scorecard.html", "scorecard.md", "scorecard.csv"] {
        assert!(card.join(f).is_file(), "missing {f}");
    }
    let md = std::fs::read_to_string(card.join("scorecard.md")).unwrap();
    assert!(md.contains("## Why this ranking"), "{md}");
    // Runs are named by their path from the scorecard's folder, never an absolute path.
    for f in ["scorecard.html", "scorecard.md", "scorecard.csv"] {
        let body = std::fs::read_to_string(card.join(f)).unwrap();
        if let Some(i) = body.find(dir.path().to_str().unwrap()) {
            panic!("{f} holds an absolute path: {}", &body[i.saturating_sub(120)..(i + 80).min(body.len())]);
        }
    }

    // The FPIR criterion's value is the watchlist FPIR at 0.6 (grid) in results.json.
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    let vendor = results["vendors"].as_array().unwrap().iter().find(|v| v["vendor"]["name"] == "small-vendor").unwrap();
    let watchlist = vendor["protocols"].as_array().unwrap().iter().find(|p| p["protocol"] == "watchlist").unwrap();
    let expected = watchlist["rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["metric"] == "fpir"
                && r["operating_point"] == "grid"
                && r["threshold"].as_f64() == Some(0.6)
                && r["grouping"] == "all"
        })
        .unwrap()["rate"]["rate"]
        .as_f64()
        .unwrap();
    let csv = std::fs::read_to_string(card.join("scorecard.csv")).unwrap();
    let mut lines = csv.lines();
    let header = csv_fields(lines.next().unwrap());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert_eq!(rows.len(), 2 * (4 + 1 + 2), "{csv}");
    let fpir = rows.iter().find(|r| r[col("vendor")] == "small-vendor" && r[col("id")] == "fpir").unwrap();
    assert_eq!(fpir[col("measured_value")].parse::<f64>().unwrap(), expected, "{csv}");
    assert!(fpir[col("source")].contains("operating_point=grid, threshold=0.6"), "{:?}", fpir);
    // The cheaper bid gets the full 30 price points; 1250 gets 30 × 1000 / 1250 = 24.
    let price = |v: &str| {
        rows.iter().find(|r| r[col("vendor")] == v && r[col("item")] == "price").unwrap()[col("points")]
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(price("small-vendor"), 30.0);
    assert!((price("second-vendor") - 24.0).abs() < 1e-12);

    // A bad rubric: exit 2 naming the file, line and column; nothing written.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, RUBRIC.replace("metric = \"fte\"", "metric = \"ftx\"")).unwrap();
    let nowhere = dir.path().join("nowhere");
    let o = verity(&["score", "--rubric", s(&bad), s(&run), "--out", s(&nowhere)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml:31:37: unknown metric `ftx`"), "{err}");
    assert!(!nowhere.exists());

    // A vendor without a bid is bad input naming it.
    let one_bid = dir.path().join("one-bid.toml");
    std::fs::write(&one_bid, RUBRIC.replace("[[bid]]\nvendor = \"second-vendor\"\nprice = 1250\n", "")).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let o = verity(&["score", "--rubric", s(&one_bid), s(&run), "--out", s(&elsewhere)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("vendor `second-vendor`"), "{}", text(&o));
    assert!(!elsewhere.exists());
}
