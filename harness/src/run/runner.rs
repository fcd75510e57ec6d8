//! The runner: templates (in parallel), then comparisons and searches, for one vendor on
//! every protocol of a benchmark. A vendor that panics or returns garbage costs the
//! template or trial concerned, counted as a failure, never the run.

use crate::model::benchmark::{Benchmark, Protocol, SearchProtocol};
use crate::model::results::Timing;
use crate::model::trials::{SearchTrials, TemplateOutcomes, VerificationTrials};
use crate::run::cache::{CacheError, MediaHash, StoredTemplate, TemplateStore, media_hash};
use crate::run::plan::{gallery_subjects, templates_of};
use crate::run::progress::Progress;
use crate::run::search::{EmbeddingGallery, normalise, search, top_l};
use crate::vendor::{FailureCode, Role, Template, TemplateFailure, TemplateFormat, Vendor, VendorDescription};
use rayon::prelude::*;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

/// A template that could not be made, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureEvent {
    pub sample: u32,
    pub role: Role,
    pub failure: TemplateFailure,
}

/// What a vendor produced on one protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum ProtocolTrials {
    Verification(VerificationTrials),
    /// One entry per gallery size, ascending.
    Search(Vec<SearchTrials>),
}

/// Templates this run took from the cache and made itself: `from_cache + made` is the
/// number of templates planned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    pub from_cache: u64,
    pub made: u64,
    /// Cache blocks that did not read back whole and were ignored (their templates were made again).
    pub damaged_blocks: u64,
}

/// Everything one vendor produced on a benchmark.
#[derive(Debug, Clone)]
pub struct VendorRun {
    pub description: VendorDescription,
    pub fingerprint: String,
    pub outcomes: TemplateOutcomes,
    pub failures: Vec<FailureEvent>,
    pub timing: Timing,
    /// In the benchmark's protocol order.
    pub protocols: Vec<ProtocolTrials>,
    /// Per planned template, in the order of `outcomes`: the seconds the vendor took to
    /// make it (for a template from the cache, when it was made) and its size in bytes
    /// (0 for a failure).
    pub template_seconds: Vec<f64>,
    pub template_bytes: Vec<u64>,
    pub cache: CacheCounts,
    /// Wall-clock seconds of this run's template stage (cache reads included).
    pub template_stage_seconds: f64,
    /// Galleries the vendor's own search could not enrol, in words (docs/runner.md,
    /// "Native search"): their searches count as failed.
    pub search_faults: Vec<String>,
}

/// A made template, decoded once.
enum Made {
    Embedding(Vec<f32>),
    Opaque(Template),
}

fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, TemplateFailure>) -> Result<T, TemplateFailure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(TemplateFailure {
                code: FailureCode::VendorError,
                message: format!("vendor panicked in {what}: {detail}"),
            })
        }
    }
}

/// Run `vendor` on every protocol of `bench`, keeping nothing between runs.
pub fn run_vendor(bench: &Benchmark, vendor: &dyn Vendor, progress: &dyn Progress) -> VendorRun {
    match run_vendor_with(bench, vendor, progress, None) {
        Ok(run) => run,
        Err(e) => unreachable!("without a store the runner does no I/O of its own: {e}"),
    }
}

/// Templates made per cache block: small enough that a kill loses little work, large
/// enough that the files stay few (a block per 1/64 of the run, 32 to 4,096 templates).
fn block_size(templates: usize) -> usize {
    (templates / 64).clamp(32, 4096)
}

/// One template attempt before decoding.
struct Attempt {
    outcome: Result<Template, TemplateFailure>,
    seconds: f64,
    cached: bool,
    /// The cache key's media hash; `None` without a store or when the media could not be read.
    media: Option<MediaHash>,
}

type Cached = HashMap<(MediaHash, Role), (Result<Template, TemplateFailure>, f64)>;

