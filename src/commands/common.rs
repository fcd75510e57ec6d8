//! What `run`, `demo` and `analyse` share: analysis options, provenance, and the step
//! from vendor runs to the output folder.

use crate::error::CliError;
use harness::model::analysis::AnalysisConfig;
use harness::model::benchmark::{Benchmark, Protocol};
use harness::model::population::{Grouping, Population};
use harness::model::results::{BenchmarkInfo, Provenance, RESULTS_SCHEMA_VERSION, Results};
use harness::run::runner::{ProtocolTrials, VendorRun};
use harness::vendor::VendorDescription;
use harness::model::thresholds::parse_thresholds;
use reports::raw::FailureRecord;
use reports::{RawProtocolOutputs, RawVendorOutputs};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Options of the analysis, shared by every command that computes rates. Each default
/// is written into `results.json` (`config`), so none is silent.
#[derive(clap::Args, Debug, Clone)]
pub struct AnalysisOptions {
    /// Threshold grid START:STOP:STEP (both ends included) or a comma-separated list.
    #[arg(long, default_value = "0.56:0.64:0.02")]
    pub thresholds: String,
    /// A grouping: an attribute (`sex`) or an intersection (`sex,ethnicity`); repeat the
    /// option for several. Default: each attribute alone and the intersection of all.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// FMR targets for thresholds calibrated on the whole population (1:1); FNMR is
    /// reported at each (FNMR at FMR).
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4,1e-5,1e-6", allow_negative_numbers = true, value_parser = crate::options::number)]
    pub fmr_targets: Vec<f64>,
    /// FPIR targets for thresholds calibrated on the whole population (1:N, watchlist).
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4", allow_negative_numbers = true, value_parser = crate::options::number)]
    pub fpir_targets: Vec<f64>,
    /// Ranks R at which identification FNIR/TPIR are reported (the list length L always is).
    #[arg(long, value_delimiter = ',', default_value = "1", allow_negative_numbers = true, value_parser = crate::options::whole::<u32>(1, u32::MAX as u64))]
    pub ranks: Vec<u32>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub confidence: f64,
    /// Two-sided interval on every rate: `wilson` or `clopper-pearson` (exact).
    #[arg(long, default_value = "wilson", value_parser = ["wilson", "clopper-pearson"])]
    pub interval: String,
    /// Significance level of the tests between groups (after Holm's correction).
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true, value_parser = crate::options::number)]
    pub alpha: f64,
    /// The group every other group is compared with, in the groupings that have it
    /// (default: the group with the lowest rate).
    #[arg(long)]
    pub reference_group: Option<String>,
    /// Seed of every random choice of the analysis (Monte Carlo tests, bootstrap).
    #[arg(long, default_value_t = 20_231_101, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(0, u64::MAX))]
    pub seed: u64,
    /// Subject-bootstrap replicates per rate (0 turns the bootstrap intervals off).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(0, crate::options::MAX_REPLICATES))]
    pub bootstrap_replicates: usize,
}

