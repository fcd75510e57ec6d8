//! Two vendors on the same trials: per trial, whether each erred at its own threshold,
//! tallied into paired 2x2 tables per group and tested with McNemar's exact test
//! (docs/design.md, "Outputs": paired tests on the same searches).
//!
//! Why paired: both vendors ran the identical trial list, so a search that is hard for
//! one is often hard for the other. Comparing the two error rates as if they were
//! independent samples (Fisher's test on two rates) ignores that correlation and loses
//! power; McNemar's test uses only the trials on which the vendors disagree.
//!
//! The error of a trial is exactly the one the analysis counts (docs/metrics.md,
//! [`crate::analysis::protocol`]), so each vendor's rate here equals its rate in `results.json`:
//! - 1:N, non-mated search: a false positive when its highest candidate score is >= T
//!   (FPIR);
//! - 1:N, mated search: a false negative when the mate is not returned at rank <= L with
//!   score >= T (FNIR at rank L, the candidate list length); a failed search misses;
//! - 1:1, non-mated pair: a false match when score >= T (FMR); in a group's table only
//!   when both subjects are in that group (the analysis's rule);
//! - 1:1, mated pair: a false non-match when score < T or failed (FNMR), in the group of
//!   the subject.
//!
//! Holm's correction is applied across the groups of one (metric, grouping) table.

use crate::metrics::identification::{mate_score_within_rank, search_columns};
use crate::model::analysis::Metric;
use crate::model::population::{GroupCodes, Grouping};
use crate::model::rate::Rate;
use crate::model::trials::{SearchTrials, VerificationTrials};
use crate::stats::holm;
use crate::stats::mcnemar::PairedTable;
use serde::Serialize;

/// One group's paired table for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PairedRow {
    pub metric: Metric,
    pub grouping: String,
    pub group: String,
    /// Trials of the group counted by who erred; `only_a` and `only_b` are McNemar's
    /// discordant counts.
    pub table: PairedTable,
    /// Vendor A's error rate on these trials (both + only A) / trials.
    pub rate_a: Rate,
    /// Vendor B's error rate on these trials (both + only B) / trials.
    pub rate_b: Rate,
    /// Two-sided exact McNemar p-value (1 when no trial is discordant).
    pub p_value: f64,
    /// Holm-adjusted across the groups of this metric and grouping.
    pub p_holm: f64,
}

/// The paired tables of two vendors on one trial list at one pair of thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PairedComparison {
    /// 1:N only: the number of enrolled subjects.
    pub gallery_size: Option<u64>,
    /// 1:N only: the rank of FNIR (the candidate list length L).
    pub rank: Option<u32>,
    pub threshold_a: f64,
    pub threshold_b: f64,
    /// Per metric, grouping and group, in the order metrics (false positive first),
    /// groupings as given, groups in label order. Groups without trials are left out.
    pub rows: Vec<PairedRow>,
}

impl PairedComparison {
    pub fn row(&self, metric: Metric, grouping: &str, group: &str) -> Option<&PairedRow> {
        self.rows.iter().find(|r| r.metric == metric && r.grouping == grouping && r.group == group)
    }
}

/// Why two vendors' trials cannot be paired.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PairedError {
    #[error("the two vendors' trial lists differ in {what}: {a} and {b}")]
    Mismatch { what: &'static str, a: String, b: String },
    #[error("trial {position} differs between the two vendors: {what}")]
    Trial { position: usize, what: String },
    #[error("subject index {index} has no group in grouping `{grouping}` ({subjects} subjects)")]
    UnknownSubject { index: u32, grouping: String, subjects: usize },
    #[error("threshold {0} is not a number")]
    Threshold(f64),
}

/// The whole population as one group (`all`) for `subjects` subjects: for overall
/// paired tests when the subjects' demographic labels are not at hand.
pub fn whole_population(subjects: usize) -> GroupCodes {
    GroupCodes { grouping: Grouping::all(), labels: vec!["all".to_string()], of_subject: vec![0; subjects] }
}

