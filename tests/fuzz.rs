//! Fuzzing every reader of outside input (docs/errors.md): benchmark tables and TOML,
//! score files and candidate lists, vendor configs, a vendor's precomputed scores, the
//! rubric, results.json, and the replies of a process vendor; and at the command line,
//! `verity analyse` and `verity run` on mutated input. Each target mutates a committed
//! seed corpus (`tests/fuzz/corpus/`, and the fixtures it names) with a seeded generator
//! for a bounded time and checks the contract on every case:
//!
//! - the reader returns a result or a located error; it never panics;
//! - an error names the file it concerns (and, for the command line, exits 2);
//! - a command that refuses its input writes nothing (its `--out` does not appear).
//!
//! Each target stops at its case count or after `VERITY_FUZZ_SECONDS` (default 6),
//! whichever comes first; `VERITY_FUZZ_CASES=N` multiplies the case counts for a longer
//! hunt, `VERITY_FUZZ_SEED` sets the seed (default fixed, so a failure reproduces). A case that breaks the contract is saved
//! under `target/fuzz-failures/` and the test fails naming it; add it to the corpus once
//! fixed, so it is checked from then on.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, root, s, text, tree, verity, write};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Values that have broken parsers before, or could: empty, signs, huge, non-finite,
/// byte-order marks, quotes, separators, paths that leave a folder, other types.
const INTERESTING: &[&str] = &[
    "",
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "18446744073709551616",
    "4294967296",
    "0.5",
    "\u{feff}",
    "é",
    "\"",
    "\"\"",
    ",",
    "\r",
    "\n",
    "\r\n",
    "../x",
    "/etc/passwd",
    "[]",
    "{}",
    "true",
    "[[x]]",
    "a=1",
    "\\",
    "\u{0}",
    "  ",
    "x,y",
    "999999999999",
];

struct Mutator {
    rng: ChaCha8Rng,
}

