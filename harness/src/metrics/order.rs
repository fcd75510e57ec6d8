//! Exact order statistics of scores read in passes, without sorting them and without
//! holding them (docs/metrics.md, "Counting"): the value at a rank (calibrated
//! thresholds, the points of a DET curve) and the crossing of FMR and FNMR (the EER).
//!
//! Scores are mapped to integer *keys* in their order. A question starts with the key
//! range of its scores and narrows it, one pass at a time, to the one of [`SUB_BINS`]
//! sub-ranges that must hold its answer (a histogram of the pass tells which); once the
//! range holds at most [`COLLECT`] scores, the next pass collects them and the answer is
//! read off exactly. Scores at `-inf` (failures) are counted by the census and never
//! collected. `-0` is the same score as `+0` (`score >= T` does not tell them apart).
//!
//! Usage: a [`Census`] per stream from a first pass, then a [`Selector`] with the
//! questions; while it is not [`Selector::done`], make a [`Plan`], feed every score of
//! every stream to [`Plan::observe`] with a [`PassAccumulator`] (one per thread, merged),
//! and [`Selector::finish_pass`].
//!
//! Longer than most files (about 780 lines): the tests, a third of it, hold every kind
//! of question equal to the sorted computation, at ties, failures and signed zeros.

use crate::metrics::eer::{Crossing, crossing_point};

/// Sub-ranges a range is cut into per pass.
pub const SUB_BINS: usize = 1 << 12;
/// A range with at most this many scores is collected.
pub const COLLECT: u64 = 1 << 16;

/// The order key of a score: `a < b` as numbers exactly when `key(a) < key(b)`, with
/// `-0` and `+0` one key. NaN never reaches here.
#[inline]
pub fn key(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The score of a key.
#[inline]
pub fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// A first pass over one stream of scores: how many, how many at `-inf`, and the key
/// range of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Census {
    pub total: u64,
    pub neg_inf: u64,
    pub min_key: u64,
    pub max_key: u64,
}

impl Default for Census {
    fn default() -> Self {
        Census { total: 0, neg_inf: 0, min_key: u64::MAX, max_key: 0 }
    }
}

impl Census {
    #[inline]
    pub fn observe(&mut self, x: f64) {
        self.total += 1;
        if x == f64::NEG_INFINITY {
            self.neg_inf += 1;
        } else {
            let k = key(x);
            self.min_key = self.min_key.min(k);
            self.max_key = self.max_key.max(k);
        }
    }

    pub fn merge(&mut self, other: &Census) {
        self.total += other.total;
        self.neg_inf += other.neg_inf;
        self.min_key = self.min_key.min(other.min_key);
        self.max_key = self.max_key.max(other.max_key);
    }

    /// Scores other than `-inf`.
    pub fn finite(&self) -> u64 {
        self.total - self.neg_inf
    }

    /// The lowest and highest finite score, if any.
    pub fn range(&self) -> Option<(f64, f64)> {
        (self.finite() > 0).then(|| (value(self.min_key), value(self.max_key)))
    }
}

/// A key range `[lo, hi]` and how it is cut into sub-ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    lo: u64,
    hi: u64,
}

impl Range {
    fn shift(self) -> u32 {
        let span = self.hi.saturating_sub(self.lo);
        let mut s = 0;
        while (span >> s) >= SUB_BINS as u64 {
            s += 1;
        }
        s
    }

    #[inline]
    fn contains(self, k: u64) -> bool {
        self.lo <= k && k <= self.hi
    }

    /// Sub-range `j` (cut by `shift`).
    fn sub(self, shift: u32, j: usize) -> Range {
        let lo = self.lo + ((j as u64) << shift);
        let end = u128::from(self.lo) + ((j as u128 + 1) << shift) - 1;
        Range { lo, hi: end.min(u128::from(self.hi)) as u64 }
    }

