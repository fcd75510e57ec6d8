//! Reading vendor configuration files (TOML) with errors that name the file, line,
//! column and key, as DESIGN.md section 9 asks of every bad input.

use crate::VendorError;
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// A declared operating threshold, as written in a vendor config:
/// `[[thresholds]] label = "operational" value = 0.6`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdEntry {
    pub label: String,
    pub value: f64,
}

/// The text of one config file, for parsing and for locating keys in error messages.
pub(crate) struct ConfigText<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl<'a> ConfigText<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        ConfigText { path, text }
    }

    /// 1-based line and column of a byte offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// An error at a span (or at the top of the file when none is known).
    pub fn error(&self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) -> VendorError {
        let (line, column) = span.map_or((1, 1), |s| self.line_column(s.start));
        VendorError::Config {
            path: PathBuf::from(self.path),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// An error about the value of a key path such as `["cells", "black", "noise"]`.
    pub fn error_at_key(&self, key_path: &[&str], message: impl Into<String>) -> VendorError {
        self.error(self.locate(key_path), &key_path.join("."), message)
    }

    /// Deserialize the whole file, turning toml/serde errors into located errors.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, VendorError> {
        toml::from_str(self.text).map_err(|e| {
            let span = e.span();
            let message = e.message().trim().to_string();
            let key = quoted_name(&message).or_else(|| span.clone().and_then(|s| self.key_on_line(s.start)));
            self.error(span, key.as_deref().unwrap_or("(document)"), message)
        })
    }

    /// The key written on the line of `offset` (`name = value`), or the table header.
    fn key_on_line(&self, offset: usize) -> Option<String> {
        let offset = offset.min(self.text.len());
        let start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[offset..].find('\n').map_or(self.text.len(), |i| offset + i);
        let line = self.text[start..end].trim();
        if let Some(header) = line.strip_prefix('[') {
            return Some(header.trim_matches(|c| c == '[' || c == ']').trim().to_string());
        }
        line.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_string())
    }

    /// The span of a key's value, following tables and array indices (`"0"`, `"1"`).
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
                // The deepest part that exists is the best place to point at.
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

/// Read a config file.
pub(crate) fn read(path: &Path) -> Result<String, VendorError> {
    std::fs::read_to_string(path).map_err(|source| VendorError::Read { path: path.to_path_buf(), source })
}

/// Hex SHA-256 of the config text: the vendor fingerprint for config-only vendors.
pub(crate) fn fingerprint(kind: &str, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}:sha256:{hex}")
}

/// Check declared thresholds lie in the score range.
pub(crate) fn check_thresholds(
    config: &ConfigText,
    thresholds: &[ThresholdEntry],
    range: (f64, f64),
) -> Result<(), VendorError> {
    for (i, t) in thresholds.iter().enumerate() {
        if !(t.value.is_finite() && t.value >= range.0 && t.value <= range.1) {
            let index = i.to_string();
            return Err(config.error_at_key(
                &["thresholds", &index, "value"],
                format!("threshold {} is outside the score range {}..={}", t.value, range.0, range.1),
            ));
        }
    }
    Ok(())
}
