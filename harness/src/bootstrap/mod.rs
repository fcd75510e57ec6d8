//! Subject-level bootstrap intervals for per-group rates (docs/metrics.md,
//! "Intervals"): the honest interval when trials share subjects.
//!
//! Trials of one subject are correlated (one person's faces are all hard or all easy), so
//! the binomial intervals, which treat every trial as independent, are too narrow. The
//! resampling unit is therefore the subject, not the trial: the cluster (or "subject")
//! bootstrap of Efron & Tibshirani, *An Introduction to the Bootstrap* (1993), chapter 8
//! on structured data and chapter 13 for percentile intervals. For biometric error rates
//! it is the "subsets bootstrap" of Bolle, Ratha & Pankanti ("Error analysis of pattern
//! recognition systems - the subsets bootstrap", CVIU 93(1), 2004) with the subject as
//! the subset, and the user-specific bootstrap of Poh, Martin & Bengio (IEEE TPAMI 2007).
//! Non-mated pairs are resampled through *both* subjects, because pairs that share a
//! subject are dependent too (Li, Tang, Li & Zhang, "Second-level partition for
//! estimating FAR confidence intervals", 2009, show the coverage lost otherwise).
//!
//! **Resampling.** Each replicate draws, within every group, as many subjects as the group
//! has, uniformly with replacement (multinomial counts `w_s`). It is *stratified by group*:
//! a per-group interval is about that group's rate at the group size actually tested, and
//! keeping each group's size fixed stops the spread of the group size (a nuisance under
//! overall resampling, and fatal for a small group that may vanish from a replicate) from
//! leaking into the interval. The subjects are those that appear in the trials given.
//!
//! **Weights.** A mated trial or a search counts `w_s` times (its subject drawn `w_s`
//! times); a non-mated 1:1 pair of subjects `i != j` counts `w_i * w_j` times (both drawn,
//! every pairing of their copies). A non-mated pair enters group g's FMR only when both
//! subjects are in g, as in [`crate::analysis::protocol`]. Coverage (`harness/tests/bootstrap_coverage.rs`):
//! about 94-95% for 95% intervals of FNMR and FMR with correlated trials, where Wilson
//! covers 45-76%. When pairs have only one or two trials each, the FMR interval is
//! conservative (97% measured): the `w_i * w_j` weight also inflates the noise of single
//! pairs, as in Owen's pigeonhole bootstrap for crossed designs (Ann. Appl. Stat. 2007).
//!
//! **Speed.** The weights of a block of replicates are drawn first; one pass over the
//! trials then adds each trial's weight (or its pair's product of weights) into its
//! replicate's level histogram for its group (module `tally`), in exact integers, so a
//! replicate costs O(trials + groups × thresholds) and the trials are never held: the
//! same code serves a run's trials in memory and a score file read in chunks. Replicate
//! `b` draws from `ChaCha8Rng` seeded with the seed on stream `b`, so the result depends
//! on the seed only, not on the thread count or the block size.
//!
//! **Intervals.** Percentile intervals (Efron & Tibshirani chapter 13): the `(1-c)/2` and
//! `(1+c)/2` quantiles of the replicates, linearly interpolated between order statistics
//! (numpy's default, Hyndman & Fan type 7). A replicate in which a rate is undefined (zero
//! denominator, or a ratio over zero) is counted in `undefined`, and the interval is over
//! the others; callers should show the count beside the interval.

mod index;
mod summary;
mod tally;
#[cfg(test)]
mod tests;

use crate::metrics::identification::{mate_score_within_rank, search_columns};
use crate::metrics::levels::Levels;
use crate::model::analysis::Metric;
use crate::model::differences::MeasuresBootstrap;
use crate::model::population::GroupCodes;
use crate::model::rows::{RowsError, VerificationRows, fold_chunks};
use crate::model::trials::SearchTrials;
pub use index::{BootstrapIndex, VersusReference};
use serde::Serialize;
use std::ops::Range;
pub use summary::{GroupRateBootstrap, SpreadBootstrap};
pub(crate) use tally::{Count, RateSpec, Tally, Units, Weights, replicate_block, spec_counts};

/// How many replicates, at what confidence, from which seed.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct BootstrapConfig {
    /// Default 1,000.
    pub replicates: usize,
    /// Two-sided confidence level, default 0.95.
    pub confidence: f64,
    pub seed: u64,
    /// The group each group is compared with; `None`: for each rate and threshold, the
    /// group with the lowest defined point estimate (docs/metrics.md).
    pub reference_group: Option<usize>,
    /// Weight of the false-positive term in the bootstrapped FDR, IR and GARBE.
    pub summary_alpha: f64,
}

