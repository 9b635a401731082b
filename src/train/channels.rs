//! Per-residue sequence channels appended to the ESM-2 features: the residue's identity and the
//! physico-chemistry the pockets select on, so the tagger need not recover them from a small
//! language model's embedding; and the consensus rule's reading of the peptide, so a model can
//! learn when to follow the rule (its Rev-type and reverse classes come from crystals that the
//! AlphaFold labels barely contain) and when its own reading is better.

use super::patterns::{all_registers_in, best_register_in_peptide};

/// One-hot order; any other letter (X, B, Z, U, O) has all zeros.
const AMINO_ACIDS: &str = "ACDEFGHIKLMNPQRSTVWY";

/// 20 one-hot, Kyte–Doolittle hydropathy / 4.5, Φ residue (L I V F M), proline, charge.
pub const RESIDUE_CHANNELS: usize = 24;

/// Kyte & Doolittle 1982 hydropathy index.
fn hydropathy(residue: char) -> f32 {
    match residue {
        'I' => 4.5,
        'V' => 4.2,
        'L' => 3.8,
        'F' => 2.8,
        'C' => 2.5,
        'M' => 1.9,
        'A' => 1.8,
        'G' => -0.4,
        'T' => -0.7,
        'S' => -0.8,
        'W' => -0.9,
        'Y' => -1.3,
        'P' => -1.6,
        'H' => -3.2,
        'E' | 'Q' | 'D' | 'N' => -3.5,
        'K' => -3.9,
        'R' => -4.5,
        _ => 0.0,
    }
}

/// The channels of one residue.
pub fn residue_channels(residue: char) -> [f32; RESIDUE_CHANNELS] {
    let r = residue.to_ascii_uppercase();
    let mut out = [0f32; RESIDUE_CHANNELS];
    if let Some(i) = AMINO_ACIDS.find(r) {
        out[i] = 1.0;
    }
    out[20] = hydropathy(r) / 4.5;
    out[21] = f32::from(u8::from(matches!(r, 'L' | 'I' | 'V' | 'F' | 'M')));
    out[22] = f32::from(u8::from(r == 'P'));
    out[23] = match r {
        'K' | 'R' => 1.0,
        'D' | 'E' => -1.0,
        _ => 0.0,
    };
    out
}

/// Appends the channels of `sequence`'s residues to its feature rows (one row per residue).
pub fn append_residue_channels(sequence: &str, features: &mut [Vec<f32>]) {
    for (row, residue) in features.iter_mut().zip(sequence.chars()) {
        row.extend_from_slice(&residue_channels(residue));
    }
}

/// Φ0–Φ4 of the rule's best register (one-hot), then each residue's share of Φ0–Φ4 over every
/// consensus register in the peptide (the alternatives the ranking put second: reverse readings,
/// other classes).
pub const RULE_CHANNELS: usize = 10;

/// The rule channels of every residue of a peptide (all zero where no class fits).
pub fn rule_channels(sequence: &str) -> Vec<[f32; RULE_CHANNELS]> {
    let n = sequence.chars().count();
    let mut out = vec![[0f32; RULE_CHANNELS]; n];
    let mut mark = |positions: &[Option<usize>; 5], offset: usize, value: f32| {
        for (k, p) in positions.iter().enumerate() {
            if let Some(row) = p.and_then(|p| out.get_mut(p)) {
                row[offset + k] += value;
            }
        }
    };
    if let Some(m) = best_register_in_peptide(sequence) {
        mark(&m.positions, 0, 1.0);
    }
    let all = all_registers_in(sequence);
    let share = 1.0 / all.len().max(1) as f32;
    for m in &all {
        mark(&m.positions, 5, share);
    }
    out
}

/// Which channels follow the ESM-2 features (recorded in the data set and the checkpoint, so
/// `predict` builds the rows the model was trained on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelSet {
    pub residue: bool,
    pub rule: bool,
}

impl ChannelSet {
    /// Both sets: what `nesbind dataset` builds by default.
    pub const ALL: Self = Self {
        residue: true,
        rule: true,
    };

    /// Features added to the embedding's width.
    pub fn width(self) -> usize {
        usize::from(self.residue) * RESIDUE_CHANNELS + usize::from(self.rule) * RULE_CHANNELS
    }

    /// Appends this set's channels of `sequence` to its feature rows (one row per residue).
    pub fn append(self, sequence: &str, features: &mut [Vec<f32>]) {
        if self.residue {
            append_residue_channels(sequence, features);
        }
        if self.rule {
            for (row, r) in features.iter_mut().zip(rule_channels(sequence)) {
                row.extend_from_slice(&r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leucine_and_lysine() {
        let l = residue_channels('l');
        assert_eq!(l[9], 1.0);
        assert_eq!(l.iter().take(20).sum::<f32>(), 1.0);
        assert!((l[20] - 3.8 / 4.5).abs() < 1e-6);
        assert_eq!((l[21], l[22], l[23]), (1.0, 0.0, 0.0));
        let k = residue_channels('K');
        assert_eq!((k[21], k[23]), (0.0, 1.0));
        assert!(residue_channels('X').iter().all(|v| *v == 0.0));
    }

    #[test]
    fn rule_channels_mark_the_rule_register_and_its_alternatives() {
        // HIV-1 Rev: the rule reads Rev type, Φ0 L1, Φ1 P2, Φ2 L4, Φ3 L7, Φ4 L9.
        let rev = rule_channels("LPPLERLTL");
        for (pos, k) in [(0, 0), (1, 1), (3, 2), (6, 3), (8, 4)] {
            assert_eq!(rev[pos][k], 1.0, "residue {} in Φ{k}", pos + 1);
        }
        assert_eq!(rev[4][..5], [0.0; 5]);
        // Every register is counted once in the shares: Φ1..Φ4 each sum to one over the peptide.
        for k in 1..5 {
            let total: f32 = rev.iter().map(|r| r[5 + k]).sum();
            assert!((total - 1.0).abs() < 1e-5, "Φ{k} shares sum to {total}");
        }
        // Rev's all-hydrophobic 1b reading is among the alternatives: L1 has some Φ1 share.
        assert!(rev[0][6] > 0.0);
        assert!(
            rule_channels("GGGGSGGGG")
                .iter()
                .flatten()
                .all(|v| *v == 0.0)
        );
    }

    #[test]
    fn channel_sets_append_their_width() {
        for set in [
            ChannelSet::default(),
            ChannelSet::ALL,
            ChannelSet {
                residue: true,
                rule: false,
            },
        ] {
            let mut f = vec![vec![0.5f32; 3]; 10];
            set.append("LALKLAGLDI", &mut f);
            assert!(f.iter().all(|r| r.len() == 3 + set.width()));
        }
        assert_eq!(ChannelSet::ALL.width(), RESIDUE_CHANNELS + RULE_CHANNELS);
    }

    #[test]
    fn appended_per_residue() {
        let mut f = vec![vec![0.5f32; 3]; 2];
        append_residue_channels("LP", &mut f);
        assert_eq!(f[0].len(), 3 + RESIDUE_CHANNELS);
        assert_eq!(f[1][3 + 22], 1.0);
    }
}
