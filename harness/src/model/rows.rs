//! 1:1 trials as chunks of typed columns, read as many times as an analysis needs
//! (docs/metrics.md, "Counting"): held in memory (a run's trials) or read back from a
//! file in chunks (`verity analyse` of files larger than memory), with one code path
//! for both, so that the two give the same bytes.

use crate::model::trials::VerificationTrials;
use std::borrow::Cow;

/// Rows per chunk of in-memory trials.
pub const CHUNK_ROWS: usize = 1 << 16;

/// A run of consecutive trials: subject indices and scores (`-inf`: a failed trial).
#[derive(Debug, Clone, PartialEq)]
pub struct TrialChunk<'a> {
    pub probe: Cow<'a, [u32]>,
    pub reference: Cow<'a, [u32]>,
    pub score: Cow<'a, [f64]>,
}

impl TrialChunk<'_> {
    pub fn len(&self) -> usize {
        self.score.len()
    }

    pub fn is_empty(&self) -> bool {
        self.score.is_empty()
    }
}

/// Why a chunk could not be read back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct RowsError(pub String);

/// 1:1 trials in chunks; every chunk can be read any number of times, from any thread.
pub trait VerificationRows: Sync {
    /// Number of trials.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn chunks(&self) -> usize;
    fn chunk(&self, i: usize) -> Result<TrialChunk<'_>, RowsError>;
}

impl VerificationRows for VerificationTrials {
    fn len(&self) -> u64 {
        self.score.len() as u64
    }

    fn chunks(&self) -> usize {
        self.score.len().div_ceil(CHUNK_ROWS)
    }

    fn chunk(&self, i: usize) -> Result<TrialChunk<'_>, RowsError> {
        let start = i * CHUNK_ROWS;
        let end = (start + CHUNK_ROWS).min(self.score.len());
        let (Some(probe), Some(reference), Some(score)) =
            (self.probe_subject.get(start..end), self.reference_subject.get(start..end), self.score.get(start..end))
        else {
            return Err(RowsError(format!("trial columns differ in length (chunk {i})")));
        };
        Ok(TrialChunk { probe: Cow::Borrowed(probe), reference: Cow::Borrowed(reference), score: Cow::Borrowed(score) })
    }
}

/// One pass over every chunk: each thread folds a contiguous share of the chunks into
/// its own accumulator (from `init`), and the accumulators are merged in order. Memory
/// is one accumulator per thread, whatever the number of chunks.
pub fn fold_chunks<A: Send>(
    rows: &dyn VerificationRows,
    init: impl Fn() -> A + Sync,
    visit: impl Fn(&mut A, &TrialChunk<'_>) + Sync,
    merge: impl Fn(&mut A, A),
) -> Result<A, RowsError> {
    fold_shares(
        rows.chunks(),
        || Ok(init()),
        |acc: &mut Result<A, RowsError>, range| {
            for i in range {
                let Ok(a) = acc else { return };
                match rows.chunk(i) {
                    Ok(chunk) => visit(a, &chunk),
                    Err(e) => *acc = Err(e),
                }
            }
        },
        |acc, other| match (acc.as_mut(), other) {
            (Ok(a), Ok(b)) => merge(a, b),
            (Ok(_), Err(e)) => *acc = Err(e),
            (Err(_), _) => {}
        },
    )
}

/// Split `0..n` into one contiguous share per thread, fold each share into its own
/// accumulator, and merge the accumulators in order (deterministic for any thread
/// count when `merge` is order-free, as counts are).
pub fn fold_shares<A: Send>(
    n: usize,
    init: impl Fn() -> A + Sync,
    visit: impl Fn(&mut A, std::ops::Range<usize>) + Sync,
    merge: impl Fn(&mut A, A),
) -> A {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads().clamp(1, n.max(1));
    let shares: Vec<A> = (0..threads)
        .into_par_iter()
        .map(|t| {
            let mut acc = init();
            visit(&mut acc, (n * t / threads)..(n * (t + 1) / threads));
            acc
        })
        .collect();
    let mut shares = shares.into_iter();
    let mut acc = shares.next().unwrap_or_else(&init);
    for s in shares {
        merge(&mut acc, s);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_trial_once_in_any_thread_count() {
        let mut t = VerificationTrials::default();
        for i in 0..(3 * CHUNK_ROWS as u32 + 17) {
            t.push(i % 7, i % 5, Some(f64::from(i)));
        }
        assert_eq!(t.chunks(), 4);
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let (count, sum) = pool
                .install(|| {
                    fold_chunks(
                        &t,
                        || (0usize, 0f64),
                        |a, c| {
                            a.0 += c.len();
                            a.1 += c.score.iter().sum::<f64>();
                        },
                        |a, b| {
                            a.0 += b.0;
                            a.1 += b.1;
                        },
                    )
                })
                .unwrap();
            assert_eq!(count, t.score.len());
            assert_eq!(sum, t.score.iter().sum::<f64>());
        }
        let empty = VerificationTrials::default();
        assert_eq!(fold_chunks(&empty, || 0, |a, c| *a += c.len(), |a, b| *a += b).unwrap(), 0);
    }
}
