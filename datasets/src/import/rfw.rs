//! RFW (Racial Faces in-the-Wild): one subset per race, each with
//!
//! - `txts/<Race>/<Race>_pairs.txt`: pair lines in the LFW shape (no header);
//! - `txts/<Race>/<Race>_images.txt`: `IMAGE IDENTITY` per line;
//! - `txts/<Race>/<Race>_lmk.txt`: `PATH x1 y1 x2 y2 ... x5 y5` (five landmarks);
//!
//! and images `IMAGES/<Race>/<id>/<id>_%04d.jpg` (IMAGES defaulting to `SRC/data`).
//! A subject's race is the subset it is in, as the dataset's authors assigned it.
//! Landmarks become the capture columns `lmk_x1, lmk_y1, ..., lmk_x5, lmk_y5`.

use super::pairs::{self, PairImage};
use super::{Dataset, ImportOptions, Label, Layout, Origin};
use crate::error::{Problem, Problems};
use std::collections::HashMap;
use std::path::Path;

/// The four subsets of RFW.
pub(super) const RACES: [&str; 4] = ["African", "Asian", "Caucasian", "Indian"];
pub(super) const PROTOCOL: &str = "rfw-pairs";
pub(super) const DETAIL: &str = "subset of the dataset (annotated by the dataset authors)";

/// `lmk_x1, lmk_y1, ..., lmk_x5, lmk_y5`, in the order of the landmark file.
pub(super) fn landmark_columns() -> Vec<String> {
    (1..=5).flat_map(|i| [format!("lmk_x{i}"), format!("lmk_y{i}")]).collect()
}

pub(super) fn read(src: &Path, options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    let txts = src.join("txts");
    let entries = match std::fs::read_dir(&txts) {
        Ok(e) => e,
        Err(e) => {
            let msg = format!("cannot read the folder ({e}); RFW keeps its lists in txts/<Race>/");
            problems.push(Problem::new(txts.display().to_string(), msg));
            return None;
        }
    };
    let mut subsets: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    subsets.sort();
    for s in &subsets {
        if !RACES.contains(&s.as_str()) {
            let msg = format!("unknown RFW subset; expected one of: {}", RACES.join(", "));
            problems.push(Problem::new(txts.join(s).display().to_string(), msg).value(s.as_str()));
        }
    }
    if subsets.is_empty() {
        problems.push(Problem::new(txts.display().to_string(), "no subset folders (txts/<Race>/)"));
    }
    let images = options.images.clone().unwrap_or_else(|| src.join("data"));
    let mut d = Dataset::new(Layout::Rfw, true);
    d.labels = vec![Label {
        name: "race".into(),
        provenance: "annotated".into(),
        detail: Some(DETAIL.into()),
        vocabulary: RACES.iter().map(|r| (r.to_string(), r.to_string())).collect(),
    }];
    d.capture = landmark_columns();
    for race in subsets.iter().filter(|s| RACES.contains(&s.as_str())) {
        subset(&mut d, src, &txts.join(race), race, &images.join(race), problems);
    }
    Some(d)
}

/// `IMAGE IDENTITY` lines: image file name -> (identity, line).
fn listing(path: &Path, problems: &mut Problems) -> HashMap<String, (String, u64)> {
    let mut out = HashMap::new();
    let Some(text) = super::read_text(path, problems) else { return out };
    let file = path.display().to_string();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let n = i as u64 + 1;
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [image, identity] => {
                if let Some((_, first)) = out.insert(image.to_string(), (identity.to_string(), n)) {
                    let msg = format!("image listed twice (first at line {first})");
                    problems.push(Problem::new(&file, msg).line(n).column("image").value(image));
                }
            }
            _ => {
                let msg = "expected `IMAGE IDENTITY` (two fields)";
                problems.push(Problem::new(&file, msg).line(n).value(line.trim()));
            }
        }
    }
    out
}

