//! The ESM-2 encoder in burn: embeddings with the token-dropout rescale, pre-LayerNorm
//! transformer layers with rotary attention, and the final `emb_layer_norm_after`.
//!
//! Runs on any burn device (`flex` on the CPU, wgpu on a GPU, including a wgpu device shared with
//! eframe). The maths follows transformers' `EsmModel` (see `shared/models/scripts/esm_numpy.py`).

use std::path::{Path, PathBuf};

use burn::tensor::module::{attention, layer_norm, linear};
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use super::config::EsmConfig;
use super::error::EmbedError;
use super::gelu::gelu_host;
use super::host_encoder::{HostDense, HostEncoder, HostLayer, HostNorm, PackedSequence};
use super::rotary::RotaryTables;
use super::tokenizer::{EsmTokenizer, Tokens};
use super::weights::{HostTensor, Weights};

struct Norm {
    gamma: Tensor<1>,
    beta: Tensor<1>,
}

/// A linear layer stored as burn expects it: weight `[in, out]`.
struct Dense {
    weight: Tensor<2>,
    bias: Tensor<1>,
}

struct EncoderLayer {
    attn_norm: Norm,
    /// Query, key and value projections fused into one `[D, 3D]` matmul.
    qkv: Dense,
    attn_out: Dense,
    ffn_norm: Norm,
    ffn_in: Dense,
    ffn_out: Dense,
}

/// A loaded ESM-2 encoder with its tokenizer, on one burn device.
pub struct EsmModel {
    config: EsmConfig,
    tokenizer: EsmTokenizer,
    word_embeddings: Tensor<2>,
    layers: Vec<EncoderLayer>,
    final_norm: Norm,
    device: Device,
    /// burn-flex: GELU runs on the host (see `gelu.rs`).
    cpu: bool,
    /// burn-flex: the whole encoder on the host (see `host_encoder.rs`); `None` on a GPU or when
    /// switched off to compare against the burn path.
    host: Option<HostEncoder>,
    sha256: String,
    dir: PathBuf,
}

/// Every residual stream of one forward pass, `[batch, T, D]` each, rows including `<cls>`,
/// `<eos>` and padding.
pub struct HiddenStates {
    /// `residual[0]` = rescaled embeddings (input of layer 1); `residual[k]` = after layer `k`.
    pub residual: Vec<Tensor<3>>,
    /// `residual[L]` after `emb_layer_norm_after`: what ESM-2 calls its last-layer output.
    pub final_output: Tensor<3>,
}

