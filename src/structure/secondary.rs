//! Secondary structure of a chain from its coordinates, for the cartoon: DSSP's backbone H-bond rule
//! (Kabsch & Sander 1983) where the chain has N, C and O atoms, and a CA-geometry rule for CA-only
//! traces. The two agree on the crystal grooves and the AlphaFold models (tests).

use glam::Vec3;
use serde::{Deserialize, Serialize};

use super::model::{Chain, Residue};
use super::spatial::PointGrid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecondaryStructure {
    Helix,
    Strand,
    Loop,
}

/// DSSP's electrostatic H-bond energy cut-off (kcal/mol).
const HBOND_ENERGY: f32 = -0.5;
/// q1·q2·f of DSSP's formula (0.42 e · 0.20 e · 332 kcal·Å/mol).
const HBOND_SCALE: f32 = 0.084 * 332.0;
/// Residues whose CAs are farther apart cannot H-bond through their backbones.
const HBOND_CA_RANGE: f32 = 9.0;
/// Consecutive CAs farther apart than this are a chain break.
const CA_BREAK: f32 = 4.3;

/// The secondary structure of every residue of `chain` (index-aligned with `chain.residues`): DSSP
/// when at least 90 % of the residues with a CA also have N, C and O, the CA rule otherwise.
pub fn assign_secondary_structure(chain: &Chain) -> Vec<SecondaryStructure> {
    let with_ca = chain.residues.iter().filter(|r| r.ca().is_some()).count();
    let with_backbone = chain
        .residues
        .iter()
        .filter(|r| backbone(r).is_some())
        .count();
    if with_ca > 0 && with_backbone * 10 >= with_ca * 9 {
        dssp(chain)
    } else {
        from_ca_geometry(chain)
    }
}

struct Backbone {
    n: Vec3,
    ca: Vec3,
    c: Vec3,
    o: Vec3,
}

fn backbone(r: &Residue) -> Option<Backbone> {
    Some(Backbone {
        n: r.atom("N")?.pos,
        ca: r.ca()?.pos,
        c: r.atom("C")?.pos,
        o: r.atom("O")?.pos,
    })
}

/// Helices (H, from two consecutive i→i+4 turns) and strands (E, residues in a β-bridge) by DSSP's
/// H-bond rule; 3₁₀ and π helices, turns and bends are loops here.
pub fn dssp(chain: &Chain) -> Vec<SecondaryStructure> {
    let n = chain.residues.len();
    let bb: Vec<Option<Backbone>> = chain.residues.iter().map(backbone).collect();
    // DSSP's amide H: 1 Å from N, along the previous residue's O→C direction.
    let hydrogen: Vec<Option<Vec3>> = (0..n)
        .map(|i| {
            let cur = bb[i].as_ref()?;
            let prev = bb.get(i.checked_sub(1)?)?.as_ref()?;
            if prev.c.distance(cur.n) > 2.0 {
                return None;
            }
            Some(cur.n + (prev.c - prev.o).try_normalize()?)
        })
        .collect();
    let grid = PointGrid::from_points(
        HBOND_CA_RANGE,
        bb.iter()
            .enumerate()
            .filter_map(|(i, b)| b.as_ref().map(|b| (b.ca, i))),
    );
    // accepts[i]: residues j whose N–H donates to the C=O of i.
    let mut accepts: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, acceptor) in bb.iter().enumerate() {
        let Some(a) = acceptor else { continue };
        grid.for_each_within(a.ca, HBOND_CA_RANGE, |_, j, _| {
            if j.abs_diff(i) < 2 {
                return;
            }
            let (Some(d), Some(h)) = (&bb[j], hydrogen[j]) else {
                return;
            };
            let e = HBOND_SCALE
                * (1.0 / a.o.distance(d.n) + 1.0 / a.c.distance(h)
                    - 1.0 / a.o.distance(h)
                    - 1.0 / a.c.distance(d.n));
            if e.is_finite() && e < HBOND_ENERGY {
                accepts[i].push(j);
            }
        });
    }
    let hbond = |i: usize, j: usize| accepts.get(i).is_some_and(|v| v.contains(&j));
    let mut out = vec![SecondaryStructure::Loop; n];
    // α-helix: 4-turns at i-1 and i make residues i..=i+3 helical.
    for i in 1..n.saturating_sub(4) {
        if hbond(i - 1, i + 3) && hbond(i, i + 4) {
            for s in &mut out[i..=i + 3] {
                *s = SecondaryStructure::Helix;
            }
        }
    }
    // β-bridges between residues i and j at least three apart.
    let bridge = |i: usize, j: usize| {
        if i == 0 || j == 0 || i + 1 >= n || j + 1 >= n {
            return false;
        }
        let parallel = (hbond(i - 1, j) && hbond(j, i + 1)) || (hbond(j - 1, i) && hbond(i, j + 1));
        let antiparallel =
            (hbond(i, j) && hbond(j, i)) || (hbond(i - 1, j + 1) && hbond(j - 1, i + 1));
        parallel || antiparallel
    };
    for i in 1..n.saturating_sub(1) {
        if out[i] == SecondaryStructure::Helix {
            continue;
        }
        let Some(a) = &bb[i] else { continue };
        let mut partner = false;
        grid.for_each_within(a.ca, 6.5, |_, j, _| {
            if !partner && j.abs_diff(i) > 2 && bridge(i, j) {
                partner = true;
            }
        });
        if partner {
            out[i] = SecondaryStructure::Strand;
        }
    }
    out
}

