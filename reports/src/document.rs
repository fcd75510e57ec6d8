//! A report as a list of blocks, rendered two ways: one self-contained HTML file
//! (inline CSS and SVG, no script, no external reference, A4 print styles) and
//! Markdown with the same text and tables. The report, the comparison of vendors and the
//! scorecard are all built as a [`Document`], so their HTML and Markdown cannot say
//! different things.
//!
//! Figures are SVG; Markdown links them as files written beside it (`figures/NAME.svg`)
//! and shows the caption, so the Markdown still reads without images.

use std::fmt::Write;

/// How a table cell is marked, so a reader sees it without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    None,
    /// A statistically significant difference: bold, with a marker glyph, shaded.
    Significant,
    /// A failed gate or a warning: bold, shaded.
    Fail,
    /// A passed gate.
    Pass,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub mark: Mark,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Self {
        Cell { text: text.into(), mark: Mark::None }
    }
    pub fn marked(text: impl Into<String>, mark: Mark) -> Self {
        Cell { text: text.into(), mark }
    }
    fn shown(&self) -> String {
        match self.mark {
            Mark::Significant => format!("{} \u{25B2}", self.text),
            _ => self.text.clone(),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::plain(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::plain(s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Shown under the table: how to read it.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem for the Markdown rendering (`figures/<name>.svg`); unique in a document.
    pub name: String,
    pub svg: String,
    /// What the figure shows and how to read it.
    pub caption: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Level 1 is the document title; sections are level 2.
    Heading(u8, String),
    Paragraph(String),
    /// Highlighted statement (a verdict, a gate result).
    Callout(Mark, String),
    List(Vec<String>),
    Table(Table),
    Figure(Figure),
    /// Preformatted text (a command line, hashes).
    Code(String),
    /// Where the list of sections goes in HTML (nothing in Markdown); without one it
    /// follows the title.
    Contents,
    /// The end of a printed page (HTML print only; nothing on screen or in Markdown).
    PageBreak,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub title: String,
    pub blocks: Vec<Block>,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// An anchor id from a heading.
fn anchor(s: &str) -> String {
    let mut a = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            a.push(c.to_ascii_lowercase());
        } else if !a.ends_with('-') {
            a.push('-');
        }
    }
    a.trim_matches('-').to_string()
}

const CSS: &str = r#"
:root { --ink: #111; --muted: #555; --rule: #bbb; --shade: #e6e6e6; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 80rem; padding: 1.5rem; line-height: 1.45; font-size: 11pt; }
p, ul, ol, .callout, figure, pre, h1, h2, h3, h4 { max-width: 60rem; }
h1 { font-size: 1.7em; border-bottom: 2px solid var(--ink); padding-bottom: .2em; }
h2 { font-size: 1.3em; border-bottom: 1px solid var(--rule); padding-bottom: .15em; margin-top: 2em; break-after: avoid; }
h3 { font-size: 1.1em; margin-top: 1.4em; break-after: avoid; }
table { border-collapse: collapse; margin: .6em 0; font-size: .85em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--rule); padding: .2em .45em; text-align: left; vertical-align: top; overflow-wrap: normal; word-break: normal; hyphens: manual; }
th { background: #f3f3f3; vertical-align: bottom; }
td.num { text-align: right; }
span.w { white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.significant { font-weight: bold; background: var(--shade); }
td.fail { font-weight: bold; background: var(--shade); text-decoration: underline; }
td.pass { }
.note { color: var(--muted); font-size: .85em; margin-top: -.2em; }
.callout { border-left: 5px solid var(--ink); padding: .4em .8em; margin: .8em 0; background: #f6f6f6; }
.callout.fail { border-left-style: double; border-left-width: 7px; font-weight: bold; }
.callout.significant { font-weight: bold; }
figure { margin: 1em 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .88em; color: var(--muted); margin-top: .3em; }
pre { background: #f4f4f4; padding: .6em; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8em; }
nav ol { columns: 2; font-size: .9em; }
.wide { overflow-x: auto; }
.page-break { display: none; }
.page-break + * { break-before: page; }
@page { size: A4; margin: 14mm 12mm; }
@page landscape { size: A4 landscape; margin: 12mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  .wide { overflow: visible; }
  section.landscape { page: landscape; }
  table { font-size: .78em; }
  h2 { break-before: auto; }
  a { color: inherit; text-decoration: none; }
}
"#;

impl Document {
    pub fn new(title: impl Into<String>) -> Self {
        Document { title: title.into(), blocks: Vec::new() }
    }
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }
    pub fn heading(&mut self, level: u8, text: impl Into<String>) {
        self.push(Block::Heading(level, text.into()));
    }
    pub fn paragraph(&mut self, text: impl Into<String>) {
        self.push(Block::Paragraph(text.into()));
    }
    pub fn table(&mut self, t: Table) {
        self.push(Block::Table(t));
    }
    pub fn figure(&mut self, name: impl Into<String>, svg: String, caption: impl Into<String>) {
        self.push(Block::Figure(Figure { name: name.into(), svg, caption: caption.into() }));
    }

    /// The figures, for writing beside the Markdown.
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.blocks.iter().filter_map(|b| if let Block::Figure(f) = b { Some(f) } else { None })
    }

    /// One self-contained HTML file: no script, no link, no external reference of any kind.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape(&self.title),
            escape(&self.title)
        );
        if !self.blocks.contains(&Block::Contents) {
            h.push_str(&self.contents_html());
        }
        let landscape = self.landscape_sections();
        for (i, b) in self.blocks.iter().enumerate() {
            if landscape.iter().any(|r| r.start == i) {
                h.push_str("<section class=\"landscape\">\n");
            }
            match b {
                Block::Contents => h.push_str(&self.contents_html()),
                Block::PageBreak => h.push_str("<div class=\"page-break\"></div>\n"),
                Block::Heading(level, t) => {
                    let l = (*level).clamp(2, 4);
                    let _ = writeln!(h, "<h{l} id=\"{}\">{}</h{l}>", anchor(t), escape(t));
                }
                Block::Paragraph(t) => {
                    let _ = writeln!(h, "<p>{}</p>", escape(t));
                }
                Block::Callout(mark, t) => {
                    let class = match mark {
                        Mark::Fail => " fail",
                        Mark::Significant => " significant",
                        _ => "",
                    };
                    let _ = writeln!(h, "<div class=\"callout{class}\">{}</div>", escape(t));
                }
                Block::List(items) => {
                    h.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(h, "<li>{}</li>", escape(i));
                    }
                    h.push_str("</ul>\n");
                }
                Block::Table(t) => {
                    h.push_str("<div class=\"wide\"><table>\n<thead><tr>");
                    for c in &t.header {
                        let _ = write!(h, "<th>{}</th>", cell_html(c));
                    }
                    h.push_str("</tr></thead>\n<tbody>\n");
                    for r in &t.rows {
                        h.push_str("<tr>");
                        for c in r {
                            let mut classes: Vec<&str> = match c.mark {
                                Mark::Significant => vec!["significant"],
                                Mark::Fail => vec!["fail"],
                                Mark::Pass => vec!["pass"],
                                Mark::None => vec![],
                            };
                            if is_number(&c.text) {
                                classes.push("num");
                            }
                            let class = if classes.is_empty() {
                                String::new()
                            } else {
                                format!(" class=\"{}\"", classes.join(" "))
                            };
                            let _ = write!(h, "<td{class}>{}</td>", cell_html(&c.shown()));
                        }
                        h.push_str("</tr>\n");
                    }
                    h.push_str("</tbody></table></div>\n");
                    if let Some(n) = &t.note {
                        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(n));
                    }
                }
                Block::Figure(f) => {
                    let _ = writeln!(
                        h,
                        "<figure id=\"fig-{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
                        anchor(&f.name),
                        strip_xml_declaration(&f.svg),
                        escape(&f.caption)
                    );
                }
                Block::Code(t) => {
                    let _ = writeln!(h, "<pre>{}</pre>", escape(t));
                }
            }
            if landscape.iter().any(|r| r.end == i + 1) {
                h.push_str("</section>\n");
            }
        }
        h.push_str("</body>\n</html>\n");
        h
    }

    /// The runs of blocks printed on landscape pages: each section or subsection (from a
    /// heading of level 2 or 3 to the next) that holds a table too wide for a portrait
    /// page. Consecutive ones share pages, and a heading stays with its tables.
    fn landscape_sections(&self) -> Vec<std::ops::Range<usize>> {
        let starts: Vec<usize> = (0..self.blocks.len())
            .filter(|&i| i == 0 || matches!(self.blocks[i], Block::Heading(l, _) if l <= 3))
            .chain(std::iter::once(self.blocks.len()))
            .collect();
        starts
            .windows(2)
            .map(|w| w[0]..w[1])
            .filter(|r| self.blocks[r.clone()].iter().any(|b| matches!(b, Block::Table(t) if landscape(t))))
            .collect()
    }

    /// The list of sections (level-2 headings), linked; empty for two sections or fewer.
    fn contents_html(&self) -> String {
        let sections: Vec<&String> =
            self.blocks.iter().filter_map(|b| if let Block::Heading(2, t) = b { Some(t) } else { None }).collect();
        if sections.len() <= 2 {
            return String::new();
        }
        let mut h = String::from("<nav><ol>\n");
        for s in sections {
            let _ = writeln!(h, "<li><a href=\"#{}\">{}</a></li>", anchor(s), escape(s));
        }
        h.push_str("</ol></nav>\n");
        h
    }

    /// The same content as Markdown (GitHub-flavoured tables); figures are linked as
    /// `figures/NAME.svg`.
    pub fn to_markdown(&self) -> String {
        let mut m = format!("# {}\n", self.title);
        for b in &self.blocks {
            if matches!(b, Block::Contents | Block::PageBreak) {
                continue;
            }
            m.push('\n');
            match b {
                Block::Heading(level, t) => {
                    let _ = writeln!(m, "{} {t}", "#".repeat((*level).clamp(2, 4) as usize));
                }
                Block::Paragraph(t) => {
                    let _ = writeln!(m, "{t}");
                }
                Block::Callout(mark, t) => {
                    let lead = match mark {
                        Mark::Fail | Mark::Significant => "**",
                        _ => "",
                    };
                    let _ = writeln!(m, "> {lead}{t}{lead}");
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(m, "- {i}");
                    }
                }
                Block::Table(t) => {
                    let _ = writeln!(m, "| {} |", t.header.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
                    let _ = writeln!(m, "|{}", t.header.iter().map(|_| "---|").collect::<String>());
                    for r in &t.rows {
                        let cells: Vec<String> = r
                            .iter()
                            .map(|c| match c.mark {
                                Mark::Significant | Mark::Fail => format!("**{}**", md_cell(&c.shown())),
                                _ => md_cell(&c.shown()),
                            })
                            .collect();
                        let _ = writeln!(m, "| {} |", cells.join(" | "));
                    }
                    if let Some(n) = &t.note {
                        let _ = writeln!(m, "\n*{n}*");
                    }
                }
                Block::Figure(f) => {
                    let _ = writeln!(m, "![{}](figures/{}.svg)\n\n*{}*", f.name, f.name, f.caption);
                }
                Block::Code(t) => {
                    let _ = writeln!(m, "```\n{t}\n```");
                }
                Block::Contents | Block::PageBreak => {}
            }
        }
        m
    }
}

