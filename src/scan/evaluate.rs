//! How well a scan finds the NESs of whole proteins, by the LocNES protocol (Xu et al. 2015): the
//! candidates are every consensus-class window of each protein; a candidate is real when at least half
//! of it lies in an annotated export signal. Recall counts annotated NESs hit by a positive candidate,
//! precision the positive candidates that are real. Beside the model, in the same run: the consensus
//! rule (every window positive; its top candidate is the best-ranked class match) and the ELM regex
//! (every match positive).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::candidates::{Candidate, candidates, distinct};
use crate::train::metrics::pr_auc;
use crate::train::patterns::best_register;

/// One evaluated protein.
pub struct ScanTruth<'a> {
    pub sequence: &'a str,
    /// Annotated export signals, 0-based, end exclusive.
    pub nes: &'a [Range<usize>],
    /// The model's P(NES) per residue.
    pub probabilities: &'a [f32],
    /// The model that scored this protein (its window ranker or register-type prior ranks the
    /// candidates); `None`: mean P(NES) alone.
    pub model: Option<&'a super::ScanModel>,
}

/// A point of a precision–recall curve at one score threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    pub threshold: f32,
    pub recall: f32,
    pub precision: f32,
}

/// Precision and recall of one method at one operating point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operating {
    pub method: String,
    pub recall: f32,
    pub precision: f32,
    pub positives: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    pub proteins: usize,
    /// Proteins with at least one annotated NES.
    pub proteins_with_nes: usize,
    pub nes: usize,
    pub candidates: usize,
    pub real_candidates: usize,
    /// Annotated NESs that no consensus window touches (no method of this protocol can find them).
    pub nes_without_window: usize,
    /// The model's candidate-level PR curve (by score threshold).
    pub curve: Vec<PrPoint>,
    /// The model's best precision at a recall of at least 0.68 (LocNES's recall on NESdb).
    pub precision_at_locnes_recall: Option<f32>,
    /// The model at its chosen threshold, the consensus rule and the ELM regex.
    pub operating: Vec<Operating>,
    /// Top candidate (and any of the top 3) real, among proteins with an NES: (method, top-1, top-3).
    pub top: Vec<(String, f32, f32)>,
    /// PR-AUC of NES residues over whole proteins, the model's P(NES).
    pub residue_pr_auc: Option<f32>,
    pub threshold: f32,
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> usize {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

/// Whether at least half of `span` lies in one annotated NES.
pub fn is_real(span: &Range<usize>, nes: &[Range<usize>]) -> bool {
    nes.iter().any(|r| 2 * overlap(span, r) >= span.len())
}

/// Annotated NESs touched by at least half of one of `spans`.
fn nes_found(spans: &[Range<usize>], nes: &[Range<usize>]) -> usize {
    nes.iter()
        .filter(|r| spans.iter().any(|s| 2 * overlap(s, r) >= s.len()))
        .count()
}

/// Every match of the ELM regex in the protein (leftmost, non-overlapping).
fn elm_spans(sequence: &str) -> Vec<Range<usize>> {
    let upper = sequence.to_ascii_uppercase();
    match crate::train::baselines::elm_regex() {
        Some(re) if upper.is_ascii() => re.find_iter(&upper).map(|m| m.range()).collect(),
        _ => Vec::new(),
    }
}

/// The LocNES-protocol report of `proteins` with the model at `threshold`.
pub fn evaluate_scan(proteins: &[ScanTruth<'_>], threshold: f32) -> ScanReport {
    let scored: Vec<Vec<Candidate>> = proteins
        .iter()
        .map(|p| match p.model {
            Some(m) => m.candidates(p.sequence, p.probabilities),
            None => candidates(p.sequence, p.probabilities),
        })
        .collect();
    let nes: usize = proteins.iter().map(|p| p.nes.len()).sum();
    let all: Vec<(f32, bool, usize)> = scored
        .iter()
        .enumerate()
        .flat_map(|(k, cands)| {
            cands
                .iter()
                .map(move |c| (c.score, is_real(&c.span, proteins[k].nes), k))
        })
        .collect();
    let real_candidates = all.iter().filter(|c| c.1).count();
    let nes_without_window = proteins
        .iter()
        .zip(&scored)
        .map(|(p, c)| {
            let spans: Vec<Range<usize>> = c.iter().map(|c| c.span.clone()).collect();
            p.nes.len() - nes_found(&spans, p.nes)
        })
        .sum();

    // Recall and precision of "every candidate scoring ≥ t is an NES".
    let at = |t: f32| -> (f32, f32, usize) {
        let mut positives = 0;
        let mut real = 0;
        let mut found = 0;
        for (p, cands) in proteins.iter().zip(&scored) {
            let spans: Vec<Range<usize>> = cands
                .iter()
                .filter(|c| c.score >= t)
                .map(|c| c.span.clone())
                .collect();
            positives += spans.len();
            real += spans.iter().filter(|s| is_real(s, p.nes)).count();
            found += nes_found(&spans, p.nes);
        }
        let recall = found as f32 / nes.max(1) as f32;
        let precision = if positives == 0 {
            1.0
        } else {
            real as f32 / positives as f32
        };
        (recall, precision, positives)
    };
    let mut thresholds: Vec<f32> = all.iter().map(|c| c.0).collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    // At most ~200 points: every k-th distinct score.
    let step = thresholds.len().div_ceil(200).max(1);
    let curve: Vec<PrPoint> = thresholds
        .iter()
        .step_by(step)
        .chain(thresholds.last())
        .map(|&t| {
            let (recall, precision, _) = at(t);
            PrPoint {
                threshold: t,
                recall,
                precision,
            }
        })
        .collect();
    let precision_at_locnes_recall = curve
        .iter()
        .filter(|p| p.recall >= 0.68)
        .map(|p| p.precision)
        .fold(None, |best: Option<f32>, p| {
            Some(best.map_or(p, |b| b.max(p)))
        });

    let (recall, precision, positives) = at(threshold);
    let mut operating = vec![Operating {
        method: format!("model (score ≥ {threshold:.2})"),
        recall,
        precision,
        positives,
    }];
    let (c_recall, c_precision, c_pos) = at(f32::NEG_INFINITY);
    operating.push(Operating {
        method: "consensus (every window)".into(),
        recall: c_recall,
        precision: c_precision,
        positives: c_pos,
    });
    let mut elm_pos = 0;
    let mut elm_real = 0;
    let mut elm_found = 0;
    for p in proteins {
        let spans = elm_spans(p.sequence);
        elm_pos += spans.len();
        elm_real += spans.iter().filter(|s| is_real(s, p.nes)).count();
        elm_found += nes_found(&spans, p.nes);
    }
    operating.push(Operating {
        method: "ELM regex (every match)".into(),
        recall: elm_found as f32 / nes.max(1) as f32,
        precision: if elm_pos == 0 {
            1.0
        } else {
            elm_real as f32 / elm_pos as f32
        },
        positives: elm_pos,
    });

    // Protein level, over proteins with an annotated NES.
    let with_nes: Vec<usize> = (0..proteins.len())
        .filter(|&k| !proteins[k].nes.is_empty())
        .collect();
    let share = |hits: usize| hits as f32 / with_nes.len().max(1) as f32;
    // What the scan shows: the best candidates that do not overlap a better one, as the rule's
    // top 3 are distinct places too.
    let model_top = |n: usize| {
        with_nes
            .iter()
            .filter(|&&k| {
                distinct(&scored[k], n)
                    .iter()
                    .any(|c| is_real(&c.span, proteins[k].nes))
            })
            .count()
    };
    // The rule's own ranking: best class match first (Rev type, forward, class order, Φ0, earliest).
    let rule_ranked = |k: usize| -> Vec<Range<usize>> {
        let seq = proteins[k].sequence;
        let n = seq.chars().count();
        let mut out: Vec<Range<usize>> = Vec::new();
        let mut blocked = vec![false; n];
        // Greedy: the best register, then the best one that does not overlap it, …
        while out.len() < 3 {
            let Some(m) = best_register_masked(seq, &blocked) else {
                break;
            };
            let span = super::candidates::register_span(&m);
            for b in &mut blocked[span.clone()] {
                *b = true;
            }
            out.push(span);
        }
        out
    };
    let rule_top = |n: usize| {
        with_nes
            .iter()
            .filter(|&&k| {
                rule_ranked(k)
                    .iter()
                    .take(n)
                    .any(|s| is_real(s, proteins[k].nes))
            })
            .count()
    };
    let elm_top = |n: usize| {
        with_nes
            .iter()
            .filter(|&&k| {
                elm_spans(proteins[k].sequence)
                    .iter()
                    .take(n)
                    .any(|s| is_real(s, proteins[k].nes))
            })
            .count()
    };
    let top = vec![
        (
            "model".to_string(),
            share(model_top(1)),
            share(model_top(3)),
        ),
        (
            "consensus".to_string(),
            share(rule_top(1)),
            share(rule_top(3)),
        ),
        (
            "ELM regex".to_string(),
            share(elm_top(1)),
            share(elm_top(3)),
        ),
    ];

    let mut scores = Vec::new();
    let mut labels = Vec::new();
    for p in proteins {
        for (i, &s) in p.probabilities.iter().enumerate() {
            scores.push(s);
            labels.push(p.nes.iter().any(|r| r.contains(&i)));
        }
    }
    ScanReport {
        proteins: proteins.len(),
        proteins_with_nes: with_nes.len(),
        nes,
        candidates: all.len(),
        real_candidates,
        nes_without_window,
        curve,
        precision_at_locnes_recall,
        operating,
        top,
        residue_pr_auc: pr_auc(&scores, &labels).map(|v| v as f32),
        threshold,
    }
}

/// The rule's best register among residues not yet `blocked` (every Φ position free).
fn best_register_masked(
    sequence: &str,
    blocked: &[bool],
) -> Option<crate::train::patterns::PatternMatch> {
    let n = sequence.chars().count();
    let mut best: Option<crate::train::patterns::PatternMatch> = None;
    // best_register ranks within a core; scanning free stretches keeps its ranking per stretch,
    // and the earliest best stretch wins ties as the rule's "earliest start" does.
    let mut start = 0;
    while start < n {
        if blocked[start] {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < n && !blocked[end] {
            end += 1;
        }
        if let Some(m) = best_register(sequence, start..end)
            && m.positions.iter().flatten().all(|&p| !blocked[p])
            && best.as_ref().is_none_or(|b| rule_better(&m, b))
        {
            best = Some(m);
        }
        start = end;
    }
    best
}

fn rule_better(
    a: &crate::train::patterns::PatternMatch,
    b: &crate::train::patterns::PatternMatch,
) -> bool {
    a.rank_key() > b.rank_key()
}

/// The report as plain text.
pub fn scan_summary(r: &ScanReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{} proteins ({} with an annotated NES), {} NESs; {} consensus windows, {} of them real; {} NESs have no consensus window\n\n",
        r.proteins, r.proteins_with_nes, r.nes, r.candidates, r.real_candidates, r.nes_without_window
    ));
    s.push_str("method                          recall  precision  positives\n");
    for o in &r.operating {
        s.push_str(&format!(
            "{:<30} {:>7.3} {:>10.3} {:>10}\n",
            o.method, o.recall, o.precision, o.positives
        ));
    }
    s.push_str(&format!(
        "model precision at recall ≥ 0.68 (LocNES: 0.26): {}\n\n",
        r.precision_at_locnes_recall
            .map_or("not reached".to_string(), |p| format!("{p:.3}"))
    ));
    s.push_str("protein level (proteins with an NES)   top-1   top-3\n");
    for (m, t1, t3) in &r.top {
        s.push_str(&format!("{m:<38} {t1:>6.3} {t3:>7.3}\n"));
    }
    s.push_str(&format!(
        "\nresidue level: PR-AUC of NES residues over whole proteins {}\n",
        r.residue_pr_auc
            .map_or("–".to_string(), |v| format!("{v:.3}"))
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report of one protein scored by mean P(NES) alone, at threshold 0.5.
    fn one_protein(sequence: &str, nes: &[Range<usize>], probabilities: &[f32]) -> ScanReport {
        evaluate_scan(
            &[ScanTruth {
                sequence,
                nes,
                probabilities,
                model: None,
            }],
            0.5,
        )
    }

    #[test]
    fn a_perfect_score_finds_every_nes_with_a_window() {
        // PKI-α and, far from its NES, a class-1a decoy (LKKRLEEIRL) that no NES annotation covers.
        let seq = "MTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSESGGSLKKRLEEIRLGG";
        let start = seq.find("LALKLAGLDI").unwrap();
        let nes: Vec<Range<usize>> = std::iter::once(start..start + 10).collect();
        let probs: Vec<f32> = (0..seq.len())
            .map(|i| if nes[0].contains(&i) { 0.95 } else { 0.05 })
            .collect();
        let r = one_protein(seq, &nes, &probs);
        assert_eq!(r.nes, 1);
        assert_eq!(r.nes_without_window, 0);
        let model = &r.operating[0];
        assert_eq!(model.recall, 1.0);
        assert_eq!(model.precision, 1.0);
        assert_eq!(r.top[0].1, 1.0, "the model's top candidate is PKI's NES");
        assert!(
            r.operating[1].precision < 1.0,
            "the rule also flags chance windows"
        );
        assert!(r.residue_pr_auc.unwrap() > 0.99);
    }

    /// The top 3 are three places, as the scan lists them: registers of one decoy (PKI's NES again,
    /// unannotated) scored above the NES fill the three best windows but count as one candidate.
    #[test]
    fn top_three_are_distinct_places() {
        let seq = "MTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSESGGSNEMALKLAGLDINGG";
        let start = seq.find("LALKLAGLDI").unwrap();
        let decoy = seq.find("MALKLAGLDI").unwrap();
        let nes: Vec<Range<usize>> = std::iter::once(start..start + 10).collect();
        let probs: Vec<f32> = (0..seq.len())
            .map(|i| {
                if (decoy..seq.len()).contains(&i) {
                    0.9
                } else if nes[0].contains(&i) {
                    0.6
                } else {
                    0.05
                }
            })
            .collect();
        let raw = candidates(seq, &probs);
        assert!(
            raw.iter().take(3).all(|c| !is_real(&c.span, &nes)),
            "the decoy's registers are the three best windows"
        );
        let r = one_protein(seq, &nes, &probs);
        assert_eq!(r.top[0].1, 0.0, "the decoy comes first");
        assert_eq!(
            r.top[0].2, 1.0,
            "PKI's NES is the second distinct candidate"
        );
    }
}
