//! Seeded synthetic data for verity's speed benchmarks, shared by the timing programs
//! (`kernels`, `bootstrap`, which `compare_numpy.py` runs) and the criterion benchmarks
//! in `benches/benches/`, so that both time the kernels on data made the same way.
//!
//! Generators only: they take sizes and a seeded generator and return the slices and
//! structs the `harness` kernels take. This library must never depend on criterion (a
//! dev-dependency) and never reads or writes files.

use harness::model::population::{GroupCodes, Grouping};
use harness::model::trials::VerificationTrials;
use harness::run::search::{EmbeddingGallery, normalise};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The generator every benchmark draws from: ChaCha8 with an explicit seed.
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn normal(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    rng.sample::<f64, _>(StandardNormal) * sd
}

/// `n` embeddings of `dim` values, row after row, each drawn from a standard normal and
/// scaled to unit length (random directions, as a search kernel sees them).
pub fn unit_embeddings(n: usize, dim: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..n * dim).map(|_| rng.sample::<f32, _>(StandardNormal)).collect();
    v.chunks_mut(dim).for_each(normalise);
    v
}

/// A gallery with one template per subject, subjects in row order.
pub fn one_template_per_subject(rows: Vec<f32>, dim: usize) -> EmbeddingGallery {
    let subjects = rows.len() / dim;
    EmbeddingGallery { dim, rows, subject_position: (0..subjects as u32).collect(), subjects }
}

/// `trials` scores drawn from N(0, 0.1), then a uniform group code in `0..groups` for
/// each: the input of the per-group counting kernel.
pub fn grouped_scores(trials: usize, groups: u32, rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<u32>) {
    let scores: Vec<f32> = (0..trials).map(|_| rng.sample::<f32, _>(StandardNormal) * 0.1).collect();
    let codes: Vec<u32> = (0..trials).map(|_| rng.random_range(0..groups)).collect();
    (scores, codes)
}

/// The thresholds the counting kernel is asked about: 0.1, 0.12, ... (`compare_numpy.py`
/// uses the same rule).
pub fn counting_thresholds(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.1 + 0.02 * i as f64).collect()
}

/// 1:1 trials with subject-level correlation: each subject has its own mated-score
/// offset, each pair of subjects its own non-mated offset.
///
/// Every subject has `samples` samples (at least 2): its mated trials are all pairs of
/// its samples, and the non-mated trials compare all samples of two subjects (80% of
/// pairs within a group, subjects being in group `s % groups` as [`group_codes`] puts
/// them), as a full cross-comparison protocol does. About 0.2% of mated trials fail.
pub fn correlated_trials(
    trials: usize,
    subjects: u32,
    groups: u32,
    samples: usize,
    rng: &mut ChaCha8Rng,
) -> VerificationTrials {
    let mut t = VerificationTrials {
        probe_subject: Vec::with_capacity(trials),
        reference_subject: Vec::with_capacity(trials),
        score: Vec::with_capacity(trials),
        failed: Vec::with_capacity(trials),
    };
    for s in 0..subjects {
        let offset = normal(rng, 0.05);
        for _ in 0..samples * (samples - 1) / 2 {
            if t.len() == trials {
                return t;
            }
            let score = (rng.random::<f64>() > 0.002).then(|| 0.7 + offset + normal(rng, 0.1));
            t.push(s, s, score);
        }
    }
    while t.len() < trials {
        let p = rng.random_range(0..subjects);
        let r = if rng.random_bool(0.8) {
            // Same group: subjects are assigned to groups by `s % groups`.
            (rng.random_range(0..subjects / groups) * groups + p % groups).min(subjects - 1)
        } else {
            rng.random_range(0..subjects)
        };
        if r == p {
            continue;
        }
        let offset = normal(rng, 0.03);
        for _ in 0..samples * samples {
            if t.len() == trials {
                break;
            }
            t.push(p, r, Some(0.3 + offset + normal(rng, 0.1)));
        }
    }
    t
}

/// Subject `s` in group `s % groups`, groups labelled `g0`, `g1`, ...
pub fn group_codes(subjects: u32, groups: u32) -> GroupCodes {
    GroupCodes {
        grouping: Grouping::parse("group").expect("`group` is a valid grouping"),
        labels: (0..groups).map(|g| format!("g{g}")).collect(),
        of_subject: (0..subjects).map(|s| s % groups).collect(),
    }
}

/// The thresholds the bootstrap benchmarks use: 0.45, 0.5, ...
pub fn bootstrap_thresholds(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.45 + 0.05 * i as f64).collect()
}

/// Mated scores from N(0.7, 0.1) and non-mated scores from N(0.3, 0.1), each sorted
/// ascending, as the equal-error-rate kernel takes one group's scores.
pub fn sorted_verification_scores(mated: usize, non_mated: usize, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
    let mut draw = |n: usize, mean: f64| {
        let mut v: Vec<f64> = (0..n).map(|_| mean + normal(rng, 0.1)).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let m = draw(mated, 0.7);
    let nm = draw(non_mated, 0.3);
    (m, nm)
}

/// Positional argument `i` of a timing program as a number, or `default`.
pub fn arg(args: &[String], i: usize, default: usize) -> usize {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// The shortest wall time of `runs` calls of `f` (seconds), with the last result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let start = std::time::Instant::now();
        let r = f();
        best = best.min(start.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlated_trials_have_the_size_asked_and_mated_pairs_first() {
        let t = correlated_trials(10_000, 500, 8, 5, &mut seeded(1));
        assert_eq!(t.len(), 10_000);
        let mated = (0..t.len()).filter(|&i| t.probe_subject[i] == t.reference_subject[i]).count();
        // 500 subjects with 5 samples: 10 mated pairs each.
        assert_eq!(mated, 5_000);
        assert!((0..mated).all(|i| t.probe_subject[i] == t.reference_subject[i]));
    }

    #[test]
    fn generators_depend_on_the_seed_only() {
        assert_eq!(grouped_scores(1000, 8, &mut seeded(7)), grouped_scores(1000, 8, &mut seeded(7)));
        assert_ne!(grouped_scores(1000, 8, &mut seeded(7)).0, grouped_scores(1000, 8, &mut seeded(8)).0);
        let e = unit_embeddings(10, 16, &mut seeded(3));
        for row in e.chunks(16) {
            let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5);
        }
        let (m, nm) = sorted_verification_scores(100, 1000, &mut seeded(2));
        assert!(m.is_sorted() && nm.is_sorted());
    }
}
