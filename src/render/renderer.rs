//! wgpu renderer for a [`Scene`]: draws into an offscreen Rgba8Unorm colour + Depth32Float target.
//!
//! The same `render_into` serves the window (the egui callback renders offscreen, then blits), PNG export
//! and headless tests, so what the tests check is what the user sees.

use bytemuck::{Pod, Zeroable};
use glam::{Vec2, Vec3};
use wgpu::util::DeviceExt as _;

use super::camera::OrbitCamera;
use super::colour::{BACKGROUND, Rgba};
use super::scene::{PickId, Scene};

pub const COLOUR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// Sides of the instanced cylinder mesh: enough for a smooth tube at typical zoom.
const CYLINDER_SIDES: u32 = 14;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "no GPU adapter (wgpu found no Vulkan, Metal, DX12 or GL device; on Linux install mesa-vulkan-drivers)"
    )]
    NoAdapter,
    #[error("could not create the wgpu device on {adapter}: {message}")]
    Device { adapter: String, message: String },
    #[error("reading the rendered image back from the GPU failed: {0}")]
    Readback(String),
    #[error("image size {width}×{height} is not renderable (1..={max} pixels per side)")]
    Size { width: u32, height: u32, max: u32 },
}

/// Per-frame view settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewParams {
    pub camera: OrbitCamera,
    pub size_px: [u32; 2],
    pub hovered: PickId,
    pub selected: PickId,
    pub background: Rgba,
}

impl ViewParams {
    pub fn new(camera: OrbitCamera, size_px: [u32; 2]) -> Self {
        Self {
            camera,
            size_px,
            hovered: 0,
            selected: 0,
            background: BACKGROUND,
        }
    }

