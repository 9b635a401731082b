//! Register decoding: from per-residue pocket probabilities to the most probable *consistent*
//! Φ register of a peptide.
//!
//! A per-residue argmax can put two residues in Φ3 and none in Φ1. A register here is one residue
//! per core pocket Φ1–Φ4 and at most one in Φ0, in chain order: forward NESs fill Φ0→Φ4 from the
//! N- to the C-terminus, reverse ("minus", Fung et al. 2015) NESs fill them C→N, so a reverse
//! register read from the C-terminus is spaced like a forward one. Spacings between consecutive
//! pockets stay within [`RegisterBounds`].
//!
//! The score of a register is the log-probability of the whole labelling it implies (its residues
//! in their pockets, every other residue in "none") under independent per-residue distributions.
//! Because the pockets form a chain, an exact dynamic programme over (pocket, position) finds the
//! best and the runner-up register and the log-sum over all registers, whose ratio is the
//! register's probability among all consistent ones.

use serde::{Deserialize, Serialize};

use super::metrics::POCKET_CLASSES;
use super::patterns::Orientation;

/// Probabilities below this are clamped before taking logs, so one confident zero cannot veto a
/// register outright.
const MIN_PROBABILITY: f32 = 1e-6;

/// Longest step a bound may allow.
pub const MAX_STEP: usize = 8;

/// Allowed steps (position difference, inclusive ranges) between consecutive pockets, counted in
/// the register's own direction, and an optional log-preference for each step and for Φ0 being
/// present: the spacing grammar of NESs, learned from the training registers
/// ([`RegisterBounds::with_prior_from`]) so that the decoder weighs a class-1a spacing above a rare
/// one when the residues alone are ambiguous. All zeros = no preference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegisterBounds {
    pub phi0_phi1: (usize, usize),
    pub phi1_phi2: (usize, usize),
    pub phi2_phi3: (usize, usize),
    pub phi3_phi4: (usize, usize),
    /// `step_log_prior[k - 1][step]`: log-preference of `step` into pocket Φk (k = 1..=4).
    #[serde(default)]
    pub step_log_prior: [[f64; MAX_STEP + 1]; 4],
    /// Log-preference of Φ0 absent (index 0) and present (index 1).
    #[serde(default)]
    pub phi0_log_prior: [f64; 2],
}

impl Default for RegisterBounds {
    /// The consensus classes span steps Φ1→Φ2 2–4, Φ2→Φ3 3–4, Φ3→Φ4 2–3, Φ0→Φ1 1 (Rev) – 4 (SPN1 3);
    /// the pocket-occupancy labels of the crystal grooves and of the AlphaFold models with peptide
    /// pLDDT ≥ 70 add Φ1→Φ2 and Φ2→Φ3 steps of 2 and 5 and Φ3→Φ4 steps of 1 and 4 (Fung et al.
    /// 2017: NES backbones take several conformations in the same groove). See docs/training.md.
    fn default() -> Self {
        Self {
            phi0_phi1: (1, 4),
            phi1_phi2: (2, 5),
            phi2_phi3: (2, 5),
            phi3_phi4: (1, 4),
            step_log_prior: [[0.0; MAX_STEP + 1]; 4],
            phi0_log_prior: [0.0; 2],
        }
    }
}

impl RegisterBounds {
    /// Step bounds into pocket `k` (1..=4) from pocket `k - 1`.
    fn step_into(&self, k: usize) -> (usize, usize) {
        match k {
            1 => self.phi0_phi1,
            2 => self.phi1_phi2,
            3 => self.phi2_phi3,
            _ => self.phi3_phi4,
        }
    }

    /// The log-preference of a `step` into pocket `k` (1..=4).
    pub fn step_prior(&self, k: usize, step: usize) -> f64 {
        self.step_log_prior
            .get(k.wrapping_sub(1))
            .and_then(|row| row.get(step))
            .copied()
            .unwrap_or(0.0)
    }

    /// The prior part of a register's score: its steps and whether Φ0 is filled.
    pub fn prior_score(&self, positions: &[Option<usize>; 5]) -> f64 {
        let mut score = self.phi0_log_prior[usize::from(positions[0].is_some())];
        let start = if positions[0].is_some() { 1 } else { 2 };
        for k in start..5 {
            if let (Some(a), Some(b)) = (positions[k - 1], positions[k]) {
                score += self.step_prior(k, a.abs_diff(b));
            }
        }
        score
    }