    fn single(self) -> bool {
        self.lo == self.hi
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Count the range's scores in sub-ranges.
    Histogram,
    /// Keep the range's scores.
    Collect,
    /// (Crossings only) the answer is the lowest score of the range: find it and the
    /// highest score below the range.
    Lowest,
    Done,
}

fn mode_for(range: Range, count: u64) -> Mode {
    if count <= COLLECT || range.single() { Mode::Collect } else { Mode::Histogram }
}

#[derive(Debug, Clone)]
struct RankQuestion {
    stream: usize,
    /// Rank among the finite scores of the stream (0 = lowest).
    rank: u64,
    range: Range,
    /// Finite scores of the stream below the range.
    below: u64,
    mode: Mode,
    answer: Option<f64>,
}

/// The EER question of one group: the mated and the non-mated stream.
#[derive(Debug, Clone)]
struct CrossingQuestion {
    streams: [usize; 2],
    /// Trials on each side and failures (`-inf`) on each side.
    total: [u64; 2],
    neg_inf: [u64; 2],
    top: f64,
    range: Range,
    below: [u64; 2],
    mode: Mode,
    answer: Option<Crossing>,
}

const MATED: usize = 0;
const NON_MATED: usize = 1;

impl CrossingQuestion {
    /// FMR and FNMR at a threshold with `fm` mated scores below it and `gn` non-mated
    /// scores at or above it, in the arithmetic of `metrics::eer`.
    fn rates(&self, fm: u64, gn: u64) -> (f64, f64) {
        (gn as f64 / self.total[NON_MATED] as f64, fm as f64 / self.total[MATED] as f64)
    }

    /// Mated scores below, and non-mated scores at or above, a threshold with `below`
    /// finite scores of each side under it.
    fn counts(&self, below: [u64; 2]) -> (u64, u64) {
        (self.neg_inf[MATED] + below[MATED], self.total[NON_MATED] - self.neg_inf[NON_MATED] - below[NON_MATED])
    }

    /// FNMR >= FMR at the lowest score above `below` scores of each side.
    fn reached(&self, below: [u64; 2]) -> bool {
        let (fm, gn) = self.counts(below);
        let (fmr, fnmr) = self.rates(fm, gn);
        fnmr >= fmr
    }
}

/// The questions, and what has been learnt about them.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    streams: usize,
    ranks: Vec<RankQuestion>,
    crossings: Vec<CrossingQuestion>,
}

/// Which question: `Selector::rank(id)` / `Selector::crossing(id)`.
pub type QuestionId = usize;

impl Selector {
    pub fn new(streams: usize) -> Self {
        Selector { streams, ..Default::default() }
    }

    /// The score at `rank` (0 = lowest, `-inf` failures first) of `stream`; `rank` must
    /// be below the stream's total.
    pub fn add_rank(&mut self, census: &Census, stream: usize, rank: u64) -> QuestionId {
        debug_assert!(rank < census.total, "rank {rank} of {} scores", census.total);
        let mut q = RankQuestion {
            stream,
            rank: 0,
            range: Range { lo: census.min_key, hi: census.max_key },
            below: 0,
            mode: Mode::Done,
            answer: None,
        };
        if rank < census.neg_inf || census.finite() == 0 {
            q.answer = Some(f64::NEG_INFINITY);
        } else {
            q.rank = rank - census.neg_inf;
            q.mode = mode_for(q.range, census.finite());
            if q.range.single() {
                q.answer = Some(value(q.range.lo));
                q.mode = Mode::Done;
            }
        }
        self.ranks.push(q);
        self.ranks.len() - 1
    }

    /// The crossing of FMR and FNMR between a mated and a non-mated stream, as
    /// `metrics::eer::equal_error_rate` finds it over the sorted scores.
    pub fn add_crossing(&mut self, mated: (&Census, usize), non_mated: (&Census, usize)) -> QuestionId {
        let (m, n) = (mated.0, non_mated.0);
        let finite = m.finite() + n.finite();
        let range = Range { lo: m.min_key.min(n.min_key), hi: m.max_key.max(n.max_key) };
        let mut q = CrossingQuestion {
            streams: [mated.1, non_mated.1],
            total: [m.total, n.total],
            neg_inf: [m.neg_inf, n.neg_inf],
            top: if finite > 0 { value(range.hi) } else { f64::NEG_INFINITY },
            range,
            below: [0, 0],
            mode: Mode::Done,
            answer: None,
        };
        if m.total > 0 && n.total > 0 && finite > 0 {
            q.mode = mode_for(range, finite);
        }
        self.crossings.push(q);
        self.crossings.len() - 1
    }

