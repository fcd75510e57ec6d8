//! `verity score --rubric FILE RUN... --out DIR`: apply a procurement rubric to the
//! results of one or more runs and write the scorecard (HTML, Markdown, CSV).

use crate::error::CliResult;
use harness::model::results::Results;
use reports::scorecard::{Rubric, layout, ranking_text, score, write_scorecard};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The rubric (TOML): criteria, scoring functions, weights, gates, bids
    /// (docs/scorecard.md; an example is examples/rubric-70-30.toml).
    #[arg(long)]
    pub rubric: PathBuf,
    /// Run output folders (or their results.json); the vendors of all are scored.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Output folder for scorecard.html, scorecard.md and scorecard.csv.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn execute(args: Args) -> CliResult {
    // Everything is read and scored before anything is written: bad input leaves no file.
    let rubric = Rubric::load(&args.rubric)?;
    let runs: Vec<(String, Results)> = args
        .runs
        .iter()
        .map(|p| reports::output::json::read_results(p).map(|r| (run_label(p, &args.out), r)))
        .collect::<Result<_, _>>()?;
    let labelled: Vec<(&str, &Results)> = runs.iter().map(|(l, r)| (l.as_str(), r)).collect();
    let mut card = score(&rubric, &labelled)?;
    // Scored: the documents name the rubric from the scorecard's folder (messages above
    // named it as given).
    card.rubric.path = std::path::PathBuf::from(run_label(&args.rubric, &args.out));
    let sources = runs.iter().map(|(_, r)| reports::output::json::digest(r)).collect::<Result<_, _>>()?;
    write_scorecard(&args.out, &card, sources)?;
    print!("{}", ranking_text(&card));
    println!("scorecard written to {}: {}, {}, {}", args.out.display(), layout::HTML, layout::MARKDOWN, layout::CSV);
    Ok(())
}

/// A run (or the rubric) as the scorecard names it: its path from the scorecard's folder, so that the
/// scorecard holds no absolute path and reads the same wherever the folders are.
fn run_label(results: &std::path::Path, out: &std::path::Path) -> String {
    storage::relative::relative_to(results, out)
}
