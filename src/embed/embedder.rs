//! Batched embedding of many peptides: tokenise, bucket by length, run, unpad, in input order.

use super::cache::EmbeddingCache;
use super::error::EmbedError;
use super::model::EsmModel;
use super::tokenizer::Tokens;

/// Per-residue embedding of one peptide (`<cls>`/`<eos>` rows removed).
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// The sequence as it was given.
    pub sequence: String,
    /// Which output: 0 = embeddings, k = after layer k, L = final (after `emb_layer_norm_after`).
    pub layer: usize,
    /// Width of one residue's vector (the model's hidden size).
    pub dim: usize,
    /// `residues × dim` values, row-major: row `i` is residue `i`.
    pub per_residue: Vec<f32>,
    /// Mean over the residue rows.
    pub mean: Vec<f32>,
    /// Unknown letters that were embedded as `<unk>`.
    pub warnings: Vec<String>,
}

impl Embedding {
    pub(crate) fn new(sequence: String, layer: usize, dim: usize, per_residue: Vec<f32>) -> Self {
        let residues = per_residue.len() / dim.max(1);
        let mut sum = vec![0.0f64; dim];
        for row in per_residue.chunks_exact(dim) {
            for (s, v) in sum.iter_mut().zip(row) {
                *s += f64::from(*v);
            }
        }
        let mean = sum
            .into_iter()
            .map(|s| (s / residues.max(1) as f64) as f32)
            .collect();
        Embedding {
            sequence,
            layer,
            dim,
            per_residue,
            mean,
            warnings: Vec::new(),
        }
    }

    pub fn residues(&self) -> usize {
        self.per_residue.len() / self.dim.max(1)
    }

    /// The vector of residue `i` (0-based).
    pub fn row(&self, i: usize) -> &[f32] {
        &self.per_residue[i * self.dim..(i + 1) * self.dim]
    }

    pub fn rows(&self) -> impl Iterator<Item = &[f32]> {
        self.per_residue.chunks_exact(self.dim.max(1))
    }
}

/// Most attention cells (batch × T × T, per head) one forward pass may hold: keeps long proteins
/// from allocating gigabytes of scores and masks while NES-sized peptides still run 64 at a time.
const MAX_ATTENTION_CELLS: usize = 1 << 20;

/// Consecutive runs of `order` (sorted by length) of at most `batch_size` peptides and at most
/// [`MAX_ATTENTION_CELLS`]; a single peptide always forms a batch.
fn batches<'a>(order: &'a [usize], tokens: &[Tokens], batch_size: usize) -> Vec<&'a [usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && end - start < batch_size {
            let t = tokens[order[end]].ids.len();
            if (end - start + 1) * t * t > MAX_ATTENTION_CELLS {
                break;
            }
            end += 1;
        }
        out.push(&order[start..end]);
        start = end;
    }
    out
}

/// Called after every batch with (peptides done, peptides in total); returning `false` cancels.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// Embeds lists of peptides with one model, `batch_size` peptides per forward pass.
pub struct Embedder {
    model: EsmModel,
    batch_size: usize,
}

impl Embedder {
    pub fn new(model: EsmModel, batch_size: usize) -> Self {
        Embedder {
            model,
            batch_size: batch_size.max(1),
        }
    }

