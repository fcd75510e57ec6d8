//! Blinding (docs/design.md, "Vendors"): a vendor sees media bytes, a role and opaque handles
//! (its own template bytes), never a subject id, a sample id, a file name or a
//! demographic label. A recording vendor keeps everything the runner gives it and the
//! test searches all of it for every identifying string of the benchmark.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::model::benchmark::*;
use harness::model::population::{Population, Subject};
use harness::run::cache::{DirStore, TemplateStore};
use harness::run::progress::Silent;
use harness::run::runner::{run_vendor, run_vendor_with};
use harness::vendor::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use std::sync::Mutex;

/// Everything the vendor was handed.
#[derive(Default)]
struct Seen {
    media: Vec<(Vec<u8>, Role)>,
    compared: Vec<Vec<u8>>,
    made: Vec<Vec<u8>>,
}

/// Opaque templates: `T` and the SHA-256 of the media, so the runner must call
/// `compare` and hand the templates back.
struct Recorder {
    seen: Mutex<Seen>,
}

impl Vendor for Recorder {
    fn describe(&self) -> VendorDescription {
        VendorDescription {
            name: "recorder".into(),
            version: "1".into(),
            score_min: 0.0,
            score_max: 1.0,
            score_meaning: "similarity".into(),
            thresholds: vec![],
            template: TemplateFormat::Opaque,
        }
    }
    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        let mut t = b"T".to_vec();
        t.extend(Sha256::digest(media));
        let mut seen = self.seen.lock().unwrap();
        seen.media.push((media.to_vec(), role));
        seen.made.push(t.clone());
        Ok(Template(t))
    }
    fn compare(&self, a: &Template, b: &Template) -> Result<f64, TemplateFailure> {
        let mut seen = self.seen.lock().unwrap();
        seen.compared.push(a.0.clone());
        seen.compared.push(b.0.clone());
        Ok(f64::from(a.0[1] ^ b.0[1]) / 255.0)
    }
    fn fingerprint(&self) -> String {
        "recorder/1".into()
    }
}

const SEXES: [&str; 2] = ["female", "male"];
const ETHNICITIES: [&str; 3] = ["black", "white", "asian"];

/// 12 subjects with 3 photos each, stored as files whose names carry the subject and
/// sample ids (as many real collections name them); labels and a capture column that
/// no vendor may see.
fn benchmark(dir: &std::path::Path) -> Benchmark {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let subjects: Vec<Subject> = (0..12)
        .map(|i| Subject {
            id: format!("person-{i:04}"),
            attributes: vec![SEXES[i % 2].into(), ETHNICITIES[i % 3].into()],
        })
        .collect();
    let (mut ids, mut subject, mut media, mut camera) = (vec![], vec![], vec![], vec![]);
    for (s, subj) in subjects.iter().enumerate() {
        for k in 0..3 {
            let id = format!("{}-photo{k}", subj.id);
            let path = dir.join(format!("{id}_{}_{}.jpg", subj.attributes[0], subj.attributes[1]));
            // Random bytes: a stand-in for pixels, with nothing of the id in them.
            let bytes: Vec<u8> = (0..256).map(|_| rng.random::<u8>()).collect();
            std::fs::write(&path, &bytes).unwrap();
            ids.push(id);
            subject.push(s as u32);
            let folder = storage::confine::Confined::new(dir).unwrap();
            media.push(MediaSource::File(folder.check(&path).unwrap()));
            camera.push(format!("camera-north-{k}"));
        }
    }
    Benchmark {
        name: "blinding".into(),
        version: "1".into(),
        licence: "CC0".into(),
        content_hash: "0".into(),
        population: Population {
            attributes: vec!["sex".into(), "ethnicity".into()],
            subjects,
            provenance: Default::default(),
        },
        samples: Samples {
            ids,
            subject,
            media,
            capture: vec![CaptureColumn { name: "camera".into(), values: camera }],
        },
        protocols: vec![
            Protocol::Verification(VerificationProtocol {
                name: "verification".into(),
                probe: (0..12).map(|s| s * 3 + 1).chain((0..11).map(|s| s * 3 + 1)).collect(),
                reference: (0..12).map(|s| s * 3).chain((0..11).map(|s| s * 3 + 3)).collect(),
            }),
            Protocol::Identification(SearchProtocol {
                name: "identification".into(),
                gallery: (0..8).map(|s| s * 3).collect(),
                mated: (0..8).map(|s| s * 3 + 2).collect(),
                non_mated: (8..12).map(|s| s * 3 + 2).collect(),
                candidates: 3,
                gallery_sizes: vec![4, 8],
            }),
        ],
    }
}

