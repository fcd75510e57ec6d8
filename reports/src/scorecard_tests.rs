//! Tests of the scorecard, end to end on a fixture: parsing, gates, scoring, ranking and
//! rendering (about 690 lines: one test per rule of `docs/scorecard.md`).

//! Tests of the scorecard: scoring functions with hand-computed points, gates, ranking,
//! every kind of rubric error with its file:line:column, and measures the results
//! cannot supply.

use super::*;
use harness::model::analysis::{AnalysisConfig, Metric, ProtocolAnalysis, RateRow, ThresholdUse};
use harness::model::benchmark::ProtocolKind;
use harness::model::population::Grouping;
use harness::model::rate::Rate;
use harness::model::results::{
    BenchmarkInfo, Provenance, RESULTS_SCHEMA_VERSION, Results, Timing, TrialList, VendorResults,
};
use harness::model::thresholds::OperatingPoint;
use harness::vendor::{DeclaredThreshold, TemplateFormat, VendorDescription};
use std::collections::BTreeMap;
use std::path::Path;

const GROUPS: [(&str, &str); 4] = [("F", "a"), ("F", "b"), ("M", "a"), ("M", "b")];
const N: u64 = 1000;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn row(metric: Metric, rank: Option<u32>, op: &str, grouping: &str, group: &str, rate: Rate) -> RateRow {
    RateRow {
        metric,
        gallery_size: Some(N),
        rank,
        threshold: Some(0.6),
        operating_point: harness::model::thresholds::OperatingPoint::from_label(op).expect("a label"),
        grouping: grouping.into(),
        group: group.into(),
        rate,
        interval: rate.wilson(0.95),
        upper_bound: rate.exact_upper_bound(0.95),
        lower_bound: rate.exact_lower_bound(0.95),
        bootstrap: None,
    }
}

/// Rows of one metric for `all`, `sex`, `ethnicity` and `sex×ethnicity`, from the
/// counts of the four intersection groups (in `GROUPS` order).
fn rows_of(metric: Metric, rank: Option<u32>, op: &str, cells: [(u64, u64); 4]) -> Vec<RateRow> {
    let sum = |pick: &dyn Fn(&(&str, &str)) -> bool| {
        let (k, n) = GROUPS.iter().zip(cells).filter(|(g, _)| pick(g)).fold((0, 0), |a, (_, c)| (a.0 + c.0, a.1 + c.1));
        Rate::new(k, n)
    };
    let mut out = vec![row(metric, rank, op, "all", "all", sum(&|_| true))];
    for s in ["F", "M"] {
        out.push(row(metric, rank, op, "sex", s, sum(&|g| g.0 == s)));
    }
    for e in ["a", "b"] {
        out.push(row(metric, rank, op, "ethnicity", e, sum(&|g| g.1 == e)));
    }
    for (g, c) in GROUPS.iter().zip(cells) {
        out.push(row(metric, rank, op, "sex×ethnicity", &format!("{}×{}", g.0, g.1), Rate::new(c.0, c.1)));
    }
    out
}

fn config() -> AnalysisConfig {
    let groupings = ["sex", "ethnicity", "sex,ethnicity"].iter().map(|g| Grouping::parse(g).unwrap()).collect();
    AnalysisConfig::with_thresholds(vec![0.6], groupings)
}

