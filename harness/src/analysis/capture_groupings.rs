//! Groupings by capture attribute (docs/metrics.md, "Groupings by capture attribute"):
//! `--group camera`, `--group face_size`, `--group ethnicity,camera`. A capture attribute
//! belongs to a sample, not to a subject, so a subject can be in several of its groups.
//!
//! Every analysis downstream (rates, intervals, the subject bootstrap, the tests between
//! groups, curves) groups *subjects*. A capture grouping reuses all of it unchanged on a
//! derived population whose units are (subject, capture group) pairs: a trial is moved
//! to the unit of its subject and of the group its capture rule picks. The rules:
//! - a mated 1:1 pair and a search take the probe's (searched sample's) capture;
//! - a non-mated 1:1 pair puts each side in its own sample's group, so it counts in a
//!   group's FMR when both captures are in that group (as both subjects must be for a
//!   demographic group), and in the cross-group table otherwise.
//!
//! Mated-ness is kept: both sides of a mated pair go to the same unit, and a search's
//! candidate is its mate exactly when it was before. The pooled trials (`all`) are the
//! same multiset of scores, so the thresholds calibrated on them are the same. The
//! bootstrap resamples the units within each group: within a group this is the subject
//! bootstrap; across groups it treats a subject's captures in different groups as
//! independent (docs/metrics.md states what that means for the tests).

use crate::analysis::capture_bands::{band_labels, quartile_edges};
use crate::analysis::covariate::{Covariate, covariate};
use crate::analysis::protocol::{AnalysisError, analyse_search, analyse_verification};
use crate::model::analysis::{AnalysisConfig, CaptureAttribute, ProtocolAnalysis};
use crate::model::benchmark::{Benchmark, Protocol, Samples};
use crate::model::population::{Grouping, Population, Subject};
use crate::model::trials::{SearchTrials, VerificationTrials};
use crate::run::runner::ProtocolTrials;
use crate::vendor::DeclaredThreshold;
use std::collections::BTreeMap;

/// A numeric capture column with more distinct values than this is banded by quartiles.
pub const MAX_LEVELS: usize = 8;

/// The group of a sample without a value.
pub const UNKNOWN: &str = "unknown";

/// How the capture column `name` splits the samples, or `None` where there is no such
/// column. A column whose known values are all numbers and take more than
/// [`MAX_LEVELS`] distinct values is banded by its quartiles over the samples that have a
/// value (each edge once, none at the minimum); any other column's values are its groups.
pub fn describe(samples: &Samples, name: &str) -> Option<CaptureAttribute> {
    let cov = covariate(samples, name).ok()?;
    let unknown = samples.capture(name)?.values.iter().any(|v| v.trim().is_empty());
    let (edges, mut groups) = match &cov {
        Covariate::Numeric { values, .. } => {
            let mut v: Vec<f64> = values.iter().flatten().copied().collect();
            v.sort_by(f64::total_cmp);
            let mut distinct = v.clone();
            distinct.dedup();
            if distinct.len() > MAX_LEVELS {
                let edges = quartile_edges(&v);
                // Numbered so that the groups sort in the order of the bands.
                let names =
                    band_labels(name, &edges).iter().enumerate().map(|(i, b)| format!("{}: {b}", i + 1)).collect();
                (edges, names)
            } else {
                (Vec::new(), levels(samples, name))
            }
        }
        Covariate::Categorical { .. } => (Vec::new(), levels(samples, name)),
    };
    if unknown {
        groups.push(UNKNOWN.to_string());
    }
    groups.sort();
    groups.dedup();
    Some(CaptureAttribute { name: name.to_string(), edges, groups })
}

