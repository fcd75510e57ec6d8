//! Synthetic benchmarks: a population spec (TOML) becomes an in-memory
//! [`Benchmark`] of synthetic faces ([`harness::model::synthetic_face`]) with verification,
//! identification and watchlist protocols, which [`crate::write_benchmark`] writes.
//!
//! Everything is a function of the spec and its seed (ChaCha8 streams, one per purpose,
//! so adding a protocol does not move the subjects). Subjects are assigned to cells (the
//! cross product of the attributes) in proportion to the shares, then shuffled so ids
//! say nothing of cells; identity and capture seeds are random draws, never derived from
//! ids. Every protocol picks its subjects stratified by cell, in proportion to the
//! cell sizes, and orders galleries so that every nested gallery size keeps the mix.

use harness::model::benchmark::{Benchmark, MediaSource, Protocol, Samples, SearchProtocol, VerificationProtocol};
use harness::model::population::{Population, Subject};
use harness::model::synthetic_face::{SyntheticFace, appearance_cell, valid_appearance_value};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    pub population: PopulationSection,
    pub attributes: Vec<AttributeSpec>,
    #[serde(default)]
    pub protocols: ProtocolSpecs,
    /// Capture attributes the generator draws per sample (each also a capture column).
    #[serde(default)]
    pub capture: CaptureSpecs,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpecs {
    pub face_size: Option<FaceSizeSpec>,
    pub brightness: Option<BrightnessSpec>,
}

/// A capture quantity drawn log-normal per sample: `round(median · exp(spread · z))`,
/// `z ~ N(0, 1)`, clamped to its range. A subject's first sample is its enrolment
/// photograph (the gallery and watchlist image) and takes `median`; later samples are
/// captures in the field and take their cell's median (`median_by_value`).
/// - `[capture.face_size]`: the face's size in the image (inter-eye distance in pixels,
///   at least 1), in the media (`size=`) and in the capture column `face_size`.
/// - `[capture.brightness]`: the face's mean luma (1 to 255), in the media (`light=`)
///   and in the capture column `brightness`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantitySpec {
    /// Median (pixels, or luma).
    pub median: f64,
    /// Standard deviation of the log of the size.
    pub spread: f64,
    /// Medians of field captures (every sample but a subject's first) for the cells
    /// showing an attribute value (`black = 44`); a cell showing several keyed values
    /// takes the first in attribute order.
    #[serde(default)]
    pub median_by_value: BTreeMap<String, f64>,
}

pub type FaceSizeSpec = QuantitySpec;
pub type BrightnessSpec = QuantitySpec;

impl QuantitySpec {
    fn median_of(&self, cell: &[String]) -> f64 {
        cell.iter().find_map(|v| self.median_by_value.get(v).copied()).unwrap_or(self.median)
    }