impl Mutator {
    fn new(seed: u64) -> Self {
        Mutator { rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// One to four mutations: of bytes, of lines, or of the tokens between separators.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut data = seed.to_vec();
        let n = self.rng.random_range(1..=4);
        for _ in 0..n {
            match self.rng.random_range(0..10) {
                0 => self.flip_byte(&mut data),
                1 => self.insert_byte(&mut data),
                2 => self.cut(&mut data),
                3 => self.duplicate_line(&mut data),
                4 => self.delete_line(&mut data),
                5 => self.swap_lines(&mut data),
                6..=8 => self.replace_token(&mut data),
                _ => self.truncate(&mut data),
            }
        }
        data
    }

    fn flip_byte(&mut self, d: &mut [u8]) {
        if !d.is_empty() {
            let i = self.rng.random_range(0..d.len());
            d[i] ^= 1 << self.rng.random_range(0..8);
        }
    }

    fn insert_byte(&mut self, d: &mut Vec<u8>) {
        let i = self.rng.random_range(0..=d.len());
        let b = *self.pick(&[b'\r', b'\n', b',', b'"', b'=', b'[', 0, 0xff, 0xc3, b'\\', b'-']);
        d.insert(i, b);
    }

    fn cut(&mut self, d: &mut Vec<u8>) {
        if d.len() > 1 {
            let a = self.rng.random_range(0..d.len());
            let b = (a + self.rng.random_range(1..=16)).min(d.len());
            d.drain(a..b);
        }
    }

    fn truncate(&mut self, d: &mut Vec<u8>) {
        let at = self.rng.random_range(0..=d.len());
        d.truncate(at);
    }

    fn lines(d: &[u8]) -> Vec<Vec<u8>> {
        d.split_inclusive(|b| *b == b'\n').map(|l| l.to_vec()).collect()
    }

    fn duplicate_line(&mut self, d: &mut Vec<u8>) {
        let mut lines = Self::lines(d);
        if !lines.is_empty() {
            let i = self.rng.random_range(0..lines.len());
            let j = self.rng.random_range(0..=lines.len());
            let line = lines[i].clone();
            lines.insert(j, line);
            *d = lines.concat();
        }
    }

    fn delete_line(&mut self, d: &mut Vec<u8>) {
        let mut lines = Self::lines(d);
        if !lines.is_empty() {
            let i = self.rng.random_range(0..lines.len());
            lines.remove(i);
            *d = lines.concat();
        }
    }

    fn swap_lines(&mut self, d: &mut Vec<u8>) {
        let mut lines = Self::lines(d);
        if lines.len() > 1 {
            let i = self.rng.random_range(0..lines.len());
            let j = self.rng.random_range(0..lines.len());
            lines.swap(i, j);
            *d = lines.concat();
        }
    }

    /// Replace one token (a run of bytes between `,`, `=`, `"`, spaces, brackets and line
    /// ends) with an interesting value.
    fn replace_token(&mut self, d: &mut Vec<u8>) {
        let is_sep = |b: u8| matches!(b, b',' | b'=' | b'"' | b' ' | b'\n' | b'\r' | b'[' | b']' | b'{' | b'}' | b':');
        let starts: Vec<usize> = (0..d.len()).filter(|&i| !is_sep(d[i]) && (i == 0 || is_sep(d[i - 1]))).collect();
        if starts.is_empty() {
            return;
        }
        let a = *self.pick(&starts);
        let b = (a..d.len()).find(|&i| is_sep(d[i])).unwrap_or(d.len());
        let value = if self.rng.random_range(0..8) == 0 {
            "x".repeat(self.rng.random_range(100..3000))
        } else {
            self.pick(INTERESTING).to_string()
        };
        d.splice(a..b, value.into_bytes());
    }
}

/// How one case went.
enum Outcome {
    Accepted,
    Refused,
    /// The contract was broken, and how.
    Broken(String),
}

fn seconds() -> Duration {
    let s = std::env::var("VERITY_FUZZ_SECONDS").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(6.0);
    Duration::from_secs_f64(s)
}

fn case_factor() -> usize {
    std::env::var("VERITY_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1)
}

fn base_seed() -> u64 {
    std::env::var("VERITY_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20_261_204)
}

/// Run `case` on mutations of the seeds (a seed is a named file's bytes) for the time
/// budget; every seed also runs unmutated first. Fails listing every broken case.
fn fuzz(target: &str, seeds: &[(String, Vec<u8>)], max_cases: usize, mut case: impl FnMut(&str, &[u8]) -> Outcome) {
    let mut m =
        Mutator::new(base_seed() ^ target.bytes().fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(b as u64)));
    let started = Instant::now();
    let (mut accepted, mut refused, mut cases) = (0usize, 0usize, 0usize);
    let mut broken: Vec<String> = Vec::new();
    let failures = root().join("target/fuzz-failures");
    let max_cases = max_cases * case_factor();
    while cases < max_cases && (cases < seeds.len() || started.elapsed() < seconds()) {
        let (name, seed) = &seeds[cases % seeds.len()];
        let input = if cases < seeds.len() { seed.clone() } else { m.mutate(seed) };
        cases += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| case(name, &input)))
            .unwrap_or_else(|p| Outcome::Broken(format!("panicked: {}", panic_text(&p))));
        match outcome {
            Outcome::Accepted => accepted += 1,
            Outcome::Refused => refused += 1,
            Outcome::Broken(why) => {
                std::fs::create_dir_all(&failures).unwrap();
                let saved = failures.join(format!("{target}-{}-{}", broken.len(), name.replace('/', "_")));
                std::fs::write(&saved, &input).unwrap();
                broken.push(format!("{}: {why}", saved.display()));
            }
        }
        m.rng.next_u32();
    }
    eprintln!(
        "fuzz {target}: {cases} cases in {:.1} s: {accepted} accepted, {refused} refused with a located error, {} broke the contract",
        started.elapsed().as_secs_f64(),
        broken.len()
    );
    assert!(broken.is_empty(), "fuzz {target}: {} cases broke the contract:\n{}", broken.len(), broken.join("\n"));
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// The files of a folder as seeds, named by their path inside it.
fn folder_seeds(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| p.is_file())
        .map(|(p, bytes)| (p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), bytes))
        .collect()
}

fn located(problems: &datasets::Problems) -> Outcome {
    if problems.is_empty() {
        return Outcome::Broken("refused with no problem named".into());
    }
    match problems.iter().find(|p| p.file.is_empty() || p.message.is_empty()) {
        Some(p) => Outcome::Broken(format!("a problem without its file or message: {p}")),
        None => Outcome::Refused,
    }
}

#[test]
fn fuzz_benchmark_tables_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = folder_seeds(&fixture("tiny"));
    let work = dir.path().join("tiny");
    common::copy_tree(&fixture("tiny"), &work);
    fuzz("benchmark", &seeds, 3000, |name, input| {
        let path = work.join(name);
        std::fs::write(&path, input).unwrap();
        let outcome = match datasets::load(&work) {
            Ok(_) => Outcome::Accepted,
            Err(problems) => located(&problems),
        };
        let original = &seeds.iter().find(|(n, _)| n == name).unwrap().1;
        std::fs::write(&path, original).unwrap();
        outcome
    });
}

