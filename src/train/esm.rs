//! ESM-2 as the [`ResidueEmbedder`] of the data set builder and the predictor.

use crate::embed::{EmbedError, Embedder, EmbeddingCache};

use super::channels::ChannelSet;
use super::dataset::{EmbeddingInfo, ResidueEmbedder};

/// Per-residue ESM-2 features from one layer, optionally through an on-disk cache.
pub struct EsmResidueEmbedder {
    pub embedder: Embedder,
    /// Resolved layer (fair-esm numbering; the model's layer count = final output).
    pub layer: usize,
    pub cache: Option<EmbeddingCache>,
    /// Called with (done, total) after each batch; returning `false` cancels.
    pub progress: Box<dyn FnMut(usize, usize) -> bool + Send>,
    /// The [`super::channels`] appended to every residue.
    pub channels: ChannelSet,
}

impl EsmResidueEmbedder {
    /// `layer` `None` = the final output.
    pub fn new(embedder: Embedder, layer: Option<usize>) -> Result<Self, EmbedError> {
        let layer = embedder.resolve_layer(layer)?;
        Ok(Self {
            embedder,
            layer,
            cache: None,
            progress: Box::new(|_, _| true),
            channels: ChannelSet::default(),
        })
    }

    fn run(&mut self, sequences: &[String]) -> Result<Vec<Vec<Vec<f32>>>, EmbedError> {
        let progress = &mut *self.progress;
        let out = match &self.cache {
            Some(cache) => {
                self.embedder
                    .embed_cached(sequences, Some(self.layer), cache, progress)?
            }
            None => self.embedder.embed(sequences, Some(self.layer), progress)?,
        };
        Ok(out
            .into_iter()
            .zip(sequences)
            .map(|(e, s)| {
                let mut rows: Vec<Vec<f32>> = e.rows().map(<[f32]>::to_vec).collect();
                self.channels.append(s, &mut rows);
                rows
            })
            .collect())
    }
}

/// Name (folder name), weights hash, layer and width of an embedder.
pub fn embedding_info(embedder: &Embedder, layer: usize) -> EmbeddingInfo {
    let model = embedder.model();
    EmbeddingInfo {
        model: model.dir().file_name().map_or_else(
            || model.dir().display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        hash: model.sha256().to_string(),
        layer,
        dim: model.hidden_size(),
        residue_channels: false,
        rule_channels: false,
    }
}

impl ResidueEmbedder for EsmResidueEmbedder {
    fn info(&self) -> EmbeddingInfo {
        let mut info = embedding_info(&self.embedder, self.layer);
        info.residue_channels = self.channels.residue;
        info.rule_channels = self.channels.rule;
        info.dim += self.channels.width();
        info
    }

    fn embed(&mut self, sequences: &[String]) -> Result<Vec<Vec<Vec<f32>>>, String> {
        self.run(sequences).map_err(|e| e.to_string())
    }
}
