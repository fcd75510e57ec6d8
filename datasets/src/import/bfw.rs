//! BFW (Balanced Faces in the Wild): its data table of pairs, one row a pair:
//!
//! `p1, p2` image paths (relative to IMAGES, by default the table's folder), `label`
//! (1 same person, 0 not), `fold`, `att1, att2` (e.g. `asian_females`), `id1, id2`
//! (identities), `a1, a2` (ethnicity × gender code, e.g. `AF`), `g1, g2` (gender code),
//! `e1, e2` (ethnicity code), and one column of published scores per model
//! (`sphereface`, `vgg2`, ...).
//!
//! Subjects get two attributes, `ethnicity` (A, B, I, W) and `sex` (F, M), whose codes the
//! vocabulary names; `a` must agree with `e` and `g`. Besides the benchmark (media and
//! the pairs as a verification protocol), every score column becomes a score file for
//! `verity analyse` under `scores/`, with `scores/subjects.csv`: the published scores are
//! then score-level vendors.

use super::{Dataset, ImportOptions, Label, Layout, Origin};
use crate::error::{Problem, Problems};
use crate::table::{Cell, Row};
use std::path::Path;

pub(super) const PROTOCOL: &str = "bfw-pairs";
pub(super) const ETHNICITY: [(&str, &str); 4] = [("A", "Asian"), ("B", "Black"), ("I", "Indian"), ("W", "White")];
pub(super) const SEX: [(&str, &str); 2] = [("F", "female"), ("M", "male")];
pub(super) const DETAIL: &str = "BFW data table (labels assigned by the dataset authors)";

const REQUIRED: [&str; 9] = ["p1", "p2", "label", "id1", "id2", "g1", "g2", "e1", "e2"];
const OPTIONAL: [&str; 5] = ["fold", "att1", "att2", "a1", "a2"];

/// Columns that are not scores: a leading unnamed index (pandas writes one) or any known one.
fn is_score_column(name: &str) -> bool {
    !(name.is_empty()
        || name.starts_with("Unnamed:")
        || name == "index"
        || REQUIRED.contains(&name)
        || OPTIONAL.contains(&name))
}

fn text(row: &Row, col: usize) -> &str {
    match row.cells.get(col) {
        Some(Cell::Text(s)) => s.trim(),
        _ => "",
    }
}

