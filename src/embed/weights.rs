//! Reading and checking `model.safetensors` (Hugging Face `EsmModel` tensor names).
//!
//! Every tensor the encoder needs must be present with the shape `config.json` implies, and every
//! tensor in the file must be either one of those or a known part of an ESM-2 checkpoint that the
//! encoder does not use (language-model head, contact head, rotary buffers). Anything else means
//! the file and config do not belong together, which is reported by tensor name.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};
use sha2::{Digest, Sha256};

use super::config::EsmConfig;
use super::error::EmbedError;

/// A tensor copied to the host as f32, row-major with PyTorch's shape.
#[derive(Debug, Clone)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Where one checked tensor lies in the file.
struct Located {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Range<usize>,
}

/// The file's bytes: memory-mapped, so a 650M-parameter model is not held twice (file + f32
/// copies) while the encoder is built; read into memory where mapping is refused.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only and dropped once the model is built. Another program
        // truncating the file meanwhile could fault; that is the accepted price of mapping
        // (safetensors, candle and transformers map checkpoints the same way).
        match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) => Ok(FileBytes::Mapped(map)),
            Err(_) => std::fs::read(path).map(FileBytes::Read),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}

/// The encoder tensors of one checked safetensors file, by name without the `esm.` prefix, plus
/// the file's hash. Each tensor is converted to f32 only when taken.
pub struct Weights {
    bytes: FileBytes,
    tensors: HashMap<String, Located>,
    /// Lower-case hex sha256 of the safetensors file: identifies the model in caches.
    pub sha256: String,
    pub path: PathBuf,
}

/// Parts of ESM-2 checkpoints that the encoder never reads (names without the `esm.` prefix,
/// except `lm_head.` which sits beside `esm.` in `EsmForMaskedLM` files).
fn is_ignorable(name: &str) -> bool {
    name.starts_with("lm_head.")
        || name.starts_with("contact_head.")
        || name.starts_with("pooler.")
        || name == "embeddings.position_ids"
        // transformers 4.29 saved it for rotary models too; they never read it
        || name == "embeddings.position_embeddings.weight"
        || name.ends_with(".rotary_embeddings.inv_freq")
}

/// Every tensor the encoder needs, with its PyTorch shape ([out, in] for linear weights).
pub fn expected_tensors(cfg: &EsmConfig) -> Vec<(String, Vec<usize>)> {
    let (d, f, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
    let mut out = vec![("embeddings.word_embeddings.weight".to_string(), vec![v, d])];
    for i in 0..cfg.num_layers {
        let p = format!("encoder.layer.{i}.");
        for (name, shape) in [
            ("attention.LayerNorm.weight", vec![d]),
            ("attention.LayerNorm.bias", vec![d]),
            ("attention.self.query.weight", vec![d, d]),
            ("attention.self.query.bias", vec![d]),
            ("attention.self.key.weight", vec![d, d]),
            ("attention.self.key.bias", vec![d]),
            ("attention.self.value.weight", vec![d, d]),
            ("attention.self.value.bias", vec![d]),
            ("attention.output.dense.weight", vec![d, d]),
            ("attention.output.dense.bias", vec![d]),
            ("LayerNorm.weight", vec![d]),
            ("LayerNorm.bias", vec![d]),
            ("intermediate.dense.weight", vec![f, d]),
            ("intermediate.dense.bias", vec![f]),
            ("output.dense.weight", vec![d, f]),
            ("output.dense.bias", vec![d]),
        ] {
            out.push((format!("{p}{name}"), shape));
        }
    }
    out.push(("encoder.emb_layer_norm_after.weight".into(), vec![d]));
    out.push(("encoder.emb_layer_norm_after.bias".into(), vec![d]));
    out
}

impl Weights {
    pub fn load(path: &Path, cfg: &EsmConfig) -> Result<Self, EmbedError> {
        let file = FileBytes::open(path).map_err(|e| EmbedError::io(path, e))?;
        let bytes = file.as_slice();
        let sha256 = hex(&Sha256::digest(bytes));
        let st = SafeTensors::deserialize(bytes).map_err(|e| EmbedError::WeightsFormat {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
        // `EsmForMaskedLM` and our files prefix the encoder with `esm.`; a bare `EsmModel` does not.
        let prefix = if names
            .iter()
            .any(|n| n == "esm.embeddings.word_embeddings.weight")
        {
            "esm."
        } else {
            ""
        };
        let expected = expected_tensors(cfg);
        let mut tensors = HashMap::with_capacity(expected.len());
        for (name, shape) in &expected {
            let full = format!("{prefix}{name}");
            let view = st.tensor(&full).map_err(|_| EmbedError::MissingTensor {
                path: path.to_path_buf(),
                name: format!("esm.{name}"),
            })?;
            if view.shape() != shape.as_slice() {
                return Err(EmbedError::TensorShape {
                    path: path.to_path_buf(),
                    name: full,
                    found: view.shape().to_vec(),
                    expected: shape.clone(),
                });
            }
            // Converting no bytes tells whether `to_f32` knows the dtype (one list of them).
            if to_f32(view.dtype(), &[]).is_none() {
                return Err(EmbedError::TensorDtype {
                    path: path.to_path_buf(),
                    name: full.clone(),
                    dtype: view.dtype().to_string(),
                });
            }
            // The view borrows the file's bytes; keep only its place in them.
            let start = view.data().as_ptr() as usize - bytes.as_ptr() as usize;
            tensors.insert(
                name.clone(),
                Located {
                    dtype: view.dtype(),
                    shape: shape.clone(),
                    bytes: start..start + view.data().len(),
                },
            );
        }
        let mut extra: Vec<&String> = names
            .iter()
            .filter(|n| {
                let bare = n.strip_prefix(prefix).unwrap_or(n);
                !tensors.contains_key(bare) && !is_ignorable(bare) && !is_ignorable(n)
            })
            .collect();
        extra.sort();
        if let Some(name) = extra.first() {
            return Err(EmbedError::UnexpectedTensor {
                path: path.to_path_buf(),
                name: (*name).clone(),
                layers: cfg.num_layers,
            });
        }
        drop(st);
        Ok(Weights {
            bytes: file,
            tensors,
            sha256,
            path: path.to_path_buf(),
        })
    }

    /// Takes a tensor out as f32 (each is used once when building the model).
    pub fn take(&mut self, name: &str) -> Result<HostTensor, EmbedError> {
        let located = self
            .tensors
            .remove(name)
            .ok_or_else(|| EmbedError::MissingTensor {
                path: self.path.clone(),
                name: format!("esm.{name}"),
            })?;
        let raw = &self.bytes.as_slice()[located.bytes];
        let data = to_f32(located.dtype, raw).ok_or_else(|| EmbedError::TensorDtype {
            path: self.path.clone(),
            name: name.to_string(),
            dtype: located.dtype.to_string(),
        })?;
        Ok(HostTensor {
            shape: located.shape,
            data,
        })
    }
}

fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    // safetensors stores little-endian data; chunks_exact avoids alignment assumptions.
    let out = match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F64 => bytes
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                f64::from_le_bytes(b) as f32
            })
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        _ => return None,
    };
    Some(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
