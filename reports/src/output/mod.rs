//! Files for programs: `results.json` ([`json`]), the tidy tables as CSV and Parquet
//! ([`tables`], written through [`frame`]), the raw trial outputs ([`raw`]), the check that
//! no non-finite number is written ([`finite`]), and [`write_all`], which writes a run's
//! whole output folder in one commit (layout: `docs/results.md`).

pub mod finite;
pub mod frame;
pub mod json;
pub mod raw;
pub mod tables;

use crate::{ReportError, atomic, summary};
use harness::model::results::Results;
use harness::model::trials::{SearchTrials, VerificationTrials};
use raw::FailureRecord;
use std::path::Path;

/// The raw outputs of one vendor, written under `OUT/raw/<vendor>/`.
///
/// Everything is borrowed: the command line keeps the trials it analysed and hands
/// references here, so nothing large is copied.
#[derive(Debug, Clone, Copy)]
pub struct RawVendorOutputs<'a> {
    /// Folder name under `raw/`: usually the vendor's name (with its version when two
    /// versions of one vendor are compared). Must be a plain file name: no `/`, not
    /// `.` or `..`, and unique among the vendors of one call.
    pub vendor: &'a str,
    /// Subject ids by subject index (the `u32`s in the trials), benchmark-wide.
    pub subject_ids: &'a [String],
    pub protocols: &'a [RawProtocolOutputs<'a>],
    /// Every template that could not be made; written as `failures.parquet` (with no
    /// rows when there were none, so the layout is always the same).
    pub failures: &'a [FailureRecord],
}

/// The raw trials of one protocol.
#[derive(Debug, Clone, Copy)]
pub enum RawProtocolOutputs<'a> {
    /// Written as `<protocol>.scores.parquet` ([`raw::write_verification_scores`]).
    Verification {
        protocol: &'a str,
        trials: &'a VerificationTrials,
        /// Sample id of each trial's probe and reference, one per trial.
        probe_ids: &'a [String],
        reference_ids: &'a [String],
    },
    /// Identification or watchlist: `<protocol>.candidates.parquet`
    /// ([`raw::write_candidates`]).
    Search {
        protocol: &'a str,
        /// One per gallery size.
        searches: &'a [SearchTrials],
        /// Sample id of each search of the protocol's search list, indexed by
        /// `SearchTrials::search`.
        search_ids: &'a [String],
    },
}

impl RawProtocolOutputs<'_> {
    pub fn protocol(&self) -> &str {
        match self {
            RawProtocolOutputs::Verification { protocol, .. } | RawProtocolOutputs::Search { protocol, .. } => protocol,
        }
    }
    fn file_name(&self) -> String {
        match self {
            RawProtocolOutputs::Verification { protocol, .. } => {
                format!("{protocol}.scores.parquet")
            }
            RawProtocolOutputs::Search { protocol, .. } => format!("{protocol}.candidates.parquet"),
        }
    }
}

/// File names of the top level of the output folder.
pub mod layout {
    pub const RESULTS: &str = "results.json";
    pub const RATES_CSV: &str = "rates.csv";
    pub const RATES_PARQUET: &str = "rates.parquet";
    pub const CALIBRATIONS: &str = "calibrations.csv";
    pub const EER: &str = "eer.csv";
    pub const CROSS_GROUP_FMR: &str = "cross_group_fmr.csv";
    pub const COMPARISONS: &str = "comparisons.csv";
    pub const SUMMARY_MEASURES: &str = "summary_measures.csv";
    pub const EXTRAPOLATIONS: &str = "extrapolations.csv";
    pub const SUMMARY: &str = "summary.md";
    pub const RAW: &str = "raw";
    pub const FAILURES: &str = "failures.parquet";
}

/// A name that is safe as one path component.
fn checked_name(name: &str) -> Result<&str, ReportError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.starts_with('.')
        || name.chars().any(|c| matches!(c, '/' | '\\' | '\0') || c.is_control());
    if bad { Err(ReportError::BadName(name.to_string())) } else { Ok(name) }
}

