//! Which residue's side chain sits in which pocket.
//!
//! Plain distance labels a neighbourhood, not a register: in 3NBY, PKI K40 and D45 come within
//! 3.2 Å of CRM1 without filling a pocket. A pocket holds one side chain, so each pocket is given to
//! at most one residue and each residue fills at most one pocket, choosing the assignment with the
//! most side-chain contacts overall. This reproduces the published Φ registers of the crystal
//! structures (PKI 3NBY, Rev 3NBZ/3NC0, SPN1 3GJX, and the reverse NESs of 5DHF/5DIF).

use std::collections::HashMap;

use crate::structure::{Complex, Pocket, PointGrid};

/// Å between a side-chain heavy atom and a lining heavy atom that counts as a contact.
pub const OCCUPANCY_CONTACT: f32 = 4.5;
/// Fewest contacts for a side chain to count as sitting in a pocket.
pub const OCCUPANCY_MIN_SCORE: f32 = 3.0;

/// The pockets are hydrophobic: a side chain sits in one through carbon and sulphur contacts. A
/// charged side chain reaching over a pocket rim (Glu395 of hRio2 in 5DHF) touches it through its
/// polar tip, which should not count.
fn is_apolar(atom: &crate::structure::Atom) -> bool {
    matches!(atom.element.to_ascii_uppercase().as_str(), "C" | "S" | "SE")
}

/// Apolar contact count of each peptide residue's side chain with each pocket's lining atoms.
pub fn contact_scores(complex: &Complex) -> Vec<(usize, [f32; 5])> {
    let receptor = complex.receptor_chain();
    let lining = complex.pockets.iter().flat_map(|site| {
        site.residue_indices.iter().flat_map(move |&i| {
            receptor.residues[i]
                .heavy_atoms()
                .filter(|a| is_apolar(a))
                .map(move |a| (a.pos, site.pocket.index()))
        })
    });
    let grid = PointGrid::from_points(OCCUPANCY_CONTACT, lining);
    complex
        .peptide_chain()
        .residues
        .iter()
        .enumerate()
        .filter(|(_, r)| r.code != 'X')
        .map(|(i, r)| {
            let mut score = [0.0f32; 5];
            for atom in r.heavy_atoms().filter(|a| !a.is_backbone() && is_apolar(a)) {
                grid.for_each_within(atom.pos, OCCUPANCY_CONTACT, |_, pocket, _| {
                    score[pocket] += 1.0
                });
            }
            (i, score)
        })
        .collect()
}

/// Peptide residue index → the pocket it fills.
pub(super) fn assign_pockets(complex: &Complex) -> HashMap<usize, Pocket> {
    let scores = contact_scores(complex);
    best_assignment(&scores, OCCUPANCY_MIN_SCORE)
}

/// Maximum-weight matching of residues to pockets (one each), by dynamic programming over the
/// residues and the set of pockets already used (2^5 states).
pub(super) fn best_assignment(
    scores: &[(usize, [f32; 5])],
    min_score: f32,
) -> HashMap<usize, Pocket> {
    const STATES: usize = 1 << 5;
    let n = scores.len();
    let mut dp = vec![[f32::NEG_INFINITY; STATES]; n + 1];
    // choice[r][mask] = pocket given to residue r on the best path into `mask`, or none.
    let mut choice = vec![[None::<usize>; STATES]; n + 1];
    dp[0][0] = 0.0;
    for r in 0..n {
        for mask in 0..STATES {
            let here = dp[r][mask];
            if here == f32::NEG_INFINITY {
                continue;
            }
            if here > dp[r + 1][mask] {
                dp[r + 1][mask] = here;
                choice[r + 1][mask] = None;
            }
            for (p, &s) in scores[r].1.iter().enumerate() {
                if mask & (1 << p) != 0 || s < min_score {
                    continue;
                }
                let next = mask | (1 << p);
                if here + s > dp[r + 1][next] {
                    dp[r + 1][next] = here + s;
                    choice[r + 1][next] = Some(p);
                }
            }
        }
    }
    let mut mask = (0..STATES)
        .max_by(|&a, &b| dp[n][a].total_cmp(&dp[n][b]))
        .unwrap_or(0);
    let mut out = HashMap::new();
    for r in (1..=n).rev() {
        if let Some(p) = choice[r][mask] {
            if let Some(pocket) = Pocket::from_index(p) {
                out.insert(scores[r - 1].0, pocket);
            }
            mask &= !(1 << p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_residue_per_pocket_and_one_pocket_per_residue() {
        // Residue 0 touches Φ1 most, but residue 1 only fits Φ1: the best total gives 0→Φ2, 1→Φ1.
        let scores = vec![
            (0, [0.0, 10.0, 9.0, 0.0, 0.0]),
            (1, [0.0, 8.0, 0.0, 0.0, 0.0]),
        ];
        let got = best_assignment(&scores, 3.0);
        assert_eq!(got.get(&0), Some(&Pocket::Phi2));
        assert_eq!(got.get(&1), Some(&Pocket::Phi1));
    }

    #[test]
    fn weak_contacts_fill_nothing() {
        let scores = vec![(0, [2.0, 0.0, 0.0, 0.0, 1.0])];
        assert!(best_assignment(&scores, 3.0).is_empty());
    }
}
