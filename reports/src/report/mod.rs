//! The report of a run (`report.html`, `report.md`): NPL/NIST-style sections in the order
//! of `docs/report.md`, built as one [`Document`] so the HTML and the Markdown say
//! the same thing. It selects and formats what the engine computed; it computes no
//! metric (the deployment projection is the engine's `harness::analysis::projection::project`).
//!
//! Every vendor is reported at one operating threshold: its first declared threshold,
//! or the threshold the caller names (which must be one the analysis evaluated). One
//! threshold applies to every group (NIST practice). Figures draw one grouping (by
//! default the most detailed one: the intersection of the configured attributes).

//!
//! One module per section ([`verdict`], the first printed page; [`summary`], [`description`], [`sweep`], [`figures`],
//! [`differential`], [`significance`], [`confound`], [`projection`], the DPIA/PSED [`annex`] and
//! [`provenance`]); [`view`] is how each reads the results.

pub mod annex;
mod confound;
mod description;
mod differential;
pub mod explore;
mod figures;
mod projection;
mod provenance;
mod significance;
mod summary;
mod sweep;
mod verdict;
pub mod view;

pub use view::{OperatingThreshold, figure_grouping, operating_threshold};

use crate::document::Document;
use crate::format::{count, trim};
use harness::model::results::Results;
use view::interval_name;

/// What the caller chooses; every choice is stated in the report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The grouping the figures, the per-group summary and the annex use; `None`: the
    /// single attribute with the most groups ([`figure_grouping`]).
    pub grouping: Option<String>,
    /// The operating threshold of every vendor; `None`: each vendor's first declared
    /// threshold.
    pub threshold: Option<f64>,
    /// Other outputs beside the report (e.g. `compare.html`, `scorecard.html`) to name
    /// in the summary.
    pub see_also: Vec<String>,
    /// The kinds of figure drawn without their subject-bootstrap whiskers.
    pub no_bands: Vec<BandFigure>,
}

/// A kind of figure that can carry subject-bootstrap whiskers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandFigure {
    /// The DET curves.
    Det,
    /// The error rates against threshold.
    Rates,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportBuildError {
    #[error(
        "vendor {vendor} declares no operating threshold: name one with --threshold (evaluated thresholds: {evaluated})"
    )]
    NoThreshold { vendor: String, evaluated: String },
    #[error(
        "threshold {threshold} was not evaluated for vendor {vendor} (evaluated: {evaluated}); add it to --thresholds of the run or analysis"
    )]
    NotEvaluated { vendor: String, threshold: f64, evaluated: String },
    #[error("grouping `{0}` is not in the results (groupings: {1})")]
    UnknownGrouping(String, String),
    #[error("the results hold no vendor")]
    NoVendors,
}

/// The caller's choices read against `results`: the grouping of the figures and each
/// vendor's operating threshold (an error for no vendor, an unknown grouping or a
/// threshold the run did not evaluate).
pub(crate) fn choices(
    results: &Results,
    options: &ReportOptions,
) -> Result<(String, Vec<OperatingThreshold>), ReportBuildError> {
    if results.vendors.is_empty() {
        return Err(ReportBuildError::NoVendors);
    }
    let grouping = figure_grouping(results, options.grouping.as_deref())?;
    let ops = results.vendors.iter().map(|v| operating_threshold(v, options.threshold)).collect::<Result<_, _>>()?;
    Ok((grouping, ops))
}

/// Build the whole report of `results`.
pub fn build_report(results: &Results, options: &ReportOptions) -> Result<Document, ReportBuildError> {
    let (grouping, ops) = choices(results, options)?;
    let names: Vec<String> = results.vendors.iter().map(|v| v.vendor.name.clone()).collect();
    let mut d = Document::new(format!("Face recognition accuracy and demographic differentials: {}", names.join(", ")));
    d.paragraph(format!(
        "Benchmark {} version {}; {} subjects; {} vendor(s). Written by verity {} from results.json (schema {}). \
         Rates are shown as percentage (errors/trials; two-sided {}% {} interval). One threshold applies to every group.",
        results.benchmark.name,
        results.benchmark.version,
        count(results.benchmark.subjects),
        results.vendors.len(),
        results.provenance.verity_version,
        results.schema_version,
        trim(results.config.confidence * 100.0, 4),
        interval_name(results),
    ));
    // The verdict, the capture section, the projection and the annex speak of people:
    // a capture grouping chosen for the figures is not theirs.
    let people = view::people_grouping(results, &grouping);
    verdict::verdict_section(&mut d, results, &ops, &people);
    d.push(crate::document::Block::Contents);
    summary::summary_section(&mut d, results, &ops, &grouping, options);
    description::description_section(&mut d, results);
    sweep::sweep_section(&mut d, results);
    figures::figure_sections(&mut d, results, &ops, &grouping, &options.no_bands);
    differential::differential_section(&mut d, results, &ops);
    significance::tests_section(&mut d, results, &ops);
    significance::detectable_section(&mut d, results, &ops);
    confound::confound_section(&mut d, results, &ops, &people);
    projection::projection_section(&mut d, results, &ops, &people);
    annex::annex_section(&mut d, results, &ops, &people);
    provenance::provenance_section(&mut d, results);
    Ok(d)
}

