//! Labels the user supplies with a layout that has none of its own (folder, LFW, bob):
//! a subjects table, `--provenance ATTRIBUTE=PROVENANCE` for each attribute, and an
//! optional `--vocabulary FILE` of `[vocabulary.ATTRIBUTE]` code tables.

use super::{ImportOptions, Label, Origin};
use crate::error::{Problem, Problems};
use crate::manifest::PROVENANCES;
use crate::table::Cell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Declared provenance and vocabularies, before they are matched to columns.
pub(super) struct Declared {
    provenance: Vec<(String, String)>,
    vocabulary: BTreeMap<String, Vec<(String, String)>>,
    vocabulary_file: String,
}

impl Declared {
    /// Parse `--provenance` and read `--vocabulary`, reporting what is malformed.
    pub(super) fn read(options: &ImportOptions, problems: &mut Problems) -> Declared {
        let mut provenance: Vec<(String, String)> = Vec::new();
        for given in &options.provenance {
            let Some((attribute, value)) = given.split_once('=') else {
                problems.push(
                    Problem::new("--provenance", "expected ATTRIBUTE=PROVENANCE, e.g. sex=self-declared").value(given),
                );
                continue;
            };
            let (attribute, value) = (attribute.trim(), value.trim());
            if !PROVENANCES.contains(&value) {
                let msg = format!("unknown provenance for `{attribute}`; expected one of: {}", PROVENANCES.join(", "));
                problems.push(Problem::new("--provenance", msg).value(value));
            } else if provenance.iter().any(|(a, _)| a == attribute) {
                problems.push(Problem::new("--provenance", "attribute given twice").value(attribute));
            } else {
                provenance.push((attribute.to_string(), value.to_string()));
            }
        }
        let mut vocabulary = BTreeMap::new();
        let mut vocabulary_file = String::new();
        if let Some(path) = &options.vocabulary {
            vocabulary_file = path.display().to_string();
            if let Some(text) = super::read_text(path, problems) {
                vocabulary = parse_vocabulary(&text, &vocabulary_file, problems);
            }
        }
        Declared { provenance, vocabulary, vocabulary_file }
    }

    /// Whether an attribute was given a provenance (bob: which columns are attributes).
    pub(super) fn has(&self, attribute: &str) -> bool {
        self.provenance.iter().any(|(a, _)| a == attribute)
    }

    pub(super) fn attributes(&self) -> impl Iterator<Item = &str> {
        self.provenance.iter().map(|(a, _)| a.as_str())
    }

    /// The labels of `columns` (of `file`), each with its declared provenance and
    /// vocabulary; a column without a provenance, and a provenance or vocabulary naming
    /// no column, is a problem.
    pub(super) fn labels(&self, file: &str, columns: &[String], problems: &mut Problems) -> Vec<Label> {
        let mut labels = Vec::new();
        for name in columns {
            match self.provenance.iter().find(|(a, _)| a == name) {
                Some((_, provenance)) => labels.push(Label {
                    name: name.clone(),
                    provenance: provenance.clone(),
                    detail: Some(format!("column `{name}` of {}", file_name(file))),
                    vocabulary: self.vocabulary.get(name).cloned().unwrap_or_default(),
                }),
                None => {
                    let msg = format!(
                        "no provenance declared for attribute `{name}`: give --provenance {name}={}",
                        PROVENANCES[..3].join("|")
                    );
                    problems.push(Problem::new(file, msg).line(1).column(name.as_str()));
                }
            }
        }
        for (attribute, _) in &self.provenance {
            if !columns.contains(attribute) {
                let msg = format!("names no attribute column of {file}");
                problems.push(Problem::new("--provenance", msg).value(attribute.as_str()));
            }
        }
        for attribute in self.vocabulary.keys() {
            if !columns.contains(attribute) {
                let msg = format!("vocabulary of `{attribute}`, which is no attribute column of {file}");
                problems.push(Problem::new(&self.vocabulary_file, msg));
            }
        }
        labels
    }
}

