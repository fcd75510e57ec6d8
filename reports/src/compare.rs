//! Several vendors side by side on identical trials (docs/design.md, "Outputs": comparison
//! of several vendors): at each vendor's declared threshold and at one common operating
//! point calibrated to a target FPIR (1:N) or FMR (1:1), with McNemar's exact test on
//! the paired outcomes of every pair of vendors, overall and per group.
//!
//! The steps, each a function here: [`load_run`] reads a run's `results.json`;
//! [`compare`] checks that every run was made on the same benchmark with the same
//! trial lists (refusing otherwise), names the vendors, reads their raw trial outputs
//! back ([`crate::output::raw`]) and pairs them with the engine's kernel
//! ([`harness::analysis::paired`]); [`write_comparison`] writes `compare.html`, `compare.md`,
//! `compare.csv` and `compare_paired.csv` atomically.
//!
//! Every rate shown comes from `results.json`; every paired count and p-value from the
//! paired kernel, whose per-vendor rates are checked against `results.json` before
//! anything is written (so the two can never disagree on the page).

mod render;
mod tables;
#[cfg(test)]
mod tests;

pub use render::document;
pub use tables::{paired_table, rates_table};

use crate::ReportError;
use crate::output::raw::{SubjectIndex, read_candidates, read_verification_scores};
use harness::analysis::paired::{PairedComparison, PairedError, paired_search, paired_verification, whole_population};
use harness::model::analysis::{Metric, ProtocolAnalysis};
use harness::model::benchmark::ProtocolKind;
use harness::model::population::{GroupCodes, GroupingError, Population};
use harness::model::query::RateQuery;
use harness::model::results::{Results, VendorResults};
use harness::model::thresholds::OperatingPoint;
use harness::model::trials::{SearchTrials, VerificationTrials};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File names of the comparison's output folder.
pub mod layout {
    pub const HTML: &str = "compare.html";
    pub const MARKDOWN: &str = "compare.md";
    pub const RATES_CSV: &str = "compare.csv";
    pub const PAIRED_CSV: &str = "compare_paired.csv";
}

/// Why vendors cannot be compared. Every variant is a problem of the input (exit
/// status 2 on the command line).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{}: no results.json here (give the output folder of `verity run`, which holds results.json)", .0.display())]
    MissingResults(PathBuf),
    #[error(transparent)]
    Results(#[from] crate::output::json::ReadError),
    #[error("run `{0}` is given twice")]
    DuplicateRun(String),
    #[error("a comparison needs at least two vendors; the runs given hold {0}")]
    TooFewVendors(usize),
    #[error(
        "refusing to compare: runs `{run_a}` and `{run_b}` were made on different benchmarks (content hash {hash_a} against {hash_b}); vendors can only be compared on identical trials"
    )]
    DifferentBenchmark { run_a: String, hash_a: String, run_b: String, hash_b: String },
    #[error(
        "refusing to compare: runs `{run_a}` and `{run_b}` have different trial lists for protocol `{protocol}` (hash {hash_a} against {hash_b}); vendors can only be compared on identical trials"
    )]
    DifferentTrials { protocol: String, run_a: String, hash_a: String, run_b: String, hash_b: String },
    #[error("the runs share no protocol")]
    NoSharedProtocol,
    #[error(
        "target {target:e}: run `{run}` has no threshold calibrated to {metric} = {target:e} (its {metric} targets: {known}); run it again with --{metric}-targets including {target:e}, or choose one of these with --target"
    )]
    UnknownTarget { run: String, metric: &'static str, target: f64, known: String },
    #[error(
        "{}: raw trial outputs are missing; vendors are paired search by search from the raw/ folder that `verity run` writes",
        .0.display()
    )]
    MissingRaw(PathBuf),
    #[error("reading raw trial outputs: {0}")]
    Raw(#[source] ReportError),
    #[error("{vendor_a} and {vendor_b} on protocol `{protocol}` cannot be paired: {source}")]
    Unpaired { protocol: String, vendor_a: String, vendor_b: String, source: Box<PairedError> },
    #[error("grouping: {0}")]
    Grouping(#[from] GroupingError),
    #[error(
        "the raw outputs of {vendor} on protocol `{protocol}` do not reproduce its results.json: {what}; were the raw/ files replaced after the run?"
    )]
    Inconsistent { vendor: String, protocol: String, what: String },
}