impl AnalysisOptions {
    /// The options as given with no flags: every default of the command line.
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            options: AnalysisOptions,
        }
        <Defaults as clap::Parser>::parse_from(["verity"]).options
    }

    pub fn config(&self, population: &Population) -> Result<AnalysisConfig, CliError> {
        let bad = |m: String| CliError::BadInput(m);
        let thresholds = parse_thresholds(&self.thresholds).map_err(|e| bad(format!("--thresholds: {e}")))?;
        let groupings = if self.groups.is_empty() {
            population.default_groupings().into_iter().filter(|g| !g.attributes.is_empty()).collect()
        } else {
            let mut out = Vec::new();
            for text in &self.groups {
                let g = Grouping::parse(text).map_err(|e| bad(format!("--group `{text}`: {e}")))?;
                population.group_codes(&g).map_err(|e| bad(format!("--group `{text}`: {e}")))?;
                out.push(g);
            }
            out
        };
        for (name, targets) in [("--fmr-targets", &self.fmr_targets), ("--fpir-targets", &self.fpir_targets)] {
            if let Some(t) = targets.iter().find(|t| !(**t > 0.0 && **t < 1.0)) {
                return Err(bad(format!("{name}: value `{t}` is not a rate strictly between 0 and 1")));
            }
        }
        if let Some(r) = self.ranks.iter().find(|r| **r == 0) {
            return Err(bad(format!("--ranks: value `{r}` is not a rank (ranks start at 1)")));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(bad(format!("--confidence: value `{}` is not strictly between 0 and 1", self.confidence)));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(bad(format!("--alpha: value `{}` is not strictly between 0 and 1", self.alpha)));
        }
        if let Some(g) = &self.reference_group {
            let known = groupings
                .iter()
                .filter_map(|grouping| population.group_codes(grouping).ok())
                .any(|codes| codes.labels.iter().any(|l| l == g));
            if !known {
                return Err(bad(format!("--reference-group: value `{g}` is not a group of any grouping analysed")));
            }
        }
        let mut config = AnalysisConfig::with_thresholds(thresholds, groupings);
        config.fmr_targets = self.fmr_targets.clone();
        config.fpir_targets = self.fpir_targets.clone();
        config.ranks = self.ranks.clone();
        config.confidence = self.confidence;
        config.interval_method = if self.interval == "clopper-pearson" {
            harness::model::rate::IntervalMethod::ClopperPearson
        } else {
            harness::model::rate::IntervalMethod::Wilson
        };
        config.alpha = self.alpha;
        config.reference_group = self.reference_group.clone();
        config.seed = self.seed;
        config.bootstrap_replicates = self.bootstrap_replicates;
        Ok(config)
    }
}

/// Refuse a threshold grid that lies wholly outside a vendor's declared score range (it
/// would measure nothing), and say which thresholds of a grid partly outside it are.
pub fn check_grid_in_range(grid_text: &str, grid: &[f64], vendor: &VendorDescription) -> Result<(), CliError> {
    let (lo, hi) = (vendor.score_min, vendor.score_max);
    let outside: Vec<String> = grid.iter().filter(|t| **t < lo || **t > hi).map(|t| t.to_string()).collect();
    if grid.is_empty() || outside.is_empty() {
        return Ok(());
    }
    if outside.len() == grid.len() {
        return Err(CliError::BadInput(format!(
            "--thresholds {grid_text}: every threshold lies outside vendor `{}`'s score range {lo} to {hi}; \
             give thresholds inside that range",
            vendor.name
        )));
    }
    eprintln!(
        "note: --thresholds {grid_text}: {} lie outside vendor `{}`'s score range {lo} to {hi}",
        outside.join(", "),
        vendor.name
    );
    Ok(())
}

/// A word of a command line, quoted so that it can be pasted back into a shell.
fn shell_word(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// The command line as typed, to be run from inside the output folder `out`: every path
/// argument (an option or positional of type path, found through clap's own description
/// of the command) is rewritten relative to `out`, and `--out` becomes `.`. So the same
/// run in another folder records the same command, and results carry no absolute path.
pub fn command_line(out: &Path) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words = relative_arguments(&args, out);
    // The program is named `verity` whatever path started it.
    std::iter::once("verity".to_string()).chain(words.iter().map(|w| shell_word(w))).collect::<Vec<_>>().join(" ")
}

