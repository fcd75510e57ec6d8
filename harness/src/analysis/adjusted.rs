//! Is the differential the algorithm's or the capture's? Per error indicator, threshold
//! and grouping, a logistic model of the error on group alone and on group plus the
//! named capture covariates, with subject-clustered intervals (docs/metrics.md,
//! "Adjusted differentials"), and each covariate's distribution per group.
//!
//! A search's covariate value is its search sample's (the capture that was searched; the
//! gallery is the same for every search). A 1:1 comparison has two captures, and each
//! covariate enters its models twice: the probe's value and the reference's. Trials and groups are those of the rates: a
//! mated trial or a search belongs to its subject's group; a group's FMR uses the
//! non-mated pairs whose two subjects are both in it.

use crate::analysis::capture_bands::{Bands, order_statistic, rates_by_band};
use crate::analysis::covariate::Covariate;
use crate::analysis::protocol::AnalysisError;
use crate::metrics::identification::{mate_score_within_rank, search_columns};
use crate::model::adjusted::{
    AdjustedDifferential, AdjustedGroup, CovariateDistribution, CovariateEffect, CovariateRate, OddsRatio,
};
use crate::model::analysis::{AnalysisConfig, Metric};
use crate::model::benchmark::{Benchmark, Protocol};
use crate::model::population::{GroupCodes, Grouping};
use crate::model::thresholds::OperatingPoint;
use crate::run::runner::ProtocolTrials;
use crate::stats::logistic::{Design, LogisticFit, fit};
use crate::vendor::DeclaredThreshold;
use rayon::prelude::*;

/// One trial of an error indicator: the sample whose capture it takes, its subject
/// (the cluster), its group, and whether it is an error at the threshold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Trial {
    pub(super) sample: u32,
    /// 1:1: the reference sample, whose covariates enter the model too.
    pub(super) reference: Option<u32>,
    pub(super) subject: u32,
    pub(super) group: u32,
    pub(super) score: f64,
}

/// The trials of one indicator: errors are `score >= T` (false match, false alert) or
/// `score < T` (false non-match, miss).
pub(super) struct Indicator {
    pub(super) metric: Metric,
    pub(super) gallery_size: Option<u64>,
    pub(super) rank: Option<u32>,
    pub(super) kind: &'static str,
    error_at_or_above: bool,
    pub(super) trials: Vec<Trial>,
}

impl Indicator {
    pub(super) fn error(&self, t: &Trial, threshold: f64) -> bool {
        (t.score >= threshold) == self.error_at_or_above
    }
}

