//! End-to-end tests of the `frte` adapter (docs/adapters.md, "frte") with a null FRTE
//! 1:1 implementation of verity's own (tests/fixtures/frte/null_impl.cpp), built here
//! with g++: deterministic templates, and a crash, an abort, a hang, a C++ exception and
//! a declared failure planted on chosen images.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::frte::{build_library, face_text, image_benchmark, read_only, worker};
use common::null_face::{capture_of, null_similarity, null_template};
use common::{failure_counts, planted_failure_counts, rate, s, simulate_small, text, tree, verity, write};
use harness::vendor::{FailureCode, Role, Template, Vendor};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ACTIONS: [&str; 5] = ["crash", "abort", "hang", "throw", "no-face"];

/// Plant one fault of each kind on a chosen sample: writes the read-only config folder
/// and returns each planted sample with its action.
fn plant(dir: &Path, bench: &harness::model::benchmark::Benchmark) -> (PathBuf, BTreeMap<u32, &'static str>) {
    let mut planted = BTreeMap::new();
    let mut samples: Vec<u32> = Vec::new();
    for (s, _) in harness::run::plan::templates_needed(&bench.protocols) {
        if !samples.contains(&s) {
            samples.push(s);
        }
    }
    let mut conf = String::new();
    for (k, action) in ACTIONS.iter().enumerate() {
        let s = samples[10 + 37 * k];
        let face = face_text(&bench.samples.media[s as usize].bytes().unwrap());
        conf.push_str(&format!("{action} {}\n", capture_of(&face)));
        planted.insert(s, *action);
    }
    let config = dir.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("null.conf"), conf).unwrap();
    read_only(&config);
    (config, planted)
}

fn vendor_toml(dir: &Path, library: &Path, config: &Path, extra: &str) -> PathBuf {
    write(
        dir,
        "null.toml",
        &format!(
            "kind = \"frte\"\nlibrary = {:?}\nconfig_dir = {:?}\napi = \"1:1\"\nscore_max = 1.0\n\
             timeout_ms = 500\nprocesses = 2\nmax_failure_share = 0.2\nstderr_log = \"null.stderr.log\"\n{extra}\
             [[thresholds]]\nlabel = \"null 0.75\"\nvalue = 0.75\n",
            s(library),
            s(config)
        ),
    )
}

