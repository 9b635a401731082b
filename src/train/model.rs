//! BiLSTM tagger over per-residue embeddings with two heads: binding (one logit) and pocket
//! (six logits: none, Φ0..Φ4).
//!
//! burn's `BiLstm` has no padding mask: on a right-padded batch its reverse direction would start in
//! the padding and carry it into every real residue. [`MaskedBiLstm`] runs the reverse LSTM on each
//! sequence flipped *within its own length* (padding stays at the end), so real residues never see
//! padding in either direction and a padded batch gives the same outputs as single sequences.

use burn::nn::{BiLstm, BiLstmConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::TensorData;
use serde::{Deserialize, Serialize};

use super::dropout::dropout;
use super::fused_lstm::{lstm_forward, lstm_forward_reversed};
use super::metrics::POCKET_CLASSES;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerConfig {
    pub d_input: usize,
    pub hidden: usize,
    pub layers: usize,
    /// Dropout on the input, between BiLSTM layers and before the heads (training only).
    pub dropout: f64,
}

impl TaggerConfig {
    pub fn new(d_input: usize, hidden: usize) -> Self {
        Self {
            d_input,
            hidden,
            layers: 2,
            dropout: 0.3,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.d_input == 0 || self.hidden == 0 || self.layers == 0 {
            return Err(format!(
                "model sizes must be positive (input {}, hidden {}, layers {})",
                self.d_input, self.hidden, self.layers
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} is not in [0, 1)", self.dropout));
        }
        Ok(())
    }

    /// Panics on invalid sizes: call [`TaggerConfig::validate`] first on user input.
    pub fn init(&self, device: &Device) -> BiLstmTagger {
        let layers = (0..self.layers)
            .map(|i| {
                let d_in = if i == 0 {
                    self.d_input
                } else {
                    2 * self.hidden
                };
                MaskedBiLstm {
                    inner: BiLstmConfig::new(d_in, self.hidden, true).init(device),
                }
            })
            .collect();
        BiLstmTagger {
            layers,
            dropout: DropoutConfig::new(self.dropout).init(),
            binding_head: LinearConfig::new(2 * self.hidden, 1).init(device),
            pocket_head: LinearConfig::new(2 * self.hidden, POCKET_CLASSES).init(device),
        }
    }
}

/// A `BiLstm` whose reverse pass respects per-sequence lengths of a right-padded batch.
#[derive(Module, Debug)]
pub struct MaskedBiLstm {
    pub inner: BiLstm,
}

impl MaskedBiLstm {
    /// `x`: `[batch, seq, d_in]`, right-padded; `flip`: `[batch, seq, 1]` index of each position in
    /// its sequence reversed within its length (identity in the padding). Output `[batch, seq, 2h]`.
    /// `lengths` are the real residues per sequence; `flip` is [`flip_indices`] of them.
    pub fn forward(&self, x: Tensor<3>, flip: &Tensor<3, Int>, lengths: &[usize]) -> Tensor<3> {
        let [_, _, d_in] = x.dims();
        let h = self.inner.d_hidden;
        // Padding sits after each sequence, so the forward direction never reads it for real residues.
        // Sequential on purpose: recording the two directions from two threads (rayon::join) was
        // ~5 % faster but interleaved their autodiff nodes, and seeded training stopped being
        // reproducible.
        let fwd = lstm_forward(&self.inner.forward, x.clone());
        // The CPU kernel reverses within lengths itself; elsewhere flip, run, flip back.
        let rev = match lstm_forward_reversed(&self.inner.reverse, &x, lengths) {
            Some(rev) => rev,
            None => {
                let flipped = x.gather(1, flip.clone().repeat_dim(2, d_in));
                let rev_flipped = lstm_forward(&self.inner.reverse, flipped);
                rev_flipped.gather(1, flip.clone().repeat_dim(2, h))
            }
        };
        Tensor::cat(vec![fwd, rev], 2)
    }
}

#[derive(Module, Debug)]
pub struct BiLstmTagger {
    pub layers: Vec<MaskedBiLstm>,
    pub dropout: Dropout,
    pub binding_head: Linear,
    pub pocket_head: Linear,
}

/// Per-residue outputs of one forward pass.
pub struct TaggerOutput {
    /// `[batch, seq]` binding logits.
    pub binding: Tensor<2>,
    /// `[batch, seq, 6]` pocket logits.
    pub pocket: Tensor<3>,
}

impl BiLstmTagger {
    /// `x`: `[batch, seq, d_input]`, right-padded; `lengths[b]` real residues of sequence b.
    pub fn forward(&self, x: Tensor<3>, lengths: &[usize]) -> TaggerOutput {
        let [batch, seq, _] = x.dims();
        let device = x.device();
        let flip = flip_indices(lengths, batch, seq, &device);
        let mut h = dropout(&self.dropout, x);
        for layer in &self.layers {
            h = dropout(&self.dropout, layer.forward(h, &flip, lengths));
        }
        let binding = self.binding_head.forward(h.clone()).squeeze_dim::<2>(2);
        let pocket = self.pocket_head.forward(h);
        TaggerOutput { binding, pocket }
    }
}

/// `[batch, seq, 1]` gather indices that reverse each sequence within its length.
pub fn flip_indices(
    lengths: &[usize],
    batch: usize,
    seq: usize,
    device: &Device,
) -> Tensor<3, Int> {
    let mut idx = Vec::with_capacity(batch * seq);
    for b in 0..batch {
        let n = lengths.get(b).copied().unwrap_or(seq).min(seq);
        for t in 0..seq {
            idx.push(if t < n { (n - 1 - t) as i64 } else { t as i64 });
        }
    }
    Tensor::from_data(TensorData::new(idx, [batch, seq, 1]), device)
}
