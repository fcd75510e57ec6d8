//! The `simulated` vendor: a seeded statistical face recogniser whose per-group
//! behaviour is planted in its config, so that verity can be shown to recover known
//! differentials.
//!
//! It reads synthetic face media ([`harness::model::synthetic_face`]) and makes an embedding:
//!
//! ```text
//! m_c  = normalize(sum of e_k(v) over the values v of the appearance cell c) (cell direction)
//! g    = normalize(w),  w ~ N(0, I) on the first identity_dim coordinates   (identity seed)
//! z    = normalize(sqrt(cluster) m_c + sqrt(1 - cluster) g)                  (latent identity)
//! s    = noise * exp(quality_spread * q),  q ~ N(0, 1)                       (capture seed)
//! e    = normalize(z + s / sqrt(dim) * n),  n ~ N(0, I_dim)                  (capture seed)
//! ```
//!
//! so two captures of one identity score about `1 / sqrt((1 + s1^2)(1 + s2^2))`, and two
//! identities of one cell score about `cluster + (1 - cluster) cos(g1, g2)` before the
//! capture attenuation. Knobs, per appearance cell:
//!
//! - `cluster`: how tightly the cell's identities gather around the cell direction. It
//!   raises the cell's non-mated similarities, hence its FMR / FPIR.
//! - `identity_dim`: degrees of freedom of identity. Fewer means heavier non-mated tails.
//! - `noise`, `quality_spread`: median capture noise and its log-normal spread per
//!   capture. They lower mated similarities (FNMR / FNIR) and, through the spread, make
//!   some captures clean enough to reach the far non-mated tail.
//! - `fte`: probability that a capture fails with `FeatureExtractionError`.
//! - `size_effect`, `reference_size` (default 0 and 64): for a face whose media states its
//!   size (`size=`, inter-eye pixels), the capture noise is multiplied by
//!   `(reference_size / size)^size_effect`, so smaller faces score lower against their
//!   mates. With the same values for every cell the vendor is equitable at a fixed face
//!   size: any group difference then comes from the group's face sizes (a confound).
//! - `light_effect`, `reference_light` (default 0 and 128): the same for lighting: for a
//!   face whose media states its mean luma (`light=`), the capture noise is multiplied by
//!   `(reference_light / light)^light_effect`, so darker faces score lower against their
//!   mates.
//!
//! `delay_us` (top level, default 0) makes every `create_template` wait that many
//! microseconds, standing in for a slow model so tests can kill a run part-way
//! (tests/resume_cli.rs); it changes no template.
//!
//! Each attribute value is a coordinate axis `e_k(v)` ([`value_coordinate`]); cells that
//! share a value share part of their direction (`F×black` and `M×black` both contain
//! `e_k(black)`), so same-ethnicity non-mated pairs are more alike than others, as
//! real systems show. Everything is a function of the config seed and the media, so the
//! same media and config give the same template bytes. The role is ignored.
//! `examples/demo/calibrate.py` reproduces this model in numpy.

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use harness::model::synthetic_face::{APPEARANCE_SEPARATOR, SyntheticFace};
use harness::vendor::{
    DeclaredThreshold, FailureCode, Role, Template, TemplateFailure, TemplateFormat, Vendor, VendorDescription, cosine,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

/// Parameters of one appearance cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellParameters {
    pub cluster: f64,
    pub identity_dim: usize,
    pub noise: f64,
    pub quality_spread: f64,
    pub fte: f64,
    pub size_effect: f64,
    pub reference_size: f64,
    pub light_effect: f64,
    pub reference_light: f64,
}

/// Optional parameters as written in `[defaults]` and `[cells."…"]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterOverrides {
    pub cluster: Option<f64>,
    pub identity_dim: Option<usize>,
    pub noise: Option<f64>,
    pub quality_spread: Option<f64>,
    pub fte: Option<f64>,
    pub size_effect: Option<f64>,
    pub reference_size: Option<f64>,
    pub light_effect: Option<f64>,
    pub reference_light: Option<f64>,
}

impl ParameterOverrides {
    fn apply(&self, p: &mut CellParameters) {
        p.cluster = self.cluster.unwrap_or(p.cluster);
        p.identity_dim = self.identity_dim.unwrap_or(p.identity_dim);
        p.noise = self.noise.unwrap_or(p.noise);
        p.quality_spread = self.quality_spread.unwrap_or(p.quality_spread);
        p.fte = self.fte.unwrap_or(p.fte);
        p.size_effect = self.size_effect.unwrap_or(p.size_effect);
        p.reference_size = self.reference_size.unwrap_or(p.reference_size);
        p.light_effect = self.light_effect.unwrap_or(p.light_effect);
        p.reference_light = self.reference_light.unwrap_or(p.reference_light);
    }
}

