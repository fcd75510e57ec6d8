//! The protocol builder: seeded verification, identification and watchlist protocols
//! built from a benchmark's subjects and samples, and added to the benchmark folder
//! (`docs/protocols.md`).
//!
//! A protocol is a function of the subjects and samples (in table order), the request
//! and the seed, so a panel gets the same protocol from the same data every time. Each
//! random choice has its own ChaCha8 stream of the seed (gallery, non-mated searchers,
//! passes, crowd, non-mated pairs), so changing one part of a request does not move the
//! others. A request the data cannot meet is refused with every shortfall named; nothing
//! is then written.
//!
//! Every subject's *reference* (enrolment) sample is its first sample in the samples
//! table; its other samples are its probes. Verification compares each probe with its own
//! subject's reference (mated) and with other subjects' references (non-mated).

use crate::error::Problems;
use harness::model::benchmark::{Benchmark, Protocol, SearchProtocol, VerificationProtocol};
use harness::model::population::{GroupCodes, Grouping};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt;

mod selection;
mod writing;
pub use selection::Selection;
#[cfg(test)]
use selection::seats;
use selection::{choose, resolve};
pub use writing::{add_to_benchmark, identity_marker};

/// Seed used when none is given; always recorded with the protocol.
pub const DEFAULT_SEED: u64 = 20_251_123;

/// More 1:1 pairs than this are refused: ask for `per_probe` references instead.
pub const MAX_PAIRS: usize = 200_000_000;

/// Which other subjects' references a probe is compared with in non-mated pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligible {
    /// Every other subject.
    All,
    /// Other subjects of the probe's group (of the rule's grouping).
    SameGroup,
    /// Subjects of other groups.
    CrossGroup,
}

impl Eligible {
    pub fn name(self) -> &'static str {
        match self {
            Eligible::All => "all",
            Eligible::SameGroup => "same-group",
            Eligible::CrossGroup => "cross-group",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NonMatedRule {
    pub eligible: Eligible,
    /// Required for `SameGroup` and `CrossGroup`, refused for `All`.
    pub grouping: Option<Grouping>,
    /// Draw this many eligible references per probe (seeded, without replacement) instead
    /// of taking them all.
    pub per_probe: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerificationRequest {
    pub name: String,
    pub non_mated: NonMatedRule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentificationRequest {
    pub name: String,
    /// Nested gallery sizes in subjects, strictly ascending; the last is the whole gallery.
    pub gallery_sizes: Vec<usize>,
    /// Candidate list length L.
    pub candidates: usize,
    /// Subjects not enrolled whose samples are the non-mated searches; all when `None`.
    pub non_mated_subjects: Option<usize>,
    pub selection: Selection,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WatchlistRequest {
    pub name: String,
    /// Watchlist subjects, each enrolled with its reference sample.
    pub size: usize,
    /// Passes (other samples) of each watchlist subject.
    pub passes_per_subject: usize,
    /// Faces seen of people not on the watchlist.
    pub crowd: usize,
    pub candidates: usize,
    pub selection: Selection,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProtocolRequest {
    Verification(VerificationRequest),
    Identification(IdentificationRequest),
    Watchlist(WatchlistRequest),
}

impl ProtocolRequest {
    pub fn name(&self) -> &str {
        match self {
            ProtocolRequest::Verification(r) => &r.name,
            ProtocolRequest::Identification(r) => &r.name,
            ProtocolRequest::Watchlist(r) => &r.name,
        }
    }
}

/// Something the data cannot supply: what, how many were asked for, how many exist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Shortfall {
    pub what: String,
    pub needed: usize,
    pub available: usize,
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} needed, {} available (short by {})",
            self.what,
            self.needed,
            self.available,
            self.needed.saturating_sub(self.available)
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the benchmark cannot supply this protocol:\n{}", list(.0))]
    Short(Vec<Shortfall>),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "{0}: the benchmark has no subject identities (attribute-only), so it cannot give mated or non-mated trials"
    )]
    NoIdentities(String),
    #[error("{0}")]
    Exists(String),
    #[error("the benchmark does not load: {0}")]
    Benchmark(Problems),
    #[error("{path}: {source}")]
    Io { path: std::path::PathBuf, source: std::io::Error },
    /// The folder as written did not load back; the manifest was restored.
    #[error("the protocol as written does not validate (the benchmark was restored): {0}")]
    NotValid(Problems),
}

impl BuildError {
    /// Whether the error is the user's input (exit status 2) rather than a failure.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, BuildError::Io { .. } | BuildError::NotValid(_))
    }
}

fn list(shortfalls: &[Shortfall]) -> String {
    shortfalls.iter().map(|s| format!("  {s}")).collect::<Vec<_>>().join("\n")
}

/// A protocol built from a request, with the seed and a one-line account of how.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltProtocol {
    pub protocol: Protocol,
    pub seed: u64,
    pub recipe: String,
}