/// One run folder's results, as it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparedRun {
    /// The run folder (holds `results.json` and `raw/`).
    pub dir: PathBuf,
    /// How the run is named in the comparison: the folder as given.
    pub name: String,
    pub results: Results,
}

/// Read `DIR/results.json`.
pub fn load_run(dir: &Path) -> Result<ComparedRun, CompareError> {
    let path = dir.join(crate::output::layout::RESULTS);
    if !path.is_file() {
        return Err(CompareError::MissingResults(path));
    }
    let results = crate::output::json::read_results(&path)?;
    Ok(ComparedRun { dir: dir.to_path_buf(), name: dir.display().to_string(), results })
}

/// A vendor of one run, with the name it has in the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedVendor {
    /// Index into the runs.
    pub run: usize,
    /// Index into that run's `results.vendors`.
    pub index: usize,
    /// The vendor's name; with its version where two vendors share a name; with the run
    /// too where both are the same.
    pub label: String,
}

impl ComparedVendor {
    pub fn results<'a>(&self, runs: &'a [ComparedRun]) -> &'a VendorResults {
        &runs[self.run].results.vendors[self.index]
    }
}

/// Every vendor of every run, named so that no two names are alike.
pub fn identify_vendors(runs: &[ComparedRun]) -> Vec<ComparedVendor> {
    // (run, vendor index, name, version) of every vendor.
    let all: Vec<(usize, usize, &str, &str)> = runs
        .iter()
        .enumerate()
        .flat_map(|(r, run)| {
            run.results
                .vendors
                .iter()
                .enumerate()
                .map(move |(i, v)| (r, i, v.vendor.name.as_str(), v.vendor.version.as_str()))
        })
        .collect();
    let named = |name: &str| all.iter().filter(|x| x.2 == name).count();
    let named_version = |name: &str, version: &str| all.iter().filter(|x| x.2 == name && x.3 == version).count();
    all.iter()
        .map(|&(run, index, name, version)| {
            let label = if named(name) == 1 {
                name.to_string()
            } else if named_version(name, version) == 1 {
                format!("{name} {version}")
            } else {
                format!("{name} {version} ({})", runs[run].name)
            };
            ComparedVendor { run, index, label }
        })
        .collect()
}

/// The protocols every run has, in the first run's order, after checking that all runs
/// were made on one benchmark and that each shared protocol has one trial-list hash.
pub fn check_identical_trials(runs: &[ComparedRun]) -> Result<Vec<String>, CompareError> {
    for (i, a) in runs.iter().enumerate() {
        if let Some(b) = runs[..i].iter().find(|b| b.dir == a.dir) {
            return Err(CompareError::DuplicateRun(b.name.clone()));
        }
    }
    let Some(first) = runs.first() else { return Ok(Vec::new()) };
    for other in &runs[1..] {
        let (a, b) = (&first.results.benchmark.content_hash, &other.results.benchmark.content_hash);
        if a != b {
            return Err(CompareError::DifferentBenchmark {
                run_a: first.name.clone(),
                hash_a: a.clone(),
                run_b: other.name.clone(),
                hash_b: b.clone(),
            });
        }
    }
    for (i, a) in runs.iter().enumerate() {
        for b in &runs[i + 1..] {
            for la in &a.results.trial_lists {
                if let Some(lb) = b.results.trial_lists.iter().find(|l| l.protocol == la.protocol)
                    && lb.hash != la.hash
                {
                    return Err(CompareError::DifferentTrials {
                        protocol: la.protocol.clone(),
                        run_a: a.name.clone(),
                        hash_a: la.hash.clone(),
                        run_b: b.name.clone(),
                        hash_b: lb.hash.clone(),
                    });
                }
            }
        }
    }
    let shared: Vec<String> = first
        .results
        .trial_lists
        .iter()
        .filter(|l| runs.iter().all(|r| r.results.trial_lists.iter().any(|m| m.protocol == l.protocol)))
        .map(|l| l.protocol.clone())
        .collect();
    if shared.is_empty() {
        return Err(CompareError::NoSharedProtocol);
    }
    Ok(shared)
}

