//! The desktop application (`nesbind` with no subcommand): an eframe window with the 3D view, files,
//! labelling and log panels. It drives the library; long work runs in background jobs.

pub mod browser;
pub mod commands;
pub mod document;
pub mod gpu;
pub mod jobs;
pub mod log;
pub mod molecule_scene;
mod nesbind_app;
mod panels;
pub mod protein;
pub mod state;
pub mod training;

use std::path::PathBuf;

use anyhow::Context as _;

pub use nesbind_app::{AppOptions, DialogKind, NesbindApp};

/// Opens the window and runs until it closes.
pub fn run(options: AppOptions) -> anyhow::Result<()> {
    let mut native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("nesbind — CRM1 / NES pockets")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    native.wgpu_options.wgpu_setup = gpu::wgpu_setup();
    // Screenshot runs must not read or overwrite the user's saved session.
    if options.screenshot.is_some() {
        native.persist_window = false;
        native.persistence_path = Some(
            std::env::temp_dir().join(format!("nesbind-screenshot-session-{}", std::process::id())),
        );
    }
    eframe::run_native(
        "nesbind",
        native,
        Box::new(move |cc| Ok(Box::new(NesbindApp::new(cc, options)))),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("the window could not be opened (is a display available? on a server use Xvfb)")
}

/// Convenience for the CLI: the files given as arguments.
pub fn run_with_files(
    paths: Vec<PathBuf>,
    screenshot: Option<PathBuf>,
    colour: Option<state::ColourMode>,
    predict: bool,
    protein: Option<PathBuf>,
) -> anyhow::Result<()> {
    // A mistyped subcommand arrives here as a file name: say so instead of opening an empty window.
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        anyhow::bail!(
            "{}: no such file (and not a subcommand; see `nesbind --help`)",
            missing.display()
        );
    }
    let fresh = screenshot.is_some();
    run(AppOptions {
        paths,
        screenshot,
        fresh,
        colour,
        predict,
        protein,
    })
}
