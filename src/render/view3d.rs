//! The 3D view inside egui: input handling (orbit, pan, zoom, picking) and an `egui_wgpu` paint callback
//! that renders the scene offscreen in `prepare` and blits the image into egui's pass in `paint`.
//!
//! Rendering offscreen gives the scene its own depth buffer (egui's pass has none) and lets export and
//! tests reuse exactly the same renderer.

use std::sync::Arc;

use glam::Vec2;

use super::camera::OrbitCamera;
use super::picking::{Pick, pick, points_to_pixels};
use super::renderer::{OffscreenTarget, RenderError, SceneRenderer, ViewParams, colour_target};
use super::scene::{ResidueRef, Scene};

/// A scene shared with the paint callback; `generation` changes whenever the content does, which is
/// when the GPU copy is refreshed.
#[derive(Clone, Default)]
pub struct SceneHandle {
    pub scene: Arc<Scene>,
    pub generation: u64,
}

impl SceneHandle {
    pub fn replace(&mut self, scene: Scene) {
        self.scene = Arc::new(scene);
        self.generation += 1;
    }
}

/// GPU state of the view, kept in egui_wgpu's callback resources.
pub struct View3dResources {
    renderer: SceneRenderer,
    uploaded: Option<u64>,
    target: Option<OffscreenTarget>,
    blit_pipeline: wgpu::RenderPipeline,
    blit_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    blit_bind_group: Option<wgpu::BindGroup>,
    /// What the offscreen image shows; an unchanged view is blitted again without re-rendering (egui
    /// repaints for hover and panels far more often than the 3D view changes).
    rendered: Option<(u64, ViewParams)>,
}

impl View3dResources {
    fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("nesbind blit shader"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/blit.wgsl").into()),
        });
        let blit_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("nesbind blit"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("nesbind blit"),
            bind_group_layouts: &[Some(&blit_layout)],
            immediate_size: 0,
        });
        let fs = if target_format.is_srgb() {
            "fs_blit_to_srgb"
        } else {
            "fs_blit"
        };
        let blit_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("nesbind blit"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_blit"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some(fs),
                compilation_options: Default::default(),
                targets: &colour_target(target_format, None),
            }),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("nesbind blit"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        Self {
            renderer: SceneRenderer::new(device),
            uploaded: None,
            target: None,
            blit_pipeline,
            blit_layout,
            sampler,
            blit_bind_group: None,
            rendered: None,
        }
    }

    fn ensure_target(&mut self, device: &wgpu::Device, size: [u32; 2]) -> bool {
        if self.target.as_ref().is_some_and(|t| t.size == size) {
            return true;
        }
        let Ok(target) = OffscreenTarget::new(device, size) else {
            self.target = None;
            self.blit_bind_group = None;
            return false;
        };
        self.blit_bind_group = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nesbind blit"),
            layout: &self.blit_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&target.colour_view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        }));
        self.target = Some(target);
        true
    }

    fn sync_scene(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, scene: &SceneHandle) {
        if self.uploaded != Some(scene.generation) {
            self.renderer.upload(device, queue, &scene.scene);
            self.uploaded = Some(scene.generation);
        }
    }
}

/// Creates the view's GPU resources; call once from the app's creation context.
pub fn install(render_state: &egui_wgpu::RenderState) {
    let resources = View3dResources::new(&render_state.device, render_state.target_format);
    render_state
        .renderer
        .write()
        .callback_resources
        .insert(resources);
}

/// Renders the scene at any size with the view's renderer (PNG export at a chosen resolution).
pub fn render_image(
    render_state: &egui_wgpu::RenderState,
    scene: &SceneHandle,
    params: &ViewParams,
) -> Result<image::RgbaImage, RenderError> {
    let mut egui_renderer = render_state.renderer.write();
    let Some(res) = egui_renderer
        .callback_resources
        .get_mut::<View3dResources>()
    else {
        // Not installed (an app built without the view): render with a fresh renderer instead.
        let mut renderer = SceneRenderer::new(&render_state.device);
        renderer.upload(&render_state.device, &render_state.queue, &scene.scene);
        return renderer.render_to_image(&render_state.device, &render_state.queue, params);
    };
    res.sync_scene(&render_state.device, &render_state.queue, scene);
    res.renderer
        .render_to_image(&render_state.device, &render_state.queue, params)
}

struct View3dCallback {
    scene: SceneHandle,
    params: ViewParams,
}

