//! Timing for the throughput examples: the best of three runs, in seconds.

use std::time::Instant;

pub fn best_of_three(f: &dyn Fn()) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
