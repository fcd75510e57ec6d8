//! Sharded runs (docs/scale.md): `verity run --shard I/N` makes the I-th of N equal parts
//! of the templates of a run, the expensive vendor work, into its part folder's template
//! cache and writes a manifest ([`MANIFEST`]) when it has finished; `verity merge`
//! checks that the parts belong to one run and are all there, gathers their caches and
//! runs the comparisons, searches and analysis once, taking every template from the
//! caches. Its outputs are those of the unsharded run, byte for byte: the same templates
//! go through the same code.

use crate::Error;
use crate::sources::{Source, Sources};
use harness::model::benchmark::Benchmark;
use harness::run::cache::DirStore;
use harness::run::progress::Progress;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The manifest of a finished part, in its folder.
pub const MANIFEST: &str = "shard.json";

/// What the manifest's `format` says.
pub const FORMAT: &str = "verity-shard/1";

/// A shard of a run: part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// `I/N` with 1 ≤ I ≤ N, both whole numbers.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text:?}: expected I/N with 1 <= I <= N (e.g. 2/8)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// One vendor's part of the templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardVendor {
    pub name: String,
    /// What keys its template cache (its fingerprint and its files' hashes).
    pub identity: String,
    /// The shard's range of the run's planned templates, `[start, end)`.
    pub start: usize,
    pub end: usize,
    pub planned: usize,
    pub made: u64,
    pub from_cache: u64,
}

/// A finished part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub verity_version: String,
    pub shard: Shard,
    /// The benchmark's content hash.
    pub benchmark: String,
    pub vendors: Vec<ShardVendor>,
    /// The arguments of the unsharded run (`run` first, paths absolute, without `--shard`,
    /// the output folder a placeholder): what `verity merge` runs into its `--out`.
    pub arguments: Vec<String>,
}