/// One vendor on a watchlist of N at threshold 0.6 (its declared threshold), with
/// crowd false alerts `fpir` and missed passes `fnir` per intersection group.
fn vendor(name: &str, fpir: [u64; 4], fnir: [u64; 4]) -> VendorResults {
    let config = config();
    let crowd = fpir.map(|k| (k, 20_000));
    let passes = fnir.map(|k| (k, 500));
    let mut rates = Vec::new();
    for op in ["grid", "declared:operating"] {
        rates.extend(rows_of(Metric::Fpir, None, op, crowd));
        rates.extend(rows_of(Metric::Fnir, Some(10), op, passes));
        rates.extend(rows_of(Metric::Tpir, Some(10), op, passes.map(|(k, n)| (n - k, n))));
    }
    let comparisons = harness::analysis::between_groups::compare_groups(&rates, &config, &Default::default());
    let summaries = harness::analysis::differential::summaries_of(
        &rates,
        harness::model::differences::Comparison::Identification,
        0.5,
        None,
        &Default::default(),
    );
    let mut template_rates = rows_of(Metric::Fte, None, "none", [(1, 250), (2, 250), (0, 250), (1, 250)]);
    for r in &mut template_rates {
        r.threshold = None;
        r.gallery_size = None;
    }
    VendorResults {
        vendor: VendorDescription {
            name: name.into(),
            version: "1".into(),
            score_min: -1.0,
            score_max: 1.0,
            score_meaning: "cosine".into(),
            thresholds: vec![DeclaredThreshold { label: "operating".into(), value: 0.6 }],
            template: TemplateFormat::Embedding { dim: 128 },
        },
        fingerprint: format!("fp-{name}"),
        template_rates,
        failures: vec![],
        timing: Timing { templates: 100, template_bytes_mean: 512.0, ..Default::default() },
        protocols: vec![ProtocolAnalysis {
            protocol: "watchlist".into(),
            kind: ProtocolKind::Watchlist,
            thresholds: vec![
                ThresholdUse { threshold: 0.6, operating_point: OperatingPoint::Grid },
                ThresholdUse {
                    threshold: 0.6,
                    operating_point: OperatingPoint::Declared { label: "operating".into() },
                },
            ],
            calibrations: vec![harness::model::analysis::Calibration {
                metric: Metric::Fpir,
                target: 1e-4,
                gallery_size: Some(N),
                threshold: None,
                achieved: None,
                note: Some("not estimable: 80000 trials cannot resolve a rate of 1e-4".into()),
            }],
            rates,
            eer: vec![],
            cross_group_fmr: vec![],
            comparisons,
            summaries,
            extrapolations: vec![],
            curves: vec![],
            histograms: vec![],
            adjusted: vec![],
            covariate_distributions: vec![],
            covariate_rates: vec![],
        }],
    }
}

fn results(vendors: Vec<VendorResults>) -> Results {
    Results {
        schema_version: RESULTS_SCHEMA_VERSION.into(),
        benchmark: BenchmarkInfo {
            name: "test".into(),
            version: "1".into(),
            licence: "CC0".into(),
            content_hash: "bench-hash".into(),
            subjects: 100,
            samples: 300,
            label_provenance: BTreeMap::new(),
            subjects_per_group: BTreeMap::new(),
        },
        config: config(),
        trial_lists: vec![TrialList {
            protocol: "watchlist".into(),
            kind: ProtocolKind::Watchlist,
            hash: "trials-1".into(),
            mated: 2000,
            non_mated: 80_000,
            gallery_subjects: Some(N),
        }],
        vendors,
        provenance: Provenance {
            verity_version: "0".into(),
            command: "verity run".into(),
            seeds: BTreeMap::new(),
            inputs: BTreeMap::new(),
        },
    }
}

fn parse(text: &str) -> Result<Rubric, RubricError> {
    Rubric::parse(text, Path::new("rubric.toml"))
}

const BIDS: &str = r#"
[[bid]]
vendor = "even"
price = 100

[[bid]]
vendor = "twin"
price = 100

[[bid]]
vendor = "skewed"
price = 80
"#;

/// A rubric over three vendors: TPIR (linear), FPIR (log-linear), worst-group FPIR upper
/// bound, and a gate on every group's FPIR.
fn rubric_text(gate_max: &str) -> String {
    format!(
        r#"
[rubric]
name = "test rubric"
{BIDS}
[[criterion]]
id = "tpir"
name = "TPIR at the declared threshold"
weight = 50
measure = {{ kind = "rate", metric = "tpir", declared = true }}
scoring = {{ function = "linear", worst = 0.80, best = 1.0 }}

[[criterion]]
id = "fpir"
name = "FPIR overall"
weight = 30
measure = {{ kind = "rate", metric = "fpir", declared = true }}
scoring = {{ function = "log-linear", worst = 1e-2, best = 1e-4 }}

[[criterion]]
id = "fpir-worst"
name = "Worst-group FPIR upper bound"
weight = 20
[criterion.measure]
kind = "rate"
metric = "fpir"
threshold = 0.6
group = "worst"
statistic = "upper_bound"
[criterion.scoring]
function = "linear"
worst = 0.01
best = 0.0

[[gate]]
id = "each-group"
name = "every group's FPIR at most"
measure = {{ kind = "rate", metric = "fpir", declared = "operating", group = "each" }}
max = {gate_max}
"#
    )
}