/// The config file of a simulated vendor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatedConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub dim: usize,
    pub seed: u64,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
    #[serde(default)]
    pub defaults: ParameterOverrides,
    /// Overrides by appearance: a key of attribute values (`black`, `F×black`, or
    /// `F,black`) applies to every cell showing all of them; keys with more values win.
    #[serde(default)]
    pub cells: BTreeMap<String, ParameterOverrides>,
    /// Microseconds to wait in every `create_template`, to stand in for a slow model
    /// (resume tests kill a run part-way). It changes no template.
    #[serde(default)]
    pub delay_us: u64,
}

/// The model of one appearance cell, built once and shared by its captures.
struct CellModel {
    params: CellParameters,
    direction: Vec<f64>,
}

pub struct SimulatedVendor {
    config: SimulatedConfig,
    /// Override keys split into values, most general first.
    overrides: Vec<(Vec<String>, ParameterOverrides)>,
    fingerprint: String,
    cells: RwLock<HashMap<String, Arc<CellModel>>>,
}

fn split_key(key: &str) -> Vec<String> {
    key.split([',', APPEARANCE_SEPARATOR]).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
}

/// SHA-256 of the vendor seed, a purpose and length-prefixed parts.
fn digest(seed: u64, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"verity/simulated/v1\0");
    h.update(seed.to_le_bytes());
    h.update(purpose.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// A random stream for one purpose, seeded from the vendor seed and what it is for.
fn stream(seed: u64, purpose: &str, parts: &[&[u8]]) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(digest(seed, purpose, parts))
}

/// The coordinate that is the direction of an attribute value. Distinct values get
/// orthogonal directions unless their hashes collide (about 8% for five values in 128
/// dimensions; the demo's configs are tested for none), so no group is closer to another
/// by the chance geometry of random directions.
pub fn value_coordinate(seed: u64, dim: usize, value: &str) -> usize {
    let d = digest(seed, "value", &[value.as_bytes()]);
    (u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]) % dim as u64) as usize
}