fn mismatch<T: PartialEq + std::fmt::Display>(what: &'static str, a: T, b: T) -> Result<(), PairedError> {
    if a == b { Ok(()) } else { Err(PairedError::Mismatch { what, a: a.to_string(), b: b.to_string() }) }
}

fn check_threshold(t: f64) -> Result<(), PairedError> {
    if t.is_nan() { Err(PairedError::Threshold(t)) } else { Ok(()) }
}

fn group_of(codes: &GroupCodes, subject: u32) -> Result<u32, PairedError> {
    codes.of_subject.get(subject as usize).copied().ok_or_else(|| PairedError::UnknownSubject {
        index: subject,
        grouping: codes.grouping.name(),
        subjects: codes.of_subject.len(),
    })
}

/// Error flags of both vendors on the trials of one metric, with each trial's group
/// under a grouping given by `group` (`None`: the trial belongs to no group).
fn tables(
    metric: Metric,
    trials: &[usize],
    errors: (&[bool], &[bool]),
    groupings: &[GroupCodes],
    group: impl Fn(&GroupCodes, usize) -> Result<Option<u32>, PairedError>,
) -> Result<Vec<PairedRow>, PairedError> {
    let mut out = Vec::new();
    for codes in groupings {
        let mut counts = vec![PairedTable::default(); codes.n_groups()];
        for &i in trials {
            if let Some(g) = group(codes, i)? {
                counts[g as usize].add(errors.0[i], errors.1[i]);
            }
        }
        let first = out.len();
        for (g, table) in counts.into_iter().enumerate().filter(|(_, t)| t.trials() > 0) {
            let n = table.trials();
            out.push(PairedRow {
                metric,
                grouping: codes.grouping.name(),
                group: codes.labels[g].clone(),
                table,
                rate_a: Rate::new(table.errors_a(), n),
                rate_b: Rate::new(table.errors_b(), n),
                p_value: table.mcnemar_exact(),
                p_holm: 1.0,
            });
        }
        let raw: Vec<f64> = out[first..].iter().map(|r| r.p_value).collect();
        let adjusted = holm(&raw).expect("McNemar p-values lie in [0, 1]");
        for (row, p) in out[first..].iter_mut().zip(adjusted) {
            row.p_holm = p;
        }
    }
    Ok(out)
}

/// Paired FMR and FNMR of two vendors on the same 1:1 trial list, each at its own
/// threshold, for every group of every grouping in `groupings` (include the grouping
/// `all` for the overall test).
pub fn paired_verification(
    a: &VerificationTrials,
    b: &VerificationTrials,
    threshold_a: f64,
    threshold_b: f64,
    groupings: &[GroupCodes],
) -> Result<PairedComparison, PairedError> {
    check_threshold(threshold_a)?;
    check_threshold(threshold_b)?;
    mismatch("length (pairs)", a.len(), b.len())?;
    for (what, x) in [("probe subjects", a.probe_subject.len()), ("reference subjects", a.reference_subject.len())] {
        mismatch(what, a.len(), x)?;
    }
    for (what, x) in [("probe subjects", b.probe_subject.len()), ("reference subjects", b.reference_subject.len())] {
        mismatch(what, b.len(), x)?;
    }
    for i in 0..a.len() {
        let (pa, ra, pb, rb) = (a.probe_subject[i], a.reference_subject[i], b.probe_subject[i], b.reference_subject[i]);
        if (pa, ra) != (pb, rb) {
            return Err(PairedError::Trial {
                position: i,
                what: format!("subjects ({pa}, {ra}) against ({pb}, {rb})"),
            });
        }
    }
    let mated: Vec<bool> = (0..a.len()).map(|i| a.probe_subject[i] == a.reference_subject[i]).collect();
    // A failed trial scores -inf: never a match (NIST FRTE rule).
    let matches = |t: &VerificationTrials, th: f64| -> Vec<bool> { t.score.iter().map(|&s| s >= th).collect() };
    let (ma, mb) = (matches(a, threshold_a), matches(b, threshold_b));
    let non_mated: Vec<usize> = (0..a.len()).filter(|&i| !mated[i]).collect();
    let mated_idx: Vec<usize> = (0..a.len()).filter(|&i| mated[i]).collect();
    let (fna, fnb): (Vec<bool>, Vec<bool>) = (ma.iter().map(|m| !m).collect(), mb.iter().map(|m| !m).collect());

    let mut rows = tables(Metric::Fmr, &non_mated, (&ma, &mb), groupings, |codes, i| {
        let p = group_of(codes, a.probe_subject[i])?;
        let r = group_of(codes, a.reference_subject[i])?;
        Ok((p == r).then_some(p))
    })?;
    rows.extend(tables(Metric::Fnmr, &mated_idx, (&fna, &fnb), groupings, |codes, i| {
        group_of(codes, a.probe_subject[i]).map(Some)
    })?);
    Ok(PairedComparison { gallery_size: None, rank: None, threshold_a, threshold_b, rows })
}