/// The common operating point's targets: FPIR for 1:N and watchlists, FMR for 1:1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    pub fpir: f64,
    pub fmr: f64,
}

impl Targets {
    pub fn of(&self, kind: ProtocolKind) -> (Metric, f64) {
        match kind {
            ProtocolKind::Verification => (Metric::Fmr, self.fmr),
            ProtocolKind::Identification | ProtocolKind::Watchlist => (Metric::Fpir, self.fpir),
        }
    }
}

/// `target` for both kinds, or the first configured target of the first run; every run
/// must have calibrated to it (the thresholds are read from `results.json`, not made
/// here).
pub fn targets(runs: &[ComparedRun], target: Option<f64>, protocols: &[String]) -> Result<Targets, CompareError> {
    let first = &runs[0].results.config;
    let t = Targets {
        fpir: target.or(first.fpir_targets.first().copied()).unwrap_or(f64::NAN),
        fmr: target.or(first.fmr_targets.first().copied()).unwrap_or(f64::NAN),
    };
    let kinds: Vec<ProtocolKind> =
        runs[0].results.trial_lists.iter().filter(|l| protocols.contains(&l.protocol)).map(|l| l.kind).collect();
    for run in runs {
        for (metric, wanted, known, needed) in [
            ("fpir", t.fpir, &run.results.config.fpir_targets, kinds.iter().any(|k| *k != ProtocolKind::Verification)),
            ("fmr", t.fmr, &run.results.config.fmr_targets, kinds.contains(&ProtocolKind::Verification)),
        ] {
            if needed && !known.contains(&wanted) {
                return Err(CompareError::UnknownTarget {
                    run: run.name.clone(),
                    metric,
                    target: wanted,
                    known: known.iter().map(|x| format!("{x:e}")).collect::<Vec<_>>().join(", "),
                });
            }
        }
    }
    Ok(t)
}

/// Which threshold each vendor is taken at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Point {
    /// The vendor's own declared operating threshold (its first, where it declares several).
    Declared,
    /// The threshold calibrated on the whole test population to the common target.
    Common,
}

impl Point {
    pub fn name(&self) -> &'static str {
        match self {
            Point::Declared => "declared",
            Point::Common => "common",
        }
    }
}

/// A vendor's threshold at a point: the operating-point label of its `results.json`
/// rows and the threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorPoint {
    pub point: OperatingPoint,
    pub threshold: f64,
}

/// The vendor's threshold at `point` on protocol `p` (gallery size for 1:N), or why
/// there is none.
pub fn operating_point(
    v: &VendorResults,
    p: &ProtocolAnalysis,
    point: Point,
    targets: &Targets,
    gallery_size: Option<u64>,
) -> Result<VendorPoint, String> {
    match point {
        Point::Declared => {
            let d = v.vendor.thresholds.first().ok_or_else(|| format!("{} declares no threshold", v.vendor.name))?;
            Ok(VendorPoint { point: OperatingPoint::Declared { label: d.label.clone() }, threshold: d.value })
        }
        Point::Common => {
            let (metric, target) = targets.of(p.kind);
            let c = p
                .calibrations
                .iter()
                .find(|c| c.metric == metric && c.target == target && c.gallery_size == gallery_size)
                .ok_or_else(|| format!("{}: no calibration to {} = {target:e}", v.vendor.name, metric.name()))?;
            let threshold = c.threshold.ok_or_else(|| {
                format!("{}: {}", v.vendor.name, c.note.clone().unwrap_or_else(|| "not calibrated".to_string()))
            })?;
            let point = OperatingPoint::Calibrated { metric: metric.name().to_string(), target, gallery_size };
            Ok(VendorPoint { point, threshold })
        }
    }
}

