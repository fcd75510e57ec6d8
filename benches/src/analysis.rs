//! The 1:1 analysis (`harness::analysis::analyse_verification`: counts at 101 grid
//! thresholds and the calibrated ones, order statistics, EER per group, curves, tests)
//! timed beside its references on the same trials, in the same run (docs/metrics.md,
//! "Counting"):
//!
//! - **read pass**: one pass over every chunk of trials, adding the scores: the least any
//!   analysis of the trials must do (target: the analysis without the bootstrap within
//!   15x of it at 10^8 trials);
//! - **sorting**: the per-group counts and EER the way they were computed before the
//!   counting by levels, a sort of every group's scores (`GroupedScores`,
//!   `equal_error_rate`): less work than the analysis (no calibration, curves, intervals
//!   or tests), so the ratio understates the gain;
//! - **bootstrap**: the same analysis with the default 1,000 subject-bootstrap replicates
//!   (target: within 3x of the analysis without it).
//!
//! `analysis [trials subjects groups replicates]`, defaults 10^7, 10^5, 8, 1000: trials
//! from `verity_benches::correlated_trials` with 5 samples per subject. Prints the times,
//! the ratios and one JSON line.

use harness::analysis::protocol::analyse_verification;
use harness::metrics::counting::GroupedScores;
use harness::metrics::eer::equal_error_rate;
use harness::model::analysis::AnalysisConfig;
use harness::model::population::{Grouping, Population, Subject};
use harness::model::rows::fold_chunks;
use harness::model::trials::VerificationTrials;
use verity_benches::{arg, best_of, correlated_trials, seeded};

/// Per-group FMR and FNMR counts at every threshold and each group's EER, by sorting.
fn by_sorting(t: &VerificationTrials, groups: u32, thresholds: &[f64]) -> (u64, usize) {
    let g = groups as usize;
    let (mut ms, mut mg, mut ns, mut nc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..t.len() {
        let (p, r) = (t.probe_subject[i] % groups, t.reference_subject[i] % groups);
        if t.probe_subject[i] == t.reference_subject[i] {
            ms.push(t.score[i]);
            mg.push(p);
        } else {
            ns.push(t.score[i]);
            nc.push(p * groups + r);
        }
    }
    let m = GroupedScores::new(&ms, &mg, g);
    let nm = GroupedScores::new(&ns, &nc, g * g);
    let mut errors = 0;
    for &th in thresholds {
        for gi in 0..g {
            errors += nm.at_least(gi * g + gi, th) + m.total(gi) - m.at_least(gi, th);
        }
    }
    let eers = (0..g).filter_map(|gi| equal_error_rate(m.group(gi), nm.group(gi * g + gi))).count();
    (errors, eers)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (trials, subjects, groups, replicates) =
        (arg(&args, 1, 10_000_000), arg(&args, 2, 100_000) as u32, arg(&args, 3, 8) as u32, arg(&args, 4, 1000));
    let t = correlated_trials(trials, subjects, groups, 5, &mut seeded(1));
    let population = Population {
        attributes: vec!["group".into()],
        subjects: (0..subjects)
            .map(|s| Subject { id: format!("s{s}"), attributes: vec![format!("g{}", s % groups)] })
            .collect(),
        provenance: Default::default(),
    };
    let grid: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
    let grouping = Grouping::parse("group").expect("a valid grouping");
    let mut config = AnalysisConfig::with_thresholds(grid.clone(), vec![grouping]);
    config.bootstrap_replicates = 0;

    let (read, sum) = best_of(3, || {
        fold_chunks(&t, || 0.0f64, |a, c| *a += c.score.iter().filter(|x| x.is_finite()).sum::<f64>(), |a, b| *a += b)
            .expect("in-memory trials")
    });
    let (sorting, sorted) = best_of(1, || by_sorting(&t, groups, &grid));
    let (analysis, result) =
        best_of(1, || analyse_verification("v", &t, &population, &config, &[]).expect("a valid analysis"));
    config.bootstrap_replicates = replicates;
    let (bootstrap, with_bootstrap) =
        best_of(1, || analyse_verification("v", &t, &population, &config, &[]).expect("a valid analysis"));
    assert_eq!(result.rates.len(), with_bootstrap.rates.len());

    let threads = rayon_threads();
    println!("{trials} trials, {subjects} subjects in {groups} groups, 101 thresholds, {threads} threads");
    println!("  read pass             {read:9.3} s");
    println!("  sorting (before)      {sorting:9.3} s");
    println!("  analysis, levels      {analysis:9.3} s   {:.1}x a read pass (target <= 15x at 10^8)", analysis / read);
    println!(
        "  analysis + bootstrap  {bootstrap:9.3} s   {:.2}x the analysis ({replicates} replicates; target <= 3x)",
        bootstrap / analysis
    );
    println!("  sorting / analysis    {:.2}x", sorting / analysis);
    println!(
        "{{\"trials\":{trials},\"read_s\":{read:.4},\"sorting_s\":{sorting:.4},\"analysis_s\":{analysis:.4},\"bootstrap_s\":{bootstrap:.4},\"replicates\":{replicates},\"checksum\":{:.3},\"sorted_errors\":{},\"eers\":{}}}",
        sum, sorted.0, sorted.1
    );
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
