//! nesbind: which residues of a nuclear export signal (NES) bind which CRM1 pocket.
//!
//! Layers, lowest first: `structure` (files → chains, roles, numbering, pockets), `labels` (distance
//! labels and pocket occupancy), `nesdb` (NES data sets), `compute` (burn device choice), then the
//! embedding, training, rendering and application layers that build on them.

pub mod app;
pub mod compute;
pub mod embed;
pub mod labels;
pub mod nesdb;
pub mod render;
pub mod structure;
pub mod train;

/// The bundled data folder: `assets/` next to the executable's crate, or the one named by
/// `NESBIND_ASSETS`.
pub fn assets_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("NESBIND_ASSETS") {
        return dir.into();
    }
    let beside_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .map(|a| a.join("assets"))
            .find(|a| a.join("pockets").is_dir())
    });
    beside_exe.unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"))
}