    pub fn done(&self) -> bool {
        self.ranks.iter().all(|q| q.mode == Mode::Done) && self.crossings.iter().all(|q| q.mode == Mode::Done)
    }

    /// The answer to a rank question, once [`Selector::done`].
    pub fn rank(&self, id: QuestionId) -> f64 {
        self.ranks[id].answer.unwrap_or(f64::NAN)
    }

    /// The answer to a crossing question once done: `None` when a side has no trials
    /// or no side has a finite score.
    pub fn crossing(&self, id: QuestionId) -> Option<Crossing> {
        self.crossings[id].answer
    }

    /// What the next pass looks for.
    pub fn plan(&self) -> Plan {
        let mut rank_windows: Vec<Vec<Window>> = vec![Vec::new(); self.streams];
        let mut slots = Vec::new();
        for q in self.ranks.iter().filter(|q| q.mode != Mode::Done) {
            let windows = &mut rank_windows[q.stream];
            if windows.iter().any(|w| w.range == q.range) {
                continue;
            }
            windows.push(Window { range: q.range, shift: q.range.shift(), mode: q.mode, slot: slots.len() });
            slots.push(q.mode);
        }
        for w in &mut rank_windows {
            w.sort_by_key(|w| w.range.lo);
        }
        let mut crossing_on: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.streams];
        let mut crossings = Vec::with_capacity(self.crossings.len());
        for (i, q) in self.crossings.iter().enumerate() {
            let shift = if q.mode == Mode::Done { 0 } else { q.range.shift() };
            crossings.push(Window { range: q.range, shift, mode: q.mode, slot: i });
            if q.mode != Mode::Done {
                for (side, &s) in q.streams.iter().enumerate() {
                    crossing_on[s].push((i, side));
                }
            }
        }
        Plan { rank_windows, slots, crossing_on, crossings }
    }

    /// Learn from a finished pass.
    pub fn finish_pass(&mut self, plan: &Plan, acc: PassAccumulator) {
        let PassAccumulator { mut slots, crossings } = acc;
        for q in self.ranks.iter_mut().filter(|q| q.mode != Mode::Done) {
            let w = plan.rank_windows[q.stream].iter().find(|w| w.range == q.range).copied();
            let Some(w) = w else { continue };
            match &mut slots[w.slot] {
                SlotData::Histogram(h) => {
                    let mut before = q.below;
                    for (j, &c) in h.iter().enumerate() {
                        if before + c > q.rank {
                            q.range = q.range.sub(w.shift, j);
                            q.below = before;
                            q.mode = mode_for(q.range, c);
                            if q.range.single() {
                                q.answer = Some(value(q.range.lo));
                                q.mode = Mode::Done;
                            }
                            break;
                        }
                        before += c;
                    }
                }
                SlotData::Collect(keys) => {
                    keys.sort_unstable();
                    q.answer = keys.get((q.rank - q.below) as usize).map(|&k| value(k));
                    q.mode = Mode::Done;
                }
                SlotData::None => {}
            }
        }
        for (q, mut data) in self.crossings.iter_mut().zip(crossings) {
            let w = plan.crossings[data.window];
            match q.mode {
                Mode::Histogram => narrow_crossing(q, w.shift, &data.histogram),
                Mode::Collect => {
                    data.collected.sort_unstable();
                    q.answer = Some(crossing_in_collected(q, &data));
                    q.mode = Mode::Done;
                }
                Mode::Lowest => {
                    q.answer = Some(crossing_at_lowest(q, &data));
                    q.mode = Mode::Done;
                }
                Mode::Done => {}
            }
        }
    }
}

