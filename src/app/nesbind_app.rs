//! The application: owns the session state, the opened documents, the camera and background jobs, and lays
//! out the panels each frame.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use anyhow::Context as _;

use crate::labels::{DistanceMode, LabelSettings, ResidueLabel};
use crate::render::view3d::SceneHandle;
use crate::render::{OrbitCamera, ResidueRef, ViewParams};
use crate::structure::PocketDefinition;

use super::commands::Command;
use super::document::{Document, bundled_session, open_document, open_document_bytes};
use super::jobs::{Job, Outcome, take_finished};
use super::log::Log;
use super::molecule_scene::{
    build_scene, context_frames, groove_view_rotation, object_focus, peptide_focus,
};
use super::state::{AppState, ColourMode, DistanceModeChoice, OpenedFile, PanelTab, STORAGE_KEY};
use super::training::{
    EmbeddingSummary, SequencePrediction, SharedModel, TrainedModel, prediction_for_document,
};
use crate::train::EpochReport;

mod dialogs;
mod model_jobs;
mod screenshot;

pub use dialogs::DialogKind;
pub(crate) use dialogs::DialogResult;
pub(crate) use screenshot::ScreenshotTask;

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Files named on the command line (replace the saved session's files).
    pub paths: Vec<PathBuf>,
    /// Save a screenshot of the window to this file once everything has loaded, then quit.
    pub screenshot: Option<PathBuf>,
    /// Ignore the saved session (tests, screenshots): start from the bundled examples or `paths`.
    pub fresh: bool,
    /// Colouring to start with (`--colour`), instead of the session's.
    pub colour: Option<ColourMode>,
    /// Predict every opened peptide with the bundled model once the files are read (`--predict`).
    pub predict: bool,
    /// A FASTA file to scan in the Protein panel at start (`--protein`).
    pub protein: Option<PathBuf>,
}

/// Files named by `paths`, folders replaced by their structure files (sorted); unreadable folders
/// are logged.
fn expand_to_files(paths: &[PathBuf], log: &mut Log) -> Vec<OpenedFile> {
    let mut failures = Vec::new();
    let files = crate::structure::expand_paths(paths, &mut failures);
    for f in failures {
        log.error(f.message);
    }
    for p in paths.iter().filter(|p| p.is_dir()) {
        if !files.iter().any(|f| f.starts_with(p)) {
            log.warn(format!(
                "{}: no structure files in this folder",
                p.display()
            ));
        }
    }
    files
        .into_iter()
        .map(|path| OpenedFile {
            path,
            ..Default::default()
        })
        .collect()
}

/// What a prediction job predicts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PredictTarget {
    /// The Predict panel's typed sequence.
    Typed,
    /// The peptides of these documents (index and path, to check the list did not change).
    Documents(Vec<(usize, PathBuf)>),
}

/// Where the camera should go once the view's size is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Framing {
    Everything,
    ActiveObject,
    Peptide,
}

