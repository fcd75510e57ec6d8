//! The comparison as tables for programs: `compare.csv` (every rate the document shows,
//! one row per vendor × protocol × operating point × grouping × group × metric) and
//! `compare_paired.csv` (every paired table with its McNemar and Holm p-values).

use super::render::group_comparison;
use super::{Comparison, Point, operating_point};
use crate::ReportError;
use crate::output::frame::{Cell, Kind, Table};
use harness::model::analysis::{Metric, RateRow};
use harness::model::benchmark::ProtocolKind;
use harness::model::query::RateQuery;

const RATE_COLUMNS: &[(&str, Kind)] = &[
    ("vendor", Kind::Str),
    ("name", Kind::Str),
    ("version", Kind::Str),
    ("run", Kind::Str),
    ("protocol", Kind::Str),
    ("gallery_size", Kind::U64),
    ("rank", Kind::U32),
    ("point", Kind::Str),
    ("operating_point", Kind::Str),
    ("threshold", Kind::F64),
    ("grouping", Kind::Str),
    ("group", Kind::Str),
    ("metric", Kind::Str),
    ("numerator", Kind::U64),
    ("denominator", Kind::U64),
    ("rate", Kind::F64),
    ("interval_low", Kind::F64),
    ("interval_high", Kind::F64),
    ("upper_bound", Kind::F64),
    ("bootstrap_low", Kind::F64),
    ("bootstrap_high", Kind::F64),
    ("verdict", Kind::Str),
];

/// `compare.csv`: the rates of every vendor at the declared and common operating points
/// (TPIR, FNIR at rank L and FPIR for 1:N; FMR and FNMR for 1:1) for every grouping and
/// group, with the verdict of the tests between groups; then FTE and FTA per vendor
/// (protocol and operating point empty).
pub fn rates_table(c: &Comparison) -> Result<Table, ReportError> {
    let mut t = Table::new(RATE_COLUMNS);
    for (i, cv) in c.vendors.iter().enumerate() {
        let v = cv.results(&c.runs);
        let base = |protocol: &str| -> Vec<Cell> {
            vec![
                cv.label.as_str().into(),
                v.vendor.name.as_str().into(),
                v.vendor.version.as_str().into(),
                c.runs[cv.run].name.as_str().into(),
                protocol.into(),
            ]
        };
        for protocol in &c.protocols {
            let Some(p) = c.protocol_of(i, protocol) else { continue };
            let metrics: &[Metric] = if p.kind == ProtocolKind::Verification {
                &[Metric::Fmr, Metric::Fnmr]
            } else {
                &[Metric::Tpir, Metric::Fnir, Metric::Fpir]
            };
            let l = p.list_length();
            for point in [Point::Declared, Point::Common] {
                for n in p.gallery_sizes() {
                    let Ok(op) = operating_point(v, p, point, &c.targets, n) else { continue };
                    let q = RateQuery::any().at(&op.point).gallery_size(n);
                    let rows =
                        p.rates_where(&q).filter(|r| metrics.contains(&r.metric) && (r.rank.is_none() || r.rank == l));
                    for r in rows {
                        let verdict = match r.metric {
                            Metric::Tpir => None,
                            m => group_comparison(p, m, &op.point, &r.grouping, n)
                                .and_then(|g| g.groups.iter().find(|x| x.group == r.group))
                                .map(|g| g.verdict.clone()),
                        };
                        let mut row = base(protocol);
                        row.extend(rate_cells(r, Some(point.name()), Some(op.point.label().as_str()), verdict));
                        t.push(row)?;
                    }
                }
            }
        }
        for r in v.template_rates.iter().filter(|r| matches!(r.metric, Metric::Fte | Metric::Fta)) {
            let mut row = base("");
            row.extend(rate_cells(r, None, None, None));
            t.push(row)?;
        }
    }
    Ok(t)
}

fn rate_cells(r: &RateRow, point: Option<&str>, label: Option<&str>, verdict: Option<String>) -> Vec<Cell> {
    vec![
        r.gallery_size.into(),
        r.rank.into(),
        Cell::Str(point.map(str::to_string)),
        Cell::Str(label.map(str::to_string)),
        r.threshold.into(),
        r.grouping.as_str().into(),
        r.group.as_str().into(),
        r.metric.name().into(),
        r.rate.numerator.into(),
        r.rate.denominator.into(),
        r.rate.value().into(),
        r.interval.map(|i| i.low).into(),
        r.interval.map(|i| i.high).into(),
        r.upper_bound.into(),
        r.bootstrap.as_ref().and_then(|b| b.low).into(),
        r.bootstrap.as_ref().and_then(|b| b.high).into(),
        verdict.into(),
    ]
}

const PAIRED_COLUMNS: &[(&str, Kind)] = &[
    ("protocol", Kind::Str),
    ("gallery_size", Kind::U64),
    ("rank", Kind::U32),
    ("point", Kind::Str),
    ("vendor_a", Kind::Str),
    ("vendor_b", Kind::Str),
    ("threshold_a", Kind::F64),
    ("threshold_b", Kind::F64),
    ("metric", Kind::Str),
    ("grouping", Kind::Str),
    ("group", Kind::Str),
    ("trials", Kind::U64),
    ("both", Kind::U64),
    ("only_a", Kind::U64),
    ("only_b", Kind::U64),
    ("neither", Kind::U64),
    ("errors_a", Kind::U64),
    ("errors_b", Kind::U64),
    ("p_value", Kind::F64),
    ("p_holm", Kind::F64),
];

/// `compare_paired.csv`: one row per pair of vendors × protocol × point × gallery size ×
/// metric × grouping × group: the paired 2x2 table, each vendor's errors, the exact
/// McNemar p-value and its Holm adjustment.
pub fn paired_table(c: &Comparison) -> Result<Table, ReportError> {
    let mut t = Table::new(PAIRED_COLUMNS);
    for set in &c.paired {
        for comp in &set.comparisons {
            for row in &comp.rows {
                let rank = if row.metric == Metric::Fnir { comp.rank } else { None };
                t.push(vec![
                    set.protocol.as_str().into(),
                    comp.gallery_size.into(),
                    rank.into(),
                    set.point.name().into(),
                    c.vendors[set.a].label.as_str().into(),
                    c.vendors[set.b].label.as_str().into(),
                    comp.threshold_a.into(),
                    comp.threshold_b.into(),
                    row.metric.name().into(),
                    row.grouping.as_str().into(),
                    row.group.as_str().into(),
                    row.table.trials().into(),
                    row.table.both.into(),
                    row.table.only_a.into(),
                    row.table.only_b.into(),
                    row.table.neither.into(),
                    row.table.errors_a().into(),
                    row.table.errors_b().into(),
                    row.p_value.into(),
                    row.p_holm.into(),
                ])?;
            }
        }
    }
    Ok(t)
}
