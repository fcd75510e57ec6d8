//! A 1:1 score file (`probe_subject, reference_subject, score`) read in bounded batches
//! straight into typed columns (docs/scale.md): subject ids are looked up once per row
//! in the subjects table and kept as integer codes, scores are parsed from the bytes, and
//! no cell is ever held as text. The columns take 16 bytes a trial; past a memory budget
//! they go to an anonymous temporary file (unlinked when made: it cannot outlive verity),
//! read back chunk by chunk as often as the analysis needs (`harness::model::rows`).
//!
//! The rules are those of every other table (`table`): the line an editor shows, a
//! located problem for each bad cell, an empty score for a trial whose template could not
//! be made. A file with very many bad rows lists the first [`PROBLEMS_LISTED`] and counts
//! the rest, so that the list stays readable and bounded.

use crate::error::{Problem, Problems};
use crate::table::{Cell, csv_field, csv_header, next_csv_row, parquet_cells};
use harness::model::rows::{CHUNK_ROWS, RowsError, TrialChunk, VerificationRows};
use polars::prelude::{DataType, ParquetReader, SerReader};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Trials kept in memory before the columns go to a temporary file: 2^25 trials, 512 MiB.
pub const MEMORY_ROWS: usize = 1 << 25;
/// Problems listed per file; the rest are counted in one last problem.
pub const PROBLEMS_LISTED: usize = 100;
/// Rows of a Parquet file read at a time.
const PARQUET_BATCH: usize = 1 << 20;
const COLUMNS: [&str; 3] = ["probe_subject", "reference_subject", "score"];
const BYTES_PER_ROW: usize = 16;

/// A 1:1 score file, read: the trials and what the results record about them.
#[derive(Debug)]
pub struct ScoreRows {
    storage: Storage,
    rows: u64,
    /// Trials whose two subjects are the same.
    pub mated: u64,
    /// SHA-256 (hex) over `probe TAB reference NEWLINE` per trial, ids as in the subjects table.
    pub trial_hash: String,
    /// Lowest and highest finite score, if any.
    pub observed: Option<(f64, f64)>,
}

#[derive(Debug)]
enum Storage {
    /// Chunks of [`CHUNK_ROWS`] trials (the last may be shorter), each allocated once at
    /// its full size: no column is ever copied to grow.
    Memory(Vec<Columns>),
    /// The same chunks, each laid out as probes (u32), references (u32), scores (f64),
    /// little-endian.
    Spilled(std::fs::File),
}

/// One chunk of trials; a failed trial has the score `-inf`.
#[derive(Debug, Default)]
struct Columns {
    probe: Vec<u32>,
    reference: Vec<u32>,
    score: Vec<f64>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns { probe: Vec::with_capacity(n), reference: Vec::with_capacity(n), score: Vec::with_capacity(n) }
    }

    fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(self.score.len() * BYTES_PER_ROW);
        for p in &self.probe {
            bytes.extend_from_slice(&p.to_le_bytes());
        }
        for r in &self.reference {
            bytes.extend_from_slice(&r.to_le_bytes());
        }
        for s in &self.score {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        out.write_all(&bytes)
    }
}

impl VerificationRows for ScoreRows {
    fn len(&self) -> u64 {
        self.rows
    }

    fn chunks(&self) -> usize {
        (self.rows as usize).div_ceil(CHUNK_ROWS)
    }

    fn chunk(&self, i: usize) -> Result<TrialChunk<'_>, RowsError> {
        match &self.storage {
            Storage::Memory(chunks) => match chunks.get(i) {
                Some(c) => Ok(TrialChunk {
                    probe: Cow::Borrowed(&c.probe),
                    reference: Cow::Borrowed(&c.reference),
                    score: Cow::Borrowed(&c.score),
                }),
                None => Err(RowsError(format!("no chunk {i} of {} trials", self.rows))),
            },
            Storage::Spilled(file) => {
                use std::os::unix::fs::FileExt;
                let start = i * CHUNK_ROWS;
                let n = CHUNK_ROWS.min((self.rows as usize).saturating_sub(start));
                let mut bytes = vec![0u8; n * BYTES_PER_ROW];
                file.read_exact_at(&mut bytes, (start * BYTES_PER_ROW) as u64)
                    .map_err(|e| RowsError(format!("reading back the trials spilled to a temporary file: {e}")))?;
                let (ids, scores) = bytes.split_at(8 * n);
                let u32s = |b: &[u8]| b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                let score = scores
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect();
                Ok(TrialChunk {
                    probe: Cow::Owned(u32s(&ids[..4 * n])),
                    reference: Cow::Owned(u32s(&ids[4 * n..])),
                    score: Cow::Owned(score),
                })
            }
        }
    }
}