/// Run `vendor` on every protocol of `bench`. With a `store` (one per vendor
/// fingerprint), templates already in it are taken from it and every template made is
/// saved to it in atomic blocks as the run goes, so a run that was killed continues
/// where it stopped and gives the same results. Failures are stored and reused too.
pub fn run_vendor_with(
    bench: &Benchmark,
    vendor: &dyn Vendor,
    progress: &dyn Progress,
    store: Option<&dyn TemplateStore>,
) -> Result<VendorRun, CacheError> {
    let description = vendor.describe();
    let dim = match description.template {
        TemplateFormat::Embedding { dim } => Some(dim),
        TemplateFormat::Opaque => None,
    };
    let needed = templates_of(bench);
    let stage_start = Instant::now();

    let (mut counts, cached) = load_cache(store)?;
    let stage = progress.stage(&format!("{}: templates", description.name), needed.len() as u64);
    let mut made: Vec<(Result<Made, TemplateFailure>, f64, usize)> = Vec::with_capacity(needed.len());
    for block in needed.chunks(block_size(needed.len())) {
        let attempts = make_block(bench, vendor, store, &cached, block, stage.as_ref())?;
        for a in attempts {
            if a.cached {
                counts.from_cache += 1;
            } else {
                counts.made += 1;
            }
            let size = a.outcome.as_ref().map(|t| t.0.len()).unwrap_or(0);
            let decoded = a.outcome.and_then(|t| match dim {
                Some(d) => t.embedding(d).map(|mut v| {
                    normalise(&mut v);
                    Made::Embedding(v)
                }),
                None => Ok(Made::Opaque(t)),
            });
            made.push((decoded, a.seconds, size));
        }
    }
    stage.finish();
    drop(cached);

    let mut outcomes = TemplateOutcomes::default();
    let mut failures = Vec::new();
    let mut timing = Timing::default();
    let mut bytes = 0usize;
    let mut template_seconds = Vec::with_capacity(needed.len());
    let mut template_bytes = Vec::with_capacity(needed.len());
    for (&(sample, role), (result, seconds, size)) in needed.iter().zip(&made) {
        outcomes.subject.push(bench.samples.subject[sample as usize]);
        outcomes.role.push(role);
        outcomes.failed.push(result.is_err());
        timing.templates += 1;
        timing.template_seconds_total += seconds;
        template_seconds.push(*seconds);
        // A template that did not decode (wrong length, not finite) is a failure: size 0.
        let size = if result.is_ok() { *size } else { 0 };
        template_bytes.push(size as u64);
        bytes += size;
        if let Err(f) = result {
            failures.push(FailureEvent { sample, role, failure: f.clone() });
        }
    }
    let made_ok = needed.len() - failures.len();
    timing.template_bytes_mean = if made_ok > 0 { bytes as f64 / made_ok as f64 } else { 0.0 };
    let template_stage_seconds = stage_start.elapsed().as_secs_f64();

    let lookup = |sample: u32, role: Role| -> Option<&Made> {
        let i = needed.binary_search(&(sample, role)).expect("every template was planned");
        made[i].0.as_ref().ok()
    };

    let mut protocols = Vec::new();
    let mut search_faults = Vec::new();
    for protocol in &bench.protocols {
        match protocol {
            Protocol::Verification(p) => {
                let stage =
                    progress.stage(&format!("{}: {} comparisons", description.name, p.name), p.probe.len() as u64);
                let start = Instant::now();
                let scores: Vec<Option<f64>> = p
                    .probe
                    .par_iter()
                    .zip(&p.reference)
                    .map(|(&a, &b)| {
                        let score = match (lookup(a, Role::Verify), lookup(b, Role::Enrol)) {
                            (Some(Made::Embedding(x)), Some(Made::Embedding(y))) => Some(dot(x, y)),
                            (Some(Made::Opaque(x)), Some(Made::Opaque(y))) => {
                                guarded("compare", || vendor.compare(x, y)).ok().filter(|s| s.is_finite())
                            }
                            _ => None,
                        };
                        stage.advance(1);
                        score
                    })
                    .collect();
                stage.finish();
                timing.comparison_seconds_total += start.elapsed().as_secs_f64();
                let mut trials = VerificationTrials::default();
                for ((&a, &b), s) in p.probe.iter().zip(&p.reference).zip(scores) {
                    trials.push(bench.samples.subject[a as usize], bench.samples.subject[b as usize], s);
                }
                protocols.push(ProtocolTrials::Verification(trials));
            }
            Protocol::Identification(p) | Protocol::Watchlist(p) => {
                let start = Instant::now();
                let (trials, faults) = run_search(bench, p, &description.name, dim, &lookup, vendor, progress);
                search_faults.extend(faults);
                timing.search_seconds_total += start.elapsed().as_secs_f64();
                protocols.push(ProtocolTrials::Search(trials));
            }
        }
    }
    Ok(VendorRun {
        description,
        fingerprint: vendor.fingerprint(),
        outcomes,
        failures,
        timing,
        protocols,
        template_seconds,
        template_bytes,
        cache: counts,
        template_stage_seconds,
        search_faults,
    })
}

