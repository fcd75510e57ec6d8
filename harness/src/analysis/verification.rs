//! 1:1 verification analysed in passes over the trials, never sorting or holding them
//! (docs/metrics.md, "Counting"): memory is O(subjects + groups × thresholds +
//! replicates × groups × thresholds), whatever the number of trials.
//!
//! 1. A census: trials, failures and score range per group, the subjects present.
//! 2. Order statistics (`metrics::order`): the calibration pivots and the DET grid from
//!    the pooled scores, and each group's EER crossing, a few passes that narrow each
//!    answer to a range small enough to collect.
//! 3. Counts: every trial's level among all thresholds (analysis, calibrated, curve
//!    grid, histogram edges) in a level histogram per group (or pair of groups), and the
//!    bootstrap's weighted tallies for the first block of replicates; one more pass per
//!    further block.
//!
//! The rates, intervals and curves are then read off the counts, exactly as
//! `metrics::counting` would from sorted scores (tests hold the two equal).

use super::curves::{curve_grid, curve_group, curve_ranks, histogram_edges_for, histogram_group};
use super::protocol::{
    AnalysisError, add_differences, attach_bootstrap, base_thresholds, bootstrap_config, calibration_row,
    distinct_thresholds, extrapolations, groupings_with_all, row,
};
use crate::bootstrap::{BootstrapIndex, Replicates, Tallies, check_config};
use crate::metrics::counting::{CalibratedThreshold, calibration_rank};
use crate::metrics::levels::{LevelCounts, Levels};
use crate::metrics::order::{Census, Selector};
use crate::model::analysis::*;
use crate::model::benchmark::ProtocolKind;
use crate::model::curves::{Curves, ScoreHistograms};
use crate::model::differences::Comparison;
use crate::model::population::{GroupCodes, Population};
use crate::model::rate::Rate;
use crate::model::rows::{VerificationRows, fold_chunks};
use crate::vendor::DeclaredThreshold;

/// Where each grouping's streams (for order statistics) and cells (for counts) are.
struct Layout {
    codes: Vec<GroupCodes>,
    /// Stream of grouping k, group g, side (0 mated, 1 non-mated within the group):
    /// `stream_base[k] + 2 g + side`.
    stream_base: Vec<usize>,
    /// Cells of grouping k: mated of group g at `cell_base[k] + g`, non-mated of probe
    /// group p and reference group r at `cell_base[k] + G + p G + r`.
    cell_base: Vec<usize>,
    streams: usize,
    cells: usize,
}

impl Layout {
    fn new(codes: Vec<GroupCodes>) -> Self {
        let (mut stream_base, mut cell_base, mut streams, mut cells) = (Vec::new(), Vec::new(), 0, 0);
        for c in &codes {
            let g = c.n_groups();
            stream_base.push(streams);
            cell_base.push(cells);
            streams += 2 * g;
            cells += g + g * g;
        }
        Layout { codes, stream_base, cell_base, streams, cells }
    }

    fn mated_cell(&self, k: usize, g: usize) -> usize {
        self.cell_base[k] + g
    }

    fn non_mated_cell(&self, k: usize, p: usize, r: usize) -> usize {
        let n = self.codes[k].n_groups();
        self.cell_base[k] + n + p * n + r
    }

    /// Call `f(k, stream)` for each grouping in which the trial enters a stream (mated:
    /// its group's; non-mated: its group's when both subjects share it).
    #[inline]
    fn streams_of(&self, p: u32, r: u32, mut f: impl FnMut(usize, usize)) {
        for (k, c) in self.codes.iter().enumerate() {
            let gp = c.of_subject[p as usize] as usize;
            if p == r {
                f(k, self.stream_base[k] + 2 * gp);
            } else if c.of_subject[r as usize] as usize == gp {
                f(k, self.stream_base[k] + 2 * gp + 1);
            }
        }
    }

    /// Call `f(k, cell)` for each grouping.
    #[inline]
    fn cells_of(&self, p: u32, r: u32, mut f: impl FnMut(usize, usize)) {
        for (k, c) in self.codes.iter().enumerate() {
            let gp = c.of_subject[p as usize] as usize;
            if p == r {
                f(k, self.mated_cell(k, gp));
            } else {
                f(k, self.non_mated_cell(k, gp, c.of_subject[r as usize] as usize));
            }
        }
    }
}

