use super::*;
use crate::model::population::Grouping;
use crate::model::rate::Rate;
use crate::model::trials::VerificationTrials;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn codes(of_subject: Vec<u32>, labels: &[&str]) -> GroupCodes {
    GroupCodes {
        grouping: Grouping::parse("group").unwrap(),
        labels: labels.iter().map(|s| s.to_string()).collect(),
        of_subject,
    }
}

fn config(replicates: usize) -> BootstrapConfig {
    BootstrapConfig { replicates, ..BootstrapConfig::new(7) }
}

fn row(b: &Bootstrap, metric: Metric, threshold: f64, group: usize) -> &GroupRateBootstrap {
    b.rates.iter().find(|r| r.metric == metric && r.threshold == threshold && r.group == group).expect("row")
}

/// Random 1:1 trials: `subjects` subjects in `groups` groups, several samples each.
fn random_trials(seed: u64, subjects: u32, groups: u32, n: usize) -> (VerificationTrials, GroupCodes) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let of_subject: Vec<u32> = (0..subjects).map(|s| s % groups).collect();
    let labels: Vec<String> = (0..groups).map(|g| format!("g{g}")).collect();
    let mut t = VerificationTrials::default();
    for _ in 0..n {
        let p = rng.random_range(0..subjects);
        let r = if rng.random_bool(0.3) { p } else { rng.random_range(0..subjects) };
        let score = if rng.random_bool(0.05) { None } else { Some((rng.random_range(0..10) as f64) / 10.0) };
        t.push(p, r, score);
    }
    let labels: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
    (t, codes(of_subject, &labels))
}

#[test]
fn one_subject_gives_a_degenerate_interval() {
    let mut t = VerificationTrials::default();
    for s in [0.1, 0.6, 0.7, 0.9] {
        t.push(0, 0, Some(s));
    }
    let b = bootstrap_verification(&t, &codes(vec![0], &["a"]), &[0.5], &config(50)).unwrap();
    let fnmr = row(&b, Metric::Fnmr, 0.5, 0);
    assert_eq!(fnmr.rate, Rate::new(1, 4));
    assert_eq!((fnmr.interval.low, fnmr.interval.high), (Some(0.25), Some(0.25)));
    assert_eq!((fnmr.interval.replicates_used, fnmr.interval.undefined), (50, 0));
    // No non-mated pair: FMR is undefined in every replicate, and says so.
    let fmr = row(&b, Metric::Fmr, 0.5, 0);
    assert_eq!(fmr.interval.estimate, None);
    assert_eq!((fmr.interval.replicates_used, fmr.interval.undefined), (0, 50));
}

#[test]
fn equal_subjects_give_the_same_rate_in_every_replicate() {
    // Three subjects, each one error in two mated trials: every resample has FNMR 1/2.
    // Non-mated: every pair of distinct subjects has one trial, a false match at 0.5,
    // so FMR is 1 whenever two distinct subjects are drawn.
    let mut t = VerificationTrials::default();
    for s in 0..3 {
        t.push(s, s, Some(0.2));
        t.push(s, s, Some(0.8));
    }
    t.push(0, 1, Some(0.9));
    t.push(1, 2, Some(0.9));
    t.push(2, 0, Some(0.9));
    let b = bootstrap_verification(&t, &codes(vec![0; 3], &["a"]), &[0.5], &config(200)).unwrap();
    let fnmr = row(&b, Metric::Fnmr, 0.5, 0);
    assert_eq!((fnmr.interval.low, fnmr.interval.high, fnmr.interval.undefined), (Some(0.5), Some(0.5), 0));
    let fmr = row(&b, Metric::Fmr, 0.5, 0);
    assert_eq!((fmr.interval.estimate, fmr.interval.low, fmr.interval.high), (Some(1.0), Some(1.0), Some(1.0)));
    // A replicate drawing one subject three times has no pair: (1/3)^3 * 3 = 1/9 of them.
    assert!(fmr.interval.undefined > 5 && fmr.interval.undefined < 45, "{}", fmr.interval.undefined);
    assert_eq!(fmr.interval.undefined + fmr.interval.replicates_used, 200);
}