/// One histogram pass of a crossing: keep the sub-range that must hold the crossing.
fn narrow_crossing(q: &mut CrossingQuestion, shift: u32, h: &[[u64; 2]]) {
    // Nonempty sub-ranges in order, with the scores of each side below them.
    let mut before = q.below;
    let mut previous: Option<(usize, [u64; 2])> = None;
    for (j, c) in h.iter().enumerate() {
        if c[0] + c[1] == 0 {
            continue;
        }
        if q.reached(before) {
            match previous {
                // The crossing is a later score of the previous sub-range, or this one's lowest.
                Some((p, b)) => {
                    q.range = q.range.sub(shift, p);
                    q.below = b;
                    q.mode = mode_for(q.range, h[p][0] + h[p][1]);
                }
                // The first score of the range reaches: it is the crossing.
                None => {
                    q.range = q.range.sub(shift, j);
                    q.below = before;
                    q.mode = Mode::Lowest;
                }
            }
            return;
        }
        previous = Some((j, before));
        before = [before[0] + c[0], before[1] + c[1]];
    }
    // Not reached at any sub-range's lowest score: in the last one, or beyond the range.
    if let Some((p, b)) = previous {
        q.range = q.range.sub(shift, p);
        q.below = b;
        q.mode = mode_for(q.range, h[p][0] + h[p][1]);
    }
}

/// The scores just outside a range: the highest below it and the lowest above it, with
/// how many of each side share that score.
fn extreme_rates(q: &CrossingQuestion, below_score: Option<(u64, [u64; 2])>) -> Option<(f64, f64, f64)> {
    below_score.map(|(k, c)| {
        let (fm, gn) = q.counts(q.below);
        let (fmr, fnmr) = q.rates(fm - c[MATED], gn + c[NON_MATED]);
        (value(k), fmr, fnmr)
    })
}

/// The collected scores of a range, sorted, as distinct keys with their count per side.
fn distinct(data: &CrossingData) -> Vec<(u64, [u64; 2])> {
    let mut out: Vec<(u64, [u64; 2])> = data.lowest_in.into_iter().collect();
    for &(k, side) in &data.collected {
        match out.last_mut() {
            Some((last, c)) if *last == k => c[side as usize] += 1,
            _ => {
                let mut c = [0; 2];
                c[side as usize] = 1;
                out.push((k, c));
            }
        }
    }
    out
}

fn crossing_in_collected(q: &CrossingQuestion, data: &CrossingData) -> Crossing {
    let mut before = q.below;
    let mut previous = extreme_rates(q, data.highest_below);
    for (k, here) in distinct(data) {
        let (fm, gn) = q.counts(before);
        let (fmr, fnmr) = q.rates(fm, gn);
        if fnmr >= fmr {
            return crossing_point(previous, (value(k), fmr, fnmr));
        }
        previous = Some((value(k), fmr, fnmr));
        before = [before[0] + here[0], before[1] + here[1]];
    }
    // Beyond the range: its lowest score above, or just above the top score.
    match data.lowest_above {
        Some((k, _)) => {
            let (fm, gn) = q.counts(before);
            let (fmr, fnmr) = q.rates(fm, gn);
            crossing_point(previous, (value(k), fmr, fnmr))
        }
        None => {
            let (fmr, fnmr) = q.rates(q.total[MATED], 0);
            crossing_point(previous, (q.top.next_up(), fmr, fnmr))
        }
    }
}

fn crossing_at_lowest(q: &CrossingQuestion, data: &CrossingData) -> Crossing {
    let previous = extreme_rates(q, data.highest_below);
    let lowest = data.lowest_in.map_or(q.range.lo, |(k, _)| k);
    let (fm, gn) = q.counts(q.below);
    let (fmr, fnmr) = q.rates(fm, gn);
    crossing_point(previous, (value(lowest), fmr, fnmr))
}

#[derive(Debug, Clone, Copy)]
pub struct Window {
    range: Range,
    shift: u32,
    mode: Mode,
    slot: usize,
}

/// What one pass looks for; shared by every thread of the pass.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per stream: the ranges of its rank questions, disjoint, by lowest key.
    rank_windows: Vec<Vec<Window>>,
    slots: Vec<Mode>,
    /// Per stream: (crossing, side) that read it.
    crossing_on: Vec<Vec<(usize, usize)>>,
    crossings: Vec<Window>,
}