/// Landmark lines: `identity/image` -> the ten coordinates as written.
fn landmarks(path: &Path, problems: &mut Problems) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    let Some(text) = super::read_text(path, problems) else { return out };
    let file = path.display().to_string();
    let columns = landmark_columns();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let n = i as u64 + 1;
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.len() != 11 {
            let msg =
                format!("expected an image path and 10 numbers (x, y of 5 landmarks), found {} fields", tokens.len());
            problems.push(Problem::new(&file, msg).line(n).value(line.trim()));
            continue;
        }
        let mut ok = true;
        for (token, column) in tokens[1..].iter().zip(&columns) {
            if !token.parse::<f64>().is_ok_and(f64::is_finite) {
                let msg = "landmark coordinate is not a finite number";
                problems.push(Problem::new(&file, msg).line(n).column(column.as_str()).value(*token));
                ok = false;
            }
        }
        // Paths are written from wherever the authors ran their tools: keep `id/image`.
        let parts: Vec<&str> = tokens[0].rsplit(['/', '\\']).take(2).collect();
        if ok && let [image, id] = parts[..] {
            out.insert(format!("{id}/{image}"), tokens[1..].iter().map(|t| t.to_string()).collect());
        }
    }
    out
}

fn subset(d: &mut Dataset, src: &Path, dir: &Path, race: &str, images: &Path, problems: &mut Problems) {
    // The lists are read only where they resolve inside the source (links followed).
    for name in [format!("{race}_images.txt"), format!("{race}_lmk.txt"), format!("{race}_pairs.txt")] {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok() && super::listed_file(src, &path, problems).is_none() {
            return;
        }
    }
    let listed = listing(&dir.join(format!("{race}_images.txt")), problems);
    let marks = landmarks(&dir.join(format!("{race}_lmk.txt")), problems);
    let pairs_path = dir.join(format!("{race}_pairs.txt"));
    let listing_name = format!("{race}_images.txt");
    let Some(text) = super::read_text(&pairs_path, problems) else { return };
    let file = pairs_path.display().to_string();
    let columns = landmark_columns();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let origin = Origin::at(&file, i as u64 + 1);
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if i == 0 && pairs::header(&tokens).is_some() {
            continue;
        }
        let pair = match pairs::parse(&tokens) {
            Ok(p) => p,
            Err((column, msg)) => {
                let mut p = origin.problem(msg).value(line.trim());
                p.column = column.map(str::to_string);
                problems.push(p);
                continue;
            }
        };
        let mut samples = Vec::with_capacity(2);
        for (image, column) in [(&pair.first, "n1"), (&pair.second, "n2")] {
            let sample = add_image(d, image, race, images, (&listed, &listing_name), &origin, column, problems);
            if let Some(s) = sample
                && let Some(values) = marks.get(&image.path())
            {
                for (c, v) in columns.iter().zip(values) {
                    d.set_capture(s, c, v);
                }
            }
            samples.push(sample);
        }
        if let [Some(p), Some(r)] = samples[..] {
            d.pair(PROTOCOL, p, r, origin.clone(), problems);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn add_image(
    d: &mut Dataset,
    image: &PairImage,
    race: &str,
    images: &Path,
    (listed, listing_name): (&HashMap<String, (String, u64)>, &str),
    origin: &Origin,
    column: &str,
    problems: &mut Problems,
) -> Option<u32> {
    let relative = image.path();
    let file_name = relative.rsplit('/').next().unwrap_or_default();
    match listed.get(file_name) {
        None => {
            let msg = format!("image not listed in {listing_name}");
            problems.push(origin.problem(msg).column(column).value(relative.as_str()));
        }
        Some((identity, line)) if identity != &image.name => {
            let msg = format!("{listing_name} (line {line}) gives this image the identity `{identity}`");
            problems.push(origin.problem(msg).column(column).value(relative.as_str()));
        }
        Some(_) => {}
    }
    let subject = d.subject(&image.name, origin.clone());
    let codes = &mut d.subjects[subject as usize].codes;
    if codes.is_empty() {
        codes.push(race.to_string());
    } else if codes[0] != race {
        let msg = format!("person appears in the {} and {race} subsets", codes[0]);
        problems.push(origin.problem(msg).column(column).value(image.name.as_str()));
    }
    let media = super::image(images, &relative, origin, column, problems)?;
    d.sample(&format!("{race}/{relative}"), subject, media, origin, problems)
}