impl BootstrapConfig {
    /// 1,000 replicates at 95%, reference group the lowest rate; the seed is explicit.
    pub fn new(seed: u64) -> Self {
        BootstrapConfig { replicates: 1000, confidence: 0.95, seed, reference_group: None, summary_alpha: 0.5 }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BootstrapError {
    #[error("the number of bootstrap replicates must be positive")]
    NoReplicates,
    #[error("confidence {0} is not strictly between 0 and 1")]
    InvalidConfidence(f64),
    #[error("threshold {0} is not a finite number")]
    InvalidThreshold(f64),
    #[error("a trial names subject {subject}, but the grouping covers {subjects} subjects")]
    UnknownSubject { subject: u32, subjects: usize },
    #[error("group code {code} is out of range: the grouping has {groups} groups")]
    UnknownGroup { code: u32, groups: usize },
    #[error("reference group {group} is out of range: the grouping has {groups} groups")]
    UnknownReferenceGroup { group: usize, groups: usize },
    #[error("trial columns differ in length")]
    LengthMismatch,
    #[error("reading the trials: {0}")]
    Rows(RowsError),
}

/// Every bootstrap interval of one protocol under one grouping: built once, read many ways.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Bootstrap {
    pub grouping: String,
    pub labels: Vec<String>,
    /// Subjects taking part, per group: each replicate draws this many from each group.
    pub subjects: Vec<usize>,
    pub config: BootstrapConfig,
    /// One row per metric, rank, threshold and group, in the caller's threshold order.
    pub rates: Vec<GroupRateBootstrap>,
    /// One row per metric, rank and threshold: the spread across groups.
    pub spreads: Vec<SpreadBootstrap>,
    /// FDR, IR and GARBE per threshold (and rank), over groups with every rate defined.
    pub measures: Vec<MeasuresBootstrap>,
}

/// Weights drawn at once, in bytes (the replicates are drawn in blocks that fit).
pub const WEIGHT_BUDGET: usize = 256 << 20;

/// A weighted tally for a block of replicates, and the observed one (every weight 1).
#[derive(Debug, Clone)]
pub(crate) struct Tallies {
    block: Tally,
    point: Tally,
}

impl Tallies {
    pub fn merge(&mut self, other: &Tallies) {
        self.block.merge(&other.block);
        self.point.merge(&other.point);
    }
}

/// The subject bootstrap of one grouping, fed trial by trial (docs/metrics.md,
/// "Uncertainty"): the units and rates are fixed up front, the replicates are drawn in
/// blocks, and each block is one pass over the trials.
#[derive(Debug, Clone)]
pub(crate) struct Replicates {
    pub units: Units,
    pub specs: Vec<RateSpec>,
    stats: usize,
    levels: usize,
    seed: u64,
    rates: Vec<Vec<f64>>,
    point: Option<Vec<(u64, u64)>>,
}

const FMR: usize = 0;
const FNMR: usize = 1;

impl Replicates {
    fn new(units: Units, specs: Vec<RateSpec>, stats: usize, levels: usize, config: &BootstrapConfig) -> Self {
        Replicates {
            units,
            specs,
            stats,
            levels,
            seed: config.seed,
            rates: Vec::with_capacity(config.replicates),
            point: None,
        }
    }

    /// FMR (within-group non-mated pairs) and FNMR (mated trials) at each of
    /// `thresholds` (caller's order) of `levels` (the same thresholds, sorted).
    pub fn verification(
        units: Units,
        thresholds: &[f64],
        levels: &Levels,
        config: &BootstrapConfig,
    ) -> Result<Self, BootstrapError> {
        let mut specs = Vec::new();
        for (metric, stat, count) in [(Metric::Fmr, FMR, Count::Reaching), (Metric::Fnmr, FNMR, Count::Missing)] {
            for &t in thresholds {
                let position = levels.position(t).ok_or(BootstrapError::InvalidThreshold(t))?;
                specs.push(RateSpec { metric, threshold: t, rank: None, stat, position, count, complement: false });
            }
        }
        Ok(Replicates::new(units, specs, 2, levels.len(), config))
    }

    /// The blocks of replicates, each small enough for `tables` groupings' weights.
    pub fn blocks(replicates: usize, units: usize, tables: usize) -> Vec<Range<usize>> {
        let size = replicate_block(replicates, units, tables, WEIGHT_BUDGET);
        (0..replicates.div_ceil(size)).map(|i| i * size..((i + 1) * size).min(replicates)).collect()
    }

    pub fn weights(&self, block: Range<usize>) -> Weights {
        Weights::draw(&self.units, self.seed, block)
    }

