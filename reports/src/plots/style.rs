//! How each group is drawn (colour, dash pattern, marker) and the legend that names them.

use super::{Area, Drawn, MUTED, NORMAL, SMALL, text, text_width};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const CURVE_WIDTH: u32 = 2;

const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 0, 0),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
];

/// Solid, long dash, short dash, dotted (dash, gap in pixels).
const DASHES: [Option<(u32, u32)>; 4] = [None, Some((10, 5)), Some((4, 4)), Some((2, 3))];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
}

const MARKERS: [Marker; 6] =
    [Marker::Circle, Marker::Square, Marker::TriangleUp, Marker::Diamond, Marker::TriangleDown, Marker::Cross];

/// How group `i` is drawn: dash i mod 4, marker i mod 6 (filled for the first six groups,
/// hollow for the next six), colour i mod 8. The 12 first groups differ in dash and marker
/// alone, so they stay distinct without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GroupStyle {
    pub colour: RGBColor,
    pub dash: Option<(u32, u32)>,
    pub marker: Marker,
    pub hollow: bool,
}

impl GroupStyle {
    pub(crate) fn of(i: usize) -> Self {
        GroupStyle {
            colour: PALETTE[i % PALETTE.len()],
            dash: DASHES[i % DASHES.len()],
            marker: MARKERS[i % MARKERS.len()],
            hollow: (i / MARKERS.len()) % 2 == 1,
        }
    }
}

pub(super) fn draw_polyline(root: &Area, points: &[(i32, i32)], colour: RGBColor, dash: Option<(u32, u32)>) -> Drawn {
    if points.len() < 2 {
        return Ok(());
    }
    let style = colour.stroke_width(CURVE_WIDTH);
    match dash {
        None => root.draw(&PathElement::new(points.to_vec(), style)),
        Some((on, off)) => root.draw(&DashedPathElement::new(points.to_vec(), on, off, style)),
    }
}

pub(super) fn draw_marker(root: &Area, (x, y): (i32, i32), s: &GroupStyle) -> Drawn {
    let fill = if s.hollow { WHITE.filled() } else { s.colour.filled() };
    let edge = s.colour.stroke_width(if s.hollow { 2 } else { 1 });
    let shape: Vec<(i32, i32)> = match s.marker {
        Marker::Circle => {
            root.draw(&Circle::new((x, y), 4, fill))?;
            return root.draw(&Circle::new((x, y), 4, edge));
        }
        Marker::Cross => {
            let (a, b) = if s.hollow {
                ([(x - 5, y), (x + 5, y)], [(x, y - 5), (x, y + 5)])
            } else {
                ([(x - 4, y - 4), (x + 4, y + 4)], [(x - 4, y + 4), (x + 4, y - 4)])
            };
            root.draw(&PathElement::new(a.to_vec(), s.colour.stroke_width(2)))?;
            return root.draw(&PathElement::new(b.to_vec(), s.colour.stroke_width(2)));
        }
        Marker::Square => vec![(x - 4, y - 4), (x + 4, y - 4), (x + 4, y + 4), (x - 4, y + 4)],
        Marker::TriangleUp => vec![(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)],
        Marker::TriangleDown => vec![(x, y + 5), (x + 5, y - 4), (x - 5, y - 4)],
        Marker::Diamond => vec![(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)],
    };
    root.draw(&Polygon::new(shape.clone(), fill))?;
    let mut outline = shape.clone();
    outline.push(shape[0]);
    root.draw(&PathElement::new(outline, edge))
}

/// A legend row: a group's line sample and marker, its name and an optional note below.
pub(super) struct LegendEntry {
    label: String,
    note: Option<String>,
    style: GroupStyle,
}

impl LegendEntry {
    pub(super) fn group(i: usize, name: &str, note: Option<String>) -> Self {
        LegendEntry { label: name.to_string(), note, style: GroupStyle::of(i) }
    }
}

/// Legend column width for these labels and notes.
pub(super) fn legend_width<'s>(labels: impl Iterator<Item = &'s str>, notes: impl Iterator<Item = &'s str>) -> u32 {
    let widest =
        labels.map(|l| text_width(l, NORMAL)).chain(notes.map(|n| text_width(n, SMALL - 1))).fold(0.0, f64::max);
    (widest + 42.0 + 14.0).clamp(140.0, 280.0) as u32
}

pub(super) fn draw_legend(root: &Area, x: i32, y: i32, height: i32, entries: &[LegendEntry]) -> Drawn {
    if entries.is_empty() {
        return Ok(());
    }
    text(root, "Groups", (x, y), NORMAL, BLACK, (HPos::Left, VPos::Top))?;
    let with_notes = 22 + entries.len() as i32 * 34 <= height;
    let row_h = if with_notes { 34 } else { 20.min((height - 22) / entries.len() as i32).max(14) };
    for (i, e) in entries.iter().enumerate() {
        let cy = y + 30 + row_h * i as i32;
        draw_polyline(root, &[(x, cy), (x + 34, cy)], e.style.colour, e.style.dash)?;
        draw_marker(root, (x + 17, cy), &e.style)?;
        text(root, &e.label, (x + 42, cy), NORMAL, BLACK, (HPos::Left, VPos::Center))?;
        if let (true, Some(note)) = (with_notes, &e.note) {
            text(root, note, (x + 42, cy + 14), SMALL - 1, MUTED, (HPos::Left, VPos::Center))?;
        }
    }
    Ok(())
}
