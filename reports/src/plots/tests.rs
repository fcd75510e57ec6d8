mod fixtures;

use super::axes::{Axis, linear_axis, rank_axis};
use super::heatmap::{fmr_colour, luminance};
use super::probit::{lower_rate, probit_axis, rate_label, upper_rate};
use super::series::clip_polyline;
use super::style::GroupStyle;
use super::*;
use fixtures::*;
use harness::model::analysis::Metric;
use harness::model::curves::{CurveGroup, Curves, ScoreHistograms};

// ---------------------------------------------------------------------------------------
// Probit and axes

#[test]
fn probit_matches_reference_values() {
    // Reference values: the normal quantile by bisection of mpmath's ncdf at 60 digits.
    let cases = [
        (0.001, -3.090_232_306_167_813_5),
        (0.975, 1.959_963_984_540_054_2),
        (1e-12, -7.034_483_825_301_132),
        (0.9, 1.281_551_565_544_600_5),
        (0.02, -2.053_748_910_631_823),
        (1e-300, -37.047_096_299_361_2),
        (0.3, -0.524_400_512_708_040_8),
        (0.075, -1.439_531_470_938_456),
    ];
    for (p, want) in cases {
        let got = probit(p);
        assert!((got - want).abs() <= 1e-14 * want.abs().max(1.0), "probit({p}) = {got}, want {want}");
    }
    assert_eq!(probit(0.5), 0.0);
    for p in [0.01, 0.125, 0.2, 0.49] {
        assert!((probit(p) + probit(1.0 - p)).abs() < 1e-12, "symmetry at {p}");
    }
    // 1 - 1e-9 is not exactly representable: symmetric to its rounding error.
    assert!((probit(1e-9) + probit(1.0 - 1e-9)).abs() < 1e-6);
    assert_eq!(probit(0.0), f64::NEG_INFINITY);
    assert_eq!(probit(1.0), f64::INFINITY);
    assert!(probit(-0.1).is_nan() && probit(1.5).is_nan() && probit(f64::NAN).is_nan());
}

#[test]
fn probit_axis_places_ticks_at_normal_deviates() {
    let axis = probit_axis(1e-5, 0.5, 12.0, "FMR".into());
    let labels: Vec<&str> = axis.ticks.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(labels, ["1e-5", "1e-4", "1e-3", "0.01", "0.05", "0.1", "0.2", "0.5"]);
    for (rate, label) in [(1e-3, "1e-3"), (0.01, "0.01"), (0.5, "0.5")] {
        let t = axis.ticks.iter().find(|t| t.1 == label).unwrap();
        assert_eq!(t.0, probit(rate));
    }
    assert!((axis.ticks.iter().find(|t| t.1 == "1e-3").unwrap().0 + 3.090_232_306_167_813_5).abs() < 1e-15);
    assert_eq!(axis.hi, 0.0);
    assert!(axis.lo < probit(1e-5), "a little room below the lowest tick");
    // Few ticks allowed: the decades and 0.5 win over the halves.
    let sparse = probit_axis(1e-6, 0.5, 5.0, String::new());
    let labels: Vec<&str> = sparse.ticks.iter().map(|t| t.1.as_str()).collect();
    assert!(labels.contains(&"1e-6") && labels.contains(&"0.5") && !labels.contains(&"0.05"), "{labels:?}");
}

#[test]
fn axis_helpers() {
    assert_eq!(lower_rate(0.0023), 1e-3);
    assert_eq!(lower_rate(0.001), 1e-3);
    assert_eq!(lower_rate(0.3), 0.01);
    assert_eq!(lower_rate(0.0), 1e-4);
    assert_eq!(upper_rate(0.3), 0.5);
    assert_eq!(upper_rate(0.9), 0.95);
    assert_eq!(upper_rate(1.0), 0.999);
    assert!(linear_axis(1.0, 1.0, 5.0, String::new()).ticks.is_empty());
    assert!(linear_axis(-f64::MAX, f64::MAX, 5.0, String::new()).ticks.is_empty());
    let a = linear_axis(0.0, 1.0, 5.0, String::new());
    let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    let labels = |a: Axis| a.ticks.iter().map(|t| t.1.clone()).collect::<Vec<_>>();
    assert_eq!(labels(rank_axis(&[1.0, 2.0, 3.0, 5.0, 10.0, 20.0], 20.0, 17.0)), ["1", "3", "5", "10", "20"]);
    let many: Vec<f64> = (1..=50).map(f64::from).collect();
    assert_eq!(labels(rank_axis(&many, 50.0, 8.0)), ["1", "10", "20", "30", "40", "50"]);
    assert_eq!(significant(0.6, 4), "0.6");
    assert_eq!(significant(0.581234, 4), "0.5812");
    assert_eq!(significant(-0.0, 4), "0");
    assert_eq!(thousands(41_000), "41,000");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(rate_label(1e-4), "1e-4");
    assert_eq!(rate_label(0.05), "0.05");
}

