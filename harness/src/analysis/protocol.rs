//! Builds a [`ProtocolAnalysis`] from trials: with `analysis::verification` (1:1), the
//! one place where rates are computed. Definitions follow docs/metrics.md; one global
//! threshold is applied to every group. Counts come from level histograms
//! (`metrics::levels`): every score binned once among all thresholds, never sorted.

use crate::analysis::curves::{curve_group, curve_thresholds, histogram_edges, histogram_group};
use crate::analysis::differential::summaries_of;
use crate::bootstrap::{Bootstrap, BootstrapConfig, BootstrapError, BootstrapIndex, bootstrap_search};
use crate::metrics::counting::{CalibratedThreshold, calibrate};
use crate::metrics::identification::{mate_score_within_rank, search_columns};
use crate::metrics::levels::{LevelCounts, Levels};
use crate::model::analysis::*;
use crate::model::benchmark::ProtocolKind;
use crate::model::curves::{Curves, ScoreHistograms};
use crate::model::differences::{BootstrapInterval, Comparison};
use crate::model::population::{GroupCodes, Grouping, Population};
use crate::model::rate::Rate;
use crate::model::rows::{RowsError, fold_shares};
use crate::model::thresholds::OperatingPoint;
use crate::model::trials::{SearchTrials, TemplateOutcomes};
use crate::vendor::{DeclaredThreshold, Role};

