//! A renderer-neutral description of what the 3D view draws: spheres, cylinders and translucent markers,
//! each optionally tagged with the residue it belongs to (for picking and highlighting).
//!
//! The scene knows nothing of files or chains: it is built from plain positions and colours by
//! [`SceneBuilder`], which keeps it testable without the structure module and the GPU.

use glam::Vec3;

use super::colour::Rgba;

/// Which residue an element belongs to: the object (opened file) it comes from, and chain and residue
/// indices within that object's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidueRef {
    pub object: usize,
    pub chain: usize,
    pub residue: usize,
}

impl ResidueRef {
    pub fn new(object: usize, chain: usize, residue: usize) -> Self {
        Self {
            object,
            chain,
            residue,
        }
    }
}

/// Index+1 into [`Scene::pick_targets`]; 0 means "not pickable". The shaders receive it as a `u32`.
pub type PickId = u32;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sphere {
    pub centre: Vec3,
    pub radius: f32,
    pub colour: Rgba,
    pub pick: PickId,
}

/// A capped-by-spheres tube segment from `a` to `b` (the caller puts spheres at the joints).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cylinder {
    pub a: Vec3,
    pub b: Vec3,
    pub radius: f32,
    pub colour: Rgba,
    pub pick: PickId,
}

/// A translucent sphere drawn after everything opaque (pocket centres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    pub centre: Vec3,
    pub radius: f32,
    /// Straight alpha in `colour[3]`.
    pub colour: Rgba,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scene {
    pub spheres: Vec<Sphere>,
    pub cylinders: Vec<Cylinder>,
    pub markers: Vec<Marker>,
    /// `pick_targets[id - 1]` is the residue of an element with pick id `id`.
    pub pick_targets: Vec<ResidueRef>,
}

/// Bounding sphere (centre, radius).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub centre: Vec3,
    pub radius: f32,
}

impl Scene {
    pub fn is_empty(&self) -> bool {
        self.spheres.is_empty() && self.cylinders.is_empty() && self.markers.is_empty()
    }

    pub fn target(&self, pick: PickId) -> Option<ResidueRef> {
        (pick as usize)
            .checked_sub(1)
            .and_then(|i| self.pick_targets.get(i))
            .copied()
    }

    /// The pick id of a residue, if the scene draws it.
    pub fn pick_of(&self, residue: ResidueRef) -> Option<PickId> {
        self.pick_targets
            .iter()
            .position(|r| *r == residue)
            .map(|i| i as PickId + 1)
    }

    /// Bounding sphere of every element (an axis-aligned box's centre and the farthest surface from it);
    /// `None` for an empty scene.
    pub fn bounds(&self) -> Option<Bounds> {
        self.bounds_of(|_| true)
    }

    /// Bounding sphere of the pickable elements whose residue passes `keep` ("focus peptide").
    pub fn bounds_of(&self, keep: impl Fn(ResidueRef) -> bool) -> Option<Bounds> {
        let keep_pick = |p: PickId| self.target(p).is_some_and(&keep);
        let everything =
            self.pick_targets.is_empty() || (1..=self.pick_targets.len() as u32).all(keep_pick);
        let mut items: Vec<(Vec3, f32)> = Vec::new();
        for s in &self.spheres {
            if everything || keep_pick(s.pick) {
                items.push((s.centre, s.radius));
            }
        }
        for c in &self.cylinders {
            if everything || keep_pick(c.pick) {
                items.push((c.a, c.radius));
                items.push((c.b, c.radius));
            }
        }
        if everything {
            items.extend(self.markers.iter().map(|m| (m.centre, m.radius)));
        }
        let first = items.first()?;
        let (mut lo, mut hi) = (first.0, first.0);
        for (p, _) in &items {
            lo = lo.min(*p);
            hi = hi.max(*p);
        }
        let centre = (lo + hi) * 0.5;
        let radius = items
            .iter()
            .map(|(p, r)| p.distance(centre) + r)
            .fold(0.0f32, f32::max);
        Some(Bounds { centre, radius })
    }
}

/// One point of a trace (a CA atom, usually).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TracePoint {
    pub pos: Vec3,
    pub colour: Rgba,
    pub residue: Option<ResidueRef>,
}

/// One atom for the stick model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StickAtom {
    pub pos: Vec3,
    pub colour: Rgba,
    pub residue: Option<ResidueRef>,
}

/// CA–CA distances above this are chain breaks (missing residues), not drawn as tube.
pub const MAX_CA_STEP: f32 = 4.3;

#[derive(Debug, Default)]
pub struct SceneBuilder {
    scene: Scene,
    pick_index: std::collections::HashMap<ResidueRef, PickId>,
}