/// `args` (the subcommand first) with path values made relative to `out`.
pub(crate) fn relative_arguments(args: &[String], out: &Path) -> Vec<String> {
    use clap::CommandFactory;
    let root = crate::Cli::command();
    let Some(sub) = args.first().and_then(|name| root.find_subcommand(name)) else {
        return args.to_vec();
    };
    let is_path = |a: &clap::Arg| a.get_value_parser().type_id() == std::any::TypeId::of::<std::path::PathBuf>();
    let relative = |id: &str, value: &str| -> String {
        if id == "out" {
            ".".to_string()
        } else {
            storage::relative::relative_to(Path::new(value), out)
        }
    };
    let mut positionals = sub.get_positionals();
    let mut out_words = vec![args[0].clone()];
    let mut i = 1;
    while i < args.len() {
        let word = &args[i];
        i += 1;
        if let Some(long) = word.strip_prefix("--").filter(|w| !w.is_empty()) {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let arg = sub.get_arguments().find(|a| a.get_long() == Some(name));
            let takes_value = arg.is_some_and(|a| a.get_action().takes_values());
            let path = arg.filter(|a| is_path(a)).map(|a| a.get_id().as_str().to_string());
            match (inline, takes_value) {
                (Some(v), _) => {
                    let v = path.as_deref().map_or(v.to_string(), |id| relative(id, v));
                    out_words.push(format!("--{name}={v}"));
                }
                (None, true) if i < args.len() => {
                    out_words.push(word.clone());
                    let v = &args[i];
                    i += 1;
                    out_words.push(path.as_deref().map_or(v.clone(), |id| relative(id, v)));
                }
                _ => out_words.push(word.clone()),
            }
        } else if word == "--" {
            out_words.extend(args[i..].iter().cloned());
            break;
        } else {
            match positionals.next() {
                Some(p) if is_path(p) => out_words.push(relative(p.get_id().as_str(), word)),
                _ => out_words.push(word.clone()),
            }
        }
    }
    out_words
}

pub fn sha256_file(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::BadInput(format!("{}: {e}", path.display())))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Provenance entries of one vendor: its config file (`vendor:PATH`, relative to the
/// output folder `out`) and every model or library file it declares (`vendor-file:PATH`,
/// relative to the config's folder, or the file name alone when it lies elsewhere, e.g.
/// an interpreter on PATH), each with its SHA-256.
pub fn vendor_inputs(
    config: &Path,
    vendor: &dyn harness::vendor::Vendor,
    out: &Path,
) -> Result<Vec<(String, String)>, CliError> {
    let mut entries = vec![(format!("vendor:{}", input_name(config, out)), sha256_file(config)?)];
    let folder = storage::relative::absolute(config.parent().unwrap_or(Path::new(".")));
    for file in vendor.provenance_files() {
        let absolute = storage::relative::absolute(&file);
        let name = match absolute.strip_prefix(&folder) {
            Ok(inside) => inside.to_string_lossy().replace('\\', "/"),
            Err(_) => file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned()),
        };
        entries.push((format!("vendor-file:{name}"), sha256_file(&file)?));
    }
    Ok(entries)
}

/// How an input file is named in results: relative to the output folder.
pub fn input_name(path: &Path, out: &Path) -> String {
    storage::relative::relative_to(path, out)
}

/// Provenance of a run written to `out`: the command relative to `out` ([`command_line`]).
pub fn provenance(inputs: BTreeMap<String, String>, seeds: BTreeMap<String, u64>, out: &Path) -> Provenance {
    Provenance { verity_version: env!("CARGO_PKG_VERSION").to_string(), command: command_line(out), seeds, inputs }
}

