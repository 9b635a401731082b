//! Rotary position embeddings as in ESM-2 / transformers (`rotate_half`, half-split layout).
//!
//! For a head vector `x = [x1, x2]` (two halves) at position `p`:
//! `rot(x) = x · cos(pθ) + [−x2, x1] · sin(pθ)`, with `θ_i = base^(−2i/head_dim)` repeated for
//! both halves. Position 0 is `<cls>`; padding sits on the right, so positions are shared by every
//! sequence of a batch.

use burn::tensor::{Device, Tensor, TensorData};

/// `cos` and sign-folded `sin` tables, shaped `[1, 1, T, head_dim]` to broadcast over batch and
/// heads.
pub struct RotaryTables {
    cos: Tensor<4>,
    /// `−sin` on the first half, `+sin` on the second: `[x2, x1] · this = [−x2 sin, x1 sin]`.
    sin_signed: Tensor<4>,
    half: usize,
}

impl RotaryTables {
    pub fn new(seq_len: usize, head_dim: usize, base: f64, device: &Device) -> Self {
        let half = head_dim / 2;
        let mut cos = Vec::with_capacity(seq_len * head_dim);
        let mut sin = Vec::with_capacity(seq_len * head_dim);
        for pos in 0..seq_len {
            for j in 0..head_dim {
                let i = j % half;
                let inv_freq = 1.0 / base.powf((2 * i) as f64 / head_dim as f64);
                let angle = pos as f64 * inv_freq;
                cos.push(angle.cos() as f32);
                let s = angle.sin() as f32;
                sin.push(if j < half { -s } else { s });
            }
        }
        let shape = [1, 1, seq_len, head_dim];
        RotaryTables {
            cos: Tensor::from_data(TensorData::new(cos, shape), device),
            sin_signed: Tensor::from_data(TensorData::new(sin, shape), device),
            half,
        }
    }

    /// Rotates `[batch, heads, T, head_dim]` query or key vectors.
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let x1 = x.clone().narrow(3, 0, self.half);
        let x2 = x.clone().narrow(3, self.half, self.half);
        let swapped = Tensor::cat(vec![x2, x1], 3);
        x * self.cos.clone() + swapped * self.sin_signed.clone()
    }
}
