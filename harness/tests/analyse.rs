//! Hand-computed cases for every metric of docs/metrics.md.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::analysis::protocol::{analyse_search, analyse_verification, template_rates};
use harness::model::analysis::{AnalysisConfig, Metric, ProtocolAnalysis, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::population::{Grouping, Population, Subject};
use harness::model::query::RateQuery;
use harness::model::thresholds::OperatingPoint;
use harness::model::trials::{SearchTrials, TemplateOutcomes, VerificationTrials};
use harness::vendor::{DeclaredThreshold, Role};

/// Subjects 0..6: sex F F F M M M; ethnicity a b a b a b.
fn population() -> Population {
    let pairs = [("F", "a"), ("F", "b"), ("F", "a"), ("M", "b"), ("M", "a"), ("M", "b")];
    Population {
        attributes: vec!["sex".into(), "ethnicity".into()],
        subjects: pairs
            .iter()
            .enumerate()
            .map(|(i, (s, e))| Subject { id: format!("s{i}"), attributes: vec![s.to_string(), e.to_string()] })
            .collect(),
        provenance: Default::default(),
    }
}

fn config(thresholds: &[f64]) -> AnalysisConfig {
    let mut c = AnalysisConfig::with_thresholds(
        thresholds.to_vec(),
        vec![Grouping::parse("sex").unwrap(), Grouping::parse("sex,ethnicity").unwrap()],
    );
    c.fmr_targets = vec![0.25];
    c.fpir_targets = vec![0.5];
    c
}

fn find<'a>(
    a: &'a ProtocolAnalysis,
    metric: Metric,
    op: &str,
    grouping: &str,
    group: &str,
    rank: Option<u32>,
) -> &'a RateRow {
    let point = OperatingPoint::from_label(op).expect("an operating point label");
    a.rate(&RateQuery::metric(metric).at(&point).grouping(grouping).group(group).rank(rank))
        .unwrap_or_else(|| panic!("no {metric:?} {op} {grouping} {group} {rank:?}"))
}

fn counts(r: &RateRow) -> (u64, u64) {
    (r.rate.numerator, r.rate.denominator)
}

fn verification() -> VerificationTrials {
    let mut t = VerificationTrials::default();
    // Mated: subject 0 at exactly the threshold (a tie matches), subject 1 below,
    // subject 3 failed, subject 4 well above.
    t.push(0, 0, Some(0.6));
    t.push(1, 1, Some(0.59));
    t.push(3, 3, None);
    t.push(4, 4, Some(0.9));
    // Non-mated: F-F pairs 0.6 (tie -> false match) and 0.1; M-M pair 0.7; cross F-M 0.8.
    t.push(0, 2, Some(0.6));
    t.push(1, 2, Some(0.1));
    t.push(3, 5, Some(0.7));
    t.push(0, 3, Some(0.8));
    t
}

#[test]
fn fmr_fnmr_hand_computed_with_ties_and_failures() {
    let a = analyse_verification("v", &verification(), &population(), &config(&[0.6]), &[]).unwrap();
    // all: FMR = {0.6, 0.7, 0.8} >= 0.6 of 4 non-mated; FNMR = {0.59, failed} of 4 mated.
    assert_eq!(counts(find(&a, Metric::Fmr, "grid", "all", "all", None)), (3, 4));
    assert_eq!(counts(find(&a, Metric::Fnmr, "grid", "all", "all", None)), (2, 4));
    // F: same-group non-mated pairs (0,2) 0.6 and (1,2) 0.1; the cross pair is not in it.
    assert_eq!(counts(find(&a, Metric::Fmr, "grid", "sex", "F", None)), (1, 2));
    assert_eq!(counts(find(&a, Metric::Fnmr, "grid", "sex", "F", None)), (1, 2));
    // M: (3,5) 0.7; mated: 3 failed, 4 at 0.9.
    assert_eq!(counts(find(&a, Metric::Fmr, "grid", "sex", "M", None)), (1, 1));
    assert_eq!(counts(find(&a, Metric::Fnmr, "grid", "sex", "M", None)), (1, 2));
    // Cross-group cell F->M holds the 0.8 pair.
    let cell = a
        .cross_group_fmr
        .iter()
        .find(|c| c.grouping == "sex" && c.probe_group == "F" && c.reference_group == "M")
        .unwrap();
    assert_eq!((cell.rate.numerator, cell.rate.denominator), (1, 1));
}

