//! `verity merge PART... --out DIR`: the outputs of a run made in shards (`verity run
//! --shard I/N`, docs/scale.md). The parts are checked to be the N parts of one run,
//! their template caches gathered into `DIR/.verity-cache/`, and the run completed there
//! with every template taken from the caches: the outputs are the unsharded run's, byte
//! for byte, and its `provenance.command` is the unsharded `verity run`.

use crate::error::{CliError, CliResult};
use clap::Parser;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The part folders, each written by `verity run ... --shard I/N --out PART`.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Output folder of the whole run.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn execute(args: Args) -> CliResult {
    let manifest = pipeline::shard::check_parts(&args.parts)?;
    let out_abs = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
    for part in &args.parts {
        if std::path::absolute(part).ok().as_ref() == Some(&out_abs) {
            return Err(CliError::BadInput(format!(
                "--out {} is one of the parts: merge into a folder of its own",
                args.out.display()
            )));
        }
    }
    // The unsharded run, as its shards recorded it, into --out.
    let placeholder = crate::commands::run::OUT_PLACEHOLDER;
    let out_text = out_abs.display().to_string();
    let mut words: Vec<String> = vec!["verity".into()];
    words.extend(manifest.arguments.iter().map(|w| w.replace(placeholder, &out_text)));
    let cli = crate::Cli::try_parse_from(&words)
        .map_err(|e| CliError::BadInput(format!("the parts' command does not read back ({e}): {}", words.join(" "))))?;
    let crate::Command::Run(run) = cli.command else {
        return Err(CliError::BadInput(format!("the parts' command is not a `verity run`: {}", words.join(" "))));
    };
    let command = crate::provenance::command_line_of(&words[1..], &out_abs);
    crate::commands::run::execute_as(run, command, Some((&manifest, &args.parts)))
}
