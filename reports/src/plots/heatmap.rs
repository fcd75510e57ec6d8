//! The cross-group false match rate heatmap (NISTIR 8280) and its colour scale.

use super::{
    Area, Drawn, FONT, MUTED, NORMAL, SMALL, WIDTH, header, render, significant, text, text_width, thousands,
    wrap_label,
};
use harness::model::analysis::CrossGroupCell;
use harness::model::rate::Rate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// NISTIR 8280-style heatmap of the non-mated false match rate between probe group (rows)
/// and reference group (columns) of `grouping` at `threshold` (cells whose threshold equals
/// it to 1e-9). The colour is log10(FMR) on a sequential palette whose lightness falls as
/// FMR rises (light = low, dark = high; viridis reversed), so it prints in greyscale. Each
/// cell prints its rate and, where there is room, its counts; a cell with no false match is
/// white, hatched and printed "0 of N". Rows and columns keep the order of the cells.
pub fn cross_group_heatmap(cells: &[CrossGroupCell], grouping: &str, threshold: f64) -> String {
    let same = |t: f64| (t - threshold).abs() <= 1e-9 * threshold.abs().max(1.0);
    let cells: Vec<&CrossGroupCell> = cells.iter().filter(|c| c.grouping == grouping && same(c.threshold)).collect();
    let mut rows: Vec<&str> = Vec::new();
    let mut cols: Vec<&str> = Vec::new();
    for c in &cells {
        if !rows.contains(&c.probe_group.as_str()) {
            rows.push(&c.probe_group);
        }
        if !cols.contains(&c.reference_group.as_str()) {
            cols.push(&c.reference_group);
        }
    }
    let find = |r: &str, c: &str| cells.iter().find(|x| x.probe_group == r && x.reference_group == c);
    let logs: Vec<f64> = cells.iter().filter_map(|c| c.rate.value()).filter(|v| *v > 0.0).map(f64::log10).collect();
    let (mut c_lo, mut c_hi) = (
        logs.iter().copied().fold(f64::INFINITY, f64::min).floor(),
        logs.iter().copied().fold(f64::NEG_INFINITY, f64::max).ceil(),
    );
    if logs.is_empty() {
        (c_lo, c_hi) = (-4.0, 0.0);
    }
    if c_hi <= c_lo {
        c_hi = c_lo + 1.0;
    }

    let n = rows.len().max(cols.len()).max(1);
    let height: u32 = (130 + 38 * n as u32).max(440);
    let row_label_w = rows.iter().map(|r| text_width(r, NORMAL)).fold(40.0, f64::max).min(200.0) as i32 + 10;
    let legend_w = 118;
    let (grid_x, grid_y) = (28 + row_label_w, 110);
    let cell_w = ((WIDTH as i32 - legend_w - grid_x - 10) / cols.len().max(1) as i32).min(160);
    let cell_h = ((height as i32 - grid_y - 20) / rows.len().max(1) as i32).min(90);
    let title = format!("Cross-group false match rate (FMR) by {grouping}");
    let subtitle = format!(
        "threshold {} · non-mated comparisons · rows: probe group, columns: reference group",
        significant(threshold, 6)
    );
    let any_zero = cells.iter().any(|c| c.rate.denominator > 0 && c.rate.numerator == 0);
    let any_undefined = cells.iter().any(|c| c.rate.denominator == 0);
    render((WIDTH, height), |root| {
        header(root, &title, &subtitle)?;
        if cells.is_empty() {
            let msg =
                format!("No cross-group cells for grouping “{grouping}” at threshold {}", significant(threshold, 6));
            return text(
                root,
                &msg,
                (WIDTH as i32 / 2, height as i32 / 2),
                NORMAL,
                MUTED,
                (HPos::Center, VPos::Center),
            );
        }
        let grid_w = cell_w * cols.len() as i32;
        let grid_h = cell_h * rows.len() as i32;
        text(root, "Reference group", (grid_x + grid_w / 2, 60), NORMAL, BLACK, (HPos::Center, VPos::Top))?;
        let vertical = TextStyle::from((FONT, NORMAL).into_font())
            .color(&BLACK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new("Probe group", (8, grid_y + grid_h / 2), vertical))?;
        for (j, c) in cols.iter().enumerate() {
            let cx = grid_x + cell_w * j as i32 + cell_w / 2;
            let lines = wrap_label(c, cell_w - 4, SMALL);
            for (k, line) in lines.iter().enumerate() {
                let y = grid_y - 6 - 14 * (lines.len() - 1 - k) as i32;
                text(root, line, (cx, y), SMALL, BLACK, (HPos::Center, VPos::Bottom))?;
            }
        }
        for (i, r) in rows.iter().enumerate() {
            let cy = grid_y + cell_h * i as i32 + cell_h / 2;
            text(root, r, (grid_x - 6, cy), NORMAL, BLACK, (HPos::Right, VPos::Center))?;
            for (j, c) in cols.iter().enumerate() {
                let (x0, y0) = (grid_x + cell_w * j as i32, grid_y + cell_h * i as i32);
                let cell = find(r, c);
                draw_cell(root, (x0, y0), (cell_w, cell_h), cell.map(|c| c.rate), (c_lo, c_hi))?;
            }
        }
        root.draw(&Rectangle::new([(grid_x, grid_y), (grid_x + grid_w, grid_y + grid_h)], BLACK.stroke_width(1)))?;
        colour_bar(root, (grid_x + grid_w + 24, grid_y), grid_h.clamp(120, 260), (c_lo, c_hi), any_zero, any_undefined)
    })
}

