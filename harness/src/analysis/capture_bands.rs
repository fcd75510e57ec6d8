//! Accuracy by capture band (docs/metrics.md, "Accuracy by capture band"): each error's
//! rate per group and band of a covariate, beside the adjusted models of `adjusted`.

use crate::analysis::adjusted::{Indicator, Trial};
use crate::analysis::covariate::Covariate;
use crate::model::adjusted::CovariateRate;
use crate::model::analysis::AnalysisConfig;
use crate::model::population::GroupCodes;
use crate::model::rate::Rate;
use crate::model::thresholds::OperatingPoint;

/// The bands a covariate's trials are counted in: a numeric covariate's by its quartiles
/// over the trials (each edge once, none at the minimum), a categorical one's by level.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Bands {
    Edges(Vec<f64>),
    Levels,
}

impl Bands {
    pub(super) fn of(cov: &Covariate, trials: &[Trial]) -> Bands {
        match cov {
            Covariate::Categorical { .. } => Bands::Levels,
            Covariate::Numeric { values, .. } => {
                let mut v: Vec<f64> = trials.iter().filter_map(|t| values[t.sample as usize]).collect();
                v.sort_by(f64::total_cmp);
                Bands::Edges(quartile_edges(&v))
            }
        }
    }

    /// The band of a sample, `None` where its covariate is unknown.
    fn band(&self, cov: &Covariate, sample: u32) -> Option<u32> {
        match (self, cov) {
            (Bands::Edges(edges), Covariate::Numeric { values, .. }) => {
                values[sample as usize].map(|x| edges.iter().filter(|&&e| x >= e).count() as u32)
            }
            (_, Covariate::Categorical { codes, .. }) => codes[sample as usize],
            (Bands::Levels, Covariate::Numeric { .. }) => None,
        }
    }

    fn names(&self, cov: &Covariate) -> Vec<String> {
        match (self, cov) {
            (Bands::Edges(edges), Covariate::Numeric { name, .. }) => {
                // A log covariate's bands are the column's bands at the exponentials of the
                // edges (the log is increasing), and are named on the column's scale.
                match name.strip_prefix("log(").and_then(|r| r.strip_suffix(')')) {
                    Some(column) => band_labels(column, &edges.iter().map(|x| x.exp()).collect::<Vec<_>>()),
                    None => band_labels(name, edges),
                }
            }
            (_, Covariate::Categorical { levels, .. }) => levels.clone(),
            (Bands::Levels, Covariate::Numeric { .. }) => Vec::new(),
        }
    }
}

/// Errors and trials per group and band at one threshold. A 1:1 comparison's band is its
/// probe's (the first-named sample's) capture, mated or not.
pub(super) fn rates_by_band(
    ind: &Indicator,
    threshold: f64,
    op: &OperatingPoint,
    codes: &GroupCodes,
    covariates: &[Covariate],
    bands: &[Bands],
    config: &AnalysisConfig,
) -> Vec<CovariateRate> {
    let mut out = Vec::new();
    for (cov, b) in covariates.iter().zip(bands) {
        let names = b.names(cov);
        let mut errors = vec![vec![0u64; names.len()]; codes.n_groups()];
        let mut totals = errors.clone();
        for t in &ind.trials {
            if let Some(band) = b.band(cov, t.sample) {
                totals[t.group as usize][band as usize] += 1;
                errors[t.group as usize][band as usize] += ind.error(t, threshold) as u64;
            }
        }
        for (g, label) in codes.labels.iter().enumerate() {
            for (i, name) in names.iter().enumerate().filter(|&(i, _)| totals[g][i] > 0) {
                let rate = Rate::new(errors[g][i], totals[g][i]);
                out.push(CovariateRate {
                    metric: ind.metric,
                    gallery_size: ind.gallery_size,
                    rank: ind.rank,
                    threshold,
                    operating_point: op.clone(),
                    grouping: codes.grouping.name(),
                    group: label.clone(),
                    covariate: cov.name().to_string(),
                    band_index: i as u32,
                    band: name.clone(),
                    rate,
                    interval: rate.interval(config.interval_method, config.confidence),
                });
            }
        }
    }
    out
}

/// The band edges of sorted, possibly empty `v`: its quartiles Q1, median and Q3 (order
/// statistics), each once and none at the minimum.
pub(super) fn quartile_edges(v: &[f64]) -> Vec<f64> {
    let Some(&min) = v.first() else { return Vec::new() };
    let mut edges: Vec<f64> =
        [0.25, 0.5, 0.75].into_iter().map(|p| order_statistic(v, p)).filter(|&e| e > min).collect();
    edges.dedup();
    edges
}

/// The names of the bands that `edges` cut `name` into: `name < a`, `a <= name < b`, ...,
/// `name >= z`; `every name` without an edge.
pub(super) fn band_labels(name: &str, edges: &[f64]) -> Vec<String> {
    let (Some(first), Some(last)) = (edges.first(), edges.last()) else { return vec![format!("every {name}")] };
    let mut out = vec![format!("{name} < {}", edge(*first))];
    out.extend(edges.windows(2).map(|w| format!("{} <= {name} < {}", edge(w[0]), edge(w[1]))));
    out.push(format!("{name} >= {}", edge(*last)));
    out
}

/// A band edge in a band's name: a whole number as it is, any other value to four
/// significant digits (the exact edges are the quartiles, docs/metrics.md).
pub(super) fn edge(x: f64) -> String {
    if x == x.round() && x.abs() < 1e15 {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    text.to_string()
}

/// The order statistic at index ⌊p(n−1)⌋ of sorted, non-empty `v` (docs/metrics.md,
/// "Adjusted differentials", distributions): the quartiles of the distributions and the
/// band edges both use it.
pub(super) fn order_statistic(v: &[f64], p: f64) -> f64 {
    v[((v.len() - 1) as f64 * p).floor() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_edges_are_named_whole_or_to_four_significant_digits() {
        assert_eq!(edge(50.0), "50");
        assert_eq!(edge(-3.0), "-3");
        assert_eq!(edge(3.8501476017100584), "3.85");
        assert_eq!(edge(4.262679877041315), "4.263");
        assert_eq!(edge(0.012345), "0.01235");
        assert_eq!(edge(12345.6), "12346");
        assert_eq!(edge(47.0f64.ln().exp()), "47");
    }

    #[test]
    fn a_log_covariates_bands_are_named_on_the_columns_scale() {
        let cov = Covariate::Numeric { name: "log(size)".into(), values: Vec::new() };
        let names = Bands::Edges(vec![47.0f64.ln(), 60.0f64.ln()]).names(&cov);
        assert_eq!(names, ["size < 47", "47 <= size < 60", "size >= 60"]);
        let raw = Covariate::Numeric { name: "size".into(), values: Vec::new() };
        assert_eq!(Bands::Edges(vec![2.5]).names(&raw), ["size < 2.5", "size >= 2.5"]);
    }
}