#[test]
fn zero_denominator_is_undefined_not_zero() {
    let a = analyse_verification("v", &verification(), &population(), &config(&[0.6]), &[]).unwrap();
    // F×b has subject 1 only: no same-group non-mated pair.
    let r = find(&a, Metric::Fmr, "grid", "sex×ethnicity", "F×b", None);
    assert_eq!(counts(r), (0, 0));
    assert_eq!(r.rate.value(), None);
    assert!(r.interval.is_none());
    // Empty intersections simply do not exist: there is no subject "F×c".
    assert!(a.rates.iter().all(|r| r.group != "F×c"));
}

#[test]
fn declared_and_calibrated_thresholds_are_labelled() {
    let declared = [DeclaredThreshold { label: "lfr".into(), value: 0.75 }];
    let a = analyse_verification("v", &verification(), &population(), &config(&[0.6]), &declared).unwrap();
    assert_eq!(counts(find(&a, Metric::Fmr, "declared:lfr", "all", "all", None)), (1, 4));
    // FMR target 0.25 of 4 non-mated: at most 1 at or above T; T just above 0.7.
    let cal = &a.calibrations[0];
    assert_eq!(cal.threshold, Some(0.7f64.next_up()));
    assert_eq!(cal.achieved.map(|r| (r.numerator, r.denominator)), Some((1, 4)));
    assert_eq!(counts(find(&a, Metric::Fnmr, "calibrated:fmr=2.5e-1", "all", "all", None)), (3, 4));
}

#[test]
fn eer_per_group() {
    let a = analyse_verification("v", &verification(), &population(), &config(&[0.6]), &[]).unwrap();
    let m = a.eer.iter().find(|e| e.grouping == "sex" && e.group == "M").unwrap();
    assert_eq!((m.mated, m.non_mated), (2, 1));
    // M mated {-inf, 0.9}, non-mated {0.7}: at t=0.7 FMR 1, FNMR 1/2; at 0.9 FMR 0, FNMR 1/2
    // -> crossing at lambda = 1/2: EER 1/2, threshold 0.8.
    assert!((m.eer.unwrap() - 0.5).abs() < 1e-12);
    assert!((m.threshold.unwrap() - 0.8).abs() < 1e-12);
}

fn searches() -> SearchTrials {
    // Gallery subjects 0, 1, 3 (L = 2). Mated searchers 0, 1, 3; non-mated 2, 4, 5.
    let mut t = SearchTrials::new(3, 2);
    t.push(0, 0, true, Some(&[(0, 0.7), (1, 0.3)])); // mate at rank 1, 0.7
    t.push(1, 1, true, Some(&[(0, 0.65), (1, 0.62)])); // mate at rank 2 = R+1 for R = 1
    t.push(2, 3, true, None); // failed search
    t.push(3, 2, false, Some(&[(0, 0.6), (1, 0.6)])); // tie at T -> alert, 2 candidates >= T
    t.push(4, 4, false, Some(&[(3, 0.5)]));
    t.push(5, 5, false, Some(&[]));
    t
}