#[test]
fn fuzz_score_files_and_candidate_lists() {
    let corpus = root().join("tests/fuzz/corpus/scores");
    let seeds = folder_seeds(&corpus);
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&corpus, dir.path());
    let at = |n: &str| dir.path().join(n);
    fuzz("scores", &seeds, 3000, |name, input| {
        std::fs::write(at(name), input).unwrap();
        let (subjects, verification, searches, gallery, candidates) =
            (at("subjects.csv"), at("verification.csv"), at("searches.csv"), at("gallery.csv"), at("candidates.csv"));
        let files = datasets::scores::ScoreFiles {
            subjects: Some(&subjects),
            verification: Some(&verification),
            searches: Some(&searches),
            gallery: Some(&gallery),
            candidates: Some(&candidates),
            list_length: None,
            // Past four trials they go to a temporary file: the fuzzer reaches that path too.
            memory_rows: Some(4),
        };
        let outcome = match datasets::scores::load_scores(&files) {
            Ok(_) => Outcome::Accepted,
            Err(datasets::scores::ScoreError::Invalid(problems)) => located(&problems),
            Err(datasets::scores::ScoreError::Spill(e)) => Outcome::Broken(format!("temporary file failed: {e}")),
        };
        std::fs::write(at(name), &seeds.iter().find(|(n, _)| n == name).unwrap().1).unwrap();
        outcome
    });
}

#[test]
fn fuzz_vendor_configs() {
    let dir = tempfile::tempdir().unwrap();
    let mut seeds = folder_seeds(&root().join("tests/fuzz/corpus/vendor"));
    seeds.push(("import.toml".into(), std::fs::read(fixture("import/vendor.toml")).unwrap()));
    fuzz("vendor-config", &seeds, 3000, |name, input| {
        let Ok(text) = std::str::from_utf8(input) else {
            // A config that is not UTF-8 is refused when read (vendors::config::read).
            let path = write(dir.path(), "bad.toml", "");
            std::fs::write(&path, input).unwrap();
            return match vendors::load_vendor(&path) {
                Ok(_) => Outcome::Broken("accepted a config that is not UTF-8".into()),
                Err(e) if e.to_string().contains("bad.toml") => Outcome::Refused,
                Err(e) => Outcome::Broken(format!("error without the file: {e}")),
            };
        };
        let path = dir.path().join(name);
        match vendors::vendor_from_toml(text, &path) {
            Ok(_) => Outcome::Accepted,
            Err(e) if e.to_string().contains(name) => Outcome::Refused,
            Err(e) => Outcome::Broken(format!("error without the file: {e}")),
        }
    });
}

#[test]
fn fuzz_a_vendor_s_precomputed_scores() {
    let dir = tempfile::tempdir().unwrap();
    let bench = datasets::load(&fixture("tiny")).unwrap();
    let vendor =
        vendors::vendor_from_toml("kind = \"embedded\"\nname = \"e\"\nversion = \"1\"\n", Path::new("e.toml")).unwrap();
    let run = harness::run::runner::run_vendor(&bench, vendor.as_ref(), &harness::run::progress::Silent);
    let config = common::write_scores(dir.path(), &bench, &run);
    let seeds = folder_seeds(dir.path());
    fuzz("scores-adapter", &seeds, 3000, |name, input| {
        let path = dir.path().join(name);
        std::fs::write(&path, input).unwrap();
        let outcome = match vendors::scores::load_run(&config, &bench) {
            Ok(_) => Outcome::Accepted,
            Err(e) if e.to_string().contains(".csv") || e.to_string().contains(".toml") => Outcome::Refused,
            Err(e) => Outcome::Broken(format!("error without the file: {e}")),
        };
        std::fs::write(&path, &seeds.iter().find(|(n, _)| n == name).unwrap().1).unwrap();
        outcome
    });
}

#[test]
fn fuzz_the_rubric() {
    let seeds =
        vec![("rubric-70-30.toml".to_string(), std::fs::read(root().join("examples/rubric-70-30.toml")).unwrap())];
    fuzz("rubric", &seeds, 3000, |name, input| {
        let Ok(text) = std::str::from_utf8(input) else { return Outcome::Refused };
        match reports::scorecard::Rubric::parse(text, Path::new(name)) {
            Ok(_) => Outcome::Accepted,
            Err(e) if e.to_string().contains(name) => Outcome::Refused,
            Err(e) => Outcome::Broken(format!("error without the file: {e}")),
        }
    });
}

