//! Criterion benchmark of the per-group counting kernel (`harness::metrics::counting`):
//! split 10^6 scores by group, sort each group (`GroupedScores::new`) and count the
//! scores >= T of every group at 5 thresholds, the work `kernels counting` times at 10^7
//! scores for `compare_numpy.py counting`.

mod common;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use harness::metrics::counting::GroupedScores;
use std::hint::black_box;
use verity_benches::{counting_thresholds, grouped_scores, seeded};

const TRIALS: usize = 1_000_000;
const GROUPS: u32 = 8;
const THRESHOLDS: usize = 5;

fn counting(c: &mut Criterion) {
    let (scores, codes) = grouped_scores(TRIALS, GROUPS, &mut seeded(1));
    let scores: Vec<f64> = scores.iter().map(|&x| x as f64).collect();
    let ts = counting_thresholds(THRESHOLDS);
    let mut group = c.benchmark_group("counting");
    // One iteration takes tens of milliseconds: the same number in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(TRIALS as u64));
    group.bench_function("1e6_scores_8_groups_5_thresholds", |b| {
        b.iter(|| {
            let g = GroupedScores::new(black_box(&scores), black_box(&codes), GROUPS as usize);
            (0..GROUPS as usize)
                .flat_map(|gi| ts.iter().map(move |&t| (gi, t)))
                .map(|(gi, t)| g.at_least(gi, t))
                .collect::<Vec<u64>>()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = counting
}
criterion_main!(benches);