/// Analyse every vendor run, assemble the results, and write the output folder.
pub fn write_run(
    bench: &Benchmark,
    runs: &[VendorRun],
    config: AnalysisConfig,
    provenance: Provenance,
    out: &Path,
    extras: &[(&str, &[u8])],
) -> Result<Results, CliError> {
    let mut vendors = Vec::new();
    for run in runs {
        let mut v = harness::analysis::vendor_results::evaluate(bench, run, &config).map_err(|e| CliError::BadInput(e.to_string()))?;
        v.timing.template_bytes_per_group =
            harness::run::timing::template_bytes_per_group(run, &bench.population, &config.groupings)
                .map_err(|e| CliError::BadInput(e.to_string()))?;
        vendors.push(v);
    }
    let results = Results {
        schema_version: RESULTS_SCHEMA_VERSION.to_string(),
        benchmark: BenchmarkInfo::of(bench),
        config,
        trial_lists: bench.protocols.iter().map(|p| harness::run::plan::trial_list(bench, p)).collect(),
        vendors,
        provenance,
    };

    let ids = &bench.samples.ids;
    let subject_ids: Vec<String> = bench.population.subjects.iter().map(|s| s.id.clone()).collect();
    // Sample ids per protocol, shared by every vendor.
    let protocol_ids: Vec<(Vec<String>, Vec<String>)> = bench
        .protocols
        .iter()
        .map(|p| match p {
            Protocol::Verification(v) => (
                v.probe.iter().map(|&s| ids[s as usize].clone()).collect(),
                v.reference.iter().map(|&s| ids[s as usize].clone()).collect(),
            ),
            Protocol::Identification(s) | Protocol::Watchlist(s) => {
                (s.mated.iter().chain(&s.non_mated).map(|&x| ids[x as usize].clone()).collect(), Vec::new())
            }
        })
        .collect();
    let raw_protocols: Vec<Vec<RawProtocolOutputs>> = runs
        .iter()
        .map(|run| {
            bench
                .protocols
                .iter()
                .zip(&run.protocols)
                .zip(&protocol_ids)
                .map(|((p, trials), (first, second))| match trials {
                    ProtocolTrials::Verification(t) => RawProtocolOutputs::Verification {
                        protocol: p.name(),
                        trials: t,
                        probe_ids: first,
                        reference_ids: second,
                    },
                    ProtocolTrials::Search(t) => {
                        RawProtocolOutputs::Search { protocol: p.name(), searches: t, search_ids: first }
                    }
                })
                .collect()
        })
        .collect();
    let failures: Vec<Vec<FailureRecord>> = runs
        .iter()
        .map(|run| {
            run.failures
                .iter()
                .map(|f| FailureRecord {
                    sample: ids[f.sample as usize].clone(),
                    role: f.role,
                    code: f.failure.code,
                    message: f.failure.message.clone(),
                })
                .collect()
        })
        .collect();
    let raw: Vec<RawVendorOutputs> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| RawVendorOutputs {
            vendor: &run.description.name,
            subject_ids: &subject_ids,
            protocols: &raw_protocols[i],
            failures: &failures[i],
        })
        .collect();
    reports::write_all(out, &results, &raw, extras)
        .map_err(|e| CliError::Failure(format!("writing {}: {e}", out.display())))?;
    Ok(results)
}

/// Refuse two vendors with one name: their outputs would collide.
pub fn check_vendor_names(runs: &[VendorRun]) -> Result<(), CliError> {
    let mut seen = std::collections::BTreeSet::new();
    for r in runs {
        if !seen.insert(r.description.name.as_str()) {
            return Err(CliError::BadInput(format!(
                "two vendors are named `{}`; give each vendor config a distinct name",
                r.description.name
            )));
        }
    }
    Ok(())
}

/// Wall-clock times per vendor, to stderr (they vary run to run, so they are not in
/// `results.json`).
pub fn print_timings(runs: &[VendorRun]) {
    for r in runs {
        let t = &r.timing;
        let per = if t.templates > 0 { t.template_seconds_total / t.templates as f64 * 1e3 } else { 0.0 };
        eprintln!(
            "{}: {} templates ({:.3} ms each, summed over threads), comparisons {:.2} s, searches {:.2} s",
            r.description.name, t.templates, per, t.comparison_seconds_total, t.search_seconds_total
        );
    }
}

