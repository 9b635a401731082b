//! Writing embeddings: JSON for a few peptides, safetensors for large sets.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use safetensors::Dtype;
use safetensors::tensor::TensorView;
use serde::Serialize;

use super::embedder::Embedding;
use super::error::EmbedError;

#[derive(Serialize)]
struct JsonEntry<'a> {
    sequence: &'a str,
    embedding: Vec<&'a [f32]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mean: Option<&'a [f32]>,
}

/// `[{"sequence": "...", "embedding": [[f32, ...], ...]}]`, one inner list per residue; with
/// `with_mean` each entry also gets `"mean": [f32, ...]`.
pub fn write_json(
    path: &Path,
    embeddings: &[Embedding],
    with_mean: bool,
) -> Result<(), EmbedError> {
    let entries: Vec<JsonEntry> = embeddings
        .iter()
        .map(|e| JsonEntry {
            sequence: &e.sequence,
            embedding: e.rows().collect(),
            mean: with_mean.then_some(e.mean.as_slice()),
        })
        .collect();
    let fail = |message: String| EmbedError::Output {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut w, &entries).map_err(|e| fail(e.to_string()))?;
    w.write_all(b"\n").map_err(|e| fail(e.to_string()))?;
    w.flush().map_err(|e| fail(e.to_string()))
}

/// Tensors `per_residue` `[total residues, dim]` (all peptides stacked), `offsets` `[n + 1]` (I64:
/// peptide `i` owns rows `offsets[i]..offsets[i+1]`) and `mean` `[n, dim]`; metadata `sequences`
/// (JSON list), `layer` and `model_sha256`.
pub fn write_safetensors(
    path: &Path,
    embeddings: &[Embedding],
    model_sha256: &str,
) -> Result<(), EmbedError> {
    let fail = |message: String| EmbedError::Output {
        path: path.to_path_buf(),
        message,
    };
    let dim = embeddings.first().map_or(0, |e| e.dim);
    let mut rows = Vec::new();
    let mut means = Vec::new();
    let mut offsets = vec![0i64];
    for e in embeddings {
        rows.extend(e.per_residue.iter().flat_map(|v| v.to_le_bytes()));
        means.extend(e.mean.iter().flat_map(|v| v.to_le_bytes()));
        offsets.push(offsets[offsets.len() - 1] + e.residues() as i64);
    }
    let total = offsets[offsets.len() - 1] as usize;
    let offset_bytes: Vec<u8> = offsets.iter().flat_map(|v| v.to_le_bytes()).collect();
    let tensors = vec![
        (
            "per_residue",
            view(path, Dtype::F32, vec![total, dim], &rows)?,
        ),
        (
            "offsets",
            view(path, Dtype::I64, vec![embeddings.len() + 1], &offset_bytes)?,
        ),
        (
            "mean",
            view(path, Dtype::F32, vec![embeddings.len(), dim], &means)?,
        ),
    ];
    let sequences: Vec<&str> = embeddings.iter().map(|e| e.sequence.as_str()).collect();
    let mut meta = HashMap::new();
    meta.insert(
        "sequences".to_string(),
        serde_json::to_string(&sequences).map_err(|e| fail(e.to_string()))?,
    );
    if let Some(e) = embeddings.first() {
        meta.insert("layer".to_string(), e.layer.to_string());
    }
    meta.insert("model_sha256".to_string(), model_sha256.to_string());
    safetensors::serialize_to_file(tensors, Some(meta), path).map_err(|e| fail(e.to_string()))
}

fn view<'a>(
    path: &Path,
    dtype: Dtype,
    shape: Vec<usize>,
    data: &'a [u8],
) -> Result<TensorView<'a>, EmbedError> {
    TensorView::new(dtype, shape, data).map_err(|e| EmbedError::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
