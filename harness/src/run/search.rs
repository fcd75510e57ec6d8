//! Exhaustive 1:N search of embedding templates: batched matrix products
//! (`run::products`) and a fused top-L selection per nested gallery size.

use rayon::prelude::*;

/// Queries are scored in blocks of this many rows (bounds the score buffer).
const BLOCK: usize = 256;

/// A gallery of L2-normalised embeddings, one row per enrolment template.
pub struct EmbeddingGallery {
    pub dim: usize,
    /// `rows.len() / dim` rows, each of unit length (zero rows stay zero).
    pub rows: Vec<f32>,
    /// For each row, its subject's position in gallery order (0 = first enrolled subject).
    pub subject_position: Vec<u32>,
    /// Number of distinct gallery subjects.
    pub subjects: usize,
}

/// Scale `v` to unit length in place (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| (*x as f64) * (*x as f64)).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x = (*x as f64 / norm) as f32);
    }
}

/// A candidate: (subject position in gallery order, score).
pub type Candidate = (u32, f32);

/// Search every query (rows of `queries`, unit length) against the gallery. For each
/// query and each gallery size N in `sizes`, returns the best `l` subjects among the
/// first N, best first; ties are broken by gallery order. A subject's score is the best
/// of its templates.
pub fn search(gallery: &EmbeddingGallery, queries: &[f32], sizes: &[usize], l: usize) -> Vec<Vec<Vec<Candidate>>> {
    let dim = gallery.dim;
    let n = gallery.subject_position.len();
    // One row per subject, in gallery order: row scores are subject scores.
    let direct = n == gallery.subjects && is_identity(&gallery.subject_position);
    // Each thread keeps its score buffer from block to block (a fresh one of m × n
    // floats a block costs page faults as large as the product).
    let per_block: Vec<Vec<Vec<Vec<Candidate>>>> = queries
        .par_chunks(BLOCK * dim)
        .map_init(Vec::new, |scores: &mut Vec<f32>, block| {
            let m = block.len() / dim;
            scores.resize(m * n, 0.0);
            if n > 0 && m > 0 {
                crate::run::products::dot_products(block, &gallery.rows, dim, scores);
            }
            let mut best = vec![f32::NEG_INFINITY; gallery.subjects];
            (0..m)
                .map(|q| {
                    let row = &scores[q * n..(q + 1) * n];
                    let by_subject: &[f32] = if direct {
                        row
                    } else {
                        best.iter_mut().for_each(|b| *b = f32::NEG_INFINITY);
                        for (j, &s) in row.iter().enumerate() {
                            let p = gallery.subject_position[j] as usize;
                            if s > best[p] {
                                best[p] = s;
                            }
                        }
                        &best
                    };
                    sizes.iter().map(|&size| top_l(&by_subject[..size.min(by_subject.len())], l)).collect()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    per_block.into_iter().flatten().collect()
}

fn is_identity(positions: &[u32]) -> bool {
    positions.iter().enumerate().all(|(i, &p)| p as usize == i)
}

/// The `l` highest scores with their positions, best first, ties by lower position.
/// Subjects whose score is -inf (no usable template) are never candidates.
pub fn top_l(scores: &[f32], l: usize) -> Vec<Candidate> {
    let mut top: Vec<Candidate> = Vec::with_capacity(l + 1);
    if l == 0 {
        return top;
    }
    // Blocks of scores that cannot enter a full list (every one `<= floor`, which a NaN
    // is not, so a NaN goes to the loop below as before) are passed over with one
    // branch-free count; the others go score by score. The result is the same either way.
    const BLOCK: usize = 16;
    for (b, block) in scores.chunks(BLOCK).enumerate() {
        if top.len() == l {
            let floor = top[l - 1].1;
            if block.iter().fold(0usize, |n, &s| n + usize::from(s <= floor)) == block.len() {
                continue;
            }
        }
        for (j, &s) in block.iter().enumerate() {
            if s == f32::NEG_INFINITY || (top.len() == l && s <= top[l - 1].1) {
                continue;
            }
            // Insert after every entry with a score >= s (earlier positions win ties).
            let at = top.partition_point(|&(_, t)| t >= s);
            top.insert(at, ((b * BLOCK + j) as u32, s));
            if top.len() > l {
                top.pop();
            }
        }
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan by blocks equals a full sort (score descending, position ascending) on
    /// lists with ties, -inf and lengths that are not a multiple of the block.
    #[test]
    fn top_l_equals_a_sort() {
        let mut x: u32 = 7;
        for n in [0usize, 1, 15, 16, 17, 100, 1000] {
            let scores: Vec<f32> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    match (x >> 16) % 10 {
                        0 => f32::NEG_INFINITY,
                        v => v as f32 / 10.0 + ((x >> 8) % 4) as f32 * 0.01,
                    }
                })
                .collect();
            let mut want: Vec<Candidate> = scores
                .iter()
                .enumerate()
                .filter(|(_, s)| **s != f32::NEG_INFINITY)
                .map(|(i, &s)| (i as u32, s))
                .collect();
            want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            for l in [1, 3, 16, 50] {
                let mut w = want.clone();
                w.truncate(l);
                assert_eq!(top_l(&scores, l), w, "n {n} l {l}");
            }
        }
    }

    #[test]
    fn top_l_orders_and_breaks_ties_by_position() {
        let s = [0.1, 0.9, 0.5, 0.9, f32::NEG_INFINITY, 0.7];
        assert_eq!(top_l(&s, 3), vec![(1, 0.9), (3, 0.9), (5, 0.7)]);
        assert_eq!(top_l(&s, 10).len(), 5);
        assert!(top_l(&s, 0).is_empty());
    }

    #[test]
    fn search_matches_brute_force_with_nested_sizes() {
        // 5 gallery rows for 4 subjects (subject 1 has two templates), dim 3.
        let mut rows = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.6, 0.8, 0.0, 0.0, 0.0, 1.0, 0.6, 0.0, 0.8];
        for r in rows.chunks_mut(3) {
            normalise(r);
        }
        let gallery = EmbeddingGallery { dim: 3, rows, subject_position: vec![0, 1, 1, 2, 3], subjects: 4 };
        let mut q = vec![0.0f32, 0.6, 0.8];
        normalise(&mut q);
        let out = search(&gallery, &q, &[2, 4], 2);
        // scores: s0 0, s1 max(0.6, 0.48) = 0.6, s2 0.8, s3 0.64
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][0].iter().map(|c| c.0).collect::<Vec<_>>(), vec![1, 0]);
        assert_eq!(out[0][1].iter().map(|c| c.0).collect::<Vec<_>>(), vec![2, 3]);
        assert!((out[0][1][0].1 - 0.8).abs() < 1e-6);
        assert!((out[0][1][1].1 - 0.64).abs() < 1e-6);
        assert!((out[0][0][0].1 - 0.6).abs() < 1e-6);
    }
}
