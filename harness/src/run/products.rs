//! The matrix product of a 1:N search: every query's dot product with every gallery row
//! (`scores[i][j] = Σ_p query[i][p] · gallery[j][p]`), both row-major with the embedding
//! contiguous. On a CPU with AVX-512 it runs a kernel of its own (below); elsewhere
//! `matrixmultiply`'s sgemm.
//!
//! The AVX-512 kernel packs 32 gallery rows at a time into a k-major panel (32 floats
//! per embedding element) and computes tiles of 6 queries × 32 gallery rows in 12
//! 16-lane accumulators, one fused multiply-add per element in increasing `p`. So every
//! score is the same sum in the same order whatever the shapes, the block or the thread:
//! the same bytes on every run of the same machine. (A CPU without AVX-512 takes the
//! other path; on the development machine its scores were the same bytes, and a CPU
//! without FMA instructions can round differently in the last bit: docs/runner.md.)

/// Gallery rows per panel: two 16-lane registers.
const NR: usize = 32;
/// Queries per tile.
const MR: usize = 6;
/// Embedding elements per pass over a panel: 32 × 128 floats (16 KB) stay in the L1
/// cache while every tile of the block runs over them. Each tile carries its sums from
/// one pass to the next through the output (f32, exactly), so every score is still one
/// chain of fused multiply-adds in increasing `p`.
const KC: usize = 128;

/// `out[i * n + j] = Σ_p queries[i * k + p] · gallery[j * k + p]` for the `m =
/// queries.len() / k` queries and `n = gallery.len() / k` gallery rows.
pub fn dot_products(queries: &[f32], gallery: &[f32], k: usize, out: &mut [f32]) {
    if k == 0 {
        out.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let (m, n) = (queries.len() / k, gallery.len() / k);
    assert!(out.len() >= m * n, "the product needs {} scores", m * n);
    if m == 0 || n == 0 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked above); the slices are as long as the
        // shapes say (checked above and by the division).
        unsafe { avx512::dot_products(queries, gallery, k, m, n, out) };
        return;
    }
    portable(queries, gallery, k, m, n, out);
}

