//! CPU picking: which residue is under the cursor.
//!
//! A ray through the cursor is tested against every pickable sphere and cylinder; for the few thousand
//! elements of a receptor trace plus a stick groove this takes microseconds, simpler than an ID buffer.
//! Positions are physical pixels (egui points × pixels-per-point), the same units the renderer draws in,
//! so picking stays exact on HiDPI screens.

use glam::{Vec2, Vec3};

use super::camera::{OrbitCamera, Ray};
use super::scene::{ResidueRef, Scene};

/// A residue under the cursor and the world point hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    pub residue: ResidueRef,
    pub point: Vec3,
    /// Distance from the eye along the ray.
    pub depth: f32,
}

/// Picks the nearest pickable element under the cursor at `cursor_px` (physical pixels from the view's
/// top-left) in a view of `size_px` physical pixels.
pub fn pick(scene: &Scene, camera: &OrbitCamera, cursor_px: Vec2, size_px: Vec2) -> Option<Pick> {
    if !(cursor_px.x >= 0.0
        && cursor_px.y >= 0.0
        && cursor_px.x <= size_px.x
        && cursor_px.y <= size_px.y)
    {
        return None;
    }
    pick_ray(scene, &camera.ray_through(cursor_px, size_px))
}

/// Converts an egui position in points, relative to the view's top-left, to physical pixels.
pub fn points_to_pixels(offset_points: Vec2, pixels_per_point: f32) -> Vec2 {
    offset_points * pixels_per_point
}

pub fn pick_ray(scene: &Scene, ray: &Ray) -> Option<Pick> {
    let mut best: Option<(f32, u32)> = None;
    let mut consider = |t: f32, pick: u32| {
        if t > 0.0 && best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, pick));
        }
    };
    for s in scene.spheres.iter().filter(|s| s.pick != 0) {
        if let Some(t) = ray_sphere(ray, s.centre, s.radius) {
            consider(t, s.pick);
        }
    }
    for c in scene.cylinders.iter().filter(|c| c.pick != 0) {
        if let Some(t) = ray_capsule(ray, c.a, c.b, c.radius) {
            consider(t, c.pick);
        }
    }
    let (t, id) = best?;
    Some(Pick {
        residue: scene.target(id)?,
        point: ray.at(t),
        depth: t,
    })
}

/// Distance along the ray to the first intersection with a sphere, if any.
pub fn ray_sphere(ray: &Ray, centre: Vec3, radius: f32) -> Option<f32> {
    let oc = ray.origin - centre;
    let b = oc.dot(ray.dir);
    let c = oc.length_squared() - radius * radius;
    let disc = b * b - c;
    if disc < 0.0 {
        return None;
    }
    let sq = disc.sqrt();
    let t = -b - sq;
    if t > 0.0 {
        Some(t)
    } else if -b + sq > 0.0 {
        // Eye inside the sphere.
        Some(0.0_f32.max(-b + sq))
    } else {
        None
    }
}

