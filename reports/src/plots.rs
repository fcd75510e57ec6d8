//! SVG figures for the HTML report, drawn with plotters: DET curves ([`det_curve`]), the
//! false-positive and false-negative rates against threshold ([`rates_against_threshold`]),
//! the cross-group false match rate heatmap ([`cross_group_heatmap`]), score histograms
//! ([`score_histograms`]) and CMC curves ([`cmc_curve`]). Each function returns one complete
//! SVG document.
//!
//! It computes no metric: every point is a numerator over a denominator that the engine
//! counted (`harness::curves`, `harness::analysis`); this module only divides them to place
//! the point, transforms an axis (probit, log10) and draws. The probit transform is drawing,
//! not a metric.
//!
//! The figures are made to be printed in greyscale on A4: white background, a title, axes
//! labelled with what and unit, and a legend in which every group has its own combination of
//! dash pattern and marker shape as well as a colour (Okabe–Ito hues, which also differ in
//! lightness). Text is written as SVG `<text>` (the browser supplies the font; plotters
//! escapes `&`, `<`, `>`). No input makes a function panic or write NaN: where there is
//! nothing to draw, the figure says why. The same input always gives the same bytes.

use harness::analysis::{CrossGroupCell, Metric, RateRow};
use harness::curves::{CurveGroup, Curves, ScoreHistograms};
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
type Frame<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;
/// A group's points and its legend note.
type Points = (Vec<(f64, f64)>, Option<String>);
type Drawn<T = ()> = Result<T, DrawingAreaErrorKind<std::io::Error>>;

const WIDTH: u32 = 720;
const FONT: &str = "sans-serif";
/// plotters writes `font-size` as the size given divided by 1.24; these are the sizes given.
const TITLE: u32 = 20;
const SMALL: u32 = 14;
const NORMAL: u32 = 15;
const GRID: RGBColor = RGBColor(221, 221, 221);
const MUTED: RGBColor = RGBColor(85, 85, 85);
const CURVE_WIDTH: u32 = 2;

// ---------------------------------------------------------------------------------------
// Figures