/// Where trials go as they are read: chunks in memory up to the budget, then all of
/// them to a temporary file.
struct Sink {
    budget: usize,
    current: Columns,
    held: Vec<Columns>,
    spill: Option<std::io::BufWriter<std::fs::File>>,
    rows: u64,
    mated: u64,
    hash: Sha256,
    observed: Option<(f64, f64)>,
}

impl Sink {
    fn new(budget: usize) -> Self {
        Sink {
            budget,
            current: Columns::with_capacity(CHUNK_ROWS),
            held: Vec::new(),
            spill: None,
            rows: 0,
            mated: 0,
            hash: Sha256::new(),
            observed: None,
        }
    }

    fn push(&mut self, probe: (u32, &str), reference: (u32, &str), score: Option<f64>) -> std::io::Result<()> {
        self.hash.update(probe.1.as_bytes());
        self.hash.update(b"\t");
        self.hash.update(reference.1.as_bytes());
        self.hash.update(b"\n");
        self.mated += u64::from(probe.0 == reference.0);
        self.rows += 1;
        if let Some(x) = score {
            self.observed = Some(self.observed.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
        }
        self.current.probe.push(probe.0);
        self.current.reference.push(reference.0);
        self.current.score.push(score.unwrap_or(f64::NEG_INFINITY));
        if self.current.score.len() == CHUNK_ROWS {
            let full = std::mem::replace(&mut self.current, Columns::with_capacity(CHUNK_ROWS));
            self.keep(full)?;
        }
        Ok(())
    }

    /// A full chunk (or the last one) to memory, or to the file once over the budget.
    fn keep(&mut self, chunk: Columns) -> std::io::Result<()> {
        if self.spill.is_none() && self.rows as usize > self.budget {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
            for held in std::mem::take(&mut self.held) {
                held.write_to(&mut out)?;
            }
            self.spill = Some(out);
        }
        match self.spill.as_mut() {
            Some(out) => chunk.write_to(out),
            None => {
                self.held.push(chunk);
                Ok(())
            }
        }
    }

    fn finish(mut self) -> std::io::Result<ScoreRows> {
        let last = std::mem::take(&mut self.current);
        if !last.score.is_empty() {
            self.keep(last)?;
        }
        let storage = match self.spill.take() {
            Some(w) => Storage::Spilled(w.into_inner().map_err(|e| e.into_error())?),
            None => Storage::Memory(std::mem::take(&mut self.held)),
        };
        Ok(ScoreRows {
            storage,
            rows: self.rows,
            mated: self.mated,
            trial_hash: hex::encode(self.hash.finalize()),
            observed: self.observed,
        })
    }
}

/// Subject ids to codes, for a lookup per id of every row. An id of up to
/// [`INLINE`] - 1 bytes is held inside the table's entry, so that a lookup reads no
/// memory outside the table (a table of `String`s follows a pointer per lookup, to a
/// cache miss at 10^5 subjects); longer ids are in a second table.
struct IdIndex {
    short: HashMap<[u8; INLINE], u32, std::hash::BuildHasherDefault<IdHasher>>,
    long: HashMap<String, u32>,
}

const INLINE: usize = 24;

impl IdIndex {
    fn new(index: &HashMap<String, u32>) -> Self {
        let mut short = HashMap::with_capacity_and_hasher(index.len(), Default::default());
        let mut long = HashMap::new();
        for (id, &code) in index {
            match inline(id) {
                Some(key) => {
                    short.insert(key, code);
                }
                None => {
                    long.insert(id.clone(), code);
                }
            }
        }
        IdIndex { short, long }
    }

    fn get(&self, id: &str) -> Option<u32> {
        match inline(id) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(id).copied(),
        }
    }
}

