//! A uniform grid over points for radius queries: labelling a 15k-atom complex must not be all-pairs.

use std::collections::HashMap;

use glam::Vec3;

/// Points bucketed in cubic cells of side `cell`; a radius query visits the few cells it overlaps.
#[derive(Debug, Clone)]
pub struct PointGrid<T> {
    cell: f32,
    cells: HashMap<(i32, i32, i32), Vec<(Vec3, T)>>,
}

impl<T: Copy> PointGrid<T> {
    pub fn new(cell: f32) -> Self {
        Self {
            cell: cell.max(0.5),
            cells: HashMap::new(),
        }
    }

    pub fn from_points(cell: f32, points: impl IntoIterator<Item = (Vec3, T)>) -> Self {
        let mut grid = Self::new(cell);
        for (p, v) in points {
            grid.insert(p, v);
        }
        grid
    }

    fn key(&self, p: Vec3) -> (i32, i32, i32) {
        let k = (p / self.cell).floor();
        (k.x as i32, k.y as i32, k.z as i32)
    }

    pub fn insert(&mut self, p: Vec3, value: T) {
        let key = self.key(p);
        self.cells.entry(key).or_default().push((p, value));
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Calls `visit(point, value, distance)` for every point within `radius` of `centre`.
    pub fn for_each_within(&self, centre: Vec3, radius: f32, mut visit: impl FnMut(Vec3, T, f32)) {
        let lo = self.key(centre - Vec3::splat(radius));
        let hi = self.key(centre + Vec3::splat(radius));
        let r2 = radius * radius;
        for x in lo.0..=hi.0 {
            for y in lo.1..=hi.1 {
                for z in lo.2..=hi.2 {
                    if let Some(points) = self.cells.get(&(x, y, z)) {
                        for &(p, v) in points {
                            let d2 = p.distance_squared(centre);
                            if d2 <= r2 {
                                visit(p, v, d2.sqrt());
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_query_matches_brute_force() {
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            (seed >> 8) as f32 / (1 << 24) as f32 * 40.0 - 20.0
        };
        let points: Vec<Vec3> = (0..500)
            .map(|_| Vec3::new(next(), next(), next()))
            .collect();
        let grid = PointGrid::from_points(4.0, points.iter().enumerate().map(|(i, p)| (*p, i)));
        for q in points.iter().take(50) {
            let mut found = Vec::new();
            grid.for_each_within(*q, 6.5, |_, i, _| found.push(i));
            found.sort();
            let expected: Vec<usize> = (0..points.len())
                .filter(|&i| points[i].distance(*q) <= 6.5)
                .collect();
            assert_eq!(found, expected);
        }
    }
}
