//! The scorecard as a document (HTML and Markdown), as a CSV table, and as the plain
//! ranked table the command line prints.

use super::evaluate::{BidScore, GateResult, Scorecard, Standing};
use super::measure::Measured;
use super::rubric::{Condition, PriceFormula};
use crate::ReportError;
use crate::atomic::StagedDir;
use crate::document::{Block, Cell, Document, Mark, Table};
use crate::format::{as_written, percent, points, price};
use crate::output::frame::{self, Kind};
use std::path::Path;

/// File names in the scorecard's output folder.
pub mod layout {
    pub const HTML: &str = "scorecard.html";
    pub const MARKDOWN: &str = "scorecard.md";
    pub const CSV: &str = "scorecard.csv";
}

/// Write `DIR/scorecard.html`, `scorecard.md` and `scorecard.csv`, all or nothing
/// (staged, then moved into `dir`); other files in `dir` are left alone. `sources` are
/// the SHA-256 of the results scored ([`crate::output::json::digest`]), recorded in the folder's
/// outputs manifest.
pub fn write_scorecard(dir: &Path, card: &Scorecard, sources: Vec<String>) -> Result<(), ReportError> {
    let doc = to_document(card);
    let csv = csv_table(card)?;
    let staged = StagedDir::create(dir)?;
    csv.write_csv(&staged.path(Path::new(layout::CSV))?)?;
    crate::atomic::write_bytes(&staged.path(Path::new(layout::MARKDOWN))?, doc.to_markdown().as_bytes())?;
    crate::atomic::write_bytes(&staged.path(Path::new(layout::HTML))?, doc.to_html().as_bytes())?;
    Ok(staged.commit(&[layout::HTML], &storage::outputs::Owner::new("scorecard", sources))?)
}

fn value_text(m: &Measured, v: Option<f64>) -> String {
    match v {
        None => "undefined".into(),
        Some(v) if m.proportion => percent(v),
        Some(v) => as_written((v * 1e4).round() / 1e4),
    }
}

fn limit_text(g: &GateResult, proportion: bool) -> String {
    match g.condition {
        Condition::Max(x) if proportion => format!("≤ {} ({})", percent(x), as_written(x)),
        Condition::Min(x) if proportion => format!("≥ {} ({})", percent(x), as_written(x)),
        c => c.describe(),
    }
}

fn gates_cell(b: &BidScore) -> Cell {
    if b.gates.is_empty() {
        return Cell::plain("no gates");
    }
    let failed = b.failed_gates();
    if failed.is_empty() {
        Cell::marked("all passed", Mark::Pass)
    } else {
        Cell::marked(
            format!("fails {}", failed.iter().map(|g| g.id.as_str()).collect::<Vec<_>>().join(", ")),
            Mark::Fail,
        )
    }
}

