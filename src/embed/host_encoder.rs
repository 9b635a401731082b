//! The ESM-2 encoder on the host for the CPU backend: the same maths as `model.rs`, with every
//! layer in plain loops around direct `gemm` calls.
//!
//! Why: on burn-flex the matmuls already ran at the core's peak, and a third of the time went to
//! layout copies, broadcasts, the rotary `cat`, masked attention over padding and per-op
//! dispatch. Here sequences are packed end to end (no padding rows, no mask), biases and
//! residual adds are folded into the matmuls (`dst = dst + lhs · rhs`), rotary and attention work
//! in place on the packed rows, and the buffers are reused from layer to layer.

use gemm::{Parallelism, gemm};

use super::gelu::gelu_slice;
use crate::simd::{exp, simd_variants};

pub struct HostNorm {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
}

/// `weight` is `[in, out]` row-major (as burn's `linear` takes it).
pub struct HostDense {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub d_in: usize,
    pub d_out: usize,
}

pub struct HostLayer {
    pub attn_norm: HostNorm,
    /// Query, key and value side by side: `[D, 3D]`.
    pub qkv: HostDense,
    pub attn_out: HostDense,
    pub ffn_norm: HostNorm,
    pub ffn_in: HostDense,
    pub ffn_out: HostDense,
}

pub struct HostEncoder {
    /// `[vocab, D]`.
    pub embeddings: Vec<f32>,
    pub layers: Vec<HostLayer>,
    pub final_norm: HostNorm,
    pub hidden: usize,
    pub heads: usize,
    pub eps: f32,
    pub rotary_base: f64,
}

/// One sequence of a packed batch: token ids and each token's embedding scale (token dropout).
pub struct PackedSequence<'a> {
    pub ids: &'a [u32],
    pub scale: &'a [f32],
}

