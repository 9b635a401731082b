//! Adapters from the lower layers to the data set builder: structure labels → [`LabeledPeptide`],
//! NESdb tables → [`NesCandidate`]s.

use crate::labels::ResidueLabel;
use crate::nesdb::NesTable;
use crate::structure::Complex;

use super::dataset::{LabelSource, LabeledPeptide, NesCandidate};

/// What "binding" means for a structure row.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
pub enum StructureBinding {
    /// The residue's side chain occupies a pocket (Φ0–Φ4): the same definition as pattern rows,
    /// so one binding head serves both sources.
    Pocket,
    /// Within the distance cut-off of a pocket-lining residue (`nesbind label`'s binding column);
    /// in the short crystal peptides most residues pass (44 of 59 at 4 Å heavy-atom, 47 at 8 Å CA).
    Distance,
}

/// The labelled peptide of one complex; `protein` groups it for splits (default: the file stem).
pub fn structure_peptide(
    complex: &Complex,
    labels: &[ResidueLabel],
    protein: Option<&str>,
    binding: StructureBinding,
) -> LabeledPeptide {
    let name = complex.name().to_string();
    LabeledPeptide {
        id: name.clone(),
        protein: protein.map_or_else(|| name.clone(), str::to_string),
        source: LabelSource::Structure,
        sequence: labels.iter().map(|l| l.code).collect(),
        binding: labels
            .iter()
            .map(|l| match binding {
                StructureBinding::Pocket => l.pocket.is_some(),
                StructureBinding::Distance => l.binding,
            })
            .collect(),
        pocket: labels
            .iter()
            .map(|l| l.pocket.map(|p| p.index() as u8))
            .collect(),
        note: format!(
            "{} chain {}",
            complex.structure.path.display(),
            labels.first().map_or("?", |l| l.chain.as_str())
        ),
    }
}

/// One candidate per annotated NES range; ids are `<entry id>:<start>-<end>`, proteins the UniProt
/// accession when known, else the protein name.
pub fn nes_candidates(table: &NesTable, flank: usize) -> Vec<NesCandidate> {
    table
        .entries
        .iter()
        .flat_map(|e| {
            let protein = e.uniprot.clone().unwrap_or_else(|| e.protein.clone());
            e.nes.iter().map(move |r| {
                NesCandidate::from_range(
                    &format!("{}:{}-{}", e.id, r.start, r.end),
                    &protein,
                    &e.sequence,
                    r.start,
                    r.end,
                    &r.peptide,
                    flank,
                )
            })
        })
        .collect()
}