/// Virtual CA dihedral (degrees) of four consecutive CAs.
fn ca_dihedral(p: [Vec3; 4]) -> f32 {
    let (b1, b2, b3) = (p[1] - p[0], p[2] - p[1], p[3] - p[2]);
    let y = b2.length() * b1.dot(b2.cross(b3));
    let x = b1.cross(b2).dot(b2.cross(b3));
    y.atan2(x).to_degrees()
}

/// Helices and strands from CA positions alone: an α-helix keeps CA(i)–CA(i+3) near 5.0 Å and the
/// virtual dihedral near +50° over a whole turn, a strand CA(i)–CA(i+2) above 6.2 Å with the dihedral near ±180° and a
/// CA of another strand within 5.5 Å. Helices shorter than four residues and strands shorter than
/// three are loops.
pub fn from_ca_geometry(chain: &Chain) -> Vec<SecondaryStructure> {
    let n = chain.residues.len();
    let ca: Vec<Option<Vec3>> = chain
        .residues
        .iter()
        .map(|r| r.ca().map(|a| a.pos))
        .collect();
    let window = |i: usize, len: usize| -> Option<Vec<Vec3>> {
        let pts: Option<Vec<Vec3>> = (i..i + len).map(|k| ca.get(k).copied().flatten()).collect();
        let pts = pts?;
        pts.windows(2)
            .all(|w| w[0].distance(w[1]) <= CA_BREAK)
            .then_some(pts)
    };
    let mut out = vec![SecondaryStructure::Loop; n];
    // One α-helical turn, i..=i+4: both virtual dihedrals right-handed and the i+2, i+3, i+4 CA
    // distances of an α-helix (5.4, 5.0, 6.2 Å). Residues i+1..=i+4 are helical, as DSSP marks a
    // helix from the residue after the first H-bonded C=O.
    for i in 0..n.saturating_sub(4) {
        let Some(p) = window(i, 5) else { continue };
        let turn = |a: usize| {
            let d = ca_dihedral([p[a], p[a + 1], p[a + 2], p[a + 3]]);
            (25.0..=80.0).contains(&d)
                && (5.0..=6.0).contains(&p[a].distance(p[a + 2]))
                && (4.5..=5.8).contains(&p[a].distance(p[a + 3]))
        };
        if turn(0) && turn(1) && (5.5..=7.0).contains(&p[0].distance(p[4])) {
            for s in &mut out[i + 1..=i + 4] {
                *s = SecondaryStructure::Helix;
            }
        }
    }
    let grid = PointGrid::from_points(
        5.5,
        ca.iter().enumerate().filter_map(|(i, p)| p.map(|p| (p, i))),
    );
    let mut extended = vec![false; n];
    for (i, flag) in extended
        .iter_mut()
        .enumerate()
        .take(n.saturating_sub(2))
        .skip(1)
    {
        let Some(p) = window(i - 1, 4) else { continue };
        let dihedral = ca_dihedral([p[0], p[1], p[2], p[3]]);
        if dihedral.abs() >= 150.0 || dihedral <= -100.0 {
            *flag = p[0].distance(p[2]) > 6.2 || p[1].distance(p[3]) > 6.2;
        }
    }
    for i in 0..n {
        if !extended[i] || out[i] == SecondaryStructure::Helix {
            continue;
        }
        let Some(p) = ca[i] else { continue };
        let mut paired = false;
        grid.for_each_within(p, 5.5, |_, j, _| {
            paired |= j.abs_diff(i) > 2 && extended[j];
        });
        if paired {
            out[i] = SecondaryStructure::Strand;
        }
    }
    drop_short_runs(&mut out, SecondaryStructure::Helix, 4);
    drop_short_runs(&mut out, SecondaryStructure::Strand, 3);
    out
}

