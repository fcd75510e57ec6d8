//! Scaling to a deployment (docs/metrics.md, "Scaling to a deployment"): the
//! extrapolation of FPIR to a larger gallery from a per-comparison FMR, and the
//! projection of measured per-group FPIR onto a crowd: expected false alerts per
//! deployment, overall and per group, with intervals, and "1 in X".
//!
//! Pure functions on counts. Sources: FPIR and "1 in X" as NISTIR 8271 and the NPL
//! watchlist trials (Mansfield 2023); the extrapolation is the independent-trials model of
//! ISO/IEC 19795-1 (annex on 1:N performance), with its assumption carried in the result.

use crate::model::analysis::FpirExtrapolation;
use serde::Serialize;

use crate::model::rate::Rate;
use crate::stats::{Bound, StatsError, clopper_pearson, wilson};

/// The assumption behind every extrapolated FPIR, spelled out wherever one is shown.
pub const INDEPENDENCE_ASSUMPTION: &str = "extrapolation, not a measurement: it assumes each search is N \
independent comparisons that each false-match with the same probability FMR; real galleries hold look-alikes \
and one probe's scores are correlated, so the true FPIR at N can differ; prefer FPIR measured at the gallery \
size that will be deployed";

/// Binomial interval used for a measured rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BinomialMethod {
    /// Wilson score interval (the default of docs/metrics.md).
    Wilson,
    /// Clopper–Pearson exact interval.
    ClopperPearson,
}

impl BinomialMethod {
    pub fn name(self) -> &'static str {
        match self {
            BinomialMethod::Wilson => "wilson",
            BinomialMethod::ClopperPearson => "clopper-pearson",
        }
    }

    /// Two-sided interval of `rate` at `confidence`.
    pub fn interval(self, rate: Rate, confidence: f64) -> Result<(f64, f64), StatsError> {
        let (k, n) = (rate.numerator, rate.denominator);
        let i = match self {
            BinomialMethod::Wilson => wilson(k, n, confidence, Bound::TwoSided)?,
            BinomialMethod::ClopperPearson => clopper_pearson(k, n, confidence, Bound::TwoSided)?,
        };
        Ok((i.low, i.high))
    }
}

/// Why a projection could not be made from the inputs given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectionError {
    #[error("FMR {0} is not in [0, 1]")]
    InvalidRate(f64),
    #[error("crowd share of group '{0}' is {1}, not in [0, 1]")]
    InvalidShare(String, f64),
    #[error("crowd shares sum to {0}, not 1")]
    SharesDoNotSumToOne(f64),
    #[error("group '{0}' appears twice in the crowd")]
    DuplicateGroup(String),
    #[error("crowd group '{0}' has no measured FPIR (measured groups: {1})")]
    UnknownGroup(String, String),
    #[error("crowd group '{0}' has no non-mated searches, so its FPIR is undefined")]
    UndefinedRate(String),
    #[error("gallery or watchlist size must be positive")]
    ZeroSize,
    #[error(transparent)]
    Stats(#[from] StatsError),
}

/// FPIR(N) = 1 - (1 - FMR)^N, computed as -expm1(N · ln1p(-FMR)) so that FMR = 1e-9 and
/// N = 1e7 lose no digits.
pub fn fpir_from_fmr(fmr: f64, gallery_size: u64) -> f64 {
    if gallery_size == 0 {
        return 0.0;
    }
    if fmr >= 1.0 {
        return 1.0;
    }
    -(gallery_size as f64 * (-fmr).ln_1p()).exp_m1()
}

/// FPIR measured at `from` enrolled identities, rescaled to `to` under the same
/// independence model: 1 - (1 - FPIR)^(to/from).
pub fn rescale_fpir(fpir: f64, from: u64, to: u64) -> f64 {
    if fpir >= 1.0 {
        return 1.0;
    }
    -((to as f64 / from as f64) * (-fpir).ln_1p()).exp_m1()
}

/// The extrapolation FPIR(N) ≈ 1 - (1 - FMR)^N (docs/metrics.md).
pub fn extrapolate_fpir(fmr: f64, gallery_size: u64) -> Result<FpirExtrapolation, ProjectionError> {
    if !(0.0..=1.0).contains(&fmr) {
        return Err(ProjectionError::InvalidRate(fmr));
    }
    if gallery_size == 0 {
        return Err(ProjectionError::ZeroSize);
    }
    Ok(FpirExtrapolation {
        kind: "extrapolation".to_string(),
        formula: "FPIR(N) = 1 - (1 - FMR)^N".to_string(),
        assumption: INDEPENDENCE_ASSUMPTION.to_string(),
        fmr,
        gallery_size,
        fpir: fpir_from_fmr(fmr, gallery_size),
        fpir_low: None,
        fpir_high: None,
    })
}