fn levels(samples: &Samples, name: &str) -> Vec<String> {
    let mut out: Vec<String> = samples
        .capture(name)
        .map(|c| c.values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// The group (an index into `attribute.groups`) of every sample.
fn group_of_samples(samples: &Samples, attribute: &CaptureAttribute) -> Vec<u32> {
    let index = |label: &str| attribute.groups.binary_search_by(|g| g.as_str().cmp(label)).unwrap_or(0) as u32;
    let column = samples.capture(&attribute.name).map(|c| c.values.as_slice()).unwrap_or_default();
    let unknown = index(UNKNOWN);
    (0..samples.len())
        .map(|s| {
            let v = column.get(s).map_or("", |v| v.trim());
            if v.is_empty() {
                unknown
            } else if attribute.edges.is_empty() {
                index(v)
            } else {
                let x: f64 = v.parse().unwrap_or(f64::NAN);
                attribute.edges.iter().filter(|&&e| x >= e).count() as u32
            }
        })
        .collect()
}

/// The units of one capture grouping: (subject, capture groups) pairs, numbered in their
/// sorted order, and the population they form.
struct Units {
    /// Per sample, the groups of the grouping's capture attributes.
    of_sample: Vec<Vec<u32>>,
    ids: BTreeMap<(u32, Vec<u32>), u32>,
}

impl Units {
    fn key(&self, subject: u32, sample: u32) -> (u32, Vec<u32>) {
        (subject, self.of_sample[sample as usize].clone())
    }

    fn id(&self, subject: u32, sample: u32) -> u32 {
        self.ids[&self.key(subject, sample)]
    }

    fn number(&mut self) {
        for (i, id) in self.ids.values_mut().enumerate() {
            *id = i as u32;
        }
    }

    fn population(&self, base: &Population, attributes: &[&CaptureAttribute]) -> Population {
        let mut names = base.attributes.clone();
        names.extend(attributes.iter().map(|a| a.name.clone()));
        let subjects = self
            .ids
            .keys()
            .map(|(s, groups)| {
                let subject = &base.subjects[*s as usize];
                let labels: Vec<String> =
                    attributes.iter().zip(groups).map(|(a, &g)| a.groups[g as usize].clone()).collect();
                let mut values = subject.attributes.clone();
                values.extend(labels.iter().cloned());
                Subject { id: format!("{}@{}", subject.id, labels.join("×")), attributes: values }
            })
            .collect();
        Population { attributes: names, subjects, provenance: base.provenance.clone() }
    }
}

/// The searches' samples in the order a search index counts them.
fn search_samples(p: &crate::model::benchmark::SearchProtocol) -> Vec<u32> {
    p.mated.iter().chain(&p.non_mated).copied().collect()
}

/// One protocol's trials moved to the units of a capture grouping, and their population.
fn split(
    bench: &Benchmark,
    attributes: &[&CaptureAttribute],
    protocol: &Protocol,
    trials: &ProtocolTrials,
) -> (Population, ProtocolTrials) {
    let per_attribute: Vec<Vec<u32>> = attributes.iter().map(|a| group_of_samples(&bench.samples, a)).collect();
    let of_sample = (0..bench.samples.len()).map(|s| per_attribute.iter().map(|g| g[s]).collect()).collect();
    let mut units = Units { of_sample, ids: BTreeMap::new() };
    match (protocol, trials) {
        (Protocol::Verification(p), ProtocolTrials::Verification(t)) => {
            // (probe unit, reference unit) of trial i.
            let sides = |i: usize| {
                let (a, b) = (t.probe_subject[i], t.reference_subject[i]);
                let probe = (a, p.probe[i]);
                (probe, if a == b { probe } else { (b, p.reference[i]) })
            };
            for i in 0..t.len() {
                let ((a, sa), (b, sb)) = sides(i);
                for k in [units.key(a, sa), units.key(b, sb)] {
                    units.ids.entry(k).or_insert(0);
                }
            }
            units.number();
            let mut out = VerificationTrials::default();
            for i in 0..t.len() {
                let ((a, sa), (b, sb)) = sides(i);
                out.probe_subject.push(units.id(a, sa));
                out.reference_subject.push(units.id(b, sb));
            }
            out.score = t.score.clone();
            out.failed = t.failed.clone();
            (units.population(&bench.population, attributes), ProtocolTrials::Verification(out))
        }
        (Protocol::Identification(p) | Protocol::Watchlist(p), ProtocolTrials::Search(all)) => {
            let samples = search_samples(p);
            for t in all {
                for i in 0..t.len() {
                    units.ids.entry(units.key(t.subject[i], samples[t.search[i] as usize])).or_insert(0);
                }
            }
            units.number();
            let moved = all
                .iter()
                .map(|t| {
                    let mut out = t.clone();
                    for i in 0..t.len() {
                        let unit = units.id(t.subject[i], samples[t.search[i] as usize]);
                        out.subject[i] = unit;
                        // A candidate is compared with its searcher only: the mate keeps
                        // the searcher's unit, any other subject none.
                        for c in t.offsets[i]..t.offsets[i + 1] {
                            out.candidate_subject[c] =
                                if t.candidate_subject[c] == t.subject[i] { unit } else { u32::MAX };
                        }
                    }
                    out
                })
                .collect::<Vec<SearchTrials>>();
            (units.population(&bench.population, attributes), ProtocolTrials::Search(moved))
        }
        _ => unreachable!("the runner produces trials of the protocol's own kind"),
    }
}

/// Analyse each capture grouping of `config` on `protocol` and add its rows (every table
/// but the pooled `all`, which the subject analysis already holds) to `out`.
pub fn add_capture_groupings(
    bench: &Benchmark,
    protocol: &Protocol,
    trials: &ProtocolTrials,
    config: &AnalysisConfig,
    declared: &[DeclaredThreshold],
    out: &mut ProtocolAnalysis,
) -> Result<(), AnalysisError> {
    for grouping in config.groupings.iter().filter(|g| config.is_capture_grouping(g)) {
        let attributes: Vec<&CaptureAttribute> = grouping
            .attributes
            .iter()
            .filter_map(|a| config.capture_attributes.iter().find(|c| &c.name == a))
            .collect();
        let (population, moved) = split(bench, &attributes, protocol, trials);
        let mut one = config.subject_groupings_only();
        one.groupings = vec![grouping.clone()];
        let analysis = match (protocol, &moved) {
            (Protocol::Verification(_), ProtocolTrials::Verification(t)) => {
                analyse_verification(protocol.name(), t, &population, &one, declared)?
            }
            (_, ProtocolTrials::Search(t)) => {
                analyse_search(protocol.name(), protocol.kind(), t, &population, &one, declared)?
            }
            _ => unreachable!("split keeps the trials' kind"),
        };
        merge(out, analysis, grouping);
    }
    Ok(())
}

/// Move `grouping`'s rows of `from` into `out`.
fn merge(out: &mut ProtocolAnalysis, from: ProtocolAnalysis, grouping: &Grouping) {
    let name = grouping.name();
    out.rates.extend(from.rates.into_iter().filter(|r| r.grouping == name));
    out.eer.extend(from.eer.into_iter().filter(|r| r.grouping == name));
    out.cross_group_fmr.extend(from.cross_group_fmr.into_iter().filter(|r| r.grouping == name));
    out.comparisons.extend(from.comparisons.into_iter().filter(|r| r.grouping == name));
    out.summaries.extend(from.summaries.into_iter().filter(|r| r.grouping == name));
    out.extrapolations.extend(from.extrapolations.into_iter().filter(|r| r.grouping == name));
    // The curves and histograms are per gallery size, on thresholds and edges taken from
    // the pooled scores, which the units do not change.
    for (mine, theirs) in out.curves.iter_mut().zip(from.curves) {
        debug_assert_eq!(mine.thresholds, theirs.thresholds);
        mine.groups.extend(theirs.groups.into_iter().filter(|g| g.grouping == name));
    }
    for (mine, theirs) in out.histograms.iter_mut().zip(from.histograms) {
        debug_assert_eq!(mine.edges, theirs.edges);
        mine.groups.extend(theirs.groups.into_iter().filter(|g| g.grouping == name));
    }
}

/// The capture attributes that `groupings` name and the population does not have, each
/// described from the samples; an attribute in neither is an error naming both lists.
pub fn capture_attributes(
    population: &Population,
    samples: &Samples,
    groupings: &[Grouping],
) -> Result<Vec<CaptureAttribute>, String> {
    let mut out: Vec<CaptureAttribute> = Vec::new();
    for g in groupings {
        for a in &g.attributes {
            if population.attribute_index(a).is_some() || out.iter().any(|c| &c.name == a) {
                continue;
            }
            match describe(samples, a) {
                Some(c) => out.push(c),
                None => {
                    let captures: Vec<&str> = samples.capture.iter().map(|c| c.name.as_str()).collect();
                    return Err(format!(
                        "unknown attribute `{a}` in grouping `{}`; the subjects' attributes are: {}; the capture columns are: {}",
                        g.name(),
                        population.attributes.join(", "),
                        if captures.is_empty() { "none".to_string() } else { captures.join(", ") }
                    ));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analysis::Metric;
    use crate::model::benchmark::{CaptureColumn, MediaSource, SearchProtocol, VerificationProtocol};

    /// Four subjects (`g`: A, A, B, B), two samples each: sample `2s` on camera `c1`,
    /// `2s + 1` on `c2`, except sample 6 (subject 3), whose camera is not recorded.
    fn bench(protocol: Protocol) -> Benchmark {
        let subjects = (0..4)
            .map(|i| Subject { id: format!("s{i}"), attributes: vec![if i < 2 { "A" } else { "B" }.into()] })
            .collect();
        let camera = |i: usize| match i {
            6 => String::new(),
            _ if i.is_multiple_of(2) => "c1".into(),
            _ => "c2".into(),
        };
        Benchmark {
            name: "b".into(),
            version: "1".into(),
            licence: "x".into(),
            content_hash: String::new(),
            population: Population { attributes: vec!["g".into()], subjects, provenance: Default::default() },
            samples: Samples {
                ids: (0..8).map(|i| format!("x{i}")).collect(),
                subject: (0..8).map(|i| i / 2).collect(),
                media: (0..8).map(|_| MediaSource::Inline(Vec::new())).collect(),
                capture: vec![CaptureColumn { name: "camera".into(), values: (0..8).map(camera).collect() }],
            },
            protocols: vec![protocol],
        }
    }

    fn config(bench: &Benchmark, groupings: &[&str]) -> AnalysisConfig {
        let groupings: Vec<Grouping> = groupings.iter().map(|g| Grouping::parse(g).unwrap()).collect();
        let mut c = AnalysisConfig::with_thresholds(vec![0.5], groupings.clone());
        c.capture_attributes = capture_attributes(&bench.population, &bench.samples, &groupings).unwrap();
        c.bootstrap_replicates = 50;
        c.fmr_targets = Vec::new();
        c.fpir_targets = Vec::new();
        c
    }

    /// (numerator, denominator) of `metric` for `group` of `grouping` at 0.5.
    fn count(a: &ProtocolAnalysis, metric: Metric, grouping: &str, group: &str) -> Option<(u64, u64)> {
        a.rates
            .iter()
            .find(|r| r.metric == metric && r.grouping == grouping && r.group == group && r.threshold == Some(0.5))
            .map(|r| (r.rate.numerator, r.rate.denominator))
    }

    fn verification() -> (Benchmark, Protocol, ProtocolTrials) {
        // (probe sample, reference sample, score): mated pairs take the probe's camera;
        // a non-mated pair is in a camera's FMR when both samples are.
        let pairs: [(u32, u32, f64); 7] = [
            (0, 1, 0.3), // s0 mated, c1: a false non-match
            (3, 2, 0.9), // s1 mated, c2
            (4, 5, 0.2), // s2 mated, c1: a false non-match
            (0, 2, 0.7), // s0-s1 non-mated, c1-c1: a false match
            (1, 3, 0.1), // s0-s1 non-mated, c2-c2
            (0, 3, 0.8), // c1-c2: cross-group only
            (6, 4, 0.6), // unknown-c1: cross-group only
        ];
        let p = VerificationProtocol {
            name: "v".into(),
            probe: pairs.iter().map(|p| p.0).collect(),
            reference: pairs.iter().map(|p| p.1).collect(),
        };
        let mut t = VerificationTrials::default();
        for &(a, b, s) in &pairs {
            t.push(a / 2, b / 2, Some(s));
        }
        let protocol = Protocol::Verification(p);
        (bench(protocol.clone()), protocol, ProtocolTrials::Verification(t))
    }

    fn analyse(bench: &Benchmark, p: &Protocol, t: &ProtocolTrials, config: &AnalysisConfig) -> ProtocolAnalysis {
        let subject = config.subject_groupings_only();
        let mut out = match t {
            ProtocolTrials::Verification(v) => analyse_verification("v", v, &bench.population, &subject, &[]),
            ProtocolTrials::Search(s) => analyse_search("w", p.kind(), s, &bench.population, &subject, &[]),
        }
        .unwrap();
        add_capture_groupings(bench, p, t, config, &[], &mut out).unwrap();
        out
    }

    #[test]
    fn a_pair_takes_its_probes_capture_and_a_non_mated_pair_both() {
        let (bench, p, t) = verification();
        let c = config(&bench, &["g", "camera", "g,camera"]);
        assert_eq!(c.capture_attributes[0].groups, ["c1", "c2", "unknown"]);
        let a = analyse(&bench, &p, &t, &c);
        assert_eq!(count(&a, Metric::Fnmr, "camera", "c1"), Some((2, 2)));
        assert_eq!(count(&a, Metric::Fnmr, "camera", "c2"), Some((0, 1)));
        assert_eq!(count(&a, Metric::Fmr, "camera", "c1"), Some((1, 1)));
        assert_eq!(count(&a, Metric::Fmr, "camera", "c2"), Some((0, 1)));
        assert_eq!(count(&a, Metric::Fnmr, "camera", "unknown"), Some((0, 0)));
        // The crossing: s1's mated pair is probed on c2.
        assert_eq!(count(&a, Metric::Fnmr, "g×camera", "A×c1"), Some((1, 1)));
        assert_eq!(count(&a, Metric::Fnmr, "g×camera", "A×c2"), Some((0, 1)));
        assert_eq!(count(&a, Metric::Fnmr, "g×camera", "B×c1"), Some((1, 1)));
        assert_eq!(count(&a, Metric::Fmr, "g×camera", "A×c1"), Some((1, 1)));
        // Subjects' groups are as before, and `all` is there once.
        assert_eq!(count(&a, Metric::Fnmr, "g", "A"), Some((1, 2)));
        assert_eq!(count(&a, Metric::Fmr, "all", "all"), Some((3, 4)));
        assert_eq!(a.rates.iter().filter(|r| r.grouping == "all" && r.metric == Metric::Fmr).count(), 1);
        let cross = |pg: &str, rg: &str| {
            a.cross_group_fmr
                .iter()
                .find(|c| c.grouping == "camera" && c.probe_group == pg && c.reference_group == rg)
                .map(|c| (c.rate.numerator, c.rate.denominator))
        };
        assert_eq!(cross("c1", "c2"), Some((1, 1)));
        assert_eq!(cross("unknown", "c1"), Some((1, 1)));
        assert_eq!(cross("c2", "c1"), Some((0, 0)));
        // Every rate of the capture grouping has its bootstrap interval, and is tested.
        assert!(a.rates.iter().filter(|r| r.grouping == "camera").all(|r| r.bootstrap.is_some()));
        assert!(a.comparisons.iter().any(|c| c.grouping == "camera"));
        assert!(a.eer.iter().any(|e| e.grouping == "camera" && e.group == "c1"));
        for curves in &a.curves {
            assert!(curves.groups.iter().any(|g| g.grouping == "camera"));
        }
    }

    #[test]
    fn capture_groupings_leave_the_subjects_analysis_as_it_was() {
        let (bench, p, t) = verification();
        let with = analyse(&bench, &p, &t, &config(&bench, &["g", "camera"]));
        let without = analyse(&bench, &p, &t, &config(&bench, &["g"]));
        let subjects =
            |a: &ProtocolAnalysis| a.rates.iter().filter(|r| r.grouping != "camera").cloned().collect::<Vec<_>>();
        assert_eq!(subjects(&with), subjects(&without));
        assert_eq!(with.thresholds, without.thresholds);
    }

    #[test]
    fn a_search_keeps_its_mate_and_takes_the_searched_samples_capture() {
        // Gallery: s0 and s1. Mated searches: x1 (s0, c2) finds s0 at rank 1 (0.9);
        // x2 (s1, c1) has s0 first (0.7) and its mate second (0.4): a miss at 0.5.
        // Non-mated: x4 (s2, c1) alerts at 0.6; x6 (s3, unknown) does not.
        let sp = SearchProtocol {
            name: "w".into(),
            gallery: vec![0, 3],
            mated: vec![1, 2],
            non_mated: vec![4, 6],
            candidates: 2,
            gallery_sizes: vec![2],
        };
        let mut t = SearchTrials::new(2, 2);
        t.push(0, 0, true, Some(&[(0, 0.9), (1, 0.2)]));
        t.push(1, 1, true, Some(&[(0, 0.7), (1, 0.4)]));
        t.push(2, 2, false, Some(&[(1, 0.6), (0, 0.3)]));
        t.push(3, 3, false, Some(&[(0, 0.2), (1, 0.1)]));
        let protocol = Protocol::Watchlist(sp);
        let bench = bench(protocol.clone());
        let trials = ProtocolTrials::Search(vec![t]);
        let a = analyse(&bench, &protocol, &trials, &config(&bench, &["camera"]));
        assert_eq!(count(&a, Metric::Fnir, "camera", "c2"), Some((0, 1)));
        assert_eq!(count(&a, Metric::Fnir, "camera", "c1"), Some((1, 1)));
        assert_eq!(count(&a, Metric::Fpir, "camera", "c1"), Some((1, 1)));
        assert_eq!(count(&a, Metric::Fpir, "camera", "unknown"), Some((0, 1)));
        assert_eq!(count(&a, Metric::Fnir, "all", "all"), Some((1, 2)));
    }

    fn numeric(values: &[&str]) -> Samples {
        Samples {
            ids: (0..values.len()).map(|i| format!("x{i}")).collect(),
            subject: vec![0; values.len()],
            media: values.iter().map(|_| MediaSource::Inline(Vec::new())).collect(),
            capture: vec![CaptureColumn {
                name: "size".into(),
                values: values.iter().map(|v| v.to_string()).collect(),
            }],
        }
    }

    #[test]
    fn a_numeric_column_with_many_values_is_banded_by_its_quartiles() {
        // 12 known values 10, 20, ..., 120 and one unknown: order statistics 2, 5 and 8
        // (⌊p·11⌋) are 30, 60 and 90.
        let mut values: Vec<String> = (1..=12).map(|i| (i * 10).to_string()).collect();
        values.push(" ".into());
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let samples = numeric(&refs);
        let a = describe(&samples, "size").unwrap();
        assert_eq!(a.edges, [30.0, 60.0, 90.0]);
        assert_eq!(a.groups, ["1: size < 30", "2: 30 <= size < 60", "3: 60 <= size < 90", "4: size >= 90", "unknown"]);
        let groups = group_of_samples(&samples, &a);
        assert_eq!(groups, [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4]);
        // Eight distinct numbers or fewer are levels.
        let few = describe(&numeric(&["1", "2", "2", "3"]), "size").unwrap();
        assert!(few.edges.is_empty());
        assert_eq!(few.groups, ["1", "2", "3"]);
        assert_eq!(describe(&samples, "camera"), None);
    }

    #[test]
    fn an_unknown_attribute_names_the_subjects_attributes_and_the_capture_columns() {
        let (bench, _, _) = verification();
        let e =
            capture_attributes(&bench.population, &bench.samples, &[Grouping::parse("g,lens").unwrap()]).unwrap_err();
        assert_eq!(
            e,
            "unknown attribute `lens` in grouping `g×lens`; the subjects' attributes are: g; the capture columns are: camera"
        );
    }
}