    pub fn tallies(&self, weights: &Weights) -> Tallies {
        let groups = self.units.n_groups();
        Tallies {
            block: Tally::new(self.stats, groups, self.levels, weights.count),
            // The observed counts are taken with the first block only.
            point: Tally::new(self.stats, groups, self.levels, usize::from(weights.first == 0)),
        }
    }

    /// A 1:1 trial at `level`: mated (FNMR) when the subjects are equal, else a
    /// non-mated pair (FMR) when both are in one group.
    #[inline]
    pub fn add_trial(&self, codes: &GroupCodes, weights: &Weights, t: &mut Tallies, p: u32, r: u32, level: usize) {
        let gp = codes.of_subject[p as usize] as usize;
        let up = self.units.unit(p);
        if p == r {
            t.block.add(FNMR, gp, level, weights.of(up));
            t.point.add(FNMR, gp, level, &[1]);
        } else if codes.of_subject[r as usize] as usize == gp {
            let ur = self.units.unit(r);
            t.block.add_pair(FMR, gp, level, weights.of(up), weights.of(ur));
            t.point.add(FMR, gp, level, &[1]);
        }
    }

    /// A search's contribution to statistic `stat` at `level`, by its searcher.
    #[inline]
    pub fn add_search(&self, weights: &Weights, t: &mut Tallies, stat: usize, g: usize, unit: usize, level: usize) {
        t.block.add(stat, g, level, weights.of(unit));
        t.point.add(stat, g, level, &[1]);
    }

    /// `(numerator, denominator)` of every spec and group in replicate `r` of a block.
    pub fn counts(&self, t: &Tallies, r: usize) -> Vec<(u64, u64)> {
        spec_counts(&self.specs, self.stats, self.units.n_groups(), |s, g, out| t.block.cumulative(s, g, r, out))
    }

    /// Turn a block's tallies into the rates of its replicates.
    pub fn finish_block(&mut self, weights: &Weights, t: &Tallies) {
        let groups = self.units.n_groups();
        if weights.first == 0 {
            self.point =
                Some(spec_counts(&self.specs, self.stats, groups, |s, g, out| t.point.cumulative(s, g, 0, out)));
        }
        for r in 0..weights.count {
            self.rates.push(self.counts(t, r).into_iter().map(|(n, d)| rate_value(n, d)).collect());
        }
    }

