//! CMC curves: identification rate against rank.

use super::axes::{frame, linear_axis, rank_axis};
use super::series::draw_series;
use super::style::{GroupStyle, LegendEntry, draw_legend, legend_width};
use super::{WIDTH, gallery_line, header_and_body, plot_message, render, significant, thousands};
use harness::model::analysis::{Metric, RateRow};

/// CMC curves of the groups of `grouping`: the rate (y) of mated searches whose mate is
/// returned at rank ≤ R against rank R (x, integers), from the `Metric::Cmc` rows of that
/// grouping and gallery size. The y axis is zoomed (and says so) when every rate is ≥ 0.5.
pub fn cmc_curve(rows: &[RateRow], grouping: &str, gallery_size: Option<u64>) -> String {
    let rows: Vec<&RateRow> = rows
        .iter()
        .filter(|r| r.metric == Metric::Cmc && r.grouping == grouping && r.gallery_size == gallery_size)
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for r in &rows {
        if !names.contains(&r.group.as_str()) {
            names.push(&r.group);
        }
    }
    let series: Vec<Vec<(f64, f64)>> = names
        .iter()
        .map(|name| {
            let mut points: Vec<(u32, f64)> = Vec::new();
            for r in rows.iter().filter(|r| r.group == *name) {
                if let (Some(rank), Some(v)) = (r.rank, r.rate.value())
                    && v.is_finite()
                    && !points.iter().any(|p| p.0 == rank)
                {
                    points.push((rank, v));
                }
            }
            points.sort_by_key(|p| p.0);
            points.into_iter().map(|(r, v)| (f64::from(r), v)).collect()
        })
        .collect();
    let notes: Vec<Option<String>> = names
        .iter()
        .zip(&series)
        .map(|(name, s)| {
            let searches = rows.iter().find(|r| r.group == *name).map_or(0, |r| r.rate.denominator);
            Some(if s.is_empty() {
                "no mated searches".to_string()
            } else {
                format!("{} mated searches", thousands(searches))
            })
        })
        .collect();
    let values = series.iter().flatten().map(|p| p.1);
    let min_v = values.clone().fold(f64::INFINITY, f64::min);
    let y_lo = if min_v.is_finite() && min_v >= 0.5 { (((min_v - 0.02) * 20.0).floor() / 20.0).max(0.0) } else { 0.0 };
    let max_rank = series.iter().flatten().map(|p| p.0).fold(1.0, f64::max);
    let legend_w = legend_width(names.iter().copied(), notes.iter().filter_map(|n| n.as_deref()));
    let plot_w = f64::from(WIDTH - legend_w - 90);
    let mut ranks: Vec<f64> = series.iter().flatten().map(|p| p.0).collect();
    ranks.sort_by(f64::total_cmp);
    ranks.dedup();
    let x = rank_axis(&ranks, max_rank, plot_w / 28.0);
    let mut y = linear_axis(y_lo, 1.0, 6.0, "Identification rate (CMC)".to_string());
    y.hi = 1.0 + 0.02 * (1.0 - y_lo);
    let title = format!("Cumulative match characteristic (CMC) by {grouping}");
    let zoom = if y_lo > 0.0 { format!(" · y axis starts at {}", significant(y_lo, 3)) } else { String::new() };
    let subtitle = format!("{} · no threshold (investigation mode){zoom}", gallery_line(gallery_size));
    let message = if names.is_empty() {
        Some(format!("No CMC rows for grouping “{grouping}” at this gallery size"))
    } else if series.iter().all(|s| s.is_empty()) {
        Some("No mated searches: CMC undefined".to_string())
    } else {
        None
    };
    render((WIDTH, 440), |root| {
        let (plot, legend_x) = header_and_body(root, &title, &subtitle, legend_w)?;
        let chart = frame(&plot, &x, &y, true, 66)?;
        for (i, points) in series.iter().enumerate() {
            draw_series(root, &chart, points, &GroupStyle::of(i), i)?;
        }
        if let Some(m) = &message {
            plot_message(root, &chart, m)?;
        }
        let entries: Vec<LegendEntry> =
            names.iter().zip(&notes).enumerate().map(|(i, (g, n))| LegendEntry::group(i, g, n.clone())).collect();
        draw_legend(root, legend_x, 64, 440 - 70, &entries)
    })
}
