//! From a rubric and the results of one or more runs to a ranked scorecard: a pure
//! function of its inputs.

use super::measure::{Absent, Measured, measure, pick_protocol};
use super::rubric::{Bid, Condition, GroupSelect, Location, Measure, Rubric};
use harness::model::analysis::Metric;
use harness::model::results::{Results, VendorResults};
use std::path::PathBuf;

/// Why a scorecard cannot be made from these runs with this rubric.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("no run to score")]
    NoRuns,
    #[error("vendor `{vendor}` is in two runs ({first} and {second}): each vendor must be scored once")]
    DuplicateVendor { vendor: String, first: String, second: String },
    #[error("vendor `{vendor}` (run {run}) has no [[bid]] in {}: every vendor scored needs a price", rubric.display())]
    NoBid { vendor: String, run: String, rubric: PathBuf },
    #[error("{}:{at}: the [[bid]] for `{vendor}` names no vendor of the runs (vendors: {})", rubric.display(), known.join(", "))]
    UnknownBidder { vendor: String, rubric: PathBuf, at: Location, known: Vec<String> },
    #[error(
        "{} reads protocol `{}`, whose trial lists differ between runs: {} has {}, {} has {}; bids must be compared on identical trials",
        .0.item, .0.what, .0.first_run, .0.first_hash, .0.second_run, .0.second_hash
    )]
    TrialListsDiffer(Box<Mismatch>),
    #[error(
        "{} reads FTE/FTA, counted on the benchmark's templates, but the runs used different benchmarks: {} has {}, {} has {}",
        .0.item, .0.first_run, .0.first_hash, .0.second_run, .0.second_hash
    )]
    BenchmarksDiffer(Box<Mismatch>),
    /// A measure the results cannot supply, or an undefined value with no rule for it.
    #[error("{item} for vendor {vendor} (run {run}): {what}")]
    Missing { item: String, vendor: String, run: String, what: String },
}

/// Two runs that differ where the rubric needs them equal.
#[derive(Debug)]
pub struct Mismatch {
    /// The criterion or gate that reads it.
    pub item: String,
    /// The protocol (trial lists) or `benchmark`.
    pub what: String,
    pub first_run: String,
    pub first_hash: String,
    pub second_run: String,
    pub second_hash: String,
}

