//! Fixtures built by hand for the figure tests, and helpers that read an SVG back.

use harness::model::analysis::{CrossGroupCell, Metric, RateRow};
use harness::model::curves::{CurveGroup, Curves, HistogramGroup, ScoreHistograms};
use harness::model::rate::Rate;

// ---------------------------------------------------------------------------------------
// Fixtures, built by hand

pub(super) const SEXES: [&str; 2] = ["female", "male"];
pub(super) const ETHNICITIES: [&str; 3] = ["Black", "East Asian", "White"];
/// A group name that must be escaped in XML.
pub(super) const AWKWARD: &str = "Q&A <test> ×";

pub(super) fn thresholds() -> Vec<f64> {
    (0..=100).map(|i| f64::from(i) / 100.0).collect()
}

/// Expected count of `n` trials above `t` for scores spread logistically around `mu`.
pub(super) fn above(n: u64, t: f64, mu: f64, scale: f64) -> u64 {
    (n as f64 / (1.0 + ((t - mu) / scale).exp())).round() as u64
}

pub(super) fn curve_group(grouping: &str, group: &str, non_mated: u64, mated: u64, shift: f64) -> CurveGroup {
    let t = thresholds();
    CurveGroup {
        grouping: grouping.to_string(),
        group: group.to_string(),
        non_mated,
        mated,
        false_positives: t.iter().map(|&x| above(non_mated, x, 0.25 + shift, 0.05)).collect(),
        false_negatives: t.iter().map(|&x| mated - above(mated, x, 0.75 - shift, 0.06)).collect(),
    }
}

pub(super) fn demo_curves() -> Curves {
    let mut groups = vec![curve_group("all", "all", 600_000, 6_000, 0.0)];
    for (i, s) in SEXES.iter().enumerate() {
        groups.push(curve_group("sex", s, 300_000, 3_000, 0.02 * i as f64));
    }
    for (i, s) in SEXES.iter().enumerate() {
        for (j, e) in ETHNICITIES.iter().enumerate() {
            let shift = 0.015 * (3 * i + j) as f64 - 0.03;
            groups.push(curve_group("sex×ethnicity", &format!("{s}×{e}"), 100_000, 1_000, shift));
        }
    }
    groups.push(curve_group("odd", AWKWARD, 50_000, 500, 0.0));
    groups.push(curve_group("odd", "no errors", 50_000, 500, 0.0));
    let last = groups.len() - 1;
    groups[last].false_positives.iter_mut().for_each(|k| *k = 0);
    Curves {
        gallery_size: None,
        rank: None,
        false_positive: Metric::Fmr,
        false_negative: Metric::Fnmr,
        thresholds: thresholds(),
        groups,
    }
}

pub(super) fn cell(grouping: &str, probe: &str, reference: &str, threshold: f64, k: u64, n: u64) -> CrossGroupCell {
    CrossGroupCell {
        grouping: grouping.to_string(),
        probe_group: probe.to_string(),
        reference_group: reference.to_string(),
        threshold,
        operating_point: harness::model::thresholds::OperatingPoint::Grid,
        rate: Rate::new(k, n),
    }
}

pub(super) fn demo_cells() -> Vec<CrossGroupCell> {
    let mut cells = Vec::new();
    let groups: Vec<String> = SEXES.iter().flat_map(|s| ETHNICITIES.iter().map(move |e| format!("{s}×{e}"))).collect();
    for (i, p) in groups.iter().enumerate() {
        for (j, r) in groups.iter().enumerate() {
            let k = if i == j {
                7 * (i as u64 + 1)
            } else if (i + j) % 4 == 0 {
                0
            } else {
                (i + j) as u64
            };
            cells.push(cell("sex×ethnicity", p, r, 0.6, k, 21_800));
            // Another threshold, which a heatmap at 0.6 must not show.
            cells.push(cell("sex×ethnicity", p, r, 0.7, 10_000, 20_000));
        }
    }
    cells.push(cell("sex", "female", "female", 0.6, 7, 21_800));
    cells.push(cell("sex", "female", "male", 0.6, 0, 12_000));
    cells.push(cell("sex", "male", "female", 0.6, 2, 12_000));
    cells.push(cell("sex", "male", "male", 0.6, 0, 0));
    cells
}