/// The scorecard as a document.
pub fn to_document(card: &Scorecard) -> Document {
    let r = &card.rubric;
    let mut doc = Document::new(format!("Scorecard: {}", r.name));
    if let Some(d) = &r.description {
        doc.paragraph(d.clone());
    }
    doc.paragraph(format!(
        "Quality {} points, price {} points. Every number below is read from the runs' results.json; where it came from is listed with it.",
        as_written(r.quality_weight),
        as_written(r.price_weight)
    ));

    doc.heading(2, "Ranking");
    doc.table(ranking_table(card));
    doc.heading(2, "Why this ranking");
    for p in why(card) {
        doc.paragraph(p);
    }

    doc.heading(2, "Gates");
    if r.gates.is_empty() {
        doc.paragraph("The rubric has no gates.");
    } else {
        let mut rows = Vec::new();
        for b in &card.bids {
            for g in &b.gates {
                rows.push(vec![
                    Cell::plain(b.vendor.clone()),
                    Cell::plain(format!("{} — {}", g.id, g.name)),
                    Cell::plain(g.measured.text.clone()),
                    Cell::plain(value_text(&g.measured, g.shown_value)),
                    Cell::plain(limit_text(g, g.measured.proportion)),
                    if g.pass { Cell::marked("pass", Mark::Pass) } else { Cell::marked("FAIL", Mark::Fail) },
                    Cell::plain(g.detail.clone().unwrap_or_default()),
                ]);
            }
        }
        doc.table(Table {
            header: ["vendor", "gate", "measured (counts, where)", "value", "limit", "result", "detail"]
                .map(String::from)
                .to_vec(),
            rows,
            note: Some(
                "A bid failing any gate is excluded and ranked below every passing bid, whatever its points.".into(),
            ),
        });
    }

    doc.heading(2, "How each score was derived");
    for b in &card.bids {
        bid_section(&mut doc, card, b);
    }

    doc.heading(2, "The rubric");
    doc.push(Block::List(rubric_in_words(card)));
    doc.table(Table {
        header: vec!["vendor".into(), "bid price".into()],
        rows: r.bids.iter().map(|b| vec![Cell::plain(b.vendor.clone()), Cell::plain(price(b.price))]).collect(),
        note: None,
    });

    doc.heading(2, "Inputs");
    let mut inputs = vec![format!("Rubric: {}", r.path.display())];
    for run in &card.runs {
        inputs.push(format!(
            "Run {}: benchmark {} (content hash {}), vendors {}; intervals at {}% confidence, tests at alpha {}",
            run.label,
            run.benchmark,
            run.benchmark_hash,
            run.vendors.join(", "),
            as_written(run.confidence * 100.0),
            as_written(run.alpha)
        ));
    }
    for p in &card.protocols {
        inputs.push(format!("Protocol `{}`: trial-list hash {} (runs: {})", p.protocol, p.hash, p.runs.join(", ")));
    }
    doc.push(Block::List(inputs));
    let commands: Vec<String> = card.runs.iter().map(|r| r.command.clone()).filter(|c| !c.is_empty()).collect();
    if !commands.is_empty() {
        doc.paragraph("The runs are reproduced by:");
        doc.push(Block::Code(commands.join("\n")));
    }
    doc
}

fn ranking_table(card: &Scorecard) -> Table {
    let r = &card.rubric;
    let rows = card
        .bids
        .iter()
        .map(|b| {
            let rank = match &b.standing {
                Standing::Ranked(_) => Cell::plain(b.standing.text()),
                Standing::Excluded { .. } => Cell::marked(b.standing.text(), Mark::Fail),
            };
            vec![
                rank,
                Cell::plain(format!("{} {}", b.vendor, b.version)),
                gates_cell(b),
                Cell::plain(points(b.quality_points)),
                Cell::plain(points(b.price_points)),
                Cell::plain(points(b.total)),
            ]
        })
        .collect();
    Table {
        header: vec![
            "rank".into(),
            "vendor".into(),
            "gates".into(),
            format!("quality (of {})", as_written(r.quality_weight)),
            format!("price (of {})", as_written(r.price_weight)),
            "total (of 100)".into(),
        ],
        rows,
        note: Some("Equal totals share a rank. Bids failing a gate are listed last, unranked.".into()),
    }
}

