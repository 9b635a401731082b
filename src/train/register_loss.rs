//! A register-aware loss: the negative log-probability of the labelled Φ register among all
//! consistent registers, as the decoder ([`super::register`]) scores them.
//!
//! Per-residue cross-entropy rewards each residue's pocket on its own; the decoder then picks the
//! best *consistent* register. This loss trains what the decoder uses: `log Z − score(true)`, where
//! `score` sums the residues' pocket log-gains (log p_k − log p_none) over the labelled register
//! and `log Z` is the same chain DP as the decoder's, in log-sum-exp form and in tensors, so
//! autodiff carries it. Rows whose labels are no full, legal register (Φ1–Φ4 each once, spacings
//! within the bounds) take no part.

use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::log_softmax;

use super::batch::Sample;
use super::model::flip_indices;
use super::patterns::Orientation;
use super::register::RegisterBounds;

/// Stands for −∞ in padding and before the sequence start (finite, so gradients stay finite).
const NEG: f32 = -1.0e4;

/// The labelled register of a sample, if it is a full legal one: (positions of Φ0..Φ4, weight).
pub fn labelled_register(
    sample: &Sample,
    bounds: &RegisterBounds,
) -> Option<([Option<usize>; 5], Orientation, f32)> {
    let mut positions = [None; 5];
    for (t, &class) in sample.pocket.iter().enumerate() {
        if (1..=5).contains(&class) && sample.pocket_weight(t) > 0.0 {
            let k = class - 1;
            if positions[k].is_some() {
                return None;
            }
            positions[k] = Some(t);
        }
    }
    let (p1, p4) = (positions[1]?, positions[4]?);
    let orientation = if p4 > p1 {
        Orientation::Forward
    } else {
        Orientation::Reverse
    };
    bounds
        .admits(&positions, orientation)
        .then(|| (positions, orientation, sample.pocket_weight(p1)))
}

/// Targets of one batch for [`register_loss`].
pub struct RegisterTargets {
    /// `[batch, seq, 5]`: 1 at (position, pocket) of each labelled register, forward frame.
    pub mask: Tensor<3>,
    /// `[batch]` loss weight per row (0 without a usable register).
    pub weight: Tensor<1>,
    pub weight_sum: f32,
    /// `[batch, seq, 5]` true in the padding.
    pub padding: Tensor<3, Bool>,
    /// `[batch, seq, 1]` reverses each sequence within its length.
    pub flip: Tensor<3, Int>,
    /// `[batch]` the prior part of each labelled register's score.
    pub prior_score: Tensor<1>,
    /// `[batch, seq]` true where a register may *not* stop at Φ3 (it may where Φ4 no longer fits
    /// before the end; the same positions in the flipped frame).
    pub no_stop: Tensor<2, Bool>,
    /// Spacings and step preferences the decoder uses.
    pub bounds: RegisterBounds,
}

impl RegisterTargets {
    pub fn new(samples: &[Sample], seq: usize, bounds: &RegisterBounds, device: &Device) -> Self {
        let b = samples.len();
        let mut mask = vec![0f32; b * seq * 5];
        let mut weight = vec![0f32; b];
        let mut padding = vec![false; b * seq * 5];
        let mut prior = vec![0f32; b];
        let mut no_stop = vec![true; b * seq];
        let lo4 = bounds.phi3_phi4.0;
        for (i, s) in samples.iter().enumerate() {
            let n = s.features.len().min(seq);
            for t in n.saturating_sub(lo4)..n {
                no_stop[i * seq + t] = false;
            }
            for t in n..seq {
                for k in 0..5 {
                    padding[(i * seq + t) * 5 + k] = true;
                }
            }
            if let Some((positions, _, w)) = labelled_register(s, bounds) {
                for (k, p) in positions.iter().enumerate() {
                    if let Some(t) = p {
                        mask[(i * seq + t) * 5 + k] = 1.0;
                    }
                }
                weight[i] = w;
                prior[i] = bounds.prior_score(&positions) as f32;
            }
        }
        let lengths: Vec<usize> = samples.iter().map(|s| s.features.len()).collect();
        Self {
            weight_sum: weight.iter().sum(),
            mask: Tensor::from_data(TensorData::new(mask, [b, seq, 5]), device),
            weight: Tensor::from_data(TensorData::new(weight, [b]), device),
            padding: Tensor::from_data(TensorData::new(padding, [b, seq, 5]), device),
            flip: flip_indices(&lengths, b, seq, device),
            prior_score: Tensor::from_data(TensorData::new(prior, [b]), device),
            no_stop: Tensor::from_data(TensorData::new(no_stop, [b, seq]), device),
            bounds: *bounds,
        }
    }
}

