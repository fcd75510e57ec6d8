//! `verity analyse`: rates from score-level input a vendor or researcher already has.

use super::common::{AnalysisOptions, input_name, provenance, sha256_file};
use crate::error::{CliError, CliResult};
use datasets::scores::{ScoreFiles, load_scores};
use harness::analysis::protocol::{analyse_search, analyse_verification};
use harness::model::benchmark::ProtocolKind;
use harness::model::results::{BenchmarkInfo, RESULTS_SCHEMA_VERSION, Results, Timing, TrialList, VendorResults};
use harness::vendor::{DeclaredThreshold, TemplateFormat, VendorDescription};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Subjects table: `subject_id` and one column per demographic attribute.
    #[arg(long)]
    pub subjects: PathBuf,
    /// 1:1 scores: `probe_subject, reference_subject, score` (empty score: failed template).
    #[arg(long)]
    pub verification: Option<PathBuf>,
    /// 1:N searches: `search_id, search_subject`.
    #[arg(long)]
    pub searches: Option<PathBuf>,
    /// 1:N gallery: `subject_id` of every enrolled subject.
    #[arg(long)]
    pub gallery: Option<PathBuf>,
    /// 1:N candidate lists: `search_id, rank, candidate_subject, score`.
    #[arg(long)]
    pub candidates: Option<PathBuf>,
    /// Candidate list length L (default: the longest list given).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub list_length: Option<usize>,
    /// Name of the algorithm that produced the scores, for the tables.
    #[arg(long, default_value = "scores")]
    pub vendor: String,
    /// The algorithm's declared operating threshold, if it has one.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub declared_threshold: Option<f64>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub analysis: AnalysisOptions,
}

pub fn execute(args: Args) -> CliResult {
    let files = ScoreFiles {
        subjects: Some(&args.subjects),
        verification: args.verification.as_deref(),
        searches: args.searches.as_deref(),
        gallery: args.gallery.as_deref(),
        candidates: args.candidates.as_deref(),
        list_length: args.list_length,
    };
    let input = load_scores(&files)
        .map_err(|p| CliError::BadInput(p.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("\n")))?;
    let config = args.analysis.config(&input.population)?;
    if let Some(t) = args.declared_threshold.filter(|t| !t.is_finite()) {
        return Err(CliError::BadInput(format!("--declared-threshold: value `{t}` is not a finite number")));
    }
    let declared: Vec<DeclaredThreshold> = args
        .declared_threshold
        .map(|value| DeclaredThreshold { label: "declared".into(), value })
        .into_iter()
        .collect();

    let mut inputs = BTreeMap::new();
    let mut whole = Sha256::new();
    for path in [
        Some(&args.subjects),
        args.verification.as_ref(),
        args.searches.as_ref(),
        args.gallery.as_ref(),
        args.candidates.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        let h = sha256_file(path)?;
        let name = input_name(path, &args.out);
        whole.update(format!("{name}\t{h}\n"));
        inputs.insert(name, h);
    }
    let ids: Vec<&str> = input.population.subjects.iter().map(|s| s.id.as_str()).collect();
    let mut protocols = Vec::new();
    let mut trial_lists = Vec::new();
    let bad = |e: harness::analysis::protocol::AnalysisError| CliError::BadInput(e.to_string());
    if let Some(v) = &input.verification {
        protocols.push(analyse_verification("verification", v, &input.population, &config, &declared).map_err(bad)?);
        let mut h = Sha256::new();
        for i in 0..v.len() {
            h.update(format!("{}\t{}\n", ids[v.probe_subject[i] as usize], ids[v.reference_subject[i] as usize]));
        }
        let mated = (0..v.len()).filter(|&i| v.probe_subject[i] == v.reference_subject[i]).count() as u64;
        trial_lists.push(TrialList {
            protocol: "verification".into(),
            kind: ProtocolKind::Verification,
            hash: hex::encode(h.finalize()),
            mated,
            non_mated: v.len() as u64 - mated,
            gallery_subjects: None,
        });
    }
    if let Some(s) = &input.searches {
        let kind = ProtocolKind::Identification;
        protocols.push(
            analyse_search("identification", kind, std::slice::from_ref(s), &input.population, &config, &declared)
                .map_err(bad)?,
        );
        let mut h = Sha256::new();
        for i in 0..s.len() {
            h.update(format!("{}\t{}\n", input.search_ids[s.search[i] as usize], ids[s.subject[i] as usize]));
        }
        let mated = s.mated.iter().filter(|m| **m).count() as u64;
        trial_lists.push(TrialList {
            protocol: "identification".into(),
            kind,
            hash: hex::encode(h.finalize()),
            mated,
            non_mated: s.len() as u64 - mated,
            gallery_subjects: Some(s.gallery_size as u64),
        });
    }

    // The vendor's own score range is unknown here; record the range observed.
    let finite = input
        .verification
        .iter()
        .flat_map(|v| v.score.iter())
        .chain(input.searches.iter().flat_map(|s| s.candidate_score.iter()))
        .copied()
        .filter(|x| x.is_finite());
    let observed =
        finite.fold(None, |acc: Option<(f64, f64)>, x| Some(acc.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x)))));
    let observed = observed.unwrap_or((0.0, 0.0));
    let population = &input.population;
    let results = Results {
        schema_version: RESULTS_SCHEMA_VERSION.to_string(),
        benchmark: BenchmarkInfo {
            name: "score-level input".into(),
            version: String::new(),
            licence: String::new(),
            content_hash: hex::encode(whole.finalize()),
            subjects: population.subjects.len() as u64,
            samples: 0,
            label_provenance: population.provenance.clone(),
            subjects_per_group: population.subjects_per_group(),
        },
        config,
        trial_lists,
        vendors: vec![VendorResults {
            vendor: VendorDescription {
                name: args.vendor.clone(),
                version: String::new(),
                score_min: observed.0,
                score_max: observed.1,
                score_meaning: "as supplied in the score files; the range given is the range observed".into(),
                thresholds: declared,
                template: TemplateFormat::Opaque,
            },
            fingerprint: String::new(),
            template_rates: Vec::new(),
            failures: Vec::new(),
            timing: Timing::default(),
            protocols,
        }],
        provenance: provenance(inputs, BTreeMap::new(), &args.out),
    };
    reports::write_all(&args.out, &results, &[], &[])
        .map_err(|e| CliError::Failure(format!("writing {}: {e}", args.out.display())))?;
    println!("{}", reports::summary::markdown(&results));
    println!("outputs written to {}", args.out.display());
    Ok(())
}
