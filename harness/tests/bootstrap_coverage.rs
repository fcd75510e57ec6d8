//! Coverage study of the subject-level bootstrap (issue 3, "Done when"): on simulated
//! benchmarks whose trials are correlated within subjects and whose true rate is known,
//! the bootstrap's 95% percentile interval covers the truth about 95% of the time, and
//! the binomial (Wilson) interval, which assumes independent trials, covers far less.
//!
//! The model: every subject has its own false non-match propensity p_s ~ Beta(a, b) (some
//! people are hard to match), and each of its M mated trials fails with probability p_s.
//! The true population FNMR is the Beta mean a / (a + b). Trials of one subject share
//! p_s, with intra-subject correlation rho = 1 / (a + b + 1), so the variance of the
//! observed rate is the binomial variance times the design effect 1 + (M - 1) rho
//! (Kish 1965). Here a = 1, b = 9: mean 0.1, rho = 1/11, M = 20: design effect 2.7, so
//! the Wilson interval is about 1/sqrt(2.7) of the width it needs.
//!
//! Two groups of 150 subjects with different Beta means are simulated per benchmark, so
//! the stratified resampling is exercised and every benchmark gives two intervals.
//!
//! FMR is studied the same way with a false-match propensity per subject: a non-mated
//! pair is correlated with every other pair that shares one of its subjects, which is
//! why the bootstrap weights a pair by both subjects' draws.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::bootstrap::{BootstrapConfig, bootstrap_verification};
use harness::model::analysis::Metric;
use harness::model::population::{GroupCodes, Grouping};
use harness::model::trials::VerificationTrials;
use harness::stats::{Bound, wilson};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};

/// Subjects per group, mated trials per subject.
const SUBJECTS: u32 = 150;
const TRIALS: usize = 20;
/// (a, b) of each group's Beta propensity.
const GROUPS: [(f64, f64); 2] = [(1.0, 9.0), (1.5, 8.5)];

struct Coverage {
    intervals: usize,
    bootstrap: usize,
    wilson: usize,
}

/// `benchmarks` simulated benchmarks with `replicates` bootstrap replicates each.
fn study(benchmarks: usize, replicates: usize, seed: u64) -> Coverage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let betas: Vec<Beta<f64>> = GROUPS.iter().map(|&(a, b)| Beta::new(a, b).expect("valid Beta")).collect();
    let truth: Vec<f64> = GROUPS.iter().map(|&(a, b)| a / (a + b)).collect();
    let codes = GroupCodes {
        grouping: Grouping::parse("group").expect("grouping"),
        labels: vec!["a".into(), "b".into()],
        of_subject: (0..SUBJECTS * 2).map(|s| s / SUBJECTS).collect(),
    };
    let mut out = Coverage { intervals: 0, bootstrap: 0, wilson: 0 };
    for rep in 0..benchmarks {
        let mut trials = VerificationTrials::default();
        for s in 0..SUBJECTS * 2 {
            let p = betas[(s / SUBJECTS) as usize].sample(&mut rng);
            for _ in 0..TRIALS {
                // A failure scores 0, a success 1; at threshold 0.5 FNMR counts failures.
                trials.push(s, s, Some(if rng.random_bool(p) { 0.0 } else { 1.0 }));
            }
        }
        let config = BootstrapConfig { replicates, ..BootstrapConfig::new(seed ^ rep as u64) };
        let b = bootstrap_verification(&trials, &codes, &[0.5], &config).expect("bootstrap");
        for r in b.rates.iter().filter(|r| r.metric == Metric::Fnmr) {
            let t = truth[r.group];
            let (low, high) = (r.interval.low.expect("defined"), r.interval.high.expect("defined"));
            let w = wilson(r.rate.numerator, r.rate.denominator, 0.95, Bound::TwoSided).expect("wilson");
            out.intervals += 1;
            out.bootstrap += usize::from(low <= t && t <= high);
            out.wilson += usize::from(w.low <= t && t <= w.high);
        }
    }
    out
}

fn report(c: &Coverage) -> (f64, f64) {
    let b = c.bootstrap as f64 / c.intervals as f64;
    let w = c.wilson as f64 / c.intervals as f64;
    println!("{} intervals: subject bootstrap covers {:.1}%, Wilson {:.1}%", c.intervals, 100.0 * b, 100.0 * w);
    (b, w)
}

/// 1,000 benchmarks (2,000 intervals), 400 replicates each; about 4 s in a debug build.
/// Measured with this seed: bootstrap 94.6%, Wilson 76.3%. The size is chosen so that the
/// figure is not luck: the Monte Carlo standard error is 0.5 points, and over 20 other
/// seeds (7919 * 1..=20) the bootstrap covered 93.5-95.2% (mean 94.4%), Wilson 74.5-78.5%.
#[test]
fn subject_bootstrap_covers_and_wilson_falls_short() {
    let (b, w) = report(&study(1000, 400, 2024));
    assert!((0.93..=0.97).contains(&b), "bootstrap coverage {b}");
    assert!(w < 0.85, "Wilson coverage {w}");
}

