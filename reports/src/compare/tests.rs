use super::*;
use crate::output::{RawProtocolOutputs, RawVendorOutputs};
use harness::analysis::protocol::{analyse_search, analyse_verification};
use harness::model::analysis::AnalysisConfig;
use harness::model::population::{Grouping, Subject};
use harness::model::results::{BenchmarkInfo, Provenance, RESULTS_SCHEMA_VERSION, Timing, TrialList};
use harness::stats::mcnemar::mcnemar_exact;
use harness::vendor::{DeclaredThreshold, TemplateFormat, VendorDescription};
use std::collections::BTreeMap;

const SUBJECTS: u32 = 12;
const ENROLLED: u32 = 8;

fn population() -> Population {
    Population {
        attributes: vec!["sex".into()],
        subjects: (0..SUBJECTS)
            .map(|i| Subject { id: format!("s{i}"), attributes: vec![if i % 2 == 0 { "F" } else { "M" }.into()] })
            .collect(),
        provenance: BTreeMap::new(),
    }
}

fn subject_ids() -> Vec<String> {
    population().subjects.iter().map(|s| s.id.clone()).collect()
}

/// A deterministic score stream per vendor.
struct Scores(u64);

impl Scores {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A vendor's trials: every ordered pair of subjects (1:1), and one search per subject
/// against nested galleries of 4 and 8 enrolled subjects with lists of 2 (1:N).
fn trials(seed: u64, mated_boost: f64) -> (VerificationTrials, Vec<SearchTrials>) {
    let mut s = Scores(seed);
    let mut v = VerificationTrials::default();
    for p in 0..SUBJECTS {
        for r in 0..SUBJECTS {
            let score = if p == r { 0.3 + mated_boost * s.next() } else { 0.75 * s.next() };
            v.push(p, r, if p == 5 && r == 5 { None } else { Some(score) });
        }
    }
    let searches = [4u32, ENROLLED]
        .iter()
        .map(|&n| {
            let mut t = SearchTrials::new(n as usize, 2);
            for subject in 0..SUBJECTS {
                let mated = subject < n;
                if subject < ENROLLED && !mated {
                    continue; // nested gallery: the mate is not enrolled in this one
                }
                let other = (subject + 1) % n;
                let mut list = vec![(other, 0.7 * s.next())];
                if mated {
                    list.push((subject, 0.3 + mated_boost * s.next()));
                } else {
                    list.push(((subject + 2) % n, 0.7 * s.next()));
                }
                list.sort_by(|a, b| b.1.total_cmp(&a.1));
                t.push(subject, subject, mated, Some(&list));
            }
            t
        })
        .collect();
    (v, searches)
}

fn config() -> AnalysisConfig {
    let mut c = AnalysisConfig::with_thresholds(vec![0.5, 0.6], vec![Grouping { attributes: vec!["sex".into()] }]);
    c.fmr_targets = vec![0.1, 0.01];
    c.fpir_targets = vec![0.25, 0.01];
    c.ranks = vec![1];
    c.bootstrap_replicates = 20;
    c.monte_carlo_replicates = 200;
    c
}

struct Vendor {
    name: &'static str,
    version: &'static str,
    seed: u64,
    boost: f64,
    threshold: f64,
}

fn results_of(vendors: &[Vendor], bench_hash: &str) -> (Results, Vec<(VerificationTrials, Vec<SearchTrials>)>) {
    let pop = population();
    let config = config();
    let mut out = Vec::new();
    let mut all_trials = Vec::new();
    for v in vendors {
        let declared = vec![DeclaredThreshold { label: "operating".into(), value: v.threshold }];
        let (ver, search) = trials(v.seed, v.boost);
        let protocols = vec![
            analyse_verification("verification", &ver, &pop, &config, &declared).unwrap(),
            analyse_search("identification", ProtocolKind::Identification, &search, &pop, &config, &declared).unwrap(),
        ];
        out.push(VendorResults {
            vendor: VendorDescription {
                name: v.name.into(),
                version: v.version.into(),
                score_min: -1.0,
                score_max: 1.0,
                score_meaning: "cosine".into(),
                thresholds: declared,
                template: TemplateFormat::Opaque,
            },
            fingerprint: format!("fp-{}", v.seed),
            template_rates: Vec::new(),
            failures: Vec::new(),
            timing: Timing::default(),
            protocols,
        });
        all_trials.push((ver, search));
    }
    let list = |protocol: &str, kind, mated, non_mated, gallery| TrialList {
        protocol: protocol.into(),
        kind,
        hash: format!("hash-of-{protocol}"),
        mated,
        non_mated,
        gallery_subjects: gallery,
    };
    let results = Results {
        schema_version: RESULTS_SCHEMA_VERSION.into(),
        benchmark: BenchmarkInfo {
            name: "unit".into(),
            version: "1".into(),
            licence: "test".into(),
            content_hash: bench_hash.into(),
            subjects: SUBJECTS as u64,
            samples: SUBJECTS as u64,
            label_provenance: BTreeMap::new(),
            subjects_per_group: pop.subjects_per_group(),
        },
        config,
        trial_lists: vec![
            list("verification", ProtocolKind::Verification, 12, 132, None),
            list("identification", ProtocolKind::Identification, 8, 4, Some(8)),
        ],
        vendors: out,
        provenance: Provenance {
            verity_version: "test".into(),
            command: "test".into(),
            seeds: BTreeMap::new(),
            inputs: BTreeMap::new(),
        },
    };
    (results, all_trials)
}

/// Write a run folder (results.json and raw/) for these vendors.
fn write_run(dir: &Path, vendors: &[Vendor], bench_hash: &str) -> Vec<(VerificationTrials, Vec<SearchTrials>)> {
    let (results, trials) = results_of(vendors, bench_hash);
    let subjects = subject_ids();
    let pair_ids: Vec<String> = (0..trials[0].0.len()).map(|i| format!("img{i}")).collect();
    let search_ids: Vec<String> = (0..SUBJECTS).map(|i| format!("q{i}")).collect();
    let protocols: Vec<[RawProtocolOutputs; 2]> = trials
        .iter()
        .map(|(v, s)| {
            [
                RawProtocolOutputs::Verification {
                    protocol: "verification",
                    trials: v,
                    probe_ids: &pair_ids,
                    reference_ids: &pair_ids,
                },
                RawProtocolOutputs::Search { protocol: "identification", searches: s, search_ids: &search_ids },
            ]
        })
        .collect();
    let raw: Vec<RawVendorOutputs> = vendors
        .iter()
        .zip(&protocols)
        .map(|(v, p)| RawVendorOutputs { vendor: v.name, subject_ids: &subjects, protocols: p, failures: &[] })
        .collect();
    crate::output::write_all(dir, &results, &raw, &[]).unwrap();
    trials
}

fn two_vendors() -> [Vendor; 2] {
    [
        Vendor { name: "vendor-a", version: "1", seed: 1, boost: 0.6, threshold: 0.5 },
        Vendor { name: "vendor-b", version: "2", seed: 2, boost: 0.35, threshold: 0.55 },
    ]
}

#[test]
fn two_vendors_of_one_run_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let trials = write_run(&run, &two_vendors(), "bench");
    let pop = population();
    let c = compare(vec![load_run(&run).unwrap()], None, Some(&pop), Vec::new()).unwrap();
    assert_eq!(c.vendors.iter().map(|v| v.label.as_str()).collect::<Vec<_>>(), ["vendor-a", "vendor-b"]);
    assert_eq!(c.protocols, ["verification", "identification"]);
    assert_eq!(c.targets, Targets { fpir: 0.25, fmr: 0.1 });
    assert!(c.per_group);
    // One pair, two protocols, two points.
    assert_eq!(c.paired.len(), 4);