fn three_vendors() -> Results {
    results(vec![
        vendor("even", [10, 10, 10, 10], [50, 50, 50, 50]),
        vendor("twin", [10, 10, 10, 10], [50, 50, 50, 50]),
        // Fewer misses and cheaper, but FPIR of F×b far above the others.
        vendor("skewed", [2, 60, 2, 2], [10, 10, 10, 10]),
    ])
}

// ----------------------------------------------------------------------------------
// Scoring functions, hand-computed.

#[test]
fn linear_scoring() {
    let s = Scoring::Linear { worst: 0.80, best: 0.95 };
    let f = s.fraction(0.875);
    assert!(close(f, 0.5), "{f}");
    assert!(close(20.0 * f, 10.0));
    assert_eq!(s.fraction(0.70), 0.0);
    assert_eq!(s.fraction(0.99), 1.0);
    // Lower is better: best below worst.
    let s = Scoring::Linear { worst: 0.05, best: 0.01 };
    assert!(close(s.fraction(0.03), 0.5));
    assert_eq!(s.fraction(0.2), 0.0);
    assert_eq!(s.fraction(0.0), 1.0);
}

#[test]
fn log_linear_scoring() {
    let s = Scoring::LogLinear { worst: 1e-3, best: 1e-5 };
    assert!(close(s.fraction(1e-4), 0.5), "{}", s.fraction(1e-4));
    // 10^-3.5: three quarters of the way in log10.
    assert!(close(s.fraction(10f64.powf(-4.5)), 0.75));
    assert_eq!(s.fraction(1e-2), 0.0);
    assert_eq!(s.fraction(1e-6), 1.0);
    // No false alert at all is beyond the best end.
    assert_eq!(s.fraction(0.0), 1.0);
    // Higher is better (e.g. "1 in X").
    let s = Scoring::LogLinear { worst: 1_000.0, best: 100_000.0 };
    assert!(close(s.fraction(10_000.0), 0.5));
    assert_eq!(s.fraction(0.0), 0.0);
}

#[test]
fn steps_scoring() {
    let higher = Scoring::Steps { better: Better::Higher, bands: vec![(0.85, 0.5), (0.90, 1.0), (0.80, 0.25)] };
    assert_eq!(higher.fraction(0.95), 1.0);
    assert_eq!(higher.fraction(0.90), 1.0);
    assert_eq!(higher.fraction(0.87), 0.5);
    assert_eq!(higher.fraction(0.80), 0.25);
    assert_eq!(higher.fraction(0.79), 0.0);
    let lower = Scoring::Steps { better: Better::Lower, bands: vec![(1e-4, 1.0), (1e-3, 0.4)] };
    assert_eq!(lower.fraction(5e-5), 1.0);
    assert_eq!(lower.fraction(1e-4), 1.0);
    assert_eq!(lower.fraction(5e-4), 0.4);
    assert_eq!(lower.fraction(2e-3), 0.0);
}

#[test]
fn price_formulas() {
    let p = PriceFormula::LowestPrice;
    assert!(close(p.points(30.0, 100.0, 100.0), 30.0));
    assert!(close(p.points(30.0, 100.0, 125.0), 24.0));
    let l = PriceFormula::Linear;
    assert!(close(l.points(30.0, 100.0, 100.0), 30.0));
    assert!(close(l.points(30.0, 100.0, 150.0), 15.0));
    assert_eq!(l.points(30.0, 100.0, 250.0), 0.0);
}

#[test]
fn gate_conditions() {
    assert!(Condition::Max(1e-3).holds(1e-3));
    assert!(!Condition::Max(1e-3).holds(1.1e-3));
    assert!(Condition::Min(0.85).holds(0.9));
    assert!(!Condition::Min(0.85).holds(0.8));
    assert!(Condition::NoSignificantDifferential.holds(0.0));
    assert!(!Condition::NoSignificantDifferential.holds(1.0));
}

// ----------------------------------------------------------------------------------
// Whole scorecards.

