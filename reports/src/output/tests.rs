//! Tests of the whole output folder.

use super::*;
use crate::fixture;
use harness::vendor::{FailureCode, Role};
use std::fs;

fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

struct Raw {
    verification: VerificationTrials,
    searches: Vec<SearchTrials>,
    subjects: Vec<String>,
    probes: Vec<String>,
    references: Vec<String>,
    search_ids: Vec<String>,
    failures: Vec<FailureRecord>,
}

fn raw_data() -> Raw {
    let mut verification = VerificationTrials::default();
    verification.push(0, 0, Some(0.8));
    verification.push(0, 1, None);
    let mut search = SearchTrials::new(2, 1);
    search.push(0, 1, true, Some(&[(1, 0.7)]));
    Raw {
        verification,
        searches: vec![search],
        subjects: vec!["alice".into(), "bob".into()],
        probes: vec!["a1".into(), "a1".into()],
        references: vec!["a2".into(), "b1".into()],
        search_ids: vec!["b2".into()],
        failures: vec![FailureRecord {
            sample: "b9".into(),
            role: Role::Verify,
            code: FailureCode::FaceDetectionError,
            message: "no face".into(),
        }],
    }
}

#[test]
fn write_all_writes_the_documented_layout() {
    let data = raw_data();
    let protocols = [
        RawProtocolOutputs::Verification {
            protocol: "one-to-one",
            trials: &data.verification,
            probe_ids: &data.probes,
            reference_ids: &data.references,
        },
        RawProtocolOutputs::Search { protocol: "watch", searches: &data.searches, search_ids: &data.search_ids },
    ];
    let raw = [RawVendorOutputs {
        vendor: "acme",
        subject_ids: &data.subjects,
        protocols: &protocols,
        failures: &data.failures,
    }];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    write_all(&out, &fixture::results(), &raw, &[]).unwrap();
    assert_eq!(
        listing(&out),
        [
            storage::outputs::MANIFEST,
            "calibrations.csv",
            "comparisons.csv",
            "cross_group_fmr.csv",
            "eer.csv",
            "extrapolations.csv",
            "rates.csv",
            "rates.parquet",
            "raw/acme/failures.parquet",
            "raw/acme/one-to-one.scores.parquet",
            "raw/acme/watch.candidates.parquet",
            "results.json",
            "summary.md",
            "summary_measures.csv",
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], harness::model::results::RESULTS_SCHEMA_VERSION);
    assert!(fs::read_to_string(out.join("summary.md")).unwrap().contains("1 in 5,860"));

    // A second run replaces the outputs and leaves other files alone.
    fs::write(out.join("notes.txt"), "mine").unwrap();
    write_all(&out, &fixture::results(), &[], &[]).unwrap();
    let after = listing(&out);
    assert!(after.contains(&"notes.txt".to_string()));
    assert!(!after.iter().any(|f| f.starts_with("raw/")), "raw/ of the earlier run is replaced: {after:?}");
    assert!(out.join("raw").is_dir());
}

#[test]
fn failure_leaves_the_output_folder_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    write_all(&out, &fixture::results(), &[], &[]).unwrap();
    let before = listing(&out);
    let entries = fs::read_dir(&out).unwrap().count();
    let old_json = fs::read_to_string(out.join("results.json")).unwrap();

    // Raw outputs that do not match: the error comes after the tables were staged.
    let data = raw_data();
    let protocols = [RawProtocolOutputs::Verification {
        protocol: "one-to-one",
        trials: &data.verification,
        probe_ids: &data.probes[..1],
        reference_ids: &data.references,
    }];
    let raw = [RawVendorOutputs { vendor: "acme", subject_ids: &data.subjects, protocols: &protocols, failures: &[] }];
    let mut changed = fixture::results();
    changed.benchmark.name = "other".into();
    assert!(matches!(write_all(&out, &changed, &raw, &[]), Err(ReportError::LengthMismatch { .. })));
    assert_eq!(listing(&out), before);
    assert_eq!(fs::read_to_string(out.join("results.json")).unwrap(), old_json);
    assert_eq!(fs::read_dir(&out).unwrap().count(), entries, "no staging folder left");

    // Non-finite numbers are refused before anything is staged.
    let mut bad = fixture::results();
    bad.config.confidence = f64::NAN;
    assert!(matches!(write_all(&out, &bad, &[], &[]), Err(ReportError::NonFinite { .. })));
    assert_eq!(listing(&out), before);
}

#[test]
fn unsafe_or_duplicate_names_are_refused() {
    let data = raw_data();
    let dir = tempfile::tempdir().unwrap();
    for name in ["", "..", "a/b", ".hidden"] {
        let raw = [RawVendorOutputs { vendor: name, subject_ids: &data.subjects, protocols: &[], failures: &[] }];
        assert!(
            matches!(write_all(dir.path(), &fixture::results(), &raw, &[]), Err(ReportError::BadName(_))),
            "{name:?}"
        );
    }
    let protocols = [
        RawProtocolOutputs::Search { protocol: "w", searches: &data.searches, search_ids: &data.search_ids },
        RawProtocolOutputs::Search { protocol: "w", searches: &data.searches, search_ids: &data.search_ids },
    ];
    let raw = [RawVendorOutputs { vendor: "acme", subject_ids: &data.subjects, protocols: &protocols, failures: &[] }];
    assert!(matches!(write_all(dir.path(), &fixture::results(), &raw, &[]), Err(ReportError::DuplicatePath(_))));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}

/// Writes the fixture's whole output folder to `$VERITY_REPORTS_FIXTURE_OUT` for the
/// independent reader `reports/scripts/check_outputs.py` (pyarrow); does nothing
/// without the variable.
#[test]
fn write_fixture_output_for_independent_check() {
    let Some(out) = std::env::var_os("VERITY_REPORTS_FIXTURE_OUT") else {
        return;
    };
    let data = raw_data();
    let protocols = [
        RawProtocolOutputs::Verification {
            protocol: "one-to-one",
            trials: &data.verification,
            probe_ids: &data.probes,
            reference_ids: &data.references,
        },
        RawProtocolOutputs::Search { protocol: "watch", searches: &data.searches, search_ids: &data.search_ids },
    ];
    let raw = [RawVendorOutputs {
        vendor: "acme",
        subject_ids: &data.subjects,
        protocols: &protocols,
        failures: &data.failures,
    }];
    write_all(Path::new(&out), &fixture::results(), &raw, &[]).unwrap();
}
