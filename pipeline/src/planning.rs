//! `verity plan --results` and `verity project` as library calls: the per-group tables of
//! a run's results (`Results::group_tables`) selected by the user's filters, with the
//! minimum detectable ratios of each (harness::analysis::planning) or a deployment
//! projection of one (harness::analysis::projection). Messages name the option.

use crate::Error;
use harness::analysis::planning::{DetectabilityTable, Simulation, detectable_ratios};
use harness::analysis::projection::{Deployment, Projection, project};
use harness::model::analysis::Metric;
use harness::model::benchmark::ProtocolKind;
use harness::model::query::GroupTable;
use harness::model::results::Results;
use harness::model::thresholds::same_threshold;
use harness::stats::Alternative;

/// Which tables of a run to plan from (`None` takes every one).
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    pub vendor: Option<String>,
    pub protocol: Option<String>,
    pub grouping: Option<String>,
    pub threshold: Option<f64>,
}

/// One table and the ratios its counts could have detected.
#[derive(Debug, serde::Serialize)]
pub struct DetectabilityRow {
    #[serde(flatten)]
    pub table: GroupTable,
    pub detectability: DetectabilityTable,
}

/// The minimum detectable FMR (1:1) or FPIR (1:N) ratio of every group of every table the
/// filter selects.
pub fn detectable(
    results: &Results,
    filter: &TableFilter,
    alpha: f64,
    power: f64,
    alternative: Alternative,
    simulation: Simulation,
) -> Result<Vec<DetectabilityRow>, Error> {
    let metric_for = |kind: ProtocolKind| match kind {
        ProtocolKind::Verification => Some(Metric::Fmr),
        ProtocolKind::Identification | ProtocolKind::Watchlist => Some(Metric::Fpir),
    };
    let tables: Vec<GroupTable> = results
        .group_tables(metric_for)
        .into_iter()
        .filter(|t| filter.vendor.as_ref().is_none_or(|v| &t.vendor == v))
        .filter(|t| filter.protocol.as_ref().is_none_or(|p| &t.protocol == p))
        .filter(|t| filter.grouping.as_ref().is_none_or(|g| &t.grouping == g))
        .filter(|t| filter.threshold.is_none_or(|x| same_threshold(t.threshold, x)))
        .collect();
    if tables.is_empty() {
        return Err(Error::BadInput("no per-group FMR or FPIR rows match the filters given".into()));
    }
    let mut rows = Vec::new();
    for table in tables {
        let detectability = detectable_ratios(&table.groups, alpha, power, alternative, simulation)
            .map_err(|e| Error::BadInput(e.to_string()))?;
        rows.push(DetectabilityRow { table, detectability });
    }
    Ok(rows)
}

/// Which watchlist table a projection starts from.
#[derive(Debug, Clone)]
pub struct ProjectionSource {
    pub vendor: String,
    pub protocol: String,
    pub grouping: String,
    pub threshold: f64,
    /// The tested gallery size (default: the largest).
    pub gallery_size: Option<u64>,
}

/// The per-group FPIR table `source` names, or why there is none (listing what there is).
pub fn projection_table(results: &Results, source: &ProjectionSource) -> Result<GroupTable, Error> {
    let tables = results.group_tables(|kind| {
        matches!(kind, ProtocolKind::Identification | ProtocolKind::Watchlist).then_some(Metric::Fpir)
    });
    let listed = |mut xs: Vec<String>| {
        xs.sort();
        xs.dedup();
        xs.join(", ")
    };
    let by_vendor: Vec<&GroupTable> = tables.iter().filter(|t| t.vendor == source.vendor).collect();
    if by_vendor.is_empty() {
        let names = tables.iter().map(|t| t.vendor.clone()).collect();
        return Err(Error::BadInput(format!(
            "--vendor {}: not in the results (vendors: {})",
            source.vendor,
            listed(names)
        )));
    }
    let by_protocol: Vec<&GroupTable> = by_vendor.iter().copied().filter(|t| t.protocol == source.protocol).collect();
    if by_protocol.is_empty() {
        let names = by_vendor.iter().map(|t| t.protocol.clone()).collect();
        return Err(Error::BadInput(format!(
            "--protocol {}: no identification or watchlist protocol of that name (FPIR is needed; protocols: {})",
            source.protocol,
            listed(names)
        )));
    }
    let by_grouping: Vec<&GroupTable> = by_protocol.iter().copied().filter(|t| t.grouping == source.grouping).collect();
    if by_grouping.is_empty() {
        let names = by_protocol.iter().map(|t| t.grouping.clone()).collect();
        return Err(Error::BadInput(format!(
            "--grouping {}: not in the results (groupings: {})",
            source.grouping,
            listed(names)
        )));
    }
    let at: Vec<&GroupTable> =
        by_grouping.iter().copied().filter(|t| same_threshold(t.threshold, source.threshold)).collect();
    if at.is_empty() {
        let mut ts: Vec<f64> = by_grouping.iter().map(|t| t.threshold).collect();
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        let ts: Vec<String> = ts.iter().map(f64::to_string).collect();
        return Err(Error::BadInput(format!(
            "--threshold {}: not evaluated in the run (thresholds: {})",
            source.threshold,
            ts.join(", ")
        )));
    }
    let chosen = match source.gallery_size {
        Some(n) => at.iter().copied().find(|t| t.gallery_size == Some(n)).ok_or_else(|| {
            let sizes: Vec<String> = at.iter().filter_map(|t| t.gallery_size.map(|s| s.to_string())).collect();
            Error::BadInput(format!("--gallery-size {n}: not tested (gallery sizes: {})", listed(sizes)))
        })?,
        // The first table of the largest size (a grid threshold before a declared one of equal value).
        None => {
            at.iter().rev().copied().max_by_key(|t| t.gallery_size).ok_or_else(|| Error::BadInput("no table".into()))?
        }
    };
    Ok(chosen.clone())
}

/// Expected false alerts of a deployment from the table `source` names; `deployment`'s
/// tested watchlist size is set from the table.
pub fn projection(
    results: &Results,
    source: &ProjectionSource,
    mut deployment: Deployment,
) -> Result<(GroupTable, Projection), Error> {
    let table = projection_table(results, source)?;
    deployment.tested_watchlist_size =
        table.gallery_size.ok_or_else(|| Error::BadInput("FPIR rows without a gallery_size".into()))?;
    let p = project(&table.groups, &deployment).map_err(|e| Error::BadInput(format!("--crowd: {e}")))?;
    Ok((table, p))
}
