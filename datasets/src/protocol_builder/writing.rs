//! Adding a built protocol to an existing benchmark folder: its tables under
//! `protocols/`, and a `[[protocols]]` entry appended to `benchmark.toml` (the rest of
//! the manifest is kept byte for byte), with the seed and recipe in a comment above it.
//!
//! The tables are written to temporary files and renamed into place, and the manifest is
//! renamed last; the folder is then loaded back, and if that fails the old manifest is
//! put back and the new tables removed, so a reader never sees a half-added protocol.

use super::{BuildError, BuiltProtocol};
use crate::load::load;
use crate::manifest::MANIFEST;
use harness::model::benchmark::{Benchmark, Protocol};
use std::path::{Path, PathBuf};

/// Keys of `[benchmark]` by which a benchmark may say it has no subject identities
/// (attribute-only datasets: each image its own "subject"). Checked by name because the
/// manifest schema has no such key yet; `identities = false` is the one documented in
/// docs/protocols.md.
const NO_IDENTITY_FLAGS: &[(&str, bool)] =
    &[("identities", false), ("has_identities", false), ("attribute_only", true), ("attributes_only", true)];
const NO_IDENTITY_KINDS: &[&str] = &["attribute-only", "attributes-only", "attribute_only", "attributes_only"];

/// Where the manifest says the benchmark has no subject identities, the key that says
/// so (e.g. `benchmark.identities = false`); `None` otherwise or when it cannot be read.
pub fn identity_marker(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let tables = [("benchmark", doc.get("benchmark")), ("", Some(&toml::Value::Table(doc.clone())))];
    for (prefix, table) in tables {
        let Some(toml::Value::Table(t)) = table else { continue };
        let key = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
        for (name, flagged) in NO_IDENTITY_FLAGS {
            if t.get(*name).and_then(toml::Value::as_bool) == Some(*flagged) {
                return Some(format!("{} = {flagged}", key(name)));
            }
        }
        for name in ["kind", "content", "labels", "identity"] {
            if let Some(v) = t.get(name).and_then(toml::Value::as_str)
                && NO_IDENTITY_KINDS.contains(&v)
            {
                return Some(format!("{} = \"{v}\"", key(name)));
            }
        }
    }
    None
}

/// A protocol name made safe for a file name.
fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect()
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One line of comment text: no line breaks from names or labels.
fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The files a protocol is written to: (manifest key, relative path, header, rows).
type Table = (&'static str, String, Vec<&'static str>, Vec<Vec<String>>);

fn tables(bench: &Benchmark, protocol: &Protocol) -> Vec<Table> {
    let id = |i: &u32| bench.samples.ids.get(*i as usize).cloned().unwrap_or_default();
    let base = format!("protocols/{}", slug(protocol.name()));
    match protocol {
        Protocol::Verification(v) => {
            let rows = v.probe.iter().zip(&v.reference).map(|(a, b)| vec![id(a), id(b)]).collect();
            vec![("pairs", format!("{base}-pairs.csv"), vec!["probe_sample", "reference_sample"], rows)]
        }
        Protocol::Identification(s) | Protocol::Watchlist(s) => {
            let keys = if matches!(protocol, Protocol::Watchlist(_)) {
                ["watchlist", "passes", "crowd"]
            } else {
                ["gallery", "mated", "non_mated"]
            };
            keys.iter()
                .zip([&s.gallery, &s.mated, &s.non_mated])
                .map(|(key, list)| {
                    let rows = list.iter().map(|i| vec![id(i)]).collect();
                    (*key, format!("{base}-{}.csv", key.replace('_', "-")), vec!["sample_id"], rows)
                })
                .collect()
        }
    }
}

fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<(), BuildError> {
    let io = |source| BuildError::Io { path: path.to_path_buf(), source };
    let mut w = csv::Writer::from_path(path).map_err(|e| io(e.into()))?;
    w.write_record(header).map_err(|e| io(e.into()))?;
    for row in rows {
        w.write_record(row).map_err(|e| io(e.into()))?;
    }
    w.flush().map_err(io)
}

