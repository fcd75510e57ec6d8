//! The runner on a toy vendor: templates, failures, panics, comparisons, nested searches.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::model::benchmark::*;
use harness::model::population::{Population, Subject};
use harness::run::plan::trial_list;
use harness::run::progress::Silent;
use harness::run::runner::{ProtocolTrials, run_vendor};
use harness::vendor::*;

/// Media is text: "x y" -> a 2-d embedding; "panic" panics; "fail" fails to extract;
/// "short" returns a template of the wrong length.
struct Toy {
    opaque: bool,
}

impl Vendor for Toy {
    fn describe(&self) -> VendorDescription {
        VendorDescription {
            name: "toy".into(),
            version: "1".into(),
            score_min: -1.0,
            score_max: 1.0,
            score_meaning: "cosine".into(),
            thresholds: vec![],
            template: if self.opaque { TemplateFormat::Opaque } else { TemplateFormat::Embedding { dim: 2 } },
        }
    }
    fn create_template(&self, media: &[u8], _role: Role) -> Result<Template, TemplateFailure> {
        let text = std::str::from_utf8(media).unwrap();
        match text {
            "panic" => panic!("toy vendor crashed"),
            "fail" => Err(TemplateFailure { code: FailureCode::FeatureExtractionError, message: "no face".into() }),
            "short" => Ok(Template(vec![1, 2, 3])),
            _ => {
                let v: Vec<f32> = text.split(' ').map(|x| x.parse().unwrap()).collect();
                Ok(Template::from_embedding(&v))
            }
        }
    }
    fn compare(&self, a: &Template, b: &Template) -> Result<f64, TemplateFailure> {
        let (a, b) = (a.embedding(2)?, b.embedding(2)?);
        Ok(cosine(&a, &b))
    }
    fn fingerprint(&self) -> String {
        "toy".into()
    }
}

fn bench() -> Benchmark {
    let subjects: Vec<Subject> = (0..4)
        .map(|i| Subject { id: format!("s{i}"), attributes: vec![if i < 2 { "F" } else { "M" }.into()] })
        .collect();
    // samples: (subject, media)
    let samples = [
        (0, "1 0"),
        (0, "0.9 0.1"), // s0
        (1, "0 1"),
        (1, "panic"), // s1: second capture crashes the vendor
        (2, "1 1"),
        (2, "fail"), // s2: second capture fails
        (3, "-1 0"),
        (3, "-1 0.1"), // s3, never enrolled
    ];
    Benchmark {
        name: "toy".into(),
        version: "1".into(),
        licence: "CC0".into(),
        content_hash: "0".into(),
        population: Population { attributes: vec!["sex".into()], subjects, provenance: Default::default() },
        samples: Samples {
            ids: (0..samples.len()).map(|i| format!("x{i}")).collect(),
            subject: samples.iter().map(|s| s.0).collect(),
            media: samples.iter().map(|s| MediaSource::Inline(s.1.as_bytes().to_vec())).collect(),
            capture: Vec::new(),
        },
        protocols: vec![
            Protocol::Verification(VerificationProtocol {
                name: "v".into(),
                probe: vec![1, 3, 5, 1],
                reference: vec![0, 2, 4, 2],
            }),
            Protocol::Identification(SearchProtocol {
                name: "i".into(),
                gallery: vec![0, 2, 4],
                mated: vec![1, 3, 5],
                non_mated: vec![6, 7],
                candidates: 2,
                gallery_sizes: vec![1, 3],
            }),
        ],
    }
}

fn check(opaque: bool) {
    check_run(&run_vendor(&bench(), &Toy { opaque }, &Silent));
}

