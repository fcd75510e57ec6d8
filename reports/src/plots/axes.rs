//! Axes (linear, log10, rank) as plotters ranges whose only key points are their ticks,
//! and the frame (axes, ticks, grid, descriptions) every chart is drawn in.

use super::probit::rate_label;
use super::{Area, Drawn, FONT, Frame, GRID, NORMAL, SMALL, significant};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

/// One axis: its range in plotted units, its ticks (position, label) and its description.
#[derive(Debug, Clone)]
pub(super) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<(f64, String)>,
    pub desc: String,
}

/// Linear in plotted units; its only key points are its ticks (grid lines, no light lines).
impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span.is_nan() || span <= 0.0 || !value.is_finite() {
            return (limit.0 + limit.1) / 2;
        }
        let f = (value - self.lo) / span;
        (f64::from(limit.0) + f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.iter().map(|t| t.0).collect() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// A linear axis over [lo, hi] with about `target` ticks at 1, 2 or 5 × 10^k.
pub(super) fn linear_axis(lo: f64, hi: f64, target: f64, desc: String) -> Axis {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return Axis { lo, hi, ticks: Vec::new(), desc };
    }
    let raw = span / target.max(2.0);
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let ticks = (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            let label = format!("{v:.decimals$}");
            (
                v,
                if label.starts_with('-') && label.trim_start_matches(['-', '0', '.']).is_empty() {
                    label[1..].to_string()
                } else {
                    label
                },
            )
        })
        .collect();
    Axis { lo, hi, ticks, desc }
}

/// A log10 axis (plotted units: log10 of the rate) spanning the points of `series`, which
/// are already log10; decades labelled with rates. 1e-4 to 1 when there are none.
pub(super) fn log_axis(series: &[Vec<(f64, f64)>], desc: String) -> Axis {
    let ys = series.iter().flatten().map(|p| p.1);
    let lo = ys.clone().fold(f64::INFINITY, f64::min);
    let hi = ys.fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo.floor().max(-12.0), hi.ceil().min(0.0)) } else { (-4.0, 0.0) };
    let lo = if hi - lo < 1.0 { hi - 1.0 } else { lo };
    let step = ((hi - lo) / 6.0).ceil().max(1.0) as i32;
    let ticks = (lo as i32..=hi as i32)
        .filter(|k| (k - hi as i32) % step == 0)
        .map(|k| (f64::from(k), rate_label(10f64.powi(k))))
        .collect();
    let pad = 0.04 * (hi - lo);
    Axis { lo: lo - pad, hi: hi + pad, ticks, desc }
}

/// Integer ranks up to `max_rank`. Ticks at the ranks of the data (`ranks`, ascending)
/// when there are few, skipping any closer than max_rank / `target` to the previous one;
/// else at 1 and multiples of a 1-2-5 step.
pub(super) fn rank_axis(ranks: &[f64], max_rank: f64, target: f64) -> Axis {
    let min_gap = max_rank / target.max(2.0);
    let mut ticks: Vec<f64> = Vec::new();
    if !ranks.is_empty() && ranks.len() <= 12 {
        for &r in ranks {
            if ticks.last().is_none_or(|&last| r - last >= min_gap) {
                ticks.push(r);
            }
        }
    } else {
        let mag = 10f64.powf(min_gap.max(1.0).log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= min_gap).unwrap_or(10.0 * mag);
        ticks.push(1.0);
        let mut k = step;
        while k <= max_rank {
            if k - 1.0 >= 0.5 * step {
                ticks.push(k);
            }
            k += step;
        }
    }
    let pad = 0.5f64.max(0.03 * max_rank);
    Axis {
        lo: 1.0 - pad,
        hi: max_rank + pad,
        ticks: ticks.into_iter().map(|k| (k, format!("{k:.0}"))).collect(),
        desc: "Rank R (position in the candidate list)".to_string(),
    }
}

/// The finite span of `values` padded by 4% (±0.5 around a single value; 0..1 for none).
pub(super) fn padded_span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo <= 1e-12 * lo.abs().max(1.0) {
        (lo - 0.5, hi + 0.5)
    } else {
        let pad = 0.04 * (hi - lo);
        (lo - pad, hi + pad)
    }
}

/// Axes, ticks, grid and descriptions on `area`; returns the chart to map points with.
pub(super) fn frame<'a, 'b>(
    area: &'a Area<'b>,
    x: &Axis,
    y: &Axis,
    x_labels: bool,
    y_label_w: u32,
) -> Drawn<Frame<'a, 'b>> {
    let x_area = match (x_labels, x.desc.is_empty()) {
        (false, _) => 0,
        (true, true) => 22,
        (true, false) => 44,
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(4)
        .margin_right(14)
        .x_label_area_size(x_area)
        .y_label_area_size(y_label_w)
        .build_cartesian_2d(x.clone(), y.clone())?;
    let x_fmt = |v: &f64| tick_text(&x.ticks, *v);
    let y_fmt = |v: &f64| tick_text(&y.ticks, *v);
    {
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style((FONT, SMALL))
            .axis_desc_style((FONT, NORMAL))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(BLACK.stroke_width(1));
        if !x.desc.is_empty() {
            mesh.x_desc(x.desc.as_str());
        }
        if !y.desc.is_empty() {
            mesh.y_desc(y.desc.as_str());
        }
        mesh.draw()?;
    }
    let (px, py) = chart.plotting_area().get_pixel_range();
    chart
        .plotting_area()
        .strip_coord_spec()
        .draw(&Rectangle::new([(0, 0), (px.end - px.start - 1, py.end - py.start - 1)], BLACK.stroke_width(1)))?;
    Ok(chart)
}

fn tick_text(ticks: &[(f64, String)], v: f64) -> String {
    ticks
        .iter()
        .find(|t| (t.0 - v).abs() <= 1e-9 * t.0.abs().max(1.0))
        .map_or_else(|| significant(v, 3), |t| t.1.clone())
}
