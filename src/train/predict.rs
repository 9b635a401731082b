//! Running a trained tagger: per-residue binding probability and pocket probabilities.

use std::path::Path;

use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softmax};
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::batch::{Sample, features_tensor};
use super::checkpoint::Checkpoint;
use super::logistic::ResidueLogistic;
use super::metrics::{POCKET_CLASSES, pocket_class_name};
use super::model::BiLstmTagger;

/// Model outputs for one peptide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeptideOutput {
    pub binding: Vec<f32>,
    /// Per residue: probabilities of none, Φ0..Φ4.
    pub pocket: Vec<[f32; POCKET_CLASSES]>,
}

impl PeptideOutput {
    pub fn pocket_argmax(&self) -> Vec<usize> {
        self.pocket.iter().map(|p| argmax(p)).collect()
    }
}

pub fn argmax(p: &[f32]) -> usize {
    p.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

fn to_vec(t: Tensor<2>) -> Result<Vec<f32>, TrainError> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| TrainError::Tensor(format!("{e:?}")))
}

fn to_vec3(t: Tensor<3>) -> Result<Vec<f32>, TrainError> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| TrainError::Tensor(format!("{e:?}")))
}

/// Runs `model` (in validation mode, on `device`) over `samples` in batches of `batch_size`.
/// Samples are sorted by length inside the call so batches carry little padding; outputs come back
/// in the input order.
pub fn run_model(
    model: &BiLstmTagger,
    samples: &[Sample],
    dim: usize,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<PeptideOutput>, TrainError> {
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_by_key(|&i| samples[i].features.len());
    let mut outputs: Vec<Option<PeptideOutput>> = vec![None; samples.len()];
    for chunk in order.chunks(batch_size.max(1)) {
        let batch: Vec<Sample> = chunk.iter().map(|&i| samples[i]).collect();
        let (x, lengths) = features_tensor(&batch, dim, device)?;
        let seq = lengths.iter().copied().max().unwrap_or(0);
        if seq == 0 {
            for &i in chunk {
                outputs[i] = Some(PeptideOutput {
                    binding: vec![],
                    pocket: vec![],
                });
            }
            continue;
        }
        let out = model.forward(x, &lengths);
        let binding = to_vec(sigmoid(out.binding))?;
        let pocket = to_vec3(softmax(out.pocket, 2))?;
        for (b, &i) in chunk.iter().enumerate() {
            let n = lengths[b];
            let binding_b = binding[b * seq..b * seq + n].to_vec();
            let pocket_b = (0..n)
                .map(|t| {
                    let s = (b * seq + t) * POCKET_CLASSES;
                    let mut p = [0f32; POCKET_CLASSES];
                    p.copy_from_slice(&pocket[s..s + POCKET_CLASSES]);
                    p
                })
                .collect();
            outputs[i] = Some(PeptideOutput {
                binding: binding_b,
                pocket: pocket_b,
            });
        }
    }
    Ok(outputs.into_iter().flatten().collect())
}

/// A per-residue logistic regression whose probabilities are blended into the BiLSTM's.
///
/// Why: the BiLSTM follows its training labels (AlphaFold models, mutations), which hold almost no
/// Rev-type or reverse NES, and overrides the consensus rule's channels where they disagree with
/// those labels; the per-residue model keeps reading them. In protein-grouped cross-validation
/// (docs/training.md, "Blend") the blend named more residues whose mutation impairs export and more
/// AlphaFold registers than either model alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearBlend {
    /// The regression's share: pocket probabilities are the normalised weighted geometric mean
    /// `bilstm^(1-share) · linear^share`, binding probabilities the weighted arithmetic mean.
    pub share: f32,
    pub model: ResidueLogistic,
}

impl LinearBlend {
    /// Blends the regression's outputs on `features` (one row per residue) into `out`.
    pub fn apply(&self, out: &mut PeptideOutput, features: &[Vec<f32>]) {
        let (binding, pocket) = self.model.outputs(features);
        let (a, b) = (1.0 - self.share, self.share);
        for (x, y) in out.binding.iter_mut().zip(binding) {
            *x = a * *x + b * y;
        }
        for (x, y) in out.pocket.iter_mut().zip(pocket) {
            let mut mixed: [f32; POCKET_CLASSES] = std::array::from_fn(|k| {
                (a * x[k].max(1e-12).ln() + b * y[k].max(1e-12).ln()).exp()
            });
            let total: f32 = mixed.iter().sum();
            if total > 0.0 {
                mixed.iter_mut().for_each(|v| *v /= total);
                *x = mixed;
            }
        }
    }
}