/// Pass 1: per stream, and the subjects present; the first bad trial, if any.
#[derive(Debug)]
struct Census1 {
    streams: Vec<Census>,
    present: Vec<bool>,
    bad: Option<AnalysisError>,
}

fn census(rows: &dyn VerificationRows, layout: &Layout, subjects: usize) -> Result<Census1, AnalysisError> {
    let c = fold_chunks(
        rows,
        || Census1 { streams: vec![Census::default(); layout.streams], present: vec![false; subjects], bad: None },
        |acc, chunk| {
            for i in 0..chunk.len() {
                let (p, r, x) = (chunk.probe[i], chunk.reference[i], chunk.score[i]);
                if p as usize >= subjects || r as usize >= subjects {
                    acc.bad.get_or_insert(AnalysisError::UnknownSubject { subject: p.max(r), subjects });
                    continue;
                }
                if x.is_nan() || x == f64::INFINITY {
                    acc.bad.get_or_insert(AnalysisError::Score(x));
                    continue;
                }
                acc.present[p as usize] = true;
                acc.present[r as usize] = true;
                layout.streams_of(p, r, |_, s| acc.streams[s].observe(x));
            }
        },
        |a, b| {
            a.streams.iter_mut().zip(&b.streams).for_each(|(x, y)| x.merge(y));
            a.present.iter_mut().zip(b.present).for_each(|(x, y)| *x |= y);
            if a.bad.is_none() {
                a.bad = b.bad;
            }
        },
    )?;
    match c.bad {
        Some(e) => Err(e),
        None => Ok(c),
    }
}

/// Run the passes of `selector` until every question is answered.
fn select(rows: &dyn VerificationRows, layout: &Layout, selector: &mut Selector) -> Result<(), AnalysisError> {
    while !selector.done() {
        let plan = selector.plan();
        let acc = fold_chunks(
            rows,
            || plan.accumulator(),
            |acc, chunk| {
                for i in 0..chunk.len() {
                    let x = chunk.score[i];
                    layout.streams_of(chunk.probe[i], chunk.reference[i], |_, s| {
                        if plan.reads(s) {
                            plan.observe(acc, s, x);
                        }
                    });
                }
            },
            |a, b| a.merge(b),
        )?;
        selector.finish_pass(&plan, acc);
    }
    Ok(())
}

