//! Right-padded batches, per-residue loss weights and the masked two-head loss.

use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::{log_sigmoid, log_softmax};
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::metrics::POCKET_CLASSES;
use super::register::RegisterBounds;
use super::register_loss::{RegisterTargets, register_loss};

/// One peptide as the model sees it: features and, for training, targets.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub id: &'a str,
    pub features: &'a [Vec<f32>],
    pub binding: &'a [bool],
    /// 0 = none, 1..=5 = Φ0..Φ4.
    pub pocket: &'a [usize],
    /// Per-residue loss weights (0 = label unknown); empty means 1 everywhere.
    pub binding_weight: &'a [f32],
    pub pocket_weight: &'a [f32],
}

impl Sample<'_> {
    pub fn binding_weight(&self, t: usize) -> f32 {
        self.binding_weight.get(t).copied().unwrap_or(1.0)
    }

    pub fn pocket_weight(&self, t: usize) -> f32 {
        self.pocket_weight.get(t).copied().unwrap_or(1.0)
    }
}

/// Class weights against the rarity of binding residues and of each pocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassWeights {
    pub binding_positive: f32,
    pub pocket: Vec<f32>,
}

impl ClassWeights {
    pub fn uniform() -> Self {
        Self {
            binding_positive: 1.0,
            pocket: vec![1.0; POCKET_CLASSES],
        }
    }

    /// Positive binding weight = negatives / positives; pocket weight of class k =
    /// n / (K · n_k) ("balanced"); both capped at `max` so a class seen twice cannot dominate.
    /// Counts are sums of the residues' label weights, so unknown labels (weight 0) count nothing.
    pub fn balanced(samples: &[Sample], max: f32) -> Self {
        let mut pos = 0f64;
        let mut neg = 0f64;
        let mut per_class = [0f64; POCKET_CLASSES];
        for s in samples {
            for (t, b) in s.binding.iter().enumerate() {
                let w = f64::from(s.binding_weight(t));
                if *b {
                    pos += w;
                } else {
                    neg += w;
                }
            }
            for (t, &p) in s.pocket.iter().enumerate() {
                if p < POCKET_CLASSES {
                    per_class[p] += f64::from(s.pocket_weight(t));
                }
            }
        }
        let binding_positive = if pos <= 0.0 {
            1.0
        } else {
            ((neg / pos) as f32).clamp(1.0, max)
        };
        let total: f64 = per_class.iter().sum();
        let present = per_class.iter().filter(|n| **n > 0.0).count().max(1);
        let pocket = per_class
            .iter()
            .map(|&n| {
                if n <= 0.0 {
                    1.0
                } else {
                    ((total / (present as f64 * n)) as f32).clamp(1.0 / max, max)
                }
            })
            .collect();
        Self {
            binding_positive,
            pocket,
        }
    }
}

pub struct Batch {
    pub x: Tensor<3>,
    pub lengths: Vec<usize>,
    /// `[batch, seq]` 0/1 binding targets.
    pub binding: Tensor<2>,
    /// `[batch, seq]` loss weight of each binding target (0 in the padding).
    pub binding_weight: Tensor<2>,
    pub binding_weight_sum: f32,
    /// `[batch, seq, 1]` pocket class targets (0 in the padding).
    pub pocket: Tensor<3, Int>,
    pub pocket_weight: Tensor<2>,
    pub pocket_weight_sum: f32,
    /// The register-aware term and its factor in the loss (none: per-residue terms only).
    pub register: Option<(RegisterTargets, f32)>,
}

impl Batch {
    /// Adds the register-aware loss term ([`super::register_loss`]) with `factor`, scored with
    /// the decoder's `bounds` (spacings and learned step preferences).
    pub fn with_register(
        mut self,
        samples: &[Sample],
        factor: f32,
        bounds: &RegisterBounds,
        device: &Device,
    ) -> Self {
        if factor > 0.0 {
            let seq = self.lengths.iter().copied().max().unwrap_or(0);
            let targets = RegisterTargets::new(samples, seq, bounds, device);
            if targets.weight_sum > 0.0 {
                self.register = Some((targets, factor));
            }
        }
        self
    }
}