/// The same study at a size where Monte Carlo error is small (about 0.3 points): run with
/// `cargo test --release -p harness --test bootstrap_coverage -- --ignored --nocapture`.
/// Measured: 8,000 intervals, bootstrap 94.3%, Wilson 76.4%. The percentile interval runs
/// slightly short of 95% with 150 subjects per group and a skewed propensity, as
/// Efron & Tibshirani (chapter 14) lead one to expect; it is well inside 93-97%.
#[test]
#[ignore]
fn coverage_with_many_benchmarks() {
    let (b, w) = report(&study(4000, 1000, 7));
    assert!((0.93..=0.97).contains(&b), "bootstrap coverage {b}");
    assert!(w < 0.85, "Wilson coverage {w}");
}

/// FMR: `subjects` subjects of one group, every unordered pair compared `PAIR_TRIALS`
/// times; subject s has false-match propensity q_s ~ Beta(1, 19), a trial of pair (i, j)
/// is a false match with probability (q_i + q_j) / 2, so the true FMR is 0.05 and the
/// trials of all pairs sharing a subject are correlated.
fn study_fmr(benchmarks: usize, subjects: u32, pair_trials: usize, replicates: usize, seed: u64) -> Coverage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let beta = Beta::new(1.0, 19.0).expect("valid Beta");
    let truth = 0.05;
    let codes = GroupCodes {
        grouping: Grouping::parse("group").expect("grouping"),
        labels: vec!["a".into()],
        of_subject: vec![0; subjects as usize],
    };
    let mut out = Coverage { intervals: 0, bootstrap: 0, wilson: 0 };
    for rep in 0..benchmarks {
        let q: Vec<f64> = (0..subjects).map(|_| beta.sample(&mut rng)).collect();
        let mut trials = VerificationTrials::default();
        for i in 0..subjects {
            for j in i + 1..subjects {
                let p = (q[i as usize] + q[j as usize]) / 2.0;
                for _ in 0..pair_trials {
                    trials.push(i, j, Some(if rng.random_bool(p) { 1.0 } else { 0.0 }));
                }
            }
        }
        let config = BootstrapConfig { replicates, ..BootstrapConfig::new(seed ^ rep as u64) };
        let b = bootstrap_verification(&trials, &codes, &[0.5], &config).expect("bootstrap");
        for r in b.rates.iter().filter(|r| r.metric == Metric::Fmr) {
            let (low, high) = (r.interval.low.expect("defined"), r.interval.high.expect("defined"));
            let w = wilson(r.rate.numerator, r.rate.denominator, 0.95, Bound::TwoSided).expect("wilson");
            out.intervals += 1;
            out.bootstrap += usize::from(low <= truth && truth <= high);
            out.wilson += usize::from(w.low <= truth && truth <= w.high);
        }
    }
    out
}

/// FMR, 40 subjects, every pair compared 10 times: 1,200 benchmarks, 400 replicates each;
/// about 2 s in a debug build. Measured with this seed: bootstrap 94.8%, Wilson 45.3%
/// (the binomial interval believes it has 7,800 independent trials). Over 12 other seeds
/// (7919 * 1..=12) the bootstrap covered 93.7-95.1%, Wilson 44.0-46.7%.
#[test]
fn subject_bootstrap_covers_fmr_through_both_subjects() {
    let (b, w) = report(&study_fmr(1200, 40, 10, 400, 2025));
    assert!((0.93..=0.97).contains(&b), "bootstrap coverage {b}");
    assert!(w < 0.85, "Wilson coverage {w}");
}

/// FMR at larger sizes (release build, `--ignored`). Measured, 1,000 benchmarks each:
/// 40 subjects x 2 trials per pair 97.0% (Wilson 73.8%); 60 x 10: 94.5% (38.6%);
/// 60 x 25: 94.2% (24.6%); 40 x 10 over 4,000 benchmarks: 94.8% (43.5%).
/// With very few trials per pair the interval is conservative: weighting a pair by
/// w_i * w_j also inflates the pair's own sampling noise (Var(w_i w_j) = 3 for Poisson(1)
/// counts), the known conservatism of resampling both ways of a crossed design (Owen,
/// "The pigeonhole bootstrap", Ann. Appl. Stat. 2007). It matters only when the noise of
/// single pairs rivals the between-subject variation.
#[test]
#[ignore]
fn fmr_coverage_with_many_benchmarks() {
    for (subjects, pair_trials) in [(40, 2), (60, 10), (60, 25)] {
        println!("FMR, {subjects} subjects, {pair_trials} trials per pair:");
        let (b, _) = report(&study_fmr(1000, subjects, pair_trials, 1000, 11));
        assert!((0.93..=0.975).contains(&b), "bootstrap coverage {b}");
    }
}
