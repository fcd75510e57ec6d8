//! The tidy tables researchers load: one row per rate, calibration, EER or cross-group
//! cell, with every column a plain value (docs/results.md lists them).
//!
//! The rates table has one row per (vendor, protocol, metric, gallery_size, rank,
//! threshold, operating_point, grouping, group), in the order the engine produced them.
//! A vendor's FTE/FTA rows come first for that vendor, with empty `protocol` and `kind`.

use crate::ReportError;
use crate::output::frame::{Cell, Kind, Table};
use harness::model::analysis::{ProtocolAnalysis, RateRow};
use harness::model::results::Results;

/// Columns of `rates.csv` / `rates.parquet`, in order.
pub const RATES_COLUMNS: [(&str, Kind); 20] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("kind", Kind::Str),
    ("metric", Kind::Str),
    ("gallery_size", Kind::U64),
    ("rank", Kind::U32),
    ("threshold", Kind::F64),
    ("operating_point", Kind::Str),
    ("grouping", Kind::Str),
    ("group", Kind::Str),
    ("numerator", Kind::U64),
    ("denominator", Kind::U64),
    ("rate", Kind::F64),
    ("ci_low", Kind::F64),
    ("ci_high", Kind::F64),
    ("ci_method", Kind::Str),
    ("bootstrap_low", Kind::F64),
    ("bootstrap_high", Kind::F64),
    ("upper_bound", Kind::F64),
    ("lower_bound", Kind::F64),
];

fn rate_cells(vendor: &str, protocol: Option<&str>, kind: Option<&str>, row: &RateRow) -> Vec<Cell> {
    vec![
        vendor.into(),
        protocol.map(str::to_string).into(),
        kind.map(str::to_string).into(),
        row.metric.name().into(),
        row.gallery_size.into(),
        row.rank.into(),
        row.threshold.into(),
        row.operating_point.label().into(),
        row.grouping.clone().into(),
        row.group.clone().into(),
        row.rate.numerator.into(),
        row.rate.denominator.into(),
        // Undefined (denominator 0) stays missing: never 0, never NaN.
        row.rate.value().into(),
        row.interval.map(|i| i.low).into(),
        row.interval.map(|i| i.high).into(),
        row.interval.map(|i| i.method.name().to_string()).into(),
        row.bootstrap.as_ref().and_then(|b| b.low).into(),
        row.bootstrap.as_ref().and_then(|b| b.high).into(),
        row.upper_bound.into(),
        row.lower_bound.into(),
    ]
}

/// A table with one row per item of every vendor's protocols. `rows` gives a protocol's
/// rows without their first two cells, which are always the vendor and the protocol.
fn protocol_table<'r, I>(
    results: &'r Results,
    columns: &[(&'static str, Kind)],
    rows: impl Fn(&'r ProtocolAnalysis) -> I,
) -> Result<Table, ReportError>
where
    I: IntoIterator<Item = Vec<Cell>>,
{
    let mut table = Table::new(columns);
    for v in &results.vendors {
        for p in &v.protocols {
            for rest in rows(p) {
                let mut row: Vec<Cell> = vec![v.vendor.name.clone().into(), p.protocol.clone().into()];
                row.extend(rest);
                table.push(row)?;
            }
        }
    }
    Ok(table)
}

/// The tidy long rates table of every vendor.
pub fn rates_table(results: &Results) -> Result<Table, ReportError> {
    let mut table = Table::new(&RATES_COLUMNS);
    for v in &results.vendors {
        let vendor = v.vendor.name.as_str();
        for row in &v.template_rates {
            table.push(rate_cells(vendor, None, None, row))?;
        }
        for p in &v.protocols {
            for row in &p.rates {
                table.push(rate_cells(vendor, Some(&p.protocol), Some(p.kind.name()), row))?;
            }
        }
    }
    Ok(table)
}

/// Columns of `calibrations.csv`.
pub const CALIBRATION_COLUMNS: [(&str, Kind); 11] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("kind", Kind::Str),
    ("metric", Kind::Str),
    ("target", Kind::F64),
    ("gallery_size", Kind::U64),
    ("threshold", Kind::F64),
    ("numerator", Kind::U64),
    ("denominator", Kind::U64),
    ("achieved", Kind::F64),
    ("note", Kind::Str),
];

/// Thresholds calibrated on the whole test population, and the rate each achieved.
pub fn calibrations_table(results: &Results) -> Result<Table, ReportError> {
    protocol_table(results, &CALIBRATION_COLUMNS, |p| {
        p.calibrations.iter().map(move |c| {
            vec![
                p.kind.name().into(),
                c.metric.name().into(),
                c.target.into(),
                c.gallery_size.into(),
                c.threshold.into(),
                c.achieved.map(|r| r.numerator).into(),
                c.achieved.map(|r| r.denominator).into(),
                c.achieved.and_then(|r| r.value()).into(),
                c.note.clone().into(),
            ]
        })
    })
}

/// Columns of `eer.csv`.
pub const EER_COLUMNS: [(&str, Kind); 8] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("grouping", Kind::Str),
    ("group", Kind::Str),
    ("eer", Kind::F64),
    ("threshold", Kind::F64),
    ("mated", Kind::U64),
    ("non_mated", Kind::U64),
];