pub(super) fn histogram_group(grouping: &str, group: &str, mated_peak: usize, scale: u64) -> HistogramGroup {
    let bell = |peak: usize, width: f64| -> Vec<u64> {
        (0..40).map(|i| (scale as f64 * (-((i as f64 - peak as f64) / width).powi(2)).exp()).round() as u64).collect()
    };
    HistogramGroup {
        grouping: grouping.to_string(),
        group: group.to_string(),
        mated: bell(mated_peak, 4.0),
        non_mated: bell(10, 2.5).iter().map(|k| k * 50).collect(),
        mated_unscored: if group == "female" { 3 } else { 0 },
        non_mated_unscored: 0,
    }
}

pub(super) fn demo_histograms() -> ScoreHistograms {
    let mut groups = vec![histogram_group("sex", "female", 28, 100), histogram_group("sex", "male", 30, 40)];
    groups.push(histogram_group("odd", AWKWARD, 29, 10));
    let mut empty = histogram_group("odd", "nobody", 29, 10);
    empty.mated.iter_mut().chain(empty.non_mated.iter_mut()).for_each(|k| *k = 0);
    groups.push(empty);
    ScoreHistograms {
        gallery_size: None,
        mated_score: "mated comparison score".to_string(),
        non_mated_score: "non-mated comparison score".to_string(),
        edges: (0..=40).map(|i| f64::from(i) / 40.0).collect(),
        groups,
    }
}

pub(super) fn cmc_row(grouping: &str, group: &str, gallery: Option<u64>, rank: u32, k: u64, n: u64) -> RateRow {
    RateRow {
        metric: Metric::Cmc,
        gallery_size: gallery,
        rank: Some(rank),
        threshold: None,
        operating_point: harness::model::thresholds::OperatingPoint::Declared { label: "investigation".into() },
        grouping: grouping.to_string(),
        group: group.to_string(),
        rate: Rate::new(k, n),
        interval: None,
        upper_bound: None,
        lower_bound: None,
        bootstrap: None,
    }
}

pub(super) fn demo_cmc() -> Vec<RateRow> {
    let mut rows = Vec::new();
    for (g, name) in ["female", "male", AWKWARD].iter().enumerate() {
        for rank in [1u32, 2, 3, 5, 10, 20] {
            let k = 900 + 8 * rank.min(10) as u64 - 30 * g as u64;
            rows.push(cmc_row("sex", name, Some(1000), rank, k, 1000));
            rows.push(cmc_row("sex", name, Some(10_000), rank, k / 2, 1000));
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Reading an SVG back

#[derive(Debug)]
pub(super) struct SvgText {
    pub(super) text: String,
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) anchor: String,
}

/// Parse as XML (the test fails if it is not) and return the <text> elements.
pub(super) fn texts(svg: &str) -> Vec<SvgText> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not valid XML: {e}\n{svg}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| SvgText {
            text: n.text().unwrap_or("").trim().to_string(),
            x: num(&n, "x"),
            y: num(&n, "y"),
            anchor: n.attribute("text-anchor").unwrap_or("").to_string(),
        })
        .collect()
}

/// Every numeric attribute is a finite number; the document is valid XML.
pub(super) fn assert_clean(svg: &str) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not valid XML: {e}"));
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            if ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "font-size", "opacity"]
                .contains(&a.name())
            {
                let v: f64 = a.value().parse().unwrap_or_else(|_| panic!("{}={:?}", a.name(), a.value()));
                assert!(v.is_finite(), "{}={}", a.name(), a.value());
            }
            if a.name() == "points" {
                for c in a.value().split([' ', ',']).filter(|c| !c.is_empty()) {
                    assert!(c.parse::<f64>().is_ok_and(f64::is_finite), "points {c}");
                }
            }
        }
    }
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "NaN or inf written");
    assert!(svg.contains("fill=\"#FFFFFF\""), "white background");
}

pub(super) fn has(texts: &[SvgText], s: &str) -> bool {
    texts.iter().any(|t| t.text == s)
}

pub(super) fn assert_has(texts: &[SvgText], wanted: &[&str]) {
    for w in wanted {
        assert!(has(texts, w), "no <text> {w:?} in {:?}", texts.iter().map(|t| &t.text).collect::<Vec<_>>());
    }
}

/// The tick label `label` drawn with `anchor` (x ticks are centred, y ticks end-anchored).
pub(super) fn tick<'t>(texts: &'t [SvgText], label: &str, anchor: &str) -> &'t SvgText {
    texts.iter().find(|t| t.text == label && t.anchor == anchor).unwrap_or_else(|| panic!("no tick {label} ({anchor})"))
}

pub(super) fn circles(svg: &str) -> Vec<(f64, f64)> {
    let doc = roxmltree::Document::parse(svg).expect("valid XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|n| (n.attribute("cx").unwrap().parse().unwrap(), n.attribute("cy").unwrap().parse().unwrap()))
        .collect()
}
