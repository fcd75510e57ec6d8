//! `verity demo` end to end: the full report, the comparison of its three vendors and
//! the scorecard are written, self-contained, and their Markdown is held as snapshots,
//! so any change to what the demo tells a panel shows up as a diff in review.
//! `UPDATE_SNAPSHOTS=1 cargo test --test demo_snapshot` rewrites the snapshots.
//!
//! The demo is the largest run of the test suite (48,000 subjects, three vendors): this
//! is one test so it runs once.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::browser::{self, Browser};
use common::check_snapshot;
use std::path::Path;
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
    rendering(&out);
}

/// The demo's pages as a reader sees them in Chromium (docs/report.md, "Looking at
/// it"): tables that never break a word, on screen at 1024 and 1920 pixels and in
/// print on A4 portrait and landscape pages; the verdict on the first printed page; the
/// threshold explorer's numbers equal to results.json and to the report's.
fn rendering(out: &Path) {
    let browser = match Browser::find() {
        Ok(b) => b,
        Err(why) => {
            println!("SKIPPED rendering checks of the demo's pages: {why}");
            return;
        }
    };
    for page in ["report.html", "compare.html", "scorecard.html"] {
        let html = out.join(page);
        for width in [1024, 1920] {
            let cells = browser::check_tables(&browser, &html, width, false, "td, th");
            assert!(cells > 10, "{page}: {cells} cells");
        }
        // Print: A4 between the margins is 186 mm (703 CSS px) portrait, 273 mm (1032
        // px) landscape; sections too wide for portrait print on landscape pages.
        browser::check_tables(&browser, &html, 703, true, "body > .wide td, body > .wide th");
        browser::check_tables(&browser, &html, 1032, true, "section.landscape td, section.landscape th");
        let stem = page.trim_end_matches(".html");
        browser.screenshot(&browser::file_url(&html, ""), 1280, 2000, &out.join(format!("{stem}-1280.png")));
    }
    let report = out.join("report.html");
    browser.screenshot(&browser::file_url(&report, ""), 1024, 1400, &out.join("report-1024.png"));
    let pdf = out.join("report.pdf");
    browser.print_pdf(&browser::file_url(&report, ""), &pdf);
    first_page_is_the_verdict(&pdf);
    explorer_matches_results(&browser, out);
}