/// A cell that reads as a number (right-aligned): `88.8% (…)`, `1,234`, `0.049`.
fn is_number(s: &str) -> bool {
    let t = s.trim_start_matches(['<', '≤', '~', '−', '-']);
    t.chars().next().is_some_and(|c| c.is_ascii_digit()) && t.len() < 48
}

/// The width of A4 portrait between the margins, in characters of the printed table font
/// (about 7.4 pt DejaVu Sans: 186 mm / 1.55 mm a character).
const PORTRAIT_CHARACTERS: usize = 120;

/// Whether a table needs a landscape page in print: the narrowest it can be set without
/// breaking a word (each column as wide as its longest word, plus padding) is wider
/// than a portrait page.
fn landscape(t: &Table) -> bool {
    let longest = |s: &str| s.split_whitespace().map(|w| w.chars().count()).max().unwrap_or(0);
    let width: usize = (0..t.header.len())
        .map(|i| {
            let cells = t.rows.iter().filter_map(|r| r.get(i)).map(|c| longest(&c.shown()));
            cells.chain(std::iter::once(longest(&t.header[i]))).max().unwrap_or(0) + 2
        })
        .sum();
    width > PORTRAIT_CHARACTERS
}

/// A table cell's text as HTML: lines break only at spaces. A word that holds a hyphen,
/// a dash or a slash (`vendor-a`, `88.4%–89.3%`, `17/20`), where a browser would
/// otherwise break it, is kept whole, and "1 in X" stays on one line; a rate's counts
/// and interval may move to the next line, one whole word at a time.
fn cell_html(text: &str) -> String {
    let glued = text.replace("1 in ", "1\u{a0}in\u{a0}").replace("≤ ", "≤\u{a0}").replace("< ", "<\u{a0}");
    let mut h = String::with_capacity(glued.len() + 16);
    for (i, word) in glued.split(' ').enumerate() {
        if i > 0 {
            h.push(' ');
        }
        if word.contains(['-', '–', '—', '/', '−', '×']) {
            let _ = write!(h, "<span class=\"w\">{}</span>", escape(word));
        } else {
            h.push_str(&escape(word));
        }
    }
    h
}