/// The whole scorecard: every number with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub rubric: Rubric,
    pub runs: Vec<RunInfo>,
    /// The protocols the rubric read, with the trial-list hash every run shares.
    pub protocols: Vec<ProtocolUse>,
    /// In ranking order: ranked bids by rank (then vendor), then excluded bids by total.
    pub bids: Vec<BidScore>,
    /// The price the price formula compares with.
    pub lowest_price: f64,
    /// Whether `lowest_price` is the lowest among bids that pass every gate (otherwise no
    /// bid passes and it is the lowest of all).
    pub lowest_among_passing: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub label: String,
    pub benchmark: String,
    pub benchmark_hash: String,
    pub vendors: Vec<String>,
    pub confidence: f64,
    pub alpha: f64,
    pub command: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolUse {
    pub protocol: String,
    pub hash: String,
    pub runs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BidScore {
    pub vendor: String,
    pub version: String,
    pub run: String,
    pub price: f64,
    pub criteria: Vec<CriterionScore>,
    pub gates: Vec<GateResult>,
    /// Out of the rubric's quality weight.
    pub quality_points: f64,
    /// Out of the rubric's price weight.
    pub price_points: f64,
    pub total: f64,
    pub standing: Standing,
}

impl BidScore {
    pub fn failed_gates(&self) -> Vec<&GateResult> {
        self.gates.iter().filter(|g| !g.pass).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// 1 is first; equal totals share a rank (1, 1, 3).
    Ranked(usize),
    /// Fails these gates (ids); listed below every ranked bid whatever its points.
    Excluded { failed: Vec<String> },
}

impl Standing {
    pub fn text(&self) -> String {
        match self {
            Standing::Ranked(r) => r.to_string(),
            Standing::Excluded { failed } => format!("excluded — fails gate {}", failed.join(", ")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CriterionScore {
    pub id: String,
    pub name: String,
    pub weight: f64,
    pub measured: Measured,
    /// 0..=1.
    pub fraction: f64,
    /// `weight × fraction`, out of the weight (criterion weights sum to 100).
    pub points: f64,
    /// `points × quality_weight / 100`: the contribution to the total.
    pub weighted: f64,
    /// The value was undefined and the rubric's `if_undefined` fraction was used.
    pub by_undefined_rule: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    pub id: String,
    pub name: String,
    pub measured: Measured,
    pub condition: Condition,
    /// `each` gates: the value of the worst group against the condition.
    pub shown_value: Option<f64>,
    pub pass: bool,
    /// Why it failed or passed when that needs saying (failing groups, the undefined rule).
    pub detail: Option<String>,
}

/// Totals closer than this are equal (they are sums of products of the rubric's numbers).
const TIE: f64 = 1e-9;

/// Score every vendor of `runs` (label, results) with `rubric`.
pub fn score(rubric: &Rubric, runs: &[(&str, &Results)]) -> Result<Scorecard, ScoreError> {
    if runs.is_empty() {
        return Err(ScoreError::NoRuns);
    }
    // Vendors of all runs, each once, each with a bid.
    let mut vendors: Vec<(&str, &Results, &VendorResults, &Bid)> = Vec::new();
    for &(label, results) in runs {
        for v in &results.vendors {
            if let Some(other) = vendors.iter().find(|x| x.2.vendor.name == v.vendor.name) {
                return Err(ScoreError::DuplicateVendor {
                    vendor: v.vendor.name.clone(),
                    first: other.0.to_string(),
                    second: label.to_string(),
                });
            }
            let bid = rubric.bids.iter().find(|b| b.vendor == v.vendor.name).ok_or_else(|| ScoreError::NoBid {
                vendor: v.vendor.name.clone(),
                run: label.to_string(),
                rubric: rubric.path.clone(),
            })?;
            vendors.push((label, results, v, bid));
        }
    }
    if let Some(b) = rubric.bids.iter().find(|b| !vendors.iter().any(|v| v.2.vendor.name == b.vendor)) {
        return Err(ScoreError::UnknownBidder {
            vendor: b.vendor.clone(),
            rubric: rubric.path.clone(),
            at: b.at,
            known: vendors.iter().map(|v| v.2.vendor.name.clone()).collect(),
        });
    }
    let protocols = check_same_trials(rubric, runs)?;

    let mut bids = Vec::new();
    for &(run, results, vendor, bid) in &vendors {
        let missing = |item: String, what: String| ScoreError::Missing {
            item,
            vendor: vendor.vendor.name.clone(),
            run: run.to_string(),
            what,
        };
        let mut criteria = Vec::new();
        for c in &rubric.criteria {
            let item = format!("criterion `{}` ({}:{})", c.id, rubric.path.display(), c.at);
            let measured = measure(&c.measure, results, vendor, bid).map_err(|Absent(w)| missing(item.clone(), w))?;
            let (fraction, by_undefined_rule) = match (measured.value, c.if_undefined) {
                (Some(v), _) => (c.scoring.fraction(v), false),
                (None, Some(f)) => (f, true),
                (None, None) => {
                    return Err(missing(
                        item,
                        format!(
                            "{} (set `if_undefined = FRACTION` on the criterion to score this case)",
                            measured.text
                        ),
                    ));
                }
            };
            let points = c.weight * fraction;
            criteria.push(CriterionScore {
                id: c.id.clone(),
                name: c.name.clone(),
                weight: c.weight,
                fraction,
                points,
                weighted: points * rubric.quality_weight / 100.0,
                measured,
                by_undefined_rule,
            });
        }
        let mut gates = Vec::new();
        for g in &rubric.gates {
            let item = format!("gate `{}` ({}:{})", g.id, rubric.path.display(), g.at);
            let measured = measure(&g.measure, results, vendor, bid).map_err(|Absent(w)| missing(item.clone(), w))?;
            let each = matches!(&g.measure, Measure::Rate(r) if r.group == GroupSelect::Each);
            let (shown_value, verdict) = if each { each_group(&measured, g.condition) } else { (measured.value, None) };
            let (pass, detail) = match (shown_value, g.if_undefined) {
                (Some(v), _) => {
                    let pass = match &verdict {
                        Some((pass, _)) => *pass,
                        None => g.condition.holds(v),
                    };
                    (pass, verdict.and_then(|(_, d)| d))
                }
                (None, Some(pass)) => (
                    pass,
                    Some(format!(
                        "undefined; the rubric says an undefined value {}",
                        if pass { "passes" } else { "fails" }
                    )),
                ),
                (None, None) => {
                    return Err(missing(
                        item,
                        format!(
                            "{} (set `if_undefined = \"fail\"` or `\"pass\"` on the gate to decide this case)",
                            measured.text
                        ),
                    ));
                }
            };
            gates.push(GateResult {
                id: g.id.clone(),
                name: g.name.clone(),
                measured,
                condition: g.condition,
                shown_value,
                pass,
                detail,
            });
        }
        let quality_points = criteria.iter().map(|c| c.weighted).sum();
        bids.push(BidScore {
            vendor: vendor.vendor.name.clone(),
            version: vendor.vendor.version.clone(),
            run: run.to_string(),
            price: bid.price,
            criteria,
            gates,
            quality_points,
            price_points: 0.0,
            total: 0.0,
            standing: Standing::Ranked(0),
        });
    }

    // Price: compared with the lowest price of the bids that pass every gate (the lowest
    // compliant bid); when none passes, with the lowest of all. An excluded bid cheaper
    // than every passing bid is shown with full price points, never more.
    let passing: Vec<f64> = bids.iter().filter(|b| b.gates.iter().all(|g| g.pass)).map(|b| b.price).collect();
    let lowest_among_passing = !passing.is_empty();
    let pool: Vec<f64> = if lowest_among_passing { passing } else { bids.iter().map(|b| b.price).collect() };
    let lowest_price = pool.iter().copied().fold(f64::INFINITY, f64::min);
    for b in &mut bids {
        b.price_points =
            rubric.price_formula.points(rubric.price_weight, lowest_price, b.price).min(rubric.price_weight);
        b.total = b.quality_points + b.price_points;
    }
    rank(&mut bids);
    Ok(Scorecard {
        rubric: rubric.clone(),
        runs: runs
            .iter()
            .map(|(label, r)| RunInfo {
                label: label.to_string(),
                benchmark: format!("{} {}", r.benchmark.name, r.benchmark.version),
                benchmark_hash: r.benchmark.content_hash.clone(),
                vendors: r.vendors.iter().map(|v| v.vendor.name.clone()).collect(),
                confidence: r.config.confidence,
                alpha: r.config.alpha,
                command: r.provenance.command.clone(),
            })
            .collect(),
        protocols,
        bids,
        lowest_price,
        lowest_among_passing,
    })
}

/// An `each` gate: every group with trials must satisfy the condition. Returns the
/// worst group's value against the condition and (pass, failing groups).
fn each_group(m: &Measured, condition: Condition) -> (Option<f64>, Option<(bool, Option<String>)>) {
    let defined: Vec<(&str, f64)> = m.groups.iter().filter_map(|(g, v)| v.map(|v| (g.as_str(), v))).collect();
    let worst = match condition {
        Condition::Min(_) => defined.iter().map(|g| g.1).reduce(f64::min),
        _ => defined.iter().map(|g| g.1).reduce(f64::max),
    };
    let Some(worst) = worst else { return (None, None) };
    let failing: Vec<String> = defined.iter().filter(|g| !condition.holds(g.1)).map(|g| g.0.to_string()).collect();
    let detail = if failing.is_empty() {
        Some(format!("all {} groups pass", defined.len()))
    } else {
        Some(format!("fails for {} of {} groups: {}", failing.len(), defined.len(), failing.join(", ")))
    };
    (Some(worst), Some((failing.is_empty(), detail)))
}

/// Ranked bids by total (equal totals share a rank), then excluded bids.
pub fn rank(bids: &mut [BidScore]) {
    for i in 0..bids.len() {
        let failed: Vec<String> = bids[i].failed_gates().iter().map(|g| g.id.clone()).collect();
        bids[i].standing = if failed.is_empty() {
            let above = bids.iter().filter(|b| b.gates.iter().all(|g| g.pass) && b.total > bids[i].total + TIE).count();
            Standing::Ranked(above + 1)
        } else {
            Standing::Excluded { failed }
        };
    }
    bids.sort_by(|a, b| match (&a.standing, &b.standing) {
        (Standing::Ranked(x), Standing::Ranked(y)) => x.cmp(y).then_with(|| a.vendor.cmp(&b.vendor)),
        (Standing::Ranked(_), Standing::Excluded { .. }) => std::cmp::Ordering::Less,
        (Standing::Excluded { .. }, Standing::Ranked(_)) => std::cmp::Ordering::Greater,
        _ => b.total.total_cmp(&a.total).then_with(|| a.vendor.cmp(&b.vendor)),
    });
}

/// Refuse runs whose trial lists differ for a protocol the rubric reads (and whose
/// benchmarks differ when FTE/FTA are read); list the protocols used.
fn check_same_trials(rubric: &Rubric, runs: &[(&str, &Results)]) -> Result<Vec<ProtocolUse>, ScoreError> {
    let items = rubric
        .criteria
        .iter()
        .map(|c| (format!("criterion `{}`", c.id), &c.measure))
        .chain(rubric.gates.iter().map(|g| (format!("gate `{}`", g.id), &g.measure)));
    let mut uses: Vec<ProtocolUse> = Vec::new();
    for (item, m) in items {
        if let Measure::Rate(r) = m
            && r.site.is_none()
        {
            let (first_run, first) = (runs[0].0, &runs[0].1.benchmark.content_hash);
            if let Some((run, r)) = runs.iter().find(|(_, r)| &r.benchmark.content_hash != first) {
                return Err(ScoreError::BenchmarksDiffer(Box::new(Mismatch {
                    item,
                    what: "benchmark".into(),
                    first_run: first_run.to_string(),
                    first_hash: first.clone(),
                    second_run: run.to_string(),
                    second_hash: r.benchmark.content_hash.clone(),
                })));
            }
            continue;
        }
        let Some(site) = m.site() else { continue };
        let metric = match m {
            Measure::Rate(r) => r.metric,
            Measure::Ratio(r) => r.metric,
            Measure::SignificantDifferential(d) => d.metric,
            _ => Metric::Fpir,
        };
        let mut seen: Option<(&str, &str, &str)> = None;
        for &(label, results) in runs {
            // A run without the protocol is reported when its vendors are measured.
            let Some(t) =
                pick_protocol(&results.trial_lists, |t| &t.protocol, |t| t.kind, site.protocol.as_deref(), metric)
            else {
                continue;
            };
            match seen {
                Some((first_run, protocol, hash)) if hash != t.hash => {
                    return Err(ScoreError::TrialListsDiffer(Box::new(Mismatch {
                        item,
                        what: protocol.to_string(),
                        first_run: first_run.to_string(),
                        first_hash: hash.to_string(),
                        second_run: label.to_string(),
                        second_hash: t.hash.clone(),
                    })));
                }
                Some(_) => {}
                None => seen = Some((label, &t.protocol, &t.hash)),
            }
            match uses.iter_mut().find(|u| u.protocol == t.protocol && u.hash == t.hash) {
                Some(u) if !u.runs.iter().any(|r| r == label) => u.runs.push(label.to_string()),
                Some(_) => {}
                None => uses.push(ProtocolUse {
                    protocol: t.protocol.clone(),
                    hash: t.hash.clone(),
                    runs: vec![label.to_string()],
                }),
            }
        }
    }
    Ok(uses)
}
