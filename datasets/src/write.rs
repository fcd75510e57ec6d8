//! Writing a [`Benchmark`] as a benchmark folder that [`crate::load`] reads back equal.
//!
//! The folder is built beside its destination and renamed into place, and is loaded
//! back before the rename, so a reader never sees a half-written or invalid benchmark.

use crate::error::DatasetError;
use crate::load::{INLINE_PREFIX, load};
use crate::manifest::{MANIFEST, is_relative_inside};
use harness::model::benchmark::{Benchmark, MediaSource, Protocol, SearchProtocol};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// First line of every manifest verity writes. Only a folder whose manifest starts with
/// it may be overwritten: anything else may be someone's only copy of their data.
pub const WRITTEN_BY_VERITY: &str =
    "# Written by verity (datasets::write_benchmark); verity may overwrite this folder.";

/// What a benchmark folder records beyond the engine's [`Benchmark`]; importers fill it
/// (`docs/benchmark-format.md`, `docs/import.md`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteOptions {
    pub description: String,
    /// The public dataset or layout the benchmark was imported from (`source`).
    pub source: Option<String>,
    /// `identities = false`: every sample is its own subject; no identity protocol.
    pub no_identities: bool,
    /// `labels = "none"`: the source has no demographic labels (no attributes).
    pub no_labels: bool,
    /// Per attribute: free text saying exactly where its labels came from (`detail`).
    pub detail: BTreeMap<String, String>,
    /// Per attribute: code -> category name (`[vocabulary.X]`). The subjects table then
    /// holds the codes, and the loader puts the names in their place.
    pub vocabulary: BTreeMap<String, Vec<(String, String)>>,
    /// Further files written into the folder with the benchmark (relative path, bytes),
    /// such as score files; not part of the content hash.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Write `bench` to `dir` in the benchmark format (CSV tables). `dir` must not exist,
/// be empty, or hold a benchmark written by verity (which is replaced). Media files are
/// copied to `media/`; inline media must be UTF-8 text.
pub fn write_benchmark(bench: &Benchmark, description: &str, dir: &Path) -> Result<(), DatasetError> {
    let options = WriteOptions { description: description.to_string(), ..WriteOptions::default() };
    write_benchmark_with(bench, &options, dir)
}

