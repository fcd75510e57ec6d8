//! The analysis options as a user gives them, checked against the population and turned
//! into the engine's [`AnalysisConfig`]. The defaults are constants here, which the
//! command line's options and the demo both use, so the two cannot drift apart; every
//! default used is written into `results.json` (`config`), so none is silent.

use crate::Error;
use harness::analysis::capture_groupings::capture_attributes;
use harness::model::analysis::{AnalysisConfig, CaptureAttribute};
use harness::model::population::{Grouping, Population};
use harness::model::rate::IntervalMethod;
use harness::model::thresholds::parse_thresholds;

/// The NPL sweep: 0.56 to 0.64 in steps of 0.02.
pub const DEFAULT_THRESHOLDS: &str = "0.56:0.64:0.02";
pub const DEFAULT_FMR_TARGETS: [f64; 5] = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6];
pub const DEFAULT_FPIR_TARGETS: [f64; 3] = [1e-2, 1e-3, 1e-4];
pub const DEFAULT_RANKS: [u32; 1] = [1];
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
pub const DEFAULT_ALPHA: f64 = 0.05;
pub const DEFAULT_SEED: u64 = 20_231_101;
pub const DEFAULT_BOOTSTRAP_REPLICATES: usize = 1000;

/// The analysis options, as given (option names in messages are the command line's).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisSettings {
    /// A grid `START:STOP:STEP` (both ends included) or a comma-separated list.
    pub thresholds: String,
    /// Groupings as written (`sex`, `sex,ethnicity`); empty: each attribute alone and
    /// the intersection of all.
    pub groups: Vec<String>,
    pub fmr_targets: Vec<f64>,
    pub fpir_targets: Vec<f64>,
    pub ranks: Vec<u32>,
    pub confidence: f64,
    pub interval: IntervalMethod,
    pub alpha: f64,
    pub reference_group: Option<String>,
    pub seed: u64,
    pub bootstrap_replicates: usize,
    /// Capture covariates to adjust the differentials for (`--adjust`).
    pub covariates: Vec<String>,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            thresholds: DEFAULT_THRESHOLDS.into(),
            groups: Vec::new(),
            fmr_targets: DEFAULT_FMR_TARGETS.to_vec(),
            fpir_targets: DEFAULT_FPIR_TARGETS.to_vec(),
            ranks: DEFAULT_RANKS.to_vec(),
            confidence: DEFAULT_CONFIDENCE,
            interval: IntervalMethod::Wilson,
            alpha: DEFAULT_ALPHA,
            reference_group: None,
            seed: DEFAULT_SEED,
            bootstrap_replicates: DEFAULT_BOOTSTRAP_REPLICATES,
            covariates: Vec::new(),
        }
    }
}

impl AnalysisSettings {
    /// The engine's configuration for a score-level analysis of `population` (no
    /// samples: groupings are of subjects' attributes only); a value the analysis cannot
    /// take is bad input naming the option and the value.
    pub fn config(&self, population: &Population) -> Result<AnalysisConfig, Error> {
        self.build(population, None)
    }

    /// The engine's configuration for a run on `bench`: groupings may also name its
    /// capture columns (docs/metrics.md, "Groupings by capture attribute") and the image
    /// properties verity measures (`measured_brightness`, ...: added to `bench`'s capture
    /// columns here, measured from the images), and the covariates must be among them.
    pub fn config_for(&self, bench: &mut harness::model::benchmark::Benchmark) -> Result<AnalysisConfig, Error> {
        self.add_measured_columns(bench)?;
        let config = self.build(&bench.population, Some(&bench.samples))?;
        Self::check_covariates(&config, &bench.samples)?;
        Ok(config)
    }