/// The paired tests of two vendors on one protocol at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedSet {
    pub protocol: String,
    pub point: Point,
    /// Indices into [`Comparison::vendors`], `a < b`.
    pub a: usize,
    pub b: usize,
    /// One per gallery size (1:N) or one (1:1).
    pub comparisons: Vec<PairedComparison>,
    /// Why a gallery size or the whole set has no paired test.
    pub missing: Vec<String>,
}

/// Everything a comparison shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub runs: Vec<ComparedRun>,
    pub vendors: Vec<ComparedVendor>,
    /// Protocols every run has, in the first run's order.
    pub protocols: Vec<String>,
    pub targets: Targets,
    /// Whether the paired tests are per group (the benchmark's subjects were at hand)
    /// or overall only.
    pub per_group: bool,
    pub paired: Vec<PairedSet>,
    /// Said in the document's first section (e.g. why tests are overall only).
    pub notes: Vec<String>,
}

impl Comparison {
    pub fn vendor(&self, i: usize) -> &VendorResults {
        self.vendors[i].results(&self.runs)
    }

    pub fn protocol_of(&self, vendor: usize, protocol: &str) -> Option<&ProtocolAnalysis> {
        self.vendor(vendor).protocols.iter().find(|p| p.protocol == protocol)
    }

    /// Significance level of the tests (the first run's `alpha`).
    pub fn alpha(&self) -> f64 {
        self.runs[0].results.config.alpha
    }
}

/// Trials of one vendor on one protocol, read back from its raw outputs.
enum Trials {
    Verification(VerificationTrials),
    Search(Vec<SearchTrials>),
}

fn read_trials(
    run: &ComparedRun,
    v: &VendorResults,
    p: &ProtocolAnalysis,
    subjects: &mut SubjectIndex,
) -> Result<Trials, CompareError> {
    let dir = run.dir.join(crate::output::layout::RAW).join(&v.vendor.name);
    let path = match p.kind {
        ProtocolKind::Verification => dir.join(format!("{}.scores.parquet", p.protocol)),
        _ => dir.join(format!("{}.candidates.parquet", p.protocol)),
    };
    if !path.is_file() {
        return Err(CompareError::MissingRaw(path));
    }
    Ok(match p.kind {
        ProtocolKind::Verification => {
            Trials::Verification(read_verification_scores(&path, subjects).map_err(CompareError::Raw)?)
        }
        _ => {
            // L: FNIR is always reported at the list length, the largest rank.
            let l = p.list_length();
            let read = read_candidates(&path, subjects, l.map(|l| l as usize)).map_err(CompareError::Raw)?;
            Trials::Search(read.searches)
        }
    })
}

/// Each paired rate must be the vendor's own rate in `results.json` at that point.
fn check_rates(
    v: &VendorResults,
    p: &ProtocolAnalysis,
    point: &OperatingPoint,
    c: &PairedComparison,
    first: bool,
) -> Result<(), CompareError> {
    for row in &c.rows {
        let rank = if row.metric == Metric::Fnir { c.rank } else { None };
        let q = RateQuery::metric(row.metric).at(point).grouping(&row.grouping).group(&row.group);
        let Some(want) = p.rate(&q.gallery_size(c.gallery_size).rank(rank)) else {
            continue;
        };
        let got = if first { row.rate_a } else { row.rate_b };
        if got != want.rate {
            return Err(CompareError::Inconsistent {
                vendor: v.vendor.name.clone(),
                protocol: p.protocol.clone(),
                what: format!(
                    "{} of {} `{}` at {point}: {}/{} from the raw outputs, {}/{} in results.json",
                    row.metric.name(),
                    row.grouping,
                    row.group,
                    got.numerator,
                    got.denominator,
                    want.rate.numerator,
                    want.rate.denominator
                ),
            });
        }
    }
    Ok(())
}

