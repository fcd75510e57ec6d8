//! The `verity` command line: parses options and wires them to library calls.
//! Command bodies stay thin; the work is in `harness`, `datasets`, `vendors`, `reports`.

mod commands;
mod error;
mod options;
mod progress;
mod provenance;
mod text;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "verity", version, about = "Measure face-recognition accuracy and its demographic differentials")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Build a synthetic benchmark, run three simulated vendors, write every output.
    Demo(commands::demo::Args),
    /// Run vendors on a benchmark and analyse the results.
    Run(commands::run::Args),
    /// Complete a run made in shards (`verity run --shard I/N`) from its parts: the outputs of the unsharded run.
    Merge(commands::merge::Args),
    /// Analyse score-level input (scores, candidate lists) a vendor or researcher already has.
    Analyse(commands::analyse::Args),
    /// Check a benchmark folder and list every problem found.
    Validate(commands::validate::Args),
    /// Write a seeded synthetic benchmark.
    Simulate(commands::simulate::Args),
    /// Trials per group needed to detect a rate ratio, or the ratios a run could have detected.
    Plan(commands::plan::Args),
    /// Expected false alerts of a watchlist deployment, overall and per group.
    Project(commands::project::Args),
    /// Several vendors side by side on identical trials, with paired exact (McNemar) tests.
    Compare(commands::compare::Args),
    /// Write the NPL/NIST-style report (HTML, Markdown, figures, DPIA/PSED annex) of runs.
    Report(commands::report::Args),
    /// Score bids with a procurement rubric (gates, quality:price weighting) and rank them.
    Score(commands::score::Args),
    /// Build a seeded verification, identification or watchlist protocol and add it to a benchmark.
    Protocol(commands::protocol::Args),
    /// Counts per group, label provenance, detectability and image properties of a benchmark.
    Inspect(commands::inspect::Args),
    /// Turn a public dataset layout (folder, LFW, RFW, BFW, UTKFace, FairFace, bob) into a benchmark.
    Import(commands::import::Args),
}

fn main() {
    // A worker of the `frte` adapter runs the vendor library and nothing else.
    vendors::frte_worker::worker_entry();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Demo(a) => commands::demo::execute(a),
        Command::Run(a) => commands::run::execute(a),
        Command::Merge(a) => commands::merge::execute(a),
        Command::Analyse(a) => commands::analyse::execute(a),
        Command::Validate(a) => commands::validate::execute(a),
        Command::Simulate(a) => commands::simulate::execute(a),
        Command::Plan(a) => commands::plan::execute(a),
        Command::Project(a) => commands::project::execute(a),
        Command::Compare(a) => commands::compare::execute(a),
        Command::Report(a) => commands::report::execute(a),
        Command::Score(a) => commands::score::execute(a),
        Command::Protocol(a) => commands::protocol::execute(a),
        Command::Inspect(a) => commands::inspect::execute(a),
        Command::Import(a) => commands::import::execute(a),
    };
    if let Err(e) = outcome {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