    /// The intervals, once every block is finished.
    pub fn assemble(self, codes: &GroupCodes, config: &BootstrapConfig) -> Bootstrap {
        let point = self.point.unwrap_or_default();
        let (rates, spreads) = summary::summarise(&self.specs, codes, &point, &self.rates, config);
        let measures = summary::summarise_measures(&self.specs, codes.n_groups(), &point, &self.rates, config);
        Bootstrap {
            grouping: codes.grouping.name(),
            labels: codes.labels.clone(),
            subjects: (0..self.units.n_groups()).map(|g| self.units.group_size(g)).collect(),
            config: config.clone(),
            rates,
            spreads,
            measures,
        }
    }
}

/// A rate as `f64`, NaN when undefined (zero denominator); NaN never escapes this module.
pub(crate) fn rate_value(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 { f64::NAN } else { numerator as f64 / denominator as f64 }
}

pub(crate) fn check_config(config: &BootstrapConfig, groups: usize) -> Result<(), BootstrapError> {
    if config.replicates == 0 {
        return Err(BootstrapError::NoReplicates);
    }
    if !(config.confidence > 0.0 && config.confidence < 1.0) {
        return Err(BootstrapError::InvalidConfidence(config.confidence));
    }
    match config.reference_group {
        Some(group) if group >= groups => Err(BootstrapError::UnknownReferenceGroup { group, groups }),
        _ => Ok(()),
    }
}

fn check_thresholds(thresholds: &[f64]) -> Result<Levels, BootstrapError> {
    match thresholds.iter().find(|t| !t.is_finite()) {
        Some(&t) => Err(BootstrapError::InvalidThreshold(t)),
        None => Ok(Levels::new(thresholds)),
    }
}

/// Which subjects appear in 1:1 trials (and that each is one `codes` knows).
pub(crate) fn present_subjects(rows: &dyn VerificationRows, subjects: usize) -> Result<Vec<bool>, BootstrapError> {
    let found = fold_chunks(
        rows,
        || (vec![false; subjects], None::<u32>),
        |(seen, unknown), c| {
            for &s in c.probe.iter().chain(c.reference.iter()) {
                match seen.get_mut(s as usize) {
                    Some(x) => *x = true,
                    None => *unknown = Some(s),
                }
            }
        },
        |a, b| {
            a.0.iter_mut().zip(b.0).for_each(|(x, y)| *x |= y);
            a.1 = a.1.or(b.1);
        },
    )
    .map_err(BootstrapError::Rows)?;
    match found.1 {
        Some(subject) => Err(BootstrapError::UnknownSubject { subject, subjects }),
        None => Ok(found.0),
    }
}

/// Subject bootstrap of FMR and FNMR per group at every threshold (1:1 verification).
/// `codes` maps every subject index the trials use to its group.
pub fn bootstrap_verification(
    rows: &dyn VerificationRows,
    codes: &GroupCodes,
    thresholds: &[f64],
    config: &BootstrapConfig,
) -> Result<Bootstrap, BootstrapError> {
    check_config(config, codes.n_groups())?;
    let levels = check_thresholds(thresholds)?;
    let present = present_subjects(rows, codes.of_subject.len())?;
    let mut reps = Replicates::verification(Units::new(&present, codes)?, thresholds, &levels, config)?;
    for block in Replicates::blocks(config.replicates, reps.units.n_units(), 1) {
        let weights = reps.weights(block);
        let t = fold_chunks(
            rows,
            || reps.tallies(&weights),
            |t, c| {
                for i in 0..c.len() {
                    reps.add_trial(codes, &weights, t, c.probe[i], c.reference[i], levels.level(c.score[i]));
                }
            },
            |a, b| a.merge(&b),
        )
        .map_err(BootstrapError::Rows)?;
        reps.finish_block(&weights, &t);
    }
    Ok(reps.assemble(codes, config))
}

/// Subject bootstrap of FNIR and TPIR at each of `ranks` and of FPIR, per group at every
/// threshold (1:N identification or watchlist, one gallery size). The searcher is the
/// subject: mated and non-mated searches count with their searcher's multiplicity.
pub fn bootstrap_search(
    trials: &SearchTrials,
    codes: &GroupCodes,
    thresholds: &[f64],
    ranks: &[u32],
    config: &BootstrapConfig,
) -> Result<Bootstrap, BootstrapError> {
    let n = trials.len();
    if trials.mated.len() != n || trials.offsets.len() != n + 1 {
        return Err(BootstrapError::LengthMismatch);
    }
    check_config(config, codes.n_groups())?;
    let levels = check_thresholds(thresholds)?;
    let subjects = codes.of_subject.len();
    let mut present = vec![false; subjects];
    for &s in &trials.subject {
        *present.get_mut(s as usize).ok_or(BootstrapError::UnknownSubject { subject: s, subjects })? = true;
    }
    let units = Units::new(&present, codes)?;
    let columns = search_columns(trials);
    let mut ranks = ranks.to_vec();
    ranks.sort_unstable();
    ranks.dedup();
    // Statistic k < ranks.len(): the mate within rank ranks[k] (misses); the last: FPIR.
    let mut specs = Vec::new();
    let position = |t: f64| levels.position(t).ok_or(BootstrapError::InvalidThreshold(t));
    for (k, &r) in ranks.iter().enumerate() {
        for (metric, complement) in [(Metric::Fnir, false), (Metric::Tpir, true)] {
            for &t in thresholds {
                let count = Count::Missing;
                specs.push(RateSpec {
                    metric,
                    threshold: t,
                    rank: Some(r),
                    stat: k,
                    position: position(t)?,
                    count,
                    complement,
                });
            }
        }
    }
    let fpir = ranks.len();
    for &t in thresholds {
        let (metric, count) = (Metric::Fpir, Count::Reaching);
        specs.push(RateSpec {
            metric,
            threshold: t,
            rank: None,
            stat: fpir,
            position: position(t)?,
            count,
            complement: false,
        });
    }
    // Per search: its levels, one per statistic that it enters.
    let within: Vec<Vec<f64>> = ranks.iter().map(|&r| mate_score_within_rank(&columns, r)).collect();
    let mut reps = Replicates::new(units, specs, ranks.len() + 1, levels.len(), config);
    for block in Replicates::blocks(config.replicates, reps.units.n_units(), 1) {
        let weights = reps.weights(block);
        let t = crate::model::rows::fold_shares(
            n,
            || reps.tallies(&weights),
            |t, range| {
                for i in range {
                    let s = trials.subject[i];
                    let (g, unit) = (codes.of_subject[s as usize] as usize, reps.units.unit(s));
                    if trials.mated[i] {
                        for (k, w) in within.iter().enumerate() {
                            reps.add_search(&weights, t, k, g, unit, levels.level(w[i]));
                        }
                    } else {
                        reps.add_search(&weights, t, fpir, g, unit, levels.level(columns.top_score[i]));
                    }
                }
            },
            |a, b| a.merge(&b),
        );
        reps.finish_block(&weights, &t);
    }
    Ok(reps.assemble(codes, config))
}
