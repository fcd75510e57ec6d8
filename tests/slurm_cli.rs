//! A sharded run on a real Slurm (docs/scale.md): a single-node Slurm started for the
//! test by `scripts/slurm-local`, the job array of `examples/slurm/` (three shards and a
//! merge that depends on them) submitted with `sbatch`, and the merged `results.json`
//! checked byte for byte against the unsharded run's. Where Slurm cannot run here (not
//! root, or the Debian packages `slurm-wlm` and `munge` missing: `scripts/test` installs
//! them as root) the test prints SKIPPED with the reason.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::{fixture, text};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Why Slurm cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref() != Some("0") {
        return Some("not root (munged and slurmd must run as system users)".into());
    }
    for tool in ["sbatch", "slurmctld", "slurmd", "munged"] {
        let found =
            Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("{tool} is not installed (Debian: apt-get install slurm-wlm munge)"));
        }
    }
    None
}

/// Stops the daemons `scripts/slurm-local start` started, however the test ends.
struct Slurm {
    state: PathBuf,
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let _ = Command::new(repo("scripts/slurm-local")).arg("stop").arg(&self.state).output();
    }
}

#[test]
fn a_slurm_job_array_of_shards_and_a_dependent_merge_give_the_unsharded_run() {
    if let Some(why) = unavailable() {
        println!("SKIPPED the Slurm test: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bench = d.join("bench");
    let spec = fixture("small/population.toml");
    let verity = env!("CARGO_BIN_EXE_verity");
    let o = Command::new(verity)
        .args(["simulate", "--spec", spec.to_str().unwrap(), "--out", bench.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let vendor = d.join("vendor.toml");
    std::fs::copy(fixture("small/vendor.toml"), &vendor).unwrap();
    let o = Command::new(verity)
        .args(["run", bench.to_str().unwrap(), "--vendor", vendor.to_str().unwrap(), "--out"])
        .arg(d.join("whole"))
        .args(["--bootstrap-replicates", "50"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));

    let state = d.join("slurm");
    let start = Command::new(repo("scripts/slurm-local")).arg("start").arg(&state).output().unwrap();
    let _slurm = Slurm { state: state.clone() };
    assert!(start.status.success(), "scripts/slurm-local start: {}", text(&start));

    let o = Command::new(repo("examples/slurm/submit.sh"))
        .env("SLURM_CONF", state.join("slurm.conf"))
        .env("BENCH", &bench)
        .env("VENDOR", &vendor)
        .env("PARTS", d.join("parts"))
        .env("OUT", d.join("merged"))
        .env("SHARDS", "3")
        .env("VERITY", verity)
        .env("VERITY_OPTIONS", "--bootstrap-replicates 50")
        .env("WAIT", "1")
        .output()
        .unwrap();
    let logs = || -> String {
        std::fs::read_dir(d.join("parts"))
            .map(|es| {
                es.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "log"))
                    .map(|p| format!("{}:\n{}", p.display(), std::fs::read_to_string(&p).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    assert!(o.status.success(), "submit: {}\n{}", text(&o), logs());
    for k in 1..=3 {
        assert!(d.join(format!("parts/part-{k}/shard.json")).exists(), "part {k}: {}", logs());
    }
    let whole = std::fs::read(d.join("whole/results.json")).unwrap();
    let merged =
        std::fs::read(d.join("merged/results.json")).unwrap_or_else(|e| panic!("no merged results ({e}): {}", logs()));
    assert!(whole == merged, "the merged results.json differs from the unsharded run's");
}
