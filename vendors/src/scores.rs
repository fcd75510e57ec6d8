//! The `scores` adapter: a vendor that ran the benchmark's published trial list itself
//! hands in its scores (1:1) and candidate lists (1:N); `verity run` reads them in place
//! of running a vendor on media (docs/scores-adapter.md).
//!
//! ```toml
//! kind = "scores"
//! name = "acme-fr"
//! version = "4.2"
//! score_min = 0.0
//! score_max = 1.0
//! failures = "failures.csv"                 # optional: sample_id, role, code, message
//! [protocols]                               # one file per protocol of the benchmark
//! verification = "verification-scores.csv"  # probe_sample, reference_sample, score
//! identification = "identification.csv"     # gallery_size, search_sample, rank, candidate_sample, score
//! ```
//!
//! Rows are keyed by the sample ids of the published trial list; every planned trial
//! must be there exactly once and nothing else, or the files are refused with the
//! trials named. The result is the engine's [`VendorRun`], exactly as a run on media
//! would give it, so every analysis is the same.

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use harness::model::benchmark::{Benchmark, Protocol, SearchProtocol};
use harness::model::trials::{SearchTrials, TemplateOutcomes, VerificationTrials};
use harness::run::plan::{gallery_subjects, templates_of};
use harness::run::runner::{FailureEvent, ProtocolTrials, VendorRun};
use harness::vendor::{DeclaredThreshold, FailureCode, Role, TemplateFailure, TemplateFormat, VendorDescription};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// At most this many missing or unexpected trials are named in an error.
const NAMED: usize = 5;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoresConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub score_min: f64,
    pub score_max: f64,
    #[serde(default)]
    pub score_meaning: Option<String>,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
    /// Templates that could not be made: `sample_id, role, code, message`.
    pub failures: Option<String>,
    /// Protocol name -> its score or candidate file, relative to the config file.
    pub protocols: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScoresError {
    #[error(transparent)]
    Config(#[from] VendorError),
    /// Problems with the score files, one per line.
    #[error("{}", .0.join("\n"))]
    Trials(Vec<String>),
}

#[derive(Deserialize)]
struct KindOnly {
    kind: Option<String>,
}

/// Whether the vendor config at `path` is a `scores` config.
pub fn is_scores_config(path: &Path) -> Result<bool, VendorError> {
    let text = config::read(path)?;
    let kind = ConfigText::new(path, &text).parse::<KindOnly>()?.kind;
    Ok(kind.as_deref() == Some("scores"))
}

/// The error `load_vendor` gives a `scores` config: it is no vendor to run on media.
pub(crate) fn not_a_media_vendor(file: &ConfigText) -> VendorError {
    file.error_at_key(
        &["kind"],
        "a `scores` config holds precomputed scores, not a vendor to run on media; `verity run` reads it \
         (vendors::scores::load_run)",
    )
}

/// Read a `scores` config and its files against the benchmark's published trials.
pub fn load_run(path: &Path, bench: &Benchmark) -> Result<VendorRun, ScoresError> {
    let text = config::read(path)?;
    let file = ConfigText::new(path, &text);
    let config: ScoresConfig = file.parse()?;
    if config.kind != "scores" {
        return Err(file.error_at_key(&["kind"], format!("expected `scores`, found `{}`", config.kind)).into());
    }
    let range = (config.score_min, config.score_max);
    if !(range.0.is_finite() && range.1.is_finite() && range.0 < range.1) {
        return Err(file.error_at_key(&["score_max"], "score_min must be below score_max").into());
    }
    config::check_thresholds(&file, &config.thresholds, range)?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for name in config.protocols.keys() {
        if !bench.protocols.iter().any(|p| p.name() == name) {
            let known: Vec<&str> = bench.protocols.iter().map(|p| p.name()).collect();
            return Err(file
                .error_at_key(
                    &["protocols", name],
                    format!("the benchmark has no protocol `{name}` (its protocols: {})", known.join(", ")),
                )
                .into());
        }
    }
    let index: HashMap<&str, u32> = bench.samples.ids.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect();
    let mut problems = Vec::new();
    let mut digests = vec![config::fingerprint("scores", &text)];
    let mut read = |relative: &str, key: &[&str]| -> Result<Table, ScoresError> {
        let full = base.join(relative);
        let table = Table::read(&full, key == ["failures"]).map_err(|m| file.error_at_key(key, m))?;
        digests.push(format!("{relative} {}", table.digest));
        Ok(table)
    };

    let mut protocols = Vec::new();
    for protocol in &bench.protocols {
        let Some(relative) = config.protocols.get(protocol.name()) else {
            return Err(file
                .error_at_key(&["protocols"], format!("no file for the benchmark's protocol `{}`", protocol.name()))
                .into());
        };
        let table = read(relative, &["protocols", protocol.name()])?;
        protocols.push(match protocol {
            Protocol::Verification(p) => {
                ProtocolTrials::Verification(verification(bench, &p.probe, &p.reference, &index, &table, &mut problems))
            }
            Protocol::Identification(p) | Protocol::Watchlist(p) => {
                ProtocolTrials::Search(searches(bench, p, &index, &table, &mut problems))
            }
        });
    }

    let needed = templates_of(bench);
    let mut failed = vec![None; needed.len()];
    if let Some(relative) = &config.failures {
        let table = read(relative, &["failures"])?;
        template_failures(&needed, &index, &table, &mut failed, &mut problems);
    }
    if !problems.is_empty() {
        return Err(ScoresError::Trials(problems));
    }
    let mut outcomes = TemplateOutcomes::default();
    let mut failures = Vec::new();
    for (&(sample, role), failure) in needed.iter().zip(failed) {
        outcomes.subject.push(bench.samples.subject[sample as usize]);
        outcomes.role.push(role);
        outcomes.failed.push(failure.is_some());
        if let Some(failure) = failure {
            failures.push(FailureEvent { sample, role, failure });
        }
    }
    let timing = harness::model::results::Timing { templates: needed.len() as u64, ..Default::default() };
    let description = VendorDescription {
        name: config.name.clone(),
        version: config.version.clone(),
        score_min: config.score_min,
        score_max: config.score_max,
        score_meaning: config.score_meaning.clone().unwrap_or_else(|| "precomputed similarity".into()),
        thresholds: config
            .thresholds
            .iter()
            .map(|t| DeclaredThreshold { label: t.label.clone(), value: t.value })
            .collect(),
        template: TemplateFormat::Opaque,
    };
    let fingerprint = config::fingerprint("scores", &digests.join("\n"));
    let planned = needed.len();
    Ok(VendorRun {
        description,
        fingerprint,
        outcomes,
        failures,
        timing,
        protocols,
        template_seconds: vec![0.0; planned],
        template_bytes: vec![0; planned],
        cache: Default::default(),
        template_stage_seconds: 0.0,
        search_faults: Vec::new(),
    })
}

/// A score table read whole through the one table reader of verity
/// (`datasets::table`: CSV or Parquet, lines as an editor counts them): header, rows with
/// their line numbers, and the file's SHA-256.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, Record)>,
    digest: String,
}

