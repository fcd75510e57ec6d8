//! One group's curve: clipped to the chart, with markers placed along it.

use super::style::{GroupStyle, draw_marker, draw_polyline};
use super::{Area, Drawn, Frame};

/// Draw one group's series (plotted units) clipped to the chart, with markers: at every
/// visible point when there are at most 12 points, else six spread along the curve (offset
/// by group `index` so that markers of curves on top of each other do not coincide).
pub(super) fn draw_series(
    root: &Area,
    chart: &Frame,
    points: &[(f64, f64)],
    style: &GroupStyle,
    index: usize,
) -> Drawn {
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let points: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    let pieces = clip_polyline(&points, (xr.start, xr.end), (yr.start, yr.end));
    let pixels: Vec<Vec<(i32, i32)>> = pieces
        .iter()
        .map(|piece| {
            let mut px: Vec<(i32, i32)> = piece.iter().map(|p| chart.backend_coord(p)).collect();
            px.dedup();
            px
        })
        .collect();
    for piece in &pixels {
        draw_polyline(root, piece, style.colour, style.dash)?;
    }
    let marks: Vec<(i32, i32)> = if points.len() <= 12 {
        points
            .iter()
            .filter(|p| p.0 >= xr.start && p.0 <= xr.end && p.1 >= yr.start && p.1 <= yr.end)
            .map(|p| chart.backend_coord(p))
            .collect()
    } else {
        spread_along(&pixels, 6, (0.5 + 0.382 * index as f64).fract())
    };
    for m in marks {
        draw_marker(root, m, style)?;
    }
    Ok(())
}

/// `count` positions evenly spaced by arc length along the pieces, the first at `phase`
/// of a spacing.
fn spread_along(pieces: &[Vec<(i32, i32)>], count: usize, phase: f64) -> Vec<(i32, i32)> {
    let seg_len = |a: (i32, i32), b: (i32, i32)| f64::from(b.0 - a.0).hypot(f64::from(b.1 - a.1));
    let total: f64 = pieces.iter().flat_map(|p| p.windows(2)).map(|w| seg_len(w[0], w[1])).sum();
    if total < 1.0 {
        return pieces.iter().filter_map(|p| p.first().copied()).collect();
    }
    let spacing = total / count as f64;
    let mut targets = (0..count).map(|k| (k as f64 + phase) * spacing).peekable();
    let mut out = Vec::new();
    let mut walked = 0.0;
    for w in pieces.iter().flat_map(|p| p.windows(2)) {
        let d = seg_len(w[0], w[1]);
        while let Some(&t) = targets.peek() {
            if t > walked + d {
                break;
            }
            let f = if d > 0.0 { (t - walked) / d } else { 0.0 };
            let lerp = |a: i32, b: i32| (f64::from(a) + f * f64::from(b - a)).round() as i32;
            out.push((lerp(w[0].0, w[1].0), lerp(w[0].1, w[1].1)));
            targets.next();
        }
        walked += d;
    }
    out
}

/// Liang–Barsky clipping of a polyline to the rectangle `xr` × `yr`: the visible pieces.
pub(super) fn clip_polyline(points: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: &(f64, f64)| p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1;
    if points.len() == 1 {
        return if inside(&points[0]) { vec![points.to_vec()] } else { vec![] };
    }
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [(-dx, a.0 - xr.0), (dx, xr.1 - a.0), (-dy, a.1 - yr.0), (dy, yr.1 - a.1)] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let start = if t0 == 0.0 { a } else { (a.0 + t0 * dx, a.1 + t0 * dy) };
        let end = if t1 == 1.0 { b } else { (a.0 + t1 * dx, a.1 + t1 * dy) };
        if t0 > 0.0 && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.push(start);
        }
        current.push(end);
        if t1 < 1.0 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
