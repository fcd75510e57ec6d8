//! Subject-level bootstrap intervals for per-group rates (docs/metrics.md,
//! "Uncertainty"): the honest interval when trials share subjects.
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
//! **Speed.** Replicates reuse counts built once (module `aggregates`): per subject and per
//! pair of subjects, at every threshold. A replicate is a weighted sum over subjects and
//! subject pairs, in exact integers. Replicate `b` draws from `ChaCha8Rng` seeded with the
//! seed on stream `b`, so the result depends on the seed only, not on the thread count.
//!
//! **Intervals.** Percentile intervals (Efron & Tibshirani chapter 13): the `(1-c)/2` and
//! `(1+c)/2` quantiles of the replicates, linearly interpolated between order statistics
//! (numpy's default, Hyndman & Fan type 7). A replicate in which a rate is undefined (zero
//! denominator, or a ratio over zero) is counted in `undefined`, and the interval is over
//! the others; callers should show the count beside the interval.

mod aggregates;
mod index;
mod summary;
#[cfg(test)]
mod tests;

use crate::metrics::identification::{mate_score_within_rank, search_columns};
use crate::model::analysis::Metric;
use crate::model::differences::MeasuresBootstrap;
use crate::model::population::GroupCodes;
use crate::model::trials::{SearchTrials, VerificationTrials};
use aggregates::{Count, Levels, PairTable, SubjectTable, Units};
pub use index::{BootstrapIndex, VersusReference};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
pub use summary::{GroupRateBootstrap, SpreadBootstrap};

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
    #[error("threshold {0} is not a number")]
    InvalidThreshold(f64),
    #[error("{0} thresholds: at most 65,534 are supported")]
    TooManyThresholds(usize),
    #[error("a trial names subject {subject}, but the grouping covers {subjects} subjects")]
    UnknownSubject { subject: u32, subjects: usize },
    #[error("group code {code} is out of range: the grouping has {groups} groups")]
    UnknownGroup { code: u32, groups: usize },
    #[error("reference group {group} is out of range: the grouping has {groups} groups")]
    UnknownReferenceGroup { group: usize, groups: usize },
    #[error("trial columns differ in length")]
    LengthMismatch,
}

/// Every bootstrap interval of one protocol under one grouping: built once, read many ways.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Bootstrap {
    pub grouping: String,
    pub labels: Vec<String>,
    /// Subjects taking part, per group: each replicate draws this many from each group.
    pub subjects: Vec<usize>,
    /// Distinct within-group pairs of subjects behind the non-mated 1:1 counts.
    pub subject_pairs: usize,
    pub config: BootstrapConfig,
    /// One row per metric, rank, threshold and group, in the caller's threshold order.
    pub rates: Vec<GroupRateBootstrap>,
    /// One row per metric, rank and threshold: the spread across groups.
    pub spreads: Vec<SpreadBootstrap>,
    /// FDR, IR and GARBE per threshold (and rank), over groups with every rate defined.
    pub measures: Vec<MeasuresBootstrap>,
}

/// Where a rate's counts live: columns of the subject or pair sums.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateSpec {
    pub metric: Metric,
    pub threshold: f64,
    pub rank: Option<u32>,
    pub pairs: bool,
    pub denominator: usize,
    pub numerator: usize,
    /// The rate is `1 - numerator / denominator` (TPIR from missed mates).
    pub complement: bool,
}

/// The counts built once, ready for replicates.
pub(crate) struct Engine {
    pub units: Units,
    pub subjects: SubjectTable,
    pub pairs: PairTable,
    pub specs: Vec<RateSpec>,
}

impl Engine {
    /// `(numerator, denominator)` of every spec in every group under weights `w`,
    /// spec-major: index `s * n_groups + g`.
    pub fn counts(&self, w: &[u32], scratch: &mut Vec<u64>) -> Vec<(u64, u64)> {
        let g = self.units.n_groups();
        let mut subject_sums = vec![0u64; g * self.subjects.columns];
        self.subjects.weighted_sums(&self.units, w, &mut subject_sums);
        let mut pair_sums = vec![0u64; g * self.pairs.columns];
        self.pairs.weighted_sums(&self.units, w, &mut pair_sums, scratch);
        let mut out = Vec::with_capacity(self.specs.len() * g);
        for spec in &self.specs {
            let (sums, c) =
                if spec.pairs { (&pair_sums, self.pairs.columns) } else { (&subject_sums, self.subjects.columns) };
            for gi in 0..g {
                let den = sums[gi * c + spec.denominator];
                let num = sums[gi * c + spec.numerator];
                out.push((if spec.complement { den - num } else { num }, den));
            }
        }
        out
    }

    /// Multinomial counts: each group draws its own size, uniformly with replacement,
    /// from its own units, on stream `replicate` of the seed.
    pub fn draw_weights(&self, seed: u64, replicate: usize) -> Vec<u32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(replicate as u64);
        let mut w = vec![0u32; self.units.n_units()];
        for g in 0..self.units.n_groups() {
            let (start, n) = (self.units.group_start[g], self.units.group_size(g));
            for _ in 0..n {
                w[start + rng.random_range(0..n)] += 1;
            }
        }
        w
    }

    fn run(&self, codes: &GroupCodes, config: &BootstrapConfig) -> Result<Bootstrap, BootstrapError> {
        check_config(config, codes.n_groups())?;
        let mut scratch = Vec::new();
        let point = self.counts(&vec![1; self.units.n_units()], &mut scratch);
        let replicates: Vec<Vec<f64>> = (0..config.replicates)
            .into_par_iter()
            .map_init(Vec::new, |scratch, b| {
                let w = self.draw_weights(config.seed, b);
                self.counts(&w, scratch).into_iter().map(|(n, d)| rate_value(n, d)).collect()
            })
            .collect();
        let (rates, spreads) = summary::summarise(&self.specs, codes, &point, &replicates, config);
        let measures = summary::summarise_measures(&self.specs, codes.n_groups(), &point, &replicates, config);
        Ok(Bootstrap {
            grouping: codes.grouping.name(),
            labels: codes.labels.clone(),
            subjects: (0..self.units.n_groups()).map(|g| self.units.group_size(g)).collect(),
            subject_pairs: self.pairs.pairs(),
            config: config.clone(),
            rates,
            spreads,
            measures,
        })
    }
}

