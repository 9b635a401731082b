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
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
}

/// Reads any of the supported NES tables.
pub fn read_nesdb(path: &Path) -> Result<NesTable, NesdbError> {
    let bytes = std::fs::read(path).map_err(|source| NesdbError::Io {
        path: path.to_path_buf(),
        source,
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
