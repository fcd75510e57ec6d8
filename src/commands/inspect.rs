//! `verity inspect BENCH`: what a benchmark holds per group, before any vendor runs on
//! it: counts, label provenance, groups too small for the differential the study must
//! detect, and image properties per group. The computation is
//! `datasets::inspect::inspect`; this module formats it (docs/inspect.md).

use crate::error::{CliError, CliResult};
use datasets::inspect::{ExpectedRates, InspectOptions};
use harness::model::population::Grouping;
use std::path::PathBuf;

const DEFAULTS: ExpectedRates = ExpectedRates::DEFAULT;

#[derive(clap::Args)]
pub struct Args {
    /// The benchmark folder (holding benchmark.toml).
    pub bench: PathBuf,
    /// A grouping to count by: an attribute (`sex`) or an intersection (`sex,ethnicity`);
    /// repeat for several. Default: each attribute alone and the intersection of all.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Expected FMR of the study (1:1), at which detectability is judged.
    #[arg(long, default_value_t = DEFAULTS.fmr, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub expected_fmr: f64,
    /// Expected FNMR of the study (1:1).
    #[arg(long, default_value_t = DEFAULTS.fnmr, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub expected_fnmr: f64,
    /// Expected FPIR of the study (identification, watchlist).
    #[arg(long, default_value_t = DEFAULTS.fpir, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub expected_fpir: f64,
    /// Expected FNIR of the study (identification, watchlist).
    #[arg(long, default_value_t = DEFAULTS.fnir, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub expected_fnir: f64,
    /// The ratio of error rates between groups the study must be able to detect.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub ratio: f64,
    /// Significance level of the planned test.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub alpha: f64,
    /// Target power of the planned test.
    #[arg(long, default_value_t = 0.8, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub power: f64,
    /// Flag a group whose median brightness (mean luma, 0-255) is further than this from
    /// the other groups' median.
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub brightness_margin: f64,
    /// Flag a group whose median sharpness is more than this factor above or below the
    /// other groups' median.
    #[arg(long, default_value_t = 1.5, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub sharpness_ratio: f64,
    /// Do not decode images (no image properties).
    #[arg(long)]
    pub no_images: bool,
    /// Print the inspection as JSON (fields: docs/inspect.md).
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: Args) -> CliResult {
    let mut groupings = Vec::new();
    for text in &args.groups {
        groupings.push(Grouping::parse(text).map_err(|e| CliError::BadInput(format!("--group `{text}`: {e}")))?);
    }
    let options = InspectOptions {
        groupings,
        expected: ExpectedRates {
            fmr: args.expected_fmr,
            fnmr: args.expected_fnmr,
            fpir: args.expected_fpir,
            fnir: args.expected_fnir,
        },
        ratio: args.ratio,
        alpha: args.alpha,
        power: args.power,
        brightness_margin: args.brightness_margin,
        sharpness_ratio: args.sharpness_ratio,
        images: !args.no_images,
    };
    let bench = datasets::load(&args.bench)?;
    let inspection = datasets::inspect::inspect(&bench, &args.bench, &options).map_err(|e| {
        let option = match &e {
            datasets::inspect::InspectError::Grouping(..) => "--group",
            datasets::inspect::InspectError::Invalid(_) => "option",
        };
        CliError::BadInput(format!("{option}: {e}"))
    })?;
    if args.json {
        let text = serde_json::to_string_pretty(&inspection).map_err(|e| CliError::Failure(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", crate::text::inspect::render(&inspection, &options));
    }
    Ok(())
}
