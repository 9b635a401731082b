//! The LSTM recurrence on host memory: forward and a hand-written backward through time.
//!
//! Under burn's autodiff every time step of an LSTM is a dozen tensor ops on `[batch, H]` tensors,
//! each dispatched, allocated and recorded on the tape, and the per-step matmuls are too small for
//! burn-flex to parallelise. Here a whole sequence is one call: batch rows are independent in the
//! recurrence, so each rayon worker takes a block of rows through all time steps with one gemm
//! per step, and the gates are evaluated in place. [`super::lstm_op`] wires this into burn.
//!
//! Layout (all row-major, batch first): `projected` `[B, T, 4H]` is the input transform plus both
//! biases, gate blocks in the order input, forget, output, candidate; `w_hidden` `[H, 4H]` the
//! hidden transform in the same order. The initial hidden and cell states are zero.

use gemm::{Parallelism, gemm};

use super::small_matmul::{PackedB, matmul_add};
use crate::simd::{exp, simd_variants};
use rayon::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LstmDims {
    pub batch: usize,
    pub seq: usize,
    pub hidden: usize,
}

impl LstmDims {
    fn gates(&self) -> usize {
        4 * self.hidden
    }
}

/// Reorders `[B, T, width]` rows between position order and the step order of a sequence run
/// backwards within its length (`lengths[b]`; the padding after it keeps its order). The map is
/// its own inverse, so the same call goes either way.
pub fn reverse_within_lengths(
    d: LstmDims,
    lengths: &[usize],
    src: &[f32],
    width: usize,
) -> Vec<f32> {
    // Four of these per reversed layer and batch; one thread copying them while the other waited
    // was a few per cent of a two-thread training epoch.
    let row = d.seq * width;
    let mut out = zeros(src.len());
    out.par_chunks_mut(row.max(1))
        .zip(src.par_chunks(row.max(1)))
        .enumerate()
        .for_each(|(b, (out, src))| {
            let n = lengths.get(b).copied().unwrap_or(d.seq).min(d.seq);
            for (s, to) in out.chunks_exact_mut(width.max(1)).enumerate() {
                let p = if s < n { n - 1 - s } else { s };
                to.copy_from_slice(&src[p * width..(p + 1) * width]);
            }
        });
    out
}

/// `n` zeros written by the rayon workers: the kernel's buffers are megabytes per call, and one
/// thread's memset of them left the other core waiting (a few per cent of a two-thread epoch).
pub fn zeros(n: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(0.0f32, n));
    v
}

/// What the backward pass needs: the cell state and the activated gates of every step.
pub struct LstmCache {
    /// `[B, T, H]`
    pub cells: Vec<f32>,
    /// `[B, T, H]` tanh of the cells, so the backward needs no exponential for it.
    pub tanh_cells: Vec<f32>,
    /// `[B, T, 4H]`: σ(i), σ(f), σ(o), tanh(g)
    pub gates: Vec<f32>,
}

/// Rows per rayon task: enough work per task to amortise it, and at least two tasks for two cores.
fn rows_per_task(batch: usize) -> usize {
    let workers = rayon::current_num_threads().max(1);
    batch.div_ceil(workers).clamp(1, 64)
}

/// Runs the recurrence; returns the hidden states `[B, T, H]` and the cache for [`backward`].
pub fn forward(d: LstmDims, projected: &[f32], w_hidden: &[f32]) -> (Vec<f32>, LstmCache) {
    let (h, g4, t_len) = (d.hidden, d.gates(), d.seq);
    assert_eq!(
        projected.len(),
        d.batch * t_len * g4,
        "projected is [B, T, 4H]"
    );
    assert_eq!(w_hidden.len(), h * g4, "w_hidden is [H, 4H]");
    let mut hidden = zeros(d.batch * t_len * h);
    let mut cache = LstmCache {
        cells: zeros(d.batch * t_len * h),
        tanh_cells: zeros(d.batch * t_len * h),
        gates: zeros(d.batch * t_len * g4),
    };
    if d.batch == 0 || t_len == 0 || h == 0 {
        return (hidden, cache);
    }
    let w_hidden = PackedB::new(h, g4, w_hidden);
    let rows = rows_per_task(d.batch);
    hidden
        .par_chunks_mut(rows * t_len * h)
        .zip(cache.cells.par_chunks_mut(rows * t_len * h))
        .zip(cache.tanh_cells.par_chunks_mut(rows * t_len * h))
        .zip(cache.gates.par_chunks_mut(rows * t_len * g4))
        .zip(projected.par_chunks(rows * t_len * g4))
        .for_each(|((((hid, cel), tcel), gat), proj)| {
            forward_block_simd(d, &w_hidden, hid, (cel, tcel), gat, proj);
        });
    (hidden, cache)
}