fn check_run(run: &harness::run::runner::VendorRun) {
    // Every failure is counted with its reason; the panic cost one template.
    let mut reasons: Vec<(u32, FailureCode)> = run.failures.iter().map(|f| (f.sample, f.failure.code)).collect();
    reasons.sort();
    assert_eq!(
        reasons,
        vec![
            (3, FailureCode::VendorError),
            (3, FailureCode::VendorError),
            (5, FailureCode::FeatureExtractionError),
            (5, FailureCode::FeatureExtractionError)
        ]
    );
    assert!(run.failures.iter().any(|f| f.failure.message.contains("toy vendor crashed")));
    let ProtocolTrials::Verification(v) = &run.protocols[0] else { panic!() };
    assert_eq!(v.failed, vec![false, true, true, false]);
    assert!((v.score[0] - cosine(&[0.9, 0.1], &[1.0, 0.0])).abs() < 1e-6);
    assert_eq!(v.score[1], f64::NEG_INFINITY);
    assert!((v.score[3] - cosine(&[0.9, 0.1], &[0.0, 1.0])).abs() < 1e-6);

    let ProtocolTrials::Search(s) = &run.protocols[1] else { panic!() };
    assert_eq!(s.len(), 2);
    // Gallery size 1 holds s0 only: mated searches of s1 and s2 are left out.
    assert_eq!(s[0].gallery_size, 1);
    assert_eq!(s[0].subject, vec![0, 3, 3]);
    assert_eq!(s[0].mated, vec![true, false, false]);
    let (cands, scores) = s[0].candidates_of(0);
    assert_eq!(cands, &[0]);
    assert!((scores[0] - cosine(&[0.9, 0.1], &[1.0, 0.0])).abs() < 1e-6);
    // Gallery size 3: all mated searches; the crashed and the failed search have no list.
    assert_eq!(s[1].subject, vec![0, 1, 2, 3, 3]);
    assert_eq!(s[1].failed, vec![false, true, true, false, false]);
    let (cands, _) = s[1].candidates_of(0);
    assert_eq!(cands, &[0, 2]); // "0.9 0.1" is nearer "1 0" than "1 1"
    assert_eq!(s[1].search, vec![0, 1, 2, 3, 4]);
    // verify: 1 3 5; enrol: 0 2 4; search: 1 3 5 6 7.
    assert_eq!(run.timing.templates, 11);
}

#[test]
fn embedding_path() {
    check(false);
}

#[test]
fn opaque_path_gives_the_same_trials() {
    check(true);
}

/// The toy vendor with a native 1:N search of its own: an exhaustive search by cosine
/// over the enrolled templates. `broken_gallery` fails to enrol galleries of that many
/// templates; a probe "-1 0.1" gets an id outside the gallery.
struct NativeToy {
    broken_gallery: Option<usize>,
    enrolled: std::sync::Mutex<Vec<usize>>,
}

struct ToyGallery(Vec<Template>);

impl Vendor for NativeToy {
    fn describe(&self) -> VendorDescription {
        Toy { opaque: true }.describe()
    }
    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        Toy { opaque: true }.create_template(media, role)
    }
    fn compare(&self, a: &Template, b: &Template) -> Result<f64, TemplateFailure> {
        Toy { opaque: true }.compare(a, b)
    }
    fn fingerprint(&self) -> String {
        "native-toy".into()
    }
    fn native_search(&self) -> Option<&dyn NativeSearch> {
        Some(self)
    }
}

impl NativeSearch for NativeToy {
    fn enrol(&self, gallery: &[&Template]) -> Result<Box<dyn EnrolledGallery + '_>, TemplateFailure> {
        self.enrolled.lock().unwrap().push(gallery.len());
        if self.broken_gallery == Some(gallery.len()) {
            return Err(TemplateFailure { code: FailureCode::VendorError, message: "finalize failed".into() });
        }
        Ok(Box::new(ToyGallery(gallery.iter().map(|t| (*t).clone()).collect())))
    }
}

impl EnrolledGallery for ToyGallery {
    fn search(&self, probe: &Template, candidates: usize) -> Result<Vec<(u32, f64)>, TemplateFailure> {
        let p = probe.embedding(2)?;
        if p == [-1.0, 0.1] {
            return Ok(vec![(99, 1.0)]);
        }
        let mut all: Vec<(u32, f64)> =
            self.0.iter().enumerate().map(|(i, t)| (i as u32, cosine(&p, &t.embedding(2).unwrap()))).collect();
        // Worst first: the runner ranks by score whatever the order.
        all.sort_by(|a, b| a.1.total_cmp(&b.1));
        Ok(all.split_off(all.len().saturating_sub(candidates)))
    }
}

#[test]
fn a_native_search_gives_the_trials_of_verity_s_own() {
    // "-1 0.1" (a non-mated search) is answered with an unknown id: that search alone
    // fails, so compare the rest with the compare path.
    let b = bench();
    let native = NativeToy { broken_gallery: None, enrolled: Default::default() };
    let ours = run_vendor(&b, &native, &Silent);
    let theirs = run_vendor(&b, &Toy { opaque: true }, &Silent);
    assert_eq!(*native.enrolled.lock().unwrap(), vec![1, 3], "one enrolment per gallery size");
    let (ProtocolTrials::Search(a), ProtocolTrials::Search(c)) = (&ours.protocols[1], &theirs.protocols[1]) else {
        panic!()
    };
    for (a, c) in a.iter().zip(c) {
        let last = a.len() - 1;
        assert!(a.failed[last] && !c.failed[last], "the garbage answer fails its search");
        for i in 0..last {
            assert_eq!(a.failed[i], c.failed[i]);
            same_list(a.candidates_of(i), c.candidates_of(i));
        }
    }
    // With every search answered, the native run passes the whole check of the runner.
    let mut b = bench();
    b.samples.media[7] = MediaSource::Inline(b"-1 0.2".to_vec());
    let run = run_vendor(&b, &NativeToy { broken_gallery: None, enrolled: Default::default() }, &Silent);
    check_run(&run);
}