/// The manifest entry: a comment with the seed and recipe, then the `[[protocols]]` table.
fn entry(built: &BuiltProtocol, files: &[Table]) -> String {
    let p = &built.protocol;
    let mut out = format!(
        "\n# Built by `verity protocol` (datasets::protocol_builder), seed {}.\n# {}\n[[protocols]]\nname = {}\nkind = \"{}\"\n",
        built.seed,
        comment(&built.recipe),
        toml_string(p.name()),
        p.kind().name()
    );
    for (key, path, _, _) in files {
        out += &format!("{key} = {}\n", toml_string(path));
    }
    if let Protocol::Identification(s) | Protocol::Watchlist(s) = p {
        out += &format!("candidates = {}\n", s.candidates);
        if matches!(p, Protocol::Identification(_)) {
            let sizes: Vec<String> = s.gallery_sizes.iter().map(usize::to_string).collect();
            out += &format!("gallery_sizes = [{}]\n", sizes.join(", "));
        }
    }
    out
}

/// Removes the files it holds when dropped, unless disarmed.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Add `built` to the benchmark in `dir` (already loaded as `bench`). Refuses a protocol
/// name the manifest already has, and files that already exist. Returns the relative
/// paths of the tables written.
pub fn add_to_benchmark(dir: &Path, bench: &Benchmark, built: &BuiltProtocol) -> Result<Vec<String>, BuildError> {
    let name = built.protocol.name();
    if bench.protocols.iter().any(|p| p.name() == name) {
        return Err(BuildError::Exists(format!(
            "the benchmark already has a protocol named `{name}`; choose another name"
        )));
    }
    let files = tables(bench, &built.protocol);
    for (_, path, _, _) in &files {
        if dir.join(path).exists() {
            return Err(BuildError::Exists(format!(
                "{}: the file exists; refusing to overwrite it (choose another protocol name)",
                dir.join(path).display()
            )));
        }
    }
    let manifest_path = dir.join(MANIFEST);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { path, source }
    };
    let old = std::fs::read_to_string(&manifest_path).map_err(io(&manifest_path))?;
    let mut text = old.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text += &entry(built, &files);

    let pid = std::process::id();
    let protocols_dir = dir.join("protocols");
    std::fs::create_dir_all(&protocols_dir).map_err(io(&protocols_dir))?;
    let mut temporary = Cleanup(Vec::new());
    let mut staged = Vec::new();
    for (_, path, header, rows) in &files {
        let target = dir.join(path);
        let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = target.with_file_name(format!(".{file_name}.tmp-{pid}"));
        temporary.0.push(tmp.clone());
        write_csv(&tmp, header, rows)?;
        staged.push((tmp, target));
    }
    let manifest_tmp = dir.join(format!(".{MANIFEST}.tmp-{pid}"));
    temporary.0.push(manifest_tmp.clone());
    std::fs::write(&manifest_tmp, &text).map_err(io(&manifest_tmp))?;
    let mut placed = Cleanup(Vec::new());
    for (tmp, target) in &staged {
        std::fs::rename(tmp, target).map_err(io(target))?;
        placed.0.push(target.clone());
    }
    std::fs::rename(&manifest_tmp, &manifest_path).map_err(io(&manifest_path))?;
    if let Err(problems) = load(dir) {
        // Put the old manifest back before `placed` removes the new tables.
        let restore = dir.join(format!(".{MANIFEST}.restore-{pid}"));
        std::fs::write(&restore, &old).map_err(io(&restore))?;
        std::fs::rename(&restore, &manifest_path).map_err(io(&manifest_path))?;
        return Err(BuildError::NotValid(problems));
    }
    placed.0.clear();
    Ok(files.into_iter().map(|(_, path, _, _)| path).collect())
}
