//! `verity analyse`: rates from score-level input a vendor or researcher already has
//! (the pipeline's `score_level::analyse`).

use crate::error::CliResult;
use crate::options::AnalysisOptions;
use datasets::scores::ScoreFiles;
use pipeline::score_level::{ScoreRequest, analyse};
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
    /// 1:1 trials held in memory (16 bytes each) before the rest go to a temporary file
    /// in TMPDIR, removed when verity exits; the results are the same either way
    /// (docs/scale.md). Default 33554432 (512 MiB).
    #[arg(long, value_parser = crate::options::whole::<usize>(1, u64::MAX))]
    pub memory_trials: Option<usize>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub analysis: AnalysisOptions,
}

pub fn execute(args: Args) -> CliResult {
    let settings = args.analysis.settings();
    let request = ScoreRequest {
        files: ScoreFiles {
            subjects: Some(&args.subjects),
            verification: args.verification.as_deref(),
            searches: args.searches.as_deref(),
            gallery: args.gallery.as_deref(),
            candidates: args.candidates.as_deref(),
            list_length: args.list_length,
            memory_rows: args.memory_trials,
        },
        settings: &settings,
        vendor: args.vendor.clone(),
        declared_threshold: args.declared_threshold,
        out: &args.out,
        command: crate::provenance::command_line(&args.out),
    };
    let results = analyse(request)?;
    println!("{}", reports::summary::markdown(&results));
    println!("outputs written to {}", args.out.display());
    Ok(())
}
