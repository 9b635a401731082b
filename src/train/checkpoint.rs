//! Checkpoint directory: `model.bpk` (burnpack weights; `model_2.bpk`, … for more ensemble
//! members) and `checkpoint.json` (model config, the
//! embedding model the features came from, label settings, split seed, training settings, history
//! and, after evaluation, the test metrics).

use std::path::{Path, PathBuf};

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::batch::ClassWeights;
use super::dataset::{DatasetMeta, EmbeddingInfo, SplitConfig};
use super::model::{BiLstmTagger, TaggerConfig};
use super::predict::LinearBlend;
use super::register::RegisterBounds;
use super::trainer::{EpochReport, MemberRun, StopReason, TrainConfig, TrainOutcome};

pub const WEIGHTS_FILE: &str = "model.bpk";
pub const INFO_FILE: &str = "checkpoint.json";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    pub format_version: u32,
    pub model: TaggerConfig,
    pub embedding: EmbeddingInfo,
    pub label_settings: serde_json::Value,
    pub split: SplitConfig,
    pub train: TrainConfig,
    pub class_weights: ClassWeights,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    /// Every ensemble member's seed and best epoch (absent in single-model checkpoints).
    #[serde(default)]
    pub member_runs: Vec<MemberRun>,
    pub stop: StopReason,
    /// Filled by `nesbind evaluate` (the same content as its metrics.json summary).
    pub metrics: Option<serde_json::Value>,
    /// What the register decoder uses with this model (spacings, learned step preferences).
    #[serde(default)]
    pub register: RegisterBounds,
    /// The per-residue regression blended into the BiLSTM's probabilities (absent: none).
    #[serde(default)]
    pub blend: Option<LinearBlend>,
}

pub struct Checkpoint {
    pub info: CheckpointInfo,
    /// One tagger per ensemble member: `model.bpk`, then `model_2.bpk`, `model_3.bpk`, …
    pub members: Vec<BiLstmTagger>,
}

/// The weights file of ensemble member `k` (0-based).
pub fn weights_file(k: usize) -> String {
    if k == 0 {
        WEIGHTS_FILE.to_string()
    } else {
        format!("model_{}.bpk", k + 1)
    }
}

fn err(path: &Path, message: impl ToString) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

impl Checkpoint {
    /// The checkpoint of a finished training run on `dataset` with `config`.
    pub fn from_training(
        dataset: &DatasetMeta,
        config: &TrainConfig,
        outcome: TrainOutcome,
    ) -> Self {
        Self {
            info: CheckpointInfo {
                format_version: FORMAT_VERSION,
                model: outcome.model_config,
                embedding: dataset.embedding.clone(),
                label_settings: dataset.label_settings.clone(),
                split: dataset.split.clone(),
                train: config.clone(),
                class_weights: outcome.class_weights,
                history: outcome.history,
                best_epoch: outcome.best_epoch,
                member_runs: outcome.member_runs,
                stop: outcome.stop,
                metrics: None,
                register: outcome.register_bounds,
                blend: outcome.blend,
            },
            members: outcome.members,
        }
    }

    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
        for (k, model) in self.members.iter().enumerate() {
            let weights = dir.join(weights_file(k));
            model
                .clone()
                .save_file(&weights)
                .map_err(|e| err(&weights, format!("{e:?}")))?;
        }
        save_info(&self.info, dir)
    }

    pub fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        let info = load_info(dir)?;
        let info_path = dir.join(INFO_FILE);
        if info.format_version != FORMAT_VERSION {
            return Err(err(
                &info_path,
                format!(
                    "format version {} (this build reads {FORMAT_VERSION})",
                    info.format_version
                ),
            ));
        }
        info.model
            .validate()
            .map_err(|m| err(&info_path, format!("model config: {m}")))?;
        let count = info.member_runs.len().max(1);
        let mut members = Vec::with_capacity(count);
        for k in 0..count {
            let weights = dir.join(weights_file(k));
            if !weights.is_file() {
                return Err(err(&weights, "weights file is missing"));
            }
            members.push(
                info.model
                    .init(device)
                    .try_load_file(&weights)
                    .map_err(|e| err(&weights, format!("{e:?}")))?
                    .valid(),
            );
        }
        Ok(Self { info, members })
    }
}

pub fn info_path(dir: &Path) -> PathBuf {
    dir.join(INFO_FILE)
}

pub fn load_info(dir: &Path) -> Result<CheckpointInfo, TrainError> {
    let path = info_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| err(&path, e))?;
    serde_json::from_str(&text).map_err(|e| err(&path, e))
}

pub fn save_info(info: &CheckpointInfo, dir: &Path) -> Result<(), TrainError> {
    let path = info_path(dir);
    let text = serde_json::to_string_pretty(info).map_err(|e| err(&path, e))?;
    std::fs::write(&path, text).map_err(|e| err(&path, e))
}

/// Folder name of the bundled trained model under `assets/models/`.
pub const DEFAULT_CHECKPOINT: &str = "nesbind_bilstm_default";

/// Finds the bundled checkpoint: `$NESBIND_CHECKPOINT_DIR`, then the places of
/// [`crate::asset_candidates`].
pub fn default_checkpoint_dir() -> Result<PathBuf, TrainError> {
    let relative = std::path::Path::new("models").join(DEFAULT_CHECKPOINT);
    crate::find_asset_dir("NESBIND_CHECKPOINT_DIR", &relative, INFO_FILE).map_err(|tried| {
        let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
        TrainError::Checkpoint {
            path: PathBuf::from(DEFAULT_CHECKPOINT),
            message: format!(
                "bundled trained model not found; looked in {}; pass --model DIR",
                list.join(", ")
            ),
        }
    })
}
