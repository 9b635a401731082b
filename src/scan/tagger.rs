//! The scan's context model: a small BiLSTM over a protein's whole-protein ESM-2 rows that reads
//! P(residue lies in an NES) from the residues on both sides, where the logistic model sees only a
//! ±7 mean. Trained on overlapping crops of NESdb proteins (annotated export signals positive, the
//! rest negative) with the peptide tagger's trainer; only its binding head is trained and used.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::train::batch::Sample;
use crate::train::model::{BiLstmTagger, TaggerConfig};
use crate::train::predict::run_ensemble;
use crate::train::trainer::{EpochReport, TrainConfig, TrainData, train};
use crate::train::{StopReason, TrainError};

use super::model::ScanProtein;

/// How the context model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggerSettings {
    /// Residues per training crop (the model runs over whole proteins at prediction).
    pub crop: usize,
    /// Start of one crop to the start of the next (crops overlap by `crop - stride`).
    pub stride: usize,
    pub hidden: usize,
    pub layers: usize,
    pub epochs: usize,
    pub patience: usize,
    pub learning_rate: f64,
    pub seed: u64,
    /// Every this-many-th protein (by position) is held out to stop training early.
    pub validation_every: usize,
}

impl Default for TaggerSettings {
    fn default() -> Self {
        Self {
            crop: 256,
            stride: 192,
            hidden: 32,
            layers: 2,
            epochs: 30,
            patience: 5,
            learning_rate: 1e-3,
            seed: 7,
            validation_every: 7,
        }
    }
}

/// A trained context model: the tagger's configuration and its weights.
#[derive(Debug, Clone)]
pub struct ScanTagger {
    pub config: TaggerConfig,
    pub model: BiLstmTagger,
    pub best_epoch: usize,
}

/// Weights file of the context model inside a scan model folder.
pub const TAGGER_FILE: &str = "scan_tagger.bpk";

/// Crop starts covering `0..len`: every `stride`, the last one flush with the end.
pub fn crop_starts(len: usize, crop: usize, stride: usize) -> Vec<usize> {
    if len <= crop {
        return vec![0];
    }
    let mut starts: Vec<usize> = (0..len - crop).step_by(stride.max(1)).collect();
    starts.push(len - crop);
    starts.dedup();
    starts
}

fn crops<'a>(
    proteins: &[&ScanProtein<'a>],
    settings: &TaggerSettings,
    zeros_usize: &'a [usize],
    zeros_f32: &'a [f32],
) -> Vec<Sample<'a>> {
    let mut out = Vec::new();
    for p in proteins {
        let n = p.features.len().min(p.in_nes.len());
        for s in crop_starts(n, settings.crop, settings.stride) {
            let e = (s + settings.crop).min(n);
            out.push(Sample {
                id: "",
                features: &p.features[s..e],
                binding: &p.in_nes[s..e],
                pocket: &zeros_usize[..e - s],
                binding_weight: &[],
                pocket_weight: &zeros_f32[..e - s],
            });
        }
    }
    out
}

