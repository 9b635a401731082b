//! Per-residue labels of the NES peptide: binding (distance to pocket-lining residues) and pocket
//! occupancy (whose side chain sits in which of Φ0–Φ4). Pure functions of a [`Complex`].

mod csv_out;
mod distances;
mod occupancy;

use serde::{Deserialize, Serialize};

use crate::structure::{Complex, Pocket};

pub use csv_out::{CSV_HEADER, csv_field, write_csv};
pub use occupancy::{OCCUPANCY_CONTACT, OCCUPANCY_MIN_SCORE, contact_scores};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum DistanceMode {
    /// CA–CA distance (the original pipeline's definition).
    Ca,
    /// Any heavy atom to any heavy atom (the usual contact definition).
    Heavy,
}

impl DistanceMode {
    /// 4 Å between CA atoms almost never occurs across an interface: CA contacts use 8 Å.
    pub fn default_cutoff(self) -> f32 {
        match self {
            DistanceMode::Ca => 8.0,
            DistanceMode::Heavy => 4.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelSettings {
    pub mode: DistanceMode,
    /// Å; a residue binds when its distance to a pocket-lining residue is at most this.
    pub cutoff: f32,
}

impl LabelSettings {
    pub fn new(mode: DistanceMode, cutoff: Option<f32>) -> Self {
        Self {
            mode,
            cutoff: cutoff.unwrap_or(mode.default_cutoff()),
        }
    }
}

impl Default for LabelSettings {
    fn default() -> Self {
        Self::new(DistanceMode::Ca, None)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidueLabel {
    /// Index into the peptide chain's `residues`.
    pub residue_index: usize,
    pub chain: String,
    pub resnum: i32,
    pub insertion_code: Option<String>,
    pub resname: String,
    pub code: char,
    pub binding: bool,
    /// The pocket this residue's side chain occupies (at most one residue per pocket).
    pub pocket: Option<Pocket>,
    /// Å, in the chosen mode, to the closest pocket-lining residue (infinite if none is in the file).
    pub min_distance: f32,
    pub nearest_pocket: Option<Pocket>,
}

/// Labels every amino-acid residue of the peptide chain.
pub fn label_complex(complex: &Complex, settings: &LabelSettings) -> Vec<ResidueLabel> {
    let peptide = complex.peptide_chain();
    let nearest = distances::nearest_pockets(complex, settings.mode);
    let occupied = occupancy::assign_pockets(complex);
    peptide
        .residues
        .iter()
        .enumerate()
        .filter(|(_, r)| r.code != 'X')
        .map(|(i, r)| {
            let (min_distance, nearest_pocket) =
                nearest.get(&i).copied().unwrap_or((f32::INFINITY, None));
            ResidueLabel {
                residue_index: i,
                chain: peptide.id.clone(),
                resnum: r.number,
                insertion_code: r.insertion_code.clone(),
                resname: r.name.clone(),
                code: r.code,
                binding: min_distance <= settings.cutoff,
                pocket: occupied.get(&i).copied(),
                min_distance,
                nearest_pocket,
            }
        })
        .collect()
}

/// The Φ register as a user reads it: "Phi1=LEU4 Phi2=LEU8 …".
pub fn register_string(labels: &[ResidueLabel]) -> String {
    let mut by_pocket: Vec<&ResidueLabel> = labels.iter().filter(|l| l.pocket.is_some()).collect();
    by_pocket.sort_by_key(|l| l.pocket);
    by_pocket
        .iter()
        .filter_map(|l| l.pocket.map(|p| format!("{p}={}{}", l.resname, l.resnum)))
        .collect::<Vec<_>>()
        .join(" ")
}