pub struct NesbindApp {
    pub state: AppState,
    pub docs: Vec<Document>,
    pub log: Log,
    pub(crate) ctx: egui::Context,
    pub(crate) render_state: Option<egui_wgpu::RenderState>,
    pub(crate) pockets: Arc<PocketDefinition>,
    pub(crate) scene: SceneHandle,
    pub(crate) scene_dirty: bool,
    /// Sent by panels this frame, applied at the start of the next.
    pub(crate) commands: Vec<Command>,
    /// The running load was asked for by the user: its first complex becomes active.
    pub(crate) activate_on_load: bool,
    /// Predict every peptide when the running load finishes.
    pub(crate) predict_on_load: bool,
    /// Per document: its superposition onto the active complex when drawn as context.
    pub frames: Vec<Option<crate::structure::Superposition>>,
    pub camera: OrbitCamera,
    pub(crate) pending_framing: Option<Framing>,
    /// Residue under the cursor in the 3D view, the sequence strip or the table (as of the last frame).
    pub hovered: Option<ResidueRef>,
    /// Hover collected while this frame is drawn; becomes `hovered` at its end.
    pub(crate) hover_next: Option<ResidueRef>,
    /// Clicked residue, mirrored in the view, the strip and the table.
    pub selected: Option<ResidueRef>,
    pub(crate) load_job: Option<Job<Vec<Document>>>,
    /// Files the running load job is reading (kept for the session if the app closes meanwhile).
    pub(crate) pending_files: Vec<OpenedFile>,
    pub(crate) label_job: Option<Job<Vec<Vec<ResidueLabel>>>>,
    pub(crate) train_job: Option<Job<TrainedModel>>,
    pub(crate) rebuild_job: Option<Job<(usize, Document)>>,
    pub(crate) embed_job: Option<Job<EmbeddingSummary>>,
    /// The Protein panel: its text (a sequence or FASTA), the scans of its proteins, which protein
    /// is shown and which candidate is selected.
    pub protein_text: String,
    pub protein_scans: Vec<crate::scan::ProteinScan>,
    pub protein_shown: usize,
    pub protein_selected: Option<usize>,
    pub(crate) scan_job: Option<Job<Vec<crate::scan::ProteinScan>>>,
    pub embedding: Option<EmbeddingSummary>,
    pub(crate) epoch_rx: Option<Receiver<EpochReport>>,
    /// Epoch reports of the running or last training, for the plots.
    pub history: Vec<EpochReport>,
    /// The last trained model (used by Predict).
    pub model: Option<SharedModel>,
    pub(crate) predict_job: Option<Job<(PredictTarget, Vec<SequencePrediction>)>>,
    /// The Predict panel's sequence box and its last result.
    pub typed_sequence: String,
    pub typed_prediction: Option<SequencePrediction>,
    pub(crate) dialog: Option<Receiver<DialogResult>>,
    pub(crate) screenshot: Option<ScreenshotTask>,
    /// Last size of the 3D view in physical pixels, and its rectangle in points.
    pub view_size_px: [u32; 2],
    pub view_rect: egui::Rect,
    pub(crate) adapter: Option<String>,
    /// burn's view of the window's wgpu device, registered on first GPU use.
    pub(crate) shared_gpu: Option<Result<burn::tensor::Device, String>>,
    /// The camera came from the saved session: do not re-frame when the session's files arrive.
    pub(crate) restored_camera: bool,
}

