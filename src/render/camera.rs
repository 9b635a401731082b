//! Orbit camera: rotates about a target point, pans in the view plane, zooms by changing the distance.
//!
//! The orientation is a quaternion (not yaw/pitch), so orbiting never locks at the poles: dragging always
//! turns the molecule about the screen's own axes, as in PyMOL, Chimera and Mol*.

use glam::{Mat4, Quat, Vec2, Vec3};
use serde::{Deserialize, Serialize};

/// A ray in world space; `dir` is unit length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ray {
    pub origin: Vec3,
    pub dir: Vec3,
}

impl Ray {
    pub fn at(&self, t: f32) -> Vec3 {
        self.origin + self.dir * t
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitCamera {
    /// Point the camera orbits about and looks at.
    pub target: Vec3,
    /// Distance from the eye to `target` (Å).
    pub distance: f32,
    /// World-from-view rotation: the view's -Z looks at the target, +Y is screen up.
    pub rotation: Quat,
    /// Vertical field of view in radians.
    pub fov_y: f32,
    /// Bounding sphere of everything drawn: it must stay inside the clip range.
    pub scene_centre: Vec3,
    pub scene_radius: f32,
}

/// Serialisable form of the camera for the persisted session (glam is built without serde here).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraState {
    pub target: [f32; 3],
    pub distance: f32,
    pub rotation: [f32; 4],
    pub fov_y: f32,
    pub scene_centre: [f32; 3],
    pub scene_radius: f32,
}

const MIN_DISTANCE: f32 = 2.0;
const MAX_DISTANCE: f32 = 5_000.0;

impl Default for OrbitCamera {
    fn default() -> Self {
        Self {
            target: Vec3::ZERO,
            distance: 50.0,
            rotation: Quat::IDENTITY,
            fov_y: 35f32.to_radians(),
            scene_centre: Vec3::ZERO,
            scene_radius: 20.0,
        }
    }
}

impl OrbitCamera {
    /// A camera looking along -Z at a scene's bounding sphere, framing it completely in a square view.
    pub fn framing(centre: Vec3, radius: f32) -> Self {
        let mut cam = Self::default();
        cam.set_scene_bounds(centre, radius);
        cam.fit_sphere(centre, radius, 1.0);
        cam
    }

    /// Records the bounding sphere of what is drawn, which sets the near and far planes.
    pub fn set_scene_bounds(&mut self, centre: Vec3, radius: f32) {
        if centre.is_finite() && radius.is_finite() {
            self.scene_centre = centre;
            self.scene_radius = radius.max(1.0);
        }
    }

    /// Looks at `centre` from a distance at which a sphere of `radius` fits the narrower axis of a view
    /// with width/height `aspect`. Keeps the current orientation.
    pub fn fit_sphere(&mut self, centre: Vec3, radius: f32, aspect: f32) {
        let radius = if radius.is_finite() && radius > 0.5 {
            radius
        } else {
            0.5
        };
        let aspect = if aspect.is_finite() && aspect > 0.0 {
            aspect
        } else {
            1.0
        };
        let half_y = self.fov_y * 0.5;
        let half_x = (half_y.tan() * aspect).atan();
        self.target = centre;
        self.distance =
            (radius / half_y.min(half_x).sin() * 1.05).clamp(MIN_DISTANCE, MAX_DISTANCE);
    }

    /// Centres on `centre` without changing the distance.
    pub fn centre_on(&mut self, centre: Vec3) {
        self.target = centre;
    }

    pub fn eye(&self) -> Vec3 {
        self.target + self.rotation * Vec3::Z * self.distance
    }

    pub fn up(&self) -> Vec3 {
        self.rotation * Vec3::Y
    }

    pub fn right(&self) -> Vec3 {
        self.rotation * Vec3::X
    }