/// What `store` holds, as a lookup by cache key, and the count of damaged blocks.
fn load_cache(store: Option<&dyn TemplateStore>) -> Result<(CacheCounts, Cached), CacheError> {
    let mut counts = CacheCounts::default();
    let mut cached: Cached = HashMap::new();
    if let Some(store) = store {
        let stored = store.load()?;
        counts.damaged_blocks = stored.damaged_blocks;
        for t in stored.templates {
            cached.entry((t.media, t.role)).or_insert((t.outcome, t.seconds));
        }
    }
    Ok((counts, cached))
}

/// Take or make the templates of one block (in parallel), save the ones made to `store`
/// as one atomic block, and tell the vendor about the outcomes an earlier attempt made.
fn make_block(
    bench: &Benchmark,
    vendor: &dyn Vendor,
    store: Option<&dyn TemplateStore>,
    cached: &Cached,
    block: &[(u32, Role)],
    stage: &dyn crate::run::progress::Stage,
) -> Result<Vec<Attempt>, CacheError> {
    let attempts: Vec<Attempt> = block
        .par_iter()
        .map(|&(sample, role)| {
            let attempt = attempt(bench, vendor, store.is_some(), cached, sample, role);
            stage.advance(1);
            attempt
        })
        .collect();
    // A vendor that has declared itself broken made this block's failures by being
    // broken, not by the media: they are not kept, so a rerun tries them again.
    if let Some(store) = store.filter(|_| vendor.fatal().is_none()) {
        let fresh: Vec<StoredTemplate> = block
            .iter()
            .zip(&attempts)
            .filter(|(_, a)| !a.cached)
            .filter_map(|(&(_, role), a)| {
                a.media.map(|media| StoredTemplate { media, role, seconds: a.seconds, outcome: a.outcome.clone() })
            })
            .collect();
        if !fresh.is_empty() {
            store.save(&fresh)?;
        }
    }
    // Outcomes an earlier, interrupted attempt made count towards the vendor's own
    // health judgement as they would have in an uninterrupted run.
    let earlier: Vec<Option<FailureCode>> =
        attempts.iter().filter(|a| a.cached).map(|a| a.outcome.as_ref().err().map(|f| f.code)).collect();
    if !earlier.is_empty() {
        vendor.resumed(&earlier);
    }
    Ok(attempts)
}

/// The part `index` (1-based) of `count` of `total` planned templates: contiguous, the
/// parts tiling `0..total` in order, sizes differing by at most one.
pub fn shard_range(index: usize, count: usize, total: usize) -> std::ops::Range<usize> {
    let at = |k: usize| ((k as u128 * total as u128) / count.max(1) as u128) as usize;
    at(index.saturating_sub(1))..at(index)
}

