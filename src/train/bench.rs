//! Synthetic data (for tests and the training benchmark) and `nesbind bench train`.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::batch::Sample;
use super::dataset::{Example, LabelSource, Split};
use super::trainer::{TrainConfig, TrainData, train};

/// `n` peptides with lengths in `min_len..=max_len` and `dim` standard-normal features per residue.
/// A residue binds when its feature 0 plus half of its left neighbour's feature 1 exceeds 0.8, so
/// the labels need sequence context; binding residues take pocket 1 + (position mod 5).
pub fn synthetic_examples(
    n: usize,
    min_len: usize,
    max_len: usize,
    dim: usize,
    seed: u64,
) -> Vec<Example> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let len = rng.random_range(min_len..=max_len.max(min_len));
            let features: Vec<Vec<f32>> = (0..len)
                .map(|_| (0..dim).map(|_| normal(&mut rng)).collect())
                .collect();
            let binding: Vec<bool> = (0..len)
                .map(|t| {
                    let left = if t > 0 && dim > 1 {
                        features[t - 1][1]
                    } else {
                        0.0
                    };
                    features[t][0] + 0.5 * left > 0.8
                })
                .collect();
            let pocket = binding
                .iter()
                .enumerate()
                .map(|(t, b)| b.then_some((t % 5) as u8))
                .collect();
            Example {
                id: format!("syn{i}"),
                protein: format!("protein{}", i / 2),
                source: LabelSource::Pattern,
                split: Split::Train,
                sequence: "A".repeat(len),
                binding_weight: vec![1.0; len],
                pocket_weight: vec![1.0; len],
                plddt: None,
                mutations: Vec::new(),
                crop: false,
                mirrored: false,
                binding,
                pocket,
                note: "synthetic".into(),
                features,
            }
        })
        .collect()
}

/// Box–Muller: standard normal from two uniforms.
fn normal(rng: &mut StdRng) -> f32 {
    let u1: f32 = rng.random_range(f32::EPSILON..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos()
}

/// Samples borrowing from examples; the pocket classes live in `pockets`.
pub fn samples_of<'a>(examples: &'a [Example], pockets: &'a [Vec<usize>]) -> Vec<Sample<'a>> {
    examples
        .iter()
        .zip(pockets)
        .map(|(e, p)| e.sample(p))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainBenchReport {
    pub device: String,
    pub peptides: usize,
    pub length: usize,
    pub features: usize,
    pub hidden: usize,
    pub layers: usize,
    pub batch_size: usize,
    pub epochs: usize,
    pub seconds_per_epoch: Vec<f64>,
    pub mean_seconds_per_epoch: f64,
    pub data_seconds: f64,
    pub build_profile: String,
}

/// Seconds per epoch for the fixed synthetic set (2,000 peptides × 20 residues × 320 features,
/// BiLSTM hidden 128 × 2 layers, batch 32; `peptides` smaller for a quick look).
pub fn bench_train(
    device: &Device,
    device_name: &str,
    epochs: usize,
    peptides: usize,
) -> Result<TrainBenchReport, TrainError> {
    let (len, dim, hidden, layers, batch) = (20, 320, 128, 2, 32);
    let t0 = Instant::now();
    let examples = synthetic_examples(peptides, len, len, dim, 1);
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let data = TrainData {
        dim,
        train: samples_of(&examples, &pockets),
        validation: Vec::new(),
    };
    let data_seconds = t0.elapsed().as_secs_f64();
    let config = TrainConfig {
        epochs,
        batch_size: batch,
        hidden,
        layers,
        dropout: 0.3,
        seed: 1,
        // The PyTorch twin has the two per-residue losses only; the register-aware loss would be
        // extra work on one side, and so would the blended regression fitted after the last epoch
        // (outside the epochs timed, but minutes of one core on 40,000 residues).
        register_loss: 0.0,
        linear_share: 0.0,
        ..TrainConfig::default()
    };
    let cancel = AtomicBool::new(false);
    let outcome = train(&data, &config, device, &mut |_| {}, &cancel)?;
    let seconds: Vec<f64> = outcome.history.iter().map(|r| r.seconds).collect();
    Ok(TrainBenchReport {
        device: device_name.to_string(),
        peptides,
        length: len,
        features: dim,
        hidden,
        layers,
        batch_size: batch,
        epochs,
        mean_seconds_per_epoch: seconds.iter().sum::<f64>() / seconds.len().max(1) as f64,
        seconds_per_epoch: seconds,
        data_seconds,
        build_profile: if cfg!(debug_assertions) {
            "debug (dependencies at opt-level 1)".into()
        } else {
            "release".into()
        },
    })
}