#[test]
fn scorecard_ranks_ties_and_excludes_gate_failures() {
    let rubric = parse(&rubric_text("0.002")).unwrap();
    assert_eq!((rubric.quality_weight, rubric.price_weight), (70.0, 30.0));
    let r = three_vendors();
    let card = score(&rubric, &[("run", &r)]).unwrap();
    let order: Vec<(&str, Standing)> = card.bids.iter().map(|b| (b.vendor.as_str(), b.standing.clone())).collect();
    assert_eq!(
        order,
        vec![
            ("even", Standing::Ranked(1)),
            ("twin", Standing::Ranked(1)),
            ("skewed", Standing::Excluded { failed: vec!["each-group".into()] }),
        ]
    );
    let even = &card.bids[0];
    // TPIR 0.9 → half of 50; FPIR 40/80,000 = 5e-4: log10 from -2 to -4 → 0.6505 of 30.
    assert!(close(even.criteria[0].measured.value.unwrap(), 0.9));
    assert!(close(even.criteria[0].points, 25.0));
    let f = (5e-4f64.log10() + 2.0) / -2.0;
    assert!(close(even.criteria[1].points, 30.0 * f), "{}", even.criteria[1].points);
    // Worst-group upper bound: every group 10/20,000, so that group's exact bound.
    let ub = Rate::new(10, 20_000).exact_upper_bound(0.95).unwrap();
    assert!(close(even.criteria[2].measured.value.unwrap(), ub));
    assert!(close(even.criteria[2].points, 20.0 * (0.01 - ub) / 0.01));
    let q: f64 = even.criteria.iter().map(|c| c.points).sum::<f64>() * 0.7;
    assert!(close(even.quality_points, q));
    // The lowest price among passing bids is 100 (skewed's 80 fails a gate).
    assert_eq!(card.lowest_price, 100.0);
    assert!(card.lowest_among_passing);
    assert!(close(even.price_points, 30.0));
    let skewed = &card.bids[2];
    // Cheaper than every passing bid: full price points, not more.
    assert_eq!(skewed.price_points, 30.0);
    assert!(skewed.total > even.total, "excluded whatever its points");
    let gate = &skewed.gates[0];
    assert!(!gate.pass);
    assert!(close(gate.shown_value.unwrap(), 60.0 / 20_000.0));
    assert!(gate.detail.as_deref().unwrap().contains("F×b"), "{:?}", gate.detail);
    // A passing gate says so.
    assert!(even.gates[0].pass);
    assert_eq!(even.gates[0].detail.as_deref(), Some("all 4 groups pass"));
}

#[test]
fn a_gate_every_bid_passes_ranks_by_total() {
    let rubric = parse(&rubric_text("0.01")).unwrap();
    let r = three_vendors();
    let card = score(&rubric, &[("run", &r)]).unwrap();
    assert_eq!(card.bids[0].vendor, "skewed");
    assert_eq!(card.bids[0].standing, Standing::Ranked(1));
    assert_eq!(card.bids[1].standing, Standing::Ranked(2));
    assert_eq!(card.bids[2].standing, Standing::Ranked(2));
    assert_eq!(card.lowest_price, 80.0);
    assert!(close(card.bids[1].price_points, 24.0));
}

#[test]
fn measured_text_carries_counts_and_source() {
    let rubric = parse(&rubric_text("0.002")).unwrap();
    let r = three_vendors();
    let card = score(&rubric, &[("run", &r)]).unwrap();
    let fpir = &card.bids[0].criteria[1].measured;
    assert!(
        fpir.text.starts_with("FPIR all @ declared:operating (0.6), N=1000 = 0.050% (1 in 2,000; 40/80,000)"),
        "{}",
        fpir.text
    );
    assert!(fpir.source.contains("vendors[even].protocols[watchlist].rates{metric=fpir"), "{}", fpir.source);
    let worst = &card.bids[2].criteria[2].measured;
    assert!(worst.text.contains("worst group of 4: F×b"), "{}", worst.text);
    assert!(worst.text.contains("upper 95% bound"), "{}", worst.text);
}