/// Template, comparison and search times per vendor, to stderr: median and 95th
/// percentile per template, overall and per group.
pub fn print_vendor_timing(timings: &[harness::run::timing::VendorTiming]) {
    let ms = |x: Option<f64>| x.map_or("-".to_string(), |s| format!("{:.3} ms", s * 1e3));
    for t in timings {
        let tt = &t.templates;
        eprintln!(
            "{}: template creation median {}, p95 {} ({} templates timed); {:.1} bytes per template; comparisons {:.2} s, searches {:.2} s",
            t.vendor,
            ms(tt.seconds.median),
            ms(tt.seconds.p95),
            tt.seconds.count,
            tt.bytes_mean,
            t.comparisons.seconds_total,
            t.searches.seconds_total
        );
        for g in tt.seconds_per_group.iter().filter(|g| g.grouping != "all") {
            eprintln!(
                "  {} {}: template median {}, p95 {}",
                g.grouping,
                g.group,
                ms(g.seconds.median),
                ms(g.seconds.p95)
            );
        }
    }
}

/// The file beside `results.json` that holds wall-clock times (docs/results.md).
pub const TIMING: &str = "timing.json";

/// The text of `OUT/timing.json`. Times vary from run to run, so they live there and not
/// in `results.json`.
pub fn timing_json(timings: &[harness::run::timing::VendorTiming]) -> Result<Vec<u8>, CliError> {
    #[derive(serde::Serialize)]
    struct TimingFile<'a> {
        timing_version: &'static str,
        note: &'static str,
        vendors: &'a [harness::run::timing::VendorTiming],
    }
    let file = TimingFile {
        timing_version: "1.0",
        note: "wall-clock seconds; they vary between runs and machines, so they are kept out of results.json",
        vendors: timings,
    };
    let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| CliError::Failure(format!("timing.json: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Run `work` as a one-step stage, so that it has a progress line while it runs.
pub fn stage<T>(name: &str, work: impl FnOnce() -> T) -> T {
    use harness::run::progress::Progress;
    let bars = crate::progress::Bars;
    let s = bars.stage(name, 1);
    let out = work();
    s.advance(1);
    s.finish();
    out
}

/// Read a run's `results.json` (RUN may be the run folder or the file itself) through
/// the one typed, schema-checked reader (`reports::json::read_results`); a missing or
/// malformed file is bad input naming the path, line and column.
pub fn read_results(run: &Path) -> Result<Results, CliError> {
    reports::json::read_results(run).map_err(|e| CliError::BadInput(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::vendor::{Role, Template, TemplateFailure, Vendor, VendorDescription};
    use std::path::PathBuf;

    struct WithModel(PathBuf);

    impl Vendor for WithModel {
        fn describe(&self) -> VendorDescription {
            unimplemented!("not needed for provenance")
        }
        fn create_template(&self, _: &[u8], _: Role) -> Result<Template, TemplateFailure> {
            unimplemented!("not needed for provenance")
        }
        fn compare(&self, _: &Template, _: &Template) -> Result<f64, TemplateFailure> {
            unimplemented!("not needed for provenance")
        }
        fn fingerprint(&self) -> String {
            "with-model".into()
        }
        fn provenance_files(&self) -> Vec<PathBuf> {
            vec![self.0.clone()]
        }
    }

    #[test]
    fn vendor_inputs_hash_the_config_and_every_model_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("v.toml");
        let model = dir.path().join("model.onnx");
        std::fs::write(&config, "kind = \"x\"\n").unwrap();
        std::fs::write(&model, b"abc").unwrap();
        let inputs = vendor_inputs(&config, &WithModel(model.clone()), &dir.path().join("out")).unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[0].0, "vendor:../v.toml");
        assert_eq!(inputs[1].0, "vendor-file:model.onnx");
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(inputs[1].1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // A model file that cannot be read is bad input naming it.
        std::fs::remove_file(&model).unwrap();
        let e = vendor_inputs(&config, &WithModel(model.clone()), dir.path()).unwrap_err();
        assert!(e.to_string().contains("model.onnx"), "{e}");
    }
}
