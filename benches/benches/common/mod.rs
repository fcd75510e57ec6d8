//! What every criterion benchmark of the kernels shares.

/// The criterion settings of every kernel benchmark: few samples, short measurement (the
/// whole `cargo bench -p verity-benches` runs in well under a minute), and a change under
/// 5% treated as noise, as it is on shared, busy cores.
pub fn config() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(2))
        .measurement_time(std::time::Duration::from_secs(5))
        .noise_threshold(0.05)
        .without_plots()
}
