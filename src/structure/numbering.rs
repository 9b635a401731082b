//! Mapping a CRM1 chain's residues to human XPO1 (UniProt O14980) numbering.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::alignment::global_align;
use super::model::Chain;

const HUMAN_XPO1_FASTA: &str = include_str!("../../assets/sequences/XPO1_HUMAN_O14980.fasta");

/// Human XPO1 (O14980), 1071 residues; index i holds residue i + 1.
pub static HUMAN_XPO1_SEQUENCE: LazyLock<String> = LazyLock::new(|| {
    HUMAN_XPO1_FASTA
        .lines()
        .filter(|l| !l.starts_with('>'))
        .flat_map(|l| l.trim().chars())
        .collect()
});

/// A file whose numbers already match human XPO1 this well (after one constant shift) keeps them.
const OFFSET_MIN_IDENTITY: f32 = 0.85;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NumberingMethod {
    /// File number + offset = human number (0 for human-numbered files, +11 … for shifted ones).
    Offset(i32),
    /// Sequence alignment to human XPO1.
    Alignment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberingMap {
    /// Human XPO1 number for each residue of the chain (`None`: not aligned / not an amino acid).
    pub human: Vec<Option<i32>>,
    pub method: NumberingMethod,
    /// Share of mapped residues identical to human XPO1.
    pub identity: f32,
    pub mapped: usize,
}

impl NumberingMap {
    pub fn human_number(&self, residue_index: usize) -> Option<i32> {
        self.human.get(residue_index).copied().flatten()
    }

    pub fn residue_index(&self, human_number: i32) -> Option<usize> {
        self.human.iter().position(|h| *h == Some(human_number))
    }

    /// Residues of `chain` mapped into human `range`, and how many of them are identical to human
    /// XPO1 there (the NES groove is far better conserved than the whole protein).
    pub fn region_identity(
        &self,
        chain: &Chain,
        range: std::ops::RangeInclusive<i32>,
    ) -> (usize, usize) {
        let human = HUMAN_XPO1_SEQUENCE.as_bytes();
        let mut mapped = 0;
        let mut identical = 0;
        for (i, residue) in chain.residues.iter().enumerate() {
            let Some(h) = self.human_number(i).filter(|h| range.contains(h)) else {
                continue;
            };
            mapped += 1;
            let same = usize::try_from(h - 1)
                .ok()
                .and_then(|k| human.get(k))
                .is_some_and(|&c| c == residue.code as u8);
            identical += usize::from(same);
        }
        (identical, mapped)
    }

    /// Identical residues: what decides which chain is CRM1.
    pub fn identical(&self) -> usize {
        (self.identity * self.mapped as f32).round() as usize
    }

    pub fn describe(&self) -> String {
        match self.method {
            NumberingMethod::Offset(0) => format!(
                "file numbering is human XPO1 numbering ({} residues, {:.0}% identical)",
                self.mapped,
                self.identity * 100.0
            ),
            NumberingMethod::Offset(k) => format!(
                "human XPO1 number = file number {} {} ({} residues, {:.0}% identical)",
                if k > 0 { "+" } else { "-" },
                k.abs(),
                self.mapped,
                self.identity * 100.0
            ),
            NumberingMethod::Alignment => format!(
                "mapped to human XPO1 by sequence alignment ({} residues aligned, {:.0}% identical)",
                self.mapped,
                self.identity * 100.0
            ),
        }
    }

    /// Maps a chain: keeps the file's numbering (with one constant shift) when that already matches
    /// human XPO1, otherwise aligns the sequence.
    pub fn for_chain(chain: &Chain) -> NumberingMap {
        let human = HUMAN_XPO1_SEQUENCE.as_bytes();
        if let Some(map) = offset_map(chain, human) {
            return map;
        }
        alignment_map(chain, human)
    }
}

fn offset_map(chain: &Chain, human: &[u8]) -> Option<NumberingMap> {
    let residues: Vec<(usize, i32, u8)> = chain
        .residues
        .iter()
        .enumerate()
        .filter(|(_, r)| r.code != 'X' && r.insertion_code.is_none())
        .map(|(i, r)| (i, r.number, r.code as u8))
        .collect();
    if residues.len() < 8 {
        return None;
    }
    let mut votes: std::collections::HashMap<i32, usize> = std::collections::HashMap::new();
    for &(_, number, code) in &residues {
        for (p, &h) in human.iter().enumerate() {
            if h == code {
                *votes.entry(p as i32 + 1 - number).or_default() += 1;
            }
        }
    }
    let (&offset, &matches) = votes.iter().max_by_key(|(k, v)| (**v, -k.abs()))?;
    let identity = matches as f32 / residues.len() as f32;
    if identity < OFFSET_MIN_IDENTITY {
        return None;
    }
    let mut map = vec![None; chain.residues.len()];
    let mut mapped = 0;
    for &(i, number, _) in &residues {
        let h = number + offset;
        if h >= 1 && h as usize <= human.len() {
            map[i] = Some(h);
            mapped += 1;
        }
    }
    Some(NumberingMap {
        human: map,
        method: NumberingMethod::Offset(offset),
        identity,
        mapped,
    })
}

fn alignment_map(chain: &Chain, human: &[u8]) -> NumberingMap {
    let polymer: Vec<usize> = chain
        .residues
        .iter()
        .enumerate()
        .filter(|(_, r)| r.code != 'X')
        .map(|(i, _)| i)
        .collect();
    let sequence: String = polymer.iter().map(|&i| chain.residues[i].code).collect();
    let human_str = std::str::from_utf8(human).unwrap_or_default();
    let alignment = global_align(&sequence, human_str);
    let mut map = vec![None; chain.residues.len()];
    for pair in &alignment.pairs {
        map[polymer[pair.query]] = Some(pair.target as i32 + 1);
    }
    NumberingMap {
        human: map,
        method: NumberingMethod::Alignment,
        identity: alignment.identity,
        mapped: alignment.pairs.len(),
    }
}
