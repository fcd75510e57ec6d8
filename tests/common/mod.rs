//! Helpers shared by the end-to-end tests.
#![allow(dead_code)] // each test file uses some of them
// Helpers of tests: a failed unwrap fails the test that called it.
#![allow(clippy::unwrap_used)]

pub mod browser;
pub mod frte;
pub mod null_face;

use std::path::{Path, PathBuf};

/// What a snapshot must not depend on: verity's version (a version bump) and the SHA-256
/// of vendor config files (a comment edited in an example config); both are replaced by
/// placeholders. Everything computed stays.
pub fn normalise_snapshot(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = text
        .replace(&format!("verity version {version}"), "verity version <VERSION>")
        .replace(&format!("verity {version} "), "verity <VERSION> ");
    for marker in [".toml | ", ":sha256:"] {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(marker) {
            let after = i + marker.len();
            result.push_str(&rest[..after]);
            let hex = rest[after..].bytes().take_while(u8::is_ascii_hexdigit).count();
            if hex == 64 {
                result.push_str("<CONFIG-SHA256>");
                rest = &rest[after + 64..];
            } else {
                rest = &rest[after..];
            }
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Compare `text` with the snapshot `tests/fixtures/snapshots/NAME`, failing at the
/// first differing line; both are [normalised](normalise_snapshot). `UPDATE_SNAPSHOTS=1`
/// rewrites the snapshot first (review the diff before committing it).
pub fn check_snapshot(name: &str, text: &str) {
    let text = &normalise_snapshot(text);
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, text).unwrap();
    }
    let expected = normalise_snapshot(
        &std::fs::read_to_string(&snapshot).expect("snapshot exists (UPDATE_SNAPSHOTS=1 writes it)"),
    );
    if *text != expected {
        let line = text.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from {} at line {}:\n  now:      {}\n  snapshot: {}",
            snapshot.display(),
            line + 1,
            text.lines().nth(line).unwrap_or("(end)"),
            expected.lines().nth(line).unwrap_or("(end)")
        );
    }
}

/// Nothing in the HTML may point outside the file.
pub fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for bad in ["<script", "<link", "<iframe", "<img", "src=", "url(", "@import", "http://", "https://"] {
        // The SVG namespace is an identifier, not a reference: allow exactly that URI.
        let count = lower.matches(bad).count();
        let allowed = if bad == "http://" { lower.matches("http://www.w3.org/").count() } else { 0 };
        assert_eq!(count, allowed, "the HTML holds `{bad}`");
    }
    for (i, _) in lower.match_indices("href=\"") {
        assert!(lower[i + 6..].starts_with('#'), "a link that leaves the page: {}", &html[i..(i + 60).min(html.len())]);
    }
}

/// A benchmark without protocols (each sample's template made once, in sample order) of
/// `samples` synthetic faces, the samples at `faulty` marked so that the faulty vendor in
/// `--marked` mode fails them.
pub fn marked_benchmark(dir: &Path, samples: usize, faulty: &[usize]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("benchmark.toml"),
        "[benchmark]\nname = \"marked\"\nversion = \"1\"\nlicence = \"CC0-1.0\"\n\
         description = \"Synthetic faces, some marked to fail.\"\n\n[tables]\nsubjects = \"subjects.csv\"\n\
         samples = \"samples.csv\"\n\n[attributes.group]\nprovenance = \"synthetic\"\n",
    )
    .unwrap();
    let mut subjects = String::from("subject_id,group\n");
    let mut rows = String::from("sample_id,subject_id,media\n");
    for i in 0..samples {
        subjects.push_str(&format!("p{i:05},{}\n", if i % 2 == 0 { "a" } else { "b" }));
        let capture = if faulty.contains(&i) { "fault".to_string() } else { format!("{i:016x}") };
        rows.push_str(&format!("s{i:05},p{i:05},inline:face/v1 identity={:016x} capture={capture}\n", i + 1));
    }
    std::fs::write(dir.join("subjects.csv"), subjects).unwrap();
    std::fs::write(dir.join("samples.csv"), rows).unwrap();
    dir.to_path_buf()
}

/// Run the `verity` binary with `args`.
pub fn verity(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_verity")).args(args).output().expect("verity runs")
}