/// log-sum-exp of equally shaped `[batch, seq]` tensors, element-wise.
fn lse(terms: Vec<Tensor<2>>) -> Tensor<2> {
    let stacked: Tensor<3> = Tensor::stack(terms, 2);
    let m = stacked.clone().max_dim(2).detach();
    ((stacked - m.clone()).exp().sum_dim(2).log() + m).squeeze_dim::<2>(2)
}

/// `x[:, t - step]`, and −∞ (NEG) where `t < step`.
fn shift(x: &Tensor<2>, step: usize) -> Tensor<2> {
    let [b, seq] = x.dims();
    let device = x.device();
    if step >= seq {
        return Tensor::full([b, seq], NEG, &device);
    }
    Tensor::cat(
        vec![
            Tensor::full([b, step], NEG, &device),
            x.clone().narrow(1, 0, seq - step),
        ],
        1,
    )
}

/// `[batch]` log-sum over every forward register of `gain` (`[batch, seq, 5]`, Φ0..Φ4), those cut
/// after Φ3 by the end of the peptide included.
fn log_partition_forward(
    gain: &Tensor<3>,
    bounds: &RegisterBounds,
    no_stop: &Tensor<2, Bool>,
) -> Tensor<1> {
    let [b, seq, _] = gain.dims();
    let g = |k: usize| gain.clone().narrow(2, k, 1).squeeze_dim::<2>(2);
    let [absent, present] = bounds.phi0_log_prior.map(|v| v as f32);
    let phi0 = g(0).add_scalar(present);
    let (lo, hi) = bounds.phi0_phi1;
    let mut terms = vec![Tensor::full([b, seq], absent, &gain.device())];
    terms.extend((lo..=hi).map(|s| shift(&phi0, s).add_scalar(bounds.step_prior(1, s) as f32)));
    let mut alpha = lse(terms) + g(1);
    let mut cut = None;
    for (k, (lo, hi)) in [
        (2, bounds.phi1_phi2),
        (3, bounds.phi2_phi3),
        (4, bounds.phi3_phi4),
    ] {
        let steps = (lo..=hi).map(|s| shift(&alpha, s).add_scalar(bounds.step_prior(k, s) as f32));
        alpha = lse(steps.collect()) + g(k);
        if k == 3 {
            cut = Some(alpha.clone().mask_fill(no_stop.clone(), NEG));
        }
    }
    let ends = match cut {
        Some(c) => Tensor::cat(vec![alpha, c], 1),
        None => alpha,
    };
    let m = ends.clone().max_dim(1).detach();
    ((ends - m.clone()).exp().sum_dim(1).log() + m).squeeze_dim::<1>(1)
}