/// Paired FPIR and FNIR (at rank L, the candidate list length) of two vendors on the
/// same searches against one gallery size, each at its own threshold, for every group
/// of every grouping in `groupings` (include `all` for the overall test).
pub fn paired_search(
    a: &SearchTrials,
    b: &SearchTrials,
    threshold_a: f64,
    threshold_b: f64,
    groupings: &[GroupCodes],
) -> Result<PairedComparison, PairedError> {
    check_threshold(threshold_a)?;
    check_threshold(threshold_b)?;
    mismatch("gallery size", a.gallery_size, b.gallery_size)?;
    mismatch("candidate list length", a.candidates, b.candidates)?;
    mismatch("number of searches", a.len(), b.len())?;
    for t in [a, b] {
        mismatch("searches and their mated flags", t.len(), t.mated.len())?;
        mismatch("searches and their indices", t.len(), t.search.len())?;
        mismatch("searches and their candidate lists", t.len() + 1, t.offsets.len())?;
    }
    for i in 0..a.len() {
        let differs = |what: &str, x: String, y: String| PairedError::Trial {
            position: i,
            what: format!("gallery size {}: {what} {x} against {y}", a.gallery_size),
        };
        if a.search[i] != b.search[i] {
            return Err(differs("search", a.search[i].to_string(), b.search[i].to_string()));
        }
        if a.subject[i] != b.subject[i] {
            return Err(differs("subject", a.subject[i].to_string(), b.subject[i].to_string()));
        }
        if a.mated[i] != b.mated[i] {
            return Err(differs("mated", a.mated[i].to_string(), b.mated[i].to_string()));
        }
    }
    let l = a.candidates as u32;
    let errors = |t: &SearchTrials, th: f64| -> (Vec<bool>, Vec<bool>) {
        let c = search_columns(t);
        let within = mate_score_within_rank(&c, l);
        let false_positive = c.top_score.iter().map(|&s| s >= th).collect();
        // Scores are never NaN (a vendor's NaN is a failure, -inf), so "not >= T" is "< T".
        let false_negative = within.iter().map(|&s| s < th).collect();
        (false_positive, false_negative)
    };
    let ((fpa, fna), (fpb, fnb)) = (errors(a, threshold_a), errors(b, threshold_b));
    let non_mated: Vec<usize> = (0..a.len()).filter(|&i| !a.mated[i]).collect();
    let mated: Vec<usize> = (0..a.len()).filter(|&i| a.mated[i]).collect();
    let by_searcher = |codes: &GroupCodes, i: usize| group_of(codes, a.subject[i]).map(Some);
    let mut rows = tables(Metric::Fpir, &non_mated, (&fpa, &fpb), groupings, by_searcher)?;
    rows.extend(tables(Metric::Fnir, &mated, (&fna, &fnb), groupings, by_searcher)?);
    Ok(PairedComparison { gallery_size: Some(a.gallery_size as u64), rank: Some(l), threshold_a, threshold_b, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grouping `sex` over subjects with these labels, plus `all`.
    fn codes(labels: &[&str]) -> Vec<GroupCodes> {
        let mut names: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        names.sort();
        names.dedup();
        let sex = GroupCodes {
            grouping: Grouping { attributes: vec!["sex".into()] },
            of_subject: labels.iter().map(|l| names.iter().position(|n| n == l).unwrap() as u32).collect(),
            labels: names,
        };
        vec![whole_population(labels.len()), sex]
    }

    fn table(both: u64, only_a: u64, only_b: u64, neither: u64) -> PairedTable {
        PairedTable { both, only_a, only_b, neither }
    }

    fn verification(scores: &[(u32, u32, Option<f64>)]) -> VerificationTrials {
        let mut t = VerificationTrials::default();
        for &(p, r, s) in scores {
            t.push(p, r, s);
        }
        t
    }

    #[test]
    fn verification_tables_by_hand() {
        // Subjects 0, 1 are F; 2, 3 are M. Four mated pairs, then non-mated pairs
        // F-F, F-F, M-M and one cross-group pair F-M.
        let a = verification(&[
            (0, 0, Some(0.9)),
            (1, 1, Some(0.5)),
            (2, 2, Some(0.7)),
            (3, 3, None),
            (0, 1, Some(0.7)),
            (1, 0, Some(0.1)),
            (2, 3, Some(0.65)),
            (0, 2, Some(0.9)),
        ]);
        let b = verification(&[
            (0, 0, Some(0.4)),
            (1, 1, Some(0.8)),
            (2, 2, Some(0.3)),
            (3, 3, Some(0.9)),
            (0, 1, Some(0.7)),
            (1, 0, Some(0.65)),
            (2, 3, Some(0.1)),
            (0, 2, Some(0.2)),
        ]);
        // A at 0.6, B at its own 0.7 (B's 0.7 on pair 4 ties the threshold: a match).
        let c = paired_verification(&a, &b, 0.6, 0.7, &codes(&["F", "F", "M", "M"])).unwrap();
        // FNMR: A errs on pairs 1 and 3 (failed); B on 0 and 2.
        assert_eq!(c.row(Metric::Fnmr, "all", "all").unwrap().table, table(0, 2, 2, 0));
        assert_eq!(c.row(Metric::Fnmr, "sex", "F").unwrap().table, table(0, 1, 1, 0));
        assert_eq!(c.row(Metric::Fnmr, "sex", "M").unwrap().table, table(0, 1, 1, 0));
        // FMR: A matches pairs 4, 6, 7; B only pair 4. The cross-group pair 7 is in
        // `all` but in no group of `sex`.
        assert_eq!(c.row(Metric::Fmr, "all", "all").unwrap().table, table(1, 2, 0, 1));
        assert_eq!(c.row(Metric::Fmr, "sex", "F").unwrap().table, table(1, 0, 0, 1));
        assert_eq!(c.row(Metric::Fmr, "sex", "M").unwrap().table, table(0, 1, 0, 0));
        let all = c.row(Metric::Fmr, "all", "all").unwrap();
        assert_eq!((all.rate_a, all.rate_b), (Rate::new(3, 4), Rate::new(1, 4)));
        assert_eq!(all.p_value, 0.5); // 2 * (1/2)^2
        assert_eq!((c.threshold_a, c.threshold_b, c.gallery_size), (0.6, 0.7, None));
        // Order: false positives first, then groupings as given.
        let order: Vec<_> = c.rows.iter().map(|r| (r.metric, r.group.as_str())).collect();
        assert_eq!(order[0], (Metric::Fmr, "all"));
        assert_eq!(order[3], (Metric::Fnmr, "all"));
    }

    #[test]
    fn search_tables_by_hand() {
        // Subjects 0, 1, 2 enrolled; 3, 4, 5 search as non-mated. Groups a a b b a b.
        let (mut a, mut b) = (SearchTrials::new(3, 2), SearchTrials::new(3, 2));
        a.push(0, 0, true, Some(&[(0, 0.9), (1, 0.5)]));
        b.push(0, 0, true, Some(&[(1, 0.8), (0, 0.7)])); // mate at rank 2 = L: a hit
        a.push(1, 1, true, Some(&[(2, 0.7), (1, 0.55)])); // mate below T: a miss
        b.push(1, 1, true, Some(&[(1, 0.65)]));
        a.push(2, 2, true, None); // failed: a miss
        b.push(2, 2, true, Some(&[(0, 0.9), (1, 0.8)])); // mate absent: a miss
        a.push(3, 3, false, Some(&[(0, 0.61)]));
        b.push(3, 3, false, Some(&[(0, 0.59)]));
        a.push(4, 4, false, Some(&[(1, 0.3)]));
        b.push(4, 4, false, Some(&[(2, 0.6)])); // tie at T: an alert
        a.push(5, 5, false, Some(&[(2, 0.95), (0, 0.2)]));
        b.push(5, 5, false, Some(&[(1, 0.99)]));
        let c = paired_search(&a, &b, 0.6, 0.6, &codes(&["a", "a", "b", "b", "a", "b"])).unwrap();
        assert_eq!((c.gallery_size, c.rank), (Some(3), Some(2)));
        assert_eq!(c.row(Metric::Fnir, "all", "all").unwrap().table, table(1, 1, 0, 1));
        assert_eq!(c.row(Metric::Fnir, "sex", "a").unwrap().table, table(0, 1, 0, 1));
        assert_eq!(c.row(Metric::Fnir, "sex", "b").unwrap().table, table(1, 0, 0, 0));
        assert_eq!(c.row(Metric::Fpir, "all", "all").unwrap().table, table(1, 1, 1, 0));
        assert_eq!(c.row(Metric::Fpir, "sex", "a").unwrap().table, table(0, 0, 1, 0));
        assert_eq!(c.row(Metric::Fpir, "sex", "b").unwrap().table, table(1, 1, 0, 0));
        let fnir = c.row(Metric::Fnir, "all", "all").unwrap();
        assert_eq!((fnir.rate_a, fnir.rate_b), (Rate::new(2, 3), Rate::new(1, 3)));
        // B at a higher threshold of its own: search 5's 0.99 still alerts, search 4's
        // 0.6 no longer does.
        let c = paired_search(&a, &b, 0.6, 0.7, &codes(&["a", "a", "b", "b", "a", "b"])).unwrap();
        assert_eq!(c.row(Metric::Fpir, "all", "all").unwrap().table, table(1, 1, 0, 1));
    }

    #[test]
    fn holm_within_each_grouping() {
        // F: 6 mated pairs only B misses (p = 2/64); M: 8 (p = 2/256).
        let (mut a, mut b) = (VerificationTrials::default(), VerificationTrials::default());
        for (subject, n) in [(0u32, 6), (1, 8)] {
            for _ in 0..n {
                a.push(subject, subject, Some(0.9));
                b.push(subject, subject, Some(0.1));
            }
        }
        let c = paired_verification(&a, &b, 0.5, 0.5, &codes(&["F", "M"])).unwrap();
        let (f, m) = (c.row(Metric::Fnmr, "sex", "F").unwrap(), c.row(Metric::Fnmr, "sex", "M").unwrap());
        assert_eq!((f.table, m.table), (table(0, 0, 6, 0), table(0, 0, 8, 0)));
        assert!((f.p_value - 0.03125).abs() < 1e-15 && (m.p_value - 0.0078125).abs() < 1e-15);
        // Holm: 0.0078125 * 2, then max(that, 0.03125 * 1).
        assert!((m.p_holm - 0.015625).abs() < 1e-15 && (f.p_holm - 0.03125).abs() < 1e-15);
        // `all` is its own family of one: not adjusted.
        let all = c.row(Metric::Fnmr, "all", "all").unwrap();
        assert_eq!(all.p_holm, all.p_value);
        // No non-mated pairs: no FMR rows at all.
        assert!(c.rows.iter().all(|r| r.metric == Metric::Fnmr));
    }

    #[test]
    fn mismatched_trial_lists_are_refused() {
        let groups = codes(&["F", "M", "M"]);
        let a = verification(&[(0, 0, Some(0.9)), (0, 1, Some(0.1))]);
        let shorter = verification(&[(0, 0, Some(0.9))]);
        let e = paired_verification(&a, &shorter, 0.5, 0.5, &groups).unwrap_err();
        assert!(matches!(e, PairedError::Mismatch { .. }), "{e}");
        let other = verification(&[(0, 0, Some(0.9)), (0, 2, Some(0.1))]);
        let e = paired_verification(&a, &other, 0.5, 0.5, &groups).unwrap_err();
        assert_eq!(e, PairedError::Trial { position: 1, what: "subjects (0, 1) against (0, 2)".into() });

        let (mut s, mut t) = (SearchTrials::new(2, 1), SearchTrials::new(2, 1));
        s.push(0, 1, true, Some(&[(1, 0.9)]));
        t.push(0, 1, false, Some(&[(1, 0.9)]));
        let e = paired_search(&s, &t, 0.5, 0.5, &groups).unwrap_err();
        assert!(matches!(e, PairedError::Trial { position: 0, ref what } if what.contains("mated")), "{e}");
        let e = paired_search(&s, &SearchTrials::new(3, 1), 0.5, 0.5, &groups).unwrap_err();
        assert!(matches!(e, PairedError::Mismatch { what: "gallery size", .. }), "{e}");
        // A subject outside the population's group codes.
        let far = verification(&[(7, 7, Some(0.9))]);
        let e = paired_verification(&far, &far, 0.5, 0.5, &groups).unwrap_err();
        assert!(matches!(e, PairedError::UnknownSubject { index: 7, .. }), "{e}");
        assert!(paired_verification(&a, &a, f64::NAN, 0.5, &groups).is_err());
    }

    #[test]
    fn rates_agree_with_the_analysis() {
        // Each vendor's paired rate is its own rate from the analysis kernel.
        use crate::model::analysis::AnalysisConfig;
        use crate::model::population::{Population, Subject};
        let population = Population {
            attributes: vec!["sex".into()],
            subjects: ["F", "F", "M", "M"]
                .iter()
                .enumerate()
                .map(|(i, s)| Subject { id: format!("s{i}"), attributes: vec![s.to_string()] })
                .collect(),
            provenance: Default::default(),
        };
        let mut a = VerificationTrials::default();
        let mut b = VerificationTrials::default();
        let mut x = 0.37_f64;
        for p in 0..4u32 {
            for r in 0..4u32 {
                for _ in 0..3 {
                    x = (x * 9301.0 + 49297.0) % 233280.0 / 233280.0;
                    a.push(p, r, (x > 0.05).then_some(x));
                    b.push(p, r, Some(1.0 - x));
                }
            }
        }
        let mut config = AnalysisConfig::with_thresholds(vec![0.5], vec![Grouping { attributes: vec!["sex".into()] }]);
        config.bootstrap_replicates = 0;
        let groupings =
            [population.group_codes(&Grouping::all()).unwrap(), population.group_codes(&config.groupings[0]).unwrap()];
        let c = paired_verification(&a, &b, 0.5, 0.5, &groupings).unwrap();
        for (trials, pick) in [(&a, 0), (&b, 1)] {
            let analysis =
                crate::analysis::protocol::analyse_verification("v", trials, &population, &config, &[]).unwrap();
            for row in &c.rows {
                let want = analysis
                    .rates
                    .iter()
                    .find(|r| r.metric == row.metric && r.grouping == row.grouping && r.group == row.group)
                    .unwrap()
                    .rate;
                assert_eq!(if pick == 0 { row.rate_a } else { row.rate_b }, want, "{row:?}");
            }
        }
    }
}
