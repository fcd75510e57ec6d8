//! False-positive and false-negative rates against threshold, with the operating
//! thresholds marked.

use super::axes::{Axis, frame, linear_axis, log_axis, padded_span};
use super::bands::{CurveExtras, whisker};
use super::series::draw_series;
use super::style::{GroupStyle, LegendEntry, draw_legend, legend_width};
use super::{
    SMALL, WIDTH, context_line, curve_groups, header_and_body, metric_names, plot_message, render, significant, text,
    text_width, thousands,
};
use harness::model::curves::{CurveGroup, Curves};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// False-positive rate (FMR or FPIR) and false-negative rate (FNMR or FNIR) of each group
/// of `grouping` against threshold, in two stacked panels sharing the threshold axis, both
/// rates on log10 axes (rates span many decades; a rate of 0 is not drawn). Each threshold
/// of `marks` (e.g. the operating threshold) is drawn as a labelled vertical rule.
pub fn rates_against_threshold(curves: &Curves, grouping: &str, marks: &[f64]) -> String {
    rates_against_threshold_with(curves, grouping, marks, &CurveExtras::default())
}

/// [`rates_against_threshold`] with each group's subject-bootstrap interval at every
/// evaluated threshold drawn as a vertical whisker on both panels.
pub fn rates_against_threshold_with(curves: &Curves, grouping: &str, marks: &[f64], extras: &CurveExtras) -> String {
    let (fp_short, fp_long) = metric_names(curves.false_positive);
    let (fn_short, fn_long) = metric_names(curves.false_negative);
    let groups = curve_groups(curves, grouping);
    let against = |counts: &[u64], denominator: u64| -> Vec<(f64, f64)> {
        curves
            .thresholds
            .iter()
            .zip(counts)
            .filter(|(t, _)| t.is_finite())
            .filter(|&(_, &k)| k > 0 && denominator > 0)
            .map(|(&t, &k)| (t, (k as f64 / denominator as f64).log10()))
            .collect()
    };
    let fp: Vec<Vec<(f64, f64)>> = groups.iter().map(|g| against(&g.false_positives, g.non_mated)).collect();
    let fnr: Vec<Vec<(f64, f64)>> = groups.iter().map(|g| against(&g.false_negatives, g.mated)).collect();
    let marks: Vec<f64> = marks.iter().copied().filter(|m| m.is_finite()).collect();
    let ts = curves.thresholds.iter().chain(&marks).copied().filter(|t| t.is_finite());
    let (t_lo, t_hi) = padded_span(ts);
    let notes: Vec<Option<String>> = groups
        .iter()
        .map(|g| Some(format!("non-mated {} · mated {}", thousands(g.non_mated), thousands(g.mated))))
        .collect();
    let legend_w = legend_width(groups.iter().map(|g| g.group.as_str()), notes.iter().filter_map(|n| n.as_deref()));
    let height = 520;
    let plot_w = f64::from(WIDTH - legend_w - 90);
    let x_top = linear_axis(t_lo, t_hi, plot_w / 60.0, String::new());
    let x_bottom = Axis { desc: "Threshold (score)".to_string(), ..x_top.clone() };
    let y_fp = log_axis(&fp, format!("{fp_short}, log scale"));
    let y_fn = log_axis(&fnr, format!("{fn_short}, log scale"));
    let why_empty =
        |series: &[Vec<(f64, f64)>], denominator: &dyn Fn(&CurveGroup) -> u64, trials: &str, short: &str| {
            if groups.is_empty() {
                Some(format!("No groups in grouping “{grouping}”"))
            } else if groups.iter().all(|g| denominator(g) == 0) {
                Some(format!("No {trials} trials"))
            } else if series.iter().all(|s| s.is_empty()) {
                Some(format!("{short} is 0 at every threshold (0 cannot be drawn on a log axis)"))
            } else {
                None
            }
        };
    let fp_message = why_empty(&fp, &|g| g.non_mated, "non-mated", fp_short);
    let fn_message = why_empty(&fnr, &|g| g.mated, "mated", fn_short);
    let title = format!("{fp_short} and {fn_short} against threshold by {grouping}");
    let subtitle = format!(
        "{fp_short}: {} · {fn_short}: {} · {}",
        fp_long.to_lowercase(),
        fn_long.to_lowercase(),
        context_line(curves)
    );
    render((WIDTH, height), |root| {
        let (plot, legend_x) = header_and_body(root, &title, &subtitle, legend_w)?;
        let (w, h) = plot.dim_in_pixel();
        let top = plot.clone().shrink((0, 0), (w, h / 2));
        let bottom = plot.clone().shrink((0, h / 2), (w, h - h / 2));
        let mut label_rows: Vec<(i32, i32)> = Vec::new();
        for (panel, (area, x, y, series, message)) in
            [(&top, &x_top, &y_fp, &fp, &fp_message), (&bottom, &x_bottom, &y_fn, &fnr, &fn_message)]
                .into_iter()
                .enumerate()
        {
            let chart = frame(area, x, y, true, 66)?;
            for (i, points) in series.iter().enumerate() {
                draw_series(root, &chart, points, &GroupStyle::of(i), i)?;
            }
            for (i, g) in groups.iter().enumerate() {
                for b in extras.of(&g.group) {
                    let interval = if panel == 0 { b.false_positive } else { b.false_negative };
                    if let Some((_, (lo, hi))) = interval
                        && hi > 0.0
                    {
                        whisker(
                            root,
                            &chart,
                            (b.threshold, lo.log10()),
                            (b.threshold, hi.log10()),
                            &GroupStyle::of(i),
                        )?;
                    }
                }
            }
            let (px, py) = chart.plotting_area().get_pixel_range();
            for &m in &marks {
                let mx = chart.backend_coord(&(m, y.lo)).0;
                root.draw(&DashedPathElement::new(vec![(mx, py.start), (mx, py.end)], 6, 3, BLACK.stroke_width(1)))?;
            }
            // Labels after all the rules, so no rule crosses a label; staggered in rows
            // where they would overlap.
            for &m in marks.iter().filter(|_| panel == 0) {
                let mx = chart.backend_coord(&(m, y.lo)).0;
                let label = format!("T = {}", significant(m, 4));
                let w = text_width(&label, SMALL) as i32 + 6;
                let row =
                    (0..).find(|r| label_rows.iter().all(|&(x0, r0)| r0 != *r || (mx - x0).abs() > w)).unwrap_or(0);
                label_rows.push((mx, row));
                let top = py.start + 3 + 15 * row;
                let (x0, anchor, at) =
                    if mx + 3 + w > px.end { (mx - 3 - w, HPos::Right, mx - 6) } else { (mx + 3, HPos::Left, mx + 6) };
                root.draw(&Rectangle::new([(x0, top - 1), (x0 + w, top + 13)], WHITE.filled()))?;
                text(root, &label, (at, top), SMALL, BLACK, (anchor, VPos::Top))?;
            }
            if let Some(m) = message {
                plot_message(root, &chart, m)?;
            }
        }
        let entries: Vec<LegendEntry> = groups
            .iter()
            .zip(&notes)
            .enumerate()
            .map(|(i, (g, n))| LegendEntry::group(i, &g.group, n.clone()))
            .collect();
        draw_legend(root, legend_x, 64, height as i32 - 70, &entries)
    })
}