/// Distance along the ray to a capsule (segment `a`–`b` swept by `radius`), if the ray passes through it.
/// The returned depth is the ray's point of closest approach to the segment, accurate enough for ordering.
pub fn ray_capsule(ray: &Ray, a: Vec3, b: Vec3, radius: f32) -> Option<f32> {
    let ab = b - a;
    let len2 = ab.length_squared();
    if len2 < 1e-12 {
        return ray_sphere(ray, a, radius);
    }
    // Closest points between the ray (origin + t·dir) and the segment (a + s·ab), s clamped to [0, 1].
    let w = ray.origin - a;
    let d_ab = ray.dir.dot(ab);
    let d_w = ray.dir.dot(w);
    let ab_w = ab.dot(w);
    let denom = len2 - d_ab * d_ab;
    let mut s = if denom.abs() > 1e-9 {
        (ab_w - d_ab * d_w) / denom
    } else {
        0.0
    };
    s = s.clamp(0.0, 1.0);
    let on_segment = a + ab * s;
    let t = (on_segment - ray.origin).dot(ray.dir);
    if t <= 0.0 {
        return None;
    }
    let closest = ray.at(t);
    (closest.distance_squared(on_segment) <= radius * radius).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::scene::SceneBuilder;

    fn res(i: usize) -> Option<ResidueRef> {
        Some(ResidueRef::new(0, 0, i))
    }

    #[test]
    fn nearest_sphere_wins_and_misses_return_none() {
        let mut b = SceneBuilder::new();
        b.sphere(Vec3::new(0.0, 0.0, 0.0), 1.0, [0; 4], res(0));
        b.sphere(Vec3::new(0.0, 0.0, 5.0), 1.0, [0; 4], res(1)); // closer to the eye on +Z
        b.sphere(Vec3::new(8.0, 0.0, 0.0), 1.0, [0; 4], res(2));
        let scene = b.build();
        let cam = OrbitCamera::framing(Vec3::ZERO, 10.0);
        let size = Vec2::new(400.0, 300.0);
        let hit = pick(&scene, &cam, size * 0.5, size).unwrap();
        assert_eq!(hit.residue, res(1).unwrap());
        assert!((hit.point.z - 6.0).abs() < 1e-3);
        let px = cam.project(Vec3::new(8.0, 0.0, 0.0), size).unwrap();
        assert_eq!(
            pick(&scene, &cam, px, size).unwrap().residue,
            res(2).unwrap()
        );
        assert!(pick(&scene, &cam, Vec2::new(2.0, 2.0), size).is_none());
        assert!(pick(&scene, &cam, Vec2::new(-5.0, 150.0), size).is_none());
    }

    #[test]
    fn hidpi_cursor_maps_to_the_same_residue() {
        let mut b = SceneBuilder::new();
        b.sphere(Vec3::new(6.0, 3.0, 0.0), 0.8, [0; 4], res(7));
        let scene = b.build();
        let cam = OrbitCamera::framing(Vec3::ZERO, 10.0);
        // The same view at 1× and 2×: the sphere is at the same place in points.
        let size_points = Vec2::new(300.0, 200.0);
        let at_1x = cam.project(Vec3::new(6.0, 3.0, 0.0), size_points).unwrap();
        for ppp in [1.0, 1.5, 2.0] {
            let size_px = size_points * ppp;
            let cursor_px = points_to_pixels(at_1x, ppp);
            assert_eq!(
                pick(&scene, &cam, cursor_px, size_px).map(|p| p.residue),
                res(7),
                "ppp {ppp}"
            );
        }
        // Using points as if they were pixels on a 2× screen misses: the bug HiDPI handling avoids.
        assert!(pick(&scene, &cam, at_1x, size_points * 2.0).is_none());
    }

    #[test]
    fn cylinders_pick_their_half() {
        let mut b = SceneBuilder::new();
        b.bond(
            (Vec3::new(-4.0, 0.0, 0.0), [0; 4], res(0)),
            (Vec3::new(4.0, 0.0, 0.0), [0; 4], res(1)),
            0.5,
        );
        let scene = b.build();
        let cam = OrbitCamera::framing(Vec3::ZERO, 6.0);
        let size = Vec2::new(500.0, 500.0);
        let left = cam.project(Vec3::new(-3.0, 0.0, 0.0), size).unwrap();
        let right = cam.project(Vec3::new(3.0, 0.0, 0.0), size).unwrap();
        assert_eq!(
            pick(&scene, &cam, left, size).unwrap().residue,
            res(0).unwrap()
        );
        assert_eq!(
            pick(&scene, &cam, right, size).unwrap().residue,
            res(1).unwrap()
        );
        let above = cam.project(Vec3::new(3.0, 1.0, 0.0), size).unwrap();
        assert!(pick(&scene, &cam, above, size).is_none());
    }
}