/// Check the runs, name the vendors, read every vendor's raw trials and pair every two
/// vendors at their declared thresholds and at the common operating point.
///
/// `population` is the benchmark's (for per-group tests; its subject order must be the
/// one the runs used); without it the tests are overall only and `notes` should say why.
pub fn compare(
    runs: Vec<ComparedRun>,
    target: Option<f64>,
    population: Option<&Population>,
    mut notes: Vec<String>,
) -> Result<Comparison, CompareError> {
    let protocols = check_identical_trials(&runs)?;
    let vendors = identify_vendors(&runs);
    if vendors.len() < 2 {
        return Err(CompareError::TooFewVendors(vendors.len()));
    }
    let targets = targets(&runs, target, &protocols)?;
    let mut subjects = match population {
        Some(p) => SubjectIndex::fixed(p.subjects.iter().map(|s| s.id.clone())),
        None => SubjectIndex::growing(),
    };
    let mut trials: HashMap<(usize, String), Trials> = HashMap::new();
    for (i, cv) in vendors.iter().enumerate() {
        let v = cv.results(&runs);
        for p in v.protocols.iter().filter(|p| protocols.contains(&p.protocol)) {
            trials.insert((i, p.protocol.clone()), read_trials(&runs[cv.run], v, p, &mut subjects)?);
        }
    }
    let groupings: Vec<GroupCodes> = match population {
        Some(pop) => {
            let mut g = vec![pop.group_codes(&harness::model::population::Grouping::all())?];
            let config = &runs[0].results.config;
            for grouping in &config.groupings {
                if config.is_capture_grouping(grouping) {
                    // The score files name subjects, not samples.
                    notes.push(format!(
                        "grouping {} is by capture attribute: the paired tests are not made for it, as the trials name subjects, not samples",
                        grouping.name()
                    ));
                    continue;
                }
                g.push(pop.group_codes(grouping)?);
            }
            g
        }
        None => vec![whole_population(subjects.len())],
    };

    let mut paired = Vec::new();
    for protocol in &protocols {
        for a in 0..vendors.len() {
            for b in a + 1..vendors.len() {
                for point in [Point::Declared, Point::Common] {
                    let set = pair(&runs, &vendors, &trials, protocol, point, (a, b), &targets, &groupings)?;
                    paired.push(set);
                }
            }
        }
    }
    if let Some(v) = vendors.iter().map(|v| v.results(&runs)).find(|v| v.vendor.thresholds.len() > 1) {
        notes.push(format!(
            "{} declares several thresholds; the first ({} = {}) is its declared operating point here.",
            v.vendor.name, v.vendor.thresholds[0].label, v.vendor.thresholds[0].value
        ));
    }
    Ok(Comparison { runs, vendors, protocols, targets, per_group: population.is_some(), paired, notes })
}

fn protocol_in<'a>(v: &'a VendorResults, protocol: &str) -> Option<&'a ProtocolAnalysis> {
    v.protocols.iter().find(|p| p.protocol == protocol)
}

