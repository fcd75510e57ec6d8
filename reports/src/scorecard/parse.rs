//! Reading a rubric: TOML into the types of [`super::rubric`], every check located at the
//! file, line, column and text it is about. `toml`'s errors carry byte spans; so do the
//! values read through [`Spanned`], which is how a weight that does not add up or an
//! unknown metric is pointed at after parsing.
//!
//! Longer than most files (about 640 lines): the raw TOML shapes of every rubric section
//! and the check that locates each of their mistakes live together, so a section and its
//! checks are read side by side.

use super::rubric::{
    At, Better, Bid, Condition, Criterion, DifferentialMeasure, Gate, GroupSelect, Location, Measure, PriceFormula,
    RateMeasure, RatioMeasure, Rubric, RubricError, Scoring, Site, Statistic,
};
use crate::format::as_written;
use harness::model::analysis::Metric;
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRubric {
    rubric: Spanned<RawHeader>,
    #[serde(default)]
    bid: Vec<Spanned<RawBid>>,
    #[serde(default)]
    criterion: Vec<Spanned<RawCriterion>>,
    #[serde(default)]
    gate: Vec<Spanned<RawGate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    description: Option<String>,
    quality_weight: Option<Spanned<f64>>,
    price_weight: Option<Spanned<f64>>,
    price_formula: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBid {
    vendor: Spanned<String>,
    price: Spanned<f64>,
    template_time: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    id: Spanned<String>,
    name: String,
    weight: Spanned<f64>,
    measure: Spanned<RawMeasure>,
    scoring: Spanned<RawScoring>,
    if_undefined: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    id: Spanned<String>,
    name: String,
    measure: Spanned<RawMeasure>,
    max: Option<Spanned<f64>>,
    min: Option<Spanned<f64>>,
    no_significant_differential: Option<Spanned<bool>>,
    if_undefined: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    kind: Spanned<String>,
    metric: Option<Spanned<String>>,
    protocol: Option<Spanned<String>>,
    gallery_size: Option<Spanned<u64>>,
    rank: Option<Spanned<u32>>,
    declared: Option<Spanned<toml::Value>>,
    threshold: Option<Spanned<f64>>,
    calibrated: Option<Spanned<String>>,
    group: Option<Spanned<String>>,
    grouping: Option<Spanned<String>>,
    statistic: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoring {
    function: Spanned<String>,
    worst: Option<Spanned<f64>>,
    best: Option<Spanned<f64>>,
    better: Option<Spanned<String>>,
    bands: Option<Spanned<Vec<(f64, f64)>>>,
}

/// Turns byte spans into located errors.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn location(&self, offset: usize) -> Location {
        let (line, column) = storage::lines::line_col(self.text, offset);
        Location { line: line as usize, column: column as usize }
    }

    /// The text of a span, on one line and shortened, for "found `...`".
    fn found(&self, span: &Range<usize>) -> Option<String> {
        let text = self.text.get(span.clone())?.trim();
        let first = text.lines().next().unwrap_or("").trim();
        if first.is_empty() {
            return None;
        }
        let mut shown: String = first.chars().take(60).collect();
        if shown.len() < first.len() || text.lines().nth(1).is_some() {
            shown.push_str(" …");
        }
        Some(shown)
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> RubricError {
        let at = self.location(span.start);
        RubricError::Invalid {
            path: self.path.to_path_buf(),
            line: at.line,
            column: at.column,
            message: message.into(),
            found: self.found(&span),
        }
    }

    fn at<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> RubricError {
        self.error(s.span(), message)
    }
}

impl Rubric {
    /// Read and check a rubric file.
    pub fn load(path: &Path) -> Result<Rubric, RubricError> {
        let text = std::fs::read_to_string(path).map_err(|source| RubricError::Read { path: path.into(), source })?;
        Rubric::parse(&text, path)
    }

    /// Parse and check rubric text; `path` names the file in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Rubric, RubricError> {
        let src = Source { path, text };
        let raw: RawRubric = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            let span = e.span().unwrap_or(0..0);
            src.error(span, message)
        })?;
        check(&src, raw)
    }
}