impl NesbindApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let mut log = Log::default();
        let render_state = cc.wgpu_render_state.clone();
        let adapter = render_state
            .as_ref()
            .map(|rs| super::gpu::describe_adapter(&rs.adapter.get_info()));
        match &render_state {
            Some(rs) => {
                crate::render::view3d::install(rs);
                if let Some(a) = &adapter {
                    log.info(format!("GPU adapter: {a}"));
                }
            }
            None => log
                .error("no wgpu renderer: the 3D view is unavailable (run with the wgpu backend)"),
        }
        let saved: Option<AppState> = if options.fresh {
            None
        } else {
            cc.storage.and_then(|s| eframe::get_value(s, STORAGE_KEY))
        };
        let mut state = saved.unwrap_or_default();
        let camera = state.camera.as_ref().and_then(OrbitCamera::from_state);
        if let Some(mode) = options.colour {
            state.display.colour_mode = mode;
        }
        let mut files = std::mem::take(&mut state.files);
        if !options.paths.is_empty() {
            files = expand_to_files(&options.paths, &mut log);
            state.active = None;
        }
        if files.is_empty() {
            files = bundled_session();
            state.active = Some(0);
            if files.is_empty() {
                log.warn("the bundled example structures were not found (assets/structures); use File > Open…");
            }
        }
        let (tx, rx) = channel();
        let mut app = Self {
            state,
            docs: Vec::new(),
            log,
            ctx: cc.egui_ctx.clone(),
            render_state,
            pockets: Arc::new(PocketDefinition::bundled()),
            scene: SceneHandle::default(),
            scene_dirty: true,
            commands: Vec::new(),
            activate_on_load: false,
            predict_on_load: false,
            frames: Vec::new(),
            camera: camera.unwrap_or_default(),
            pending_framing: None,
            hovered: None,
            hover_next: None,
            selected: None,
            load_job: None,
            pending_files: Vec::new(),
            label_job: None,
            train_job: None,
            rebuild_job: None,
            embed_job: None,
            protein_text: String::new(),
            protein_scans: Vec::new(),
            protein_shown: 0,
            protein_selected: None,
            scan_job: None,
            embedding: None,
            epoch_rx: None,
            history: Vec::new(),
            model: None,
            predict_job: None,
            typed_sequence: String::new(),
            typed_prediction: None,
            dialog: None,
            screenshot: options.screenshot.map(|path| ScreenshotTask {
                path,
                requested: false,
                settle_frames: 0,
                rx,
                tx,
            }),
            view_size_px: [1, 1],
            view_rect: egui::Rect::NOTHING,
            adapter,
            restored_camera: camera.is_some(),
            shared_gpu: None,
        };
        if let Some(path) = app.state.labels.pocket_file.clone() {
            app.load_pocket_file(&path);
        }
        // Files named on the command line (or the bundled examples) are shown; a restored session keeps
        // its own active file.
        if app.state.active.is_none() {
            app.activate_on_load = true;
        }
        app.predict_on_load = options.predict;
        if let Some(fasta) = &options.protein {
            app.load_fasta(fasta);
            app.state.tab = PanelTab::Protein;
            app.start_scan();
        }
        app.open_files(files);
        app
    }

    /// Opens files and folders (their structure files, sorted) in the background; the first new
    /// complex becomes the active one when they arrive.
    pub fn open_paths(&mut self, paths: &[PathBuf]) {
        let files = expand_to_files(paths, &mut self.log);
        self.open_files_and_show(files);
    }

    /// Opens files in the background and makes the first new complex active when they are read.
    pub(crate) fn open_files_and_show(&mut self, files: Vec<OpenedFile>) {
        if files.is_empty() {
            return;
        }
        self.activate_on_load = true;
        self.open_files(files);
    }

    pub(crate) fn open_files(&mut self, files: Vec<OpenedFile>) {
        if files.is_empty() {
            return;
        }
        // Queue behind a running load: fold both into one job so documents keep their order.
        let mut files = files;
        if let Some(job) = self.load_job.take() {
            job.cancel();
            self.log
                .info("restarting the running load with the new files");
            let mut pending: Vec<OpenedFile> = self.pending_files.drain(..).collect();
            pending.append(&mut files);
            files = pending;
        }
        self.pending_files = files.clone();
        let pockets = self.pockets.clone();
        let settings = self.label_settings();
        let n = files.len();
        self.load_job = Some(Job::spawn(
            &self.ctx,
            format!("Opening {n} file(s)"),
            move |jc| {
                use rayon::prelude::*;
                use std::sync::atomic::{AtomicUsize, Ordering};
                // Files are independent: read them on every core, keep their order.
                let done = AtomicUsize::new(0);
                let docs: Vec<Option<Document>> = files
                    .into_par_iter()
                    .map(|file| {
                        if jc.is_cancelled() {
                            return None;
                        }
                        let name = super::document::file_label(&file.path);
                        let doc = open_document(file, &pockets, &settings);
                        let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                        jc.progress(Some(k as f32 / n as f32), format!("read {k}/{n}: {name}"));
                        Some(doc)
                    })
                    .collect();
                jc.check()?;
                Ok(docs.into_iter().flatten().collect())
            },
        ));
    }

    /// Opens dropped files; files without a readable path are parsed from their bytes.
    pub(crate) fn open_dropped(&mut self, dropped: Vec<egui::DroppedFileHandle>) {
        let mut paths = Vec::new();
        for f in dropped {
            let path = f.path().to_path_buf();
            if path.is_file() || path.is_dir() {
                paths.push(path);
            } else {
                match f.bytes() {
                    Ok(bytes) => {
                        let doc = open_document_bytes(
                            OpenedFile {
                                path,
                                ..Default::default()
                            },
                            &bytes,
                            &self.pockets,
                            &self.label_settings(),
                        );
                        self.activate_on_load = true;
                        self.add_documents(vec![doc]);
                    }
                    Err(e) => self
                        .log
                        .error(format!("cannot read dropped file {}: {e}", path.display())),
                }
            }
        }
        self.open_paths(&paths);
    }

    pub(crate) fn add_documents(&mut self, docs: Vec<Document>) {
        let first_new = self.docs.len();
        let activate = std::mem::take(&mut self.activate_on_load);
        for doc in docs {
            let name = doc.name();
            match (&doc.content, doc.complex()) {
                (_, Some(c)) => {
                    let bind = doc.labels.iter().filter(|l| l.binding).count();
                    self.log.info(format!(
                        "{name}: CRM1 chain {}, NES chain {} ({} residues, {bind} binding)",
                        c.receptor_chain().id,
                        c.peptide_chain().id,
                        doc.labels.len()
                    ));
                    for note in &c.structure.warnings {
                        self.log.warn(format!("{name}: {note}"));
                    }
                }
                _ => match doc.structure() {
                    Some(structure) if doc.file.show_as_context => {
                        let chains: Vec<String> = structure
                            .chains
                            .iter()
                            .map(|c| format!("{} ({} res)", c.id, c.polymer_len()))
                            .collect();
                        self.log.info(format!(
                            "{name}: opened as context, chains {}",
                            chains.join(", ")
                        ))
                    }
                    Some(_) => self.log.warn(format!(
                        "{name}: shown, but not a CRM1–NES complex: {}",
                        doc.problem().unwrap_or("")
                    )),
                    None => self
                        .log
                        .error(format!("{name}: {}", doc.problem().unwrap_or("unreadable"))),
                },
            }
            self.docs.push(doc);
        }
        if activate
            && let Some(i) =
                (first_new..self.docs.len()).find(|&i| self.docs[i].complex().is_some())
        {
            self.state.active = Some(i);
            self.hovered = None;
            self.selected = None;
            self.restored_camera = false;
            self.pending_framing = Some(Framing::ActiveObject);
        }
        let active_ok = self
            .state
            .active
            .is_some_and(|a| a < self.docs.len() && self.docs[a].complex().is_some());
        if self.state.active.is_some_and(|a| a >= first_new) && self.pending_framing.is_none() {
            // The active complex just arrived: frame it (a restored camera is kept).
            if self.restored_camera {
                self.restored_camera = false;
            } else {
                self.pending_framing = Some(Framing::ActiveObject);
            }
        }
        if !active_ok {
            self.state.active = (first_new..self.docs.len())
                .find(|&i| self.docs[i].complex().is_some())
                .or(self.state.active.filter(|&a| a < self.docs.len()));
            self.pending_framing = Some(Framing::ActiveObject);
        }
        self.scene_dirty = true;
    }

    pub fn active_document(&self) -> Option<&Document> {
        self.state.active.and_then(|i| self.docs.get(i))
    }

    pub fn set_active(&mut self, index: usize) {
        if index < self.docs.len() && self.state.active != Some(index) {
            self.state.active = Some(index);
            self.hovered = None;
            self.selected = None;
            self.scene_dirty = true;
            self.pending_framing = Some(Framing::ActiveObject);
        }
    }

    /// Draws a file (not the active one) as context, superposed on the active CRM1, or stops.
    pub fn set_show_as_context(&mut self, index: usize, on: bool) {
        if let Some(doc) = self.docs.get_mut(index)
            && doc.file.show_as_context != on
        {
            doc.file.show_as_context = on;
            self.scene_dirty = true;
        }
    }

    /// Draws chain `chain` of a document in `style` (`None`: the default of its role).
    pub fn set_chain_style(
        &mut self,
        index: usize,
        chain: &str,
        style: Option<crate::app::state::ChainStyle>,
    ) {
        if let Some(doc) = self.docs.get_mut(index) {
            match style {
                Some(s) => doc.file.chain_styles.insert(chain.to_string(), s),
                None => doc.file.chain_styles.remove(chain),
            };
            self.scene_dirty = true;
        }
    }

    /// The scene the 3D view draws.
    pub fn scene(&self) -> &crate::render::Scene {
        &self.scene.scene
    }

    pub fn close_document(&mut self, index: usize) {
        if index >= self.docs.len() {
            return;
        }
        self.docs.remove(index);
        self.state.active = match self.state.active {
            Some(a) if a == index => (!self.docs.is_empty()).then_some(0),
            Some(a) if a > index => Some(a - 1),
            other => other,
        };
        self.hovered = None;
        self.selected = None;
        self.scene_dirty = true;
    }

    /// True while files load or labels are computed.
    pub fn is_busy(&self) -> bool {
        self.load_job.is_some()
            || self.label_job.is_some()
            || self.train_job.is_some()
            || self.embed_job.is_some()
            || self.scan_job.is_some()
            || self.rebuild_job.is_some()
            || self.predict_job.is_some()
    }

    pub fn set_colour_mode(&mut self, mode: ColourMode) {
        if self.state.display.colour_mode != mode {
            self.state.display.colour_mode = mode;
            self.scene_dirty = true;
        }
    }

    pub fn label_settings(&self) -> LabelSettings {
        let mode = match self.state.labels.mode {
            DistanceModeChoice::Ca => DistanceMode::Ca,
            DistanceModeChoice::Heavy => DistanceMode::Heavy,
        };
        LabelSettings::new(mode, self.state.labels.cutoff)
    }

    /// Relabels every open complex with the panel's settings, in the background.
    pub fn run_labelling(&mut self) {
        if self.label_job.is_some() {
            return;
        }
        let settings = self.label_settings();
        let complexes: Vec<Option<crate::structure::Complex>> =
            self.docs.iter().map(|d| d.complex().cloned()).collect();
        let n = complexes.len().max(1);
        self.label_job = Some(Job::spawn(&self.ctx, "Labelling", move |jc| {
            let mut out = Vec::with_capacity(complexes.len());
            for (i, c) in complexes.iter().enumerate() {
                jc.check()?;
                jc.progress(
                    Some(i as f32 / n as f32),
                    format!("labelling {}/{n}", i + 1),
                );
                out.push(
                    c.as_ref()
                        .map(|c| crate::labels::label_complex(c, &settings))
                        .unwrap_or_default(),
                );
            }
            Ok(out)
        }));
    }

    /// Loads a pocket definition file for labelling (and rebuilds every complex with it).
    pub fn load_pocket_file(&mut self, path: &Path) {
        match PocketDefinition::from_file(path) {
            Ok(def) => {
                self.log.info(format!(
                    "pocket definition: {} ({} residues)",
                    def.source,
                    def.residues.len()
                ));
                self.pockets = Arc::new(def);
                self.state.labels.pocket_file = Some(path.to_path_buf());
                self.rebuild_all();
            }
            Err(e) => self.log.error(format!("{e}")),
        }
    }

    pub fn use_bundled_pockets(&mut self) {
        self.pockets = Arc::new(PocketDefinition::bundled());
        self.state.labels.pocket_file = None;
        self.rebuild_all();
    }

    fn rebuild_all(&mut self) {
        let settings = self.label_settings();
        for doc in &mut self.docs {
            doc.rebuild(&self.pockets, &settings);
        }
        self.scene_dirty = true;
    }

    /// Re-decides the chain roles of one document after the user changed them.
    pub fn set_chain_roles(
        &mut self,
        index: usize,
        receptor: Option<String>,
        peptide: Option<String>,
    ) {
        if self.rebuild_job.is_some() {
            self.log
                .warn("chain roles are still being applied; try again in a moment");
            return;
        }
        let Some(doc) = self.docs.get(index) else {
            return;
        };
        // Numbering a long receptor chain aligns it to human XPO1: off the UI thread.
        let mut doc = doc.clone();
        doc.file.receptor = receptor;
        doc.file.peptide = peptide;
        let pockets = self.pockets.clone();
        let settings = self.label_settings();
        self.rebuild_job = Some(Job::spawn(&self.ctx, "Applying chain roles", move |jc| {
            jc.progress(None, format!("rebuilding {}", doc.name()));
            doc.rebuild(&pockets, &settings);
            Ok((index, doc))
        }));
    }

    /// Writes the labels of every open complex as CSV.
    pub fn export_labels_csv(&mut self, path: &Path) -> anyhow::Result<()> {
        let mut out = Vec::new();
        let rows: Vec<(String, &[ResidueLabel])> = self
            .docs
            .iter()
            .filter(|d| d.complex().is_some())
            .map(|d| (d.name(), d.labels.as_slice()))
            .collect();
        crate::labels::write_csv(&mut out, rows.iter().map(|(n, l)| (n.as_str(), *l)))
            .context("formatting the labels as CSV")?;
        std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?;
        self.log
            .info(format!("labels written to {}", path.display()));
        Ok(())
    }

    /// Renders the 3D view at twice its on-screen resolution and saves it as PNG.
    pub fn export_png(&mut self, path: &Path) -> anyhow::Result<()> {
        self.refresh_scene();
        let rs = self
            .render_state
            .as_ref()
            .context("no wgpu device: the view cannot be exported")?;
        let size = [
            self.view_size_px[0].max(64) * 2,
            self.view_size_px[1].max(64) * 2,
        ];
        let mut params = ViewParams::new(self.camera, size);
        params.selected = self
            .selected
            .and_then(|r| self.scene.scene.pick_of(r))
            .unwrap_or(0);
        let image = crate::render::view3d::render_image(rs, &self.scene, &params)?;
        image
            .save(path)
            .with_context(|| format!("writing {}", path.display()))?;
        self.log.info(format!(
            "view saved to {} ({}×{})",
            path.display(),
            size[0],
            size[1]
        ));
        Ok(())
    }

    /// Rebuilds the scene if anything it shows has changed.
    pub(crate) fn refresh_scene(&mut self) {
        if !self.scene_dirty {
            return;
        }
        self.scene_dirty = false;
        self.frames = context_frames(&self.docs, self.state.active);
        let scene = build_scene(
            &self.docs,
            self.state.active,
            &self.state.display,
            &self.frames,
        );
        if let Some(b) = scene.bounds() {
            self.camera.set_scene_bounds(b.centre, b.radius);
        }
        self.scene.replace(scene);
    }

    /// Selects a residue (mirrored in the view, strip and table); `centre` also moves the orbit centre to it.
    pub fn select_residue(&mut self, r: ResidueRef, centre: bool) {
        self.selected = Some(r);
        if centre
            && let Some(p) = super::molecule_scene::residue_position(&self.docs, &self.frames, r)
        {
            self.camera.centre_on(p);
        }
    }

    pub fn reset_view(&mut self) {
        self.pending_framing = Some(Framing::Everything);
    }

    pub fn focus_peptide(&mut self) {
        self.pending_framing = Some(Framing::Peptide);
    }

    /// Applies a pending framing now that the view's aspect is known.
    pub(crate) fn apply_framing(&mut self, aspect: f32) {
        let Some(framing) = self.pending_framing else {
            return;
        };
        let scene = &self.scene.scene;
        if scene.is_empty() {
            // Keep the request until something is loaded.
            return;
        }
        self.pending_framing = None;
        let bounds = match (framing, self.state.active) {
            (Framing::Peptide, Some(a)) => peptide_focus(scene, &self.docs, a),
            (Framing::ActiveObject, Some(a)) => object_focus(scene, a),
            _ => None,
        }
        .or_else(|| scene.bounds());
        if let Some(b) = bounds {
            let groove_view = self
                .active_document()
                .and_then(|d| d.complex())
                .and_then(groove_view_rotation);
            match framing {
                Framing::Everything => self.camera.rotation = glam::Quat::IDENTITY,
                Framing::ActiveObject | Framing::Peptide => {
                    if let Some(q) = groove_view {
                        self.camera.rotation = q;
                    }
                }
            }
            // A peptide is small: leave room around it so the pockets it sits in stay in view.
            let radius = if framing == Framing::Peptide {
                b.radius + 6.0
            } else {
                b.radius
            };
            self.camera.fit_sphere(b.centre, radius, aspect);
        }
    }

    /// N / Page Down and P / Page Up step through the open complexes in the browser's order, unless a
    /// text field has the keyboard.
    fn browse_keys(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let (next, previous) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::N) || i.key_pressed(egui::Key::PageDown),
                i.key_pressed(egui::Key::P) || i.key_pressed(egui::Key::PageUp),
            )
        });
        if next {
            self.send(Command::Step(1));
        } else if previous {
            self.send(Command::Step(-1));
        }
    }

    pub(crate) fn poll_jobs(&mut self) {
        if let Some(outcome) = take_finished(&mut self.load_job) {
            self.pending_files.clear();
            match outcome {
                Outcome::Done(docs) => {
                    self.add_documents(docs);
                    if std::mem::take(&mut self.predict_on_load) {
                        self.start_prediction_all();
                    }
                }
                Outcome::Failed(e) => self.log.error(format!("opening files failed: {e:#}")),
                Outcome::Cancelled => self.log.info("opening files cancelled"),
            }
        }
        if let Some(outcome) = take_finished(&mut self.label_job) {
            match outcome {
                Outcome::Done(all) => {
                    for (doc, labels) in self.docs.iter_mut().zip(all) {
                        if doc.complex().is_some() {
                            doc.labels = labels;
                        }
                    }
                    let s = self.label_settings();
                    self.log.info(format!(
                        "labelled {} complexes ({:?}, cutoff {:.1} Å)",
                        self.docs.len(),
                        s.mode,
                        s.cutoff
                    ));
                    self.scene_dirty = true;
                }
                Outcome::Failed(e) => self.log.error(format!("labelling failed: {e:#}")),
                Outcome::Cancelled => self.log.info("labelling cancelled"),
            }
        }
        if let Some(rx) = &self.epoch_rx {
            self.history.extend(rx.try_iter());
        }
        if let Some(outcome) = take_finished(&mut self.train_job) {
            match outcome {
                Outcome::Done(model) => {
                    let last = model
                        .history
                        .last()
                        .map(|r| r.train_loss)
                        .unwrap_or(f32::NAN);
                    self.log.info(format!(
                        "training finished ({:?}) after {} epochs on {} peptides, best epoch {}, last loss {last:.4} ({})",
                        model.stop,
                        model.history.len(),
                        model.peptides,
                        model.best_epoch,
                        model.device_name
                    ));
                    self.history = model.history.clone();
                    self.model = Some(std::sync::Arc::new(model));
                }
                Outcome::Failed(e) => self.log.error(format!("training failed: {e:#}")),
                Outcome::Cancelled => self.log.info("training cancelled"),
            }
        }
        if let Some(outcome) = take_finished(&mut self.rebuild_job) {
            match outcome {
                Outcome::Done((index, doc)) => {
                    let name = doc.name();
                    match doc.problem() {
                        Some(p) => self.log.warn(format!("{name}: {p}")),
                        None => self.log.info(format!("{name}: chain roles updated")),
                    }
                    // The list may have changed meanwhile: only replace the same file.
                    if let Some(slot) = self.docs.get_mut(index)
                        && slot.file.path == doc.file.path
                    {
                        *slot = doc;
                        self.hovered = None;
                        self.selected = None;
                        self.scene_dirty = true;
                    }
                }
                Outcome::Failed(e) => self
                    .log
                    .error(format!("applying chain roles failed: {e:#}")),
                Outcome::Cancelled => {}
            }
        }
        if let Some(outcome) = take_finished(&mut self.scan_job) {
            match outcome {
                Outcome::Done(scans) => {
                    let found: usize = scans.iter().map(|s| s.candidates.len()).sum();
                    self.log.info(format!(
                        "scanned {} protein(s): {found} NES candidate(s)",
                        scans.len()
                    ));
                    self.protein_scans = scans;
                    self.protein_shown = 0;
                    // The best candidate opens with its register and mutants shown.
                    self.protein_selected = Some(0);
                }
                Outcome::Failed(e) => self.log.error(format!("scan failed: {e:#}")),
                Outcome::Cancelled => self.log.info("scan cancelled"),
            }
        }
        if let Some(outcome) = take_finished(&mut self.embed_job) {
            match outcome {
                Outcome::Done(summary) => {
                    self.log.info(format!(
                        "embedded {} peptides with {} (layer {}, {} dims) in {:.1} s on {}",
                        summary.peptides.len(),
                        summary.model,
                        summary.layer,
                        summary.dim,
                        summary.seconds,
                        summary.device
                    ));
                    self.embedding = Some(summary);
                }
                Outcome::Failed(e) => self.log.error(format!("embedding failed: {e:#}")),
                Outcome::Cancelled => self.log.info("embedding cancelled"),
            }
        }
        if let Some(outcome) = take_finished(&mut self.predict_job) {
            match outcome {
                Outcome::Done((PredictTarget::Documents(targets), preds)) => {
                    let source = if self.model.is_some() {
                        "BiLSTM trained in this session".to_string()
                    } else {
                        format!(
                            "bundled BiLSTM ({})",
                            super::training::bundled_model_label()
                        )
                    };
                    let mut done = 0;
                    for ((doc_index, path), p) in targets.iter().zip(&preds) {
                        // The list may have changed meanwhile: only fill the same file.
                        if let Some(doc) = self.docs.get_mut(*doc_index)
                            && doc.file.path == *path
                        {
                            doc.prediction = prediction_for_document(doc, p, &source);
                            done += 1;
                        }
                    }
                    match targets.as_slice() {
                        [(i, _)] => {
                            let name = self.docs.get(*i).map(|d| d.name()).unwrap_or_default();
                            self.log.info(format!("predicted {name}"));
                        }
                        _ => self.log.info(format!("predicted {done} complexes")),
                    }
                    self.scene_dirty = true;
                }
                Outcome::Done((PredictTarget::Typed, preds)) => {
                    self.typed_prediction = preds.into_iter().next()
                }
                Outcome::Failed(e) => self.log.error(format!("prediction failed: {e:#}")),
                Outcome::Cancelled => self.log.info("prediction cancelled"),
            }
        }
        if let Some(rx) = &self.dialog
            && let Ok(result) = rx.try_recv()
        {
            self.dialog = None;
            self.handle_dialog(result);
        }
    }
}

