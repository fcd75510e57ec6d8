//! Score-level input for `verity analyse`: the scores or candidate lists a vendor or a
//! researcher already has, with a subjects table, turned into the engine's trials.
//!
//! - subjects: `subject_id` + one column per attribute;
//! - verification: `probe_subject, reference_subject, score` (mated when the subjects are
//!   equal; an empty score means a template could not be made: a non-match at every
//!   threshold);
//! - searches: `search_id, search_subject`; gallery: `subject_id`; candidates:
//!   `search_id, rank, candidate_subject, score`. A search is mated when its subject is
//!   in the gallery.

use crate::error::{Problem, Problems};
use crate::score_rows::{ScoreRows, SpillError, read_verification};
use crate::table::{self, Row, Table};
use harness::model::population::{Population, Subject};
use harness::model::trials::SearchTrials;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Paths of the score-level files; each file is named in problems as given here.
#[derive(Debug, Clone, Default)]
pub struct ScoreFiles<'a> {
    pub subjects: Option<&'a Path>,
    pub verification: Option<&'a Path>,
    pub searches: Option<&'a Path>,
    pub gallery: Option<&'a Path>,
    pub candidates: Option<&'a Path>,
    /// Candidate list length L; when absent, the longest list given.
    pub list_length: Option<usize>,
    /// 1:1 trials held in memory before they go to a temporary file; when absent,
    /// [`crate::score_rows::MEMORY_ROWS`].
    pub memory_rows: Option<usize>,
}

/// Loaded score-level input.
#[derive(Debug)]
pub struct ScoreLevel {
    pub population: Population,
    /// 1:1 trials, read in batches (`score_rows`): in memory or in a temporary file.
    pub verification: Option<ScoreRows>,
    /// One gallery size: the whole gallery.
    pub searches: Option<SearchTrials>,
    /// Search ids, indexed by `SearchTrials::search`.
    pub search_ids: Vec<String>,
}

/// Attribute provenance recorded for score-level input, which carries none.
pub const UNSTATED: &str = "unstated";

/// A score-level table; one with a header and no rows is refused (an empty score file
/// analysed would give a results folder without a single trial).
fn read(path: &Path, problems: &mut Problems) -> Option<Table> {
    let t = table::read(Path::new(""), &path.to_string_lossy(), problems)?;
    if t.rows.is_empty() {
        problems.push(Problem::new(&t.file, "no rows: the file holds a header only").line(1));
        return None;
    }
    Some(t)
}

fn number(t: &Table, row: &Row, col: usize, problems: &mut Problems) -> Option<f64> {
    let text = t.text(row, col, "empty score", problems)?;
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            problems.push(
                Problem::new(&t.file, "score is not a finite number").line(row.line).column(&t.header[col]).value(text),
            );
            None
        }
    }
}

fn subject_of(t: &Table, row: &Row, col: usize, index: &HashMap<String, u32>, problems: &mut Problems) -> Option<u32> {
    let id = t.text(row, col, "empty subject id", problems)?;
    let found = index.get(id.trim()).copied();
    if found.is_none() {
        problems.push(
            Problem::new(&t.file, "unknown subject (not in the subjects table)")
                .line(row.line)
                .column(&t.header[col])
                .value(id),
        );
    }
    found
}

/// Why score-level input could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// Bad input: every problem found, located.
    #[error("{0}")]
    Invalid(Problems),
    /// The machine, not the input: the temporary file of a large 1:1 score file.
    #[error("{0}")]
    Spill(SpillError),
}

impl From<Problems> for ScoreError {
    fn from(p: Problems) -> Self {
        ScoreError::Invalid(p)
    }
}