    // The declared-threshold FNMR table, counted by hand from the trials.
    let set = c.paired.iter().find(|s| s.protocol == "verification" && s.point == Point::Declared).unwrap();
    let comp = &set.comparisons[0];
    assert_eq!((comp.threshold_a, comp.threshold_b), (0.5, 0.55));
    let (va, vb) = (&trials[0].0, &trials[1].0);
    let (mut only_a, mut only_b) = (0, 0);
    for i in 0..va.len() {
        if va.probe_subject[i] == va.reference_subject[i] {
            let (ea, eb) = (va.score[i] < 0.5, vb.score[i] < 0.55);
            only_a += u64::from(ea && !eb);
            only_b += u64::from(eb && !ea);
        }
    }
    let all = comp.row(Metric::Fnmr, "all", "all").unwrap();
    assert_eq!((all.table.only_a, all.table.only_b), (only_a, only_b));
    assert_eq!(all.p_value, mcnemar_exact(only_a, only_b));
    assert!(comp.row(Metric::Fmr, "sex", "F").is_some());

    // Common point: each vendor at its own calibrated threshold from results.json.
    let set = c.paired.iter().find(|s| s.protocol == "identification" && s.point == Point::Common).unwrap();
    assert_eq!(set.comparisons.len(), 2, "{:?}", set.missing);
    let p = c.protocol_of(0, "identification").unwrap();
    let cal = p.calibrations.iter().find(|x| x.target == 0.25 && x.gallery_size == Some(8)).unwrap();
    assert_eq!(set.comparisons[1].threshold_a, cal.threshold.unwrap());