/// DET curves of the groups of `grouping`, as NIST draws them: false-positive rate (FMR or
/// FPIR, per `curves.false_positive`) on x against false-negative rate (FNMR or FNIR) on y,
/// both on probit (normal deviate) axes whose ticks are labelled with rates. A point with a
/// rate of 0 (or 1) cannot be placed on a probit axis and is dropped, so a curve ends at its
/// last resolvable point. The x axis runs from the decade below the smallest non-zero
/// false-positive rate seen (never below 1 / denominator) to 0.5 (further only when no
/// point lies at or below 0.5); the y axis from the decade below the smallest false-negative
/// rate on screen to 0.5, 0.8, 0.95, 0.99 or 0.999, whichever first holds the curves.
pub fn det_curve(curves: &Curves, grouping: &str) -> String {
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
    let subtitle = format!("{} · a rate of 0 cannot be drawn on a probit axis", context_line(curves));
    render(size, |root| {
        let (plot, legend_x) = header_and_body(root, &title, &subtitle, legend_w)?;
        let chart = frame(&plot, &x, &y, true, 66)?;
        for (i, (points, _)) in series.iter().enumerate() {
            let probit_points: Vec<(f64, f64)> = points.iter().map(|&(a, b)| (probit(a), probit(b))).collect();
            draw_series(root, &chart, &probit_points, &GroupStyle::of(i), i)?;
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

/// False-positive rate (FMR or FPIR) and false-negative rate (FNMR or FNIR) of each group
/// of `grouping` against threshold, in two stacked panels sharing the threshold axis, both
/// rates on log10 axes (rates span many decades; a rate of 0 is not drawn). Each threshold
/// of `marks` (e.g. the operating threshold) is drawn as a labelled vertical rule.
pub fn rates_against_threshold(curves: &Curves, grouping: &str, marks: &[f64]) -> String {
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

/// Mated and non-mated score distributions of each group of `grouping`, one panel per group
/// (stacked, sharing the score axis and the proportion axis). y is the proportion of that
/// group's scored trials in each bin, so groups of different size compare; trials with no
/// score are counted in the panel's caption, not in any bin. Mated: solid line over a tinted
/// fill; non-mated: dashed line, no fill.
pub fn score_histograms(h: &ScoreHistograms, grouping: &str) -> String {
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
    let height = 96 + panel_h * groups.len().max(1) as u32 + 48;
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
        // The two distributions' key, on one row under the title.
        let key_y = 66;
        let mut x0 = 40;
        for (mated, label) in
            [(true, format!("Mated: {}", h.mated_score)), (false, format!("Non-mated: {}", h.non_mated_score))]
        {
            if mated {
                root.draw(&Rectangle::new([(x0, key_y - 6), (x0 + 30, key_y + 6)], mated_colour.mix(0.3).filled()))?;
                draw_polyline(root, &[(x0, key_y - 6), (x0 + 30, key_y - 6)], mated_colour, None)?;
            } else {
                draw_polyline(root, &[(x0, key_y), (x0 + 30, key_y)], non_mated_colour, Some((6, 4)))?;
            }
            text(root, &label, (x0 + 38, key_y), NORMAL, BLACK, (HPos::Left, VPos::Center))?;
            x0 += 38 + text_width(&label, NORMAL) as i32 + 30;
        }
        let vertical = TextStyle::from((FONT, NORMAL).into_font())
            .color(&BLACK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let body_h = panel_h * groups.len().max(1) as u32;
        root.draw(&Text::new("Proportion of trials per bin", (6, 90 + body_h as i32 / 2), vertical))?;
        if groups.is_empty() || !edges_ok {
            let msg = if groups.is_empty() {
                format!("No groups in grouping “{grouping}”")
            } else {
                "No score bins (no finite scores)".to_string()
            };
            return text(
                root,
                &msg,
                (WIDTH as i32 / 2, 90 + body_h as i32 / 2),
                NORMAL,
                MUTED,
                (HPos::Center, VPos::Center),
            );
        }
        for (i, (caption, mated, non_mated)) in panels.iter().enumerate() {
            let last = i + 1 == panels.len();
            let top = 90 + panel_h * i as u32;
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
        }
        Ok(())
    })
}

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

// ---------------------------------------------------------------------------------------
// Probit

/// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16, Applied
/// Statistics 37, 1988), accurate to about 1e-16. ±infinity at 0 and 1, NaN outside [0, 1];
/// the figures only pass rates strictly between 0 and 1.
pub fn probit(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let poly = |c: &[f64], x: f64| c.iter().rev().fold(0.0, |acc, &k| acc * x + k);
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        const A: [f64; 8] = [
            3.387_132_872_796_366_5,
            133.141_667_891_784_38,
            1_971.590_950_306_551_3,
            13_731.693_765_509_46,
            45_921.953_931_549_87,
            67_265.770_927_008_7,
            33_430.575_583_588_13,
            2_509.080_928_730_122_7,
        ];
        const B: [f64; 8] = [
            1.0,
            42.313_330_701_600_91,
            687.187_007_492_057_9,
            5_394.196_021_424_751,
            21_213.794_301_586_597,
            39_307.895_800_092_71,
            28_729.085_735_721_943,
            5_226.495_278_852_854,
        ];
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let x = if r <= 5.0 {
        const C: [f64; 8] = [
            1.423_437_110_749_683_6,
            4.630_337_846_156_545,
            5.769_497_221_460_691,
            3.647_848_324_763_204_5,
            1.270_458_252_452_368_4,
            0.241_780_725_177_450_6,
            0.022_723_844_989_269_184,
            7.745_450_142_783_414e-4,
        ];
        const D: [f64; 8] = [
            1.0,
            2.053_191_626_637_759,
            1.676_384_830_183_803_8,
            0.689_767_334_985_1,
            0.148_103_976_427_480_08,
            0.015_198_666_563_616_457,
            5.475_938_084_995_345e-4,
            1.050_750_071_644_416_8e-9,
        ];
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        const E: [f64; 8] = [
            6.657_904_643_501_104,
            5.463_784_911_164_114,
            1.784_826_539_917_291_3,
            0.296_560_571_828_504_9,
            0.026_532_189_526_576_124,
            0.001_242_660_947_388_078_4,
            2.711_555_568_743_487_6e-5,
            2.010_334_399_292_288_1e-7,
        ];
        const F: [f64; 8] = [
            1.0,
            0.599_832_206_555_887_9,
            0.136_929_880_922_735_8,
            0.014_875_361_290_850_615,
            7.868_691_311_456_133e-4,
            1.846_318_317_510_054_8e-5,
            1.421_511_758_316_446e-7,
            2.044_263_103_389_939_7e-15,
        ];
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -x } else { x }
}

/// Rates that may label a probit axis, most important first: decades, then halves.
const PROBIT_TICKS: [(f64, u8); 17] = [
    (0.5, 0),
    (1e-2, 0),
    (1e-3, 0),
    (1e-4, 0),
    (1e-5, 0),
    (1e-6, 0),
    (1e-7, 0),
    (1e-8, 0),
    (1e-9, 0),
    (0.1, 1),
    (0.2, 1),
    (0.8, 1),
    (0.95, 1),
    (0.99, 1),
    (0.999, 1),
    (0.05, 2),
    (0.02, 3),
];

/// A probit axis from rate `lo` to `hi`: positions are Φ⁻¹(rate), ticks labelled with the
/// rate; at most `max_ticks` ticks, chosen most important first so that none crowd.
pub(crate) fn probit_axis(lo: f64, hi: f64, max_ticks: f64, desc: String) -> Axis {
    let (p_lo, p_hi) = (probit(lo), probit(hi));
    let min_gap = (p_hi - p_lo) / max_ticks.max(2.0);
    let mut chosen: Vec<f64> = Vec::new();
    // The axis's own lower bound first (it is a decade), then by importance.
    let mut order: Vec<(f64, u8)> = PROBIT_TICKS.to_vec();
    order.sort_by_key(|t| (t.1, (t.0 - lo).abs() > 1e-9 * lo));
    for (rate, _) in order {
        let at = probit(rate);
        if rate >= lo * (1.0 - 1e-9)
            && rate <= hi * (1.0 + 1e-9)
            && chosen.iter().all(|&c| (probit(c) - at).abs() >= min_gap)
        {
            chosen.push(rate);
        }
    }
    chosen.sort_by(f64::total_cmp);
    let pad = 0.03 * (p_hi - p_lo);
    Axis { lo: p_lo - pad, hi: p_hi, ticks: chosen.iter().map(|&r| (probit(r), rate_label(r))).collect(), desc }
}

/// Tick label of a rate: decades below 0.01 as `1e-3`, the others as decimals.
pub(crate) fn rate_label(rate: f64) -> String {
    if rate < 0.01 { format!("1e{}", rate.log10().round() as i32) } else { significant(rate, 3) }
}

/// The decade at or below `v`, and at most 0.01 (so an axis shows a few decades); 1e-4
/// when there is no rate.
fn lower_rate(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1e-4;
    }
    let mut k = v.max(1e-9).log10().floor();
    if 10f64.powf(k + 1.0) <= v * (1.0 + 1e-12) {
        k += 1.0;
    }
    10f64.powf(k).min(0.01)
}

/// The smallest of 0.5, 0.8, 0.95, 0.99, 0.999 at or above `v`.
fn upper_rate(v: f64) -> f64 {
    [0.5, 0.8, 0.95, 0.99].into_iter().find(|&u| v <= u).unwrap_or(0.999)
}

/// `k / n` when strictly between 0 and 1 (a probit axis can place it).
fn open_rate(k: u64, n: u64) -> Option<f64> {
    (n > 0 && k > 0 && k < n).then(|| k as f64 / n as f64)
}

// ---------------------------------------------------------------------------------------
// Axes and frames

/// One axis: its range in plotted units, its ticks (position, label) and its description.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
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
fn linear_axis(lo: f64, hi: f64, target: f64, desc: String) -> Axis {
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
fn log_axis(series: &[Vec<(f64, f64)>], desc: String) -> Axis {
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
fn rank_axis(ranks: &[f64], max_rank: f64, target: f64) -> Axis {
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
fn padded_span(values: impl Iterator<Item = f64>) -> (f64, f64) {
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
fn frame<'a, 'b>(area: &'a Area<'b>, x: &Axis, y: &Axis, x_labels: bool, y_label_w: u32) -> Drawn<Frame<'a, 'b>> {
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

// ---------------------------------------------------------------------------------------
// Groups: styles, series, legend

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
pub(crate) enum Marker {
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
pub(crate) struct GroupStyle {
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

fn draw_polyline(root: &Area, points: &[(i32, i32)], colour: RGBColor, dash: Option<(u32, u32)>) -> Drawn {
    if points.len() < 2 {
        return Ok(());
    }
    let style = colour.stroke_width(CURVE_WIDTH);
    match dash {
        None => root.draw(&PathElement::new(points.to_vec(), style)),
        Some((on, off)) => root.draw(&DashedPathElement::new(points.to_vec(), on, off, style)),
    }
}

fn draw_marker(root: &Area, (x, y): (i32, i32), s: &GroupStyle) -> Drawn {
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

/// Draw one group's series (plotted units) clipped to the chart, with markers: at every
/// visible point when there are at most 12 points, else six spread along the curve (offset
/// by group `index` so that markers of curves on top of each other do not coincide).
fn draw_series(root: &Area, chart: &Frame, points: &[(f64, f64)], style: &GroupStyle, index: usize) -> Drawn {
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
pub(crate) fn clip_polyline(points: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
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

/// A legend row: a group's line sample and marker, its name and an optional note below.
struct LegendEntry {
    label: String,
    note: Option<String>,
    style: GroupStyle,
}

impl LegendEntry {
    fn group(i: usize, name: &str, note: Option<String>) -> Self {
        LegendEntry { label: name.to_string(), note, style: GroupStyle::of(i) }
    }
}

/// Legend column width for these labels and notes.
fn legend_width<'s>(labels: impl Iterator<Item = &'s str>, notes: impl Iterator<Item = &'s str>) -> u32 {
    let widest =
        labels.map(|l| text_width(l, NORMAL)).chain(notes.map(|n| text_width(n, SMALL - 1))).fold(0.0, f64::max);
    (widest + 42.0 + 14.0).clamp(140.0, 280.0) as u32
}

fn draw_legend(root: &Area, x: i32, y: i32, height: i32, entries: &[LegendEntry]) -> Drawn {
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

// ---------------------------------------------------------------------------------------
// Heatmap cells and colour scale

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
pub(crate) fn fmr_colour(t: f64) -> RGBColor {
    let s = (1.0 - t.clamp(0.0, 1.0)) * (VIRIDIS.len() - 1) as f64;
    let i = (s.floor() as usize).min(VIRIDIS.len() - 2);
    let f = s - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Relative luminance (WCAG) of an sRGB colour.
pub(crate) fn luminance(c: RGBColor) -> f64 {
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

fn draw_cell(
    root: &Area,
    (x0, y0): (i32, i32),
    (w, h): (i32, i32),
    rate: Option<harness::rate::Rate>,
    (lo, hi): (f64, f64),
) -> Drawn {
    let centre = (x0 + w / 2, y0 + h / 2);
    let two_lines = h >= 38;
    let counts = |r: harness::rate::Rate| format!("{} of {}", thousands(r.numerator), thousands(r.denominator));
    match rate {
        None | Some(harness::rate::Rate { denominator: 0, .. }) => {
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

/// `n` with thousands separators: 41,000.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `v` to `digits` significant digits, trailing zeros dropped: 0.6, 0.5812, 1e-5 → 0.00001.
pub(crate) fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".to_string() } else { s }
}

#[cfg(test)]
#[path = "plots_tests.rs"]
mod tests;