/// One row's cells as text (an empty cell is "").
struct Record(Vec<String>);

impl Record {
    fn get(&self, i: usize) -> Option<&str> {
        self.0.get(i).map(String::as_str)
    }
}

impl Table {
    /// Read a whole file; a file with a header and no rows is refused unless `may_be_empty`
    /// (a failures file of a vendor that failed no template).
    fn read(path: &Path, may_be_empty: bool) -> Result<Table, String> {
        use datasets::table::Cell;
        use sha2::{Digest, Sha256};
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let digest = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        let mut problems = datasets::Problems::default();
        let shown = path.display().to_string();
        let read = datasets::table::read(Path::new(""), &shown, &mut problems);
        if let Some(first) = problems.iter().next() {
            return Err(first.to_string());
        }
        let Some(table) = read else { return Err(format!("{shown}: cannot read")) };
        let rows: Vec<(u64, Record)> = table
            .rows
            .into_iter()
            .map(|r| {
                let cells = r.cells.into_iter().map(|c| match c {
                    Cell::Text(t) => t,
                    _ => String::new(),
                });
                (r.line, Record(cells.collect()))
            })
            .collect();
        if rows.is_empty() && !may_be_empty {
            return Err(format!("{shown}: no rows (a header only); the file must hold the trials"));
        }
        Ok(Table { path: path.to_path_buf(), header: table.header, rows, digest })
    }

