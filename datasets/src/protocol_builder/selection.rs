//! Choosing subjects (and crowd faces): a seeded simple random sample, equal numbers per
//! group, or a declared composition, in an order whose every prefix keeps the mix so that
//! nested galleries are subsets of one another with the same composition.

use super::{BuildError, Data, Shortfall};
use harness::model::population::{GroupCodes, Grouping};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// How subjects (and crowd faces) are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// A seeded simple random sample.
    Random,
    /// Equal numbers from every group of the grouping.
    Balanced(Grouping),
    /// In proportion to declared shares of the grouping's groups (a group left out gets
    /// none).
    Composition { grouping: Grouping, shares: Vec<(String, f64)> },
}

impl Selection {
    /// `ethnicity=asian:0.2,black:0.3,white:0.5` (an intersection: `sex×ethnicity=F×asian:0.1,...`).
    pub fn parse_composition(text: &str) -> Result<Selection, BuildError> {
        let bad = |m: String| BuildError::Invalid(format!("composition `{text}`: {m}"));
        let (grouping, list) = text.split_once('=').ok_or_else(|| bad("expected GROUPING=GROUP:SHARE,...".into()))?;
        let grouping = Grouping::parse(grouping).map_err(|e| bad(e.to_string()))?;
        let mut shares: Vec<(String, f64)> = Vec::new();
        for item in list.split(',') {
            let (group, share) = item.rsplit_once(':').ok_or_else(|| bad(format!("`{item}` is not GROUP:SHARE")))?;
            let value: f64 = share.trim().parse().map_err(|_| bad(format!("share `{share}` is not a number")))?;
            if !(0.0..=1.0).contains(&value) {
                return Err(bad(format!("share {value} of `{group}` is not between 0 and 1")));
            }
            if shares.iter().any(|(g, _)| g == group) {
                return Err(bad(format!("group `{group}` is listed twice")));
            }
            shares.push((group.to_string(), value));
        }
        let sum: f64 = shares.iter().map(|s| s.1).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(bad(format!("the shares sum to {sum}, not 1")));
        }
        Ok(Selection::Composition { grouping, shares })
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Selection::Random => "simple random sample".into(),
            Selection::Balanced(g) => format!("balanced by {}", g.name()),
            Selection::Composition { grouping, shares } => {
                let s: Vec<String> = shares.iter().map(|(g, v)| format!("{g}:{v}")).collect();
                format!("composition {}={}", grouping.name(), s.join(","))
            }
        }
    }
}

/// A selection with its groups resolved against the benchmark.
pub(super) enum Resolved {
    Random,
    Shares { codes: GroupCodes, shares: Vec<f64> },
}

pub(super) fn resolve(data: &Data, selection: &Selection) -> Result<Resolved, BuildError> {
    match selection {
        Selection::Random => Ok(Resolved::Random),
        Selection::Balanced(g) => {
            let codes = data.codes(g)?;
            let n = codes.labels.len();
            Ok(Resolved::Shares { shares: vec![1.0 / n as f64; n], codes })
        }
        Selection::Composition { grouping, shares } => {
            let codes = data.codes(grouping)?;
            let mut out = vec![0.0; codes.labels.len()];
            for (group, share) in shares {
                let Some(i) = codes.labels.iter().position(|l| l == group) else {
                    return Err(BuildError::Invalid(format!(
                        "composition: no group `{group}` in grouping {}; its groups are: {}",
                        grouping.name(),
                        codes.labels.join(", ")
                    )));
                };
                out[i] = *share;
            }
            Ok(Resolved::Shares { codes, shares: out })
        }
    }
}

/// The group of each of `n` seats, handed out one at a time to the group furthest below
/// its share of the seats so far (ties to the first group). Sequential, so every prefix
/// is itself an allocation close to the shares: nested galleries keep the mix.
pub(crate) fn seats(shares: &[f64], n: usize) -> Vec<usize> {
    let mut have = vec![0usize; shares.len()];
    let mut out = Vec::with_capacity(n);
    for i in 1..=n {
        let mut best: Option<(usize, f64)> = None;
        for (g, &s) in shares.iter().enumerate() {
            if s <= 0.0 {
                continue;
            }
            let deficit = s * i as f64 - have[g] as f64;
            if best.is_none_or(|(_, d)| deficit > d) {
                best = Some((g, deficit));
            }
        }
        let Some((g, _)) = best else { break };
        have[g] += 1;
        out.push(g);
    }
    out
}

/// Choose `n` items of `pool` (population or table order) in a seeded order whose every
/// prefix keeps the selection's mix. `subject` maps an item to its subject; `what` names
/// the items in shortfalls.
pub(super) fn choose(
    rng: &mut ChaCha8Rng,
    pool: &[u32],
    n: usize,
    selection: &Resolved,
    subject: &dyn Fn(u32) -> u32,
    what: &str,
) -> Result<Vec<u32>, Vec<Shortfall>> {
    match selection {
        Resolved::Random => {
            if pool.len() < n {
                return Err(vec![Shortfall { what: what.to_string(), needed: n, available: pool.len() }]);
            }
            let mut items = pool.to_vec();
            items.shuffle(rng);
            items.truncate(n);
            Ok(items)
        }
        Resolved::Shares { codes, shares } => {
            let mut by_group: Vec<Vec<u32>> = vec![Vec::new(); shares.len()];
            for &item in pool {
                by_group[codes.of_subject[subject(item) as usize] as usize].push(item);
            }
            for list in &mut by_group {
                list.shuffle(rng);
            }
            let order = seats(shares, n);
            let mut quota = vec![0usize; shares.len()];
            for &g in &order {
                quota[g] += 1;
            }
            let short: Vec<Shortfall> = (0..shares.len())
                .filter(|&g| quota[g] > by_group[g].len())
                .map(|g| Shortfall {
                    what: format!("{what} in group '{}' of {}", codes.labels[g], codes.grouping.name()),
                    needed: quota[g],
                    available: by_group[g].len(),
                })
                .collect();
            if !short.is_empty() {
                return Err(short);
            }
            let mut next = vec![0usize; shares.len()];
            Ok(order
                .into_iter()
                .map(|g| {
                    next[g] += 1;
                    by_group[g][next[g] - 1]
                })
                .collect())
        }
    }
}
