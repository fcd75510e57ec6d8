//! A folder per subject: `SRC/SUBJECT/IMAGE`. The folder name is the subject id, every
//! file in it (hidden files aside) one sample; files directly in SRC are ignored, so a
//! subjects table may sit there. A folder in a subject folder is a video:
//! `SRC/SUBJECT/VIDEO/TRACK/FRAME`, each track folder one appearance of the subject, each
//! frame a sample with the capture columns `video`, `track` (`VIDEO/SUBJECT/TRACK`) and
//! `frame_time` = the frame's number (the digits ending its file stem, as ffmpeg writes
//! `%06d.png`) / `--fps` (docs/benchmark-format.md, "Video"). Attributes come from `--subjects` (first column the
//! subject id) with `--provenance` for each and an optional `--vocabulary`.
//!
//! The layout has no protocol. `--pairs all` adds a verification protocol of every
//! unordered pair of samples (quadratic: for small sets); otherwise build one with
//! `verity protocol`.

use super::labels::{Declared, SubjectTable};
use super::{Dataset, ImportOptions, Layout, Origin, PairRule};
use crate::error::{Problem, Problems};
use std::path::Path;

pub(super) const PROTOCOL: &str = "all-pairs";

fn sorted_entries(dir: &Path, problems: &mut Problems) -> Vec<(String, bool)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem::new(dir.display().to_string(), format!("cannot read the folder: {e}")));
            return Vec::new();
        }
    };
    let mut out: Vec<(String, bool)> = entries
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().is_dir()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

pub(super) fn read(src: &Path, options: &ImportOptions, problems: &mut Problems) -> Option<Dataset> {
    if !src.is_dir() {
        problems.push(Problem::new(src.display().to_string(), "folder not found (expected SRC/SUBJECT/IMAGE)"));
        return None;
    }
    let declared = Declared::read(options, problems);
    let table = options.subjects.as_ref().and_then(|p| SubjectTable::read(p, &declared, problems));
    if options.subjects.is_none() && declared.attributes().next().is_some() {
        problems.push(Problem::new("--provenance", "given without --subjects, which holds the attributes"));
    }
    let mut d = Dataset::new(Layout::Folder, true);
    if let Some(t) = &table {
        d.labels = t.labels.clone();
    }
    for (subject_id, is_dir) in sorted_entries(src, problems) {
        if !is_dir {
            continue;
        }
        let folder = src.join(&subject_id);
        let origin = Origin::file(&folder.display().to_string());
        let subject = d.subject(&subject_id, origin.clone());
        if let Some(t) = &table {
            match t.rows.get(&subject_id) {
                Some((codes, line)) => {
                    d.subjects[subject as usize].codes = codes.clone();
                    d.subjects[subject as usize].origin = Origin::at(&t.file, *line);
                }
                None => {
                    let msg = format!("subject folder has no row in the subjects table {}", t.file);
                    problems.push(origin.problem(msg).value(subject_id.as_str()));
                }
            }
        }
        let mut images = 0;
        for (name, nested) in sorted_entries(&folder, problems) {
            let path = folder.join(&name);
            if nested {
                images += video(src, &path, (&subject_id, subject), &name, options.fps, &mut d, problems);
                continue;
            }
            images += 1;
            // A link (the file, or the subject folder it is in) must stay inside SRC.
            if let Some(media) = super::listed_file(src, &path, problems) {
                d.sample(&format!("{subject_id}/{name}"), subject, media, &origin, problems);
            }
        }
        if images == 0 {
            problems.push(origin.problem("subject folder holds no images or frames").value(subject_id.as_str()));
        }
    }
    if options.pairs == PairRule::All {
        let n = d.samples.len() as u32;
        for p in 0..n {
            for r in p + 1..n {
                d.pair(PROTOCOL, p, r, Origin::file("--pairs all"), problems);
            }
        }
    }
    Some(d)
}

/// The frames of `SRC/SUBJECT/VIDEO/TRACK/FRAME` under one video folder; their count.
fn video(
    src: &Path,
    folder: &Path,
    (subject_id, subject): (&str, u32),
    video: &str,
    fps: Option<f64>,
    d: &mut Dataset,
    problems: &mut Problems,
) -> usize {
    let Some(fps) = fps.filter(|f| f.is_finite() && *f > 0.0) else {
        let msg = "a folder in a subject folder is a video (SRC/SUBJECT/VIDEO/TRACK/FRAME); give its frame rate \
                   with --fps (a number > 0)";
        problems.push(Problem::new(folder.display().to_string(), msg));
        return 0;
    };
    let mut frames = 0;
    for (track, is_dir) in sorted_entries(folder, problems) {
        let track_folder = folder.join(&track);
        if !is_dir {
            let msg = "a file in a video folder; frames go in a folder per track (SRC/SUBJECT/VIDEO/TRACK/FRAME)";
            problems.push(Problem::new(track_folder.display().to_string(), msg));
            continue;
        }
        let origin = Origin::file(&track_folder.display().to_string());
        let id = format!("{video}/{subject_id}/{track}");
        // Frames in the order of their numbers (`frame9` before `frame10`).
        let mut numbered = Vec::new();
        for (name, nested) in sorted_entries(&track_folder, problems) {
            let path = track_folder.join(&name);
            if nested {
                problems.push(Problem::new(path.display().to_string(), "folder inside a track folder"));
                continue;
            }
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
            let digits = &stem[stem.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
            match digits.parse::<u64>() {
                Ok(number) => numbered.push((number, name, path)),
                Err(_) => {
                    let msg = "a frame's file name ends in its frame number (as ffmpeg's %06d.png)";
                    problems.push(Problem::new(path.display().to_string(), msg).value(name.as_str()));
                }
            }
        }
        numbered.sort();
        let in_track = numbered.len();
        for (number, name, path) in numbered {
            if let Some(media) = super::listed_file(src, &path, problems) {
                let sample =
                    d.sample(&format!("{subject_id}/{video}/{track}/{name}"), subject, media, &origin, problems);
                if let Some(sample) = sample {
                    d.set_capture(sample, "video", video);
                    d.set_capture(sample, "track", &id);
                    d.set_capture(sample, "frame_time", &(number as f64 / fps).to_string());
                }
            }
        }
        if in_track == 0 {
            problems.push(origin.problem("track folder holds no frames").value(track.as_str()));
        }
        frames += in_track;
    }
    frames
}