pub fn load_scores(files: &ScoreFiles) -> Result<ScoreLevel, ScoreError> {
    let mut problems = Problems::default();
    let Some(subjects_path) = files.subjects else {
        problems.push(Problem::new("--subjects", "a subjects table is required"));
        return Err(problems.into());
    };
    if files.verification.is_none() && files.searches.is_none() {
        problems.push(Problem::new("--verification/--searches", "give verification scores, searches, or both"));
    }
    let population = read(subjects_path, &mut problems).and_then(|t| population(&t, &mut problems));
    let Some(population) = population else {
        return Err(problems.into());
    };
    let index: HashMap<String, u32> =
        population.subjects.iter().enumerate().map(|(i, s)| (s.id.clone(), i as u32)).collect();

    let memory_rows = files.memory_rows.unwrap_or(crate::score_rows::MEMORY_ROWS);
    let verification = match files.verification {
        Some(p) => read_verification(p, &index, memory_rows, &mut problems).map_err(ScoreError::Spill)?,
        None => None,
    };

    let mut search_ids = Vec::new();
    let searches = match (files.searches, files.gallery, files.candidates) {
        (None, None, None) => None,
        (Some(s), Some(g), Some(c)) => searches(s, g, c, files.list_length, &index, &mut search_ids, &mut problems),
        _ => {
            problems.push(Problem::new(
                "--searches/--gallery/--candidates",
                "1:N input needs all three of searches, gallery and candidates",
            ));
            None
        }
    };
    if problems.is_empty() {
        Ok(ScoreLevel { population, verification, searches, search_ids })
    } else {
        Err(problems.into())
    }
}

fn population(t: &Table, problems: &mut Problems) -> Option<Population> {
    let id_col = t.require(&["subject_id"], problems)?[0];
    let attributes: Vec<(usize, String)> =
        t.header.iter().enumerate().filter(|(i, _)| *i != id_col).map(|(i, h)| (i, h.clone())).collect();
    let mut seen = HashMap::new();
    let mut subjects = Vec::new();
    for row in &t.rows {
        let Some(id) = t.text(row, id_col, "empty subject id", problems) else { continue };
        if let Some(first) = seen.insert(id.trim().to_string(), row.line) {
            problems.push(
                Problem::new(&t.file, format!("duplicate subject_id (first at line {first})"))
                    .line(row.line)
                    .column("subject_id")
                    .value(id),
            );
            continue;
        }
        let values: Vec<Option<String>> = attributes
            .iter()
            .map(|(c, _)| t.text(row, *c, "empty attribute value", problems).map(|v| v.trim().to_string()))
            .collect();
        if let Some(values) = values.into_iter().collect::<Option<Vec<_>>>() {
            subjects.push(Subject { id: id.trim().to_string(), attributes: values });
        }
    }
    let provenance: BTreeMap<String, String> =
        attributes.iter().map(|(_, a)| (a.clone(), UNSTATED.to_string())).collect();
    Some(Population { attributes: attributes.into_iter().map(|a| a.1).collect(), subjects, provenance })
}