    let doc = document(&c);
    let md = doc.to_markdown();
    assert!(md.contains("vendor-a") && md.contains("vendor-b"));
    assert!(md.contains("hash-of-identification"));
    assert!(md.contains("At the common operating point (FPIR 2.5e-1, gallery of 8)"), "{md}");
    assert!(md.contains("exact McNemar p = "));
    assert!(md.contains("At each vendor's declared threshold"));

    let out = dir.path().join("cmp");
    write_comparison(&out, &c).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, [storage::outputs::MANIFEST, "compare.csv", "compare.html", "compare.md", "compare_paired.csv"]);
    let csv = std::fs::read_to_string(out.join("compare_paired.csv")).unwrap();
    let line = format!(
        "verification,,,declared,vendor-a,vendor-b,0.5,0.55,fnmr,all,all,{},{},{only_a},{only_b},",
        all.table.trials(),
        all.table.both
    );
    assert!(csv.contains(&line), "{line}\n{csv}");
    let rates = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(rates.starts_with("vendor,name,version,run,protocol,gallery_size,rank,point,operating_point,threshold,"));
    assert!(rates.contains(",identification,8,,common,calibrated:fpir=2.5e-1@N=8,"), "{rates}");
    assert!(rates.contains(",identification,8,2,declared,declared:operating,0.55,all,all,tpir,"), "{rates}");
}

#[test]
fn vendors_of_two_runs_without_the_benchmark_are_tested_overall() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = two_vendors();
    write_run(&dir.path().join("r1"), &[a], "bench");
    write_run(&dir.path().join("r2"), &[b], "bench");
    let runs = vec![load_run(&dir.path().join("r1")).unwrap(), load_run(&dir.path().join("r2")).unwrap()];
    let c = compare(runs, Some(0.01), None, vec!["no benchmark".into()]).unwrap();
    assert!(!c.per_group);
    assert_eq!(c.targets, Targets { fpir: 0.01, fmr: 0.01 });
    for set in &c.paired {
        for comp in &set.comparisons {
            assert!(comp.rows.iter().all(|r| r.grouping == "all"));
        }
    }
    // FPIR 1e-2 cannot be resolved with 4 non-mated searches: said, not tested.
    let set = c.paired.iter().find(|s| s.protocol == "identification" && s.point == Point::Common).unwrap();
    assert!(set.comparisons.is_empty());
    assert!(set.missing[0].contains("not estimable"), "{:?}", set.missing);
    let md = document(&c).to_markdown();
    assert!(md.contains("Paired tests are overall only"));
    assert!(md.contains("Not tested: "));
}

#[test]
fn different_trial_lists_or_benchmarks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = two_vendors();
    write_run(&dir.path().join("r1"), &[a], "bench");
    write_run(&dir.path().join("r2"), &[b], "other-bench");
    let load = |n: &str| load_run(&dir.path().join(n)).unwrap();
    let e = compare(vec![load("r1"), load("r2")], None, None, Vec::new()).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, CompareError::DifferentBenchmark { .. }));
    assert!(text.contains("bench against other-bench") && text.contains("r1") && text.contains("r2"), "{text}");

    let mut r2 = load("r2");
    r2.results.benchmark.content_hash = "bench".into();
    r2.results.trial_lists[1].hash = "changed".into();
    let e = compare(vec![load("r1"), r2], None, None, Vec::new()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("protocol `identification`") && text.contains("hash-of-identification against changed"),
        "{text}"
    );

    let e = compare(vec![load("r1")], None, None, Vec::new()).unwrap_err();
    assert!(matches!(e, CompareError::TooFewVendors(1)), "{e}");
    let e = compare(vec![load("r1"), load("r1")], None, None, Vec::new()).unwrap_err();
    assert!(matches!(e, CompareError::DuplicateRun(_)), "{e}");
    let e = load_run(&dir.path().join("nowhere")).unwrap_err();
    assert!(e.to_string().contains("nowhere/results.json"), "{e}");
}