impl egui_wgpu::CallbackTrait for View3dCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        encoder: &mut wgpu::CommandEncoder,
        resources: &mut egui_wgpu::CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<View3dResources>() else {
            return Vec::new();
        };
        res.sync_scene(device, queue, &self.scene);
        let had_target = res
            .target
            .as_ref()
            .is_some_and(|t| t.size == self.params.size_px);
        let wanted = (self.scene.generation, self.params);
        if had_target && res.rendered == Some(wanted) {
            return Vec::new();
        }
        if res.ensure_target(device, self.params.size_px)
            && let Some(target) = &res.target
        {
            res.renderer.render_into(
                queue,
                encoder,
                &target.colour_view,
                &target.depth_view,
                &self.params,
            );
            res.rendered = Some(wanted);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &egui_wgpu::CallbackResources,
    ) {
        let Some(res) = resources.get::<View3dResources>() else {
            return;
        };
        let Some(bind_group) = &res.blit_bind_group else {
            return;
        };
        render_pass.set_pipeline(&res.blit_pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.draw(0..3, 0..1);
    }
}

/// What happened in the view this frame.
#[derive(Debug, Clone)]
pub struct ViewOutput {
    pub hovered: Option<Pick>,
    pub clicked: Option<Pick>,
    pub double_clicked: Option<Pick>,
    /// The view's size in physical pixels (what export at screen resolution uses).
    pub size_px: [u32; 2],
    /// The view's rectangle in points, for overlays (legend, tooltip).
    pub rect: egui::Rect,
}

/// Draws the 3D view filling `size` points and applies mouse input to `camera`:
/// left-drag orbits, right-/middle-/shift-drag pans, the wheel (or a pinch) zooms.
pub fn view3d_ui(
    ui: &mut egui::Ui,
    size: egui::Vec2,
    camera: &mut OrbitCamera,
    scene: &SceneHandle,
    hovered: Option<ResidueRef>,
    selected: Option<ResidueRef>,
) -> (egui::Response, ViewOutput) {
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "3D view"));
    let ppp = ui.ctx().pixels_per_point();
    let size_px = [
        ((rect.width() * ppp).round() as u32).max(1),
        ((rect.height() * ppp).round() as u32).max(1),
    ];
    let size_px_v = Vec2::new(size_px[0] as f32, size_px[1] as f32);

    let delta = response.drag_delta();
    if delta != egui::Vec2::ZERO {
        let d = Vec2::new(delta.x, delta.y);
        let shift = ui.input(|i| i.modifiers.shift);
        if response.dragged_by(egui::PointerButton::Secondary)
            || response.dragged_by(egui::PointerButton::Middle)
            || (shift && response.dragged_by(egui::PointerButton::Primary))
        {
            camera.pan(d, rect.height());
        } else if response.dragged_by(egui::PointerButton::Primary) {
            camera.orbit(d, rect.height());
        }
    }
    if response.hovered() {
        let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        if scroll != 0.0 {
            camera.zoom((-scroll * 0.0025).exp());
        }
        if pinch != 1.0 {
            camera.zoom(1.0 / pinch);
        }
    }

    let pick_at = |pos: egui::Pos2| {
        let offset = pos - rect.min;
        pick(
            &scene.scene,
            camera,
            points_to_pixels(Vec2::new(offset.x, offset.y), ppp),
            size_px_v,
        )
    };
    let mut out = ViewOutput {
        hovered: None,
        clicked: None,
        double_clicked: None,
        size_px,
        rect,
    };
    if !response.dragged() {
        out.hovered = response.hover_pos().and_then(pick_at);
    }
    if response.double_clicked() {
        out.double_clicked = response.interact_pointer_pos().and_then(pick_at);
    } else if response.clicked() {
        out.clicked = response.interact_pointer_pos().and_then(pick_at);
    }

    let hovered_id = hovered.and_then(|r| scene.scene.pick_of(r)).unwrap_or(0);
    let selected_id = selected.and_then(|r| scene.scene.pick_of(r)).unwrap_or(0);
    let mut params = ViewParams::new(*camera, size_px);
    params.hovered = hovered_id;
    params.selected = selected_id;
    ui.painter().add(egui_wgpu::Callback::new_paint_callback(
        rect,
        View3dCallback {
            scene: scene.clone(),
            params,
        },
    ));
    (response, out)
}