fn searches(
    searches_path: &Path,
    gallery_path: &Path,
    candidates_path: &Path,
    list_length: Option<usize>,
    index: &HashMap<String, u32>,
    search_ids: &mut Vec<String>,
    problems: &mut Problems,
) -> Option<SearchTrials> {
    let gallery_table = read(gallery_path, problems)?;
    let col = gallery_table.require(&["subject_id"], problems)?[0];
    let mut enrolled = vec![false; index.len()];
    let mut enrolled_on: HashMap<u32, u64> = HashMap::new();
    let mut gallery_size = 0;
    for row in &gallery_table.rows {
        if let Some(s) = subject_of(&gallery_table, row, col, index, problems) {
            if let Some(first) = enrolled_on.get(&s) {
                let id = gallery_table.text(row, col, "", &mut Problems::default()).unwrap_or("");
                problems.push(
                    Problem::new(&gallery_table.file, format!("subject enrolled twice (first at line {first})"))
                        .line(row.line)
                        .column("subject_id")
                        .value(id),
                );
            } else {
                enrolled_on.insert(s, row.line);
                enrolled[s as usize] = true;
                gallery_size += 1;
            }
        }
    }

    let search_table = read(searches_path, problems)?;
    let cols = search_table.require(&["search_id", "search_subject"], problems)?;
    let mut search_index: HashMap<String, usize> = HashMap::new();
    let mut search_line: HashMap<String, u64> = HashMap::new();
    let mut search_subject = Vec::new();
    for row in &search_table.rows {
        let id = search_table.text(row, cols[0], "empty search id", problems);
        let subject = subject_of(&search_table, row, cols[1], index, problems);
        if let Some(id) = id {
            // A repeated id is named with the line it first appeared on; the first stays.
            if let Some(first) = search_line.get(id.trim()) {
                problems.push(
                    Problem::new(&search_table.file, format!("duplicate search_id (first at line {first})"))
                        .line(row.line)
                        .column("search_id")
                        .value(id),
                );
                continue;
            }
            search_line.insert(id.trim().to_string(), row.line);
        }
        if let (Some(id), Some(subject)) = (id, subject) {
            search_index.insert(id.trim().to_string(), search_ids.len());
            search_ids.push(id.trim().to_string());
            search_subject.push(subject);
        }
    }

    let cand_table = read(candidates_path, problems)?;
    let cols = cand_table.require(&["search_id", "rank", "candidate_subject", "score"], problems)?;
    // Per search: (rank, candidate, score, line).
    let mut lists: Vec<Vec<(usize, u32, f64, u64)>> = vec![Vec::new(); search_ids.len()];
    for row in &cand_table.rows {
        let search = cand_table.text(row, cols[0], "empty search id", problems).and_then(|id| {
            let found = search_index.get(id.trim()).copied();
            if found.is_none() {
                problems.push(
                    Problem::new(&cand_table.file, "unknown search (not in the searches table)")
                        .line(row.line)
                        .column("search_id")
                        .value(id),
                );
            }
            found
        });
        let rank =
            cand_table.text(row, cols[1], "empty rank", problems).and_then(|r| match r.trim().parse::<usize>() {
                Ok(v) if v >= 1 => Some(v),
                _ => {
                    problems.push(
                        Problem::new(&cand_table.file, "rank is not a whole number >= 1")
                            .line(row.line)
                            .column("rank")
                            .value(r),
                    );
                    None
                }
            });
        let candidate = subject_of(&cand_table, row, cols[2], index, problems).filter(|&c| {
            if !enrolled[c as usize] {
                problems.push(
                    Problem::new(&cand_table.file, "candidate is not in the gallery")
                        .line(row.line)
                        .column("candidate_subject")
                        .value(cand_table.text(row, cols[2], "", &mut Problems::default()).unwrap_or("")),
                );
            }
            enrolled[c as usize]
        });
        let score = number(&cand_table, row, cols[3], problems);
        if let (Some(s), Some(r), Some(c), Some(v)) = (search, rank, candidate, score) {
            lists[s].push((r, c, v, row.line));
        }
    }
    let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    let l = list_length.unwrap_or(longest.max(1));
    for (s, list) in lists.iter_mut().enumerate() {
        list.sort_by_key(|c| c.0);
        for (k, c) in list.iter().enumerate() {
            if c.0 != k + 1 {
                problems.push(
                    Problem::new(
                        &cand_table.file,
                        format!("ranks of search `{}` are not 1, 2, 3, ... without gaps or repeats", search_ids[s]),
                    )
                    .line(c.3)
                    .column("rank")
                    .value(c.0.to_string()),
                );
                break;
            }
            if c.0 > l {
                problems.push(
                    Problem::new(&cand_table.file, format!("rank exceeds the candidate list length {l}"))
                        .line(c.3)
                        .column("rank")
                        .value(c.0.to_string()),
                );
                break;
            }
            if k > 0 && c.2 > list[k - 1].2 {
                problems.push(
                    Problem::new(
                        &cand_table.file,
                        format!("candidate list of search `{}` is not in descending score order", search_ids[s]),
                    )
                    .line(c.3)
                    .column("score")
                    .value(c.2.to_string()),
                );
                break;
            }
        }
        let mut listed: HashMap<u32, u64> = HashMap::new();
        for c in list.iter() {
            if let Some(first) = listed.insert(c.1, c.3) {
                problems.push(
                    Problem::new(
                        &cand_table.file,
                        format!("search `{}` lists a candidate twice (first at line {first})", search_ids[s]),
                    )
                    .line(c.3)
                    .column("candidate_subject"),
                );
                break;
            }
        }
    }
    let mut trials = SearchTrials::new(gallery_size, l);
    for (s, list) in lists.iter().enumerate() {
        let subject = search_subject[s];
        let pairs: Vec<(u32, f64)> = list.iter().map(|c| (c.1, c.2)).collect();
        trials.push(s as u32, subject, enrolled[subject as usize], Some(&pairs));
    }
    Some(trials)
}