#[test]
fn frte_library_faults_cost_one_template_each_and_templates_are_the_librarys() {
    let dir = tempfile::tempdir().unwrap();
    let Some(library) = build_library(dir.path(), "null_impl.cpp", "libfrvt_11_null_001.so", &[]) else { return };
    let bench_dir = image_benchmark(dir.path());
    let bench = datasets::load(&bench_dir).unwrap();
    let (config, planted) = plant(dir.path(), &bench);
    let toml = vendor_toml(dir.path(), &library, &config, "");
    let vendor = vendors::FrteVendor::with_worker(&std::fs::read_to_string(&toml).unwrap(), &toml, worker()).unwrap();
    let d = vendor.describe();
    assert_eq!((d.name.as_str(), d.version.as_str()), ("null", "001"));

    let run = harness::run::runner::run_vendor(&bench, &vendor, &harness::run::progress::Silent);
    assert_eq!(vendor.fatal(), None);
    let needed = harness::run::plan::templates_needed(&bench.protocols);
    let expected: BTreeMap<(u32, Role), &str> =
        needed.iter().filter_map(|(s, role)| planted.get(s).map(|a| ((*s, *role), *a))).collect();
    let found: BTreeMap<(u32, Role), (FailureCode, String)> =
        run.failures.iter().map(|f| ((f.sample, f.role), (f.failure.code, f.failure.message.clone()))).collect();
    assert_eq!(found.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (key, action) in &expected {
        let (code, message) = &found[key];
        let (want_code, want_text) = match *action {
            "crash" => (FailureCode::VendorError, "crashed in createTemplate (killed by signal 11 (SIGSEGV)"),
            "abort" => (FailureCode::VendorError, "crashed in createTemplate (killed by signal 6 (SIGABRT)"),
            "hang" => (FailureCode::VendorError, "did not return from createTemplate within 500 ms"),
            "throw" => (FailureCode::VendorError, "createTemplate threw a C++ exception: planted exception"),
            _ => {
                (FailureCode::FaceDetectionError, "createTemplate returned FaceDetectionError: planted: no face found")
            }
        };
        assert_eq!(*code, want_code, "{action}: {message}");
        assert!(message.contains(want_text), "{action}: {message}");
    }
    assert_eq!(run.outcomes.failed.iter().filter(|f| !**f).count(), needed.len() - expected.len());

    // The templates and scores are the library's, bit for bit.
    let clean: Vec<u32> = needed.iter().map(|(s, _)| *s).filter(|s| !planted.contains_key(s)).take(6).collect();
    let mut templates = Vec::new();
    for s in &clean {
        let media = bench.samples.media[*s as usize].bytes().unwrap();
        let t = vendor.create_template(&media, Role::Enrol).unwrap();
        assert_eq!(t.0, null_template(&face_text(&media)), "sample {s}");
        templates.push(t);
    }
    for a in &templates {
        for b in &templates {
            assert_eq!(vendor.compare(a, b).unwrap(), null_similarity(&a.0, &b.0));
        }
    }
    // A template that is not the library's: matchTemplates' VerifTemplateError, kept as it said.
    let failure = vendor.compare(&Template(vec![1, 2, 3]), &templates[0]).unwrap_err();
    assert_eq!(failure.code, FailureCode::TemplateFormatError);
    assert!(failure.message.contains("matchTemplates returned VerifTemplateError: not a null template"), "{failure:?}");
    // Media that is not an image is a parse error, decided before the library sees it.
    let failure = vendor.create_template(b"face/v1 identity=00", Role::Verify).unwrap_err();
    assert_eq!(failure.code, FailureCode::ParseError);
    drop(vendor);
    let log = std::fs::read_to_string(dir.path().join("null.stderr.log")).unwrap();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn frte_vendor_runs_the_benchmark_end_to_end_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let Some(library) = build_library(dir.path(), "null_impl.cpp", "libfrvt_11_null_001.so", &[]) else { return };
    let bench_dir = image_benchmark(dir.path());
    let bench = datasets::load(&bench_dir).unwrap();
    let (config, planted) = plant(dir.path(), &bench);
    let toml = vendor_toml(dir.path(), &library, &config, "image_label = \"mugshot\"\n");
    let out = dir.path().join("out");
    let args = ["run", s(&bench_dir), "--vendor", s(&toml), "--out", s(&out), "--no-cache"];
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    let first = std::fs::read(out.join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let v = &results["vendors"][0];
    assert_eq!(v["vendor"]["name"], "null");
    let needed = harness::run::plan::templates_needed(&bench.protocols);
    // Failures are counted by role and code, exactly those planted.
    let code = |action: &str| Some(if action == "no-face" { "face-detection-error" } else { "vendor-error" });
    assert_eq!(failure_counts(v), planted_failure_counts(&needed, &planted, code), "{}", v["failures"]);
    // Captures of one face score about 0.9, of two faces about 0.5: at 0.75 few errors.
    let overall = |metric: &str| {
        rate(&out, &format!("null,verification,verification,{metric},,,0.75,declared:null 0.75,all,all,"))
    };
    assert!(overall("fnmr") < 0.05, "FNMR {}", overall("fnmr"));
    assert!(overall("fmr") < 0.01, "FMR {}", overall("fmr"));
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(first, std::fs::read(out.join("results.json")).unwrap(), "results.json differs between runs");
}

#[test]
fn a_library_or_config_folder_frte_cannot_use_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(good) = build_library(d, "null_impl.cpp", "libfrvt_11_null_001.so", &[]) else { return };
    let no_factory = build_library(d, "null_impl.cpp", "libfrvt_11_nofactory_1.so", &["-DNULL_NO_FACTORY"]).unwrap();
    let old_api = build_library(d, "null_impl.cpp", "libfrvt_11_old_1.so", &["-DNULL_API_MAJOR=3"]).unwrap();
    let no_version = build_library(d, "null_impl.cpp", "libfrvt_11_nover_1.so", &["-DNULL_NO_VERSION"]).unwrap();
    let not_a_library = write(d, "libfrvt_11_text_1.so", "not an ELF file\n");
    let bench = simulate_small(d);
    let config = d.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("null.conf"), "").unwrap();
    read_only(&config);
    let writable = d.join("writable");
    std::fs::create_dir_all(&writable).unwrap();
    std::fs::write(writable.join("null.conf"), "").unwrap();
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    read_only(&empty);

    let cases: Vec<(PathBuf, PathBuf, &str, &str, &str)> = vec![
        (no_factory, config.clone(), "", "library", "does not export FRVT_11::Interface::getImplementation()"),
        (old_api, config.clone(), "", "library", "was built for FRTE 1:1 API 3.0"),
        (no_version, config.clone(), "", "library", "does not export FRVT_11::API_MAJOR_VERSION"),
        (not_a_library, config.clone(), "", "library", "cannot load"),
        (d.join("libfrvt_11_absent_1.so"), config.clone(), "", "library", "no library file"),
        (good.clone(), writable.clone(), "", "config_dir", "is writable"),
        (good.clone(), d.join("absent"), "", "config_dir", "no folder"),
        (good.clone(), empty, "", "config_dir", "initialize(\""),
        (good.clone(), config.clone(), "api = \"1:N\"\n", "library", "not a library built for the FRTE 1:N API"),
        (good.clone(), config.clone(), "api = \"N:N\"\n", "api", "unknown api `N:N`"),
    ];
    for (library, config_dir, extra, key, message) in cases {
        let body = format!(
            "kind = \"frte\"\nlibrary = {:?}\nconfig_dir = {:?}\n{}score_max = 1.0\n",
            s(&library),
            s(&config_dir),
            if extra.is_empty() { "api = \"1:1\"\n" } else { extra }
        );
        let toml = write(d, "bad.toml", &body);
        let out = d.join("out");
        let before = tree(&out);
        let o = verity(&["run", s(&bench), "--vendor", s(&toml), "--out", s(&out), "--no-cache"]);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(2), "{key}/{message}: {all}");
        assert!(all.contains("bad.toml") && all.contains(&format!("key `{key}`")), "{key}: {all}");
        assert!(all.contains(message), "{message}: {all}");
        assert_eq!(tree(&out), before, "{key}/{message}: something was written");
    }
}
