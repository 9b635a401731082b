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
        let word_embeddings = upload2(w.take("embeddings.word_embeddings.weight")?, device);
        let mut layers = Vec::with_capacity(config.num_layers);
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
            layers.push(EncoderLayer {
                attn_norm: norm(
                    t("attention.LayerNorm.weight")?,
                    t("attention.LayerNorm.bias")?,
                    device,
                ),
                qkv: fused_dense(&[q, k, v], device),
                attn_out: dense(
                    t("attention.output.dense.weight")?,
                    t("attention.output.dense.bias")?,
                    device,
                ),
                ffn_norm: norm(t("LayerNorm.weight")?, t("LayerNorm.bias")?, device),
                ffn_in: dense(
                    t("intermediate.dense.weight")?,
                    t("intermediate.dense.bias")?,
                    device,
                ),
                ffn_out: dense(t("output.dense.weight")?, t("output.dense.bias")?, device),
            });
        }
        let final_norm = norm(
            w.take("encoder.emb_layer_norm_after.weight")?,
            w.take("encoder.emb_layer_norm_after.bias")?,
            device,
        );
        Ok(EsmModel {
            config,
            tokenizer,
            word_embeddings,
            layers,
            final_norm,
            device: device.clone(),
            cpu: *device == Device::flex(),
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
        let input = self.prepare(batch)?;
        let mut x = self.embed_tokens(&input);
        for l in &self.layers[..layer] {
            x = self.layer_forward(l, x, &input)?;
        }
        if layer == max {
            x = self.final_norm(x);
        }
        let data = x
            .try_into_data()
            .map_err(|e| EmbedError::Backend(e.to_string()))?
            .try_into_vec::<f32>()
            .map_err(|e| EmbedError::Backend(format!("{e:?}")))?;
        Ok((data, input.seq_len))
    }

    fn prepare(&self, batch: &[&Tokens]) -> Result<PreparedBatch, EmbedError> {
        let b = batch.len();
        let t = batch.iter().map(|s| s.ids.len()).max().unwrap_or(0);
        if b == 0 || t == 0 {
            return Err(EmbedError::Backend("empty batch".into()));
        }
        let h = self.config.num_heads;
        let pad = self.tokenizer.pad_id();
        let mut ids = Vec::with_capacity(b * t);
        let mut scale = Vec::with_capacity(b * t);
        let mut key_pad = Vec::with_capacity(b * t * t);
        for seq in batch {
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
            // Token dropout (ESM-2): <mask> rows are zeroed and the rest scaled by
            // (1 − train mask share) / (1 − observed mask share), counted over <cls>…<eos>.
            let factor = if self.config.token_dropout {
                let masked = seq.ids.iter().filter(|&&id| id == mask_id).count();
                ((1.0 - self.config.mask_ratio_train) / (1.0 - masked as f64 / n as f64)) as f32
            } else {
                1.0
            };
            for pos in 0..t {
                match seq.ids.get(pos) {
                    Some(&id) => {
                        ids.push(id as i32);
                        let zero = self.config.token_dropout && id == mask_id;
                        scale.push(if zero { 0.0 } else { factor });
                    }
                    None => {
                        ids.push(pad as i32);
                        scale.push(0.0);
                    }
                }
            }
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

fn upload1(t: HostTensor, device: &Device) -> Tensor<1> {
    let n = t.data.len();
    Tensor::from_data(TensorData::new(t.data, [n]), device)
}

fn upload2(t: HostTensor, device: &Device) -> Tensor<2> {
    let shape = [t.shape[0], t.shape[1]];
    Tensor::from_data(TensorData::new(t.data, shape), device)
}

fn norm(gamma: HostTensor, beta: HostTensor, device: &Device) -> Norm {
    Norm {
        gamma: upload1(gamma, device),
        beta: upload1(beta, device),
    }
}

fn dense(weight: HostTensor, bias: HostTensor, device: &Device) -> Dense {
    fused_dense(&[(weight, bias)], device)
}

/// PyTorch linears `[out_i, in]` side by side → one burn weight `[in, Σ out_i]` and its bias.
fn fused_dense(parts: &[(HostTensor, HostTensor)], device: &Device) -> Dense {
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
    Dense {
        weight: Tensor::from_data(TensorData::new(weight, [d_in, d_out]), device),
        bias: Tensor::from_data(TensorData::new(bias, [d_out]), device),
    }
}
