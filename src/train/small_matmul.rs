//! `C += A · B` for the LSTM's per-step products: few rows (a block of the batch), `B` the same
//! hidden-transform matrix at every step.
//!
//! A general gemm repacks `B` on every call; here it is packed once per sequence ([`PackedB`]:
//! panels of `NR` columns, each panel's rows contiguous) and only the few rows of `A` are packed
//! per call (`MR` rows interleaved, so a step of the inner loop reads one contiguous group).
//! Reading `B` in place instead (row stride 4H) and `A` at its row stride (T·H) ran at a third
//! of this speed on AVX-512 (16 × 512 × 128: ~42 against ~150 GFLOP/s on one core of a Xeon VM):
//! the loads, not the arithmetic, were the bound. The tile is chosen per instruction set so the
//! `MR × NR` accumulators stay in registers (AVX-512 32 zmm: 8 × 32; AVX2 16 ymm: 6 × 16).
//!
//! Every element is summed over `k` in order from zero and then added to `C`, the same order as
//! a plain loop, so the result does not depend on the tile.

/// What the CPU can run, decided once per [`PackedB`] so a matrix packed for one kernel is never
/// read by another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Base,
}

impl Level {
    /// Every level this CPU can run, best first.
    #[cfg(test)]
    fn available() -> Vec<Self> {
        let mut out = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                out.push(Level::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                out.push(Level::Avx2);
            }
        }
        out.push(Level::Base);
        out
    }

    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Level::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Level::Avx2;
            }
        }
        Level::Base
    }

    /// `(MR, NR)`: rows of `A` and columns of `B` per register tile. The one place they are set:
    /// [`PackedB`] packs panels `NR` wide for the kernel that will read them.
    const fn tile(self) -> (usize, usize) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => (8, 32),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => (6, 16),
            Level::Base => (4, 8),
        }
    }
}

/// `B` (`k × n`, row-major) in column panels of the kernel's width, zero-padded to whole panels.
#[derive(Debug, Clone)]
pub struct PackedB {
    k: usize,
    n: usize,
    level: Level,
    /// `[panel][k][NR]`
    data: Vec<f32>,
}

impl PackedB {
    /// Packs `b` (`k × n`, contiguous rows). Panics when `b` is shorter than `k · n`.
    pub fn new(k: usize, n: usize, b: &[f32]) -> Self {
        Self::for_level(Level::detect(), k, n, b)
    }

    fn for_level(level: Level, k: usize, n: usize, b: &[f32]) -> Self {
        assert!(b.len() >= k * n, "b is too short");
        let (_, nr) = level.tile();
        let panels = n.div_ceil(nr);
        let mut data = vec![0.0f32; panels * k * nr];
        for (p, panel) in data.chunks_exact_mut((k * nr).max(1)).enumerate() {
            let (j0, width) = (p * nr, nr.min(n - p * nr));
            for (kk, row) in panel.chunks_exact_mut(nr).enumerate() {
                row[..width].copy_from_slice(&b[kk * n + j0..][..width]);
            }
        }
        PackedB { k, n, level, data }
    }
}