/// A folder removed when dropped (the engine has no tempfile dependency).
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("verity-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every string a vendor must not learn: subject ids, sample ids, file names (whole and
/// their stem), folder, labels, attribute names, capture values.
fn secrets(bench: &Benchmark) -> Vec<String> {
    let mut out: Vec<String> = bench.population.subjects.iter().map(|s| s.id.clone()).collect();
    out.extend(bench.samples.ids.iter().cloned());
    for m in &bench.samples.media {
        if let MediaSource::File(p) = m {
            let p = p.path();
            out.push(p.display().to_string());
            out.push(p.file_name().unwrap().to_string_lossy().into_owned());
            out.push(p.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    out.extend(SEXES.iter().chain(&ETHNICITIES).map(|s| s.to_string()));
    out.extend(bench.population.attributes.iter().cloned());
    out.extend(bench.samples.capture[0].values.iter().cloned());
    out.sort();
    out.dedup();
    out
}

fn check(bench: &Benchmark, seen: &Seen) {
    let secrets = secrets(bench);
    assert!(secrets.len() > 12 * 3 * 3, "{} secrets", secrets.len());
    // The vendor got exactly the files' bytes: nothing added, nothing wrapped.
    let files: Vec<Vec<u8>> = bench.samples.media.iter().map(|m| m.bytes().unwrap().into_owned()).collect();
    assert_eq!(seen.media.len(), harness::run::plan::templates_needed(&bench.protocols).len());
    for (bytes, _) in &seen.media {
        assert!(files.contains(bytes), "media the benchmark does not hold was given to the vendor");
    }
    for secret in &secrets {
        for (bytes, _) in &seen.media {
            assert!(!contains(bytes, secret.as_bytes()), "media bytes contain `{secret}`");
        }
        for t in &seen.compared {
            assert!(!contains(t, secret.as_bytes()), "a compared handle contains `{secret}`");
        }
    }
    // Handles are opaque: every template handed to `compare` is byte for byte one the
    // vendor itself made.
    assert!(!seen.compared.is_empty());
    for t in &seen.compared {
        assert!(seen.made.contains(t), "compare got a handle the vendor never made: {t:?}");
    }
    // Roles follow the plan only: probes verify, references and galleries enrol, searches search.
    let roles: std::collections::BTreeSet<Role> = seen.media.iter().map(|m| m.1).collect();
    assert_eq!(roles.into_iter().collect::<Vec<_>>(), vec![Role::Enrol, Role::Verify, Role::Search]);
}

#[test]
fn vendor_sees_no_id_file_name_or_label() {
    let dir = TempDir::new("blinding");
    let bench = benchmark(dir.path());
    let vendor = Recorder { seen: Mutex::new(Seen::default()) };
    let run = run_vendor(&bench, &vendor, &Silent);
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    let seen = vendor.seen.into_inner().unwrap();
    check(&bench, &seen);
    // 23 pairs compared once each; 12 searches against up to 8 enrolled subjects.
    assert_eq!(seen.compared.len(), 2 * (23 + 12 * 8));
}

#[test]
fn cached_templates_are_handed_back_unchanged() {
    // Templates that come back from the cache are the vendor's own bytes too: the cache
    // adds no metadata to the handles.
    let dir = TempDir::new("blinding-cache");
    let bench = benchmark(dir.path());
    let store = DirStore::open(&dir.path().join("cache"), "recorder/1").unwrap();
    let first = Recorder { seen: Mutex::new(Seen::default()) };
    run_vendor_with(&bench, &first, &Silent, Some(&store as &dyn TemplateStore)).unwrap();
    let made = first.seen.into_inner().unwrap().made;
    let second = Recorder { seen: Mutex::new(Seen::default()) };
    let run = run_vendor_with(&bench, &second, &Silent, Some(&store as &dyn TemplateStore)).unwrap();
    assert_eq!(run.cache.made, 0);
    let seen = second.seen.into_inner().unwrap();
    assert!(seen.media.is_empty(), "a finished template was made again");
    for t in &seen.compared {
        assert!(made.contains(t));
    }
    // ... and the trials are those of a run without a cache.
    let plain = run_vendor(&bench, &Recorder { seen: Mutex::new(Seen::default()) }, &Silent);
    assert_eq!(run.protocols, plain.protocols);
    assert_eq!(run.outcomes, plain.outcomes);
    assert_eq!(run.template_bytes, plain.template_bytes);
    assert_eq!(run.cache.from_cache, run.template_bytes.len() as u64);
}

/// Records the landmarks the runner hands over with each media.
struct LandmarkRecorder {
    seen: Mutex<Vec<(Vec<u8>, Option<Landmarks>)>>,
}

impl Vendor for LandmarkRecorder {
    fn describe(&self) -> VendorDescription {
        Recorder { seen: Mutex::new(Seen::default()) }.describe()
    }
    fn create_template(&self, _media: &[u8], _role: Role) -> Result<Template, TemplateFailure> {
        unreachable!("the runner calls create_template_with_landmarks")
    }
    fn create_template_with_landmarks(
        &self,
        media: &[u8],
        _role: Role,
        landmarks: Option<&Landmarks>,
    ) -> Result<Template, TemplateFailure> {
        self.seen.lock().unwrap().push((media.to_vec(), landmarks.copied()));
        let mut t = b"T".to_vec();
        t.extend(Sha256::digest(media));
        Ok(Template(t))
    }
    fn compare(&self, a: &Template, b: &Template) -> Result<f64, TemplateFailure> {
        Ok(f64::from(a.0[1] ^ b.0[1]) / 255.0)
    }
    fn fingerprint(&self) -> String {
        "landmarks/1".into()
    }
}

#[test]
fn landmarks_recorded_with_a_sample_reach_the_vendor_with_its_media() {
    let dir = TempDir::new("blinding-landmarks");
    let mut bench = benchmark(dir.path());
    let n = bench.samples.len();
    // Landmarks for every sample but the first of each subject (left empty: unknown).
    for i in 1..=5 {
        for (axis, offset) in [("x", 0.0), ("y", 100.0)] {
            let values = (0..n)
                .map(|s| if s % 3 == 0 { String::new() } else { format!("{}", s as f64 + offset + i as f64 / 10.0) })
                .collect();
            bench.samples.capture.push(CaptureColumn { name: format!("lmk_{axis}{i}"), values });
        }
    }
    let vendor = LandmarkRecorder { seen: Mutex::new(Vec::new()) };
    let run = run_vendor(&bench, &vendor, &Silent);
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    let seen = vendor.seen.into_inner().unwrap();
    assert!(!seen.is_empty());
    for s in 0..n {
        let media = bench.samples.media[s].bytes().unwrap().into_owned();
        let expected = (s % 3 != 0).then(|| {
            Landmarks(std::array::from_fn(|i| {
                [s as f64 + (i + 1) as f64 / 10.0, s as f64 + 100.0 + (i + 1) as f64 / 10.0]
            }))
        });
        assert_eq!(bench.samples.landmarks(s as u32), expected);
        for (m, l) in seen.iter().filter(|(m, _)| *m == media) {
            assert_eq!(m, &media);
            assert_eq!(*l, expected, "sample {s}");
        }
    }
}
