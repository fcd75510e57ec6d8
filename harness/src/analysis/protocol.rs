//! Builds a [`ProtocolAnalysis`] from trials: the one place where rates are computed.
//! Definitions follow docs/metrics.md; one global threshold is applied to every group.

use crate::analysis::curves::{curve_group, curve_thresholds, histogram_edges, histogram_group};
use crate::analysis::differential::summaries_of;
use crate::bootstrap::{
    Bootstrap, BootstrapConfig, BootstrapError, BootstrapIndex, bootstrap_search, bootstrap_verification,
};
use crate::metrics::counting::{CalibratedThreshold, GroupedScores, calibrate};
use crate::metrics::eer::equal_error_rate;
use crate::metrics::identification::{mate_score_within_rank, search_columns};
use crate::model::analysis::*;
use crate::model::benchmark::ProtocolKind;
use crate::model::curves::{Curves, ScoreHistograms};
use crate::model::differences::{BootstrapInterval, Comparison};
use crate::model::population::{GroupCodes, Grouping, Population};
use crate::model::rate::Rate;
use crate::model::thresholds::OperatingPoint;
use crate::model::trials::{SearchTrials, TemplateOutcomes, VerificationTrials};
use crate::vendor::{DeclaredThreshold, Role};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Grouping(#[from] crate::model::population::GroupingError),
    #[error("subject bootstrap: {0}")]
    Bootstrap(crate::bootstrap::BootstrapError),
}

/// The configured groupings, with the whole population (`all`) always first.
fn groupings_with_all(config: &AnalysisConfig) -> Vec<Grouping> {
    let mut out = vec![Grouping::all()];
    out.extend(config.groupings.iter().filter(|g| !g.attributes.is_empty()).cloned());
    out
}