/// Viridis (matplotlib) at 0, 1/8, ..., 1: its lightness rises monotonically.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 45, 123),
    (59, 82, 139),
    (44, 114, 142),
    (33, 145, 140),
    (40, 174, 128),
    (94, 201, 98),
    (173, 220, 48),
    (253, 231, 37),
];

/// Colour of `t` in [0, 1] where 0 is the lowest FMR (lightest) and 1 the highest (darkest).
pub(super) fn fmr_colour(t: f64) -> RGBColor {
    let s = (1.0 - t.clamp(0.0, 1.0)) * (VIRIDIS.len() - 1) as f64;
    let i = (s.floor() as usize).min(VIRIDIS.len() - 2);
    let f = s - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Relative luminance (WCAG) of an sRGB colour.
pub(super) fn luminance(c: RGBColor) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

fn hatch(root: &Area, (x0, y0): (i32, i32), (w, h): (i32, i32)) -> Drawn {
    root.draw(&Rectangle::new([(x0, y0), (x0 + w, y0 + h)], WHITE.filled()))?;
    let style = RGBColor(170, 170, 170).stroke_width(1);
    let mut s = 6;
    while s < w + h {
        let a = (x0 + s.min(w), y0 + (s - w).max(0));
        let b = (x0 + (s - h).max(0), y0 + s.min(h));
        root.draw(&PathElement::new(vec![a, b], style))?;
        s += 7;
    }
    Ok(())
}

fn draw_cell(root: &Area, (x0, y0): (i32, i32), (w, h): (i32, i32), rate: Option<Rate>, (lo, hi): (f64, f64)) -> Drawn {
    let centre = (x0 + w / 2, y0 + h / 2);
    let two_lines = h >= 38;
    let counts = |r: Rate| format!("{} of {}", thousands(r.numerator), thousands(r.denominator));
    match rate {
        None | Some(Rate { denominator: 0, .. }) => {
            root.draw(&Rectangle::new([(x0, y0), (x0 + w, y0 + h)], WHITE.filled()))?;
            let what = if rate.is_none() { "–" } else { "no trials" };
            text(root, what, centre, SMALL, MUTED, (HPos::Center, VPos::Center))?;
        }
        Some(r) if r.numerator == 0 => {
            hatch(root, (x0, y0), (w, h))?;
            let label = counts(r);
            let size = if text_width(&label, SMALL) + 6.0 <= f64::from(w) { SMALL } else { SMALL - 3 };
            let tw = (text_width(&label, size) as i32 + 6).min(w - 2);
            root.draw(&Rectangle::new(
                [(centre.0 - tw / 2, centre.1 - 8), (centre.0 + tw / 2, centre.1 + 8)],
                WHITE.filled(),
            ))?;
            text(root, &label, centre, size, BLACK, (HPos::Center, VPos::Center))?;
        }
        Some(r) => {
            let v = r.numerator as f64 / r.denominator as f64;
            let colour = fmr_colour((v.log10() - lo) / (hi - lo));
            root.draw(&Rectangle::new([(x0, y0), (x0 + w, y0 + h)], colour.filled()))?;
            let ink = if luminance(colour) < 0.3 { WHITE } else { BLACK };
            let value = format!("{v:.1e}");
            let detail = counts(r);
            if two_lines && text_width(&detail, SMALL - 2) <= f64::from(w - 4) {
                text(root, &value, (centre.0, centre.1 - 8), NORMAL, ink, (HPos::Center, VPos::Center))?;
                text(root, &detail, (centre.0, centre.1 + 9), SMALL - 2, ink, (HPos::Center, VPos::Center))?;
            } else {
                text(root, &value, centre, NORMAL, ink, (HPos::Center, VPos::Center))?;
            }
        }
    }
    root.draw(&Rectangle::new([(x0, y0), (x0 + w, y0 + h)], WHITE.stroke_width(1)))
}

/// Vertical colour bar of log10 FMR (dark = high at the top), with swatches for the
/// cells that have no colour.
fn colour_bar(
    root: &Area,
    (x, y): (i32, i32),
    height: i32,
    (lo, hi): (f64, f64),
    zero: bool,
    undefined: bool,
) -> Drawn {
    text(root, "log10 FMR", (x, y - 8), NORMAL, BLACK, (HPos::Left, VPos::Bottom))?;
    let slices = 48;
    for k in 0..slices {
        let (a, b) = (y + height * k / slices, y + height * (k + 1) / slices);
        let t = 1.0 - (f64::from(k) + 0.5) / f64::from(slices);
        root.draw(&Rectangle::new([(x, a), (x + 18, b)], fmr_colour(t).filled()))?;
    }
    root.draw(&Rectangle::new([(x, y), (x + 18, y + height)], BLACK.stroke_width(1)))?;
    let step = ((hi - lo) / 6.0).ceil().max(1.0) as i32;
    for k in (lo as i32..=hi as i32).filter(|k| (k - lo as i32) % step == 0) {
        let ty = y + ((hi - f64::from(k)) / (hi - lo) * f64::from(height)).round() as i32;
        root.draw(&PathElement::new(vec![(x + 18, ty), (x + 22, ty)], BLACK.stroke_width(1)))?;
        text(root, &k.to_string(), (x + 25, ty), SMALL, BLACK, (HPos::Left, VPos::Center))?;
    }
    let mut sy = y + height + 16;
    if zero {
        hatch(root, (x, sy), (18, 14))?;
        root.draw(&Rectangle::new([(x, sy), (x + 18, sy + 14)], BLACK.stroke_width(1)))?;
        text(root, "0 false matches", (x + 24, sy + 7), SMALL - 2, BLACK, (HPos::Left, VPos::Center))?;
        sy += 22;
    }
    if undefined {
        root.draw(&Rectangle::new([(x, sy), (x + 18, sy + 14)], BLACK.stroke_width(1)))?;
        text(root, "no trials", (x + 24, sy + 7), SMALL - 2, BLACK, (HPos::Left, VPos::Center))?;
    }
    Ok(())
}
