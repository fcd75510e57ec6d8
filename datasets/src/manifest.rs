//! `benchmark.toml`: what the benchmark is, which files hold it, and its protocols.
//!
//! Parsed through toml's spanned document tree rather than serde structs, so that every
//! missing or wrong key is reported (serde stops at the first) with its line.

use crate::error::{Problem, Problems};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(crate) const MANIFEST: &str = "benchmark.toml";

/// The label provenances a `[attributes.X]` table may declare. `synthetic` is for
/// simulated populations whose labels are assigned by construction.
pub const PROVENANCES: [&str; 4] = ["self-declared", "annotated", "estimated", "synthetic"];

/// A file named in the manifest, with where it was named (for "file not found").
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileRef {
    pub path: String,
    pub key: String,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attribute {
    pub name: String,
    pub provenance: String,
    /// Free text saying exactly where the labels came from (`detail`), if given.
    pub detail: Option<String>,
}

/// `[vocabulary.X]`: the codes a dataset writes in column X of the subjects table, each
/// with the category name the loader puts in its place.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Vocabulary {
    pub codes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Verification,
    Identification,
    Watchlist,
}

/// What a protocol table holds. Watchlists use the identification roles under their own
/// key names (watchlist = gallery, passes = mated, crowd = non-mated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Pairs,
    Gallery,
    Mated,
    NonMated,
}

