//! Embeddings on disk, keyed by (model sha256, layer, sequence), so training never recomputes them.
//!
//! One small file per entry, named by the sha256 of the key. The file repeats the key so a hit is
//! verified, not trusted: `NESEMB01`, u32 layer, u32 dim, u32 residues, u32 key bytes, the model
//! hash and sequence (`hash\nsequence`), then `residues × dim` little-endian f32.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::embedder::Embedding;
use super::error::EmbedError;
use super::weights::hex;

const MAGIC: &[u8; 8] = b"NESEMB01";

pub struct EmbeddingCache {
    dir: PathBuf,
}

impl EmbeddingCache {
    /// Opens (creating if needed) a cache folder.
    pub fn open(dir: &Path) -> Result<Self, EmbedError> {
        std::fs::create_dir_all(dir).map_err(|e| EmbedError::io(dir, e))?;
        Ok(EmbeddingCache {
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key_text(model_sha256: &str, sequence: &str) -> String {
        format!("{model_sha256}\n{sequence}")
    }

    fn path_for(&self, model_sha256: &str, layer: usize, sequence: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(Self::key_text(model_sha256, sequence).as_bytes());
        h.update(layer.to_le_bytes());
        let name = hex(&h.finalize());
        self.dir.join(&name[..2]).join(format!("{name}.emb"))
    }

    /// The cached embedding, `None` when absent; an error when the entry is damaged.
    pub fn get(
        &self,
        model_sha256: &str,
        layer: usize,
        sequence: &str,
    ) -> Result<Option<Embedding>, EmbedError> {
        let path = self.path_for(model_sha256, layer, sequence);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(EmbedError::io(&path, e)),
        };
        let damaged = |message: &str| EmbedError::Cache {
            path: path.clone(),
            message: message.to_string(),
        };
        let key = Self::key_text(model_sha256, sequence);
        let header = 8 + 16;
        if bytes.len() < header || &bytes[..8] != MAGIC {
            return Err(damaged("not an embedding cache entry"));
        }
        let word = |i: usize| {
            let o = 8 + 4 * i;
            u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        };
        let (stored_layer, dim, residues, key_len) = (word(0), word(1), word(2), word(3));
        let data_start = header + key_len;
        if bytes.len() != data_start + residues * dim * 4 {
            return Err(damaged("truncated entry"));
        }
        if stored_layer != layer || &bytes[header..data_start] != key.as_bytes() {
            return Err(damaged("entry belongs to another key"));
        }
        let values = bytes[data_start..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Some(Embedding::new(
            sequence.to_string(),
            layer,
            dim,
            values,
        )))
    }

    /// Stores an embedding (written to a temporary file and renamed, so readers never see half).
    pub fn put(
        &self,
        model_sha256: &str,
        layer: usize,
        sequence: &str,
        embedding: &Embedding,
    ) -> Result<(), EmbedError> {
        let path = self.path_for(model_sha256, layer, sequence);
        let key = Self::key_text(model_sha256, sequence);
        let mut bytes = Vec::with_capacity(24 + key.len() + embedding.per_residue.len() * 4);
        bytes.extend_from_slice(MAGIC);
        for v in [layer, embedding.dim, embedding.residues(), key.len()] {
            bytes.extend_from_slice(&(v as u32).to_le_bytes());
        }
        bytes.extend_from_slice(key.as_bytes());
        for v in &embedding.per_residue {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| EmbedError::io(parent, e))?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &bytes).map_err(|e| EmbedError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| EmbedError::io(&path, e))
    }
}
