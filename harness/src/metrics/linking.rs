//! Linking (the Met's use case 3, M:N): how well a collection of faces is grouped into
//! people, overall and per group (docs/metrics.md, "Linking"). Each face has its true
//! identity and a predicted cluster (the vendor's, or verity's single-linkage clusters of
//! the pairs scoring at or above a threshold); everything here is integer counts over
//! faces and pairs of faces, computed from the identity × cluster contingency table in
//! O(faces), never by visiting the pairs.

use std::collections::HashMap;

/// Faces: true identity, predicted cluster and group code of each, index by face.
pub struct Faces<'a> {
    pub identity: &'a [u32],
    pub cluster: &'a [u32],
    /// The group of each face (its subject's); `groups` codes in all.
    pub group: &'a [u32],
    pub groups: usize,
}

/// Pair counts of one group (pairs whose two faces are both in it), or of all faces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairCounts {
    /// Pairs of faces of the same person.
    pub mated: u64,
    /// Pairs the prediction puts in one cluster.
    pub linked: u64,
    /// Pairs of the same person in one cluster.
    pub correct: u64,
}

impl PairCounts {
    /// Pairwise precision: correct / linked (None without a linked pair).
    pub fn precision(&self) -> Option<f64> {
        (self.linked > 0).then(|| self.correct as f64 / self.linked as f64)
    }
    /// Pairwise recall: correct / mated (None without a mated pair).
    pub fn recall(&self) -> Option<f64> {
        (self.mated > 0).then(|| self.correct as f64 / self.mated as f64)
    }
    /// False links: pairs of two people put in one cluster.
    pub fn false_links(&self) -> u64 {
        self.linked - self.correct
    }
    /// Missed links: pairs of one person put in different clusters.
    pub fn missed_links(&self) -> u64 {
        self.mated - self.correct
    }
}

/// BCubed (Bagga and Baldwin 1998) over a set of faces: the mean over faces of
/// precision_i = |same cluster and same person as i| / |same cluster as i| and recall_i =
/// |same cluster and same person as i| / |same person as i| (each count including i),
/// and F = 2PR / (P + R).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BCubed {
    pub faces: u64,
    pub precision: f64,
    pub recall: f64,
    pub f: f64,
}

/// Everything linking reports: overall (`all`) and per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Linking {
    pub all: PairCounts,
    pub by_group: Vec<PairCounts>,
    /// `cross[g][h]`, g < h: false links between a face of group g and one of group h
    /// (they count in neither group's own pairs; `all` has them).
    pub cross: Vec<Vec<u64>>,
    pub bcubed_all: Option<BCubed>,
    /// Over each group's faces (a face's precision counts every wrong co-member of its
    /// cluster, whatever their group).
    pub bcubed_by_group: Vec<Option<BCubed>>,
    /// People spread over more than one cluster, and the extra clusters they take
    /// (sum over people of clusters - 1): overall and by the people's group.
    pub split_people: u64,
    pub splits: u64,
    pub splits_by_group: Vec<u64>,
    /// Clusters holding more than one person, and the extra people they hold (sum over
    /// clusters of people - 1).
    pub merged_clusters: u64,
    pub merges: u64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// The linking counts of a prediction.
pub fn linking(faces: &Faces) -> Linking {
    let n = faces.identity.len();
    assert!(faces.cluster.len() == n && faces.group.len() == n, "one identity, cluster and group per face");
    let g = faces.groups;
    let mut cell: HashMap<(u32, u32), u64> = HashMap::new();
    let mut person: HashMap<u32, (u64, u32)> = HashMap::new();
    let mut cluster_group: HashMap<(u32, u32), u64> = HashMap::new();
    let mut cluster: HashMap<u32, u64> = HashMap::new();
    for i in 0..n {
        *cell.entry((faces.identity[i], faces.cluster[i])).or_default() += 1;
        let p = person.entry(faces.identity[i]).or_insert((0, faces.group[i]));
        p.0 += 1;
        *cluster_group.entry((faces.cluster[i], faces.group[i])).or_default() += 1;
        *cluster.entry(faces.cluster[i]).or_default() += 1;
    }
    let mut all = PairCounts::default();
    let mut by_group = vec![PairCounts::default(); g];
    for (&(identity, _), &k) in &cell {
        let group = person[&identity].1 as usize;
        all.correct += pairs(k);
        by_group[group].correct += pairs(k);
    }
    for &(k, group) in person.values() {
        all.mated += pairs(k);
        by_group[group as usize].mated += pairs(k);
    }
    all.linked = cluster.values().map(|&k| pairs(k)).sum();
    let mut cross = vec![vec![0u64; g]; g];
    let mut per_cluster: HashMap<u32, Vec<(u32, u64)>> = HashMap::new();
    for (&(c, group), &k) in &cluster_group {
        by_group[group as usize].linked += pairs(k);
        per_cluster.entry(c).or_default().push((group, k));
    }
    for members in per_cluster.values() {
        for (a, &(ga, ka)) in members.iter().enumerate() {
            for &(gb, kb) in &members[a + 1..] {
                let (lo, hi) = (ga.min(gb) as usize, ga.max(gb) as usize);
                cross[lo][hi] += ka * kb;
            }
        }
    }

    // BCubed: a face's correct co-members are its cell; one sum per (identity, cluster).
    let mut sums = vec![(0u64, 0f64, 0f64); g];
    for (&(identity, c), &k) in &cell {
        let (size, group) = person[&identity];
        let s = &mut sums[group as usize];
        s.0 += k;
        s.1 += k as f64 * (k as f64 / cluster[&c] as f64);
        s.2 += k as f64 * (k as f64 / size as f64);
    }
    let bcubed = |faces: u64, p: f64, r: f64| {
        (faces > 0).then(|| {
            let (precision, recall) = (p / faces as f64, r / faces as f64);
            BCubed { faces, precision, recall, f: 2.0 * precision * recall / (precision + recall) }
        })
    };
    let total = sums.iter().fold((0u64, 0f64, 0f64), |a, s| (a.0 + s.0, a.1 + s.1, a.2 + s.2));

    let mut clusters_of: HashMap<u32, u64> = HashMap::new();
    let mut people_in: HashMap<u32, u64> = HashMap::new();
    for &(identity, c) in cell.keys() {
        *clusters_of.entry(identity).or_default() += 1;
        *people_in.entry(c).or_default() += 1;
    }
    let mut splits_by_group = vec![0u64; g];
    for (identity, &k) in &clusters_of {
        splits_by_group[person[identity].1 as usize] += k - 1;
    }
    Linking {
        all,
        by_group,
        cross,
        bcubed_all: bcubed(total.0, total.1, total.2),
        bcubed_by_group: sums.iter().map(|s| bcubed(s.0, s.1, s.2)).collect(),
        split_people: clusters_of.values().filter(|&&k| k > 1).count() as u64,
        splits: clusters_of.values().map(|k| k - 1).sum(),
        splits_by_group,
        merged_clusters: people_in.values().filter(|&&k| k > 1).count() as u64,
        merges: people_in.values().map(|k| k - 1).sum(),
    }
}