    /// Column indices of `names`, or a problem naming the missing ones.
    fn columns(&self, names: &[&str], problems: &mut Vec<String>) -> Option<Vec<usize>> {
        let found: Vec<Option<usize>> = names.iter().map(|n| self.header.iter().position(|h| h == n)).collect();
        let missing: Vec<&str> = names.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(n, _)| *n).collect();
        if missing.is_empty() {
            found.into_iter().collect()
        } else {
            problems.push(format!(
                "{}:1: missing column(s) {} (header: {})",
                self.path.display(),
                missing.join(", "),
                self.header.join(",")
            ));
            None
        }
    }

    fn at(&self, line: u64) -> String {
        format!("{}:{line}", self.path.display())
    }
}

/// A score cell: empty means the trial failed; otherwise a finite number.
fn score(table: &Table, line: u64, text: &str, problems: &mut Vec<String>) -> Option<Option<f64>> {
    if text.is_empty() {
        return Some(None);
    }
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Some(Some(v)),
        _ => {
            problems.push(format!("{}: column score: value \"{text}\": not a finite number", table.at(line)));
            None
        }
    }
}

/// Problems for planned trials without a row and rows that are not planned trials.
fn report_mismatch(table: &Table, what: &str, missing: Vec<String>, extra: Vec<String>, problems: &mut Vec<String>) {
    if !missing.is_empty() {
        let shown = missing.iter().take(NAMED).cloned().collect::<Vec<_>>().join("; ");
        let more = if missing.len() > NAMED { format!("; and {} more", missing.len() - NAMED) } else { String::new() };
        problems.push(format!(
            "{}: {} planned {what} of the published trial list missing: {shown}{more}",
            table.path.display(),
            missing.len()
        ));
    }
    if !extra.is_empty() {
        let shown = extra.iter().take(NAMED).cloned().collect::<Vec<_>>().join("; ");
        let more = if extra.len() > NAMED { format!("; and {} more", extra.len() - NAMED) } else { String::new() };
        problems.push(format!(
            "{}: {} {what} not in the published trial list (or repeated): {shown}{more}",
            table.path.display(),
            extra.len()
        ));
    }
}

fn verification(
    bench: &Benchmark,
    probe: &[u32],
    reference: &[u32],
    index: &HashMap<&str, u32>,
    table: &Table,
    problems: &mut Vec<String>,
) -> VerificationTrials {
    let ids = &bench.samples.ids;
    let problems_before = problems.len();
    let mut planned: HashMap<(u32, u32), usize> = HashMap::new();
    for (i, (&a, &b)) in probe.iter().zip(reference).enumerate() {
        planned.insert((a, b), i);
    }
    let mut scores: Vec<Option<Option<f64>>> = vec![None; probe.len()];
    let mut first_line: Vec<u64> = vec![0; probe.len()];
    let mut extra = Vec::new();
    if let Some(c) = table.columns(&["probe_sample", "reference_sample", "score"], problems) {
        for (line, row) in &table.rows {
            let (a, b, s) = (row.get(c[0]).unwrap_or(""), row.get(c[1]).unwrap_or(""), row.get(c[2]).unwrap_or(""));
            let key = index.get(a).zip(index.get(b)).map(|(x, y)| (*x, *y));
            match key.and_then(|k| planned.get(&k)).copied() {
                Some(i) if first_line[i] != 0 => problems.push(format!(
                    "{}: probe `{a}` reference `{b}`: trial listed twice (first at line {})",
                    table.at(*line),
                    first_line[i]
                )),
                Some(i) => {
                    first_line[i] = *line;
                    if let Some(value) = score(table, *line, s, problems) {
                        scores[i] = Some(value);
                    }
                }
                None => extra.push(format!("{}: probe `{a}` reference `{b}`", table.at(*line))),
            }
        }
    }
    let missing = (0..probe.len())
        .filter(|&i| scores[i].is_none())
        .map(|i| format!("probe `{}` reference `{}`", ids[probe[i] as usize], ids[reference[i] as usize]))
        .collect();
    // Missing and extra trials are named once the rows themselves read cleanly.
    if problems.len() == problems_before {
        report_mismatch(table, "comparisons", missing, extra, problems);
    }
    let mut trials = VerificationTrials::default();
    for (i, s) in scores.into_iter().enumerate() {
        let subject = |x: u32| bench.samples.subject[x as usize];
        trials.push(subject(probe[i]), subject(reference[i]), s.flatten());
    }
    trials
}

