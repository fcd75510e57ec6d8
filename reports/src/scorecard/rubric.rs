//! The rubric: criteria with their measures and scoring functions, gates, bids and the
//! quality:price split, as checked values (read by [`super::parse`]). Format:
//! `docs/scorecard.md`.

use crate::format::as_written;
use harness::model::analysis::Metric;
use std::path::PathBuf;

/// A bad rubric: where, what, and the text found there.
#[derive(Debug, thiserror::Error)]
pub enum RubricError {
    #[error("{}: cannot read the rubric: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}:{column}: {message}{}", path.display(), found.as_ref().map(|f| format!(" (found `{f}`)")).unwrap_or_default())]
    Invalid { path: PathBuf, line: usize, column: usize, message: String, found: Option<String> },
}

/// A line and column in the rubric file (both from 1), kept so that later errors (a bid
/// naming no vendor, a measure the results cannot supply) can point back at the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A checked rubric.
#[derive(Debug, Clone, PartialEq)]
pub struct Rubric {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    pub name: String,
    pub description: Option<String>,
    /// Points available for quality (default 70).
    pub quality_weight: f64,
    /// Points available for price (default 30); `quality_weight + price_weight = 100`.
    pub price_weight: f64,
    pub price_formula: PriceFormula,
    pub bids: Vec<Bid>,
    /// Criterion weights sum to 100: each criterion's points are out of 100 and the sum is
    /// scaled to `quality_weight`.
    pub criteria: Vec<Criterion>,
    pub gates: Vec<Gate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceFormula {
    /// `price_weight × lowest price / bid price` (the usual UK public-sector formula).
    LowestPrice,
    /// `price_weight × max(0, 1 − (bid − lowest) / lowest)`: a bid twice the lowest or
    /// more scores no price points.
    Linear,
}

impl PriceFormula {
    pub fn name(&self) -> &'static str {
        match self {
            PriceFormula::LowestPrice => "lowest-price",
            PriceFormula::Linear => "linear",
        }
    }

