//! Reading only inside a folder. A benchmark names its tables and media by paths
//! relative to its folder; an import names images relative to its source. Nothing whose
//! resolved path (every symlink followed) lies outside that folder is ever read: a
//! `media/a.jpg` that links to `/etc/passwd` is an error naming the link and its target,
//! never bytes handed to a vendor.
//!
//! The check is made when a path is resolved (validation) and again when it is read
//! ([`ConfinedPath::read`]), so a link swapped in between is refused too.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Why a path cannot be read inside its folder.
#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    #[error("the path must be relative and stay inside the folder (no `..`, no leading `/`)")]
    NotRelative,
    #[error("file not found")]
    NotFound,
    #[error("resolves to {}, outside the folder {}", target.display(), root.display())]
    Outside { target: PathBuf, root: PathBuf },
    #[error("{0}")]
    Io(io::Error),
}

/// Whether `path` is relative and never climbs out (`..`) or starts at a root.
pub fn is_plain_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// A folder whose contents may be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confined {
    /// Canonical (absolute, links resolved).
    root: Arc<Path>,
}

impl Confined {
    pub fn new(root: &Path) -> io::Result<Self> {
        Ok(Confined { root: Arc::from(root.canonicalize()?.as_path()) })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve `relative` (as written in an input) to the file it names, links followed,
    /// refusing anything outside the folder.
    pub fn resolve(&self, relative: &Path) -> Result<ConfinedPath, ConfineError> {
        if !is_plain_relative(relative) {
            return Err(ConfineError::NotRelative);
        }
        self.check(&self.root.join(relative))
    }

    /// Check a path found inside the folder (by listing it): links followed, it must
    /// still be inside.
    pub fn check(&self, path: &Path) -> Result<ConfinedPath, ConfineError> {
        let target = match path.canonicalize() {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // A dangling link is named as a link, so the user sees where it points.
                return Err(match std::fs::read_link(path) {
                    Ok(to) if !to.starts_with(&self.root) && to.is_absolute() => {
                        ConfineError::Outside { target: to, root: self.root.to_path_buf() }
                    }
                    _ => ConfineError::NotFound,
                });
            }
            Err(e) => return Err(ConfineError::Io(e)),
        };
        if !target.starts_with(&self.root) {
            return Err(ConfineError::Outside { target, root: self.root.to_path_buf() });
        }
        Ok(ConfinedPath { root: self.root.clone(), path: target })
    }
}

/// A file inside a confined folder, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfinedPath {
    root: Arc<Path>,
    /// Canonical.
    path: PathBuf,
}

impl ConfinedPath {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes of the file, after checking again that it is still inside its folder.
    pub fn read(&self) -> io::Result<Vec<u8>> {
        let now = self.path.canonicalize()?;
        if !now.starts_with(&self.root) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} now resolves to {}, outside {}", self.path.display(), now.display(), self.root.display()),
            ));
        }
        std::fs::read(&now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_are_followed_and_links_outside_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("media")).unwrap();
        std::fs::write(root.join("media/a.jpg"), b"face").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink(root.join("media/a.jpg"), root.join("media/inside.jpg")).unwrap();
            symlink(outside.path().join("secret"), root.join("media/out.jpg")).unwrap();
            symlink(outside.path(), root.join("escape")).unwrap();
            symlink("/nonexistent/target", root.join("media/dangling.jpg")).unwrap();
        }
        let c = Confined::new(root).unwrap();
        assert_eq!(c.resolve(Path::new("media/a.jpg")).unwrap().read().unwrap(), b"face");
        assert!(matches!(c.resolve(Path::new("../x")), Err(ConfineError::NotRelative)));
        assert!(matches!(c.resolve(Path::new("/etc/passwd")), Err(ConfineError::NotRelative)));
        assert!(matches!(c.resolve(Path::new("media/none.jpg")), Err(ConfineError::NotFound)));
        #[cfg(unix)]
        {
            assert_eq!(c.resolve(Path::new("media/inside.jpg")).unwrap().read().unwrap(), b"face");
            let e = c.resolve(Path::new("media/out.jpg")).unwrap_err();
            assert!(e.to_string().contains("secret") && e.to_string().contains("outside"), "{e}");
            assert!(matches!(c.resolve(Path::new("escape/secret")), Err(ConfineError::Outside { .. })));
            let e = c.resolve(Path::new("media/dangling.jpg")).unwrap_err();
            assert!(e.to_string().contains("/nonexistent/target"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_swapped_after_resolving_is_refused_at_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"face").unwrap();
        let c = Confined::new(dir.path()).unwrap();
        let resolved = c.resolve(Path::new("a.jpg")).unwrap();
        std::fs::remove_file(dir.path().join("a.jpg")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("a.jpg")).unwrap();
        let e = resolved.read().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
    }
}