impl ScanTagger {
    /// Trains on crops of `proteins` (every `validation_every`-th protein held out for early
    /// stopping). `progress` sees every epoch; `cancel` stops at the next batch and keeps the best
    /// epoch so far.
    pub fn fit(
        proteins: &[ScanProtein<'_>],
        settings: &TaggerSettings,
        device: &Device,
        progress: &mut dyn FnMut(&EpochReport),
        cancel: &AtomicBool,
    ) -> Result<Self, TrainError> {
        let dim = proteins
            .iter()
            .find_map(|p| p.features.first().map(Vec::len))
            .ok_or(TrainError::NoTrainingData)?;
        let crop = settings.crop.max(1);
        let zeros_usize = vec![0usize; crop];
        let zeros_f32 = vec![0f32; crop];
        let every = settings.validation_every.max(2);
        let (train_p, val_p): (Vec<_>, Vec<_>) = proteins
            .iter()
            .enumerate()
            .partition(|(i, _)| i % every != every / 2);
        let train_p: Vec<&ScanProtein> = train_p.into_iter().map(|(_, p)| p).collect();
        let val_p: Vec<&ScanProtein> = val_p.into_iter().map(|(_, p)| p).collect();
        let settings = TaggerSettings {
            crop,
            ..settings.clone()
        };
        let data = TrainData {
            dim,
            train: crops(&train_p, &settings, &zeros_usize, &zeros_f32),
            validation: crops(&val_p, &settings, &zeros_usize, &zeros_f32),
        };
        let config = TrainConfig {
            epochs: settings.epochs,
            hidden: settings.hidden,
            layers: settings.layers,
            patience: settings.patience,
            learning_rate: settings.learning_rate,
            seed: settings.seed,
            batch_size: 16,
            register_loss: 0.0,
            register_prior: false,
            members: 1,
            // Unweighted: P(NES) stays on the true base rate, as the logistic model's does, so the
            // two can be blended and the threshold means the same.
            class_weights: false,
            ..TrainConfig::default()
        };
        let outcome = train(&data, &config, device, progress, cancel)?;
        if outcome.stop == StopReason::Cancelled && outcome.best_epoch == 0 {
            return Err(TrainError::Config(
                "cancelled before the first epoch".into(),
            ));
        }
        let model = outcome
            .members
            .into_iter()
            .next()
            .ok_or(TrainError::NoTrainingData)?;
        Ok(Self {
            config: outcome.model_config,
            model,
            best_epoch: outcome.best_epoch,
        })
    }

    /// P(in an NES) for every residue of a protein, the whole protein as one sequence.
    pub fn residue_probabilities(
        &self,
        rows: &[Vec<f32>],
        device: &Device,
    ) -> Result<Vec<f32>, TrainError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sample = Sample {
            id: "protein",
            features: rows,
            binding: &[],
            pocket: &[],
            binding_weight: &[],
            pocket_weight: &[],
        };
        let out = run_ensemble(
            std::slice::from_ref(&self.model),
            None,
            &[sample],
            self.config.d_input,
            1,
            device,
        )?;
        Ok(out
            .into_iter()
            .next()
            .map(|o| o.binding)
            .unwrap_or_default())
    }

    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        let path = dir.join(TAGGER_FILE);
        self.model
            .clone()
            .save_file(&path)
            .map_err(|e| TrainError::Checkpoint {
                path: path.clone(),
                message: format!("{e:?}"),
            })
    }

    pub fn load(
        dir: &Path,
        config: &TaggerConfig,
        best_epoch: usize,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let path = dir.join(TAGGER_FILE);
        config.validate().map_err(|m| TrainError::Checkpoint {
            path: path.clone(),
            message: format!("context model config: {m}"),
        })?;
        let model = config
            .init(device)
            .try_load_file(&path)
            .map_err(|e| TrainError::Checkpoint {
                path: path.clone(),
                message: format!("{e:?}"),
            })?
            .valid();
        Ok(Self {
            config: config.clone(),
            model,
            best_epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_cover_the_protein_and_end_flush() {
        assert_eq!(crop_starts(100, 256, 192), vec![0]);
        assert_eq!(crop_starts(256, 256, 192), vec![0]);
        assert_eq!(crop_starts(500, 256, 192), vec![0, 192, 244]);
        assert_eq!(crop_starts(448, 256, 192), vec![0, 192]);
    }

    /// A residue is "in an NES" when its own feature and its right neighbour's are both high:
    /// context a per-residue model cannot see. The tagger learns it from crops.
    #[test]
    fn learns_a_context_rule_from_crops() {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        let mut state = 12345u64;
        for _ in 0..24 {
            let n = 300;
            let bits: Vec<bool> = (0..n)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (state >> 33).is_multiple_of(2)
                })
                .collect();
            let rows: Vec<Vec<f32>> = bits
                .iter()
                .map(|&b| vec![if b { 1.0 } else { -1.0 }, 0.5])
                .collect();
            let y: Vec<bool> = (0..n)
                .map(|i| bits[i] && bits.get(i + 1).copied().unwrap_or(false))
                .collect();
            features.push(rows);
            labels.push(y);
        }
        let proteins = ScanProtein::pair(&features, &labels);
        let settings = TaggerSettings {
            crop: 64,
            stride: 48,
            hidden: 8,
            layers: 1,
            epochs: 25,
            patience: 25,
            learning_rate: 1e-2,
            seed: 3,
            validation_every: 6,
        };
        let device = Device::flex();
        let cancel = AtomicBool::new(false);
        let tagger =
            ScanTagger::fit(&proteins, &settings, &device, &mut |_| {}, &cancel).expect("fit");
        let p = tagger
            .residue_probabilities(&features[0], &device)
            .expect("probabilities");
        assert_eq!(p.len(), 300);
        // About a quarter are positive, so calling every residue negative would get ~225 right.
        let correct = p
            .iter()
            .zip(&labels[0])
            .filter(|(p, y)| (**p > 0.5) == **y)
            .count();
        let found = p
            .iter()
            .zip(&labels[0])
            .filter(|(p, y)| **y && **p > 0.5)
            .count();
        let positives = labels[0].iter().filter(|y| **y).count();
        assert!(correct >= 285, "{correct}/300 residues right");
        assert!(
            found * 10 >= positives * 9,
            "{found}/{positives} positives found"
        );
    }
}
