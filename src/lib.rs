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
pub mod scan;
mod simd;
pub mod structure;
pub mod train;

/// The bundled data folder: the one named by `NESBIND_ASSETS`, else the first `assets/` of
/// [`asset_candidates`] that holds the pocket definitions, else the source tree's.
pub fn assets_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("NESBIND_ASSETS") {
        return dir.into();
    }
    let source_tree = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    find_asset_dir(
        "NESBIND_ASSETS",
        std::path::Path::new(""),
        "pockets/crm1_pockets.json",
    )
    .unwrap_or(source_tree)
}

/// Where a bundled file may be, in search order: under `$NESBIND_ASSETS`, under an `assets/` folder
/// next to the executable or up to three folders above it (covers `target/<profile>/deps`), then
/// the source tree's.
pub fn asset_candidates(relative: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = std::env::var_os("NESBIND_ASSETS") {
        out.push(std::path::PathBuf::from(dir).join(relative));
    }
    if let Ok(exe) = std::env::current_exe() {
        out.extend(
            exe.ancestors()
                .skip(1)
                .take(4)
                .map(|d| d.join("assets").join(relative)),
        );
    }
    out.push(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(relative),
    );
    out
}

/// The folder named by `$override_var`, else the first of [`asset_candidates`] holding `marker`;
/// on failure, every place looked at.
pub fn find_asset_dir(
    override_var: &str,
    relative: &std::path::Path,
    marker: &str,
) -> Result<std::path::PathBuf, Vec<std::path::PathBuf>> {
    let mut tried: Vec<std::path::PathBuf> = std::env::var_os(override_var)
        .map(Into::into)
        .into_iter()
        .collect();
    tried.extend(asset_candidates(relative));
    tried
        .iter()
        .find(|d| d.join(marker).is_file())
        .cloned()
        .ok_or(tried)
}

/// The project's shared data folder (`../shared` beside the source tree, or `$NESBIND_SHARED`),
/// when it exists: the AlphaFold complexes and the structure corpus live there, never in the repo.
pub fn shared_dir() -> Option<std::path::PathBuf> {
    let candidates = std::env::var_os("NESBIND_SHARED")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(std::iter::once(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        ));
    candidates.into_iter().find(|d| d.join("data").is_dir())
}

/// The shared folder of AlphaFold CRM1–NES models, when present.
pub fn shared_alphafold_dir() -> Option<std::path::PathBuf> {
    shared_dir()
        .map(|d| d.join("data/structures/alphafold_complexes"))
        .filter(|d| d.is_dir())
}