fn indicators(protocol: &Protocol, trials: &ProtocolTrials, codes: &GroupCodes) -> Vec<Indicator> {
    let group = |subject: u32| codes.of_subject[subject as usize];
    match (protocol, trials) {
        (Protocol::Verification(p), ProtocolTrials::Verification(t)) => {
            let (mut mated, mut non_mated) = (Vec::new(), Vec::new());
            for i in 0..t.len() {
                let (a, b) = (t.probe_subject[i], t.reference_subject[i]);
                let trial = Trial {
                    sample: p.probe[i],
                    reference: Some(p.reference[i]),
                    subject: a,
                    group: group(a),
                    score: t.score[i],
                };
                if a == b {
                    mated.push(trial);
                } else if group(a) == group(b) {
                    non_mated.push(trial);
                }
            }
            vec![
                Indicator {
                    metric: Metric::Fnmr,
                    gallery_size: None,
                    rank: None,
                    kind: "mated",
                    error_at_or_above: false,
                    trials: mated,
                },
                Indicator {
                    metric: Metric::Fmr,
                    gallery_size: None,
                    rank: None,
                    kind: "non-mated",
                    error_at_or_above: true,
                    trials: non_mated,
                },
            ]
        }
        (Protocol::Identification(p) | Protocol::Watchlist(p), ProtocolTrials::Search(all)) => {
            // The whole gallery: the largest size.
            let Some(t) = all.iter().max_by_key(|t| t.gallery_size) else { return Vec::new() };
            let searches: Vec<u32> = p.mated.iter().chain(&p.non_mated).copied().collect();
            let c = search_columns(t);
            let l = t.candidates as u32;
            let within = mate_score_within_rank(&c, l);
            let (mut mated, mut non_mated) = (Vec::new(), Vec::new());
            for i in 0..t.len() {
                let s = t.subject[i];
                let sample = searches[t.search[i] as usize];
                if t.mated[i] {
                    mated.push(Trial { sample, reference: None, subject: s, group: group(s), score: within[i] });
                } else {
                    non_mated.push(Trial {
                        sample,
                        reference: None,
                        subject: s,
                        group: group(s),
                        score: c.top_score[i],
                    });
                }
            }
            let size = Some(t.gallery_size as u64);
            vec![
                Indicator {
                    metric: Metric::Fnir,
                    gallery_size: size,
                    rank: Some(l),
                    kind: "mated",
                    error_at_or_above: false,
                    trials: mated,
                },
                Indicator {
                    metric: Metric::Fpir,
                    gallery_size: size,
                    rank: None,
                    kind: "non-mated",
                    error_at_or_above: true,
                    trials: non_mated,
                },
            ]
        }
        _ => Vec::new(),
    }
}

