//! The scan's residue model: P(residue lies in an NES) over a whole protein, from each residue's
//! whole-protein ESM-2 features (plus the sequence channels) and their mean over a window around it,
//! by logistic regression, optionally blended with a BiLSTM context model ([`super::tagger`]).
//! Trained on NESdb proteins: annotated export signals positive, the rest of each protein negative.

use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::train::TaggerConfig;
use crate::train::dataset::{EmbeddingInfo, ResidueEmbedder};
use crate::train::esm::EsmResidueEmbedder;
use crate::train::logistic::{Logistic, LogisticConfig};

use super::ranker::WindowRanker;
use super::tagger::ScanTagger;

/// Residues on each side whose mean features join a residue's own (an NES spans 10–15 residues).
pub const CONTEXT: usize = 7;

/// File name of a saved scan model inside its folder.
pub const MODEL_FILE: &str = "scan_model.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The BiLSTM context model's configuration (weights in [`super::tagger::TAGGER_FILE`]).
    #[serde(default)]
    pub tagger_config: Option<TaggerConfig>,
    #[serde(default)]
    pub tagger_best_epoch: usize,
    /// Share of the context model in P(NES): `(1 - blend) · logistic + blend · BiLSTM`.
    #[serde(default)]
    pub blend: f32,
    #[serde(skip)]
    pub tagger: Option<ScanTagger>,
    /// Scores the candidate windows (absent in models fitted before it: the prior ranks them).
    #[serde(default)]
    pub ranker: Option<WindowRanker>,
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

