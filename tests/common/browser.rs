//! Headless Chromium for the rendering tests: the pages are opened as a reader opens
//! them, and what the browser laid out is read back from the DOM. Where no Chromium is
//! installed the caller prints SKIPPED with the reason (`scripts/test` installs the
//! Debian package when it runs as root).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Browser {
    program: PathBuf,
    /// A profile folder of its own, so runs do not share state.
    profile: tempfile::TempDir,
}

impl Browser {
    /// Chromium, if installed (`chromium` or `chromium-browser` on the PATH).
    pub fn find() -> Result<Browser, String> {
        for name in ["chromium", "chromium-browser"] {
            let ok = Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
            if ok {
                let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
                return Ok(Browser { program: PathBuf::from(name), profile });
            }
        }
        Err("chromium is not installed (Debian: apt-get install chromium; scripts/test installs it when run as root)"
            .into())
    }

    fn command(&self, width: u32, height: u32) -> Command {
        let mut c = Command::new(&self.program);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=10000",
        ]);
        c.arg(format!("--user-data-dir={}", self.profile.path().display()));
        c.arg(format!("--window-size={width},{height}"));
        c
    }

    fn run(&self, mut c: Command) -> String {
        let o = c.output().expect("chromium runs");
        assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The DOM after the page's scripts ran, at a window `width` pixels wide.
    pub fn dump_dom(&self, url: &str, width: u32) -> String {
        let mut c = self.command(width, 1200);
        c.args(["--dump-dom", url]);
        self.run(c)
    }

    pub fn screenshot(&self, url: &str, width: u32, height: u32, png: &Path) {
        let mut c = self.command(width, height);
        c.arg(format!("--screenshot={}", png.display())).arg(url);
        self.run(c);
        assert!(std::fs::metadata(png).is_ok_and(|m| m.len() > 1000), "no screenshot at {}", png.display());
    }

    pub fn print_pdf(&self, url: &str, pdf: &Path) {
        let mut c = self.command(1200, 1200);
        c.arg("--no-pdf-header-footer").arg(format!("--print-to-pdf={}", pdf.display())).arg(url);
        self.run(c);
        assert!(std::fs::metadata(pdf).is_ok_and(|m| m.len() > 1000), "no PDF at {}", pdf.display());
    }
}

pub fn file_url(path: &Path, fragment: &str) -> String {
    format!("file://{}{fragment}", path.display())
}

/// The text of the element `<pre id="ID">` of a dumped DOM (what an injected script
/// wrote there), with the HTML escapes of text undone.
pub fn pre_text(dom: &str, id: &str) -> String {
    let open = format!("<pre id=\"{id}\">");
    let start =
        dom.find(&open).unwrap_or_else(|| panic!("no <pre id=\"{id}\"> in the page: {}", &dom[..dom.len().min(2000)]))
            + open.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    dom[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// A copy of the page at `html` beside it with `script` run after the page's own, and
/// with the print styles applied on screen when `print` is set (for measuring the
/// printed layout at the width of a page).
pub fn instrumented_copy(html: &Path, script: &str, print: bool, suffix: &str) -> PathBuf {
    let mut text = std::fs::read_to_string(html).unwrap();
    if print {
        text = text.replace("@media print", "@media all");
    }
    let at = text.rfind("</body>").unwrap();
    text.insert_str(at, &format!("<script>{script}</script>\n"));
    let copy = html.with_file_name(format!("{}.{suffix}.html", html.file_stem().unwrap().to_string_lossy()));
    std::fs::write(&copy, text).unwrap();
    copy
}

/// The measuring script of [`check_tables`]: for every table cell in `scope` (a CSS
/// selector), the words (runs of characters between spaces) the browser laid out on
/// more than one line, the cells whose content overflows them, and the number cells
/// not right-aligned.
const MEASURE: &str = r#"
(function () {
  const scope = SCOPE;
  const broken = [], overflow = [], left = [];
  let cells = 0;
  for (const cell of document.querySelectorAll(scope)) {
    cells += 1;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const re = /[^ \t\n\r]+/g;
      let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
    if (cell.scrollWidth > cell.clientWidth + 1) overflow.push(cell.textContent.slice(0, 80));
    if (cell.classList.contains("num") && getComputedStyle(cell).textAlign !== "right") left.push(cell.textContent.slice(0, 80));
  }
  const pre = document.createElement("pre");
  pre.id = "verity-layout";
  pre.textContent = JSON.stringify({ cells, broken, overflow, left });
  document.body.appendChild(pre);
})();
"#;

/// Lay out `html` at `width` pixels (on screen, or with the print styles) and fail on
/// any word of a table cell broken across lines, a cell whose content overflows it, or
/// a number cell not right-aligned. Returns the number of cells measured.
pub fn check_tables(browser: &Browser, html: &Path, width: u32, print: bool, scope: &str) -> usize {
    let script = MEASURE.replace("SCOPE", &serde_json::to_string(scope).unwrap());
    let copy = instrumented_copy(html, &script, print, &format!("layout-{width}"));
    let dom = browser.dump_dom(&file_url(&copy, ""), width);
    let found: serde_json::Value = serde_json::from_str(&pre_text(&dom, "verity-layout")).unwrap();
    let what = format!("{} at {width} px{}", html.display(), if print { " (print styles)" } else { "" });
    for key in ["broken", "overflow", "left"] {
        assert_eq!(found[key], serde_json::json!([]), "{what}: {key} words or cells in tables");
    }
    found["cells"].as_u64().unwrap() as usize
}
