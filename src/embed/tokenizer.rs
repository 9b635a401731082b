//! Peptide → token ids with the model's own `tokenizer.json` (Hugging Face `tokenizers`).
//!
//! ESM-2 has one token per residue plus `<cls>` … `<eos>`. Before the tokenizer sees a sequence it
//! is cleaned here, so that what reaches the model is predictable: whitespace is dropped, letters are
//! upper-cased, `<mask>`/`<unk>` are kept as tokens, a letter outside the vocabulary (e.g. `J`)
//! becomes `<unk>` with a warning (as in fair-esm and transformers), and anything else (digits,
//! `*`, stray punctuation) is an error naming the character.

use std::path::Path;

use tokenizers::Tokenizer;

use super::error::EmbedError;

/// Special tokens a user may write inside a sequence.
const INLINE_SPECIALS: [&str; 2] = ["<mask>", "<unk>"];

pub struct EsmTokenizer {
    inner: Tokenizer,
    cls: u32,
    eos: u32,
    pad: u32,
    unk: u32,
}

/// One tokenised peptide.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    /// Ids including `<cls>` first and `<eos>` last.
    pub ids: Vec<u32>,
    /// Cleaned sequence (upper case, no whitespace): the cache key.
    pub normalized: String,
    /// Unknown letters replaced by `<unk>`, one message each.
    pub warnings: Vec<String>,
}

impl Tokens {
    pub fn residues(&self) -> usize {
        self.ids.len() - 2
    }
}

