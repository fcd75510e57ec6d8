//! UTKFace: labels in the file names, `AGE_GENDER_RACE_DATETIME.jpg` (the aligned and
//! cropped set adds `.chip.jpg`): age in years, gender 0 male / 1 female, race 0-4
//! (White, Black, Asian, Indian, Others). No identities: every image is its own subject,
//! so the benchmark supports failure-to-acquire and quality breakdowns only.
//!
//! Attributes: `race` and `sex` (codes named by the vocabulary) and `age_band` (the
//! FairFace bands, so the two datasets can be read side by side); the age in years is
//! kept as the capture column `age`.

use super::{Dataset, ImportOptions, Label, Layout, Origin};
use crate::error::{Problem, Problems};
use std::path::{Path, PathBuf};

pub(super) const RACE: [(&str, &str); 5] =
    [("0", "White"), ("1", "Black"), ("2", "Asian"), ("3", "Indian"), ("4", "Others")];
pub(super) const SEX: [(&str, &str); 2] = [("0", "male"), ("1", "female")];
pub(super) const DETAIL: &str =
    "file name fields, estimated by the DEX algorithm and checked by a human annotator (UTKFace authors)";
const EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The FairFace age bands; `70+` is FairFace's `more than 70`.
pub(super) fn age_band(age: u32) -> &'static str {
    match age {
        0..=2 => "0-2",
        3..=9 => "3-9",
        10..=19 => "10-19",
        20..=29 => "20-29",
        30..=39 => "30-39",
        40..=49 => "40-49",
        50..=59 => "50-59",
        60..=69 => "60-69",
        _ => "70+",
    }
}

/// Every image file under `dir`, relative, sorted, hidden entries skipped.
fn image_files(dir: &Path, problems: &mut Problems) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = match std::fs::read_dir(dir.join(&rel)) {
            Ok(e) => e,
            Err(e) => {
                problems
                    .push(Problem::new(dir.join(&rel).display().to_string(), format!("cannot read the folder: {e}")));
                continue;
            }
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = rel.join(&name);
            // A linked folder is not followed (a link can make the walk endless); linked
            // files are checked to stay inside the source when they are read.
            let linked_dir = entry.file_type().is_ok_and(|t| t.is_symlink()) && entry.path().is_dir();
            if linked_dir {
                let msg = "a link to a folder; UTKFace images are files, and linked folders are not followed";
                problems.push(Problem::new(entry.path().display().to_string(), msg));
            } else if entry.path().is_dir() {
                stack.push(path);
            } else if let Some(ext) = Path::new(&name).extension()
                && EXTENSIONS.contains(&ext.to_string_lossy().to_ascii_lowercase().as_str())
            {
                out.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

pub(super) fn read(src: &Path, _options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    if !src.is_dir() {
        problems.push(Problem::new(src.display().to_string(), "folder not found: UTKFace is a folder of images"));
        return None;
    }
    let mut d = Dataset::new(Layout::Utkface, false);
    let vocabulary = |codes: &[(&str, &str)]| codes.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect();
    d.labels = vec![
        Label {
            name: "race".into(),
            provenance: "annotated".into(),
            detail: Some(DETAIL.into()),
            vocabulary: vocabulary(&RACE),
        },
        Label {
            name: "sex".into(),
            provenance: "annotated".into(),
            detail: Some(DETAIL.into()),
            vocabulary: vocabulary(&SEX),
        },
        Label {
            name: "age_band".into(),
            provenance: "annotated".into(),
            detail: Some(format!("{DETAIL}; banded by verity from the age in years")),
            vocabulary: Vec::new(),
        },
    ];
    d.capture = vec!["age".into()];
    for relative in image_files(src, problems) {
        let path = src.join(&relative);
        let file = path.display().to_string();
        let name = relative.rsplit('/').next().unwrap_or_default();
        let fields: Vec<&str> = name.splitn(4, '_').collect();
        if fields.len() < 4 {
            let msg = "file name is not AGE_GENDER_RACE_DATETIME.jpg (too few `_`-separated fields)";
            problems.push(Problem::new(&file, msg).value(name));
            continue;
        }
        let age = fields[0].parse::<u32>().ok().filter(|a| *a <= 130);
        if age.is_none() {
            problems.push(Problem::new(&file, "age is not a whole number of years").column("age").value(fields[0]));
        }
        let mut ok = age.is_some();
        for (code, column, known) in [(fields[2], "race", &RACE[..]), (fields[1], "gender", &SEX[..])] {
            if !known.iter().any(|(c, _)| *c == code) {
                let codes: Vec<&str> = known.iter().map(|(c, _)| *c).collect();
                let msg = format!("unknown {column} code; the codes are: {}", codes.join(", "));
                problems.push(Problem::new(&file, msg).column(column).value(code));
                ok = false;
            }
        }
        let Some(age) = age.filter(|_| ok) else { continue };
        let subject = d.subject(&relative, Origin::file(&file));
        d.subjects[subject as usize].codes =
            vec![fields[2].to_string(), fields[1].to_string(), age_band(age).to_string()];
        let Some(media) = super::listed_file(src, &path, problems) else { continue };
        if let Some(sample) = d.sample(&relative, subject, media, &Origin::file(&file), problems) {
            d.set_capture(sample, "age", fields[0]);
        }
    }
    Some(d)
}