#[test]
fn identification_hand_computed() {
    let a =
        analyse_search("i", ProtocolKind::Identification, &[searches()], &population(), &config(&[0.6]), &[]).unwrap();
    // FNIR(R=1, T=0.6): only search 0 is a hit -> 2 of 3 missed (rank R+1 is a miss).
    assert_eq!(counts(find(&a, Metric::Fnir, "grid", "all", "all", Some(1))), (2, 3));
    assert_eq!(counts(find(&a, Metric::Tpir, "grid", "all", "all", Some(1))), (1, 3));
    // At R = L = 2 the rank-2 mate at 0.62 is a hit.
    assert_eq!(counts(find(&a, Metric::Fnir, "grid", "all", "all", Some(2))), (1, 3));
    // FPIR: search 3 ties at 0.6 -> 1 of 3 non-mated.
    assert_eq!(counts(find(&a, Metric::Fpir, "grid", "all", "all", None)), (1, 3));
    // SEL: 2 candidates >= 0.6 over 3 non-mated searches.
    assert_eq!(counts(find(&a, Metric::Sel, "grid", "all", "all", None)), (2, 3));
    // CMC(1) = 1/3, CMC(2) = 2/3 (the failed search never hits).
    assert_eq!(counts(find(&a, Metric::Cmc, "none", "all", "all", Some(1))), (1, 3));
    assert_eq!(counts(find(&a, Metric::Cmc, "none", "all", "all", Some(2))), (2, 3));
    // Per group: F searchers 0, 1 (mated), 2 (non-mated); M: 3 (mated), 4, 5 (non-mated).
    assert_eq!(counts(find(&a, Metric::Fnir, "grid", "sex", "F", Some(2))), (0, 2));
    assert_eq!(counts(find(&a, Metric::Fnir, "grid", "sex", "M", Some(2))), (1, 1));
    assert_eq!(counts(find(&a, Metric::Fpir, "grid", "sex", "F", None)), (1, 1));
    assert_eq!(counts(find(&a, Metric::Fpir, "grid", "sex", "M", None)), (0, 2));
    // FPIR target 0.5 of 3: at most 1 alert; tops {0.6, 0.5, -inf}: T just above 0.5.
    assert_eq!(a.calibrations[0].threshold, Some(0.5f64.next_up()));
    assert_eq!(a.calibrations[0].gallery_size, Some(3));
}

#[test]
fn watchlist_uses_the_whole_list() {
    let a = analyse_search("w", ProtocolKind::Watchlist, &[searches()], &population(), &config(&[0.6]), &[]).unwrap();
    assert_eq!(counts(find(&a, Metric::Tpir, "grid", "all", "all", Some(2))), (2, 3));
    assert!(a.rates.iter().all(|r| r.rank != Some(1) || r.metric == Metric::Cmc));
}

#[test]
fn fte_and_fta_by_group() {
    let outcomes = TemplateOutcomes {
        subject: vec![0, 0, 3, 3, 4],
        role: vec![Role::Enrol, Role::Verify, Role::Enrol, Role::Search, Role::Search],
        failed: vec![true, false, false, true, true],
    };
    let rows = template_rates(&outcomes, &population(), &config(&[0.6])).unwrap();
    let get = |m: Metric, g: &str| {
        rows.iter().find(|r| r.metric == m && r.grouping == "sex" && r.group == g).map(counts).unwrap()
    };
    assert_eq!(get(Metric::Fte, "F"), (1, 1));
    assert_eq!(get(Metric::Fta, "F"), (0, 1));
    assert_eq!(get(Metric::Fte, "M"), (0, 1));
    assert_eq!(get(Metric::Fta, "M"), (2, 2));
}

#[test]
fn counts_add_up_across_groups() {
    let a = analyse_verification("v", &verification(), &population(), &config(&[0.5, 0.6, 0.7]), &[]).unwrap();
    for op_threshold in [0.5, 0.6, 0.7] {
        let by = |grouping: &str, m: Metric| -> (u64, u64) {
            a.rates_where(&RateQuery::metric(m).grouping(grouping).threshold(op_threshold).at(&OperatingPoint::Grid))
                .fold((0, 0), |acc, r| (acc.0 + r.rate.numerator, acc.1 + r.rate.denominator))
        };
        // Mated trials split exactly across groups.
        assert_eq!(by("sex", Metric::Fnmr), by("all", Metric::Fnmr));
    }
}

#[test]
fn fmr_is_extrapolated_to_fpir_and_labelled() {
    let mut c = config(&[0.6]);
    c.extrapolation_sizes = vec![2];
    let a = analyse_verification("v", &verification(), &population(), &c, &[]).unwrap();
    // FMR(all, 0.6) = 3/4: FPIR(2) = 1 - (1/4)^2 = 0.9375.
    let e = a.extrapolations.iter().find(|e| e.grouping == "all" && e.threshold == 0.6).unwrap();
    assert_eq!(e.extrapolation.kind, "extrapolation");
    assert!((e.extrapolation.fpir - 0.9375).abs() < 1e-15);
    assert!(e.extrapolation.assumption.contains("independen"));
    assert!(e.extrapolation.fpir_low.unwrap() < 0.9375 && e.extrapolation.fpir_high.unwrap() > 0.9375);
    // Groups with no non-mated pairs are not extrapolated.
    assert!(a.extrapolations.iter().all(|e| e.group != "F×b"));
}