/// Run the `verity` binary with `args` in the folder `cwd`.
pub fn verity_in(cwd: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_verity")).current_dir(cwd).args(args).output().expect("verity runs")
}

/// Standard output and standard error of a run, together.
pub fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A path as the `&str` an argument list takes.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Write `body` to `dir/name` (parents created); the path written.
pub fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, body).unwrap();
    path
}

/// The small simulated benchmark (tests/fixtures/small/population.toml) at `dir/bench`.
pub fn simulate_small(dir: &Path) -> PathBuf {
    let bench = dir.join("bench");
    let spec = fixture("small/population.toml");
    let o = verity(&["simulate", "--spec", s(&spec), "--out", s(&bench)]);
    assert!(o.status.success(), "{}", text(&o));
    bench
}

/// Every file and folder under `dir` with the bytes of each file: what a failed command
/// must leave unchanged.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(path.clone(), Vec::new());
                stack.push(path);
            } else if meta.is_symlink() {
                out.insert(path.clone(), std::fs::read_link(&path).unwrap().to_string_lossy().as_bytes().to_vec());
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// A copy of the folder `from` at `to`, files and folders (links copied as their target's bytes).
pub fn copy_tree(from: &Path, to: &Path) {
    for (path, bytes) in tree(from) {
        let target = to.join(path.strip_prefix(from).unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, bytes).unwrap();
        }
    }
}

/// A benchmark of synthetic faces held in media files (`media/sNN.face`, the example
/// process vendor's text format), two samples per subject, no protocol.
pub fn media_benchmark(dir: &Path, subjects: usize) -> PathBuf {
    let mut subject_rows = String::from("subject_id,group\n");
    let mut sample_rows = String::from("sample_id,subject_id,media\n");
    for i in 0..subjects {
        subject_rows.push_str(&format!("p{i},{}\n", if i % 2 == 0 { "a" } else { "b" }));
        for k in 0..2 {
            let name = format!("media/s{i}-{k}.face");
            write(dir, &name, &format!("face/v1 identity={:016x} capture={:016x}\n", i + 1, 100 * i + k + 1));
            sample_rows.push_str(&format!("s{i}-{k},p{i},{name}\n"));
        }
    }
    write(
        dir,
        "benchmark.toml",
        "[benchmark]\nname = \"media\"\nversion = \"1\"\nlicence = \"CC0-1.0\"\ndescription = \"Faces in files.\"\n\n\
         [tables]\nsubjects = \"subjects.csv\"\nsamples = \"samples.csv\"\n\n[attributes.group]\nprovenance = \"synthetic\"\n",
    );
    write(dir, "subjects.csv", &subject_rows);
    write(dir, "samples.csv", &sample_rows);
    dir.to_path_buf()
}