impl SceneBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pick id of a residue, registering it on first use.
    pub fn pick_id(&mut self, residue: Option<ResidueRef>) -> PickId {
        let Some(residue) = residue else { return 0 };
        let targets = &mut self.scene.pick_targets;
        *self.pick_index.entry(residue).or_insert_with(|| {
            targets.push(residue);
            targets.len() as PickId
        })
    }

    pub fn sphere(&mut self, centre: Vec3, radius: f32, colour: Rgba, residue: Option<ResidueRef>) {
        if !centre.is_finite() || !positive(radius) {
            return;
        }
        let pick = self.pick_id(residue);
        self.scene.spheres.push(Sphere {
            centre,
            radius,
            colour,
            pick,
        });
    }

    /// A bond between two differently coloured ends: two half cylinders, each picking its own residue.
    pub fn bond(
        &mut self,
        a: (Vec3, Rgba, Option<ResidueRef>),
        b: (Vec3, Rgba, Option<ResidueRef>),
        radius: f32,
    ) {
        if !a.0.is_finite()
            || !b.0.is_finite()
            || a.0.distance_squared(b.0) < 1e-8
            || !positive(radius)
        {
            return;
        }
        let mid = (a.0 + b.0) * 0.5;
        let pa = self.pick_id(a.2);
        self.scene.cylinders.push(Cylinder {
            a: a.0,
            b: mid,
            radius,
            colour: a.1,
            pick: pa,
        });
        let pb = self.pick_id(b.2);
        self.scene.cylinders.push(Cylinder {
            a: mid,
            b: b.0,
            radius,
            colour: b.1,
            pick: pb,
        });
    }

    /// A smooth tube through consecutive trace points: a sphere at each point and half cylinders between
    /// neighbours closer than `max_step` (longer steps are chain breaks and stay open).
    pub fn trace(&mut self, points: &[TracePoint], radius: f32, max_step: f32) {
        for p in points {
            self.sphere(p.pos, radius, p.colour, p.residue);
        }
        for w in points.windows(2) {
            let (p, q) = (w[0], w[1]);
            if p.pos.distance(q.pos) <= max_step {
                self.bond(
                    (p.pos, p.colour, p.residue),
                    (q.pos, q.colour, q.residue),
                    radius,
                );
            }
        }
    }

    /// A thick tube whose direction changes little between points (a helix axis): cylinders between
    /// neighbours closer than `max_step` and spheres only where a run starts or ends, since interior
    /// joint spheres would hide inside the cylinders and only cost fill rate.
    pub fn rod(&mut self, points: &[TracePoint], radius: f32, max_step: f32) {
        let joined: Vec<bool> = points
            .windows(2)
            .map(|w| w[0].pos.distance(w[1].pos) <= max_step)
            .collect();
        for (i, p) in points.iter().enumerate() {
            let after = joined.get(i).copied().unwrap_or(false);
            let before = i > 0 && joined[i - 1];
            if !(after && before) {
                self.sphere(p.pos, radius, p.colour, p.residue);
            }
        }
        for (w, joined) in points.windows(2).zip(joined) {
            if joined {
                self.bond(
                    (w[0].pos, w[0].colour, w[0].residue),
                    (w[1].pos, w[1].colour, w[1].residue),
                    radius,
                );
            }
        }
    }

    /// Ball-and-stick atoms: a sphere per atom and half-coloured bonds for each index pair.
    pub fn sticks(
        &mut self,
        atoms: &[StickAtom],
        bonds: &[(usize, usize)],
        atom_radius: f32,
        bond_radius: f32,
    ) {
        for a in atoms {
            self.sphere(a.pos, atom_radius, a.colour, a.residue);
        }
        for &(i, j) in bonds {
            if let (Some(a), Some(b)) = (atoms.get(i), atoms.get(j)) {
                self.bond(
                    (a.pos, a.colour, a.residue),
                    (b.pos, b.colour, b.residue),
                    bond_radius,
                );
            }
        }
    }

    pub fn marker(&mut self, centre: Vec3, radius: f32, colour: Rgba) {
        if centre.is_finite() && radius > 0.0 {
            self.scene.markers.push(Marker {
                centre,
                radius,
                colour,
            });
        }
    }

    pub fn build(self) -> Scene {
        self.scene
    }
}

/// A usable size: finite and above zero.
fn positive(x: f32) -> bool {
    x.is_finite() && x > 0.0
}