/// The random stream for one purpose (ChaCha8 stream ids keep purposes independent).
fn stream(seed: u64, purpose: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose);
    rng
}

const NON_MATED_PAIRS: u64 = 1;
const GALLERY: u64 = 2;
const NON_MATED_SEARCHERS: u64 = 3;
const WATCHLIST: u64 = 4;
const PASSES: u64 = 5;
const CROWD: u64 = 6;

/// Build the protocol a request describes from the benchmark's subjects and samples.
pub fn build(bench: &Benchmark, request: &ProtocolRequest, seed: u64) -> Result<BuiltProtocol, BuildError> {
    if request.name().trim().is_empty() {
        return Err(BuildError::Invalid("the protocol name is empty".into()));
    }
    let data = Data::new(bench);
    let (protocol, recipe) = match request {
        ProtocolRequest::Verification(r) => verification(&data, r, seed)?,
        ProtocolRequest::Identification(r) => identification(&data, r, seed)?,
        ProtocolRequest::Watchlist(r) => watchlist(&data, r, seed)?,
    };
    Ok(BuiltProtocol { protocol, seed, recipe: format!("seed {seed}; {recipe}") })
}

/// Each subject's samples in table order; the first is its reference.
struct Data<'b> {
    bench: &'b Benchmark,
    by_subject: Vec<Vec<u32>>,
}

impl<'b> Data<'b> {
    fn new(bench: &'b Benchmark) -> Self {
        let mut by_subject = vec![Vec::new(); bench.population.subjects.len()];
        for (i, &s) in bench.samples.subject.iter().enumerate() {
            if let Some(list) = by_subject.get_mut(s as usize) {
                list.push(i as u32);
            }
        }
        Data { bench, by_subject }
    }

    fn codes(&self, grouping: &Grouping) -> Result<GroupCodes, BuildError> {
        self.bench
            .population
            .group_codes(grouping)
            .map_err(|e| BuildError::Invalid(format!("grouping `{}`: {e}", grouping.name())))
    }

    /// Subjects with at least `n` samples, in population order.
    fn subjects_with(&self, n: usize) -> Vec<u32> {
        (0..self.by_subject.len() as u32).filter(|&s| self.by_subject[s as usize].len() >= n).collect()
    }

    fn subject_of(&self, sample: u32) -> u32 {
        self.bench.samples.subject[sample as usize]
    }
}

