//! Threshold grids such as `0.56:0.64:0.02`, and where each operating threshold came from.

use serde::Serialize;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ThresholdError {
    #[error("threshold list `{0}` is not START:STOP:STEP or a comma-separated list of numbers")]
    Syntax(String),
    #[error("threshold value `{0}` is not a finite number")]
    NotANumber(String),
    #[error("threshold grid `{0}` has a step that is not positive or a stop below its start")]
    Range(String),
    #[error("threshold grid `{0}` would have more than 100000 thresholds")]
    TooMany(String),
}

/// Parse `START:STOP:STEP` (both ends included) or `a,b,c`.
///
/// Grid points are computed as `start + i*step` and rounded to the number of decimals
/// written in the grid, so `0.56:0.64:0.02` gives exactly 0.56, 0.58, 0.60, 0.62, 0.64 and
/// never 0.6000000000000001.
pub fn parse_thresholds(text: &str) -> Result<Vec<f64>, ThresholdError> {
    let text = text.trim();
    let number = |s: &str| -> Result<f64, ThresholdError> {
        let v: f64 = s.trim().parse().map_err(|_| ThresholdError::NotANumber(s.trim().to_string()))?;
        if v.is_finite() { Ok(v) } else { Err(ThresholdError::NotANumber(s.trim().to_string())) }
    };
    let parts: Vec<&str> = text.split(':').collect();
    let mut out = match parts.as_slice() {
        [single] => single.split(',').map(number).collect::<Result<Vec<_>, _>>()?,
        [start, stop, step] => {
            let (a, b, s) = (number(start)?, number(stop)?, number(step)?);
            if s <= 0.0 || b < a {
                return Err(ThresholdError::Range(text.to_string()));
            }
            let decimals = [*start, *stop, *step].iter().map(|p| decimals_of(p.trim())).max().unwrap_or(0);
            let count = ((b - a) / s + 1e-9).floor() as usize + 1;
            if count > 100_000 {
                return Err(ThresholdError::TooMany(text.to_string()));
            }
            (0..count).map(|i| round_to(a + i as f64 * s, decimals)).collect()
        }
        _ => return Err(ThresholdError::Syntax(text.to_string())),
    };
    if out.is_empty() {
        return Err(ThresholdError::Syntax(text.to_string()));
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    Ok(out)
}

fn decimals_of(s: &str) -> i32 {
    let mantissa = s.split(['e', 'E']).next().unwrap_or("");
    let exponent: i32 = s.split(['e', 'E']).nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
    let frac = mantissa.split('.').nth(1).map(|f| f.len() as i32).unwrap_or(0);
    (frac - exponent).clamp(0, 15)
}

fn round_to(v: f64, decimals: i32) -> f64 {
    // Parse the shortest decimal text, so the result is the f64 nearest the decimal value.
    format!("{:.*}", decimals as usize, v).parse().unwrap_or(v)
}

/// Why a threshold is in a table.
///
/// In `ThresholdUse` it is written as a tagged object; in every table row (rates,
/// comparisons, summary measures, cross-group cells, extrapolations) as its
/// [`label`](OperatingPoint::label), `grid`, `declared:LABEL`, `calibrated:fmr=1e-4`,
/// `calibrated:fpir=1e-3@N=10000` or `none` ([`as_label`]).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OperatingPoint {
    /// A point of the user's grid.
    Grid,
    /// The vendor's declared operating threshold.
    Declared { label: String },
    /// The smallest threshold whose whole-population rate is at most `target`.
    Calibrated { metric: String, target: f64, gallery_size: Option<u64> },
    /// A rate without a threshold (CMC, FTE, FTA).
    None,
}

impl OperatingPoint {
    pub fn label(&self) -> String {
        match self {
            OperatingPoint::Grid => "grid".to_string(),
            OperatingPoint::Declared { label } => format!("declared:{label}"),
            OperatingPoint::Calibrated { metric, target, gallery_size: None } => {
                format!("calibrated:{metric}={target:e}")
            }
            OperatingPoint::Calibrated { metric, target, gallery_size: Some(n) } => {
                format!("calibrated:{metric}={target:e}@N={n}")
            }
            OperatingPoint::None => "none".to_string(),
        }
    }

