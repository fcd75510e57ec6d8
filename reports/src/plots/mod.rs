//! SVG figures for the HTML report, drawn with plotters: DET curves ([`det_curve`]), the
//! false-positive and false-negative rates against threshold ([`rates_against_threshold`]),
//! the cross-group false match rate heatmap ([`cross_group_heatmap`]), score histograms
//! ([`score_histograms`]) and CMC curves ([`cmc_curve`]). Each function returns one complete
//! SVG document.
//!
//! It computes no metric: every point is a numerator over a denominator that the engine
//! counted (`harness::analysis::curves`, `harness::model::analysis`); this module only divides them to place
//! the point, transforms an axis (probit, log10) and draws. The probit transform is drawing,
//! not a metric.
//!
//! The figures are made to be printed in greyscale on A4: white background, a title, axes
//! labelled with what and unit, and a legend in which every group has its own combination of
//! dash pattern and marker shape as well as a colour (Okabe–Ito hues, which also differ in
//! lightness). Text is written as SVG `<text>` (the browser supplies the font; plotters
//! escapes `&`, `<`, `>`). No input makes a function panic or write NaN: where there is
//! nothing to draw, the figure says why. The same input always gives the same bytes.
//!
//! One figure a module (`det`, `rates`, `heatmap`, `histogram`, `cmc`); what they share is
//! here (the document, text and number formatting) and in `style` (how a group is drawn,
//! the legend), `series` (a group's clipped curve), `axes` (axes and frames) and `probit`
//! (the probit transform and axis).

mod axes;
mod bands;
mod cmc;
mod det;
mod heatmap;
mod histogram;
mod probit;
mod rates;
mod series;
mod style;

pub use bands::{BandPoint, CurveExtras};
pub use cmc::cmc_curve;
pub use det::{det_curve, det_curve_with};
pub use heatmap::cross_group_heatmap;
pub use histogram::score_histograms;
pub use probit::probit;
pub use rates::{rates_against_threshold, rates_against_threshold_with};

use axes::Axis;
use harness::model::analysis::Metric;
use harness::model::curves::{CurveGroup, Curves};
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
type Frame<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;
type Drawn<T = ()> = Result<T, DrawingAreaErrorKind<std::io::Error>>;

const WIDTH: u32 = 720;
const FONT: &str = "sans-serif";
/// plotters writes `font-size` as the size given divided by 1.24; these are the sizes given.
const TITLE: u32 = 20;
const SMALL: u32 = 14;
const NORMAL: u32 = 15;
const GRID: RGBColor = RGBColor(221, 221, 221);
const MUTED: RGBColor = RGBColor(85, 85, 85);

// ---------------------------------------------------------------------------------------
// Document, text and formatting

/// Draw into a fresh SVG document of `size` with a white background. A drawing error
/// (which the in-memory backend does not produce) gives a document that says so.
fn render(size: (u32, u32), draw: impl FnOnce(&Area) -> Drawn) -> String {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).and_then(|()| draw(&root)).and_then(|()| root.present())
    };
    match drawn {
        Ok(()) => svg,
        Err(e) => {
            let mut fallback = String::new();
            let message = format!("The figure could not be drawn: {e}");
            let drawn = {
                let root = SVGBackend::with_string(&mut fallback, size).into_drawing_area();
                root.fill(&WHITE)
                    .and_then(|()| text(&root, &message, (10, 20), NORMAL, BLACK, (HPos::Left, VPos::Top)))
                    .and_then(|()| root.present())
            };
            if drawn.is_ok() {
                fallback
            } else {
                format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\"/>\n", size.0, size.1)
            }
        }
    }
}

fn text(root: &Area, s: &str, at: (i32, i32), size: u32, colour: RGBColor, (h, v): (HPos, VPos)) -> Drawn {
    let style = TextStyle::from((FONT, size).into_font()).color(&colour).pos(Pos::new(h, v));
    root.draw(&Text::new(s.to_string(), at, style))
}

/// Title (bold) and subtitle across the top of the figure.
fn header(root: &Area, title: &str, subtitle: &str) -> Drawn {
    let (w, _) = root.dim_in_pixel();
    let centre = w as i32 / 2;
    let style = TextStyle::from((FONT, TITLE, FontStyle::Bold).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(title.to_string(), (centre, 10), style))?;
    text(root, subtitle, (centre, 36), SMALL, MUTED, (HPos::Center, VPos::Top))
}

