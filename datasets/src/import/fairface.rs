//! FairFace: a label table `file, age, gender, race` (and optionally `service_test`),
//! e.g. `fairface_label_val.csv`, with `file` relative to IMAGES (by default the table's
//! folder). No identities: every image is its own subject, so the benchmark supports
//! failure-to-acquire and quality breakdowns only.
//!
//! Attributes `race`, `sex` and `age_band`, each with a vocabulary of FairFace's labels;
//! `service_test` and any other column become capture columns.

use super::{Dataset, ImportOptions, Label, Layout, Origin};
use crate::error::Problems;
use crate::table::Cell;
use std::path::Path;

pub(super) const RACE: [(&str, &str); 7] = [
    ("White", "White"),
    ("Black", "Black"),
    ("Latino_Hispanic", "Latino or Hispanic"),
    ("East Asian", "East Asian"),
    ("Southeast Asian", "Southeast Asian"),
    ("Indian", "Indian"),
    ("Middle Eastern", "Middle Eastern"),
];
pub(super) const SEX: [(&str, &str); 2] = [("Male", "male"), ("Female", "female")];
pub(super) const AGE: [(&str, &str); 9] = [
    ("0-2", "0-2"),
    ("3-9", "3-9"),
    ("10-19", "10-19"),
    ("20-29", "20-29"),
    ("30-39", "30-39"),
    ("40-49", "40-49"),
    ("50-59", "50-59"),
    ("60-69", "60-69"),
    ("more than 70", "70+"),
];
pub(super) const DETAIL: &str = "FairFace label table (annotated by crowd workers for the dataset authors)";

/// A FairFace code and the category name it stands for.
type Code = (&'static str, &'static str);

/// (attribute, source column, codes).
const LABELS: [(&str, &str, &[Code]); 3] =
    [("race", "race", &RACE), ("sex", "gender", &SEX), ("age_band", "age", &AGE)];

pub(super) fn read(src: &Path, options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    let t = super::read_table(src, problems)?;
    let cols = t.require(&["file", "race", "gender", "age"], problems)?;
    let images = options.images.clone().unwrap_or_else(|| super::parent_of(src));
    let mut d = Dataset::new(Layout::Fairface, false);
    d.labels = LABELS
        .iter()
        .map(|(name, column, codes)| Label {
            name: name.to_string(),
            provenance: "annotated".into(),
            detail: Some(format!("{DETAIL}: column {column}")),
            vocabulary: codes.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect(),
        })
        .collect();
    let known = ["file", "race", "gender", "age"];
    let capture: Vec<(usize, String)> = t
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty() && !known.contains(&h.as_str()) && !h.starts_with("Unnamed:"))
        .map(|(i, h)| (i, h.clone()))
        .collect();
    d.capture = capture.iter().map(|c| c.1.clone()).collect();
    for row in &t.rows {
        let origin = Origin::at(&t.file, row.line);
        let Some(file) = t.text(row, cols[0], "empty file", problems) else { continue };
        let mut codes = Vec::with_capacity(3);
        for ((_, column, _), label) in LABELS.iter().zip(&d.labels) {
            let c = cols[known.iter().position(|k| k == column).unwrap_or(0)];
            let code = match row.cells.get(c) {
                Some(Cell::Text(s)) => s.trim(),
                _ => "",
            };
            if super::labels::check_code(label, code, &origin, column, problems) {
                codes.push(code.to_string());
            }
        }
        let Some(media) = super::image(&images, file, &origin, "file", problems) else { continue };
        if codes.len() != LABELS.len() {
            continue;
        }
        let subject = d.subject(file, origin.clone());
        if !d.subjects[subject as usize].codes.is_empty() {
            let first = d.subjects[subject as usize].origin.line.unwrap_or(0);
            problems
                .push(origin.problem(format!("image listed twice (first at line {first})")).column("file").value(file));
            continue;
        }
        d.subjects[subject as usize].codes = codes;
        if let Some(sample) = d.sample(file, subject, media, &origin, problems) {
            for (c, name) in &capture {
                if let Some(Cell::Text(v)) = row.cells.get(*c) {
                    d.set_capture(sample, name, v);
                }
            }
        }
    }
    Some(d)
}