/// [`write_benchmark`] with everything else the manifest can record.
pub fn write_benchmark_with(bench: &Benchmark, options: &WriteOptions, dir: &Path) -> Result<(), DatasetError> {
    check_representable(bench)?;
    check_options(bench, options)?;
    let replace = match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(DatasetError::Io { path: dir.to_path_buf(), source: e }),
        Ok(true) => false,
        Ok(false) => {
            let head = std::fs::read_to_string(dir.join(MANIFEST)).unwrap_or_default();
            if !head.starts_with(WRITTEN_BY_VERITY) {
                return Err(DatasetError::Exists(dir.to_path_buf()));
            }
            true
        }
    };
    let name = dir
        .file_name()
        .ok_or_else(|| DatasetError::Unrepresentable(format!("{} has no folder name", dir.display())))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(DatasetError::io(&parent))?;
    let sibling = |what: &str| parent.join(format!(".{}.{what}-{}", name.to_string_lossy(), std::process::id()));
    let tmp = sibling("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(DatasetError::io(&tmp))?;
    }
    let built = build(bench, options, &tmp).and_then(|()| load(&tmp).map(|_| ()).map_err(DatasetError::Invalid));
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if replace {
        let old = sibling("old");
        std::fs::rename(dir, &old).map_err(DatasetError::io(dir))?;
        if let Err(e) = std::fs::rename(&tmp, dir) {
            let _ = std::fs::rename(&old, dir);
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(DatasetError::Io { path: dir.to_path_buf(), source: e });
        }
        std::fs::remove_dir_all(&old).map_err(DatasetError::io(&old))?;
    } else {
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(DatasetError::io(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(DatasetError::io(dir))?;
    }
    Ok(())
}

/// Refuse what `load` would give back differently, before anything is written.
fn check_representable(bench: &Benchmark) -> Result<(), DatasetError> {
    let bad = |m: String| Err(DatasetError::Unrepresentable(m));
    let embeddings = bench.samples.media.iter().filter(|m| matches!(m, MediaSource::Embedding(_))).count();
    if embeddings != 0 && embeddings != bench.samples.media.len() {
        return bad("a samples table holds either embedded templates or media, not both".into());
    }
    for (id, media) in bench.samples.ids.iter().zip(&bench.samples.media) {
        if let MediaSource::Inline(bytes) = media
            && std::str::from_utf8(bytes).is_err()
        {
            return bad(format!("sample {id}: inline media is not UTF-8 text"));
        }
    }
    for a in &bench.population.attributes {
        if !bench.population.provenance.contains_key(a) {
            return bad(format!("attribute {a} has no label provenance"));
        }
    }
    for p in &bench.protocols {
        let (Protocol::Identification(s) | Protocol::Watchlist(s)) = p else { continue };
        let n = distinct_subjects(bench, s);
        let whole = match p {
            Protocol::Watchlist(_) => s.gallery_sizes == [n],
            _ => s.gallery_sizes.last() == Some(&n),
        };
        if !whole {
            return bad(format!("protocol {}: the last gallery size must be the whole gallery ({n} subjects)", s.name));
        }
    }
    Ok(())
}

/// Names the written folder uses itself; capture columns and extra files must not clash.
const SAMPLE_COLUMNS: [&str; 4] = ["sample_id", "subject_id", "media", "template"];
const OWN_PATHS: [&str; 5] = [MANIFEST, "subjects.csv", "samples.csv", "protocols", "media"];

fn check_options(bench: &Benchmark, options: &WriteOptions) -> Result<(), DatasetError> {
    let bad = |m: String| Err(DatasetError::Unrepresentable(m));
    let mut names = HashSet::new();
    for c in &bench.samples.capture {
        if c.name.trim().is_empty() || SAMPLE_COLUMNS.contains(&c.name.as_str()) || !names.insert(c.name.as_str()) {
            return bad(format!("capture column name `{}` is empty, repeated or reserved", c.name));
        }
        if c.values.len() != bench.samples.len() {
            let (n, m) = (c.values.len(), bench.samples.len());
            return bad(format!("capture column `{}` has {n} values for {m} samples", c.name));
        }
    }
    for a in options.detail.keys().chain(options.vocabulary.keys()) {
        if !bench.population.attributes.contains(a) {
            return bad(format!("label detail or vocabulary given for `{a}`, which is not an attribute"));
        }
    }
    if options.no_labels && !bench.population.attributes.is_empty() {
        return bad("labels = \"none\" with attributes declared".into());
    }
    if options.no_identities && !bench.protocols.is_empty() {
        return bad("a benchmark without identities cannot hold protocols".into());
    }
    for (path, _) in &options.files {
        let top = path.split('/').next().unwrap_or_default();
        if !is_relative_inside(path) || OWN_PATHS.contains(&top) {
            return bad(format!("extra file `{path}` must be a relative path outside the benchmark's own files"));
        }
    }
    Ok(())
}

fn distinct_subjects(bench: &Benchmark, s: &SearchProtocol) -> usize {
    s.gallery.iter().filter_map(|&i| bench.samples.subject.get(i as usize)).collect::<HashSet<_>>().len()
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_key(s: &str) -> String {
    let bare = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { s.to_string() } else { toml_string(s) }
}

/// A protocol name made safe for a file name.
fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

struct Out<'a> {
    dir: &'a Path,
}

impl Out<'_> {
    fn csv(&self, file: &str, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<(), DatasetError> {
        let path = self.dir.join(file);
        let csv_err = |source| DatasetError::Csv { path: path.clone(), source };
        let mut w = csv::Writer::from_path(&path).map_err(csv_err)?;
        w.write_record(header).map_err(csv_err)?;
        for row in rows {
            w.write_record(&row).map_err(csv_err)?;
        }
        w.flush().map_err(DatasetError::io(&path))
    }
}

fn build(bench: &Benchmark, options: &WriteOptions, dir: &Path) -> Result<(), DatasetError> {
    std::fs::create_dir_all(dir.join("protocols")).map_err(DatasetError::io(dir))?;
    let out = Out { dir };
    let pop = &bench.population;
    let mut header = vec!["subject_id"];
    header.extend(pop.attributes.iter().map(String::as_str));
    out.csv(
        "subjects.csv",
        &header,
        pop.subjects.iter().map(|s| std::iter::once(s.id.clone()).chain(s.attributes.iter().cloned()).collect()),
    )?;
    let templates = bench.samples.media.iter().any(|m| matches!(m, MediaSource::Embedding(_)));
    let mut media_text = Vec::with_capacity(bench.samples.len());
    for (i, media) in bench.samples.media.iter().enumerate() {
        media_text.push(match media {
            MediaSource::Embedding(v) => v.iter().map(f32::to_string).collect::<Vec<_>>().join(" "),
            MediaSource::Inline(bytes) => format!("{INLINE_PREFIX}{}", String::from_utf8_lossy(bytes)),
            MediaSource::File(confined) => {
                let path = confined.path();
                let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
                let rel = format!("media/{i:06}{ext}");
                std::fs::create_dir_all(dir.join("media")).map_err(DatasetError::io(dir))?;
                let bytes = confined.read().map_err(DatasetError::io(path))?;
                std::fs::write(dir.join(&rel), bytes).map_err(DatasetError::io(dir.join(&rel)))?;
                rel
            }
        });
    }
    let subject_id = |s: u32| pop.subjects.get(s as usize).map_or_else(String::new, |s| s.id.clone());
    let rows = bench.samples.ids.iter().zip(&bench.samples.subject).zip(media_text).enumerate();
    let media_column = if templates { "template" } else { "media" };
    let mut header = vec!["sample_id", "subject_id", media_column];
    header.extend(bench.samples.capture.iter().map(|c| c.name.as_str()));
    out.csv(
        "samples.csv",
        &header,
        rows.map(|(i, ((id, &s), m))| {
            let capture = bench.samples.capture.iter().map(|c| c.values.get(i).cloned().unwrap_or_default());
            [id.clone(), subject_id(s), m].into_iter().chain(capture).collect()
        }),
    )?;
    for (path, bytes) in &options.files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(DatasetError::io(parent))?;
        }
        std::fs::write(&target, bytes).map_err(DatasetError::io(&target))?;
    }

    let mut toml = format!("{WRITTEN_BY_VERITY}\n\n[benchmark]\n");
    let _ = writeln!(toml, "name = {}", toml_string(&bench.name));
    let _ = writeln!(toml, "version = {}", toml_string(&bench.version));
    let _ = writeln!(toml, "licence = {}", toml_string(&bench.licence));
    let _ = writeln!(toml, "description = {}", toml_string(&options.description));
    if let Some(source) = &options.source {
        let _ = writeln!(toml, "source = {}", toml_string(source));
    }
    if options.no_identities {
        toml.push_str("identities = false\n");
    }
    if options.no_labels {
        toml.push_str("labels = \"none\"\n");
    }
    toml.push_str("\n[tables]\nsubjects = \"subjects.csv\"\nsamples = \"samples.csv\"\n");
    if pop.attributes.is_empty() {
        toml.push_str("\n[attributes]\n");
    }
    for a in &pop.attributes {
        let provenance = pop.provenance.get(a).map_or("", String::as_str);
        let _ = write!(toml, "\n[attributes.{}]\nprovenance = {}\n", toml_key(a), toml_string(provenance));
        if let Some(detail) = options.detail.get(a) {
            let _ = writeln!(toml, "detail = {}", toml_string(detail));
        }
    }
    for (a, codes) in &options.vocabulary {
        let _ = write!(toml, "\n[vocabulary.{}]\n", toml_key(a));
        for (code, name) in codes {
            let _ = writeln!(toml, "{} = {}", toml_key(code), toml_string(name));
        }
    }
    let sample_id = |i: &u32| bench.samples.ids.get(*i as usize).cloned().unwrap_or_default();
    let one_column = |file: &str, list: &[u32]| out.csv(file, &["sample_id"], list.iter().map(|i| vec![sample_id(i)]));
    for (n, p) in bench.protocols.iter().enumerate() {
        let base = format!("protocols/{:02}-{}", n + 1, slug(p.name()));
        let _ = write!(toml, "\n[[protocols]]\nname = {}\nkind = \"{}\"\n", toml_string(p.name()), p.kind().name());
        match p {
            Protocol::Verification(v) => {
                let file = format!("{base}-pairs.csv");
                let rows = v.probe.iter().zip(&v.reference).map(|(a, b)| vec![sample_id(a), sample_id(b)]);
                out.csv(&file, &["probe_sample", "reference_sample"], rows)?;
                let _ = writeln!(toml, "pairs = {}", toml_string(&file));
            }
            Protocol::Identification(s) | Protocol::Watchlist(s) => {
                let keys = if matches!(p, Protocol::Watchlist(_)) {
                    ["watchlist", "passes", "crowd"]
                } else {
                    ["gallery", "mated", "non_mated"]
                };
                for (key, list) in keys.iter().zip([&s.gallery, &s.mated, &s.non_mated]) {
                    let file = format!("{base}-{}.csv", key.replace('_', "-"));
                    one_column(&file, list)?;
                    let _ = writeln!(toml, "{key} = {}", toml_string(&file));
                }
                let _ = writeln!(toml, "candidates = {}", s.candidates);
                if matches!(p, Protocol::Identification(_)) {
                    let sizes: Vec<String> = s.gallery_sizes.iter().map(usize::to_string).collect();
                    let _ = writeln!(toml, "gallery_sizes = [{}]", sizes.join(", "));
                }
            }
        }
    }
    let path = dir.join(MANIFEST);
    std::fs::write(&path, toml).map_err(DatasetError::io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    fn without_hash(mut b: Benchmark) -> Benchmark {
        b.content_hash.clear();
        b
    }

    #[test]
    fn round_trip_with_embeddings() {
        let original = load(Fixture::tiny().dir()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("copy");
        write_benchmark(&original, "a copy", &dir).unwrap();
        assert_eq!(without_hash(load(&dir).unwrap()), without_hash(original));
        let names: Vec<_> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["copy"], "no temporary folder left behind");
    }

    #[test]
    fn round_trip_with_awkward_inline_text_and_names() {
        let mut b = load(Fixture::tiny().dir()).unwrap();
        let texts = ["face, with comma", "two\nlines", "quote \"q\"", "ünïcode", "x", "", "  padded ", "inline:nested"];
        b.samples.media = texts.iter().map(|t| MediaSource::Inline(t.as_bytes().to_vec())).collect();
        b.name = "tiny \"quoted\"".into();
        b.population.subjects[0].id = "a,1".into();
        if let Protocol::Verification(v) = &mut b.protocols[0] {
            v.name = "1:1 / all".into();
        }
        let out = tempfile::tempdir().unwrap();
        write_benchmark(&b, "multi\nline", &out.path().join("b")).unwrap();
        assert_eq!(without_hash(load(&out.path().join("b")).unwrap()), without_hash(b));
    }

    #[test]
    fn media_files_are_copied() {
        let f = Fixture::tiny();
        std::fs::write(f.dir().join("face.png"), b"png bytes").unwrap();
        let mut b = load(f.dir()).unwrap();
        let face = storage::confine::Confined::new(f.dir()).unwrap().resolve(std::path::Path::new("face.png")).unwrap();
        b.samples.media = vec![MediaSource::File(face); 8];
        let out = tempfile::tempdir().unwrap();
        write_benchmark(&b, "", &out.path().join("b")).unwrap();
        let back = load(&out.path().join("b")).unwrap();
        assert_eq!(back.samples.media[7].bytes().unwrap().as_ref(), b"png bytes");
    }

    #[test]
    fn refuses_foreign_folders_and_replaces_its_own() {
        let b = load(Fixture::tiny().dir()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("b");
        std::fs::create_dir(&dir).unwrap();
        write_benchmark(&b, "into an empty folder", &dir).unwrap();
        write_benchmark(&b, "again", &dir).unwrap();
        let foreign = Fixture::tiny();
        let e = write_benchmark(&b, "", foreign.dir()).unwrap_err();
        assert!(matches!(e, DatasetError::Exists(_)), "{e}");
        assert!(foreign.read(MANIFEST).starts_with("[benchmark]"), "untouched");
    }

    #[test]
    fn round_trip_with_capture_columns_vocabulary_and_extra_files() {
        use harness::model::benchmark::CaptureColumn;
        let mut b = load(Fixture::tiny().dir()).unwrap();
        b.samples.capture = vec![
            CaptureColumn { name: "camera".into(), values: (0..8).map(|i| format!("cam{}", i % 2)).collect() },
            CaptureColumn { name: "lmk_x1".into(), values: vec![String::new(); 8] },
        ];
        for s in &mut b.population.subjects {
            s.attributes[1] = if s.attributes[1] == "x" { "1".into() } else { "2".into() };
        }
        let options = WriteOptions {
            description: "with extras".into(),
            source: Some("a test".into()),
            detail: BTreeMap::from([("sex".to_string(), "asked at enrolment".to_string())]),
            vocabulary: BTreeMap::from([(
                "ethnicity".to_string(),
                vec![("1".to_string(), "group x".to_string()), ("2".to_string(), "group y".to_string())],
            )]),
            files: vec![("scores/a.csv".into(), b"x,y\n".to_vec())],
            ..WriteOptions::default()
        };
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("b");
        write_benchmark_with(&b, &options, &dir).unwrap();
        let back = load(&dir).unwrap();
        assert_eq!(back.samples.capture, b.samples.capture);
        assert_eq!(back.population.subjects[0].attributes[1], "group x");
        assert_eq!(std::fs::read(dir.join("scores/a.csv")).unwrap(), b"x,y\n");
        let manifest = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
        assert!(manifest.contains("source = \"a test\"\n"), "{manifest}");
        assert!(manifest.contains("detail = \"asked at enrolment\"\n"), "{manifest}");
        assert!(manifest.contains("[vocabulary.ethnicity]\n1 = \"group x\"\n2 = \"group y\"\n"), "{manifest}");
    }

    #[test]
    fn refuses_extras_that_would_not_load_back() {
        use harness::model::benchmark::CaptureColumn;
        let good = load(Fixture::tiny().dir()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("b");
        let refused = |b: &Benchmark, o: &WriteOptions| {
            matches!(write_benchmark_with(b, o, &dir), Err(DatasetError::Unrepresentable(_)))
        };
        let mut b = good.clone();
        b.samples.capture = vec![CaptureColumn { name: "media".into(), values: vec![String::new(); 8] }];
        assert!(refused(&b, &WriteOptions::default()));
        b.samples.capture = vec![CaptureColumn { name: "camera".into(), values: vec![String::new(); 7] }];
        assert!(refused(&b, &WriteOptions::default()));
        assert!(refused(&good, &WriteOptions { no_identities: true, ..WriteOptions::default() }));
        assert!(refused(&good, &WriteOptions { no_labels: true, ..WriteOptions::default() }));
        let files = vec![("samples.csv".to_string(), Vec::new())];
        assert!(refused(&good, &WriteOptions { files, ..WriteOptions::default() }));
        assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing left behind");
    }

    #[test]
    fn refuses_what_would_not_load_back() {
        let good = load(Fixture::tiny().dir()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("b");
        let mut b = good.clone();
        b.samples.media[0] = MediaSource::Inline(vec![0xff]);
        assert!(matches!(write_benchmark(&b, "", &dir), Err(DatasetError::Unrepresentable(_))));
        let mut b = good.clone();
        b.samples.media[0] = MediaSource::Inline(b"x".to_vec());
        assert!(matches!(write_benchmark(&b, "", &dir), Err(DatasetError::Unrepresentable(_))));
        let mut b = good.clone();
        b.population.subjects[0].attributes[0] = String::new();
        let e = write_benchmark(&b, "", &dir).unwrap_err();
        assert!(e.to_string().contains("empty attribute value"), "{e}");
        let mut b = good;
        b.samples.media[0] = MediaSource::Embedding(vec![f32::NAN, 0.0, 0.0]);
        assert!(matches!(write_benchmark(&b, "", &dir), Err(DatasetError::Invalid(_))));
        assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing left behind");
    }
}