fn finite(src: &Source, v: &Spanned<f64>, what: &str) -> Result<f64, RubricError> {
    let x = *v.get_ref();
    if x.is_finite() { Ok(x) } else { Err(src.at(v, format!("{what} must be a finite number"))) }
}

fn check(src: &Source, raw: RawRubric) -> Result<Rubric, RubricError> {
    let header_span = raw.rubric.span();
    let header = raw.rubric.into_inner();
    let weight = |v: &Option<Spanned<f64>>, default: f64, key: &str| -> Result<f64, RubricError> {
        match v {
            None => Ok(default),
            Some(s) => {
                let x = finite(src, s, key)?;
                if !(0.0..=100.0).contains(&x) {
                    return Err(src.at(s, format!("{key} must be between 0 and 100")));
                }
                Ok(x)
            }
        }
    };
    let quality_weight = weight(&header.quality_weight, 70.0, "quality_weight")?;
    let price_weight = weight(&header.price_weight, 30.0, "price_weight")?;
    if (quality_weight + price_weight - 100.0).abs() > 1e-9 {
        let span = header.price_weight.as_ref().or(header.quality_weight.as_ref()).map_or(header_span, |s| s.span());
        return Err(src.error(
            span,
            format!(
                "quality_weight ({}) and price_weight ({}) sum to {}; they must sum to 100 (the Met used 70:30)",
                as_written(quality_weight),
                as_written(price_weight),
                as_written(quality_weight + price_weight)
            ),
        ));
    }
    let price_formula = match header.price_formula.as_ref().map(|s| (s, s.get_ref().as_str())) {
        None | Some((_, "lowest-price")) => PriceFormula::LowestPrice,
        Some((_, "linear")) => PriceFormula::Linear,
        Some((s, other)) => {
            return Err(src.at(s, format!("unknown price_formula `{other}`: expected `lowest-price` or `linear`")));
        }
    };

    let mut bids: Vec<Bid> = Vec::new();
    for b in &raw.bid {
        let b = b.get_ref();
        let vendor = b.vendor.get_ref().clone();
        if bids.iter().any(|x| x.vendor == vendor) {
            return Err(src.at(&b.vendor, format!("a second [[bid]] for vendor `{vendor}`: one bid per vendor")));
        }
        let price = finite(src, &b.price, "price")?;
        if price <= 0.0 {
            return Err(src.at(&b.price, "price must be greater than 0"));
        }
        let template_time = match &b.template_time {
            Some(t) => {
                let x = finite(src, t, "template_time")?;
                if x < 0.0 {
                    return Err(src.at(t, "template_time (seconds per template) cannot be negative"));
                }
                Some(x)
            }
            None => None,
        };
        bids.push(Bid { vendor, price, template_time, at: src.location(b.vendor.span().start) });
    }
    if bids.is_empty() {
        return Err(
            src.error(header_span, "the rubric has no [[bid]]: give one per vendor (`vendor = \"…\"`, `price = …`)")
        );
    }

    let mut ids: Vec<String> = Vec::new();
    let mut claim_id = |id: &Spanned<String>| -> Result<String, RubricError> {
        let text = id.get_ref().trim().to_string();
        if text.is_empty() {
            return Err(src.at(id, "id must not be empty"));
        }
        if ids.contains(&text) {
            return Err(src.at(id, format!("id `{text}` is used twice: criteria and gates need distinct ids")));
        }
        ids.push(text.clone());
        Ok(text)
    };

    let mut criteria = Vec::new();
    for c in &raw.criterion {
        let at = src.location(c.span().start);
        let c = c.get_ref();
        let id = claim_id(&c.id)?;
        let weight = finite(src, &c.weight, "weight")?;
        if weight < 0.0 {
            return Err(src.at(&c.weight, "weight cannot be negative"));
        }
        let measure = measure(src, &c.measure)?;
        if let Measure::Rate(RateMeasure { group: GroupSelect::Each, .. }) = measure {
            let g = c.measure.get_ref().group.as_ref().expect("each was written");
            return Err(src.at(g, "group = \"each\" is for gates: a criterion scores one number (use \"worst\")"));
        }
        let scoring = scoring(src, &c.scoring)?;
        let if_undefined = match &c.if_undefined {
            Some(f) => {
                let x = finite(src, f, "if_undefined")?;
                if !(0.0..=1.0).contains(&x) {
                    return Err(src.at(f, "if_undefined is the fraction of the weight awarded: between 0 and 1"));
                }
                Some(x)
            }
            None => None,
        };
        criteria.push(Criterion { id, name: c.name.clone(), weight, measure, scoring, if_undefined, at });
    }
    if criteria.is_empty() {
        return Err(src.error(header_span, "the rubric has no [[criterion]]: quality needs at least one"));
    }
    let total: f64 = criteria.iter().map(|c| c.weight).sum();
    if (total - 100.0).abs() > 1e-9 {
        let listed: Vec<String> = criteria.iter().map(|c| format!("{} {}", c.id, as_written(c.weight))).collect();
        let first = raw.criterion[0].get_ref();
        return Err(src.at(
            &first.weight,
            format!(
                "criterion weights sum to {} ({}); they must sum to 100 (each criterion's points are out of 100, scaled to quality_weight {})",
                as_written(total),
                listed.join(", "),
                as_written(quality_weight)
            ),
        ));
    }

    let mut gates = Vec::new();
    for g in &raw.gate {
        let at = src.location(g.span().start);
        let span = g.span();
        let g = g.get_ref();
        let id = claim_id(&g.id)?;
        let measure = measure(src, &g.measure)?;
        let mut conditions = Vec::new();
        if let Some(m) = &g.max {
            conditions.push((m.span(), Condition::Max(finite(src, m, "max")?)));
        }
        if let Some(m) = &g.min {
            conditions.push((m.span(), Condition::Min(finite(src, m, "min")?)));
        }
        if let Some(n) = &g.no_significant_differential {
            if !*n.get_ref() {
                return Err(src.at(n, "no_significant_differential can only be true (remove it for no condition)"));
            }
            if !matches!(measure, Measure::SignificantDifferential(_)) {
                return Err(src.at(n, "no_significant_differential = true needs kind = \"significant_differential\""));
            }
            conditions.push((n.span(), Condition::NoSignificantDifferential));
        }
        let condition = match conditions.as_slice() {
            [] => {
                return Err(src.error(
                    span,
                    format!(
                        "gate `{id}` has no condition: give max = …, min = … or no_significant_differential = true"
                    ),
                ));
            }
            [(_, c)] => *c,
            [_, (second, _), ..] => {
                return Err(src.error(second.clone(), format!("gate `{id}` has more than one condition: give one")));
            }
        };
        let if_undefined = match &g.if_undefined {
            None => None,
            Some(s) => match s.get_ref().as_str() {
                "fail" => Some(false),
                "pass" => Some(true),
                other => return Err(src.at(s, format!("if_undefined must be \"fail\" or \"pass\", not `{other}`"))),
            },
        };
        gates.push(Gate { id, name: g.name.clone(), measure, condition, if_undefined, at });
    }

    Ok(Rubric {
        path: src.path.to_path_buf(),
        name: header.name,
        description: header.description,
        quality_weight,
        price_weight,
        price_formula,
        bids,
        criteria,
        gates,
    })
}

