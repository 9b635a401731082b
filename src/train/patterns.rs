//! NES consensus classes and the pattern labels derived from them.
//!
//! An NES without a solved complex still tells us which residues *should* sit in the pockets: the
//! hydrophobic positions of its consensus class. This module finds the best register of a class
//! inside an annotated NES range and returns the Φ0–Φ4 positions.
//!
//! # Rules and their sources
//! - Φ = L, I, V, F, M (Kosugi et al. 2008 JBC 283:9436 / 2009 PNAS 106:10171 classes; the same set in
//!   LocNES, Xu et al. 2015 Bioinformatics 31:1357).
//! - Forward classes (x = any residue), Kosugi 2008/2009, class 1a as refined by Güttler et al. 2010
//!   NSMB 17:1367 and Fung et al. 2015 eLife 4:e10034:
//!   1a Φ1-x3-Φ2-x2-Φ3-x-Φ4, 1b Φ1-x2-Φ2-x2-Φ3-x-Φ4, 1c Φ1-x3-Φ2-x3-Φ3-x-Φ4,
//!   1d Φ1-x2-Φ2-x3-Φ3-x-Φ4, 2 Φ1-x-Φ2-x2-Φ3-x-Φ4, 3 Φ1-x2-Φ2-x3-Φ3-x2-Φ4.
//! - Optional Φ0 (Güttler 2010): a Φ residue with two or three residues between it and Φ1
//!   (Snurportin-1 M1-x2-L4, class 1c + Φ0).
//! - Rev type (Güttler 2010, 3NBZ/3NC0): Φ0 immediately followed by a proline that fills Φ1, then the
//!   class-2 spacing: Φ0-P-x-Φ2-x2-Φ3-x-Φ4 (HIV-1 Rev L75-P76-P77-L78-E79-R80-L81-T82-L83).
//! - Reverse ("minus") classes (Fung 2015): the same pockets filled in C→N order. They are written here
//!   as the mirror images of the forward classes (Φ4 first when read N→C), with the optional Φ0 mirrored
//!   to the C-terminal side of Φ1. The mirroring is our derivation from Fung 2015's description, not a
//!   table copied from the paper (see notes/SCIENCE.md §2).
//!
//! # Choosing one register
//! Candidates are ranked, best first, by: (1) Rev type before the rest, because a Φ–Pro pair at the
//! start of the register is a stricter motif than four hydrophobics, and the all-hydrophobic 1b
//! register that overlaps Rev (L75, L78, L81, L83) is exactly the misassignment the structures
//! refute; (2) forward before reverse (forward NESs are by far the majority in NESdb and the
//! structures); (3) class order 1a, 1b, 1c, 1d, 2, 3 (Kosugi's frequency order; PKI's LALKLAGLDI also
//! fits class 2 one residue later, but 3NBY shows class 1a); (4) a register with Φ0 before one without;
//! (5) the earliest start. An NES that fits no class gets no pattern labels.

use serde::{Deserialize, Serialize};

/// Residues accepted in a Φ position.
pub const PHI_RESIDUES: [char; 5] = ['L', 'I', 'V', 'F', 'M'];

