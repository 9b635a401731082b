//! NES candidates of a whole protein: every window that fits a consensus class (forward, reverse,
//! Rev type — the LocNES protocol's candidate set), scored by the scan model's mean P(NES) over the
//! window, with the residues whose mutation should break it.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::model_register::ModelRegister;
use crate::train::patterns::{PatternMatch, all_registers_in, is_phi};

/// One candidate NES, positions 0-based into the protein.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// First to last residue of the register (Φ0 included when present).
    pub span: Range<usize>,
    pub score: f32,
    pub pattern: PatternMatch,
    /// The peptide model's register here, once decoded (`ProteinScan::with_model_registers`): a
    /// second opinion beside `pattern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_register: Option<ModelRegister>,
}

impl Candidate {
    pub fn len(&self) -> usize {
        self.span.len()
    }

    pub fn is_empty(&self) -> bool {
        self.span.is_empty()
    }
}

/// The residues a register covers.
pub fn register_span(m: &PatternMatch) -> Range<usize> {
    let lo = m.positions.iter().flatten().min().copied().unwrap_or(0);
    let hi = m.positions.iter().flatten().max().copied().unwrap_or(0);
    lo..hi + 1
}

/// How often a window of each register type (class, orientation, Φ0, Rev type: the pattern's label)
/// is a real NES among the training proteins' consensus windows, smoothed towards the overall rate.
/// Learnt from the labels alone, so it adds what the residue model cannot see: that a class-1a
/// window is a real NES far more often than a reverse class-3 one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassPrior {
    pub rates: std::collections::BTreeMap<String, f32>,
    pub base: f32,
}

/// Pseudo-windows at the overall rate added to each register type.
const PRIOR_SMOOTHING: f32 = 5.0;

fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

impl ClassPrior {
    /// From (register type, real) pairs of the training windows.
    pub fn fit(windows: impl IntoIterator<Item = (String, bool)>) -> Self {
        let mut counts: std::collections::BTreeMap<String, (f32, f32)> = Default::default();
        let (mut real, mut total) = (0f32, 0f32);
        for (key, is_real) in windows {
            let e = counts.entry(key).or_default();
            e.0 += f32::from(u8::from(is_real));
            e.1 += 1.0;
            real += f32::from(u8::from(is_real));
            total += 1.0;
        }
        let base = if total > 0.0 { real / total } else { 0.0 };
        let rates = counts
            .into_iter()
            .map(|(k, (r, t))| (k, (r + base * PRIOR_SMOOTHING) / (t + PRIOR_SMOOTHING)))
            .collect();
        Self { rates, base }
    }

    /// `score` moved by the log-odds of the register type against the overall rate (naive Bayes);
    /// unchanged when the prior is empty.
    pub fn adjust(&self, score: f32, pattern: &PatternMatch) -> f32 {
        if self.rates.is_empty() || !(self.base > 0.0 && self.base < 1.0) {
            return score;
        }
        let rate = self
            .rates
            .get(&pattern.label())
            .copied()
            .unwrap_or(self.base);
        let z = logit(score) + logit(rate) - logit(self.base);
        1.0 / (1.0 + (-z).exp())
    }
}

/// Every consensus register of `sequence`, scored by the mean of `probabilities` over its span
/// (moved by `prior` when given), best first.
pub fn candidates_with_prior(
    sequence: &str,
    probabilities: &[f32],
    prior: Option<&ClassPrior>,
) -> Vec<Candidate> {
    let mut out = candidates(sequence, probabilities);
    if let Some(prior) = prior {
        for c in &mut out {
            c.score = prior.adjust(c.score, &c.pattern);
        }
        sort_ranked(&mut out);
    }
    out
}

/// Best score first; near-equal scores in the consensus rule's order, then by position.
pub fn sort_ranked(out: &mut [Candidate]) {
    // Scores equal to 1e-4 are a tie, which the consensus rule's own ranking breaks (class 1a
    // before 2 on PKI's LALKLAGLDI, as in 3NBY).
    let key = |c: &Candidate| (c.score * 1e4).round() as i64;
    out.sort_by(|a, b| {
        key(b)
            .cmp(&key(a))
            .then(b.pattern.rank_key().cmp(&a.pattern.rank_key()))
            .then(a.span.start.cmp(&b.span.start))
    });
}

