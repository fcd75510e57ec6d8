//! Mated and non-mated score distributions, one panel per group.

use super::axes::{Axis, frame, linear_axis};
use super::style::draw_polyline;
use super::{
    FONT, MUTED, NORMAL, SMALL, WIDTH, gallery_line, header, plot_message, render, text, text_width, thousands,
    wrap_words,
};
use harness::model::curves::ScoreHistograms;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Mated and non-mated score distributions of each group of `grouping`, one panel per group
/// (stacked, sharing the score axis and the proportion axis). y is the proportion of that
/// group's scored trials in each bin, so groups of different size compare; trials with no
/// score are counted in the panel's caption, not in any bin. Mated: solid line over a tinted
/// fill; non-mated: dashed line, no fill.
/// Each of `marks` (e.g. the operating threshold) inside the score range is drawn as a
/// dashed vertical rule in every panel, labelled in the first.
pub fn score_histograms(h: &ScoreHistograms, grouping: &str, marks: &[f64]) -> String {
    let groups: Vec<_> = h.groups.iter().filter(|g| g.grouping == grouping).collect();
    let edges_ok = h.edges.len() >= 2
        && h.edges.iter().all(|e| e.is_finite())
        && h.edges.windows(2).all(|w| w[0] <= w[1])
        && h.edges[h.edges.len() - 1] > h.edges[0];
    let steps = |counts: &[u64]| -> Option<Vec<(f64, f64)>> {
        let bins = counts.len().min(h.edges.len().saturating_sub(1));
        let total: u64 = counts[..bins].iter().sum();
        if total == 0 {
            return None;
        }
        let mut points = vec![(h.edges[0], 0.0)];
        for (i, &k) in counts[..bins].iter().enumerate() {
            let p = k as f64 / total as f64;
            points.push((h.edges[i], p));
            points.push((h.edges[i + 1], p));
        }
        points.push((h.edges[bins], 0.0));
        Some(points)
    };
    let panels: Vec<_> = groups
        .iter()
        .map(|g| {
            let (m, nm) = if edges_ok { (steps(&g.mated), steps(&g.non_mated)) } else { (None, None) };
            let scored = |c: &[u64]| c.iter().sum::<u64>();
            let part = |what: &str, n: u64, unscored: u64| {
                let u = if unscored > 0 { format!(" (+{} unscored)", thousands(unscored)) } else { String::new() };
                format!("{what} {} scored{u}", thousands(n))
            };
            let caption = format!(
                "{} — {} · {}",
                g.group,
                part("mated", scored(&g.mated), g.mated_unscored),
                part("non-mated", scored(&g.non_mated), g.non_mated_unscored)
            );
            (caption, m, nm)
        })
        .collect();
    let y_max = panels.iter().flat_map(|(_, m, nm)| m.iter().chain(nm).flatten().map(|p| p.1)).fold(0.0, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.08 } else { 1.0 };
    let panel_h: u32 = if groups.len() <= 6 { 112 } else { 92 };
    let key =
        key_rows(&[(true, format!("Mated: {}", h.mated_score)), (false, format!("Non-mated: {}", h.non_mated_score))]);
    // Panels start 24 px under the key's last row (at 90 when the key takes one row).
    let key_bottom = key.iter().map(|e| e.y + KEY_ROW * (e.lines.len() as i32 - 1)).fold(66, i32::max);
    let panels_top = key_bottom + 24;
    let height = panels_top as u32 + 6 + panel_h * groups.len().max(1) as u32 + 48;
    let (x_lo, x_hi) = if edges_ok { (h.edges[0], h.edges[h.edges.len() - 1]) } else { (0.0, 1.0) };
    let x_inner = linear_axis(x_lo, x_hi, f64::from(WIDTH - 120) / 70.0, String::new());
    let x_last = Axis { desc: "Score (similarity)".to_string(), ..x_inner.clone() };
    let y = linear_axis(0.0, y_max, 3.0, String::new());
    let title = format!("Score distributions by {grouping}");
    let subtitle = format!("{} · proportion of each group's scored trials per bin", gallery_line(h.gallery_size));
    let mated_colour = RGBColor(0, 114, 178);
    let non_mated_colour = RGBColor(213, 94, 0);
    render((WIDTH, height), |root| {
        header(root, &title, &subtitle)?;
        // The two distributions' key under the title.
        for entry in &key {
            let (x0, key_y) = (entry.x, entry.y);
            if entry.mated {
                root.draw(&Rectangle::new([(x0, key_y - 6), (x0 + 30, key_y + 6)], mated_colour.mix(0.3).filled()))?;
                draw_polyline(root, &[(x0, key_y - 6), (x0 + 30, key_y - 6)], mated_colour, None)?;
            } else {
                draw_polyline(root, &[(x0, key_y), (x0 + 30, key_y)], non_mated_colour, Some((6, 4)))?;
            }
            for (k, line) in entry.lines.iter().enumerate() {
                text(root, line, (x0 + 38, key_y + KEY_ROW * k as i32), NORMAL, BLACK, (HPos::Left, VPos::Center))?;
            }
        }
        let vertical = TextStyle::from((FONT, NORMAL).into_font())
            .color(&BLACK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let body_h = panel_h * groups.len().max(1) as u32;
        root.draw(&Text::new("Proportion of trials per bin", (6, panels_top + body_h as i32 / 2), vertical))?;
        if groups.is_empty() || !edges_ok {
            let msg = if groups.is_empty() {
                format!("No groups in grouping “{grouping}”")
            } else {
                "No score bins (no finite scores)".to_string()
            };
            return text(
                root,
                &msg,
                (WIDTH as i32 / 2, panels_top + body_h as i32 / 2),
                NORMAL,
                MUTED,
                (HPos::Center, VPos::Center),
            );
        }
        for (i, (caption, mated, non_mated)) in panels.iter().enumerate() {
            let last = i + 1 == panels.len();
            let top = panels_top as u32 + panel_h * i as u32;
            let h_area = panel_h + (if last { 48 } else { 0 }) - 26;
            let area = root.clone().shrink((24, top + 20), (WIDTH - 24, h_area));
            text(root, caption, (24 + 40, top as i32 + 4), SMALL, BLACK, (HPos::Left, VPos::Top))?;
            let chart = frame(&area, if last { &x_last } else { &x_inner }, &y, last, 40)?;
            if let Some(points) = mated {
                let px: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
                root.draw(&Polygon::new(px.clone(), mated_colour.mix(0.3).filled()))?;
                draw_polyline(root, &px, mated_colour, None)?;
            }
            if let Some(points) = non_mated {
                let px: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
                draw_polyline(root, &px, non_mated_colour, Some((6, 4)))?;
            }
            if mated.is_none() && non_mated.is_none() {
                plot_message(root, &chart, "no scored trials")?;
            }
            let (px, py) = chart.plotting_area().get_pixel_range();
            for &m in marks.iter().filter(|m| m.is_finite() && **m >= x_lo && **m <= x_hi) {
                let mx = chart.backend_coord(&(m, 0.0)).0;
                root.draw(&DashedPathElement::new(vec![(mx, py.start), (mx, py.end)], 6, 3, BLACK.stroke_width(1)))?;
                if i == 0 {
                    let label = format!("T = {}", super::significant(m, 4));
                    let w = text_width(&label, SMALL) as i32 + 6;
                    let (x0, anchor, at) = if mx + 3 + w > px.end {
                        (mx - 3 - w, HPos::Right, mx - 6)
                    } else {
                        (mx + 3, HPos::Left, mx + 6)
                    };
                    root.draw(&Rectangle::new([(x0, py.start + 2), (x0 + w, py.start + 16)], WHITE.filled()))?;
                    text(root, &label, (at, py.start + 3), SMALL, BLACK, (anchor, VPos::Top))?;
                }
            }
        }
        Ok(())
    })
}

/// Pitch of the key's rows.
const KEY_ROW: i32 = 18;

/// One entry of the histogram key: mated or not, where its sample sits (the centre line of
/// its first row) and its label's lines.
struct KeyEntry {
    mated: bool,
    x: i32,
    y: i32,
    lines: Vec<String>,
}

/// The key's entries on one row under the title when they fit the figure's width; else
/// one entry a row, each label wrapped so that no line runs past the right edge.
fn key_rows(entries: &[(bool, String)]) -> Vec<KeyEntry> {
    // Sample 30 px, label 8 px after it, 30 px between entries.
    let (left, right) = (40, WIDTH as i32 - 10);
    let mut x = left;
    let mut one_row = Vec::new();
    for (mated, label) in entries {
        one_row.push(KeyEntry { mated: *mated, x, y: 66, lines: vec![label.clone()] });
        x += 38 + text_width(label, NORMAL) as i32 + 30;
    }
    if x - 30 <= right {
        return one_row;
    }
    let mut y = 66;
    let mut rows = Vec::new();
    for (mated, label) in entries {
        let lines = wrap_words(label, right - left - 38, NORMAL);
        let next = y + KEY_ROW * lines.len() as i32;
        rows.push(KeyEntry { mated: *mated, x: left, y, lines });
        y = next;
    }
    rows
}