/// Weighted mean of `log Z − score(labelled register)` over the rows that have one.
pub fn register_loss(pocket_logits: Tensor<3>, targets: &RegisterTargets) -> Tensor<1> {
    let bounds = &targets.bounds;
    let logp = log_softmax(pocket_logits, 2);
    let [b, _, classes] = logp.dims();
    let none = logp.clone().narrow(2, 0, 1);
    let gain = (logp.narrow(2, 1, classes - 1) - none).mask_fill(targets.padding.clone(), NEG);
    let forward = log_partition_forward(&gain, bounds, &targets.no_stop);
    let reversed = gain
        .clone()
        .gather(1, targets.flip.clone().repeat_dim(2, 5));
    // Padding stays at the end after the flip, still NEG.
    let reverse = log_partition_forward(&reversed, bounds, &targets.no_stop);
    let both: Tensor<2> = Tensor::stack(vec![forward, reverse], 1);
    let m = both.clone().max_dim(1).detach();
    let log_z = ((both - m.clone()).exp().sum_dim(1).log() + m).squeeze_dim::<1>(1);
    let score = (gain * targets.mask.clone())
        .sum_dim(2)
        .sum_dim(1)
        .reshape([b])
        + targets.prior_score.clone();
    ((log_z - score) * targets.weight.clone())
        .sum()
        .div_scalar(targets.weight_sum.max(f32::MIN_POSITIVE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::metrics::POCKET_CLASSES;
    use crate::train::register::decode;

    /// The tensor DP's log Z equals the decoder's log-partition, and the loss is log Z − score.
    #[test]
    fn tensor_partition_equals_the_decoder() {
        let device = Device::flex();
        let n = 13;
        let mut seed = 99u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) * 4.0 - 2.0
        };
        let logits: Vec<f32> = (0..n * POCKET_CLASSES).map(|_| next()).collect();
        let probs: Vec<[f32; POCKET_CLASSES]> = logits
            .chunks(POCKET_CLASSES)
            .map(|row| {
                let m = row.iter().copied().fold(f32::MIN, f32::max);
                let e: Vec<f32> = row.iter().map(|v| (v - m).exp()).collect();
                let s: f32 = e.iter().sum();
                std::array::from_fn(|k| e[k] / s)
            })
            .collect();
        let bounds = RegisterBounds::default().with_prior_from([
            ([None, Some(0), Some(4), Some(7), Some(9)], 1.0),
            ([Some(0), Some(3), Some(7), Some(10), Some(12)], 2.0),
        ]);
        let d = decode(&probs, &bounds);
        // A legal forward register as the label: Φ1 2, Φ2 6, Φ3 9, Φ4 11.
        let mut pocket = vec![0usize; n];
        for (t, k) in [(2, 2), (6, 3), (9, 4), (11, 5)] {
            pocket[t] = k;
        }
        let features = vec![vec![0f32; 1]; n];
        let binding = vec![false; n];
        let sample = Sample {
            id: "t",
            features: &features,
            binding: &binding,
            pocket: &pocket,
            binding_weight: &[],
            pocket_weight: &[],
        };
        let targets = RegisterTargets::new(&[sample], n, &bounds, &device);
        assert_eq!(targets.weight_sum, 1.0);
        let x = Tensor::<3>::from_data(TensorData::new(logits, [1, n, POCKET_CLASSES]), &device);
        let loss: f32 = register_loss(x, &targets)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32")[0];
        let ln = |p: f32| f64::from(p).ln();
        let score: f64 = [(2usize, 1usize), (6, 2), (9, 3), (11, 4)]
            .iter()
            .map(|&(t, k)| ln(probs[t][k + 1]) - ln(probs[t][0]))
            .sum();
        let prior = bounds.prior_score(&[None, Some(2), Some(6), Some(9), Some(11)]);
        let expected = d.log_partition - score - prior;
        assert!(
            (f64::from(loss) - expected).abs() < 1e-3,
            "{loss} vs {expected}"
        );
    }

    #[test]
    fn rows_without_a_legal_register_take_no_part() {
        let n = 12;
        let features = vec![vec![0f32; 1]; n];
        let binding = vec![false; n];
        let bounds = RegisterBounds::default();
        // Φ1–Φ3 only (no Φ4), and a register with a step of 8.
        for labels in [
            vec![(0, 2), (4, 3), (7, 4)],
            vec![(0, 2), (8, 3), (10, 4), (11, 5)],
        ] {
            let mut pocket = vec![0usize; n];
            for (t, k) in labels {
                pocket[t] = k;
            }
            let s = Sample {
                id: "t",
                features: &features,
                binding: &binding,
                pocket: &pocket,
                binding_weight: &[],
                pocket_weight: &[],
            };
            assert!(labelled_register(&s, &bounds).is_none());
        }
    }
}