pub fn is_phi(residue: char) -> bool {
    PHI_RESIDUES.contains(&residue.to_ascii_uppercase())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NesClass {
    C1a,
    C1b,
    C1c,
    C1d,
    C2,
    C3,
}

impl NesClass {
    /// In ranking order (Kosugi's frequency order).
    pub const ALL: [NesClass; 6] = [
        NesClass::C1a,
        NesClass::C1b,
        NesClass::C1c,
        NesClass::C1d,
        NesClass::C2,
        NesClass::C3,
    ];

    /// Offsets of Φ2, Φ3, Φ4 from the previous Φ position (gap + 1).
    pub fn steps(self) -> [usize; 3] {
        match self {
            NesClass::C1a => [4, 3, 2],
            NesClass::C1b => [3, 3, 2],
            NesClass::C1c => [4, 4, 2],
            NesClass::C1d => [3, 4, 2],
            NesClass::C2 => [2, 3, 2],
            NesClass::C3 => [3, 4, 3],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NesClass::C1a => "1a",
            NesClass::C1b => "1b",
            NesClass::C1c => "1c",
            NesClass::C1d => "1d",
            NesClass::C2 => "2",
            NesClass::C3 => "3",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Orientation {
    Forward,
    Reverse,
}

impl Orientation {
    /// "forward" or "reverse", as printed and written to JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Reverse => "reverse",
        }
    }
}

/// One register: the 0-based positions (into the searched sequence) of the residues in Φ0..Φ4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternMatch {
    pub class: NesClass,
    pub orientation: Orientation,
    pub rev_type: bool,
    /// `positions[k]` is the residue in pocket Φk; Φ0 is optional.
    pub positions: [Option<usize>; 5],
}

impl PatternMatch {
    /// A readable class label, e.g. "1a", "1c+Φ0", "Rev (2+Φ0, P in Φ1)", "1a-R".
    pub fn label(&self) -> String {
        let mut s = self.class.name().to_string();
        if self.orientation == Orientation::Reverse {
            s.push_str("-R");
        }
        if self.rev_type {
            return format!("Rev ({s}+Φ0, P in Φ1)");
        }
        if self.positions[0].is_some() {
            s.push_str("+Φ0");
        }
        s
    }

    /// Per-residue pocket index (0 = Φ0 … 4 = Φ4) for a sequence of `len` residues.
    pub fn pockets(&self, len: usize) -> Vec<Option<u8>> {
        let mut out = vec![None; len];
        for (k, p) in self.positions.iter().enumerate() {
            if let Some(p) = p
                && *p < len
            {
                out[*p] = Some(k as u8);
            }
        }
        out
    }

    pub(crate) fn rank_key(&self) -> (bool, bool, usize, bool, std::cmp::Reverse<usize>) {
        let class_rank = NesClass::ALL
            .iter()
            .position(|c| *c == self.class)
            .unwrap_or(NesClass::ALL.len());
        let start = self.positions.iter().flatten().min().copied().unwrap_or(0);
        (
            self.rev_type,
            self.orientation == Orientation::Forward,
            NesClass::ALL.len() - class_rank,
            self.positions[0].is_some(),
            std::cmp::Reverse(start),
        )
    }
}

/// Best register whose Φ1–Φ4 all lie inside `core` (0-based, end exclusive) of `sequence`; Φ0 may
/// lie anywhere in `sequence`. `None` when no class fits.
pub fn best_register(sequence: &str, core: std::ops::Range<usize>) -> Option<PatternMatch> {
    let residues: Vec<char> = sequence.chars().map(|c| c.to_ascii_uppercase()).collect();
    let core = core.start.min(residues.len())..core.end.min(residues.len());
    all_registers(&residues, core)
        .into_iter()
        .max_by_key(|m| m.rank_key())
}

/// Best register anywhere in a peptide.
pub fn best_register_in_peptide(peptide: &str) -> Option<PatternMatch> {
    best_register(peptide, 0..peptide.chars().count())
}

/// Every register of every class anywhere in `sequence` (positions 0-based), unranked: the
/// consensus windows of a whole protein.
pub fn all_registers_in(sequence: &str) -> Vec<PatternMatch> {
    let residues: Vec<char> = sequence.chars().map(|c| c.to_ascii_uppercase()).collect();
    let n = residues.len();
    all_registers(&residues, 0..n)
}

fn all_registers(res: &[char], core: std::ops::Range<usize>) -> Vec<PatternMatch> {
    let mut out = Vec::new();
    let in_core = |p: usize| core.contains(&p);
    for class in NesClass::ALL {
        let [s2, s3, s4] = class.steps();
        let span = s2 + s3 + s4;
        // Forward: Φ1 at i, then Φ2..Φ4 to the right.
        for i in core.clone() {
            let p = [i, i + s2, i + s2 + s3, i + span];
            if !p.iter().all(|&q| in_core(q)) {
                continue;
            }
            let core_phi = p[1..].iter().all(|&q| is_phi(res[q]));
            if !core_phi {
                continue;
            }
            if is_phi(res[p[0]]) {
                let phi0 = [3usize, 4]
                    .iter()
                    .filter_map(|d| i.checked_sub(*d))
                    .find(|&q| is_phi(res[q]));
                out.push(PatternMatch {
                    class,
                    orientation: Orientation::Forward,
                    rev_type: false,
                    positions: [phi0, Some(p[0]), Some(p[1]), Some(p[2]), Some(p[3])],
                });
            }
            if class == NesClass::C2 && res[p[0]] == 'P' && i >= 1 && is_phi(res[i - 1]) {
                out.push(PatternMatch {
                    class,
                    orientation: Orientation::Forward,
                    rev_type: true,
                    positions: [Some(i - 1), Some(p[0]), Some(p[1]), Some(p[2]), Some(p[3])],
                });
            }
        }
        // Reverse: Φ4 at i, Φ3, Φ2, Φ1 to the right with the mirrored gaps.
        for i in core.clone() {
            let p4 = i;
            let p3 = p4 + s4;
            let p2 = p3 + s3;
            let p1 = p2 + s2;
            if ![p1, p2, p3, p4].iter().all(|&q| in_core(q)) {
                continue;
            }
            if ![p1, p2, p3, p4].iter().all(|&q| is_phi(res[q])) {
                continue;
            }
            let phi0 = [3usize, 4]
                .iter()
                .map(|d| p1 + d)
                .find(|&q| q < res.len() && is_phi(res[q]));
            out.push(PatternMatch {
                class,
                orientation: Orientation::Reverse,
                rev_type: false,
                positions: [phi0, Some(p1), Some(p2), Some(p3), Some(p4)],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_based(m: &PatternMatch) -> [Option<usize>; 5] {
        m.positions.map(|p| p.map(|q| q + 1))
    }

    #[test]
    fn pki_is_class_1a_at_1_5_8_10() {
        let m = best_register_in_peptide("LALKLAGLDI").expect("PKI fits");
        assert_eq!(m.class, NesClass::C1a);
        assert_eq!(m.orientation, Orientation::Forward);
        assert_eq!(one_based(&m), [None, Some(1), Some(5), Some(8), Some(10)]);
    }

    #[test]
    fn rev_is_rev_type_with_proline_in_phi1() {
        let m = best_register_in_peptide("LPPLERLTL").expect("Rev fits");
        assert!(m.rev_type);
        assert_eq!(one_based(&m), [Some(1), Some(2), Some(4), Some(7), Some(9)]);
        assert_eq!(m.pockets(9)[1], Some(1));
    }

    #[test]
    fn snurportin_is_1c_with_phi0() {
        // SPN1 1-15 (M1EELSQALASSFSV): Φ0 M1, Φ1 L4, Φ2 L8, Φ3 F12, Φ4 V14.
        let m = best_register_in_peptide("MEELSQALASSFSVS").expect("SPN1 fits");
        assert_eq!(m.class, NesClass::C1c);
        assert_eq!(
            one_based(&m),
            [Some(1), Some(4), Some(8), Some(12), Some(14)]
        );
        assert_eq!(m.label(), "1c+Φ0");
    }

    #[test]
    fn no_hydrophobics_no_register() {
        assert!(best_register_in_peptide("SEKSEKSEKSEKSEK").is_none());
    }

    #[test]
    fn reverse_class_found_when_no_forward_fits() {
        // Φ4-x-Φ3-x2-Φ2-x3-Φ1 (1a-R): L1 x L3 x x L6 x x x L10.
        let m = best_register_in_peptide("LSLSSLSSSL").expect("1a-R fits");
        assert_eq!(m.orientation, Orientation::Reverse);
        assert_eq!(m.class, NesClass::C1a);
        assert_eq!(one_based(&m), [None, Some(10), Some(6), Some(3), Some(1)]);
    }

    #[test]
    fn core_range_limits_phi1_to_phi4() {
        // PKI inside flanks: the register must stay within the annotated core.
        let seq = "SSSLALKLAGLDISSS";
        let m = best_register(seq, 3..13).expect("fits");
        assert_eq!(one_based(&m)[1], Some(4));
        assert!(best_register(seq, 3..11).is_none());
    }
}
