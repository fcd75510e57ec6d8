//! Reading vendor configuration files (TOML) with errors that name the file, line,
//! column and key, as docs/errors.md asks of every bad input.

use crate::VendorError;
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::{Path, PathBuf};
use storage::toml::{Located, TomlText};

/// A declared operating threshold, as written in a vendor config:
/// `[[thresholds]] label = "operational" value = 0.6`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdEntry {
    pub label: String,
    pub value: f64,
}

/// The text of one config file: TOML located by `storage::toml`, its problems as
/// [`VendorError::Config`].
pub(crate) struct ConfigText<'a> {
    pub path: &'a Path,
    toml: TomlText<'a>,
}

fn config_error(path: &Path, l: Located) -> VendorError {
    VendorError::Config {
        path: PathBuf::from(path),
        line: l.line as usize,
        column: l.column as usize,
        key: l.key,
        message: l.message,
    }
}

impl<'a> ConfigText<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        ConfigText { path, toml: TomlText::new(path, text) }
    }

    /// An error at a span (or at the top of the file when none is known).
    pub fn error(&self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) -> VendorError {
        config_error(self.path, self.toml.at(span, key, message))
    }

    /// An error about the value of a key path such as `["cells", "black", "noise"]`.
    pub fn error_at_key(&self, key_path: &[&str], message: impl Into<String>) -> VendorError {
        config_error(self.path, self.toml.at_key(key_path, message))
    }

    /// Deserialize the whole file, turning toml/serde errors into located errors.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, VendorError> {
        self.toml.parse().map_err(|l| config_error(self.path, l))
    }
}

/// Read a config file.
pub(crate) fn read(path: &Path) -> Result<String, VendorError> {
    std::fs::read_to_string(path).map_err(|source| VendorError::Read { path: path.to_path_buf(), source })
}

/// Hex SHA-256 of a file, streamed: the digest of a model, library or executable in a
/// vendor's fingerprint.
pub(crate) fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
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
