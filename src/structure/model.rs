use glam::Vec3;
use serde::{Deserialize, Serialize};

/// One heavy (or hydrogen) atom of the first model, first alternate location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Atom {
    pub name: String,
    pub element: String,
    pub pos: Vec3,
    /// B-factor column; in AlphaFold models this is pLDDT (0–100).
    pub b_factor: f32,
    pub hetero: bool,
}

impl Atom {
    /// Main-chain atom (N, CA, C, O, terminal OXT): what a side chain is not.
    pub fn is_backbone(&self) -> bool {
        matches!(self.name.as_str(), "N" | "CA" | "C" | "O" | "OXT")
    }

    pub fn is_hydrogen(&self) -> bool {
        self.element.eq_ignore_ascii_case("H") || self.element.eq_ignore_ascii_case("D")
    }
}

/// A residue as numbered in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residue {
    pub number: i32,
    pub insertion_code: Option<String>,
    /// Three-letter name as in the file, e.g. "LEU".
    pub name: String,
    /// One-letter code; 'X' for anything that is not a standard amino acid.
    pub code: char,
    pub atoms: Vec<Atom>,
}

impl Residue {
    pub fn atom(&self, name: &str) -> Option<&Atom> {
        self.atoms.iter().find(|a| a.name == name)
    }
    pub fn ca(&self) -> Option<&Atom> {
        self.atom("CA")
    }
    pub fn heavy_atoms(&self) -> impl Iterator<Item = &Atom> {
        self.atoms.iter().filter(|a| !a.is_hydrogen())
    }
    /// Residue number with insertion code, as a user reads it ("76", "52A").
    pub fn label(&self) -> String {
        match &self.insertion_code {
            Some(ic) => format!("{}{}", self.number, ic),
            None => self.number.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChainRole {
    /// CRM1 / XPO1, the export receptor.
    Receptor,
    /// The NES peptide.
    Peptide,
    /// Ran, RanBP1, anything else: shown, not labelled.
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// Author chain id (`auth_asym_id` in mmCIF, column 22 in PDB).
    pub id: String,
    pub residues: Vec<Residue>,
}

impl Chain {
    /// Amino-acid residues only (waters and ligands dropped), as one-letter sequence.
    pub fn sequence(&self) -> String {
        self.polymer().map(|r| r.code).collect()
    }
    /// Residues that belong to the polypeptide (have a CA or are standard amino acids).
    pub fn polymer(&self) -> impl Iterator<Item = &Residue> {
        self.residues
            .iter()
            .filter(|r| r.code != 'X' || r.ca().is_some())
    }
    pub fn polymer_len(&self) -> usize {
        self.polymer().count()
    }
}

/// Everything read from one file (first model only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    /// File stem, e.g. "3NBY_groove_excerpt".
    pub name: String,
    pub path: std::path::PathBuf,
    pub chains: Vec<Chain>,
    /// True when the B-factor column holds pLDDT (AlphaFold / predicted model).
    pub is_predicted: bool,
    /// Non-fatal remarks from the reader (pdbtbx warnings), for the log.
    pub warnings: Vec<String>,
}

impl Structure {
    pub fn chain(&self, id: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.id == id)
    }
    pub fn atom_count(&self) -> usize {
        self.chains
            .iter()
            .flat_map(|c| &c.residues)
            .map(|r| r.atoms.len())
            .sum()
    }
}
