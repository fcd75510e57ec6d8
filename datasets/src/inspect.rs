//! What a benchmark holds, per group (`verity inspect`, docs/inspect.md): subjects,
//! samples and trials per group and per intersection, the labels' provenance, which
//! groups are too small to detect a given ratio of error rates at the error rates the
//! study expects, and image properties per group (size, brightness, sharpness) so that
//! confounds such as unbalanced lighting are seen before any vendor is run.
//!
//! The result is a plain value ([`Inspection`]); the command line formats it.

use harness::model::benchmark::{Benchmark, Protocol, SearchProtocol, VerificationProtocol};
use harness::model::population::{GroupCodes, Grouping, GroupingError};
use harness::stats::Alternative;
use harness::stats::power::minimum_detectable_ratio_within;
use serde::Serialize;
use std::path::Path;

mod images;
pub use images::{ImageGroup, ImageGrouping, ImageReport, Spread, Unreadable};
pub use images::{MEASURED_COLUMNS, measured_columns};

/// Exact enumeration budget of each minimum detectable ratio (cost units of
/// `stats::power`, about 1e5 per millisecond); above it the arcsine approximation is used
/// and said so.
const DETECTABILITY_BUDGET: f64 = 2e6;

/// The error rates the study expects, at which detectability is judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExpectedRates {
    pub fmr: f64,
    pub fnmr: f64,
    pub fpir: f64,
    pub fnir: f64,
}

impl ExpectedRates {
    /// The defaults of `verity inspect`, stated in its output.
    pub const DEFAULT: ExpectedRates = ExpectedRates { fmr: 1e-3, fnmr: 0.05, fpir: 1e-3, fnir: 0.1 };
}

impl Default for ExpectedRates {
    fn default() -> Self {
        ExpectedRates::DEFAULT
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InspectOptions {
    /// Groupings to count by; empty: each attribute alone and the intersection of all.
    pub groupings: Vec<Grouping>,
    pub expected: ExpectedRates,
    /// The ratio of error rates the study must be able to detect.
    pub ratio: f64,
    pub alpha: f64,
    pub power: f64,
    /// A group's median brightness (mean luma, 0-255) further than this from the other
    /// groups' median is flagged.
    pub brightness_margin: f64,
    /// A group's median sharpness more than this factor above or below the other groups'
    /// median is flagged.
    pub sharpness_ratio: f64,
    /// Decode images (off: image properties are skipped).
    pub images: bool,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            groupings: Vec::new(),
            expected: ExpectedRates::default(),
            ratio: 2.0,
            alpha: 0.05,
            power: 0.8,
            brightness_margin: 20.0,
            sharpness_ratio: 1.5,
            images: true,
        }
    }
}

