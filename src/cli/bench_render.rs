//! `nesbind bench render`: frame time of the 3D view's renderer on a synthetic ~15k-atom complex,
//! everything drawn as ball-and-stick (the worst case; the app draws sticks only around the peptide).

use std::time::Instant;

use anyhow::Context;
use glam::Vec2;
use nesbind::render::renderer::camera_for;
use nesbind::render::scene::{
    MAX_CA_STEP, StickAtom, TracePoint, bonds_by_distance, element_colour,
};
use nesbind::render::{HeadlessGpu, ResidueRef, SceneBuilder, SceneRenderer, ViewParams};
use nesbind::structure::load_structure;

#[derive(clap::Args, Debug)]
pub struct BenchRenderArgs {
    /// Atoms in the synthetic complex.
    #[arg(long, default_value_t = 15_000)]
    pub atoms: usize,
    /// Frames to time (the camera turns a little each frame).
    #[arg(long, default_value_t = 60)]
    pub frames: usize,
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    #[arg(long, default_value_t = 800)]
    pub height: u32,
    /// A full-length CRM1–NES model to time as the window draws it (default: the first AlphaFold
    /// model in ../shared/data/structures/alphafold_complexes, when present).
    #[arg(long)]
    pub model: Option<std::path::PathBuf>,
}

/// The model timed besides the synthetic complex: `--model`, else the first shared AlphaFold model.
fn model_path(args: &BenchRenderArgs) -> Option<std::path::PathBuf> {
    if let Some(p) = &args.model {
        return Some(p.clone());
    }
    let dir = nesbind::shared_alphafold_dir()?;
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| nesbind::structure::is_structure_file(p))
        .collect();
    files.sort();
    files.into_iter().next()
}

/// The window's scenes of one complex: cartoon CRM1 with sticks around the peptide (the default
/// view), and cartoon with every atom as sticks.
fn model_scenes(path: &std::path::Path) -> anyhow::Result<Vec<(String, nesbind::render::Scene)>> {
    use nesbind::app::document::open_document;
    use nesbind::app::molecule_scene::build_scene;
    use nesbind::app::state::{ColourMode, DisplaySettings, OpenedFile};
    let doc = open_document(
        OpenedFile {
            path: path.to_path_buf(),
            ..OpenedFile::default()
        },
        &nesbind::structure::PocketDefinition::bundled(),
        &nesbind::labels::LabelSettings::default(),
    );
    let complex = doc
        .complex()
        .with_context(|| format!("{}: {}", path.display(), doc.problem().unwrap_or("")))?;
    let residues: usize = complex
        .structure
        .chains
        .iter()
        .map(|c| c.residues.len())
        .sum();
    let name = doc.name();
    let display = DisplaySettings {
        colour_mode: ColourMode::Plddt,
        ..DisplaySettings::default()
    };
    let docs = vec![doc];
    let default_view = build_scene(&docs, Some(0), &display, &[]);
    let mut all = display.clone();
    all.groove_radius = 1e4;
    let every_atom = build_scene(&docs, Some(0), &all, &[]);
    Ok(vec![
        (
            format!("{name} ({residues} residues), cartoon + groove sticks, pLDDT colours"),
            default_view,
        ),
        (
            format!("{name}, cartoon + every atom as sticks"),
            every_atom,
        ),
    ])
}