/// The id's bytes, zero-padded, its length in the last byte.
fn inline(id: &str) -> Option<[u8; INLINE]> {
    let bytes = id.as_bytes();
    (bytes.len() < INLINE).then(|| {
        let mut key = [0u8; INLINE];
        key[..bytes.len()].copy_from_slice(bytes);
        key[INLINE - 1] = bytes.len() as u8;
        key
    })
}

/// A multiply-rotate hash of the inline keys, mixed at the end so that the high bits
/// (which the table's control bytes use) depend on every byte. The ids come from a
/// local file, not from a network peer: no defence against chosen collisions is needed.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for word in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..word.len()].copy_from_slice(word);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn finish(&self) -> u64 {
        let x = (self.0 ^ (self.0 >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^ (x >> 32)
    }
}

/// Problems of one file: the first [`PROBLEMS_LISTED`] kept, the rest counted.
struct Bounded<'a> {
    problems: &'a mut Problems,
    file: String,
    listed: usize,
    more: u64,
}

impl Bounded<'_> {
    fn push(&mut self, p: Problem) {
        if self.listed < PROBLEMS_LISTED {
            self.problems.push(p);
            self.listed += 1;
        } else {
            self.more += 1;
        }
    }

    fn any(&self) -> bool {
        self.listed > 0
    }

    fn close(self) {
        if self.more > 0 {
            let message =
                format!("{} more problems in this file, not listed (the first {} are)", self.more, self.listed);
            self.problems.push(Problem::new(self.file, message));
        }
    }
}

/// One row's three cells, as text (`None`: an empty cell).
struct RowCells<'a> {
    line: u64,
    probe: Option<&'a str>,
    reference: Option<&'a str>,
    /// The score as text, or already a number (a Parquet double column).
    score: ScoreCell<'a>,
}

#[derive(Clone, Copy)]
enum ScoreCell<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
}

struct Reader<'a> {
    file: String,
    index: IdIndex,
    problems: Bounded<'a>,
    sink: Sink,
    /// Rows with the header's number of fields.
    complete_rows: u64,
}

impl Reader<'_> {
    fn subject<'c>(&mut self, line: u64, column: &str, cell: Option<&'c str>) -> Option<(u32, &'c str)> {
        let text = cell.unwrap_or("");
        let id = text.trim();
        if id.is_empty() {
            self.problems.push(Problem::new(&self.file, "empty subject id").line(line).column(column).value(text));
            return None;
        }
        match self.index.get(id) {
            Some(code) => Some((code, id)),
            None => {
                self.problems.push(
                    Problem::new(&self.file, "unknown subject (not in the subjects table)")
                        .line(line)
                        .column(column)
                        .value(text),
                );
                None
            }
        }
    }

    /// `Some(None)`: an empty score, a failed trial.
    fn score(&mut self, line: u64, cell: ScoreCell<'_>) -> Option<Option<f64>> {
        let value = match cell {
            ScoreCell::Empty => return Some(None),
            ScoreCell::Number(v) => Some(v),
            ScoreCell::Text(s) if s.trim().is_empty() => {
                self.problems.push(Problem::new(&self.file, "empty score").line(line).column("score").value(s));
                return None;
            }
            ScoreCell::Text(s) => s.trim().parse::<f64>().ok(),
        };
        match value {
            Some(v) if v.is_finite() => Some(Some(v)),
            _ => {
                // The cell as the file holds it, written only for a problem.
                let text = match cell {
                    ScoreCell::Number(v) => v.to_string(),
                    ScoreCell::Text(s) => s.to_string(),
                    ScoreCell::Empty => String::new(),
                };
                self.problems.push(
                    Problem::new(&self.file, "score is not a finite number").line(line).column("score").value(text),
                );
                None
            }
        }
    }

    fn row(&mut self, cells: RowCells<'_>) -> std::io::Result<()> {
        self.complete_rows += 1;
        let probe = self.subject(cells.line, COLUMNS[0], cells.probe);
        let reference = self.subject(cells.line, COLUMNS[1], cells.reference);
        let score = self.score(cells.line, cells.score);
        if let (Some(p), Some(r), Some(s)) = (probe, reference, score)
            && !self.problems.any()
        {
            self.sink.push(p, r, s)?;
        }
        Ok(())
    }
}