/// Gradients of the loss with respect to `projected` `[B, T, 4H]` and `w_hidden` `[H, 4H]`,
/// given the gradient `d_hidden` `[B, T, H]` of the hidden states and the forward's outputs.
pub fn backward(
    d: LstmDims,
    w_hidden: &[f32],
    hidden: &[f32],
    cache: &LstmCache,
    d_hidden: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let (h, g4, t_len) = (d.hidden, d.gates(), d.seq);
    assert_eq!(hidden.len(), d.batch * t_len * h, "hidden is [B, T, H]");
    assert_eq!(d_hidden.len(), hidden.len(), "d_hidden is [B, T, H]");
    assert_eq!(cache.cells.len(), hidden.len(), "cells are [B, T, H]");
    assert_eq!(
        cache.gates.len(),
        d.batch * t_len * g4,
        "gates are [B, T, 4H]"
    );
    let mut d_projected = zeros(d.batch * t_len * g4);
    if d.batch == 0 || t_len == 0 || h == 0 {
        return (d_projected, vec![0.0; h * g4]);
    }
    // Wᵀ `[4H, H]`, contiguous for the per-step products.
    let mut w_t = vec![0.0f32; g4 * h];
    for (k, row) in w_hidden.chunks_exact(g4).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            w_t[j * h + k] = v;
        }
    }
    let w_t = PackedB::new(g4, h, &w_t);
    let rows = rows_per_task(d.batch);
    let partial_dw: Vec<Vec<f32>> = d_projected
        .par_chunks_mut(rows * t_len * g4)
        .zip(hidden.par_chunks(rows * t_len * h))
        .zip(cache.cells.par_chunks(rows * t_len * h))
        .zip(cache.tanh_cells.par_chunks(rows * t_len * h))
        .zip(cache.gates.par_chunks(rows * t_len * g4))
        .zip(d_hidden.par_chunks(rows * t_len * h))
        .map(|(((((dp, hid), cel), tcel), gat), dh_out)| {
            backward_block_simd(d, &w_t, dp, hid, (cel, tcel), gat, dh_out)
        })
        .collect();
    let mut d_w = vec![0.0f32; h * g4];
    for part in &partial_dw {
        for (a, b) in d_w.iter_mut().zip(part) {
            *a += b;
        }
    }
    (d_projected, d_w)
}

/// One block of batch rows through every step (see [`forward`]).
#[inline(always)]
fn forward_block(
    d: LstmDims,
    w_hidden: &PackedB,
    hid: &mut [f32],
    (cel, tcel): (&mut [f32], &mut [f32]),
    gat: &mut [f32],
    proj: &[f32],
) {
    let (h, g4, t_len) = (d.hidden, d.gates(), d.seq);
    let nb = hid.len() / (t_len * h);
    let mut pre = vec![0.0f32; nb * g4];
    for t in 0..t_len {
        for b in 0..nb {
            let src = &proj[(b * t_len + t) * g4..][..g4];
            pre[b * g4..][..g4].copy_from_slice(src);
        }
        if t > 0 {
            // pre += h_{t-1} · W, h_{t-1} read in place (row stride T·H).
            matmul_add(nb, &hid[(t - 1) * h..], t_len * h, w_hidden, &mut pre, g4);
        }
        for b in 0..nb {
            let row = &mut pre[b * g4..][..g4];
            activate(row, h);
            let at = (b * t_len + t) * h;
            let (prev_c, rest) = cel.split_at_mut(at);
            let c_now = &mut rest[..h];
            let c_prev = (t > 0).then(|| &prev_c[at - h..at]);
            let h_now = &mut hid[at..at + h];
            cell_step(row, c_prev, (c_now, &mut tcel[at..at + h]), h_now, h);
            gat[(b * t_len + t) * g4..][..g4].copy_from_slice(row);
        }
    }
}

