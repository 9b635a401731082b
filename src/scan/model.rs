//! The scan's residue model: P(residue lies in an NES) over a whole protein, from each residue's
//! whole-protein ESM-2 features (plus the sequence channels) and their mean over a window around it,
//! by logistic regression. Trained on NESdb proteins: annotated export signals positive, the rest of
//! each protein negative.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::train::dataset::EmbeddingInfo;
use crate::train::logistic::{Logistic, LogisticConfig};

/// Residues on each side whose mean features join a residue's own (an NES spans 10–15 residues).
pub const CONTEXT: usize = 7;

/// File name of a saved scan model inside its folder.
pub const MODEL_FILE: &str = "scan_model.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanModel {
    pub logistic: Logistic,
    pub context: usize,
    /// The embedding the model expects (checked against the embedder at load).
    pub embedding: EmbeddingInfo,
    /// What it was trained on (tables, proteins, residues), for provenance.
    pub trained_on: String,
    /// Candidate score from which a window is reported as an NES (set on the training proteins).
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// Register-type prior on candidate scores (empty: none).
    #[serde(default)]
    pub class_prior: super::candidates::ClassPrior,
}

fn default_threshold() -> f32 {
    0.5
}

/// A protein's residues with their NES labels, ready to fit or score.
pub struct ScanProtein<'a> {
    pub features: &'a [Vec<f32>],
    /// `true` inside an annotated export signal.
    pub in_nes: &'a [bool],
}

/// Each residue's features followed by the mean features of residues `i - context ..= i + context`
/// (clipped at the protein ends).
pub fn context_features(rows: &[Vec<f32>], context: usize) -> Vec<Vec<f32>> {
    let n = rows.len();
    let dim = rows.first().map_or(0, Vec::len);
    // Prefix sums make every window mean O(dim).
    let mut prefix = vec![vec![0f32; dim]; n + 1];
    for (i, r) in rows.iter().enumerate() {
        let (done, rest) = prefix.split_at_mut(i + 1);
        for ((next, prev), v) in rest[0].iter_mut().zip(&done[i]).zip(r) {
            *next = prev + v;
        }
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(context);
            let hi = (i + context + 1).min(n);
            let count = (hi - lo) as f32;
            let mut out = Vec::with_capacity(2 * dim);
            out.extend_from_slice(&rows[i]);
            out.extend((0..dim).map(|j| (prefix[hi][j] - prefix[lo][j]) / count));
            out
        })
        .collect()
}

impl ScanModel {
    /// Fits on `proteins`. Non-NES residues far outnumber NES ones; every `negative_stride`-th is
    /// kept, weighted by the stride so that the fitted base rate stays the true one.
    pub fn fit(
        proteins: &[ScanProtein<'_>],
        embedding: EmbeddingInfo,
        negative_stride: usize,
        trained_on: String,
    ) -> Self {
        let stride = negative_stride.max(1);
        let mut rows: Vec<Vec<f32>> = Vec::new();
        let mut labels: Vec<usize> = Vec::new();
        let mut negatives = 0usize;
        for p in proteins {
            let feats = context_features(p.features, CONTEXT);
            for (f, &pos) in feats.into_iter().zip(p.in_nes) {
                if pos {
                    rows.push(f);
                    labels.push(1);
                } else {
                    negatives += 1;
                    if negatives.is_multiple_of(stride) {
                        rows.push(f);
                        labels.push(0);
                    }
                }
            }
        }
        let x: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let logistic = Logistic::fit(
            &x,
            &labels,
            2,
            &[stride as f32, 1.0],
            &LogisticConfig {
                iterations: 150,
                learning_rate: 0.05,
                l2: 1e-2,
            },
        );
        Self {
            logistic,
            context: CONTEXT,
            embedding,
            trained_on,
            threshold: default_threshold(),
            class_prior: Default::default(),
        }
    }

    /// P(in an NES) for every residue of a protein from its whole-protein feature rows.
    pub fn residue_probabilities(&self, rows: &[Vec<f32>]) -> Vec<f32> {
        context_features(rows, self.context)
            .iter()
            .map(|f| {
                self.logistic
                    .probabilities(f)
                    .get(1)
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect()
    }

    /// Whether features from an embedder described by `info` are what this model was fitted on.
    pub fn check_embedding(&self, info: &EmbeddingInfo) -> Result<(), String> {
        if info.hash == self.embedding.hash && info.dim == self.embedding.dim {
            return Ok(());
        }
        Err(format!(
            "the scan model was trained on other embeddings ({} layer {}, {} features) than the ESM-2 model given ({} layer {}, {} features)",
            self.embedding.model,
            self.embedding.layer,
            self.embedding.dim,
            info.model,
            info.layer,
            info.dim
        ))
    }

    /// The ranked candidates of a protein from its residue probabilities.
    pub fn candidates(&self, sequence: &str, probabilities: &[f32]) -> Vec<super::Candidate> {
        super::candidates::candidates_with_prior(sequence, probabilities, Some(&self.class_prior))
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(MODEL_FILE), json)
    }

    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(MODEL_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a scan model: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_features_are_the_row_and_its_window_mean() {
        let rows: Vec<Vec<f32>> = (0..5).map(|i| vec![i as f32]).collect();
        let f = context_features(&rows, 1);
        assert_eq!(f[0], vec![0.0, 0.5]);
        assert_eq!(f[2], vec![2.0, 2.0]);
        assert_eq!(f[4], vec![4.0, 3.5]);
    }
}