pub(super) fn read(src: &Path, options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    let t = super::read_table(src, problems)?;
    let cols = t.require(&REQUIRED, problems)?;
    let col = |name: &str| cols[REQUIRED.iter().position(|n| *n == name).unwrap_or(0)];
    let optional = |name: &str| t.column(name);
    let scores: Vec<(usize, String)> =
        t.header.iter().enumerate().filter(|(_, h)| is_score_column(h)).map(|(i, h)| (i, h.clone())).collect();
    for (_, name) in &scores {
        if super::slug(name) == "subjects" {
            let msg = "a score column cannot be called `subjects`: its score file would be scores/subjects.csv";
            problems.push(Problem::new(&t.file, msg).line(1).column(name.as_str()));
        }
    }
    let images = options.images.clone().unwrap_or_else(|| super::parent_of(src));
    let mut d = Dataset::new(Layout::Bfw, true);
    let vocabulary = |codes: &[(&str, &str)]| codes.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect();
    d.labels = vec![
        Label {
            name: "ethnicity".into(),
            provenance: "annotated".into(),
            detail: Some(format!("{DETAIL}: columns e1, e2")),
            vocabulary: vocabulary(&ETHNICITY),
        },
        Label {
            name: "sex".into(),
            provenance: "annotated".into(),
            detail: Some(format!("{DETAIL}: columns g1, g2")),
            vocabulary: vocabulary(&SEX),
        },
    ];
    // Per score column: rows of (probe subject, reference subject, score text).
    let mut score_rows: Vec<Vec<(u32, u32, String)>> = vec![Vec::new(); scores.len()];
    for row in &t.rows {
        let origin = Origin::at(&t.file, row.line);
        let mut subjects = Vec::with_capacity(2);
        let mut samples = Vec::with_capacity(2);
        for side in ["1", "2"] {
            let get = |name: &str| text(row, col(&format!("{name}{side}")));
            let id = get("id");
            let (e, g) = (get("e"), get("g"));
            let mut ok = !id.is_empty();
            if id.is_empty() {
                problems.push(origin.problem("empty identity").column(format!("id{side}")).value(""));
            }
            for (code, column, known) in [(e, "e", &ETHNICITY[..]), (g, "g", &SEX[..])] {
                if !known.iter().any(|(c, _)| *c == code) {
                    let codes: Vec<&str> = known.iter().map(|(c, _)| *c).collect();
                    let msg = format!("unknown code; the codes are: {}", codes.join(", "));
                    problems.push(origin.problem(msg).column(format!("{column}{side}")).value(code));
                    ok = false;
                }
            }
            if let Some(a) = optional(&format!("a{side}")).map(|c| text(row, c))
                && a != format!("{e}{g}")
            {
                let msg = format!("ethnicity × gender code disagrees with e{side} = {e:?} and g{side} = {g:?}");
                problems.push(origin.problem(msg).column(format!("a{side}")).value(a));
            }
            if !ok {
                subjects.push(None);
                samples.push(None);
                continue;
            }
            let subject = d.subject(id, origin.clone());
            let codes = vec![e.to_string(), g.to_string()];
            let record = &mut d.subjects[subject as usize];
            if record.codes.is_empty() {
                record.codes = codes;
            } else if record.codes != codes {
                let msg = format!(
                    "identity `{id}` is {} on line {} but {e}{g} here",
                    record.codes.concat(),
                    record.origin.line.unwrap_or(0)
                );
                problems.push(origin.problem(msg).column(format!("id{side}")).value(id));
            }
            let path = get("p");
            let sample = super::image(&images, path, &origin, &format!("p{side}"), problems)
                .and_then(|media| d.sample(path, subject, media, &origin, problems));
            subjects.push(Some(subject));
            samples.push(sample);
        }
        let label = text(row, col("label"));
        if let [Some(s1), Some(s2)] = subjects[..] {
            let same = s1 == s2;
            let expected = if same { "1" } else { "0" };
            if label != expected {
                let msg = format!(
                    "label says {} but id1 and id2 are {}",
                    if label == "1" { "same person" } else { "different people (or is not 0/1)" },
                    if same { "equal" } else { "different" }
                );
                problems.push(origin.problem(msg).column("label").value(label));
            }
            for ((c, name), rows) in scores.iter().zip(&mut score_rows) {
                let value = text(row, *c);
                if !value.is_empty() && !value.parse::<f64>().is_ok_and(f64::is_finite) {
                    let msg = "score is not a finite number (leave it empty for a failed comparison)";
                    problems.push(origin.problem(msg).column(name.as_str()).value(value));
                }
                rows.push((s1, s2, value.to_string()));
            }
        }
        if let [Some(p), Some(r)] = samples[..] {
            d.pair(PROTOCOL, p, r, origin, problems);
        }
    }
    if problems.is_empty() {
        d.files = score_files(&d, &scores, &score_rows);
    }
    Some(d)
}

/// `scores/subjects.csv` (category names: `verity analyse` takes no vocabulary) and one
/// `scores/<model>.csv` of `probe_subject, reference_subject, score` per score column.
fn score_files(d: &Dataset, scores: &[(usize, String)], rows: &[Vec<(u32, u32, String)>]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    if scores.is_empty() {
        return files;
    }
    let mut subjects = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["subject_id".to_string()];
    header.extend(d.labels.iter().map(|l| l.name.clone()));
    let _ = subjects.write_record(&header);
    for s in &d.subjects {
        let mut record = vec![s.id.clone()];
        record.extend(d.labels.iter().zip(&s.codes).map(|(l, c)| l.category(c).to_string()));
        let _ = subjects.write_record(&record);
    }
    files.push(("scores/subjects.csv".to_string(), subjects.into_inner().unwrap_or_default()));
    for ((_, name), rows) in scores.iter().zip(rows) {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["probe_subject", "reference_subject", "score"]);
        for (p, r, score) in rows {
            let _ = w.write_record([d.subject_id(*p), d.subject_id(*r), score.as_str()]);
        }
        files.push((format!("scores/{}.csv", super::slug(name)), w.into_inner().unwrap_or_default()));
    }
    files
}