/// Make (or take from `store`) the templates of shard `index` of `count` of the planned
/// templates of `bench` and keep them in `store`: the template stage of a sharded run
/// (docs/scale.md). The blocks are those an unsharded run makes, so a killed shard run
/// again takes up where it stopped. Returns the shard's range of the planned templates
/// and what came from the cache and what was made.
pub fn make_shard_templates(
    bench: &Benchmark,
    vendor: &dyn Vendor,
    progress: &dyn Progress,
    store: &dyn TemplateStore,
    index: usize,
    count: usize,
) -> Result<(std::ops::Range<usize>, CacheCounts), CacheError> {
    let needed = templates_of(bench);
    let range = shard_range(index, count, needed.len());
    let (mut counts, cached) = load_cache(Some(store))?;
    let name = vendor.describe().name;
    let stage = progress.stage(&format!("{name}: templates {index}/{count}"), range.len() as u64);
    for block in needed[range.clone()].chunks(block_size(needed.len())) {
        for a in make_block(bench, vendor, Some(store), &cached, block, stage.as_ref())? {
            if a.cached {
                counts.from_cache += 1;
            } else {
                counts.made += 1;
            }
        }
        if vendor.fatal().is_some() {
            break;
        }
    }
    stage.finish();
    Ok((range, counts))
}

