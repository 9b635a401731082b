//! Residue-level predictor: data set (structure and pattern labels + embeddings), BiLSTM tagger,
//! training with live progress and cancel, evaluation against baselines, prediction.
//!
//! The model, trainer, metrics and baselines work on plain per-residue feature vectors
//! (`Vec<Vec<f32>>` per peptide), so they are tested on synthetic data; the data set builder takes
//! structure labels, NES candidates and an embedder through small types and a trait.

pub mod baselines;
pub mod batch;
pub mod bench;
pub mod channels;
pub mod checkpoint;
pub mod cv;
pub mod dataset;
pub mod dropout;
pub mod esm;
pub mod evaluate;
pub mod fused_adam;
pub mod fused_lstm;
pub mod logistic;
pub mod lstm_kernel;
pub mod lstm_op;
pub mod metrics;
pub mod model;
pub mod patterns;
pub mod predict;
pub mod register;
pub mod register_loss;
pub mod small_matmul;
pub mod sources;
pub mod trainer;

use std::path::PathBuf;

pub use checkpoint::{Checkpoint, CheckpointInfo};
pub use dataset::{Dataset, EmbeddingInfo, Example, LabelSource, Split};
pub use model::{BiLstmTagger, TaggerConfig};
pub use trainer::{EpochReport, MemberRun, StopReason, TrainConfig, TrainOutcome, train};

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("no training examples (every peptide is in validation or test)")]
    NoTrainingData,
    #[error("invalid training settings: {0}")]
    Config(String),
    #[error("peptide {id}: features are {got} wide, the model expects {expected}")]
    FeatureDim {
        id: String,
        expected: usize,
        got: usize,
    },
    #[error("reading tensor values back: {0}")]
    Tensor(String),
    #[error(transparent)]
    Dataset(#[from] dataset::DatasetError),
    #[error("{path}: {message}")]
    Checkpoint { path: PathBuf, message: String },
}