fn normalize(v: &mut [f64]) {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

fn gaussian(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect()
}

impl SimulatedVendor {
    /// Build from config text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: SimulatedConfig = file.parse()?;
        if config.kind != "simulated" {
            return Err(file.error_at_key(&["kind"], format!("expected `simulated`, found `{}`", config.kind)));
        }
        if config.dim < 2 || config.dim > 4096 {
            return Err(file.error_at_key(&["dim"], format!("dim must be 2..=4096, found {}", config.dim)));
        }
        config::check_thresholds(&file, &config.thresholds, (-1.0, 1.0))?;
        let check = |table: &[&str], o: &ParameterOverrides| -> Result<(), VendorError> {
            let at = |key: &str, message: String| {
                let mut path = table.to_vec();
                path.push(key);
                file.error_at_key(&path, message)
            };
            let unit = |x: Option<f64>| x.is_none_or(|x| (0.0..=1.0).contains(&x));
            let non_negative = |x: Option<f64>| x.is_none_or(|x| x.is_finite() && x >= 0.0);
            if !o.cluster.is_none_or(|x| (0.0..1.0).contains(&x)) {
                return Err(at("cluster", format!("cluster must be in 0..1, found {}", o.cluster.unwrap_or(0.0))));
            }
            if !unit(o.fte) {
                return Err(at("fte", format!("fte is a probability (0..=1), found {}", o.fte.unwrap_or(0.0))));
            }
            if !non_negative(o.noise) {
                return Err(at("noise", format!("noise must be finite and >= 0, found {}", o.noise.unwrap_or(0.0))));
            }
            if !non_negative(o.quality_spread) {
                let found = o.quality_spread.unwrap_or(0.0);
                return Err(at("quality_spread", format!("quality_spread must be finite and >= 0, found {found}")));
            }
            // (key, value, lowest, highest, what the range is)
            let ranges = [
                ("size_effect", o.size_effect, 0.0, 4.0, "from 0 to 4"),
                ("reference_size", o.reference_size, 1.0, 10_000.0, "from 1 to 10000 pixels"),
                ("light_effect", o.light_effect, 0.0, 4.0, "from 0 to 4"),
                ("reference_light", o.reference_light, 1.0, 255.0, "a mean luma from 1 to 255"),
            ];
            for (key, value, low, high, what) in ranges {
                if let Some(x) = value.filter(|x| !(x.is_finite() && (low..=high).contains(x))) {
                    return Err(at(key, format!("{key} must be {what}, found {x}")));
                }
            }
            if let Some(d) = o.identity_dim
                && (d < 1 || d > config.dim)
            {
                return Err(at("identity_dim", format!("identity_dim must be 1..={} (dim), found {d}", config.dim)));
            }
            Ok(())
        };
        check(&["defaults"], &config.defaults)?;
        for (key, o) in &config.cells {
            if split_key(key).is_empty() {
                return Err(
                    file.error_at_key(&["cells", key], "an override key must name at least one attribute value")
                );
            }
            check(&["cells", key], o)?;
        }
        let mut overrides: Vec<(Vec<String>, ParameterOverrides)> =
            config.cells.iter().map(|(k, o)| (split_key(k), o.clone())).collect();
        overrides.sort_by_key(|(values, _)| values.len()); // stable: key order within a size
        Ok(SimulatedVendor {
            fingerprint: config::fingerprint("simulated", text),
            config,
            overrides,
            cells: RwLock::new(HashMap::new()),
        })
    }

    /// Read and build from a config file.
    pub fn from_file(path: &Path) -> Result<Self, VendorError> {
        Self::from_toml(&config::read(path)?, path)
    }

    pub fn config(&self) -> &SimulatedConfig {
        &self.config
    }

    /// The parameters this vendor applies to faces showing `appearance`.
    pub fn parameters(&self, appearance: &str) -> CellParameters {
        let mut p = CellParameters {
            cluster: 0.0,
            identity_dim: self.config.dim,
            noise: 0.5,
            quality_spread: 0.0,
            fte: 0.0,
            size_effect: 0.0,
            reference_size: 64.0,
            light_effect: 0.0,
            reference_light: 128.0,
        };
        self.config.defaults.apply(&mut p);
        let values: Vec<&str> = appearance.split(APPEARANCE_SEPARATOR).collect();
        for (key, o) in &self.overrides {
            if key.iter().all(|k| values.contains(&k.as_str())) {
                o.apply(&mut p);
            }
        }
        p
    }

    fn cell(&self, appearance: &str) -> Arc<CellModel> {
        if let Some(model) = self.cells.read().unwrap_or_else(|e| e.into_inner()).get(appearance) {
            return model.clone();
        }
        let dim = self.config.dim;
        let mut direction = vec![0.0; dim];
        for value in appearance.split(APPEARANCE_SEPARATOR) {
            direction[value_coordinate(self.config.seed, dim, value)] += 1.0;
        }
        normalize(&mut direction);
        let model = Arc::new(CellModel { params: self.parameters(appearance), direction });
        let mut cache = self.cells.write().unwrap_or_else(|e| e.into_inner());
        cache.entry(appearance.to_string()).or_insert(model).clone()
    }

    /// The embedding of a synthetic face, or the failure it deterministically causes.
    pub fn embed(&self, face: &SyntheticFace) -> Result<Vec<f32>, TemplateFailure> {
        let dim = self.config.dim;
        let cell = self.cell(&face.appearance);
        let p = cell.params;
        let identity_seed = face.identity.to_le_bytes();
        let capture_seed = face.capture.to_le_bytes();

        let mut capture = stream(self.config.seed, "capture", &[&identity_seed, &capture_seed]);
        // Drawn first, always, so changing `fte` does not change the other captures.
        let fails: f64 = capture.random();
        if fails < p.fte {
            return Err(TemplateFailure {
                code: FailureCode::FeatureExtractionError,
                message: "simulated failure to extract features from this capture".into(),
            });
        }

        let mut g = gaussian(&mut stream(self.config.seed, "identity", &[&identity_seed]), p.identity_dim);
        normalize(&mut g);
        let (a, b) = (p.cluster.sqrt(), (1.0 - p.cluster).sqrt());
        let mut z: Vec<f64> = (0..dim).map(|i| a * cell.direction[i] + b * g.get(i).copied().unwrap_or(0.0)).collect();
        normalize(&mut z);

        let q: f64 = capture.sample(StandardNormal);
        let mut s = p.noise * (p.quality_spread * q).exp() / (dim as f64).sqrt();
        if let Some(size) = face.size.filter(|_| p.size_effect > 0.0) {
            s *= (p.reference_size / size as f64).powf(p.size_effect);
        }
        if let Some(light) = face.light.filter(|_| p.light_effect > 0.0) {
            s *= (p.reference_light / light as f64).powf(p.light_effect);
        }
        let mut e: Vec<f64> = z.iter().map(|zi| zi + s * capture.sample::<f64, _>(StandardNormal)).collect();
        normalize(&mut e);
        Ok(e.into_iter().map(|x| x as f32).collect())
    }
}

impl Vendor for SimulatedVendor {
    fn describe(&self) -> VendorDescription {
        VendorDescription {
            name: self.config.name.clone(),
            version: self.config.version.clone(),
            score_min: -1.0,
            score_max: 1.0,
            score_meaning: "cosine similarity of embeddings".into(),
            thresholds: self
                .config
                .thresholds
                .iter()
                .map(|t| DeclaredThreshold { label: t.label.clone(), value: t.value })
                .collect(),
            template: TemplateFormat::Embedding { dim: self.config.dim },
        }
    }

    fn create_template(&self, media: &[u8], _role: Role) -> Result<Template, TemplateFailure> {
        if self.config.delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.config.delay_us));
        }
        let face = SyntheticFace::decode(media)
            .map_err(|e| TemplateFailure { code: FailureCode::ParseError, message: e.to_string() })?;
        Ok(Template::from_embedding(&self.embed(&face)?))
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        Ok(cosine(&probe.embedding(self.config.dim)?, &reference.embedding(self.config.dim)?))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

#[cfg(test)]
#[path = "simulated_tests.rs"]
mod tests;
