//! The whole result of a run or a score-level analysis: what `results.json` holds.

use crate::model::analysis::{AnalysisConfig, ProtocolAnalysis, RateRow};
use crate::model::benchmark::ProtocolKind;
use crate::vendor::{FailureCode, Role, VendorDescription};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the `results.json` schema (docs/results.md).
pub const RESULTS_SCHEMA_VERSION: &str = "1.4";

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct BenchmarkInfo {
    pub name: String,
    pub version: String,
    pub licence: String,
    pub content_hash: String,
    pub subjects: u64,
    pub samples: u64,
    /// Attribute name -> where its labels came from.
    pub label_provenance: BTreeMap<String, String>,
    /// Attribute name -> group -> number of subjects.
    pub subjects_per_group: BTreeMap<String, BTreeMap<String, u64>>,
}

/// The planned trials of one protocol. Every vendor gets the same list: its hash proves it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TrialList {
    pub protocol: String,
    pub kind: ProtocolKind,
    /// SHA-256 of the canonical trial list, hex.
    pub hash: String,
    /// Verification: pairs (mated, non-mated). 1:N: searches (mated, non-mated) and gallery subjects.
    pub mated: u64,
    pub non_mated: u64,
    pub gallery_subjects: Option<u64>,
}

/// Failures of one kind for one role.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FailureCount {
    pub role: Role,
    pub code: FailureCode,
    pub count: u64,
}

/// Size and wall-clock time of a vendor's work. Times vary from run to run, so they
/// are kept out of `results.json`, which must be byte-identical for the same inputs.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, Default)]
pub struct Timing {
    pub templates: u64,
    pub template_bytes_mean: f64,
    /// Mean template size per group of every grouping analysed (schema 1.2); sizes are
    /// deterministic, so they belong here, unlike times (those go to `timing.json`).
    #[serde(default)]
    pub template_bytes_per_group: Vec<GroupTemplateBytes>,
    #[serde(skip)]
    pub template_seconds_total: f64,
    #[serde(skip)]
    pub comparison_seconds_total: f64,
    #[serde(skip)]
    pub search_seconds_total: f64,
}

/// Template size in one group: templates made (not failed) and their mean size.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GroupTemplateBytes {
    pub grouping: String,
    pub group: String,
    /// Templates attempted for subjects of the group, and of those the ones made.
    pub templates: u64,
    pub made: u64,
    /// Mean size in bytes of the templates made; `null` when none was made.
    pub bytes_mean: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct VendorResults {
    pub vendor: VendorDescription,
    pub fingerprint: String,
    /// FTE / FTA per group.
    pub template_rates: Vec<RateRow>,
    pub failures: Vec<FailureCount>,
    pub timing: Timing,
    pub protocols: Vec<ProtocolAnalysis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Provenance {
    pub verity_version: String,
    /// The command line that reproduces the run.
    pub command: String,
    /// Every seed used, by name.
    pub seeds: BTreeMap<String, u64>,
    /// Input files and their SHA-256 (benchmark, vendor configs, score files).
    pub inputs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Results {
    pub schema_version: String,
    pub benchmark: BenchmarkInfo,
    pub config: AnalysisConfig,
    pub trial_lists: Vec<TrialList>,
    pub vendors: Vec<VendorResults>,
    pub provenance: Provenance,
}
