//! Rigid superposition of one CRM1 onto another: CA atoms paired through human XPO1 numbering, then the
//! least-squares rotation (Horn's quaternion form of Kabsch), so a context trace or a second complex is
//! drawn in the frame of the active complex.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use glam::{DQuat, DVec3, Quat, Vec3};
use serde::{Deserialize, Serialize};

use super::model::Chain;
use super::numbering::NumberingMap;

/// Human XPO1 residues fitted first: HEAT repeats 11–12, whose helices form the NES groove. CRM1 is a
/// flexible superhelix, so a whole-chain fit would place the groove of a different conformation a few Å
/// off; the groove is what the view compares.
pub const GROOVE_FIT: RangeInclusive<i32> = 480..=640;

/// Fewer groove pairs than this fall back to every paired CA.
const MIN_GROOVE_PAIRS: usize = 20;

/// Fewer pairs than this give no superposition.
const MIN_PAIRS: usize = 3;

/// `x ↦ rotation · x + translation`, with the fit that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Superposition {
    pub rotation: Quat,
    pub translation: Vec3,
    /// CA RMSD over the fitted pairs after the fit (Å).
    pub rmsd: f32,
    pub pairs: usize,
    /// True when the pairs are the groove residues ([`GROOVE_FIT`]), false when all paired CAs.
    pub groove_only: bool,
}

impl Superposition {
    pub fn identity() -> Self {
        Self {
            rotation: Quat::IDENTITY,
            translation: Vec3::ZERO,
            rmsd: 0.0,
            pairs: 0,
            groove_only: false,
        }
    }

    pub fn apply(&self, p: Vec3) -> Vec3 {
        self.rotation * p + self.translation
    }

    /// "0.42 Å CA RMSD over 161 groove residues".
    pub fn describe(&self) -> String {
        format!(
            "{:.2} Å CA RMSD over {} {}",
            self.rmsd,
            self.pairs,
            if self.groove_only {
                "groove residues"
            } else {
                "residues"
            }
        )
    }
}