/// [`run_model`] for every member of an ensemble, probabilities averaged residue by residue, then
/// `blend` (when the checkpoint has one) applied.
pub fn run_ensemble(
    members: &[BiLstmTagger],
    blend: Option<&LinearBlend>,
    samples: &[Sample],
    dim: usize,
    batch_size: usize,
    device: &Device,
) -> Result<Vec<PeptideOutput>, TrainError> {
    let mut sum: Option<Vec<PeptideOutput>> = None;
    for model in members {
        let outs = run_model(model, samples, dim, batch_size, device)?;
        sum = Some(match sum {
            None => outs,
            Some(mut acc) => {
                for (a, o) in acc.iter_mut().zip(outs) {
                    a.binding
                        .iter_mut()
                        .zip(o.binding)
                        .for_each(|(x, y)| *x += y);
                    for (pa, po) in a.pocket.iter_mut().zip(o.pocket) {
                        pa.iter_mut().zip(po).for_each(|(x, y)| *x += y);
                    }
                }
                acc
            }
        });
    }
    let n = members.len().max(1) as f32;
    let mut outs = sum.ok_or_else(|| TrainError::Config("an ensemble needs a member".into()))?;
    for (o, s) in outs.iter_mut().zip(samples) {
        o.binding.iter_mut().for_each(|x| *x /= n);
        o.pocket.iter_mut().flatten().for_each(|x| *x /= n);
        if let Some(b) = blend {
            b.apply(o, s.features);
        }
    }
    Ok(outs)
}

/// One residue of a prediction, as printed by `nesbind predict`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResiduePrediction {
    /// 1-based position in the peptide.
    pub position: usize,
    pub residue: char,
    pub binding_probability: f32,
    /// "none" or "Φ0".."Φ4": the most probable pocket class.
    pub pocket: String,
    pub pocket_probabilities: [f32; POCKET_CLASSES],
}

/// A loaded checkpoint ready to predict.
pub struct Predictor {
    pub checkpoint: Checkpoint,
    device: Device,
}

impl Predictor {
    pub fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        let plain = device.clone().without_autodiff();
        let checkpoint = Checkpoint::load(dir, &plain)?;
        Ok(Self {
            checkpoint,
            device: plain,
        })
    }

    /// Predictions for one peptide from its per-residue features (`[residue][feature]`, the width
    /// and embedding layer recorded in the checkpoint).
    pub fn predict(
        &self,
        sequence: &str,
        features: &[Vec<f32>],
    ) -> Result<Vec<ResiduePrediction>, TrainError> {
        let out = self.outputs(sequence, features)?;
        Ok(residue_predictions(sequence, &out))
    }

    /// The raw per-residue outputs for one peptide.
    pub fn outputs(
        &self,
        sequence: &str,
        features: &[Vec<f32>],
    ) -> Result<PeptideOutput, TrainError> {
        let residues: Vec<char> = sequence.chars().collect();
        if residues.len() != features.len() {
            return Err(TrainError::Config(format!(
                "sequence has {} residues but {} feature rows",
                residues.len(),
                features.len()
            )));
        }
        let pocket = vec![0usize; residues.len()];
        let binding = vec![false; residues.len()];
        let sample = Sample {
            id: sequence,
            features,
            binding: &binding,
            pocket: &pocket,
            binding_weight: &[],
            pocket_weight: &[],
        };
        let dim = self.checkpoint.info.model.d_input;
        let out = run_ensemble(
            &self.checkpoint.members,
            self.checkpoint.info.blend.as_ref(),
            &[sample],
            dim,
            1,
            &self.device,
        )?;
        out.into_iter()
            .next()
            .ok_or_else(|| TrainError::Tensor("model returned no output".into()))
    }
}

/// One [`ResiduePrediction`] per residue of `sequence` from a peptide's outputs.
pub fn residue_predictions(sequence: &str, out: &PeptideOutput) -> Vec<ResiduePrediction> {
    sequence
        .chars()
        .zip(out.binding.iter().zip(&out.pocket))
        .enumerate()
        .map(|(i, (residue, (&binding, pocket)))| ResiduePrediction {
            position: i + 1,
            residue,
            binding_probability: binding,
            pocket: pocket_class_name(argmax(pocket)).to_string(),
            pocket_probabilities: *pocket,
        })
        .collect()
}
