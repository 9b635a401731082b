use std::collections::HashMap;

use glam::Vec3;

use super::DistanceMode;
use crate::structure::{Complex, Pocket, PointGrid, Residue};

/// Radius of the grid query; beyond it a residue is far from every pocket and gets an exact scan.
const SEARCH_RADIUS: f32 = 12.0;

/// The atoms a distance is measured between, per mode.
fn mode_atoms(residue: &Residue, mode: DistanceMode) -> Vec<Vec3> {
    match mode {
        DistanceMode::Ca => residue.ca().map(|a| vec![a.pos]).unwrap_or_default(),
        DistanceMode::Heavy => residue.heavy_atoms().map(|a| a.pos).collect(),
    }
}

/// Side-chain centroid (CA for glycine): where a residue points, used to break ties between
/// pockets that share a lining residue.
pub(super) fn side_chain_centroid(residue: &Residue) -> Option<Vec3> {
    let side: Vec<Vec3> = residue
        .heavy_atoms()
        .filter(|a| !a.is_backbone())
        .map(|a| a.pos)
        .collect();
    if side.is_empty() {
        residue.ca().map(|a| a.pos)
    } else {
        Some(side.iter().copied().sum::<Vec3>() / side.len() as f32)
    }
}

/// For each peptide residue index: (minimum distance to any pocket-lining residue, nearest pocket).
pub(super) fn nearest_pockets(
    complex: &Complex,
    mode: DistanceMode,
) -> HashMap<usize, (f32, Option<Pocket>)> {
    let receptor = complex.receptor_chain();
    // Lining residues can line several pockets; keep them per residue and resolve pockets later.
    let mut lining_pockets: HashMap<usize, Vec<Pocket>> = HashMap::new();
    for site in &complex.pockets {
        for &i in &site.residue_indices {
            lining_pockets.entry(i).or_default().push(site.pocket);
        }
    }
    let lining_atoms: Vec<(Vec3, usize)> = lining_pockets
        .keys()
        .flat_map(|&i| {
            mode_atoms(&receptor.residues[i], mode)
                .into_iter()
                .map(move |p| (p, i))
        })
        .collect();
    let grid = PointGrid::from_points(SEARCH_RADIUS / 2.0, lining_atoms.iter().copied());

    let mut out = HashMap::new();
    for (pi, residue) in complex.peptide_chain().residues.iter().enumerate() {
        if residue.code == 'X' {
            continue;
        }
        let mut best: Option<(f32, usize)> = None;
        let consider = |best: &mut Option<(f32, usize)>, d: f32, lining: usize| {
            if best.is_none_or(|(bd, _)| d < bd) {
                *best = Some((d, lining));
            }
        };
        let atoms = mode_atoms(residue, mode);
        for &a in &atoms {
            grid.for_each_within(a, SEARCH_RADIUS, |_, lining, d| {
                consider(&mut best, d, lining)
            });
        }
        if best.is_none() {
            for &a in &atoms {
                for &(p, lining) in &lining_atoms {
                    consider(&mut best, a.distance(p), lining);
                }
            }
        }
        let entry = match best {
            Some((d, lining)) => (d, pick_pocket(complex, residue, &lining_pockets[&lining])),
            None => (f32::INFINITY, None),
        };
        out.insert(pi, entry);
    }
    out
}

fn pick_pocket(complex: &Complex, residue: &Residue, candidates: &[Pocket]) -> Option<Pocket> {
    if candidates.len() <= 1 {
        return candidates.first().copied();
    }
    let here = side_chain_centroid(residue)?;
    candidates
        .iter()
        .filter_map(|&p| {
            let centre = complex.pockets.iter().find(|s| s.pocket == p)?.centre?;
            Some((p, centre.distance(here)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(p, _)| p)
}