    /// Price points of a bid, `lowest` being the lowest price the formula compares with.
    pub fn points(&self, price_weight: f64, lowest: f64, price: f64) -> f64 {
        match self {
            PriceFormula::LowestPrice => price_weight * lowest / price,
            PriceFormula::Linear => price_weight * (1.0 - (price - lowest) / lowest).clamp(0.0, 1.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bid {
    pub vendor: String,
    pub price: f64,
    /// Seconds per template, supplied by the panel (timings are not in results.json).
    pub template_time: Option<f64>,
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub id: String,
    pub name: String,
    /// Points out of 100 that the criterion is worth.
    pub weight: f64,
    pub measure: Measure,
    pub scoring: Scoring,
    /// Fraction of the weight awarded when the measured value is undefined (a max/min
    /// ratio with a zero-error group, a rate with no trials); without it that is an error.
    pub if_undefined: Option<f64>,
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub id: String,
    pub name: String,
    pub measure: Measure,
    pub condition: Condition,
    /// Whether a gate whose value is undefined passes (`Some(true)`) or fails
    /// (`Some(false)`); without it that is an error.
    pub if_undefined: Option<bool>,
    pub at: Location,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// The value must be at most this.
    Max(f64),
    /// The value must be at least this.
    Min(f64),
    /// No group significantly higher than the reference group.
    NoSignificantDifferential,
}

impl Condition {
    pub fn holds(&self, value: f64) -> bool {
        match *self {
            Condition::Max(m) => value <= m,
            Condition::Min(m) => value >= m,
            Condition::NoSignificantDifferential => value == 0.0,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Condition::Max(m) => format!("≤ {}", as_written(*m)),
            Condition::Min(m) => format!("≥ {}", as_written(*m)),
            Condition::NoSignificantDifferential => "no group significantly higher".into(),
        }
    }
}

/// How a measured value becomes a fraction of the criterion's weight.
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    /// Straight line from `worst` (0) to `best` (1), clamped; `best < worst` when lower is
    /// better.
    Linear { worst: f64, best: f64 },
    /// Straight line in log10(value) from `worst` to `best` (both > 0), clamped: for
    /// rates spanning decades. A value of 0 counts as beyond the lower end.
    LogLinear { worst: f64, best: f64 },
    /// Bands `(threshold, fraction)`: with `Higher`, the fraction of the highest
    /// threshold the value reaches (value ≥ threshold); with `Lower`, of the lowest
    /// threshold the value stays under (value ≤ threshold); 0 when none.
    Steps { better: Better, bands: Vec<(f64, f64)> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

impl Scoring {
    /// The fraction of the weight (0..=1) a value earns.
    pub fn fraction(&self, value: f64) -> f64 {
        match self {
            Scoring::Linear { worst, best } => ((value - worst) / (best - worst)).clamp(0.0, 1.0),
            Scoring::LogLinear { worst, best } => {
                if value <= 0.0 {
                    return if best < worst { 1.0 } else { 0.0 };
                }
                ((value.ln() - worst.ln()) / (best.ln() - worst.ln())).clamp(0.0, 1.0)
            }
            Scoring::Steps { better, bands } => {
                let hit = match better {
                    Better::Higher => {
                        bands.iter().filter(|(t, _)| value >= *t).max_by(|a, b| a.0.total_cmp(&b.0)).map(|b| b.1)
                    }
                    Better::Lower => {
                        bands.iter().filter(|(t, _)| value <= *t).min_by(|a, b| a.0.total_cmp(&b.0)).map(|b| b.1)
                    }
                };
                hit.unwrap_or(0.0)
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Scoring::Linear { worst, best } => format!(
                "linear: {} or {} scores nothing, {} or {} scores full points, straight line between",
                as_written(*worst),
                if best < worst { "more" } else { "less" },
                as_written(*best),
                if best < worst { "less" } else { "more" }
            ),
            Scoring::LogLinear { worst, best } => format!(
                "log-linear: {} or {} scores nothing, {} or {} scores full points, straight line in log10 between (each factor of 10 is worth the same)",
                as_written(*worst),
                if best < worst { "more" } else { "less" },
                as_written(*best),
                if best < worst { "less" } else { "more" }
            ),
            Scoring::Steps { better, bands } => {
                let mut sorted = bands.clone();
                sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
                if *better == Better::Higher {
                    sorted.reverse();
                }
                let sign = if *better == Better::Higher { "≥" } else { "≤" };
                let parts: Vec<String> =
                    sorted.iter().map(|(t, f)| format!("{sign} {} → {}", as_written(*t), fraction_text(*f))).collect();
                format!("steps: {}; otherwise nothing", parts.join("; "))
            }
        }
    }
}

/// What number a criterion or gate reads from results.json.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// A rate (FTE and FTA from the vendor's template rates, the others from a protocol).
    Rate(RateMeasure),
    /// Highest over lowest rate across the groups of a grouping (`summaries`).
    Ratio(RatioMeasure),
    /// Number of groups whose rate is significantly higher than the reference group's
    /// (`comparisons`).
    SignificantDifferential(DifferentialMeasure),
    /// Mean template size in bytes (`vendors[].timing.template_bytes_mean`).
    TemplateBytes,
    /// Seconds per template, from the bid (`template_time`); not in results.json.
    TemplateTime,
}

/// Where in a protocol's analysis a thresholded number is read.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// A protocol name or kind; `None`: the first protocol of the kind the metric needs.
    pub protocol: Option<String>,
    pub at: At,
    /// 1:N gallery size; `None`: the largest in the results.
    pub gallery_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateMeasure {
    pub metric: Metric,
    /// `None` for FTE and FTA (no protocol, no threshold).
    pub site: Option<Site>,
    /// FNIR/TPIR rank; `None`: the smallest reported.
    pub rank: Option<u32>,
    pub group: GroupSelect,
    /// `None`: the intersection grouping (the one with the most attributes).
    pub grouping: Option<String>,
    pub statistic: Statistic,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatioMeasure {
    pub metric: Metric,
    pub site: Site,
    pub grouping: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DifferentialMeasure {
    /// TPIR is tested as FNIR.
    pub metric: Metric,
    pub site: Site,
    pub rank: Option<u32>,
    /// `None`: the intersection grouping; `Some("any")`: every grouping.
    pub grouping: Option<String>,
}

/// The operating point.
#[derive(Debug, Clone, PartialEq)]
pub enum At {
    /// Each vendor's own declared threshold: the first, or the one with this label.
    Declared(Option<String>),
    /// A fixed threshold (a point of the analysis grid).
    Threshold(f64),
    /// The threshold calibrated on the whole population to `metric = target`.
    Calibrated { metric: Metric, target: f64 },
}

impl At {
    pub fn describe(&self) -> String {
        match self {
            At::Declared(None) => "each vendor's declared threshold (its first)".into(),
            At::Declared(Some(l)) => format!("each vendor's declared threshold `{l}`"),
            At::Threshold(t) => format!("threshold {}", as_written(*t)),
            At::Calibrated { metric, target } => {
                format!("the threshold calibrated to {} = {}", metric.name().to_uppercase(), as_written(*target))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum GroupSelect {
    /// The whole population.
    All,
    /// The group with the worst value of the statistic (highest for error rates, lowest
    /// for TPIR).
    Worst,
    /// Every group (gates only): every group must pass.
    Each,
    /// One named group of the grouping.
    Named(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    Rate,
    /// One-sided exact upper bound at the analysis confidence.
    UpperBound,
    /// One-sided exact lower bound.
    LowerBound,
    /// Upper end of the two-sided interval.
    IntervalHigh,
    /// Lower end of the two-sided interval.
    IntervalLow,
}

impl Statistic {
    pub fn name(&self) -> &'static str {
        match self {
            Statistic::Rate => "rate",
            Statistic::UpperBound => "upper_bound",
            Statistic::LowerBound => "lower_bound",
            Statistic::IntervalHigh => "interval_high",
            Statistic::IntervalLow => "interval_low",
        }
    }
}

impl Measure {
    /// The protocol site, where the measure reads a protocol.
    pub fn site(&self) -> Option<&Site> {
        match self {
            Measure::Rate(r) => r.site.as_ref(),
            Measure::Ratio(r) => Some(&r.site),
            Measure::SignificantDifferential(d) => Some(&d.site),
            Measure::TemplateBytes | Measure::TemplateTime => None,
        }
    }

    /// The measure in words, for the rubric restated in the scorecard.
    pub fn describe(&self) -> String {
        let site = |s: &Site| {
            let protocol =
                s.protocol.as_deref().map(|p| format!("protocol `{p}`")).unwrap_or("the default protocol".into());
            let gallery = s.gallery_size.map(|n| format!(", gallery {n}")).unwrap_or_default();
            format!("{protocol}{gallery}, at {}", s.at.describe())
        };
        let grouping = |g: &Option<String>| match g.as_deref() {
            None => "the intersection grouping".to_string(),
            Some("any") => "every grouping".to_string(),
            Some(g) => format!("grouping {g}"),
        };
        match self {
            Measure::Rate(r) => {
                let who = match &r.group {
                    GroupSelect::All => "the whole population".to_string(),
                    GroupSelect::Worst => format!("the worst group of {}", grouping(&r.grouping)),
                    GroupSelect::Each => format!("every group of {}", grouping(&r.grouping)),
                    GroupSelect::Named(g) => format!("group {g} of {}", grouping(&r.grouping)),
                };
                let stat = match r.statistic {
                    Statistic::Rate => "",
                    Statistic::UpperBound => " (one-sided upper confidence bound)",
                    Statistic::LowerBound => " (one-sided lower confidence bound)",
                    Statistic::IntervalHigh => " (upper end of the two-sided interval)",
                    Statistic::IntervalLow => " (lower end of the two-sided interval)",
                };
                let rank = r.rank.map(|k| format!(", rank {k}")).unwrap_or_default();
                match &r.site {
                    Some(s) => format!("{}{stat} for {who}, {}{rank}", r.metric.name().to_uppercase(), site(s)),
                    None => format!("{}{stat} for {who}", r.metric.name().to_uppercase()),
                }
            }
            Measure::Ratio(r) => format!(
                "max/min ratio of {} across {}, {}",
                r.metric.name().to_uppercase(),
                grouping(&r.grouping),
                site(&r.site)
            ),
            Measure::SignificantDifferential(d) => format!(
                "number of groups with a significantly higher {} than the reference group (Holm-corrected exact test, with the omnibus test) in {}, {}",
                d.metric.name().to_uppercase(),
                grouping(&d.grouping),
                site(&d.site)
            ),
            Measure::TemplateBytes => "mean template size in bytes".into(),
            Measure::TemplateTime => "seconds per template, as given in the bid (not recorded in results.json)".into(),
        }
    }
}

fn fraction_text(f: f64) -> String {
    format!("{}%", as_written((f * 1e6).round() / 1e4))
}