/// Equal error rate per group (verification protocols).
pub fn eer_table(results: &Results) -> Result<Table, ReportError> {
    protocol_table(results, &EER_COLUMNS, |p| {
        p.eer.iter().map(move |e| {
            vec![
                e.grouping.clone().into(),
                e.group.clone().into(),
                e.eer.into(),
                e.threshold.into(),
                e.mated.into(),
                e.non_mated.into(),
            ]
        })
    })
}

/// Columns of `cross_group_fmr.csv`.
pub const CROSS_GROUP_COLUMNS: [(&str, Kind); 10] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("grouping", Kind::Str),
    ("probe_group", Kind::Str),
    ("reference_group", Kind::Str),
    ("threshold", Kind::F64),
    ("operating_point", Kind::Str),
    ("numerator", Kind::U64),
    ("denominator", Kind::U64),
    ("rate", Kind::F64),
];

/// Non-mated FMR between each probe group and each reference group.
pub fn cross_group_table(results: &Results) -> Result<Table, ReportError> {
    protocol_table(results, &CROSS_GROUP_COLUMNS, |p| {
        p.cross_group_fmr.iter().map(move |c| {
            vec![
                c.grouping.clone().into(),
                c.probe_group.clone().into(),
                c.reference_group.clone().into(),
                c.threshold.into(),
                c.operating_point.label().into(),
                c.rate.numerator.into(),
                c.rate.denominator.into(),
                c.rate.value().into(),
            ]
        })
    })
}

/// Columns of `comparisons.csv`: one row per group per test table cell.
pub const COMPARISON_COLUMNS: [(&str, Kind); 31] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("metric", Kind::Str),
    ("gallery_size", Kind::U64),
    ("rank", Kind::U32),
    ("threshold", Kind::F64),
    ("operating_point", Kind::Str),
    ("grouping", Kind::Str),
    ("omnibus_method", Kind::Str),
    ("omnibus_statistic", Kind::F64),
    ("omnibus_dof", Kind::U64),
    ("omnibus_p", Kind::F64),
    ("reference_group", Kind::Str),
    ("reference_rule", Kind::Str),
    ("group", Kind::Str),
    ("numerator", Kind::U64),
    ("denominator", Kind::U64),
    ("rate", Kind::F64),
    ("p_value", Kind::F64),
    ("p_holm", Kind::F64),
    ("ratio", Kind::F64),
    ("ratio_low", Kind::F64),
    ("ratio_high", Kind::F64),
    ("difference", Kind::F64),
    ("difference_low", Kind::F64),
    ("difference_high", Kind::F64),
    ("verdict", Kind::Str),
    ("minimum_detectable_ratio", Kind::F64),
    ("note", Kind::Str),
    ("bootstrap_ratio_low", Kind::F64),
    ("bootstrap_ratio_high", Kind::F64),
];