    pub fn model(&self) -> &EsmModel {
        &self.model
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The layer number `layer` stands for (`None` = the final output), checked against the model.
    pub fn resolve_layer(&self, layer: Option<usize>) -> Result<usize, EmbedError> {
        let max = self.model.num_layers();
        match layer {
            None => Ok(max),
            Some(l) if l <= max => Ok(l),
            Some(l) => Err(EmbedError::BadLayer { layer: l, max }),
        }
    }

    /// Tokenises every sequence first, so a bad one fails before any work is done.
    pub fn tokenize(&self, sequences: &[String]) -> Result<Vec<Tokens>, EmbedError> {
        sequences
            .iter()
            .enumerate()
            .map(|(i, s)| self.model.tokenizer().encode(i, s))
            .collect()
    }

    /// Embeds `sequences` (results in the same order). Peptides are sorted by length and batched
    /// so that padding stays small; padded keys are masked, so every result equals a single run.
    pub fn embed(
        &self,
        sequences: &[String],
        layer: Option<usize>,
        progress: Progress<'_>,
    ) -> Result<Vec<Embedding>, EmbedError> {
        let layer = self.resolve_layer(layer)?;
        let tokens = self.tokenize(sequences)?;
        let mut out = self.embed_tokens(&tokens, layer, progress)?;
        for ((emb, seq), tok) in out.iter_mut().zip(sequences).zip(tokens) {
            emb.sequence = seq.clone();
            emb.warnings = tok.warnings;
        }
        Ok(out)
    }

    /// Like [`Embedder::embed`], but takes what it can from `cache` and stores what it computes.
    /// A damaged cache entry is recomputed and overwritten.
    pub fn embed_cached(
        &self,
        sequences: &[String],
        layer: Option<usize>,
        cache: &EmbeddingCache,
        progress: Progress<'_>,
    ) -> Result<Vec<Embedding>, EmbedError> {
        let layer = self.resolve_layer(layer)?;
        let tokens = self.tokenize(sequences)?;
        let hash = self.model.sha256();
        let mut found: Vec<Option<Embedding>> = Vec::with_capacity(tokens.len());
        for tok in &tokens {
            found.push(cache.get(hash, layer, &tok.normalized).ok().flatten());
        }
        let missing: Vec<usize> = (0..tokens.len()).filter(|&i| found[i].is_none()).collect();
        let todo: Vec<Tokens> = missing.iter().map(|&i| tokens[i].clone()).collect();
        let cached = tokens.len() - todo.len();
        let total = tokens.len();
        let mut inner = |done: usize, _: usize| progress(cached + done, total);
        let computed = self.embed_tokens(&todo, layer, &mut inner)?;
        for (i, emb) in missing.into_iter().zip(computed) {
            cache.put(hash, layer, &tokens[i].normalized, &emb)?;
            found[i] = Some(emb);
        }
        let mut out = Vec::with_capacity(total);
        for ((slot, seq), tok) in found.into_iter().zip(sequences).zip(tokens) {
            let mut emb = slot.ok_or(EmbedError::Cancelled)?;
            emb.sequence = seq.clone();
            emb.warnings = tok.warnings;
            out.push(emb);
        }
        Ok(out)
    }

    /// How many batches run at once. On the CPU one batch per core: burn-flex parallelises only
    /// its big matmuls, so a single 64-peptide batch leaves a core idle during layer norms,
    /// attention and copies. Batches on separate rayon workers keep both busy (the matmuls' own
    /// rayon tasks still spread over idle cores at the tail). A GPU gets one batch at a time.
    fn parallel_batches(&self) -> usize {
        if self.model.on_cpu() {
            rayon::current_num_threads().max(1)
        } else {
            1
        }
    }

    /// Forward passes of several batches (in parallel on the CPU), host output and T of each.
    fn run_wave(
        &self,
        wave: &[&[usize]],
        tokens: &[Tokens],
        layer: usize,
    ) -> Result<Vec<(Vec<f32>, usize)>, EmbedError> {
        let forward = |chunk: &&[usize]| {
            let batch: Vec<&Tokens> = chunk.iter().map(|&i| &tokens[i]).collect();
            self.model.forward_layer_host(&batch, layer)
        };
        if wave.len() == 1 {
            return wave.iter().map(forward).collect();
        }
        use rayon::prelude::*;
        wave.par_iter().map(forward).collect()
    }

    fn embed_tokens(
        &self,
        tokens: &[Tokens],
        layer: usize,
        progress: Progress<'_>,
    ) -> Result<Vec<Embedding>, EmbedError> {
        let total = tokens.len();
        let dim = self.model.hidden_size();
        let mut order: Vec<usize> = (0..total).collect();
        order.sort_by_key(|&i| tokens[i].ids.len());
        let mut results: Vec<Option<Embedding>> = vec![None; total];
        if !progress(0, total) {
            return Err(EmbedError::Cancelled);
        }
        let chunks = batches(&order, tokens, self.batch_size);
        let mut done = 0;
        for wave in chunks.chunks(self.parallel_batches()) {
            let outputs = self.run_wave(wave, tokens, layer)?;
            for (chunk, (host, t)) in wave.iter().zip(outputs) {
                for (b, &i) in chunk.iter().enumerate() {
                    let residues = tokens[i].residues();
                    // rows 1..=residues of sequence b: drop <cls>, <eos> and padding
                    let start = (b * t + 1) * dim;
                    let values = host[start..start + residues * dim].to_vec();
                    results[i] = Some(Embedding::new(
                        tokens[i].normalized.clone(),
                        layer,
                        dim,
                        values,
                    ));
                }
                done += chunk.len();
            }
            if !progress(done, total) {
                return Err(EmbedError::Cancelled);
            }
        }
        results
            .into_iter()
            .map(|r| r.ok_or(EmbedError::Cancelled))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(len: usize) -> Tokens {
        Tokens {
            ids: vec![4; len],
            normalized: String::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn batches_respect_count_and_attention_budget() {
        let tokens: Vec<Tokens> = [10, 12, 12, 17, 17, 500, 500, 500, 1100]
            .iter()
            .map(|&l| toks(l))
            .collect();
        let order: Vec<usize> = (0..tokens.len()).collect();
        let sizes: Vec<usize> = batches(&order, &tokens, 3)
            .iter()
            .map(|b| b.len())
            .collect();
        // 3 short, 2 short + 1 long (3·500² < 2²⁰), 2 long (3·500² would exceed), 1 alone
        assert_eq!(sizes, vec![3, 3, 2, 1]);
        assert_eq!(batches(&order, &tokens, 100).concat(), order);
    }
}
