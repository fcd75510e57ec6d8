//! Loading a benchmark folder into the engine's [`Benchmark`]: ids become indices,
//! media is resolved, every rule of `docs/benchmark-format.md` is checked and every
//! problem collected, and the content hash is computed.

use crate::error::{Problem, Problems};
use crate::manifest::{self, Attribute, MANIFEST, Manifest, Vocabulary};
use crate::protocols;
use crate::table::{self, Cell, Table};
use harness::model::benchmark::{Benchmark, CaptureColumn, MediaSource, Samples};
use harness::model::population::{Population, Subject};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use storage::confine::{ConfineError, Confined};

/// Prefix of a `media` value that carries the media itself as text.
pub const INLINE_PREFIX: &str = "inline:";

/// Subject index of a sample whose subject could not be resolved (already reported);
/// the protocol rules that need a subject skip it. Never in a loaded benchmark.
pub(crate) const UNKNOWN_SUBJECT: u32 = u32::MAX;

/// Load and validate the benchmark in `dir`. Nothing is written. On failure, every
/// problem found is returned, not only the first.
pub fn load(dir: &Path) -> Result<Benchmark, Problems> {
    let mut problems = Problems::default();
    // Nothing outside the folder is read through it, links included (storage::confine).
    let folder = match Confined::new(dir) {
        Ok(c) => c,
        Err(e) => {
            let p = if e.kind() == std::io::ErrorKind::NotFound {
                Problem::new(MANIFEST, format!("file not found (the folder {} does not exist)", dir.display()))
            } else {
                Problem::new(dir.display().to_string(), format!("cannot read the benchmark folder: {e}"))
            };
            problems.push(p);
            return Err(problems);
        }
    };
    if let Err(ConfineError::Outside { target, .. }) = folder.resolve(Path::new(MANIFEST)) {
        problems.push(Problem::new(MANIFEST, outside_message(&target)));
        return Err(problems);
    }
    let bytes = match std::fs::read(dir.join(MANIFEST)) {
        Ok(b) => b,
        Err(e) => {
            let msg = if e.kind() == std::io::ErrorKind::NotFound {
                "file not found".to_string()
            } else {
                format!("cannot read: {e}")
            };
            problems.push(Problem::new(MANIFEST, msg));
            return Err(problems);
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = String::from_utf8_lossy(bytes.get(..e.valid_up_to()).unwrap_or_default()).into_owned();
            let (line, column) = manifest::line_col(&valid, valid.len());
            problems.push(Problem::new(MANIFEST, format!("text is not valid UTF-8 (at column {column})")).line(line));
            return Err(problems);
        }
    };
    let manifest = manifest::parse(text, &mut problems);
    let mut missing = HashSet::new();
    for f in manifest.files() {
        match folder.resolve(Path::new(&f.path)) {
            Ok(p) if p.path().is_file() => {}
            Err(ConfineError::Outside { target, .. }) => {
                let p = Problem::new(MANIFEST, outside_message(&target)).line(f.line).column(&f.key).value(&f.path);
                problems.push(p);
                missing.insert(f.path.clone());
            }
            _ => {
                problems.push(Problem::new(MANIFEST, "file not found").line(f.line).column(&f.key).value(&f.path));
                missing.insert(f.path.clone());
            }
        }
    }
    let present =
        |f: &Option<manifest::FileRef>| f.as_ref().filter(|f| !missing.contains(&f.path)).map(|f| f.path.clone());
    let population = present(&manifest.subjects)
        .and_then(|file| table::read(dir, &file, &mut problems))
        .and_then(|t| read_subjects(&t, &manifest.attributes, &manifest.vocabulary, &mut problems));
    let samples = present(&manifest.samples)
        .and_then(|file| table::read(dir, &file, &mut problems))
        .and_then(|t| read_samples(&folder, &t, population.as_ref(), &mut problems));
    let index = samples.as_ref().map(protocols::SampleIndex::new);
    let mut built = Vec::new();
    for spec in &manifest.protocols {
        if let Some(p) = protocols::build(dir, spec, &missing, index.as_ref(), &mut problems) {
            built.push(p);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let content_hash = content_hash(dir, &manifest).map_err(|p| Problems(vec![p]))?;
    match (population, samples) {
        (Some(population), Some(samples)) => Ok(Benchmark {
            name: manifest.name,
            version: manifest.version,
            licence: manifest.licence,
            content_hash,
            population,
            samples,
            protocols: built,
        }),
        // Unreachable in practice: a table that failed to load always reports a problem.
        _ => Err(Problems(vec![Problem::new(MANIFEST, "the subjects or samples table could not be read")])),
    }
}

/// SHA-256 over `len(name) ‖ name ‖ SHA-256(file)` for the manifest and then every
/// file it names, in manifest order: renaming a file changes the hash, and files are
/// streamed, never held whole.
fn content_hash(dir: &Path, manifest: &Manifest) -> Result<String, Problem> {
    let mut outer = Sha256::new();
    let names = std::iter::once(MANIFEST).chain(manifest.files().into_iter().map(|f| f.path.as_str()));
    for name in names {
        let mut file =
            std::fs::File::open(dir.join(name)).map_err(|e| Problem::new(name, format!("cannot read: {e}")))?;
        let mut inner = Sha256::new();
        std::io::copy(&mut file, &mut inner).map_err(|e| Problem::new(name, format!("cannot read: {e}")))?;
        outer.update((name.len() as u64).to_le_bytes());
        outer.update(name.as_bytes());
        outer.update(inner.finalize());
    }
    Ok(hex::encode(outer.finalize()))
}

/// The subjects table, with each attribute's codes replaced by their category names
/// where the manifest gives the attribute a vocabulary.
fn read_subjects(
    t: &Table,
    declared: &[Attribute],
    vocabulary: &BTreeMap<String, Vocabulary>,
    problems: &mut Problems,
) -> Option<Population> {
    let id_col = t.require(&["subject_id"], problems)?.first().copied()?;
    let mut attributes = Vec::new();
    let mut columns = Vec::new();
    for (i, name) in t.header.iter().enumerate() {
        if i == id_col || name.is_empty() {
            continue;
        }
        if declared.iter().any(|a| &a.name == name) {
            attributes.push(name.clone());
            columns.push(i);
        } else {
            let msg = format!(
                "column is not a declared attribute; declare [attributes.{name}] with its provenance in benchmark.toml"
            );
            problems.push(Problem::new(&t.file, msg).line(1).column(name.as_str()));
        }
    }
    for a in declared {
        if t.column(&a.name).is_none() {
            problems.push(Problem::new(&t.file, "missing column (declared attribute)").line(1).column(a.name.as_str()));
        }
    }
    let mut subjects = Vec::with_capacity(t.rows.len());
    let mut lines = Vec::with_capacity(t.rows.len());
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    let vocabularies: Vec<Option<&Vocabulary>> = attributes.iter().map(|a| vocabulary.get(a)).collect();
    for row in &t.rows {
        let values: Vec<String> = columns
            .iter()
            .zip(&vocabularies)
            .map(|(&c, vocabulary)| {
                let code = t.text(row, c, "empty attribute value", problems).unwrap_or_default();
                match vocabulary {
                    Some(v) if !code.is_empty() => category(t, row.line, c, code, v, problems),
                    _ => code.to_string(),
                }
            })
            .collect();
        let Some(id) = t.text(row, id_col, "empty subject_id", problems) else { continue };
        if let Some(first) = first_line.get(id) {
            let msg = format!("duplicate subject_id (first at line {first})");
            problems.push(Problem::new(&t.file, msg).line(row.line).column("subject_id").value(id));
            continue;
        }
        first_line.insert(id, row.line);
        subjects.push(Subject { id: id.to_string(), attributes: values });
        lines.push(row.line);
    }
    if t.rows.is_empty() {
        problems.push(Problem::new(&t.file, "no subjects"));
    }
    // A group of one cannot carry a rate, and would identify its member in a report.
    for (a, name) in attributes.iter().enumerate() {
        let mut size: HashMap<&str, usize> = HashMap::new();
        for s in &subjects {
            *size.entry(s.attributes[a].as_str()).or_default() += 1;
        }
        for (s, line) in subjects.iter().zip(&lines) {
            let value = s.attributes[a].as_str();
            if !value.is_empty() && size.get(value) == Some(&1) {
                let msg = "single-member group: a group needs at least two subjects";
                problems.push(Problem::new(&t.file, msg).line(*line).column(name.as_str()).value(value));
            }
        }
    }
    let provenance: BTreeMap<String, String> = declared
        .iter()
        .filter(|a| attributes.contains(&a.name))
        .map(|a| (a.name.clone(), a.provenance.clone()))
        .collect();
    Some(Population { attributes, subjects, provenance })
}

/// The category name of a code, or a problem naming the code and the known codes.
fn category(t: &Table, line: u64, col: usize, code: &str, vocabulary: &Vocabulary, problems: &mut Problems) -> String {
    if let Some(name) = vocabulary.codes.get(code) {
        return name.clone();
    }
    let column = t.header.get(col).map_or("", String::as_str);
    let known: Vec<&str> = vocabulary.codes.keys().map(String::as_str).collect();
    let msg = format!("code not in [vocabulary.{column}] of {MANIFEST}; its codes are: {}", known.join(", "));
    problems.push(Problem::new(&t.file, msg).line(line).column(column).value(code));
    // Kept as is so that the single-member-group rule does not report it again as a group.
    code.to_string()
}

/// Columns of the samples table that are not its ids or media: capture attributes.
const SAMPLE_COLUMNS: [&str; 4] = ["sample_id", "subject_id", "media", "template"];

fn read_samples(
    dir: &Confined,
    t: &Table,
    population: Option<&Population>,
    problems: &mut Problems,
) -> Option<Samples> {
    let cols = t.require(&["sample_id", "subject_id"], problems);
    let media_col = t.column("media");
    let template_col = t.column("template");
    let media = match (media_col, template_col) {
        (Some(m), None) => Media::Path(m),
        (None, Some(c)) => Media::Template(c),
        (Some(_), Some(_)) => {
            problems.push(
                Problem::new(&t.file, "a samples table has exactly one of the columns media and template").line(1),
            );
            return None;
        }
        (None, None) => {
            problems.push(Problem::new(&t.file, "missing column").line(1).column("media or template"));
            return None;
        }
    };
    let cols = cols?;
    let (id_col, subject_col) = (cols[0], cols[1]);
    let subject_index: Option<HashMap<&str, u32>> =
        population.map(|p| p.subjects.iter().enumerate().map(|(i, s)| (s.id.as_str(), i as u32)).collect());
    let mut samples = Samples::default();
    let capture_columns: Vec<usize> = (0..t.header.len())
        .filter(|&i| !t.header[i].is_empty() && !SAMPLE_COLUMNS.contains(&t.header[i].as_str()))
        .collect();
    samples.capture = capture_columns
        .iter()
        .map(|&i| CaptureColumn { name: t.header[i].clone(), values: Vec::with_capacity(t.rows.len()) })
        .collect();
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    // The table line of each sample kept, for the video rules.
    let mut lines: Vec<u64> = Vec::with_capacity(t.rows.len());
    // The first template's length and line, against which all others are checked.
    let mut width: Option<(usize, u64)> = None;
    for row in &t.rows {
        let id = t.text(row, id_col, "empty sample_id", problems);
        let subject = t.text(row, subject_col, "empty subject_id", problems).and_then(|s| {
            let found = subject_index.as_ref()?.get(s).copied();
            if found.is_none() {
                problems.push(Problem::new(&t.file, "unknown subject").line(row.line).column("subject_id").value(s));
            }
            found
        });
        let source = match media {
            Media::Path(c) => {
                t.text(row, c, "empty media", problems).and_then(|m| media_source(dir, t, row.line, m, problems))
            }
            Media::Template(c) => template(t, row, c, &mut width, problems),
        };
        let Some(id) = id else { continue };
        if let Some(first) = first_line.get(id) {
            let msg = format!("duplicate sample_id (first at line {first})");
            problems.push(Problem::new(&t.file, msg).line(row.line).column("sample_id").value(id));
            continue;
        }
        first_line.insert(id, row.line);
        // A sample with a reported problem is still indexed, so that the protocols naming
        // it do not add "unknown sample" to the list; its subject is then unknown.
        samples.ids.push(id.to_string());
        lines.push(row.line);
        samples.subject.push(subject.unwrap_or(UNKNOWN_SUBJECT));
        samples.media.push(source.unwrap_or(MediaSource::Inline(Vec::new())));
        for (column, &c) in samples.capture.iter_mut().zip(&capture_columns) {
            column.values.push(capture_value(t, row, c, problems));
        }
    }
    if t.rows.is_empty() {
        problems.push(Problem::new(&t.file, "no samples"));
    }
    // Frames, tracks and videos (docs/benchmark-format.md, "Video").
    if let Err(found) = harness::model::tracks::tracks(&samples, |i| lines[i]) {
        for p in found {
            let line = p.sample.map_or(1, |i| lines[i]);
            let mut problem = Problem::new(&t.file, p.message).line(line).column(p.column);
            if p.sample.is_some() {
                problem = problem.value(&p.value);
            }
            problems.push(problem);
        }
    }
    Some(samples)
}

/// A capture attribute's text; empty when not known.
fn capture_value(t: &Table, row: &table::Row, col: usize, problems: &mut Problems) -> String {
    match row.cells.get(col) {
        Some(Cell::Text(s)) => s.clone(),
        Some(Cell::Floats(_)) => {
            let name = t.header.get(col).map_or("", String::as_str);
            problems.push(Problem::new(&t.file, "expected text, found a list").line(row.line).column(name));
            String::new()
        }
        Some(Cell::Null | Cell::Invalid) | None => String::new(),
    }
}

#[derive(Clone, Copy)]
enum Media {
    Path(usize),
    Template(usize),
}

fn media_source(folder: &Confined, t: &Table, line: u64, value: &str, problems: &mut Problems) -> Option<MediaSource> {
    if let Some(text) = value.strip_prefix(INLINE_PREFIX) {
        return Some(MediaSource::Inline(text.as_bytes().to_vec()));
    }
    let problem = |msg: &str| Problem::new(&t.file, msg).line(line).column("media").value(value);
    if !manifest::is_relative_inside(value) {
        problems.push(problem("media path must be relative and inside the benchmark folder"));
        return None;
    }
    match folder.resolve(Path::new(value)) {
        Ok(p) if p.path().is_file() => Some(MediaSource::File(p)),
        Ok(_) | Err(ConfineError::NotFound) => {
            problems.push(problem("media file not found"));
            None
        }
        Err(ConfineError::Outside { target, .. }) => {
            problems.push(problem(&outside_message(&target)));
            None
        }
        Err(e) => {
            problems.push(problem(&format!("cannot resolve the media path: {e}")));
            None
        }
    }
}

/// The message for a path that resolves (through a link) outside the benchmark folder.
fn outside_message(target: &Path) -> String {
    format!("is a link to {}, outside the benchmark folder; nothing outside it is read", target.display())
}

fn template(
    t: &Table,
    row: &table::Row,
    col: usize,
    width: &mut Option<(usize, u64)>,
    problems: &mut Problems,
) -> Option<MediaSource> {
    let problem =
        |msg: String, value: String| Problem::new(&t.file, msg).line(row.line).column("template").value(value);
    let values: Vec<f32> = match row.cells.get(col) {
        Some(Cell::Text(s)) => {
            let mut out = Vec::new();
            for token in s.split_whitespace() {
                match token.parse::<f32>() {
                    Ok(v) if v.is_finite() => out.push(v),
                    Ok(_) => {
                        problems.push(problem("template value is not finite (NaN or infinite)".into(), token.into()));
                        return None;
                    }
                    Err(_) => {
                        problems.push(problem("template value is not a number".into(), token.into()));
                        return None;
                    }
                }
            }
            out
        }
        Some(Cell::Floats(v)) => {
            // f64 values beyond f32's range become infinite here and are caught below.
            let out: Vec<f32> = v.iter().map(|&x| x as f32).collect();
            if let Some(bad) = out.iter().position(|x| !x.is_finite()) {
                let msg = format!("template value {} is not finite (NaN, infinite or null)", bad + 1);
                problems.push(problem(msg, v[bad].to_string()));
                return None;
            }
            out
        }
        Some(Cell::Invalid) => return None,
        Some(Cell::Null) | None => Vec::new(),
    };
    if values.is_empty() {
        problems.push(problem("empty template".into(), String::new()));
        return None;
    }
    match *width {
        None => *width = Some((values.len(), row.line)),
        Some((n, first)) if n != values.len() => {
            let msg =
                format!("ragged templates: this one has {} values, the first (line {first}) has {n}", values.len());
            problems.push(Problem::new(&t.file, msg).line(row.line).column("template"));
            return None;
        }
        Some(_) => {}
    }
    Some(MediaSource::Embedding(values))
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