fn bid_section(doc: &mut Document, card: &Scorecard, b: &BidScore) {
    let r = &card.rubric;
    doc.heading(3, format!("{} {} — {}, total {}", b.vendor, b.version, standing_words(&b.standing), points(b.total)));
    let mut rows = Vec::new();
    for c in &b.criteria {
        let scoring = r.criteria.iter().find(|x| x.id == c.id).map(|x| x.scoring.describe()).unwrap_or_default();
        let fraction = if c.by_undefined_rule {
            format!("{:.3} (undefined: rubric's if_undefined)", c.fraction)
        } else {
            format!("{:.3}", c.fraction)
        };
        rows.push(vec![
            Cell::plain(format!("{} — {}", c.id, c.name)),
            Cell::plain(c.measured.text.clone()),
            Cell::plain(value_text(&c.measured, c.measured.value)),
            Cell::plain(scoring),
            Cell::plain(fraction),
            Cell::plain(format!("{} of {}", points(c.points), as_written(c.weight))),
            Cell::plain(format!("{:.2}", c.weighted)),
        ]);
    }
    rows.push(vec![
        Cell::plain("quality subtotal"),
        Cell::plain(""),
        Cell::plain(""),
        Cell::plain(format!("sum of points × {} / 100", as_written(r.quality_weight))),
        Cell::plain(""),
        Cell::plain(format!("{} of 100", points(b.criteria.iter().map(|c| c.points).sum()))),
        Cell::plain(format!("{:.2}", b.quality_points)),
    ]);
    rows.push(vec![
        Cell::plain("price"),
        Cell::plain(format!("bid {}; lowest compared {}", price(b.price), price(card.lowest_price))),
        Cell::plain(price(b.price)),
        Cell::plain(price_formula_words(r.price_formula, r.price_weight)),
        Cell::plain(format!("{:.3}", if r.price_weight > 0.0 { b.price_points / r.price_weight } else { 0.0 })),
        Cell::plain(""),
        Cell::plain(format!("{:.2}", b.price_points)),
    ]);
    rows.push(vec![
        Cell::plain("total"),
        Cell::plain(""),
        Cell::plain(""),
        Cell::plain("quality + price"),
        Cell::plain(""),
        Cell::plain(""),
        Cell::plain(format!("{:.2}", b.total)),
    ]);
    doc.table(Table {
        header: vec![
            "criterion".into(),
            "measured (counts, where)".into(),
            "value".into(),
            "scoring".into(),
            "fraction".into(),
            "points".into(),
            format!("of {}+{}", as_written(r.quality_weight), as_written(r.price_weight)),
        ],
        rows,
        note: None,
    });
    let mut sources: Vec<String> = b.criteria.iter().map(|c| format!("{}: {}", c.id, c.measured.source)).collect();
    sources.extend(b.gates.iter().map(|g| format!("gate {}: {}", g.id, g.measured.source)));
    doc.paragraph(format!("Where each number was read (run {}):", b.run));
    doc.push(Block::List(sources));
}

fn standing_words(s: &Standing) -> String {
    match s {
        Standing::Ranked(r) => format!("rank {r}"),
        Standing::Excluded { failed } => format!("excluded (fails gate {})", failed.join(", ")),
    }
}

fn price_formula_words(f: PriceFormula, weight: f64) -> String {
    match f {
        PriceFormula::LowestPrice => format!("{} × lowest price / bid price", as_written(weight)),
        PriceFormula::Linear => format!("{} × max(0, 1 − (bid − lowest) / lowest)", as_written(weight)),
    }
}

fn rubric_in_words(card: &Scorecard) -> Vec<String> {
    let r = &card.rubric;
    let mut out = vec![format!(
        "Quality {} points and price {} points (quality:price {}:{}); total out of 100.",
        as_written(r.quality_weight),
        as_written(r.price_weight),
        as_written(r.quality_weight),
        as_written(r.price_weight)
    )];
    let lowest = if card.lowest_among_passing {
        "the lowest price among the bids that pass every gate"
    } else {
        "the lowest price of all bids (no bid passes every gate)"
    };
    out.push(format!(
        "Price ({} formula): price points = {}, the lowest price being {lowest} ({}).",
        r.price_formula.name(),
        price_formula_words(r.price_formula, r.price_weight),
        price(card.lowest_price)
    ));
    out.push(format!(
        "Quality: each criterion's weight is out of 100 (the weights sum to 100); a criterion earns weight × fraction points, and the quality points are the sum × {} / 100.",
        as_written(r.quality_weight)
    ));
    for c in &r.criteria {
        let undefined = c
            .if_undefined
            .map(|f| format!(" An undefined value earns {} of the weight.", as_written(f)))
            .unwrap_or_else(|| " An undefined value is an error.".into());
        out.push(format!(
            "Criterion {} — {}: weight {} (up to {} of the {} quality points). Measures {}. Scoring {}.{undefined}",
            c.id,
            c.name,
            as_written(c.weight),
            points(c.weight * r.quality_weight / 100.0),
            as_written(r.quality_weight),
            c.measure.describe(),
            c.scoring.describe()
        ));
    }
    for g in &r.gates {
        let undefined = match g.if_undefined {
            Some(true) => " An undefined value passes.",
            Some(false) => " An undefined value fails.",
            None => " An undefined value is an error.",
        };
        let rule = match g.condition {
            Condition::NoSignificantDifferential => "must be 0 (no group significantly higher)".to_string(),
            c => format!("must be {}", c.describe()),
        };
        let each = match &g.measure {
            super::rubric::Measure::Rate(r) if r.group == super::rubric::GroupSelect::Each => {
                " for every group with trials"
            }
            _ => "",
        };
        out.push(format!(
            "Gate {} — {}: {} {rule}{each}. A bid that fails is excluded whatever its points.{undefined}",
            g.id,
            g.name,
            g.measure.describe(),
        ));
    }
    out
}