    /// Measure the image properties that a grouping or a covariate names and the
    /// benchmark has neither as a subject's attribute nor as a capture column; none of
    /// its samples being an image is bad input naming the option.
    fn add_measured_columns(&self, bench: &mut harness::model::benchmark::Benchmark) -> Result<(), Error> {
        let mut wanted: Vec<(&str, &str)> = Vec::new();
        // A grouping that does not parse is reported by `build`.
        let groupings: Vec<Grouping> = self.groups.iter().filter_map(|g| Grouping::parse(g).ok()).collect();
        let named = groupings.iter().flat_map(|g| g.attributes.iter().map(|a| ("--group", a.as_str()))).chain(
            self.covariates.iter().map(|c| {
                let c = c.trim();
                ("--adjust", c.strip_prefix("log(").and_then(|r| r.strip_suffix(')')).unwrap_or(c))
            }),
        );
        for (option, name) in named {
            let known = bench.population.attribute_index(name).is_some() || bench.samples.capture(name).is_some();
            if !known && datasets::inspect::MEASURED_COLUMNS.contains(&name) && !wanted.iter().any(|w| w.1 == name) {
                wanted.push((option, name));
            }
        }
        let names: Vec<&str> = wanted.iter().map(|w| w.1).collect();
        let columns = datasets::inspect::measured_columns(bench, &names);
        for ((option, name), column) in wanted.iter().zip(&columns) {
            if column.values.iter().all(|v| v.is_empty()) {
                let why = if *name == "measured_face_size" {
                    "no sample of the benchmark has its five landmarks (lmk_x1, lmk_y1, ..., lmk_x5, lmk_y5)"
                } else {
                    "no sample of the benchmark is an image that can be measured (synthetic faces and embeddings have no pixels)"
                };
                return Err(Error::BadInput(format!("{option} `{name}`: {why}")));
            }
        }
        bench.samples.capture.extend(columns);
        Ok(())
    }