/// One block of batch rows backwards through every step (see [`backward`]); returns its share
/// of dW.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_block(
    d: LstmDims,
    w_t: &PackedB,
    dp: &mut [f32],
    hid: &[f32],
    (cel, tcel): (&[f32], &[f32]),
    gat: &[f32],
    dh_out: &[f32],
) -> Vec<f32> {
    let (h, g4, t_len) = (d.hidden, d.gates(), d.seq);
    let nb = hid.len() / (t_len * h);
    // Gradients flowing back into step t from step t+1.
    let mut dh_next = vec![0.0f32; nb * h];
    let mut dc_next = vec![0.0f32; nb * h];
    for t in (0..t_len).rev() {
        for b in 0..nb {
            let at = (b * t_len + t) * h;
            let c_prev = (t > 0).then(|| &cel[at - h..at]);
            gate_gradients(GateStep {
                gates: &gat[(b * t_len + t) * g4..][..g4],
                tc_now: &tcel[at..at + h],
                c_prev,
                dh_out: &dh_out[at..at + h],
                dh_next: &mut dh_next[b * h..][..h],
                dc_next: &mut dc_next[b * h..][..h],
                d_pre: &mut dp[(b * t_len + t) * g4..][..g4],
            });
        }
        if t > 0 {
            // dh_{t-1} = d_pre_t · Wᵀ
            dh_next.fill(0.0);
            matmul_add(nb, &dp[t * g4..], t_len * g4, w_t, &mut dh_next, h);
        }
    }
    // dW = Σ_b Σ_{t≥1} h_{t-1}ᵀ · d_pre_t as one gemm over every (b, t) of the block:
    // `prev` holds h_{t-1} at row (b, t), zero at t = 0.
    let mut prev = vec![0.0f32; nb * t_len * h];
    for b in 0..nb {
        let rows = b * t_len * h;
        prev[rows + h..rows + t_len * h].copy_from_slice(&hid[rows..rows + (t_len - 1) * h]);
    }
    let mut dw = vec![0.0f32; h * g4];
    // lhs element (i, r) = prev[r, i] (row stride 1, column stride H), rhs element (r, j) =
    // d_pre[r, j] (row stride 4H), both nb·T rows long.
    product(
        [h, g4, nb * t_len],
        &mut dw,
        (false, false),
        (&prev, 1, h),
        (dp, g4, 1),
    );
    dw
}