/// [`extrapolate_fpir`] from a measured FMR, with its interval carried through.
pub fn extrapolate_fpir_rate(
    fmr: Rate,
    gallery_size: u64,
    confidence: f64,
    method: BinomialMethod,
) -> Result<FpirExtrapolation, ProjectionError> {
    let value = fmr.value().ok_or(ProjectionError::Stats(StatsError::NoTrials))?;
    let (low, high) = method.interval(fmr, confidence)?;
    let mut e = extrapolate_fpir(value, gallery_size)?;
    e.fpir_low = Some(fpir_from_fmr(low, gallery_size));
    e.fpir_high = Some(fpir_from_fmr(high, gallery_size));
    Ok(e)
}

/// What the deployment looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// Share of the faces seen that come from each group; shares sum to 1.
    pub crowd: Vec<(String, f64)>,
    /// Faces seen per deployment (each one a search against the watchlist).
    pub faces: u64,
    /// Watchlist (gallery) size at which FPIR was measured.
    pub tested_watchlist_size: u64,
    /// Watchlist size deployed; `None` = the tested size (no extrapolation).
    pub watchlist_size: Option<u64>,
    pub confidence: f64,
    pub method: BinomialMethod,
}

/// "1 in X" of a rate, as numbers (`reports::format::projected_one_in` words it).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OneIn {
    /// X = 1/FPIR; `None` when FPIR is 0 ("none expected"), never infinity.
    pub x: Option<f64>,
    /// With FPIR 0, X at the upper end of its interval (1/high), when that is above 0.
    pub upper_x: Option<f64>,
}

/// "1 in X" for a rate and the upper end of its interval.
pub fn one_in(rate: f64, high: f64) -> OneIn {
    if rate > 0.0 {
        OneIn { x: Some(1.0 / rate), upper_x: None }
    } else if high > 0.0 {
        OneIn { x: None, upper_x: Some(1.0 / high) }
    } else {
        OneIn { x: None, upper_x: None }
    }
}

/// One group's share of the projection.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct GroupProjection {
    pub group: String,
    pub share: f64,
    /// Expected faces of this group per deployment: faces × share.
    pub faces: f64,
    /// FPIR as measured (counts at the tested watchlist size).
    pub measured: Rate,
    /// FPIR at the deployed watchlist size, with its interval at `confidence`.
    pub fpir: f64,
    pub fpir_low: f64,
    pub fpir_high: f64,
    /// faces × share × FPIR, and the same with the interval bounds.
    pub expected_false_alerts: f64,
    pub low: f64,
    pub high: f64,
    pub one_in: OneIn,
}

/// The crowd as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OverallProjection {
    /// Crowd-weighted FPIR: Σ share × FPIR.
    pub fpir: f64,
    pub expected_false_alerts: f64,
    pub low: f64,
    pub high: f64,
    pub one_in: OneIn,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Projection {
    pub faces: u64,
    pub tested_watchlist_size: u64,
    pub watchlist_size: u64,
    pub confidence: f64,
    pub interval_method: BinomialMethod,
    /// How the intervals were obtained, in words.
    pub interval_note: String,
    /// Present when the deployed watchlist size differs from the tested one.
    pub extrapolation: Option<String>,
    pub groups: Vec<GroupProjection>,
    pub overall: OverallProjection,
    /// Measured groups that are not in the crowd (share 0).
    pub not_in_crowd: Vec<String>,
}

