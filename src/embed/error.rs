//! Everything that can go wrong while loading an ESM-2 model or embedding peptides.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{path}: not a valid safetensors file: {message}")]
    WeightsFormat { path: PathBuf, message: String },
    #[error("{path}: tensor `{name}` is missing")]
    MissingTensor { path: PathBuf, name: String },
    #[error(
        "{path}: unexpected tensor `{name}` (not part of an ESM-2 encoder with {layers} layers; is config.json from the same model?)"
    )]
    UnexpectedTensor {
        path: PathBuf,
        name: String,
        layers: usize,
    },
    #[error("{path}: tensor `{name}` has shape {found:?}, expected {expected:?}")]
    TensorShape {
        path: PathBuf,
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{path}: tensor `{name}` has dtype {dtype}; only F32, F16, BF16 and F64 are supported")]
    TensorDtype {
        path: PathBuf,
        name: String,
        dtype: String,
    },
    #[error("{path}: {message}")]
    Tokenizer { path: PathBuf, message: String },
    #[error("sequence {index} is empty")]
    EmptySequence { index: usize },
    #[error("sequence {index} ({sequence:?}): {message}")]
    BadSequence {
        index: usize,
        sequence: String,
        message: String,
    },
    #[error("layer {layer} does not exist: this model has layers 0 (embeddings) to {max} (final)")]
    BadLayer { layer: usize, max: usize },
    #[error("the compute backend failed: {0}")]
    Backend(String),
    #[error("embedding was cancelled")]
    Cancelled,
    #[error("embedding cache {path}: {message}")]
    Cache { path: PathBuf, message: String },
    #[error("{path}, line {line}: {message}")]
    Fasta {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot write {path}: {message}")]
    Output { path: PathBuf, message: String },
}

impl EmbedError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        EmbedError::Io {
            path: path.into(),
            error,
        }
    }
}