/// A rate as `f64`, NaN when undefined (zero denominator); NaN never escapes this module.
pub(crate) fn rate_value(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 { f64::NAN } else { numerator as f64 / denominator as f64 }
}

fn check_config(config: &BootstrapConfig, groups: usize) -> Result<(), BootstrapError> {
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

/// Build the per-subject and per-pair counts of 1:1 trials (FNMR from mated trials,
/// FMR from within-group non-mated pairs) at `thresholds`.
pub(crate) fn verification_engine(
    trials: &VerificationTrials,
    codes: &GroupCodes,
    thresholds: &[f64],
) -> Result<Engine, BootstrapError> {
    let n = trials.len();
    if trials.probe_subject.len() != n || trials.reference_subject.len() != n {
        return Err(BootstrapError::LengthMismatch);
    }
    let levels = Levels::new(thresholds)?;
    let k = levels.len();
    let units = Units::new(trials.probe_subject.iter().chain(&trials.reference_subject).copied(), codes)?;
    let group_of = |u: usize| units.group_start.partition_point(|&s| s <= u) - 1;
    let mut subjects = SubjectTable::default();
    let mated = (0..n).filter(|&i| trials.probe_subject[i] == trials.reference_subject[i]);
    let mated_col = subjects.add_block(
        units.n_units(),
        k,
        Count::Missing,
        mated.map(|i| (units.unit(trials.probe_subject[i]), levels.level(trials.score[i]))),
    );
    let pair_items: Vec<(u32, u32, u16)> = (0..n)
        .filter_map(|i| {
            let (p, r) = (units.unit(trials.probe_subject[i]), units.unit(trials.reference_subject[i]));
            (p != r && group_of(p) == group_of(r)).then(|| (p as u32, r as u32, levels.level(trials.score[i]) as u16))
        })
        .collect();
    let pairs = PairTable::new(units.n_units(), k, &pair_items);
    let mut specs = Vec::new();
    for (metric, is_pairs, col) in [(Metric::Fmr, true, 0), (Metric::Fnmr, false, mated_col)] {
        for (i, &t) in thresholds.iter().enumerate() {
            specs.push(RateSpec {
                metric,
                threshold: t,
                rank: None,
                pairs: is_pairs,
                denominator: col,
                numerator: col + 1 + levels.position[i],
                complement: false,
            });
        }
    }
    Ok(Engine { units, subjects, pairs, specs })
}

/// Subject bootstrap of FMR and FNMR per group at every threshold (1:1 verification).
/// `codes` maps every subject index the trials use to its group.
pub fn bootstrap_verification(
    trials: &VerificationTrials,
    codes: &GroupCodes,
    thresholds: &[f64],
    config: &BootstrapConfig,
) -> Result<Bootstrap, BootstrapError> {
    verification_engine(trials, codes, thresholds)?.run(codes, config)
}

pub(crate) fn search_engine(
    trials: &SearchTrials,
    codes: &GroupCodes,
    thresholds: &[f64],
    ranks: &[u32],
) -> Result<Engine, BootstrapError> {
    let n = trials.len();
    if trials.mated.len() != n || trials.offsets.len() != n + 1 {
        return Err(BootstrapError::LengthMismatch);
    }
    let levels = Levels::new(thresholds)?;
    let k = levels.len();
    let units = Units::new(trials.subject.iter().copied(), codes)?;
    let columns = search_columns(trials);
    let mut subjects = SubjectTable::default();
    let mut specs = Vec::new();
    let mut ranks = ranks.to_vec();
    ranks.sort_unstable();
    ranks.dedup();
    for &r in &ranks {
        let within = mate_score_within_rank(&columns, r);
        let items =
            (0..n).filter(|&i| trials.mated[i]).map(|i| (units.unit(trials.subject[i]), levels.level(within[i])));
        let col = subjects.add_block(units.n_units(), k, Count::Missing, items);
        for (metric, complement) in [(Metric::Fnir, false), (Metric::Tpir, true)] {
            for (i, &t) in thresholds.iter().enumerate() {
                specs.push(RateSpec {
                    metric,
                    threshold: t,
                    rank: Some(r),
                    pairs: false,
                    denominator: col,
                    numerator: col + 1 + levels.position[i],
                    complement,
                });
            }
        }
    }
    let items = (0..n)
        .filter(|&i| !trials.mated[i])
        .map(|i| (units.unit(trials.subject[i]), levels.level(columns.top_score[i])));
    let col = subjects.add_block(units.n_units(), k, Count::Reaching, items);
    for (i, &t) in thresholds.iter().enumerate() {
        specs.push(RateSpec {
            metric: Metric::Fpir,
            threshold: t,
            rank: None,
            pairs: false,
            denominator: col,
            numerator: col + 1 + levels.position[i],
            complement: false,
        });
    }
    Ok(Engine { units, subjects, pairs: PairTable::default(), specs })
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
    search_engine(trials, codes, thresholds, ranks)?.run(codes, config)
}
