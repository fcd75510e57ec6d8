//! What the DET and rates-against-threshold figures may add to their curves: each
//! group's subject-bootstrap interval at the thresholds the analysis evaluated (where the
//! bootstrap was run), drawn as whiskers in the group's colour, and the operating
//! threshold's point on the DET. The intervals are the engine's (`bootstrap` of the rate
//! rows); nothing is interpolated between the evaluated thresholds.

use super::style::GroupStyle;
use super::{Area, Drawn, Frame};
use plotters::prelude::*;

/// One group's bootstrap intervals at one evaluated threshold: the rates and their
/// intervals, false-positive and false-negative (`None` where the rate or the interval
/// is undefined).
#[derive(Debug, Clone, PartialEq)]
pub struct BandPoint {
    pub threshold: f64,
    pub false_positive: Option<(f64, (f64, f64))>,
    pub false_negative: Option<(f64, (f64, f64))>,
}

/// Everything a curve figure draws beyond the curves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CurveExtras {
    /// Per group name, its intervals at the evaluated thresholds; empty: no bands.
    pub bands: Vec<(String, Vec<BandPoint>)>,
    /// The operating threshold, marked on the DET at each group's point.
    pub operating: Option<f64>,
}

impl CurveExtras {
    pub(super) fn of(&self, group: &str) -> &[BandPoint] {
        self.bands.iter().find(|(g, _)| g == group).map_or(&[], |(_, p)| p.as_slice())
    }
}

/// A whisker from `a` to `b` (plotted units) clipped to the chart's ranges, with end caps
/// across it; nothing when it lies wholly outside.
pub(super) fn whisker(root: &Area, chart: &Frame, a: (f64, f64), b: (f64, f64), style: &GroupStyle) -> Drawn {
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let clamp = |p: (f64, f64)| (p.0.clamp(xr.start, xr.end), p.1.clamp(yr.start, yr.end));
    let drawable = |p: (f64, f64)| !p.0.is_nan() && !p.1.is_nan();
    if !drawable(a) || !drawable(b) {
        return Ok(());
    }
    let outside = |p: (f64, f64)| p.0 < xr.start || p.0 > xr.end || p.1 < yr.start || p.1 > yr.end;
    let (ca, cb) = (clamp(a), clamp(b));
    if outside(a) && outside(b) && ca == cb {
        return Ok(());
    }
    let (pa, pb) = (chart.backend_coord(&ca), chart.backend_coord(&cb));
    let colour = style.colour.mix(0.85).stroke_width(1);
    root.draw(&PathElement::new(vec![pa, pb], colour))?;
    // Caps only at ends that are the interval's own (not where the chart cut it).
    let vertical = pa.0 == pb.0;
    for (end, cut) in [(pa, outside(a)), (pb, outside(b))] {
        if cut {
            continue;
        }
        let cap = if vertical {
            vec![(end.0 - 3, end.1), (end.0 + 3, end.1)]
        } else {
            vec![(end.0, end.1 - 3), (end.0, end.1 + 3)]
        };
        root.draw(&PathElement::new(cap, colour))?;
    }
    Ok(())
}

/// The operating point of a group on the DET: a ring around the group's own marker.
pub(super) fn operating_ring(root: &Area, at: (i32, i32), style: &GroupStyle) -> Drawn {
    root.draw(&Circle::new(at, 8, BLACK.stroke_width(2)))?;
    root.draw(&Circle::new(at, 8, style.colour.stroke_width(1)))
}