/// Tests between groups: each group against the reference, beside the omnibus test.
pub fn comparisons_table(results: &Results) -> Result<Table, ReportError> {
    protocol_table(results, &COMPARISON_COLUMNS, |p| {
        p.comparisons.iter().flat_map(|c| {
            let o = c.omnibus.as_ref();
            c.groups.iter().map(move |g| {
                let note = match (&g.note, &c.note, &g.power_method) {
                    (Some(n), _, _) | (None, Some(n), _) => Some(n.clone()),
                    (None, None, Some(m)) if m != "exact" => {
                        Some(format!("minimum detectable ratio by the {m} approximation"))
                    }
                    _ => None,
                };
                vec![
                    c.metric.name().into(),
                    c.gallery_size.into(),
                    c.rank.into(),
                    c.threshold.into(),
                    c.operating_point.label().into(),
                    c.grouping.clone().into(),
                    o.map(|o| o.method.clone()).into(),
                    o.map(|o| o.statistic).into(),
                    o.map(|o| o.dof).into(),
                    o.map(|o| o.p_value).into(),
                    c.reference_group.clone().into(),
                    c.reference_rule.clone().into(),
                    g.group.clone().into(),
                    g.rate.numerator.into(),
                    g.rate.denominator.into(),
                    g.rate.value().into(),
                    g.p_value.into(),
                    g.p_holm.into(),
                    g.ratio.and_then(|r| r.estimate).into(),
                    g.ratio.map(|r| r.low).into(),
                    g.ratio.map(|r| r.high).into(),
                    g.difference.and_then(|r| r.estimate).into(),
                    g.difference.map(|r| r.low).into(),
                    g.difference.map(|r| r.high).into(),
                    g.verdict.clone().into(),
                    g.minimum_detectable_ratio.into(),
                    note.into(),
                    g.bootstrap_ratio.as_ref().and_then(|b| b.low).into(),
                    g.bootstrap_ratio.as_ref().and_then(|b| b.high).into(),
                ]
            })
        })
    })
}

/// Columns of `summary_measures.csv`.
pub const SUMMARY_MEASURE_COLUMNS: [(&str, Kind); 27] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("gallery_size", Kind::U64),
    ("rank", Kind::U32),
    ("threshold", Kind::F64),
    ("operating_point", Kind::Str),
    ("grouping", Kind::Str),
    ("alpha", Kind::F64),
    ("false_positive_metric", Kind::Str),
    ("false_positive_max_min_ratio", Kind::F64),
    ("false_negative_metric", Kind::Str),
    ("false_negative_max_min_ratio", Kind::F64),
    ("fdr", Kind::F64),
    ("ir", Kind::F64),
    ("gini_false_positive", Kind::F64),
    ("gini_false_negative", Kind::F64),
    ("garbe", Kind::F64),
    ("bootstrap_false_positive_max_min_low", Kind::F64),
    ("bootstrap_false_positive_max_min_high", Kind::F64),
    ("bootstrap_false_negative_max_min_low", Kind::F64),
    ("bootstrap_false_negative_max_min_high", Kind::F64),
    ("bootstrap_fdr_low", Kind::F64),
    ("bootstrap_fdr_high", Kind::F64),
    ("bootstrap_ir_low", Kind::F64),
    ("bootstrap_ir_high", Kind::F64),
    ("bootstrap_garbe_low", Kind::F64),
    ("bootstrap_garbe_high", Kind::F64),
];

/// Summary measures of differential performance, one row per grouping and threshold;
/// why a value is missing is in `results.json` (`undefined_reason`).
pub fn summary_measures_table(results: &Results) -> Result<Table, ReportError> {
    protocol_table(results, &SUMMARY_MEASURE_COLUMNS, |p| {
        p.summaries.iter().map(move |s| {
            let m = &s.summary;
            vec![
                s.gallery_size.into(),
                s.rank.into(),
                s.threshold.into(),
                s.operating_point.label().into(),
                s.grouping.clone().into(),
                m.alpha.into(),
                m.false_positive.metric.clone().into(),
                m.false_positive.max_min_ratio.into(),
                m.false_negative.metric.clone().into(),
                m.false_negative.max_min_ratio.into(),
                m.fdr.into(),
                m.ir.into(),
                m.gini_false_positive.into(),
                m.gini_false_negative.into(),
                m.garbe.into(),
                s.bootstrap_max_min_false_positive.as_ref().and_then(|b| b.low).into(),
                s.bootstrap_max_min_false_positive.as_ref().and_then(|b| b.high).into(),
                s.bootstrap_max_min_false_negative.as_ref().and_then(|b| b.low).into(),
                s.bootstrap_max_min_false_negative.as_ref().and_then(|b| b.high).into(),
                s.bootstrap_measures.as_ref().and_then(|b| b.fdr.low).into(),
                s.bootstrap_measures.as_ref().and_then(|b| b.fdr.high).into(),
                s.bootstrap_measures.as_ref().and_then(|b| b.ir.low).into(),
                s.bootstrap_measures.as_ref().and_then(|b| b.ir.high).into(),
                s.bootstrap_measures.as_ref().and_then(|b| b.garbe.low).into(),
                s.bootstrap_measures.as_ref().and_then(|b| b.garbe.high).into(),
            ]
        })
    })
}