/// Every consensus register of `sequence`, scored by the mean of `probabilities` over its span,
/// best first. Registers with the same residues in the same pockets are one.
pub fn candidates(sequence: &str, probabilities: &[f32]) -> Vec<Candidate> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Candidate> = all_registers_in(sequence)
        .into_iter()
        .filter(|m| seen.insert(m.positions))
        .map(|m| {
            let span = register_span(&m);
            let values = &probabilities
                [span.start.min(probabilities.len())..span.end.min(probabilities.len())];
            let score = if values.is_empty() {
                0.0
            } else {
                values.iter().sum::<f32>() / values.len() as f32
            };
            Candidate {
                span,
                score,
                pattern: m,
                model_register: None,
            }
        })
        .collect();
    sort_ranked(&mut out);
    out
}

fn overlapping(a: &Candidate, b: &Candidate) -> bool {
    let shared = a
        .span
        .end
        .min(b.span.end)
        .saturating_sub(a.span.start.max(b.span.start));
    2 * shared >= a.len().min(b.len())
}

/// The best candidates that do not overlap a better one by half their length or more: what a user
/// reads as "the NESs of this protein". Each place is shown with the register the consensus rule
/// ranks first among the candidates there (those sharing half the shorter one's length or more with
/// its best window) and with the best window's score. The window ranker scores *places* — its
/// training label is "at least half inside an annotated NES", which every register of a real NES
/// meets — so its score says nothing about which register binds; the rule's ranking carries the
/// crystals' answer (HIV-1 Rev as Rev type, P76 in Φ1, as in 3NBZ; PKI's LALKLAGLDI as class 1a
/// from its first L, as in 3NBY, rather than class 2 two residues later).
pub fn distinct(ranked: &[Candidate], top: usize) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for c in ranked {
        if out.len() >= top {
            break;
        }
        if out.iter().any(|o| overlapping(c, o)) {
            continue;
        }
        let chosen = ranked
            .iter()
            .filter(|d| overlapping(c, d))
            .filter(|d| !out.iter().any(|o| overlapping(d, o)))
            .max_by(|a, b| {
                a.pattern
                    .rank_key()
                    .cmp(&b.pattern.rank_key())
                    .then(a.score.total_cmp(&b.score))
            })
            .unwrap_or(c);
        out.push(Candidate {
            score: c.score,
            ..chosen.clone()
        });
    }
    out
}

/// A suggested loss-of-function mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mutant {
    /// 0-based position in the protein.
    pub position: usize,
    pub from: char,
    pub to: char,
    /// Pocket of the residue (0 = Φ0 … 4 = Φ4).
    pub pocket: usize,
}

impl Mutant {
    /// "L41A" (1-based).
    pub fn label(&self) -> String {
        format!("{}{}{}", self.from, self.position + 1, self.to)
    }
}