fn strip_xml_declaration(svg: &str) -> &str {
    let s = svg.trim_start();
    if s.starts_with("<?xml") { s.find("?>").map(|i| s[i + 2..].trim_start()).unwrap_or(s) } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        let mut d = Document::new("Report <A&B>");
        d.heading(2, "Summary");
        d.paragraph("FPIR is 1 in 6,000.");
        d.push(Block::Callout(Mark::Fail, "Gate failed".into()));
        d.table(Table {
            header: vec!["group".into(), "rate".into()],
            rows: vec![vec![Cell::plain("Black"), Cell::marked("0.02%", Mark::Significant)]],
            note: Some("▲ significant".into()),
        });
        d.figure("det", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".into(), "DET");
        d.push(Block::Code("verity run a|b".into()));
        d
    }

    #[test]
    fn html_escapes_and_inlines() {
        let h = sample().to_html();
        assert!(h.contains("<title>Report &lt;A&amp;B&gt;</title>"));
        assert!(h.contains("<td class=\"significant num\">0.02% \u{25B2}</td>"));
        assert!(h.contains("<figure id=\"fig-det\">\n<svg"));
        assert!(!h.contains("<?xml"));
        assert!(!h.contains("<script") && !h.contains("href=\"http") && !h.contains("src="));
    }

    #[test]
    fn markdown_has_the_same_text() {
        let m = sample().to_markdown();
        assert!(m.starts_with("# Report <A&B>\n"));
        assert!(m.contains("| group | rate |\n|---|---|\n| Black | **0.02% \u{25B2}** |\n"));
        assert!(m.contains("> **Gate failed**"));
        assert!(m.contains("![det](figures/det.svg)"));
        assert!(m.contains("```\nverity run a|b\n```"));
    }
}