/// A rubric with an FPIR max/min criterion over `ratio_grouping` and a gate of no
/// significant FPIR differential in `gate_grouping`.
fn differential_rubric(ratio_grouping: &str, gate_grouping: &str) -> String {
    format!(
        r#"
[rubric]
name = "differentials"
quality_weight = 60
price_weight = 40
price_formula = "linear"
{BIDS}
[[criterion]]
id = "ratio"
name = "FPIR max/min"
weight = 100
measure = {{ kind = "ratio", metric = "fpir", declared = true, grouping = "{ratio_grouping}" }}
scoring = {{ function = "linear", worst = 10, best = 1 }}

[[gate]]
id = "no-diff"
name = "no significant FPIR differential"
measure = {{ kind = "significant_differential", metric = "fpir", declared = true, grouping = "{gate_grouping}" }}
no_significant_differential = true
"#
    )
}

#[test]
fn significant_differential_gate_and_ratio() {
    let rubric = parse(&differential_rubric("sex,ethnicity", "any")).unwrap();
    let r = three_vendors();
    let card = score(&rubric, &[("run", &r)]).unwrap();
    let skewed = card.bids.iter().find(|b| b.vendor == "skewed").unwrap();
    assert_eq!(skewed.standing, Standing::Excluded { failed: vec!["no-diff".into()] });
    let g = &skewed.gates[0];
    assert!(g.measured.value.unwrap() >= 1.0);
    assert!(g.measured.text.contains("F×b"), "{}", g.measured.text);
    assert!(g.measured.text.contains("significantly higher than"), "{}", g.measured.text);
    // Ratio 60/2 = 30: beyond the worst end.
    assert!(close(skewed.criteria[0].measured.value.unwrap(), 30.0));
    assert_eq!(skewed.criteria[0].fraction, 0.0);
    let even = card.bids.iter().find(|b| b.vendor == "even").unwrap();
    assert!(even.gates[0].pass, "{}", even.gates[0].measured.text);
    assert!(close(even.criteria[0].measured.value.unwrap(), 1.0));
    assert!(close(even.quality_points, 60.0));
    // Linear price with no passing bid cheaper than 100.
    assert!(close(even.price_points, 40.0));
}

#[test]
fn any_grouping_means_any_grouping_of_people() {
    let gate = |grouping: &str| differential_rubric("sex", grouping);
    // Were `ethnicity` a capture column, skewed's F×b would be a difference between
    // captures: "any" leaves it out (only `sex` is left), a named grouping does not.
    let mut r = three_vendors();
    r.config.capture_attributes = vec![harness::model::analysis::CaptureAttribute {
        name: "ethnicity".into(),
        edges: Vec::new(),
        groups: vec!["a".into(), "b".into()],
    }];
    let skewed = |card: &Scorecard| card.bids.iter().find(|b| b.vendor == "skewed").unwrap().clone();
    let card = score(&parse(&gate("any")).unwrap(), &[("run", &r)]).unwrap();
    let text = skewed(&card).gates[0].measured.text.clone();
    assert!(text.contains("sex F") && !text.contains("F×b") && !text.contains("ethnicity"), "{text}");
    assert_eq!(skewed(&card).gates[0].measured.value, Some(1.0), "sex alone: F");
    let card = score(&parse(&gate("sex,ethnicity")).unwrap(), &[("run", &r)]).unwrap();
    assert!(skewed(&card).gates[0].measured.text.contains("F×b"), "a named grouping is read");
}

#[test]
fn undefined_ratio_is_an_error_unless_the_rubric_scores_it() {
    let mut r = three_vendors();
    r.vendors[0] = vendor("even", [0, 10, 10, 10], [50, 50, 50, 50]);
    let text = |extra: &str| {
        format!(
            r#"
[rubric]
name = "r"
{BIDS}
[[criterion]]
id = "ratio"
name = "FPIR max/min"
weight = 100
measure = {{ kind = "ratio", metric = "fpir", declared = true }}
scoring = {{ function = "linear", worst = 10, best = 1 }}
{extra}
"#
        )
    };
    let e = score(&parse(&text("")).unwrap(), &[("run", &r)]).unwrap_err().to_string();
    assert!(e.contains("criterion `ratio` (rubric.toml:17:1) for vendor even (run run)"), "{e}");
    assert!(e.contains("no errors") && e.contains("if_undefined"), "{e}");
    let card = score(&parse(&text("if_undefined = 0.25")).unwrap(), &[("run", &r)]).unwrap();
    let even = card.bids.iter().find(|b| b.vendor == "even").unwrap();
    assert!(even.criteria[0].by_undefined_rule);
    assert!(close(even.criteria[0].points, 25.0));
}

