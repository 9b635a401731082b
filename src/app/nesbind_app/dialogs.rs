//! Native file dialogs: each runs on its own thread and hands its result back to the app.

use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;

use super::NesbindApp;
use crate::app::state::AppState;

/// What a native file dialog (run on its own thread) returned.
pub(crate) enum DialogResult {
    Open(Vec<PathBuf>),
    ExportPng(PathBuf),
    ExportCsv(PathBuf),
    PocketFile(PathBuf),
    EsmFolder(PathBuf),
    Fasta(PathBuf),
    ScanCsv(PathBuf),
}

/// Which file dialog a menu item or button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    Open,
    OpenFolder,
    ExportPng,
    ExportCsv,
    PocketFile,
    EsmFolder,
    /// A FASTA file for the Protein panel.
    Fasta,
    /// Where the Protein panel's candidates go as CSV.
    ScanCsv,
}

impl NesbindApp {
    /// Acts on what the user picked in a dialog.
    pub(super) fn handle_dialog(&mut self, result: DialogResult) {
        let remember =
            |state: &mut AppState, p: &Path| state.last_dir = p.parent().map(Path::to_path_buf);
        match result {
            DialogResult::Open(paths) => {
                if let Some(p) = paths.first() {
                    remember(&mut self.state, p);
                }
                self.open_paths(&paths);
            }
            DialogResult::ExportPng(path) => {
                remember(&mut self.state, &path);
                if let Err(e) = self.export_png(&path) {
                    self.log.error(format!("{e:#}"));
                }
            }
            DialogResult::ExportCsv(path) => {
                remember(&mut self.state, &path);
                if let Err(e) = self.export_labels_csv(&path) {
                    self.log.error(format!("{e:#}"));
                }
            }
            DialogResult::PocketFile(path) => self.load_pocket_file(&path),
            DialogResult::Fasta(path) => {
                remember(&mut self.state, &path);
                self.load_fasta(&path);
            }
            DialogResult::ScanCsv(path) => {
                remember(&mut self.state, &path);
                let csv = crate::app::protein::scans_csv(&self.protein_scans);
                match std::fs::write(&path, csv) {
                    Ok(()) => self
                        .log
                        .info(format!("candidates written to {}", path.display())),
                    Err(e) => self
                        .log
                        .error(format!("cannot write {}: {e}", path.display())),
                }
            }
            DialogResult::EsmFolder(path) => {
                self.log
                    .info(format!("ESM-2 model folder: {}", path.display()));
                self.state.train.esm_dir = Some(path);
            }
        }
    }

    /// Runs a native file dialog on its own thread so the window keeps drawing while it is open.
    pub(crate) fn spawn_dialog(&mut self, kind: DialogKind) {
        if self.dialog.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let dir = self.state.last_dir.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("nesbind file dialog".into())
            .spawn(move || {
                let mut dialog = rfd::FileDialog::new();
                if let Some(d) = dir {
                    dialog = dialog.set_directory(d);
                }
                let result = match kind {
                    DialogKind::Open => dialog
                        .add_filter(
                            "Structures (PDB, mmCIF, gz)",
                            &["pdb", "cif", "mmcif", "ent", "gz", "pdb1"],
                        )
                        .add_filter("All files", &["*"])
                        .pick_files()
                        .map(DialogResult::Open),
                    DialogKind::OpenFolder => {
                        dialog.pick_folder().map(|d| DialogResult::Open(vec![d]))
                    }
                    DialogKind::ExportPng => dialog
                        .add_filter("PNG image", &["png"])
                        .set_file_name("nesbind_view.png")
                        .save_file()
                        .map(DialogResult::ExportPng),
                    DialogKind::ExportCsv => dialog
                        .add_filter("CSV", &["csv"])
                        .set_file_name("nesbind_labels.csv")
                        .save_file()
                        .map(DialogResult::ExportCsv),
                    DialogKind::PocketFile => dialog
                        .add_filter("Pocket definition (JSON, CSV)", &["json", "csv"])
                        .pick_file()
                        .map(DialogResult::PocketFile),
                    DialogKind::EsmFolder => dialog.pick_folder().map(DialogResult::EsmFolder),
                    DialogKind::Fasta => dialog
                        .add_filter("FASTA", &["fasta", "fa", "faa", "fas", "txt"])
                        .add_filter("All files", &["*"])
                        .pick_file()
                        .map(DialogResult::Fasta),
                    DialogKind::ScanCsv => dialog
                        .add_filter("CSV", &["csv"])
                        .set_file_name("nesbind_nes_candidates.csv")
                        .save_file()
                        .map(DialogResult::ScanCsv),
                };
                if let Some(r) = result {
                    tx.send(r).ok();
                }
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.dialog = Some(rx),
            Err(e) => self.log.error(format!("cannot open a file dialog: {e}")),
        }
    }
}