/// One search's rows: `None` when written as failed, else (rank, subject, score).
type Rows = Option<Vec<(u32, u32, f64)>>;

fn searches(
    bench: &Benchmark,
    p: &SearchProtocol,
    index: &HashMap<&str, u32>,
    table: &Table,
    problems: &mut Vec<String>,
) -> Vec<SearchTrials> {
    let ids = &bench.samples.ids;
    let problems_before = problems.len();
    let subjects = gallery_subjects(bench, p);
    let mut position = vec![usize::MAX; bench.population.subjects.len()];
    for (i, &s) in subjects.iter().enumerate() {
        position[s as usize] = i;
    }
    let gallery: HashMap<u32, u32> = p.gallery.iter().map(|&s| (s, bench.samples.subject[s as usize])).collect();
    let searches: Vec<u32> = p.mated.iter().chain(&p.non_mated).copied().collect();
    // The planned searches of each gallery size: (size, search sample) -> search index.
    let mut planned: HashMap<(usize, u32), usize> = HashMap::new();
    let mut plan: Vec<Vec<usize>> = Vec::new();
    for &size in &p.gallery_sizes {
        let mut these = Vec::new();
        for (q, &sample) in searches.iter().enumerate() {
            let mated = q < p.mated.len();
            if mated && position[bench.samples.subject[sample as usize] as usize] >= size {
                continue;
            }
            planned.insert((size, sample), q);
            these.push(q);
        }
        plan.push(these);
    }
    let mut rows: HashMap<(usize, usize), Rows> = HashMap::new();
    let mut extra = Vec::new();
    let columns = ["gallery_size", "search_sample", "rank", "candidate_sample", "score"];
    if let Some(c) = table.columns(&columns, problems) {
        for (line, row) in &table.rows {
            let cell = |k: usize| row.get(c[k]).unwrap_or("");
            let (size_text, search, rank, candidate, value) = (cell(0), cell(1), cell(2), cell(3), cell(4));
            let size = size_text.trim().parse::<usize>().ok();
            let key = size.zip(index.get(search)).map(|(n, s)| (n, *s));
            let Some(q) = key.and_then(|k| planned.get(&k)).copied() else {
                extra.push(format!("{}: gallery size {size_text} search `{search}`", table.at(*line)));
                continue;
            };
            let size = size.unwrap_or(0);
            let entry = rows.entry((size, q));
            if rank.is_empty() && candidate.is_empty() && value.is_empty() {
                // A failed search: its only row.
                match entry {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(None);
                    }
                    _ => extra.push(format!(
                        "{}: gallery size {size} search `{search}` (failed and listed again)",
                        table.at(*line)
                    )),
                }
                continue;
            }
            let list = entry.or_insert_with(|| Some(Vec::new()));
            let Some(list) = list.as_mut() else {
                extra.push(format!(
                    "{}: gallery size {size} search `{search}` (candidate of a failed search)",
                    table.at(*line)
                ));
                continue;
            };
            let at = table.at(*line);
            let Some(rank) = rank.trim().parse::<u32>().ok().filter(|r| *r >= 1 && (*r as usize) <= p.candidates)
            else {
                problems.push(format!("{at}: column rank: value \"{rank}\": not a rank 1..={}", p.candidates));
                continue;
            };
            let subject = index.get(candidate).and_then(|s| gallery.get(s)).copied();
            let Some(subject) = subject.filter(|s| position[*s as usize] < size) else {
                problems.push(format!(
                    "{at}: column candidate_sample: value \"{candidate}\": not a sample of the gallery of size {size}"
                ));
                continue;
            };
            match score(table, *line, value, problems) {
                Some(Some(v)) => {
                    if list.iter().any(|c| c.0 == rank) {
                        problems
                            .push(format!("{at}: column rank: value \"{rank}\": rank repeated for search `{search}`"));
                    }
                    list.push((rank, subject, v));
                }
                Some(None) => problems.push(format!("{at}: column score: empty score for a candidate")),
                None => {}
            }
        }
    }
    let mut missing = Vec::new();
    for (k, &size) in p.gallery_sizes.iter().enumerate() {
        for &q in &plan[k] {
            if !rows.contains_key(&(size, q)) {
                missing.push(format!("gallery size {size} search `{}`", ids[searches[q] as usize]));
            }
        }
    }
    if problems.len() == problems_before {
        report_mismatch(table, "searches", missing, extra, problems);
    }
    p.gallery_sizes
        .iter()
        .enumerate()
        .map(|(k, &size)| {
            let mut t = SearchTrials::new(size, p.candidates);
            for &q in &plan[k] {
                let sample = searches[q];
                let list = rows.remove(&(size, q)).flatten().map(|mut list| {
                    // Best rank first; a subject enrolled with several samples counts once,
                    // at its best rank (as an exhaustive search scores a subject by its best sample).
                    list.sort_by_key(|c| c.0);
                    let mut seen = std::collections::HashSet::new();
                    list.into_iter().filter(|c| seen.insert(c.1)).map(|c| (c.1, c.2)).collect::<Vec<_>>()
                });
                t.push(q as u32, bench.samples.subject[sample as usize], q < p.mated.len(), list.as_deref());
            }
            t
        })
        .collect()
}