/// A few sentences generated from the numbers: who wins and by how much, where the
/// runners-up lost points, and which bids fail which gate.
pub fn why(card: &Scorecard) -> Vec<String> {
    let ranked: Vec<&BidScore> = card.bids.iter().filter(|b| matches!(b.standing, Standing::Ranked(_))).collect();
    let excluded: Vec<&BidScore> =
        card.bids.iter().filter(|b| matches!(b.standing, Standing::Excluded { .. })).collect();
    let r = &card.rubric;
    let mut out = Vec::new();
    let parts = |b: &BidScore| {
        format!(
            "quality {} of {}, price {} of {}",
            points(b.quality_points),
            as_written(r.quality_weight),
            points(b.price_points),
            as_written(r.price_weight)
        )
    };
    if ranked.is_empty() {
        out.push("No bid passes every gate, so no bid is ranked.".to_string());
    } else {
        let first: Vec<&&BidScore> = ranked.iter().filter(|b| b.standing == Standing::Ranked(1)).collect();
        let leader = first[0];
        if first.len() == 1 {
            out.push(format!(
                "{} ranks first with {} of 100 points ({}).",
                leader.vendor,
                points(leader.total),
                parts(leader)
            ));
        } else {
            let names: Vec<&str> = first.iter().map(|b| b.vendor.as_str()).collect();
            out.push(format!("{} share first place with {} points each.", names.join(" and "), points(leader.total)));
        }
        for b in ranked.iter().filter(|b| b.standing != Standing::Ranked(1)) {
            let dq = b.quality_points - leader.quality_points;
            let dp = b.price_points - leader.price_points;
            let mut s = format!(
                "{} is {} with {} ({}), {} behind {}: ",
                b.vendor,
                match b.standing {
                    Standing::Ranked(n) => ordinal(n),
                    Standing::Excluded { .. } => unreachable!("ranked bids only"),
                },
                points(b.total),
                parts(b),
                points(leader.total - b.total),
                leader.vendor
            );
            s.push_str(&format!("{} on quality and {} on price", signed(dq), signed(dp)));
            // The criterion where it lost most against the leader.
            let lost = b
                .criteria
                .iter()
                .zip(&leader.criteria)
                .map(|(x, l)| (x, l, l.weighted - x.weighted))
                .filter(|(_, _, d)| *d > 0.05)
                .max_by(|a, c| a.2.total_cmp(&c.2));
            if let Some((x, l, d)) = lost {
                s.push_str(&format!(
                    "; its largest shortfall is on {} ({}: {} against {}, {} points fewer)",
                    x.id,
                    x.name,
                    value_text(&x.measured, x.measured.value),
                    value_text(&l.measured, l.measured.value),
                    points(d)
                ));
            }
            s.push('.');
            out.push(s);
        }
    }
    for b in excluded {
        let failed: Vec<String> = b
            .failed_gates()
            .iter()
            .map(|g| {
                let detail = g.detail.as_ref().map(|d| format!("; {d}")).unwrap_or_default();
                format!("{} ({}: {}{detail})", g.id, g.name, g.measured.text)
            })
            .collect();
        out.push(format!(
            "{} is excluded whatever its points (it would have scored {}): it fails gate {}.",
            b.vendor,
            points(b.total),
            failed.join("; and gate ")
        ));
    }
    out
}

/// `first`, `second`, … `tenth`, then `11th`.
fn ordinal(n: usize) -> String {
    const WORDS: [&str; 10] =
        ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
    match WORDS.get(n.wrapping_sub(1)) {
        Some(w) => w.to_string(),
        None => format!("{n}th"),
    }
}

