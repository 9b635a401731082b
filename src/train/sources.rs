//! Adapters from the lower layers to the data set builder: crystal and AlphaFold complexes and
//! NESdb mutation columns → [`LabeledPeptide`]s, NESdb tables → [`NesCandidate`]s.

use serde::{Deserialize, Serialize};

use crate::labels::ResidueLabel;
use crate::nesdb::{NesEntry, NesTable};
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

/// The labelled peptide of one crystal complex; `protein` groups it for splits (default: the file
/// stem; peptides sharing an 8-residue stretch with an NESdb entry are grouped with it anyway).
pub fn structure_peptide(
    complex: &Complex,
    labels: &[ResidueLabel],
    protein: Option<&str>,
    binding: StructureBinding,
) -> LabeledPeptide {
    let name = complex.name().to_string();
    LabeledPeptide::new(
        &name,
        protein.unwrap_or(&name),
        LabelSource::Crystal,
        &labels.iter().map(|l| l.code).collect::<String>(),
        structure_binding(labels, binding),
        structure_pockets(labels),
        &format!(
            "{} chain {}",
            complex.structure.path.display(),
            labels.first().map_or("?", |l| l.chain.as_str())
        ),
    )
}

fn structure_binding(labels: &[ResidueLabel], binding: StructureBinding) -> Vec<bool> {
    labels
        .iter()
        .map(|l| match binding {
            StructureBinding::Pocket => l.pocket.is_some(),
            StructureBinding::Distance => l.binding,
        })
        .collect()
}

fn structure_pockets(labels: &[ResidueLabel]) -> Vec<Option<u8>> {
    labels
        .iter()
        .map(|l| l.pocket.map(|p| p.index() as u8))
        .collect()
}

/// How an AlphaFold peptide's mean pLDDT weighs its pocket labels: 0 below `min`, `floor` at
/// `min` rising linearly to 1 at `full` and above.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlddtWeighting {
    pub min: f32,
    pub full: f32,
    pub floor: f32,
}

impl Default for PlddtWeighting {
    /// SCIENCE.md §4: below pLDDT 50 only a small minority of models fill Φ1–Φ4 with four distinct
    /// residues, at ≥ 70 nearly all do.
    fn default() -> Self {
        Self {
            min: 50.0,
            full: 70.0,
            floor: 0.3,
        }
    }
}

impl PlddtWeighting {
    pub fn weight(&self, plddt: f32) -> f32 {
        if !plddt.is_finite() || plddt < self.min {
            0.0
        } else if plddt >= self.full || self.full <= self.min {
            1.0
        } else {
            self.floor + (1.0 - self.floor) * (plddt - self.min) / (self.full - self.min)
        }
    }
}

/// Mean pLDDT of a predicted peptide chain over its CA atoms (as AlphaFold reports it); NaN
/// without CA atoms.
pub fn peptide_plddt(complex: &Complex, labels: &[ResidueLabel]) -> f32 {
    let chain = complex.peptide_chain();
    let cas: Vec<f32> = labels
        .iter()
        .filter_map(|l| {
            chain
                .residues
                .get(l.residue_index)?
                .ca()
                .map(|a| a.b_factor)
        })
        .collect();
    if cas.is_empty() {
        f32::NAN
    } else {
        cas.iter().sum::<f32>() / cas.len() as f32
    }
}

/// Where a peptide lies in its NESdb entry: 0-based offset of the peptide in the full sequence.
fn locate(entry: &NesEntry, peptide: &str) -> Option<usize> {
    let full = entry.sequence.to_ascii_uppercase();
    let upper = peptide.to_ascii_uppercase();
    let at = full.find(&upper)?;
    // Unique placements only: a repeat would tie mutations to the wrong copy.
    full[at + 1..].find(&upper).is_none().then_some(at)
}