    /// The operating point a [`label`](OperatingPoint::label) names; `None` for text that
    /// is not one.
    pub fn from_label(text: &str) -> Option<OperatingPoint> {
        match text {
            "grid" => return Some(OperatingPoint::Grid),
            "none" => return Some(OperatingPoint::None),
            _ => {}
        }
        if let Some(label) = text.strip_prefix("declared:") {
            return Some(OperatingPoint::Declared { label: label.to_string() });
        }
        let rest = text.strip_prefix("calibrated:")?;
        let (metric, rest) = rest.split_once('=')?;
        let (target, gallery_size) = match rest.split_once("@N=") {
            Some((t, n)) => (t, Some(n.parse::<u64>().ok()?)),
            None => (rest, None),
        };
        let target: f64 = target.parse().ok().filter(|t: &f64| t.is_finite())?;
        Some(OperatingPoint::Calibrated { metric: metric.to_string(), target, gallery_size })
    }

    pub fn is_grid(&self) -> bool {
        matches!(self, OperatingPoint::Grid)
    }

    pub fn is_declared(&self) -> bool {
        matches!(self, OperatingPoint::Declared { .. })
    }

    pub fn is_calibrated(&self) -> bool {
        matches!(self, OperatingPoint::Calibrated { .. })
    }
}

impl std::fmt::Display for OperatingPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

/// `#[serde(with = "as_label")]`: an operating point written as its label.
pub mod as_label {
    use super::OperatingPoint;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(op: &OperatingPoint, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&op.label())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OperatingPoint, D::Error> {
        let text = String::deserialize(d)?;
        OperatingPoint::from_label(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an operating point")))
    }
}

/// Whether two thresholds are the same, the one rule every lookup uses: equal, or within
/// 1e-9 relative (a threshold typed by a user, `--threshold 0.6`, against one a grid
/// computed, 0.6 from `0.56:0.64:0.02`, both rounded to the grid's decimals).
pub fn same_threshold(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_back() {
        let points = [
            OperatingPoint::Grid,
            OperatingPoint::None,
            OperatingPoint::Declared { label: "op:1 high".into() },
            OperatingPoint::Calibrated { metric: "fmr".into(), target: 1e-4, gallery_size: None },
            OperatingPoint::Calibrated { metric: "fpir".into(), target: 0.001, gallery_size: Some(10_000) },
        ];
        for p in points {
            assert_eq!(OperatingPoint::from_label(&p.label()), Some(p.clone()), "{}", p.label());
        }
        assert_eq!(
            OperatingPoint::Calibrated { metric: "fpir".into(), target: 0.001, gallery_size: Some(10) }.label(),
            "calibrated:fpir=1e-3@N=10"
        );
        for bad in ["", "gridd", "calibrated:fmr", "calibrated:fmr=x", "calibrated:fmr=1e-3@N=-1", "calibrated:fmr=inf"]
        {
            assert_eq!(OperatingPoint::from_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn one_threshold_rule() {
        assert!(same_threshold(0.6, 0.6));
        assert!(same_threshold(0.6, 0.56 + 2.0 * 0.02));
        assert!(!same_threshold(0.6, 0.6001));
        assert!(same_threshold(0.0, 1e-12) && !same_threshold(0.0, 1e-6));
    }

    #[test]
    fn npl_grid_is_exact() {
        assert_eq!(parse_thresholds("0.56:0.64:0.02").unwrap(), vec![0.56, 0.58, 0.6, 0.62, 0.64]);
    }

    #[test]
    fn list_and_single() {
        assert_eq!(parse_thresholds("0.6").unwrap(), vec![0.6]);
        assert_eq!(parse_thresholds("0.7, 0.5,0.5").unwrap(), vec![0.5, 0.7]);
        assert_eq!(parse_thresholds("1e-1:3e-1:1e-1").unwrap(), vec![0.1, 0.2, 0.3]);
    }

    #[test]
    fn bad_grids_are_errors() {
        assert!(matches!(parse_thresholds("0.6:0.5:0.01"), Err(ThresholdError::Range(_))));
        assert!(matches!(parse_thresholds("0.5:0.6:0"), Err(ThresholdError::Range(_))));
        assert!(matches!(parse_thresholds("0.5:x:0.1"), Err(ThresholdError::NotANumber(_))));
        assert!(matches!(parse_thresholds("nan"), Err(ThresholdError::NotANumber(_))));
        assert!(matches!(parse_thresholds("1:2"), Err(ThresholdError::Syntax(_))));
        assert!(matches!(parse_thresholds("0:1:0.000001"), Err(ThresholdError::TooMany(_))));
    }
}