/// Take one template from the cache, or make it (timed, a panic caught).
fn attempt(bench: &Benchmark, vendor: &dyn Vendor, keyed: bool, cached: &Cached, sample: u32, role: Role) -> Attempt {
    let media = match bench.samples.media[sample as usize].bytes() {
        Ok(media) => media,
        // Not cached: there is no media hash to key it by, and the file may be back next time.
        Err(e) => {
            return Attempt {
                outcome: Err(TemplateFailure { code: FailureCode::MediaReadError, message: e.to_string() }),
                seconds: 0.0,
                cached: false,
                media: None,
            };
        }
    };
    // Landmarks travel with the media (geometry, not identity); a template made with them
    // is keyed by them too, so a cache never serves one made with other landmarks.
    let landmarks = bench.samples.landmarks(sample);
    let key = keyed.then(|| match &landmarks {
        Some(l) => media_hash(&[&media[..], b"\0landmarks\0", &l.to_bytes()].concat()),
        None => media_hash(&media),
    });
    if let Some(k) = key
        && let Some((outcome, seconds)) = cached.get(&(k, role))
    {
        return Attempt { outcome: outcome.clone(), seconds: *seconds, cached: true, media: key };
    }
    let start = Instant::now();
    let outcome =
        guarded("create_template", || vendor.create_template_with_landmarks(&media, role, landmarks.as_ref()));
    Attempt { outcome, seconds: start.elapsed().as_secs_f64(), cached: false, media: key }
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

fn run_search<'a>(
    bench: &Benchmark,
    p: &SearchProtocol,
    vendor_name: &str,
    dim: Option<usize>,
    lookup: &(dyn Fn(u32, Role) -> Option<&'a Made> + Sync),
    vendor: &dyn Vendor,
    progress: &dyn Progress,
) -> (Vec<SearchTrials>, Vec<String>) {
    let subjects = gallery_subjects(bench, p);
    let mut position = vec![u32::MAX; bench.population.subjects.len()];
    for (i, &s) in subjects.iter().enumerate() {
        position[s as usize] = i as u32;
    }
    let sizes = &p.gallery_sizes;
    let searches: Vec<u32> = p.mated.iter().chain(&p.non_mated).copied().collect();
    let enrolled: Vec<(u32, &Made)> = p
        .gallery
        .iter()
        .filter_map(|&s| lookup(s, Role::Enrol).map(|m| (position[bench.samples.subject[s as usize] as usize], m)))
        .collect();
    let queries: Vec<Option<&Made>> = searches.iter().map(|&s| lookup(s, Role::Search)).collect();

    let stage = progress.stage(&format!("{vendor_name}: {} searches", p.name), searches.len() as u64);
    // lists[q][k]: candidates of search q in gallery size sizes[k]; None: the search failed.
    let lists: Vec<Option<PerSize>> = match (vendor.native_search(), dim) {
        (Some(native), _) => {
            let gallery: Vec<(u32, u32, &Made)> = p
                .gallery
                .iter()
                .filter_map(|&s| {
                    lookup(s, Role::Enrol).map(|m| (s, position[bench.samples.subject[s as usize] as usize], m))
                })
                .collect();
            let (lists, faults) = native_lists(native, &gallery, &queries, sizes, p.candidates, stage.as_ref());
            stage.finish();
            let faults = faults.into_iter().map(|f| format!("protocol `{}`: {f}", p.name)).collect();
            return (assemble(bench, p, &subjects, &position, &searches, &lists), faults);
        }
        (None, dim) => match dim {
            Some(dim) => {
                let gallery = EmbeddingGallery {
                    dim,
                    rows: enrolled.iter().flat_map(|(_, m)| embedding(m).iter().copied()).collect(),
                    subject_position: enrolled.iter().map(|e| e.0).collect(),
                    subjects: subjects.len(),
                };
                let ok: Vec<usize> = (0..queries.len()).filter(|&q| queries[q].is_some()).collect();
                let matrix: Vec<f32> =
                    ok.iter().flat_map(|&q| queries[q].map(embedding).unwrap_or(&[]).iter().copied()).collect();
                let found = search(&gallery, &matrix, sizes, p.candidates);
                stage.advance(searches.len() as u64);
                let mut lists = vec![None; queries.len()];
                for (q, per_size) in ok.into_iter().zip(found) {
                    lists[q] = Some(
                        per_size.into_iter().map(|c| c.into_iter().map(|(s, v)| (s, v as f64)).collect()).collect(),
                    );
                }
                lists
            }
            None => queries
                .par_iter()
                .map(|q| {
                    let result = q.map(|q| {
                        let Made::Opaque(probe) = q else { return vec![Vec::new(); sizes.len()] };
                        let mut best = vec![f32::NEG_INFINITY; subjects.len()];
                        for (pos, m) in &enrolled {
                            if let Made::Opaque(reference) = m
                                && let Ok(s) = guarded("compare", || vendor.compare(probe, reference))
                                && s.is_finite()
                            {
                                let b = &mut best[*pos as usize];
                                *b = b.max(s as f32);
                            }
                        }
                        sizes
                            .iter()
                            .map(|&n| {
                                top_l(&best[..n.min(best.len())], p.candidates)
                                    .into_iter()
                                    .map(|(s, v)| (s, v as f64))
                                    .collect()
                            })
                            .collect()
                    });
                    stage.advance(1);
                    result
                })
                .collect(),
        },
    };
    stage.finish();
    let lists: Lists =
        lists.into_iter().map(|l| (0..sizes.len()).map(|k| l.as_ref().map(|l| l[k].clone())).collect()).collect();
    (assemble(bench, p, &subjects, &position, &searches, &lists), Vec::new())
}

/// The search trials of each gallery size from `lists[q][k]`: search q's candidates
/// (gallery position, score) in gallery size k, `None` when the search failed.
fn assemble(
    bench: &Benchmark,
    p: &SearchProtocol,
    subjects: &[u32],
    position: &[u32],
    searches: &[u32],
    lists: &Lists,
) -> Vec<SearchTrials> {
    p.gallery_sizes
        .iter()
        .enumerate()
        .map(|(k, &size)| {
            let mut t = SearchTrials::new(size, p.candidates);
            for (q, &sample) in searches.iter().enumerate() {
                let subject = bench.samples.subject[sample as usize];
                let mated = q < p.mated.len();
                // A mated search belongs to gallery size N only when its mate is among the first N.
                if mated && position[subject as usize] as usize >= size {
                    continue;
                }
                let list: Option<Vec<(u32, f64)>> =
                    lists[q][k].as_ref().map(|l| l.iter().map(|&(pos, s)| (subjects[pos as usize], s)).collect());
                t.push(q as u32, subject, mated, list.as_deref());
            }
            t
        })
        .collect()
}

/// Searches through the vendor's own 1:N search (docs/runner.md, "Native search"): for
/// each gallery size, the enrolment templates of its subjects are enrolled in an order
/// shuffled by a hash of their sample indices (a gallery id says nothing about whose
/// template it is), then every search template is searched. Asking for `candidates` x
/// the most templates a subject has guarantees `candidates` distinct subjects where the
/// gallery has them; a subject's best-placed template stands for it. A gallery that
/// cannot be enrolled fails every search of that size (and is reported in words); a
/// search that fails, or returns an id outside the gallery or a score that is not
/// finite, fails alone.
fn native_lists(
    native: &dyn crate::vendor::NativeSearch,
    gallery: &[(u32, u32, &Made)],
    queries: &[Option<&Made>],
    sizes: &[usize],
    candidates: usize,
    stage: &dyn crate::run::progress::Stage,
) -> (Lists, Vec<String>) {
    let mut lists = vec![vec![None; sizes.len()]; queries.len()];
    let mut faults = Vec::new();
    let template = |m: &Made| match m {
        Made::Opaque(t) => t.clone(),
        Made::Embedding(v) => Template::from_embedding(v),
    };
    let probes: Vec<Option<Template>> = queries.iter().map(|q| q.map(template)).collect();
    for (k, &size) in sizes.iter().enumerate() {
        let mut members: Vec<&(u32, u32, &Made)> = gallery.iter().filter(|g| (g.1 as usize) < size).collect();
        members.sort_by_key(|g| (media_hash(format!("verity gallery order {}", g.0).as_bytes()), g.0));
        let mut per_subject: HashMap<u32, usize> = HashMap::new();
        for g in &members {
            *per_subject.entry(g.1).or_default() += 1;
        }
        let most = per_subject.values().copied().max().unwrap_or(1);
        let ask = candidates.saturating_mul(most).min(members.len()).max(1);
        let templates: Vec<Template> = members.iter().map(|g| template(g.2)).collect();
        let refs: Vec<&Template> = templates.iter().collect();
        let enrolled = match guarded("enrol", || native.enrol(&refs)) {
            Ok(enrolled) => enrolled,
            Err(failure) => {
                faults.push(format!(
                    "the gallery of {size} subjects ({} templates) could not be enrolled ({}: {}); its {} searches \
                     count as failed",
                    refs.len(),
                    failure.code.name(),
                    failure.message,
                    queries.len()
                ));
                continue;
            }
        };
        let found: Vec<Option<Vec<(u32, f64)>>> = probes
            .par_iter()
            .map(|probe| {
                let probe = probe.as_ref()?;
                let mut list = guarded("search", || enrolled.search(probe, ask)).ok()?;
                // Rank by score, most similar first, whatever order the vendor gave.
                list.sort_by(|a, b| b.1.total_cmp(&a.1));
                let mut seen = vec![false; per_subject.keys().max().map_or(0, |&m| m as usize + 1)];
                let mut out = Vec::with_capacity(candidates);
                for (id, score) in list.into_iter().take(ask) {
                    let member = members.get(id as usize).filter(|_| score.is_finite())?;
                    if !std::mem::replace(&mut seen[member.1 as usize], true) && out.len() < candidates {
                        out.push((member.1, score));
                    }
                }
                Some(out)
            })
            .collect();
        for (q, list) in found.into_iter().enumerate() {
            lists[q][k] = list;
        }
    }
    stage.advance(queries.len() as u64);
    (lists, faults)
}

/// One search's candidate lists, one per gallery size: (gallery position, score).
type PerSize = Vec<Vec<(u32, f64)>>;

/// `lists[q][k]`: search q's candidates (gallery position, score) in gallery size k;
/// `None` when the search failed.
type Lists = Vec<Vec<Option<Vec<(u32, f64)>>>>;

fn embedding(m: &Made) -> &[f32] {
    match m {
        Made::Embedding(v) => v,
        Made::Opaque(_) => &[],
    }
}
