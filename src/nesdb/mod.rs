//! NES data sets: NESdb exports and the tables derived from them (see assets/nes/README.md).
//!
//! Three layouts are recognised by their header: the combined NESdb table (`NESdb_ID, uniprotID,
//! name, true_sequence, start, end, Sequence`), the course table (`ID, …, Organism, …, Sequence,
//! All ranges`) and the positive-sequence table (`name, species, uniprotID, start#, NES sequence,
//! full sequence`). A malformed row is skipped with its line number; it never stops the load.

mod layouts;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NesRange {
    /// 1-based, inclusive, on the full protein sequence.
    pub start: usize,
    pub end: usize,
    pub peptide: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NesEntry {
    pub id: String,
    pub protein: String,
    pub uniprot: Option<String>,
    pub organism: Option<String>,
    /// Full protein sequence.
    pub sequence: String,
    pub nes: Vec<NesRange>,
    /// CSV line the entry came from.
    pub line: usize,
    /// Residue ranges (1-based, inclusive) whose mutation impaired nuclear export or CRM1 binding
    /// (course table columns "Mutations That Affect …"); empty in the other layouts.
    #[serde(default)]
    pub mutations: Vec<(usize, usize)>,
    /// The functional export signals alone (course table column "Functional Export Signals"; its
    /// `nes` ranges come from "All ranges", which also lists the mutation ranges). Empty elsewhere.
    #[serde(default)]
    pub signals: Vec<(usize, usize)>,
    /// The AlphaFold model made for this entry (course table): file key and modelled peptide.
    #[serde(default)]
    pub model: Option<ModelRef>,
}

/// Which AlphaFold complex belongs to an entry: files are named `pos_<CRM1>_<peptide>_al.pdb.gz`
/// after the first four hex digits of the table's `CRM1_hash` and `Peptide_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub crm1_hash: String,
    pub peptide_hash: String,
    /// The peptide chain of the model (`Peptide_sequence`).
    pub peptide: String,
}

impl ModelRef {
    /// `"<CRM1>_<peptide>"`, upper-case, as in the model file names.
    pub fn key(&self) -> String {
        model_key(&self.crm1_hash, &self.peptide_hash)
    }
}

/// The key of a model file name such as `pos_0B63_33E1_al.pdb.gz`, upper-case.
pub fn model_key(crm1_hash: &str, peptide_hash: &str) -> String {
    let four = |h: &str| h.chars().take(4).collect::<String>().to_ascii_uppercase();
    format!("{}_{}", four(crm1_hash), four(peptide_hash))
}

/// The model key of an AlphaFold complex file name (`pos_XXXX_YYYY…`), if it has one.
pub fn model_key_of_file(name: &str) -> Option<String> {
    let mut parts = name.split('_');
    let (Some(_), Some(a), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let hex = |h: &str| h.len() == 4 && h.chars().all(|c| c.is_ascii_hexdigit());
    (hex(a) && hex(b)).then(|| model_key(a, b))
}

impl NesEntry {
    /// The export signal ranges (1-based, inclusive): the functional signals where the table has
    /// them, else the NES ranges.
    pub fn signal_ranges(&self) -> Vec<(usize, usize)> {
        if self.signals.is_empty() {
            self.nes.iter().map(|r| (r.start, r.end)).collect()
        } else {
            self.signals.clone()
        }
    }

    /// Single residues (1-based) whose mutation impaired export, inside one of the signal ranges.
    pub fn mutated_residues_in_nes(&self) -> Vec<usize> {
        let signals = self.signal_ranges();
        let mut out: Vec<usize> = self
            .mutations
            .iter()
            .filter(|(a, b)| a == b)
            .map(|(a, _)| *a)
            .filter(|p| signals.iter().any(|(s, e)| (s..=e).contains(&p)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NesTable {
    pub path: PathBuf,
    pub layout: String,
    pub entries: Vec<NesEntry>,
    pub skipped: Vec<SkippedRow>,
    /// Rows kept after a repair (e.g. an NES found at another position than the one given).
    pub warnings: Vec<SkippedRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum NesdbError {
    /// The io error is part of the message, not a `source()`, so `{:#}` chains print it once.
    #[error("{path}: cannot read file: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// Reads any of the supported NES tables.
pub fn read_nesdb(path: &Path) -> Result<NesTable, NesdbError> {
    let bytes = std::fs::read(path).map_err(|error| NesdbError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    layouts::parse(path, &text).map_err(|message| NesdbError::Format {
        path: path.to_path_buf(),
        message,
    })
}

impl NesTable {
    pub fn nes_count(&self) -> usize {
        self.entries.iter().map(|e| e.nes.len()).sum()
    }
}