fn signed(x: f64) -> String {
    if x >= 0.05 {
        format!("{} more", points(x))
    } else if x <= -0.05 {
        format!("{} fewer", points(-x))
    } else {
        "level".to_string()
    }
}

/// The ranked table as plain text for the terminal.
pub fn ranking_text(card: &Scorecard) -> String {
    let t = ranking_table(card);
    let rows: Vec<Vec<String>> = std::iter::once(t.header.clone())
        .chain(t.rows.iter().map(|r| r.iter().map(|c| c.text.clone()).collect()))
        .collect();
    let widths: Vec<usize> =
        (0..t.header.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut s = format!("{}\n", card.rubric.name);
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w - c.chars().count();
                if i >= 3 { format!("{}{c}", " ".repeat(pad)) } else { format!("{c}{}", " ".repeat(pad)) }
            })
            .collect();
        s.push_str(cells.join("  ").trim_end());
        s.push('\n');
    }
    s
}

/// One row per vendor × criterion, gate, price and total.
pub fn csv_table(card: &Scorecard) -> Result<frame::Table, ReportError> {
    let mut t = frame::Table::new(&[
        ("vendor", Kind::Str),
        ("version", Kind::Str),
        ("run", Kind::Str),
        ("rank", Kind::Str),
        ("item", Kind::Str),
        ("id", Kind::Str),
        ("name", Kind::Str),
        ("measured_value", Kind::F64),
        ("measured", Kind::Str),
        ("source", Kind::Str),
        ("limit", Kind::Str),
        ("pass", Kind::Bool),
        ("fraction", Kind::F64),
        ("weight", Kind::F64),
        ("points", Kind::F64),
        ("weighted_points", Kind::F64),
    ]);
    use frame::Cell as C;
    for b in &card.bids {
        let head = |item: &str, id: &str, name: &str| -> Vec<C> {
            vec![
                b.vendor.clone().into(),
                b.version.clone().into(),
                b.run.clone().into(),
                b.standing.text().into(),
                item.into(),
                id.into(),
                name.into(),
            ]
        };
        for c in &b.criteria {
            let mut row = head("criterion", &c.id, &c.name);
            row.extend([
                C::F64(c.measured.value),
                c.measured.text.clone().into(),
                c.measured.source.clone().into(),
                C::Str(None),
                C::Bool(None),
                c.fraction.into(),
                c.weight.into(),
                c.points.into(),
                c.weighted.into(),
            ]);
            t.push(row)?;
        }
        for g in &b.gates {
            let mut row = head("gate", &g.id, &g.name);
            row.extend([
                C::F64(g.shown_value),
                match &g.detail {
                    Some(d) => format!("{}; {d}", g.measured.text).into(),
                    None => g.measured.text.clone().into(),
                },
                g.measured.source.clone().into(),
                g.condition.describe().into(),
                C::Bool(Some(g.pass)),
                C::F64(None),
                C::F64(None),
                C::F64(None),
                C::F64(None),
            ]);
            t.push(row)?;
        }
        let mut row = head("price", "price", card.rubric.price_formula.name());
        row.extend([
            b.price.into(),
            format!("bid {}; lowest compared {}", price(b.price), price(card.lowest_price)).into(),
            format!("{}: [[bid]] vendor = \"{}\"", card.rubric.path.display(), b.vendor).into(),
            C::Str(None),
            C::Bool(None),
            (if card.rubric.price_weight > 0.0 { b.price_points / card.rubric.price_weight } else { 0.0 }).into(),
            card.rubric.price_weight.into(),
            b.price_points.into(),
            b.price_points.into(),
        ]);
        t.push(row)?;
        let mut row = head("total", "total", "quality + price");
        row.extend([
            C::F64(None),
            format!("quality {:.2} + price {:.2}", b.quality_points, b.price_points).into(),
            C::Str(None),
            C::Str(None),
            C::Bool(Some(b.gates.iter().all(|g| g.pass))),
            C::F64(None),
            100.0.into(),
            b.total.into(),
            b.total.into(),
        ]);
        t.push(row)?;
    }
    Ok(t)
}
