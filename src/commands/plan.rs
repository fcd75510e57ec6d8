//! `verity plan`: how many trials per group a test needs (`--rate --ratio`), or which
//! ratios a finished run could have detected (`--results`). The work is in
//! `harness::analysis::planning`; see docs/planning.md.

use crate::error::{CliError, CliResult};
use harness::analysis::planning::{
    DetectabilityTable, PlanningMethod, SampleSize, SampleSizeRequest, Simulation, detectable_ratios, trials_per_group,
};
use harness::model::rate::Rate;
use harness::stats::Alternative;
use serde::Serialize;
use harness::model::analysis::Metric;
use harness::model::benchmark::ProtocolKind;
use harness::model::results::Results;
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
    if args.replicates == 0 {
        return Err(CliError::BadInput("--replicates 0: must be at least 1".into()));
    }
    let alternative = if args.one_sided { Alternative::Greater } else { Alternative::TwoSided };
    match (&args.results, args.rate, args.ratio) {
        (Some(path), _, _) => detectable(&args, path, alternative),
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
        println!("{}", to_json(&s)?);
    } else {
        print!("{}", render_sample_size(&s));
    }
    Ok(())
}

fn method_words(m: &PlanningMethod) -> String {
    match m {
        PlanningMethod::Exact => "exact power of Fisher's exact test (enumeration)".to_string(),
        PlanningMethod::Simulation { replicates, seed } => {
            format!("simulated power of Fisher's exact test ({replicates} replicates, seed {seed})")
        }
        PlanningMethod::ArcsineApproximation => "arcsine normal approximation".to_string(),
    }
}

fn render_sample_size(s: &SampleSize) -> String {
    let se = s.power_standard_error.map(|e| format!(" ± {e:.3}")).unwrap_or_default();
    format!(
        "To detect a rate {} times the reference rate {} with a {} test at alpha {} and power {}:\n\
         trials per group: {}  (power {:.4}{se})\n\
         method: {}; the arcsine approximation says {}\n\
         assumption: {}\n",
        s.ratio,
        s.base_rate,
        s.alternative,
        s.alpha,
        s.target_power,
        s.trials_per_group,
        s.achieved_power,
        method_words(&s.method),
        s.arcsine_trials_per_group,
        s.note
    )
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(v).map_err(|e| CliError::Failure(format!("cannot write JSON: {e}")))
}

/// Read a results.json through the one typed, schema-checked reader every command uses
/// (a rate whose value disagrees with its counts is refused); errors name the option.
pub(crate) fn read_results(path: &Path) -> Result<Results, CliError> {
    super::common::read_results(path).map_err(|e| match e {
        CliError::BadInput(m) => CliError::BadInput(format!("--results {m}")),
        other => other,
    })
}

/// The per-group rates of one (vendor, protocol, metric, gallery size, threshold,
/// operating point, grouping), in the order of the file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RateTable {
    pub vendor: String,
    pub protocol: String,
    pub kind: String,
    pub metric: String,
    pub gallery_size: Option<u64>,
    pub threshold: f64,
    pub operating_point: String,
    pub grouping: String,
    #[serde(skip)]
    pub groups: Vec<(String, Rate)>,
}

/// Every per-group table of `metric_for(kind)` in a results.json (grouping `all` left out).
pub(crate) fn rate_tables(results: &Results, metric_for: impl Fn(ProtocolKind) -> Option<Metric>) -> Vec<RateTable> {
    let mut tables: Vec<RateTable> = Vec::new();
    for vendor in &results.vendors {
        for protocol in &vendor.protocols {
            let Some(metric) = metric_for(protocol.kind) else { continue };
            for row in &protocol.rates {
                let Some(threshold) = row.threshold else { continue };
                if row.metric != metric || row.grouping == "all" {
                    continue;
                }
                let t = RateTable {
                    vendor: vendor.vendor.name.clone(),
                    protocol: protocol.protocol.clone(),
                    kind: protocol.kind.name().to_string(),
                    metric: metric.name().to_string(),
                    gallery_size: row.gallery_size,
                    threshold,
                    operating_point: row.operating_point.label(),
                    grouping: row.grouping.clone(),
                    groups: Vec::new(),
                };
                let same = |x: &RateTable| {
                    (&x.vendor, &x.protocol, x.gallery_size, &x.operating_point, &x.grouping)
                        == (&t.vendor, &t.protocol, t.gallery_size, &t.operating_point, &t.grouping)
                        && x.threshold == t.threshold
                };
                let i = match tables.iter().position(same) {
                    Some(i) => i,
                    None => {
                        tables.push(t);
                        tables.len() - 1
                    }
                };
                tables[i].groups.push((row.group.clone(), row.rate));
            }
        }
    }
    tables
}

