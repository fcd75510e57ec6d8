//! Criterion benchmark of the equal error rate (`harness::metrics::eer`) of one group:
//! 10^5 mated and 10^6 non-mated scores, sorted as `GroupedScores` holds them.

mod common;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use harness::metrics::eer::equal_error_rate;
use std::hint::black_box;
use verity_benches::{seeded, sorted_verification_scores};

const MATED: usize = 100_000;
const NON_MATED: usize = 1_000_000;

fn eer(c: &mut Criterion) {
    let (mated, non_mated) = sorted_verification_scores(MATED, NON_MATED, &mut seeded(1));
    let mut group = c.benchmark_group("eer");
    // One iteration takes tens of milliseconds: the same number in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements((MATED + NON_MATED) as u64));
    group.bench_function("1e5_mated_1e6_non_mated", |b| {
        b.iter(|| equal_error_rate(black_box(&mated), black_box(&non_mated)).expect("both sides have trials"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = eer
}
criterion_main!(benches);