/// The peptide of one AlphaFold CRM1–NES model, labelled by pocket occupancy. With its NESdb
/// entry, residues outside every annotated NES range that fill no pocket are real negatives (weight
/// 1); every other label is weighted by the peptide's mean pLDDT; export-impairing single mutations
/// are kept for recall@k. Without an entry every label takes the pLDDT weight.
pub fn alphafold_peptide(
    complex: &Complex,
    labels: &[ResidueLabel],
    entry: Option<&NesEntry>,
    weighting: &PlddtWeighting,
) -> LabeledPeptide {
    let name = complex.name().to_string();
    let sequence: String = labels.iter().map(|l| l.code).collect();
    let plddt = peptide_plddt(complex, labels);
    let w = weighting.weight(plddt);
    let n = labels.len();
    let offset = entry.and_then(|e| locate(e, &sequence));
    let in_nes: Vec<bool> = match (entry, offset) {
        (Some(e), Some(off)) => {
            let signals = e.signal_ranges();
            (0..n)
                .map(|i| {
                    let pos = off + i + 1;
                    signals.iter().any(|&(s, t)| (s..=t).contains(&pos))
                })
                .collect()
        }
        _ => vec![true; n],
    };
    let pocket = structure_pockets(labels);
    let weights: Vec<f32> = (0..n)
        .map(|i| {
            if !in_nes[i] && pocket[i].is_none() {
                1.0
            } else {
                w
            }
        })
        .collect();
    let mutations = match (entry, offset) {
        (Some(e), Some(off)) => e
            .mutated_residues_in_nes()
            .into_iter()
            .filter(|&p| p > off && p <= off + n)
            .map(|p| p - off - 1)
            .collect(),
        _ => Vec::new(),
    };
    let protein = entry.map_or_else(|| name.clone(), entry_protein);
    let mut row = LabeledPeptide::new(
        &name,
        &protein,
        LabelSource::Alphafold,
        &sequence,
        structure_binding(labels, StructureBinding::Pocket),
        pocket,
        &format!(
            "{}; NESdb {}; peptide mean pLDDT {:.1}",
            complex.structure.path.display(),
            entry.map_or("not found".to_string(), |e| format!(
                "{} ({})",
                e.id, e.protein
            )),
            plddt
        ),
    );
    row.binding_weight = weights.clone();
    row.pocket_weight = weights;
    row.plddt = plddt.is_finite().then_some(plddt);
    row.mutations = mutations;
    row
}

/// A copy of `row` cut to its labelled pockets ± `margin` residues: a bare NES like the crystal
/// excerpts, so the model also learns registers without the flanks of a 20-mer. Rows whose
/// labels fill fewer than four pockets (or have no weight there) give none.
pub fn core_crop(row: &LabeledPeptide, margin: usize) -> Option<LabeledPeptide> {
    let filled: Vec<usize> = (0..row.pocket.len())
        .filter(|&i| row.pocket[i].is_some() && row.pocket_weight[i] > 0.0)
        .collect();
    if filled.len() < 4 {
        return None;
    }
    let lo = filled[0].saturating_sub(margin);
    let hi = (filled[filled.len() - 1] + margin + 1).min(row.pocket.len());
    if lo == 0 && hi == row.pocket.len() {
        return None;
    }
    let residues: Vec<char> = row.sequence.chars().collect();
    let mut crop = row.clone();
    crop.id = format!("{}:core", row.id);
    crop.sequence = residues[lo..hi].iter().collect();
    crop.binding = row.binding[lo..hi].to_vec();
    crop.pocket = row.pocket[lo..hi].to_vec();
    crop.binding_weight = row.binding_weight[lo..hi].to_vec();
    crop.pocket_weight = row.pocket_weight[lo..hi].to_vec();
    crop.mutations = row
        .mutations
        .iter()
        .filter(|&&m| (lo..hi).contains(&m))
        .map(|m| m - lo)
        .collect();
    crop.crop = true;
    crop.note = format!("{}; cut to residues {}–{}", row.note, lo + 1, hi);
    Some(crop)
}

/// A copy of `row` read backwards, labels kept on their residues, every weight times `weight`:
/// a forward register becomes a reverse one and back. Reverse ("minus") NESs bind the same five
/// pockets with the chain running C→N (Fung et al. 2015, 5DHF/5DIF), yet only a few of the
/// AlphaFold registers are reverse, so without such copies the pocket head learns that Φ1 lies
/// N-terminal of Φ4. Rows whose labels fill fewer than four pockets (or have no weight there) give
/// none.
pub fn mirrored(row: &LabeledPeptide, weight: f32) -> Option<LabeledPeptide> {
    let filled = (0..row.pocket.len())
        .filter(|&i| row.pocket[i].is_some() && row.pocket_weight[i] > 0.0)
        .count();
    if filled < 4 || weight <= 0.0 {
        return None;
    }
    let n = row.pocket.len();
    let reversed = |v: &[f32]| v.iter().rev().map(|w| w * weight).collect::<Vec<f32>>();
    let mut out = row.clone();
    out.id = format!("{}:mirrored", row.id);
    out.sequence = row.sequence.chars().rev().collect();
    out.binding = row.binding.iter().rev().copied().collect();
    out.pocket = row.pocket.iter().rev().copied().collect();
    out.binding_weight = reversed(&row.binding_weight);
    out.pocket_weight = reversed(&row.pocket_weight);
    out.mutations = row.mutations.iter().map(|m| n - 1 - m).collect();
    out.mirrored = true;
    out.note = format!("{}; read backwards (synthetic reverse copy)", row.note);
    Some(out)
}