    fn build(
        &self,
        population: &Population,
        samples: Option<&harness::model::benchmark::Samples>,
    ) -> Result<AnalysisConfig, Error> {
        let bad = |m: String| Error::BadInput(m);
        let thresholds = parse_thresholds(&self.thresholds).map_err(|e| bad(format!("--thresholds: {e}")))?;
        // The capture attributes the groupings name, each described once.
        let mut capture: Vec<CaptureAttribute> = Vec::new();
        let groupings = if self.groups.is_empty() {
            population.default_groupings().into_iter().filter(|g| !g.attributes.is_empty()).collect()
        } else {
            let mut out = Vec::new();
            for text in &self.groups {
                let g = Grouping::parse(text).map_err(|e| bad(format!("--group `{text}`: {e}")))?;
                if let Some(samples) = samples {
                    let found = capture_attributes(population, samples, std::slice::from_ref(&g))
                        .map_err(|e| bad(format!("--group `{text}`: {e}")))?;
                    for c in found {
                        if !capture.iter().any(|k| k.name == c.name) {
                            capture.push(c);
                        }
                    }
                } else {
                    population.group_codes(&g).map_err(|e| bad(format!("--group `{text}`: {e}")))?;
                }
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
            let known = groupings.iter().any(|grouping| is_group_of(g, grouping, population, &capture));
            if !known {
                return Err(bad(format!("--reference-group: value `{g}` is not a group of any grouping analysed")));
            }
        }
        let mut config = AnalysisConfig::with_thresholds(thresholds, groupings);
        config.fmr_targets = self.fmr_targets.clone();
        config.fpir_targets = self.fpir_targets.clone();
        config.ranks = self.ranks.clone();
        config.confidence = self.confidence;
        config.interval_method = self.interval;
        config.alpha = self.alpha;
        config.reference_group = self.reference_group.clone();
        config.seed = self.seed;
        config.bootstrap_replicates = self.bootstrap_replicates;
        let mut covariates: Vec<String> = Vec::new();
        for name in &self.covariates {
            let name = name.trim();
            if name.is_empty() {
                return Err(bad("--adjust: an empty covariate name".into()));
            }
            if covariates.iter().any(|c| c == name) {
                return Err(bad(format!("--adjust: covariate `{name}` is named twice")));
            }
            covariates.push(name.to_string());
        }
        config.covariates = covariates;
        config.capture_attributes = capture;
        Ok(config)
    }

    /// Check the covariates against the benchmark's capture columns: an unknown one is
    /// bad input naming the columns there are.
    pub fn check_covariates(
        config: &AnalysisConfig,
        samples: &harness::model::benchmark::Samples,
    ) -> Result<(), Error> {
        for name in &config.covariates {
            harness::analysis::covariate::covariate(samples, name)
                .map_err(|e| Error::BadInput(format!("--adjust: {e}")))?;
        }
        Ok(())
    }
}

/// Whether `label` can be a group of `grouping`: each of its `×`-separated parts is a
/// value of the attribute in its place (a subject's attribute, or a capture attribute's
/// groups).
fn is_group_of(label: &str, grouping: &Grouping, population: &Population, capture: &[CaptureAttribute]) -> bool {
    let parts: Vec<&str> = label.split('×').collect();
    parts.len() == grouping.attributes.len()
        && grouping.attributes.iter().zip(&parts).all(|(a, part)| match population.attribute_index(a) {
            Some(i) => population.subjects.iter().any(|s| s.attributes[i] == *part),
            None => capture.iter().any(|c| &c.name == a && c.groups.iter().any(|g| g == part)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::model::population::Subject;

    fn population() -> Population {
        Population {
            attributes: vec!["sex".into()],
            subjects: vec![
                Subject { id: "a".into(), attributes: vec!["F".into()] },
                Subject { id: "b".into(), attributes: vec!["M".into()] },
            ],
            provenance: Default::default(),
        }
    }

    /// Twelve subjects, one sample each: inline PNGs of brightness 10, 20, ..., 120, or
    /// synthetic faces.
    fn image_bench(images: bool) -> harness::model::benchmark::Benchmark {
        use harness::model::benchmark::{Benchmark, MediaSource, Samples};
        let media = (1..=12u8)
            .map(|i| {
                if !images {
                    return MediaSource::Inline(
                        format!("face/v1 identity={i:016x} appearance=F capture=0").into_bytes(),
                    );
                }
                let img = image::GrayImage::from_pixel(4, 4, image::Luma([i * 10]));
                let mut bytes = Vec::new();
                img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
                MediaSource::Inline(bytes)
            })
            .collect();
        Benchmark {
            name: "b".into(),
            version: "1".into(),
            licence: "x".into(),
            content_hash: String::new(),
            population: Population {
                attributes: vec!["sex".into()],
                subjects: (0..12).map(|i| Subject { id: format!("s{i}"), attributes: vec!["F".into()] }).collect(),
                provenance: Default::default(),
            },
            samples: Samples {
                ids: (0..12).map(|i| format!("x{i}")).collect(),
                subject: (0..12).collect(),
                media,
                capture: Vec::new(),
            },
            protocols: Vec::new(),
        }
    }

    #[test]
    fn measured_image_properties_become_banded_capture_groupings() {
        let s = AnalysisSettings {
            groups: vec!["sex,measured_brightness".into()],
            covariates: vec!["measured_sharpness".into()],
            ..AnalysisSettings::default()
        };
        let mut bench = image_bench(true);
        let c = s.config_for(&mut bench).unwrap();
        // Brightness 10..120: order statistics 2, 5, 8 of the twelve are 30, 60, 90.
        assert_eq!(c.capture_attributes.len(), 1);
        assert_eq!(c.capture_attributes[0].name, "measured_brightness");
        assert_eq!(c.capture_attributes[0].edges, [30.0, 60.0, 90.0]);
        assert_eq!(c.covariates, ["measured_sharpness"]);
        assert!(bench.samples.capture("measured_sharpness").is_some());
        assert!(bench.samples.capture("measured_width").is_none(), "only what is named is measured");

        let e = s.config_for(&mut image_bench(false)).unwrap_err();
        assert!(e.is_bad_input());
        assert_eq!(
            e.message(),
            "--group `measured_brightness`: no sample of the benchmark is an image that can be measured (synthetic faces and embeddings have no pixels)"
        );
    }

    #[test]
    fn defaults_are_the_engines() {
        let c = AnalysisSettings::default().config(&population()).unwrap();
        let engine = AnalysisConfig::with_thresholds(vec![0.56, 0.58, 0.6, 0.62, 0.64], c.groupings.clone());
        assert_eq!(c, engine);
    }

    #[test]
    fn bad_values_name_the_option() {
        let mut s = AnalysisSettings { reference_group: Some("X".into()), ..AnalysisSettings::default() };
        let e = s.config(&population()).unwrap_err();
        assert!(e.is_bad_input() && e.message().starts_with("--reference-group: value `X`"), "{e}");
        s.reference_group = None;
        s.fmr_targets = vec![1.5];
        assert!(s.config(&population()).unwrap_err().message().starts_with("--fmr-targets: value `1.5`"));
        s.fmr_targets = vec![1e-3];
        s.groups = vec!["age".into()];
        assert!(s.config(&population()).unwrap_err().message().starts_with("--group `age`"));
    }
}
