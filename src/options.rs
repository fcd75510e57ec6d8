//! Value parsers of the command line's numeric options. Each accepts what a user might
//! type (a negative number included, so that `--faces -5` reaches it rather than being
//! taken for an unknown flag) and refuses what the option cannot take with a message
//! naming the value and the range allowed; clap adds the option's name and exits with 2.

use harness::model::rate::IntervalMethod;
use pipeline::settings::AnalysisSettings;
use reports::format::count;

/// A whole number from `min` to `max` (both included).
pub fn whole<T>(min: u64, max: u64) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64> + Send + Sync + 'static,
{
    move |text: &str| {
        let range = || {
            if max == u64::MAX {
                format!("a whole number, {} or more", count(min))
            } else {
                format!("a whole number from {} to {}", count(min), count(max))
            }
        };
        let value: u64 = match text.trim().parse::<u64>() {
            Ok(v) => v,
            Err(_) => return Err(format!("not {}", range())),
        };
        if value < min || value > max {
            return Err(format!("out of range: must be {}", range()));
        }
        T::try_from(value).map_err(|_| format!("too large for this machine: must be {}", range()))
    }
}

/// Any finite number (a threshold may be negative where a vendor's scores are).
pub fn number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err("not a finite number".into()),
    }
}

/// Options of the analysis, shared by every command that computes rates. Each default
/// is written into `results.json` (`config`), so none is silent.
#[derive(clap::Args, Debug, Clone)]
pub struct AnalysisOptions {
    /// Threshold grid START:STOP:STEP (both ends included) or a comma-separated list.
    #[arg(long, default_value = pipeline::settings::DEFAULT_THRESHOLDS)]
    pub thresholds: String,
    /// A grouping: an attribute (`sex`) or an intersection (`sex,ethnicity`); repeat the
    /// option for several. `verity run` also takes a capture column (`camera`,
    /// `face_size`: quartile bands), alone or crossed (`ethnicity,camera`).
    /// Default: each attribute alone and the intersection of all.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// FMR targets for thresholds calibrated on the whole population (1:1); FNMR is
    /// reported at each (FNMR at FMR).
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4,1e-5,1e-6", allow_negative_numbers = true, value_parser = number)]
    pub fmr_targets: Vec<f64>,
    /// FPIR targets for thresholds calibrated on the whole population (1:N, watchlist).
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4", allow_negative_numbers = true, value_parser = number)]
    pub fpir_targets: Vec<f64>,
    /// Ranks R at which identification FNIR/TPIR are reported (the list length L always is).
    #[arg(long, value_delimiter = ',', default_value = "1", allow_negative_numbers = true, value_parser = whole::<u32>(1, u32::MAX as u64))]
    pub ranks: Vec<u32>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = pipeline::settings::DEFAULT_CONFIDENCE, allow_negative_numbers = true, value_parser = number)]
    pub confidence: f64,
    /// Two-sided interval on every rate: `wilson` or `clopper-pearson` (exact).
    #[arg(long, default_value = "wilson", value_parser = ["wilson", "clopper-pearson"])]
    pub interval: String,
    /// Significance level of the tests between groups (after Holm's correction).
    #[arg(long, default_value_t = pipeline::settings::DEFAULT_ALPHA, allow_negative_numbers = true, value_parser = number)]
    pub alpha: f64,
    /// The group every other group is compared with, in the groupings that have it
    /// (default: the group with the lowest rate).
    #[arg(long)]
    pub reference_group: Option<String>,
    /// Seed of every random choice of the analysis (Monte Carlo tests, bootstrap).
    #[arg(long, default_value_t = pipeline::settings::DEFAULT_SEED, allow_negative_numbers = true, value_parser = whole::<u64>(0, u64::MAX))]
    pub seed: u64,
    /// Subject-bootstrap replicates per rate (0 turns the bootstrap intervals off).
    #[arg(long, default_value_t = pipeline::settings::DEFAULT_BOOTSTRAP_REPLICATES, allow_negative_numbers = true, value_parser = whole::<usize>(0, MAX_REPLICATES))]
    pub bootstrap_replicates: usize,
    /// Capture columns of the benchmark (`face_size`, `camera`, `log(face_size)`, or a
    /// measured image property such as `measured_brightness`) to adjust the differentials
    /// for: each error's odds ratio between groups, without and with them (`verity run`
    /// only; docs/metrics.md, "Adjusted differentials").
    #[arg(long = "adjust", value_delimiter = ',')]
    pub adjust: Vec<String>,
}

impl AnalysisOptions {
    /// The options as given with no flags: every default of the command line.
    #[cfg(test)]
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            options: AnalysisOptions,
        }
        <Defaults as clap::Parser>::parse_from(["verity"]).options
    }

    /// The options for the pipeline.
    pub fn settings(&self) -> AnalysisSettings {
        AnalysisSettings {
            thresholds: self.thresholds.clone(),
            groups: self.groups.clone(),
            fmr_targets: self.fmr_targets.clone(),
            fpir_targets: self.fpir_targets.clone(),
            ranks: self.ranks.clone(),
            confidence: self.confidence,
            interval: if self.interval == "clopper-pearson" {
                IntervalMethod::ClopperPearson
            } else {
                IntervalMethod::Wilson
            },
            alpha: self.alpha,
            reference_group: self.reference_group.clone(),
            seed: self.seed,
            bootstrap_replicates: self.bootstrap_replicates,
            covariates: self.adjust.clone(),
        }
    }
}

/// Largest number of subject-bootstrap replicates accepted.
pub const MAX_REPLICATES: u64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_name_their_range() {
        let replicates = whole::<usize>(0, MAX_REPLICATES);
        assert_eq!(replicates("1000"), Ok(1000));
        assert_eq!(replicates("-5"), Err("not a whole number from 0 to 1,000,000".into()));
        assert_eq!(replicates("2000000"), Err("out of range: must be a whole number from 0 to 1,000,000".into()));
        let faces = whole::<u64>(1, u64::MAX);
        assert_eq!(faces("0"), Err("out of range: must be a whole number, 1 or more".into()));
        assert_eq!(faces("1e3"), Err("not a whole number, 1 or more".into()));
        assert_eq!(
            whole::<u8>(0, 1000)("300"),
            Err("too large for this machine: must be a whole number from 0 to 1,000".into())
        );
    }

    #[test]
    fn the_command_line_defaults_are_the_pipelines() {
        assert_eq!(AnalysisOptions::defaults().settings(), AnalysisSettings::default());
    }

    #[test]
    fn numbers_are_finite() {
        assert_eq!(number("-0.5"), Ok(-0.5));
        assert!(number("nan").is_err() && number("inf").is_err() && number("x").is_err());
    }
}
