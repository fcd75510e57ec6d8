//! A small hand-built `Results` for the tests of every writer.

use harness::model::analysis::{
    AnalysisConfig, Calibration, CrossGroupCell, EerRow, Metric, ProtocolAnalysis, RateRow, ThresholdUse,
};
use harness::model::benchmark::ProtocolKind;
use harness::model::population::Grouping;
use harness::model::rate::Rate;
use harness::model::results::{
    BenchmarkInfo, FailureCount, Provenance, RESULTS_SCHEMA_VERSION, Results, Timing, TrialList, VendorResults,
};
use harness::model::thresholds::OperatingPoint;
use harness::vendor::{DeclaredThreshold, FailureCode, Role, TemplateFormat, VendorDescription};
use std::collections::BTreeMap;

pub fn row(
    metric: Metric,
    gallery_size: Option<u64>,
    rank: Option<u32>,
    threshold: Option<f64>,
    operating_point: &str,
    group: (&str, &str),
    rate: (u64, u64),
) -> RateRow {
    let rate = Rate::new(rate.0, rate.1);
    RateRow {
        metric,
        gallery_size,
        rank,
        threshold,
        operating_point: OperatingPoint::from_label(operating_point).expect("a fixture operating point"),
        grouping: group.0.to_string(),
        group: group.1.to_string(),
        rate,
        interval: if metric.is_proportion() { rate.wilson(0.95) } else { None },
        upper_bound: None,
        lower_bound: None,
        bootstrap: None,
    }
}

fn watchlist() -> ProtocolAnalysis {
    let declared = "declared:operational";
    let g = Some(1000);
    ProtocolAnalysis {
        protocol: "watch".into(),
        kind: ProtocolKind::Watchlist,
        thresholds: vec![
            ThresholdUse { threshold: 0.58, operating_point: OperatingPoint::Grid },
            ThresholdUse { threshold: 0.6, operating_point: OperatingPoint::Declared { label: "operational".into() } },
        ],
        calibrations: vec![
            Calibration {
                metric: Metric::Fpir,
                target: 1e-3,
                gallery_size: g,
                threshold: Some(0.55),
                achieved: Some(Rate::new(40, 61_000)),
                note: None,
            },
            Calibration {
                metric: Metric::Fpir,
                target: 1e-4,
                gallery_size: g,
                threshold: None,
                achieved: None,
                note: Some("too few non-mated searches".into()),
            },
        ],
        rates: vec![
            row(Metric::Tpir, g, Some(5), Some(0.6), declared, ("sex", "female"), (891, 1000)),
            row(Metric::Tpir, g, Some(5), Some(0.6), declared, ("sex", "male"), (0, 0)),
            row(Metric::Fpir, g, None, Some(0.6), declared, ("sex", "female"), (7, 41_000)),
            row(Metric::Fpir, g, None, Some(0.6), declared, ("sex", "male"), (0, 20_000)),
            row(Metric::Sel, g, None, Some(0.6), declared, ("sex", "female"), (9, 41_000)),
            row(Metric::Tpir, g, Some(5), Some(0.58), "grid", ("sex", "female"), (900, 1000)),
        ],
        eer: vec![],
        cross_group_fmr: vec![],
        comparisons: vec![],
        summaries: vec![],
        extrapolations: vec![],
        curves: Vec::new(),
        histograms: Vec::new(),
        adjusted: Vec::new(),
        covariate_distributions: Vec::new(),
        covariate_rates: Vec::new(),
    }
}