#[test]
fn fuzz_results_json() {
    let seeds = folder_seeds(&root().join("tests/fuzz/corpus/results"));
    fuzz("results", &seeds, 2000, |name, input| {
        let Ok(text) = std::str::from_utf8(input) else { return Outcome::Refused };
        match reports::output::json::parse_results(text, Path::new(name)) {
            Ok(results) => {
                // What reads back must write back: no NaN hiding in a value that parsed.
                match reports::output::json::to_json_string(&results) {
                    Ok(_) => Outcome::Accepted,
                    Err(e) => Outcome::Broken(format!("read but cannot be written back: {e}")),
                }
            }
            Err(e) if e.to_string().starts_with(name) => Outcome::Refused,
            Err(e) => Outcome::Broken(format!("error without the file: {e}")),
        }
    });
}

#[test]
fn fuzz_process_vendor_replies() {
    let text = std::fs::read_to_string(root().join("tests/fuzz/corpus/replies/replies.txt")).unwrap();
    let seeds: Vec<(String, Vec<u8>)> =
        text.lines().enumerate().map(|(i, l)| (format!("reply-{i}"), l.as_bytes().to_vec())).collect();
    use vendors::process_wire as wire;
    fuzz("process-replies", &seeds, 20_000, |_, input| {
        let line = String::from_utf8_lossy(input);
        match wire::parse_reply(&line) {
            Ok(Ok(object)) => {
                let _ = wire::parse_describe(object.clone());
                if let Ok(t) = wire::string_field(&object, "template_b64") {
                    let _ = wire::decode_base64(t);
                }
                Outcome::Accepted
            }
            Ok(Err((_, message))) if !message.is_empty() => Outcome::Refused,
            Ok(Err(_)) => Outcome::Broken("a failure without a message".into()),
            Err(wire::Malformed(m)) if !m.is_empty() => Outcome::Refused,
            Err(_) => Outcome::Broken("a malformed reply without a reason".into()),
        }
    });
}

/// A command that exits 2 wrote nothing; no command panics (exit 101).
fn command_contract(o: &std::process::Output, out: &Path) -> Outcome {
    let t = text(o);
    if t.contains("panicked") || o.status.code() == Some(101) {
        return Outcome::Broken(format!("panicked: {t}"));
    }
    match o.status.code() {
        Some(0) => Outcome::Accepted,
        Some(2) if out.exists() => Outcome::Broken(format!("refused but wrote {}: {t}", out.display())),
        Some(2) if !t.contains("error:") => Outcome::Broken(format!("exit 2 without an error message: {t}")),
        Some(2) => Outcome::Refused,
        other => Outcome::Broken(format!("exit {other:?}: {t}")),
    }
}

#[test]
fn fuzz_the_command_line_on_score_files() {
    let corpus = root().join("tests/fuzz/corpus/scores");
    let seeds = folder_seeds(&corpus);
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("in");
    common::copy_tree(&corpus, &work);
    let mut n = 0;
    fuzz("cli-analyse", &seeds, 300, |name, input| {
        std::fs::write(work.join(name), input).unwrap();
        n += 1;
        let out = dir.path().join(format!("out-{n}"));
        let at = |f: &str| work.join(f);
        let (su, ve, se, ga, ca) =
            (at("subjects.csv"), at("verification.csv"), at("searches.csv"), at("gallery.csv"), at("candidates.csv"));
        let o = verity(&[
            "analyse",
            "--subjects",
            s(&su),
            "--verification",
            s(&ve),
            "--searches",
            s(&se),
            "--gallery",
            s(&ga),
            "--candidates",
            s(&ca),
            "--bootstrap-replicates",
            "0",
            "--out",
            s(&out),
        ]);
        let outcome = command_contract(&o, &out);
        std::fs::write(work.join(name), &seeds.iter().find(|(f, _)| f == name).unwrap().1).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        outcome
    });
}

#[test]
fn fuzz_the_command_line_on_a_benchmark() {
    let seeds = folder_seeds(&fixture("tiny"));
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("tiny");
    common::copy_tree(&fixture("tiny"), &work);
    let vendor: PathBuf = write(dir.path(), "emb.toml", "kind = \"embedded\"\nname = \"emb\"\nversion = \"1\"\n");
    let mut n = 0;
    fuzz("cli-run", &seeds, 300, |name, input| {
        std::fs::write(work.join(name), input).unwrap();
        n += 1;
        let out = dir.path().join(format!("out-{n}"));
        let o = verity(&[
            "run",
            s(&work),
            "--vendor",
            s(&vendor),
            "--bootstrap-replicates",
            "0",
            "--no-cache",
            "--out",
            s(&out),
        ]);
        let outcome = command_contract(&o, &out);
        std::fs::write(work.join(name), &seeds.iter().find(|(f, _)| f == name).unwrap().1).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        outcome
    });
}
