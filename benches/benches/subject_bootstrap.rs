//! Criterion benchmark of the subject bootstrap (`harness::bootstrap`): 200 replicates
//! of per-group FMR and FNMR at 5 thresholds over 10^6 correlated 1:1 trials of 20,000
//! subjects in 8 groups (5 samples a subject), the work the `bootstrap` program times at
//! 10^7 trials and 1,000 replicates against computing the rates once.

mod common;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use harness::bootstrap::{BootstrapConfig, bootstrap_verification};
use std::hint::black_box;
use verity_benches::{bootstrap_thresholds, correlated_trials, group_codes, seeded};

const TRIALS: usize = 1_000_000;
const SUBJECTS: u32 = 20_000;
const GROUPS: u32 = 8;
const THRESHOLDS: usize = 5;
const SAMPLES: usize = 5;
const REPLICATES: usize = 200;

fn subject_bootstrap(c: &mut Criterion) {
    let trials = correlated_trials(TRIALS, SUBJECTS, GROUPS, SAMPLES, &mut seeded(1));
    let codes = group_codes(SUBJECTS, GROUPS);
    let ts = bootstrap_thresholds(THRESHOLDS);
    let config = BootstrapConfig { replicates: REPLICATES, ..BootstrapConfig::new(1) };
    let mut group = c.benchmark_group("bootstrap");
    // One iteration takes tens of milliseconds: the same number in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("1e6_trials_20000_subjects_8_groups_200_replicates", |b| {
        b.iter(|| bootstrap_verification(black_box(&trials), &codes, &ts, &config).expect("bootstrap"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = subject_bootstrap
}
criterion_main!(benches);