#[derive(Serialize)]
struct DetectabilityRow {
    #[serde(flatten)]
    table: RateTable,
    detectability: DetectabilityTable,
}

fn detectable(args: &Args, path: &Path, alternative: Alternative) -> CliResult {
    let results = read_results(path)?;
    let metric_for = |kind: ProtocolKind| match kind {
        ProtocolKind::Verification => Some(Metric::Fmr),
        ProtocolKind::Identification | ProtocolKind::Watchlist => Some(Metric::Fpir),
    };
    let tables: Vec<RateTable> = rate_tables(&results, metric_for)
        .into_iter()
        .filter(|t| args.vendor.as_ref().is_none_or(|v| &t.vendor == v))
        .filter(|t| args.protocol.as_ref().is_none_or(|p| &t.protocol == p))
        .filter(|t| args.grouping.as_ref().is_none_or(|g| &t.grouping == g))
        .filter(|t| args.threshold.is_none_or(|x| harness::model::thresholds::same_threshold(t.threshold, x)))
        .collect();
    if tables.is_empty() {
        return Err(CliError::BadInput(format!(
            "--results {}: no per-group FMR or FPIR rows match the filters given",
            path.display()
        )));
    }
    let mut rows = Vec::new();
    for t in tables {
        let simulation = Simulation { replicates: args.replicates, seed: args.seed };
        let d = detectable_ratios(&t.groups, args.alpha, args.power, alternative, simulation)
            .map_err(|e| CliError::BadInput(format!("--results {}: {e}", path.display())))?;
        rows.push(DetectabilityRow { table: t, detectability: d });
    }
    if args.json {
        println!("{}", to_json(&rows)?);
        return Ok(());
    }
    let first = &rows[0].detectability;
    println!(
        "Minimum detectable ratio of each group's rate to the base rate (the lowest-rate group's), \
         {} Fisher exact test at alpha {}, power {}.",
        first.alternative, first.alpha, first.target_power
    );
    for r in &rows {
        print!("{}", render_table(&r.table, &r.detectability));
    }
    Ok(())
}

fn render_table(t: &RateTable, d: &DetectabilityTable) -> String {
    let gallery = t.gallery_size.map(|n| format!(" N={n}")).unwrap_or_default();
    let base = d.base_rate.map(reports::format::scientific).unwrap_or_else(|| "undefined".into());
    let mut out = format!(
        "\n{} / {} / {}{gallery} at threshold {} ({}) / {}: base rate {base} ({})\n",
        t.vendor, t.protocol, t.metric, t.threshold, t.operating_point, t.grouping, d.base_rate_source
    );
    let width = d.groups.iter().map(|g| g.group.chars().count()).max().unwrap_or(5).max(5);
    for g in &d.groups {
        let rate = g.rate.value().map(reports::format::scientific).unwrap_or_default();
        let verdict = match (g.minimum_detectable_ratio, &g.method) {
            (Some(r), Some(m)) => {
                format!(
                    "{r:.3} ({})",
                    match m {
                        PlanningMethod::Exact => "exact",
                        PlanningMethod::Simulation { .. } => "simulated",
                        PlanningMethod::ArcsineApproximation => "arcsine approximation",
                    }
                ) + &g
                    .simulated_power
                    .map(|p| {
                        format!(
                            "; exact test's simulated power there {p:.3} ± {:.3}",
                            g.simulated_power_se.unwrap_or(0.0)
                        )
                    })
                    .unwrap_or_default()
            }
            _ => g.note.clone().unwrap_or_default(),
        };
        out += &format!(
            "  {:<width$}  {:>14}  {rate:>10}  {verdict}\n",
            g.group,
            format!("{}/{}", g.rate.numerator, g.rate.denominator)
        );
    }
    if !d.excluded_groups.is_empty() {
        out += &format!("  no trials: {}\n", d.excluded_groups.join(", "));
    }
    out
}
