//! Raw trial outputs as Parquet (docs/runner.md: scores, candidate lists and
//! failures are stored), so anyone can recompute any metric, or one verity does not
//! offer, from the same trials. Every row carries the sample and subject ids it needs
//! to be joined to the benchmark's subjects table for any grouping.
//!
//! Large outputs are written in row groups of [`ROWS_PER_GROUP`] rows, so memory stays
//! bounded whatever the number of trials. A failed trial has a null score, never the
//! engine's internal `-inf`.

use crate::output::frame::{write_parquet_frames, write_parquet_streamed};
use crate::{ReportError, finite};
use harness::model::trials::{SearchTrials, VerificationTrials};
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

// ---------------------------------------------------------------------------------
// Reading raw outputs back into trials (for `verity compare`, which pairs two vendors'
// trials search by search). The readers accept exactly what the writers above write;
// anything else is an error naming the file and the row.

/// Subject id -> subject index (the `u32`s of the trials), for reading raw outputs back.
#[derive(Debug, Clone, Default)]
pub struct SubjectIndex {
    index: std::collections::HashMap<String, u32>,
    ids: Vec<String>,
    growing: bool,
}

impl SubjectIndex {
    /// The benchmark's subjects in population order (index `i` is `ids[i]`); an id
    /// not among them is an error when read.
    pub fn fixed<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        let index = ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect();
        SubjectIndex { index, ids, growing: false }
    }

    /// Starts empty; every id not seen before gets the next index. For reading raw
    /// outputs without the benchmark (no group labels, so overall figures only); share
    /// one index across every file that is to be paired.
    pub fn growing() -> Self {
        SubjectIndex { growing: true, ..Default::default() }
    }

    /// Subject ids by index.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    fn resolve(&mut self, id: &str) -> Option<u32> {
        if let Some(&i) = self.index.get(id) {
            return Some(i);
        }
        if !self.growing {
            return None;
        }
        let i = self.ids.len() as u32;
        self.index.insert(id.to_string(), i);
        self.ids.push(id.to_string());
        Some(i)
    }
}

/// Searches read back from `<protocol>.candidates.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSearches {
    /// One per gallery size, in the file's order.
    pub searches: Vec<SearchTrials>,
    /// Search sample ids, indexed by `SearchTrials::search`, numbered in order of first
    /// appearance in the file (so two vendors' files of one trial list number their
    /// searches alike).
    pub search_ids: Vec<String>,
}

fn malformed(path: &Path, message: String) -> ReportError {
    ReportError::Parquet { path: path.to_path_buf(), source: PolarsError::ComputeError(message.into()) }
}

fn read_frame(path: &Path) -> Result<DataFrame, ReportError> {
    let file = std::fs::File::open(path).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })?;
    ParquetReader::new(file).finish().map_err(polars_error(path))
}

/// A column of the expected type, as `Option` values row by row.
fn column<'a, T>(
    frame: &'a DataFrame,
    path: &Path,
    name: &str,
    typed: impl Fn(&'a polars::prelude::Column) -> PolarsResult<T>,
) -> Result<T, ReportError> {
    let c = frame.column(name).map_err(polars_error(path))?;
    typed(c).map_err(polars_error(path))
}

fn required<T>(path: &Path, value: Option<T>, row: usize, name: &str) -> Result<T, ReportError> {
    value.ok_or_else(|| malformed(path, format!("row {}: `{name}` is null", row + 1)))
}

fn subject_of(subjects: &mut SubjectIndex, path: &Path, id: &str, row: usize) -> Result<u32, ReportError> {
    subjects.resolve(id).ok_or_else(|| {
        malformed(
            path,
            format!("row {}: subject `{id}` is not a subject of the benchmark ({} subjects)", row + 1, subjects.len()),
        )
    })
}

/// Read `<protocol>.scores.parquet` ([`write_verification_scores`]) back into trials:
/// a failed trial (null score) gets the engine's `-inf`. Checks that `mated` agrees
/// with the subjects and that exactly the failed trials have no score.
pub fn read_verification_scores(path: &Path, subjects: &mut SubjectIndex) -> Result<VerificationTrials, ReportError> {
    let frame = read_frame(path)?;
    let probe = column(&frame, path, "probe_subject", |c| c.str())?;
    let reference = column(&frame, path, "reference_subject", |c| c.str())?;
    let mated = column(&frame, path, "mated", |c| c.bool())?;
    let score = column(&frame, path, "score", |c| c.f64())?;
    let failed = column(&frame, path, "failed", |c| c.bool())?;
    let mut trials = VerificationTrials::default();
    let rows = probe.iter().zip(reference.iter()).zip(mated.iter()).zip(score.iter()).zip(failed.iter());
    for (row, ((((p, r), m), s), f)) in rows.enumerate() {
        let p = subject_of(subjects, path, required(path, p, row, "probe_subject")?, row)?;
        let r = subject_of(subjects, path, required(path, r, row, "reference_subject")?, row)?;
        if required(path, m, row, "mated")? != (p == r) {
            return Err(malformed(path, format!("row {}: `mated` disagrees with the subjects", row + 1)));
        }
        let score = match (required(path, f, row, "failed")?, s) {
            (true, None) => None,
            (false, Some(s)) if s.is_finite() => Some(s),
            (true, Some(_)) => return Err(malformed(path, format!("row {}: a failed trial has a score", row + 1))),
            (false, s) => return Err(malformed(path, format!("row {}: score {s:?} is not a finite number", row + 1))),
        };
        trials.push(p, r, score);
    }
    Ok(trials)
}