    /// One sample's value: around `median` for an enrolment photograph, around the
    /// cell's median for a field capture; rounded and clamped to `1..=max`.
    fn draw(&self, rng: &mut ChaCha8Rng, enrolment: bool, cell: &[String], max: f64) -> u32 {
        let z: f64 = rng.sample(rand_distr::StandardNormal);
        let median = if enrolment { self.median } else { self.median_of(cell) };
        (median * (self.spread * z).exp()).round().clamp(1.0, max) as u32
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSection {
    pub name: String,
    #[serde(default = "one")]
    pub version: String,
    #[serde(default = "cc0")]
    pub licence: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    pub subjects: usize,
    pub samples_per_subject: usize,
}

fn one() -> String {
    "1".into()
}
fn cc0() -> String {
    "CC0-1.0".into()
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    pub name: String,
    /// self-declared | annotated | estimated | synthetic
    pub provenance: String,
    pub categories: Vec<String>,
    /// Relative weights of the categories (normalised).
    pub shares: Vec<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSpecs {
    pub verification: Option<VerificationSpec>,
    pub identification: Option<IdentificationSpec>,
    pub watchlist: Option<WatchlistSpec>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationSpec {
    #[serde(default = "verification_name")]
    pub name: String,
    /// Subjects taking part (stratified by cell); all when absent.
    pub subjects: Option<usize>,
    /// Non-mated references per probe sample, from other subjects of the probe's cell.
    #[serde(default = "one_usize")]
    pub non_mated_per_probe: usize,
    /// Non-mated references per probe sample from other cells.
    #[serde(default)]
    pub cross_group_per_probe: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentificationSpec {
    #[serde(default = "identification_name")]
    pub name: String,
    /// Nested gallery sizes in subjects, ascending; the last is the whole gallery.
    pub gallery_sizes: Vec<usize>,
    pub candidates: usize,
    /// Subjects never enrolled whose samples are the non-mated searches; all when absent.
    pub non_mated_subjects: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchlistSpec {
    #[serde(default = "watchlist_name")]
    pub name: String,
    /// Watchlist subjects, each enrolled with one image.
    pub size: usize,
    pub candidates: usize,
    /// Subjects not on the watchlist whose samples form the crowd; all when absent.
    pub crowd_subjects: Option<usize>,
}

fn verification_name() -> String {
    "verification".into()
}
fn identification_name() -> String {
    "identification".into()
}
fn watchlist_name() -> String {
    "watchlist".into()
}
fn one_usize() -> usize {
    1
}

/// A problem with a spec: the key (dotted path) and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct SpecProblem {
    pub key: String,
    pub message: String,
}

fn problem(key: &str, message: impl Into<String>) -> SpecProblem {
    SpecProblem { key: key.into(), message: message.into() }
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read population spec {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("population spec {}, line {line}, column {column}, key `{key}`: {message}", path.display())]
    Invalid { path: PathBuf, line: usize, column: usize, key: String, message: String },
}

/// Read, parse and check a spec file.
pub fn read_spec(path: &Path) -> Result<PopulationSpec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read { path: path.into(), source })?;
    parse_spec(&text, path)
}

/// Parse and check spec text; `path` is used in error messages only.
pub fn parse_spec(text: &str, path: &Path) -> Result<PopulationSpec, SpecError> {
    let toml = storage::toml::TomlText::new(path, text);
    let invalid = |l: storage::toml::Located| SpecError::Invalid {
        path: path.into(),
        line: l.line as usize,
        column: l.column as usize,
        key: l.key,
        message: l.message,
    };
    let spec: PopulationSpec = toml.parse().map_err(invalid)?;
    spec.check().map_err(|p| {
        let key_path: Vec<&str> = p.key.split('.').collect();
        invalid(toml.at_key(&key_path, p.message.clone()))
    })?;
    Ok(spec)
}

/// The span of a dotted key's value (array indices as numbers), or of the deepest part
/// of it that exists.
/// Split `total` into parts proportional to `weights` (largest remainder, ties to the
/// earlier part), so the parts sum to `total` exactly.
fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    let short = total.saturating_sub(parts.iter().sum());
    for &i in order.iter().take(short) {
        parts[i] += 1;
    }
    parts
}

impl PopulationSpec {
    /// The spec with another seed (`verity simulate --seed`).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.population.seed = seed;
        self
    }

    /// Cells (attribute values in attribute order) and their subject counts.
    pub fn cells(&self) -> Vec<(Vec<String>, usize)> {
        let mut cells: Vec<(Vec<String>, f64)> = vec![(Vec::new(), 1.0)];
        for a in &self.attributes {
            let sum: f64 = a.shares.iter().sum();
            cells = cells
                .iter()
                .flat_map(|(values, w)| {
                    a.categories.iter().zip(&a.shares).map(move |(c, s)| {
                        let mut v = values.clone();
                        v.push(c.clone());
                        (v, w * s / sum)
                    })
                })
                .collect();
        }
        let weights: Vec<f64> = cells.iter().map(|(_, w)| *w).collect();
        let counts = apportion(self.population.subjects, &weights);
        cells.into_iter().map(|(v, _)| v).zip(counts).collect()
    }

    /// Check every value; the first problem names its key.
    pub fn check(&self) -> Result<(), SpecProblem> {
        let p = &self.population;
        if p.subjects < 2 {
            return Err(problem("population.subjects", "need at least 2 subjects"));
        }
        if p.samples_per_subject < 1 {
            return Err(problem("population.samples_per_subject", "need at least 1 sample per subject"));
        }
        if self.attributes.is_empty() {
            return Err(problem("attributes", "declare at least one attribute"));
        }
        for (i, a) in self.attributes.iter().enumerate() {
            let key = |k: &str| format!("attributes.{i}.{k}");
            let simple =
                !a.name.is_empty() && a.name != "subject_id" && a.name.chars().all(|c| c.is_alphanumeric() || c == '_');
            if !simple || self.attributes[..i].iter().any(|b| b.name == a.name) {
                return Err(problem(
                    &key("name"),
                    format!("`{}` is not a new attribute name (letters, digits, _; not subject_id)", a.name),
                ));
            }
            if !crate::PROVENANCES.contains(&a.provenance.as_str()) {
                return Err(problem(
                    &key("provenance"),
                    format!("`{}`: expected one of {}", a.provenance, crate::PROVENANCES.join(", ")),
                ));
            }
            for (j, c) in a.categories.iter().enumerate() {
                if !valid_appearance_value(c) || a.categories[..j].contains(c) {
                    return Err(problem(
                        &format!("attributes.{i}.categories.{j}"),
                        format!("`{c}` is empty, repeated, or has whitespace, `=` or `×`"),
                    ));
                }
            }
            if a.categories.is_empty() || a.shares.len() != a.categories.len() {
                return Err(problem(
                    &key("shares"),
                    format!("{} shares for {} categories", a.shares.len(), a.categories.len()),
                ));
            }
            if let Some(j) = a.shares.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(problem(
                    &format!("attributes.{i}.shares.{j}"),
                    format!("share {} must be finite and > 0", a.shares[j]),
                ));
            }
        }
        if let Some((cell, n)) = self.cells().into_iter().find(|(_, n)| *n < 2) {
            return Err(problem(
                "population.subjects",
                format!("cell {} gets {n} subjects; every group needs at least 2", cell.join("×")),
            ));
        }
        let mated_needed = self.protocols.verification.is_some()
            || self.protocols.identification.is_some()
            || self.protocols.watchlist.is_some();
        if mated_needed && p.samples_per_subject < 2 {
            return Err(problem(
                "population.samples_per_subject",
                "protocols need at least 2 samples per subject (mated trials)",
            ));
        }
        if let Some(v) = &self.protocols.verification {
            let n = v.subjects.unwrap_or(p.subjects);
            if n < 2 || n > p.subjects {
                return Err(problem("protocols.verification.subjects", format!("{n} is not in 2..={}", p.subjects)));
            }
        }
        if let Some(s) = &self.protocols.identification {
            let key = |k: &str| format!("protocols.identification.{k}");
            let sizes = &s.gallery_sizes;
            if sizes.is_empty() || sizes[0] == 0 || sizes.windows(2).any(|w| w[0] >= w[1]) {
                return Err(problem(&key("gallery_sizes"), "gallery sizes must be >= 1 and strictly ascending"));
            }
            let enrolled = sizes[sizes.len() - 1];
            if enrolled >= p.subjects {
                return Err(problem(
                    &key("gallery_sizes"),
                    format!("a gallery of {enrolled} leaves no non-mated subject of {}", p.subjects),
                ));
            }
            check_subset(s.non_mated_subjects, p.subjects - enrolled, &key("non_mated_subjects"))?;
            if s.candidates < 1 {
                return Err(problem(&key("candidates"), "candidates must be >= 1"));
            }
        }
        let quantities = [
            ("face_size", self.capture.face_size.as_ref(), 10_000.0, "a size in pixels from 1 to 10000"),
            ("brightness", self.capture.brightness.as_ref(), 255.0, "a mean luma from 1 to 255"),
        ];
        for (name, spec, max, what) in quantities {
            let Some(f) = spec else { continue };
            let key = |k: &str| format!("capture.{name}.{k}");
            let in_range = |m: f64| m.is_finite() && (1.0..=max).contains(&m);
            if !in_range(f.median) {
                return Err(problem(&key("median"), format!("{} is not {what}", f.median)));
            }
            if !(f.spread.is_finite() && (0.0..=2.0).contains(&f.spread)) {
                return Err(problem(&key("spread"), format!("{} is not a spread from 0 to 2", f.spread)));
            }
            for (value, m) in &f.median_by_value {
                if !self.attributes.iter().any(|a| a.categories.contains(value)) {
                    return Err(problem(
                        &key("median_by_value"),
                        format!("`{value}` is not a category of any attribute"),
                    ));
                }
                if !in_range(*m) {
                    return Err(problem(&key(&format!("median_by_value.{value}")), format!("{m} is not {what}")));
                }
            }
        }
        if let Some(w) = &self.protocols.watchlist {
            if w.size < 1 || w.size >= p.subjects {
                return Err(problem("protocols.watchlist.size", format!("{} is not in 1..{}", w.size, p.subjects)));
            }
            check_subset(w.crowd_subjects, p.subjects - w.size, "protocols.watchlist.crowd_subjects")?;
            if w.candidates < 1 {
                return Err(problem("protocols.watchlist.candidates", "candidates must be >= 1"));
            }
        }
        Ok(())
    }
}

