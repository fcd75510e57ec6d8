//! End-to-end tests of the `frte` adapter with `api = "1:N"` (docs/adapters.md, "frte")
//! and a null FRTE 1:N implementation of verity's own
//! (tests/fixtures/frte/null_impl_1n.cpp), built here with g++: its searches against
//! those of the null 1:1 library (the same matcher) through verity's own search, and
//! faults planted in template creation, finalisation and search.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::frte::{build_library, face_text, image_benchmark, read_only, worker};
use common::null_face::capture_of;
use common::{s, text, tree, verity, write};
use harness::model::benchmark::Benchmark;
use harness::run::runner::{ProtocolTrials, VendorRun, run_vendor};
use harness::vendor::{Role, Vendor};
use std::path::{Path, PathBuf};

/// The image benchmark without its verification protocol: a 1:N library has no 1:1.
fn search_benchmark(dir: &Path) -> PathBuf {
    let bench = image_benchmark(dir);
    let toml = bench.join("benchmark.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let block = "[[protocols]]\nname = \"verification\"\nkind = \"verification\"\n\
                 pairs = \"protocols/01-verification-pairs.csv\"\n\n";
    assert!(text.contains(block), "{text}");
    std::fs::write(&toml, text.replace(block, "")).unwrap();
    bench
}

fn vendor_toml(dir: &Path, name: &str, library: &Path, config: &Path, api: &str) -> PathBuf {
    write(
        dir,
        name,
        &format!(
            "kind = \"frte\"\nlibrary = {:?}\nconfig_dir = {:?}\napi = \"{api}\"\nscore_max = 1.0\n\
             timeout_ms = 1000\nprocesses = 2\nmax_failure_share = 0.2\nstderr_log = \"{name}.stderr.log\"\n\
             [[thresholds]]\nlabel = \"null 0.75\"\nvalue = 0.75\n",
            s(library),
            s(config)
        ),
    )
}

fn load(toml: &Path) -> vendors::FrteVendor {
    vendors::FrteVendor::with_worker(&std::fs::read_to_string(toml).unwrap(), toml, worker()).unwrap()
}

/// The capture seed of a sample's face.
fn capture(bench: &Benchmark, sample: u32) -> String {
    capture_of(&face_text(&bench.samples.media[sample as usize].bytes().unwrap()))
}

fn searches(run: &VendorRun) -> Vec<&harness::model::trials::SearchTrials> {
    run.protocols
        .iter()
        .flat_map(|p| match p {
            ProtocolTrials::Search(s) => s.iter().collect::<Vec<_>>(),
            ProtocolTrials::Verification(_) => Vec::new(),
        })
        .collect()
}

#[test]
fn a_1n_library_searches_its_own_galleries_and_faults_cost_only_their_share() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(one_to_n) = build_library(d, "null_impl_1n.cpp", "libfrvt_1N_null_001.so", &[]) else { return };
    let one_to_one = build_library(d, "null_impl.cpp", "libfrvt_11_null_001.so", &[]).unwrap();
    let bench_dir = search_benchmark(d);
    let bench = datasets::load(&bench_dir).unwrap();
    let Some(harness::model::benchmark::Protocol::Identification(id)) = bench.protocols.first() else { panic!() };
    // Plant: a crash making an enrolment template (of the last gallery subject, so the
    // first gallery size keeps its 20 templates), a crash in one search, and a failed
    // finalisation of the 20-template gallery (identification's first gallery size).
    let (enrol_crash, search_crash) = (*id.gallery.last().unwrap(), id.mated[5]);
    let conf = format!(
        "crash {}\nsearch-crash {}\nfinalize-fail 20\n",
        capture(&bench, enrol_crash),
        capture(&bench, search_crash)
    );
    let config = d.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("null.conf"), conf).unwrap();
    read_only(&config);

    let vendor = load(&vendor_toml(d, "many.toml", &one_to_n, &config, "1:N"));
    let description = vendor.describe();
    assert_eq!((description.name.as_str(), description.version.as_str()), ("null", "001"));
    assert!(!vendor.compares() && vendor.native_search().is_some());
    let ours = run_vendor(&bench, &vendor, &harness::run::progress::Silent);
    assert_eq!(vendor.fatal(), None);
    let theirs = run_vendor(
        &bench,
        &load(&vendor_toml(d, "one.toml", &one_to_one, &config, "1:1")),
        &harness::run::progress::Silent,
    );

    // The template crash costs exactly the templates of that image (its enrolment one,
    // and its search one where another protocol searches with it), with the library's
    // function named.
    let mut failed: Vec<(u32, Role)> = ours.failures.iter().map(|f| (f.sample, f.role)).collect();
    failed.sort();
    let mut planned: Vec<(u32, Role)> =
        harness::run::plan::templates_needed(&bench.protocols).into_iter().filter(|(s, _)| *s == enrol_crash).collect();
    planned.sort();
    assert!(planned.contains(&(enrol_crash, Role::Enrol)));
    assert_eq!(failed, planned);
    for f in &ours.failures {
        assert!(f.failure.message.contains("crashed in createFaceTemplate (killed by signal 11 (SIGSEGV)"), "{f:?}");
    }

    // Gallery size 20 could not be finalised: every search of it failed. Elsewhere the
    // library's own search gives verity's search over its 1:1 twin, but for the search
    // that crashed, which failed alone.
    let (a, b) = (searches(&ours), searches(&theirs));
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].gallery_size, 20);
    assert!(a[0].failed.iter().all(|&f| f), "the unfinalised gallery's searches fail");
    assert_eq!(ours.search_faults.len(), 1, "{:?}", ours.search_faults);
    let fault = &ours.search_faults[0];
    assert!(fault.starts_with("protocol `identification`: the gallery of 20 subjects (20 templates)"), "{fault}");
    assert!(fault.contains("finalizeEnrollment returned EnrollDirError: planted: cannot finalize"), "{fault}");
    let mut compared = 0;
    for (a, b) in a.iter().zip(&b).skip(1) {
        assert_eq!((a.len(), a.gallery_size), (b.len(), b.gallery_size));
        for i in 0..a.len() {
            let crashed =
                bench.protocols.iter().any(|p| matches!(p, harness::model::benchmark::Protocol::Identification(_)))
                    && a.subject[i] == bench.samples.subject[search_crash as usize]
                    && a.mated[i]
                    && a.failed[i];
            if crashed {
                assert!(!b.failed[i]);
                continue;
            }
            assert_eq!(a.failed[i], b.failed[i], "search {i}");
            let (x, y) = (a.candidates_of(i), b.candidates_of(i));
            assert_eq!(x.0, y.0, "search {i} of gallery size {}", a.gallery_size);
            for (p, q) in x.1.iter().zip(y.1) {
                assert!((p - q).abs() < 1e-7, "{p} {q}");
            }
            compared += 1;
        }
    }
    let failed_searches: usize = a.iter().skip(1).map(|t| t.failed.iter().filter(|&&f| f).count()).sum();
    assert!(compared > 200, "{compared}");
    assert!(failed_searches >= 1, "the planted search crash fails its search");
}