#[test]
fn clipping_keeps_the_visible_pieces() {
    let pieces = clip_polyline(&[(-1.0, 0.5), (0.5, 0.5), (0.5, 2.0), (0.7, 0.5)], (0.0, 1.0), (0.0, 1.0));
    assert_eq!(
        pieces,
        vec![vec![(0.0, 0.5), (0.5, 0.5), (0.5, 1.0)], vec![(0.5 + 0.2 * (2.0 / 3.0), 1.0), (0.7, 0.5)]]
    );
    assert!(clip_polyline(&[(2.0, 2.0), (3.0, 3.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    assert_eq!(clip_polyline(&[(0.5, 0.5)], (0.0, 1.0), (0.0, 1.0)), vec![vec![(0.5, 0.5)]]);
}

#[test]
fn twelve_groups_differ_without_colour() {
    let looks: Vec<_> =
        (0..12).map(|i| (GroupStyle::of(i).dash, GroupStyle::of(i).marker, GroupStyle::of(i).hollow)).collect();
    for i in 0..12 {
        for j in 0..i {
            assert_ne!(looks[i], looks[j], "groups {i} and {j}");
        }
    }
}

#[test]
fn heatmap_palette_darkens_as_fmr_rises() {
    let lum: Vec<f64> = (0..=20).map(|k| luminance(fmr_colour(f64::from(k) / 20.0))).collect();
    assert!(lum.windows(2).all(|w| w[1] < w[0]), "{lum:?}");
    assert!(lum[0] > 0.7 && lum[20] < 0.05);
}

// ---------------------------------------------------------------------------------------
// Figures

#[test]
fn det_curve_labels_axes_ticks_and_every_group() {
    let curves = demo_curves();
    let svg = det_curve(&curves, "sex×ethnicity");
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(
        &t,
        &[
            "DET curves (FNMR against FMR) by sex×ethnicity",
            "False match rate (FMR), probit scale",
            "False non-match rate (FNMR), probit scale",
            "1e-5",
            "1e-3",
            "0.01",
            "0.5",
            "female×Black",
            "male×White",
            "Groups",
        ],
    );
    for s in SEXES {
        for e in ETHNICITIES {
            assert!(has(&t, &format!("{s}×{e}")));
        }
    }
    assert!(!has(&t, "female"), "only the groups of the grouping asked for");
    // The x ticks are spaced by normal deviates, not by log10.
    let x = |l: &str| tick(&t, l, "middle").x;
    let ratio = (x("0.01") - x("1e-3")) / (x("0.1") - x("0.01"));
    let probit_ratio = (probit(0.01) - probit(1e-3)) / (probit(0.1) - probit(0.01));
    assert!((ratio - probit_ratio).abs() < 0.03, "{ratio} vs probit {probit_ratio} (log10 would give 1)");
    assert_eq!(svg, det_curve(&curves, "sex×ethnicity"), "deterministic");
}

#[test]
fn det_point_at_fmr_one_in_a_thousand_sits_on_its_tick() {
    let curves = Curves {
        gallery_size: Some(1000),
        rank: Some(1),
        false_positive: Metric::Fpir,
        false_negative: Metric::Fnir,
        thresholds: vec![0.5, 0.6],
        groups: vec![CurveGroup {
            grouping: "all".into(),
            group: "all".into(),
            non_mated: 10_000,
            mated: 100,
            false_positives: vec![10, 0],
            false_negatives: vec![10, 60],
        }],
    };
    let svg = det_curve(&curves, "all");
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(
        &t,
        &[
            "False positive identification rate (FPIR), probit scale",
            "1:N, gallery of 1,000 subjects, rank ≤ 1 · a rate of 0 cannot be drawn on a probit axis",
        ],
    );
    // FPIR 10/10,000 = 0.001 and FNIR 10/100 = 0.1: the one drawable point (FPIR 0 is dropped).
    let (tx, ty) = (tick(&t, "1e-3", "middle").x, tick(&t, "0.1", "end").y);
    let legend_x = t.iter().find(|x| x.text == "Groups").unwrap().x;
    let plotted: Vec<(f64, f64)> = circles(&svg).into_iter().filter(|c| c.0 < legend_x).collect();
    assert_eq!(plotted.len(), 2, "one marker (fill and edge): {plotted:?}");
    assert!(plotted.iter().all(|c| (c.0 - tx).abs() <= 1.0 && (c.1 - ty).abs() <= 1.0), "{plotted:?} vs ({tx}, {ty})");
}

#[test]
fn det_says_why_there_is_nothing_to_draw() {
    let mut curves = demo_curves();
    let svg = det_curve(&curves, "odd");
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(&t, &[AWKWARD, "no errors", "FMR or FNMR is 0 throughout"]);

    let svg = det_curve(&curves, "no such grouping");
    assert_clean(&svg);
    assert_has(&texts(&svg), &["No groups in grouping “no such grouping”"]);

    for g in &mut curves.groups {
        g.non_mated = 0;
        g.false_positives.iter_mut().for_each(|k| *k = 0);
    }
    let svg = det_curve(&curves, "sex");
    assert_clean(&svg);
    assert_has(&texts(&svg), &["No DET curve to draw: no non-mated trials", "no non-mated trials"]);

    curves.thresholds.clear();
    curves.groups.iter_mut().for_each(|g| {
        g.false_positives.clear();
        g.false_negatives.clear();
    });
    assert_clean(&det_curve(&curves, "sex"));
}

#[test]
fn xml_special_characters_in_group_names_survive() {
    let curves = demo_curves();
    for svg in [det_curve(&curves, "odd"), rates_against_threshold(&curves, "odd", &[0.6])] {
        assert!(svg.contains("Q&amp;A &lt;test&gt; ×"));
        assert!(has(&texts(&svg), AWKWARD));
    }
    let h = demo_histograms();
    let g = &h.groups[2];
    let (m, nm) = (g.mated.iter().sum::<u64>(), g.non_mated.iter().sum::<u64>());
    let caption = format!("{AWKWARD} — mated {} scored · non-mated {} scored", thousands(m), thousands(nm));
    assert!(has(&texts(&score_histograms(&h, "odd", &[])), &caption), "{caption}");
    assert!(has(&texts(&cmc_curve(&demo_cmc(), "sex", Some(1000))), AWKWARD));
    let cells = [cell("odd", AWKWARD, AWKWARD, 0.5, 1, 10)];
    assert!(has(&texts(&cross_group_heatmap(&cells, "odd", 0.5)), AWKWARD));
}

#[test]
fn rates_against_threshold_has_log_axes_and_labelled_marks() {
    let curves = demo_curves();
    let svg = rates_against_threshold(&curves, "sex", &[0.6, 0.62]);
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(
        &t,
        &[
            "FMR and FNMR against threshold by sex",
            "Threshold (score)",
            "FMR, log scale",
            "FNMR, log scale",
            "T = 0.6",
            "T = 0.62",
            "female",
            "male",
            "1e-3",
            "0.01",
            "0.1",
            "1",
        ],
    );
    // Decades equally spaced: a log10 axis (top panel's y ticks).
    let ys: Vec<f64> = ["1e-3", "0.01", "0.1"].iter().map(|l| tick(&t, l, "end").y).collect();
    assert!(((ys[0] - ys[1]) - (ys[1] - ys[2])).abs() <= 1.0, "{ys:?}");
    // Close marks do not print their labels on top of each other.
    let (a, b) = (tick(&t, "T = 0.6", "start"), tick(&t, "T = 0.62", "start"));
    assert!((a.y - b.y).abs() >= 10.0 || (a.x - b.x).abs() >= 60.0);
    assert_eq!(svg, rates_against_threshold(&curves, "sex", &[0.6, 0.62]));

    let svg = rates_against_threshold(&curves, "odd", &[]);
    assert_clean(&svg);
    let empty = rates_against_threshold(&curves, "none", &[f64::NAN]);
    assert_clean(&empty);
    assert_has(&texts(&empty), &["No groups in grouping “none”"]);
}

#[test]
fn heatmap_prints_each_cell_of_the_threshold_asked_for() {
    let cells = demo_cells();
    let svg = cross_group_heatmap(&cells, "sex×ethnicity", 0.6);
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(
        &t,
        &[
            "Cross-group false match rate (FMR) by sex×ethnicity",
            "log10 FMR",
            "Probe group",
            "Reference group",
            "0 false matches",
        ],
    );
    // Diagonal: 7(i+1) of 21,800.
    for i in 0..6u64 {
        let k = 7 * (i + 1);
        assert!(has(&t, &format!("{:.1e}", k as f64 / 21_800.0)), "cell value of {k}/21,800");
        assert!(has(&t, &format!("{k} of 21,800")));
    }
    assert!(has(&t, "3.2e-4") && has(&t, "0 of 21,800"));
    assert!(!has(&t, "5.0e-1"), "cells at threshold 0.7 are not drawn");
    // Row labels (the six probe groups); column labels may wrap at ×.
    for s in SEXES {
        for e in ETHNICITIES {
            assert!(has(&t, &format!("{s}×{e}")));
        }
    }
    assert_eq!(svg, cross_group_heatmap(&cells, "sex×ethnicity", 0.6));

    let svg = cross_group_heatmap(&cells, "sex", 0.6);
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(&t, &["3.2e-4", "7 of 21,800", "0 of 12,000", "1.7e-4", "no trials"]);

    let svg = cross_group_heatmap(&cells, "sex", 0.65);
    assert_clean(&svg);
    assert_has(&texts(&svg), &["No cross-group cells for grouping “sex” at threshold 0.65"]);
    assert_clean(&cross_group_heatmap(&[cell("all", "all", "all", 0.6, 0, 0)], "all", 0.6));
}

#[test]
fn score_histograms_show_proportions_per_group() {
    let h = demo_histograms();
    let svg = score_histograms(&h, "sex", &[]);
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(
        &t,
        &[
            "Score distributions by sex",
            "Proportion of trials per bin",
            "Score (similarity)",
            "Mated: mated comparison score",
            "Non-mated: non-mated comparison score",
        ],
    );
    let female = t.iter().find(|x| x.text.starts_with("female — ")).expect("female panel");
    let g = &h.groups[0];
    let (m, nm) = (g.mated.iter().sum::<u64>(), g.non_mated.iter().sum::<u64>());
    let want = format!("female — mated {} scored (+3 unscored) · non-mated {} scored", thousands(m), thousands(nm));
    assert_eq!(female.text, want);
    // Proportions: the non-mated peak bin holds 1/sum of the bell's weights ≈ 0.226.
    let weights: Vec<u64> =
        (0..40).map(|i| (50.0 * 100.0 * (-((i as f64 - 10.0) / 2.5).powi(2)).exp()).round() as u64).collect();
    let peak = weights[10] as f64 / weights.iter().sum::<u64>() as f64;
    assert!((peak - 0.226).abs() < 0.001, "{peak}");
    assert!(has(&t, "0.2"), "a proportion tick near the peak");
    assert_eq!(svg, score_histograms(&h, "sex", &[]));

    let svg = score_histograms(&h, "odd", &[]);
    assert_clean(&svg);
    assert_has(&texts(&svg), &["no scored trials"]);
    let mut broken = h.clone();
    broken.edges = vec![f64::NAN, 1.0];
    let svg = score_histograms(&broken, "sex", &[]);
    assert_clean(&svg);
    assert_has(&texts(&svg), &["No score bins (no finite scores)"]);
    assert_has(&texts(&score_histograms(&h, "none", &[])), &["No groups in grouping “none”"]);
}

/// Score names as the 1:N protocols give them: too long for the key to take one row.
fn long_key_histograms() -> ScoreHistograms {
    let mut h = demo_histograms();
    h.gallery_size = Some(1000);
    h.mated_score = "mate's score (mate within rank 20)".to_string();
    h.non_mated_score = "highest candidate score of a non-mated search".to_string();
    h
}

#[test]
fn histogram_key_stays_inside_the_figure() {
    // The key's lines: left-anchored at the label column, above the first panel.
    let key_lines = |svg: &str| -> Vec<SvgText> {
        let t = texts(svg);
        let first_panel = t.iter().find(|x| x.text.starts_with("female — ")).expect("female panel").y;
        t.into_iter().filter(|x| x.anchor == "start" && x.y < first_panel && x.text != "Groups").collect()
    };
    let mut h = long_key_histograms();
    let svg = score_histograms(&h, "sex", &[]);
    assert_clean(&svg);
    let lines = key_lines(&svg);
    let labels: Vec<&str> = lines.iter().map(|x| x.text.as_str()).collect();
    assert_eq!(
        labels,
        ["Mated: mate's score (mate within rank 20)", "Non-mated: highest candidate score of a non-mated search"],
        "one entry a row"
    );
    assert!(lines[1].y > lines[0].y && lines[0].x == lines[1].x, "{lines:?}");
    for x in &lines {
        assert!(x.x + text_width(&x.text, NORMAL) <= f64::from(WIDTH), "{x:?} runs past the edge");
    }

    // A label wider than the figure wraps over several rows, every word kept.
    let long = "highest candidate score of a non-mated search, over every gallery and every rank";
    h.non_mated_score = format!("{long}; {long}");
    let svg = score_histograms(&h, "sex", &[]);
    assert_clean(&svg);
    let lines = key_lines(&svg);
    assert!(lines.len() >= 3, "{lines:?}");
    let joined = lines[1..].iter().map(|x| x.text.as_str()).collect::<Vec<_>>().join(" ");
    assert_eq!(joined, format!("Non-mated: {}", h.non_mated_score));
    for x in &lines {
        assert!(x.x + text_width(&x.text, NORMAL) <= f64::from(WIDTH), "{x:?} runs past the edge");
    }
    let t = texts(&svg);
    let panel = t.iter().find(|x| x.text.starts_with("female — ")).unwrap();
    assert!(panel.y > lines.last().unwrap().y + 12.0, "the panels sit under the key");

    assert_eq!(wrap_words("a bb ccc", 1000, NORMAL), ["a bb ccc"]);
    assert_eq!(wrap_words("aaaaaaaaaa", 30, NORMAL), ["aaaa", "aaaa", "aa"]);
    assert_eq!(wrap_words("", 30, NORMAL), [""]);
}

#[test]
fn cmc_draws_ranks_of_one_gallery_size() {
    let rows = demo_cmc();
    let svg = cmc_curve(&rows, "sex", Some(1000));
    assert_clean(&svg);
    let t = texts(&svg);
    assert_has(
        &t,
        &[
            "Cumulative match characteristic (CMC) by sex",
            "Rank R (position in the candidate list)",
            "Identification rate (CMC)",
            "female",
            "male",
            "1",
            "20",
            "1,000 mated searches",
        ],
    );
    // Rates from 0.848 to 0.98: zoomed, and said so.
    assert!(t.iter().any(|x| x.text.contains("y axis starts at 0.8")), "zoom stated");
    // One marker per rank (fill and edge) for each of the three groups' six ranks.
    let legend_x = t.iter().find(|x| x.text == "Groups").unwrap().x;
    let in_plot = circles(&svg).into_iter().filter(|c| c.0 < legend_x).count();
    assert_eq!(in_plot, 2 * 6, "circle markers are group 0's only");
    let other = cmc_curve(&rows, "sex", Some(10_000));
    assert_ne!(svg, other);
    assert!(!texts(&other).iter().any(|x| x.text.contains("starts at")), "rates near 0.45: not zoomed");
    assert_eq!(svg, cmc_curve(&rows, "sex", Some(1000)));

    let single = [cmc_row("all", "all", None, 1, 5, 10)];
    assert_clean(&cmc_curve(&single, "all", None));
    let undefined = [cmc_row("all", "all", None, 1, 0, 0)];
    let svg = cmc_curve(&undefined, "all", None);
    assert_clean(&svg);
    assert_has(&texts(&svg), &["No mated searches: CMC undefined"]);
    assert_has(&texts(&cmc_curve(&rows, "sex", None)), &["No CMC rows for grouping “sex” at this gallery size"]);
}

/// Writes one figure of each kind to `$VERITY_PLOTS_DIR` (when set) to look at.
#[test]
fn write_examples() {
    let Some(dir) = std::env::var_os("VERITY_PLOTS_DIR") else { return };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let curves = demo_curves();
    let figures = [
        ("det", det_curve(&curves, "sex×ethnicity")),
        ("det_sex", det_curve(&curves, "sex")),
        ("det_empty", det_curve(&curves, "odd")),
        ("rates", rates_against_threshold(&curves, "sex×ethnicity", &[0.6, 0.62])),
        ("heatmap", cross_group_heatmap(&demo_cells(), "sex×ethnicity", 0.6)),
        ("heatmap_sex", cross_group_heatmap(&demo_cells(), "sex", 0.6)),
        ("histograms", score_histograms(&demo_histograms(), "sex", &[])),
        ("histograms_odd", score_histograms(&demo_histograms(), "odd", &[])),
        ("histograms_long_key", score_histograms(&long_key_histograms(), "sex", &[])),
        ("cmc", cmc_curve(&demo_cmc(), "sex", Some(1000))),
    ];
    let mut twelve = demo_curves();
    twelve.groups =
        (0..12).map(|i| curve_group("twelve", &format!("group {i}"), 100_000, 1_000, 0.01 * i as f64)).collect();
    let figures = figures.into_iter().chain([("det_twelve", det_curve(&twelve, "twelve"))]);
    for (name, svg) in figures {
        std::fs::write(dir.join(format!("{name}.svg")), svg).unwrap();
    }
}

#[test]
fn histogram_marks_the_threshold_inside_the_score_range() {
    let h = demo_histograms();
    let (lo, hi) = (h.edges[0], h.edges[h.edges.len() - 1]);
    let inside = (lo + hi) / 2.0;
    let svg = score_histograms(&h, "sex", &[inside, hi + 1.0]);
    roxmltree::Document::parse(&svg).unwrap();
    let t = texts(&svg);
    assert!(has(&t, &format!("T = {}", super::significant(inside, 4))), "{t:?}");
    assert!(!has(&t, &format!("T = {}", super::significant(hi + 1.0, 4))), "a mark outside the range is not drawn");
}

/// The 2-point polylines drawn at opacity 0.85 (the whiskers), as pixel end points.
fn whiskers(svg: &str) -> Vec<((f64, f64), (f64, f64))> {
    let doc = roxmltree::Document::parse(svg).expect("valid XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("opacity") == Some("0.85"))
        .filter_map(|n| {
            let p: Vec<(f64, f64)> = n
                .attribute("points")?
                .split_whitespace()
                .filter_map(|xy| xy.split_once(',').and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?))))
                .collect();
            (p.len() == 2).then(|| (p[0], p[1]))
        })
        .collect()
}

#[test]
fn rates_whiskers_span_the_bootstrap_interval_at_the_evaluated_threshold() {
    let curves = demo_curves();
    let point = BandPoint {
        threshold: 0.6,
        false_positive: Some((3e-3, (1e-3, 1e-2))),
        false_negative: Some((0.03, (0.01, 0.1))),
    };
    let extras = CurveExtras { bands: vec![("female".into(), vec![point])], operating: None };
    let svg = rates_against_threshold_with(&curves, "sex", &[0.6], &extras);
    assert_clean(&svg);
    let t = texts(&svg);
    // Each panel's decade: the y distance between its ticks 0.01 and 0.1 (top panel first).
    let at =
        |label: &str| -> Vec<f64> { t.iter().filter(|x| x.text == label && x.anchor == "end").map(|x| x.y).collect() };
    let (hundredth, tenth) = (at("0.01"), at("0.1"));
    let decades: Vec<f64> = hundredth.iter().zip(&tenth).map(|(a, b)| a - b).collect();
    assert_eq!(decades.len(), 2);
    let x = tick(&t, "0.6", "middle").x;
    // Two vertical whiskers (top, then bottom panel), each one decade of its panel long, at
    // x = 0.6, with caps.
    let vertical: Vec<_> = whiskers(&svg).into_iter().filter(|(a, b)| a.0 == b.0 && a.1 != b.1).collect();
    assert_eq!(vertical.len(), 2, "{vertical:?}");
    for ((a, b), decade) in vertical.iter().zip(&decades) {
        assert!((a.0 - x).abs() <= 1.0, "whisker at x {} not at the tick 0.6 ({x})", a.0);
        assert!(((a.1 - b.1).abs() - decade).abs() <= 1.5, "length {} vs a decade {decade}", (a.1 - b.1).abs());
    }
    let caps = whiskers(&svg).into_iter().filter(|(a, b)| a.1 == b.1 && (b.0 - a.0).abs() == 6.0).count();
    assert_eq!(caps, 4);
    // Without bands the figure is the plain one.
    assert_eq!(
        rates_against_threshold_with(&curves, "sex", &[0.6], &CurveExtras::default()),
        rates_against_threshold(&curves, "sex", &[0.6])
    );
    assert!(whiskers(&rates_against_threshold(&curves, "sex", &[0.6])).is_empty());
}

#[test]
fn det_whiskers_cross_at_the_point_and_the_operating_point_is_ringed() {
    let curves = demo_curves();
    let g = curves.groups.iter().find(|g| g.grouping == "sex" && g.group == "female").unwrap();
    let k = (0..curves.thresholds.len())
        .find(|&k| {
            let (fp, fne) =
                (g.false_positives[k] as f64 / g.non_mated as f64, g.false_negatives[k] as f64 / g.mated as f64);
            (1e-3..0.01).contains(&fp) && fne > 0.01 && fne < 0.2
        })
        .expect("a point inside the axes");
    let (fp, fne) = (g.false_positives[k] as f64 / g.non_mated as f64, g.false_negatives[k] as f64 / g.mated as f64);
    let point = BandPoint {
        threshold: curves.thresholds[k],
        false_positive: Some((fp, (fp / 2.0, fp * 2.0))),
        false_negative: Some((fne, (fne / 2.0, (fne * 2.0).min(0.4)))),
    };
    let extras = CurveExtras { bands: vec![("female".into(), vec![point])], operating: Some(curves.thresholds[k]) };
    let svg = det_curve_with(&curves, "sex", &extras);
    assert_clean(&svg);
    let t = texts(&svg);
    let (x3, x2) = (tick(&t, "1e-3", "middle").x, tick(&t, "0.01", "middle").x);
    let px = |r: f64| x3 + (probit(r) - probit(1e-3)) / (probit(0.01) - probit(1e-3)) * (x2 - x3);
    let w = whiskers(&svg);
    let across = w.iter().find(|(a, b)| a.1 == b.1 && (b.0 - a.0).abs() > 6.0).expect("a horizontal whisker");
    assert!((across.0.0 - px(fp / 2.0)).abs() <= 1.5 && (across.1.0 - px(fp * 2.0)).abs() <= 1.5, "{across:?}");
    let up = w.iter().find(|(a, b)| a.0 == b.0 && (b.1 - a.1).abs() > 6.0).expect("a vertical whisker");
    assert!((up.0.0 - px(fp)).abs() <= 1.5, "the vertical whisker stands on the point: {up:?} vs {}", px(fp));
    // Every group of the grouping with a drawable point at the operating threshold gets a ring.
    let rings = svg.matches("r=\"8\"").count();
    assert_eq!(rings, 2 * 2, "two circles (black and colour) for each of female and male");
    let ring = circles(&svg).into_iter().find(|c| (c.0 - px(fp)).abs() <= 1.5);
    assert!(ring.is_some(), "a ring at female's operating point");
    assert_eq!(det_curve_with(&curves, "sex", &CurveExtras::default()), det_curve(&curves, "sex"));
}