/// Read a 1:1 score file (CSV or Parquet, by extension) into trials. `index` maps the
/// subjects table's ids to their codes; `memory_rows` is the budget before trials go to
/// a temporary file ([`MEMORY_ROWS`] unless a test asks for less).
pub fn read_verification(
    path: &Path,
    index: &HashMap<String, u32>,
    memory_rows: usize,
    problems: &mut Problems,
) -> Result<Option<ScoreRows>, SpillError> {
    let file = path.to_string_lossy().into_owned();
    let mut reader = Reader {
        file: file.clone(),
        index: IdIndex::new(index),
        problems: Bounded { problems, file: file.clone(), listed: 0, more: 0 },
        sink: Sink::new(memory_rows),
        complete_rows: 0,
    };
    let lower = file.to_ascii_lowercase();
    let read = if lower.ends_with(".parquet") {
        read_parquet(path, &mut reader)
    } else if lower.ends_with(".csv") {
        read_csv(path, &mut reader)
    } else {
        reader.problems.push(Problem::new(&file, "unknown table format; expected a .csv or .parquet file"));
        Err(Stop::Problems)
    };
    let Reader { problems, sink, complete_rows, .. } = reader;
    let mut problems = problems;
    let result = match read {
        Err(Stop::Spill(e)) => Err(SpillError(format!("{file}: cannot hold the trials in a temporary file: {e}"))),
        Err(Stop::Problems) => Ok(None),
        Ok(()) if complete_rows == 0 && !problems.any() => {
            problems.push(Problem::new(&file, "no rows: the file holds a header only").line(1));
            Ok(None)
        }
        Ok(()) if problems.any() => Ok(None),
        Ok(()) => match sink.finish() {
            Ok(rows) => Ok(Some(rows)),
            Err(e) => Err(SpillError(format!("{file}: cannot hold the trials in a temporary file: {e}"))),
        },
    };
    problems.close();
    result
}

/// Why reading stopped: the input (the reason is among the problems), or the temporary
/// file (not the input's fault: a failure, not bad input).
enum Stop {
    Problems,
    Spill(std::io::Error),
}

/// The temporary file that holds trials past the memory budget could not be written or
/// read: a failure of the machine (a full `TMPDIR`), not of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpillError(pub String);

fn read_csv(path: &Path, reader: &mut Reader<'_>) -> Result<(), Stop> {
    let file = reader.file.clone();
    let mut records = match storage::csv::CsvRecords::open(path) {
        Ok(r) => r,
        Err(e) => {
            reader.problems.push(Problem::new(&file, format!("cannot read: {e}")));
            return Err(Stop::Problems);
        }
    };
    let mut header_problems = Problems::default();
    let names = csv_header(&mut records, &file, &mut header_problems);
    let bad_header = !header_problems.is_empty();
    for p in header_problems.0 {
        reader.problems.push(p);
    }
    let names = names.ok_or(Stop::Problems)?;
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|c| names.iter().position(|n| n == c)).collect();
    for (name, col) in COLUMNS.iter().zip(&cols) {
        if col.is_none() {
            reader.problems.push(Problem::new(&file, "missing column").line(1).column(*name));
        }
    }
    let (Some(p), Some(r), Some(s)) = (cols[0], cols[1], cols[2]) else { return Err(Stop::Problems) };
    if bad_header {
        return Err(Stop::Problems);
    }
    let mut record = csv::ByteRecord::new();
    let width = names.len();
    while let Some(line) = next_csv_row(&mut records, &mut record, width, &file, |p| reader.problems.push(p)) {
        // Every field of the row is checked, as the whole-table reader does; the row is
        // used only when all of them are text.
        let mut fields = [None; 3];
        let mut valid = true;
        for (col, raw) in record.iter().enumerate() {
            match csv_field(raw, &file, line, &names[col]) {
                Ok(text) => {
                    if let Some(k) = [p, r, s].iter().position(|&c| c == col) {
                        fields[k] = text;
                    }
                }
                Err(problem) => {
                    reader.problems.push(problem);
                    valid = false;
                }
            }
        }
        if !valid {
            continue;
        }
        let [pt, rt, st] = fields;
        let score = st.map_or(ScoreCell::Empty, ScoreCell::Text);
        reader.row(RowCells { line, probe: pt, reference: rt, score }).map_err(Stop::Spill)?;
    }
    Ok(())
}

