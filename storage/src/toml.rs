//! TOML read with errors located as an editor shows them: line, column and the key path
//! (`cells.black.noise`). Every TOML input of verity (benchmark manifests, vendor configs,
//! population specs, rubrics) locates its errors here.

use crate::lines::line_col;
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// A problem at a place in a TOML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: u64,
    pub column: u64,
    /// The key path (`protocols.1.kind`), or `(document)` when no key is known.
    pub key: String,
    pub message: String,
}

/// The text of one TOML file, for parsing and for locating keys in messages.
#[derive(Debug, Clone, Copy)]
pub struct TomlText<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl<'a> TomlText<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        TomlText { path, text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (u64, u64) {
        line_col(self.text, offset)
    }

    /// A problem at a span (or at the top of the file when none is known).
    pub fn at(&self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) -> Located {
        let (line, column) = span.map_or((1, 1), |s| self.line_column(s.start));
        Located { line, column, key: key.to_string(), message: message.into() }
    }

    /// A problem about the value of a key path such as `["cells", "black", "noise"]`.
    pub fn at_key(&self, key_path: &[&str], message: impl Into<String>) -> Located {
        self.at(self.locate(key_path), &key_path.join("."), message)
    }

    /// Deserialize the whole file, turning toml/serde errors into located ones.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Located> {
        toml::from_str(self.text).map_err(|e| {
            let span = e.span();
            let message = e.message().trim().to_string();
            let key = quoted_name(&message).or_else(|| span.clone().and_then(|s| self.key_on_line(s.start)));
            self.at(span, key.as_deref().unwrap_or("(document)"), message)
        })
    }

    /// The key written on the line of `offset` (`name = value`), or the table header.
    fn key_on_line(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let start = self.text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
        let end = self.text.get(offset..)?.find('\n').map_or(self.text.len(), |i| offset + i);
        let line = self.text.get(start..end)?.trim();
        if let Some(header) = line.strip_prefix('[') {
            return Some(header.trim_matches(|c| c == '[' || c == ']').trim().to_string());
        }
        line.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string())
    }

    /// The span of a key's value, following tables and array indices (`"0"`, `"1"`); the
    /// deepest part that exists when the whole path does not.
    pub fn locate(&self, key_path: &[&str]) -> Option<Range<usize>> {
        let root = DeTable::parse(self.text).ok()?;
        let mut span = root.span();
        let mut current = DeValue::Table(root.into_inner());
        for segment in key_path {
            let next = match &current {
                DeValue::Table(table) => {
                    table.iter().find(|(k, _)| k.get_ref().as_ref() == *segment).map(|(_, v)| v.clone())
                }
                DeValue::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i).cloned()),
                _ => None,
            };
            match next {
                Some(value) => {
                    span = value.span();
                    current = value.into_inner();
                }
                None => break,
            }
        }
        Some(span)
    }
}

/// The first name in backquotes in a serde message (`missing field `dim``).
fn quoted_name(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Config {
        name: String,
        cells: std::collections::BTreeMap<String, Cell>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Cell {
        noise: f64,
    }

    #[test]
    fn errors_name_line_column_and_key() {
        let text = "name = \"x\"\n[cells.black]\nnoise = \"high\"\n";
        let t = TomlText::new(Path::new("v.toml"), text);
        let e = t.parse::<Config>().unwrap_err();
        assert_eq!((e.line, e.column, e.key.as_str()), (3, 9, "noise"), "{e:?}");
        let e = t.at_key(&["cells", "black", "noise"], "too high");
        assert_eq!((e.line, e.column, e.key.as_str()), (3, 9, "cells.black.noise"));
        let missing = TomlText::new(Path::new("v.toml"), "[cells]\n");
        let e = missing.parse::<Config>().unwrap_err();
        assert_eq!(e.key, "name", "{e:?}");
        // A key that does not exist points at the deepest part that does.
        let e = t.at_key(&["cells", "white", "noise"], "no such cell");
        assert_eq!(e.line, 2, "{e:?}");
    }
}