impl EsmTokenizer {
    /// Reads `tokenizer.json` from the model folder; official Hugging Face ESM-2 folders ship only a
    /// `vocab.txt`, from which the same WordLevel tokenizer is built.
    pub fn from_dir(dir: &Path) -> Result<Self, EmbedError> {
        let json_path = dir.join("tokenizer.json");
        let vocab_path = dir.join("vocab.txt");
        let (inner, path) = if json_path.exists() {
            let t = Tokenizer::from_file(&json_path).map_err(|e| EmbedError::Tokenizer {
                path: json_path.clone(),
                message: e.to_string(),
            })?;
            (t, json_path)
        } else if vocab_path.exists() {
            let text =
                std::fs::read_to_string(&vocab_path).map_err(|e| EmbedError::io(&vocab_path, e))?;
            let json =
                tokenizer_json_from_vocab(&text).map_err(|message| EmbedError::Tokenizer {
                    path: vocab_path.clone(),
                    message,
                })?;
            let t = Tokenizer::from_bytes(json.as_bytes()).map_err(|e| EmbedError::Tokenizer {
                path: vocab_path.clone(),
                message: e.to_string(),
            })?;
            (t, vocab_path)
        } else {
            return Err(EmbedError::Tokenizer {
                path: json_path,
                message: "missing (neither tokenizer.json nor vocab.txt is in the model folder)"
                    .into(),
            });
        };
        let id = |tok: &str| {
            inner.token_to_id(tok).ok_or_else(|| EmbedError::Tokenizer {
                path: path.clone(),
                message: format!("the vocabulary has no {tok} token"),
            })
        };
        let (cls, eos, pad, unk) = (id("<cls>")?, id("<eos>")?, id("<pad>")?, id("<unk>")?);
        let tok = EsmTokenizer {
            inner,
            cls,
            eos,
            pad,
            unk,
        };
        // A tokenizer.json without the `<cls> $A <eos>` template would silently drop them.
        let probe = tok
            .encode_checked("A")
            .map_err(|message| EmbedError::Tokenizer {
                path: path.clone(),
                message,
            })?;
        if probe.ids.len() != 3 {
            return Err(EmbedError::Tokenizer {
                path,
                message: "does not tokenise one residue per token".into(),
            });
        }
        Ok(tok)
    }

    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    pub fn unk_id(&self) -> u32 {
        self.unk
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Cleans and tokenises sequence number `index` (the index only names it in messages).
    pub fn encode(&self, index: usize, sequence: &str) -> Result<Tokens, EmbedError> {
        let bad = |message: String| EmbedError::BadSequence {
            index,
            sequence: sequence.to_string(),
            message,
        };
        let (normalized, warnings) = self.normalize(sequence).map_err(bad)?;
        if normalized.is_empty() {
            return Err(EmbedError::EmptySequence { index });
        }
        let mut tokens = self.encode_checked(&normalized).map_err(bad)?;
        tokens.warnings = warnings
            .into_iter()
            .map(|w| format!("sequence {index} ({sequence:?}): {w}"))
            .collect();
        Ok(tokens)
    }

    fn encode_checked(&self, normalized: &str) -> Result<Tokens, String> {
        let enc = self
            .inner
            .encode(normalized, true)
            .map_err(|e| format!("tokenizer failed: {e}"))?;
        let ids = enc.get_ids().to_vec();
        if ids.len() < 3 || ids[0] != self.cls || ids[ids.len() - 1] != self.eos {
            return Err("the tokenizer did not add <cls> … <eos> around the sequence".into());
        }
        Ok(Tokens {
            ids,
            normalized: normalized.to_string(),
            warnings: Vec::new(),
        })
    }

    fn normalize(&self, sequence: &str) -> Result<(String, Vec<String>), String> {
        let mut out = String::with_capacity(sequence.len());
        let mut warnings = Vec::new();
        let mut residue = 0usize;
        let mut rest = sequence;
        while let Some(c) = rest.chars().next() {
            if c.is_whitespace() {
                rest = &rest[c.len_utf8()..];
                continue;
            }
            residue += 1;
            if c == '<' {
                let special = INLINE_SPECIALS.iter().find(|s| {
                    rest.get(..s.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(s))
                });
                match special {
                    Some(s) => {
                        out.push_str(s);
                        rest = &rest[s.len()..];
                        continue;
                    }
                    None => {
                        return Err(format!(
                            "`<` at residue {residue} does not start <mask> or <unk>"
                        ));
                    }
                }
            }
            let upper = c.to_ascii_uppercase();
            let known = self
                .inner
                .token_to_id(upper.encode_utf8(&mut [0; 4]))
                .is_some();
            if known {
                out.push(upper);
            } else if c.is_alphabetic() {
                warnings.push(format!(
                    "`{c}` at residue {residue} is not in the ESM-2 vocabulary; embedded as <unk>"
                ));
                out.push_str("<unk>");
            } else {
                return Err(format!(
                    "`{c}` at residue {residue} is not an amino-acid letter"
                ));
            }
            rest = &rest[c.len_utf8()..];
        }
        Ok((out, warnings))
    }
}

/// The `tokenizer.json` that `make_tokenizer.py` writes, for a vocabulary given as `vocab.txt`
/// (one token per line, id = line number).
fn tokenizer_json_from_vocab(text: &str) -> Result<String, String> {
    let tokens: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let mut vocab = serde_json::Map::new();
    for (i, t) in tokens.iter().enumerate() {
        vocab.insert((*t).to_string(), serde_json::Value::from(i));
    }
    for needed in ["<cls>", "<pad>", "<eos>", "<unk>", "<mask>"] {
        if !vocab.contains_key(needed) {
            return Err(format!("vocab.txt has no {needed} token"));
        }
    }
    let added: Vec<serde_json::Value> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.starts_with('<') && t.ends_with('>'))
        .map(|(i, t)| {
            serde_json::json!({"id": i, "content": t, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": !t.starts_with("<null")})
        })
        .collect();
    let id = |t: &str| vocab.get(t).cloned().unwrap_or_default();
    let json = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Split", "pattern": {"Regex": "."}, "behavior": "Isolated", "invert": false}
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<cls>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "<eos>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<cls>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<eos>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "<eos>", "type_id": 1}}],
            "special_tokens": {
                "<cls>": {"id": "<cls>", "ids": [id("<cls>")], "tokens": ["<cls>"]},
                "<eos>": {"id": "<eos>", "ids": [id("<eos>")], "tokens": ["<eos>"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    });
    Ok(json.to_string())
}
