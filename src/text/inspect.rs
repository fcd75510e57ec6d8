//! `verity inspect` on a terminal: counts per group and intersection, detectability,
//! image properties, laid out as fixed-width tables (numbers by `reports::format` where
//! the documents show the same figure).

use datasets::inspect::{Detectability, ImageReport, InspectOptions, Inspection, ProtocolCounts, Spread};
use std::fmt::Write as _;

const DEFAULTS: datasets::inspect::ExpectedRates = datasets::inspect::ExpectedRates::DEFAULT;

/// Columns padded to their widest cell; the first column left-aligned, the rest right.
fn table(header: &[&str], rows: &[Vec<String>], indent: &str) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = indent.to_string();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - c.chars().count();
            if i == 0 {
                out += &format!("{c}{}", " ".repeat(pad));
            } else {
                out += &format!("  {}{c}", " ".repeat(pad));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out
}

fn ratio(d: &Detectability) -> String {
    let flag = if d.enough || d.trials == 0 || d.compared_with.is_none() { "" } else { " !" };
    match d.minimum_detectable_ratio {
        Some(r) if d.method == Some("arcsine-approximation") => format!("{r:.2}~{flag}"),
        Some(r) => format!("{r:.2}{flag}"),
        None if d.trials == 0 || d.compared_with.is_none() => "-".into(),
        None => format!("none{flag}"),
    }
}

fn sizes(v: &Option<Vec<u64>>) -> String {
    v.as_ref().map(|v| v.iter().map(u64::to_string).collect::<Vec<_>>().join("/")).unwrap_or_default()
}

/// The per-group table of one protocol. With `detectability`, the minimum detectable
/// ratio columns too.
pub fn render_protocol(p: &ProtocolCounts, detectability: bool) -> String {
    let mut out = String::new();
    let t = &p.totals;
    let extra = match (&p.gallery_sizes, p.candidates) {
        (Some(s), Some(l)) => format!(", gallery sizes {s:?}, L = {l}"),
        _ => String::new(),
    };
    let (mated, non_mated) = match p.kind {
        "verification" => ("mated pairs", "non-mated pairs"),
        "watchlist" => ("passes", "crowd faces"),
        _ => ("mated searches", "non-mated searches"),
    };
    let _ = writeln!(
        out,
        "protocol `{}` ({}{extra}): {} subjects, {} {mated}, {} {non_mated}",
        p.name, p.kind, t.subjects, t.mated, t.non_mated
    );
    for g in &p.groupings {
        let mut header = vec![g.grouping.as_str(), "subjects", mated];
        match p.kind {
            "verification" => header.extend(["non-mated (same group)", "non-mated (to other groups)"]),
            _ => header.push(non_mated),
        }
        if p.gallery_sizes.is_some() {
            header.push("gallery subjects per size");
        }
        if p.kind == "identification" {
            header.push("mated per size");
        }
        let (fnr, fpr) = if p.kind == "verification" { ("MDR FNMR", "MDR FMR") } else { ("MDR FNIR", "MDR FPIR") };
        if detectability {
            header.extend([fnr, fpr]);
        }
        let rows: Vec<Vec<String>> = g
            .groups
            .iter()
            .map(|r| {
                let c = &r.counts;
                let mut row =
                    vec![r.group.clone(), c.subjects.to_string(), c.mated.to_string(), c.non_mated.to_string()];
                if let Some(x) = c.non_mated_cross_group {
                    row.push(x.to_string());
                }
                if p.gallery_sizes.is_some() {
                    row.push(sizes(&c.gallery_subjects));
                }
                if p.kind == "identification" {
                    row.push(sizes(&c.mated_per_gallery_size));
                }
                if detectability {
                    row.extend([ratio(&r.false_negative), ratio(&r.false_positive)]);
                }
                row
            })
            .collect();
        out += &table(&header, &rows, "  ");
    }
    out
}

fn spread(s: &Option<Spread>, digits: usize) -> String {
    match s {
        Some(s) => format!("{:.digits$} [{:.digits$}-{:.digits$}]", s.median, s.q1, s.q3),
        None => "-".into(),
    }
}

