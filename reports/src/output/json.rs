//! `results.json`: everything computed, in a versioned schema (docs/results.md).
//!
//! Keys come in struct field order (`serde_json` with `preserve_order`), maps in key
//! order (the engine uses `BTreeMap`), so the same results give byte-identical files,
//! and `schema_version` is the first key. Floats are written with the shortest text
//! that parses back to the same `f64`.
//!
//! Every rate object carries its value next to its counts (the engine's `Rate`
//! serialises so): `{"numerator": 7, "denominator": 41000, "rate": 0.00017073170731707318}`,
//! and an undefined rate (denominator 0) is `{"numerator": 0, "denominator": 0, "rate": null}`.
//!
//! `null` means "undefined or not applicable", never "not a number": NaN and
//! infinities are refused with an error naming the field ([`crate::output::finite`]), because
//! `serde_json` would otherwise write them as `null` without a word.

use crate::{ReportError, atomic, finite};
use harness::model::results::{RESULTS_SCHEMA_VERSION, Results};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The text of `results.json` (pretty, two-space indent, ending in a newline).
pub fn to_json_string(results: &Results) -> Result<String, ReportError> {
    finite::check(results)?;
    let mut text = serde_json::to_string_pretty(results)
        .map_err(|source| ReportError::Json { path: "results.json".into(), source })?;
    text.push('\n');
    Ok(text)
}

/// SHA-256 (hex) of the `results.json` text of `results`: the identity of the results
/// that reports, comparisons and scorecards record as their source
/// ([`storage::outputs`]).
pub fn digest(results: &Results) -> Result<String, ReportError> {
    Ok(digest_of_text(&to_json_string(results)?))
}

pub(crate) fn digest_of_text(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a `results.json` could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: file not found (a run folder written by `verity run`, `analyse` or `demo` holds results.json)", .0.display())]
    Missing(PathBuf),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Not JSON, or not the results model: a rate whose value disagrees with its counts,
    /// a missing field, a value of the wrong type.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}: results schema {found} cannot be read by this verity (schema {RESULTS_SCHEMA_VERSION})", path.display())]
    Schema { path: PathBuf, found: String },
}

/// Read a run's `results.json`: `run` is the run folder or the file itself. The one
/// reader every command uses: typed, schema-checked (same major version), and every
/// rate checked against its counts as it is read.
pub fn read_results(run: &Path) -> Result<Results, ReadError> {
    let path = if run.is_dir() { run.join(crate::output::layout::RESULTS) } else { run.to_path_buf() };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadError::Missing(path)),
        Err(source) => return Err(ReadError::Io { path, source }),
    };
    parse_results(&text, &path)
}

/// Parse `results.json` text; `path` names it in errors.
pub fn parse_results(text: &str, path: &Path) -> Result<Results, ReadError> {
    let results: Results = serde_json::from_str(text).map_err(|e| ReadError::Invalid {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if results.schema_version.split('.').next() != RESULTS_SCHEMA_VERSION.split('.').next() {
        return Err(ReadError::Schema { path: path.to_path_buf(), found: results.schema_version });
    }
    Ok(results)
}

/// Write `results.json` atomically.
pub fn write_results(path: &Path, results: &Results) -> Result<(), ReportError> {
    finite::check(results)?;
    atomic::write_file(path, |w| {
        serde_json::to_writer_pretty(&mut *w, results)
            .map_err(|source| ReportError::Json { path: path.to_path_buf(), source })?;
        w.write_all(b"\n").map_err(|source| ReportError::Io { path: path.to_path_buf(), source })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use serde_json::Value;

    #[test]
    fn schema_version_first_and_undefined_rates_null() {
        let results = fixture::results();
        let text = to_json_string(&results).unwrap();
        assert!(text.starts_with("{\n  \"schema_version\": \"1.4\",\n  \"benchmark\": {"), "{}", &text[..80]);
        let value: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["schema_version", "benchmark", "config", "trial_lists", "vendors", "provenance"]);

        let rates = &value["vendors"][0]["protocols"][0]["rates"];
        // TPIR of men: no trials.
        assert_eq!(rates[1]["rate"], serde_json::json!({"numerator": 0, "denominator": 0, "rate": null}));
        assert_eq!(rates[1]["interval"], Value::Null);
        // FPIR of women: 7 / 41000, value round-trips exactly.
        assert_eq!(rates[2]["rate"]["rate"].as_f64(), Some(7.0 / 41_000.0));
        assert_eq!(rates[2]["interval"]["method"], "wilson");
        // Undefined FTE of the template rates.
        assert_eq!(value["vendors"][0]["template_rates"][1]["rate"]["rate"], Value::Null);
        // The rate objects inside calibrations get their value too.
        let achieved = &value["vendors"][0]["protocols"][0]["calibrations"][0]["achieved"];
        assert_eq!(achieved["rate"].as_f64(), Some(40.0 / 61_000.0));
        assert!(!text.contains("NaN") && !text.contains("inf"));
    }

    #[test]
    fn floats_round_trip() {
        let mut results = fixture::results();
        results.config.thresholds = vec![0.1 + 0.2, 1e-300, 0.6];
        let value: Value = serde_json::from_str(&to_json_string(&results).unwrap()).unwrap();
        let t: Vec<f64> =
            value["config"]["thresholds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(t, vec![0.1 + 0.2, 1e-300, 0.6]);
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(to_json_string(&fixture::results()).unwrap(), to_json_string(&fixture::results()).unwrap());
    }

    #[test]
    fn non_finite_numbers_are_an_error_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mut results = fixture::results();
        results.vendors[0].vendor.score_min = f64::NEG_INFINITY;
        let err = write_results(&path, &results).unwrap_err();
        match err {
            ReportError::NonFinite { field, value } => {
                assert_eq!(field, "vendors[0].vendor.score_min");
                assert_eq!(value, f64::NEG_INFINITY);
            }
            other => panic!("{other}"),
        }
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary file left");

        let mut results = fixture::results();
        results.vendors[0].timing.template_bytes_mean = f64::NAN;
        assert!(matches!(write_results(&path, &results), Err(ReportError::NonFinite { .. })));
    }

    #[test]
    fn written_file_equals_string() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        write_results(&path, &fixture::results()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), to_json_string(&fixture::results()).unwrap());
    }
}