#[test]
fn missing_measures_name_criterion_vendor_and_what() {
    let r = three_vendors();
    let with = |measure: &str| {
        format!(
            "[rubric]\nname = \"r\"\n{BIDS}\n[[criterion]]\nid = \"c\"\nname = \"c\"\nweight = 100\nmeasure = {measure}\nscoring = {{ function = \"linear\", worst = 0, best = 1 }}\n"
        )
    };
    let err = |measure: &str| score(&parse(&with(measure)).unwrap(), &[("run", &r)]).unwrap_err().to_string();
    let e = err(r#"{ kind = "rate", metric = "fmr", threshold = 0.6 }"#);
    assert!(e.starts_with("criterion `c` (rubric.toml:"), "{e}");
    assert!(e.contains("for vendor even"), "{e}");
    assert!(e.contains("no a verification protocol (for FMR)"), "{e}");
    let e = err(r#"{ kind = "rate", metric = "fpir", calibrated = "fpir=1e-4" }"#);
    assert!(e.contains("not estimable"), "{e}");
    let e = err(r#"{ kind = "rate", metric = "fpir", threshold = 0.62 }"#);
    assert!(e.contains("not analysed at threshold 0.62 (grid: 0.6)"), "{e}");
    let e = err(r#"{ kind = "rate", metric = "fpir", declared = "night" }"#);
    assert!(e.contains("declares no threshold `night` (declared: operating = 0.6)"), "{e}");
    let e = err(r#"{ kind = "rate", metric = "fpir", declared = true, group = "X×y" }"#);
    assert!(e.contains("no group `X×y`"), "{e}");
    let e = err(r#"{ kind = "template_time" }"#);
    assert!(e.contains("template_time is not recorded in results.json"), "{e}");
    let e = err(r#"{ kind = "rate", metric = "fpir", declared = true, protocol = "identification" }"#);
    assert!(e.contains("no protocol `identification`"), "{e}");
}

#[test]
fn template_measures() {
    let text = BIDS
        .replace("price = 100\n", "price = 100\ntemplate_time = 0.02\n")
        .replace("price = 80\n", "price = 80\ntemplate_time = 0.01\n");
    let rubric = parse(&format!(
        r#"[rubric]
name = "t"
{text}
[[criterion]]
id = "size"
name = "template size"
weight = 40
measure = {{ kind = "template_bytes" }}
scoring = {{ function = "linear", worst = 1024, best = 256 }}

[[criterion]]
id = "time"
name = "template time"
weight = 30
measure = {{ kind = "template_time" }}
scoring = {{ function = "linear", worst = 0.03, best = 0.01 }}

[[criterion]]
id = "fte"
name = "FTE"
weight = 30
measure = {{ kind = "rate", metric = "fte", group = "worst" }}
scoring = {{ function = "linear", worst = 0.02, best = 0 }}
"#
    ))
    .unwrap();
    let r = three_vendors();
    let card = score(&rubric, &[("run", &r)]).unwrap();
    let b = card.bids.iter().find(|b| b.vendor == "even").unwrap();
    // 512 bytes: two thirds of the way from 1024 to 256.
    assert!(close(b.criteria[0].fraction, 512.0 / 768.0));
    let skewed = card.bids.iter().find(|b| b.vendor == "skewed").unwrap();
    assert!(close(skewed.criteria[1].fraction, 1.0));
    assert!(close(b.criteria[1].fraction, 0.5));
    // Worst FTE group: F×b 2/250.
    assert!(close(b.criteria[2].measured.value.unwrap(), 2.0 / 250.0));
    assert!(b.criteria[2].measured.text.contains("F×b"), "{}", b.criteria[2].measured.text);
}

#[test]
fn bids_and_vendors_must_match() {
    let r = results(vec![vendor("even", [1; 4], [1; 4]), vendor("twin", [1; 4], [1; 4])]);
    let rubric = parse(&rubric_text("1")).unwrap();
    let e = score(&rubric, &[("run", &r)]).unwrap_err().to_string();
    assert_eq!(e, "rubric.toml:14:10: the [[bid]] for `skewed` names no vendor of the runs (vendors: even, twin)");
    let mut four = three_vendors();
    four.vendors.push(vendor("late", [1; 4], [1; 4]));
    let e = score(&rubric, &[("RUN", &four)]).unwrap_err().to_string();
    assert!(e.starts_with("vendor `late` (run RUN) has no [[bid]] in rubric.toml"), "{e}");
}

#[test]
fn runs_on_different_trials_are_refused() {
    let rubric = parse(&rubric_text("1")).unwrap();
    let a = results(vec![vendor("even", [1; 4], [1; 4]), vendor("twin", [1; 4], [1; 4])]);
    let mut b = results(vec![vendor("skewed", [1; 4], [1; 4])]);
    // Same trials: fine, vendors of both runs are scored.
    let card = score(&rubric, &[("A", &a), ("B", &b)]).unwrap();
    assert_eq!(card.bids.len(), 3);
    assert_eq!(card.protocols.len(), 1);
    assert_eq!(card.protocols[0].runs, vec!["A", "B"]);
    b.trial_lists[0].hash = "trials-2".into();
    let e = score(&rubric, &[("A", &a), ("B", &b)]).unwrap_err().to_string();
    assert!(e.contains("criterion `tpir` reads protocol `watchlist`, whose trial lists differ between runs: A has trials-1, B has trials-2"), "{e}");
    // The same vendor twice is refused.
    let e = score(&rubric, &[("A", &a), ("A2", &a)]).unwrap_err().to_string();
    assert!(e.contains("vendor `even` is in two runs (A and A2)"), "{e}");
}

// ----------------------------------------------------------------------------------
// Rubric errors: each names rubric.toml:LINE:COLUMN.

fn parse_error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const CRITERION: &str = r#"
[[criterion]]
id = "c"
name = "c"
weight = 100
measure = { kind = "rate", metric = "tpir", declared = true }
scoring = { function = "linear", worst = 0.8, best = 0.95 }
"#;

fn with_header(header: &str, rest: &str) -> String {
    format!("[rubric]\nname = \"r\"\n{header}\n[[bid]]\nvendor = \"v\"\nprice = 1\n{rest}")
}

#[test]
fn unknown_key_is_located() {
    let e = parse_error(&with_header("qualty_weight = 70", CRITERION));
    assert!(e.starts_with("rubric.toml:3:1: unknown field `qualty_weight`"), "{e}");
    assert!(e.contains("found `qualty_weight"), "{e}");
    let e = parse_error(&with_header("", &CRITERION.replace("declared = true", "declared = true, colour = 1")));
    assert!(e.starts_with("rubric.toml:12:"), "{e}");
    assert!(e.contains("unknown field `colour`"), "{e}");
}

#[test]
fn wrong_type_is_located() {
    let e = parse_error(&with_header("quality_weight = \"seventy\"", CRITERION));
    assert!(e.starts_with("rubric.toml:3:18: invalid type: string \"seventy\", expected f64"), "{e}");
    assert!(e.contains("found `\"seventy\"`"), "{e}");
}

#[test]
fn weights_must_sum_to_100() {
    let e = parse_error(&with_header("quality_weight = 70\nprice_weight = 40", CRITERION));
    assert_eq!(
        e,
        "rubric.toml:4:16: quality_weight (70) and price_weight (40) sum to 110; they must sum to 100 (the Met used 70:30) (found `40`)"
    );
    let e = parse_error(&with_header("", &CRITERION.replace("weight = 100", "weight = 90")));
    assert!(e.starts_with("rubric.toml:11:10: criterion weights sum to 90 (c 90); they must sum to 100"), "{e}");
}

#[test]
fn unknown_metric_and_function_are_located() {
    let e = parse_error(&with_header("", &CRITERION.replace("\"tpir\"", "\"tpr\"")));
    assert_eq!(
        e,
        "rubric.toml:12:37: unknown metric `tpr`: expected one of fpir, fnir, tpir, fmr, fnmr, fte, fta (found `\"tpr\"`)"
    );
    let e = parse_error(&with_header("", &CRITERION.replace("\"linear\"", "\"cubic\"")));
    assert!(e.starts_with("rubric.toml:13:24: unknown scoring function `cubic`"), "{e}");
    let e = parse_error(&with_header("price_formula = \"cheapest\"", CRITERION));
    assert!(e.starts_with("rubric.toml:3:17: unknown price_formula `cheapest`"), "{e}");
}

#[test]
fn measure_and_gate_mistakes_are_located() {
    let e = parse_error(&with_header("", &CRITERION.replace(", declared = true", "")));
    assert!(e.starts_with("rubric.toml:12:11: needs an operating point"), "{e}");
    let e = parse_error(&with_header("", &CRITERION.replace("declared = true", "declared = true, threshold = 0.6")));
    assert!(e.starts_with("rubric.toml:12:74: give one operating point"), "{e}");
    let e = parse_error(&with_header("", &CRITERION.replace("declared = true", "declared = true, group = \"each\"")));
    assert!(e.contains("group = \"each\" is for gates"), "{e}");
    let e = parse_error(&with_header(
        "",
        &CRITERION.replace(r#"metric = "tpir", declared = true"#, r#"metric = "fte", declared = true"#),
    ));
    assert!(e.contains("`declared`: FTE and FTA are counted over templates"), "{e}");
    let e = parse_error(&with_header("", &CRITERION.replace("best = 0.95", "best = 0.8")));
    assert!(e.contains("best must differ from worst"), "{e}");
    let gate =
        "\n[[gate]]\nid = \"g\"\nname = \"g\"\nmeasure = { kind = \"rate\", metric = \"fpir\", declared = true }\n";
    let e = parse_error(&with_header("", &format!("{CRITERION}{gate}")));
    assert!(e.starts_with("rubric.toml:15:1: gate `g` has no condition"), "{e}");
    let e = parse_error(&with_header("", &format!("{CRITERION}{gate}no_significant_differential = true\n")));
    assert!(e.contains("needs kind = \"significant_differential\""), "{e}");
    let e = parse_error(&with_header("", &format!("{CRITERION}{gate}max = 1\nmin = 0\n")));
    assert!(e.starts_with("rubric.toml:20:7: gate `g` has more than one condition"), "{e}");
    let dup = CRITERION.replace("weight = 100", "weight = 50");
    let e = parse_error(&with_header("", &format!("{dup}{dup}")));
    assert!(e.starts_with("rubric.toml:16:6: id `c` is used twice"), "{e}");
}

#[test]
fn toml_syntax_error_is_located() {
    let e = parse_error("[rubric]\nname = \"r\nprice = 3\n");
    assert!(e.starts_with("rubric.toml:2:"), "{e}");
}

// ----------------------------------------------------------------------------------
// Output.

#[test]
fn document_and_csv() {
    let rubric = parse(&rubric_text("0.002")).unwrap();
    let r = three_vendors();
    let card = score(&rubric, &[("run", &r)]).unwrap();
    let doc = to_document(&card);
    let md = doc.to_markdown();
    assert!(md.contains("| rank | vendor | gates | quality (of 70) | price (of 30) | total (of 100) |"), "{md}");
    assert!(md.contains("| **excluded — fails gate each-group** | skewed 1 | **fails each-group** |"), "{md}");
    assert!(md.contains("even and twin share first place"), "{md}");
    assert!(md.contains("skewed is excluded whatever its points"), "{md}");
    assert!(md.contains("lowest-price formula"), "{md}");
    let html = doc.to_html();
    assert!(html.contains("<td class=\"fail\">FAIL</td>"));
    assert!(html.contains("<td class=\"pass\">pass</td>"));
    let csv = String::from_utf8(csv_table(&card).unwrap().to_csv().unwrap()).unwrap();
    // 3 vendors × (3 criteria + 1 gate + price + total) rows and a header.
    assert_eq!(csv.lines().count(), 1 + 3 * 6);
    let text = ranking_text(&card);
    assert!(text.contains("excluded — fails gate each-group"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("card");
    write_scorecard(&out, &card, Vec::new()).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, vec![storage::outputs::MANIFEST, "scorecard.csv", "scorecard.html", "scorecard.md"]);
}