const METRICS: &str = "fpir, fnir, tpir, fmr, fnmr, fte, fta";

fn metric(src: &Source, s: &Spanned<String>) -> Result<Metric, RubricError> {
    Ok(match s.get_ref().as_str() {
        "fpir" => Metric::Fpir,
        "fnir" => Metric::Fnir,
        "tpir" => Metric::Tpir,
        "fmr" => Metric::Fmr,
        "fnmr" => Metric::Fnmr,
        "fte" => Metric::Fte,
        "fta" => Metric::Fta,
        other => return Err(src.at(s, format!("unknown metric `{other}`: expected one of {METRICS}"))),
    })
}

fn measure(src: &Source, m: &Spanned<RawMeasure>) -> Result<Measure, RubricError> {
    let span = m.span();
    let m = m.get_ref();
    let kind = m.kind.get_ref().as_str();
    // Keys that a kind does not read are errors, not silently ignored.
    let refuse = |present: Option<Range<usize>>, key: &str| -> Result<(), RubricError> {
        match present {
            Some(s) => Err(src.error(s, format!("`{key}` does not apply to a {kind} measure"))),
            None => Ok(()),
        }
    };
    let sp = |o: &Option<Spanned<String>>| o.as_ref().map(|s| s.span());
    let need_metric = || -> Result<Metric, RubricError> {
        match &m.metric {
            Some(s) => metric(src, s),
            None => Err(src.error(span.clone(), format!("a {kind} measure needs `metric` ({METRICS})"))),
        }
    };
    let site = || -> Result<Site, RubricError> {
        let mut points = Vec::new();
        if let Some(d) = &m.declared {
            let at = match d.get_ref() {
                toml::Value::Boolean(true) => At::Declared(None),
                toml::Value::String(label) if !label.is_empty() => At::Declared(Some(label.clone())),
                _ => return Err(src.at(d, "declared must be true (the first declared threshold) or a label")),
            };
            points.push((d.span(), at));
        }
        if let Some(t) = &m.threshold {
            points.push((t.span(), At::Threshold(finite(src, t, "threshold")?)));
        }
        if let Some(c) = &m.calibrated {
            points.push((c.span(), calibrated(src, c)?));
        }
        let at = match points.len() {
            0 => {
                return Err(src.error(
                    span.clone(),
                    "needs an operating point: declared = true, threshold = 0.6 or calibrated = \"fpir=0.001\"",
                ));
            }
            1 => points.remove(0).1,
            _ => {
                return Err(
                    src.error(points.remove(1).0, "give one operating point: declared, threshold or calibrated")
                );
            }
        };
        if let Some(n) = &m.gallery_size
            && *n.get_ref() == 0
        {
            return Err(src.at(n, "gallery_size must be at least 1"));
        }
        Ok(Site {
            protocol: m.protocol.as_ref().map(|p| p.get_ref().clone()),
            at,
            gallery_size: m.gallery_size.as_ref().map(|n| *n.get_ref()),
        })
    };
    let grouping = m.grouping.as_ref().map(|g| g.get_ref().clone());
    match kind {
        "rate" => {
            let metric = need_metric()?;
            let group = match m.group.as_ref().map(|g| g.get_ref().as_str()) {
                None | Some("all") => GroupSelect::All,
                Some("worst") => GroupSelect::Worst,
                Some("each") => GroupSelect::Each,
                Some("") => return Err(src.at(m.group.as_ref().expect("given"), "group must not be empty")),
                Some(name) => GroupSelect::Named(name.to_string()),
            };
            if group == GroupSelect::All
                && let Some(g) = &m.grouping
                && g.get_ref() != "all"
            {
                return Err(src.at(g, "group = \"all\" (the default) takes no grouping: use group = \"worst\", \"each\" or a group name"));
            }
            if grouping.as_deref() == Some("any") {
                return Err(src.at(m.grouping.as_ref().expect("given"), "grouping = \"any\" is for significant_differential"));
            }
            let statistic = match m.statistic.as_ref().map(|s| (s, s.get_ref().as_str())) {
                None | Some((_, "rate")) => Statistic::Rate,
                Some((_, "upper_bound")) => Statistic::UpperBound,
                Some((_, "lower_bound")) => Statistic::LowerBound,
                Some((_, "interval_high")) => Statistic::IntervalHigh,
                Some((_, "interval_low")) => Statistic::IntervalLow,
                Some((s, other)) => {
                    return Err(src.at(
                        s,
                        format!(
                            "unknown statistic `{other}`: expected rate, upper_bound, lower_bound, interval_high or interval_low"
                        ),
                    ));
                }
            };
            let template_rate = matches!(metric, Metric::Fte | Metric::Fta);
            let site = if template_rate {
                let why = "`{key}`: FTE and FTA are counted over templates, with no protocol or threshold";
                for (s, key) in [
                    (sp(&m.protocol), "protocol"),
                    (m.gallery_size.as_ref().map(|s| s.span()), "gallery_size"),
                    (m.rank.as_ref().map(|s| s.span()), "rank"),
                    (m.declared.as_ref().map(|s| s.span()), "declared"),
                    (m.threshold.as_ref().map(|s| s.span()), "threshold"),
                    (sp(&m.calibrated), "calibrated"),
                ] {
                    if let Some(s) = s {
                        return Err(src.error(s, why.replace("{key}", key)));
                    }
                }
                None
            } else {
                Some(site()?)
            };
            if let Some(r) = &m.rank
                && !matches!(metric, Metric::Fnir | Metric::Tpir)
            {
                return Err(src.at(r, "rank applies to FNIR and TPIR only"));
            }
            Ok(Measure::Rate(RateMeasure {
                metric,
                site,
                rank: m.rank.as_ref().map(|r| *r.get_ref()),
                group,
                grouping,
                statistic,
            }))
        }
        "ratio" => {
            let metric = need_metric()?;
            refuse(sp(&m.group), "group")?;
            refuse(sp(&m.statistic), "statistic")?;
            refuse(m.rank.as_ref().map(|s| s.span()), "rank")?;
            match metric {
                Metric::Fpir | Metric::Fnir | Metric::Fmr | Metric::Fnmr => {}
                Metric::Tpir => {
                    return Err(src.at(m.metric.as_ref().expect("given"), "ratios are of error rates: use fnir for TPIR"));
                }
                _ => {
                    return Err(src.at(
                        m.metric.as_ref().expect("given"),
                        "a ratio measure reads fpir, fnir, fmr or fnmr (the summary measures)",
                    ));
                }
            }
            if grouping.as_deref() == Some("any") {
                return Err(src.at(m.grouping.as_ref().expect("given"), "grouping = \"any\" is for significant_differential"));
            }
            Ok(Measure::Ratio(RatioMeasure { metric, site: site()?, grouping }))
        }
        "significant_differential" => {
            let metric = need_metric()?;
            refuse(sp(&m.group), "group")?;
            refuse(sp(&m.statistic), "statistic")?;
            let metric = match metric {
                Metric::Fpir | Metric::Fnir | Metric::Fmr | Metric::Fnmr => metric,
                Metric::Tpir => Metric::Fnir,
                _ => {
                    return Err(src.at(
                        m.metric.as_ref().expect("given"),
                        "differentials are tested for fpir, fnir (tpir), fmr and fnmr",
                    ));
                }
            };
            if let Some(r) = &m.rank
                && metric != Metric::Fnir
            {
                return Err(src.at(r, "rank applies to FNIR and TPIR only"));
            }
            Ok(Measure::SignificantDifferential(DifferentialMeasure {
                metric,
                site: site()?,
                rank: m.rank.as_ref().map(|r| *r.get_ref()),
                grouping,
            }))
        }
        "template_bytes" | "template_time" => {
            for (s, key) in [
                (sp(&m.metric), "metric"),
                (sp(&m.protocol), "protocol"),
                (m.gallery_size.as_ref().map(|s| s.span()), "gallery_size"),
                (m.rank.as_ref().map(|s| s.span()), "rank"),
                (m.declared.as_ref().map(|s| s.span()), "declared"),
                (m.threshold.as_ref().map(|s| s.span()), "threshold"),
                (sp(&m.calibrated), "calibrated"),
                (sp(&m.group), "group"),
                (sp(&m.grouping), "grouping"),
                (sp(&m.statistic), "statistic"),
            ] {
                refuse(s, key)?;
            }
            Ok(if kind == "template_bytes" { Measure::TemplateBytes } else { Measure::TemplateTime })
        }
        other => Err(src.at(
            &m.kind,
            format!(
                "unknown measure kind `{other}`: expected rate, ratio, significant_differential, template_bytes or template_time"
            ),
        )),
    }
}

