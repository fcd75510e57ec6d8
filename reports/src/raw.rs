//! Raw trial outputs as Parquet (DESIGN.md section 6: scores, candidate lists and
//! failures are stored), so anyone can recompute any metric, or one verity does not
//! offer, from the same trials. Every row carries the sample and subject ids it needs
//! to be joined to the benchmark's subjects table for any grouping.
//!
//! Large outputs are written in row groups of [`ROWS_PER_GROUP`] rows, so memory stays
//! bounded whatever the number of trials. A failed trial has a null score, never the
//! engine's internal `-inf`.

use crate::table::{write_parquet_frames, write_parquet_streamed};
use crate::{ReportError, finite};
use harness::trials::{SearchTrials, VerificationTrials};
use harness::vendor::{FailureCode, Role};
use polars::prelude::*;
use serde::Serialize;
use std::ops::Range;
use std::path::Path;

/// Rows per Parquet row group (and per frame built in memory).
pub const ROWS_PER_GROUP: usize = 1 << 18;

/// A template that could not be made, for `failures.parquet`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureRecord {
    /// The benchmark's sample id.
    pub sample: String,
    pub role: Role,
    pub code: FailureCode,
    /// The vendor's message, as given.
    pub message: String,
}

fn mismatch(what: String, expected: usize, found: usize) -> Result<(), ReportError> {
    if expected == found { Ok(()) } else { Err(ReportError::LengthMismatch { what, expected, found }) }
}

fn subject<'a>(subject_ids: &'a [String], index: u32, what: &str) -> Result<&'a str, ReportError> {
    subject_ids.get(index as usize).map(String::as_str).ok_or_else(|| ReportError::UnknownSubject {
        what: what.to_string(),
        index,
        subjects: subject_ids.len(),
    })
}

fn polars_error(path: &Path) -> impl Fn(PolarsError) -> ReportError + '_ {
    move |source| ReportError::Parquet { path: path.to_path_buf(), source }
}

/// Row ranges of at most [`ROWS_PER_GROUP`]; one empty range for no rows, so that even
/// an empty file gets its columns.
fn chunks(n: usize) -> Vec<Range<usize>> {
    if n == 0 {
        return std::iter::once(0..0).collect();
    }
    (0..n).step_by(ROWS_PER_GROUP).map(|start| start..(start + ROWS_PER_GROUP).min(n)).collect()
}

fn str_column<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(PlSmallStr::from_str(name), values).into_column()
}

/// `<protocol>.scores.parquet`: one row per 1:1 comparison, with columns `probe`,
/// `reference` (sample ids), `probe_subject`, `reference_subject`, `mated` (bool),
/// `score` (Float64, null when failed) and `failed` (bool).
pub fn write_verification_scores(
    path: &Path,
    trials: &VerificationTrials,
    probe_ids: &[String],
    reference_ids: &[String],
    subject_ids: &[String],
) -> Result<(), ReportError> {
    let n = trials.len();
    let name = path.display().to_string();
    mismatch(format!("{name}: probe subjects"), n, trials.probe_subject.len())?;
    mismatch(format!("{name}: reference subjects"), n, trials.reference_subject.len())?;
    mismatch(format!("{name}: failure flags"), n, trials.failed.len())?;
    mismatch(format!("{name}: probe sample ids"), n, probe_ids.len())?;
    mismatch(format!("{name}: reference sample ids"), n, reference_ids.len())?;

    let frame = |range: Range<usize>| -> Result<DataFrame, ReportError> {
        let mut probe_subject = Vec::with_capacity(range.len());
        let mut reference_subject = Vec::with_capacity(range.len());
        let mut score = Vec::with_capacity(range.len());
        for i in range.clone() {
            probe_subject.push(Some(subject(subject_ids, trials.probe_subject[i], &name)?));
            reference_subject.push(Some(subject(subject_ids, trials.reference_subject[i], &name)?));
            score.push(if trials.failed[i] {
                None
            } else {
                Some(finite::finite(format!("{name}: score of trial {i}"), trials.score[i])?)
            });
        }
        let r = range.clone();
        let mated = r.clone().map(|i| trials.probe_subject[i] == trials.reference_subject[i]);
        let columns = vec![
            str_column("probe", probe_ids[r.clone()].iter().map(|s| Some(s.as_str()))),
            str_column("reference", reference_ids[r.clone()].iter().map(|s| Some(s.as_str()))),
            str_column("probe_subject", probe_subject.into_iter()),
            str_column("reference_subject", reference_subject.into_iter()),
            BooleanChunked::from_iter_values("mated".into(), mated).into_column(),
            Float64Chunked::from_slice_options("score".into(), &score).into_column(),
            BooleanChunked::from_slice("failed".into(), &trials.failed[r.clone()]).into_column(),
        ];
        DataFrame::new(r.len(), columns).map_err(polars_error(path))
    };
    write_parquet_frames(path, chunks(n).into_iter().map(frame))
}

/// Candidate rows being gathered for one frame.
#[derive(Default)]
struct CandidateRows<'a> {
    gallery_size: Vec<u64>,
    search: Vec<&'a str>,
    search_subject: Vec<&'a str>,
    mated: Vec<bool>,
    failed: Vec<bool>,
    rank: Vec<Option<u32>>,
    candidate_subject: Vec<Option<&'a str>>,
    score: Vec<Option<f64>>,
}