fn render_images(r: &ImageReport) -> String {
    let mut out = format!("\nImage properties: {}\n", r.note);
    if r.status != "measured" {
        return out;
    }
    let _ = writeln!(
        out,
        "  median [interquartile range]; brightness = mean luma 0-255, sharpness = variance of the Laplacian;\n  \
         flagged (*) when a group's median is apart from that of more than half of the other groups: brightness by \
         more than {}, sharpness by more than {} times",
        r.brightness_margin, r.sharpness_ratio
    );
    for g in &r.groupings {
        let header = [g.grouping.as_str(), "images", "unreadable", "width", "height", "brightness", "sharpness"];
        let rows: Vec<Vec<String>> = g
            .groups
            .iter()
            .map(|x| {
                let mark = |f: bool| if f { " *" } else { "" };
                vec![
                    x.group.clone(),
                    x.images.to_string(),
                    x.unreadable.to_string(),
                    spread(&x.width, 0),
                    spread(&x.height, 0),
                    spread(&x.brightness, 1) + mark(x.brightness_flag),
                    spread(&x.sharpness, 1) + mark(x.sharpness_flag),
                ]
            })
            .collect();
        out += &table(&header, &rows, "  ");
    }
    if !r.unreadable_samples.is_empty() {
        out += "  unreadable:\n";
        for u in &r.unreadable_samples {
            let _ = writeln!(out, "    {} (sample {}, subject {}): {}", u.path, u.sample_id, u.subject_id, u.error);
        }
    }
    out
}

pub fn render(i: &Inspection, options: &InspectOptions) -> String {
    let b = &i.benchmark;
    let mut out = format!(
        "Benchmark {} v{} ({}), hash {}\n{} subjects, {} samples; media: {}\n",
        b.name, b.version, b.licence, b.content_hash, b.subjects, b.samples, b.media
    );
    if let Some(key) = &b.no_identities {
        let _ = writeln!(out, "no subject identities ({key}): attribute-only; no identity protocols");
    }
    let labels: Vec<String> = i.provenance.iter().map(|p| format!("{} {}", p.attribute, p.provenance)).collect();
    let _ = writeln!(
        out,
        "label provenance: {}",
        if labels.is_empty() { "no attributes".into() } else { labels.join(", ") }
    );

    out += "\nSubjects and samples per group\n";
    for g in &i.population {
        let rows: Vec<Vec<String>> = g
            .groups
            .iter()
            .map(|r| {
                vec![
                    r.group.clone(),
                    r.subjects.to_string(),
                    r.samples.to_string(),
                    r.single_sample_subjects.to_string(),
                ]
            })
            .collect();
        out += &table(&[g.grouping.as_str(), "subjects", "samples", "with one sample"], &rows, "  ");
    }

    let s = &i.settings;
    let e = &s.expected_rates;
    let stated = |v: f64, d: f64| if v == d { " (default)" } else { "" };
    let _ = write!(
        out,
        "\nTrials per group and the minimum detectable ratio (MDR) of each group's error rate, {}, alpha {}, power {}, \
         at expected FMR {}{}, FNMR {}{}, FPIR {}{}, FNIR {}{} (--expected-fmr/--expected-fnmr/--expected-fpir/--expected-fnir).\n\
         '!' marks an MDR above {} (the group cannot show a {}x differential); '~' an arcsine approximation.\n",
        s.test,
        s.alpha,
        s.power,
        e.fmr,
        stated(e.fmr, DEFAULTS.fmr),
        e.fnmr,
        stated(e.fnmr, DEFAULTS.fnmr),
        e.fpir,
        stated(e.fpir, DEFAULTS.fpir),
        e.fnir,
        stated(e.fnir, DEFAULTS.fnir),
        options.ratio,
        options.ratio
    );
    if i.protocols.is_empty() {
        out += "  no protocols (add some with `verity protocol`)\n";
    }
    for p in &i.protocols {
        out += "\n";
        out += &render_protocol(p, true);
    }
    out += &render_images(&i.images);
    if i.warnings.is_empty() {
        out += "\nNo warnings.\n";
    } else {
        let _ = writeln!(out, "\nWarnings ({}):", i.warnings.len());
        for w in &i.warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    out
}
