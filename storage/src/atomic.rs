//! Atomic writes: a reader never sees a half-written file or a half-written output
//! folder.
//!
//! - One file ([`AtomicFile`], [`write_file`]): the bytes go to a temporary file in the
//!   same folder (so the rename cannot cross filesystems), the file is fsynced, renamed
//!   over the target, and the folder is fsynced so the rename itself survives a crash.
//!   A temporary file that is dropped without [`AtomicFile::commit`] is removed.
//! - A whole output folder ([`StagedDir`]): every file is first written into a hidden
//!   staging folder *inside* the output folder (`OUT/.verity-staging-PID-N/`). Only when
//!   everything was written does [`StagedDir::commit`] move the entries into `OUT`, one
//!   rename each, `results.json` (or whatever was named last) last. A failure while
//!   writing removes the staging folder and leaves `OUT` as it was. Other files in
//!   `OUT` (a template cache, a report written by someone else) are left alone; only the
//!   names the staging folder holds are replaced. An existing folder of the same name
//!   (e.g. `raw/` of an earlier run) is replaced whole, so no stale file of an earlier
//!   run survives inside it.
//!
//! Why not rename the whole folder: `OUT` may already exist and hold other things (the
//! command line creates it, caches live in it), and a folder cannot be renamed over a
//! non-empty one. The per-entry renames are each atomic; a crash between two of them can
//! mix entries of two complete runs, never a partial file, and `results.json` renamed
//! last marks a finished output.

use crate::IoError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other writer in this or another process uses at the same time.
fn unique_suffix() -> String {
    format!("{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn io_error(path: &Path, source: io::Error) -> IoError {
    IoError::new(path, source)
}

/// The folder a path lives in (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsync a folder so that a rename into it is durable. Not every platform can open a
/// folder for syncing; there the rename is still atomic, only not yet durable.
fn sync_dir(dir: &Path) -> Result<(), IoError> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A file being written to a temporary name beside its target.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
    committed: bool,
}

impl AtomicFile {
    /// Open a temporary file in `target`'s folder (which must exist).
    pub fn create(target: &Path) -> Result<Self, IoError> {
        let name = target
            .file_name()
            .ok_or_else(|| io_error(target, io::Error::new(io::ErrorKind::InvalidInput, "not a file name")))?
            .to_string_lossy()
            .into_owned();
        let temp = parent_of(target).join(format!(".{name}.tmp-{}", unique_suffix()));
        // create_new: never clobber a file someone else is writing.
        let file = OpenOptions::new().write(true).create_new(true).open(&temp).map_err(|e| io_error(&temp, e))?;
        Ok(AtomicFile { target: target.to_path_buf(), temp, writer: Some(BufWriter::new(file)), committed: false })
    }

    /// Where the bytes go until [`commit`](Self::commit).
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("AtomicFile used after commit")
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flush, fsync, rename over the target, fsync the folder.
    pub fn commit(mut self) -> Result<(), IoError> {
        let writer = self.writer.take().expect("AtomicFile committed twice");
        let file = writer.into_inner().map_err(|e| io_error(&self.temp, e.into_error()))?;
        file.sync_all().map_err(|e| io_error(&self.temp, e))?;
        drop(file);
        fs::rename(&self.temp, &self.target).map_err(|e| io_error(&self.target, e))?;
        self.committed = true;
        sync_dir(&parent_of(&self.target))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed (an error, or a panic): the temporary file must not linger.
            drop(self.writer.take());
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Write `path` atomically with whatever `write` puts into the writer.
pub fn write_file<F, E>(path: &Path, write: F) -> Result<(), E>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<(), E>,
    E: From<IoError>,
{
    let mut file = AtomicFile::create(path)?;
    write(file.writer())?;
    Ok(file.commit()?)
}

/// Write `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_file(path, |w| w.write_all(bytes).map_err(|e| io_error(path, e)))
}

/// An output folder being assembled in a hidden staging folder inside it; see the
/// module documentation for the guarantees.
pub struct StagedDir {
    out: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Create `out` (and its parents) if needed, and an empty staging folder inside it.
    pub fn create(out: &Path) -> Result<Self, IoError> {
        fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
        let staging = out.join(format!(".verity-staging-{}", unique_suffix()));
        fs::create_dir(&staging).map_err(|e| io_error(&staging, e))?;
        Ok(StagedDir { out: out.to_path_buf(), staging, committed: false })
    }

    /// Where a file at `relative` inside the output is written before the commit.
    /// Parent folders are created.
    pub fn path(&self, relative: &Path) -> Result<PathBuf, IoError> {
        let path = self.staging.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        Ok(path)
    }

    /// Create an (empty) folder at `relative` inside the output, replacing the old one at
    /// the commit even when nothing is written into it.
    pub fn dir(&self, relative: &Path) -> Result<PathBuf, IoError> {
        let path = self.staging.join(relative);
        fs::create_dir_all(&path).map_err(|e| io_error(&path, e))?;
        Ok(path)
    }