pub fn run(args: &BenchRenderArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("nesbind-bench-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let template = nesbind::assets_dir().join("structures/3NBY_groove_excerpt.pdb");
    let path = dir.join("synthetic.pdb");
    let atoms = nesbind::structure::synthetic::write_large_complex(&template, &path, args.atoms)
        .with_context(|| format!("writing {}", path.display()))?;
    let structure = load_structure(&path)?;
    std::fs::remove_dir_all(&dir).ok();

    let t = Instant::now();
    let mut sticks = Vec::new();
    let mut elements = Vec::new();
    for (ci, chain) in structure.chains.iter().enumerate() {
        for (ri, residue) in chain.residues.iter().enumerate() {
            for a in residue.heavy_atoms() {
                let colour = element_colour(&a.element, [190, 190, 196, 255]);
                sticks.push(StickAtom {
                    pos: a.pos,
                    colour,
                    residue: Some(ResidueRef::new(0, ci, ri)),
                });
                elements.push(a.element.as_str());
            }
        }
    }
    let positions: Vec<_> = sticks.iter().map(|a| a.pos).collect();
    let bonds = bonds_by_distance(&positions, &elements);
    let mut b = SceneBuilder::new();
    b.sticks(&sticks, &bonds, 0.25, 0.15);
    let scene = b.build();
    let build_ms = t.elapsed().as_secs_f64() * 1e3;

    let mut trace = SceneBuilder::new();
    for (ci, chain) in structure.chains.iter().enumerate() {
        let points: Vec<TracePoint> = chain
            .residues
            .iter()
            .enumerate()
            .filter_map(|(ri, r)| {
                r.ca().map(|a| TracePoint {
                    pos: a.pos,
                    colour: [150, 156, 168, 255],
                    residue: Some(ResidueRef::new(0, ci, ri)),
                })
            })
            .collect();
        trace.trace(&points, 0.38, MAX_CA_STEP);
    }
    let trace = trace.build();

    let gpu = HeadlessGpu::new()?;
    let size = [args.width, args.height];
    println!(
        "adapter: {} ({:?}, {:?})",
        gpu.adapter.name, gpu.adapter.backend, gpu.adapter.device_type
    );
    println!("scene built in {build_ms:.1} ms ({atoms} atoms in file)");
    for (name, scene) in [
        ("ball-and-stick, every atom", &scene),
        ("CA tube, every chain", &trace),
    ] {
        time_scene(&gpu, name, scene, size, args.frames)?;
    }
    match model_path(args) {
        Some(path) => {
            let t = Instant::now();
            let scenes = model_scenes(&path)?;
            println!(
                "{}: read, labelled and built in {:.0} ms",
                path.display(),
                t.elapsed().as_secs_f64() * 1e3
            );
            for (name, scene) in &scenes {
                time_scene(&gpu, name, scene, size, args.frames)?;
            }
        }
        None => println!(
            "no AlphaFold model (--model, or ../shared/data/structures/alphafold_complexes): full-length model not timed"
        ),
    }
    Ok(())
}

fn time_scene(
    gpu: &HeadlessGpu,
    name: &str,
    scene: &nesbind::render::Scene,
    size: [u32; 2],
    frames: usize,
) -> anyhow::Result<()> {
    let mut renderer = SceneRenderer::new(&gpu.device);
    let t = Instant::now();
    renderer.upload(&gpu.device, &gpu.queue, scene);
    let upload_ms = t.elapsed().as_secs_f64() * 1e3;
    let target = nesbind::render::renderer::OffscreenTarget::new(&gpu.device, size)?;
    let mut camera = camera_for(scene, size);
    let render = |camera: &nesbind::render::OrbitCamera| {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        renderer.render_into(
            &gpu.queue,
            &mut encoder,
            &target.colour_view,
            &target.depth_view,
            &ViewParams::new(*camera, size),
        );
        gpu.queue.submit([encoder.finish()]);
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
    };
    render(&camera).map_err(|e| anyhow::anyhow!("first frame: {e}"))?;
    let frames = frames.max(1);
    let t = Instant::now();
    for _ in 0..frames {
        camera.orbit(Vec2::new(6.0, 2.0), size[1] as f32);
        render(&camera).map_err(|e| anyhow::anyhow!("frame: {e}"))?;
    }
    let per_frame = t.elapsed().as_secs_f64() * 1e3 / frames as f64;
    println!(
        "{name}: {} spheres, {} cylinders, uploaded in {upload_ms:.1} ms; {}x{}: {per_frame:.2} ms/frame ({:.1} fps) over {frames} frames, waiting for the GPU each frame",
        scene.spheres.len(),
        scene.cylinders.len(),
        size[0],
        size[1],
        1e3 / per_frame
    );
    Ok(())
}
