//! Importers: public face-dataset layouts turned into verity benchmark folders
//! (`docs/import.md`).
//!
//! Each layout module reads its source files into a [`Dataset`]: subjects with their
//! label codes, samples with their media files and capture attributes, and the layout's
//! verification pairs if it has any. Everything that is wrong with the source is
//! collected as [`Problem`]s naming the source file, line, column and value; nothing is
//! written unless there are none. [`Dataset::write`] then writes the benchmark through
//! [`crate::write_benchmark_with`] (a staging folder beside the destination, loaded back
//! before it is renamed into place), with the label provenance and the vocabulary of
//! every attribute in the manifest: the subjects table keeps the dataset's own codes, and
//! the loader maps them to category names.

mod bfw;
mod bob;
mod fairface;
mod folder;
mod labels;
mod lfw;
mod pairs;
mod rfw;
mod summary;
mod utkface;

use crate::error::{DatasetError, Problem, Problems};
use crate::write::{WriteOptions, write_benchmark_with};
use harness::model::benchmark::{Benchmark, CaptureColumn, MediaSource, Protocol, Samples, VerificationProtocol};
use harness::model::population::{Population, Subject};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use storage::confine::{ConfineError, Confined, ConfinedPath};

pub use summary::{GroupCount, Summary};

/// The source layouts `verity import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `SRC/SUBJECT/IMAGE`, with an optional subjects table of attributes.
    Folder,
    /// LFW `pairs.txt` and its `NAME/NAME_0001.jpg` images.
    Lfw,
    /// RFW `txts/<Race>/<Race>_{pairs,images,lmk}.txt` and `data/<Race>/...` images.
    Rfw,
    /// BFW's data table (pairs, attributes, published scores per model).
    Bfw,
    /// UTKFace `age_gender_race_datetime.jpg` file names: attributes only.
    Utkface,
    /// FairFace label tables (`file, age, gender, race`): attributes only.
    Fairface,
    /// Idiap bob CSV protocol folders (`for_enrolling.csv`, `for_probing.csv`, ...).
    Bob,
}

impl Layout {
    /// The name used on the command line and in `docs/import.md`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Folder => "folder",
            Layout::Lfw => "lfw",
            Layout::Rfw => "rfw",
            Layout::Bfw => "bfw",
            Layout::Utkface => "utkface",
            Layout::Fairface => "fairface",
            Layout::Bob => "bob",
        }
    }

    /// The name of the dataset or format, as messages and the manifest's `source` give it.
    pub fn source_name(self) -> &'static str {
        match self {
            Layout::Folder => "a folder per subject",
            Layout::Lfw => "LFW",
            Layout::Rfw => "RFW",
            Layout::Bfw => "BFW",
            Layout::Utkface => "UTKFace",
            Layout::Fairface => "FairFace",
            Layout::Bob => "a bob CSV protocol",
        }
    }
}

/// The folder-layout rule for verification pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PairRule {
    /// No protocol: add one later with `verity protocol`.
    #[default]
    None,
    /// Every unordered pair of samples, once (quadratic: for small sets).
    All,
}

/// What the command line passes to an importer. Each layout uses the options that apply
/// to it and refuses the others (so that a misplaced option is not silently ignored).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Folder the layout's image paths are relative to (lfw, rfw, bfw, fairface, bob).
    pub images: Option<PathBuf>,
    /// A subjects table of attributes: first column the subject id (folder, lfw).
    pub subjects: Option<PathBuf>,
    /// `ATTRIBUTE=PROVENANCE`, one per attribute of a user-supplied table (folder, lfw, bob).
    pub provenance: Vec<String>,
    /// A TOML file of `[vocabulary.ATTRIBUTE]` tables for user-supplied codes.
    pub vocabulary: Option<PathBuf>,
    /// Verification pairs for the folder layout.
    pub pairs: PairRule,
    /// bob: the group folder (`dev` or `eval`).
    pub group: Option<String>,
    /// bob: appended to every path (bob lists paths without their extension).
    pub extension: Option<String>,
    /// folder: frames per second of the videos whose frames sit in
    /// `SRC/SUBJECT/VIDEO/TRACK/` (a frame's time is its number / fps).
    pub fps: Option<f64>,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The source is malformed: every problem found, each with its file and line.
    #[error("{0}")]
    Input(Problems),
    /// The benchmark could not be written.
    #[error("{0}")]
    Write(#[from] DatasetError),
}

