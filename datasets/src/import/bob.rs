//! Idiap bob CSV protocol folders (bob.bio.base `CSVDatabase`):
//!
//! ```text
//! SRC/                    a protocol folder (or directly a group folder)
//!   dev/for_enrolling.csv path, template_id (or reference_id), subject_id, metadata...
//!   dev/for_probing.csv   the same columns
//!   dev/for_matching.csv  optional: enroll_template_id, probe_template_id
//!                         (or reference_id, probe_reference_id)
//! ```
//!
//! Column names are matched without regard to case (older bob files write `PATH`,
//! `REFERENCE_ID`). `path` is relative to IMAGES (by default SRC), with `--extension`
//! appended (bob lists paths without one); `key`, when present, is the sample id. Each
//! template must hold one sample: verity compares single samples. The probes are
//! compared with every reference, or with those `for_matching.csv` lists. Metadata
//! columns given a `--provenance` are subject attributes (constant per subject); the
//! others are capture columns.

use super::labels::{Declared, check_code};
use super::{Dataset, ImportOptions, Label, Layout, Origin};
use crate::error::{Problem, Problems};
use crate::table::{Cell, Row, Table};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const ENROLLING: &str = "for_enrolling.csv";
const PROBING: &str = "for_probing.csv";
const MATCHING: &str = "for_matching.csv";

fn column(t: &Table, names: &[&str]) -> Option<usize> {
    t.header.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
}

fn cell(row: &Row, col: usize) -> &str {
    match row.cells.get(col) {
        Some(Cell::Text(s)) => s.trim(),
        _ => "",
    }
}

/// One of the two sample lists, with its columns found.
struct List {
    table: Table,
    path: usize,
    template: usize,
    subject: usize,
    key: Option<usize>,
    /// Metadata columns: (index, name).
    metadata: Vec<(usize, String)>,
}

fn read_list(path: &Path, problems: &mut Problems) -> Option<List> {
    let table = super::read_table(path, problems)?;
    let mut missing = false;
    let mut find = |names: &[&str], shown: &str| {
        let c = column(&table, names);
        if c.is_none() {
            problems.push(Problem::new(&table.file, "missing column").line(1).column(shown));
            missing = true;
        }
        c
    };
    let (p, t, s) = (
        find(&["path"], "path"),
        find(&["template_id", "reference_id"], "template_id (or reference_id)"),
        find(&["subject_id"], "subject_id"),
    );
    if missing {
        return None;
    }
    let key = column(&table, &["key"]);
    let ids = [p, t, s, key];
    let metadata = (0..table.header.len())
        .filter(|i| !ids.contains(&Some(*i)) && !table.header[*i].is_empty())
        .map(|i| (i, table.header[i].clone()))
        .collect();
    Some(List { path: p?, template: t?, subject: s?, key, metadata, table })
}

pub(super) fn read(src: &Path, options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    let group = options.group.clone().unwrap_or_else(|| "dev".to_string());
    let dir: PathBuf = if src.join(ENROLLING).is_file() { src.to_path_buf() } else { src.join(&group) };
    let images = options.images.clone().unwrap_or_else(|| src.to_path_buf());
    let extension = options.extension.clone().unwrap_or_default();
    let declared = Declared::read(options, problems);
    let enrolling = read_list(&dir.join(ENROLLING), problems);
    let probing = read_list(&dir.join(PROBING), problems);
    let (enrolling, probing) = (enrolling?, probing?);
    // Metadata column names, first seen first; those with a provenance are attributes.
    let mut metadata: Vec<String> = Vec::new();
    for (_, name) in enrolling.metadata.iter().chain(&probing.metadata) {
        if !metadata.iter().any(|m| m.eq_ignore_ascii_case(name)) {
            metadata.push(name.clone());
        }
    }
    let attribute_columns: Vec<String> = metadata.iter().filter(|m| declared.has(m)).cloned().collect();
    let shown = format!("{} and {}", enrolling.table.file, probing.table.file);
    let mut d = Dataset::new(Layout::Bob, true);
    d.labels = declared.labels(&shown, &attribute_columns, problems);
    let name = format!("bob-{group}");
    let setup = Setup { images: &images, extension: &extension };
    let references = samples(&mut d, &enrolling, &setup, problems);
    let probes = samples(&mut d, &probing, &setup, problems);
    let matching = dir.join(MATCHING);
    if matching.is_file() {
        let t = super::read_table(&matching, problems)?;
        let enrol_col = column(&t, &["enroll_template_id", "reference_id"]);
        let probe_col = column(&t, &["probe_template_id", "probe_reference_id"]);
        let (Some(e), Some(p)) = (enrol_col, probe_col) else {
            let msg = "missing columns: expected enroll_template_id and probe_template_id (or reference_id and probe_reference_id)";
            problems.push(Problem::new(&t.file, msg).line(1));
            return Some(d);
        };
        for row in &t.rows {
            let origin = Origin::at(&t.file, row.line);
            let lookup = |map: &HashMap<String, (u32, u64)>, col: usize, what: &str, problems: &mut Problems| {
                let id = cell(row, col);
                let found = map.get(id).map(|x| x.0);
                if found.is_none() {
                    let msg = format!("unknown template (not in {what})");
                    problems.push(origin.problem(msg).column(t.header[col].as_str()).value(id));
                }
                found
            };
            let reference = lookup(&references, e, ENROLLING, problems);
            let probe = lookup(&probes, p, PROBING, problems);
            if let (Some(probe), Some(reference)) = (probe, reference) {
                d.pair(&name, probe, reference, origin, problems);
            }
        }
    } else {
        let mut probe_list: Vec<(u32, u64)> = probes.values().copied().collect();
        let mut reference_list: Vec<(u32, u64)> = references.values().copied().collect();
        probe_list.sort_by_key(|x| x.1);
        reference_list.sort_by_key(|x| x.1);
        for &(probe, line) in &probe_list {
            for &(reference, _) in &reference_list {
                d.pair(&name, probe, reference, Origin::at(&probing.table.file, line), problems);
            }
        }
    }
    Some(d)
}