#[test]
fn replicate_counts_match_brute_force_weighting() {
    let (t, codes) = random_trials(3, 12, 2, 400);
    let thresholds = [0.35, 0.0, 0.75];
    let levels = Levels::new(&thresholds);
    let present = present_subjects(&t, codes.of_subject.len()).unwrap();
    let units = Units::new(&present, &codes).unwrap();
    let reps = Replicates::verification(units.clone(), &thresholds, &levels, &config(1)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for round in 0..20 {
        // Round 0 is the observed data (all weights 1); then arbitrary weights, zeros included.
        let w: Vec<u32> = (0..units.n_units()).map(|_| if round == 0 { 1 } else { rng.random_range(0..4) }).collect();
        let weights = Weights::given(w.clone());
        let mut tallies = reps.tallies(&weights);
        for i in 0..t.len() {
            let level = levels.level(t.score[i]);
            reps.add_trial(&codes, &weights, &mut tallies, t.probe_subject[i], t.reference_subject[i], level);
        }
        let got = reps.counts(&tallies, 0);
        let g = codes.n_groups();
        for (s, spec) in reps.specs.iter().enumerate() {
            for gi in 0..g {
                let (mut num, mut den) = (0u64, 0u64);
                for i in 0..t.len() {
                    let (p, r) = (t.probe_subject[i], t.reference_subject[i]);
                    let (gp, gr) = (codes.of_subject[p as usize] as usize, codes.of_subject[r as usize] as usize);
                    let (wp, wr) = (u64::from(w[units.unit(p)]), u64::from(w[units.unit(r)]));
                    match spec.metric {
                        Metric::Fmr if p != r && gp == gi && gr == gi => {
                            den += wp * wr;
                            num += wp * wr * u64::from(t.score[i] >= spec.threshold);
                        }
                        Metric::Fnmr if p == r && gp == gi => {
                            den += wp;
                            num += wp * u64::from(t.score[i] < spec.threshold);
                        }
                        _ => {}
                    }
                }
                assert_eq!(got[s * g + gi], (num, den), "{:?} at {} group {gi}", spec.metric, spec.threshold);
            }
        }
    }
}

#[test]
fn same_result_on_one_and_two_threads() {
    let (t, codes) = random_trials(5, 40, 3, 2000);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| bootstrap_verification(&t, &codes, &[0.3, 0.6], &config(64)).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    // And a different seed gives different replicates.
    let other = bootstrap_verification(&t, &codes, &[0.3, 0.6], &BootstrapConfig { seed: 8, ..config(64) }).unwrap();
    assert_ne!(one.rates, other.rates);
}

#[test]
fn reference_group_difference_and_ratio() {
    // Group a: FNMR 1/4 per subject; group b: 2/4 per subject. Every subject of a group
    // alike, so every replicate gives the same rates.
    let mut t = VerificationTrials::default();
    for s in 0..6u32 {
        let errors = if s < 3 { 1 } else { 2 };
        for k in 0..4 {
            t.push(s, s, Some(if k < errors { 0.1 } else { 0.9 }));
        }
    }
    let c = codes(vec![0, 0, 0, 1, 1, 1], &["a", "b"]);
    let b = bootstrap_verification(&t, &c, &[0.5], &config(100)).unwrap();
    let rb = row(&b, Metric::Fnmr, 0.5, 1);
    assert_eq!(rb.reference_group, Some(0)); // the lowest rate
    let ratio = rb.ratio_to_reference.as_ref().unwrap();
    assert_eq!((ratio.estimate, ratio.low, ratio.high), (Some(2.0), Some(2.0), Some(2.0)));
    let diff = rb.difference_to_reference.as_ref().unwrap();
    assert_eq!(diff.estimate, Some(0.25));
    assert!(row(&b, Metric::Fnmr, 0.5, 0).ratio_to_reference.is_none());
    let spread = b.spreads.iter().find(|s| s.metric == Metric::Fnmr).unwrap();
    assert_eq!(spread.max_min_ratio.estimate, Some(2.0));
    // A declared reference group is used as given.
    let declared = BootstrapConfig { reference_group: Some(1), ..config(10) };
    let b = bootstrap_verification(&t, &c, &[0.5], &declared).unwrap();
    let ra = row(&b, Metric::Fnmr, 0.5, 0);
    assert_eq!(ra.ratio_to_reference.as_ref().unwrap().estimate, Some(0.5));
    assert_eq!(b.subjects, vec![3, 3]);
}

#[test]
fn a_zero_reference_rate_makes_ratios_undefined_and_counted() {
    // Group a: no errors at all; group b: some. Ratio b/a is undefined in every replicate.
    let mut t = VerificationTrials::default();
    for s in 0..4u32 {
        t.push(s, s, Some(if s == 3 { 0.1 } else { 0.9 }));
    }
    let b = bootstrap_verification(&t, &codes(vec![0, 0, 1, 1], &["a", "b"]), &[0.5], &config(40)).unwrap();
    let r = row(&b, Metric::Fnmr, 0.5, 1).ratio_to_reference.clone().unwrap();
    assert_eq!((r.estimate, r.low, r.replicates_used, r.undefined), (None, None, 0, 40));
}

#[test]
fn search_rates_and_weights() {
    // Subject 0 (group a): two mated searches, mate at rank 1 (0.9) and rank 2 (0.8).
    // Subject 1 (group a): one non-mated search, top score 0.7.
    // Subject 2 (group b): one mated search, mate absent; one non-mated, top 0.3.
    let mut t = SearchTrials::new(10, 2);
    t.push(0, 0, true, Some(&[(0, 0.9), (5, 0.4)]));
    t.push(1, 0, true, Some(&[(6, 0.85), (0, 0.8)]));
    t.push(2, 1, false, Some(&[(4, 0.7), (5, 0.1)]));
    t.push(3, 2, true, Some(&[(7, 0.6), (8, 0.5)]));
    t.push(4, 2, false, Some(&[(4, 0.3)]));
    let c = codes(vec![0, 0, 1], &["a", "b"]);
    let b = bootstrap_search(&t, &c, &[0.5, 0.75], &[1, 2], &config(30)).unwrap();
    let get = |m: Metric, rank: Option<u32>, th: f64, g: usize| {
        b.rates.iter().find(|r| r.metric == m && r.rank == rank && r.threshold == th && r.group == g).unwrap().rate
    };
    assert_eq!(get(Metric::Fnir, Some(1), 0.5, 0), Rate::new(1, 2));
    assert_eq!(get(Metric::Fnir, Some(2), 0.5, 0), Rate::new(0, 2));
    assert_eq!(get(Metric::Tpir, Some(2), 0.75, 0), Rate::new(2, 2));
    assert_eq!(get(Metric::Fnir, Some(2), 0.5, 1), Rate::new(1, 1));
    assert_eq!(get(Metric::Fpir, None, 0.5, 0), Rate::new(1, 1));
    assert_eq!(get(Metric::Fpir, None, 0.75, 0), Rate::new(0, 1));
    assert_eq!(get(Metric::Fpir, None, 0.5, 1), Rate::new(0, 1));
    // Weights: subject 0 drawn twice, subject 1 not at all. As `bootstrap_search` adds
    // them: the mate within rank 1 (statistic 0) and FPIR (statistic 1).
    let levels = Levels::new(&[0.5]);
    let units = Units::new(&[true, true, true], &c).unwrap();
    let fnir = RateSpec {
        metric: Metric::Fnir,
        threshold: 0.5,
        rank: Some(1),
        stat: 0,
        position: 0,
        count: Count::Missing,
        complement: false,
    };
    let fpir = RateSpec { metric: Metric::Fpir, rank: None, stat: 1, count: Count::Reaching, ..fnir };
    let reps = Replicates::new(units.clone(), vec![fnir, fpir], 2, 1, &config(1));
    let mut w = vec![0u32; units.n_units()];
    w[units.unit(0)] = 2;
    w[units.unit(2)] = 1;
    let weights = Weights::given(w);
    let mut tallies = reps.tallies(&weights);
    let columns = search_columns(&t);
    let within = mate_score_within_rank(&columns, 1);
    for (i, &mate_score) in within.iter().enumerate() {
        let s = t.subject[i];
        let (g, unit) = (c.of_subject[s as usize] as usize, units.unit(s));
        if t.mated[i] {
            reps.add_search(&weights, &mut tallies, 0, g, unit, levels.level(mate_score));
        } else {
            reps.add_search(&weights, &mut tallies, 1, g, unit, levels.level(columns.top_score[i]));
        }
    }
    // specs: FNIR@1, FPIR; groups a, b.
    assert_eq!(reps.counts(&tallies, 0), vec![(2, 4), (1, 1), (0, 0), (0, 1)]);
}

#[test]
fn bad_input_is_a_typed_error() {
    let mut t = VerificationTrials::default();
    t.push(0, 5, Some(0.1));
    let c = codes(vec![0, 0], &["a"]);
    assert_eq!(
        bootstrap_verification(&t, &c, &[0.5], &config(10)).unwrap_err(),
        BootstrapError::UnknownSubject { subject: 5, subjects: 2 }
    );
    t.reference_subject[0] = 1;
    assert_eq!(bootstrap_verification(&t, &c, &[0.5], &config(0)).unwrap_err(), BootstrapError::NoReplicates);
    assert!(matches!(
        bootstrap_verification(&t, &c, &[f64::NAN], &config(10)),
        Err(BootstrapError::InvalidThreshold(_))
    ));
    let bad_ref = BootstrapConfig { reference_group: Some(3), ..config(10) };
    assert!(matches!(
        bootstrap_verification(&t, &c, &[0.5], &bad_ref),
        Err(BootstrapError::UnknownReferenceGroup { .. })
    ));
}