/// Single-linkage clusters of `n` faces: faces joined by a pair scoring at or above
/// `threshold` (transitively) share a cluster. Clusters are numbered by their first face.
pub fn clusters_at(n: usize, pairs: &[(u32, u32, f64)], threshold: f64) -> Vec<u32> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for &(a, b, score) in pairs {
        if score >= threshold {
            let (ra, rb) = (root(&mut parent, a as usize), root(&mut parent, b as usize));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut label = vec![u32::MAX; n];
    let mut next = 0;
    let mut out = vec![0u32; n];
    for (i, slot) in out.iter_mut().enumerate() {
        let r = root(&mut parent, i);
        if label[r] == u32::MAX {
            label[r] = next;
            next += 1;
        }
        *slot = label[r];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_counted_example() {
        // Faces 0-2 are person A (group 0), 3-4 person B (group 1), 5 person C (group 1).
        // Clusters: {0, 1, 3}, {2}, {4, 5}.
        let identity = [0, 0, 0, 1, 1, 2];
        let cluster = [7, 7, 8, 7, 9, 9];
        let group = [0, 0, 0, 1, 1, 1];
        let l = linking(&Faces { identity: &identity, cluster: &cluster, group: &group, groups: 2 });
        // Mated pairs: A 3, B 1. Linked: {0,1,3} 3 + {4,5} 1. Correct: (0,1).
        assert_eq!(l.all, PairCounts { mated: 4, linked: 4, correct: 1 });
        // Group 0: mated 3, linked (0,1), correct 1. Group 1: mated 1, linked (4,5), correct 0.
        assert_eq!(
            l.by_group,
            vec![PairCounts { mated: 3, linked: 1, correct: 1 }, PairCounts { mated: 1, linked: 1, correct: 0 }]
        );
        // Cross-group false links: (0,3), (1,3).
        assert_eq!(l.cross[0][1], 2);
        // BCubed precision: 2/3, 2/3, 1, 1/3, 1/2, 1/2; recall: 2/3, 2/3, 1/3, 1/2, 1/2, 1.
        let b = l.bcubed_all.unwrap();
        assert!((b.precision - (2.0 / 3.0 + 2.0 / 3.0 + 1.0 + 1.0 / 3.0 + 0.5 + 0.5) / 6.0).abs() < 1e-12);
        assert!((b.recall - (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0 + 0.5 + 0.5 + 1.0) / 6.0).abs() < 1e-12);
        let g1 = l.bcubed_by_group[1].unwrap();
        assert_eq!(g1.faces, 3);
        assert!((g1.precision - (1.0 / 3.0 + 0.5 + 0.5) / 3.0).abs() < 1e-12);
        // A is split over 2 clusters, B over 2; cluster 7 merges A and B, 9 merges B and C.
        assert_eq!((l.split_people, l.splits, l.splits_by_group.clone()), (2, 2, vec![1, 1]));
        assert_eq!((l.merged_clusters, l.merges), (2, 2));
        assert_eq!(l.all.false_links(), 3);
        assert_eq!(l.all.missed_links(), 3);
    }

    #[test]
    fn single_linkage_is_transitive_and_numbered_by_first_face() {
        let pairs = [(0, 2, 0.9), (2, 4, 0.7), (1, 3, 0.4), (3, 5, 0.95)];
        assert_eq!(clusters_at(6, &pairs, 0.7), vec![0, 1, 0, 2, 0, 2]);
        assert_eq!(clusters_at(6, &pairs, 0.8), vec![0, 1, 0, 2, 3, 2]);
        assert_eq!(clusters_at(6, &pairs, 0.3), vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(clusters_at(3, &[], 0.0), vec![0, 1, 2]);
    }
}
