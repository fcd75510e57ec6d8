//! The error contract (docs/errors.md), case by case: each test here is one clause of it,
//! written from a way the contract was once broken. Bad input exits 2 naming the file,
//! the line an editor shows, the column and the value, and writes nothing; nothing
//! outside the benchmark is read; no failure deletes finished work; an output folder is
//! always consistent; results carry no absolute path.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, s, simulate_small, text, verity, verity_in, write};
use std::path::Path;

#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// A config of the example process vendor (it reads `face/v1` media).
fn example_vendor(dir: &Path) -> std::path::PathBuf {
    let script = common::root().join("examples/process-vendor/vendor.py");
    write(dir, "example.toml", &format!("kind = \"process\"\ncommand = \"python3\"\nargs = [{:?}]\n", s(&script)))
}

#[cfg(unix)]
#[test]
fn a_media_file_linked_outside_the_benchmark_is_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let outside =
        write(dir.path(), "outside/secret.face", "face/v1 identity=0123456789abcdef capture=0000000000000001\n");
    let bench = common::media_benchmark(&dir.path().join("bench"), 4);
    std::fs::remove_file(bench.join("media/s1-0.face")).unwrap();
    link(&outside, &bench.join("media/s1-0.face"));
    let vendor = example_vendor(dir.path());
    let out = dir.path().join("out");
    let expected = "samples.csv:4: column media: value \"media/s1-0.face\": is a link to";
    for args in [
        vec!["validate", s(&bench)],
        vec!["inspect", s(&bench)],
        vec!["run", s(&bench), "--vendor", s(&vendor), "--out", s(&out)],
    ] {
        let o = verity(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains(expected), "{args:?}: {t}");
        assert!(t.contains("outside/secret.face") && t.contains("outside the benchmark folder"), "{t}");
    }
    assert!(!out.exists(), "nothing written");
}

#[cfg(unix)]
#[test]
fn a_table_linked_outside_the_benchmark_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let bench = common::media_benchmark(&dir.path().join("bench"), 4);
    let elsewhere = dir.path().join("subjects-elsewhere.csv");
    std::fs::rename(bench.join("subjects.csv"), &elsewhere).unwrap();
    link(&elsewhere, &bench.join("subjects.csv"));
    let o = verity(&["validate", s(&bench)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("benchmark.toml:8: key tables.subjects: value \"subjects.csv\": is a link to"), "{t}");
    assert!(t.contains("subjects-elsewhere.csv"), "{t}");
    // The manifest itself.
    let manifest = dir.path().join("manifest-elsewhere.toml");
    std::fs::rename(bench.join("benchmark.toml"), &manifest).unwrap();
    link(&manifest, &bench.join("benchmark.toml"));
    let o = verity(&["validate", s(&bench)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("benchmark.toml: is a link to"), "{}", text(&o));
}

#[cfg(unix)]
#[test]
fn an_import_does_not_follow_links_out_of_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write(&src, "alice/1.jpg", "jpeg bytes");
    write(dir.path(), "private/photo.jpg", "someone else's photo");
    write(dir.path(), "private/bob/1.jpg", "bob elsewhere");
    link(&dir.path().join("private/photo.jpg"), &src.join("alice/2.jpg"));
    link(&dir.path().join("private/bob"), &src.join("bob"));
    let out = dir.path().join("bench");
    let o = verity(&["import", "folder", s(&src), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("alice/2.jpg: is a link to") && t.contains("private/photo.jpg"), "{t}");
    assert!(t.contains("bob/1.jpg: is a link to") && t.contains("private/bob/1.jpg"), "{t}");
    assert!(!out.exists(), "nothing written");
}

fn analyse(dir: &Path, extra: &[&str]) -> std::process::Output {
    let subjects = write(dir, "subjects.csv", "subject_id,sex\na,F\nb,M\nc,F\n");
    let out = dir.join("out");
    let mut args = vec!["analyse", "--subjects", s(&subjects), "--out", s(&out)];
    args.extend_from_slice(extra);
    verity(&args)
}

#[test]
fn a_duplicate_search_id_names_both_lines_and_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let searches = write(d, "s.csv", "search_id,search_subject\ns1,a\ns2,b\ns1,c\n");
    let gallery = write(d, "g.csv", "subject_id\na\nb\n");
    let candidates = write(d, "c.csv", "search_id,rank,candidate_subject,score\ns1,1,a,0.9\ns2,1,b,0.8\n");
    let o = analyse(d, &["--searches", s(&searches), "--gallery", s(&gallery), "--candidates", s(&candidates)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("s.csv:4: column search_id: value \"s1\": duplicate search_id (first at line 2)"),
        "{}",
        text(&o)
    );
    assert!(!d.join("out").exists());
}

#[test]
fn lines_are_the_editors_whatever_the_line_ends() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let body = ["probe_subject,reference_subject,score", "a,a,0.9", "b,b,0.8", "a,b,0.1", "b,a,x", ""];
    for (name, end) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let scores = write(d, name, &body.join(end));
        let o = analyse(d, &["--verification", s(&scores)]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let expected = format!("{name}:5: column score: value \"x\": score is not a finite number");
        assert!(text(&o).contains(&expected), "{name}: {}", text(&o));
    }
}