pub use crate::analysis::verification::analyse_verification;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Grouping(#[from] crate::model::population::GroupingError),
    #[error("subject bootstrap: {0}")]
    Bootstrap(crate::bootstrap::BootstrapError),
    #[error(transparent)]
    Rows(#[from] RowsError),
    #[error("a trial names subject index {subject}, but the population has {subjects} subjects")]
    UnknownSubject { subject: u32, subjects: usize },
    #[error("a trial's score is {0}: scores are finite, or -inf for a failed trial")]
    Score(f64),
    #[error("unknown covariate `{name}`: the benchmark's capture columns are: {known}")]
    UnknownCovariate { name: String, known: String },
    #[error("covariate `{name}`: {reason}")]
    BadCovariate { name: String, reason: String },
}

/// The configured groupings, with the whole population (`all`) always first.
pub(crate) fn groupings_with_all(config: &AnalysisConfig) -> Vec<Grouping> {
    let mut out = vec![Grouping::all()];
    out.extend(config.groupings.iter().filter(|g| !g.attributes.is_empty()).cloned());
    out
}

pub(crate) fn row(
    config: &AnalysisConfig,
    metric: Metric,
    use_: Option<&ThresholdUse>,
    codes: &GroupCodes,
    group: usize,
    rate: Rate,
) -> RateRow {
    RateRow {
        metric,
        gallery_size: None,
        rank: None,
        threshold: use_.map(|u| u.threshold),
        operating_point: use_.map_or(OperatingPoint::None, |u| u.operating_point.clone()),
        grouping: codes.grouping.name(),
        group: codes.labels[group].clone(),
        rate,
        interval: if metric.is_proportion() { rate.interval(config.interval_method, config.confidence) } else { None },
        upper_bound: if metric.is_proportion() { rate.exact_upper_bound(config.confidence) } else { None },
        lower_bound: if metric.is_proportion() { rate.exact_lower_bound(config.confidence) } else { None },
        bootstrap: None,
    }
}

/// Attach subject-bootstrap intervals to the rows `rows[from..]` of one grouping.
pub(crate) fn attach_bootstrap(
    rows: &mut [RateRow],
    from: usize,
    boot: Result<Bootstrap, BootstrapError>,
    gallery_size: Option<u64>,
    index: &mut BootstrapIndex,
) -> Result<(), AnalysisError> {
    let boot = boot.map_err(AnalysisError::Bootstrap)?;
    index.add(&boot, gallery_size);
    let mut by_key: HashMap<(Metric, Option<u32>, u64, &str), &BootstrapInterval> = HashMap::new();
    for r in &boot.rates {
        by_key.insert((r.metric, r.rank, r.threshold.to_bits(), r.label.as_str()), &r.interval);
    }
    for row in &mut rows[from..] {
        if let Some(t) = row.threshold {
            row.bootstrap = by_key.get(&(row.metric, row.rank, t.to_bits(), row.group.as_str())).map(|b| (*b).clone());
        }
    }
    Ok(())
}

pub(crate) fn bootstrap_config(config: &AnalysisConfig, codes: &GroupCodes) -> BootstrapConfig {
    let mut b = BootstrapConfig::new(config.seed);
    b.replicates = config.bootstrap_replicates;
    b.confidence = config.confidence;
    // The declared reference where this grouping has it, as in the tests between groups.
    b.reference_group = config.reference_group.as_deref().and_then(|g| codes.labels.iter().position(|l| l == g));
    b.summary_alpha = config.summary_alpha;
    b
}

/// FPIR(N) extrapolated from every defined FMR row (docs/metrics.md, "Scaling"),
/// with the FMR interval carried through.
pub(crate) fn extrapolations(rates: &[RateRow], config: &AnalysisConfig) -> Vec<ExtrapolationRow> {
    use crate::analysis::projection::{BinomialMethod, extrapolate_fpir_rate};
    let method = match config.interval_method {
        crate::model::rate::IntervalMethod::Wilson => BinomialMethod::Wilson,
        crate::model::rate::IntervalMethod::ClopperPearson => BinomialMethod::ClopperPearson,
    };
    let mut out = Vec::new();
    for r in rates.iter().filter(|r| r.metric == Metric::Fmr && r.rate.denominator > 0) {
        let Some(threshold) = r.threshold else { continue };
        for &n in &config.extrapolation_sizes {
            if let Ok(extrapolation) = extrapolate_fpir_rate(r.rate, n, config.confidence, method) {
                out.push(ExtrapolationRow {
                    threshold,
                    operating_point: r.operating_point.clone(),
                    grouping: r.grouping.clone(),
                    group: r.group.clone(),
                    extrapolation,
                });
            }
        }
    }
    out
}

pub(crate) fn distinct_thresholds(uses: &[ThresholdUse]) -> Vec<f64> {
    let mut t: Vec<f64> = uses.iter().map(|u| u.threshold).collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

pub(crate) fn base_thresholds(config: &AnalysisConfig, declared: &[DeclaredThreshold]) -> Vec<ThresholdUse> {
    let mut uses: Vec<ThresholdUse> = config
        .thresholds
        .iter()
        .map(|&t| ThresholdUse { threshold: t, operating_point: OperatingPoint::Grid })
        .collect();
    uses.extend(declared.iter().map(|d| ThresholdUse {
        threshold: d.value,
        operating_point: OperatingPoint::Declared { label: d.label.clone() },
    }));
    uses
}

/// The calibration row of one target, from the outcome of calibrating `n` trials;
/// a usable threshold is pushed onto `uses`.
pub(crate) fn calibration_row(
    metric: Metric,
    target: f64,
    gallery_size: Option<u64>,
    n: u64,
    outcome: CalibratedThreshold,
    uses: &mut Vec<ThresholdUse>,
) -> Calibration {
    let mut c = Calibration { metric, target, gallery_size, threshold: None, achieved: None, note: None };
    match outcome {
        CalibratedThreshold::Threshold { threshold, count } => {
            c.threshold = Some(threshold);
            c.achieved = Some(Rate::new(count, n));
            uses.push(ThresholdUse {
                threshold,
                operating_point: OperatingPoint::Calibrated { metric: metric.name().to_string(), target, gallery_size },
            });
        }
        CalibratedThreshold::TooFewTrials => {
            c.note = Some(format!(
                "not estimable: {n} trials cannot resolve a rate of {target:e}; at least {} are needed",
                (1.0 / target).ceil()
            ))
        }
        CalibratedThreshold::AnyThreshold => {
            c.note = Some("every threshold meets the target: too many trials failed to produce a score".into())
        }
        CalibratedThreshold::NoTrials => c.note = Some("no trials".into()),
    }
    c
}

/// 1:N identification or a watchlist, one [`SearchTrials`] per gallery size.
/// Identification reports FNIR/TPIR at the configured ranks and at L; a watchlist at L
/// only (an alert for the right subject anywhere in the list).
pub fn analyse_search(
    protocol: &str,
    kind: ProtocolKind,
    searches: &[SearchTrials],
    population: &Population,
    config: &AnalysisConfig,
    declared: &[DeclaredThreshold],
) -> Result<ProtocolAnalysis, AnalysisError> {
    let columns: Vec<_> = searches.iter().map(search_columns).collect();
    let mut uses = base_thresholds(config, declared);
    let mut cals = Vec::new();
    for (t, c) in searches.iter().zip(&columns) {
        let mut tops: Vec<f64> = (0..t.len()).filter(|&i| !t.mated[i]).map(|i| c.top_score[i]).collect();
        tops.sort_unstable_by(f64::total_cmp);
        for &target in &config.fpir_targets {
            let (size, n) = (Some(t.gallery_size as u64), tops.len() as u64);
            cals.push(calibration_row(Metric::Fpir, target, size, n, calibrate(&tops, target), &mut uses));
        }
    }
    let mut out = ProtocolAnalysis::new(protocol, kind, uses.clone(), cals);
    let levels = distinct_thresholds(&uses);
    let mut plotted: Vec<(Curves, Option<ScoreHistograms>)> = searches
        .iter()
        .zip(&columns)
        .map(|(t, c)| {
            let l = t.candidates as u32;
            let within = mate_score_within_rank(c, l);
            let mut m: Vec<f64> = (0..t.len()).filter(|&i| t.mated[i]).map(|i| within[i]).collect();
            let mut nm: Vec<f64> = (0..t.len()).filter(|&i| !t.mated[i]).map(|i| c.top_score[i]).collect();
            m.sort_unstable_by(f64::total_cmp);
            nm.sort_unstable_by(f64::total_cmp);
            let size = Some(t.gallery_size as u64);
            let curves = Curves {
                gallery_size: size,
                rank: Some(l),
                false_positive: Metric::Fpir,
                false_negative: Metric::Fnir,
                thresholds: curve_thresholds(&m, &nm, &levels),
                groups: Vec::new(),
            };
            let histograms = histogram_edges(&m, &nm).map(|edges| ScoreHistograms {
                gallery_size: size,
                mated_score: format!("mate's score (mate within rank {l})"),
                non_mated_score: "highest candidate score of a non-mated search".into(),
                edges,
                groups: Vec::new(),
            });
            (curves, histograms)
        })
        .collect();
    // Per gallery size, every threshold a count is read at: the analysis's, the curve
    // grid, the histogram edges and just above the last edge.
    let counted: Vec<Levels> = plotted
        .iter()
        .map(|(curves, histograms)| {
            let mut t: Vec<f64> = levels.iter().chain(&curves.thresholds).copied().collect();
            if let Some(h) = histograms {
                t.extend(&h.edges);
                t.extend(h.edges.last().map(|x| x.next_up()));
            }
            Levels::new(&t)
        })
        .collect();
    let mut index = BootstrapIndex::default();
    for grouping in groupings_with_all(config) {
        let codes = population.group_codes(&grouping)?;
        let g = codes.n_groups();
        for (k, (t, c)) in searches.iter().zip(&columns).enumerate() {
            let first_row = out.rates.len();
            let size = Some(t.gallery_size as u64);
            let l = t.candidates as u32;
            let mut ranks: Vec<u32> = match kind {
                ProtocolKind::Watchlist => vec![l],
                _ => config.ranks.iter().copied().filter(|&r| r <= l).chain([l]).collect(),
            };
            ranks.sort_unstable();
            ranks.dedup();
            // Cells: top score of non-mated searches (FPIR) per group, every candidate of
            // non-mated searches (SEL), then the mate within each rank (FNIR, TPIR).
            let (top, cand, within) = (0, g, 2 * g);
            let counted = &counted[k];
            let scores: Vec<Vec<f64>> = ranks.iter().map(|&r| mate_score_within_rank(c, r)).collect();
            let counts = fold_shares(
                t.len(),
                || LevelCounts::new(g * (2 + ranks.len()), counted),
                |counts, range| {
                    for i in range {
                        let gi = codes.of_subject[t.subject[i] as usize] as usize;
                        if t.mated[i] {
                            for (ri, s) in scores.iter().enumerate() {
                                counts.add(within + ri * g + gi, counted.level(s[i]));
                            }
                        } else {
                            counts.add(top + gi, counted.level(c.top_score[i]));
                            for &s in t.candidates_of(i).1 {
                                counts.add(cand + gi, counted.level(s));
                            }
                        }
                    }
                },
                |a, b| a.merge(&b),
            );
            let at_least = |cell: usize, t: f64| -> u64 {
                let k = counted.position(t).expect("every threshold asked about is counted");
                counts.at_least(cell, k)
            };
            let l_index = ranks.iter().position(|&r| r == l).expect("rank L is always evaluated");
            let hits = within + l_index * g;
            let (curves, histograms) = &mut plotted[k];
            for gi in 0..g {
                let (name, label) = (codes.grouping.name(), &codes.labels[gi]);
                let fp = (counts.total(top + gi), |t: f64| at_least(top + gi, t));
                let found = (counts.total(hits + gi), |t: f64| at_least(hits + gi, t));
                curves.groups.push(curve_group(&name, label, &curves.thresholds, fp, found));
                if let Some(h) = histograms {
                    h.groups.push(histogram_group(&name, label, &h.edges, found, fp));
                }
            }
            for u in &uses {
                for gi in 0..g {
                    for (ri, r) in ranks.iter().enumerate() {
                        let cell = within + ri * g + gi;
                        let found = at_least(cell, u.threshold);
                        let total = counts.total(cell);
                        for (metric, rate) in
                            [(Metric::Fnir, Rate::new(total - found, total)), (Metric::Tpir, Rate::new(found, total))]
                        {
                            let mut rr = row(config, metric, Some(u), &codes, gi, rate);
                            rr.gallery_size = size;
                            rr.rank = Some(*r);
                            out.rates.push(rr);
                        }
                    }
                    let nm_total = counts.total(top + gi);
                    let fpir = Rate::new(at_least(top + gi, u.threshold), nm_total);
                    let sel = Rate::new(at_least(cand + gi, u.threshold), nm_total);
                    for (metric, rate) in [(Metric::Fpir, fpir), (Metric::Sel, sel)] {
                        let mut rr = row(config, metric, Some(u), &codes, gi, rate);
                        rr.gallery_size = size;
                        out.rates.push(rr);
                    }
                }
            }
            // CMC(R): mate at rank <= R, no threshold.
            let mut by_rank = vec![vec![0u64; l as usize + 1]; g];
            for i in (0..t.len()).filter(|&i| t.mated[i]) {
                let r = c.mate_rank[i];
                if r >= 1 && r <= l {
                    by_rank[codes.of_subject[t.subject[i] as usize] as usize][r as usize] += 1;
                }
            }
            for (gi, at_rank) in by_rank.iter().enumerate() {
                let total = counts.total(hits + gi);
                let mut cumulative = 0;
                for r in 1..=l {
                    cumulative += at_rank[r as usize];
                    let mut rr = row(config, Metric::Cmc, None, &codes, gi, Rate::new(cumulative, total));
                    rr.gallery_size = size;
                    rr.rank = Some(r);
                    out.rates.push(rr);
                }
            }
            if config.bootstrap_replicates > 0 {
                let boot = bootstrap_search(t, &codes, &levels, &ranks, &bootstrap_config(config, &codes));
                attach_bootstrap(&mut out.rates, first_row, boot, size, &mut index)?;
            }
        }
    }
    for (curves, histograms) in plotted {
        out.curves.push(curves);
        out.histograms.extend(histograms);
    }
    add_differences(&mut out, config, &index, Comparison::Identification);
    Ok(out)
}

/// FTE (enrolment templates) and FTA (verification and search templates) per group.
pub fn template_rates(
    outcomes: &TemplateOutcomes,
    population: &Population,
    config: &AnalysisConfig,
) -> Result<Vec<RateRow>, AnalysisError> {
    let mut rows = Vec::new();
    for grouping in groupings_with_all(config) {
        let codes = population.group_codes(&grouping)?;
        let g = codes.n_groups();
        // [group][0: enrol, 1: acquire] -> (failed, attempted)
        let mut counts = vec![[(0u64, 0u64); 2]; g];
        for i in 0..outcomes.subject.len() {
            let gi = codes.of_subject[outcomes.subject[i] as usize] as usize;
            let k = usize::from(outcomes.role[i] != Role::Enrol);
            counts[gi][k].0 += u64::from(outcomes.failed[i]);
            counts[gi][k].1 += 1;
        }
        for (gi, c) in counts.iter().enumerate() {
            for (k, metric) in [(0, Metric::Fte), (1, Metric::Fta)] {
                rows.push(row(config, metric, None, &codes, gi, Rate::new(c[k].0, c[k].1)));
            }
        }
    }
    Ok(rows)
}

/// The tests between groups and the summary measures of differential performance, from
/// a protocol's rate rows (1:1 and 1:N alike).
pub(crate) fn add_differences(
    out: &mut ProtocolAnalysis,
    config: &AnalysisConfig,
    index: &BootstrapIndex,
    comparison: Comparison,
) {
    out.comparisons = crate::analysis::between_groups::compare_groups(&out.rates, config, index);
    out.summaries =
        summaries_of(&out.rates, comparison, config.summary_alpha, config.reference_group.as_deref(), index);
}
