//! `verity simulate`: write a seeded synthetic benchmark from a population spec.

use crate::error::{CliError, CliResult};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Population spec (TOML): attributes and shares, subjects, samples, protocols.
    #[arg(long)]
    pub spec: PathBuf,
    /// Benchmark folder to write (must not exist, be empty, or be one verity wrote).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed overriding the spec's `population.seed`.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(0, u64::MAX))]
    pub seed: Option<u64>,
}

pub fn execute(args: Args) -> CliResult {
    let spec = datasets::synthetic::read_spec(&args.spec).map_err(|e| match e {
        datasets::synthetic::SpecError::Read { .. } => CliError::BadInput(e.to_string()),
        datasets::synthetic::SpecError::Invalid { .. } => CliError::BadInput(e.to_string()),
    })?;
    let spec = match args.seed {
        Some(seed) => spec.with_seed(seed),
        None => spec,
    };
    let bench = datasets::synthetic::generate(&spec)
        .map_err(|p| CliError::BadInput(format!("population spec {}: {p}", args.spec.display())))?;
    datasets::write_benchmark(&bench, &spec.population.description, &args.out).map_err(|e| match e {
        datasets::DatasetError::Exists(_) => CliError::BadInput(e.to_string()),
        other => CliError::Failure(other.to_string()),
    })?;
    eprintln!(
        "wrote {} ({} subjects, {} samples, {} protocols, seed {})",
        args.out.display(),
        bench.population.subjects.len(),
        bench.samples.len(),
        bench.protocols.len(),
        spec.population.seed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The generator and the simulated vendor together: a planted parameter moves the
    //! right similarity distribution on generated samples.
    use harness::model::benchmark::{MediaSource, Protocol};
    use harness::vendor::{Role, Vendor};
    use std::path::Path;

    const SPEC: &str = r#"
[population]
name = "planted"
seed = 9
subjects = 400
samples_per_subject = 2
[[attributes]]
name = "ethnicity"
provenance = "synthetic"
categories = ["black", "white"]
shares = [1, 1]
[protocols.verification]
non_mated_per_probe = 2
"#;

    const VENDOR: &str = r#"
kind = "simulated"
name = "planted"
version = "1"
dim = 64
seed = 3
[defaults]
cluster = 0.1
noise = 0.5
[cells.black]
cluster = 0.4
"#;

    #[test]
    fn tighter_cluster_raises_that_groups_non_mated_scores() {
        let spec = datasets::synthetic::parse_spec(SPEC, Path::new("spec.toml")).unwrap();
        let bench = datasets::synthetic::generate(&spec).unwrap();
        let vendor = vendors::SimulatedVendor::from_toml(VENDOR, Path::new("v.toml")).unwrap();
        let templates: Vec<_> = bench
            .samples
            .media
            .iter()
            .map(|m| match m {
                MediaSource::Inline(bytes) => vendor.create_template(bytes, Role::Verify).unwrap(),
                other => panic!("unexpected media {other:?}"),
            })
            .collect();
        let Protocol::Verification(v) = &bench.protocols[0] else { panic!() };
        let group =
            |sample: u32| &bench.population.subjects[bench.samples.subject[sample as usize] as usize].attributes[0];
        let (mut sums, mut counts) = ([0.0f64; 2], [0usize; 2]);
        for (&p, &r) in v.probe.iter().zip(&v.reference) {
            if bench.samples.subject[p as usize] != bench.samples.subject[r as usize] {
                let g = usize::from(group(p) == "white");
                sums[g] += vendor.compare(&templates[p as usize], &templates[r as usize]).unwrap();
                counts[g] += 1;
            }
        }
        let (black, white) = (sums[0] / counts[0] as f64, sums[1] / counts[1] as f64);
        assert!(counts[0] > 300 && counts[1] > 300);
        assert!(black > white + 0.15, "mean non-mated cosine: black {black}, white {white}");
    }
}