/// Pads features with zeros to the longest sample; checks every residue is `dim` wide.
pub fn features_tensor(
    samples: &[Sample],
    dim: usize,
    device: &Device,
) -> Result<(Tensor<3>, Vec<usize>), TrainError> {
    let seq = samples.iter().map(|s| s.features.len()).max().unwrap_or(0);
    let mut x = vec![0f32; samples.len() * seq * dim];
    for (b, s) in samples.iter().enumerate() {
        for (t, row) in s.features.iter().enumerate() {
            if row.len() != dim {
                return Err(TrainError::FeatureDim {
                    id: s.id.to_string(),
                    expected: dim,
                    got: row.len(),
                });
            }
            let start = (b * seq + t) * dim;
            x[start..start + dim].copy_from_slice(row);
        }
    }
    let lengths = samples.iter().map(|s| s.features.len()).collect();
    Ok((
        Tensor::from_data(TensorData::new(x, [samples.len(), seq, dim]), device),
        lengths,
    ))
}

pub fn make_batch(
    samples: &[Sample],
    dim: usize,
    weights: &ClassWeights,
    device: &Device,
) -> Result<Batch, TrainError> {
    let (x, lengths) = features_tensor(samples, dim, device)?;
    let seq = lengths.iter().copied().max().unwrap_or(0);
    let n = samples.len() * seq;
    let (mut y, mut wy, mut p, mut wp) =
        (vec![0f32; n], vec![0f32; n], vec![0i64; n], vec![0f32; n]);
    for (b, s) in samples.iter().enumerate() {
        for t in 0..s.features.len() {
            let i = b * seq + t;
            let positive = s.binding.get(t).copied().unwrap_or(false);
            y[i] = f32::from(u8::from(positive));
            wy[i] = s.binding_weight(t)
                * if positive {
                    weights.binding_positive
                } else {
                    1.0
                };
            let class = s
                .pocket
                .get(t)
                .copied()
                .unwrap_or(0)
                .min(POCKET_CLASSES - 1);
            p[i] = class as i64;
            wp[i] = s.pocket_weight(t) * weights.pocket.get(class).copied().unwrap_or(1.0);
        }
    }
    let shape = [samples.len(), seq];
    Ok(Batch {
        x,
        lengths,
        binding_weight_sum: wy.iter().sum(),
        pocket_weight_sum: wp.iter().sum(),
        binding: Tensor::from_data(TensorData::new(y, shape), device),
        binding_weight: Tensor::from_data(TensorData::new(wy, shape), device),
        pocket: Tensor::from_data(TensorData::new(p, [samples.len(), seq, 1]), device),
        pocket_weight: Tensor::from_data(TensorData::new(wp, shape), device),
        register: None,
    })
}

/// Weighted binary cross-entropy on the binding logits plus weighted cross-entropy on the pocket
/// logits, both averaged over the real residues (padding has weight 0), plus the register-aware
/// term when the batch carries one.
pub fn loss(binding_logits: Tensor<2>, pocket_logits: Tensor<3>, batch: &Batch) -> Tensor<1> {
    let register = batch
        .register
        .as_ref()
        .map(|(targets, factor)| register_loss(pocket_logits.clone(), targets).mul_scalar(*factor));
    let y = batch.binding.clone();
    let nll_binding = (y.clone() * log_sigmoid(binding_logits.clone())
        + (y.neg().add_scalar(1.0)) * log_sigmoid(binding_logits.neg()))
    .neg();
    let binding = (nll_binding * batch.binding_weight.clone())
        .sum()
        .div_scalar(batch.binding_weight_sum.max(f32::MIN_POSITIVE));
    let logp = log_softmax(pocket_logits, 2);
    let picked = logp.gather(2, batch.pocket.clone()).squeeze_dim::<2>(2);
    let pocket = (picked * batch.pocket_weight.clone())
        .sum()
        .neg()
        .div_scalar(batch.pocket_weight_sum.max(f32::MIN_POSITIVE));
    match register {
        Some(r) => binding + pocket + r,
        None => binding + pocket,
    }
}