#[derive(Debug, Clone)]
enum SlotData {
    Histogram(Vec<u64>),
    Collect(Vec<u64>),
    None,
}

#[derive(Debug, Clone, Default)]
struct CrossingData {
    window: usize,
    histogram: Vec<[u64; 2]>,
    collected: Vec<(u64, u8)>,
    highest_below: Option<(u64, [u64; 2])>,
    lowest_above: Option<(u64, [u64; 2])>,
    lowest_in: Option<(u64, [u64; 2])>,
}

/// Keep the highest (`high`) or lowest key seen, with how many of each side share it.
#[inline]
fn track(slot: &mut Option<(u64, [u64; 2])>, k: u64, side: usize, high: bool) {
    match slot {
        Some((best, c)) if *best == k => c[side] += 1,
        Some((best, _)) if (k > *best) != high => {}
        _ => {
            let mut c = [0; 2];
            c[side] = 1;
            *slot = Some((k, c));
        }
    }
}

fn merge_track(a: &mut Option<(u64, [u64; 2])>, b: Option<(u64, [u64; 2])>, high: bool) {
    match (a.as_mut(), b) {
        (_, None) => {}
        (None, b) => *a = b,
        (Some((ka, ca)), Some((kb, cb))) if *ka == kb => {
            ca[0] += cb[0];
            ca[1] += cb[1];
        }
        (Some((ka, _)), Some((kb, _))) if (kb > *ka) == high => *a = b,
        _ => {}
    }
}

/// One thread's findings in a pass.
#[derive(Debug, Clone)]
pub struct PassAccumulator {
    slots: Vec<SlotData>,
    crossings: Vec<CrossingData>,
}

impl Plan {
    pub fn accumulator(&self) -> PassAccumulator {
        let slots = self
            .slots
            .iter()
            .map(|m| match m {
                Mode::Histogram => SlotData::Histogram(vec![0; SUB_BINS]),
                Mode::Collect => SlotData::Collect(Vec::new()),
                _ => SlotData::None,
            })
            .collect();
        let crossings = self
            .crossings
            .iter()
            .enumerate()
            .map(|(i, w)| CrossingData {
                window: i,
                histogram: if w.mode == Mode::Histogram { vec![[0; 2]; SUB_BINS] } else { Vec::new() },
                ..Default::default()
            })
            .collect();
        PassAccumulator { slots, crossings }
    }

    /// Whether stream `s` is read at all in this pass.
    #[inline]
    pub fn reads(&self, s: usize) -> bool {
        !self.rank_windows[s].is_empty() || !self.crossing_on[s].is_empty()
    }

    /// Whether the pass reads nothing (every question answered).
    pub fn is_empty(&self) -> bool {
        (0..self.rank_windows.len()).all(|s| !self.reads(s))
    }

    /// Feed one score of stream `s`.
    #[inline]
    pub fn observe(&self, acc: &mut PassAccumulator, s: usize, x: f64) {
        if x == f64::NEG_INFINITY {
            return;
        }
        let k = key(x);
        let windows = &self.rank_windows[s];
        if !windows.is_empty() {
            let i = windows.partition_point(|w| w.range.lo <= k);
            if i > 0 {
                let w = &windows[i - 1];
                if k <= w.range.hi {
                    match &mut acc.slots[w.slot] {
                        SlotData::Histogram(h) => h[((k - w.range.lo) >> w.shift) as usize] += 1,
                        SlotData::Collect(v) => v.push(k),
                        SlotData::None => {}
                    }
                }
            }
        }
        for &(c, side) in &self.crossing_on[s] {
            let w = &self.crossings[c];
            let data = &mut acc.crossings[c];
            match w.mode {
                Mode::Histogram => {
                    if w.range.contains(k) {
                        data.histogram[((k - w.range.lo) >> w.shift) as usize][side] += 1;
                    }
                }
                Mode::Collect => {
                    if w.range.single() && k == w.range.lo {
                        // One score, perhaps many times: count it, do not keep it.
                        track(&mut data.lowest_in, k, side, false);
                    } else if w.range.contains(k) {
                        data.collected.push((k, side as u8));
                    } else if k < w.range.lo {
                        track(&mut data.highest_below, k, side, true);
                    } else {
                        track(&mut data.lowest_above, k, side, false);
                    }
                }
                Mode::Lowest => {
                    if w.range.contains(k) {
                        track(&mut data.lowest_in, k, side, false);
                    } else if k < w.range.lo {
                        track(&mut data.highest_below, k, side, true);
                    }
                }
                Mode::Done => {}
            }
        }
    }
}