#[allow(clippy::too_many_arguments)]
fn pair(
    runs: &[ComparedRun],
    vendors: &[ComparedVendor],
    trials: &HashMap<(usize, String), Trials>,
    protocol: &str,
    point: Point,
    (a, b): (usize, usize),
    targets: &Targets,
    groupings: &[GroupCodes],
) -> Result<PairedSet, CompareError> {
    let (va, vb) = (vendors[a].results(runs), vendors[b].results(runs));
    let mut set =
        PairedSet { protocol: protocol.to_string(), point, a, b, comparisons: Vec::new(), missing: Vec::new() };
    let (Some(pa), Some(pb)) = (protocol_in(va, protocol), protocol_in(vb, protocol)) else {
        set.missing.push("the protocol is missing from a vendor's results".to_string());
        return Ok(set);
    };
    let unpaired = |source: PairedError| CompareError::Unpaired {
        protocol: protocol.to_string(),
        vendor_a: vendors[a].label.clone(),
        vendor_b: vendors[b].label.clone(),
        source: Box::new(source),
    };
    let key = |i: usize| (i, protocol.to_string());
    let mut run_one = |gallery: Option<u64>, ta: &Trials, tb: &Trials| -> Result<(), CompareError> {
        let (oa, ob) = match (
            operating_point(va, pa, point, targets, gallery),
            operating_point(vb, pb, point, targets, gallery),
        ) {
            (Ok(oa), Ok(ob)) => (oa, ob),
            (Err(e), _) | (_, Err(e)) => {
                let at = gallery.map(|n| format!("gallery of {n}: ")).unwrap_or_default();
                set.missing.push(format!("{at}{e}"));
                return Ok(());
            }
        };
        let c = match (ta, tb) {
            (Trials::Verification(x), Trials::Verification(y)) => {
                paired_verification(x, y, oa.threshold, ob.threshold, groupings).map_err(unpaired)?
            }
            (Trials::Search(x), Trials::Search(y)) => {
                let n = gallery.expect("a search protocol has gallery sizes");
                let pick = |s: &'_ [SearchTrials]| s.iter().position(|t| t.gallery_size as u64 == n);
                let (Some(i), Some(j)) = (pick(x), pick(y)) else {
                    return Err(unpaired(PairedError::Mismatch {
                        what: "gallery sizes",
                        a: format!("{:?}", x.iter().map(|t| t.gallery_size).collect::<Vec<_>>()),
                        b: format!("{:?}", y.iter().map(|t| t.gallery_size).collect::<Vec<_>>()),
                    }));
                };
                paired_search(&x[i], &y[j], oa.threshold, ob.threshold, groupings).map_err(unpaired)?
            }
            _ => unreachable!("one protocol has one kind in every run (same trial-list hash)"),
        };
        check_rates(va, pa, &oa.point, &c, true)?;
        check_rates(vb, pb, &ob.point, &c, false)?;
        set.comparisons.push(c);
        Ok(())
    };
    let (ta, tb) = (&trials[&key(a)], &trials[&key(b)]);
    match ta {
        Trials::Verification(_) => run_one(None, ta, tb)?,
        Trials::Search(s) => {
            let sizes: Vec<u64> = s.iter().map(|t| t.gallery_size as u64).collect();
            for n in sizes {
                run_one(Some(n), ta, tb)?;
            }
        }
    }
    Ok(set)
}

/// Write `compare.html`, `compare.md`, `compare.csv` and `compare_paired.csv` into
/// `out` (created if needed), all or nothing ([`crate::atomic::StagedDir`]); other files
/// in `out` are left alone.
pub fn write_comparison(out: &Path, comparison: &Comparison) -> Result<(), ReportError> {
    let doc = document(comparison);
    let rates = rates_table(comparison)?;
    let paired = paired_table(comparison)?;
    let rates_csv = rates.to_csv().map_err(|source| ReportError::Csv { path: out.join(layout::RATES_CSV), source })?;
    let paired_csv =
        paired.to_csv().map_err(|source| ReportError::Csv { path: out.join(layout::PAIRED_CSV), source })?;
    let staged = crate::atomic::StagedDir::create(out)?;
    let write = |name: &str, bytes: &[u8]| crate::atomic::write_bytes(&staged.path(Path::new(name))?, bytes);
    write(layout::RATES_CSV, &rates_csv)?;
    write(layout::PAIRED_CSV, &paired_csv)?;
    write(layout::MARKDOWN, doc.to_markdown().as_bytes())?;
    write(layout::HTML, doc.to_html().as_bytes())?;
    let sources = comparison.runs.iter().map(|r| crate::output::json::digest(&r.results)).collect::<Result<_, _>>()?;
    Ok(staged.commit(&[layout::HTML], &storage::outputs::Owner::new("compare", sources))?)
}
