//! Paths written into results are relative to the output folder: the same run in
//! another folder gives the same bytes, and a published `results.json` does not carry
//! the analyst's directory names.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against the current folder, with `.` and `..` removed lexically
/// (links are not resolved: the path stays the one the user typed, only absolute).
pub fn absolute(path: &Path) -> PathBuf {
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `target` as seen from the folder `base` (`../bench/samples.csv`), both taken as
/// [`absolute`]; `.` when they are the same. Written with `/` on every platform.
pub fn relative_to(target: &Path, base: &Path) -> String {
    let target = absolute(target);
    let base = absolute(base);
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = Vec::new();
    parts.extend(std::iter::repeat_n("..".to_string(), b.len() - common));
    parts.extend(t[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_between_folders() {
        assert_eq!(relative_to(Path::new("/a/b/bench"), Path::new("/a/b/out")), "../bench");
        assert_eq!(relative_to(Path::new("/a/b/out/x.toml"), Path::new("/a/b/out")), "x.toml");
        assert_eq!(relative_to(Path::new("/a/b/out"), Path::new("/a/b/out/")), ".");
        assert_eq!(relative_to(Path::new("/x/y"), Path::new("/a/b")), "../../x/y");
        assert_eq!(relative_to(Path::new("/a/./b/../c"), Path::new("/a")), "c");
    }

    #[test]
    fn relative_inputs_are_taken_from_the_current_folder() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(relative_to(Path::new("bench"), &here.join("out")), "../bench");
        assert_eq!(relative_to(&here.join("v.toml"), Path::new("out")), "../v.toml");
    }
}