/// `c += a · b`: `a` is `m × k` with row stride `lda`, `c` is `m × n` with row stride `ldc`
/// (`k`, `n` from `b`). Panics when a view does not fit its slice.
pub fn matmul_add(m: usize, a: &[f32], lda: usize, b: &PackedB, c: &mut [f32], ldc: usize) {
    let (n, k) = (b.n, b.k);
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!(lda >= k && ldc >= n, "row strides shorter than rows");
    assert!(a.len() >= (m - 1) * lda + k, "a is too short");
    assert!(c.len() >= (m - 1) * ldc + n, "c is too short");
    match b.level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Level::Avx512` is only made after detecting AVX-512F (and AVX2 and FMA,
        // which every AVX-512 CPU has).
        Level::Avx512 => unsafe { avx512(m, a, lda, b, c, ldc) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Level::Avx2` is only made after detecting AVX2 and FMA.
        Level::Avx2 => unsafe { avx2(m, a, lda, b, c, ldc) },
        Level::Base => base(m, a, lda, b, c, ldc),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn avx512(m: usize, a: &[f32], lda: usize, b: &PackedB, c: &mut [f32], ldc: usize) {
    use std::arch::x86_64::{__m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps};
    use std::arch::x86_64::{_mm512_setzero_ps, _mm512_storeu_ps};
    const MR: usize = Level::Avx512.tile().0;
    const NR: usize = Level::Avx512.tile().1;
    const {
        assert!(
            NR == 2 * 16,
            "the loop below holds a row in two 16-float vectors"
        )
    };
    blocks::<MR, NR>(m, a, lda, b, c, ldc, |block, panel, tile| {
        // Explicit vectors: written as plain loops, whether the accumulators stayed in
        // registers depended on how the compiler happened to inline (it once kept them in
        // memory and ran scalar, 20× slower).
        let mut acc: [[__m512; 2]; MR] = [[_mm512_setzero_ps(); 2]; MR];
        for (b_row, a_col) in panel.chunks_exact(NR).zip(block.chunks_exact(MR)) {
            // SAFETY: `b_row` holds NR = 32 floats, two 16-float loads.
            let (b0, b1) = unsafe {
                (
                    _mm512_loadu_ps(b_row.as_ptr()),
                    _mm512_loadu_ps(b_row.as_ptr().add(16)),
                )
            };
            for (acc_r, &av) in acc.iter_mut().zip(a_col) {
                let av = _mm512_set1_ps(av);
                acc_r[0] = _mm512_fmadd_ps(av, b0, acc_r[0]);
                acc_r[1] = _mm512_fmadd_ps(av, b1, acc_r[1]);
            }
        }
        for (out, acc_r) in tile.chunks_exact_mut(NR).zip(&acc) {
            // SAFETY: each row of `tile` holds NR = 32 floats.
            unsafe {
                _mm512_storeu_ps(out.as_mut_ptr(), acc_r[0]);
                _mm512_storeu_ps(out.as_mut_ptr().add(16), acc_r[1]);
            }
        }
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(m: usize, a: &[f32], lda: usize, b: &PackedB, c: &mut [f32], ldc: usize) {
    use std::arch::x86_64::{__m256, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps};
    use std::arch::x86_64::{_mm256_setzero_ps, _mm256_storeu_ps};
    const MR: usize = Level::Avx2.tile().0;
    const NR: usize = Level::Avx2.tile().1;
    const {
        assert!(
            NR == 2 * 8,
            "the loop below holds a row in two 8-float vectors"
        )
    };
    blocks::<MR, NR>(m, a, lda, b, c, ldc, |block, panel, tile| {
        let mut acc: [[__m256; 2]; MR] = [[_mm256_setzero_ps(); 2]; MR];
        for (b_row, a_col) in panel.chunks_exact(NR).zip(block.chunks_exact(MR)) {
            // SAFETY: `b_row` holds NR = 16 floats, two 8-float loads.
            let (b0, b1) = unsafe {
                (
                    _mm256_loadu_ps(b_row.as_ptr()),
                    _mm256_loadu_ps(b_row.as_ptr().add(8)),
                )
            };
            for (acc_r, &av) in acc.iter_mut().zip(a_col) {
                let av = _mm256_set1_ps(av);
                acc_r[0] = _mm256_fmadd_ps(av, b0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(av, b1, acc_r[1]);
            }
        }
        for (out, acc_r) in tile.chunks_exact_mut(NR).zip(&acc) {
            // SAFETY: each row of `tile` holds NR = 16 floats.
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), acc_r[0]);
                _mm256_storeu_ps(out.as_mut_ptr().add(8), acc_r[1]);
            }
        }
    })
}

/// Plain code for CPUs without AVX2: the same order of operations without fused multiply-add.
fn base(m: usize, a: &[f32], lda: usize, b: &PackedB, c: &mut [f32], ldc: usize) {
    const MR: usize = Level::Base.tile().0;
    const NR: usize = Level::Base.tile().1;
    blocks::<MR, NR>(m, a, lda, b, c, ldc, |block, panel, tile| {
        tile.fill(0.0);
        for (b_row, a_col) in panel.chunks_exact(NR).zip(block.chunks_exact(MR)) {
            for (out, &av) in tile.chunks_exact_mut(NR).zip(a_col) {
                for (o, &bv) in out.iter_mut().zip(b_row) {
                    *o += av * bv;
                }
            }
        }
    })
}

/// The loops around a kernel: packs `MR` rows of `A` at a time (`[k][MR]`, rows past `m` zero),
/// has `kernel(block, panel, tile)` write that block times one panel of `B` into `tile`
/// (`MR × NR`, row-major) and adds the tile's valid rows and columns to `C`.
#[inline(always)]
fn blocks<const MR: usize, const NR: usize>(
    m: usize,
    a: &[f32],
    lda: usize,
    b: &PackedB,
    c: &mut [f32],
    ldc: usize,
    mut kernel: impl FnMut(&[f32], &[f32], &mut [f32]),
) {
    let (n, k) = (b.n, b.k);
    let mut block = vec![0.0f32; k * MR];
    let mut tile = vec![0.0f32; MR * NR];
    let mut i0 = 0;
    while i0 < m {
        let mr = (m - i0).min(MR);
        if mr < MR {
            block.fill(0.0);
        }
        for r in 0..mr {
            let row = &a[(i0 + r) * lda..][..k];
            for (kk, &v) in row.iter().enumerate() {
                block[kk * MR + r] = v;
            }
        }
        for (p, panel) in b.data.chunks_exact(k * NR).enumerate() {
            kernel(&block, panel, &mut tile);
            let (j0, width) = (p * NR, NR.min(n - p * NR));
            for (r, t) in tile.chunks_exact(NR).enumerate().take(mr) {
                let out = &mut c[(i0 + r) * ldc + j0..][..width];
                for (o, s) in out.iter_mut().zip(t) {
                    *o += s;
                }
            }
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
            (16, 128, 512),
            (3, 70, 1),
            (9, 31, 40),
            (13, 80, 20),
        ] {
            let lda = k + 3;
            let ldc = n + 2;
            let a: Vec<f32> = (0..m * lda)
                .map(|i| ((i * 7 % 23) as f32 - 11.0) / 7.0)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 5 % 19) as f32 - 9.0) / 5.0)
                .collect();
            let c: Vec<f32> = (0..m * ldc).map(|i| (i % 3) as f32).collect();
            let mut want = c.clone();
            for i in 0..m {
                for j in 0..n {
                    let dot: f64 = (0..k)
                        .map(|kk| a[i * lda + kk] as f64 * b[kk * n + j] as f64)
                        .sum();
                    want[i * ldc + j] += dot as f32;
                }
            }
            for level in Level::available() {
                let mut got = c.clone();
                matmul_add(
                    m,
                    &a,
                    lda,
                    &PackedB::for_level(level, k, n, &b),
                    &mut got,
                    ldc,
                );
                for (i, ((x, y), u)) in got.iter().zip(&want).zip(&c).enumerate() {
                    if i % ldc >= n {
                        assert_eq!(x, u, "{level:?} {m}×{n}×{k}: wrote past a row at {i}");
                    } else {
                        assert!(
                            (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                            "{level:?} {m}×{n}×{k}: {x} vs {y}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_tile_sums_in_the_order_of_a_plain_loop() {
        // The same f32 operations in the same order whatever the tile and instruction set:
        // bitwise equal results.
        let (m, n, k) = (11, 45, 37);
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 3.0)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 11 % 17) as f32 - 8.0) / 7.0)
            .collect();
        let mut plain = vec![0.5f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f32;
                for kk in 0..k {
                    acc = a[i * k + kk].mul_add(b[kk * n + j], acc);
                }
                plain[i * n + j] += acc;
            }
        }
        for level in Level::available() {
            if level == Level::Base {
                continue; // no fused multiply-add there
            }
            let mut fast = vec![0.5f32; m * n];
            matmul_add(m, &a, k, &PackedB::for_level(level, k, n, &b), &mut fast, n);
            assert_eq!(fast, plain, "{level:?}");
        }
    }
}