    /// Orbit after a mouse drag of `delta_px` physical pixels in a view `viewport_h_px` pixels tall:
    /// a drag across the full height turns the molecule by 180°.
    pub fn orbit(&mut self, delta_px: Vec2, viewport_h_px: f32) {
        let per_px = std::f32::consts::PI / viewport_h_px.max(1.0);
        // Dragging right turns the molecule right, i.e. the camera about its up axis the other way.
        let yaw = Quat::from_axis_angle(self.up(), -delta_px.x * per_px);
        let pitch = Quat::from_axis_angle(self.right(), -delta_px.y * per_px);
        self.rotation = (yaw * pitch * self.rotation).normalize();
    }

    /// Pan so that the point under the cursor follows it (at the target's depth).
    pub fn pan(&mut self, delta_px: Vec2, viewport_h_px: f32) {
        let world_per_px = 2.0 * self.distance * (self.fov_y * 0.5).tan() / viewport_h_px.max(1.0);
        self.target += (-self.right() * delta_px.x + self.up() * delta_px.y) * world_per_px;
    }

    /// Multiply the distance by `factor` (< 1 zooms in).
    pub fn zoom(&mut self, factor: f32) {
        if factor.is_finite() && factor > 0.0 {
            self.distance = (self.distance * factor).clamp(MIN_DISTANCE, MAX_DISTANCE);
        }
    }

    /// View-from-world matrix (right-handed, camera looking down -Z).
    pub fn view(&self) -> Mat4 {
        glam::camera::rh::view::look_at_mat4(self.eye(), self.target, self.up())
    }

    /// Near and far planes that keep the whole scene's bounding sphere inside the clip range.
    pub fn clip_planes(&self) -> (f32, f32) {
        let r = self.scene_radius.max(1.0) * 1.1 + 2.0;
        let d = self.eye().distance(self.scene_centre);
        let far = d + r;
        let near = (d - r).max(far * 1e-3).max(0.05);
        (near, far)
    }

    /// Clip-from-view matrix for wgpu's NDC (z in [0, 1], y up).
    pub fn projection(&self, aspect: f32) -> Mat4 {
        let (near, far) = self.clip_planes();
        let aspect = if aspect.is_finite() && aspect > 0.0 {
            aspect
        } else {
            1.0
        };
        glam::camera::rh::proj::directx::perspective(self.fov_y, aspect, near, far)
    }

    pub fn view_proj(&self, aspect: f32) -> Mat4 {
        self.projection(aspect) * self.view()
    }

    /// The ray through a pixel. `px` is measured in physical pixels from the top-left corner of a view of
    /// `size_px` physical pixels; pixel centres are at +0.5.
    pub fn ray_through(&self, px: Vec2, size_px: Vec2) -> Ray {
        let size = size_px.max(Vec2::ONE);
        let ndc = Vec2::new(px.x / size.x * 2.0 - 1.0, 1.0 - px.y / size.y * 2.0);
        let half_h = (self.fov_y * 0.5).tan();
        let half_w = half_h * size.x / size.y;
        let dir_view = Vec3::new(ndc.x * half_w, ndc.y * half_h, -1.0).normalize();
        Ray {
            origin: self.eye(),
            dir: (self.rotation * dir_view).normalize(),
        }
    }

    /// Where a world point lands, in physical pixels from the view's top-left corner; `None` behind the eye.
    pub fn project(&self, world: Vec3, size_px: Vec2) -> Option<Vec2> {
        let clip = self.view_proj(size_px.x / size_px.y.max(1.0)) * world.extend(1.0);
        if clip.w <= 0.0 {
            return None;
        }
        let ndc = clip.truncate() / clip.w;
        Some(Vec2::new(
            (ndc.x + 1.0) * 0.5 * size_px.x,
            (1.0 - ndc.y) * 0.5 * size_px.y,
        ))
    }

    pub fn to_state(&self) -> CameraState {
        CameraState {
            target: self.target.to_array(),
            distance: self.distance,
            rotation: self.rotation.to_array(),
            fov_y: self.fov_y,
            scene_centre: self.scene_centre.to_array(),
            scene_radius: self.scene_radius,
        }
    }