fn drop_short_runs(ss: &mut [SecondaryStructure], kind: SecondaryStructure, min: usize) {
    let mut i = 0;
    while i < ss.len() {
        if ss[i] != kind {
            i += 1;
            continue;
        }
        let start = i;
        while i < ss.len() && ss[i] == kind {
            i += 1;
        }
        if i - start < min {
            for s in &mut ss[start..i] {
                *s = SecondaryStructure::Loop;
            }
        }
    }
}

/// Runs of equal secondary structure: (kind, first index, last index + 1).
pub fn segments(ss: &[SecondaryStructure]) -> Vec<(SecondaryStructure, usize, usize)> {
    let mut out: Vec<(SecondaryStructure, usize, usize)> = Vec::new();
    for (i, s) in ss.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.0 == *s && last.2 == i => last.2 = i + 1,
            _ => out.push((*s, i, i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::{Atom, Residue};

    /// An ideal α-helix (3.6 residues per turn, 1.5 Å rise, CA radius 2.3 Å), CA only.
    fn ideal_helix(n: usize) -> Chain {
        let residues = (0..n)
            .map(|i| {
                let t = i as f32 * 100f32.to_radians();
                let pos = Vec3::new(2.3 * t.cos(), 2.3 * t.sin(), 1.5 * i as f32);
                Residue {
                    number: i as i32 + 1,
                    insertion_code: None,
                    name: "ALA".into(),
                    code: 'A',
                    atoms: vec![Atom {
                        name: "CA".into(),
                        element: "C".into(),
                        pos,
                        b_factor: 0.0,
                        hetero: false,
                    }],
                }
            })
            .collect();
        Chain {
            id: "A".into(),
            residues,
        }
    }

    #[test]
    fn ideal_helix_is_a_helix_and_a_straight_line_is_not() {
        let helix = from_ca_geometry(&ideal_helix(12));
        // DSSP starts a helix one residue after its first H-bonded C=O; the CA rule does the same.
        assert_eq!(helix[0], SecondaryStructure::Loop);
        assert!(
            helix[1..].iter().all(|s| *s == SecondaryStructure::Helix),
            "{helix:?}"
        );
        let mut line = ideal_helix(12);
        for (i, r) in line.residues.iter_mut().enumerate() {
            r.atoms[0].pos = Vec3::new(3.8 * i as f32, 0.0, 0.0);
        }
        assert!(
            from_ca_geometry(&line)
                .iter()
                .all(|s| *s == SecondaryStructure::Loop)
        );
        assert_eq!(
            assign_secondary_structure(&ideal_helix(12)),
            helix,
            "CA-only chains use the CA rule"
        );
    }

    #[test]
    fn segments_are_runs() {
        use SecondaryStructure::*;
        assert_eq!(
            segments(&[Loop, Helix, Helix, Loop, Strand]),
            vec![(Loop, 0, 1), (Helix, 1, 3), (Loop, 3, 4), (Strand, 4, 5)]
        );
    }
}