impl ImportError {
    /// Whether the fault is in what the user gave (exit status 2) rather than in writing.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, ImportError::Input(_) | ImportError::Write(DatasetError::Exists(_)))
    }
}

/// Where a record came from in the source, for problems found after reading.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Origin {
    pub file: String,
    pub line: Option<u64>,
}

impl Origin {
    pub(crate) fn at(file: &str, line: u64) -> Self {
        Origin { file: file.to_string(), line: Some(line) }
    }
    pub(crate) fn file(file: &str) -> Self {
        Origin { file: file.to_string(), line: None }
    }
    pub(crate) fn problem(&self, message: impl Into<String>) -> Problem {
        let p = Problem::new(&self.file, message);
        match self.line {
            Some(line) => p.line(line),
            None => p,
        }
    }
}

/// A demographic attribute as an importer declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub name: String,
    /// One of [`crate::PROVENANCES`].
    pub provenance: String,
    /// Exactly where the labels came from, in words.
    pub detail: Option<String>,
    /// The dataset's codes and the category names they stand for; empty when the
    /// dataset writes category names itself.
    pub vocabulary: Vec<(String, String)>,
}

impl Label {
    fn category<'a>(&'a self, code: &'a str) -> &'a str {
        self.vocabulary.iter().find(|(c, _)| c == code).map_or(code, |(_, name)| name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubjectRecord {
    pub id: String,
    /// Codes, in the order of [`Dataset::labels`]; empty until labelled.
    pub codes: Vec<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SampleRecord {
    pub id: String,
    pub subject: u32,
    pub media: ConfinedPath,
    /// Values in the order of [`Dataset::capture`]; empty when not known.
    pub capture: Vec<String>,
}

/// A dataset read from its source layout, checked, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub layout: Layout,
    /// `false` for attribute-only datasets: each image is its own subject.
    pub identities: bool,
    pub labels: Vec<Label>,
    pub(crate) subjects: Vec<SubjectRecord>,
    pub(crate) samples: Vec<SampleRecord>,
    /// Names of the capture columns.
    pub capture: Vec<String>,
    /// The verification protocol's name and its (probe, reference) sample pairs.
    pub(crate) pairs: Option<(String, Vec<(u32, u32)>)>,
    /// Further files written with the benchmark (score files).
    pub(crate) files: Vec<(String, Vec<u8>)>,
    subject_index: HashMap<String, u32>,
    sample_index: HashMap<String, u32>,
    pair_lines: HashMap<(u32, u32), Origin>,
}

/// Read `src` in `layout`, checking everything; nothing is written.
pub fn read(layout: Layout, src: &Path, options: &ImportOptions) -> Result<Dataset, ImportError> {
    let mut problems = Problems::default();
    refuse_unused_options(layout, options, &mut problems);
    if !problems.is_empty() {
        return Err(ImportError::Input(problems));
    }
    let dataset = match layout {
        Layout::Folder => folder::read(src, options, &mut problems),
        Layout::Lfw => lfw::read(src, options, &mut problems),
        Layout::Rfw => rfw::read(src, options, &mut problems),
        Layout::Bfw => bfw::read(src, options, &mut problems),
        Layout::Utkface => utkface::read(src, options, &mut problems),
        Layout::Fairface => fairface::read(src, options, &mut problems),
        Layout::Bob => bob::read(src, options, &mut problems),
    };
    match dataset {
        Some(d) if problems.is_empty() => {
            d.check(&mut problems);
            if problems.is_empty() { Ok(d) } else { Err(ImportError::Input(problems)) }
        }
        _ => {
            if problems.is_empty() {
                problems.push(Problem::new(src.display().to_string(), "nothing could be read"));
            }
            Err(ImportError::Input(problems))
        }
    }
}

fn refuse_unused_options(layout: Layout, o: &ImportOptions, problems: &mut Problems) {
    use Layout::*;
    let uses = |option: &str| -> bool {
        match option {
            "--images" => matches!(layout, Lfw | Rfw | Bfw | Fairface | Bob),
            "--subjects" => matches!(layout, Folder | Lfw),
            "--provenance" | "--vocabulary" => matches!(layout, Folder | Lfw | Bob),
            "--pairs" | "--fps" => layout == Folder,
            "--group" | "--extension" => layout == Bob,
            _ => true,
        }
    };
    let given = [
        ("--images", o.images.is_some()),
        ("--subjects", o.subjects.is_some()),
        ("--provenance", !o.provenance.is_empty()),
        ("--vocabulary", o.vocabulary.is_some()),
        ("--pairs", o.pairs != PairRule::None),
        ("--group", o.group.is_some()),
        ("--extension", o.extension.is_some()),
        ("--fps", o.fps.is_some()),
    ];
    for (option, is_given) in given {
        if is_given && !uses(option) {
            problems.push(Problem::new(option, format!("does not apply to the {} layout", layout.name())));
        }
    }
}

impl Dataset {
    pub(crate) fn new(layout: Layout, identities: bool) -> Self {
        Dataset {
            layout,
            identities,
            labels: Vec::new(),
            subjects: Vec::new(),
            samples: Vec::new(),
            capture: Vec::new(),
            pairs: None,
            files: Vec::new(),
            subject_index: HashMap::new(),
            sample_index: HashMap::new(),
            pair_lines: HashMap::new(),
        }
    }

    pub fn subjects(&self) -> usize {
        self.subjects.len()
    }

    pub fn samples(&self) -> usize {
        self.samples.len()
    }

    /// The subject with this id, added (unlabelled) if new.
    pub(crate) fn subject(&mut self, id: &str, origin: Origin) -> u32 {
        if let Some(&i) = self.subject_index.get(id) {
            return i;
        }
        let i = self.subjects.len() as u32;
        self.subjects.push(SubjectRecord { id: id.to_string(), codes: Vec::new(), origin });
        self.subject_index.insert(id.to_string(), i);
        i
    }

    pub(crate) fn subject_id(&self, subject: u32) -> &str {
        self.subjects.get(subject as usize).map_or("", |s| s.id.as_str())
    }

    /// The sample with this id, added if new. A sample id seen before with another
    /// subject is a problem at `origin`.
    pub(crate) fn sample(
        &mut self,
        id: &str,
        subject: u32,
        media: ConfinedPath,
        origin: &Origin,
        problems: &mut Problems,
    ) -> Option<u32> {
        if let Some(&i) = self.sample_index.get(id) {
            let known = self.samples[i as usize].subject;
            if known != subject {
                let msg = format!(
                    "image belongs to subject `{}` here but to `{}` elsewhere",
                    self.subject_id(subject),
                    self.subject_id(known)
                );
                problems.push(origin.problem(msg).value(id));
                return None;
            }
            return Some(i);
        }
        let i = self.samples.len() as u32;
        let capture = vec![String::new(); self.capture.len()];
        self.samples.push(SampleRecord { id: id.to_string(), subject, media, capture });
        self.sample_index.insert(id.to_string(), i);
        Some(i)
    }

    /// Set a capture value of a sample, adding the column if new.
    pub(crate) fn set_capture(&mut self, sample: u32, column: &str, value: &str) {
        let c = match self.capture.iter().position(|c| c == column) {
            Some(c) => c,
            None => {
                self.capture.push(column.to_string());
                for s in &mut self.samples {
                    s.capture.push(String::new());
                }
                self.capture.len() - 1
            }
        };
        if let Some(s) = self.samples.get_mut(sample as usize) {
            s.capture[c] = value.to_string();
        }
    }

    /// Add a (probe, reference) pair to the protocol `name`, refusing self-pairs and
    /// repeats (a repeated trial would be counted twice).
    pub(crate) fn pair(&mut self, name: &str, probe: u32, reference: u32, origin: Origin, problems: &mut Problems) {
        let ids = |d: &Dataset, s: u32| d.samples.get(s as usize).map_or(String::new(), |s| s.id.clone());
        if probe == reference {
            problems.push(origin.problem("pair compares an image with itself").value(ids(self, probe)));
            return;
        }
        if let Some(first) = self.pair_lines.get(&(probe, reference)) {
            let at = first.line.map_or_else(|| first.file.clone(), |l| format!("line {l}"));
            let shown = format!("{} {}", ids(self, probe), ids(self, reference));
            problems.push(origin.problem(format!("duplicate pair (first at {at})")).value(shown));
            return;
        }
        self.pair_lines.insert((probe, reference), origin);
        let list = self.pairs.get_or_insert_with(|| (name.to_string(), Vec::new()));
        list.1.push((probe, reference));
    }

    /// Rules the loader would apply, checked here so that problems name the source.
    fn check(&self, problems: &mut Problems) {
        if self.samples.is_empty() {
            problems.push(Problem::new(self.layout.source_name(), "no images found: nothing to import"));
            return;
        }
        if self.pairs.as_ref().is_some_and(|p| p.1.is_empty()) {
            problems.push(Problem::new(self.layout.source_name(), "no pairs found"));
        }
        for (a, label) in self.labels.iter().enumerate() {
            let mut members: BTreeMap<&str, Vec<&SubjectRecord>> = BTreeMap::new();
            for s in &self.subjects {
                match s.codes.get(a) {
                    Some(code) if !code.is_empty() => members.entry(label.category(code)).or_default().push(s),
                    _ => {
                        let msg = format!("subject `{}` has no `{}` label", s.id, label.name);
                        problems.push(s.origin.problem(msg).column(label.name.as_str()));
                    }
                }
            }
            for (group, subjects) in members {
                if let [only] = subjects.as_slice() {
                    let msg = format!(
                        "single-member group `{group}`: a group needs at least two subjects (subject `{}`)",
                        only.id
                    );
                    let code = only.codes.get(a).cloned().unwrap_or_default();
                    problems.push(only.origin.problem(msg).column(label.name.as_str()).value(code));
                }
            }
        }
    }

    /// The engine's benchmark and the manifest's extras, as they will be written.
    fn benchmark(&self, naming: &Naming) -> (Benchmark, WriteOptions) {
        let population = Population {
            attributes: self.labels.iter().map(|l| l.name.clone()).collect(),
            subjects: self.subjects.iter().map(|s| Subject { id: s.id.clone(), attributes: s.codes.clone() }).collect(),
            provenance: self.labels.iter().map(|l| (l.name.clone(), l.provenance.clone())).collect(),
        };
        let samples = Samples {
            ids: self.samples.iter().map(|s| s.id.clone()).collect(),
            subject: self.samples.iter().map(|s| s.subject).collect(),
            media: self.samples.iter().map(|s| MediaSource::File(s.media.clone())).collect(),
            capture: self
                .capture
                .iter()
                .enumerate()
                .map(|(c, name)| CaptureColumn {
                    name: name.clone(),
                    values: self.samples.iter().map(|s| s.capture[c].clone()).collect(),
                })
                .collect(),
        };
        let protocols = self
            .pairs
            .iter()
            .map(|(name, pairs)| {
                Protocol::Verification(VerificationProtocol {
                    name: name.clone(),
                    probe: pairs.iter().map(|p| p.0).collect(),
                    reference: pairs.iter().map(|p| p.1).collect(),
                })
            })
            .collect();
        let bench = Benchmark {
            name: naming.name.clone(),
            version: naming.version.clone(),
            licence: naming.licence.clone(),
            content_hash: String::new(),
            population,
            samples,
            protocols,
        };
        let options = WriteOptions {
            description: naming.description.clone(),
            source: Some(self.layout.source_name().to_string()),
            no_identities: !self.identities,
            no_labels: self.labels.is_empty(),
            detail: self.labels.iter().filter_map(|l| Some((l.name.clone(), l.detail.clone()?))).collect(),
            vocabulary: self
                .labels
                .iter()
                .filter(|l| !l.vocabulary.is_empty())
                .map(|l| (l.name.clone(), l.vocabulary.clone()))
                .collect(),
            files: self.files.clone(),
        };
        (bench, options)
    }

    /// Write the benchmark folder `dir` (see [`crate::write_benchmark`] for which folders
    /// may be replaced). Nothing is left behind on failure.
    pub fn write(&self, dir: &Path, naming: &Naming) -> Result<Summary, ImportError> {
        let (bench, options) = self.benchmark(naming);
        write_benchmark_with(&bench, &options, dir)?;
        Ok(self.summary())
    }
}

/// The manifest's `[benchmark]` texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Naming {
    pub name: String,
    pub version: String,
    pub licence: String,
    pub description: String,
}

/// A source text file, or a problem naming it.
pub(crate) fn read_text(path: &Path, problems: &mut Problems) -> Option<String> {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                problems.push(Problem::new(file, "text is not valid UTF-8").line(line));
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push(Problem::new(file, "file not found"));
            None
        }
        Err(e) => {
            problems.push(Problem::new(file, format!("cannot read: {e}")));
            None
        }
    }
}