    /// Rebuilds a camera from a saved state; rejects non-finite or degenerate values (a corrupt session file).
    pub fn from_state(state: &CameraState) -> Option<Self> {
        let rotation = Quat::from_array(state.rotation);
        let ok = Vec3::from_array(state.target).is_finite()
            && state.distance.is_finite()
            && state.distance > 0.0
            && rotation.is_finite()
            && rotation.length() > 0.5
            && state.fov_y > 0.05
            && state.fov_y < 3.0
            && Vec3::from_array(state.scene_centre).is_finite()
            && state.scene_radius.is_finite();
        ok.then(|| Self {
            target: Vec3::from_array(state.target),
            distance: state.distance.clamp(MIN_DISTANCE, MAX_DISTANCE),
            rotation: rotation.normalize(),
            fov_y: state.fov_y,
            scene_centre: Vec3::from_array(state.scene_centre),
            scene_radius: state.scene_radius.max(1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_ray_hits_the_target() {
        let mut cam = OrbitCamera::framing(Vec3::new(10.0, -5.0, 3.0), 12.0);
        cam.orbit(Vec2::new(120.0, -40.0), 600.0);
        let size = Vec2::new(800.0, 600.0);
        let ray = cam.ray_through(size * 0.5, size);
        let closest = ray.at((cam.target - ray.origin).dot(ray.dir));
        assert!(closest.distance(cam.target) < 1e-3);
        let p = cam.project(cam.target, size).unwrap();
        assert!(p.distance(size * 0.5) < 1e-2, "{p}");
    }

    #[test]
    fn ray_and_projection_agree_off_centre() {
        let mut cam = OrbitCamera::framing(Vec3::ZERO, 20.0);
        cam.orbit(Vec2::new(-30.0, 75.0), 480.0);
        let size = Vec2::new(640.0, 480.0);
        let world = Vec3::new(7.0, -3.0, 4.0);
        let px = cam.project(world, size).unwrap();
        let ray = cam.ray_through(px, size);
        let closest = ray.at((world - ray.origin).dot(ray.dir));
        assert!(closest.distance(world) < 1e-2);
    }

    #[test]
    fn fitted_sphere_is_inside_the_view_and_clip_range() {
        let cam = OrbitCamera::framing(Vec3::new(1.0, 2.0, 3.0), 30.0);
        let (near, far) = cam.clip_planes();
        assert!(near < cam.distance - 30.0 && far > cam.distance + 30.0);
        let size = Vec2::new(500.0, 500.0);
        for dir in [Vec3::X, Vec3::Y, -Vec3::X, -Vec3::Y] {
            let p = cam
                .project(cam.target + cam.rotation * dir * 30.0, size)
                .unwrap();
            assert!(
                p.x >= 0.0 && p.x <= 500.0 && p.y >= 0.0 && p.y <= 500.0,
                "{p}"
            );
        }
    }

    #[test]
    fn pan_moves_target_in_view_plane_and_zoom_clamps() {
        let mut cam = OrbitCamera::framing(Vec3::ZERO, 10.0);
        let before = cam.target;
        cam.pan(Vec2::new(50.0, 0.0), 500.0);
        assert!((cam.target - before).dot(cam.right()) < 0.0);
        assert!((cam.target - before).dot(cam.eye() - cam.target).abs() < 1e-3);
        cam.zoom(1e-6);
        assert_eq!(cam.distance, MIN_DISTANCE);
        cam.zoom(f32::NAN);
        assert_eq!(cam.distance, MIN_DISTANCE);
    }

    #[test]
    fn state_round_trip_and_rejects_garbage() {
        let mut cam = OrbitCamera::framing(Vec3::new(4.0, 5.0, 6.0), 8.0);
        cam.orbit(Vec2::new(10.0, 20.0), 100.0);
        let back = OrbitCamera::from_state(&cam.to_state()).unwrap();
        assert!(back.eye().distance(cam.eye()) < 1e-4);
        let mut bad = cam.to_state();
        bad.distance = f32::NAN;
        assert!(OrbitCamera::from_state(&bad).is_none());
    }
}