/// Make the templates of `shard` for every vendor of `sources` that runs on media (a
/// vendor's own scores need no templates) into `out/.verity-cache/`, then write the
/// manifest. A part killed before its manifest is written is run again alone; its cache
/// keeps what it finished.
pub fn run_shard(
    bench: &Benchmark,
    sources: Sources,
    out: &Path,
    shard: Shard,
    arguments: Vec<String>,
    progress: &dyn Progress,
) -> Result<Manifest, Error> {
    let planned = harness::run::plan::templates_of(bench).len();
    let mut vendors = Vec::new();
    for source in sources.list {
        let Source::Run { vendor, identity, .. } = source else { continue };
        let store = DirStore::open(&out.join(crate::run::CACHE_DIR), &identity)?;
        let (range, counts) = harness::run::runner::make_shard_templates(
            bench,
            vendor.as_ref(),
            progress,
            &store,
            shard.index,
            shard.count,
        )?;
        if let Some(message) = vendor.fatal() {
            return Err(Error::Failure(format!("shard {}/{} was stopped: {message}", shard.index, shard.count)));
        }
        vendors.push(ShardVendor {
            name: vendor.describe().name,
            identity,
            start: range.start,
            end: range.end,
            planned,
            made: counts.made,
            from_cache: counts.from_cache,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        verity_version: env!("CARGO_PKG_VERSION").into(),
        shard,
        benchmark: bench.content_hash.clone(),
        vendors,
        arguments,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| Error::Failure(e.to_string()))?;
    storage::atomic::write_bytes(&out.join(MANIFEST), format!("{text}\n").as_bytes())
        .map_err(|e| Error::Failure(format!("{}: {e}", out.join(MANIFEST).display())))?;
    Ok(manifest)
}

/// Read each part's manifest and check that they are the parts of one run, all there
/// once: the same verity version, benchmark, vendors and arguments, and shards 1 to N
/// each exactly once. Every problem is bad input naming the part's folder.
pub fn check_parts(parts: &[PathBuf]) -> Result<Manifest, Error> {
    let mut manifests: Vec<(PathBuf, Manifest)> = Vec::new();
    for part in parts {
        let path = part.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::BadInput(format!(
                "{}: no readable {MANIFEST} ({e}): the shard did not finish; run it again alone",
                part.display()
            ))
        })?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::BadInput(format!("{}: line {}, column {}: {e}", path.display(), e.line(), e.column()))
        })?;
        if m.format != FORMAT {
            return Err(Error::BadInput(format!("{}: format {:?}, expected {FORMAT:?}", path.display(), m.format)));
        }
        if m.shard.index == 0 || m.shard.index > m.shard.count {
            return Err(Error::BadInput(format!(
                "{}: shard {}/{} is not a shard (1 <= I <= N)",
                path.display(),
                m.shard.index,
                m.shard.count
            )));
        }
        if m.verity_version != env!("CARGO_PKG_VERSION") {
            return Err(Error::BadInput(format!(
                "{}: written by verity {}, this is verity {}: rerun the shards with one version",
                part.display(),
                m.verity_version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        manifests.push((part.clone(), m));
    }
    let Some((first_path, first)) = manifests.first().cloned() else {
        return Err(Error::BadInput("verity merge needs the folders of the parts".into()));
    };
    for (path, m) in &manifests[1..] {
        let differs = |what: &str, a: String, b: String| {
            Error::BadInput(format!(
                "{}: not a part of the same run as {}: its {what} is {a}, there {b}",
                path.display(),
                first_path.display()
            ))
        };
        if m.shard.count != first.shard.count {
            return Err(differs("shard count", m.shard.count.to_string(), first.shard.count.to_string()));
        }
        if m.benchmark != first.benchmark {
            return Err(differs("benchmark (content hash)", m.benchmark.clone(), first.benchmark.clone()));
        }
        let ids = |m: &Manifest| m.vendors.iter().map(|v| v.name.clone()).collect::<Vec<_>>().join(", ");
        let identities = |m: &Manifest| m.vendors.iter().map(|v| v.identity.clone()).collect::<Vec<_>>();
        if identities(m) != identities(&first) {
            return Err(differs("vendors (or their configuration)", ids(m), ids(&first)));
        }
        if m.arguments != first.arguments {
            return Err(differs("command", m.arguments.join(" "), first.arguments.join(" ")));
        }
    }
    let n = first.shard.count;
    let mut seen: Vec<Option<&PathBuf>> = vec![None; n];
    for (path, m) in &manifests {
        let slot = &mut seen[m.shard.index - 1];
        if let Some(other) = slot {
            return Err(Error::BadInput(format!(
                "{}: shard {}/{n} is given twice (also {})",
                path.display(),
                m.shard.index,
                other.display()
            )));
        }
        *slot = Some(path);
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| format!("{}/{n}", i + 1)).collect();
    if !missing.is_empty() {
        return Err(Error::BadInput(format!("shards missing: {} (of the parts given)", missing.join(", "))));
    }
    // The parts tile every vendor's planned templates.
    for (k, v) in first.vendors.iter().enumerate() {
        let mut ranges: Vec<(usize, usize)> =
            manifests.iter().map(|(_, m)| (m.vendors[k].start, m.vendors[k].end)).collect();
        ranges.sort_unstable();
        let tiles = ranges.windows(2).all(|w| w[0].1 == w[1].0)
            && ranges.first().is_some_and(|r| r.0 == 0)
            && ranges.last().is_some_and(|r| r.1 == v.planned);
        if !tiles {
            return Err(Error::BadInput(format!(
                "the parts do not cover the {} planned templates of {} exactly: {ranges:?}",
                v.planned, v.name
            )));
        }
    }
    Ok(first)
}

/// Copy every part's template cache into `out/.verity-cache/` (blocks are named by their
/// content, so the same block from two parts is one file).
pub fn gather_caches(parts: &[PathBuf], out: &Path) -> Result<(), Error> {
    let failure = |p: &Path, e: std::io::Error| Error::Failure(format!("{}: {e}", p.display()));
    for part in parts {
        let cache = part.join(crate::run::CACHE_DIR);
        let Ok(stores) = std::fs::read_dir(&cache) else { continue };
        for store in stores {
            let store = store.map_err(|e| failure(&cache, e))?.path();
            if !store.is_dir() {
                continue;
            }
            let into = out.join(crate::run::CACHE_DIR).join(store.file_name().unwrap_or_default());
            std::fs::create_dir_all(&into).map_err(|e| failure(&into, e))?;
            for file in std::fs::read_dir(&store).map_err(|e| failure(&store, e))? {
                let file = file.map_err(|e| failure(&store, e))?.path();
                let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let keep = (name.starts_with("block-") && name.ends_with(".bin")) || name == "fingerprint.txt";
                let target = into.join(&name);
                if keep && file.is_file() && !target.exists() {
                    let staging = into.join(format!(".{name}.part"));
                    std::fs::copy(&file, &staging).map_err(|e| failure(&file, e))?;
                    std::fs::rename(&staging, &target).map_err(|e| failure(&target, e))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        assert_eq!(Shard::parse("1/1"), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "a/b", "3", "1/0", "/3", "-1/3", "1.5/3"] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains(&format!("{bad:?}")) && e.contains("1 <= I <= N"), "{bad}: {e}");
        }
    }

    #[test]
    fn shard_ranges_tile_the_templates_in_order() {
        use harness::run::runner::shard_range;
        for total in [0usize, 1, 2, 7, 10, 1000, 1001] {
            for n in 1..=9 {
                let ranges: Vec<_> = (1..=n).map(|i| shard_range(i, n, total)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[n - 1].end, total);
                assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
                let sizes: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "{total} in {n}: {sizes:?}");
            }
        }
        assert_eq!(shard_range(2, 3, 10), 3..6);
    }
}