/// Header, then the plot area left of a legend column `legend_w` wide; returns the plot
/// area and the legend's x.
fn header_and_body<'b>(root: &Area<'b>, title: &str, subtitle: &str, legend_w: u32) -> Drawn<(Area<'b>, i32)> {
    header(root, title, subtitle)?;
    let (w, h) = root.dim_in_pixel();
    let plot = root.clone().shrink((8, 60), (w - legend_w - 8, h - 64));
    Ok((plot, (w - legend_w + 6) as i32))
}

/// A message centred in the chart's plotting area.
fn plot_message(root: &Area, chart: &Frame, message: &str) -> Drawn {
    let (px, py) = chart.plotting_area().get_pixel_range();
    let at = ((px.start + px.end) / 2, (py.start + py.end) / 2);
    let w = (text_width(message, NORMAL) as i32 + 16).min(px.end - px.start);
    root.draw(&Rectangle::new([(at.0 - w / 2, at.1 - 12), (at.0 + w / 2, at.1 + 12)], WHITE.filled()))?;
    text(root, message, at, NORMAL, MUTED, (HPos::Center, VPos::Center))
}

/// Estimated width in pixels of `s` at plotters size `size` (font-size = size / 1.24) in
/// a sans-serif face: about 0.58 em a character (Arial/Helvetica/DejaVu Sans average a
/// little less on mixed text; overestimating keeps labels inside the figure).
fn text_width(s: &str, size: u32) -> f64 {
    s.chars().count() as f64 * f64::from(size) / 1.24 * 0.58
}

/// `label` as one or two lines no wider than `width`, split at `×`, a space or the middle.
fn wrap_label(label: &str, width: i32, size: u32) -> Vec<String> {
    if text_width(label, size) <= f64::from(width) {
        return vec![label.to_string()];
    }
    let chars: Vec<char> = label.chars().collect();
    let mid = chars.len() / 2;
    let split = (0..chars.len())
        .filter(|&i| chars[i] == '×' || chars[i] == ' ')
        .min_by_key(|&i| i.abs_diff(mid))
        .map_or(mid, |i| i + 1);
    let (a, b): (String, String) = (chars[..split].iter().collect(), chars[split..].iter().collect());
    vec![a.trim_end().to_string(), b.trim_start().to_string()]
}

/// `label` in lines no wider than `width`, broken at spaces; a word wider than a line is
/// cut where it overflows.
fn wrap_words(label: &str, width: i32, size: u32) -> Vec<String> {
    let per_char = text_width("x", size);
    let fit = ((f64::from(width) / per_char).floor() as usize).max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in label.split_whitespace() {
        let joined = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if line.is_empty() || text_width(&joined, size) <= f64::from(width) {
            line = joined;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
        while line.chars().count() > fit {
            let rest: String = line.chars().skip(fit).collect();
            line = line.chars().take(fit).collect();
            lines.push(std::mem::replace(&mut line, rest));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Short and long names of a rate.
fn metric_names(m: Metric) -> (&'static str, &'static str) {
    match m {
        Metric::Fmr => ("FMR", "False match rate"),
        Metric::Fnmr => ("FNMR", "False non-match rate"),
        Metric::Fpir => ("FPIR", "False positive identification rate"),
        Metric::Fnir => ("FNIR", "False negative identification rate"),
        Metric::Tpir => ("TPIR", "True positive identification rate"),
        Metric::Sel => ("SEL", "Selectivity"),
        Metric::Cmc => ("CMC", "Cumulative match characteristic"),
        Metric::Fte => ("FTE", "Failure to enrol rate"),
        Metric::Fta => ("FTA", "Failure to acquire rate"),
    }
}

fn curve_groups<'c>(curves: &'c Curves, grouping: &str) -> Vec<&'c CurveGroup> {
    curves.groups.iter().filter(|g| g.grouping == grouping).collect()
}

fn gallery_line(gallery_size: Option<u64>) -> String {
    match gallery_size {
        Some(n) => format!("1:N, gallery of {} subjects", thousands(n)),
        None => "1:1 verification".to_string(),
    }
}

fn context_line(curves: &Curves) -> String {
    match curves.rank {
        Some(r) => format!("{}, rank ≤ {r}", gallery_line(curves.gallery_size)),
        None => gallery_line(curves.gallery_size),
    }
}

// Counts are written as the rest of the report writes them: 41,000.
use crate::format::count as thousands;

/// `v` to `digits` significant digits, trailing zeros dropped: 0.6, 0.5812, 1e-5 → 0.00001.
fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".to_string() } else { s }
}

#[cfg(test)]
mod tests;