#[test]
fn a_target_that_was_not_calibrated_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write_run(&dir.path().join("r"), &two_vendors(), "bench");
    let e = compare(vec![load_run(&dir.path().join("r")).unwrap()], Some(0.05), None, Vec::new()).unwrap_err();
    assert!(matches!(e, CompareError::UnknownTarget { .. }), "{e}");
    assert!(e.to_string().contains("5e-2"), "{e}");
}

#[test]
fn raw_outputs_that_do_not_match_results_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("r");
    write_run(&run, &two_vendors(), "bench");
    // vendor-b's raw scores replaced by vendor-a's: its paired rates no longer equal
    // its results.json rates.
    let raw = run.join("raw");
    std::fs::copy(raw.join("vendor-a/verification.scores.parquet"), raw.join("vendor-b/verification.scores.parquet"))
        .unwrap();
    let e = compare(vec![load_run(&run).unwrap()], None, Some(&population()), Vec::new()).unwrap_err();
    assert!(matches!(e, CompareError::Inconsistent { .. }), "{e}");
    std::fs::remove_file(raw.join("vendor-b/verification.scores.parquet")).unwrap();
    let e = compare(vec![load_run(&run).unwrap()], None, Some(&population()), Vec::new()).unwrap_err();
    assert!(matches!(e, CompareError::MissingRaw(_)), "{e}");
}

#[test]
fn vendors_are_named_apart() {
    let dir = tempfile::tempdir().unwrap();
    let v = |version: &'static str, seed| Vendor { name: "acme", version, seed, boost: 0.5, threshold: 0.5 };
    write_run(&dir.path().join("r1"), &[v("1", 1), Vendor { name: "other", ..v("1", 3) }], "bench");
    write_run(&dir.path().join("r2"), &[v("2", 2)], "bench");
    write_run(&dir.path().join("r3"), &[v("2", 2)], "bench");
    let runs: Vec<ComparedRun> = ["r1", "r2", "r3"].iter().map(|r| load_run(&dir.path().join(r)).unwrap()).collect();
    let labels: Vec<String> = identify_vendors(&runs).into_iter().map(|v| v.label).collect();
    let r = |n: &str| dir.path().join(n).display().to_string();
    assert_eq!(
        labels,
        ["acme 1".to_string(), "other".into(), format!("acme 2 ({})", r("r2")), format!("acme 2 ({})", r("r3"))]
    );
}

#[test]
fn sentences_say_who_errs_more() {
    let dir = tempfile::tempdir().unwrap();
    write_run(&dir.path().join("r"), &two_vendors(), "bench");
    let c = compare(vec![load_run(&dir.path().join("r")).unwrap()], None, Some(&population()), Vec::new()).unwrap();
    let set = c.paired.iter().find(|s| s.protocol == "verification" && s.point == Point::Declared).unwrap();
    let comp = &set.comparisons[0];
    let mut row = comp.rows.iter().find(|r| r.metric == Metric::Fnmr && r.grouping == "all").unwrap().clone();
    row.table = harness::stats::mcnemar::PairedTable { both: 1, only_a: 2, only_b: 414, neither: 9_583 };
    row.p_value = 2e-12;
    let s = render::sentence(&c, ProtocolKind::Verification, set, comp, &row);
    assert_eq!(
        s,
        "At their declared thresholds (vendor-a 0.5, vendor-b 0.55), vendor-b falsely rejects 412 more of 10,000 mated pairs than vendor-a (exact McNemar p = 2.0e-12)."
    );
    row.table = harness::stats::mcnemar::PairedTable { both: 1, only_a: 3, only_b: 3, neither: 3 };
    row.p_value = 1.0;
    let s = render::sentence(&c, ProtocolKind::Verification, set, comp, &row);
    assert!(s.contains("vendor-a and vendor-b err on the same number of the 10 mated pairs (4 each"), "{s}");
}