impl HostDense {
    /// `dst[n × d_out] = dst + x[n × d_in] · weight`.
    #[inline(always)]
    fn accumulate(&self, x: &[f32], dst: &mut [f32], n: usize) {
        debug_assert_eq!(x.len(), n * self.d_in);
        debug_assert_eq!(dst.len(), n * self.d_out);
        debug_assert_eq!(self.weight.len(), self.d_in * self.d_out);
        // SAFETY: row-major operands whose lengths are checked above; `dst` aliases neither.
        unsafe {
            gemm(
                n,
                self.d_out,
                self.d_in,
                dst.as_mut_ptr(),
                1,
                self.d_out as isize,
                true,
                x.as_ptr(),
                1,
                self.d_in as isize,
                self.weight.as_ptr(),
                1,
                self.d_out as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    }

    /// `dst = bias + x · weight` (every row).
    #[inline(always)]
    fn apply(&self, x: &[f32], dst: &mut Vec<f32>, n: usize) {
        dst.clear();
        for _ in 0..n {
            dst.extend_from_slice(&self.bias);
        }
        self.accumulate(x, dst, n);
    }

    /// `x += bias + h · weight` (a residual add), with `d_out` = `x`'s width.
    #[inline(always)]
    fn add_into(&self, h: &[f32], x: &mut [f32], n: usize) {
        for row in x.chunks_exact_mut(self.d_out) {
            row.iter_mut().zip(&self.bias).for_each(|(v, b)| *v += b);
        }
        self.accumulate(h, x, n);
    }
}

/// Lanes of the partial sums below: independent accumulators the compiler keeps in one vector
/// register, where a plain `iter().sum()` is one serial chain of adds (f32 addition does not
/// reassociate), latency-bound at a few cycles per element.
const LANES: usize = 16;

#[inline(always)]
fn sum(a: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (s, v) in acc.iter_mut().zip(c) {
            *s += v;
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for ((s, x), y) in acc.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    acc.iter().sum::<f32>() + tail
}

impl HostNorm {
    #[inline(always)]
    fn apply(&self, x: &[f32], out: &mut Vec<f32>, width: usize, eps: f32) {
        out.clear();
        out.resize(x.len(), 0.0);
        for (row, dst) in x.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
            let mean = sum(row) / width as f32;
            for (d, v) in dst.iter_mut().zip(row) {
                *d = v - mean;
            }
            let var = dot(dst, dst) / width as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for ((d, g), b) in dst.iter_mut().zip(&self.gamma).zip(&self.beta) {
                *d = *d * inv * g + b;
            }
        }
    }
}

/// `cos` and `sin` of position `p` × frequency `i`, `[T, head_dim / 2]`.
struct Rotary {
    cos: Vec<f32>,
    sin: Vec<f32>,
    half: usize,
}

impl Rotary {
    fn new(max_len: usize, head_dim: usize, base: f64) -> Self {
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(max_len * half);
        let mut sin = Vec::with_capacity(max_len * half);
        for pos in 0..max_len {
            for i in 0..half {
                let inv_freq = 1.0 / base.powf((2 * i) as f64 / head_dim as f64);
                let angle = pos as f64 * inv_freq;
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        Self { cos, sin, half }
    }

    /// Rotates one head vector at `pos` in place (`rotate_half` layout: halves `[x1, x2]`).
    #[inline(always)]
    fn rotate(&self, v: &mut [f32], pos: usize) {
        let (x1, x2) = v.split_at_mut(self.half);
        let cos = &self.cos[pos * self.half..(pos + 1) * self.half];
        let sin = &self.sin[pos * self.half..(pos + 1) * self.half];
        for i in 0..self.half {
            let (a, b) = (x1[i], x2[i]);
            x1[i] = a * cos[i] - b * sin[i];
            x2[i] = b * cos[i] + a * sin[i];
        }
    }
}

/// Reused buffers of one forward pass.
#[derive(Default)]
struct Scratch {
    normed: Vec<f32>,
    qkv: Vec<f32>,
    context: Vec<f32>,
    ffn: Vec<f32>,
    scores: Vec<f32>,
    keys_t: Vec<f32>,
}

impl HostEncoder {
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }

    /// The residual stream after `layer` (0 = scaled embeddings, `layers.len()` = final output
    /// after `emb_layer_norm_after`) for sequences packed end to end: `[Σ len, D]`.
    pub fn forward(&self, sequences: &[PackedSequence<'_>], layer: usize) -> Vec<f32> {
        let d = self.hidden;
        let n: usize = sequences.iter().map(|s| s.ids.len()).sum();
        let max_len = sequences.iter().map(|s| s.ids.len()).max().unwrap_or(0);
        let mut x = Vec::with_capacity(n * d);
        for s in sequences {
            for (&id, &scale) in s.ids.iter().zip(s.scale) {
                let row = &self.embeddings[id as usize * d..(id as usize + 1) * d];
                x.extend(row.iter().map(|v| v * scale));
            }
        }
        let rotary = Rotary::new(max_len, self.head_dim(), self.rotary_base);
        let mut scratch = Scratch::default();
        let last = layer.min(self.layers.len());
        for l in &self.layers[..last] {
            layer_simd(self, l, &mut x, sequences, &rotary, &mut scratch, n);
        }
        if layer >= self.layers.len() {
            self.final_norm.apply(&x, &mut scratch.normed, d, self.eps);
            x = std::mem::take(&mut scratch.normed);
        }
        x
    }

    #[inline(always)]
    fn layer_body(
        &self,
        l: &HostLayer,
        x: &mut [f32],
        sequences: &[PackedSequence<'_>],
        rotary: &Rotary,
        s: &mut Scratch,
        n: usize,
    ) {
        let d = self.hidden;
        l.attn_norm.apply(x, &mut s.normed, d, self.eps);
        l.qkv.apply(&s.normed, &mut s.qkv, n);
        self.attention(sequences, rotary, s);
        l.attn_out.add_into(&s.context, x, n);
        l.ffn_norm.apply(x, &mut s.normed, d, self.eps);
        l.ffn_in.apply(&s.normed, &mut s.ffn, n);
        gelu_slice(&mut s.ffn);
        l.ffn_out.add_into(&s.ffn, x, n);
    }

    /// Rotary on queries and keys, then softmax(q·kᵀ / √hd) · v per sequence and head, into
    /// `s.context` (`[Σ len, D]`, heads side by side as before the output projection).
    #[inline(always)]
    fn attention(&self, sequences: &[PackedSequence<'_>], rotary: &Rotary, s: &mut Scratch) {
        let d = self.hidden;
        let hd = self.head_dim();
        let width = 3 * d;
        let scale = 1.0 / (hd as f32).sqrt();
        let mut start = 0;
        for seq in sequences {
            let len = seq.ids.len();
            for t in 0..len {
                let row = &mut s.qkv[(start + t) * width..(start + t + 1) * width];
                for h in 0..2 * self.heads {
                    rotary.rotate(&mut row[h * hd..(h + 1) * hd], t);
                }
            }
            start += len;
        }
        let n = start;
        s.context.clear();
        s.context.resize(n * d, 0.0);
        let mut start = 0;
        for seq in sequences {
            let len = seq.ids.len();
            // Keys transposed to `[hd, padded]`, zero beyond `len`, so a query's scores come
            // BLOCK keys at a time from broadcast multiply-adds, with no horizontal sums.
            let padded = len.div_ceil(BLOCK) * BLOCK;
            s.scores.resize(padded, 0.0);
            s.keys_t.clear();
            s.keys_t.resize(hd * padded, 0.0);
            if len >= GEMM_ATTENTION_FROM {
                self.attention_gemm(start, len, s);
                start += len;
                continue;
            }
            for h in 0..self.heads {
                let (q_off, k_off, v_off) = (h * hd, d + h * hd, 2 * d + h * hd);
                for j in 0..len {
                    let kj = &s.qkv[(start + j) * width + k_off..][..hd];
                    for (c, k) in kj.iter().enumerate() {
                        s.keys_t[c * padded + j] = *k;
                    }
                }
                for i in 0..len {
                    let qi = &s.qkv[(start + i) * width + q_off..][..hd];
                    query_scores(qi, &s.keys_t, padded, &mut s.scores);
                    let scores = &mut s.scores[..len];
                    let max = scores.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v)) * scale;
                    for score in scores.iter_mut() {
                        *score = exp(*score * scale - max);
                    }
                    let total = sum(scores);
                    let inv = 1.0 / total;
                    scores.iter_mut().for_each(|p| *p *= inv);
                    let out = &mut s.context[(start + i) * d + q_off..][..hd];
                    weighted_values(scores, &s.qkv[start * width + v_off..], width, out);
                }
            }
            start += len;
        }
    }
}

impl HostEncoder {
    /// Attention of one long sequence (rows `start..start + len` of `s.qkv`), per head through
    /// two matmuls: scores `Q Kᵀ` (`[len, len]`), a row softmax, then `P V` into `s.context`.
    #[inline(always)]
    fn attention_gemm(&self, start: usize, len: usize, s: &mut Scratch) {
        let d = self.hidden;
        let hd = self.head_dim();
        let width = (3 * d) as isize;
        let scale = 1.0 / (hd as f32).sqrt();
        s.scores.clear();
        s.scores.resize(len * len, 0.0);
        for h in 0..self.heads {
            let (q_off, k_off, v_off) = (h * hd, d + h * hd, 2 * d + h * hd);
            let base = start * 3 * d;
            // SAFETY: Q, K and V are `len` rows of `hd` columns at row stride `width` inside
            // `s.qkv`; scores is `len × len`; the context block is `len` rows of `hd` columns
            // at row stride `d` inside `s.context`. Destinations alias no source.
            unsafe {
                gemm(
                    len,
                    len,
                    hd,
                    s.scores.as_mut_ptr(),
                    1,
                    len as isize,
                    false,
                    s.qkv.as_ptr().add(base + q_off),
                    1,
                    width,
                    s.qkv.as_ptr().add(base + k_off),
                    width,
                    1,
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
            for row in s.scores.chunks_exact_mut(len) {
                let max = row.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
                for v in row.iter_mut() {
                    *v = exp(*v - max);
                }
                let inv = 1.0 / sum(row);
                row.iter_mut().for_each(|v| *v *= inv);
            }
            unsafe {
                gemm(
                    len,
                    hd,
                    len,
                    s.context.as_mut_ptr().add(start * d + q_off),
                    1,
                    d as isize,
                    false,
                    s.scores.as_ptr(),
                    1,
                    len as isize,
                    s.qkv.as_ptr().add(base + v_off),
                    1,
                    width,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    Parallelism::None,
                );
            }
        }
    }
}

/// From this many tokens a sequence's attention goes through `gemm` (below it, the blocked loops:
/// a call per head costs more than the work on peptides).
const GEMM_ATTENTION_FROM: usize = 64;

/// Keys per block of the attention loops: one 512-bit register of f32.
const BLOCK: usize = 16;

/// `scores[j] = q · k_j` for `keys_t` = keys transposed, `[q.len(), padded]`. Four blocks of keys
/// at a time where there are that many: each block's sum is a chain of dependent multiply-adds,
/// and four independent chains keep the FMA units busy on long sequences.
#[inline(always)]
fn query_scores(q: &[f32], keys_t: &[f32], padded: usize, scores: &mut [f32]) {
    const WIDE: usize = 4 * BLOCK;
    let mut j0 = 0;
    while j0 + WIDE <= padded {
        let (mut a0, mut a1, mut a2, mut a3) =
            ([0f32; BLOCK], [0f32; BLOCK], [0f32; BLOCK], [0f32; BLOCK]);
        for (c, &qc) in q.iter().enumerate() {
            let row: &[f32; WIDE] = keys_t[c * padded + j0..][..WIDE]
                .try_into()
                .unwrap_or(&[0.0; WIDE]);
            for k in 0..BLOCK {
                a0[k] += qc * row[k];
                a1[k] += qc * row[BLOCK + k];
                a2[k] += qc * row[2 * BLOCK + k];
                a3[k] += qc * row[3 * BLOCK + k];
            }
        }
        for (k, a) in [a0, a1, a2, a3].iter().enumerate() {
            scores[j0 + k * BLOCK..j0 + (k + 1) * BLOCK].copy_from_slice(a);
        }
        j0 += WIDE;
    }
    while j0 < padded {
        let mut acc = [0f32; BLOCK];
        for (c, qc) in q.iter().enumerate() {
            let row = &keys_t[c * padded + j0..][..BLOCK];
            for (a, k) in acc.iter_mut().zip(row) {
                *a += qc * k;
            }
        }
        scores[j0..j0 + BLOCK].copy_from_slice(&acc);
        j0 += BLOCK;
    }
}

/// `out = Σ_j p_j · v_j` with `v_j` = `values[j * stride..][..out.len()]`, BLOCK dimensions at a
/// time in registers (accumulating into `out` itself would wait on its own stores).
#[inline(always)]
fn weighted_values(p: &[f32], values: &[f32], stride: usize, out: &mut [f32]) {
    let hd = out.len();
    let mut c0 = 0;
    // Full blocks with a fixed width, so the accumulator stays in one register.
    while c0 + BLOCK <= hd {
        // Four accumulators over consecutive keys: independent chains of multiply-adds.
        let row = |j: usize| -> &[f32; BLOCK] {
            values[j * stride + c0..][..BLOCK]
                .try_into()
                .unwrap_or(&[0.0; BLOCK])
        };
        let (mut a0, mut a1, mut a2, mut a3) =
            ([0f32; BLOCK], [0f32; BLOCK], [0f32; BLOCK], [0f32; BLOCK]);
        let quads = p.len() / 4;
        for q in 0..quads {
            let j = 4 * q;
            let (v0, v1, v2, v3) = (row(j), row(j + 1), row(j + 2), row(j + 3));
            let (p0, p1, p2, p3) = (p[j], p[j + 1], p[j + 2], p[j + 3]);
            for k in 0..BLOCK {
                a0[k] += p0 * v0[k];
                a1[k] += p1 * v1[k];
                a2[k] += p2 * v2[k];
                a3[k] += p3 * v3[k];
            }
        }
        for (j, &pj) in p.iter().enumerate().skip(4 * quads) {
            let v = row(j);
            for k in 0..BLOCK {
                a0[k] += pj * v[k];
            }
        }
        for (k, o) in out[c0..c0 + BLOCK].iter_mut().enumerate() {
            *o = (a0[k] + a1[k]) + (a2[k] + a3[k]);
        }
        c0 += BLOCK;
    }
    if c0 < hd {
        let width = hd - c0;
        let mut acc = [0f32; BLOCK];
        for (j, pj) in p.iter().enumerate() {
            let v = &values[j * stride + c0..][..width];
            for (a, x) in acc.iter_mut().zip(v) {
                *a += pj * x;
            }
        }
        out[c0..].copy_from_slice(&acc[..width]);
    }
}

// The norms, rotary, attention and GELU loops compiled for the widest vector unit the CPU has.
simd_variants!(layer_simd => HostEncoder::layer_body, HostEncoder::layer_body, (
    encoder: &HostEncoder,
    l: &HostLayer,
    x: &mut [f32],
    sequences: &[PackedSequence<'_>],
    rotary: &Rotary,
    s: &mut Scratch,
    n: usize
) -> ());

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn attention_blocks_equal_plain_loops() {
        for hd in [8, 16, 24, 40] {
            for len in [1, 5, 16, 17, 33, 64, 70, 200] {
                let q = values(hd, 1);
                let keys = values(len * hd, 2);
                let padded = len.div_ceil(BLOCK) * BLOCK;
                let mut keys_t = vec![0.0; hd * padded];
                for j in 0..len {
                    for c in 0..hd {
                        keys_t[c * padded + j] = keys[j * hd + c];
                    }
                }
                let mut scores = vec![0.0; padded];
                query_scores(&q, &keys_t, padded, &mut scores);
                for j in 0..len {
                    let want: f32 = (0..hd).map(|c| q[c] * keys[j * hd + c]).sum();
                    assert!((scores[j] - want).abs() < 1e-5, "hd {hd} len {len} key {j}");
                }
                let stride = hd + 3;
                let vals = values(len * stride, 3);
                let p = values(len, 4);
                let mut out = vec![0.0; hd];
                weighted_values(&p, &vals, stride, &mut out);
                for (c, o) in out.iter().enumerate() {
                    let want: f32 = (0..len).map(|j| p[j] * vals[j * stride + c]).sum();
                    assert!((o - want).abs() < 1e-5, "hd {hd} len {len} dim {c}");
                }
            }
        }
    }

    #[test]
    fn lane_sums_equal_plain_sums() {
        for n in [0, 1, 15, 16, 17, 320, 333] {
            let (a, b) = (values(n, 5), values(n, 6));
            let plain: f32 = a.iter().sum();
            let dotp: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((sum(&a) - plain).abs() < 1e-4, "sum of {n}");
            assert!((dot(&a, &b) - dotp).abs() < 1e-4, "dot of {n}");
        }
    }
}