/// 1:1 verification: FMR and FNMR per group at every threshold, EER per group, and the
/// cross-group non-mated FMR. A non-mated pair counts in a group's FMR only when both
/// subjects are in that group (docs/design.md, "Data model"); `all` counts every pair.
pub fn analyse_verification(
    protocol: &str,
    rows: &dyn VerificationRows,
    population: &Population,
    config: &AnalysisConfig,
    declared: &[DeclaredThreshold],
) -> Result<ProtocolAnalysis, AnalysisError> {
    let codes = groupings_with_all(config).iter().map(|g| population.group_codes(g)).collect::<Result<Vec<_>, _>>()?;
    let layout = Layout::new(codes);
    let subjects = population.subjects.len();
    let census = census(rows, &layout, subjects)?;
    let (pooled_m, pooled_nm) = (0, 1);
    let (cm, cn) = (census.streams[pooled_m], census.streams[pooled_nm]);

    // Questions: calibration pivots, DET grid points, and each group's EER.
    let mut selector = Selector::new(layout.streams);
    let n_nm = cn.total as usize;
    let pivots: Vec<Result<usize, CalibratedThreshold>> = config
        .fmr_targets
        .iter()
        .map(|&target| calibration_rank(n_nm, target).map(|rank| selector.add_rank(&cn, pooled_nm, rank as u64)))
        .collect();
    let (nm_ranks, m_ranks) = curve_ranks(cm.finite() as usize, cn.finite() as usize);
    let nm_points: Vec<usize> =
        nm_ranks.iter().map(|&r| selector.add_rank(&cn, pooled_nm, cn.neg_inf + r as u64)).collect();
    let m_points: Vec<usize> =
        m_ranks.iter().map(|&r| selector.add_rank(&cm, pooled_m, cm.neg_inf + r as u64)).collect();
    let mut crossings = Vec::new();
    for (k, c) in layout.codes.iter().enumerate() {
        for g in 0..c.n_groups() {
            let s = layout.stream_base[k] + 2 * g;
            crossings.push(selector.add_crossing((&census.streams[s], s), (&census.streams[s + 1], s + 1)));
        }
    }
    select(rows, &layout, &mut selector)?;

    // Thresholds: the analysis's (grid, declared, calibrated), the curves', the edges.
    let mut uses = base_thresholds(config, declared);
    let mut calibrations = Vec::new();
    for (&target, pivot) in config.fmr_targets.iter().zip(&pivots) {
        let outcome = match pivot {
            Err(why) => *why,
            Ok(id) => match selector.rank(*id) {
                f64::NEG_INFINITY => CalibratedThreshold::AnyThreshold,
                // The count is filled in from the level counts below.
                pivot => CalibratedThreshold::Threshold { threshold: pivot.next_up(), count: 0 },
            },
        };
        calibrations.push(calibration_row(Metric::Fmr, target, None, cn.total, outcome, &mut uses));
    }
    let levels = distinct_thresholds(&uses);
    let range = pooled_range(&cm, &cn);
    let nm_values: Vec<f64> = nm_points.iter().map(|&id| selector.rank(id)).collect();
    let m_values: Vec<f64> = m_points.iter().map(|&id| selector.rank(id)).collect();
    let curve_thresholds = curve_grid(range, &nm_values, &m_values, &levels);
    let edges = histogram_edges_for(range);
    let mut counted: Vec<f64> = levels.iter().chain(&curve_thresholds).copied().collect();
    if let Some(e) = &edges {
        counted.extend(e);
        counted.extend(e.last().map(|x| x.next_up()));
    }
    let all = Levels::new(&counted);
    let analysis_levels = Levels::new(&levels);
    // The analysis level of each counted level (analysis thresholds are among them).
    let to_analysis: Vec<usize> =
        (0..=all.len()).map(|l| if l == 0 { 0 } else { analysis_levels.level(all.thresholds()[l - 1]) }).collect();

    // Counts, and the bootstrap's first block, in one pass; a pass per further block.
    let boot = config.bootstrap_replicates > 0;
    let mut replicates = Vec::new();
    if boot {
        for c in &layout.codes {
            let bc = bootstrap_config(config, c);
            check_config(&bc, c.n_groups()).map_err(AnalysisError::Bootstrap)?;
            let units = crate::bootstrap::Units::new(&census.present, c).map_err(AnalysisError::Bootstrap)?;
            replicates.push(
                Replicates::verification(units, &levels, &analysis_levels, &bc).map_err(AnalysisError::Bootstrap)?,
            );
        }
    }
    let units = census.present.iter().filter(|&&p| p).count();
    // Without a bootstrap one pass counts the levels: one empty block of replicates.
    let blocks = if boot {
        Replicates::blocks(config.bootstrap_replicates, units, layout.codes.len())
    } else {
        std::iter::once(0..0).collect()
    };
    let mut counts = None;
    for (b, block) in blocks.into_iter().enumerate() {
        let weights: Vec<_> = replicates.iter().map(|r| r.weights(block.clone())).collect();
        let first = b == 0;
        type Acc = (LevelCounts, Vec<Tallies>);
        let (c, tallies): Acc = fold_chunks(
            rows,
            || {
                let c = if first { LevelCounts::new(layout.cells, &all) } else { LevelCounts::default() };
                (c, replicates.iter().zip(&weights).map(|(r, w)| r.tallies(w)).collect::<Vec<_>>())
            },
            |(c, t), chunk| {
                for i in 0..chunk.len() {
                    let (p, r) = (chunk.probe[i], chunk.reference[i]);
                    let level = all.level(chunk.score[i]);
                    if first {
                        layout.cells_of(p, r, |_, cell| c.add(cell, level));
                    }
                    for (k, reps) in replicates.iter().enumerate() {
                        reps.add_trial(&layout.codes[k], &weights[k], &mut t[k], p, r, to_analysis[level]);
                    }
                }
            },
            |(c, t), (c2, t2)| {
                c.merge(&c2);
                t.iter_mut().zip(&t2).for_each(|(a, b)| a.merge(b));
            },
        )?;
        for ((reps, w), t) in replicates.iter_mut().zip(&weights).zip(&tallies) {
            reps.finish_block(w, t);
        }
        if first {
            counts = Some(c);
        }
    }
    let counts = counts.unwrap_or_default();
    let at_least = |cell: usize, t: f64| -> u64 {
        let k = all.position(t).expect("every threshold asked about is counted");
        counts.at_least(cell, k)
    };

    // Calibrations' achieved counts, at the pooled non-mated cell.
    let pooled_cell = layout.non_mated_cell(0, 0, 0);
    for c in &mut calibrations {
        if let Some(t) = c.threshold {
            c.achieved = Some(Rate::new(at_least(pooled_cell, t), cn.total));
        }
    }
    let mut out = ProtocolAnalysis::new(protocol, ProtocolKind::Verification, uses.clone(), calibrations);
    let mut curves = Curves {
        gallery_size: None,
        rank: None,
        false_positive: Metric::Fmr,
        false_negative: Metric::Fnmr,
        thresholds: curve_thresholds,
        groups: Vec::new(),
    };
    let mut histograms = ScoreHistograms {
        gallery_size: None,
        mated_score: "mated comparison score".into(),
        non_mated_score: "non-mated comparison score (both subjects in the group)".into(),
        edges: edges.clone().unwrap_or_default(),
        groups: Vec::new(),
    };
    let mut index = BootstrapIndex::default();
    let mut replicates = replicates.into_iter();
    let mut next_crossing = crossings.into_iter();
    for (k, codes) in layout.codes.iter().enumerate() {
        let first_row = out.rates.len();
        let g = codes.n_groups();
        for u in &uses {
            for gi in 0..g {
                let (same, mated) = (layout.non_mated_cell(k, gi, gi), layout.mated_cell(k, gi));
                let m_total = counts.total(mated);
                let fmr = Rate::new(at_least(same, u.threshold), counts.total(same));
                let fnmr = Rate::new(m_total - at_least(mated, u.threshold), m_total);
                out.rates.push(row(config, Metric::Fmr, Some(u), codes, gi, fmr));
                out.rates.push(row(config, Metric::Fnmr, Some(u), codes, gi, fnmr));
            }
            if g > 1 {
                for p in 0..g {
                    for r in 0..g {
                        let cell = layout.non_mated_cell(k, p, r);
                        out.cross_group_fmr.push(CrossGroupCell {
                            grouping: codes.grouping.name(),
                            probe_group: codes.labels[p].clone(),
                            reference_group: codes.labels[r].clone(),
                            threshold: u.threshold,
                            operating_point: u.operating_point.clone(),
                            rate: Rate::new(at_least(cell, u.threshold), counts.total(cell)),
                        });
                    }
                }
            }
        }
        for gi in 0..g {
            let (same, mated) = (layout.non_mated_cell(k, gi, gi), layout.mated_cell(k, gi));
            let (name, label) = (codes.grouping.name(), &codes.labels[gi]);
            let fp = (counts.total(same), |t: f64| at_least(same, t));
            let hits = (counts.total(mated), |t: f64| at_least(mated, t));
            curves.groups.push(curve_group(&name, label, &curves.thresholds, fp, hits));
            if let Some(edges) = &edges {
                histograms.groups.push(histogram_group(&name, label, edges, hits, fp));
            }
            let crossing = next_crossing.next().and_then(|id| selector.crossing(id));
            out.eer.push(EerRow {
                grouping: codes.grouping.name(),
                group: codes.labels[gi].clone(),
                eer: crossing.map(|c| c.eer),
                threshold: crossing.map(|c| c.threshold),
                mated: counts.total(mated),
                non_mated: counts.total(same),
            });
        }
        if let Some(reps) = replicates.next() {
            let boot = Ok(reps.assemble(codes, &bootstrap_config(config, codes)));
            attach_bootstrap(&mut out.rates, first_row, boot, None, &mut index)?;
        }
    }
    out.curves.push(curves);
    if edges.is_some() {
        out.histograms.push(histograms);
    }
    out.extrapolations = extrapolations(&out.rates, config);
    add_differences(&mut out, config, &index, Comparison::Verification);
    Ok(out)
}