/// A batch of a Parquet id column: text in place, or cells cast from another type.
enum IdColumn<'f> {
    Text(Vec<Option<&'f str>>),
    Cells(Vec<Cell>),
}

impl IdColumn<'_> {
    /// The id of row `i`; `None` for a null or empty one.
    fn get(&self, i: usize) -> Option<&str> {
        match self {
            IdColumn::Text(t) => t.get(i).copied().flatten(),
            IdColumn::Cells(c) => match c.get(i) {
                Some(Cell::Text(s)) => Some(s.as_str()),
                _ => None,
            },
        }
    }
}

fn read_parquet(path: &Path, reader: &mut Reader<'_>) -> Result<(), Stop> {
    let file = reader.file.clone();
    let open = |reader: &mut Reader<'_>| match std::fs::File::open(path) {
        Ok(f) => Ok(ParquetReader::new(f)),
        Err(e) => {
            reader.problems.push(Problem::new(&file, format!("cannot read: {e}")));
            Err(Stop::Problems)
        }
    };
    let polars_problem = |reader: &mut Reader<'_>, e: polars::error::PolarsError| {
        reader.problems.push(Problem::new(&file, format!("cannot read Parquet: {e}")));
        Stop::Problems
    };
    let mut first = open(reader)?;
    let schema = first.schema().map_err(|e| polars_problem(reader, e))?;
    let height = first.num_rows().map_err(|e| polars_problem(reader, e))?;
    let mut missing = false;
    for name in COLUMNS {
        if !schema.iter_names().any(|n| n.as_str() == name) {
            reader.problems.push(Problem::new(&file, "missing column").line(1).column(name));
            missing = true;
        }
    }
    if missing {
        return Err(Stop::Problems);
    }
    let mut offset = 0;
    while offset < height {
        let len = PARQUET_BATCH.min(height - offset);
        let frame = open(reader)?
            .with_columns(Some(COLUMNS.iter().map(|c| (*c).to_string()).collect()))
            .with_slice(Some((offset, len)))
            .finish()
            .map_err(|e| polars_problem(reader, e))?;
        let mut cells: Vec<IdColumn<'_>> = Vec::new();
        for name in &COLUMNS[..2] {
            let column = frame.column(name).map_err(|e| polars_problem(reader, e))?;
            // A text column is read in place; any other type as the text it casts to.
            if let (DataType::String, Ok(text)) = (column.dtype(), column.str()) {
                cells.push(IdColumn::Text(text.iter().map(|v| v.filter(|s| !s.is_empty())).collect()));
                continue;
            }
            match parquet_cells(column, len) {
                Ok(c) => cells.push(IdColumn::Cells(c)),
                Err(message) => {
                    reader.problems.push(Problem::new(&file, message).line(1).column(*name));
                    return Err(Stop::Problems);
                }
            }
        }
        let score_column = frame.column(COLUMNS[2]).map_err(|e| polars_problem(reader, e))?;
        // A double column is read as numbers; any other type as the text it casts to, as
        // every other table reads it.
        let doubles: Option<Vec<Option<f64>>> = match score_column.dtype() {
            DataType::Float64 => score_column.f64().ok().map(|c| c.iter().collect()),
            _ => None,
        };
        let score_text = match doubles {
            Some(_) => Vec::new(),
            None => match parquet_cells(score_column, len) {
                Ok(c) => c,
                Err(message) => {
                    reader.problems.push(Problem::new(&file, message).line(1).column(COLUMNS[2]));
                    return Err(Stop::Problems);
                }
            },
        };
        for i in 0..len {
            let score = match &doubles {
                Some(d) => d.get(i).copied().flatten().map_or(ScoreCell::Empty, ScoreCell::Number),
                None => match score_text.get(i) {
                    Some(Cell::Text(s)) => ScoreCell::Text(s),
                    _ => ScoreCell::Empty,
                },
            };
            let row =
                RowCells { line: (offset + i) as u64 + 2, probe: cells[0].get(i), reference: cells[1].get(i), score };
            reader.row(row).map_err(Stop::Spill)?;
        }
        offset += len;
    }
    Ok(())
}

#[cfg(test)]
#[path = "score_rows_tests.rs"]
mod tests;
