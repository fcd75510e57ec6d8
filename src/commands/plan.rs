//! `verity plan`: how many trials per group a test needs (`--rate --ratio`), or which
//! ratios a finished run could have detected (`--results`). The work is in
//! `harness::analysis::planning`; see docs/planning.md.

use crate::error::{CliError, CliResult};
use harness::analysis::planning::{SampleSizeRequest, Simulation, trials_per_group};
use harness::stats::Alternative;
use pipeline::planning::{TableFilter, detectable};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Error rate of the reference group, e.g. an FPIR of 0.001.
    #[arg(long, requires = "ratio", conflicts_with = "results", allow_negative_numbers = true, value_parser = crate::options::number)]
    pub rate: Option<f64>,
    /// Ratio R > 1 of the compared group's rate to the reference's, to be detected.
    #[arg(long, requires = "rate", conflicts_with = "results", allow_negative_numbers = true, value_parser = crate::options::number)]
    pub ratio: Option<f64>,
    /// A run's results.json: print the minimum detectable FMR/FPIR ratio of each group.
    #[arg(long, required_unless_present = "rate")]
    pub results: Option<PathBuf>,
    /// Significance level of Fisher's exact test.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub alpha: f64,
    /// Target power (1 - beta).
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub power: f64,
    /// Two-sided test (the default).
    #[arg(long, conflicts_with = "one_sided")]
    pub two_sided: bool,
    /// One-sided test: "the compared group's rate is higher".
    #[arg(long)]
    pub one_sided: bool,
    /// Simulation replicates, used when exact power costs too much.
    #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(1, 1_000_000_000))]
    pub replicates: u64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 20261123, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(0, u64::MAX))]
    pub seed: u64,
    /// With --results: only this vendor (its name).
    #[arg(long)]
    pub vendor: Option<String>,
    /// With --results: only this protocol.
    #[arg(long)]
    pub protocol: Option<String>,
    /// With --results: only this grouping (e.g. `sex`, `sex×ethnicity`).
    #[arg(long)]
    pub grouping: Option<String>,
    /// With --results: only this threshold.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub threshold: Option<f64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: Args) -> CliResult {
    check_open_unit("--alpha", args.alpha)?;
    check_open_unit("--power", args.power)?;
    let alternative = if args.one_sided { Alternative::Greater } else { Alternative::TwoSided };
    match (&args.results, args.rate, args.ratio) {
        (Some(path), _, _) => detectable_ratios(&args, path, alternative),
        (None, Some(rate), Some(ratio)) => sample_size(&args, rate, ratio, alternative),
        _ => Err(CliError::BadInput("give --rate and --ratio, or --results RUN/results.json".into())),
    }
}

pub(crate) fn check_open_unit(option: &str, value: f64) -> Result<(), CliError> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(CliError::BadInput(format!("{option} {value}: must be strictly between 0 and 1")))
    }
}

fn sample_size(args: &Args, rate: f64, ratio: f64, alternative: Alternative) -> CliResult {
    check_open_unit("--rate", rate)?;
    if !(ratio > 1.0 && ratio.is_finite()) {
        return Err(CliError::BadInput(format!("--ratio {ratio}: must be a number greater than 1")));
    }
    if rate * ratio >= 1.0 {
        return Err(CliError::BadInput(format!(
            "--rate {rate} --ratio {ratio}: the compared rate {} would not be below 1",
            rate * ratio
        )));
    }
    let req = SampleSizeRequest {
        base_rate: rate,
        ratio,
        alpha: args.alpha,
        power: args.power,
        alternative,
        replicates: args.replicates,
        seed: args.seed,
    };
    let s = trials_per_group(&req).map_err(|e| CliError::BadInput(format!("--rate {rate} --ratio {ratio}: {e}")))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", reports::text::planning::sample_size(&s));
    }
    Ok(())
}

/// Read a results.json through the one typed, schema-checked reader; errors name the option.
pub(crate) fn read_results(path: &Path) -> Result<harness::model::results::Results, CliError> {
    reports::output::json::read_results(path).map_err(|e| CliError::BadInput(format!("--results {e}")))
}

fn detectable_ratios(args: &Args, path: &Path, alternative: Alternative) -> CliResult {
    let results = read_results(path)?;
    let filter = TableFilter {
        vendor: args.vendor.clone(),
        protocol: args.protocol.clone(),
        grouping: args.grouping.clone(),
        threshold: args.threshold,
    };
    let simulation = Simulation { replicates: args.replicates, seed: args.seed };
    let rows = detectable(&results, &filter, args.alpha, args.power, alternative, simulation)
        .map_err(|e| CliError::BadInput(format!("--results {}: {e}", path.display())))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let pairs: Vec<_> = rows.iter().map(|r| (&r.table, &r.detectability)).collect();
        print!("{}", reports::text::planning::detectability(&pairs));
    }
    Ok(())
}
