//! Criterion benchmark of the exhaustive 1:N search kernel (`harness::run::search`: sgemm and
//! a fused top-L selection): 512 queries against a gallery of 10,000 subjects, 128-d
//! unit embeddings, top 10, the work `kernels search` times at 4,000 queries for
//! `compare_numpy.py search`.

mod common;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use harness::run::search::search;
use std::hint::black_box;
use verity_benches::{one_template_per_subject, seeded, unit_embeddings};

const QUERIES: usize = 512;
const GALLERY: usize = 10_000;
const DIM: usize = 128;
const L: usize = 10;

fn exhaustive_search(c: &mut Criterion) {
    let mut rng = seeded(1);
    let gallery = one_template_per_subject(unit_embeddings(GALLERY, DIM, &mut rng), DIM);
    let queries = unit_embeddings(QUERIES, DIM, &mut rng);
    let mut group = c.benchmark_group("search");
    // One iteration takes tens of milliseconds: the same number in every sample.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(QUERIES as u64));
    group.bench_function("512_queries_10000_gallery_128d_top10", |b| {
        b.iter(|| search(black_box(&gallery), black_box(&queries), &[GALLERY], L))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = exhaustive_search
}
criterion_main!(benches);
