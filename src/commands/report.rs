//! `verity report RUN...`: the NPL/NIST-style report of each run (report.html,
//! report.md, the DPIA/PSED annex and the figures), written into the run folder.

use crate::error::{CliError, CliResult};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Run folders (each holding results.json).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Write the report here instead of into the run folder (one run only).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The grouping of the figures and the per-group summary, e.g. `ethnicity` or
    /// `sex,ethnicity` (default: the intersection of the configured attributes).
    #[arg(long)]
    pub grouping: Option<String>,
    /// The operating threshold of every vendor (default: each vendor's first declared
    /// threshold); it must be one the run evaluated.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub threshold: Option<f64>,
    /// Leave the subject-bootstrap whiskers off a kind of figure: `det` or `rates`
    /// (repeatable; default: both kinds have them).
    #[arg(long = "no-bands", value_name = "FIGURE", value_parser = ["det", "rates"])]
    pub no_bands: Vec<String>,
}

pub fn execute(args: Args) -> CliResult {
    if args.out.is_some() && args.runs.len() > 1 {
        return Err(CliError::BadInput("--out takes one run; without it each report goes into its run folder".into()));
    }
    // Read and build every report before writing any, so bad input writes nothing.
    let mut loaded = Vec::new();
    for run in &args.runs {
        loaded.push((run, reports::output::json::read_results(run)?));
    }
    let options = reports::report::ReportOptions {
        grouping: args.grouping.clone(),
        threshold: args.threshold,
        see_also: Vec::new(),
        no_bands: args
            .no_bands
            .iter()
            .map(|f| if f == "det" { reports::report::BandFigure::Det } else { reports::report::BandFigure::Rates })
            .collect(),
    };
    for (_, results) in &loaded {
        reports::report::build_report(results, &options)?;
    }
    for (run, results) in &loaded {
        let dir = args.out.clone().unwrap_or_else(|| {
            if run.is_dir() { run.to_path_buf() } else { run.parent().map(PathBuf::from).unwrap_or_default() }
        });
        reports::report::write_report(&dir, results, &options)?;
        println!("{}", dir.join(reports::report::files::HTML).display());
    }
    Ok(())
}