struct Setup<'a> {
    images: &'a Path,
    extension: &'a str,
}

/// Read one list's samples; returns template id -> (sample, line).
fn samples(d: &mut Dataset, list: &List, setup: &Setup, problems: &mut Problems) -> HashMap<String, (u32, u64)> {
    let t = &list.table;
    let mut templates: HashMap<String, (u32, u64)> = HashMap::new();
    let labels: Vec<Label> = d.labels.clone();
    let label_columns: Vec<Option<usize>> = labels.iter().map(|l| column(t, &[l.name.as_str()])).collect();
    for row in &t.rows {
        let origin = Origin::at(&t.file, row.line);
        let path = t.text(row, list.path, "empty path", problems);
        let template = t.text(row, list.template, "empty template id", problems);
        let subject_id = t.text(row, list.subject, "empty subject_id", problems);
        let (Some(path), Some(template), Some(subject_id)) = (path, template, subject_id) else { continue };
        let subject = d.subject(subject_id, origin.clone());
        let mut codes = Vec::with_capacity(labels.len());
        for (label, col) in labels.iter().zip(&label_columns) {
            let code = col.map_or("", |c| cell(row, c));
            let shown = col.map_or(label.name.as_str(), |c| t.header[c].as_str());
            if code.is_empty() {
                problems.push(origin.problem("empty attribute value").column(shown).value(""));
            } else {
                check_code(label, code, &origin, shown, problems);
            }
            codes.push(code.to_string());
        }
        let record = &mut d.subjects[subject as usize];
        if record.codes.is_empty() {
            record.codes = codes;
            record.origin = origin.clone();
        } else if record.codes != codes {
            let at = record.origin.line.map_or(String::new(), |l| format!(" at line {l}"));
            let msg = format!(
                "subject `{subject_id}` has other attribute values here than in {}{at} ({} there)",
                record.origin.file,
                record.codes.join(", ")
            );
            problems.push(origin.problem(msg).column("subject_id").value(subject_id));
        }
        let relative = format!("{path}{}", setup.extension);
        let Some(media) = super::image(setup.images, &relative, &origin, "path", problems) else { continue };
        let key = list.key.map_or(path, |k| cell(row, k));
        let Some(sample) = d.sample(key, subject, media, &origin, problems) else { continue };
        for (c, name) in &list.metadata {
            if !labels.iter().any(|l| l.name.eq_ignore_ascii_case(name)) {
                d.set_capture(sample, name, cell(row, *c));
            }
        }
        if let Some(&(_, first)) = templates.get(template) {
            let msg = format!(
                "template has several samples (first at line {first}); verity compares single samples, so each bob template must hold one"
            );
            problems.push(origin.problem(msg).column(t.header[list.template].as_str()).value(template));
            continue;
        }
        templates.insert(template.to_string(), (sample, row.line));
    }
    templates
}
