//! The 3D view: camera, a renderer-neutral scene, colours, CPU picking, the wgpu renderer and its egui
//! wrapper. Only `view3d` knows egui; the rest runs headless (tests, export).

pub mod camera;
pub mod colour;
pub mod picking;
pub mod renderer;
pub mod scene;
pub mod view3d;

pub use camera::OrbitCamera;
pub use renderer::{HeadlessGpu, RenderError, SceneRenderer, ViewParams};
pub use scene::{ResidueRef, Scene, SceneBuilder};