impl<'a> CandidateRows<'a> {
    /// The rows of search `i` of `s`: one per candidate, or one with nulls when the
    /// search failed or returned nothing.
    fn push_search(
        &mut self,
        s: &SearchTrials,
        i: usize,
        search_ids: &'a [String],
        subject_ids: &'a [String],
        name: &str,
    ) -> Result<(), ReportError> {
        let search =
            search_ids.get(s.search[i] as usize).map(String::as_str).ok_or_else(|| ReportError::LengthMismatch {
                what: format!("{name}: gallery size {}: search index {} has no search id", s.gallery_size, s.search[i]),
                expected: s.search[i] as usize + 1,
                found: search_ids.len(),
            })?;
        let searcher = subject(subject_ids, s.subject[i], name)?;
        let (candidates, scores) = s.candidates_of(i);
        let mut row = |rank: Option<u32>, candidate: Option<&'a str>, score: Option<f64>| {
            self.gallery_size.push(s.gallery_size as u64);
            self.search.push(search);
            self.search_subject.push(searcher);
            self.mated.push(s.mated[i]);
            self.failed.push(s.failed[i]);
            self.rank.push(rank);
            self.candidate_subject.push(candidate);
            self.score.push(score);
        };
        if candidates.is_empty() {
            row(None, None, None);
        }
        for (r, (&candidate, &score)) in candidates.iter().zip(scores).enumerate() {
            let candidate = subject(subject_ids, candidate, name)?;
            let field = format!("{name}: gallery size {}, search {search}, rank {}", s.gallery_size, r + 1);
            let score = finite::finite(field, score)?;
            row(Some(r as u32 + 1), Some(candidate), Some(score));
        }
        Ok(())
    }

    fn frame(&self, path: &Path) -> Result<DataFrame, ReportError> {
        let columns = vec![
            UInt64Chunked::from_slice("gallery_size".into(), &self.gallery_size).into_column(),
            str_column("search", self.search.iter().map(|s| Some(*s))),
            str_column("search_subject", self.search_subject.iter().map(|s| Some(*s))),
            BooleanChunked::from_slice("mated".into(), &self.mated).into_column(),
            BooleanChunked::from_slice("failed".into(), &self.failed).into_column(),
            UInt32Chunked::from_slice_options("rank".into(), &self.rank).into_column(),
            str_column("candidate_subject", self.candidate_subject.iter().copied()),
            Float64Chunked::from_slice_options("score".into(), &self.score).into_column(),
        ];
        DataFrame::new(self.gallery_size.len(), columns).map_err(polars_error(path))
    }
}

fn check_search_trials(name: &str, s: &SearchTrials) -> Result<(), ReportError> {
    let what = |field: &str| format!("{name}: gallery size {}: {field}", s.gallery_size);
    let searches = s.subject.len();
    mismatch(what("search indices"), searches, s.search.len())?;
    mismatch(what("mated flags"), searches, s.mated.len())?;
    mismatch(what("failure flags"), searches, s.failed.len())?;
    mismatch(what("candidate list offsets"), searches + 1, s.offsets.len())?;
    mismatch(what("candidate scores"), s.candidate_subject.len(), s.candidate_score.len())?;
    let ordered = s.offsets.first() == Some(&0) && s.offsets.windows(2).all(|w| w[0] <= w[1]);
    let last = s.offsets.last().copied().unwrap_or(0);
    if !ordered || last != s.candidate_subject.len() {
        return Err(ReportError::LengthMismatch {
            what: what("candidates (offsets do not cover the candidate list)"),
            expected: s.candidate_subject.len(),
            found: last,
        });
    }
    Ok(())
}

/// `<protocol>.candidates.parquet`: one row per returned candidate, with columns
/// `gallery_size` (UInt64), `search` (sample id), `search_subject`, `mated`, `failed`,
/// `rank` (UInt32, 1 = best), `candidate_subject` and `score` (Float64). A failed search
/// or an empty candidate list gives one row with null rank, candidate and score, so
/// that no search is lost (it still counts in FNIR and FPIR denominators).
///
/// `searches` holds one `SearchTrials` per gallery size; `search_ids` is the protocol's
/// search list (one sample id per search), indexed by `SearchTrials::search`, so one
/// list serves every gallery size even when the searches of two sizes differ.
pub fn write_candidates(
    path: &Path,
    searches: &[SearchTrials],
    search_ids: &[String],
    subject_ids: &[String],
) -> Result<(), ReportError> {
    let name = path.display().to_string();
    for s in searches {
        check_search_trials(&name, s)?;
    }
    write_parquet_streamed(path, |sink| {
        let mut rows = CandidateRows::default();
        let mut written = false;
        for s in searches {
            for i in 0..s.len() {
                rows.push_search(s, i, search_ids, subject_ids, &name)?;
                if rows.gallery_size.len() >= ROWS_PER_GROUP {
                    sink.write(&rows.frame(path)?)?;
                    rows = CandidateRows::default();
                    written = true;
                }
            }
        }
        if !written || !rows.gallery_size.is_empty() {
            sink.write(&rows.frame(path)?)?;
        }
        Ok(())
    })
}

/// `failures.parquet`: one row per template that could not be made, with columns
/// `sample`, `role` (`enrol`, `verify`, `search`), `code` (the FRTE-style return code,
/// e.g. `face-detection-error`) and `message`.
pub fn write_failures(path: &Path, rows: &[FailureRecord]) -> Result<(), ReportError> {
    let columns = vec![
        str_column("sample", rows.iter().map(|r| Some(r.sample.as_str()))),
        str_column("role", rows.iter().map(|r| Some(r.role.name()))),
        str_column("code", rows.iter().map(|r| Some(r.code.name()))),
        str_column("message", rows.iter().map(|r| Some(r.message.as_str()))),
    ];
    let frame = DataFrame::new(rows.len(), columns).map_err(polars_error(path));
    write_parquet_frames(path, std::iter::once(frame))
}

#[cfg(test)]
#[path = "raw_tests.rs"]
mod tests;