impl<'a> ScanProtein<'a> {
    /// Proteins from parallel lists of feature rows and NES flags.
    pub fn pair<F, L>(features: &'a [F], in_nes: &'a [L]) -> Vec<Self>
    where
        F: AsRef<[Vec<f32>]>,
        L: AsRef<[bool]>,
    {
        features
            .iter()
            .zip(in_nes)
            .map(|(f, l)| ScanProtein {
                features: f.as_ref(),
                in_nes: l.as_ref(),
            })
            .collect()
    }
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
            tagger_config: None,
            tagger_best_epoch: 0,
            blend: 0.0,
            tagger: None,
            ranker: None,
        }
    }

    /// Adds a trained context model with its share of P(NES).
    pub fn with_tagger(mut self, tagger: ScanTagger, blend: f32) -> Self {
        self.tagger_config = Some(tagger.config.clone());
        self.tagger_best_epoch = tagger.best_epoch;
        self.blend = blend.clamp(0.0, 1.0);
        self.tagger = Some(tagger);
        self
    }

    /// P(in an NES) for every residue of a protein from its whole-protein feature rows: the
    /// logistic model's, blended with the context model's where the model has one.
    pub fn residue_probabilities(&self, rows: &[Vec<f32>]) -> Result<Vec<f32>, String> {
        let logistic = self.logistic_probabilities(rows);
        let Some(tagger) = self.tagger.as_ref().filter(|_| self.blend > 0.0) else {
            return Ok(logistic);
        };
        let context = tagger
            .residue_probabilities(rows, &Device::flex())
            .map_err(|e| format!("context model: {e}"))?;
        Ok(blend(&logistic, &context, self.blend))
    }

    /// The logistic model's P(in an NES) alone.
    pub fn logistic_probabilities(&self, rows: &[Vec<f32>]) -> Vec<f32> {
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

    /// Sets `embedder` to the ESM-2 layer and sequence channels this model was fitted on, then checks
    /// that its features are those (same weights, same width).
    pub fn prepare_embedder(&self, embedder: &mut EsmResidueEmbedder) -> Result<(), String> {
        embedder.layer = embedder
            .embedder
            .resolve_layer(Some(self.embedding.layer))
            .map_err(|e| {
                format!(
                    "the scan model wants ESM-2 layer {}: {e}",
                    self.embedding.layer
                )
            })?;
        embedder.channels = self.embedding.channels();
        self.check_embedding(&embedder.info())
    }

    /// Whether features from an embedder described by `info` are what this model was fitted on.
    pub fn check_embedding(&self, info: &EmbeddingInfo) -> Result<(), String> {
        if info.hash == self.embedding.hash
            && info.dim == self.embedding.dim
            && info.layer == self.embedding.layer
        {
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

    /// The ranked candidates of a protein from its residue probabilities: scored by the window
    /// ranker, or by mean P(NES) and the register-type prior in models without one.
    pub fn candidates(&self, sequence: &str, probabilities: &[f32]) -> Vec<super::Candidate> {
        match &self.ranker {
            Some(ranker) => {
                let mut out = super::candidates::candidates(sequence, probabilities);
                ranker.rescore(sequence, probabilities, &mut out);
                super::candidates::sort_ranked(&mut out);
                out
            }
            None => super::candidates::candidates_with_prior(
                sequence,
                probabilities,
                Some(&self.class_prior),
            ),
        }
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        if let Some(tagger) = &self.tagger {
            tagger
                .save(dir)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        let json = serde_json::to_string(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(MODEL_FILE), json)
    }

    /// Reads `scan_model.json` and, when it names a context model, its weights (on the CPU).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(MODEL_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut model: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a scan model: {e}", path.display()))?;
        if let Some(config) = &model.tagger_config {
            model.tagger = Some(
                ScanTagger::load(dir, config, model.tagger_best_epoch, &Device::flex())
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(model)
    }
}

/// `(1 - share) · a + share · b`, residue by residue.
fn blend(a: &[f32], b: &[f32], share: f32) -> Vec<f32> {
    a.iter()
        .zip(b)
        .map(|(x, y)| (1.0 - share) * x + share * y)
        .collect()
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

    /// A scan model with a context model saves both, loads both, and blends them as it did.
    #[test]
    fn context_model_survives_save_and_load() {
        use crate::scan::tagger::{ScanTagger, TaggerSettings};
        use std::sync::atomic::AtomicBool;

        let rows: Vec<Vec<Vec<f32>>> = (0..6)
            .map(|k| {
                (0..40)
                    .map(|i| vec![((i * 7 + k) % 5) as f32 / 5.0, (i % 3) as f32])
                    .collect()
            })
            .collect();
        let labels: Vec<Vec<bool>> = rows
            .iter()
            .map(|r| r.iter().map(|v| v[0] > 0.5).collect())
            .collect();
        let proteins = ScanProtein::pair(&rows, &labels);
        let info = EmbeddingInfo {
            model: "test".into(),
            hash: "0".into(),
            layer: 0,
            dim: 2,
            residue_channels: false,
            rule_channels: false,
        };
        let settings = TaggerSettings {
            crop: 16,
            stride: 12,
            hidden: 4,
            layers: 1,
            epochs: 2,
            ..TaggerSettings::default()
        };
        let device = Device::flex();
        let tagger = ScanTagger::fit(
            &proteins,
            &settings,
            &device,
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .expect("fit");
        let model = ScanModel::fit(&proteins, info, 2, "test".into()).with_tagger(tagger, 0.5);
        let before = model
            .residue_probabilities(&rows[0])
            .expect("probabilities");
        let logistic = model.logistic_probabilities(&rows[0]);
        assert_ne!(before, logistic, "the context model takes part");

        let dir = tempfile::tempdir().expect("tempdir");
        model.save(dir.path()).expect("save");
        let loaded = ScanModel::load(dir.path()).expect("load");
        assert_eq!(loaded.blend, 0.5);
        let after = loaded
            .residue_probabilities(&rows[0])
            .expect("probabilities");
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn a_missing_context_weights_file_is_named() {
        let mut json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(crate::scan::bundled_model_dir().join(MODEL_FILE))
                .expect("bundled scan model"),
        )
        .expect("json");
        json["tagger_config"] =
            serde_json::json!({"d_input": 344, "hidden": 8, "layers": 1, "dropout": 0.0});
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(MODEL_FILE), json.to_string()).expect("write");
        let err = ScanModel::load(dir.path()).expect_err("no weights");
        assert!(err.contains("scan_tagger.bpk"), "{err}");
    }

    #[test]
    fn features_of_another_layer_are_refused() {
        let model = ScanModel::load(&crate::scan::bundled_model_dir()).expect("bundled scan model");
        let mut info = model.embedding.clone();
        assert!(model.check_embedding(&info).is_ok());
        info.layer = model.embedding.layer - 1;
        let err = model.check_embedding(&info).expect_err("other layer");
        assert!(err.contains(&format!("layer {}", info.layer)), "{err}");
    }
}