fn check_subset(n: Option<usize>, available: usize, key: &str) -> Result<(), SpecProblem> {
    match n {
        Some(n) if n < 1 || n > available => Err(problem(key, format!("{n} is not in 1..={available}"))),
        _ => Ok(()),
    }
}

/// The random stream for one purpose (ChaCha8 stream ids keep purposes independent).
fn stream(seed: u64, purpose: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose);
    rng
}

/// Choose `n` subjects from `by_cell` (subject indices per cell) in proportion to the
/// cell sizes. Returns the chosen subjects interleaved across cells (each prefix keeps
/// the mix, for nested galleries) and what is left, per cell.
fn stratified(rng: &mut ChaCha8Rng, by_cell: &[Vec<u32>], n: usize) -> (Vec<u32>, Vec<Vec<u32>>) {
    let sizes: Vec<f64> = by_cell.iter().map(|c| c.len() as f64).collect();
    let quotas = apportion(n, &sizes);
    let mut keyed: Vec<(f64, usize, u32)> = Vec::with_capacity(n);
    let mut rest = Vec::with_capacity(by_cell.len());
    for (c, (subjects, &q)) in by_cell.iter().zip(&quotas).enumerate() {
        let mut s = subjects.clone();
        s.shuffle(rng);
        keyed.extend(s[..q].iter().enumerate().map(|(j, &id)| ((j as f64 + 0.5) / q as f64, c, id)));
        rest.push(s[q..].to_vec());
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    (keyed.into_iter().map(|(_, _, id)| id).collect(), rest)
}

/// Build the benchmark a spec describes. Its `content_hash` is empty: it is set when
/// the benchmark is written and loaded.
pub fn generate(spec: &PopulationSpec) -> Result<Benchmark, SpecProblem> {
    spec.check()?;
    let p = &spec.population;
    let k = p.samples_per_subject;
    let cells = spec.cells();

    let mut rng = stream(p.seed, 0);
    let mut cell_of: Vec<u32> =
        cells.iter().enumerate().flat_map(|(c, (_, n))| std::iter::repeat_n(c as u32, *n)).collect();
    cell_of.shuffle(&mut rng);
    let width = (p.subjects - 1).to_string().len();
    let appearance: Vec<String> = cells
        .iter()
        .map(|(v, _)| appearance_cell(v).map_err(|e| problem("attributes", e.to_string())))
        .collect::<Result<_, _>>()?;

    let mut subjects = Vec::with_capacity(p.subjects);
    let mut samples = Samples::default();
    // Sizes come from their own stream, so a spec without them makes the same faces.
    let mut size_rng = stream(p.seed, 4);
    let mut sizes = Vec::new();
    // So does brightness, on a stream of its own.
    let mut light_rng = stream(p.seed, 5);
    let mut lights = Vec::new();
    for (s, &c) in cell_of.iter().enumerate() {
        let id = format!("subject-{s:0width$}");
        let identity: u64 = rng.random();
        for j in 0..k {
            let mut face = SyntheticFace::new(identity, appearance[c as usize].clone(), rng.random())
                .map_err(|e| problem("attributes", e.to_string()))?;
            let cell = &cells[c as usize].0;
            if let Some(f) = &spec.capture.face_size {
                let size = f.draw(&mut size_rng, j == 0, cell, 100_000.0);
                face.size = Some(size);
                sizes.push(size.to_string());
            }
            if let Some(f) = &spec.capture.brightness {
                let light = f.draw(&mut light_rng, j == 0, cell, 255.0);
                face.light = Some(light);
                lights.push(light.to_string());
            }
            samples.ids.push(format!("{id}-{}", j + 1));
            samples.subject.push(s as u32);
            samples.media.push(MediaSource::Inline(face.to_bytes()));
        }
        subjects.push(Subject { id, attributes: cells[c as usize].0.clone() });
    }
    let mut by_cell: Vec<Vec<u32>> = vec![Vec::new(); cells.len()];
    for (s, &c) in cell_of.iter().enumerate() {
        by_cell[c as usize].push(s as u32);
    }
    if spec.capture.face_size.is_some() {
        samples.capture.push(harness::model::benchmark::CaptureColumn { name: "face_size".into(), values: sizes });
    }
    if spec.capture.brightness.is_some() {
        samples.capture.push(harness::model::benchmark::CaptureColumn { name: "brightness".into(), values: lights });
    }
    let sample = |s: u32, j: usize| (s as usize * k + j) as u32;

    let mut protocols = Vec::new();
    if let Some(v) = &spec.protocols.verification {
        let mut rng = stream(p.seed, 1);
        let (chosen, _) = stratified(&mut rng, &by_cell, v.subjects.unwrap_or(p.subjects));
        protocols.push(Protocol::Verification(verification(&mut rng, v, &chosen, &cell_of, k)));
    }
    let search =
        |purpose: u64, name: &str, enrolled: usize, searchers: Option<usize>, candidates: usize, sizes: Vec<usize>| {
            let mut rng = stream(p.seed, purpose);
            let (gallery_subjects, rest) = stratified(&mut rng, &by_cell, enrolled);
            let available = rest.iter().map(Vec::len).sum();
            let (mut non_mated_subjects, _) = stratified(&mut rng, &rest, searchers.unwrap_or(available));
            non_mated_subjects.sort_unstable();
            SearchProtocol {
                name: name.to_string(),
                gallery: gallery_subjects.iter().map(|&s| sample(s, 0)).collect(),
                mated: gallery_subjects.iter().flat_map(|&s| (1..k).map(move |j| sample(s, j))).collect(),
                non_mated: non_mated_subjects.iter().flat_map(|&s| (0..k).map(move |j| sample(s, j))).collect(),
                candidates,
                gallery_sizes: sizes,
            }
        };
    if let Some(s) = &spec.protocols.identification {
        let enrolled = s.gallery_sizes[s.gallery_sizes.len() - 1];
        let protocol = search(2, &s.name, enrolled, s.non_mated_subjects, s.candidates, s.gallery_sizes.clone());
        protocols.push(Protocol::Identification(protocol));
    }
    if let Some(w) = &spec.protocols.watchlist {
        protocols.push(Protocol::Watchlist(search(3, &w.name, w.size, w.crowd_subjects, w.candidates, vec![w.size])));
    }

    let provenance: BTreeMap<String, String> =
        spec.attributes.iter().map(|a| (a.name.clone(), a.provenance.clone())).collect();
    Ok(Benchmark {
        name: p.name.clone(),
        version: p.version.clone(),
        licence: p.licence.clone(),
        content_hash: String::new(),
        population: Population {
            attributes: spec.attributes.iter().map(|a| a.name.clone()).collect(),
            subjects,
            provenance,
        },
        samples,
        protocols,
    })
}

/// All mated pairs within each subject; non-mated references drawn per probe sample
/// from other subjects of the same cell and, optionally, from other cells.
fn verification(
    rng: &mut ChaCha8Rng,
    v: &VerificationSpec,
    chosen: &[u32],
    cell_of: &[u32],
    k: usize,
) -> VerificationProtocol {
    let mut chosen = chosen.to_vec();
    chosen.sort_unstable();
    let n_cells = cell_of.iter().max().map_or(0, |m| *m as usize + 1);
    let mut by_cell: Vec<Vec<u32>> = vec![Vec::new(); n_cells];
    for &s in &chosen {
        by_cell[cell_of[s as usize] as usize].push(s);
    }
    let mut out = VerificationProtocol { name: v.name.clone(), probe: Vec::new(), reference: Vec::new() };
    let sample = |s: u32, j: usize| (s as usize * k + j) as u32;
    for &s in &chosen {
        for a in 0..k {
            for b in a + 1..k {
                out.probe.push(sample(s, a));
                out.reference.push(sample(s, b));
            }
        }
    }
    for &s in &chosen {
        let own = cell_of[s as usize] as usize;
        let same = &by_cell[own];
        let others: usize = chosen.len() - same.len();
        for a in 0..k {
            let probe = sample(s, a);
            let mut picked: Vec<u32> = Vec::new();
            let mut draw = |rng: &mut ChaCha8Rng, pick: &dyn Fn(&mut ChaCha8Rng) -> u32, count: usize| {
                let before = picked.len();
                // A bounded number of tries: a tiny cell simply gets fewer pairs.
                for _ in 0..count * 20 {
                    if picked.len() - before == count {
                        break;
                    }
                    let reference = pick(rng);
                    if reference / k as u32 != s && !picked.contains(&reference) {
                        picked.push(reference);
                    }
                }
            };
            if same.len() > 1 {
                draw(
                    rng,
                    &|r| sample(same[r.random_range(0..same.len())], r.random_range(0..k)),
                    v.non_mated_per_probe,
                );
            }
            if others > 0 {
                let pick_other = |r: &mut ChaCha8Rng| loop {
                    let t = chosen[r.random_range(0..chosen.len())];
                    if cell_of[t as usize] as usize != own {
                        return sample(t, r.random_range(0..k));
                    }
                };
                draw(rng, &pick_other, v.cross_group_per_probe);
            }
            out.probe.extend(std::iter::repeat_n(probe, picked.len()));
            out.reference.extend(picked);
        }
    }
    out
}

#[cfg(test)]
#[path = "synthetic_tests.rs"]
mod tests;