/// The thresholds the models are fitted at: the grid and the declared ones, each once
/// (a declared threshold keeps its label).
fn thresholds(config: &AnalysisConfig, declared: &[DeclaredThreshold]) -> Vec<(f64, OperatingPoint)> {
    let mut out: Vec<(f64, OperatingPoint)> =
        declared.iter().map(|d| (d.value, OperatingPoint::Declared { label: d.label.clone() })).collect();
    for &t in &config.thresholds {
        if !out.iter().any(|(u, _)| *u == t) {
            out.push((t, OperatingPoint::Grid));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

fn odds_ratios(f: &LogisticFit, columns: std::ops::Range<usize>, config: &AnalysisConfig) -> Vec<OddsRatio> {
    let p: Vec<f64> = columns.clone().map(|j| f.p_value(j)).collect();
    let holm = crate::stats::holm(&p).unwrap_or_else(|_| p.clone());
    columns
        .enumerate()
        .map(|(i, j)| {
            let (low, high) = f.interval(j, config.confidence);
            OddsRatio {
                odds_ratio: f.coefficients[j].exp(),
                low: low.exp(),
                high: high.exp(),
                p_value: p[i],
                p_holm: holm[i],
                significant: holm[i] < config.alpha,
            }
        })
        .collect()
}

/// Names of the columns a covariate adds, and for a categorical one the levels they
/// indicate.
type Columns = (Vec<String>, Vec<u32>);

/// The columns one covariate adds for the given trials: names and a row writer; `Err`
/// says why it cannot enter the model (one level or one value among these trials).
fn covariate_columns(cov: &Covariate, samples: &[u32], side: &str) -> Result<Columns, String> {
    match cov {
        Covariate::Numeric { name, values } => {
            let first = samples.first().and_then(|&s| values[s as usize]);
            if samples.iter().all(|&s| values[s as usize] == first) {
                let v = first.map(|v| v.to_string()).unwrap_or_default();
                return Err(format!(
                    "covariate `{name}`{side} has one value ({v}) in these trials: it cannot explain a difference"
                ));
            }
            Ok((vec![format!("{name}{side}")], Vec::new()))
        }
        Covariate::Categorical { name, levels, codes } => {
            let mut count = vec![0u64; levels.len()];
            for &s in samples {
                if let Some(c) = codes[s as usize] {
                    count[c as usize] += 1;
                }
            }
            let present: Vec<u32> = (0..levels.len() as u32).filter(|&l| count[l as usize] > 0).collect();
            if present.len() < 2 {
                let level = present.first().map(|&l| levels[l as usize].as_str()).unwrap_or("");
                return Err(format!(
                    "covariate `{name}`{side} has one level (`{level}`) in these trials: it cannot explain a difference"
                ));
            }
            // The most common level is the baseline (the first in level order on a tie).
            let base =
                present.iter().copied().max_by(|&a, &b| count[a as usize].cmp(&count[b as usize]).then(b.cmp(&a)));
            let kept: Vec<u32> = present.into_iter().filter(|&l| Some(l) != base).collect();
            Ok((kept.iter().map(|&l| format!("{name}={}{side}", levels[l as usize])).collect(), kept))
        }
    }
}

/// What the capture analysis of one protocol gives.
#[derive(Debug, Default)]
pub struct CaptureAnalysis {
    pub adjusted: Vec<AdjustedDifferential>,
    pub distributions: Vec<CovariateDistribution>,
    pub rates: Vec<CovariateRate>,
}

/// Analyse one protocol: models for every grouping of the config (not `all`), every
/// indicator and every threshold; the covariates' distributions per group; and the error
/// rates per group and covariate band (for every grouping, `all` included).
pub fn adjusted_differentials(
    bench: &Benchmark,
    protocol: &Protocol,
    trials: &ProtocolTrials,
    covariates: &[Covariate],
    config: &AnalysisConfig,
    declared: &[DeclaredThreshold],
) -> Result<CaptureAnalysis, AnalysisError> {
    let mut out = CaptureAnalysis::default();
    let at = thresholds(config, declared);
    // Band edges come from every trial of a kind (the `all` grouping), so that a band
    // means the same for every grouping.
    let everyone = bench.population.group_codes(&Grouping::all())?;
    let bands: Vec<(&'static str, Vec<Bands>)> = indicators(protocol, trials, &everyone)
        .iter()
        .map(|ind| (ind.kind, covariates.iter().map(|c| Bands::of(c, &ind.trials)).collect()))
        .collect();
    let groupings =
        std::iter::once(Grouping::all()).chain(config.groupings.iter().filter(|g| !g.attributes.is_empty()).cloned());
    for grouping in groupings {
        let codes = bench.population.group_codes(&grouping)?;
        for ind in indicators(protocol, trials, &codes).into_iter().filter(|i| !i.trials.is_empty()) {
            let Some((_, edges)) = bands.iter().find(|(k, _)| *k == ind.kind) else { continue };
            for (t, op) in &at {
                out.rates.extend(rates_by_band(&ind, *t, op, &codes, covariates, edges, config));
            }
            if grouping.attributes.is_empty() {
                continue;
            }
            out.distributions.extend(distributions_of(&ind, &codes, covariates));
            let jobs: Vec<_> = at.iter().collect();
            let fitted: Vec<AdjustedDifferential> =
                jobs.par_iter().map(|(t, op)| model(&ind, *t, op, &codes, covariates, config)).collect();
            out.adjusted.extend(fitted);
        }
    }
    Ok(out)
}

fn model(
    ind: &Indicator,
    threshold: f64,
    op: &OperatingPoint,
    codes: &GroupCodes,
    covariates: &[Covariate],
    config: &AnalysisConfig,
) -> AdjustedDifferential {
    let g = codes.n_groups();
    let used: Vec<&Trial> = ind
        .trials
        .iter()
        .filter(|t| covariates.iter().all(|c| c.known(t.sample) && t.reference.is_none_or(|r| c.known(r))))
        .collect();
    let paired = ind.trials.first().is_some_and(|t| t.reference.is_some());
    // Each covariate on each side: (covariate, which sample, name suffix).
    let sides: Vec<(&Covariate, bool)> =
        covariates.iter().flat_map(|c| std::iter::once((c, false)).chain(paired.then_some((c, true)))).collect();
    let side_sample = |t: &Trial, reference: bool| if reference { t.reference.unwrap_or(t.sample) } else { t.sample };
    // A numeric covariate is centred at its mean over the model's trials: the odds ratios
    // are unchanged, and the intercept stays near the log odds of the reference group
    // (a log-scale covariate far from 0 would otherwise push it past the fit's bound).
    let centre: Vec<f64> = sides
        .iter()
        .map(|&(cov, side)| match cov {
            Covariate::Numeric { values, .. } if !used.is_empty() => {
                used.iter().map(|t| values[side_sample(t, side) as usize].unwrap_or(0.0)).sum::<f64>()
                    / used.len() as f64
            }
            _ => 0.0,
        })
        .collect();
    let mut errors = vec![0u64; g];
    let mut totals = vec![0u64; g];
    for t in &used {
        totals[t.group as usize] += 1;
        errors[t.group as usize] += ind.error(t, threshold) as u64;
    }
    // The reference: the configured group where this grouping has it, or the lowest rate
    // (the first in label order on a tie) among the groups with trials.
    let rate = |i: usize| errors[i] as f64 / totals[i] as f64;
    let reference = config
        .reference_group
        .as_deref()
        .and_then(|r| codes.labels.iter().position(|l| l == r))
        .filter(|&r| totals[r] > 0)
        .or_else(|| (0..g).filter(|&i| totals[i] > 0).min_by(|&a, &b| rate(a).total_cmp(&rate(b)).then(a.cmp(&b))))
        .unwrap_or(0);
    let others: Vec<usize> = (0..g).filter(|&i| i != reference && totals[i] > 0).collect();
    let mut subjects: Vec<u32> = used.iter().map(|t| t.subject).collect();
    subjects.sort_unstable();
    subjects.dedup();

    let group_names: Vec<String> = std::iter::once("intercept".to_string())
        .chain(others.iter().map(|&i| format!("group {}", codes.labels[i])))
        .collect();
    let build = |extra: &[Columns], names: Vec<String>| -> Design {
        let mut d = Design::new(names);
        let mut row = Vec::with_capacity(d.columns);
        for t in &used {
            row.clear();
            row.push(1.0);
            row.extend(others.iter().map(|&i| (t.group as usize == i) as u8 as f64));
            for ((&(cov, side), (_, kept)), centre) in sides.iter().zip(extra).zip(&centre) {
                let sample = side_sample(t, side) as usize;
                match cov {
                    Covariate::Numeric { values, .. } => row.push(values[sample].unwrap_or(0.0) - centre),
                    Covariate::Categorical { codes, .. } => {
                        let c = codes[sample];
                        row.extend(kept.iter().map(|&l| (c == Some(l)) as u8 as f64));
                    }
                }
            }
            d.push(&row, ind.error(t, threshold), t.subject);
        }
        d
    };
    let why = |e: crate::stats::logistic::LogisticError| e.to_string().replace("`intercept`", "the reference group");
    let k = others.len();
    // A group whose trials are all errors or all not (the reference group included)
    // makes every odds ratio against it infinite or zero: separation, named here.
    let separated = (0..g).find(|&i| totals[i] > 0 && (errors[i] == 0 || errors[i] == totals[i]));
    let unadjusted = if others.is_empty() {
        Err("fewer than two groups have trials".to_string())
    } else if let Some(i) = separated
        && errors.iter().sum::<u64>() > 0
    {
        Err(format!(
            "group {} has {} errors in {} trials at this threshold, so its odds ratio is not finite (separation)",
            codes.labels[i], errors[i], totals[i]
        ))
    } else {
        fit(&build(&[], group_names.clone())).map_err(why)
    };
    let extra: Result<Vec<Columns>, String> = sides
        .iter()
        .map(|&(c, side)| {
            let samples: Vec<u32> = used.iter().map(|t| side_sample(t, side)).collect();
            let label = match (paired, side) {
                (false, _) => "",
                (true, false) => " (probe)",
                (true, true) => " (reference)",
            };
            covariate_columns(c, &samples, label)
        })
        .collect();
    let adjusted = match (&unadjusted, extra) {
        (Err(e), _) => Err(format!("the unadjusted model is undefined: {e}")),
        (_, Err(e)) => Err(e),
        (Ok(_), Ok(extra)) => {
            let mut names = group_names.clone();
            for (n, _) in &extra {
                names.extend(n.iter().cloned());
            }
            fit(&build(&extra, names.clone())).map(|f| (f, names)).map_err(why)
        }
    };
    let un = unadjusted.as_ref().ok().map(|f| odds_ratios(f, 1..1 + k, config));
    let ad = adjusted.as_ref().ok().map(|(f, _)| odds_ratios(f, 1..1 + k, config));
    let groups = (0..g)
        .filter(|&i| totals[i] > 0)
        .map(|i| {
            let slot = others.iter().position(|&o| o == i);
            let u = slot.and_then(|s| un.as_ref().map(|v| v[s].clone()));
            let a = slot.and_then(|s| ad.as_ref().map(|v| v[s].clone()));
            let explained = match (&u, &a) {
                (Some(u), Some(a)) if u.significant && u.odds_ratio != 1.0 => {
                    Some((u.odds_ratio.ln() - a.odds_ratio.ln()) / u.odds_ratio.ln())
                }
                _ => None,
            };
            AdjustedGroup {
                group: codes.labels[i].clone(),
                errors: errors[i],
                trials: totals[i],
                unadjusted: u,
                adjusted: a,
                explained,
            }
        })
        .collect();
    let covariate_effects = match &adjusted {
        Ok((f, names)) => (1 + k..names.len())
            .map(|j| {
                let (low, high) = f.interval(j, config.confidence);
                CovariateEffect {
                    term: names[j].clone(),
                    odds_ratio: f.coefficients[j].exp(),
                    low: low.exp(),
                    high: high.exp(),
                    p_value: f.p_value(j),
                }
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    AdjustedDifferential {
        metric: ind.metric,
        gallery_size: ind.gallery_size,
        rank: ind.rank,
        threshold,
        operating_point: op.clone(),
        grouping: codes.grouping.name(),
        reference_group: codes.labels[reference].clone(),
        covariates: covariates.iter().map(|c| c.name().to_string()).collect(),
        trials: used.len() as u64,
        excluded: (ind.trials.len() - used.len()) as u64,
        subjects: subjects.len() as u64,
        groups,
        covariate_effects,
        unadjusted_note: unadjusted.err(),
        adjusted_note: adjusted.err(),
    }
}

fn distributions_of(ind: &Indicator, codes: &GroupCodes, covariates: &[Covariate]) -> Vec<CovariateDistribution> {
    let mut out = Vec::new();
    for cov in covariates {
        for (gi, label) in codes.labels.iter().enumerate() {
            let mine: Vec<&Trial> = ind.trials.iter().filter(|t| t.group as usize == gi).collect();
            if mine.is_empty() {
                continue;
            }
            let mut d = CovariateDistribution {
                trials: ind.kind.to_string(),
                gallery_size: ind.gallery_size,
                grouping: codes.grouping.name(),
                group: label.clone(),
                covariate: cov.name().to_string(),
                known: 0,
                unknown: 0,
                mean: None,
                quartiles: None,
                levels: Vec::new(),
            };
            match cov {
                Covariate::Numeric { values, .. } => {
                    let mut v: Vec<f64> = mine.iter().filter_map(|t| values[t.sample as usize]).collect();
                    v.sort_by(f64::total_cmp);
                    d.known = v.len() as u64;
                    if !v.is_empty() {
                        let q = |p: f64| order_statistic(&v, p);
                        d.mean = Some(v.iter().sum::<f64>() / v.len() as f64);
                        d.quartiles = Some([q(0.0), q(0.25), q(0.5), q(0.75), q(1.0)]);
                    }
                }
                Covariate::Categorical { levels, codes: c, .. } => {
                    let mut count = vec![0u64; levels.len()];
                    for t in &mine {
                        if let Some(l) = c[t.sample as usize] {
                            count[l as usize] += 1;
                            d.known += 1;
                        }
                    }
                    d.levels = levels.iter().cloned().zip(count).filter(|(_, n)| *n > 0).collect();
                }
            }
            d.unknown = mine.len() as u64 - d.known;
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::covariate::covariate;
    use crate::model::benchmark::{CaptureColumn, MediaSource, Samples, SearchProtocol};
    use crate::model::population::{Grouping, Population, Subject};
    use crate::model::trials::SearchTrials;

    /// 80 crowd faces, one per subject: group A (subjects 0..40) with `a` false alerts
    /// at T = 0.5, group B (40..80) with `b`; capture columns `size` and `camera`.
    fn case(
        a: usize,
        b: usize,
        size: impl Fn(usize) -> String,
        camera: impl Fn(usize) -> String,
    ) -> (Benchmark, Protocol, ProtocolTrials) {
        let n = 80;
        let subjects = (0..n)
            .map(|i| Subject { id: format!("s{i}"), attributes: vec![if i < 40 { "A" } else { "B" }.into()] })
            .collect();
        let samples = Samples {
            ids: (0..n).map(|i| format!("x{i}")).collect(),
            subject: (0..n as u32).collect(),
            media: (0..n).map(|_| MediaSource::Inline(Vec::new())).collect(),
            capture: vec![
                CaptureColumn { name: "size".into(), values: (0..n).map(&size).collect() },
                CaptureColumn { name: "camera".into(), values: (0..n).map(&camera).collect() },
            ],
        };
        let protocol = Protocol::Watchlist(SearchProtocol {
            name: "watch".into(),
            gallery: Vec::new(),
            mated: Vec::new(),
            non_mated: (0..n as u32).collect(),
            candidates: 1,
            gallery_sizes: vec![1],
        });
        let mut t = SearchTrials::new(1, 1);
        for i in 0..n {
            let alert = if i < 40 { i < a } else { i - 40 < b };
            let score = if alert { 0.9 } else { 0.1 };
            t.push(i as u32, i as u32, false, Some(&[(((i + 1) % n) as u32, score)]));
        }
        let bench = Benchmark {
            name: "b".into(),
            version: "1".into(),
            licence: "x".into(),
            content_hash: String::new(),
            population: Population { attributes: vec!["g".into()], subjects, provenance: Default::default() },
            samples,
            protocols: vec![protocol.clone()],
        };
        (bench, protocol, ProtocolTrials::Search(vec![t]))
    }

    fn analyse(
        bench: &Benchmark,
        p: &Protocol,
        t: &ProtocolTrials,
        names: &[&str],
    ) -> (Vec<AdjustedDifferential>, Vec<CovariateDistribution>) {
        let c = capture(bench, p, t, names);
        (c.adjusted, c.distributions)
    }

    fn capture(bench: &Benchmark, p: &Protocol, t: &ProtocolTrials, names: &[&str]) -> CaptureAnalysis {
        let config = AnalysisConfig::with_thresholds(vec![0.5], vec![Grouping::parse("g").unwrap()]);
        let covs: Vec<Covariate> = names.iter().map(|n| covariate(&bench.samples, n).unwrap()).collect();
        adjusted_differentials(bench, p, t, &covs, &config, &[]).unwrap()
    }

    #[test]
    fn rates_by_band_count_each_group_in_the_quartile_bands_of_all_trials() {
        // Sizes 0..39 in each group (subject i has i % 40); the pooled quartiles of the
        // 80 values (order statistics 19, 39, 59 of 0,0,1,1,...) are 9, 19 and 29.
        // A's alerts are sizes 0..7, B's sizes 0..19.
        let camera = |i: usize| if i.is_multiple_of(2) { "cam1".into() } else { "cam2".into() };
        let (bench, p, t) = case(8, 20, |i| (i % 40).to_string(), camera);
        let c = capture(&bench, &p, &t, &["size", "camera"]);
        let cells = |grouping: &str, group: &str, cov: &str| -> Vec<(String, u64, u64)> {
            c.rates
                .iter()
                .filter(|r| r.grouping == grouping && r.group == group && r.covariate == cov)
                .map(|r| (r.band.clone(), r.rate.numerator, r.rate.denominator))
                .collect()
        };
        let bands = ["size < 9", "9 <= size < 19", "19 <= size < 29", "size >= 29"];
        let expect = |counts: [(u64, u64); 4]| -> Vec<(String, u64, u64)> {
            bands.iter().zip(counts).map(|(b, (e, n))| (b.to_string(), e, n)).collect()
        };
        assert_eq!(cells("g", "A", "size"), expect([(8, 9), (0, 10), (0, 10), (0, 11)]));
        assert_eq!(cells("g", "B", "size"), expect([(9, 9), (10, 10), (1, 10), (0, 11)]));
        assert_eq!(cells("all", "all", "size"), expect([(17, 18), (10, 20), (1, 20), (0, 22)]));
        // A's alerts 0..7 are four even (cam1) and four odd (cam2) subjects.
        let cam = |e: u64, n: u64, level: &str| (level.to_string(), e, n);
        assert_eq!(cells("g", "A", "camera"), vec![cam(4, 20, "cam1"), cam(4, 20, "cam2")]);
        assert_eq!(cells("g", "B", "camera"), vec![cam(10, 20, "cam1"), cam(10, 20, "cam2")]);
        let first = c.rates.iter().find(|r| r.group == "A" && r.band_index == 0 && r.covariate == "size").unwrap();
        assert_eq!(first.interval, first.rate.wilson(0.95));
        assert_eq!(first.metric, Metric::Fpir);
        // Models are fitted for the demographic grouping only.
        assert!(c.adjusted.iter().all(|m| m.grouping == "g"));
    }

    #[test]
    fn the_unadjusted_odds_ratio_is_the_odds_ratio_of_the_counts() {
        // A: 8 of 40 alert, B: 20 of 40: OR = (20/20) / (8/32) = 4, against A (the lower rate).
        let (bench, p, t) = case(8, 20, |i| (40 + (i * 7) % 30).to_string(), |_| "cam1".into());
        let (models, _) = analyse(&bench, &p, &t, &["size"]);
        let fpir = models.iter().find(|m| m.metric == Metric::Fpir).unwrap();
        assert_eq!(fpir.reference_group, "A");
        assert_eq!((fpir.trials, fpir.excluded, fpir.subjects), (80, 0, 80));
        let b = fpir.groups.iter().find(|g| g.group == "B").unwrap();
        assert_eq!((b.errors, b.trials), (20, 40));
        let u = b.unadjusted.as_ref().unwrap();
        assert!((u.odds_ratio - 4.0).abs() < 1e-9, "{}", u.odds_ratio);
        assert!(u.low < 4.0 && u.high > 4.0);
        assert!(b.adjusted.is_some());
        assert_eq!(fpir.covariate_effects.len(), 1);
        assert_eq!(fpir.covariate_effects[0].term, "size");
        // No mated searches: no FNIR model.
        assert!(models.iter().all(|m| m.metric == Metric::Fpir));
    }

    #[test]
    fn a_covariate_with_one_level_leaves_the_unadjusted_model() {
        let (bench, p, t) = case(8, 20, |i| i.to_string(), |_| "cam1".into());
        let (models, _) = analyse(&bench, &p, &t, &["camera"]);
        let m = &models[0];
        assert!(m.unadjusted_note.is_none());
        assert!(m.groups.iter().any(|g| g.unadjusted.is_some()));
        assert!(m.groups.iter().all(|g| g.adjusted.is_none()));
        let note = m.adjusted_note.as_deref().unwrap();
        assert!(note.contains("covariate `camera` has one level (`cam1`)"), "{note}");
    }

    #[test]
    fn a_group_without_errors_is_separation_named_in_the_note() {
        let (bench, p, t) = case(0, 20, |i| i.to_string(), |_| "cam1".into());
        let (models, _) = analyse(&bench, &p, &t, &["size"]);
        let note = models[0].unadjusted_note.as_deref().unwrap();
        assert_eq!(
            note,
            "group A has 0 errors in 40 trials at this threshold, so its odds ratio is not finite (separation)"
        );
        assert!(models[0].adjusted_note.as_deref().unwrap().starts_with("the unadjusted model is undefined"));
    }

    #[test]
    fn unknown_values_are_left_out_and_counted_and_levels_become_indicators() {
        let size = |i: usize| if i == 3 || i == 50 { String::new() } else { (30 + i % 20).to_string() };
        let camera = |i: usize| if i.is_multiple_of(4) { "cctv".into() } else { "body".into() };
        let (bench, p, t) = case(10, 22, size, camera);
        let (models, dists) = analyse(&bench, &p, &t, &["size", "camera"]);
        let m = &models[0];
        assert_eq!((m.trials, m.excluded), (78, 2));
        let terms: Vec<&str> = m.covariate_effects.iter().map(|e| e.term.as_str()).collect();
        // `body` is the most common level, so the indicator is for `cctv`.
        assert_eq!(terms, vec!["size", "camera=cctv"]);
        let a_size = dists.iter().find(|d| d.group == "A" && d.covariate == "size").unwrap();
        assert_eq!((a_size.known, a_size.unknown), (39, 1));
        // Group A's sizes: 30 + i % 20 for i in 0..40 without 3: 0..19 twice less one 3.
        let mut v: Vec<f64> = (0..40).filter(|&i| i != 3).map(|i| (30 + i % 20) as f64).collect();
        v.sort_by(f64::total_cmp);
        assert_eq!(a_size.quartiles, Some([30.0, v[9], v[19], v[28], 49.0]));
        let b_camera = dists.iter().find(|d| d.group == "B" && d.covariate == "camera").unwrap();
        assert_eq!(b_camera.levels, vec![("body".to_string(), 30), ("cctv".to_string(), 10)]);
    }

    #[test]
    fn a_log_covariate_is_the_log_of_a_positive_numeric_column() {
        let (bench, _, _) = case(8, 20, |i| if i == 3 { String::new() } else { (i + 1).to_string() }, |_| "c".into());
        let Covariate::Numeric { name, values } = covariate(&bench.samples, "log(size)").unwrap() else {
            panic!("log(size) is numeric")
        };
        assert_eq!(name, "log(size)");
        assert_eq!(values[0], Some(0.0));
        assert_eq!(values[3], None);
        assert!((values[9].unwrap() - 10f64.ln()).abs() < 1e-15);
        let (zero, _, _) = case(8, 20, |i| i.to_string(), |_| "c".into());
        assert_eq!(
            covariate(&zero.samples, "log(size)").unwrap_err().to_string(),
            "covariate `log(size)`: sample `x0` has size = 0: the log needs positive values"
        );
        assert_eq!(
            covariate(&bench.samples, "log(camera)").unwrap_err().to_string(),
            "covariate `log(camera)`: camera is not numeric (some values are not numbers)"
        );
    }

    #[test]
    fn an_unknown_covariate_names_the_columns() {
        let (bench, _, _) = case(8, 20, |i| i.to_string(), |_| "cam1".into());
        let e = covariate(&bench.samples, "face_size").unwrap_err();
        assert_eq!(e.to_string(), "unknown covariate `face_size`: the benchmark's capture columns are: size, camera");
    }
}
