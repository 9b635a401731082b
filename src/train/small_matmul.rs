//! `C += A · B` for the LSTM's per-step products: few rows (a block of the batch), `B` the same
//! hidden-transform matrix at every step.
//!
//! A general gemm repacks `B` on every call, and at 16 rows × 128 × 512 that packing costs more
//! than the arithmetic. Here `B` is read in place (row-major, contiguous rows), four rows of `A`
//! times 32 columns of `B` accumulate in registers, and the loop is compiled for AVX-512 and
//! AVX2+FMA with a run-time choice (plain SSE2 code otherwise).

use crate::simd::simd_variants;

/// Row-major views: `a` is `m × k` with row stride `lda`, `b` is `k × n` contiguous, `c` is
/// `m × n` with row stride `ldc`. Panics when a view does not fit its slice.
#[allow(clippy::too_many_arguments)]
pub fn matmul_add(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(lda >= k && ldc >= n, "row strides shorter than rows");
    assert!(a.len() >= (m - 1) * lda + k, "a is too short");
    assert!(b.len() >= k * n, "b is too short");
    assert!(c.len() >= (m - 1) * ldc + n, "c is too short");
    dispatch(m, n, k, a, lda, b, c, ldc);
}

simd_variants!(dispatch => body::<true>, body::<false>, (
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize
) -> ());

const MR: usize = 4;
const NR: usize = 32;

/// `FMA`: fuse multiply and add (only where the target has the instruction; elsewhere
/// `mul_add` would be a libm call per element).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn body<const FMA: bool>(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    c: &mut [f32],
    ldc: usize,
) {
    let madd = |x: f32, y: f32, acc: f32| if FMA { x.mul_add(y, acc) } else { acc + x * y };
    let mut i0 = 0;
    while i0 < m {
        let mr = (m - i0).min(MR);
        let mut j0 = 0;
        while j0 < n {
            let nr = (n - j0).min(NR);
            if mr == MR && nr == NR {
                let mut acc = [[0.0f32; NR]; MR];
                for kk in 0..k {
                    let Some(row) = b[kk * n + j0..].first_chunk::<NR>() else {
                        break;
                    };
                    for (r, acc_r) in acc.iter_mut().enumerate() {
                        let av = a[(i0 + r) * lda + kk];
                        for (s, &bv) in acc_r.iter_mut().zip(row) {
                            *s = madd(av, bv, *s);
                        }
                    }
                }
                for (r, acc_r) in acc.iter().enumerate() {
                    let out = &mut c[(i0 + r) * ldc + j0..][..NR];
                    for (o, s) in out.iter_mut().zip(acc_r) {
                        *o += s;
                    }
                }
            } else {
                for r in 0..mr {
                    let a_row = &a[(i0 + r) * lda..][..k];
                    let out = &mut c[(i0 + r) * ldc + j0..][..nr];
                    for (kk, &av) in a_row.iter().enumerate() {
                        let row = &b[kk * n + j0..][..nr];
                        for (o, &bv) in out.iter_mut().zip(row) {
                            *o = madd(av, bv, *o);
                        }
                    }
                }
            }
            j0 += nr;
        }
        i0 += mr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_a_plain_triple_loop_on_ragged_sizes() {
        for (m, n, k) in [
            (1, 1, 1),
            (4, 32, 8),
            (5, 33, 7),
            (16, 512, 128),
            (3, 70, 1),
            (9, 31, 40),
        ] {
            let lda = k + 3;
            let ldc = n + 2;
            let a: Vec<f32> = (0..m * lda)
                .map(|i| ((i * 7 % 23) as f32 - 11.0) / 7.0)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 19) as f32 - 9.0) / 5.0)
                .collect();
            let mut c: Vec<f32> = (0..m * ldc).map(|i| (i % 3) as f32).collect();
            let mut want = c.clone();
            for i in 0..m {
                for j in 0..n {
                    let dot: f64 = (0..k)
                        .map(|kk| a[i * lda + kk] as f64 * b[kk * n + j] as f64)
                        .sum();
                    want[i * ldc + j] += dot as f32;
                }
            }
            matmul_add(m, n, k, &a, lda, &b, &mut c, ldc);
            for (x, y) in c.iter().zip(&want) {
                assert!(
                    (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                    "{m}×{n}×{k}: {x} vs {y}"
                );
            }
        }
    }
}
