//! Whole-protein NES scan: from a protein sequence to its NES candidates, their Φ registers and the
//! residues to mutate. ESM-2 sees the whole protein (in overlapping windows past 1,022 residues), a
//! residue model gives P(NES) along it, every consensus-class window is ranked by a window model,
//! and the peptide BiLSTM decodes the register of each place shown.

pub mod candidates;
pub mod choice_fit;
pub mod evaluate;
pub mod model;
pub mod model_register;
pub mod ranker;
pub mod tagger;
pub mod windows;

pub use candidates::{
    Candidate, ClassPrior, Mutant, candidates, candidates_with_prior, distinct, mutants,
};
pub use evaluate::{ScanReport, ScanTruth, evaluate_scan, scan_summary};
pub use model::{ScanModel, ScanProtein};
pub use model_register::{
    Agreement, ModelRegister, PEPTIDE_FLANK, PeptideRegisters, peptide_context,
};
pub use ranker::WindowRanker;
pub use tagger::{ScanTagger, TaggerSettings};
pub use windows::{ESM_MAX_RESIDUES, WindowPlan, embed_windowed};

/// The scan model that ships with nesbind (`assets/models/nesbind_scan_default`).
pub fn bundled_model_dir() -> std::path::PathBuf {
    crate::assets_dir().join("models/nesbind_scan_default")
}

/// What the scan says about one protein.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProteinScan {
    pub name: String,
    pub sequence: String,
    /// P(NES) per residue.
    pub probabilities: Vec<f32>,
    /// The best non-overlapping candidates scoring at least the threshold, best first.
    pub candidates: Vec<Candidate>,
    pub threshold: f32,
}

impl ProteinScan {
    /// Scans one protein from its whole-protein feature rows.
    pub fn from_features(
        name: &str,
        sequence: &str,
        features: &[Vec<f32>],
        model: &ScanModel,
        top: usize,
        threshold: f32,
    ) -> Result<Self, String> {
        let probabilities = model.residue_probabilities(features)?;
        let ranked: Vec<Candidate> = model
            .candidates(sequence, &probabilities)
            .into_iter()
            .filter(|c| c.score >= threshold)
            .collect();
        Ok(Self {
            name: name.to_string(),
            sequence: sequence.to_string(),
            candidates: distinct(&ranked, top),
            probabilities,
            threshold,
        })
    }

    /// Each candidate with the peptide model's register.
    pub fn with_model_registers(
        mut self,
        model: &PeptideRegisters,
        embedder: &mut crate::train::esm::EsmResidueEmbedder,
    ) -> Result<Self, String> {
        let spans: Vec<_> = self.candidates.iter().map(|c| c.span.clone()).collect();
        let registers = model.decode(embedder, &self.sequence, &spans)?;
        for (c, r) in self.candidates.iter_mut().zip(registers) {
            c.model_register = r;
        }
        Ok(self)
    }

    /// The residues of a candidate.
    pub fn peptide(&self, c: &Candidate) -> String {
        self.sequence
            .chars()
            .skip(c.span.start)
            .take(c.span.len())
            .collect()
    }

    pub fn mutants(&self, c: &Candidate) -> Vec<Mutant> {
        mutants(&self.sequence, c, &self.probabilities)
    }
}