fn verification(data: &Data, r: &VerificationRequest, seed: u64) -> Result<(Protocol, String), BuildError> {
    let rule = &r.non_mated;
    let codes = match (rule.eligible, &rule.grouping) {
        (Eligible::All, None) => None,
        (Eligible::All, Some(_)) => {
            return Err(BuildError::Invalid(
                "a grouping applies to same-group or cross-group non-mated pairs only".into(),
            ));
        }
        (_, Some(g)) => Some(data.codes(g)?),
        (e, None) => return Err(BuildError::Invalid(format!("{} non-mated pairs need a grouping", e.name()))),
    };
    if rule.per_probe == Some(0) {
        return Err(BuildError::Invalid("non-mated references per probe must be at least 1".into()));
    }
    let group_of = |s: u32| codes.as_ref().map_or(0, |c| c.of_subject[s as usize] as usize);
    let labels: Vec<String> = codes.as_ref().map_or_else(|| vec!["all".to_string()], |c| c.labels.clone());
    // Subjects with a reference, per group; and for each group the subjects eligible as
    // non-mated references of its probes (sorted), possibly including the probe's own.
    let with_reference = data.subjects_with(1);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); labels.len()];
    for &s in &with_reference {
        members[group_of(s)].push(s);
    }
    let eligible: Vec<Vec<u32>> = (0..labels.len())
        .map(|g| match rule.eligible {
            Eligible::All => with_reference.clone(),
            Eligible::SameGroup => members[g].clone(),
            Eligible::CrossGroup => with_reference.iter().copied().filter(|&s| group_of(s) != g).collect(),
        })
        .collect();
    let others = |g: usize| eligible[g].len() - usize::from(rule.eligible != Eligible::CrossGroup);
    let probes_in = |g: usize| members[g].iter().map(|&s| data.by_subject[s as usize].len() - 1).sum::<usize>();

    let mated: usize = (0..labels.len()).map(probes_in).sum();
    let mut short = Vec::new();
    if mated == 0 {
        short.push(Shortfall {
            what: "subjects with 2 or more samples (a mated pair needs a probe besides the reference)".into(),
            needed: 1,
            available: 0,
        });
    }
    let mut non_mated = 0usize;
    for (g, label) in labels.iter().enumerate() {
        let probes = probes_in(g);
        if probes == 0 {
            continue;
        }
        match rule.per_probe {
            Some(k) if others(g) < k => short.push(Shortfall {
                what: format!(
                    "non-mated references per probe of group '{}' ({})",
                    label,
                    match rule.eligible {
                        Eligible::All => "other subjects".to_string(),
                        Eligible::SameGroup => "other subjects of the same group".to_string(),
                        Eligible::CrossGroup => "subjects of other groups".to_string(),
                    }
                ),
                needed: k,
                available: others(g),
            }),
            Some(k) => non_mated += probes * k,
            None => non_mated += probes * others(g),
        }
    }
    if short.is_empty() && non_mated == 0 {
        short.push(Shortfall {
            what: format!(
                "{} non-mated pairs (probes with an eligible reference of another subject)",
                rule.eligible.name()
            ),
            needed: 1,
            available: 0,
        });
    }
    if !short.is_empty() {
        return Err(BuildError::Short(short));
    }
    if mated + non_mated > MAX_PAIRS {
        return Err(BuildError::Invalid(format!(
            "{} pairs ({mated} mated, {non_mated} non-mated) is more than {MAX_PAIRS}: draw a number of references per probe instead",
            mated + non_mated
        )));
    }

    let reference = |s: u32| data.by_subject[s as usize][0];
    let mut out = VerificationProtocol { name: r.name.clone(), probe: Vec::new(), reference: Vec::new() };
    out.probe.reserve(mated + non_mated);
    out.reference.reserve(mated + non_mated);
    for s in 0..data.by_subject.len() as u32 {
        for &p in data.by_subject[s as usize].iter().skip(1) {
            out.probe.push(p);
            out.reference.push(reference(s));
        }
    }
    let mut rng = stream(seed, NON_MATED_PAIRS);
    for s in 0..data.by_subject.len() as u32 {
        let list = &eligible[group_of(s)];
        // The probe's own subject, when the list holds it, is skipped by shifting indices.
        let own = list.binary_search(&s).ok();
        let pick = |i: usize| list[if own.is_some_and(|o| i >= o) { i + 1 } else { i }];
        let n = list.len() - usize::from(own.is_some());
        for &p in data.by_subject[s as usize].iter().skip(1) {
            match rule.per_probe {
                None => {
                    for i in 0..n {
                        out.probe.push(p);
                        out.reference.push(reference(pick(i)));
                    }
                }
                Some(k) => {
                    let mut chosen = rand::seq::index::sample(&mut rng, n, k).into_vec();
                    chosen.sort_unstable();
                    for i in chosen {
                        out.probe.push(p);
                        out.reference.push(reference(pick(i)));
                    }
                }
            }
        }
    }
    let scope = match &rule.grouping {
        Some(g) => format!("{} by {}", rule.eligible.name(), g.name()),
        None => "all".into(),
    };
    let count = rule.per_probe.map_or("every eligible reference".to_string(), |k| format!("{k} per probe"));
    let recipe = format!(
        "verification: mated pairs: each probe against its subject's reference (first sample); \
         non-mated pairs: {scope}, {count}"
    );
    Ok((Protocol::Verification(out), recipe))
}