/// Write a run's trials in the scores format, keyed by the published sample ids.
pub fn write_scores(
    dir: &Path,
    bench: &harness::model::benchmark::Benchmark,
    run: &harness::run::runner::VendorRun,
) -> PathBuf {
    let ids = &bench.samples.ids;
    let mut config = format!(
        "kind = \"scores\"\nname = \"{}\"\nversion = \"{}\"\nscore_min = {:?}\nscore_max = {:?}\nfailures = \"failures.csv\"\n",
        run.description.name, run.description.version, run.description.score_min, run.description.score_max
    );
    for t in &run.description.thresholds {
        config.push_str(&format!("[[thresholds]]\nlabel = \"{}\"\nvalue = {:?}\n", t.label, t.value));
    }
    config.push_str("[protocols]\n");
    for (protocol, trials) in bench.protocols.iter().zip(&run.protocols) {
        let file = format!("{}.csv", protocol.name());
        let mut body = String::new();
        match (protocol, trials) {
            (
                harness::model::benchmark::Protocol::Verification(p),
                harness::run::runner::ProtocolTrials::Verification(t),
            ) => {
                body.push_str("probe_sample,reference_sample,score\n");
                for i in 0..t.len() {
                    let score = if t.failed[i] { String::new() } else { format!("{:?}", t.score[i]) };
                    body.push_str(&format!("{},{},{score}\n", ids[p.probe[i] as usize], ids[p.reference[i] as usize]));
                }
            }
            (
                harness::model::benchmark::Protocol::Identification(p)
                | harness::model::benchmark::Protocol::Watchlist(p),
                harness::run::runner::ProtocolTrials::Search(sizes),
            ) => {
                body.push_str("gallery_size,search_sample,rank,candidate_sample,score\n");
                let searches: Vec<u32> = p.mated.iter().chain(&p.non_mated).copied().collect();
                let gallery_sample = |subject: u32| {
                    p.gallery.iter().find(|&&s| bench.samples.subject[s as usize] == subject).copied().unwrap()
                };
                for t in sizes {
                    for i in 0..t.len() {
                        let search = &ids[searches[t.search[i] as usize] as usize];
                        if t.failed[i] {
                            body.push_str(&format!("{},{search},,,\n", t.gallery_size));
                        }
                        let (subjects, scores) = t.candidates_of(i);
                        for (rank, (s, v)) in subjects.iter().zip(scores).enumerate() {
                            let candidate = &ids[gallery_sample(*s) as usize];
                            body.push_str(&format!("{},{search},{},{candidate},{v:?}\n", t.gallery_size, rank + 1));
                        }
                    }
                }
            }
            _ => unreachable!("trials follow their protocol"),
        }
        write(dir, &file, &body);
        config.push_str(&format!("{} = \"{file}\"\n", protocol.name()));
    }
    let mut failures = String::from("sample_id,role,code,message\n");
    for f in &run.failures {
        failures.push_str(&format!(
            "{},{},{},\"{}\"\n",
            ids[f.sample as usize],
            f.role.name(),
            f.failure.code.name(),
            f.failure.message.replace('"', "\"\"")
        ));
    }
    write(dir, "failures.csv", &failures);
    write(dir, "scores.toml", &config)
}

/// A vendor's failures in `results.json` (`vendors[i]`), by (role, code): their counts.
pub fn failure_counts(vendor: &serde_json::Value) -> std::collections::BTreeMap<(String, String), u64> {
    vendor["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            ((f["role"].as_str().unwrap().into(), f["code"].as_str().unwrap().into()), f["count"].as_u64().unwrap())
        })
        .collect()
}

/// The failures planted faults must cost, by (role, code): every planned template of a
/// planted sample, with the code `code_of(action)` (none: the fault costs nothing).
pub fn planted_failure_counts(
    needed: &[(u32, harness::vendor::Role)],
    planted: &std::collections::BTreeMap<u32, &str>,
    code_of: impl Fn(&str) -> Option<&'static str>,
) -> std::collections::BTreeMap<(String, String), u64> {
    let mut want = std::collections::BTreeMap::new();
    for (s, role) in needed {
        if let Some(code) = planted.get(s).and_then(|a| code_of(a)) {
            *want.entry((role.name().to_string(), code.to_string())).or_default() += 1;
        }
    }
    want
}

/// The rate of the rates.csv row of `out` that starts with `prefix`
/// (`vendor,protocol,protocol,metric,,,threshold,kind,grouping,group,`).
pub fn rate(out: &Path, prefix: &str) -> f64 {
    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let row = rates.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no row {prefix}"));
    row.split(',').nth(12).unwrap().parse().unwrap()
}

/// Write a benchmark of face images in `bench` (media already in `bench/media/`): its
/// manifest with one attribute `group`, the two tables as given, and a seeded
/// verification protocol (`verity protocol BENCH verification`).
pub fn write_face_benchmark(bench: &Path, name: &str, description: &str, subjects: &str, samples: &str) {
    std::fs::write(
        bench.join("benchmark.toml"),
        format!(
            "[benchmark]\nname = \"{name}\"\nversion = \"1\"\nlicence = \"see face-api\"\n\
             description = \"{description}\"\n\n[tables]\nsubjects = \"subjects.csv\"\n\
             samples = \"samples.csv\"\n\n[attributes.group]\nprovenance = \"synthetic\"\n"
        ),
    )
    .unwrap();
    std::fs::write(bench.join("subjects.csv"), subjects).unwrap();
    std::fs::write(bench.join("samples.csv"), samples).unwrap();
    let o = verity(&["protocol", s(bench), "verification"]);
    assert!(o.status.success(), "{}", text(&o));
}