fn template_failures(
    needed: &[(u32, Role)],
    index: &HashMap<&str, u32>,
    table: &Table,
    failed: &mut [Option<TemplateFailure>],
    problems: &mut Vec<String>,
) {
    let Some(c) = table.columns(&["sample_id", "role", "code"], problems) else { return };
    let message_column = table.header.iter().position(|h| h == "message");
    let mut extra = Vec::new();
    for (line, row) in &table.rows {
        let cell = |k: usize| row.get(k).unwrap_or("");
        let (sample, role_text, code_text) = (cell(c[0]), cell(c[1]), cell(c[2]));
        let role = match role_text {
            "enrol" => Role::Enrol,
            "verify" => Role::Verify,
            "search" => Role::Search,
            _ => {
                problems.push(format!(
                    "{}: column role: value \"{role_text}\": not enrol, verify or search",
                    table.at(*line)
                ));
                continue;
            }
        };
        let code = [
            FailureCode::FaceDetectionError,
            FailureCode::FeatureExtractionError,
            FailureCode::ParseError,
            FailureCode::MediaReadError,
            FailureCode::TemplateFormatError,
            FailureCode::VendorError,
        ]
        .into_iter()
        .find(|c| c.name() == code_text);
        let Some(code) = code else {
            problems.push(format!("{}: column code: value \"{code_text}\": not a failure code", table.at(*line)));
            continue;
        };
        let slot = index.get(sample).and_then(|&s| needed.binary_search(&(s, role)).ok());
        match slot {
            Some(i) if failed[i].is_none() => {
                let message = message_column.map_or("", |m| cell(m)).to_string();
                failed[i] = Some(TemplateFailure { code, message });
            }
            _ => extra.push(format!("{}: sample `{sample}` role {role_text}", table.at(*line))),
        }
    }
    if !extra.is_empty() {
        report_mismatch(table, "templates", Vec::new(), extra, problems);
    }
}