/// `fpir=0.001` or `fmr=1e-4`.
fn calibrated(src: &Source, s: &Spanned<String>) -> Result<At, RubricError> {
    let bad = || src.at(s, "calibrated must read METRIC=TARGET, e.g. \"fpir=0.001\" or \"fmr=1e-4\"");
    let (m, t) = s.get_ref().split_once('=').ok_or_else(bad)?;
    let metric = match m.trim() {
        "fpir" => Metric::Fpir,
        "fmr" => Metric::Fmr,
        _ => return Err(src.at(s, "thresholds are calibrated to fpir (1:N, watchlist) or fmr (1:1)")),
    };
    let target: f64 = t.trim().parse().map_err(|_| bad())?;
    if !(target > 0.0 && target < 1.0) {
        return Err(src.at(s, "the calibration target must be between 0 and 1"));
    }
    Ok(At::Calibrated { metric, target })
}

fn scoring(src: &Source, s: &Spanned<RawScoring>) -> Result<Scoring, RubricError> {
    let span = s.span();
    let s = s.get_ref();
    let function = s.function.get_ref().as_str();
    let ends = || -> Result<(f64, f64), RubricError> {
        if let Some(b) = &s.better {
            return Err(src.at(b, format!("`better` is for steps; {function} reads the direction from worst and best")));
        }
        if let Some(b) = &s.bands {
            return Err(src.at(b, format!("`bands` is for steps, not {function}")));
        }
        let (Some(w), Some(b)) = (&s.worst, &s.best) else {
            return Err(src.error(span.clone(), format!("{function} scoring needs `worst` and `best`")));
        };
        let (worst, best) = (finite(src, w, "worst")?, finite(src, b, "best")?);
        if worst == best {
            return Err(src.at(b, "best must differ from worst"));
        }
        if function == "log-linear" {
            for (v, x) in [(w, worst), (b, best)] {
                if x <= 0.0 {
                    return Err(src.at(v, "log-linear scoring needs worst and best above 0"));
                }
            }
        }
        Ok((worst, best))
    };
    match function {
        "linear" => ends().map(|(worst, best)| Scoring::Linear { worst, best }),
        "log-linear" => ends().map(|(worst, best)| Scoring::LogLinear { worst, best }),
        "steps" => {
            for (v, key) in [(&s.worst, "worst"), (&s.best, "best")] {
                if let Some(v) = v {
                    return Err(src.at(v, format!("`{key}` is for linear and log-linear; steps use `bands`")));
                }
            }
            let better = match s.better.as_ref().map(|b| (b, b.get_ref().as_str())) {
                Some((_, "higher")) => Better::Higher,
                Some((_, "lower")) => Better::Lower,
                Some((b, _)) => return Err(src.at(b, "better must be \"higher\" or \"lower\"")),
                None => return Err(src.error(span, "steps scoring needs better = \"higher\" or \"lower\"")),
            };
            let Some(bands) = &s.bands else {
                return Err(src.error(span, "steps scoring needs bands = [[threshold, fraction], …]"));
            };
            if bands.get_ref().is_empty() {
                return Err(src.at(bands, "bands must not be empty"));
            }
            for (t, f) in bands.get_ref() {
                if !t.is_finite() || !(0.0..=1.0).contains(f) {
                    return Err(src
                        .at(bands, "each band is [threshold, fraction] with a finite threshold and 0 ≤ fraction ≤ 1"));
                }
            }
            Ok(Scoring::Steps { better, bands: bands.get_ref().clone() })
        }
        other => {
            Err(src
                .at(&s.function, format!("unknown scoring function `{other}`: expected linear, log-linear or steps")))
        }
    }
}