impl EsmModel {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` (or `vocab.txt`) from `dir`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, EmbedError> {
        if !dir.is_dir() {
            return Err(EmbedError::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "model folder not found"),
            ));
        }
        let config = EsmConfig::from_file(&dir.join("config.json"))?;
        let tokenizer = EsmTokenizer::from_dir(dir)?;
        if tokenizer.vocab_size() > config.vocab_size {
            return Err(EmbedError::Config {
                path: dir.join("config.json"),
                message: format!(
                    "vocab_size {} is smaller than the tokenizer's {} tokens",
                    config.vocab_size,
                    tokenizer.vocab_size()
                ),
            });
        }
        let mut w = Weights::load(&dir.join("model.safetensors"), &config)?;
        let cpu = *device == Device::flex();
        let embeddings = w.take("embeddings.word_embeddings.weight")?;
        let host_embeddings = cpu.then(|| embeddings.data.clone());
        let word_embeddings = upload2(embeddings, device);
        let mut layers = Vec::with_capacity(config.num_layers);
        let mut host_layers = Vec::new();
        for i in 0..config.num_layers {
            let p = format!("encoder.layer.{i}.");
            let mut t = |name: &str| w.take(&format!("{p}{name}"));
            let q = (
                t("attention.self.query.weight")?,
                t("attention.self.query.bias")?,
            );
            let k = (
                t("attention.self.key.weight")?,
                t("attention.self.key.bias")?,
            );
            let v = (
                t("attention.self.value.weight")?,
                t("attention.self.value.bias")?,
            );
            let host_layer = HostLayer {
                attn_norm: host_norm(
                    t("attention.LayerNorm.weight")?,
                    t("attention.LayerNorm.bias")?,
                ),
                qkv: fused_host(&[q, k, v]),
                attn_out: fused_host(&[(
                    t("attention.output.dense.weight")?,
                    t("attention.output.dense.bias")?,
                )]),
                ffn_norm: host_norm(t("LayerNorm.weight")?, t("LayerNorm.bias")?),
                ffn_in: fused_host(&[(
                    t("intermediate.dense.weight")?,
                    t("intermediate.dense.bias")?,
                )]),
                ffn_out: fused_host(&[(t("output.dense.weight")?, t("output.dense.bias")?)]),
            };
            layers.push(EncoderLayer {
                attn_norm: norm(&host_layer.attn_norm, device),
                qkv: dense(&host_layer.qkv, device),
                attn_out: dense(&host_layer.attn_out, device),
                ffn_norm: norm(&host_layer.ffn_norm, device),
                ffn_in: dense(&host_layer.ffn_in, device),
                ffn_out: dense(&host_layer.ffn_out, device),
            });
            if cpu {
                host_layers.push(host_layer);
            }
        }
        let host_final = host_norm(
            w.take("encoder.emb_layer_norm_after.weight")?,
            w.take("encoder.emb_layer_norm_after.bias")?,
        );
        let final_norm = norm(&host_final, device);
        let host = host_embeddings.map(|embeddings| HostEncoder {
            embeddings,
            layers: host_layers,
            final_norm: host_final,
            hidden: config.hidden_size,
            heads: config.num_heads,
            eps: config.layer_norm_eps as f32,
            rotary_base: config.rotary_base,
        });
        Ok(EsmModel {
            config,
            tokenizer,
            word_embeddings,
            layers,
            final_norm,
            device: device.clone(),
            cpu,
            host,
            sha256: w.sha256,
            dir: dir.to_path_buf(),
        })
    }

    pub fn config(&self) -> &EsmConfig {
        &self.config
    }

    pub fn tokenizer(&self) -> &EsmTokenizer {
        &self.tokenizer
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// True on burn-flex (the CPU), where independent batches may run on separate cores.
    pub fn on_cpu(&self) -> bool {
        self.cpu
    }

    /// sha256 of `model.safetensors` (hex): the model's identity in the embedding cache.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of transformer layers; valid output layers are `0..=num_layers()`.
    pub fn num_layers(&self) -> usize {
        self.config.num_layers
    }

    pub fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    /// Every residual stream for a batch of tokenised peptides (padded on the right).
    pub fn hidden_states(&self, batch: &[&Tokens]) -> Result<HiddenStates, EmbedError> {
        let input = self.prepare(batch)?;
        let [b, t] = [input.batch, input.seq_len];
        let d = self.config.hidden_size;
        let mut x = self.embed_tokens(&input);
        let mut residual = vec![x.clone().reshape([b, t, d])];
        for layer in &self.layers {
            x = self.layer_forward(layer, x, &input)?;
            residual.push(x.clone().reshape([b, t, d]));
        }
        let final_output = self.final_norm(x).reshape([b, t, d]);
        Ok(HiddenStates {
            residual,
            final_output,
        })
    }

    /// Output of `layer` (0 = rescaled embeddings, `k` = after layer `k`, `num_layers()` = final,
    /// after `emb_layer_norm_after`) for a batch, on the host: `[batch × T × D]` row-major, with
    /// T = the longest sequence's token count. Layers after the requested one are not computed.
    pub fn forward_layer_host(
        &self,
        batch: &[&Tokens],
        layer: usize,
    ) -> Result<(Vec<f32>, usize), EmbedError> {
        let max = self.config.num_layers;
        if layer > max {
            return Err(EmbedError::BadLayer { layer, max });
        }
        if let Some(host) = &self.host {
            return self.forward_packed(host, batch, layer);
        }
        let Some(&first) = batch.first() else {
            return Err(EmbedError::Backend("empty batch".into()));
        };
        // Batch sizes are rounded like lengths (see `padded_batch`): the extra rows repeat the
        // first sequence, so they hold real tokens (no fully masked row), and are dropped.
        let filled: Vec<&Tokens> = batch
            .iter()
            .copied()
            .chain(std::iter::repeat_n(
                first,
                self.padded_batch(batch.len()) - batch.len(),
            ))
            .collect();
        let input = self.prepare_with(&filled, true)?;
        let mut x = self.embed_tokens(&input);
        for l in &self.layers[..layer] {
            x = self.layer_forward(l, x, &input)?;
        }
        if layer == max {
            x = self.final_norm(x);
        }
        let mut data = x
            .try_into_data()
            .map_err(|e| EmbedError::Backend(e.to_string()))?
            .try_into_vec::<f32>()
            .map_err(|e| EmbedError::Backend(format!("{e:?}")))?;
        data.truncate(batch.len() * input.seq_len * self.config.hidden_size);
        Ok((data, input.seq_len))
    }

    /// Switches the CPU host encoder off, so the CPU runs the same burn ops as a GPU (to test
    /// the two against each other).
    pub fn without_host_encoder(mut self) -> Self {
        self.host = None;
        self
    }

    /// [`Self::forward_layer_host`] on the host encoder: sequences packed without padding, the
    /// result laid out padded to the longest one (padding rows zero).
    fn forward_packed(
        &self,
        host: &HostEncoder,
        batch: &[&Tokens],
        layer: usize,
    ) -> Result<(Vec<f32>, usize), EmbedError> {
        let t = batch.iter().map(|s| s.ids.len()).max().unwrap_or(0);
        if batch.is_empty() || t == 0 {
            return Err(EmbedError::Backend("empty batch".into()));
        }
        let scales = batch
            .iter()
            .map(|s| self.token_scales(s))
            .collect::<Result<Vec<_>, _>>()?;
        let packed: Vec<PackedSequence<'_>> = batch
            .iter()
            .zip(&scales)
            .map(|(s, scale)| PackedSequence { ids: &s.ids, scale })
            .collect();
        let x = host.forward(&packed, layer);
        let d = self.config.hidden_size;
        let mut out = vec![0.0f32; batch.len() * t * d];
        let mut row = 0;
        for (b, s) in batch.iter().enumerate() {
            let n = s.ids.len();
            out[b * t * d..(b * t + n) * d].copy_from_slice(&x[row * d..(row + n) * d]);
            row += n;
        }
        Ok((out, t))
    }

    /// Each token's embedding scale, after checking the ids against the vocabulary. Token dropout
    /// (ESM-2): `<mask>` rows are zeroed and the rest scaled by (1 − train mask share) /
    /// (1 − observed mask share), counted over `<cls>`…`<eos>`.
    fn token_scales(&self, seq: &Tokens) -> Result<Vec<f32>, EmbedError> {
        if let Some(&bad) = seq
            .ids
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(EmbedError::Backend(format!(
                "token id {bad} is outside the model's vocabulary of {}",
                self.config.vocab_size
            )));
        }
        let n = seq.ids.len();
        let mask_id = self.config.mask_token_id;
        let factor = if self.config.token_dropout {
            let masked = seq.ids.iter().filter(|&&id| id == mask_id).count();
            ((1.0 - self.config.mask_ratio_train) / (1.0 - masked as f64 / n as f64)) as f32
        } else {
            1.0
        };
        Ok(seq
            .ids
            .iter()
            .map(|&id| {
                if self.config.token_dropout && id == mask_id {
                    0.0
                } else {
                    factor
                }
            })
            .collect())
    }

    fn prepare(&self, batch: &[&Tokens]) -> Result<PreparedBatch, EmbedError> {
        self.prepare_with(batch, false)
    }

    /// Token length a batch whose longest sequence has `t` tokens runs at. On a GPU a new shape
    /// can mean new kernel compilations and autotuning, so lengths are rounded up to a few sizes:
    /// multiples of 8 up to 64 tokens, powers of two above (a 50-protein `bench scan` on an H200:
    /// 118.6 s before, 87.4 s after; docs/results/gpu_h200_2026-12-04.txt). The padding is
    /// masked like any other, so the results are those of the exact length. The CPU runs exact
    /// lengths.
    fn padded_len(&self, t: usize) -> usize {
        match t {
            _ if self.cpu => t,
            0..=64 => t.div_ceil(8) * 8,
            _ => t.next_power_of_two(),
        }
    }

    /// Rows a batch of `b` sequences runs with. On a GPU each new batch size is a new shape as
    /// well: a scan embeds each protein's candidate peptides as one batch of whatever size they
    /// come to, and on an H200 those embeddings were most of a 50-protein scan's time (68 of
    /// 87 s) with lengths already rounded. So sizes are rounded up to powers of two too, which at
    /// most doubles a batch's work and memory (not yet timed on a GPU). The CPU runs exact sizes.
    fn padded_batch(&self, b: usize) -> usize {
        if self.cpu { b } else { b.next_power_of_two() }
    }

    /// [`Self::prepare`], with the length rounded by [`Self::padded_len`] when `round`.
    fn prepare_with(&self, batch: &[&Tokens], round: bool) -> Result<PreparedBatch, EmbedError> {
        let b = batch.len();
        let longest = batch.iter().map(|s| s.ids.len()).max().unwrap_or(0);
        let t = if round {
            self.padded_len(longest)
        } else {
            longest
        };
        if b == 0 || longest == 0 {
            return Err(EmbedError::Backend("empty batch".into()));
        }
        let h = self.config.num_heads;
        let pad = self.tokenizer.pad_id();
        let mut ids = Vec::with_capacity(b * t);
        let mut scale = Vec::with_capacity(b * t);
        let mut key_pad = Vec::with_capacity(b * t * t);
        for seq in batch {
            let scales = self.token_scales(seq)?;
            let n = seq.ids.len();
            ids.extend(seq.ids.iter().map(|&id| id as i32));
            scale.extend_from_slice(&scales);
            ids.extend(std::iter::repeat_n(pad as i32, t - n));
            scale.extend(std::iter::repeat_n(0.0, t - n));
            // Padded keys are masked for every query row of this sequence.
            for _ in 0..t {
                key_pad.extend((0..t).map(|k| k >= n));
            }
        }
        let device = &self.device;
        // Without padding there is nothing to mask (and the backend can skip the masking pass).
        let padded = batch.iter().any(|s| s.ids.len() != t);
        let key_mask = padded.then(|| {
            let mask: Tensor<4, Bool> =
                Tensor::from_data(TensorData::new(key_pad, [b, 1, t, t]), device);
            mask.expand([b, h, t, t])
        });
        Ok(PreparedBatch {
            batch: b,
            seq_len: t,
            ids: Tensor::from_data(TensorData::new(ids, [b * t]), device),
            scale: Tensor::from_data(TensorData::new(scale, [b * t, 1]), device),
            key_mask,
            rotary: RotaryTables::new(t, self.config.head_dim(), self.config.rotary_base, device),
        })
    }

    /// `[B·T, D]` rescaled token embeddings.
    fn embed_tokens(&self, input: &PreparedBatch) -> Tensor<2> {
        self.word_embeddings.clone().select(0, input.ids.clone()) * input.scale.clone()
    }

    fn final_norm(&self, x: Tensor<2>) -> Tensor<2> {
        apply_norm(&self.final_norm, x, self.config.layer_norm_eps)
    }

    fn layer_forward(
        &self,
        layer: &EncoderLayer,
        x: Tensor<2>,
        input: &PreparedBatch,
    ) -> Result<Tensor<2>, EmbedError> {
        let (b, t) = (input.batch, input.seq_len);
        let d = self.config.hidden_size;
        let h = self.config.num_heads;
        let hd = self.config.head_dim();
        let eps = self.config.layer_norm_eps;

        let normed = apply_norm(&layer.attn_norm, x.clone(), eps);
        let qkv = apply_dense(&layer.qkv, normed)
            .reshape([b, t, 3 * h, hd])
            .swap_dims(1, 2);
        let q = input.rotary.apply(qkv.clone().narrow(1, 0, h));
        let k = input.rotary.apply(qkv.clone().narrow(1, h, h));
        let v = qkv.narrow(1, 2 * h, h);
        let options = AttentionModuleOptions {
            scale: Some(1.0 / (hd as f64).sqrt()),
            softcap: None,
            is_causal: false,
        };
        let context = attention(q, k, v, input.key_mask.clone(), None, options)
            .swap_dims(1, 2)
            .reshape([b * t, d]);
        let x = x + apply_dense(&layer.attn_out, context);

        let normed = apply_norm(&layer.ffn_norm, x.clone(), eps);
        let pre = apply_dense(&layer.ffn_in, normed);
        let hidden = if self.cpu {
            gelu_host(pre)?
        } else {
            burn::tensor::activation::gelu(pre)
        };
        Ok(x + apply_dense(&layer.ffn_out, hidden))
    }
}

struct PreparedBatch {
    batch: usize,
    seq_len: usize,
    /// `[B·T]` token ids, padded with `<pad>`.
    ids: Tensor<1, Int>,
    /// `[B·T, 1]` token-dropout factor per row; 0 for `<mask>` and padding.
    scale: Tensor<2>,
    /// `[B, H, T, T]`, true where the key is padding; `None` when no sequence is padded.
    key_mask: Option<Tensor<4, Bool>>,
    rotary: RotaryTables,
}

fn apply_norm(n: &Norm, x: Tensor<2>, eps: f64) -> Tensor<2> {
    layer_norm(x, n.gamma.clone(), Some(n.beta.clone()), eps)
}

fn apply_dense(l: &Dense, x: Tensor<2>) -> Tensor<2> {
    linear(x, l.weight.clone(), Some(l.bias.clone()))
}

fn upload2(t: HostTensor, device: &Device) -> Tensor<2> {
    let shape = [t.shape[0], t.shape[1]];
    Tensor::from_data(TensorData::new(t.data, shape), device)
}

fn host_norm(gamma: HostTensor, beta: HostTensor) -> HostNorm {
    HostNorm {
        gamma: gamma.data,
        beta: beta.data,
    }
}

fn norm(n: &HostNorm, device: &Device) -> Norm {
    let upload = |v: &[f32]| Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
    Norm {
        gamma: upload(&n.gamma),
        beta: upload(&n.beta),
    }
}

fn dense(l: &HostDense, device: &Device) -> Dense {
    Dense {
        weight: Tensor::from_data(TensorData::new(l.weight.clone(), [l.d_in, l.d_out]), device),
        bias: Tensor::from_data(TensorData::new(l.bias.clone(), [l.d_out]), device),
    }
}

/// PyTorch linears `[out_i, in]` side by side → one weight `[in, Σ out_i]` and its bias.
fn fused_host(parts: &[(HostTensor, HostTensor)]) -> HostDense {
    let d_in = parts[0].0.shape[1];
    let d_out: usize = parts.iter().map(|(w, _)| w.shape[0]).sum();
    let mut weight = vec![0.0f32; d_in * d_out];
    let mut bias = Vec::with_capacity(d_out);
    let mut col = 0;
    for (w, b) in parts {
        let out = w.shape[0];
        for o in 0..out {
            for i in 0..d_in {
                weight[i * d_out + col + o] = w.data[o * d_in + i];
            }
        }
        bias.extend_from_slice(&b.data);
        col += out;
    }
    HostDense {
        weight,
        bias,
        d_in,
        d_out,
    }
}