/// The same product by `matrixmultiply`'s sgemm (which picks its own kernel for the CPU).
fn portable(queries: &[f32], gallery: &[f32], k: usize, m: usize, n: usize, out: &mut [f32]) {
    // SAFETY: the slices hold m*k, n*k and at least m*n values, matching the dimensions
    // and strides given (row-major queries, the gallery read as its transpose).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            queries.as_ptr(),
            k as isize,
            1,
            gallery.as_ptr(),
            1,
            k as isize,
            0.0,
            out.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// The panel of gallery rows `j0..j0 + NR` (zeros past `n`), k-major: `panel[p * NR +
/// jj] = gallery[(j0 + jj) * k + p]`.
fn pack(gallery: &[f32], k: usize, n: usize, j0: usize, panel: &mut [f32]) {
    let rows = (n - j0).min(NR);
    if rows < NR {
        panel.iter_mut().for_each(|x| *x = 0.0);
    }
    for jj in 0..rows {
        let row = &gallery[(j0 + jj) * k..(j0 + jj + 1) * k];
        for (p, &v) in row.iter().enumerate() {
            panel[p * NR + jj] = v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{KC, MR, NR, pack};
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must have AVX-512F; `queries` holds `m * k` values, `gallery` `n * k`,
    /// `out` at least `m * n`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn dot_products(queries: &[f32], gallery: &[f32], k: usize, m: usize, n: usize, out: &mut [f32]) {
        let mut panel = vec![0f32; NR * k];
        for j0 in (0..n).step_by(NR) {
            if n - j0 >= NR {
                // SAFETY: rows j0..j0 + NR of the gallery exist (n - j0 >= NR); the CPU has
                // AVX-512F (this function's contract).
                unsafe { pack_full(gallery, k, j0, &mut panel) };
            } else {
                pack(gallery, k, n, j0, &mut panel);
            }
            let cols = (n - j0).min(NR);
            for p0 in (0..k).step_by(KC) {
                let depth = (k - p0).min(KC);
                let b = panel[p0 * NR..].as_ptr();
                let mut i0 = 0;
                while i0 < m {
                    let rows = (m - i0).min(MR);
                    let a = queries[i0 * k + p0..].as_ptr();
                    let c = out[i0 * n + j0..].as_mut_ptr();
                    let first = p0 == 0;
                    // SAFETY: `a` starts `rows` queries (stride k) at element p0 with
                    // `depth` elements left, `b` the panel at p0 with `depth` × NR values
                    // left, `c` `rows` output rows of stride n with `cols` columns left in
                    // each; the CPU has AVX-512F (this function's contract).
                    unsafe {
                        match rows {
                            6 => tile::<6>(a, k, b, depth, c, n, cols, first),
                            5 => tile::<5>(a, k, b, depth, c, n, cols, first),
                            4 => tile::<4>(a, k, b, depth, c, n, cols, first),
                            3 => tile::<3>(a, k, b, depth, c, n, cols, first),
                            2 => tile::<2>(a, k, b, depth, c, n, cols, first),
                            _ => tile::<1>(a, k, b, depth, c, n, cols, first),
                        }
                    }
                    i0 += rows;
                }
            }
        }
    }

    /// [`pack`] of a whole panel (32 rows), 16 rows at a time by a gather per `p`.
    ///
    /// # Safety
    /// The CPU must have AVX-512F; the gallery holds rows `j0..j0 + NR` of `k` values.
    #[target_feature(enable = "avx512f")]
    unsafe fn pack_full(gallery: &[f32], k: usize, j0: usize, panel: &mut [f32]) {
        let stride = k as i32;
        let offsets = _mm512_setr_epi32(
            0,
            stride,
            2 * stride,
            3 * stride,
            4 * stride,
            5 * stride,
            6 * stride,
            7 * stride,
            8 * stride,
            9 * stride,
            10 * stride,
            11 * stride,
            12 * stride,
            13 * stride,
            14 * stride,
            15 * stride,
        );
        let low = gallery[j0 * k..].as_ptr();
        let high = gallery[(j0 + 16) * k..].as_ptr();
        for p in 0..k {
            // SAFETY: lane l reads row j0 + l (or j0 + 16 + l) at p < k, inside the
            // gallery; the panel holds NR * k values.
            unsafe {
                let a = _mm512_i32gather_ps::<4>(offsets, low.add(p));
                let b = _mm512_i32gather_ps::<4>(offsets, high.add(p));
                _mm512_storeu_ps(panel.as_mut_ptr().add(p * NR), a);
                _mm512_storeu_ps(panel.as_mut_ptr().add(p * NR + 16), b);
            }
        }
    }

    /// `R` queries × the panel's 32 rows over `depth` elements: 2R accumulators, started
    /// at zero (`first`) or at the sums so far in the output, one FMA per element in
    /// increasing `p`; the first `cols` columns stored.
    ///
    /// # Safety
    /// As [`dot_products`], for the pointers described there.
    #[allow(clippy::too_many_arguments)] // one tile: its operands, strides and edges
    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const R: usize>(
        a: *const f32,
        k: usize,
        panel: *const f32,
        depth: usize,
        c: *mut f32,
        n: usize,
        cols: usize,
        first: bool,
    ) {
        let mask = |from: usize| -> __mmask16 {
            let left = cols.saturating_sub(from).min(16);
            if left == 16 { 0xFFFF } else { ((1u32 << left) - 1) as __mmask16 }
        };
        let (m0, m1) = (mask(0), mask(16));
        let mut lo = [_mm512_setzero_ps(); R];
        let mut hi = [_mm512_setzero_ps(); R];
        if !first {
            for r in 0..R {
                // SAFETY: row r of the output has `cols` values from `c + r * n`; the
                // masks read only those.
                unsafe {
                    let row = c.add(r * n);
                    lo[r] = _mm512_maskz_loadu_ps(m0, row);
                    if m1 != 0 {
                        hi[r] = _mm512_maskz_loadu_ps(m1, row.add(16));
                    }
                }
            }
        }
        for p in 0..depth {
            // SAFETY: p < depth, so these read inside the panel and the R queries.
            unsafe {
                let b0 = _mm512_loadu_ps(panel.add(p * NR));
                let b1 = _mm512_loadu_ps(panel.add(p * NR + 16));
                for r in 0..R {
                    let x = _mm512_set1_ps(*a.add(r * k + p));
                    lo[r] = _mm512_fmadd_ps(x, b0, lo[r]);
                    hi[r] = _mm512_fmadd_ps(x, b1, hi[r]);
                }
            }
        }
        for r in 0..R {
            // SAFETY: as the loads above: only the `cols` values of row r are stored.
            unsafe {
                let row = c.add(r * n);
                _mm512_mask_storeu_ps(row, m0, lo[r]);
                if m1 != 0 {
                    _mm512_mask_storeu_ps(row.add(16), m1, hi[r]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize, seed: u32) -> Vec<f32> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// Every shape at the edges of a tile and a panel (m not a multiple of 6, n not of
    /// 32, k odd): each score within rounding of the product summed in f64, and (AVX-512)
    /// the same bytes as the score computed alone (a 1 × 1 product).
    #[test]
    fn products_equal_the_f64_sums_and_do_not_depend_on_the_shape() {
        for (m, n, k) in [(1, 1, 1), (5, 31, 7), (6, 32, 16), (7, 33, 129), (13, 70, 512), (2, 100, 3)] {
            let (q, g) = (data(m * k, 1 + m as u32), data(n * k, 2 + n as u32));
            let mut out = vec![f32::NAN; m * n];
            dot_products(&q, &g, k, &mut out);
            for i in 0..m {
                for j in 0..n {
                    let exact: f64 = (0..k).map(|p| f64::from(q[i * k + p]) * f64::from(g[j * k + p])).sum();
                    let bound = (0..k).map(|p| (f64::from(q[i * k + p]) * f64::from(g[j * k + p])).abs()).sum::<f64>();
                    let got = f64::from(out[i * n + j]);
                    assert!(
                        (got - exact).abs() <= 1e-6 * bound.max(1e-30) * k as f64,
                        "{m}x{n}x{k} [{i},{j}]: {got} vs {exact}"
                    );
                    // The AVX-512 kernel sums in one order whatever the shape.
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx512f") {
                        let mut alone = [0f32];
                        dot_products(&q[i * k..(i + 1) * k], &g[j * k..(j + 1) * k], k, &mut alone);
                        assert_eq!(alone[0].to_bits(), out[i * n + j].to_bits(), "{m}x{n}x{k} [{i},{j}] alone");
                    }
                }
            }
        }
    }

    #[test]
    fn empty_shapes_write_nothing() {
        let mut out = vec![7.0f32; 4];
        dot_products(&[], &[1.0, 2.0], 2, &mut out);
        dot_products(&[1.0, 2.0], &[], 2, &mut out);
        assert_eq!(out, vec![7.0; 4]);
        dot_products(&[], &[], 0, &mut out);
        assert_eq!(out, vec![0.0; 4]);
    }
}