fn verification() -> ProtocolAnalysis {
    ProtocolAnalysis {
        protocol: "one-to-one".into(),
        kind: ProtocolKind::Verification,
        thresholds: vec![ThresholdUse { threshold: 0.6, operating_point: OperatingPoint::Grid }],
        calibrations: vec![],
        rates: vec![
            row(Metric::Fmr, None, None, Some(0.6), "grid", ("all", "all"), (3, 10_000)),
            row(Metric::Fnmr, None, None, Some(0.6), "grid", ("all", "all"), (25, 1000)),
        ],
        eer: vec![
            EerRow {
                grouping: "all".into(),
                group: "all".into(),
                eer: Some(0.0125),
                threshold: Some(0.4375),
                mated: 1000,
                non_mated: 10_000,
            },
            EerRow {
                grouping: "sex".into(),
                group: "male".into(),
                eer: None,
                threshold: None,
                mated: 0,
                non_mated: 10,
            },
        ],
        cross_group_fmr: vec![
            CrossGroupCell {
                grouping: "sex".into(),
                probe_group: "female".into(),
                reference_group: "male".into(),
                threshold: 0.6,
                operating_point: harness::model::thresholds::OperatingPoint::Grid,
                rate: Rate::new(2, 5000),
            },
            CrossGroupCell {
                grouping: "sex".into(),
                probe_group: "male".into(),
                reference_group: "female".into(),
                threshold: 0.6,
                operating_point: harness::model::thresholds::OperatingPoint::Grid,
                rate: Rate::new(0, 0),
            },
        ],
        comparisons: vec![],
        summaries: vec![],
        extrapolations: vec![],
        curves: Vec::new(),
        histograms: Vec::new(),
        adjusted: Vec::new(),
        covariate_distributions: Vec::new(),
        covariate_rates: Vec::new(),
    }
}

pub fn results() -> Results {
    let config = AnalysisConfig::with_thresholds(vec![0.58, 0.6, 0.62], vec![Grouping::parse("sex").unwrap()]);
    let mut protocols = vec![watchlist(), verification()];
    for p in &mut protocols {
        p.comparisons = harness::analysis::between_groups::compare_groups(&p.rates, &config, &Default::default());
        let kind = if p.kind == ProtocolKind::Verification {
            harness::model::differences::Comparison::Verification
        } else {
            harness::model::differences::Comparison::Identification
        };
        p.summaries = harness::analysis::differential::summaries_of(
            &p.rates,
            kind,
            config.summary_alpha,
            None,
            &Default::default(),
        );
    }
    let mut per_group = BTreeMap::new();
    per_group.insert("sex".to_string(), BTreeMap::from([("female".to_string(), 150), ("male".to_string(), 150)]));
    Results {
        schema_version: RESULTS_SCHEMA_VERSION.to_string(),
        benchmark: BenchmarkInfo {
            name: "synthetic-faces".into(),
            version: "1.2".into(),
            licence: "CC-BY-4.0".into(),
            content_hash: "ab12cd34".into(),
            subjects: 300,
            samples: 1200,
            label_provenance: BTreeMap::from([("sex".to_string(), "self-declared".to_string())]),
            subjects_per_group: per_group,
        },
        config,
        trial_lists: vec![
            TrialList {
                protocol: "watch".into(),
                kind: ProtocolKind::Watchlist,
                hash: "0f0e0d".into(),
                mated: 1000,
                non_mated: 61_000,
                gallery_subjects: Some(1000),
            },
            TrialList {
                protocol: "one-to-one".into(),
                kind: ProtocolKind::Verification,
                hash: "a1b2c3".into(),
                mated: 1000,
                non_mated: 10_000,
                gallery_subjects: None,
            },
        ],
        vendors: vec![VendorResults {
            vendor: VendorDescription {
                name: "acme".into(),
                version: "2.1".into(),
                score_min: -1.0,
                score_max: 1.0,
                score_meaning: "cosine similarity".into(),
                thresholds: vec![DeclaredThreshold { label: "operational".into(), value: 0.6 }],
                template: TemplateFormat::Embedding { dim: 4 },
            },
            fingerprint: "f1f2".into(),
            template_rates: vec![
                row(Metric::Fte, None, None, None, "none", ("sex", "female"), (1, 200)),
                row(Metric::Fte, None, None, None, "none", ("sex", "male"), (0, 0)),
            ],
            failures: vec![FailureCount { role: Role::Enrol, code: FailureCode::FaceDetectionError, count: 1 }],
            timing: Timing {
                templates: 1200,
                template_seconds_total: 1.5,
                template_bytes_mean: 16.0,
                ..Default::default()
            },
            protocols,
        }],
        provenance: Provenance {
            verity_version: "0.1.0".into(),
            command: "verity run --benchmark b --vendor acme.toml --out out".into(),
            seeds: BTreeMap::from([("bootstrap".to_string(), 7)]),
            inputs: BTreeMap::from([("benchmark".to_string(), "ab12cd34".to_string())]),
        },
    }
}