/// File names the report writes into its folder.
pub mod files {
    pub const HTML: &str = "report.html";
    pub const MARKDOWN: &str = "report.md";
    pub const ANNEX_HTML: &str = "annex.html";
    pub const ANNEX_MARKDOWN: &str = "annex.md";
    /// The threshold explorer (`report::explore`).
    pub const EXPLORE: &str = super::explore::FILE;
    /// SVG files of the figures, linked from the Markdown.
    pub const FIGURES: &str = "figures";
}

/// Write `report.html`, `report.md`, `annex.html`, `annex.md`, `explore.html` and `figures/*.svg` into
/// `out_dir`, all or nothing (staged, then moved into place; `figures/` is replaced
/// whole). Returns the report document.
pub fn write_report(
    out_dir: &std::path::Path,
    results: &Results,
    options: &ReportOptions,
) -> Result<Document, crate::ReportError> {
    use std::path::Path;
    crate::output::finite::check(results)?;
    let doc = build_report(results, options)?;
    let (grouping, ops) = choices(results, options)?;
    let annex = annex::annex_document(results, &ops, &view::people_grouping(results, &grouping));
    let staged = crate::atomic::StagedDir::create(out_dir)?;
    staged.dir(Path::new(files::FIGURES))?;
    let mut seen = std::collections::BTreeSet::new();
    for f in doc.figures() {
        if !seen.insert(f.name.clone()) {
            return Err(crate::ReportError::DuplicatePath(format!("{}/{}.svg", files::FIGURES, f.name)));
        }
        let path = staged.path(&Path::new(files::FIGURES).join(format!("{}.svg", f.name)))?;
        crate::atomic::write_bytes(&path, f.svg.as_bytes())?;
    }
    crate::atomic::write_bytes(&staged.path(Path::new(files::MARKDOWN))?, doc.to_markdown().as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::ANNEX_MARKDOWN))?, annex.to_markdown().as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::ANNEX_HTML))?, annex.to_html().as_bytes())?;
    let explorer = explore::explorer_html(results, options)?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::EXPLORE))?, explorer.as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(files::HTML))?, doc.to_html().as_bytes())?;
    let owner = storage::outputs::Owner::new("report", vec![crate::output::json::digest(results)?]);
    staged.commit(&[files::HTML], &owner)?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Block;
    use crate::fixture;
    use crate::format::rate_cell;
    use crate::report::view::groups_of;
    use crate::report::view::interval_of;
    use crate::report::view::rate_row;
    use crate::report::view::view_of;
    use harness::model::analysis::Metric;
    use harness::model::benchmark::ProtocolKind;
    use harness::model::thresholds::OperatingPoint;

    #[test]
    fn operating_threshold_is_declared_unless_chosen_and_must_be_evaluated() {
        let r = fixture::results();
        let v = &r.vendors[0];
        let op = operating_threshold(v, None).unwrap();
        assert_eq!((op.threshold, op.operating_point.label().as_str()), (0.6, "declared:operational"));
        // 0.6 is also declared: the declared rows are used.
        assert_eq!(operating_threshold(v, Some(0.6)).unwrap().operating_point.label(), "declared:operational");
        let e = operating_threshold(v, Some(0.61)).unwrap_err();
        assert!(matches!(e, ReportBuildError::NotEvaluated { threshold, .. } if threshold == 0.61));
        let mut none = v.clone();
        none.vendor.thresholds.clear();
        assert!(matches!(operating_threshold(&none, None), Err(ReportBuildError::NoThreshold { .. })));
    }

    #[test]
    fn figure_grouping_defaults_to_the_attribute_with_most_groups() {
        let r = fixture::results();
        assert_eq!(figure_grouping(&r, None).unwrap(), "sex");
        assert_eq!(figure_grouping(&r, Some("sex")).unwrap(), "sex");
        assert!(matches!(figure_grouping(&r, Some("age")), Err(ReportBuildError::UnknownGrouping(..))));
    }

    #[test]
    fn summary_cells_are_the_declared_rows_of_results() {
        let r = fixture::results();
        let doc = build_report(&r, &ReportOptions::default()).unwrap();
        let md = doc.to_markdown();
        let p = r.vendors[0].protocols.iter().find(|p| p.kind == ProtocolKind::Watchlist).unwrap();
        let v = view_of(p);
        for g in groups_of(p, &v, "sex") {
            let row = rate_row(
                p,
                &v,
                Metric::Fpir,
                0.6,
                &OperatingPoint::Declared { label: "operational".into() },
                "sex",
                &g,
            )
            .unwrap();
            let cell = rate_cell(row.rate, interval_of(row));
            assert!(md.contains(&format!("| {g} | ")), "{g}");
            assert!(md.contains(&cell), "{cell} not in the report");
        }
        // The HTML and the Markdown are the same document.
        let html = doc.to_html();
        for b in &doc.blocks {
            if let Block::Heading(_, t) = b {
                assert!(html.contains(&crate::document::escape(t)) && md.contains(t.as_str()), "{t}");
            }
        }
    }

    #[test]
    fn curve_figures_carry_bootstrap_whiskers_unless_left_off() {
        use harness::model::curves::{CurveGroup, Curves};
        use harness::model::differences::BootstrapInterval;
        // The fixture's watchlist with bootstrap intervals on its rows and a curve through
        // its two thresholds for the groups of sex.
        let mut r = fixture::results();
        let p = r.vendors[0].protocols.iter_mut().find(|p| p.kind == ProtocolKind::Watchlist).unwrap();
        // FNIR rows beside the fixture's TPIR rows (the engine writes both).
        let fnir: Vec<_> = p
            .rates
            .iter()
            .filter(|row| row.metric == Metric::Tpir)
            .map(|row| {
                let mut f = row.clone();
                f.metric = Metric::Fnir;
                f.rate =
                    harness::model::rate::Rate::new(row.rate.denominator - row.rate.numerator, row.rate.denominator);
                f
            })
            .collect();
        p.rates.extend(fnir);
        for row in p.rates.iter_mut() {
            if let Some(v) = row.rate.value() {
                let (low, high) = (Some(v * 0.5), Some((v * 1.5).min(1.0)));
                row.bootstrap =
                    Some(BootstrapInterval { estimate: Some(v), low, high, replicates_used: 100, undefined: 0 });
            }
        }
        let v = view_of(p);
        let groups: Vec<CurveGroup> = groups_of(p, &v, "sex")
            .into_iter()
            .map(|g| CurveGroup {
                grouping: "sex".into(),
                group: g,
                non_mated: 1000,
                mated: 200,
                false_positives: vec![40, 10],
                false_negatives: vec![20, 30],
            })
            .collect();
        p.curves = vec![Curves {
            gallery_size: v.gallery,
            rank: v.rank,
            false_positive: Metric::Fpir,
            false_negative: Metric::Fnir,
            thresholds: vec![0.58, 0.6],
            groups,
        }];
        let r = r;
        let svg_of = |doc: &Document, prefix: &str| -> Vec<String> {
            doc.figures().filter(|f| f.name.starts_with(prefix)).map(|f| f.svg.clone()).collect()
        };
        let with = build_report(&r, &ReportOptions::default()).unwrap();
        let whiskers = |svg: &String| svg.matches("opacity=\"0.85\"").count();
        for prefix in ["det-", "rates-"] {
            let figures = svg_of(&with, prefix);
            assert!(!figures.is_empty() && figures.iter().all(|s| whiskers(s) > 0), "{prefix}");
        }
        // The DET rings the operating threshold's points.
        assert!(svg_of(&with, "det-").iter().all(|s| s.contains("r=\"8\"")));
        let without =
            build_report(&r, &ReportOptions { no_bands: vec![BandFigure::Det], ..Default::default() }).unwrap();
        assert!(svg_of(&without, "det-").iter().all(|s| whiskers(s) == 0));
        assert!(svg_of(&without, "rates-").iter().all(|s| whiskers(s) > 0));
    }

    #[test]
    fn results_json_reads_back_to_the_same_value_and_bytes() {
        let r = fixture::results();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let back: Results = serde_json::from_str(&text).unwrap();
        // Wall-clock times are not written (so the same inputs give the same bytes).
        let mut expected = r.clone();
        expected.vendors[0].timing.template_seconds_total = 0.0;
        assert_eq!(back, expected);
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), text);
        // A rate whose value disagrees with its counts is refused.
        let bad = text.replacen("\"denominator\": 200,\n", "\"denominator\": 201,\n", 1);
        assert_ne!(bad, text);
        assert!(serde_json::from_str::<Results>(&bad).unwrap_err().to_string().contains("does not equal"));
    }
}