/// Bonds between atoms closer than the sum of their covalent radii plus a tolerance (the usual rule of
/// viewers when a file has no CONECT records). `elements` are element symbols ("C", "N", "FE").
/// A uniform grid keeps it linear in the number of atoms.
pub fn bonds_by_distance(positions: &[Vec3], elements: &[&str]) -> Vec<(usize, usize)> {
    const CELL: f32 = 2.4;
    let radius = |i: usize| covalent_radius(elements.get(i).copied().unwrap_or("C"));
    let key = |p: Vec3| {
        let c = (p / CELL).floor();
        (c.x as i64, c.y as i64, c.z as i64)
    };
    let mut grid: std::collections::HashMap<(i64, i64, i64), Vec<usize>> = Default::default();
    for (i, p) in positions.iter().enumerate() {
        if p.is_finite() {
            grid.entry(key(*p)).or_default().push(i);
        }
    }
    let mut bonds = Vec::new();
    for (i, p) in positions.iter().enumerate() {
        if !p.is_finite() {
            continue;
        }
        let (x, y, z) = key(*p);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    let Some(cell) = grid.get(&(x + dx, y + dy, z + dz)) else {
                        continue;
                    };
                    for &j in cell {
                        if j <= i {
                            continue;
                        }
                        let max = radius(i) + radius(j) + 0.45;
                        let d2 = p.distance_squared(positions[j]);
                        if d2 > 0.16 && d2 < max * max {
                            bonds.push((i, j));
                        }
                    }
                }
            }
        }
    }
    bonds.sort_unstable();
    bonds
}

/// Covalent radius in Å (Cordero et al. 2008) for the elements of proteins and common ligands.
fn covalent_radius(element: &str) -> f32 {
    match element.trim().to_ascii_uppercase().as_str() {
        "H" => 0.31,
        "C" => 0.76,
        "N" => 0.71,
        "O" => 0.66,
        "S" => 1.05,
        "P" => 1.07,
        "SE" => 1.20,
        "MG" => 1.41,
        "ZN" => 1.22,
        "FE" => 1.32,
        _ => 0.76,
    }
}

/// Colour of an atom in the stick model: carbon takes the residue colour, heteroatoms the usual CPK hues.
pub fn element_colour(element: &str, carbon: Rgba) -> Rgba {
    match element.trim().to_ascii_uppercase().as_str() {
        "N" => [70, 110, 255, 255],
        "O" => [240, 60, 50, 255],
        "S" => [230, 200, 50, 255],
        "P" => [255, 140, 0, 255],
        _ => carbon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(chain: usize, residue: usize) -> Option<ResidueRef> {
        Some(ResidueRef::new(0, chain, residue))
    }

    #[test]
    fn trace_breaks_long_steps_and_registers_picks_once() {
        let pts: Vec<TracePoint> = [0.0, 3.8, 7.6, 20.0]
            .iter()
            .enumerate()
            .map(|(i, x)| TracePoint {
                pos: Vec3::new(*x, 0.0, 0.0),
                colour: [1, 2, 3, 255],
                residue: r(0, i),
            })
            .collect();
        let mut b = SceneBuilder::new();
        b.trace(&pts, 0.5, MAX_CA_STEP);
        let scene = b.build();
        assert_eq!(scene.spheres.len(), 4);
        // two bonds (0-1, 1-2), each as two halves; 2-3 is a break
        assert_eq!(scene.cylinders.len(), 4);
        assert_eq!(scene.pick_targets.len(), 4);
        assert_eq!(scene.target(scene.spheres[2].pick), r(0, 2));
        assert_eq!(scene.pick_of(ResidueRef::new(0, 0, 3)), Some(4));
        assert_eq!(scene.target(0), None);
    }

    #[test]
    fn bounds_cover_all_and_focus_subset() {
        let mut b = SceneBuilder::new();
        b.sphere(Vec3::new(-10.0, 0.0, 0.0), 1.0, [0; 4], r(0, 0));
        b.sphere(Vec3::new(10.0, 0.0, 0.0), 1.0, [0; 4], r(1, 0));
        let scene = b.build();
        let all = scene.bounds().unwrap();
        assert!(all.centre.length() < 1e-5 && (all.radius - 11.0).abs() < 1e-4);
        let focus = scene.bounds_of(|r| r.chain == 1).unwrap();
        assert!(focus.centre.distance(Vec3::new(10.0, 0.0, 0.0)) < 1e-5);
        assert!((focus.radius - 1.0).abs() < 1e-4);
        assert!(Scene::default().bounds().is_none());
    }

    #[test]
    fn bonds_found_by_covalent_radii() {
        // A C–C (1.53), C–O (1.23) and a non-bonded C···C (3.0).
        let pos = [
            Vec3::ZERO,
            Vec3::new(1.53, 0.0, 0.0),
            Vec3::new(1.53, 1.23, 0.0),
            Vec3::new(-3.0, 0.0, 0.0),
        ];
        let bonds = bonds_by_distance(&pos, &["C", "C", "O", "C"]);
        assert_eq!(bonds, vec![(0, 1), (1, 2)]);
    }

    #[test]
    fn degenerate_inputs_are_skipped() {
        let mut b = SceneBuilder::new();
        b.sphere(Vec3::NAN, 1.0, [0; 4], None);
        b.sphere(Vec3::ZERO, 0.0, [0; 4], None);
        b.bond((Vec3::ZERO, [0; 4], None), (Vec3::ZERO, [0; 4], None), 0.2);
        assert!(b.build().is_empty());
    }
}
