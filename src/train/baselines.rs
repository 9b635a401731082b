//! The two sequence rules the model is compared with, as registers of the same shape as the
//! decoder's: the consensus classes ([`super::patterns`]) and the ELM `TRG_NES_CRM1_1` regex.

use std::sync::OnceLock;

use regex::Regex;

use super::patterns::{Orientation, best_register_in_peptide};
use super::register::Register;

/// ELM TRG_NES_CRM1_1 (Wregex-derived, from ValidNES), as given in notes/SCIENCE.md §2. Groups 2,
/// 4, 6 and 8 are Φ1–Φ4; the acidic flanks are part of the motif, so bare 10-mers often miss it.
pub const ELM_NES_REGEX: &str =
    r"([DEQS].{0,1})([LIMA])(.{2,3})([LIVMF])([^P]{2,3})([LMVF])([^P])([LMIV])(.{0,3}[DEQ])";

pub(crate) fn elm_regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    // A constant pattern: `elm_regex_compiles` proves it compiles.
    RE.get_or_init(|| Regex::new(ELM_NES_REGEX).ok()).as_ref()
}

/// A rule's register: certain by construction, so probability 1.
fn rule_register(orientation: Orientation, positions: [Option<usize>; 5]) -> Register {
    Register {
        orientation,
        positions,
        log_score: 0.0,
        probability: 1.0,
    }
}

/// The consensus rule's register (classes 1a–3, Φ0, Rev type, mirrored reverse classes; ranked as
/// in [`super::patterns`]).
pub fn consensus_register(peptide: &str) -> Option<Register> {
    best_register_in_peptide(peptide).map(|m| rule_register(m.orientation, m.positions))
}

/// The leftmost ELM regex match (the regex engine's own choice), its Φ1–Φ4 as the register;
/// Φ0 is not part of the ELM motif.
pub fn elm_register(peptide: &str) -> Option<Register> {
    let upper = peptide.to_ascii_uppercase();
    // Byte offsets are residue indices only for ASCII one-letter codes.
    if !upper.is_ascii() {
        return None;
    }
    let caps = elm_regex()?.captures(&upper)?;
    let at = |g: usize| caps.get(g).map(|m| m.start());
    Some(rule_register(
        Orientation::Forward,
        [None, at(2), at(4), at(6), at(8)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elm_regex_compiles() {
        assert!(Regex::new(ELM_NES_REGEX).is_ok());
    }

    #[test]
    fn elm_is_a_motif_finder_not_a_register_assigner() {
        // PKIα 31–50 SGNSNELALKLAGLDINKTE (crystal register L37 L41 L44 I46 = 7, 11, 14, 16).
        // The leftmost-first match takes A38 for Φ1 (the motif allows A there) and so shifts Φ2;
        // Φ3 and Φ4 agree with the crystal.
        let r = elm_register("SGNSNELALKLAGLDINKTE").expect("ELM matches PKI");
        let one_based: Vec<Option<usize>> = r.positions.iter().map(|p| p.map(|q| q + 1)).collect();
        assert_eq!(one_based, vec![None, Some(8), Some(11), Some(14), Some(16)]);
        // The bare core lacks the motif's acidic flanks.
        assert!(elm_register("LALKLAGLDI").is_none());
    }

    #[test]
    fn consensus_matches_patterns_module() {
        let r = consensus_register("LALKLAGLDI").expect("PKI fits");
        assert_eq!(r.positions, [None, Some(0), Some(4), Some(7), Some(9)]);
        assert_eq!(r.orientation, Orientation::Forward);
    }
}