/// Columns of `extrapolations.csv`.
pub const EXTRAPOLATION_COLUMNS: [(&str, Kind); 11] = [
    ("vendor", Kind::Str),
    ("protocol", Kind::Str),
    ("threshold", Kind::F64),
    ("operating_point", Kind::Str),
    ("grouping", Kind::Str),
    ("group", Kind::Str),
    ("fmr", Kind::F64),
    ("gallery_size", Kind::U64),
    ("fpir_extrapolated", Kind::F64),
    ("fpir_low", Kind::F64),
    ("fpir_high", Kind::F64),
];

/// FPIR(N) = 1 - (1 - FMR)^N per group, an extrapolation that assumes independent
/// comparisons (the assumption is written in `results.json`).
pub fn extrapolations_table(results: &Results) -> Result<Table, ReportError> {
    protocol_table(results, &EXTRAPOLATION_COLUMNS, |p| {
        p.extrapolations.iter().map(|e| {
            let x = &e.extrapolation;
            vec![
                e.threshold.into(),
                e.operating_point.label().into(),
                e.grouping.clone().into(),
                e.group.clone().into(),
                x.fmr.into(),
                x.gallery_size.into(),
                x.fpir.into(),
                x.fpir_low.into(),
                x.fpir_high.into(),
            ]
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use polars::prelude::*;

    fn csv_lines(table: &Table) -> Vec<String> {
        String::from_utf8(table.to_csv().unwrap()).unwrap().lines().map(str::to_string).collect()
    }

    #[test]
    fn rates_csv_line_by_line() {
        // Interval bounds agree to 1e-15 with an independent Wilson computation in
        // Python (statistics.NormalDist); the last digits are the harness's rounding.
        let lines = csv_lines(&rates_table(&fixture::results()).unwrap());
        let expected = [
            "vendor,protocol,kind,metric,gallery_size,rank,threshold,operating_point,grouping,group,numerator,denominator,rate,ci_low,ci_high,ci_method,bootstrap_low,bootstrap_high,upper_bound,lower_bound",
            "acme,,,fte,,,,none,sex,female,1,200,0.005,0.0008831687156009779,0.027773704397892927,wilson,,,,",
            "acme,,,fte,,,,none,sex,male,0,0,,,,,,,,",
            "acme,watch,watchlist,tpir,1000,5,0.6,declared:operational,sex,female,891,1000,0.891,0.8701675082488096,0.9088399666154863,wilson,,,,",
            "acme,watch,watchlist,tpir,1000,5,0.6,declared:operational,sex,male,0,0,,,,,,,,",
            "acme,watch,watchlist,fpir,1000,,0.6,declared:operational,sex,female,7,41000,0.00017073170731707316,0.00008270637205585348,0.00035241039227492093,wilson,,,,",
            "acme,watch,watchlist,fpir,1000,,0.6,declared:operational,sex,male,0,20000,0,0,0.00019203605610462548,wilson,,,,",
            "acme,watch,watchlist,sel,1000,,0.6,declared:operational,sex,female,9,41000,0.00021951219512195122,,,,,,,",
            "acme,watch,watchlist,tpir,1000,5,0.58,grid,sex,female,900,1000,0.9,0.8798480368046516,0.9170905564069044,wilson,,,,",
            "acme,one-to-one,verification,fmr,,,0.6,grid,all,all,3,10000,0.0003,0.00010203219941781017,0.0008817357722363795,wilson,,,,",
            "acme,one-to-one,verification,fnmr,,,0.6,grid,all,all,25,1000,0.025,0.016990131293434067,0.0366452892678433,wilson,,,,",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn comparisons_rows() {
        let lines = csv_lines(&comparisons_table(&fixture::results()).unwrap());
        assert!(
            lines[0].starts_with(
                "vendor,protocol,metric,gallery_size,rank,threshold,operating_point,grouping,omnibus_method"
            )
        );
        // FPIR at 0.6: female 7/41000 against male 0/20000 (the lowest rate).
        // scipy.stats.fisher_exact([[7, 40993], [0, 20000]]) -> p = 0.10414598999091673.
        let female =
            lines.iter().find(|l| l.starts_with("acme,watch,fpir,1000,,0.6,") && l.contains(",female,")).unwrap();
        let cells: Vec<&str> = female.split(',').collect();
        assert_eq!(&cells[12..17], &["male", "lowest rate", "female", "7", "41000"]);
        let p: f64 = cells[18].parse().unwrap();
        assert!((p - 0.104_145_989_990_916_73).abs() < 1e-14);
        assert_eq!(cells[26], "no significant difference from male");
        assert!(female.ends_with("male has no errors: no ratio to it is defined,,"));
        let male =
            lines.iter().find(|l| l.starts_with("acme,watch,fpir,1000,,0.6,") && l.contains(",male,0,")).unwrap();
        assert!(male.contains(",reference,"));
    }

    #[test]
    fn other_tables_line_by_line() {
        let results = fixture::results();
        assert_eq!(
            csv_lines(&calibrations_table(&results).unwrap()),
            [
                "vendor,protocol,kind,metric,target,gallery_size,threshold,numerator,denominator,achieved,note",
                "acme,watch,watchlist,fpir,0.001,1000,0.55,40,61000,0.0006557377049180328,",
                "acme,watch,watchlist,fpir,0.0001,1000,,,,,too few non-mated searches",
            ]
        );
        assert_eq!(
            csv_lines(&eer_table(&results).unwrap()),
            [
                "vendor,protocol,grouping,group,eer,threshold,mated,non_mated",
                "acme,one-to-one,all,all,0.0125,0.4375,1000,10000",
                "acme,one-to-one,sex,male,,,0,10",
            ]
        );
        assert_eq!(
            csv_lines(&cross_group_table(&results).unwrap()),
            [
                "vendor,protocol,grouping,probe_group,reference_group,threshold,operating_point,numerator,denominator,rate",
                "acme,one-to-one,sex,female,male,0.6,grid,2,5000,0.0004",
                "acme,one-to-one,sex,male,female,0.6,grid,0,0,",
            ]
        );
    }

    #[test]
    fn rates_parquet_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rates.parquet");
        rates_table(&fixture::results()).unwrap().write_parquet(&path).unwrap();
        let df = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
        let names: Vec<&str> = df.get_column_names().into_iter().map(|s| s.as_str()).collect();
        assert_eq!(names, RATES_COLUMNS.map(|c| c.0));
        assert_eq!(df.height(), 10);
        assert_eq!(df.column("numerator").unwrap().dtype(), &DataType::UInt64);
        assert_eq!(df.column("rank").unwrap().dtype(), &DataType::UInt32);
        let rate = df.column("rate").unwrap().f64().unwrap();
        assert_eq!(rate.get(2), Some(0.891));
        assert_eq!(rate.get(1), None, "undefined FTE is null");
        assert_eq!(rate.get(3), None, "undefined TPIR is null");
        let protocol = df.column("protocol").unwrap().str().unwrap();
        assert_eq!(protocol.get(0), None);
        assert_eq!(protocol.get(2), Some("watch"));
        assert_eq!(df.column("denominator").unwrap().u64().unwrap().get(4), Some(41_000));
        assert_eq!(df.column("ci_method").unwrap().str().unwrap().get(6), None, "SEL has no interval");
    }

    #[test]
    fn non_finite_threshold_is_an_error() {
        let mut results = fixture::results();
        results.vendors[0].protocols[0].rates[0].threshold = Some(f64::NAN);
        assert!(matches!(rates_table(&results), Err(ReportError::NonFinite { .. })));
    }
}
