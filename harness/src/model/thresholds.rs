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
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OperatingPoint {
    /// A point of the user's grid.
    Grid,
    /// The vendor's declared operating threshold.
    Declared { label: String },
    /// The smallest threshold whose whole-population rate is at most `target`.
    Calibrated { metric: String, target: f64, gallery_size: Option<u64> },
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