impl eframe::App for NesbindApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_jobs();
        self.apply_commands();
        let dropped = ui.ctx().input(|i| i.raw.dropped_files.clone());
        if !dropped.is_empty() {
            self.open_dropped(dropped);
        }
        self.browse_keys(ui.ctx());
        self.refresh_scene();
        self.hover_next = None;

        self.menu_bar(ui);
        self.status_bar(ui);
        if self.state.show_log {
            self.log_panel(ui);
        }
        egui::Panel::left("nesbind side panel")
            .resizable(true)
            .default_size(470.0)
            .min_size(260.0)
            .max_size(520.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    for tab in PanelTab::ALL {
                        ui.selectable_value(&mut self.state.tab, tab, tab.name());
                    }
                });
                ui.separator();
                match self.state.tab {
                    PanelTab::Files => self.files_panel(ui),
                    PanelTab::Labels => self.labels_panel(ui),
                    PanelTab::Embedding => {
                        egui::ScrollArea::vertical().show(ui, |ui| self.embedding_panel(ui));
                    }
                    PanelTab::Training => {
                        egui::ScrollArea::vertical().show(ui, |ui| self.training_panel(ui));
                    }
                    PanelTab::Predict => {
                        egui::ScrollArea::vertical().show(ui, |ui| self.predict_panel(ui));
                    }
                    PanelTab::Protein => {
                        egui::ScrollArea::vertical().show(ui, |ui| self.protein_panel(ui));
                    }
                }
            });
        egui::CentralPanel::default().show(ui, |ui| self.view_panel(ui));
        if self.hover_next != self.hovered {
            self.hovered = self.hover_next;
            ui.ctx().request_repaint();
        }
        self.screenshot_step(ui.ctx());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.files = self
            .docs
            .iter()
            .map(|d| d.file.clone())
            .chain(self.pending_files.iter().cloned())
            .collect();
        self.state.camera = Some(self.camera.to_state());
        eframe::set_value(storage, STORAGE_KEY, &self.state);
    }
}