/// A row-major `[m, n]` product `lhs · rhs` added onto `dst` (`accumulate`) or written over it;
/// each operand given as (values, row stride, column stride). With `parallel`, the gemm crate
/// splits it over the rayon workers from burn-flex's size threshold on (callers already inside
/// a block of rayon work pass `false`).
pub(crate) fn product(
    [m, n, k]: [usize; 3],
    dst: &mut [f32],
    (accumulate, parallel): (bool, bool),
    (lhs, lhs_rs, lhs_cs): (&[f32], usize, usize),
    (rhs, rhs_rs, rhs_cs): (&[f32], usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    assert!(dst.len() >= m * n, "product: destination too short");
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    assert!(
        lhs.len() > last(m, k, lhs_rs, lhs_cs) && rhs.len() > last(k, n, rhs_rs, rhs_cs),
        "product: an operand is too short for its strides"
    );
    let parallelism = if parallel && m * n * k >= 192 * 192 * 192 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    // SAFETY: dst holds m × n values (row stride n), lhs m × k and rhs k × n values at the given
    // strides (checked above); the destination aliases neither operand (a `&mut` slice).
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

simd_variants!(forward_block_simd => forward_block, forward_block, (
    d: LstmDims,
    w_hidden: &PackedB,
    hid: &mut [f32],
    cells: (&mut [f32], &mut [f32]),
    gat: &mut [f32],
    proj: &[f32]
) -> ());

simd_variants!(backward_block_simd => backward_block, backward_block, (
    d: LstmDims,
    w_t: &PackedB,
    dp: &mut [f32],
    hid: &[f32],
    cells: (&[f32], &[f32]),
    gat: &[f32],
    dh_out: &[f32]
) -> Vec<f32>);

/// In place: σ on the input, forget and output blocks, tanh on the candidate block.
#[inline(always)]
fn activate(row: &mut [f32], h: usize) {
    let (sig, cand) = row.split_at_mut(3 * h);
    for v in sig.iter_mut() {
        *v = sigmoid(*v);
    }
    for v in cand.iter_mut() {
        *v = tanh(*v);
    }
}

#[inline(always)]
fn cell_step(
    gates: &[f32],
    c_prev: Option<&[f32]>,
    (c_now, tc_now): (&mut [f32], &mut [f32]),
    h_now: &mut [f32],
    h: usize,
) {
    let (i, rest) = gates.split_at(h);
    let (f, rest) = rest.split_at(h);
    let (o, g) = rest.split_at(h);
    match c_prev {
        Some(cp) => {
            for k in 0..h {
                c_now[k] = f[k] * cp[k] + i[k] * g[k];
            }
        }
        None => {
            for k in 0..h {
                c_now[k] = i[k] * g[k];
            }
        }
    }
    for k in 0..h {
        tc_now[k] = tanh(c_now[k]);
        h_now[k] = o[k] * tc_now[k];
    }
}

struct GateStep<'a> {
    gates: &'a [f32],
    tc_now: &'a [f32],
    c_prev: Option<&'a [f32]>,
    dh_out: &'a [f32],
    /// In: dL/dh_t from step t+1. Consumed here (the caller overwrites it with dL/dh_{t-1}).
    dh_next: &'a mut [f32],
    /// In: dL/dc_t from step t+1; out: dL/dc_{t-1}.
    dc_next: &'a mut [f32],
    d_pre: &'a mut [f32],
}

#[inline(always)]
fn gate_gradients(s: GateStep<'_>) {
    let h = s.tc_now.len();
    let (i, rest) = s.gates.split_at(h);
    let (f, rest) = rest.split_at(h);
    let (o, g) = rest.split_at(h);
    let (d_i, rest) = s.d_pre.split_at_mut(h);
    let (d_f, rest) = rest.split_at_mut(h);
    let (d_o, d_g) = rest.split_at_mut(h);
    for k in 0..h {
        let dh = s.dh_out[k] + s.dh_next[k];
        let tc = s.tc_now[k];
        let dc = dh * o[k] * (1.0 - tc * tc) + s.dc_next[k];
        let cp = s.c_prev.map_or(0.0, |c| c[k]);
        d_o[k] = dh * tc * o[k] * (1.0 - o[k]);
        d_i[k] = dc * g[k] * i[k] * (1.0 - i[k]);
        d_f[k] = dc * cp * f[k] * (1.0 - f[k]);
        d_g[k] = dc * i[k] * (1.0 - g[k] * g[k]);
        s.dc_next[k] = dc * f[k];
    }
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    // 1 − 2/(e^{2x} + 1): exact limits ±1, absolute error a few 1e-8.
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_sigmoid_tanh_match_libm() {
        for i in 0..=20_000 {
            let x = -40.0 + 80.0 * i as f32 / 20_000.0;
            let (a, b) = (exp(x), x.exp());
            assert!(
                (a - b).abs() <= 4.0 * f32::EPSILON * b,
                "exp({x}) {a} vs {b}"
            );
            let s = 1.0 / (1.0 + (-x).exp());
            assert!((sigmoid(x) - s).abs() < 3e-7, "sigmoid({x})");
            assert!((tanh(x) - x.tanh()).abs() < 3e-7, "tanh({x})");
        }
        assert_eq!(tanh(0.0), 0.0);
        assert!(exp(-200.0) >= 0.0 && exp(200.0).is_finite());
    }

    /// A plain scalar LSTM in f64, the reference for both passes.
    fn reference(d: LstmDims, p: &[f32], w: &[f32]) -> Vec<f64> {
        let (h, g4) = (d.hidden, 4 * d.hidden);
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let mut out = vec![0.0; d.batch * d.seq * h];
        for b in 0..d.batch {
            let mut hp = vec![0.0f64; h];
            let mut cp = vec![0.0f64; h];
            for t in 0..d.seq {
                let mut pre: Vec<f64> = (0..g4)
                    .map(|j| p[(b * d.seq + t) * g4 + j] as f64)
                    .collect();
                for (j, v) in pre.iter_mut().enumerate() {
                    *v += (0..h).map(|k| hp[k] * w[k * g4 + j] as f64).sum::<f64>();
                }
                for k in 0..h {
                    let (i, f, o, g) = (
                        sig(pre[k]),
                        sig(pre[h + k]),
                        sig(pre[2 * h + k]),
                        pre[3 * h + k].tanh(),
                    );
                    cp[k] = f * cp[k] + i * g;
                    hp[k] = o * cp[k].tanh();
                    out[(b * d.seq + t) * h + k] = hp[k];
                }
            }
        }
        out
    }

    fn pseudo_random(n: usize, seed: u32, scale: f32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                scale * ((s as f32 / u32::MAX as f32) * 2.0 - 1.0)
            })
            .collect()
    }

    #[test]
    fn forward_matches_a_scalar_lstm_and_gradients_match_finite_differences() {
        let d = LstmDims {
            batch: 5,
            seq: 7,
            hidden: 3,
        };
        let p = pseudo_random(d.batch * d.seq * 12, 1, 1.5);
        let w = pseudo_random(3 * 12, 2, 0.8);
        let (hid, cache) = forward(d, &p, &w);
        let want = reference(d, &p, &w);
        for (a, b) in hid.iter().zip(&want) {
            assert!((*a as f64 - b).abs() < 1e-6, "{a} vs {b}");
        }
        // Loss = Σ r ⊙ h for a fixed random r, so dL/dh = r.
        let r = pseudo_random(hid.len(), 3, 1.0);
        let loss = |p: &[f32], w: &[f32]| -> f64 {
            reference(d, p, w)
                .iter()
                .zip(&r)
                .map(|(h, r)| h * *r as f64)
                .sum()
        };
        let (dp, dw) = backward(d, &w, &hid, &cache, &r);
        let eps = 1e-3f32;
        for idx in (0..p.len()).step_by(7) {
            let (mut up, mut down) = (p.clone(), p.clone());
            up[idx] += eps;
            down[idx] -= eps;
            let fd = (loss(&up, &w) - loss(&down, &w)) / (2.0 * eps as f64);
            assert!(
                (dp[idx] as f64 - fd).abs() < 1e-4,
                "d_projected[{idx}] {} vs {fd}",
                dp[idx]
            );
        }
        for idx in 0..w.len() {
            let (mut up, mut down) = (w.clone(), w.clone());
            up[idx] += eps;
            down[idx] -= eps;
            let fd = (loss(&p, &up) - loss(&p, &down)) / (2.0 * eps as f64);
            assert!(
                (dw[idx] as f64 - fd).abs() < 1e-4,
                "d_w[{idx}] {} vs {fd}",
                dw[idx]
            );
        }
    }

    #[test]
    fn empty_shapes_do_not_panic() {
        let d = LstmDims {
            batch: 0,
            seq: 4,
            hidden: 2,
        };
        let (hid, cache) = forward(d, &[], &[0.0; 16]);
        assert!(hid.is_empty());
        let (dp, dw) = backward(d, &[0.0; 16], &hid, &cache, &[]);
        assert!(dp.is_empty() && dw.len() == 16);
    }
}
