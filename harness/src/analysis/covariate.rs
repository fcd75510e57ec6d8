//! A capture column typed for the analyses that use it as a covariate or a grouping
//! (docs/metrics.md, "Adjusted differentials" and "Groupings by capture attribute"):
//! numeric when every known value is a finite number, else categorical; `log(COLUMN)` is
//! a numeric column's natural log.

use crate::analysis::protocol::AnalysisError;
use crate::model::benchmark::Samples;

/// One capture attribute as the models use it.
#[derive(Debug, Clone, PartialEq)]
pub enum Covariate {
    /// Every known value parses as a finite number: it enters the model linearly.
    Numeric { name: String, values: Vec<Option<f64>> },
    /// Otherwise: one indicator per level but the most common among the model's trials.
    Categorical { name: String, levels: Vec<String>, codes: Vec<Option<u32>> },
}

impl Covariate {
    pub fn name(&self) -> &str {
        match self {
            Covariate::Numeric { name, .. } | Covariate::Categorical { name, .. } => name,
        }
    }
    pub(super) fn known(&self, sample: u32) -> bool {
        match self {
            Covariate::Numeric { values, .. } => values[sample as usize].is_some(),
            Covariate::Categorical { codes, .. } => codes[sample as usize].is_some(),
        }
    }
}

/// The capture column `name` of the samples, typed; an error names the columns there are.
/// `log(COLUMN)` is the natural log of a numeric column whose known values are all
/// positive (an effect that is a power of the value is linear in its log).
pub fn covariate(samples: &Samples, name: &str) -> Result<Covariate, AnalysisError> {
    if let Some(inner) = name.strip_prefix("log(").and_then(|r| r.strip_suffix(')')) {
        return match covariate(samples, inner)? {
            Covariate::Numeric { values, .. } => {
                if let Some(i) = values.iter().position(|v| v.is_some_and(|x| x <= 0.0)) {
                    return Err(AnalysisError::BadCovariate {
                        name: name.to_string(),
                        reason: format!(
                            "sample `{}` has {inner} = {}: the log needs positive values",
                            samples.ids[i],
                            values[i].unwrap_or_default()
                        ),
                    });
                }
                Ok(Covariate::Numeric {
                    name: name.to_string(),
                    values: values.iter().map(|v| v.map(f64::ln)).collect(),
                })
            }
            Covariate::Categorical { .. } => Err(AnalysisError::BadCovariate {
                name: name.to_string(),
                reason: format!("{inner} is not numeric (some values are not numbers)"),
            }),
        };
    }
    let column = samples.capture(name).ok_or_else(|| AnalysisError::UnknownCovariate {
        name: name.to_string(),
        known: if samples.capture.is_empty() {
            "(the benchmark has no capture columns)".to_string()
        } else {
            samples.capture.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        },
    })?;
    let numbers: Option<Vec<Option<f64>>> = column
        .values
        .iter()
        .map(|v| match text(v) {
            None => Some(None),
            Some(t) => t.parse::<f64>().ok().filter(|x| x.is_finite()).map(Some),
        })
        .collect();
    Ok(match numbers {
        Some(values) => Covariate::Numeric { name: name.to_string(), values },
        None => {
            let mut levels: Vec<String> = column.values.iter().filter_map(|v| text(v)).map(str::to_string).collect();
            levels.sort();
            levels.dedup();
            let codes = column
                .values
                .iter()
                .map(|v| text(v).map(|t| levels.binary_search(&t.to_string()).unwrap_or(0) as u32))
                .collect();
            Covariate::Categorical { name: name.to_string(), levels, codes }
        }
    })
}

fn text(v: &str) -> Option<&str> {
    Some(v.trim()).filter(|t| !t.is_empty())
}
