//! DET curves: false-negative rate against false-positive rate on probit axes.

use super::axes::frame;
use super::bands::{CurveExtras, operating_ring, whisker};
use super::probit::{lower_rate, open_rate, probit, probit_axis, upper_rate};
use super::series::draw_series;
use super::style::{GroupStyle, LegendEntry, draw_legend, legend_width};
use super::{WIDTH, context_line, curve_groups, header_and_body, metric_names, plot_message, render, thousands};
use harness::model::curves::Curves;

/// A group's points and its legend note.
type Points = (Vec<(f64, f64)>, Option<String>);

/// DET curves of the groups of `grouping`, as NIST draws them: false-positive rate (FMR or
/// FPIR, per `curves.false_positive`) on x against false-negative rate (FNMR or FNIR) on y,
/// both on probit (normal deviate) axes whose ticks are labelled with rates. A point with a
/// rate of 0 (or 1) cannot be placed on a probit axis and is dropped, so a curve ends at its
/// last resolvable point. The x axis runs from the decade below the smallest non-zero
/// false-positive rate seen (never below 1 / denominator) to 0.5 (further only when no
/// point lies at or below 0.5); the y axis from the decade below the smallest false-negative
/// rate on screen to 0.5, 0.8, 0.95, 0.99 or 0.999, whichever first holds the curves.
pub fn det_curve(curves: &Curves, grouping: &str) -> String {
    det_curve_with(curves, grouping, &CurveExtras::default())
}

/// [`det_curve`] with each group's subject-bootstrap intervals at the evaluated
/// thresholds as whiskers (across: the false-positive interval, up and down: the
/// false-negative one) and the operating threshold's point ringed.
pub fn det_curve_with(curves: &Curves, grouping: &str, extras: &CurveExtras) -> String {
    let (fp_short, fp_long) = metric_names(curves.false_positive);
    let (fn_short, fn_long) = metric_names(curves.false_negative);
    let groups = curve_groups(curves, grouping);
    // Each group's drawable (FP rate, FN rate) points and its legend note.
    let series: Vec<Points> = groups
        .iter()
        .map(|g| {
            let points: Vec<(f64, f64)> = g
                .false_positives
                .iter()
                .zip(&g.false_negatives)
                .take(curves.thresholds.len())
                .filter_map(|(&fp, &fne)| Some((open_rate(fp, g.non_mated)?, open_rate(fne, g.mated)?)))
                .collect();
            let note = if g.non_mated == 0 {
                Some("no non-mated trials".to_string())
            } else if g.mated == 0 {
                Some("no mated trials".to_string())
            } else if points.is_empty() {
                Some(format!("{fp_short} or {fn_short} is 0 throughout"))
            } else {
                Some(format!("non-mated {} · mated {}", thousands(g.non_mated), thousands(g.mated)))
            };
            (points, note)
        })
        .collect();

    // Ranges: from the decade below the smallest rate seen; x to 0.5, y to what the curves
    // reach while x is in range.
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.0.iter().copied()).collect();
    let min_x = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x_hi =
        if all.iter().any(|p| p.0 <= 0.5) { 0.5 } else { upper_rate(all.iter().map(|p| p.0).fold(0.0, f64::max)) };
    let in_x: Vec<(f64, f64)> = all.iter().copied().filter(|p| p.0 <= x_hi).collect();
    let in_x = if in_x.is_empty() { &all } else { &in_x };
    let y_hi = upper_rate(in_x.iter().map(|p| p.1).fold(0.0, f64::max));
    let min_y = in_x.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let (x_lo, y_lo) = (lower_rate(min_x), lower_rate(min_y));

    let legend_w = legend_width(groups.iter().map(|g| g.group.as_str()), series.iter().filter_map(|s| s.1.as_deref()));
    let size = (WIDTH, 480);
    let plot_w = f64::from(WIDTH - legend_w - 90);
    let plot_h = 480.0 - 130.0;
    let x = probit_axis(x_lo, x_hi, plot_w / 34.0, format!("{fp_long} ({fp_short}), probit scale"));
    let y = probit_axis(y_lo, y_hi, plot_h / 22.0, format!("{fn_long} ({fn_short}), probit scale"));
    let message = if groups.is_empty() {
        Some(format!("No groups in grouping “{grouping}”"))
    } else if groups.iter().all(|g| g.non_mated == 0) {
        Some("No DET curve to draw: no non-mated trials".to_string())
    } else if groups.iter().all(|g| g.mated == 0) {
        Some("No DET curve to draw: no mated trials".to_string())
    } else if all.is_empty() {
        Some(format!("No DET curve to draw: no threshold has {fp_short} and {fn_short} both above 0"))
    } else {
        None
    };
    let title = format!("DET curves ({fn_short} against {fp_short}) by {grouping}");
    let mut subtitle = format!("{} · a rate of 0 cannot be drawn on a probit axis", context_line(curves));
    if !extras.bands.is_empty() {
        subtitle.push_str(" · whiskers: bootstrap intervals");
    }
    if let Some(t) = extras.operating {
        subtitle.push_str(&format!(" · ring: T = {}", super::significant(t, 4)));
    }
    render(size, |root| {
        let (plot, legend_x) = header_and_body(root, &title, &subtitle, legend_w)?;
        let chart = frame(&plot, &x, &y, true, 66)?;
        for (i, (points, _)) in series.iter().enumerate() {
            let probit_points: Vec<(f64, f64)> = points.iter().map(|&(a, b)| (probit(a), probit(b))).collect();
            draw_series(root, &chart, &probit_points, &GroupStyle::of(i), i)?;
        }
        for (i, g) in groups.iter().enumerate() {
            let style = GroupStyle::of(i);
            for b in extras.of(&g.group) {
                if let (Some((fp, (fp_lo, fp_hi))), Some((fne, (fn_lo, fn_hi)))) = (b.false_positive, b.false_negative)
                    && fp > 0.0
                    && fp < 1.0
                    && fne > 0.0
                    && fne < 1.0
                {
                    let (x, y) = (probit(fp), probit(fne));
                    whisker(root, &chart, (probit(fp_lo), y), (probit(fp_hi), y), &style)?;
                    whisker(root, &chart, (x, probit(fn_lo)), (x, probit(fn_hi)), &style)?;
                }
            }
            let at = extras.operating.and_then(|t| {
                let k = curves.thresholds.iter().position(|&u| harness::model::thresholds::same_threshold(u, t))?;
                Some((
                    open_rate(*g.false_positives.get(k)?, g.non_mated)?,
                    open_rate(*g.false_negatives.get(k)?, g.mated)?,
                ))
            });
            if let Some((fp, fne)) = at {
                let (x, y) = (probit(fp), probit(fne));
                let (xr, yr) = (chart.x_range(), chart.y_range());
                if x >= xr.start && x <= xr.end && y >= yr.start && y <= yr.end {
                    operating_ring(root, chart.backend_coord(&(x, y)), &style)?;
                }
            }
        }
        if let Some(m) = &message {
            plot_message(root, &chart, m)?;
        }
        let entries: Vec<LegendEntry> = groups
            .iter()
            .zip(&series)
            .enumerate()
            .map(|(i, (g, s))| LegendEntry::group(i, &g.group, s.1.clone()))
            .collect();
        draw_legend(root, legend_x, 64, 480 - 70, &entries)
    })
}