/// The lowest and highest finite score of the pooled mated and non-mated trials.
fn pooled_range(m: &Census, n: &Census) -> Option<(f64, f64)> {
    match (m.range(), n.range()) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::curves::{bin_counts, curve_thresholds, histogram_edges};
    use crate::metrics::counting::{GroupedScores, calibrate};
    use crate::metrics::eer::equal_error_rate;
    use crate::model::population::{Grouping, Subject};
    use crate::model::trials::VerificationTrials;
    use rand::{Rng, SeedableRng};

    fn population(n: usize) -> Population {
        Population {
            attributes: vec!["sex".into(), "band".into()],
            subjects: (0..n)
                .map(|i| Subject {
                    id: format!("s{i}"),
                    attributes: vec![["F", "M"][i % 2].into(), ["x", "y", "z"][(i / 2) % 3].into()],
                })
                .collect(),
            provenance: Default::default(),
        }
    }

    /// Scores with ties, failures, both zeros and a tight cluster, over more than one
    /// chunk, so that every path of the selection runs.
    fn trials(seed: u64, n: usize, subjects: u32) -> VerificationTrials {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut t = VerificationTrials::default();
        for _ in 0..n {
            let p = rng.random_range(0..subjects);
            let r = if rng.random_bool(0.25) { p } else { rng.random_range(0..subjects) };
            let base = if p == r { 0.7 } else { 0.3 } + 0.03 * f64::from(p % 3);
            let score = match rng.random_range(0..20) {
                0 => None,
                1 => Some([0.5, 0.25, -0.0, 0.0][rng.random_range(0..4)]),
                2 => Some(0.41 + rng.random_range(0.0..1e-12)),
                _ => Some(base + rng.random_range(-0.3..0.3)),
            };
            t.push(p, r, score);
        }
        t
    }

    fn sorted(v: impl Iterator<Item = f64>) -> Vec<f64> {
        let mut v: Vec<f64> = v.map(|x| x + 0.0).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Every number of the 1:1 analysis equals its direct form over sorted scores.
    #[test]
    fn equals_the_sorted_computation() {
        for (seed, n, replicates) in [(1, 150_000, 0), (2, 3000, 40), (3, 40, 25)] {
            let t = trials(seed, n, 60);
            let pop = population(60);
            let groupings = vec![Grouping::parse("sex").unwrap(), Grouping::parse("sex,band").unwrap()];
            let mut config = AnalysisConfig::with_thresholds(vec![0.2, 0.41, 0.5, 0.6], groupings);
            config.fmr_targets = vec![1e-1, 1e-3, 1e-6];
            config.bootstrap_replicates = replicates;
            let a = analyse_verification("v", &t, &pop, &config, &[]).unwrap();

            let n = t.len();
            let mated = |i: usize| t.probe_subject[i] == t.reference_subject[i];
            let nm_all = sorted((0..n).filter(|&i| !mated(i)).map(|i| t.score[i]));
            let m_all = sorted((0..n).filter(|&i| mated(i)).map(|i| t.score[i]));
            for c in &a.calibrations {
                let want = calibrate(&nm_all, c.target);
                match want {
                    CalibratedThreshold::Threshold { threshold, count } => {
                        assert_eq!(c.threshold, Some(threshold));
                        assert_eq!(c.achieved, Some(Rate::new(count, nm_all.len() as u64)));
                    }
                    _ => assert_eq!(c.threshold, None),
                }
            }
            let levels = distinct_thresholds(&a.thresholds);
            assert_eq!(a.curves[0].thresholds, curve_thresholds(&m_all, &nm_all, &levels));
            let edges = histogram_edges(&m_all, &nm_all).unwrap();
            assert_eq!(a.histograms[0].edges, edges);

            for grouping in groupings_with_all(&config) {
                let codes = pop.group_codes(&grouping).unwrap();
                let g = codes.n_groups();
                let group = |s: u32| codes.of_subject[s as usize];
                let (mut ms, mut mg, mut ns, mut nc) = (vec![], vec![], vec![], vec![]);
                for i in 0..n {
                    let (p, r) = (group(t.probe_subject[i]), group(t.reference_subject[i]));
                    if mated(i) {
                        ms.push(t.score[i] + 0.0);
                        mg.push(p);
                    } else {
                        ns.push(t.score[i] + 0.0);
                        nc.push(p * g as u32 + r);
                    }
                }
                let m = GroupedScores::new(&ms, &mg, g);
                let nm = GroupedScores::new(&ns, &nc, g * g);
                let name = codes.grouping.name();
                for r in a.rates.iter().filter(|r| r.grouping == name) {
                    let gi = codes.labels.iter().position(|l| *l == r.group).unwrap();
                    let th = r.threshold.unwrap();
                    let same = gi * g + gi;
                    let want = match r.metric {
                        Metric::Fmr => Rate::new(nm.at_least(same, th), nm.total(same)),
                        _ => Rate::new(m.total(gi) - m.at_least(gi, th), m.total(gi)),
                    };
                    assert_eq!(r.rate, want, "{name} {} {:?} at {th}", r.group, r.metric);
                }
                for cell in a.cross_group_fmr.iter().filter(|c| c.grouping == name) {
                    let p = codes.labels.iter().position(|l| *l == cell.probe_group).unwrap();
                    let q = codes.labels.iter().position(|l| *l == cell.reference_group).unwrap();
                    let c = p * g + q;
                    assert_eq!(cell.rate, Rate::new(nm.at_least(c, cell.threshold), nm.total(c)));
                }
                for gi in 0..g {
                    let same = gi * g + gi;
                    let label = &codes.labels[gi];
                    let eer = a.eer.iter().find(|e| e.grouping == name && e.group == *label).unwrap();
                    let want = equal_error_rate(m.group(gi), nm.group(same));
                    assert_eq!(
                        eer.eer.zip(eer.threshold).map(|(a, b)| (a.to_bits(), b.to_bits())),
                        want.map(|(a, b)| (a.to_bits(), b.to_bits())),
                        "EER of {name} {label}"
                    );
                    let curve = a.curves[0].groups.iter().find(|c| c.grouping == name && c.group == *label).unwrap();
                    let fp: Vec<u64> = a.curves[0].thresholds.iter().map(|&x| nm.at_least(same, x)).collect();
                    assert_eq!(curve.false_positives, fp);
                    let h = a.histograms[0].groups.iter().find(|h| h.grouping == name && h.group == *label).unwrap();
                    assert_eq!((h.mated.clone(), h.mated_unscored), bin_counts(m.group(gi), &edges));
                    assert_eq!((h.non_mated.clone(), h.non_mated_unscored), bin_counts(nm.group(same), &edges));
                }
            }
            if replicates > 0 {
                assert!(a.rates.iter().filter(|r| r.threshold.is_some()).all(|r| r.bootstrap.is_some()));
            }
        }
    }

    /// The bootstrap intervals do not depend on how many replicates are drawn at once.
    #[test]
    fn blocks_of_replicates_give_the_same_intervals() {
        let t = trials(9, 2000, 30);
        let pop = population(30);
        let codes = pop.group_codes(&Grouping::parse("sex").unwrap()).unwrap();
        let present = crate::bootstrap::present_subjects(&t, 30).unwrap();
        let units = crate::bootstrap::Units::new(&present, &codes).unwrap();
        let thresholds = [0.3, 0.5];
        let levels = Levels::new(&thresholds);
        let config = crate::bootstrap::BootstrapConfig { replicates: 30, ..crate::bootstrap::BootstrapConfig::new(4) };
        let run = |blocks: &[std::ops::Range<usize>]| {
            let mut reps = Replicates::verification(units.clone(), &thresholds, &levels, &config).unwrap();
            for block in blocks {
                let w = reps.weights(block.clone());
                let mut tallies = reps.tallies(&w);
                for i in 0..t.len() {
                    let level = levels.level(t.score[i]);
                    reps.add_trial(&codes, &w, &mut tallies, t.probe_subject[i], t.reference_subject[i], level);
                }
                reps.finish_block(&w, &tallies);
            }
            reps.assemble(&codes, &config)
        };
        let whole = [std::ops::Range { start: 0, end: 30 }];
        assert_eq!(run(&whole), run(&[0..7, 7..8, 8..30]));
        assert_eq!(run(&whole), crate::bootstrap::bootstrap_verification(&t, &codes, &thresholds, &config).unwrap());
    }
}
