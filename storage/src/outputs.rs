//! What verity wrote into an output folder, so that the folder is always consistent.
//!
//! A run folder collects outputs of several writers: `verity run` (results.json, the
//! tables, raw/), `verity report` (report.html, annex, figures/), `verity compare` and
//! `verity score`. Each is made from some `results.json`. The folder's manifest
//! (`.verity-outputs.json`) records, per writer, the entries it wrote and the SHA-256 of
//! the results they were made from. When a writer commits ([`crate::atomic::StagedDir`]):
//!
//! - entries it wrote before and does not write now are removed (a vendor dropped from a
//!   rerun takes its raw folder and figures with it);
//! - when it replaces the folder's `results.json` with different results, every entry any
//!   writer made from the old results is removed (the old report no longer describes
//!   what the folder holds).
//!
//! Only entries named in the manifest are ever removed; a folder without a manifest, or
//! with one that cannot be read, loses nothing. Rewriting identical results keeps every
//! output made from them.

use crate::IoError;
use std::collections::BTreeSet;
use std::path::Path;

/// File name of the manifest inside an output folder.
pub const MANIFEST: &str = ".verity-outputs.json";

/// Who is committing outputs, and from which results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `run`, `report`, `compare`, `scorecard`, ...: one record per writer and folder.
    pub writer: String,
    /// SHA-256 (hex) of each `results.json` the outputs were made from; for the writer of
    /// results, the results it writes.
    pub sources: Vec<String>,
    /// SHA-256 of results this commit replaces: outputs made from them are stale.
    pub obsoletes: Vec<String>,
}

impl Owner {
    pub fn new(writer: impl Into<String>, sources: Vec<String>) -> Self {
        Owner { writer: writer.into(), sources, obsoletes: Vec::new() }
    }
    pub fn obsoleting(mut self, obsoletes: Vec<String>) -> Self {
        self.obsoletes = obsoletes;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    writer: String,
    sources: Vec<String>,
    entries: Vec<String>,
}

/// The manifest of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    records: Vec<Record>,
}

impl Manifest {
    /// The folder's manifest; empty when there is none or it cannot be read (then nothing
    /// is removed: the rule only ever deletes what verity knows it wrote).
    pub(crate) fn read(dir: &Path) -> Manifest {
        std::fs::read_to_string(dir.join(MANIFEST)).ok().and_then(|t| parse(&t)).unwrap_or_default()
    }

    /// Entries to remove before `owner` commits `writing`.
    pub(crate) fn stale_entries(&self, owner: &Owner, writing: &[String]) -> Vec<String> {
        let writing: BTreeSet<&str> = writing.iter().map(String::as_str).collect();
        let mut keep: BTreeSet<&str> = BTreeSet::new();
        let mut stale: BTreeSet<&str> = BTreeSet::new();
        for r in &self.records {
            let obsolete = r.sources.iter().any(|s| owner.obsoletes.contains(s));
            let own = r.writer == owner.writer;
            for e in &r.entries {
                if writing.contains(e.as_str()) {
                    continue;
                }
                if own || obsolete {
                    stale.insert(e);
                } else {
                    keep.insert(e);
                }
            }
        }
        // An entry another current record still claims stays.
        stale.difference(&keep).map(|s| s.to_string()).collect()
    }

    /// Record what `owner` wrote; drop its old record and every stale one, and remove
    /// the names it now writes from other records (they are its entries now).
    pub(crate) fn record(&mut self, owner: &Owner, entries: Vec<String>) {
        self.records.retain(|r| r.writer != owner.writer && !r.sources.iter().any(|s| owner.obsoletes.contains(s)));
        for r in &mut self.records {
            r.entries.retain(|e| !entries.contains(e));
        }
        self.records.retain(|r| !r.entries.is_empty());
        let mut entries = entries;
        entries.sort();
        self.records.push(Record { writer: owner.writer.clone(), sources: owner.sources.clone(), entries });
        self.records.sort_by(|a, b| a.writer.cmp(&b.writer));
    }

    pub(crate) fn write(&self, dir: &Path) -> Result<(), IoError> {
        crate::atomic::write_bytes(&dir.join(MANIFEST), render(self).as_bytes())
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct File {
    note: String,
    outputs: Vec<Record>,
}

const NOTE: &str =
    "outputs verity wrote into this folder, and the results (SHA-256 of results.json) they were made from";

fn render(m: &Manifest) -> String {
    let file = File { note: NOTE.into(), outputs: m.records.clone() };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

fn parse(text: &str) -> Option<Manifest> {
    serde_json::from_str::<File>(text).ok().map(|f| Manifest { records: f.outputs })
}

/// SHA-256 of a file's bytes, hex; `None` when it cannot be read.
pub fn file_digest(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    use sha2::{Digest, Sha256};
    Some(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(writer: &str, sources: &[&str], obsoletes: &[&str]) -> Owner {
        Owner::new(writer, sources.iter().map(|s| s.to_string()).collect())
            .obsoleting(obsoletes.iter().map(|s| s.to_string()).collect())
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn round_trip_through_the_file_format() {
        let mut m = Manifest::default();
        m.record(&owner("run", &["h1"], &[]), names(&["results.json", "raw"]));
        m.record(&owner("report", &["h1"], &[]), names(&["report.html", "figures", "we\"ird\\"]));
        assert_eq!(parse(&render(&m)), Some(m.clone()));
        assert_eq!(parse("not json"), None);
        assert_eq!(parse("{\"outputs\": [{\"writer\": \"x\"}]}"), None);
    }

    #[test]
    fn new_results_make_outputs_of_the_old_ones_stale() {
        let mut m = Manifest::default();
        m.record(&owner("run", &["old"], &[]), names(&["results.json", "raw", "timing.json"]));
        m.record(&owner("report", &["old"], &[]), names(&["report.html", "figures"]));
        m.record(&owner("compare", &["old", "elsewhere"], &[]), names(&["compare.html"]));
        m.record(&owner("scorecard", &["elsewhere"], &[]), names(&["scorecard.html"]));
        // A rerun with different results, without timing.json this time.
        let rerun = owner("run", &["new"], &["old"]);
        let stale = m.stale_entries(&rerun, &names(&["results.json", "raw"]));
        assert_eq!(stale, names(&["compare.html", "figures", "report.html", "timing.json"]));
        m.record(&rerun, names(&["raw", "results.json"]));
        let writers: Vec<&str> = m.records.iter().map(|r| r.writer.as_str()).collect();
        assert_eq!(writers, ["run", "scorecard"]);
    }

    #[test]
    fn identical_results_keep_what_was_made_from_them() {
        let mut m = Manifest::default();
        m.record(&owner("run", &["h"], &[]), names(&["results.json"]));
        m.record(&owner("report", &["h"], &[]), names(&["report.html"]));
        let again = owner("run", &["h"], &[]);
        assert!(m.stale_entries(&again, &names(&["results.json"])).is_empty());
    }

    #[test]
    fn an_entry_another_writer_now_claims_is_not_removed() {
        let mut m = Manifest::default();
        m.record(&owner("report", &["h"], &[]), names(&["shared.md", "report.html"]));
        m.record(&owner("compare", &["h"], &[]), names(&["shared.md"]));
        // The report no longer writes shared.md, but compare still owns it.
        assert_eq!(m.stale_entries(&owner("report", &["h"], &[]), &names(&["report.html"])), Vec::<String>::new());
    }
}
