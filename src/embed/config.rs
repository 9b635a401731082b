//! Model sizes and options from a Hugging Face `config.json` (`EsmConfig`).
//!
//! Only the keys every ESM-2 checkpoint has are required, so the official
//! `facebook/esm2_t*_UR50D` folders load as well as the bundled one. Options this port does not
//! implement (absolute positions, an embedding layer norm, another activation) are refused with a
//! clear error instead of being computed wrongly.

use std::path::Path;

use serde::Deserialize;

use super::error::EmbedError;

/// The subset of `config.json` the ESM-2 encoder needs.
#[derive(Debug, Clone, PartialEq)]
pub struct EsmConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub intermediate_size: usize,
    pub layer_norm_eps: f64,
    /// ESM-2's token-dropout rescale of the embeddings, applied at inference too.
    pub token_dropout: bool,
    /// Share of tokens masked during training (0.15 × 0.8); the rescale numerator is `1 − this`.
    pub mask_ratio_train: f64,
    pub mask_token_id: u32,
    pub pad_token_id: u32,
    pub rotary_base: f64,
}

#[derive(Deserialize)]
struct RawConfig {
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    intermediate_size: Option<usize>,
    layer_norm_eps: Option<f64>,
    token_dropout: Option<bool>,
    token_dropout_mask_ratio_train: Option<f64>,
    mask_token_id: Option<u32>,
    pad_token_id: Option<u32>,
    rotary_base: Option<f64>,
    position_embedding_type: Option<String>,
    emb_layer_norm_before: Option<bool>,
    hidden_act: Option<String>,
    model_type: Option<String>,
}

impl EsmConfig {
    pub fn from_file(path: &Path) -> Result<Self, EmbedError> {
        let text = std::fs::read_to_string(path).map_err(|e| EmbedError::io(path, e))?;
        Self::from_json(&text).map_err(|message| EmbedError::Config {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| format!("not a valid config.json: {e}"))?;
        if let Some(kind) = &raw.model_type
            && kind != "esm"
        {
            return Err(format!("model_type is {kind:?}, expected \"esm\""));
        }
        // transformers' EsmConfig defaults to absolute positions; every ESM-2 says "rotary".
        let positions = raw.position_embedding_type.as_deref().unwrap_or("absolute");
        if positions != "rotary" {
            return Err(format!(
                "position_embedding_type is {positions:?}; only ESM-2's \"rotary\" is supported"
            ));
        }
        if raw.emb_layer_norm_before == Some(true) {
            return Err("emb_layer_norm_before = true (ESM-1b layout) is not supported".into());
        }
        if let Some(act) = &raw.hidden_act
            && act != "gelu"
        {
            return Err(format!(
                "hidden_act is {act:?}; only \"gelu\" (exact erf) is supported"
            ));
        }
        let need = |v: Option<usize>, key: &str| -> Result<usize, String> {
            match v {
                Some(0) => Err(format!("`{key}` must be positive")),
                Some(n) => Ok(n),
                None => Err(format!("missing key `{key}`")),
            }
        };
        let cfg = EsmConfig {
            vocab_size: need(raw.vocab_size, "vocab_size")?,
            hidden_size: need(raw.hidden_size, "hidden_size")?,
            num_layers: need(raw.num_hidden_layers, "num_hidden_layers")?,
            num_heads: need(raw.num_attention_heads, "num_attention_heads")?,
            intermediate_size: need(raw.intermediate_size, "intermediate_size")?,
            layer_norm_eps: raw.layer_norm_eps.unwrap_or(1e-5),
            token_dropout: raw.token_dropout.unwrap_or(true),
            mask_ratio_train: raw.token_dropout_mask_ratio_train.unwrap_or(0.15 * 0.8),
            mask_token_id: raw.mask_token_id.unwrap_or(32),
            pad_token_id: raw.pad_token_id.unwrap_or(1),
            rotary_base: raw.rotary_base.unwrap_or(10000.0),
        };
        if !cfg.hidden_size.is_multiple_of(cfg.num_heads) {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                cfg.hidden_size, cfg.num_heads
            ));
        }
        if !cfg.head_dim().is_multiple_of(2) {
            return Err(format!(
                "head size {} is odd; rotary embeddings need an even one",
                cfg.head_dim()
            ));
        }
        if !(0.0..1.0).contains(&cfg.mask_ratio_train) {
            return Err("token_dropout_mask_ratio_train must lie in [0, 1)".into());
        }
        Ok(cfg)
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_heads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"{"model_type":"esm","vocab_size":33,"hidden_size":64,"num_hidden_layers":2,
        "num_attention_heads":4,"intermediate_size":256,"position_embedding_type":"rotary"}"#;

    #[test]
    fn reads_sizes_and_defaults() {
        let cfg = EsmConfig::from_json(TINY).unwrap();
        assert_eq!(cfg.head_dim(), 16);
        assert_eq!(cfg.num_layers, 2);
        assert!(cfg.token_dropout);
        assert_eq!(cfg.layer_norm_eps, 1e-5);
    }

    #[test]
    fn refuses_absolute_positions_and_missing_keys() {
        let abs = TINY.replace("rotary", "absolute");
        assert!(EsmConfig::from_json(&abs).unwrap_err().contains("rotary"));
        let missing = TINY.replace("\"hidden_size\":64,", "");
        assert!(
            EsmConfig::from_json(&missing)
                .unwrap_err()
                .contains("hidden_size")
        );
    }
}
