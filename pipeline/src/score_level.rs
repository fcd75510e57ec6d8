//! `verity analyse` as a library call: score-level input a vendor or researcher already
//! has (1:1 scores, 1:N candidate lists with a subjects table) analysed exactly as a run's
//! trials are, and written to an output folder (docs/results.md).

use crate::Error;
use crate::provenance::{input_name, sha256_file};
use datasets::scores::{ScoreFiles, ScoreLevel, load_scores};
use harness::analysis::protocol::{analyse_search, analyse_verification};
use harness::model::analysis::AnalysisConfig;
use harness::model::benchmark::ProtocolKind;
use harness::model::results::{BenchmarkInfo, RESULTS_SCHEMA_VERSION, Results, Timing, TrialList, VendorResults};
use harness::model::rows::VerificationRows;
use harness::vendor::{DeclaredThreshold, TemplateFormat, VendorDescription};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// What to analyse and where to write it.
pub struct ScoreRequest<'a> {
    pub files: ScoreFiles<'a>,
    /// The analysis options, turned into a configuration once the subjects are read.
    pub settings: &'a crate::settings::AnalysisSettings,
    /// The algorithm that produced the scores, for the tables.
    pub vendor: String,
    /// Its declared operating threshold, if it has one.
    pub declared_threshold: Option<f64>,
    pub out: &'a Path,
    /// The command that reproduces the analysis, its paths relative to `out`.
    pub command: String,
}

/// Analyse the score files and write the output folder; the results.
pub fn analyse(request: ScoreRequest) -> Result<Results, Error> {
    let input = load_scores(&request.files)?;
    let config = request.settings.config(&input.population)?;
    if let Some(name) = config.covariates.first() {
        return Err(Error::BadInput(format!(
            "--adjust `{name}`: score files carry no capture columns; adjusted differentials need a benchmark (`verity run`)"
        )));
    }
    if let Some(t) = request.declared_threshold.filter(|t| !t.is_finite()) {
        return Err(Error::BadInput(format!("--declared-threshold: value `{t}` is not a finite number")));
    }
    let declared: Vec<DeclaredThreshold> = request
        .declared_threshold
        .map(|value| DeclaredThreshold { label: "declared".into(), value })
        .into_iter()
        .collect();
    let files = &request.files;
    let mut inputs = BTreeMap::new();
    let mut whole = Sha256::new();
    for path in
        [files.subjects, files.verification, files.searches, files.gallery, files.candidates].into_iter().flatten()
    {
        let h = sha256_file(path)?;
        let name = input_name(path, request.out);
        whole.update(format!("{name}\t{h}\n"));
        inputs.insert(name, h);
    }
    let results =
        results(&input, config, &declared, request.vendor, hex::encode(whole.finalize()), inputs, request.command)?;
    reports::output::write_all(request.out, &results, &[], &[])
        .map_err(|e| Error::Failure(format!("writing {}: {e}", request.out.display())))?;
    Ok(results)
}

/// SHA-256 over `a TAB b NEWLINE` per trial, fed the id bytes directly.
fn trial_hash<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (a, b) in pairs {
        h.update(a.as_bytes());
        h.update(b"\t");
        h.update(b.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

fn results(
    input: &ScoreLevel,
    config: AnalysisConfig,
    declared: &[DeclaredThreshold],
    vendor: String,
    content_hash: String,
    inputs: BTreeMap<String, String>,
    command: String,
) -> Result<Results, Error> {
    let ids: Vec<&str> = input.population.subjects.iter().map(|s| s.id.as_str()).collect();
    let mut protocols = Vec::new();
    let mut trial_lists = Vec::new();
    if let Some(v) = &input.verification {
        protocols.push(analyse_verification("verification", v, &input.population, &config, declared)?);
        // The trial hash, as trial_hash would give it, was taken as the file was read.
        trial_lists.push(TrialList {
            protocol: "verification".into(),
            kind: ProtocolKind::Verification,
            hash: v.trial_hash.clone(),
            mated: v.mated,
            non_mated: v.len() - v.mated,
            gallery_subjects: None,
        });
    }
    if let Some(s) = &input.searches {
        let kind = ProtocolKind::Identification;
        protocols.push(analyse_search(
            "identification",
            kind,
            std::slice::from_ref(s),
            &input.population,
            &config,
            declared,
        )?);
        let pairs = (0..s.len()).map(|i| (input.search_ids[s.search[i] as usize].as_str(), ids[s.subject[i] as usize]));
        let mated = s.mated.iter().filter(|m| **m).count() as u64;
        trial_lists.push(TrialList {
            protocol: "identification".into(),
            kind,
            hash: trial_hash(pairs),
            mated,
            non_mated: s.len() as u64 - mated,
            gallery_subjects: Some(s.gallery_size as u64),
        });
    }
    // The vendor's own score range is unknown here; record the range observed.
    let finite = input.searches.iter().flat_map(|s| s.candidate_score.iter()).copied().filter(|x| x.is_finite());
    let observed = finite.fold(input.verification.as_ref().and_then(|v| v.observed), |acc: Option<(f64, f64)>, x| {
        Some(acc.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))))
    });
    let observed = observed.unwrap_or((0.0, 0.0));
    let population = &input.population;
    Ok(Results {
        schema_version: RESULTS_SCHEMA_VERSION.to_string(),
        benchmark: BenchmarkInfo {
            name: "score-level input".into(),
            version: String::new(),
            licence: String::new(),
            content_hash,
            subjects: population.subjects.len() as u64,
            samples: 0,
            label_provenance: population.provenance.clone(),
            subjects_per_group: population.subjects_per_group(),
        },
        config,
        trial_lists,
        vendors: vec![VendorResults {
            vendor: VendorDescription {
                name: vendor,
                version: String::new(),
                score_min: observed.0,
                score_max: observed.1,
                score_meaning: "as supplied in the score files; the range given is the range observed".into(),
                thresholds: declared.to_vec(),
                template: TemplateFormat::Opaque,
            },
            fingerprint: String::new(),
            template_rates: Vec::new(),
            failures: Vec::new(),
            timing: Timing::default(),
            protocols,
        }],
        provenance: crate::provenance::provenance(command, BTreeMap::new(), inputs),
    })
}
