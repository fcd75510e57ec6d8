//! What `run`, `demo` and `analyse` share: analysis options, provenance, and the step
//! from vendor runs to the output folder.

use crate::error::CliError;
use harness::analysis::AnalysisConfig;
use harness::benchmark::{Benchmark, Protocol};
use harness::population::{Grouping, Population};
use harness::results::{BenchmarkInfo, Provenance, RESULTS_SCHEMA_VERSION, Results};
use harness::runner::{ProtocolTrials, VendorRun};
use harness::thresholds::parse_thresholds;
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
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4,1e-5,1e-6")]
    pub fmr_targets: Vec<f64>,
    /// FPIR targets for thresholds calibrated on the whole population (1:N, watchlist).
    #[arg(long, value_delimiter = ',', default_value = "1e-2,1e-3,1e-4")]
    pub fpir_targets: Vec<f64>,
    /// Ranks R at which identification FNIR/TPIR are reported (the list length L always is).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub ranks: Vec<u32>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Two-sided interval on every rate: `wilson` or `clopper-pearson` (exact).
    #[arg(long, default_value = "wilson", value_parser = ["wilson", "clopper-pearson"])]
    pub interval: String,
    /// Significance level of the tests between groups (after Holm's correction).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// The group every other group is compared with, in the groupings that have it
    /// (default: the group with the lowest rate).
    #[arg(long)]
    pub reference_group: Option<String>,
    /// Seed of every random choice of the analysis (Monte Carlo tests, bootstrap).
    #[arg(long, default_value_t = 20_231_101)]
    pub seed: u64,
    /// Subject-bootstrap replicates per rate (0 turns the bootstrap intervals off).
    #[arg(long, default_value_t = 1000)]
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
            harness::rate::IntervalMethod::ClopperPearson
        } else {
            harness::rate::IntervalMethod::Wilson
        };
        config.alpha = self.alpha;
        config.reference_group = self.reference_group.clone();
        config.seed = self.seed;
        config.bootstrap_replicates = self.bootstrap_replicates;
        Ok(config)
    }
}

/// The command line as typed, quoted so that it can be pasted back into a shell.
pub fn command_line() -> String {
    // The program is named `verity` whatever path started it, so the line is the same
    // on every machine.
    std::iter::once("verity".to_string())
        .chain(std::env::args().skip(1))
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c)) {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn sha256_file(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::BadInput(format!("{}: {e}", path.display())))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Provenance entries of one vendor: its config file (`vendor:PATH`) and every model or
/// library file it declares (`vendor-file:PATH`), each with its SHA-256.
pub fn vendor_inputs(config: &Path, vendor: &dyn harness::vendor::Vendor) -> Result<Vec<(String, String)>, CliError> {
    let mut out = vec![(format!("vendor:{}", config.display()), sha256_file(config)?)];
    for file in vendor.provenance_files() {
        out.push((format!("vendor-file:{}", file.display()), sha256_file(&file)?));
    }
    Ok(out)
}

pub fn provenance(inputs: BTreeMap<String, String>, seeds: BTreeMap<String, u64>) -> Provenance {
    Provenance { verity_version: env!("CARGO_PKG_VERSION").to_string(), command: command_line(), seeds, inputs }
}

/// Analyse every vendor run, assemble the results, and write the output folder.
pub fn write_run(
    bench: &Benchmark,
    runs: &[VendorRun],
    config: AnalysisConfig,
    provenance: Provenance,
    out: &Path,
) -> Result<Results, CliError> {
    let mut vendors = Vec::new();
    for run in runs {
        let mut v = harness::evaluate::evaluate(bench, run, &config).map_err(|e| CliError::BadInput(e.to_string()))?;
        v.timing.template_bytes_per_group =
            harness::timing::template_bytes_per_group(run, &bench.population, &config.groupings)
                .map_err(|e| CliError::BadInput(e.to_string()))?;
        vendors.push(v);
    }
    let results = Results {
        schema_version: RESULTS_SCHEMA_VERSION.to_string(),
        benchmark: BenchmarkInfo::of(bench),
        config,
        trial_lists: bench.protocols.iter().map(|p| harness::plan::trial_list(bench, p)).collect(),
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
    reports::write_all(out, &results, &raw)
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
pub fn print_vendor_timing(timings: &[harness::timing::VendorTiming]) {
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

/// Write `OUT/timing.json` atomically. Times vary from run to run, so they live here and
/// not in `results.json`.
pub fn write_timing(out: &Path, timings: &[harness::timing::VendorTiming]) -> Result<(), CliError> {
    #[derive(serde::Serialize)]
    struct TimingFile<'a> {
        timing_version: &'static str,
        note: &'static str,
        vendors: &'a [harness::timing::VendorTiming],
    }
    let file = TimingFile {
        timing_version: "1.0",
        note: "wall-clock seconds; they vary between runs and machines, so they are kept out of results.json",
        vendors: timings,
    };
    let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| CliError::Failure(format!("timing.json: {e}")))?;
    bytes.push(b'\n');
    let path = out.join(TIMING);
    reports::atomic::write_bytes(&path, &bytes)
        .map_err(|e| CliError::Failure(format!("writing {}: {e}", path.display())))
}

/// Run `work` as a one-step stage, so that it has a progress line while it runs.
pub fn stage<T>(name: &str, work: impl FnOnce() -> T) -> T {
    use harness::progress::Progress;
    let bars = crate::progress::Bars;
    let s = bars.stage(name, 1);
    let out = work();
    s.advance(1);
    s.finish();
    out
}

/// Read a run's `results.json`: RUN may be the run folder or the file itself. A missing
/// or malformed file is bad input naming the path (and the line and column of a JSON error).
pub fn read_results(run: &Path) -> Result<Results, CliError> {
    let path = if run.is_dir() { run.join(reports::layout::RESULTS) } else { run.to_path_buf() };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::BadInput(format!(
            "{}: {e} (a run folder written by `verity run`, `analyse` or `demo` holds results.json)",
            path.display()
        ))
    })?;
    let results: Results = serde_json::from_str(&text)
        .map_err(|e| CliError::BadInput(format!("{}:{}:{}: {e}", path.display(), e.line(), e.column())))?;
    if results.schema_version.split('.').next() != RESULTS_SCHEMA_VERSION.split('.').next() {
        return Err(CliError::BadInput(format!(
            "{}: results schema {} cannot be read by this verity (schema {RESULTS_SCHEMA_VERSION})",
            path.display(),
            results.schema_version
        )));
    }
    Ok(results)
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
        let inputs = vendor_inputs(&config, &WithModel(model.clone())).unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[0].0, format!("vendor:{}", config.display()));
        assert_eq!(inputs[1].0, format!("vendor-file:{}", model.display()));
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(inputs[1].1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // A model file that cannot be read is bad input naming it.
        std::fs::remove_file(&model).unwrap();
        let e = vendor_inputs(&config, &WithModel(model.clone())).unwrap_err();
        assert!(e.to_string().contains("model.onnx"), "{e}");
    }
}