/// The first printed page holds the verdict of every vendor and the neighbouring
/// thresholds, and nothing after them (the list of sections starts page 2); a table
/// that crosses a page break repeats its header.
fn first_page_is_the_verdict(pdf: &Path) {
    let page = |n: u32| -> Option<String> {
        let o = Command::new("pdftotext")
            .args(["-layout", "-f", &n.to_string(), "-l", &n.to_string(), pdf.to_str().unwrap(), "-"])
            .output()
            .ok()?;
        o.status.success().then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let Some(first) = page(1) else {
        println!(
            "SKIPPED the check of the report's first printed page: pdftotext (Debian poppler-utils) is not installed"
        );
        return;
    };
    for text in
        ["Verdict", "If the threshold moves", "vendor-a", "vendor-b", "vendor-c", "could not have", "(operating)"]
    {
        assert!(first.contains(text), "page 1 lacks {text:?}:\n{first}");
    }
    // vendor-c, the last vendor, is on page 1 five times: the title, its verdict and
    // its three thresholds.
    assert_eq!(first.matches("vendor-c").count(), 5, "{first}");
    let second = page(2).unwrap();
    assert!(
        second.contains("Summary at the operating threshold") && !second.contains("If the threshold moves"),
        "{second}"
    );
}

/// `explore.html#threshold=0.58&grouping=ethnicity` shows, for vendor-a's watchlist,
/// the report's rates at 0.58 (the rows of results.json, formatted as the report
/// formats them) and the verdicts of the tests at 0.58; every number the page can show
/// (every view, group and threshold of the curves) is formatted as verity formats it;
/// a threshold outside the range or an unknown grouping is a message, never a blank.
fn explorer_matches_results(browser: &Browser, out: &Path) {
    use harness::model::analysis::Metric;
    use harness::model::query::RateQuery;
    use harness::model::rate::Rate;
    use harness::model::thresholds::OperatingPoint;
    use reports::format::{one_in, one_in_value, rate_cell};

    let results: harness::model::results::Results =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let report_md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html = out.join("explore.html");
    let read_table = r#"
      const rows = [...document.querySelectorAll('#rates tbody tr')].map((tr) => ({
        group: tr.dataset.group, cells: [...tr.cells].map((td) => td.textContent) }));
      const message = document.getElementById('message');
      const pre = document.createElement('pre'); pre.id = 'verity-explorer';
      pre.textContent = JSON.stringify({ rows, threshold: document.getElementById('threshold').textContent,
        view: document.getElementById('view').selectedOptions[0].textContent,
        message: message.hidden ? '' : message.textContent, text: document.body.innerText });
      document.body.appendChild(pre);"#;
    let copy = browser::instrumented_copy(&html, read_table, false, "read");
    let shown = |fragment: &str| -> serde_json::Value {
        let dom = browser.dump_dom(&browser::file_url(&copy, fragment), 1400);
        serde_json::from_str(&browser::pre_text(&dom, "verity-explorer")).unwrap()
    };

    let page = shown("#threshold=0.58&grouping=ethnicity");
    assert_eq!(page["view"], "vendor-a 1.0, watchlist (gallery of 10,000 subjects, L = 10)");
    assert_eq!(page["threshold"], "0.58");
    assert_eq!(page["message"], "");
    let p = results.vendors[0].protocols.iter().find(|p| p.protocol == "watchlist").unwrap();
    let rows = page["rows"].as_array().unwrap();
    let groups: Vec<&str> = rows.iter().map(|r| r["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["all", "asian", "black", "white"]);
    let c = results.config.confidence;
    for row in rows {
        let g = row["group"].as_str().unwrap();
        let grouping = if g == "all" { "all" } else { "ethnicity" };
        let rate = |m: Metric, rank: Option<u32>| {
            let q = RateQuery::metric(m).threshold(0.58).at(&OperatingPoint::Grid).grouping(grouping).group(g);
            p.rate(&q.gallery_size(Some(10_000)).rank(rank)).unwrap().clone()
        };
        let (tp, fp) = (rate(Metric::Tpir, Some(10)), rate(Metric::Fpir, None));
        let cell = |r: &harness::model::analysis::RateRow| rate_cell(r.rate, r.interval.map(|i| (i.low, i.high)));
        let cells: Vec<&str> = row["cells"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        let fp_i = fp.interval.unwrap();
        let one_in_x = format!(
            "{} ({}% CI {} to {})",
            one_in(fp.rate),
            (c * 100.0).round(),
            one_in_value(fp_i.high).unwrap(),
            one_in_value(fp_i.low).unwrap()
        );
        assert_eq!(cells[1].trim_end_matches(" ▲"), cell(&tp), "TPIR of {g}");
        assert_eq!(cells[2].trim_end_matches(" ▲"), cell(&fp), "FPIR of {g}");
        assert_eq!(cells[3], one_in_x, "1 in X of {g}");
        // The report's sweep table has the same cells at 0.58.
        assert!(report_md.contains(&cell(&fp)) && report_md.contains(&cell(&tp)), "{g}: {}", cell(&fp));
        if g != "all" {
            for (m, at) in [(Metric::Fpir, 5), (Metric::Fnir, 6)] {
                let rank = if m == Metric::Fnir { Some(10) } else { None };
                let q = RateQuery::metric(m).threshold(0.58).at(&OperatingPoint::Grid).grouping("ethnicity");
                let cmp = p.comparison(&q.gallery_size(Some(10_000)).rank(rank)).unwrap();
                let v = cmp.groups.iter().find(|x| x.group == g).unwrap();
                assert!(cells[at].starts_with(&v.verdict), "{g} {m:?}: {} vs {}", cells[at], v.verdict);
            }
        }
    }

    // Between evaluated thresholds the verdicts are not shown.
    let t = &p.curves.iter().find(|c| c.gallery_size == Some(10_000)).unwrap().thresholds;
    let between = t.iter().find(|&&x| x > 0.58 && x < 0.6).expect("a curve threshold between 0.58 and 0.6");
    let page = shown(&format!("#threshold={between}&grouping=ethnicity"));
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows[1]["cells"][5], "not tested at this threshold", "{page}");

    // Bad addresses: a message, and the page still shows numbers (never NaN or blank).
    for (fragment, says) in [
        ("#threshold=9&grouping=ethnicity", "outside the range analysed"),
        ("#threshold=abc", "is not a number"),
        ("#threshold=0.6&grouping=nope", "Grouping `nope` is not in the results"),
    ] {
        let page = shown(fragment);
        let message = page["message"].as_str().unwrap();
        assert!(message.contains(says), "{fragment}: {message}");
        let text = page["text"].as_str().unwrap();
        assert!(
            !text.contains("NaN") && !text.contains("undefined (") && page["rows"].as_array().unwrap().len() > 1,
            "{fragment}"
        );
    }

    // Every number the page can show, formatted by its script, equals verity's own
    // formatting of the same counts and intervals.
    let every = r#"
      const X = window.verityExplorer, out = [];
      X.data.views.forEach((v, vi) => { for (const name in v.groupings) for (const g of v.groupings[name]) {
        for (let i = 0; i < v.thresholds.length; i += 1) {
          const fl = g.fp_interval[2*i], fh = g.fp_interval[2*i+1], tl = g.tp_interval[2*i], th = g.tp_interval[2*i+1];
          out.push([vi, name, g.group, i, X.thresholdText(v.thresholds[i]), X.rateCell(g.tp[i], g.mated, tl, th),
            X.rateCell(g.fp[i], g.non_mated, fl, fh), X.oneIn(g.fp[i], g.non_mated, fl, fh)]);
        } } });
      const pre = document.createElement('pre'); pre.id = 'verity-every'; pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);"#;
    let copy = browser::instrumented_copy(&html, every, false, "every");
    let dom = browser.dump_dom(&browser::file_url(&copy, ""), 1400);
    let all: Vec<serde_json::Value> = serde_json::from_str(&browser::pre_text(&dom, "verity-every")).unwrap();
    let curves: Vec<(&harness::model::analysis::ProtocolAnalysis, &harness::model::curves::Curves)> = results
        .vendors
        .iter()
        .flat_map(|v| v.protocols.iter().flat_map(|p| p.curves.iter().map(move |c| (p, c))))
        .collect();
    let expected_count: usize = curves.iter().map(|(_, c)| c.groups.len() * c.thresholds.len()).sum();
    assert_eq!(all.len(), expected_count);
    let method = results.config.interval_method;
    for row in &all {
        let (vi, grouping, group, i) = (
            row[0].as_u64().unwrap() as usize,
            row[1].as_str().unwrap(),
            row[2].as_str().unwrap(),
            row[3].as_u64().unwrap() as usize,
        );
        let (p, curve) = curves[vi];
        let g = curve.groups.iter().find(|x| x.grouping == grouping && x.group == group).unwrap();
        let one_to_n = p.kind != harness::model::benchmark::ProtocolKind::Verification;
        let shown_k = if one_to_n { g.mated - g.false_negatives[i] } else { g.false_negatives[i] };
        let tp = Rate { numerator: shown_k, denominator: g.mated };
        let fp = Rate { numerator: g.false_positives[i], denominator: g.non_mated };
        let iv = |r: Rate| r.interval(method, c).map(|x| (x.low, x.high));
        assert_eq!(row[4], reports::format::threshold(curve.thresholds[i]), "{row}");
        assert_eq!(row[5], rate_cell(tp, iv(tp)), "{row}");
        assert_eq!(row[6], rate_cell(fp, iv(fp)), "{row}");
        let mut one = one_in(fp);
        if fp.numerator > 0
            && let Some((lo, hi)) = iv(fp)
        {
            one.push_str(&format!(
                " (95% CI {} to {})",
                one_in_value(hi).unwrap_or_else(|| "none".into()),
                one_in_value(lo).unwrap_or_else(|| "none".into())
            ));
        }
        assert_eq!(row[7], one, "{row}");
    }
    browser.screenshot(
        &browser::file_url(&html, "#threshold=0.58&grouping=ethnicity"),
        1400,
        1300,
        &out.join("explore-1400.png"),
    );
}