/// Write the whole output folder (layout in `docs/results.md`):
///
/// ```text
/// OUT/results.json  rates.csv  rates.parquet  calibrations.csv  eer.csv
///     cross_group_fmr.csv  comparisons.csv  summary_measures.csv  extrapolations.csv
///     summary.md
/// OUT/raw/<vendor>/<protocol>.scores.parquet | <protocol>.candidates.parquet
/// OUT/raw/<vendor>/failures.parquet
/// ```
///
/// `raw/` is always written (empty when `raw` is empty) and replaces the `raw/` of an
/// earlier run whole. `extras` are more files of the run written in the same commit
/// (`timing.json`). The folder's outputs manifest ([`storage::outputs`]) makes the folder
/// consistent: files an earlier run wrote and this one does not, and every output made
/// from earlier, different results (a report, a comparison), are removed in the same
/// commit; files verity did not write are left alone.
///
/// Nothing is half-written: all files are staged and moved into `out_dir` at the end
/// ([`atomic::StagedDir`]); on error `out_dir` is as it was. `results` is checked for
/// non-finite numbers before anything is written. Pass `raw = &[]` to write only the
/// top level and an empty `raw/` (a score-level analysis may have no raw outputs).
pub fn write_all(
    out_dir: &Path,
    results: &Results,
    raw: &[RawVendorOutputs],
    extras: &[(&str, &[u8])],
) -> Result<(), ReportError> {
    finite::check(results)?;
    let mut seen = std::collections::BTreeSet::new();
    for vendor in raw {
        let name = checked_name(vendor.vendor)?;
        for protocol in vendor.protocols {
            checked_name(protocol.protocol())?;
            let path = format!("{name}/{}", protocol.file_name());
            if !seen.insert(path.clone()) {
                return Err(ReportError::DuplicatePath(format!("raw/{path}")));
            }
        }
        if !seen.insert(format!("{name}/{}", layout::FAILURES)) {
            return Err(ReportError::DuplicatePath(format!("raw/{name}")));
        }
    }

    let staged = atomic::StagedDir::create(out_dir)?;
    let at = |name: &str| staged.path(Path::new(name));
    let rates = tables::rates_table(results)?;
    rates.write_csv(&at(layout::RATES_CSV)?)?;
    rates.write_parquet(&at(layout::RATES_PARQUET)?)?;
    tables::calibrations_table(results)?.write_csv(&at(layout::CALIBRATIONS)?)?;
    tables::eer_table(results)?.write_csv(&at(layout::EER)?)?;
    tables::cross_group_table(results)?.write_csv(&at(layout::CROSS_GROUP_FMR)?)?;
    tables::comparisons_table(results)?.write_csv(&at(layout::COMPARISONS)?)?;
    tables::summary_measures_table(results)?.write_csv(&at(layout::SUMMARY_MEASURES)?)?;
    tables::extrapolations_table(results)?.write_csv(&at(layout::EXTRAPOLATIONS)?)?;
    summary::write_summary(&at(layout::SUMMARY)?, results)?;
    // raw/ always belongs to this run: an earlier run's raw outputs never survive.
    staged.dir(Path::new(layout::RAW))?;
    for vendor in raw {
        let dir = Path::new(layout::RAW).join(vendor.vendor);
        for protocol in vendor.protocols {
            let path = staged.path(&dir.join(protocol.file_name()))?;
            match *protocol {
                RawProtocolOutputs::Verification { trials, probe_ids, reference_ids, .. } => {
                    raw::write_verification_scores(&path, trials, probe_ids, reference_ids, vendor.subject_ids)?
                }
                RawProtocolOutputs::Search { searches, search_ids, .. } => {
                    raw::write_candidates(&path, searches, search_ids, vendor.subject_ids)?
                }
            }
        }
        raw::write_failures(&staged.path(&dir.join(layout::FAILURES))?, vendor.failures)?;
    }
    for (name, bytes) in extras {
        atomic::write_bytes(&at(checked_name(name)?)?, bytes)?;
    }
    let text = json::to_json_string(results)?;
    atomic::write_bytes(&at(layout::RESULTS)?, text.as_bytes())?;
    let new = json::digest_of_text(&text);
    let old = storage::outputs::file_digest(&out_dir.join(layout::RESULTS)).filter(|old| *old != new);
    let owner = storage::outputs::Owner::new(OUTPUT_WRITER, vec![new]).obsoleting(old.into_iter().collect());
    // results.json last: its presence marks a complete output.
    Ok(staged.commit(&[layout::RESULTS], &owner)?)
}

/// The writer name of a run's own outputs in the folder's outputs manifest.
pub const OUTPUT_WRITER: &str = "results";

#[cfg(test)]
mod tests;
