//! LFW: `pairs.txt` as an explicit verification protocol.
//!
//! The first line is `FOLDS PAIRS` (`10 300` in View 2): then, fold after fold, PAIRS
//! matched lines `name n1 n2` followed by PAIRS mismatched lines `name1 n1 name2 n2`.
//! Images are `IMAGES/name/name_%04d.jpg`, IMAGES defaulting to the folder `lfw` beside
//! `pairs.txt` (or that folder itself). LFW carries no demographic labels: `--subjects`
//! may supply them (keyed by the LFW name); without it the manifest says `labels = "none"`.

use super::labels::{Declared, SubjectTable};
use super::pairs::{self, PairLine};
use super::{Dataset, ImportOptions, Layout, Origin};
use crate::error::{Problem, Problems};
use std::path::{Path, PathBuf};

/// The protocol's name in the benchmark.
pub(super) const PROTOCOL: &str = "lfw-pairs";

fn images_folder(src: &Path, options: &ImportOptions) -> PathBuf {
    if let Some(images) = &options.images {
        return images.clone();
    }
    let beside = super::parent_of(src);
    if beside.join("lfw").is_dir() { beside.join("lfw") } else { beside }
}

pub(super) fn read(src: &Path, options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    let declared = Declared::read(options, problems);
    let table = options.subjects.as_ref().and_then(|p| SubjectTable::read(p, &declared, problems));
    if options.subjects.is_none() && declared.attributes().next().is_some() {
        problems.push(Problem::new("--provenance", "given without --subjects, which holds the attributes"));
    }
    let text = super::read_text(src, problems)?;
    let file = src.display().to_string();
    let images = images_folder(src, options);
    let mut d = Dataset::new(Layout::Lfw, true);
    if let Some(t) = &table {
        d.labels = t.labels.clone();
    }
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l)).filter(|(_, l)| !l.trim().is_empty());
    let Some((first, head)) = lines.next() else {
        problems.push(Problem::new(&file, "empty file: expected the header `FOLDS PAIRS` (e.g. `10 300`)").line(1));
        return None;
    };
    let tokens: Vec<&str> = head.split_whitespace().collect();
    let Some((folds, per_class)) = pairs::header(&tokens).filter(|&(f, n)| f >= 1 && n >= 1) else {
        let msg = "expected the header `FOLDS PAIRS` (e.g. `10 300`: folds, and pairs of each class per fold)";
        problems.push(Problem::new(&file, msg).line(first).value(head));
        return None;
    };
    let mut count = 0usize;
    for (line, text) in lines {
        let origin = Origin::at(&file, line);
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let parsed = match pairs::parse(&tokens) {
            Ok(p) => p,
            Err((column, msg)) => {
                let mut p = origin.problem(msg).value(text.trim());
                p.column = column.map(str::to_string);
                problems.push(p);
                count += 1;
                continue;
            }
        };
        // Within each fold the matched pairs come first, then the mismatched ones.
        let (fold, within) = (count / (2 * per_class) + 1, count % (2 * per_class));
        let want_matched = within < per_class;
        if count < folds * 2 * per_class && parsed.matched != want_matched {
            let (want, shape) =
                if want_matched { ("matched", "name n1 n2") } else { ("mismatched", "name1 n1 name2 n2") };
            let msg = format!(
                "expected a {want} pair `{shape}` here (fold {fold}, pair {} of {}: the header says {per_class} of each class per fold)",
                within + 1,
                2 * per_class
            );
            problems.push(origin.problem(msg).value(text.trim()));
        }
        count += 1;
        add_pair(&mut d, &parsed, &images, &origin, table.as_ref(), problems);
    }
    if count != folds * 2 * per_class {
        let msg = format!(
            "the header says {folds} folds of {per_class} matched and {per_class} mismatched pairs ({} pair lines), found {count}",
            folds * 2 * per_class
        );
        problems.push(Problem::new(&file, msg).line(first).value(head.trim()));
    }
    Some(d)
}

fn add_pair(
    d: &mut Dataset,
    pair: &PairLine,
    images: &Path,
    origin: &Origin,
    table: Option<&SubjectTable>,
    problems: &mut Problems,
) {
    let mut samples = Vec::with_capacity(2);
    for (image, column) in [(&pair.first, "n1"), (&pair.second, "n2")] {
        let subject = d.subject(&image.name, origin.clone());
        if let Some(t) = table
            && d.subjects[subject as usize].codes.is_empty()
        {
            match t.rows.get(&image.name) {
                Some((codes, line)) => {
                    // Label problems found later (a group of one) point at the table row.
                    d.subjects[subject as usize].codes = codes.clone();
                    d.subjects[subject as usize].origin = Origin::at(&t.file, *line);
                }
                None => {
                    let msg = format!("person not in the subjects table {}", t.file);
                    problems.push(origin.problem(msg).column("name").value(image.name.as_str()));
                    // Marked so that the person is reported once.
                    d.subjects[subject as usize].codes = vec![String::from("?"); t.labels.len()];
                }
            }
        }
        let id = image.path();
        let media = super::image(images, &id, origin, column, problems);
        samples.push(media.and_then(|m| d.sample(&id, subject, m, origin, problems)));
    }
    if let [Some(p), Some(r)] = samples[..] {
        d.pair(PROTOCOL, p, r, origin.clone(), problems);
    }
}
