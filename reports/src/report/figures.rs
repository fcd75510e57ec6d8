//! The figures: DET curves, rates against threshold, cross-group FMR heatmaps, score distributions, CMC.

use super::view::*;
use crate::document::Document;
use crate::format::rate_cell;
use crate::plots;
use harness::model::analysis::{Metric, ProtocolAnalysis};
use harness::model::benchmark::ProtocolKind;
use harness::model::results::Results;

pub(super) fn figure_sections(
    d: &mut Document,
    results: &Results,
    ops: &[OperatingThreshold],
    grouping: &str,
    no_bands: &[super::BandFigure],
) {
    let slug = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>();
    fn largest(p: &ProtocolAnalysis) -> Option<&harness::model::curves::Curves> {
        let v = view_of(p);
        p.curves.iter().find(|c| c.gallery_size == v.gallery)
    }
    let det_bands = !no_bands.contains(&super::BandFigure::Det);
    let rate_bands = !no_bands.contains(&super::BandFigure::Rates);
    let whiskers = |on: bool| {
        if on {
            format!(
                " The whiskers are each group's subject-bootstrap {}% interval ({} replicates) at the thresholds the analysis evaluated (the sweep, the declared and the calibrated thresholds), where the bootstrap was run; nothing is drawn between them.",
                crate::format::trim(results.config.confidence * 100.0, 4),
                results.config.bootstrap_replicates
            )
        } else {
            String::new()
        }
    };
    d.heading(2, "DET curves by group");
    d.paragraph(format!(
        "Detection error trade-off: each curve shows, for one {grouping} group, the false-negative rate (y) against the false-positive rate (x) as the threshold moves; both axes are on a probit (normal-deviate) scale, as NIST plots them. Lower and further left is better; a curve above the others means more misses at the same false-positive rate. Points with zero errors cannot be drawn on a probit axis and are left out. A ring marks each group's point at the operating threshold.{}",
        whiskers(det_bands)
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            if let Some(c) = largest(p) {
                let v = view_of(p);
                let extras = curve_extras(p, c, grouping, det_bands, Some(op.threshold));
                d.figure(
                    format!("det-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::det_curve_with(c, grouping, &extras),
                    format!(
                        "DET of {} on {} by {grouping}: {} against {}, probit axes.",
                        vr.vendor.name,
                        protocol_title(p, &v),
                        metric_name(c.false_negative),
                        metric_name(c.false_positive)
                    ),
                );
            }
        }
    }
    d.heading(2, "Error rates against threshold");
    d.paragraph(format!(
        "The false-positive rate (FMR or FPIR, log scale: each step is a factor of 10) and the false-negative rate (FNMR or FNIR) against the threshold, per {grouping} group. The vertical rule marks the operating threshold. Where curves separate, one threshold gives the groups different error rates.{}",
        whiskers(rate_bands)
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            if let Some(c) = largest(p) {
                let v = view_of(p);
                d.figure(
                    format!("rates-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::rates_against_threshold_with(
                        c,
                        grouping,
                        &[op.threshold],
                        &curve_extras(p, c, grouping, rate_bands, None),
                    ),
                    format!(
                        "{} and {} of {} on {} by {grouping}, against threshold; operating threshold {}.",
                        metric_name(c.false_positive),
                        metric_name(c.false_negative),
                        vr.vendor.name,
                        protocol_title(p, &v),
                        op.threshold
                    ),
                );
            }
        }
    }
    d.heading(2, "Cross-group false match rates");
    d.paragraph(
        "Non-mated FMR between the probe's group (rows) and the reference's group (columns) at the operating threshold, on a log10 colour scale (darker: more false matches), as in NISTIR 8280. The diagonal is each group's own FMR; off-diagonal cells show how often faces of different groups are confused. Cells print the rate; '0 of N' means no false match in N pairs.",
    );
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in vr.protocols.iter().filter(|p| !p.cross_group_fmr.is_empty()) {
            d.figure(
                format!("cross-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                plots::cross_group_heatmap(&p.cross_group_fmr, grouping, op.threshold),
                format!(
                    "Cross-group FMR of {} on {} by {grouping} at the operating threshold {}.",
                    vr.vendor.name, p.protocol, op.threshold
                ),
            );
            // At a high operating threshold few non-mated pairs match anywhere; NIST reads
            // the heatmap where the whole population's FMR is resolvable: the smallest
            // calibrated FMR target met with at least 10 false matches.
            let resolvable = p
                .calibrations
                .iter()
                .filter(|c| c.metric == Metric::Fmr && c.threshold.is_some())
                .filter(|c| c.achieved.is_some_and(|a| a.numerator >= 10))
                .min_by(|a, b| a.target.total_cmp(&b.target));
            if let Some(c) = resolvable
                && let Some(t) = c.threshold
                && t != op.threshold
            {
                d.figure(
                    format!("cross-{}-{}-calibrated", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::cross_group_heatmap(&p.cross_group_fmr, grouping, t),
                    format!(
                        "Cross-group FMR of {} on {} by {grouping} at threshold {t:.4}, calibrated so that the whole test population's FMR is {:e} ({}).",
                        vr.vendor.name,
                        p.protocol,
                        c.target,
                        c.achieved.map(|a| rate_cell(a, None)).unwrap_or_default()
                    ),
                );
            }
        }
    }
    d.heading(2, "Score distributions by group");
    d.paragraph(format!(
        "Mated (solid) and non-mated (dashed) scores per {grouping} group, as the share of that group's scored trials in each score bin. The operating threshold (dashed rule, T) separates them: non-mated mass to its right is false positives, mated mass to its left is misses. A group whose non-mated scores sit further right will get more false alerts at one threshold."
    ));
    for (vr, op) in results.vendors.iter().zip(ops) {
        for p in &vr.protocols {
            let v = view_of(p);
            if let Some(h) = p.histograms.iter().find(|h| h.gallery_size == v.gallery) {
                d.figure(
                    format!("scores-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                    plots::score_histograms(h, grouping, &[op.threshold]),
                    format!(
                        "Scores of {} on {} by {grouping}: mated = {}; non-mated = {}.",
                        vr.vendor.name,
                        protocol_title(p, &v),
                        h.mated_score,
                        h.non_mated_score
                    ),
                );
            }
        }
    }
    d.heading(2, "Cumulative match characteristic (CMC)");
    d.paragraph(format!(
        "Identification without a threshold: the share of mated searches whose mate is at rank R or better, per {grouping} group. Higher is better; a gap between groups at rank 1 means one group's mates are ranked first less often."
    ));
    for vr in &results.vendors {
        for p in vr.protocols.iter().filter(|p| p.kind == ProtocolKind::Identification) {
            let v = view_of(p);
            d.figure(
                format!("cmc-{}-{}", slug(&vr.vendor.name), slug(&p.protocol)),
                plots::cmc_curve(&p.rates, grouping, v.gallery),
                format!("CMC of {} on {} by {grouping}.", vr.vendor.name, protocol_title(p, &v)),
            );
        }
    }
}

/// The subject-bootstrap intervals of each group of `grouping` at every threshold `p`
/// evaluated (one point per threshold: the grid's rows where the grid has it), for the
/// curve `c`'s gallery size and rank; and the operating threshold to ring.
fn curve_extras(
    p: &ProtocolAnalysis,
    c: &harness::model::curves::Curves,
    grouping: &str,
    bands: bool,
    operating: Option<f64>,
) -> plots::CurveExtras {
    use harness::model::query::RateQuery;
    let mut extras = plots::CurveExtras { bands: Vec::new(), operating };
    if !bands {
        return extras;
    }
    let mut evaluated: Vec<(f64, &harness::model::thresholds::OperatingPoint)> = Vec::new();
    for t in &p.thresholds {
        match evaluated.iter_mut().find(|(u, _)| harness::model::thresholds::same_threshold(*u, t.threshold)) {
            Some(e) if t.operating_point.is_grid() => e.1 = &t.operating_point,
            Some(_) => {}
            None => evaluated.push((t.threshold, &t.operating_point)),
        }
    }
    evaluated.sort_by(|a, b| a.0.total_cmp(&b.0));
    let interval = |m: Metric, rank: Option<u32>, t: f64, at: &harness::model::thresholds::OperatingPoint, g: &str| {
        let q = RateQuery::metric(m).threshold(t).at(at).grouping(grouping).group(g).gallery_size(c.gallery_size);
        let row = p.rate(&q.rank(rank))?;
        let b = row.bootstrap.as_ref()?;
        Some((row.rate.value()?, (b.low?, b.high?)))
    };
    for g in c.groups.iter().filter(|g| g.grouping == grouping) {
        let points = evaluated
            .iter()
            .map(|&(t, at)| plots::BandPoint {
                threshold: t,
                false_positive: interval(c.false_positive, None, t, at, &g.group),
                false_negative: interval(c.false_negative, c.rank, t, at, &g.group),
            })
            .collect();
        extras.bands.push((g.group.clone(), points));
    }
    extras
}
