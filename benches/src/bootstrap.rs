//! Times the subject-level bootstrap (`harness::bootstrap`) against computing the same
//! rates once, on synthetic 1:1 trials it generates (issue 3: 1,000 replicates over 10^7
//! trials in 8 groups in under 60x the once-cost).
//!
//! `bootstrap [trials subjects groups thresholds samples replicates]`, defaults
//! 10^7, 10^5, 8, 5, 5, 1000. The trials are `verity_benches::correlated_trials`: every
//! subject has `samples` samples, its mated trials are all pairs of its samples, and the
//! non-mated trials compare all samples of two subjects (80% of pairs within a group), as
//! a full cross-comparison protocol does.
//! "Once" is the analysis's own counting (`harness::analysis::protocol`): split mated / non-mated,
//! group, sort with `GroupedScores`, count at every threshold. Prints one JSON line.

use harness::bootstrap::{BootstrapConfig, bootstrap_verification};
use harness::metrics::counting::GroupedScores;
use harness::model::analysis::Metric;
use harness::model::population::GroupCodes;
use harness::model::trials::VerificationTrials;
use std::time::Instant;
use verity_benches::{arg, bootstrap_thresholds, correlated_trials, group_codes, seeded};

/// Per-group (FMR, FNMR) counts at every threshold, as `harness::analysis::protocol` counts them.
fn rates_once(t: &VerificationTrials, codes: &GroupCodes, thresholds: &[f64]) -> Vec<(u64, u64, u64, u64)> {
    let g = codes.n_groups();
    let (mut m_scores, mut m_groups, mut nm_scores, mut nm_cells) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..t.len() {
        let p = codes.of_subject[t.probe_subject[i] as usize];
        if t.probe_subject[i] == t.reference_subject[i] {
            m_scores.push(t.score[i]);
            m_groups.push(p);
        } else {
            nm_scores.push(t.score[i]);
            nm_cells.push(p * g as u32 + codes.of_subject[t.reference_subject[i] as usize]);
        }
    }
    let m = GroupedScores::new(&m_scores, &m_groups, g);
    let nm = GroupedScores::new(&nm_scores, &nm_cells, g * g);
    let mut out = Vec::new();
    for &th in thresholds {
        for gi in 0..g {
            let same = gi * g + gi;
            out.push((nm.at_least(same, th), nm.total(same), m.total(gi) - m.at_least(gi, th), m.total(gi)));
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (trials, subjects, groups, thresholds, samples, replicates) = (
        arg(&args, 1, 10_000_000),
        arg(&args, 2, 100_000) as u32,
        arg(&args, 3, 8) as u32,
        arg(&args, 4, 5),
        arg(&args, 5, 5).max(2),
        arg(&args, 6, 1000),
    );
    let t = correlated_trials(trials, subjects, groups, samples, &mut seeded(1));
    let mated = (0..t.len()).filter(|&i| t.probe_subject[i] == t.reference_subject[i]).count();
    let codes = group_codes(subjects, groups);
    let ts = bootstrap_thresholds(thresholds);

    let mut once_seconds = f64::INFINITY;
    let mut once = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        once = rates_once(&t, &codes, &ts);
        once_seconds = once_seconds.min(start.elapsed().as_secs_f64());
    }
    let start = Instant::now();
    let config = BootstrapConfig { replicates, ..BootstrapConfig::new(1) };
    let b = bootstrap_verification(&t, &codes, &ts, &config).expect("bootstrap");
    let bootstrap_seconds = start.elapsed().as_secs_f64();

    // The bootstrap's observed counts must be the analysis's.
    for (k, &th) in ts.iter().enumerate() {
        for gi in 0..groups as usize {
            let (fm, nm, fnm, m) = once[k * groups as usize + gi];
            let find = |metric| {
                b.rates.iter().find(|r| r.metric == metric && r.threshold == th && r.group == gi).expect("row").rate
            };
            let (fmr, fnmr) = (find(Metric::Fmr), find(Metric::Fnmr));
            assert_eq!((fmr.numerator, fmr.denominator, fnmr.numerator, fnmr.denominator), (fm, nm, fnm, m));
        }
    }
    println!(
        "{{\"kernel\":\"bootstrap\",\"once_seconds\":{once_seconds},\"bootstrap_seconds\":{bootstrap_seconds},\"ratio\":{:.2},\"goal\":60,\"replicates\":{replicates},\"trials\":{},\"mated\":{mated},\"non_mated\":{},\"subjects\":{subjects},\"groups\":{groups},\"thresholds\":{thresholds},\"threads\":{}}}",
        bootstrap_seconds / once_seconds,
        t.len(),
        t.len() - mated,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
}