    /// These bounds with step and Φ0 preferences estimated from labelled registers (positions,
    /// weight): log of the weighted step frequencies with one pseudo-count per allowed step.
    pub fn with_prior_from(
        mut self,
        registers: impl IntoIterator<Item = ([Option<usize>; 5], f32)>,
    ) -> Self {
        let mut counts = [[0f64; MAX_STEP + 1]; 4];
        let mut phi0 = [1.0f64; 2];
        for (positions, w) in registers {
            let w = f64::from(w);
            phi0[usize::from(positions[0].is_some())] += w;
            let start = if positions[0].is_some() { 1 } else { 2 };
            for k in start..5 {
                if let (Some(a), Some(b)) = (positions[k - 1], positions[k]) {
                    let step = a.abs_diff(b);
                    if step <= MAX_STEP {
                        counts[k - 1][step] += w;
                    }
                }
            }
        }
        for k in 1..5 {
            let (lo, hi) = self.step_into(k);
            let hi = hi.min(MAX_STEP);
            let total: f64 = (lo..=hi).map(|s| counts[k - 1][s] + 1.0).sum();
            for (step, (prior, count)) in self.step_log_prior[k - 1]
                .iter_mut()
                .zip(counts[k - 1])
                .enumerate()
            {
                *prior = if (lo..=hi).contains(&step) {
                    ((count + 1.0) / total).ln()
                } else {
                    0.0
                };
            }
        }
        let total = phi0[0] + phi0[1];
        self.phi0_log_prior = [(phi0[0] / total).ln(), (phi0[1] / total).ln()];
        self
    }

    /// Whether consecutive filled pockets of `positions` keep these spacings (in `orientation`).
    pub fn admits(&self, positions: &[Option<usize>; 5], orientation: Orientation) -> bool {
        self.chain_ok(positions, orientation, 4)
    }

    /// Φ1..=Φ`last` filled (Φ0 optional), consecutive steps within the bounds.
    fn chain_ok(
        &self,
        positions: &[Option<usize>; 5],
        orientation: Orientation,
        last: usize,
    ) -> bool {
        let mut previous: Option<usize> = None;
        for (k, p) in positions.iter().enumerate().take(last + 1) {
            let Some(p) = *p else {
                if k >= 1 {
                    return false;
                }
                continue;
            };
            if let Some(pp) = previous {
                let step = match orientation {
                    Orientation::Forward => p.checked_sub(pp),
                    Orientation::Reverse => pp.checked_sub(p),
                };
                let (lo, hi) = self.step_into(k);
                if !step.is_some_and(|s| (lo..=hi).contains(&s)) {
                    return false;
                }
            }
            previous = Some(p);
        }
        true
    }

    /// [`RegisterBounds::admits`], or a register cut by the end of a peptide of `len` residues:
    /// Φ1–Φ3 filled in order and no room left for Φ4 before the end (the C-terminus forward, the
    /// N-terminus reverse), as in groove excerpts that stop at the last residue the crystal
    /// resolved (5DIF's reverse NES, 5DHF's).
    pub fn admits_in(
        &self,
        positions: &[Option<usize>; 5],
        orientation: Orientation,
        len: usize,
    ) -> bool {
        if self.admits(positions, orientation) {
            return true;
        }
        let last = 3;
        let (Some(p), true) = (
            positions[last],
            positions[last + 1..].iter().all(Option::is_none),
        ) else {
            return false;
        };
        let lo = self.step_into(last + 1).0;
        let no_room = match orientation {
            Orientation::Forward => p + lo >= len,
            Orientation::Reverse => p < lo,
        };
        no_room && self.chain_ok(positions, orientation, last)
    }
}

/// One consistent register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Register {
    pub orientation: Orientation,
    /// 0-based residue in Φ0..Φ4 (Φ0 optional, Φ1–Φ4 always set).
    pub positions: [Option<usize>; 5],
    /// Log-probability of the labelling relative to "no residue in any pocket".
    pub log_score: f64,
    /// Probability among all consistent registers of the peptide.
    pub probability: f64,
}

