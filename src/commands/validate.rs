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
            // Loading checked the frames, so their tracks build (docs/benchmark-format.md, "Video").
            let tracks = harness::model::tracks::tracks(&b.samples, |i| i as u64 + 2).unwrap_or_default();
            let videos: std::collections::BTreeSet<&str> = tracks.iter().map(|t| t.video.as_str()).collect();
            if args.json {
                let mut summary = serde_json::json!({
                    "ok": true,
                    "name": b.name,
                    "version": b.version,
                    "subjects": b.population.subjects.len(),
                    "samples": b.samples.len(),
                    "protocols": b.protocols.len(),
                    "hash": b.content_hash,
                });
                if !tracks.is_empty() {
                    summary["tracks"] = tracks.len().into();
                    summary["videos"] = videos.len().into();
                }
                println!("{summary}");
            } else {
                let video = if tracks.is_empty() {
                    String::new()
                } else {
                    format!(", {} tracks in {} videos", tracks.len(), videos.len())
                };
                println!(
                    "ok: {} v{}, {} subjects, {} samples{video}, {} protocols, hash {}",
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