/// Expected false alerts per deployment for a crowd, from per-group FPIR measured at
/// the tested watchlist size: per group, faces × share × FPIR_g; overall, their sum.
///
/// Each group's interval is its binomial interval at `confidence` (Wilson or
/// Clopper–Pearson), carried through the increasing map FPIR → faces·share·FPIR. The
/// overall interval sums per-group bounds taken at 1 - (1 - confidence)/k for the k
/// groups in the crowd (Bonferroni): if every group's interval covers its true FPIR, the
/// sum covers the true total, so the overall interval covers with probability at least
/// `confidence` (conservatively). The faces seen are treated as fixed, not random.
pub fn project(measured: &[(String, Rate)], d: &Deployment) -> Result<Projection, ProjectionError> {
    if d.tested_watchlist_size == 0 || d.watchlist_size == Some(0) {
        return Err(ProjectionError::ZeroSize);
    }
    let mut seen = std::collections::HashSet::new();
    for (g, s) in &d.crowd {
        if !(0.0..=1.0).contains(s) {
            return Err(ProjectionError::InvalidShare(g.clone(), *s));
        }
        if !seen.insert(g.as_str()) {
            return Err(ProjectionError::DuplicateGroup(g.clone()));
        }
    }
    let total: f64 = d.crowd.iter().map(|(_, s)| s).sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(ProjectionError::SharesDoNotSumToOne(total));
    }
    let deployed = d.watchlist_size.unwrap_or(d.tested_watchlist_size);
    let scale = |f: f64| rescale_fpir(f, d.tested_watchlist_size, deployed);
    let k = d.crowd.iter().filter(|(_, s)| *s > 0.0).count().max(1);
    let joint_confidence = 1.0 - (1.0 - d.confidence) / k as f64;
    let mut groups = Vec::new();
    let (mut overall_fpir, mut expected, mut low, mut high) = (0.0, 0.0, 0.0, 0.0);
    for (g, share) in &d.crowd {
        let Some((_, rate)) = measured.iter().find(|(m, _)| m == g) else {
            let known: Vec<&str> = measured.iter().map(|(m, _)| m.as_str()).collect();
            return Err(ProjectionError::UnknownGroup(g.clone(), known.join(", ")));
        };
        let Some(value) = rate.value() else {
            if *share == 0.0 {
                continue;
            }
            return Err(ProjectionError::UndefinedRate(g.clone()));
        };
        let (lo, hi) = d.method.interval(*rate, d.confidence)?;
        let (jlo, jhi) = d.method.interval(*rate, joint_confidence)?;
        let faces = d.faces as f64 * share;
        let fpir = scale(value);
        overall_fpir += share * fpir;
        expected += faces * fpir;
        low += faces * scale(jlo);
        high += faces * scale(jhi);
        groups.push(GroupProjection {
            group: g.clone(),
            share: *share,
            faces,
            measured: *rate,
            fpir,
            fpir_low: scale(lo),
            fpir_high: scale(hi),
            expected_false_alerts: faces * fpir,
            low: faces * scale(lo),
            high: faces * scale(hi),
            one_in: one_in(fpir, scale(hi)),
        });
    }
    let overall_high = if d.faces > 0 { high / d.faces as f64 } else { 0.0 };
    Ok(Projection {
        faces: d.faces,
        tested_watchlist_size: d.tested_watchlist_size,
        watchlist_size: deployed,
        confidence: d.confidence,
        interval_method: d.method,
        interval_note: format!(
            "per group: {} interval at {}; overall: sum of per-group {} bounds at {} (Bonferroni over {k} groups), \
             covering with probability at least {}; faces per group treated as fixed",
            d.method.name(),
            d.confidence,
            d.method.name(),
            joint_confidence,
            d.confidence
        ),
        extrapolation: (deployed != d.tested_watchlist_size).then(|| {
            format!(
                "FPIR rescaled from the tested watchlist of {} to {} by FPIR' = 1 - (1 - FPIR)^({}/{}); {}",
                d.tested_watchlist_size, deployed, deployed, d.tested_watchlist_size, INDEPENDENCE_ASSUMPTION
            )
        }),
        groups,
        overall: OverallProjection {
            fpir: overall_fpir,
            expected_false_alerts: expected,
            low,
            high,
            one_in: one_in(overall_fpir, overall_high),
        },
        not_in_crowd: measured.iter().filter(|(m, _)| !seen.contains(m.as_str())).map(|(m, _)| m.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// Values from `harness/tests/fixtures/make_differential_fixtures.py` (numpy).
    #[test]
    fn extrapolation_matches_numpy() {
        let text = include_str!("../../tests/fixtures/projection_reference.txt");
        let mut n = 0;
        for line in text.lines().filter(|l| l.starts_with("extrapolate")) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let e = extrapolate_fpir(f[1].parse().unwrap(), f[2].parse().unwrap()).unwrap();
            assert!(close(e.fpir, f[3].parse().unwrap(), 1e-13), "{line}: {}", e.fpir);
            assert_eq!(e.kind, "extrapolation");
            n += 1;
        }
        assert!(n >= 5);
        // Naive 1 - (1 - 1e-12)^1000 loses most digits; expm1/ln1p gives ~1e-9 exactly.
        assert!(close(fpir_from_fmr(1e-12, 1000), 1e-9, 1e-6));
        assert_eq!(fpir_from_fmr(1.0, 3), 1.0);
        assert!(extrapolate_fpir(1.5, 3).is_err());
    }

    #[test]
    fn extrapolated_interval_brackets_the_value() {
        let e = extrapolate_fpir_rate(Rate::new(3, 1_000_000), 10_000, 0.95, BinomialMethod::ClopperPearson).unwrap();
        assert!(e.fpir_low.unwrap() < e.fpir && e.fpir < e.fpir_high.unwrap());
    }

    #[test]
    fn rescaling_inverts_itself() {
        let f = rescale_fpir(0.01, 100, 1000);
        assert!(close(rescale_fpir(f, 1000, 100), 0.01, 1e-12));
        // 1 - 0.99^10
        assert!(close(f, 1.0 - 0.99f64.powi(10), 1e-12));
    }

    fn deployment(crowd: &[(&str, f64)]) -> Deployment {
        Deployment {
            crowd: crowd.iter().map(|&(g, s)| (g.to_string(), s)).collect(),
            faces: 10_000,
            tested_watchlist_size: 1000,
            watchlist_size: None,
            confidence: 0.95,
            method: BinomialMethod::Wilson,
        }
    }

    #[test]
    fn hand_computed_projection() {
        // FPIR: a = 2/1000 = 0.002, b = 0/500, c = 5/1000 = 0.005.
        let measured = vec![
            ("a".to_string(), Rate::new(2, 1000)),
            ("b".to_string(), Rate::new(0, 500)),
            ("c".to_string(), Rate::new(5, 1000)),
        ];
        let p = project(&measured, &deployment(&[("a", 0.5), ("b", 0.3), ("c", 0.2)])).unwrap();
        // a: 10000·0.5·0.002 = 10; b: 0; c: 10000·0.2·0.005 = 10; total 20.
        assert!(close(p.groups[0].expected_false_alerts, 10.0, 1e-12));
        assert_eq!(p.groups[1].expected_false_alerts, 0.0);
        assert!(close(p.overall.expected_false_alerts, 20.0, 1e-12));
        // Crowd FPIR = 0.5·0.002 + 0.2·0.005 = 0.002: 1 in 500.
        assert!(close(p.overall.fpir, 0.002, 1e-12));
        assert!(close(p.overall.one_in.x.unwrap(), 500.0, 1e-9));
        assert!(close(p.groups[0].one_in.x.unwrap(), 500.0, 1e-9));
        // b has no false alert: no X, but the upper end of its interval gives one.
        assert_eq!(p.groups[1].one_in.x, None);
        assert!(close(p.groups[1].one_in.upper_x.unwrap(), 1.0 / (p.groups[1].high / 3000.0), 1e-6));
        // Per-group Wilson bounds times faces; b's upper bound is positive.
        let (lo, hi) = BinomialMethod::Wilson.interval(Rate::new(2, 1000), 0.95).unwrap();
        assert!(close(p.groups[0].low, 5000.0 * lo, 1e-12) && close(p.groups[0].high, 5000.0 * hi, 1e-12));
        assert!(p.groups[1].high > 0.0);
        // The overall interval (Bonferroni, wider) contains the sum of the per-group ones.
        let sum_high: f64 = p.groups.iter().map(|g| g.high).sum();
        assert!(p.overall.high > sum_high && p.overall.low < 20.0);
        assert!(p.extrapolation.is_none());
        assert!(p.interval_note.contains("Bonferroni over 3 groups"));
    }

    #[test]
    fn larger_watchlist_is_an_extrapolation() {
        let measured = vec![("a".to_string(), Rate::new(10, 1000))];
        let mut d = deployment(&[("a", 1.0)]);
        d.watchlist_size = Some(10_000);
        let p = project(&measured, &d).unwrap();
        assert!(close(p.overall.fpir, 1.0 - 0.99f64.powi(10), 1e-12));
        assert!(p.extrapolation.unwrap().contains("extrapolation, not a measurement"));
    }

    #[test]
    fn bad_crowds_are_refused() {
        let measured = vec![("a".to_string(), Rate::new(1, 10)), ("z".to_string(), Rate::new(0, 0))];
        let err = |crowd: &[(&str, f64)]| project(&measured, &deployment(crowd)).unwrap_err();
        assert!(matches!(err(&[("a", 0.5)]), ProjectionError::SharesDoNotSumToOne(_)));
        assert!(matches!(err(&[("a", 1.2), ("z", -0.2)]), ProjectionError::InvalidShare(..)));
        assert!(matches!(err(&[("b", 1.0)]), ProjectionError::UnknownGroup(..)));
        assert!(matches!(err(&[("a", 0.5), ("z", 0.5)]), ProjectionError::UndefinedRate(_)));
        assert!(matches!(err(&[("a", 0.5), ("a", 0.5)]), ProjectionError::DuplicateGroup(_)));
    }

    #[test]
    fn one_in_numbers() {
        assert_eq!(one_in(1.0 / 3456.0, 0.01), OneIn { x: Some(3456.0), upper_x: None });
        assert_eq!(one_in(0.0, 0.5), OneIn { x: None, upper_x: Some(2.0) });
        assert_eq!(one_in(0.0, 0.0), OneIn { x: None, upper_x: None });
    }
}