#[test]
fn a_native_search_keeps_one_candidate_per_subject() {
    // s0 enrolled twice ("1 0" and "0.9 0.1"): both are nearest "1 1"'s probe, yet the
    // list holds two different subjects, as verity's own search does.
    let mut b = bench();
    let Protocol::Identification(p) = &mut b.protocols[1] else { panic!() };
    p.gallery = vec![0, 1, 2, 4];
    p.mated = vec![];
    p.non_mated = vec![6];
    p.gallery_sizes = vec![3];
    b.samples.media[6] = MediaSource::Inline(b"1 0.05".to_vec());
    b.samples.media[3] = MediaSource::Inline(b"0 1".to_vec());
    let native = NativeToy { broken_gallery: None, enrolled: Default::default() };
    let ours = run_vendor(&b, &native, &Silent);
    let theirs = run_vendor(&b, &Toy { opaque: true }, &Silent);
    assert_eq!(*native.enrolled.lock().unwrap(), vec![4]);
    let (ProtocolTrials::Search(a), ProtocolTrials::Search(c)) = (&ours.protocols[1], &theirs.protocols[1]) else {
        panic!()
    };
    assert_eq!(a[0].candidates_of(0).0, &[0, 2]);
    same_list(a[0].candidates_of(0), c[0].candidates_of(0));
}

/// The same candidates, and scores equal but for the compare path's f32 rounding of a
/// vendor's scores (the native path keeps them as the vendor gave them).
fn same_list(a: (&[u32], &[f64]), b: (&[u32], &[f64])) {
    assert_eq!(a.0, b.0);
    assert_eq!(a.1.len(), b.1.len());
    for (x, y) in a.1.iter().zip(b.1) {
        assert!((x - y).abs() < 1e-7, "{a:?} {b:?}");
    }
}

#[test]
fn a_gallery_the_vendor_cannot_enrol_fails_its_searches_only() {
    let b = bench();
    let run = run_vendor(&b, &NativeToy { broken_gallery: Some(3), enrolled: Default::default() }, &Silent);
    let ProtocolTrials::Search(s) = &run.protocols[1] else { panic!() };
    assert!(s[1].failed.iter().all(|&f| f), "gallery size 3 could not be enrolled");
    assert_eq!(s[0].failed, vec![false, false, true], "gallery size 1 was; the garbage answer fails alone");
    assert_eq!(
        run.search_faults,
        vec![
            "protocol `i`: the gallery of 3 subjects (3 templates) could not be enrolled (vendor-error: finalize \
             failed); its 5 searches count as failed"
                .to_string()
        ]
    );
}

#[test]
fn malformed_template_is_a_failure() {
    let mut b = bench();
    b.samples.media[0] = MediaSource::Inline(b"short".to_vec());
    let run = run_vendor(&b, &Toy { opaque: false }, &Silent);
    assert!(run.failures.iter().any(|f| f.sample == 0 && f.failure.code == FailureCode::TemplateFormatError));
}

#[test]
fn trial_list_hash_is_stable_and_sensitive() {
    let b = bench();
    let h = trial_list(&b, &b.protocols[0]);
    assert_eq!(h.hash, trial_list(&b, &b.protocols[0]).hash);
    assert_eq!((h.mated, h.non_mated), (3, 1));
    // The canonical text, written out here and hashed: the hash is over exactly it.
    let Protocol::Verification(v) = &b.protocols[0] else { panic!("a verification protocol") };
    let mut text = format!("verity-trials/1\nverification\n{}\n", v.name);
    for (&p, &r) in v.probe.iter().zip(&v.reference) {
        text.push_str(&format!("{}\t{}\n", b.samples.ids[p as usize], b.samples.ids[r as usize]));
    }
    use sha2::Digest;
    assert_eq!(h.hash, hex::encode(sha2::Sha256::digest(text.as_bytes())));
    let mut c = bench();
    if let Protocol::Verification(v) = &mut c.protocols[0] {
        v.reference.swap(0, 1);
    }
    assert_ne!(h.hash, trial_list(&c, &c.protocols[0]).hash);
}
