//! The ESM-2 encoder on the host for the CPU backend: the same maths as `model.rs`, with every
//! layer in plain loops around direct `gemm` calls.
//!
//! Why: on burn-flex the matmuls already ran at the core's peak, and a third of the time went to
//! layout copies, broadcasts, the rotary `cat`, masked attention over padding and per-op
//! dispatch. Here sequences are packed end to end (no padding rows, no mask), biases and
//! residual adds are folded into the matmuls (`dst = dst + lhs · rhs`), rotary and attention work
//! in place on the packed rows, and the buffers are reused from layer to layer.

use gemm::{Parallelism, gemm};

use super::gelu::gelu_bias;
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
    /// `dst[n × d_out] = x[n × d_in] · weight`, plus `dst`'s own values when `add`.
    #[inline(always)]
    fn multiply(&self, x: &[f32], dst: &mut [f32], n: usize, add: bool) {
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
                add,
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

    /// `dst = x · weight` without the bias, which the next pass over `dst` adds (rotary and
    /// attention for the projections, GELU for the feed-forward input): writing bias rows first
    /// for the product to add onto cost a full extra pass over the largest buffers.
    #[inline(always)]
    fn product(&self, x: &[f32], dst: &mut Vec<f32>, n: usize) {
        // Every element is overwritten: a buffer of the right length is reused as it is.
        dst.resize(n * self.d_out, 0.0);
        self.multiply(x, dst, n, false);
    }

    /// `x += bias + h · weight` (a residual add), with `d_out` = `x`'s width.
    #[inline(always)]
    fn add_into(&self, h: &[f32], x: &mut [f32], n: usize) {
        for row in x.chunks_exact_mut(self.d_out) {
            row.iter_mut().zip(&self.bias).for_each(|(v, b)| *v += b);
        }
        self.multiply(h, x, n, true);
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

/// The largest value (−∞ for none), in vector lanes: `fold(f32::max)` compiles to a scalar
/// compare chain for its NaN rules, which took a seventh of a long protein's encoder time.
#[inline(always)]
fn max_of(a: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = a.chunks_exact(LANES);
    let mut tail = f32::NEG_INFINITY;
    for &v in chunks.remainder() {
        if v > tail {
            tail = v;
        }
    }
    for c in chunks {
        for (m, &v) in acc.iter_mut().zip(c) {
            if v > *m {
                *m = v;
            }
        }
    }
    acc.iter().fold(tail, |m, &v| if v > m { v } else { m })
}

/// `a[i] = e^(a[i] − shift)` and the sum of the results, in one pass.
#[inline(always)]
fn exp_shifted_sum(a: &mut [f32], shift: f32) -> f32 {
    let mut acc = [0f32; LANES];
    let mut chunks = a.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for (s, v) in acc.iter_mut().zip(c) {
            *v = exp(*v - shift);
            *s += *v;
        }
    }
    let mut tail = 0f32;
    for v in chunks.into_remainder() {
        *v = exp(*v - shift);
        tail += *v;
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
        // Every element is overwritten below.
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
        // The usual head sizes as fixed-length arrays: a loop of a runtime count of 8 never
        // reaches the vector body (it is narrower than one vector) and ran scalar.
        match self.half {
            8 => rotate_fixed::<8>(x1, x2, cos, sin),
            12 => rotate_fixed::<12>(x1, x2, cos, sin),
            16 => rotate_fixed::<16>(x1, x2, cos, sin),
            32 => rotate_fixed::<32>(x1, x2, cos, sin),
            _ => rotate_pairs(x1, x2, cos, sin),
        }
    }
}

#[inline(always)]
fn rotate_pairs(x1: &mut [f32], x2: &mut [f32], cos: &[f32], sin: &[f32]) {
    for (((a, b), c), s) in x1.iter_mut().zip(x2.iter_mut()).zip(cos).zip(sin) {
        let (x, y) = (*a, *b);
        *a = x * c - y * s;
        *b = y * c + x * s;
    }
}

#[inline(always)]
fn rotate_fixed<const H: usize>(x1: &mut [f32], x2: &mut [f32], cos: &[f32], sin: &[f32]) {
    match (
        <&mut [f32; H]>::try_from(&mut *x1),
        <&mut [f32; H]>::try_from(&mut *x2),
        <&[f32; H]>::try_from(cos),
        <&[f32; H]>::try_from(sin),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(s)) => {
            for i in 0..H {
                let (x, y) = (a[i], b[i]);
                a[i] = x * c[i] - y * s[i];
                b[i] = y * c[i] + x * s[i];
            }
        }
        _ => rotate_pairs(x1, x2, cos, sin),
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
    /// 1 / each score row's sum of exponentials (long-sequence attention).
    row_inv: Vec<f32>,
    queries_t: Vec<[f32; BLOCK]>,
    probs: Vec<[f32; BLOCK]>,
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
        l.qkv.product(&s.normed, &mut s.qkv, n);
        self.attention(sequences, rotary, &l.qkv.bias, s);
        l.attn_out.add_into(&s.context, x, n);
        l.ffn_norm.apply(x, &mut s.normed, d, self.eps);
        l.ffn_in.product(&s.normed, &mut s.ffn, n);
        for row in s.ffn.chunks_exact_mut(l.ffn_in.d_out) {
            gelu_bias(row, &l.ffn_in.bias);
        }
        l.ffn_out.add_into(&s.ffn, x, n);
    }

    /// The projection's bias, rotary on queries and keys, then softmax(q·kᵀ / √hd) · v per
    /// sequence and head, into `s.context` (`[Σ len, D]`, heads side by side as before the
    /// output projection).
    #[inline(always)]
    fn attention(
        &self,
        sequences: &[PackedSequence<'_>],
        rotary: &Rotary,
        bias: &[f32],
        s: &mut Scratch,
    ) {
        let d = self.hidden;
        let hd = self.head_dim();
        let width = 3 * d;
        let scale = 1.0 / (hd as f32).sqrt();
        let mut start = 0;
        for seq in sequences {
            let len = seq.ids.len();
            for t in 0..len {
                let row = &mut s.qkv[(start + t) * width..(start + t + 1) * width];
                row.iter_mut().zip(bias).for_each(|(v, b)| *v += b);
                for h in 0..2 * self.heads {
                    rotary.rotate(&mut row[h * hd..(h + 1) * hd], t);
                }
            }
            start += len;
        }
        let n = start;
        // Every element is overwritten: each head writes its columns of every row.
        s.context.resize(n * d, 0.0);
        let mut start = 0;
        for seq in sequences {
            let len = seq.ids.len();
            if len >= GEMM_ATTENTION_FROM {
                self.attention_gemm(start, len, s);
                start += len;
                continue;
            }
            let rows = &s.qkv[start * width..(start + len) * width];
            let out = &mut s.context[start * d..(start + len) * d];
            for h in 0..self.heads {
                let head = HeadOffsets::of(h, hd, d);
                short_attention(
                    rows,
                    width,
                    head,
                    scale,
                    (&mut s.queries_t, &mut s.probs),
                    out,
                    d,
                );
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
            let head = HeadOffsets::of(h, hd, d);
            let (q_off, k_off, v_off) = (head.query, head.key, head.value);
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
            // Unnormalised: each context row is divided by its sum after the product instead,
            // hd values a row rather than len.
            // A plain loop: a closure passed to `extend` became its own function, compiled
            // without this kernel's instruction set.
            s.row_inv.clear();
            for row in s.scores.chunks_exact_mut(len) {
                let max = max_of(row);
                s.row_inv.push(1.0 / exp_shifted_sum(row, max));
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
            for (i, inv) in s.row_inv.iter().enumerate() {
                let row = &mut s.context[(start + i) * d + q_off..][..hd];
                row.iter_mut().for_each(|v| *v *= inv);
            }
        }
    }
}

/// From this many tokens a sequence's attention goes through `gemm` (below it, the blocked loops:
/// a call per head costs more than the work on peptides).
const GEMM_ATTENTION_FROM: usize = 64;

/// Queries per block of the short-sequence attention: one 512-bit register of f32.
const BLOCK: usize = 16;

/// Where one head's query, key and value columns start in a `qkv` row, and their width.
#[derive(Clone, Copy)]
struct HeadOffsets {
    query: usize,
    key: usize,
    value: usize,
    dim: usize,
}

impl HeadOffsets {
    /// Head `h` of width `hd` in a `qkv` row laid out as queries, keys, values, each `d` wide.
    #[inline(always)]
    fn of(h: usize, hd: usize, d: usize) -> Self {
        Self {
            query: h * hd,
            key: d + h * hd,
            value: 2 * d + h * hd,
            dim: hd,
        }
    }
}

/// softmax(q·kᵀ · scale) · v of one head over one short sequence (`rows`: its `qkv` rows at
/// stride `width`), written into that head's columns of `out` (stride `out_stride`).
///
/// Why this shape: sixteen queries share the vector lanes, so the scores, their maximum, the
/// exponentials, the sums and the weighted values are all lane-wise multiply-adds against
/// broadcast keys and values. A query at a time (the previous loops) spent most of its time in
/// horizontal maxima and sums over 17 scores, 20 times per layer and peptide: a fifth of the
/// embedding time for well under 1 % of its arithmetic.
#[inline(always)]
fn short_attention(
    rows: &[f32],
    width: usize,
    head: HeadOffsets,
    scale: f32,
    (queries_t, probs): (&mut Vec<[f32; BLOCK]>, &mut Vec<[f32; BLOCK]>),
    out: &mut [f32],
    out_stride: usize,
) {
    let len = rows.len() / width;
    let hd = head.dim;
    let key = |j: usize| &rows[j * width + head.key..][..hd];
    probs.resize(len, [0.0; BLOCK]);
    queries_t.resize(hd, [0.0; BLOCK]);
    for i0 in (0..len).step_by(BLOCK) {
        let lanes = (len - i0).min(BLOCK);
        // Lanes past the last query stay zero: their scores are 0, harmless, and never written.
        for (c, qt) in queries_t.iter_mut().enumerate() {
            *qt = [0.0; BLOCK];
            for (l, q) in qt.iter_mut().take(lanes).enumerate() {
                *q = rows[(i0 + l) * width + head.query + c];
            }
        }
        // Scores four keys at a time: four independent chains of multiply-adds.
        let mut j = 0;
        while j + 4 <= len {
            let (k0, k1, k2, k3) = (key(j), key(j + 1), key(j + 2), key(j + 3));
            let mut acc = [[0f32; BLOCK]; 4];
            let keys = k0.iter().zip(k1).zip(k2).zip(k3);
            for (qt, (((&a, &b), &c), &e)) in queries_t.iter().zip(keys) {
                for l in 0..BLOCK {
                    acc[0][l] += qt[l] * a;
                    acc[1][l] += qt[l] * b;
                    acc[2][l] += qt[l] * c;
                    acc[3][l] += qt[l] * e;
                }
            }
            probs[j..j + 4].copy_from_slice(&acc);
            j += 4;
        }
        for (jj, p) in probs.iter_mut().enumerate().skip(j) {
            let kj = key(jj);
            let mut acc = [0f32; BLOCK];
            for (qt, &k) in queries_t.iter().zip(kj) {
                for l in 0..BLOCK {
                    acc[l] += qt[l] * k;
                }
            }
            *p = acc;
        }
        let mut max = [f32::NEG_INFINITY; BLOCK];
        for p in probs.iter() {
            for l in 0..BLOCK {
                if p[l] > max[l] {
                    max[l] = p[l];
                }
            }
        }
        let max = max.map(|m| m * scale);
        let mut total = [0f32; BLOCK];
        for p in probs.iter_mut() {
            for l in 0..BLOCK {
                p[l] = exp(p[l] * scale - max[l]);
                total[l] += p[l];
            }
        }
        let inv = total.map(|t| 1.0 / t);
        for p in probs.iter_mut() {
            for l in 0..BLOCK {
                p[l] *= inv[l];
            }
        }
        // Weighted values four dimensions at a time: the same shape as the score loop above
        // (four chains against broadcast scalars), which the compiler keeps in vector registers.
        let mut write = |c: usize, a: &[f32; BLOCK]| {
            for (l, &value) in a.iter().take(lanes).enumerate() {
                out[(i0 + l) * out_stride + head.query + c] = value;
            }
        };
        let mut c = 0;
        while c + 4 <= hd {
            let mut acc = [[0f32; BLOCK]; 4];
            for (j, p) in probs.iter().enumerate() {
                let v = &rows[j * width + head.value + c..][..4];
                let (a, b, e, f) = (v[0], v[1], v[2], v[3]);
                for l in 0..BLOCK {
                    acc[0][l] += p[l] * a;
                    acc[1][l] += p[l] * b;
                    acc[2][l] += p[l] * e;
                    acc[3][l] += p[l] * f;
                }
            }
            for (k, a) in acc.iter().enumerate() {
                write(c + k, a);
            }
            c += 4;
        }
        for c in c..hd {
            let mut acc = [0f32; BLOCK];
            for (j, p) in probs.iter().enumerate() {
                let v = rows[j * width + head.value + c];
                for l in 0..BLOCK {
                    acc[l] += p[l] * v;
                }
            }
            write(c, &acc);
        }
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
    fn short_attention_equals_a_plain_softmax() {
        for hd in [8, 12, 16, 24, 40] {
            for len in [1, 3, 5, 16, 17, 33, 63, 70] {
                let heads = 2;
                let d = heads * hd;
                let width = 3 * d;
                let rows = values(len * width, 7);
                let scale = 1.0 / (hd as f32).sqrt();
                let mut out = vec![f32::NAN; len * d];
                let (mut qt, mut probs) = (Vec::new(), Vec::new());
                for h in 0..heads {
                    let head = HeadOffsets::of(h, hd, d);
                    short_attention(
                        &rows,
                        width,
                        head,
                        scale,
                        (&mut qt, &mut probs),
                        &mut out,
                        d,
                    );
                }
                for h in 0..heads {
                    for i in 0..len {
                        let q = &rows[i * width + h * hd..][..hd];
                        let scores: Vec<f32> = (0..len)
                            .map(|j| {
                                let k = &rows[j * width + d + h * hd..][..hd];
                                q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale
                            })
                            .collect();
                        let max = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                        let e: Vec<f32> = scores.iter().map(|v| (v - max).exp()).collect();
                        let total: f32 = e.iter().sum();
                        for c in 0..hd {
                            let want: f32 = (0..len)
                                .map(|j| e[j] / total * rows[j * width + 2 * d + h * hd + c])
                                .sum();
                            let got = out[i * d + h * hd + c];
                            assert!(
                                (got - want).abs() < 1e-5,
                                "hd {hd} len {len} head {h} query {i} dim {c}: {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rotary_equals_the_plain_formula_for_every_head_size() {
        for hd in [6, 10, 16, 24, 32, 64] {
            let rotary = Rotary::new(40, hd, 10_000.0);
            let half = hd / 2;
            for pos in [0, 1, 17, 39] {
                let v = values(hd, pos as u32);
                let mut got = v.clone();
                rotary.rotate(&mut got, pos);
                for i in 0..half {
                    let angle = pos as f64 / 10_000f64.powf((2 * i) as f64 / hd as f64);
                    let (c, s) = (angle.cos(), angle.sin());
                    let (x, y) = (v[i] as f64, v[half + i] as f64);
                    assert!(
                        (got[i] as f64 - (x * c - y * s)).abs() < 1e-5,
                        "hd {hd} pos {pos}"
                    );
                    assert!((got[half + i] as f64 - (y * c + x * s)).abs() < 1e-5);
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
            let max = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max_of(&a), max, "max of {n}");
            let mut e = a.clone();
            let total = exp_shifted_sum(&mut e, max);
            let want: Vec<f32> = a.iter().map(|v| (v - max).exp()).collect();
            assert!(
                e.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-6),
                "exp of {n}"
            );
            assert!(
                (total - want.iter().sum::<f32>()).abs() < 1e-4,
                "exp sum of {n}"
            );
        }
    }
}