fn row(
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
fn attach_bootstrap(
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

fn bootstrap_config(config: &AnalysisConfig, codes: &GroupCodes) -> BootstrapConfig {
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
fn extrapolations(rates: &[RateRow], config: &AnalysisConfig) -> Vec<ExtrapolationRow> {
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

fn distinct_thresholds(uses: &[ThresholdUse]) -> Vec<f64> {
    let mut t: Vec<f64> = uses.iter().map(|u| u.threshold).collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

fn base_thresholds(config: &AnalysisConfig, declared: &[DeclaredThreshold]) -> Vec<ThresholdUse> {
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

/// Calibrate to each target over `sorted` whole-population scores; push the usable
/// thresholds onto `uses` and return one row per target.
fn calibrations(
    sorted: &[f64],
    metric: Metric,
    targets: &[f64],
    gallery_size: Option<u64>,
    uses: &mut Vec<ThresholdUse>,
) -> Vec<Calibration> {
    let n = sorted.len() as u64;
    targets
        .iter()
        .map(|&target| {
            let mut c = Calibration { metric, target, gallery_size, threshold: None, achieved: None, note: None };
            match calibrate(sorted, target) {
                CalibratedThreshold::Threshold { threshold, count } => {
                    c.threshold = Some(threshold);
                    c.achieved = Some(Rate::new(count, n));
                    uses.push(ThresholdUse {
                        threshold,
                        operating_point: OperatingPoint::Calibrated {
                            metric: metric.name().to_string(),
                            target,
                            gallery_size,
                        },
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
        })
        .collect()
}

/// 1:1 verification: FMR and FNMR per group at every threshold, EER per group, and the
/// cross-group non-mated FMR. A non-mated pair counts in a group's FMR only when both
/// subjects are in that group (docs/design.md, "Data model"); `all` counts every pair.
pub fn analyse_verification(
    protocol: &str,
    trials: &VerificationTrials,
    population: &Population,
    config: &AnalysisConfig,
    declared: &[DeclaredThreshold],
) -> Result<ProtocolAnalysis, AnalysisError> {
    let n = trials.len();
    let mated: Vec<bool> = (0..n).map(|i| trials.probe_subject[i] == trials.reference_subject[i]).collect();
    let non_mated_all: Vec<f64> = {
        let mut v: Vec<f64> = (0..n).filter(|&i| !mated[i]).map(|i| trials.score[i]).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let mut uses = base_thresholds(config, declared);
    let calibrations = calibrations(&non_mated_all, Metric::Fmr, &config.fmr_targets, None, &mut uses);

    let mut out = ProtocolAnalysis {
        protocol: protocol.to_string(),
        kind: ProtocolKind::Verification,
        thresholds: uses.clone(),
        calibrations,
        rates: Vec::new(),
        eer: Vec::new(),
        cross_group_fmr: Vec::new(),
        comparisons: Vec::new(),
        summaries: Vec::new(),
        extrapolations: Vec::new(),
        curves: Vec::new(),
        histograms: Vec::new(),
    };
    let levels = distinct_thresholds(&uses);
    let mated_all: Vec<f64> = {
        let mut v: Vec<f64> = (0..n).filter(|&i| mated[i]).map(|i| trials.score[i]).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let mut curves = Curves {
        gallery_size: None,
        rank: None,
        false_positive: Metric::Fmr,
        false_negative: Metric::Fnmr,
        thresholds: curve_thresholds(&mated_all, &non_mated_all, &levels),
        groups: Vec::new(),
    };
    let edges = histogram_edges(&mated_all, &non_mated_all);
    let mut histograms = ScoreHistograms {
        gallery_size: None,
        mated_score: "mated comparison score".into(),
        non_mated_score: "non-mated comparison score (both subjects in the group)".into(),
        edges: edges.clone().unwrap_or_default(),
        groups: Vec::new(),
    };
    let mut index = BootstrapIndex::default();
    for grouping in groupings_with_all(config) {
        let codes = population.group_codes(&grouping)?;
        let first_row = out.rates.len();
        let g = codes.n_groups();
        let (mut m_scores, mut m_groups, mut nm_scores, mut nm_cells) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, &is_mated) in mated.iter().enumerate() {
            let p = codes.of_subject[trials.probe_subject[i] as usize];
            if is_mated {
                m_scores.push(trials.score[i]);
                m_groups.push(p);
            } else {
                let r = codes.of_subject[trials.reference_subject[i] as usize];
                nm_scores.push(trials.score[i]);
                nm_cells.push(p * g as u32 + r);
            }
        }
        let m = GroupedScores::new(&m_scores, &m_groups, g);
        let nm = GroupedScores::new(&nm_scores, &nm_cells, g * g);
        for u in &uses {
            for gi in 0..g {
                let same = gi * g + gi;
                let fmr = Rate::new(nm.at_least(same, u.threshold), nm.total(same));
                let fnmr = Rate::new(m.total(gi) - m.at_least(gi, u.threshold), m.total(gi));
                out.rates.push(row(config, Metric::Fmr, Some(u), &codes, gi, fmr));
                out.rates.push(row(config, Metric::Fnmr, Some(u), &codes, gi, fnmr));
            }
            if g > 1 {
                for p in 0..g {
                    for r in 0..g {
                        let cell = p * g + r;
                        out.cross_group_fmr.push(CrossGroupCell {
                            grouping: codes.grouping.name(),
                            probe_group: codes.labels[p].clone(),
                            reference_group: codes.labels[r].clone(),
                            threshold: u.threshold,
                            operating_point: u.operating_point.clone(),
                            rate: Rate::new(nm.at_least(cell, u.threshold), nm.total(cell)),
                        });
                    }
                }
            }
        }
        for gi in 0..g {
            let same = gi * g + gi;
            let (name, label) = (codes.grouping.name(), &codes.labels[gi]);
            curves.groups.push(curve_group(&name, label, &curves.thresholds, (&nm, same), (&m, gi)));
            if let Some(edges) = &edges {
                histograms.groups.push(histogram_group(&name, label, edges, m.group(gi), nm.group(same)));
            }
            let crossing = equal_error_rate(m.group(gi), nm.group(same));
            out.eer.push(EerRow {
                grouping: codes.grouping.name(),
                group: codes.labels[gi].clone(),
                eer: crossing.map(|c| c.0),
                threshold: crossing.map(|c| c.1),
                mated: m.total(gi),
                non_mated: nm.total(same),
            });
        }
        if config.bootstrap_replicates > 0 {
            let boot = bootstrap_verification(trials, &codes, &levels, &bootstrap_config(config, &codes));
            attach_bootstrap(&mut out.rates, first_row, boot, None, &mut index)?;
        }
    }
    out.curves.push(curves);
    if edges.is_some() {
        out.histograms.push(histograms);
    }
    out.extrapolations = extrapolations(&out.rates, config);
    out.comparisons = crate::analysis::between_groups::compare_groups(&out.rates, config, &index);
    out.summaries = summaries_of(
        &out.rates,
        Comparison::Verification,
        config.summary_alpha,
        config.reference_group.as_deref(),
        &index,
    );
    Ok(out)
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
        cals.extend(calibrations(&tops, Metric::Fpir, &config.fpir_targets, Some(t.gallery_size as u64), &mut uses));
    }
    let mut out = ProtocolAnalysis {
        protocol: protocol.to_string(),
        kind,
        thresholds: uses.clone(),
        calibrations: cals,
        rates: Vec::new(),
        eer: Vec::new(),
        cross_group_fmr: Vec::new(),
        comparisons: Vec::new(),
        summaries: Vec::new(),
        extrapolations: Vec::new(),
        curves: Vec::new(),
        histograms: Vec::new(),
    };
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
            let mated: Vec<usize> = (0..t.len()).filter(|&i| t.mated[i]).collect();
            let non_mated: Vec<usize> = (0..t.len()).filter(|&i| !t.mated[i]).collect();
            let m_groups: Vec<u32> = mated.iter().map(|&i| codes.of_subject[t.subject[i] as usize]).collect();
            let nm_groups: Vec<u32> = non_mated.iter().map(|&i| codes.of_subject[t.subject[i] as usize]).collect();
            let nm_totals: Vec<u64> =
                (0..g).map(|gi| nm_groups.iter().filter(|&&x| x as usize == gi).count() as u64).collect();

            let top = GroupedScores::new(&non_mated.iter().map(|&i| c.top_score[i]).collect::<Vec<_>>(), &nm_groups, g);
            // Every non-mated candidate, grouped by its searcher's group, for SEL.
            let (mut cand_scores, mut cand_groups) = (Vec::new(), Vec::new());
            for (k, &i) in non_mated.iter().enumerate() {
                let (_, scores) = t.candidates_of(i);
                cand_scores.extend_from_slice(scores);
                cand_groups.extend(std::iter::repeat_n(nm_groups[k], scores.len()));
            }
            let cand = GroupedScores::new(&cand_scores, &cand_groups, g);
            let within: Vec<(u32, GroupedScores)> = ranks
                .iter()
                .map(|&r| {
                    let s = mate_score_within_rank(c, r);
                    (r, GroupedScores::new(&mated.iter().map(|&i| s[i]).collect::<Vec<_>>(), &m_groups, g))
                })
                .collect();
            let hits = &within.iter().find(|(r, _)| *r == l).expect("rank L is always evaluated").1;
            let (curves, histograms) = &mut plotted[k];
            for gi in 0..g {
                let (name, label) = (codes.grouping.name(), &codes.labels[gi]);
                let group = curve_group(&name, label, &curves.thresholds, (&top, gi), (hits, gi));
                curves.groups.push(group);
                if let Some(h) = histograms {
                    let group = histogram_group(&name, label, &h.edges, hits.group(gi), top.group(gi));
                    h.groups.push(group);
                }
            }
            for u in &uses {
                for (gi, &nm_total) in nm_totals.iter().enumerate() {
                    for (r, hits) in &within {
                        let found = hits.at_least(gi, u.threshold);
                        let total = hits.total(gi);
                        for (metric, rate) in
                            [(Metric::Fnir, Rate::new(total - found, total)), (Metric::Tpir, Rate::new(found, total))]
                        {
                            let mut rr = row(config, metric, Some(u), &codes, gi, rate);
                            rr.gallery_size = size;
                            rr.rank = Some(*r);
                            out.rates.push(rr);
                        }
                    }
                    let fpir = Rate::new(top.at_least(gi, u.threshold), top.total(gi));
                    let sel = Rate::new(cand.at_least(gi, u.threshold), nm_total);
                    for (metric, rate) in [(Metric::Fpir, fpir), (Metric::Sel, sel)] {
                        let mut rr = row(config, metric, Some(u), &codes, gi, rate);
                        rr.gallery_size = size;
                        out.rates.push(rr);
                    }
                }
            }
            // CMC(R): mate at rank <= R, no threshold.
            let mut by_rank = vec![vec![0u64; l as usize + 1]; g];
            for (k, &i) in mated.iter().enumerate() {
                let r = c.mate_rank[i];
                if r >= 1 && r <= l {
                    by_rank[m_groups[k] as usize][r as usize] += 1;
                }
            }
            for (gi, counts) in by_rank.iter().enumerate() {
                let total = m_groups.iter().filter(|&&x| x as usize == gi).count() as u64;
                let mut cumulative = 0;
                for r in 1..=l {
                    cumulative += counts[r as usize];
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
    out.comparisons = crate::analysis::between_groups::compare_groups(&out.rates, config, &index);
    out.summaries = summaries_of(
        &out.rates,
        Comparison::Identification,
        config.summary_alpha,
        config.reference_group.as_deref(),
        &index,
    );
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