impl Register {
    /// Per-residue pocket class (0 = none, 1..=5 = Φ0..Φ4) for a peptide of `len` residues.
    pub fn classes(&self, len: usize) -> Vec<usize> {
        let mut out = vec![0; len];
        for (k, p) in self.positions.iter().enumerate() {
            if let Some(p) = p
                && *p < len
            {
                out[*p] = k + 1;
            }
        }
        out
    }

    /// "Φ1 L4, Φ2 L8, …" with 1-based positions, for people.
    pub fn describe(&self, sequence: &str) -> String {
        format!(
            "{} ({}), p = {:.2}",
            pocket_residues(&self.positions, sequence),
            self.orientation.name(),
            self.probability
        )
    }
}

/// "Φ1 L4, Φ2 L8, …": the filled pockets of `positions` (0-based residues of `sequence`), 1-based.
pub fn pocket_residues(positions: &[Option<usize>; 5], sequence: &str) -> String {
    let residues: Vec<char> = sequence.chars().collect();
    positions
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            p.map(|p| format!("Φ{k} {}{}", residues.get(p).copied().unwrap_or('?'), p + 1))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The decoder's answer for one peptide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decoding {
    pub best: Option<Register>,
    pub runner_up: Option<Register>,
    /// Log-sum-exp of the scores of all consistent registers (relative to "no register").
    pub log_partition: f64,
    /// How many consistent registers the peptide has.
    pub registers: u64,
}

/// A partial register ending in one pocket at one position: best two and the log-sum.
#[derive(Debug, Clone, Default)]
struct Cell {
    top: Vec<(f64, [Option<usize>; 5])>,
    log_sum: f64,
    count: u64,
}

fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

fn push_top(top: &mut Vec<(f64, [Option<usize>; 5])>, candidate: (f64, [Option<usize>; 5])) {
    top.push(candidate);
    // Ties keep the earlier-found register first (stable sort), so decoding is deterministic.
    top.sort_by(|a, b| b.0.total_cmp(&a.0));
    top.truncate(2);
}

/// Runs the chain DP over `gain[i][k]` (log-gain of residue i in pocket Φk) for one direction;
/// positions come back in the index space of `gain`.
fn decode_direction(gain: &[[f64; 5]], bounds: &RegisterBounds) -> Cell {
    let n = gain.len();
    let mut total = Cell {
        log_sum: f64::NEG_INFINITY,
        ..Cell::default()
    };
    // cells[k][i]: registers whose last filled pocket is Φk at residue i.
    let mut previous: Vec<Cell> = (0..n)
        .map(|i| {
            let mut positions = [None; 5];
            positions[0] = Some(i);
            let score = gain[i][0] + bounds.phi0_log_prior[1];
            Cell {
                top: vec![(score, positions)],
                log_sum: score,
                count: 1,
            }
        })
        .collect();
    for k in 1..5 {
        let (lo, hi) = bounds.step_into(k);
        let mut current = Vec::with_capacity(n);
        for (i, gain_i) in gain.iter().enumerate() {
            let mut cell = Cell {
                log_sum: f64::NEG_INFINITY,
                ..Cell::default()
            };
            if k == 1 {
                // Φ0 absent.
                let mut positions = [None; 5];
                positions[1] = Some(i);
                let absent = bounds.phi0_log_prior[0];
                cell.top.push((absent, positions));
                cell.log_sum = absent;
                cell.count = 1;
            }
            for step in lo..=hi {
                let Some(j) = i.checked_sub(step) else {
                    break;
                };
                let from = &previous[j];
                let prior = bounds.step_prior(k, step);
                for (score, positions) in &from.top {
                    let mut p = *positions;
                    p[k] = Some(i);
                    push_top(&mut cell.top, (*score + prior, p));
                }
                cell.log_sum = log_add(cell.log_sum, from.log_sum + prior);
                cell.count += from.count;
            }
            for entry in &mut cell.top {
                entry.0 += gain_i[k];
            }
            if cell.count > 0 {
                cell.log_sum += gain_i[k];
            }
            current.push(cell);
        }
        // A register may stop after Φ3 where the peptide ends before Φ4 fits.
        if k == 3 {
            let lo_next = bounds.step_into(k + 1).0;
            for cell in current.iter().skip(n.saturating_sub(lo_next)) {
                for entry in &cell.top {
                    push_top(&mut total.top, *entry);
                }
                total.log_sum = log_add(total.log_sum, cell.log_sum);
                total.count += cell.count;
            }
        }
        previous = current;
    }
    for cell in previous {
        for entry in cell.top {
            push_top(&mut total.top, entry);
        }
        total.log_sum = log_add(total.log_sum, cell.log_sum);
        total.count += cell.count;
    }
    total
}