    /// Move the staged entries into the output folder. Entries named in `last` are moved
    /// after all others, in that order (so `results.json` can mark a complete output).
    ///
    /// `owner` says who wrote them and from which results ([`crate::outputs`]): entries
    /// this writer wrote into the folder before and does not write now, and every entry of
    /// any writer made from results that `owner.obsoletes` names, are removed in the same
    /// commit, so that the folder never holds outputs of two different runs. Files verity
    /// did not write (a template cache, a user's notes) are never touched.
    pub fn commit(mut self, last: &[&str], owner: &Owner) -> Result<(), IoError> {
        let mut names: Vec<String> = fs::read_dir(&self.staging)
            .map_err(|e| io_error(&self.staging, e))?
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| io_error(&self.staging, e))?;
        names.retain(|n| n != REPLACED);
        names.sort_by_key(|n| (last.iter().position(|l| *l == n.as_str()), n.clone()));
        let old = self.staging.join(REPLACED);
        let mut manifest = crate::outputs::Manifest::read(&self.out);
        // Stale entries go aside first: a crash after this leaves a folder with fewer
        // outputs, never one whose outputs disagree.
        for stale in manifest.stale_entries(owner, &names) {
            let from = self.out.join(&stale);
            if fs::symlink_metadata(&from).is_ok() {
                fs::create_dir_all(&old).map_err(|e| io_error(&old, e))?;
                fs::rename(&from, old.join(&stale)).map_err(|e| io_error(&from, e))?;
            }
        }
        for name in &names {
            let from = self.staging.join(name);
            let to = self.out.join(name);
            if from.is_dir() && to.is_dir() {
                // A folder cannot be renamed over a non-empty one: move the old one
                // aside into the staging folder, which is removed below.
                fs::create_dir_all(&old).map_err(|e| io_error(&old, e))?;
                let aside = old.join(format!("{name}.{}", unique_suffix()));
                fs::rename(&to, &aside).map_err(|e| io_error(&to, e))?;
                if let Err(e) = fs::rename(&from, &to) {
                    // Put the old folder back rather than lose it with the staging folder.
                    let _ = fs::rename(&aside, &to);
                    return Err(io_error(&to, e));
                }
                continue;
            }
            fs::rename(&from, &to).map_err(|e| io_error(&to, e))?;
        }
        manifest.record(owner, names);
        manifest.write(&self.out)?;
        sync_dir(&self.out)?;
        self.committed = true;
        fs::remove_dir_all(&self.staging).map_err(|e| io_error(&self.staging, e))
    }
}

/// Where, inside the staging folder, replaced entries wait to be removed with it.
const REPLACED: &str = ".replaced";

pub use crate::outputs::Owner;

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn file_is_replaced_whole_and_no_temp_remains() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_bytes(&path, b"first").unwrap();
        write_bytes(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(entries(dir.path()), vec!["a.txt"]);
    }

    #[test]
    fn failed_write_leaves_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_bytes(&path, b"old").unwrap();
        let err = write_file(&path, |w| {
            w.write_all(b"half").unwrap();
            Err(IoError::new("boom", io::Error::other("boom")))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(entries(dir.path()), vec!["a.txt"]);
    }

    #[test]
    fn staged_dir_commits_and_replaces_only_its_names() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("raw/old-vendor")).unwrap();
        fs::write(out.join("raw/old-vendor/x.parquet"), b"stale").unwrap();
        fs::write(out.join("cache.bin"), b"keep").unwrap();
        fs::write(out.join("results.json"), b"old").unwrap();

        let staged = StagedDir::create(&out).unwrap();
        write_bytes(&staged.path(Path::new("results.json")).unwrap(), b"new").unwrap();
        write_bytes(&staged.path(Path::new("raw/v/failures.parquet")).unwrap(), b"f").unwrap();
        staged.commit(&["results.json"], &Owner::new("test", Vec::new())).unwrap();

        assert_eq!(entries(&out), vec![crate::outputs::MANIFEST, "cache.bin", "raw", "results.json"]);
        assert_eq!(fs::read(out.join("results.json")).unwrap(), b"new");
        assert_eq!(fs::read(out.join("cache.bin")).unwrap(), b"keep");
        assert_eq!(entries(&out.join("raw")), vec!["v"]);
    }

    #[test]
    fn a_commit_from_new_results_removes_what_the_old_ones_made() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let commit = |files: &[&str], owner: Owner| {
            let staged = StagedDir::create(&out).unwrap();
            for f in files {
                write_bytes(&staged.path(Path::new(f)).unwrap(), f.as_bytes()).unwrap();
            }
            staged.commit(&[], &owner).unwrap();
        };
        let sources = |s: &str| vec![s.to_string()];
        commit(&["results.json", "timing.json"], Owner::new("results", sources("r1")));
        commit(&["report.html", "figures/a.svg"], Owner::new("report", sources("r1")));
        fs::write(out.join("notes.txt"), b"mine").unwrap();
        // The same results again: the report stays.
        commit(&["results.json", "timing.json"], Owner::new("results", sources("r1")));
        assert!(out.join("report.html").is_file());
        // Other results, without timing.json: the report, its figures and the old
        // timing.json go; the user's file stays.
        commit(&["results.json"], Owner::new("results", sources("r2")).obsoleting(sources("r1")));
        assert_eq!(entries(&out), vec![crate::outputs::MANIFEST, "notes.txt", "results.json"]);
    }

    #[test]
    fn dropped_staged_dir_leaves_output_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("results.json"), b"old").unwrap();
        {
            let staged = StagedDir::create(&out).unwrap();
            write_bytes(&staged.path(Path::new("results.json")).unwrap(), b"new").unwrap();
            // an error happens here: the staged folder is dropped, not committed
        }
        assert_eq!(entries(&out), vec!["results.json"]);
        assert_eq!(fs::read(out.join("results.json")).unwrap(), b"old");
    }
}
