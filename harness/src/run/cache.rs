//! The template cache that makes a run resumable (docs/runner.md).
//!
//! A template is keyed by what the vendor was given: the SHA-256 of the media bytes and
//! the role. Blinding means that is *all* it was given, so the same key and the same
//! vendor (one store per vendor fingerprint) give the same template; the cache never
//! needs a sample id.
//!
//! The runner talks to a [`TemplateStore`]; [`DirStore`] keeps blocks of templates as
//! files in one folder. The block file is the engine's own format (not a vendor's or a
//! report's), self-contained here so that the engine still depends on no other crate of
//! verity:
//!
//! ```text
//! "verity-templates/1\n"
//! u64 LE count
//! count × entry:
//!   [u8; 32] SHA-256 of the media bytes
//!   u8       role (0 enrol, 1 verify, 2 search)
//!   f64 LE   seconds the vendor took to make it (for timing.json)
//!   u8       0 = template, 1 = failure
//!   template: u64 LE length, bytes
//!   failure:  u64 LE length, code name (UTF-8), u64 LE length, message (UTF-8)
//! [u8; 32]  SHA-256 of everything above
//! ```
//!
//! A block is written to a temporary file in the same folder, fsynced, renamed to
//! `block-<hash>.bin` and the folder fsynced: it is either whole or absent. A block that
//! does not read back (wrong magic, wrong checksum, truncated) is skipped and counted,
//! never trusted. Failures are stored too: a failed template is a result, and a resumed
//! run must give the same results as an uninterrupted one, so it does not retry them.

use crate::vendor::{FailureCode, Role, Template, TemplateFailure};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

/// SHA-256 of media bytes: the part of a cache key that identifies what a vendor saw.
pub type MediaHash = [u8; 32];

pub fn media_hash(bytes: &[u8]) -> MediaHash {
    Sha256::digest(bytes).into()
}

/// One template (or failure) as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTemplate {
    pub media: MediaHash,
    pub role: Role,
    /// Wall-clock seconds the vendor took when it was made.
    pub seconds: f64,
    pub outcome: Result<Template, TemplateFailure>,
}