/// The last component of a path, as the manifest's detail names a source file.
fn file_name(file: &str) -> String {
    Path::new(file).file_name().map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned())
}

/// `[vocabulary.ATTRIBUTE]` tables of `code = "category name"`.
fn parse_vocabulary(text: &str, file: &str, problems: &mut Problems) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    let doc: toml::Table = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let mut p = Problem::new(file, format!("invalid TOML: {}", e.message()));
            if let Some(span) = e.span() {
                p = p.line(crate::manifest::line_col(text, span.start).0);
            }
            problems.push(p);
            return out;
        }
    };
    for (key, value) in &doc {
        let Some(tables) = value.as_table().filter(|_| key == "vocabulary") else {
            problems.push(Problem::new(file, "expected only [vocabulary.ATTRIBUTE] tables").column(key.as_str()));
            continue;
        };
        for (attribute, codes) in tables {
            let Some(codes) = codes.as_table() else {
                let msg = "expected a table of code = \"category name\"";
                problems.push(Problem::new(file, msg).column(format!("vocabulary.{attribute}")));
                continue;
            };
            let mut list = Vec::new();
            for (code, name) in codes {
                match name.as_str() {
                    Some(n) if !n.trim().is_empty() => list.push((code.clone(), n.to_string())),
                    _ => {
                        let msg = "expected a non-empty category name (string)";
                        problems.push(Problem::new(file, msg).column(format!("vocabulary.{attribute}.{code}")));
                    }
                }
            }
            out.insert(attribute.clone(), list);
        }
    }
    out
}

/// Check a code against its label's vocabulary (if it has one).
pub(super) fn check_code(label: &Label, code: &str, origin: &Origin, column: &str, problems: &mut Problems) -> bool {
    if label.vocabulary.is_empty() || label.vocabulary.iter().any(|(c, _)| c == code) {
        return true;
    }
    let known: Vec<&str> = label.vocabulary.iter().map(|(c, _)| c.as_str()).collect();
    let msg = format!("unknown `{}` code; the codes are: {}", label.name, known.join(", "));
    problems.push(origin.problem(msg).column(column).value(code));
    false
}

/// A subjects table of attributes: first column the subject id, every other column an
/// attribute.
pub(super) struct SubjectTable {
    pub file: String,
    pub labels: Vec<Label>,
    /// Subject id -> codes (in label order) and line.
    pub rows: HashMap<String, (Vec<String>, u64)>,
}

impl SubjectTable {
    pub(super) fn read(path: &Path, declared: &Declared, problems: &mut Problems) -> Option<SubjectTable> {
        let t = super::read_table(path, problems)?;
        if t.header.len() < 2 {
            let msg = "expected the subject id in the first column and at least one attribute column";
            problems.push(Problem::new(&t.file, msg).line(1));
            return None;
        }
        let columns: Vec<String> = t.header[1..].to_vec();
        let labels = declared.labels(&t.file, &columns, problems);
        let mut rows = HashMap::new();
        for row in &t.rows {
            let Some(id) = t.text(row, 0, "empty subject id", problems) else { continue };
            let origin = Origin::at(&t.file, row.line);
            let mut codes = Vec::with_capacity(labels.len());
            for label in &labels {
                let Some(c) = t.column(&label.name) else { continue };
                let code = match row.cells.get(c) {
                    Some(Cell::Text(s)) if !s.trim().is_empty() => s.trim().to_string(),
                    _ => {
                        let msg = "empty attribute value";
                        problems.push(origin.problem(msg).column(label.name.as_str()).value(""));
                        String::new()
                    }
                };
                if !code.is_empty() {
                    check_code(label, &code, &origin, &label.name, problems);
                }
                codes.push(code);
            }
            if let Some((_, first)) = rows.get(id) {
                let msg = format!("duplicate subject id (first at line {first})");
                problems.push(origin.problem(msg).column(t.header[0].as_str()).value(id));
                continue;
            }
            rows.insert(id.to_string(), (codes, row.line));
        }
        Some(SubjectTable { file: t.file.clone(), labels, rows })
    }
}
