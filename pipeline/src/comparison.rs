//! `verity compare` needs the benchmark's subjects for per-group paired tests: from the
//! benchmark the user names, or the one each run recorded in its provenance, if it is still
//! there and unchanged.

use crate::Error;
use harness::model::population::Population;
use harness::run::progress::{Progress, stage};
use reports::compare::ComparedRun;
use std::path::{Path, PathBuf};

/// The benchmark's population, for per-group tests: from `--benchmark` (which must be
/// the runs' benchmark), else from the path a run recorded, if it is still there and
/// unchanged. Returns what the document should say about it, paths named from the
/// comparison's folder `out` (the document holds no absolute path).
pub fn population(
    given: Option<&Path>,
    runs: &[ComparedRun],
    out: &Path,
    progress: &dyn Progress,
) -> Result<(Option<Population>, Vec<String>), Error> {
    let shown = |p: &Path| storage::relative::relative_to(p, out);
    let hash = &runs[0].results.benchmark.content_hash;
    if let Some(path) = given {
        let bench = stage(progress, "loading the benchmark", || datasets::load(path))?;
        if bench.content_hash != *hash {
            return Err(Error::BadInput(format!(
                "--benchmark {}: its content hash is {}, but the runs were made on a benchmark with content hash {hash}",
                path.display(),
                bench.content_hash
            )));
        }
        let note = format!("Groups of the paired tests: the subjects of benchmark {}.", shown(path));
        return Ok((Some(bench.population), vec![note]));
    }
    // Recorded paths are relative to each run's folder (docs/results.md, provenance).
    let recorded: Vec<PathBuf> = runs
        .iter()
        .flat_map(|r| {
            r.results.provenance.inputs.keys().filter_map(|k| k.strip_prefix("benchmark:")).map(|p| r.dir.join(p))
        })
        .collect();
    let mut tried = Vec::new();
    for path in &recorded {
        if tried.contains(path) {
            continue;
        }
        tried.push(path.clone());
        if !path.join("benchmark.toml").is_file() {
            continue;
        }
        match stage(progress, "loading the benchmark", || datasets::load(path)) {
            Ok(bench) if bench.content_hash == *hash => {
                let note = format!(
                    "Groups of the paired tests: the subjects of benchmark {} (recorded in the run's provenance; its content hash matches).",
                    shown(path)
                );
                return Ok((Some(bench.population), vec![note]));
            }
            _ => continue,
        }
    }
    let where_ = if tried.is_empty() {
        "no benchmark path is recorded in the runs".to_string()
    } else {
        format!(
            "the benchmark recorded in the runs ({}) was not found or has changed",
            tried.iter().map(|p| shown(p)).collect::<Vec<_>>().join(", ")
        )
    };
    let note =
        format!("The paired tests are overall only: {where_}. Give it with --benchmark BENCH for per-group tests.");
    Ok((None, vec![note]))
}
