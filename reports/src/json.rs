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
//! infinities are refused with an error naming the field ([`crate::finite`]), because
//! `serde_json` would otherwise write them as `null` without a word.

use crate::{ReportError, atomic, finite};
use harness::results::Results;
use std::io::Write;
use std::path::Path;

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
        assert!(text.starts_with("{\n  \"schema_version\": \"1.2\",\n  \"benchmark\": {"), "{}", &text[..80]);
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