/// The most probable consistent register of a peptide from its per-residue pocket probabilities
/// (`probabilities[i]` = none, Φ0..Φ4, as the tagger's pocket head gives them), with the runner-up.
/// Peptides too short for any register decode to `best: None`.
pub fn decode(probabilities: &[[f32; POCKET_CLASSES]], bounds: &RegisterBounds) -> Decoding {
    let ln = |p: f32| f64::from(p.max(MIN_PROBABILITY)).ln();
    let gain: Vec<[f64; 5]> = probabilities
        .iter()
        .map(|p| {
            let none = ln(p[0]);
            std::array::from_fn(|k| ln(p[k + 1]) - none)
        })
        .collect();
    let n = gain.len();
    let forward = decode_direction(&gain, bounds);
    let reversed: Vec<[f64; 5]> = gain.iter().rev().copied().collect();
    let mut reverse = decode_direction(&reversed, bounds);
    for entry in &mut reverse.top {
        entry.1 = entry.1.map(|p| p.map(|q| n - 1 - q));
    }
    let log_partition = log_add(forward.log_sum, reverse.log_sum);
    let mut all: Vec<(f64, [Option<usize>; 5], Orientation)> = forward
        .top
        .into_iter()
        .map(|(s, p)| (s, p, Orientation::Forward))
        .chain(
            reverse
                .top
                .into_iter()
                .map(|(s, p)| (s, p, Orientation::Reverse)),
        )
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut registers = all
        .into_iter()
        .map(|(log_score, positions, orientation)| Register {
            orientation,
            positions,
            log_score,
            probability: (log_score - log_partition).exp(),
        });
    Decoding {
        best: registers.next(),
        runner_up: registers.next(),
        log_partition,
        registers: forward.count + reverse.count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table where residues in `register` sit in their pocket with `p`, every other residue is
    /// "none" with 0.9.
    fn table(n: usize, register: &[(usize, usize)], p: f32) -> Vec<[f32; POCKET_CLASSES]> {
        let mut t = vec![[0.9, 0.02, 0.02, 0.02, 0.02, 0.02]; n];
        for &(i, k) in register {
            let mut row = [(1.0 - p) / 5.0; POCKET_CLASSES];
            row[k + 1] = p;
            t[i] = row;
        }
        t
    }

    /// Every consistent register by brute force: (score, positions, orientation).
    fn brute(
        probs: &[[f32; POCKET_CLASSES]],
        b: &RegisterBounds,
    ) -> Vec<(f64, [Option<usize>; 5])> {
        let n = probs.len();
        let ln = |p: f32| f64::from(p.max(MIN_PROBABILITY)).ln();
        let gain = |i: usize, k: usize| ln(probs[i][k + 1]) - ln(probs[i][0]);
        let mut out = Vec::new();
        for orientation in [Orientation::Forward, Orientation::Reverse] {
            let phi0s: Vec<Option<usize>> = std::iter::once(None).chain((0..n).map(Some)).collect();
            for p0 in &phi0s {
                for p1 in 0..n {
                    for p2 in 0..n {
                        for p3 in &phi0s {
                            for p4 in &phi0s {
                                let pos = [*p0, Some(p1), Some(p2), *p3, *p4];
                                if b.admits_in(&pos, orientation, n) {
                                    let s: f64 = pos
                                        .iter()
                                        .enumerate()
                                        .filter_map(|(k, p)| p.map(|i| gain(i, k)))
                                        .sum::<f64>()
                                        + b.prior_score(&pos);
                                    out.push((s, pos));
                                }
                            }
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        out
    }

    #[test]
    fn forward_register_is_recovered() {
        // PKI-like: Φ1 0, Φ2 4, Φ3 7, Φ4 9 in a 12-mer.
        let t = table(12, &[(0, 1), (4, 2), (7, 3), (9, 4)], 0.8);
        let d = decode(&t, &RegisterBounds::default());
        let best = d.best.expect("a register");
        assert_eq!(best.orientation, Orientation::Forward);
        assert_eq!(best.positions, [None, Some(0), Some(4), Some(7), Some(9)]);
        assert!(best.probability > 0.5, "{}", best.probability);
        let runner = d.runner_up.expect("a runner-up");
        assert!(runner.log_score <= best.log_score);
        assert_ne!(runner.positions, best.positions);
    }

    #[test]
    fn reverse_register_is_recovered() {
        // Φ4 at 1, Φ3 3, Φ2 6, Φ1 10, Φ0 13: filled C→N.
        let t = table(15, &[(13, 0), (10, 1), (6, 2), (3, 3), (1, 4)], 0.8);
        let best = decode(&t, &RegisterBounds::default())
            .best
            .expect("register");
        assert_eq!(best.orientation, Orientation::Reverse);
        assert_eq!(
            best.positions,
            [Some(13), Some(10), Some(6), Some(3), Some(1)]
        );
    }

    #[test]
    fn phi0_absent_when_no_residue_wants_it() {
        let t = table(14, &[(3, 1), (7, 2), (10, 3), (12, 4)], 0.8);
        let best = decode(&t, &RegisterBounds::default())
            .best
            .expect("register");
        assert_eq!(best.positions[0], None);
        // …and present when one does, at a legal step before Φ1.
        let t = table(14, &[(0, 0), (3, 1), (7, 2), (10, 3), (12, 4)], 0.8);
        let best = decode(&t, &RegisterBounds::default())
            .best
            .expect("register");
        assert_eq!(
            best.positions,
            [Some(0), Some(3), Some(7), Some(10), Some(12)]
        );
    }

    #[test]
    fn each_pocket_used_once_even_when_argmax_repeats_one() {
        // Two residues look like Φ3, none like Φ1: argmax has no register, the decoder still
        // returns one with every pocket used once and the better Φ3.
        let mut t = table(12, &[(4, 2), (7, 3), (8, 3), (10, 4)], 0.7);
        t[8][4] = 0.6;
        let best = decode(&t, &RegisterBounds::default())
            .best
            .expect("register");
        let filled: Vec<usize> = best.positions.iter().flatten().copied().collect();
        let mut unique = filled.clone();
        unique.dedup();
        assert_eq!(filled.len(), unique.len());
        assert_eq!(best.positions[3], Some(7));
        assert_eq!(best.positions[2], Some(4));
    }

    #[test]
    fn ties_are_broken_deterministically_and_share_probability() {
        // A flat table: every register scores the same; the probability is 1 / count.
        let t = vec![[0.5, 0.1, 0.1, 0.1, 0.1, 0.1]; 12];
        let a = decode(&t, &RegisterBounds::default());
        let b = decode(&t, &RegisterBounds::default());
        assert_eq!(a, b);
        let best = a.best.expect("register");
        let runner = a.runner_up.expect("runner-up");
        assert!((best.log_score - runner.log_score).abs() < 1e-9);
        assert!(a.registers > 2);
        // Flat within each Φ0-present/absent family; the best is one of the equal-scoring family.
        assert!(best.probability <= 1.0 && best.probability > 0.0);
    }

    #[test]
    fn dp_equals_brute_force_on_random_tables() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32).max(1e-3)
        };
        let bounds = RegisterBounds::default();
        for n in [9usize, 11, 13] {
            for _ in 0..4 {
                let t: Vec<[f32; POCKET_CLASSES]> = (0..n)
                    .map(|_| {
                        let raw: [f32; POCKET_CLASSES] = std::array::from_fn(|_| next());
                        let s: f32 = raw.iter().sum();
                        raw.map(|v| v / s)
                    })
                    .collect();
                let all = brute(&t, &bounds);
                let d = decode(&t, &bounds);
                assert_eq!(d.registers as usize, all.len());
                let z = all
                    .iter()
                    .fold(f64::NEG_INFINITY, |acc, (s, _)| log_add(acc, *s));
                assert!((d.log_partition - z).abs() < 1e-9);
                let best = d.best.expect("register");
                assert!((best.log_score - all[0].0).abs() < 1e-9);
                assert!((d.runner_up.expect("runner-up").log_score - all[1].0).abs() < 1e-9);
                assert!((best.probability - (all[0].0 - z).exp()).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn dp_with_a_learned_prior_equals_brute_force() {
        // A prior learned from class-1a registers (steps 4, 3, 2; Φ0 3 before Φ1 half the time).
        let regs = (0..10).map(|i| {
            let phi0 = (i % 2 == 0).then_some(0);
            ([phi0, Some(3), Some(7), Some(10), Some(12)], 1.0f32)
        });
        let bounds = RegisterBounds::default().with_prior_from(regs);
        assert!(bounds.step_prior(2, 4) > bounds.step_prior(2, 2));
        let t: Vec<[f32; POCKET_CLASSES]> = (0..12)
            .map(|i| {
                let a = 0.2 + 0.05 * (i % 3) as f32;
                [a, 0.1, 0.15, 0.2, 0.25, 1.0 - a - 0.7]
            })
            .collect();
        let all = brute(&t, &bounds);
        let d = decode(&t, &bounds);
        let z = all
            .iter()
            .fold(f64::NEG_INFINITY, |acc, (s, _)| log_add(acc, *s));
        assert!((d.log_partition - z).abs() < 1e-9);
        assert!((d.best.expect("register").log_score - all[0].0).abs() < 1e-9);
        // On a flat table the prior alone decides: the class-1a spacing wins (a register cut by
        // the C-terminus pays one pocket less and may win; its steps are still 1a's).
        let flat = vec![[0.5, 0.1, 0.1, 0.1, 0.1, 0.1]; 14];
        let best = decode(&flat, &bounds).best.expect("register");
        let p: Vec<usize> = best.positions[1..].iter().flatten().copied().collect();
        let steps: Vec<usize> = p.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(steps[..], [4, 3, 2][..steps.len()]);
    }

    #[test]
    fn a_register_cut_by_the_peptide_end() {
        // 5DIF-like: a reverse NES whose Φ4 lies beyond the excerpt's N-terminus. M1 Φ3, L4 Φ2,
        // L8 Φ1, I11 Φ0 (1-based), read C→N.
        let t = table(11, &[(10, 0), (7, 1), (3, 2), (0, 3)], 0.8);
        let best = decode(&t, &RegisterBounds::default())
            .best
            .expect("register");
        assert_eq!(best.orientation, Orientation::Reverse);
        assert_eq!(best.positions, [Some(10), Some(7), Some(3), Some(0), None]);
        // Only at the end: the same three pockets in mid-peptide need their Φ4.
        let b = RegisterBounds::default();
        assert!(!b.admits_in(
            &[None, Some(9), Some(5), Some(2), None],
            Orientation::Reverse,
            14
        ));
        assert!(b.admits_in(
            &[None, Some(2), Some(6), Some(9), None],
            Orientation::Forward,
            10
        ));
        assert!(!b.admits_in(
            &[None, Some(2), Some(6), Some(9), None],
            Orientation::Forward,
            11
        ));
    }

    #[test]
    fn too_short_for_a_register() {
        let t = table(4, &[], 0.5);
        let d = decode(&t, &RegisterBounds::default());
        assert!(d.best.is_none());
        assert_eq!(d.registers, 0);
    }

    #[test]
    fn bounds_admit_the_consensus_classes_and_the_crystals() {
        let b = RegisterBounds::default();
        // PKI 1a, Rev-type (Φ0 right before Φ1), SPN1 1c+Φ0, 5DIF reverse without Φ4 is not a
        // full register.
        assert!(b.admits(
            &[None, Some(0), Some(4), Some(7), Some(9)],
            Orientation::Forward
        ));
        assert!(b.admits(
            &[Some(0), Some(1), Some(3), Some(6), Some(8)],
            Orientation::Forward
        ));
        assert!(b.admits(
            &[Some(0), Some(3), Some(7), Some(11), Some(13)],
            Orientation::Forward
        ));
        assert!(!b.admits(
            &[None, Some(0), Some(4), Some(7), None],
            Orientation::Forward
        ));
        assert!(!b.admits(
            &[None, Some(9), Some(7), Some(4), Some(0)],
            Orientation::Forward
        ));
        assert!(b.admits(
            &[None, Some(9), Some(5), Some(2), Some(0)],
            Orientation::Reverse
        ));
    }
}