fn identification(data: &Data, r: &IdentificationRequest, seed: u64) -> Result<(Protocol, String), BuildError> {
    let sizes = &r.gallery_sizes;
    if sizes.is_empty() || sizes[0] == 0 || sizes.windows(2).any(|w| w[1] <= w[0]) {
        return Err(BuildError::Invalid(format!("gallery sizes {sizes:?} must be at least 1 and strictly ascending")));
    }
    if r.candidates == 0 {
        return Err(BuildError::Invalid("the candidate list length must be at least 1".into()));
    }
    if r.non_mated_subjects == Some(0) {
        return Err(BuildError::Invalid("non-mated subjects must be at least 1".into()));
    }
    let selection = resolve(data, &r.selection)?;
    let enrolled = sizes[sizes.len() - 1];
    let pool = data.subjects_with(2);
    let what = "gallery subjects (subjects with 2 or more samples: one enrolled, the others searched)";
    let gallery_subjects =
        choose(&mut stream(seed, GALLERY), &pool, enrolled, &selection, &|s| s, what).map_err(BuildError::Short)?;
    let mut is_enrolled = vec![false; data.by_subject.len()];
    for &s in &gallery_subjects {
        is_enrolled[s as usize] = true;
    }
    let rest: Vec<u32> = data.subjects_with(1).into_iter().filter(|&s| !is_enrolled[s as usize]).collect();
    let mut searchers = match r.non_mated_subjects {
        None => rest.clone(),
        Some(m) => {
            let what = "non-mated searchers (subjects not enrolled)";
            choose(&mut stream(seed, NON_MATED_SEARCHERS), &rest, m, &selection, &|s| s, what)
                .map_err(BuildError::Short)?
        }
    };
    if searchers.is_empty() {
        return Err(BuildError::Short(vec![Shortfall {
            what: format!("non-mated searchers (subjects left after enrolling {enrolled})"),
            needed: 1,
            available: 0,
        }]));
    }
    searchers.sort_unstable();
    let samples = |s: &u32| data.by_subject[*s as usize].clone();
    let protocol = SearchProtocol {
        name: r.name.clone(),
        gallery: gallery_subjects.iter().map(|&s| data.by_subject[s as usize][0]).collect(),
        mated: gallery_subjects.iter().flat_map(|s| samples(s).into_iter().skip(1)).collect(),
        non_mated: searchers.iter().flat_map(samples).collect(),
        candidates: r.candidates,
        gallery_sizes: sizes.clone(),
    };
    let recipe = format!(
        "identification: gallery sizes {sizes:?} ({}), each enrolled with its first sample, its other samples \
         searched; non-mated searches: every sample of {} subjects not enrolled{}; L = {}",
        r.selection.describe(),
        searchers.len(),
        if r.non_mated_subjects.is_some() { format!(" ({})", r.selection.describe()) } else { String::new() },
        r.candidates
    );
    Ok((Protocol::Identification(protocol), recipe))
}

fn watchlist(data: &Data, r: &WatchlistRequest, seed: u64) -> Result<(Protocol, String), BuildError> {
    for (value, what) in [
        (r.size, "the watchlist size"),
        (r.passes_per_subject, "passes per watchlist subject"),
        (r.crowd, "the crowd size"),
        (r.candidates, "the candidate list length"),
    ] {
        if value == 0 {
            return Err(BuildError::Invalid(format!("{what} must be at least 1")));
        }
    }
    let selection = resolve(data, &r.selection)?;
    let p = r.passes_per_subject;
    let pool = data.subjects_with(1 + p);
    let what = format!("watchlist subjects (subjects with {} or more samples: one enrolled, {p} passes)", 1 + p);
    let listed = choose(&mut stream(seed, WATCHLIST), &pool, r.size, &selection, &|s| s, &what);
    let mut on_list = vec![false; data.by_subject.len()];
    for &s in listed.as_deref().unwrap_or_default() {
        on_list[s as usize] = true;
    }
    // The crowd is drawn only from people off the list; with the list short, report both.
    let faces: Vec<u32> =
        (0..data.bench.samples.len() as u32).filter(|&i| !on_list[data.subject_of(i) as usize]).collect();
    let crowd = choose(
        &mut stream(seed, CROWD),
        &faces,
        r.crowd,
        &selection,
        &|i| data.subject_of(i),
        "crowd faces (samples of subjects not on the watchlist)",
    );
    let (listed, mut crowd) = match (listed, crowd) {
        (Ok(l), Ok(c)) => (l, c),
        (l, c) => {
            let short = [l.err(), c.err()].into_iter().flatten().flatten().collect();
            return Err(BuildError::Short(short));
        }
    };
    crowd.sort_unstable();
    let mut rng = stream(seed, PASSES);
    let mut passes = Vec::with_capacity(listed.len() * p);
    for &s in &listed {
        let others = &data.by_subject[s as usize][1..];
        let mut chosen = rand::seq::index::sample(&mut rng, others.len(), p).into_vec();
        chosen.sort_unstable();
        passes.extend(chosen.into_iter().map(|i| others[i]));
    }
    let protocol = SearchProtocol {
        name: r.name.clone(),
        gallery: listed.iter().map(|&s| data.by_subject[s as usize][0]).collect(),
        mated: passes,
        non_mated: crowd,
        candidates: r.candidates,
        gallery_sizes: vec![r.size],
    };
    let recipe = format!(
        "watchlist: {} subjects ({}), each enrolled with its first sample; {p} passes each (seeded, from its other \
         samples); crowd of {} faces of people not on the watchlist ({}); L = {}",
        r.size,
        r.selection.describe(),
        r.crowd,
        r.selection.describe(),
        r.candidates
    );
    Ok((Protocol::Watchlist(protocol), recipe))
}

#[cfg(test)]
#[path = "protocol_builder_tests.rs"]
mod tests;