#[test]
fn an_empty_score_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scores = write(d, "scores.csv", "probe_subject,reference_subject,score\n");
    let o = analyse(d, &["--verification", s(&scores)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("scores.csv:1: no rows"), "{}", text(&o));
    assert!(!d.join("out").exists());
}

/// Run the small vendor (and a second one) on the small benchmark into `out`.
fn small_run(dir: &Path, out: &Path, both: bool) -> std::process::Output {
    let bench = dir.join("bench");
    if !bench.exists() {
        simulate_small(dir);
    }
    let a = fixture("small/vendor.toml");
    let b = dir.join("vendor-b.toml");
    let text_a = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&b, text_a.replace("name = \"small-vendor\"", "name = \"small-vendor-b\"")).unwrap();
    let mut args = vec!["run", s(&bench), "--vendor", s(&a), "--out", s(out), "--bootstrap-replicates", "20"];
    if both {
        args.extend_from_slice(&["--vendor", s(&b)]);
    }
    verity(&args)
}

#[test]
fn a_rerun_into_a_folder_leaves_no_output_of_the_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = small_run(dir.path(), &out, true);
    assert!(o.status.success(), "{}", text(&o));
    let o = verity(&["report", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(out.join("my-notes.txt"), "the analyst's own file").unwrap();
    for f in ["report.html", "report.md", "annex.html", "annex.md", "figures", "raw/small-vendor-b", "timing.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // The same run again: results are identical, so the report made from them stays.
    let o = small_run(dir.path(), &out, true);
    assert!(o.status.success(), "{}", text(&o));
    assert!(out.join("report.html").exists());
    // Vendor A alone: the report, annex and figures described B too, and go.
    let o = small_run(dir.path(), &out, false);
    assert!(o.status.success(), "{}", text(&o));
    for gone in ["report.html", "report.md", "annex.html", "annex.md", "figures", "raw/small-vendor-b"] {
        assert!(!out.join(gone).exists(), "{gone} survived a run with other results");
    }
    for kept in ["results.json", "timing.json", "raw/small-vendor", "my-notes.txt", ".verity-cache"] {
        assert!(out.join(kept).exists(), "{kept} missing");
    }
    let results = std::fs::read_to_string(out.join("results.json")).unwrap();
    assert!(!results.contains("small-vendor-b"));
}

#[test]
fn plan_and_project_refuse_a_rate_that_disagrees_with_its_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert!(small_run(dir.path(), &out, false).status.success());
    let path = out.join("results.json");
    let text_before = std::fs::read_to_string(&path).unwrap();
    // The first FPIR row: change its value, keep its counts.
    let at = text_before.find("\"metric\": \"fpir\"").unwrap();
    let rate_at = at + text_before[at..].find("\"rate\": 0").unwrap();
    let end = rate_at + text_before[rate_at..].find('\n').unwrap();
    let tampered = format!("{}\"rate\": 0.5{}", &text_before[..rate_at], &text_before[end..]);
    std::fs::write(&path, tampered).unwrap();
    let o = verity(&["plan", "--results", s(&path)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("results.json:") && text(&o).contains("0.5"), "{}", text(&o));
    let o = verity(&[
        "project",
        "--results",
        s(&path),
        "--vendor",
        "small-vendor",
        "--protocol",
        "watchlist",
        "--threshold",
        "0.6",
        "--grouping",
        "sex",
        "--crowd",
        "F=0.5,M=0.5",
        "--faces",
        "1000",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn numbers_out_of_range_name_the_option_the_value_and_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let out = dir.path().join("out");
    let vendor = fixture("small/vendor.toml");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", s(&bench), "--vendor", s(&vendor), "--out", s(&out)];
        args.extend_from_slice(extra);
        verity(&args)
    };
    let cases: [(&[&str], &str); 3] = [
        (
            &["--bootstrap-replicates", "-5"],
            "invalid value '-5' for '--bootstrap-replicates <BOOTSTRAP_REPLICATES>': not a whole number from 0 to 1,000,000",
        ),
        (&["--seed=-1"], "invalid value '-1' for '--seed <SEED>': not a whole number, 0 or more"),
        (
            &["--thresholds", "2:3:0.5"],
            "--thresholds 2:3:0.5: every threshold lies outside vendor `small-vendor`'s score range",
        ),
    ];
    for (extra, message) in cases {
        let o = run(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains(message), "{extra:?}: {}", text(&o));
    }
    let o = verity(&[
        "project",
        "--results",
        "x",
        "--vendor",
        "v",
        "--protocol",
        "p",
        "--threshold",
        "0.6",
        "--grouping",
        "g",
        "--crowd",
        "a=1",
        "--faces=-5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("invalid value '-5' for '--faces <FACES>': not a whole number, 1 or more"),
        "{}",
        text(&o)
    );
    let o = verity(&["protocol", s(&bench), "verification", "--name", "v2", "--per-probe", "-3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("invalid value '-3' for '--per-probe <K>': not a whole number from 1 to"),
        "{}",
        text(&o)
    );
    assert!(!out.exists());
}

#[test]
fn the_same_run_in_another_folder_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let bench = simulate_small(&first);
    std::fs::copy(fixture("small/vendor.toml"), first.join("vendor.toml")).unwrap();
    // The same inputs, copied into a folder with another name and depth.
    let second = dir.path().join("elsewhere/second");
    std::fs::create_dir_all(&second).unwrap();
    common::copy_tree(&first, &second);
    assert!(bench.exists());
    // Absolute paths, as a shell's completion gives them: the results must not carry them.
    for cwd in [&first, &second] {
        let (b, v, o) = (cwd.join("bench"), cwd.join("vendor.toml"), cwd.join("out"));
        let args = ["run", s(&b), "--vendor", s(&v), "--out", s(&o), "--bootstrap-replicates", "20"];
        let o = verity_in(dir.path(), &args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let a = std::fs::read(first.join("out/results.json")).unwrap();
    let b = std::fs::read(second.join("out/results.json")).unwrap();
    assert!(a == b, "results differ between folders");
    let text = String::from_utf8(a).unwrap();
    assert!(!text.contains(dir.path().to_str().unwrap()), "an absolute path in results.json");
    assert!(
        text.contains("\"command\": \"verity run ../bench --vendor ../vendor.toml --out . --bootstrap-replicates 20\"")
    );
}

/// Add the capture column `name` to the benchmark's samples table, `value(i)` for the
/// i-th sample.
fn add_capture_column(bench: &Path, name: &str, value: impl Fn(usize) -> &'static str) {
    let samples = bench.join("samples.csv");
    let table = std::fs::read_to_string(&samples).unwrap();
    let mut lines = table.lines();
    let mut with = format!("{},{name}\n", lines.next().unwrap());
    for (i, l) in lines.enumerate() {
        with.push_str(&format!("{l},{}\n", value(i)));
    }
    std::fs::write(&samples, with).unwrap();
}

/// `--adjust`: a covariate the benchmark does not have is refused before anything runs,
/// naming it and the capture columns there are; score files have no capture columns;
/// a covariate with one level in the trials writes the results with the adjusted model
/// marked undefined and why.
#[test]
fn covariates_that_cannot_adjust_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let out = dir.path().join("out");
    let vendor = fixture("small/vendor.toml");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", s(&bench), "--vendor", s(&vendor), "--out", s(&out), "--bootstrap-replicates", "0"];
        args.extend_from_slice(extra);
        verity(&args)
    };
    let o = run(&["--adjust", "face_size"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--adjust: unknown covariate `face_size`: the benchmark's capture columns are: (the benchmark has no capture columns)"),
        "{}",
        text(&o)
    );
    assert!(!out.exists(), "nothing written");
    let o = run(&["--adjust", "x,x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--adjust: covariate `x` is named twice"), "{}", text(&o));

    // A capture column with one value everywhere.
    add_capture_column(&bench, "camera", |_| "cam1");
    let o = run(&["--adjust", "camera", "--group", "ethnicity"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let results = std::fs::read_to_string(out.join("results.json")).unwrap();
    assert!(
        results.contains("covariate `camera` has one level (`cam1`) in these trials: it cannot explain a difference"),
        "no note on the one-level covariate (searches)"
    );
    assert!(
        results.contains("covariate `camera` (probe) has one level (`cam1`) in these trials"),
        "no note on the one-level covariate (1:1)"
    );
    let o = verity(&["report", s(&out), "--grouping", "ethnicity"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Capture covariates: the algorithm or the camera?"), "{report}");

    let o = analyse(
        dir.path(),
        &[
            "--verification",
            s(&write(dir.path(), "v.csv", "probe_subject,reference_subject,score\na,a,0.9\na,b,0.1\n")),
            "--adjust",
            "camera",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--adjust `camera`: score files carry no capture columns"), "{}", text(&o));
}

/// `--group camera` and `--group ethnicity,camera`: a capture column as a grouping. Every
/// trial is in exactly one camera group (so the groups' trials add up to `all`'s), the
/// groups are recorded, a grouping naming neither an attribute nor a capture column is
/// refused naming both lists, and score files take subjects' attributes only.
#[test]
fn capture_columns_group_the_trials() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    let out = dir.path().join("out");
    let vendor = fixture("small/vendor.toml");
    add_capture_column(&bench, "camera", |i| ["cam1", "cam2", ""][i % 3]);
    let run = |extra: &[&str]| {
        let mut args = vec!["run", s(&bench), "--vendor", s(&vendor), "--out", s(&out), "--bootstrap-replicates", "20"];
        args.extend_from_slice(extra);
        verity(&args)
    };
    let o = run(&["--group", "ethnicity,lens"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(
            "--group `ethnicity,lens`: unknown attribute `lens` in grouping `ethnicity×lens`; the subjects' attributes are: sex, ethnicity; the capture columns are: camera"
        ),
        "{}",
        text(&o)
    );
    assert!(!out.exists(), "nothing written");

    let o = run(&["--group", "ethnicity,camera", "--reference-group", "white×cam3"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--reference-group: value `white×cam3` is not a group"), "{}", text(&o));
    let o =
        run(&["--group", "ethnicity", "--group", "camera", "--group", "ethnicity,camera", "--reference-group", "cam2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let mut checked = 0;
    assert_eq!(results["schema_version"], "1.4");
    assert_eq!(results["config"]["capture_attributes"][0]["groups"], serde_json::json!(["cam1", "cam2", "unknown"]));
    for protocol in results["vendors"][0]["protocols"].as_array().unwrap() {
        let rates = protocol["rates"].as_array().unwrap();
        for metric in ["fnmr", "fnir", "fpir"] {
            let at = |grouping: &str| -> Vec<(String, u64)> {
                rates
                    .iter()
                    .filter(|r| {
                        r["metric"] == metric
                            && r["grouping"] == grouping
                            && r["threshold"].as_f64() == Some(0.6)
                            && r["operating_point"] == "grid"
                    })
                    .map(|r| (r["group"].as_str().unwrap().to_string(), r["rate"]["denominator"].as_u64().unwrap()))
                    .collect()
            };
            // Every (gallery size, rank) has a row in each grouping: the sums compare.
            let all = at("all");
            if all.is_empty() {
                continue;
            }
            checked += 1;
            let sum = |rows: Vec<(String, u64)>| rows.iter().map(|r| r.1).sum::<u64>();
            let camera = at("camera");
            assert!(camera.iter().all(|(g, _)| ["cam1", "cam2", "unknown"].contains(&g.as_str())), "{camera:?}");
            assert_eq!(sum(camera), sum(all.clone()), "{metric} {}: camera groups add up to all", protocol["protocol"]);
            assert_eq!(sum(at("ethnicity×camera")), sum(all), "{metric}: crossings add up to all");
        }
        assert!(rates.iter().any(|r| r["grouping"] == "camera" && !r["bootstrap"].is_null()));
        let comparisons = protocol["comparisons"].as_array().unwrap();
        assert!(comparisons.iter().any(|c| c["grouping"] == "ethnicity×camera"));
        assert!(
            comparisons.iter().filter(|c| c["grouping"] == "camera").all(|c| c["reference_group"] == "cam2"),
            "the declared reference is a camera group"
        );
    }
    assert_eq!(checked, 5, "FNMR (1:1), FNIR and FPIR (identification), FNIR and FPIR (watchlist)");
    let o = verity(&["report", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("#### FNMR by camera"), "no camera table");
    assert!(
        report.contains("Groupings by capture attribute (camera, ethnicity×camera) are tested the same way"),
        "the verdict does not say where the capture groupings are"
    );
    // Figures by camera: the verdict and the annex still speak of people.
    let o = verity(&["report", s(&out), "--grouping", "camera"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("by camera at 0.6"), "the summary is by camera");
    assert!(report.contains("Detectable ratio: the largest, over the ethnicity groups"), "the verdict is by ethnicity");

    let o = analyse(
        dir.path(),
        &[
            "--verification",
            s(&write(dir.path(), "v2.csv", "probe_subject,reference_subject,score\na,a,0.9\na,b,0.1\n")),
            "--group",
            "camera",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--group `camera`: unknown attribute `camera`"), "{}", text(&o));
}