#[test]
fn verity_run_with_a_1n_library_refuses_verification_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(library) = build_library(d, "null_impl_1n.cpp", "libfrvt_1N_null_001.so", &[]) else { return };
    let config = d.join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("null.conf"), "").unwrap();
    read_only(&config);
    let toml = vendor_toml(d, "many.toml", &library, &config, "1:N");

    // A benchmark with a verification protocol is refused before anything is written.
    let with_verification = image_benchmark(&d.join("full"));
    let out = d.join("refused");
    let o = verity(&["run", s(&with_verification), "--vendor", s(&toml), "--out", s(&out), "--no-cache"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("has no 1:1 comparison (an FRTE 1:N library)"), "{}", text(&o));
    assert!(text(&o).contains("verification protocol `verification`"), "{}", text(&o));
    assert!(tree(&out).is_empty());

    let bench = search_benchmark(&d.join("searches"));
    let out = d.join("out");
    let args = ["run", s(&bench), "--vendor", s(&toml), "--out", s(&out), "--no-cache", "--bootstrap-replicates", "0"];
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    let first = std::fs::read(out.join("results.json")).unwrap();
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let rank1 = rates
        .lines()
        .find(|l| l.starts_with("null,identification,identification,cmc,40,1,,none,all,all,"))
        .unwrap_or_else(|| panic!("{rates}"));
    assert!(rank1.contains(",80,80,1,"), "every mated search finds its mate first: {rank1}");
    let o = verity(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(first, std::fs::read(out.join("results.json")).unwrap(), "results.json differs between runs");
}