impl PassAccumulator {
    /// Add another thread's findings.
    pub fn merge(&mut self, other: PassAccumulator) {
        for (a, b) in self.slots.iter_mut().zip(other.slots) {
            match (a, b) {
                (SlotData::Histogram(a), SlotData::Histogram(b)) => a.iter_mut().zip(b).for_each(|(x, y)| *x += y),
                (SlotData::Collect(a), SlotData::Collect(b)) => a.extend(b),
                _ => {}
            }
        }
        for (a, b) in self.crossings.iter_mut().zip(other.crossings) {
            for (x, y) in a.histogram.iter_mut().zip(&b.histogram) {
                x[0] += y[0];
                x[1] += y[1];
            }
            a.collected.extend(b.collected);
            merge_track(&mut a.highest_below, b.highest_below, true);
            merge_track(&mut a.lowest_above, b.lowest_above, false);
            merge_track(&mut a.lowest_in, b.lowest_in, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::eer::equal_error_rate;
    use rand::{Rng, SeedableRng};

    #[test]
    fn keys_keep_the_order_of_numbers() {
        let xs = [f64::NEG_INFINITY, f64::MIN, -1.0, -1e-300, 0.0, 1e-300, 0.5, 1.0, f64::MAX, f64::INFINITY];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value(key(x)), x);
        }
        assert_eq!(key(-0.0), key(0.0));
        assert_eq!(value(key(-0.0)).to_bits(), 0.0f64.to_bits());
    }

    /// Run the passes over in-memory streams, in two "threads" (halves) merged.
    fn solve(streams: &[Vec<f64>], selector: &mut Selector) -> usize {
        let mut passes = 0;
        while !selector.done() {
            let plan = selector.plan();
            let mut a = plan.accumulator();
            let mut b = plan.accumulator();
            for (s, xs) in streams.iter().enumerate() {
                let half = xs.len() / 2;
                xs[..half].iter().for_each(|&x| plan.observe(&mut a, s, x));
                xs[half..].iter().for_each(|&x| plan.observe(&mut b, s, x));
            }
            a.merge(b);
            selector.finish_pass(&plan, a);
            passes += 1;
            assert!(passes < 20, "no progress");
        }
        passes
    }

    fn census(xs: &[f64]) -> Census {
        let mut c = Census::default();
        xs.iter().for_each(|&x| c.observe(x));
        c
    }

    fn sample(rng: &mut impl Rng, n: usize, kind: usize) -> Vec<f64> {
        (0..n)
            .map(|_| match kind {
                // A few distinct values: many ties.
                0 => f64::from(rng.random_range(0..7)) / 8.0,
                // Failures among continuous scores.
                1 if rng.random_bool(0.1) => f64::NEG_INFINITY,
                // Negative and positive, with zeros of both signs.
                2 if rng.random_bool(0.05) => {
                    if rng.random_bool(0.5) {
                        -0.0
                    } else {
                        0.0
                    }
                }
                2 => rng.random_range(-1.0..1.0),
                // Tightly packed: many scores per first-pass sub-range.
                3 => 0.5 + rng.random_range(0.0..1e-9),
                _ => rng.random_range(0.0..1.0),
            })
            .collect()
    }

    #[test]
    fn ranks_equal_the_sorted_scores() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for case in 0..24 {
            let n = [1, 2, 10, 1000, 200_000][case % 5];
            let xs = sample(&mut rng, n, case % 5);
            let c = census(&xs);
            let mut sel = Selector::new(1);
            let ranks: Vec<u64> = (0..30).map(|_| rng.random_range(0..n as u64)).chain([0, n as u64 - 1]).collect();
            let ids: Vec<_> = ranks.iter().map(|&r| sel.add_rank(&c, 0, r)).collect();
            solve(std::slice::from_ref(&xs), &mut sel);
            let mut sorted: Vec<f64> = xs.iter().map(|x| x + 0.0).collect();
            sorted.sort_by(f64::total_cmp);
            for (&r, &id) in ranks.iter().zip(&ids) {
                assert_eq!(sel.rank(id).to_bits(), sorted[r as usize].to_bits(), "case {case} rank {r}");
            }
        }
    }

