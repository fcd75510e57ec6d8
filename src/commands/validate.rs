//! `verity validate BENCH`: load a benchmark folder, list every problem, write nothing.

use crate::error::{CliError, CliResult};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The benchmark folder (holding benchmark.toml).
    pub bench: PathBuf,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: Args) -> CliResult {
    match datasets::load(&args.bench) {
        Ok(b) => {
            if args.json {
                let summary = serde_json::json!({
                    "ok": true,
                    "name": b.name,
                    "version": b.version,
                    "subjects": b.population.subjects.len(),
                    "samples": b.samples.len(),
                    "protocols": b.protocols.len(),
                    "hash": b.content_hash,
                });
                println!("{summary}");
            } else {
                println!(
                    "ok: {} v{}, {} subjects, {} samples, {} protocols, hash {}",
                    b.name,
                    b.version,
                    b.population.subjects.len(),
                    b.samples.len(),
                    b.protocols.len(),
                    b.content_hash
                );
            }
            Ok(())
        }
        Err(problems) => {
            let heading = format!("{} in {}", count(problems.len()), args.bench.display());
            if args.json {
                println!("{}", serde_json::json!({ "ok": false, "problems": problems.0 }));
                return Err(CliError::BadInput(heading));
            }
            // One problem a line, so that grep and editors can jump to each.
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            Err(CliError::BadInput(format!("{heading}:\n{}", lines.join("\n"))))
        }
    }
}

fn count(n: usize) -> String {
    format!("{n} problem{}", if n == 1 { "" } else { "s" })
}