    fn aspect(&self) -> f32 {
        self.size_px[0].max(1) as f32 / self.size_px[1].max(1) as f32
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Uniforms {
    view: [[f32; 4]; 4],
    proj: [[f32; 4]; 4],
    light_dir: [f32; 4],
    background: [f32; 4],
    fog: [f32; 4],
    highlight: [u32; 4],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct SphereInstance {
    centre_radius: [f32; 4],
    colour: [u8; 4],
    pick: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct CylinderInstance {
    a_radius: [f32; 4],
    b: [f32; 3],
    pick: u32,
    colour: [u8; 4],
}

/// The single colour attachment every nesbind pipeline draws into, all channels written.
pub(super) fn colour_target(
    format: wgpu::TextureFormat,
    blend: Option<wgpu::BlendState>,
) -> [Option<wgpu::ColorTargetState>; 1] {
    [Some(wgpu::ColorTargetState {
        format,
        blend,
        write_mask: wgpu::ColorWrites::ALL,
    })]
}

/// A growable GPU buffer of instances.
struct InstanceBuffer {
    buffer: wgpu::Buffer,
    capacity: u64,
    count: u32,
    label: &'static str,
}

impl InstanceBuffer {
    fn new(device: &wgpu::Device, label: &'static str) -> Self {
        let capacity = 256;
        Self {
            buffer: Self::alloc(device, label, capacity),
            capacity,
            count: 0,
            label,
        }
    }

    fn alloc(device: &wgpu::Device, label: &'static str, bytes: u64) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    fn upload<T: Pod>(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, items: &[T]) {
        let bytes: &[u8] = bytemuck::cast_slice(items);
        let needed = (bytes.len() as u64).max(16);
        if needed > self.capacity {
            self.capacity = needed.next_power_of_two();
            self.buffer = Self::alloc(device, self.label, self.capacity);
        }
        if !bytes.is_empty() {
            queue.write_buffer(&self.buffer, 0, bytes);
        }
        self.count = items.len() as u32;
    }
}

/// Pipelines and GPU copies of one scene.
pub struct SceneRenderer {
    sphere_pipeline: wgpu::RenderPipeline,
    marker_pipeline: wgpu::RenderPipeline,
    cylinder_pipeline: wgpu::RenderPipeline,
    uniform_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    cylinder_mesh: wgpu::Buffer,
    cylinder_mesh_len: u32,
    spheres: InstanceBuffer,
    markers: InstanceBuffer,
    cylinders: InstanceBuffer,
    /// Bounding sphere of the uploaded scene (for fog).
    bounds: Option<(Vec3, f32)>,
}

impl SceneRenderer {
    pub fn new(device: &wgpu::Device) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("nesbind scene shader"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/scene.wgsl").into()),
        });
        let bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("nesbind scene uniforms"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("nesbind scene layout"),
            bind_group_layouts: &[Some(&bind_group_layout)],
            immediate_size: 0,
        });
        let uniform_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("nesbind scene uniforms"),
            size: std::mem::size_of::<Uniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nesbind scene uniforms"),
            layout: &bind_group_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: uniform_buffer.as_entire_binding(),
            }],
        });

        let sphere_attrs = wgpu::vertex_attr_array![0 => Float32x4, 1 => Unorm8x4, 2 => Uint32];
        let sphere_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<SphereInstance>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &sphere_attrs,
        };
        let cyl_attrs =
            wgpu::vertex_attr_array![0 => Float32x4, 1 => Float32x3, 2 => Uint32, 3 => Unorm8x4];
        let cyl_instance_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<CylinderInstance>() as u64,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &cyl_attrs,
        };
        let mesh_attrs = wgpu::vertex_attr_array![4 => Float32x3];
        let cyl_mesh_layout = wgpu::VertexBufferLayout {
            array_stride: 12,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &mesh_attrs,
        };

        let opaque_depth = wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(true),
            depth_compare: Some(wgpu::CompareFunction::Less),
            stencil: Default::default(),
            bias: Default::default(),
        };
        let pipeline = |label: &str,
                        vs: &str,
                        fs: &str,
                        buffers: &[Option<wgpu::VertexBufferLayout>],
                        depth: wgpu::DepthStencilState,
                        blend: Option<wgpu::BlendState>,
                        cull: Option<wgpu::Face>| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &shader,
                    entry_point: Some(vs),
                    compilation_options: Default::default(),
                    buffers,
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleList,
                    cull_mode: cull,
                    ..Default::default()
                },
                depth_stencil: Some(depth),
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &shader,
                    entry_point: Some(fs),
                    compilation_options: Default::default(),
                    targets: &colour_target(COLOUR_FORMAT, blend),
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let sphere_pipeline = pipeline(
            "nesbind spheres",
            "vs_sphere",
            "fs_sphere",
            &[Some(sphere_layout.clone())],
            opaque_depth.clone(),
            None,
            None,
        );
        let marker_pipeline = pipeline(
            "nesbind markers",
            "vs_sphere",
            "fs_marker",
            &[Some(sphere_layout)],
            // Tested against the opaque depth but not written: markers never hide each other or atoms.
            wgpu::DepthStencilState {
                depth_write_enabled: Some(false),
                ..opaque_depth.clone()
            },
            Some(wgpu::BlendState::ALPHA_BLENDING),
            None,
        );
        let cylinder_pipeline = pipeline(
            "nesbind cylinders",
            "vs_cylinder",
            "fs_cylinder",
            &[Some(cyl_mesh_layout), Some(cyl_instance_layout)],
            opaque_depth,
            None,
            None,
        );

        let mesh = unit_cylinder(CYLINDER_SIDES);
        let cylinder_mesh = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("nesbind unit cylinder"),
            contents: bytemuck::cast_slice(&mesh),
            usage: wgpu::BufferUsages::VERTEX,
        });

        Self {
            sphere_pipeline,
            marker_pipeline,
            cylinder_pipeline,
            uniform_buffer,
            bind_group,
            cylinder_mesh,
            cylinder_mesh_len: mesh.len() as u32,
            spheres: InstanceBuffer::new(device, "nesbind sphere instances"),
            markers: InstanceBuffer::new(device, "nesbind marker instances"),
            cylinders: InstanceBuffer::new(device, "nesbind cylinder instances"),
            bounds: None,
        }
    }

    /// Copies a scene to the GPU (call when the scene changes, not every frame).
    pub fn upload(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, scene: &Scene) {
        let spheres: Vec<SphereInstance> = scene
            .spheres
            .iter()
            .map(|s| SphereInstance {
                centre_radius: [s.centre.x, s.centre.y, s.centre.z, s.radius],
                colour: s.colour,
                pick: s.pick,
            })
            .collect();
        let markers: Vec<SphereInstance> = scene
            .markers
            .iter()
            .map(|m| SphereInstance {
                centre_radius: [m.centre.x, m.centre.y, m.centre.z, m.radius],
                colour: m.colour,
                pick: 0,
            })
            .collect();
        let cylinders: Vec<CylinderInstance> = scene
            .cylinders
            .iter()
            .map(|c| CylinderInstance {
                a_radius: [c.a.x, c.a.y, c.a.z, c.radius],
                b: c.b.to_array(),
                pick: c.pick,
                colour: c.colour,
            })
            .collect();
        self.spheres.upload(device, queue, &spheres);
        self.markers.upload(device, queue, &markers);
        self.cylinders.upload(device, queue, &cylinders);
        self.bounds = scene.bounds().map(|b| (b.centre, b.radius));
    }

    fn uniforms(&self, params: &ViewParams) -> Uniforms {
        let cam = &params.camera;
        let light = Vec3::new(-0.35, 0.5, 0.8).normalize();
        let bg = params.background;
        // Depth cueing over the back half of the scene: the front stays crisp, the far side fades.
        let (centre, radius) = self.bounds.unwrap_or((cam.target, cam.scene_radius));
        let d = cam.eye().distance(centre);
        Uniforms {
            view: cam.view().to_cols_array_2d(),
            proj: cam.projection(params.aspect()).to_cols_array_2d(),
            light_dir: light.extend(0.0).to_array(),
            background: [
                bg[0] as f32 / 255.0,
                bg[1] as f32 / 255.0,
                bg[2] as f32 / 255.0,
                1.0,
            ],
            fog: [d - radius * 0.1, d + radius, 0.6, 0.0],
            highlight: [params.hovered, params.selected, 0, 0],
        }
    }

    /// Records the scene's passes into `encoder`: clears `colour` and `depth` (both `params.size_px`),
    /// then draws opaque cylinders and spheres, then translucent markers.
    pub fn render_into(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        colour: &wgpu::TextureView,
        depth: &wgpu::TextureView,
        params: &ViewParams,
    ) {
        queue.write_buffer(
            &self.uniform_buffer,
            0,
            bytemuck::bytes_of(&self.uniforms(params)),
        );
        let bg = params.background;
        // The target is Unorm holding sRGB-encoded values, so the clear value is the encoded one.
        let clear = wgpu::Color {
            r: bg[0] as f64 / 255.0,
            g: bg[1] as f64 / 255.0,
            b: bg[2] as f64 / 255.0,
            a: 1.0,
        };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("nesbind scene"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: colour,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(clear),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: depth,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(1.0),
                    store: wgpu::StoreOp::Store,
                }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &self.bind_group, &[]);
        if self.cylinders.count > 0 {
            pass.set_pipeline(&self.cylinder_pipeline);
            pass.set_vertex_buffer(0, self.cylinder_mesh.slice(..));
            pass.set_vertex_buffer(1, self.cylinders.buffer.slice(..));
            pass.draw(0..self.cylinder_mesh_len, 0..self.cylinders.count);
        }
        if self.spheres.count > 0 {
            pass.set_pipeline(&self.sphere_pipeline);
            pass.set_vertex_buffer(0, self.spheres.buffer.slice(..));
            pass.draw(0..6, 0..self.spheres.count);
        }
        if self.markers.count > 0 {
            pass.set_pipeline(&self.marker_pipeline);
            pass.set_vertex_buffer(0, self.markers.buffer.slice(..));
            pass.draw(0..6, 0..self.markers.count);
        }
    }

    /// Renders the uploaded scene at any size into a fresh target and reads it back (PNG export, tests).
    pub fn render_to_image(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        params: &ViewParams,
    ) -> Result<image::RgbaImage, RenderError> {
        let target = OffscreenTarget::new(device, params.size_px)?;
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("nesbind render to image"),
        });
        self.render_into(
            queue,
            &mut encoder,
            &target.colour_view,
            &target.depth_view,
            params,
        );
        queue.submit([encoder.finish()]);
        read_texture(device, queue, &target.colour, target.size)
    }
}