/// An image file that must exist inside `root` (links followed, `storage::confine`);
/// the problem names where it was listed.
pub(crate) fn image(
    root: &Path,
    relative: &str,
    origin: &Origin,
    column: &str,
    problems: &mut Problems,
) -> Option<ConfinedPath> {
    let found = crate::manifest::is_relative_inside(relative)
        .then(|| Confined::new(root).ok())
        .flatten()
        .map(|c| c.resolve(Path::new(relative)));
    match found {
        Some(Ok(path)) if path.path().is_file() => Some(path),
        Some(Err(ConfineError::Outside { target, .. })) => {
            let msg = format!("image file is a link to {}, outside {}", target.display(), root.display());
            problems.push(origin.problem(msg).column(column).value(relative));
            None
        }
        _ => {
            let msg = format!("image file not found under {}", root.display());
            problems.push(origin.problem(msg).column(column).value(relative));
            None
        }
    }
}

/// A file found by listing a folder of the source: it must resolve inside `root`
/// (a link out of the source is a problem naming the link and its target).
pub(crate) fn listed_file(root: &Path, path: &Path, problems: &mut Problems) -> Option<ConfinedPath> {
    let confined = match Confined::new(root) {
        Ok(c) => c,
        Err(e) => {
            problems.push(Problem::new(root.display().to_string(), format!("cannot read the folder: {e}")));
            return None;
        }
    };
    match confined.check(path) {
        Ok(p) => Some(p),
        Err(ConfineError::Outside { target, .. }) => {
            let msg = format!("is a link to {}, outside the import source {}", target.display(), root.display());
            problems.push(Problem::new(path.display().to_string(), msg));
            None
        }
        Err(e) => {
            problems.push(Problem::new(path.display().to_string(), format!("cannot read: {e}")));
            None
        }
    }
}

/// A table (CSV or Parquet) of the source, named in problems by its path.
pub(crate) fn read_table(path: &Path, problems: &mut Problems) -> Option<crate::table::Table> {
    if !path.is_file() {
        problems.push(Problem::new(path.display().to_string(), "file not found"));
        return None;
    }
    crate::table::read(Path::new(""), &path.to_string_lossy(), problems)
}

/// A name made safe for a file name.
pub(crate) fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' }).collect()
}

/// Folder of `path`, or `.` for a bare file name.
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests;