/// The settings an inspection used, stated in its output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub expected_rates: ExpectedRates,
    pub ratio: f64,
    pub alpha: f64,
    pub power: f64,
    pub test: &'static str,
    pub brightness_margin: f64,
    pub sharpness_ratio: f64,
    pub quartiles: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub name: String,
    pub version: String,
    pub licence: String,
    pub content_hash: String,
    pub subjects: usize,
    pub samples: usize,
    /// `images`, `synthetic` (inline synthetic faces), `embeddings` (score-level), or `mixed`.
    pub media: &'static str,
    /// The manifest key saying the benchmark has no subject identities, if any.
    pub no_identities: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelProvenance {
    pub attribute: String,
    pub provenance: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationGroup {
    pub group: String,
    pub subjects: u64,
    pub samples: u64,
    /// Subjects with a single sample: no mated trial can come from them.
    pub single_sample_subjects: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationGrouping {
    pub grouping: String,
    pub groups: Vec<PopulationGroup>,
}

/// Trials of one group in one protocol. A 1:1 pair belongs to its probe's group; for a
/// search, the searcher's.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrialCounts {
    /// Subjects of the group taking part in the protocol.
    pub subjects: u64,
    /// Verification: mated pairs. Identification: mated searches at the whole gallery.
    /// Watchlist: passes.
    pub mated: u64,
    /// Verification: non-mated pairs with both subjects in the group (the FMR of a group,
    /// docs/design.md, "Data model"). Identification: non-mated searches. Watchlist: crowd faces.
    pub non_mated: u64,
    /// Verification only: non-mated pairs from this group to another.
    pub non_mated_cross_group: Option<u64>,
    /// Identification and watchlist: enrolled subjects of the group at each gallery size.
    pub gallery_subjects: Option<Vec<u64>>,
    /// Identification: mated searches at each gallery size (a nested gallery keeps only
    /// the searches whose mate it enrols).
    pub mated_per_gallery_size: Option<Vec<u64>>,
}

/// Could a difference of `ratio` in one error rate be detected for this group?
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detectability {
    /// `fmr`, `fnmr`, `fpir` or `fnir`.
    pub metric: &'static str,
    pub expected_rate: f64,
    pub trials: u64,
    /// The other group it is compared with: the one with the most trials.
    pub compared_with: Option<String>,
    pub compared_trials: Option<u64>,
    /// Smallest ratio of rates Fisher's exact test detects with the target power.
    pub minimum_detectable_ratio: Option<f64>,
    /// `exact` or `arcsine-approximation`.
    pub method: Option<&'static str>,
    /// Whether `minimum_detectable_ratio` is at most the ratio asked for.
    pub enough: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolGroup {
    pub group: String,
    #[serde(flatten)]
    pub counts: TrialCounts,
    /// FNMR (verification) or FNIR (identification, watchlist), over `mated`.
    pub false_negative: Detectability,
    /// FMR (verification, over `non_mated`) or FPIR (over `non_mated`).
    pub false_positive: Detectability,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolGrouping {
    pub grouping: String,
    pub groups: Vec<ProtocolGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolCounts {
    pub name: String,
    pub kind: &'static str,
    pub candidates: Option<usize>,
    pub gallery_sizes: Option<Vec<usize>>,
    /// The whole protocol, all groups together.
    pub totals: TrialCounts,
    pub groupings: Vec<ProtocolGrouping>,
}

/// Everything `verity inspect` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    pub benchmark: Summary,
    pub settings: Settings,
    pub provenance: Vec<LabelProvenance>,
    pub population: Vec<PopulationGrouping>,
    pub protocols: Vec<ProtocolCounts>,
    pub images: ImageReport,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("grouping `{0}`: {1}")]
    Grouping(String, GroupingError),
    #[error("{0}")]
    Invalid(String),
}

fn check_options(o: &InspectOptions) -> Result<(), InspectError> {
    let e = &o.expected;
    for (name, v) in
        [("FMR", e.fmr), ("FNMR", e.fnmr), ("FPIR", e.fpir), ("FNIR", e.fnir), ("alpha", o.alpha), ("power", o.power)]
    {
        if !(v > 0.0 && v < 1.0) {
            return Err(InspectError::Invalid(format!("{name} {v} must be strictly between 0 and 1")));
        }
    }
    if !(o.ratio > 1.0 && o.ratio.is_finite()) {
        return Err(InspectError::Invalid(format!("ratio {} must be a number greater than 1", o.ratio)));
    }
    if !(o.brightness_margin >= 0.0 && o.brightness_margin.is_finite()) {
        return Err(InspectError::Invalid(format!("brightness margin {} must be >= 0", o.brightness_margin)));
    }
    if !(o.sharpness_ratio >= 1.0 && o.sharpness_ratio.is_finite()) {
        return Err(InspectError::Invalid(format!("sharpness ratio {} must be >= 1", o.sharpness_ratio)));
    }
    Ok(())
}

/// Inspect a loaded benchmark; `dir` is its folder (for relative media paths and the
/// manifest's identity marker).
pub fn inspect(bench: &Benchmark, dir: &Path, options: &InspectOptions) -> Result<Inspection, InspectError> {
    check_options(options)?;
    let pop = &bench.population;
    let groupings: Vec<Grouping> = if options.groupings.is_empty() {
        pop.default_groupings().into_iter().filter(|g| !g.attributes.is_empty()).collect()
    } else {
        options.groupings.clone()
    };
    let codes: Vec<GroupCodes> = groupings
        .iter()
        .map(|g| pop.group_codes(g).map_err(|e| InspectError::Grouping(g.name(), e)))
        .collect::<Result<_, _>>()?;
    let mut warnings = Vec::new();
    let population = population_counts(bench, &codes);
    let protocols: Vec<ProtocolCounts> =
        bench.protocols.iter().map(|p| protocol_counts(bench, p, &codes, options)).collect();
    for p in &protocols {
        for g in &p.groupings {
            let false_negative: Vec<(&str, &Detectability)> =
                g.groups.iter().map(|r| (r.group.as_str(), &r.false_negative)).collect();
            let false_positive: Vec<(&str, &Detectability)> =
                g.groups.iter().map(|r| (r.group.as_str(), &r.false_positive)).collect();
            for rows in [false_negative, false_positive] {
                warnings.extend(detectability_warning(&p.name, &g.grouping, &rows, options.ratio));
            }
        }
    }
    let images = images::report(bench, dir, &codes, options);
    warnings.extend(images.warnings());
    let no_identities = crate::protocol_builder::identity_marker(dir);
    if let Some(key) = &no_identities {
        warnings.push(format!(
            "the manifest says the benchmark has no subject identities ({key}): its trials are not identity trials"
        ));
    }
    Ok(Inspection {
        benchmark: Summary {
            name: bench.name.clone(),
            version: bench.version.clone(),
            licence: bench.licence.clone(),
            content_hash: bench.content_hash.clone(),
            subjects: pop.subjects.len(),
            samples: bench.samples.len(),
            media: images::media_kind(bench),
            no_identities,
        },
        settings: Settings {
            expected_rates: options.expected,
            ratio: options.ratio,
            alpha: options.alpha,
            power: options.power,
            test: "two-sided Fisher exact test of each group against the other group with the most trials \
                   (harness::stats::power::minimum_detectable_ratio)",
            brightness_margin: options.brightness_margin,
            sharpness_ratio: options.sharpness_ratio,
            quartiles: "linear interpolation between order statistics (numpy's default)",
        },
        provenance: pop
            .attributes
            .iter()
            .map(|a| LabelProvenance {
                attribute: a.clone(),
                provenance: pop.provenance.get(a).cloned().unwrap_or_else(|| "undeclared".into()),
            })
            .collect(),
        population,
        protocols,
        images,
        warnings,
    })
}

/// One line naming every group of a grouping too small to detect `ratio` in one rate.
fn detectability_warning(
    protocol: &str,
    grouping: &str,
    rows: &[(&str, &Detectability)],
    ratio: f64,
) -> Option<String> {
    let short: Vec<String> = rows
        .iter()
        .filter(|(_, d)| !d.enough && d.trials > 0 && d.compared_with.is_some())
        .map(|(group, d)| {
            let against = d.compared_with.as_deref().unwrap_or("");
            match d.minimum_detectable_ratio {
                Some(r) => {
                    format!("`{group}` ({} trials: minimum detectable ratio {r:.2} against `{against}`)", d.trials)
                }
                None => format!("`{group}` ({} trials: no minimum detectable ratio, not even a rate of 1)", d.trials),
            }
        })
        .collect();
    let (metric, expected) = rows.first().map(|(_, d)| (d.metric.to_uppercase(), d.expected_rate))?;
    (!short.is_empty()).then(|| {
        format!(
            "protocol `{protocol}`, {grouping}, {metric} (expected {expected}): too few trials to detect a {ratio}x \
             differential for {}",
            short.join(", ")
        )
    })
}

fn population_counts(bench: &Benchmark, codes: &[GroupCodes]) -> Vec<PopulationGrouping> {
    let mut per_subject = vec![0u64; bench.population.subjects.len()];
    for &s in &bench.samples.subject {
        if let Some(n) = per_subject.get_mut(s as usize) {
            *n += 1;
        }
    }
    codes
        .iter()
        .map(|c| {
            let mut groups: Vec<PopulationGroup> = c
                .labels
                .iter()
                .map(|l| PopulationGroup { group: l.clone(), subjects: 0, samples: 0, single_sample_subjects: 0 })
                .collect();
            for (s, &g) in c.of_subject.iter().enumerate() {
                let row = &mut groups[g as usize];
                row.subjects += 1;
                row.samples += per_subject[s];
                row.single_sample_subjects += u64::from(per_subject[s] == 1);
            }
            PopulationGrouping { grouping: c.grouping.name(), groups }
        })
        .collect()
}

/// Trial counts per group of one grouping (`None` codes: everyone in one group).
fn count(bench: &Benchmark, protocol: &Protocol, codes: Option<&GroupCodes>) -> Vec<TrialCounts> {
    let n_groups = codes.map_or(1, GroupCodes::n_groups);
    let group = |sample: u32| {
        let s = bench.samples.subject[sample as usize] as usize;
        codes.map_or(0, |c| c.of_subject[s] as usize)
    };
    let mut out = vec![TrialCounts::default(); n_groups];
    let mut seen = vec![false; bench.population.subjects.len()];
    let mut take_part = |sample: u32, out: &mut Vec<TrialCounts>| {
        let s = bench.samples.subject[sample as usize] as usize;
        if !std::mem::replace(&mut seen[s], true) {
            out[group(sample)].subjects += 1;
        }
    };
    match protocol {
        Protocol::Verification(VerificationProtocol { probe, reference, .. }) => {
            for row in out.iter_mut() {
                row.non_mated_cross_group = Some(0);
            }
            for (&p, &r) in probe.iter().zip(reference) {
                take_part(p, &mut out);
                take_part(r, &mut out);
                let (gp, gr) = (group(p), group(r));
                let row = &mut out[gp];
                if bench.samples.subject[p as usize] == bench.samples.subject[r as usize] {
                    row.mated += 1;
                } else if gp == gr {
                    row.non_mated += 1;
                } else if let Some(c) = row.non_mated_cross_group.as_mut() {
                    *c += 1;
                }
            }
        }
        Protocol::Identification(s) | Protocol::Watchlist(s) => {
            let SearchProtocol { gallery, mated, non_mated, gallery_sizes, .. } = s;
            let mut position = vec![usize::MAX; bench.population.subjects.len()];
            let mut next = 0;
            for &g in gallery {
                take_part(g, &mut out);
                let subject = bench.samples.subject[g as usize] as usize;
                if position[subject] == usize::MAX {
                    position[subject] = next;
                    next += 1;
                }
            }
            let k = gallery_sizes.len();
            for row in out.iter_mut() {
                row.gallery_subjects = Some(vec![0; k]);
                if matches!(protocol, Protocol::Identification(_)) {
                    row.mated_per_gallery_size = Some(vec![0; k]);
                }
            }
            let within = |pos: usize| gallery_sizes.iter().map(move |&n| pos < n);
            for (subject, &pos) in position.iter().enumerate() {
                if pos == usize::MAX {
                    continue;
                }
                let g = codes.map_or(0, |c| c.of_subject[subject] as usize);
                if let Some(v) = out[g].gallery_subjects.as_mut() {
                    for (slot, inside) in v.iter_mut().zip(within(pos)) {
                        *slot += u64::from(inside);
                    }
                }
            }
            for &m in mated {
                take_part(m, &mut out);
                let row = &mut out[group(m)];
                row.mated += 1;
                let pos = position[bench.samples.subject[m as usize] as usize];
                if let Some(v) = row.mated_per_gallery_size.as_mut() {
                    for (slot, inside) in v.iter_mut().zip(within(pos)) {
                        *slot += u64::from(inside);
                    }
                }
            }
            for &n in non_mated {
                take_part(n, &mut out);
                out[group(n)].non_mated += 1;
            }
        }
    }
    out
}

/// Counts of one protocol per group of each of the benchmark's default groupings (each
/// attribute alone and the intersection of all), with the default detectability options.
pub fn default_protocol_counts(bench: &Benchmark, protocol: &Protocol) -> ProtocolCounts {
    let codes: Vec<GroupCodes> = bench
        .population
        .default_groupings()
        .into_iter()
        .filter(|g| !g.attributes.is_empty())
        .filter_map(|g| bench.population.group_codes(&g).ok())
        .collect();
    protocol_counts(bench, protocol, &codes, &InspectOptions::default())
}

/// Counts of one protocol per group of each grouping, with detectability.
pub fn protocol_counts(
    bench: &Benchmark,
    protocol: &Protocol,
    codes: &[GroupCodes],
    options: &InspectOptions,
) -> ProtocolCounts {
    let (candidates, gallery_sizes) = match protocol {
        Protocol::Verification(_) => (None, None),
        Protocol::Identification(s) | Protocol::Watchlist(s) => (Some(s.candidates), Some(s.gallery_sizes.clone())),
    };
    let (fn_metric, fn_rate, fp_metric, fp_rate) = match protocol {
        Protocol::Verification(_) => ("fnmr", options.expected.fnmr, "fmr", options.expected.fmr),
        _ => ("fnir", options.expected.fnir, "fpir", options.expected.fpir),
    };
    let mut totals = count(bench, protocol, None).pop().unwrap_or_default();
    // With everyone in one group, no pair crosses groups: the split means nothing here.
    totals.non_mated_cross_group = None;
    let groupings = codes
        .iter()
        .map(|c| {
            let rows = count(bench, protocol, Some(c));
            let mated: Vec<u64> = rows.iter().map(|r| r.mated).collect();
            let non_mated: Vec<u64> = rows.iter().map(|r| r.non_mated).collect();
            let groups = rows
                .into_iter()
                .enumerate()
                .map(|(g, counts)| ProtocolGroup {
                    group: c.labels[g].clone(),
                    counts,
                    false_negative: detectability(fn_metric, fn_rate, &mated, &c.labels, g, options),
                    false_positive: detectability(fp_metric, fp_rate, &non_mated, &c.labels, g, options),
                })
                .collect();
            ProtocolGrouping { grouping: c.grouping.name(), groups }
        })
        .collect();
    ProtocolCounts {
        name: protocol.name().to_string(),
        kind: protocol.kind().name(),
        candidates,
        gallery_sizes,
        totals,
        groupings,
    }
}

/// Minimum detectable ratio of group `g`'s rate against the other group with the most
/// trials, both at the expected rate: the best comparison this group can be part of, so
/// a group flagged here cannot detect the ratio against any other group.
fn detectability(
    metric: &'static str,
    rate: f64,
    trials: &[u64],
    labels: &[String],
    g: usize,
    options: &InspectOptions,
) -> Detectability {
    let mut d = Detectability {
        metric,
        expected_rate: rate,
        trials: trials[g],
        compared_with: None,
        compared_trials: None,
        minimum_detectable_ratio: None,
        method: None,
        enough: false,
        note: None,
    };
    let other = (0..trials.len())
        .filter(|&h| h != g && trials[h] > 0)
        .max_by(|&a, &b| trials[a].cmp(&trials[b]).then(b.cmp(&a)));
    if trials[g] == 0 {
        d.note = Some("no trials".into());
        return d;
    }
    let Some(h) = other else {
        d.note = Some("no other group with trials to compare with".into());
        return d;
    };
    d.compared_with = Some(labels[h].clone());
    d.compared_trials = Some(trials[h]);
    match minimum_detectable_ratio_within(
        rate,
        trials[h],
        trials[g],
        options.alpha,
        options.power,
        Alternative::TwoSided,
        DETECTABILITY_BUDGET,
    ) {
        Ok(m) => {
            d.method = Some(match m.method {
                harness::stats::PowerMethod::ExactEnumeration => "exact",
                harness::stats::PowerMethod::ArcsineApproximation => "arcsine-approximation",
            });
            d.minimum_detectable_ratio = m.ratio;
            d.enough = m.ratio.is_some_and(|r| r <= options.ratio);
            if m.ratio.is_none() {
                d.note = Some("not detectable even at a rate of 1".into());
            }
        }
        Err(e) => d.note = Some(e.to_string()),
    }
    d
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