/// One search being assembled from its rows.
struct PendingSearch {
    gallery_size: u64,
    search: u32,
    subject: u32,
    mated: bool,
    failed: bool,
    list: Vec<(u32, f64)>,
}

/// Read `<protocol>.candidates.parquet` ([`write_candidates`]) back into one
/// [`SearchTrials`] per gallery size. `candidates` is the protocol's candidate list
/// length L (from the benchmark, or the largest rank of the run's FNIR rows); `None`
/// takes the longest list in the file. Rows must come as written: gallery sizes in
/// contiguous blocks, each search's candidates by rank 1, 2, ...
pub fn read_candidates(
    path: &Path,
    subjects: &mut SubjectIndex,
    candidates: Option<usize>,
) -> Result<ReadSearches, ReportError> {
    let frame = read_frame(path)?;
    let gallery = column(&frame, path, "gallery_size", |c| c.u64())?;
    let search = column(&frame, path, "search", |c| c.str())?;
    let searcher = column(&frame, path, "search_subject", |c| c.str())?;
    let mated = column(&frame, path, "mated", |c| c.bool())?;
    let failed = column(&frame, path, "failed", |c| c.bool())?;
    let rank = column(&frame, path, "rank", |c| c.u32())?;
    let candidate = column(&frame, path, "candidate_subject", |c| c.str())?;
    let score = column(&frame, path, "score", |c| c.f64())?;

    let mut search_index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut search_ids: Vec<String> = Vec::new();
    let mut out: Vec<SearchTrials> = Vec::new();
    let mut pending: Option<PendingSearch> = None;
    let mut longest = 0usize;
    let finish = |out: &mut Vec<SearchTrials>, p: PendingSearch| -> Result<(), ReportError> {
        if out.last().is_none_or(|t| t.gallery_size as u64 != p.gallery_size) {
            if out.iter().any(|t| t.gallery_size as u64 == p.gallery_size) {
                return Err(malformed(path, format!("gallery size {} appears in two separate blocks", p.gallery_size)));
            }
            out.push(SearchTrials::new(p.gallery_size as usize, 0));
        }
        let t = out.last_mut().expect("a gallery was just pushed");
        t.push(p.search, p.subject, p.mated, if p.failed { None } else { Some(&p.list) });
        Ok(())
    };
    let rows = gallery
        .iter()
        .zip(search.iter())
        .zip(searcher.iter())
        .zip(mated.iter())
        .zip(failed.iter())
        .zip(rank.iter())
        .zip(candidate.iter())
        .zip(score.iter());
    for (row, (((((((g, s), who), m), f), r), c), sc)) in rows.enumerate() {
        let g = required(path, g, row, "gallery_size")?;
        let s = required(path, s, row, "search")?;
        let (m, f) = (required(path, m, row, "mated")?, required(path, f, row, "failed")?);
        let who = subject_of(subjects, path, required(path, who, row, "search_subject")?, row)?;
        let index = match search_index.get(s) {
            Some(&i) => i,
            None => {
                let i = search_ids.len() as u32;
                search_index.insert(s.to_string(), i);
                search_ids.push(s.to_string());
                i
            }
        };
        let continues =
            matches!(&pending, Some(p) if p.gallery_size == g && p.search == index) && r.is_some_and(|r| r > 1);
        if !continues {
            if let Some(p) = pending.take() {
                finish(&mut out, p)?;
            }
            pending = Some(PendingSearch {
                gallery_size: g,
                search: index,
                subject: who,
                mated: m,
                failed: f,
                list: Vec::new(),
            });
        }
        let p = pending.as_mut().expect("a search is pending");
        if (p.subject, p.mated, p.failed) != (who, m, f) {
            return Err(malformed(
                path,
                format!("row {}: search `{s}` changes its subject or flags between rows", row + 1),
            ));
        }
        match (r, c, sc) {
            (None, None, None) if !continues => {}
            (Some(r), Some(c), Some(sc)) if !f && r as usize == p.list.len() + 1 && sc.is_finite() => {
                let c = subject_of(subjects, path, c, row)?;
                p.list.push((c, sc));
                longest = longest.max(p.list.len());
            }
            _ => {
                return Err(malformed(
                    path,
                    format!(
                        "row {}: search `{s}` rank {r:?}: expected the next rank with a candidate and a finite score, or one row of nulls for a failed or empty search",
                        row + 1
                    ),
                ));
            }
        }
    }
    if let Some(p) = pending.take() {
        finish(&mut out, p)?;
    }
    let l = candidates.unwrap_or(longest);
    for t in &mut out {
        t.candidates = l;
        if let Some(i) = (0..t.len()).find(|&i| t.candidates_of(i).0.len() > l) {
            return Err(malformed(
                path,
                format!(
                    "gallery size {}: search `{}` returns more than {l} candidates",
                    t.gallery_size, search_ids[t.search[i] as usize]
                ),
            ));
        }
    }
    Ok(ReadSearches { searches: out, search_ids })
}
