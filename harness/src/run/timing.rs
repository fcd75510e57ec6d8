//! How long a vendor took and how large its templates are, overall and per group.
//!
//! Sizes are deterministic and go into `results.json` ([`template_bytes_per_group`]).
//! Times vary from run to run, so they are kept out of it: [`vendor_timing`] builds the
//! value the command line writes to `timing.json` beside it.

use crate::model::benchmark::{Benchmark, Protocol};
use crate::model::population::{Grouping, GroupingError, Population};
use crate::model::results::GroupTemplateBytes;
use crate::run::plan::templates_of;
use crate::run::runner::VendorRun;
use crate::vendor::FailureCode;
use serde::Serialize;
use std::collections::HashSet;

/// Distribution of per-item seconds. `null` statistics when there are no items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecondsSummary {
    pub count: u64,
    pub mean: Option<f64>,
    /// The middle value (mean of the two middle values for an even count).
    pub median: Option<f64>,
    /// Nearest-rank 95th percentile: the smallest value with at least 95% of values at or below it.
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

impl SecondsSummary {
    pub fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return SecondsSummary { count: 0, mean: None, median: None, p95: None, max: None };
        }
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
        SecondsSummary {
            count: n as u64,
            mean: Some(v.iter().sum::<f64>() / n as f64),
            median: Some(median),
            p95: Some(v[rank - 1]),
            max: Some(v[n - 1]),
        }
    }
}

/// Template creation time in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSeconds {
    pub grouping: String,
    pub group: String,
    pub seconds: SecondsSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateTiming {
    /// Templates planned; `from_cache + made` = `planned`.
    pub planned: u64,
    pub from_cache: u64,
    pub made: u64,
    /// Wall-clock seconds of this run's template stage (cache reads included).
    pub stage_seconds: f64,
    /// Seconds the vendor took per template (a template from the cache keeps the time it
    /// took when it was made); media that could not be read are left out.
    pub seconds: SecondsSummary,
    pub seconds_per_group: Vec<GroupSeconds>,
    pub bytes_mean: f64,
    pub bytes_per_group: Vec<GroupTemplateBytes>,
}

/// A stage timed as a whole (comparisons and searches run in batches, so there is no
/// per-item time to take a median of).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageSeconds {
    pub count: u64,
    pub seconds_total: f64,
    pub seconds_mean: Option<f64>,
}

impl StageSeconds {
    fn of(count: u64, seconds_total: f64) -> Self {
        StageSeconds { count, seconds_total, seconds_mean: (count > 0).then(|| seconds_total / count as f64) }
    }
}

/// One vendor's entry in `timing.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorTiming {
    pub vendor: String,
    pub fingerprint: String,
    pub templates: TemplateTiming,
    pub comparisons: StageSeconds,
    pub searches: StageSeconds,
}

/// The groupings to break sizes and times down by: the whole population first.
fn with_all(groupings: &[Grouping]) -> Vec<Grouping> {
    let mut out = vec![Grouping::all()];
    out.extend(groupings.iter().filter(|g| !g.attributes.is_empty()).cloned());
    out
}

/// Mean template size per group, for `results.json` (`vendors[].timing.template_bytes_per_group`).
pub fn template_bytes_per_group(
    run: &VendorRun,
    population: &Population,
    groupings: &[Grouping],
) -> Result<Vec<GroupTemplateBytes>, GroupingError> {
    let mut out = Vec::new();
    for grouping in with_all(groupings) {
        let codes = population.group_codes(&grouping)?;
        let n = codes.n_groups();
        let (mut templates, mut made, mut bytes) = (vec![0u64; n], vec![0u64; n], vec![0u64; n]);
        for (i, &subject) in run.outcomes.subject.iter().enumerate() {
            let g = codes.of_subject[subject as usize] as usize;
            templates[g] += 1;
            if !run.outcomes.failed[i] {
                made[g] += 1;
                bytes[g] += run.template_bytes.get(i).copied().unwrap_or(0);
            }
        }
        for g in 0..n {
            out.push(GroupTemplateBytes {
                grouping: grouping.name(),
                group: codes.labels[g].clone(),
                templates: templates[g],
                made: made[g],
                bytes_mean: (made[g] > 0).then(|| bytes[g] as f64 / made[g] as f64),
            });
        }
    }
    Ok(out)
}

/// Times and sizes of one vendor's run, for `timing.json`.
pub fn vendor_timing(
    bench: &Benchmark,
    run: &VendorRun,
    groupings: &[Grouping],
) -> Result<VendorTiming, GroupingError> {
    // Templates whose media could not be read never reached the vendor: no time to count.
    let unread: HashSet<(u32, crate::vendor::Role)> = run
        .failures
        .iter()
        .filter(|f| f.failure.code == FailureCode::MediaReadError)
        .map(|f| (f.sample, f.role))
        .collect();
    let timed: Vec<bool> = templates_of(bench).iter().map(|k| !unread.contains(k)).collect();
    let seconds: Vec<f64> = run.template_seconds.iter().zip(&timed).filter(|(_, t)| **t).map(|(s, _)| *s).collect();
    let mut per_group = Vec::new();
    for grouping in with_all(groupings) {
        let codes = bench.population.group_codes(&grouping)?;
        let mut values = vec![Vec::new(); codes.n_groups()];
        for (i, &subject) in run.outcomes.subject.iter().enumerate() {
            if timed.get(i).copied().unwrap_or(false)
                && let Some(s) = run.template_seconds.get(i)
            {
                values[codes.of_subject[subject as usize] as usize].push(*s);
            }
        }
        for (g, v) in values.iter().enumerate() {
            per_group.push(GroupSeconds {
                grouping: grouping.name(),
                group: codes.labels[g].clone(),
                seconds: SecondsSummary::of(v),
            });
        }
    }
    let (mut comparisons, mut searches) = (0u64, 0u64);
    for p in &bench.protocols {
        match p {
            Protocol::Verification(v) => comparisons += v.probe.len() as u64,
            Protocol::Identification(s) | Protocol::Watchlist(s) => {
                searches += (s.mated.len() + s.non_mated.len()) as u64
            }
        }
    }
    Ok(VendorTiming {
        vendor: run.description.name.clone(),
        fingerprint: run.fingerprint.clone(),
        templates: TemplateTiming {
            planned: run.outcomes.subject.len() as u64,
            from_cache: run.cache.from_cache,
            made: run.cache.made,
            stage_seconds: run.template_stage_seconds,
            seconds: SecondsSummary::of(&seconds),
            seconds_per_group: per_group,
            bytes_mean: run.timing.template_bytes_mean,
            bytes_per_group: template_bytes_per_group(run, &bench.population, groupings)?,
        },
        comparisons: StageSeconds::of(comparisons, run.timing.comparison_seconds_total),
        searches: StageSeconds::of(searches, run.timing.search_seconds_total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_nearest_rank_p95() {
        let s = SecondsSummary::of(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.count, s.median, s.p95, s.max, s.mean), (4, Some(2.5), Some(4.0), Some(4.0), Some(2.5)));
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = SecondsSummary::of(&v);
        assert_eq!((s.median, s.p95), (Some(50.5), Some(95.0)));
        let s = SecondsSummary::of(&[7.0]);
        assert_eq!((s.median, s.p95), (Some(7.0), Some(7.0)));
        assert_eq!(SecondsSummary::of(&[]).median, None);
    }
}
