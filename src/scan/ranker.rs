//! The window ranker: P(a consensus window is a real NES) from what the window looks like as a whole —
//! the residue model's P(NES) over it (mean, max, at its Φ residues), its register type, which
//! hydrophobic residue sits in each pocket, the composition of its other residues and of its
//! flanks, and where it lies in the protein. A logistic regression over the training proteins'
//! windows (LocNES's idea of window-level features, on top of the residue model), fitted to choose
//! each protein's real window among its others as well as to be calibrated. It replaces the
//! register-type prior, which it contains as the register-type indicators.

use serde::{Deserialize, Serialize};

use crate::train::logistic::Logistic;
use crate::train::patterns::{NesClass, Orientation};

use super::candidates::Candidate;
use super::choice_fit::{self, ChoiceConfig, TrainingWindow};

/// Residues on each side of a window whose composition is a feature.
pub const FLANK: usize = 10;

/// Residue groups whose share is counted among a window's non-Φ residues and in each flank.
const GROUPS: [&[u8]; 7] = [b"DE", b"KR", b"P", b"G", b"ST", b"LIVFMWY", b"NQ"];

/// Residues a Φ pocket can hold, one indicator each.
const PHI_RESIDUES: &[u8] = b"LIVFM";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowRanker {
    pub logistic: Logistic,
    /// What the model was fitted on (windows, real ones), for provenance.
    pub trained_on: String,
}

fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln()
}

fn shares(residues: impl Iterator<Item = u8>, out: &mut Vec<f32>) {
    let mut counts = [0f32; GROUPS.len()];
    let mut n = 0f32;
    for r in residues {
        n += 1.0;
        for (c, g) in counts.iter_mut().zip(GROUPS) {
            if g.contains(&r.to_ascii_uppercase()) {
                *c += 1.0;
            }
        }
    }
    out.extend(counts.iter().map(|c| c / n.max(1.0)));
}

/// The features of candidate `c` of a protein (`sequence` as bytes, `probabilities` its residue
/// model's P(NES)); `c.score` is not read.
pub fn window_features(sequence: &[u8], probabilities: &[f32], c: &Candidate) -> Vec<f32> {
    let n = sequence.len().min(probabilities.len());
    let span = c.span.start.min(n)..c.span.end.min(n);
    let window = &probabilities[span.clone()];
    let mean = window.iter().sum::<f32>() / window.len().max(1) as f32;
    let max = window.iter().copied().fold(0f32, f32::max);
    let phi: Vec<usize> = c
        .pattern
        .positions
        .iter()
        .flatten()
        .copied()
        .filter(|&i| i < n)
        .collect();
    let phi_mean = phi.iter().map(|&i| probabilities[i]).sum::<f32>() / phi.len().max(1) as f32;
    let mut f = vec![logit(mean), logit(max), logit(phi_mean)];
    f.extend(
        NesClass::ALL
            .iter()
            .map(|&k| f32::from(u8::from(c.pattern.class == k))),
    );
    f.push(f32::from(u8::from(
        c.pattern.orientation == Orientation::Reverse,
    )));
    f.push(f32::from(u8::from(c.pattern.rev_type)));
    f.push(f32::from(u8::from(c.pattern.positions[0].is_some())));
    for pocket in &c.pattern.positions[1..] {
        let residue = pocket.and_then(|i| sequence.get(i)).copied();
        f.extend(
            PHI_RESIDUES
                .iter()
                .map(|&r| f32::from(u8::from(residue.map(|x| x.to_ascii_uppercase()) == Some(r)))),
        );
    }
    shares(
        span.clone()
            .filter(|i| !phi.contains(i))
            .map(|i| sequence[i]),
        &mut f,
    );
    shares(
        sequence[span.start.saturating_sub(FLANK)..span.start]
            .iter()
            .copied(),
        &mut f,
    );
    shares(
        sequence[span.end..(span.end + FLANK).min(n)]
            .iter()
            .copied(),
        &mut f,
    );
    let len = n.max(1) as f32;
    f.push(span.start as f32 / len);
    f.push((n - span.end) as f32 / len);
    f.push(len.ln());
    f
}

impl WindowRanker {
    /// Fits on the training proteins' windows (see [`choice_fit`]: the windows' likelihood and the
    /// within-protein choice of the real window, then recalibrated so the score is P(real)).
    pub fn fit(windows: &[TrainingWindow], config: &ChoiceConfig, trained_on: String) -> Self {
        Self {
            logistic: choice_fit::fit(windows, config),
            trained_on,
        }
    }

    /// P(real NES) of one window.
    pub fn probability(&self, features: &[f32]) -> f32 {
        self.logistic
            .probabilities(features)
            .get(1)
            .copied()
            .unwrap_or(0.0)
    }

    /// Replaces each candidate's score by the ranker's P(real NES).
    pub fn rescore(&self, sequence: &str, probabilities: &[f32], candidates: &mut [Candidate]) {
        let bytes = sequence.as_bytes();
        for c in candidates.iter_mut() {
            c.score = self.probability(&window_features(bytes, probabilities, c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::candidates::candidates;

    const PKI: &str =
        "MTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSES";

    #[test]
    fn features_have_one_width_and_read_the_window() {
        let probs: Vec<f32> = (0..PKI.len()).map(|i| (i % 10) as f32 / 10.0).collect();
        let cands = candidates(PKI, &probs);
        assert!(!cands.is_empty());
        let widths: std::collections::BTreeSet<usize> = cands
            .iter()
            .map(|c| window_features(PKI.as_bytes(), &probs, c).len())
            .collect();
        assert_eq!(widths.len(), 1, "{widths:?}");
        let start = PKI.find("LALKLAGLDI").expect("PKI NES");
        let c = cands
            .iter()
            .find(|c| c.span.start == start && c.pattern.class == NesClass::C1a)
            .expect("PKI's 1a register");
        let f = window_features(PKI.as_bytes(), &probs, c);
        // Φ1 is L: the first of the five L/I/V/F/M indicators of Φ1 is set.
        let phi1 = 3 + NesClass::ALL.len() + 3;
        assert_eq!(&f[phi1..phi1 + 5], &[1.0, 0.0, 0.0, 0.0, 0.0]);
        // Φ4 is I.
        assert_eq!(&f[phi1 + 15..phi1 + 20], &[0.0, 1.0, 0.0, 0.0, 0.0]);
    }

    /// Windows whose Φ4 is I are real, the rest not: the ranker learns the rule from windows.
    #[test]
    fn learns_which_windows_are_real() {
        let probs = vec![0.3f32; PKI.len()];
        let cands = candidates(PKI, &probs);
        let windows: Vec<TrainingWindow> = cands
            .iter()
            .map(|c| TrainingWindow {
                features: window_features(PKI.as_bytes(), &probs, c),
                real: c.pattern.positions[4].map(|i| PKI.as_bytes()[i]) == Some(b'I'),
                protein: 0,
            })
            .collect();
        assert!(windows.iter().any(|w| w.real) && windows.iter().any(|w| !w.real));
        let ranker = WindowRanker::fit(&windows, &ChoiceConfig::default(), "test".into());
        let right = windows
            .iter()
            .filter(|w| (ranker.probability(&w.features) > 0.5) == w.real)
            .count();
        assert!(right * 10 >= windows.len() * 9, "{right}/{}", windows.len());
    }
}
