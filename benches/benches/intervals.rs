//! Criterion benchmark of the binomial intervals (`harness::stats`): two-sided 95% Wilson
//! and Clopper-Pearson intervals for eight counts, from 0 errors in 1,000 trials to
//! 250,000 in 10^7, as a report computes them for every rate it shows.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use harness::stats::{Bound, clopper_pearson, wilson};
use std::hint::black_box;

/// (errors, trials): zero, few and many errors, small to large denominators.
const COUNTS: [(u64, u64); 8] = [
    (0, 1_000),
    (3, 1_000),
    (50, 10_000),
    (0, 100_000),
    (1_200, 100_000),
    (7, 1_000_000),
    (40_000, 1_000_000),
    (250_000, 10_000_000),
];

fn intervals(c: &mut Criterion) {
    let mut group = c.benchmark_group("intervals");
    group.throughput(Throughput::Elements(COUNTS.len() as u64));
    group.bench_function("wilson_8_counts", |b| {
        b.iter(|| {
            black_box(COUNTS)
                .iter()
                .map(|&(k, n)| wilson(k, n, 0.95, Bound::TwoSided).expect("valid counts"))
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("clopper_pearson_8_counts", |b| {
        b.iter(|| {
            black_box(COUNTS)
                .iter()
                .map(|&(k, n)| clopper_pearson(k, n, 0.95, Bound::TwoSided).expect("valid counts"))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = intervals
}
criterion_main!(benches);