/// What a store holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredTemplates {
    pub templates: Vec<StoredTemplate>,
    /// Blocks that did not read back whole and were ignored.
    pub damaged_blocks: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("template cache {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Where finished templates of one vendor are kept between runs. Each `save` is atomic:
/// after a crash a block is either all there or not at all.
pub trait TemplateStore: Sync {
    fn load(&self) -> Result<StoredTemplates, CacheError>;
    fn save(&self, block: &[StoredTemplate]) -> Result<(), CacheError>;
}

const MAGIC: &[u8] = b"verity-templates/1\n";

/// A store in one folder, one file per block.
#[derive(Debug, Clone)]
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    /// The store of the vendor with `fingerprint` under `root`: `root/<sha256(fingerprint)>/`
    /// (hashed, so any fingerprint text makes a plain folder name). Created if missing.
    pub fn open(root: &Path, fingerprint: &str) -> Result<Self, CacheError> {
        let dir = root.join(hex::encode(Sha256::digest(fingerprint.as_bytes())));
        fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let note = dir.join("fingerprint.txt");
        if !note.exists() {
            write_atomic(&note, format!("{fingerprint}\n").as_bytes())?;
        }
        Ok(DirStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn io(path: &Path, source: std::io::Error) -> CacheError {
    CacheError::Io { path: path.to_path_buf(), source }
}

/// Written whole or not at all (`storage::atomic`: a temporary file in the same folder,
/// fsynced, renamed, the folder fsynced).
fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    storage::atomic::write_bytes(target, bytes).map_err(|e| CacheError::Io { path: e.path, source: e.source })
}

fn role_code(role: Role) -> u8 {
    match role {
        Role::Enrol => 0,
        Role::Verify => 1,
        Role::Search => 2,
    }
}

fn role_of(code: u8) -> Option<Role> {
    [Role::Enrol, Role::Verify, Role::Search].get(code as usize).copied()
}

fn failure_code_of(name: &str) -> Option<FailureCode> {
    use FailureCode::*;
    [FaceDetectionError, FeatureExtractionError, ParseError, MediaReadError, TemplateFormatError, VendorError]
        .into_iter()
        .find(|c| c.name() == name)
}

/// The bytes of a block file.
pub fn encode_block(block: &[StoredTemplate]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    let put_bytes = |out: &mut Vec<u8>, b: &[u8]| {
        out.extend((b.len() as u64).to_le_bytes());
        out.extend(b);
    };
    out.extend((block.len() as u64).to_le_bytes());
    for t in block {
        out.extend(t.media);
        out.push(role_code(t.role));
        out.extend(t.seconds.to_le_bytes());
        match &t.outcome {
            Ok(template) => {
                out.push(0);
                put_bytes(&mut out, &template.0);
            }
            Err(f) => {
                out.push(1);
                put_bytes(&mut out, f.code.name().as_bytes());
                put_bytes(&mut out, f.message.as_bytes());
            }
        }
    }
    let sum = Sha256::digest(&out);
    out.extend(sum);
    out
}

/// Read a block file's bytes; `None` when they are not one whole block.
pub fn decode_block(bytes: &[u8]) -> Option<Vec<StoredTemplate>> {
    let body = bytes.strip_prefix(MAGIC)?;
    if bytes.len() < MAGIC.len() + 8 + 32 {
        return None;
    }
    let (content, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(content).as_slice() != sum {
        return None;
    }
    let mut r = Reader { rest: &body[..body.len() - 32] };
    let count = r.u64()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let media: MediaHash = r.take(32)?.try_into().ok()?;
        let role = role_of(r.take(1)?[0])?;
        let seconds = f64::from_le_bytes(r.take(8)?.try_into().ok()?);
        let outcome = match r.take(1)?[0] {
            0 => Ok(Template(r.bytes()?.to_vec())),
            1 => {
                let code = failure_code_of(std::str::from_utf8(r.bytes()?).ok()?)?;
                let message = String::from_utf8(r.bytes()?.to_vec()).ok()?;
                Err(TemplateFailure { code, message })
            }
            _ => return None,
        };
        out.push(StoredTemplate { media, role, seconds, outcome });
    }
    r.rest.is_empty().then_some(out)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Some(a)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }
}

impl TemplateStore for DirStore {
    fn load(&self) -> Result<StoredTemplates, CacheError> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map_err(|e| io(&self.dir, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("block-") && n.ends_with(".bin"))
            })
            .collect();
        // Sorted, so that the first copy of a key always wins the same way.
        names.sort();
        let mut out = StoredTemplates::default();
        for path in names {
            let bytes = fs::read(&path).map_err(|e| io(&path, e))?;
            match decode_block(&bytes) {
                Some(block) => out.templates.extend(block),
                None => out.damaged_blocks += 1,
            }
        }
        Ok(out)
    }

    fn save(&self, block: &[StoredTemplate]) -> Result<(), CacheError> {
        let bytes = encode_block(block);
        // Named by content: the same block written twice is one file.
        let name = format!("block-{}.bin", &hex::encode(Sha256::digest(&bytes))[..32]);
        write_atomic(&self.dir.join(name), &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<StoredTemplate> {
        vec![
            StoredTemplate { media: [1; 32], role: Role::Enrol, seconds: 0.25, outcome: Ok(Template(vec![1, 2, 3])) },
            StoredTemplate {
                media: [2; 32],
                role: Role::Search,
                seconds: 1.5,
                outcome: Err(TemplateFailure { code: FailureCode::FaceDetectionError, message: "no face ×".into() }),
            },
        ]
    }

    #[test]
    fn block_round_trips_and_damage_is_detected() {
        let bytes = encode_block(&sample());
        assert_eq!(decode_block(&bytes), Some(sample()));
        for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode_block(&bytes[..cut]), None, "truncated at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[MAGIC.len() + 12] ^= 1;
        assert_eq!(decode_block(&flipped), None);
    }

    #[test]
    fn dir_store_keeps_whole_blocks_and_skips_damaged_ones() {
        let dir = std::env::temp_dir().join(format!("verity-cache-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = DirStore::open(&dir, "simulated:sha256:abc").unwrap();
        assert_eq!(store.load().unwrap(), StoredTemplates::default());
        store.save(&sample()[..1]).unwrap();
        store.save(&sample()[1..]).unwrap();
        fs::write(store.dir().join("block-zzzz.bin"), b"verity-templates/1\nhalf").unwrap();
        // A temporary file left by a killed writer is not a block.
        fs::write(store.dir().join(".block-x.bin.tmp-1-0"), b"junk").unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.damaged_blocks, 1);
        let mut got = loaded.templates;
        got.sort_by_key(|t| t.media);
        assert_eq!(got, sample());
        assert_eq!(fs::read_to_string(store.dir().join("fingerprint.txt")).unwrap(), "simulated:sha256:abc\n");
        fs::remove_dir_all(&dir).unwrap();
    }
}