/// Triangle list of an open unit cylinder: vertices (cos θ, sin θ, h), h ∈ {0, 1}; spheres cap the ends.
fn unit_cylinder(sides: u32) -> Vec<[f32; 3]> {
    let ring = |i: u32| {
        let a = i as f32 / sides as f32 * std::f32::consts::TAU;
        (a.cos(), a.sin())
    };
    let mut v = Vec::with_capacity(sides as usize * 6);
    for i in 0..sides {
        let (c0, s0) = ring(i);
        let (c1, s1) = ring(i + 1);
        v.extend_from_slice(&[
            [c0, s0, 0.0],
            [c1, s1, 0.0],
            [c1, s1, 1.0],
            [c0, s0, 0.0],
            [c1, s1, 1.0],
            [c0, s0, 1.0],
        ]);
    }
    v
}

/// Colour + depth textures of one view.
pub struct OffscreenTarget {
    pub colour: wgpu::Texture,
    pub colour_view: wgpu::TextureView,
    pub depth: wgpu::Texture,
    pub depth_view: wgpu::TextureView,
    pub size: [u32; 2],
}

impl OffscreenTarget {
    pub fn new(device: &wgpu::Device, size: [u32; 2]) -> Result<Self, RenderError> {
        let max = device.limits().max_texture_dimension_2d;
        if size[0] == 0 || size[1] == 0 || size[0] > max || size[1] > max {
            return Err(RenderError::Size {
                width: size[0],
                height: size[1],
                max,
            });
        }
        let extent = wgpu::Extent3d {
            width: size[0],
            height: size[1],
            depth_or_array_layers: 1,
        };
        let texture = |label, format, usage| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: extent,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let colour = texture(
            "nesbind view colour",
            COLOUR_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
        );
        let depth = texture(
            "nesbind view depth",
            DEPTH_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        Ok(Self {
            colour_view: colour.create_view(&Default::default()),
            depth_view: depth.create_view(&Default::default()),
            colour,
            depth,
            size,
        })
    }
}

/// Copies an Rgba8 texture into an image (rows are padded to 256 bytes on the GPU side).
pub fn read_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    size: [u32; 2],
) -> Result<image::RgbaImage, RenderError> {
    let [w, h] = size;
    let unpadded = w * 4;
    let padded =
        unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("nesbind readback"),
        size: padded as u64 * h as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("nesbind readback"),
    });
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(h),
            },
        },
        wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
    );
    queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    buffer.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        // The receiver outlives the poll below; a send error only means nobody waits any more.
        tx.send(r).ok();
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    rx.recv()
        .map_err(|e| RenderError::Readback(e.to_string()))?
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let mut pixels = Vec::with_capacity((unpadded * h) as usize);
    {
        let view = buffer
            .slice(..)
            .get_mapped_range()
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        for row in view.chunks(padded as usize).take(h as usize) {
            pixels.extend_from_slice(&row[..unpadded as usize]);
        }
    }
    buffer.unmap();
    image::RgbaImage::from_raw(w, h, pixels)
        .ok_or_else(|| RenderError::Readback(format!("{w}×{h} image does not match the buffer")))
}