/// Alanine at each hydrophobic Φ residue of the consensus register, the core pockets Φ1–Φ4 first in
/// the order of the model's probability there (the residues the model leans on most), Φ0 last: the
/// classic test of an NES is Ala at two or more Φ positions. Not the peptide model's register: on
/// experimentally mapped positions it named no more of them than the consensus register did
/// (docs/scan.md, "The peptide model's register").
pub fn mutants(sequence: &str, candidate: &Candidate, probabilities: &[f32]) -> Vec<Mutant> {
    let residues: Vec<char> = sequence.chars().collect();
    let mut out: Vec<(bool, f32, Mutant)> = candidate
        .pattern
        .positions
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            let p = (*p)?;
            let from = *residues.get(p)?;
            is_phi(from).then(|| {
                (
                    k == 0,
                    probabilities.get(p).copied().unwrap_or(0.0),
                    Mutant {
                        position: p,
                        from: from.to_ascii_uppercase(),
                        to: 'A',
                        pocket: k,
                    },
                )
            })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    out.into_iter().map(|(_, _, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_prior_moves_scores_by_how_often_a_register_type_is_real() {
        let windows = (0..20)
            .map(|i| ("1a".to_string(), i < 10))
            .chain((0..20).map(|_| ("3-R".to_string(), false)));
        let prior = ClassPrior::fit(windows);
        assert!((prior.base - 0.25).abs() < 1e-6);
        let m = crate::train::patterns::best_register_in_peptide("LALKLAGLDI").unwrap();
        assert_eq!(m.label(), "1a");
        let up = prior.adjust(0.3, &m);
        assert!(up > 0.3, "{up}");
        // An unseen register type keeps its score; an empty prior changes nothing.
        let mut other = m.clone();
        other.class = crate::train::patterns::NesClass::C1d;
        assert!((prior.adjust(0.3, &other) - 0.3).abs() < 1e-5);
        assert_eq!(ClassPrior::default().adjust(0.3, &m), 0.3);
    }

    #[test]
    fn pki_register_is_a_candidate_with_its_phi_mutants() {
        // Human PKI-α (P61925) with its NES LALKLAGLDI.
        let seq = "MTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSES";
        let nes = seq.find("LALKLAGLDI").unwrap();
        let probs: Vec<f32> = (0..seq.len())
            .map(|i| {
                if (nes..nes + 10).contains(&i) {
                    0.9
                } else {
                    0.1
                }
            })
            .collect();
        let ranked = candidates(seq, &probs);
        let best = &ranked[0];
        assert_eq!(best.span, nes..nes + 10, "{best:?}");
        let m: Vec<String> = mutants(seq, best, &probs)
            .iter()
            .map(Mutant::label)
            .collect();
        let first = format!("L{}A", nes + 1);
        let last = format!("I{}A", nes + 10);
        assert!(m.contains(&first) && m.contains(&last), "{m:?}");
        assert_eq!(m.len(), 4, "Φ1–Φ4, no Φ0 in PKI");
        let shown = distinct(&ranked, 3);
        assert!(shown.len() <= 3);
        for (i, a) in shown.iter().enumerate() {
            for b in &shown[i + 1..] {
                let shared = a
                    .span
                    .end
                    .min(b.span.end)
                    .saturating_sub(a.span.start.max(b.span.start));
                assert!(2 * shared < a.len().min(b.len()));
            }
        }
    }

    /// HIV-1 Rev (P04618): with P(NES) highest just before the NES, the best window is the
    /// all-hydrophobic V71–L83 (1b with Φ0); the place is shown as Rev type L75–L83, P76 in Φ1 (3NBZ),
    /// with the best window's score.
    #[test]
    fn a_place_is_shown_with_the_rules_register_and_its_best_score() {
        let rev = "MAGRSGDSDEDLLKAVRLIKFLYQSNPPPNPEGTRQARRNRRRRWRERQRQIHSISERILGTYLGRSAEPVPLQLPPLERLTLDCNEDCGTSGTQGVGSPQILVESPTVLESGTKE";
        let probs: Vec<f32> = (0..rev.len())
            .map(|i| match i {
                70..=73 => 0.95,
                74..=82 => 0.6,
                _ => 0.05,
            })
            .collect();
        let ranked = candidates(rev, &probs);
        let best = &ranked[0];
        assert_eq!(best.span, 70..83, "{best:?}");
        assert!(!best.pattern.rev_type);
        let shown = distinct(&ranked, 1);
        let first = &shown[0];
        assert_eq!(first.span, 74..83, "{first:?}");
        assert!(first.pattern.rev_type);
        assert_eq!(first.pattern.positions[1], Some(75), "P76 in Φ1");
        assert_eq!(first.score, best.score);
        let own = ranked
            .iter()
            .find(|c| c.span == first.span && c.pattern == first.pattern)
            .expect("the Rev-type window is a candidate");
        assert!(
            own.score < best.score - 0.05,
            "the old margin would have kept 1b+Φ0"
        );
    }
}