    #[test]
    fn crossings_equal_the_sorted_eer() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for case in 0..60 {
            let (nm, nn) = [(1, 1), (3, 5), (50, 400), (2000, 150_000), (0, 10), (300, 90_000)][case % 6];
            let kind = case % 5;
            let mut m = sample(&mut rng, nm, kind);
            let n = sample(&mut rng, nn, kind);
            // Mated scores a little higher, so the crossing is inside the data.
            m.iter_mut().for_each(|x| *x += 0.05 * (case % 3) as f64);
            let mut sel = Selector::new(2);
            let id = sel.add_crossing((&census(&m), 0), (&census(&n), 1));
            let passes = solve(&[m.clone(), n.clone()], &mut sel);
            let mut ms: Vec<f64> = m.iter().map(|x| x + 0.0).collect();
            let mut ns: Vec<f64> = n.iter().map(|x| x + 0.0).collect();
            ms.sort_by(f64::total_cmp);
            ns.sort_by(f64::total_cmp);
            let want = equal_error_rate(&ms, &ns);
            let got = sel.crossing(id).map(|c| (c.eer, c.threshold));
            assert_eq!(
                got.map(|(a, b)| (a.to_bits(), b.to_bits())),
                want.map(|(a, b)| (a.to_bits(), b.to_bits())),
                "case {case} ({nm} mated, {nn} non-mated, kind {kind}, {passes} passes): {got:?} vs {want:?}"
            );
        }
    }

    /// Every mated trial failed: FNMR is 1 at the lowest score already (the crossing is
    /// the lowest score of the first range, found by its own pass).
    #[test]
    fn a_crossing_at_the_lowest_score() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let m = vec![f64::NEG_INFINITY; 100];
        let n = sample(&mut rng, 100_000, 4);
        let mut sel = Selector::new(2);
        let id = sel.add_crossing((&census(&m), 0), (&census(&n), 1));
        assert_eq!(sel.plan().crossings[0].mode, Mode::Histogram);
        solve(&[m.clone(), n.clone()], &mut sel);
        let mut ns = n.clone();
        ns.sort_by(f64::total_cmp);
        let want = equal_error_rate(&m, &ns).map(|(eer, threshold)| Crossing { eer, threshold });
        assert_eq!(sel.crossing(id), want);
        assert_eq!(want.map(|c| c.threshold), Some(ns[0]));
    }

    /// A question that is answered at once (a side without trials) beside one that
    /// needs passes.
    #[test]
    fn answered_and_open_questions_together() {
        let m = vec![0.9, 0.8];
        let n: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let mut sel = Selector::new(3);
        let none = sel.add_crossing((&census(&[]), 2), (&census(&n), 1));
        let some = sel.add_crossing((&census(&m), 0), (&census(&n), 1));
        solve(&[m.clone(), n.clone(), vec![]], &mut sel);
        assert_eq!(sel.crossing(none), None);
        let want = equal_error_rate(&[0.8, 0.9], &n).map(|(eer, threshold)| Crossing { eer, threshold });
        assert_eq!(sel.crossing(some), want);
    }

    #[test]
    fn a_crossing_without_finite_scores_is_undefined() {
        let m = vec![f64::NEG_INFINITY; 3];
        let n = vec![f64::NEG_INFINITY; 2];
        let mut sel = Selector::new(2);
        let id = sel.add_crossing((&census(&m), 0), (&census(&n), 1));
        solve(&[m.clone(), n.clone()], &mut sel);
        assert_eq!(sel.crossing(id), equal_error_rate(&m, &n).map(|(eer, threshold)| Crossing { eer, threshold }));
    }
}