/// A wgpu device with no window, for tests, benchmarks and command-line rendering.
pub struct HeadlessGpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: wgpu::AdapterInfo,
}

impl HeadlessGpu {
    /// Any adapter wgpu finds (on CI: lavapipe, Mesa's Vulkan-on-CPU, or EGL llvmpipe via `WGPU_BACKEND=gl`).
    pub fn new() -> Result<Self, RenderError> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            desc.backends = wgpu::Backends::PRIMARY | wgpu::Backends::GL;
        }
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|_| RenderError::NoAdapter)?;
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("nesbind headless"),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device {
            adapter: info.name.clone(),
            message: e.to_string(),
        })?;
        Ok(Self {
            device,
            queue,
            adapter: info,
        })
    }

    /// Uploads `scene` and renders it once.
    pub fn render(
        &self,
        scene: &Scene,
        params: &ViewParams,
    ) -> Result<image::RgbaImage, RenderError> {
        let mut renderer = SceneRenderer::new(&self.device);
        renderer.upload(&self.device, &self.queue, scene);
        renderer.render_to_image(&self.device, &self.queue, params)
    }
}

/// Frames a scene for a view of `size_px`: the camera's scene bounds and distance are set from the scene.
pub fn camera_for(scene: &Scene, size_px: [u32; 2]) -> OrbitCamera {
    let mut cam = OrbitCamera::default();
    if let Some(b) = scene.bounds() {
        cam.set_scene_bounds(b.centre, b.radius);
        let aspect = Vec2::new(size_px[0].max(1) as f32, size_px[1].max(1) as f32);
        cam.fit_sphere(b.centre, b.radius, aspect.x / aspect.y);
    }
    cam
}
