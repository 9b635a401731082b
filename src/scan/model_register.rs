//! The peptide model's register for each scan candidate. The window ranker says *where* an NES is;
//! which residue sits in which pocket is what the peptide BiLSTM was trained for (AlphaFold complexes
//! and export mutations, decoded to one consistent register), and in cross-validation it placed more
//! pocket residues of AlphaFold peptides than the consensus rule. Each candidate is cut out with a few
//! residues of protein context on each side, embedded as a peptide — the kind of input the BiLSTM
//! learnt from (NESdb 20-mers with flanks) — and decoded, as a second opinion beside the consensus
//! register.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compute::ComputeDevice;
use crate::train::dataset::ResidueEmbedder;
use crate::train::esm::EsmResidueEmbedder;
use crate::train::patterns::{Orientation, PatternMatch};
use crate::train::predict::Predictor;
use crate::train::register::decode;

/// Residues of protein context kept on each side of a candidate (the peptide model learnt from
/// 20-mers of this kind: an NES with a few residues each side).
pub const PEPTIDE_FLANK: usize = 5;

/// The stretch of the protein (0-based, end exclusive) that the peptide model reads for a candidate.
pub fn peptide_context(span: &Range<usize>, protein_len: usize) -> Range<usize> {
    span.start.saturating_sub(PEPTIDE_FLANK)..(span.end + PEPTIDE_FLANK).min(protein_len)
}

/// The peptide model's most probable consistent register for one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRegister {
    pub orientation: Orientation,
    /// 0-based positions in the protein of the residues in Φ0..Φ4 (Φ0 optional).
    pub positions: [Option<usize>; 5],
    /// Probability among all consistent registers of the context peptide.
    pub probability: f64,
    /// The stretch read (0-based, end exclusive).
    pub context: Range<usize>,
}

/// How the peptide model's register compares with the consensus register of the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// Same orientation, same residues in Φ0–Φ4.
    Same,
    /// Same orientation and Φ1–Φ4; Φ0 differs (it is optional and the least certain pocket).
    SameCore,
    Differs,
}

impl Agreement {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Same => "the same",
            Self::SameCore => "the same Φ1–Φ4",
            Self::Differs => "differs",
        }
    }
}

impl ModelRegister {
    pub fn agreement(&self, consensus: &PatternMatch) -> Agreement {
        if self.orientation != consensus.orientation
            || self.positions[1..] != consensus.positions[1..]
        {
            Agreement::Differs
        } else if self.positions[0] == consensus.positions[0] {
            Agreement::Same
        } else {
            Agreement::SameCore
        }
    }
}

/// A trained peptide model ready to decode scan candidates.
pub struct PeptideRegisters {
    predictor: Predictor,
}

impl PeptideRegisters {
    /// Loads the checkpoint in `dir` (a `nesbind train` output).
    pub fn load(dir: &Path, device: &ComputeDevice) -> Result<Self, String> {
        let predictor = Predictor::load(dir, &device.device)
            .map_err(|e| format!("loading the peptide model in {}: {e}", dir.display()))?;
        Ok(Self { predictor })
    }

    /// The bundled peptide model.
    pub fn bundled(device: &ComputeDevice) -> Result<Self, String> {
        let dir = crate::train::checkpoint::default_checkpoint_dir().map_err(|e| e.to_string())?;
        Self::load(&dir, device)
    }

    /// The register of each span of `sequence`; `None` where no consistent register fits. The
    /// embedder must run the ESM-2 weights the model was trained on; its layer and sequence channels
    /// are set to the model's for the call and restored after.
    pub fn decode(
        &self,
        embedder: &mut EsmResidueEmbedder,
        sequence: &str,
        spans: &[Range<usize>],
    ) -> Result<Vec<Option<ModelRegister>>, String> {
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let want = &self.predictor.checkpoint.info.embedding;
        let have = embedder.info();
        if have.hash != want.hash {
            return Err(format!(
                "the peptide model was trained on embeddings of {} (sha256 {}), the scan runs {} (sha256 {})",
                want.model, want.hash, have.model, have.hash
            ));
        }
        let residues: Vec<char> = sequence.chars().collect();
        let contexts: Vec<Range<usize>> = spans
            .iter()
            .map(|s| peptide_context(s, residues.len()))
            .collect();
        let peptides: Vec<String> = contexts
            .iter()
            .map(|c| residues.get(c.clone()).unwrap_or_default().iter().collect())
            .collect();
        let saved = (embedder.layer, embedder.channels);
        embedder.layer = want.layer;
        embedder.channels = want.channels();
        let features = embedder.embed(&peptides);
        (embedder.layer, embedder.channels) = saved;
        let features = features.map_err(|e| format!("embedding the candidates: {e}"))?;
        let bounds = self.predictor.checkpoint.info.register;
        let mut out = Vec::with_capacity(spans.len());
        for ((context, peptide), rows) in contexts.into_iter().zip(&peptides).zip(&features) {
            let output = self
                .predictor
                .outputs(peptide, rows)
                .map_err(|e| format!("peptide model on {peptide}: {e}"))?;
            out.push(decode(&output.pocket, &bounds).best.map(|r| ModelRegister {
                orientation: r.orientation,
                positions: r.positions.map(|p| p.map(|p| p + context.start)),
                probability: r.probability,
                context,
            }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_keeps_five_residues_each_side_within_the_protein() {
        assert_eq!(peptide_context(&(10..20), 100), 5..25);
        assert_eq!(peptide_context(&(2..12), 14), 0..14);
    }

    #[test]
    fn agreement_with_the_consensus_register_sets_phi0_apart() {
        let consensus = crate::train::patterns::best_register_in_peptide("LALKLAGLDI").unwrap();
        let mut r = ModelRegister {
            orientation: consensus.orientation,
            positions: consensus.positions,
            probability: 0.5,
            context: 0..10,
        };
        assert_eq!(r.agreement(&consensus), Agreement::Same);
        r.positions[0] = Some(9);
        assert_eq!(r.agreement(&consensus), Agreement::SameCore);
        r.positions[2] = Some(3);
        assert_eq!(r.agreement(&consensus), Agreement::Differs);
        r.positions = consensus.positions;
        r.orientation = Orientation::Reverse;
        assert_eq!(r.agreement(&consensus), Agreement::Differs);
    }
}