/// Least-squares rigid fit of `mobile` onto `target` (paired points). `None` for fewer than three
/// pairs, unequal lengths or non-finite coordinates.
pub fn kabsch(mobile: &[Vec3], target: &[Vec3]) -> Option<Superposition> {
    if mobile.len() != target.len() || mobile.len() < MIN_PAIRS {
        return None;
    }
    if mobile.iter().chain(target).any(|p| !p.is_finite()) {
        return None;
    }
    let n = mobile.len() as f64;
    let centroid = |v: &[Vec3]| v.iter().map(|p| p.as_dvec3()).sum::<DVec3>() / n;
    let (cm, ct) = (centroid(mobile), centroid(target));
    // Covariance S[a][b] = Σ m_a t_b of the centred points.
    let mut s = [[0f64; 3]; 3];
    for (m, t) in mobile.iter().zip(target) {
        let m = (m.as_dvec3() - cm).to_array();
        let t = (t.as_dvec3() - ct).to_array();
        for a in 0..3 {
            for b in 0..3 {
                s[a][b] += m[a] * t[b];
            }
        }
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    // Horn (1987): the best rotation is the eigenvector of the largest eigenvalue of this matrix.
    let k = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let (values, vectors) = jacobi_eigen(k);
    let best = (0..4).max_by(|&a, &b| values[a].total_cmp(&values[b]))?;
    let q = [
        vectors[0][best],
        vectors[1][best],
        vectors[2][best],
        vectors[3][best],
    ];
    let rotation = DQuat::from_xyzw(q[1], q[2], q[3], q[0]).normalize();
    let translation = ct - rotation * cm;
    let rotation = rotation.as_quat();
    let translation = translation.as_vec3();
    let sum: f64 = mobile
        .iter()
        .zip(target)
        .map(|(m, t)| f64::from((rotation * *m + translation).distance_squared(*t)))
        .sum();
    Some(Superposition {
        rotation,
        translation,
        rmsd: (sum / n).sqrt() as f32,
        pairs: mobile.len(),
        groove_only: false,
    })
}

/// Eigen-decomposition of a symmetric 4×4 matrix by cyclic Jacobi rotations: (values, vectors as
/// columns).
fn jacobi_eigen(mut a: [[f64; 4]; 4]) -> ([f64; 4], [[f64; 4]; 4]) {
    let mut v = [[0f64; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..64 {
        let off: f64 = (0..4)
            .flat_map(|p| (p + 1..4).map(move |q| (p, q)))
            .map(|(p, q)| a[p][q] * a[p][q])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..4 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in &mut a {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p], a[q]);
                for k in 0..4 {
                    a[p][k] = c * rp[k] - s * rq[k];
                    a[q][k] = s * rp[k] + c * rq[k];
                }
                for row in &mut v {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ([a[0][0], a[1][1], a[2][2], a[3][3]], v)
}

/// CA positions of `chain` by human XPO1 number.
fn cas_by_human_number(chain: &Chain, numbering: &NumberingMap) -> HashMap<i32, Vec3> {
    chain
        .residues
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((numbering.human_number(i)?, r.ca()?.pos)))
        .collect()
}

/// Superposes the CRM1 chain `mobile` onto `target` through their human XPO1 numbering: on the groove
/// residues when both have at least 20 there, else on every paired CA.
pub fn superpose_receptors(
    mobile: (&Chain, &NumberingMap),
    target: (&Chain, &NumberingMap),
) -> Option<Superposition> {
    let target_cas = cas_by_human_number(target.0, target.1);
    let mut pairs: Vec<(i32, Vec3, Vec3)> = cas_by_human_number(mobile.0, mobile.1)
        .into_iter()
        .filter_map(|(h, m)| Some((h, m, *target_cas.get(&h)?)))
        .collect();
    pairs.sort_by_key(|p| p.0);
    let groove: Vec<&(i32, Vec3, Vec3)> =
        pairs.iter().filter(|p| GROOVE_FIT.contains(&p.0)).collect();
    let (chosen, groove_only): (Vec<&(i32, Vec3, Vec3)>, bool) = if groove.len() >= MIN_GROOVE_PAIRS
    {
        (groove, true)
    } else {
        (pairs.iter().collect(), false)
    };
    let m: Vec<Vec3> = chosen.iter().map(|p| p.1).collect();
    let t: Vec<Vec3> = chosen.iter().map(|p| p.2).collect();
    let mut fit = kabsch(&m, &t)?;
    fit.groove_only = groove_only;
    Some(fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<Vec3> {
        (0..40)
            .map(|i| {
                let t = i as f32 * 0.37;
                Vec3::new(10.0 * t.cos(), 7.0 * t.sin(), 1.5 * t + (i % 3) as f32)
            })
            .collect()
    }

    #[test]
    fn recovers_a_known_rotation_and_translation() {
        let mobile = points();
        let q = Quat::from_axis_angle(Vec3::new(0.3, -0.8, 0.5).normalize(), 2.4);
        let shift = Vec3::new(12.0, -40.0, 7.5);
        let target: Vec<Vec3> = mobile.iter().map(|p| q * *p + shift).collect();
        let fit = kabsch(&mobile, &target).expect("a fit");
        assert!(fit.rmsd < 1e-3, "rmsd {}", fit.rmsd);
        for (m, t) in mobile.iter().zip(&target) {
            assert!(fit.apply(*m).distance(*t) < 1e-3);
        }
    }

    #[test]
    fn near_half_turn_and_identity_are_found() {
        let mobile = points();
        for q in [
            Quat::IDENTITY,
            Quat::from_rotation_z(std::f32::consts::PI),
            Quat::from_rotation_x(std::f32::consts::PI - 1e-4),
        ] {
            let target: Vec<Vec3> = mobile.iter().map(|p| q * *p).collect();
            let fit = kabsch(&mobile, &target).expect("a fit");
            assert!(fit.rmsd < 1e-3, "{q:?}: rmsd {}", fit.rmsd);
        }
    }

    #[test]
    fn rmsd_of_noisy_points_is_the_noise() {
        let mobile = points();
        // Alternating ±0.5 Å offsets along z: the best fit cannot remove them.
        let target: Vec<Vec3> = mobile
            .iter()
            .enumerate()
            .map(|(i, p)| *p + Vec3::Z * if i % 2 == 0 { 0.5 } else { -0.5 })
            .collect();
        let fit = kabsch(&mobile, &target).expect("a fit");
        assert!((fit.rmsd - 0.5).abs() < 0.05, "rmsd {}", fit.rmsd);
    }

    #[test]
    fn too_few_or_bad_points_give_none() {
        let p = points();
        assert!(kabsch(&p[..2], &p[..2]).is_none());
        assert!(kabsch(&p[..5], &p[..4]).is_none());
        let mut bad = p.clone();
        bad[3].x = f32::NAN;
        assert!(kabsch(&bad, &p).is_none());
    }
}
