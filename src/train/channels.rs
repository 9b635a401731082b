//! Per-residue sequence channels appended to the ESM-2 features: the residue's identity and the
//! physico-chemistry the pockets select on, so the tagger need not recover them from a small
//! language model's embedding.

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
    fn appended_per_residue() {
        let mut f = vec![vec![0.5f32; 3]; 2];
        append_residue_channels("LP", &mut f);
        assert_eq!(f[0].len(), 3 + RESIDUE_CHANNELS);
        assert_eq!(f[1][3 + 22], 1.0);
    }
}