fn entry_protein(e: &NesEntry) -> String {
    e.uniprot.clone().unwrap_or_else(|| e.protein.clone())
}

/// Residues of protein context kept on each side of an NES range for a mutation row without a
/// modelled peptide (the models' 20-mers carry about this much).
pub const MUTATION_FLANK: usize = 4;

/// One row per NES range that holds export-impairing single-residue mutations: the mutated
/// residues are binding positives (weight 1); every other label is unknown (weight 0), pockets
/// included. The window is the entry's modelled peptide when it covers the range's mutations (so
/// the row lines up with its AlphaFold model), else the range with [`MUTATION_FLANK`] residues.
pub fn mutation_peptides(table: &NesTable) -> Vec<LabeledPeptide> {
    let mut out = Vec::new();
    for e in &table.entries {
        let mutated = e.mutated_residues_in_nes();
        let full: Vec<char> = e.sequence.to_ascii_uppercase().chars().collect();
        for (start, end) in e.signal_ranges() {
            let here: Vec<usize> = mutated
                .iter()
                .copied()
                .filter(|p| (start..=end).contains(p))
                .collect();
            if here.is_empty() {
                continue;
            }
            let model_window = e
                .model
                .as_ref()
                .and_then(|m| locate(e, &m.peptide).map(|off| (off, m.peptide.chars().count())))
                .filter(|(off, len)| here.iter().all(|p| *p > *off && *p <= off + len));
            let (lo, len) = model_window.unwrap_or_else(|| {
                let lo = (start - 1).saturating_sub(MUTATION_FLANK);
                let hi = (end + MUTATION_FLANK).min(full.len());
                (lo, hi - lo)
            });
            let window: String = full[lo..lo + len].iter().collect();
            let positions: Vec<usize> = here.iter().map(|p| p - lo - 1).collect();
            let binding: Vec<bool> = (0..len).map(|i| positions.contains(&i)).collect();
            let mut row = LabeledPeptide::new(
                &format!("{}:{start}-{end}:mutations", e.id),
                &entry_protein(e),
                LabelSource::Mutation,
                &window,
                binding.clone(),
                vec![None; len],
                &format!(
                    "NESdb {} ({}): export-impairing mutations at {}",
                    e.id,
                    e.protein,
                    here.iter()
                        .map(|p| format!("{}{p}", full[p - 1]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            row.binding_weight = binding.iter().map(|b| f32::from(u8::from(*b))).collect();
            row.pocket_weight = vec![0.0; len];
            row.mutations = positions;
            out.push(row);
        }
    }
    out
}

/// NESdb entries by the key of their AlphaFold model file ([`crate::nesdb::model_key`]).
pub fn entries_by_model(tables: &[NesTable]) -> std::collections::HashMap<String, &NesEntry> {
    let mut out = std::collections::HashMap::new();
    for t in tables {
        for e in &t.entries {
            if let Some(m) = &e.model {
                out.entry(m.key()).or_insert(e);
            }
        }
    }
    out
}

/// One candidate per annotated NES range; ids are `<entry id>:<start>-<end>`, proteins the UniProt
/// accession when known, else the protein name.
pub fn nes_candidates(table: &NesTable, flank: usize) -> Vec<NesCandidate> {
    table
        .entries
        .iter()
        .flat_map(|e| {
            let protein = entry_protein(e);
            // The export signals, not the course table's "All ranges" (which lists mutations too).
            e.signal_ranges().into_iter().map(move |(start, end)| {
                let peptide: String = e
                    .sequence
                    .chars()
                    .skip(start - 1)
                    .take(end + 1 - start)
                    .collect();
                NesCandidate::from_range(
                    &format!("{}:{start}-{end}", e.id),
                    &protein,
                    &e.sequence,
                    start,
                    end,
                    &peptide,
                    flank,
                )
            })
        })
        .collect()
}