impl Kind {
    /// The manifest keys naming this kind's files, in hashing order.
    pub(crate) fn file_keys(self) -> &'static [(&'static str, Role)] {
        match self {
            Kind::Verification => &[("pairs", Role::Pairs)],
            Kind::Identification => {
                &[("gallery", Role::Gallery), ("mated", Role::Mated), ("non_mated", Role::NonMated)]
            }
            Kind::Watchlist => &[("watchlist", Role::Gallery), ("passes", Role::Mated), ("crowd", Role::NonMated)],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProtocolSpec {
    pub name: String,
    pub kind: Kind,
    /// Key prefix for problems, e.g. `protocols[2]`.
    pub key: String,
    pub line: u64,
    pub files: Vec<(Role, FileRef)>,
    pub candidates: Option<(usize, u64)>,
    pub gallery_sizes: Option<(Vec<usize>, u64)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Manifest {
    pub name: String,
    pub version: String,
    pub licence: String,
    /// `identities = false`: each sample is its own subject (attribute-only datasets such
    /// as UTKFace), so the benchmark can carry no identity protocol.
    pub no_identities: bool,
    /// The public dataset or layout the benchmark was imported from (`source`).
    pub source: Option<String>,
    pub subjects: Option<FileRef>,
    pub samples: Option<FileRef>,
    pub attributes: Vec<Attribute>,
    /// By attribute name.
    pub vocabulary: BTreeMap<String, Vocabulary>,
    pub protocols: Vec<ProtocolSpec>,
}

/// Why a benchmark without identities refuses identity protocols, in one sentence.
pub(crate) fn no_identities_message(name: &str, source: Option<&str>) -> String {
    let from = source.map_or_else(|| "each sample is its own subject".to_string(), |s| format!("imported from {s}"));
    format!("benchmark {name} has no identities ({from}): it supports failure-to-acquire and quality breakdowns only")
}

impl Manifest {
    /// Every file the manifest names, in the order they are hashed.
    pub(crate) fn files(&self) -> Vec<&FileRef> {
        let mut out: Vec<&FileRef> = self.subjects.iter().chain(self.samples.iter()).collect();
        for p in &self.protocols {
            out.extend(p.files.iter().map(|(_, f)| f));
        }
        out
    }
}

/// 1-based line and column of a byte offset.
pub(crate) use storage::lines::line_col;

struct Reader<'t, 'p> {
    text: &'t str,
    problems: &'p mut Problems,
}

type Table<'i> = DeTable<'i>;

fn get<'a, 'i>(table: &'a Table<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table.iter().find(|(k, _)| &**k.get_ref() == key).map(|(_, v)| v)
}

impl Reader<'_, '_> {
    fn line(&self, span: Range<usize>) -> u64 {
        line_col(self.text, span.start).0
    }

    fn problem(&mut self, line: u64, key: &str, value: Option<String>, message: impl Into<String>) {
        let mut p = Problem::new(MANIFEST, message).line(line).column(key);
        p.value = value;
        self.problems.push(p);
    }

    /// Report keys a table may not hold: a misspelt key would otherwise be ignored silently.
    fn only(&mut self, table: &Table<'_>, allowed: &[&str], prefix: &str) {
        for (k, _) in table.iter() {
            let name: &str = k.get_ref();
            if !allowed.contains(&name) {
                let line = self.line(k.span());
                let expected = allowed.join(", ");
                self.problem(line, &join(prefix, name), None, format!("unknown key; expected one of: {expected}"));
            }
        }
    }

    fn table<'a, 'i>(
        &mut self,
        parent: &'a Table<'i>,
        key: &str,
        prefix: &str,
        at: u64,
    ) -> Option<(&'a Table<'i>, u64)> {
        match get(parent, key) {
            None => {
                self.problem(at, &join(prefix, key), None, "missing table");
                None
            }
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => Some((t, self.line(v.span()))),
                other => {
                    let line = self.line(v.span());
                    self.problem(
                        line,
                        &join(prefix, key),
                        None,
                        format!("expected a table, found {}", other.type_str()),
                    );
                    None
                }
            },
        }
    }

    fn string(&mut self, table: &Table<'_>, key: &str, prefix: &str, at: u64) -> Option<(String, u64)> {
        let path = join(prefix, key);
        match get(table, key) {
            None => {
                self.problem(at, &path, None, "missing key");
                None
            }
            Some(v) => {
                let line = self.line(v.span());
                match v.get_ref() {
                    DeValue::String(s) if s.trim().is_empty() => {
                        self.problem(line, &path, Some(s.to_string()), "empty value");
                        None
                    }
                    DeValue::String(s) => Some((s.to_string(), line)),
                    other => {
                        self.problem(line, &path, None, format!("expected a string, found {}", other.type_str()));
                        None
                    }
                }
            }
        }
    }

    fn file(&mut self, table: &Table<'_>, key: &str, prefix: &str, at: u64) -> Option<FileRef> {
        let (path, line) = self.string(table, key, prefix, at)?;
        let key = join(prefix, key);
        // Files outside the folder would escape the content hash and break relocation.
        if !is_relative_inside(&path) {
            self.problem(line, &key, Some(path), "must be a relative path inside the benchmark folder");
            return None;
        }
        Some(FileRef { path, key, line })
    }

    fn count(&mut self, value: &Spanned<DeValue<'_>>, path: &str) -> Option<usize> {
        let line = self.line(value.span());
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        match parsed {
            Some(n) if n >= 1 => usize::try_from(n).ok(),
            _ => {
                let shown = match value.get_ref() {
                    DeValue::Integer(i) => i.as_str().to_string(),
                    other => other.type_str().to_string(),
                };
                self.problem(line, path, Some(shown), "expected a whole number >= 1");
                None
            }
        }
    }

    fn protocol(&mut self, index: usize, value: &Spanned<DeValue<'_>>) -> Option<ProtocolSpec> {
        let key = format!("protocols[{}]", index + 1);
        let line = self.line(value.span());
        let DeValue::Table(t) = value.get_ref() else {
            self.problem(line, &key, None, "expected a table ([[protocols]])");
            return None;
        };
        let name = self.string(t, "name", &key, line).map(|(s, _)| s);
        let (kind_text, kind_line) = self.string(t, "kind", &key, line)?;
        let kind = match kind_text.as_str() {
            "verification" => Kind::Verification,
            "identification" => Kind::Identification,
            "watchlist" => Kind::Watchlist,
            _ => {
                self.problem(
                    kind_line,
                    &join(&key, "kind"),
                    Some(kind_text),
                    "unknown protocol kind; expected verification, identification or watchlist",
                );
                return None;
            }
        };
        let mut allowed: Vec<&str> = vec!["name", "kind"];
        allowed.extend(kind.file_keys().iter().map(|(k, _)| *k));
        match kind {
            Kind::Verification => {}
            Kind::Identification => allowed.extend(["candidates", "gallery_sizes"]),
            Kind::Watchlist => allowed.push("candidates"),
        }
        self.only(t, &allowed, &key);
        let files: Vec<Option<(Role, FileRef)>> =
            kind.file_keys().iter().map(|&(k, role)| self.file(t, k, &key, line).map(|f| (role, f))).collect();
        let mut candidates = None;
        if kind != Kind::Verification {
            // Required: a default L would silently change FPIR and SEL.
            match get(t, "candidates") {
                None => self.problem(line, &join(&key, "candidates"), None, "missing key (candidate list length L)"),
                Some(v) => candidates = self.count(v, &join(&key, "candidates")).map(|n| (n, self.line(v.span()))),
            }
        }
        let mut gallery_sizes = None;
        let mut sizes_ok = true;
        if let (Kind::Identification, Some(v)) = (kind, get(t, "gallery_sizes")) {
            let path = join(&key, "gallery_sizes");
            let sizes_line = self.line(v.span());
            match v.get_ref() {
                DeValue::Array(items) if !items.is_empty() => {
                    let sizes: Vec<Option<usize>> = items.iter().map(|i| self.count(i, &path)).collect();
                    if sizes.iter().all(Option::is_some) {
                        gallery_sizes = Some((sizes.into_iter().flatten().collect(), sizes_line));
                    } else {
                        sizes_ok = false;
                    }
                }
                _ => {
                    self.problem(sizes_line, &path, None, "expected a non-empty array of whole numbers");
                    sizes_ok = false;
                }
            }
        }
        let name = name?;
        if !sizes_ok || files.iter().any(Option::is_none) {
            return None;
        }
        Some(ProtocolSpec {
            name,
            kind,
            key,
            line,
            files: files.into_iter().flatten().collect(),
            candidates,
            gallery_sizes,
        })
    }
}

impl Reader<'_, '_> {
    /// `[vocabulary.X]` tables: each names a declared attribute and maps codes to
    /// non-empty category names.
    fn vocabularies(&mut self, value: &Spanned<DeValue<'_>>, manifest: &mut Manifest) {
        let DeValue::Table(tables) = value.get_ref() else {
            let line = self.line(value.span());
            self.problem(line, "vocabulary", None, "expected [vocabulary.ATTRIBUTE] tables");
            return;
        };
        for (k, v) in tables.iter() {
            let attribute = k.get_ref().to_string();
            let prefix = format!("vocabulary.{attribute}");
            let line = self.line(v.span());
            if !manifest.attributes.iter().any(|a| a.name == attribute) {
                let msg = format!("vocabulary of an undeclared attribute; declare [attributes.{attribute}]");
                self.problem(line, &prefix, None, msg);
                continue;
            }
            let DeValue::Table(codes) = v.get_ref() else {
                self.problem(line, &prefix, None, "expected a table of code = \"category name\"");
                continue;
            };
            let mut vocabulary = Vocabulary::default();
            for (code, name) in codes.iter() {
                let code = code.get_ref().to_string();
                let path = join(&prefix, &code);
                let nline = self.line(name.span());
                match name.get_ref() {
                    DeValue::String(s) if !s.trim().is_empty() => {
                        vocabulary.codes.insert(code, s.to_string());
                    }
                    DeValue::String(s) => self.problem(nline, &path, Some(s.to_string()), "empty category name"),
                    other => {
                        let msg = format!("expected a category name (string), found {}", other.type_str());
                        self.problem(nline, &path, None, msg);
                    }
                }
            }
            if vocabulary.codes.is_empty() {
                self.problem(line, &prefix, None, "empty vocabulary: list each code with its category name");
            }
            manifest.vocabulary.insert(attribute, vocabulary);
        }
    }
}

pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

/// Relative, and no `..`: the path stays inside the benchmark folder.
pub(crate) fn is_relative_inside(path: &str) -> bool {
    let p = std::path::Path::new(path);
    !path.is_empty()
        && p.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
}

/// Parse the manifest text, reporting every problem. Returns what could be read; the
/// caller decides whether that is enough to go on.
pub(crate) fn parse(text: &str, problems: &mut Problems) -> Manifest {
    let mut manifest = Manifest::default();
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let mut p = Problem::new(MANIFEST, format!("invalid TOML: {}", e.message().trim()));
            if let Some(span) = e.span() {
                let (line, column) = line_col(text, span.start);
                p = p.line(line);
                p.message = format!("invalid TOML at column {column}: {}", e.message().trim());
            }
            problems.push(p);
        }
        return manifest;
    }
    let root = doc.get_ref();
    let mut r = Reader { text, problems };
    r.only(root, &["benchmark", "tables", "attributes", "vocabulary", "protocols"], "");
    let mut labels_none = None;
    if let Some((b, line)) = r.table(root, "benchmark", "", 1) {
        r.only(b, &["name", "version", "licence", "description", "identities", "source", "labels"], "benchmark");
        manifest.name = r.string(b, "name", "benchmark", line).map(|s| s.0).unwrap_or_default();
        manifest.version = r.string(b, "version", "benchmark", line).map(|s| s.0).unwrap_or_default();
        manifest.licence = r.string(b, "licence", "benchmark", line).map(|s| s.0).unwrap_or_default();
        if let Some(v) = get(b, "description")
            && !matches!(v.get_ref(), DeValue::String(_))
        {
            let line = r.line(v.span());
            r.problem(line, "benchmark.description", None, "expected a string");
        }
        if let Some(v) = get(b, "identities") {
            match v.get_ref() {
                DeValue::Boolean(flag) => manifest.no_identities = !flag,
                other => {
                    let line = r.line(v.span());
                    let msg = format!("expected true or false, found {}", other.type_str());
                    r.problem(line, "benchmark.identities", None, msg);
                }
            }
        }
        if get(b, "source").is_some() {
            manifest.source = r.string(b, "source", "benchmark", line).map(|s| s.0);
        }
        if get(b, "labels").is_some()
            && let Some((labels, lline)) = r.string(b, "labels", "benchmark", line)
        {
            if labels == "none" {
                labels_none = Some(lline);
            } else {
                let msg = "expected \"none\" (the source has no demographic labels), or leave the key out";
                r.problem(lline, "benchmark.labels", Some(labels), msg);
            }
        }
    }
    if let Some((t, line)) = r.table(root, "tables", "", 1) {
        r.only(t, &["subjects", "samples"], "tables");
        manifest.subjects = r.file(t, "subjects", "tables", line);
        manifest.samples = r.file(t, "samples", "tables", line);
    }
    if let Some((attrs, _)) = r.table(root, "attributes", "", 1) {
        for (k, v) in attrs.iter() {
            let name = k.get_ref().to_string();
            let prefix = format!("attributes.{name}");
            let line = r.line(v.span());
            let DeValue::Table(a) = v.get_ref() else {
                r.problem(line, &prefix, None, "expected a table with a provenance key");
                continue;
            };
            r.only(a, &["provenance", "detail"], &prefix);
            let detail =
                if get(a, "detail").is_some() { r.string(a, "detail", &prefix, line).map(|d| d.0) } else { None };
            if let Some((provenance, pline)) = r.string(a, "provenance", &prefix, line) {
                if !PROVENANCES.contains(&provenance.as_str()) {
                    let expected = PROVENANCES.join(", ");
                    r.problem(
                        pline,
                        &join(&prefix, "provenance"),
                        Some(provenance),
                        format!("unknown provenance; expected one of: {expected}"),
                    );
                } else {
                    manifest.attributes.push(Attribute { name, provenance, detail });
                }
            }
        }
    }
    if let (Some(line), false) = (labels_none, manifest.attributes.is_empty()) {
        let msg = "labels = \"none\" says there are no demographic labels, but attributes are declared";
        r.problem(line, "benchmark.labels", Some("none".into()), msg);
    }
    if let Some(v) = get(root, "vocabulary") {
        r.vocabularies(v, &mut manifest);
    }
    // A benchmark may have no protocols yet: `verity protocol` adds them.
    match get(root, "protocols") {
        None => {}
        Some(v) => match v.get_ref() {
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if manifest.no_identities {
                        // Mated and non-mated trials need subjects with several samples.
                        let line = r.line(item.span());
                        let msg = no_identities_message(&manifest.name, manifest.source.as_deref());
                        r.problem(line, &format!("protocols[{}]", i + 1), None, msg);
                        continue;
                    }
                    if let Some(spec) = r.protocol(i, item) {
                        if let Some(first) = manifest.protocols.iter().find(|p| p.name == spec.name) {
                            let msg = format!("duplicate protocol name (first at line {})", first.line);
                            r.problem(spec.line, &join(&spec.key, "name"), Some(spec.name.clone()), msg);
                        } else {
                            manifest.protocols.push(spec);
                        }
                    }
                }
            }
            other => {
                let line = r.line(v.span());
                r.problem(
                    line,
                    "protocols",
                    None,
                    format!("expected [[protocols]] tables, found {}", other.type_str()),
                );
            }
        },
    }
    manifest
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
