//! Protein panel: paste a sequence or open a FASTA file, scan it for NESs in the background, read
//! the P(NES) track with the candidates shaded, pick a candidate to see its register and mutants and
//! send it to Predict.

use egui_plot::{HLine, Legend, Line, Plot, PlotPoints, Polygon};

use crate::app::commands::Command;
use crate::app::jobs::Job;
use crate::app::nesbind_app::{DialogKind, NesbindApp};
use crate::app::protein::{proteins_of_text, scan_job};
use crate::app::state::PanelTab;
use crate::render::colour;
use crate::structure::Pocket;

use super::labels::colour32;

/// Height of the sequence box before it scrolls (points).
const PROTEIN_TEXT_HEIGHT: f32 = 150.0;

/// Largest FASTA file the panel loads into its text box.
const MAX_FASTA_BYTES: u64 = 64 << 20;

impl NesbindApp {
    /// Reads a FASTA file into the Protein panel's text.
    pub fn load_fasta(&mut self, path: &std::path::Path) {
        match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_FASTA_BYTES => {
                self.log.error(format!(
                    "{}: {} MB is more than the panel holds; scan it with `nesbind scan --fasta`",
                    path.display(),
                    m.len() >> 20
                ));
                return;
            }
            Err(e) => {
                self.log
                    .error(format!("cannot open {}: {e}", path.display()));
                return;
            }
            Ok(_) => {}
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                self.protein_text = String::from_utf8_lossy(&bytes).into_owned();
                self.log
                    .info(format!("{} loaded into the Protein panel", path.display()));
            }
            Err(e) => self
                .log
                .error(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Scans the panel's proteins in the background.
    pub fn start_scan(&mut self) {
        if self.scan_job.is_some() {
            return;
        }
        let (proteins, problems) = proteins_of_text(&self.protein_text);
        for p in problems {
            self.log.warn(format!("Protein panel: {p}; skipped"));
        }
        if proteins.is_empty() {
            self.log.warn("Protein panel: no sequence to scan");
            return;
        }
        let Some(device) = self.job_device() else {
            return;
        };
        let esm = self.state.train.esm_dir.clone();
        let n = proteins.len();
        self.scan_job = Some(Job::spawn(
            &self.ctx,
            format!("Scanning {n} protein(s)"),
            move |jc| scan_job(proteins, esm, device, jc),
        ));
    }

    pub fn cancel_scan(&mut self) {
        if let Some(job) = &self.scan_job {
            job.cancel();
        }
    }

    pub(crate) fn protein_panel(&mut self, ui: &mut egui::Ui) {
        ui.label("Protein sequence or FASTA (one or more proteins)");
        // A whole protein is hundreds of lines: the box scrolls so the results below stay in view.
        egui::ScrollArea::vertical()
            .id_salt("protein text")
            .max_height(PROTEIN_TEXT_HEIGHT)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut self.protein_text)
                        .desired_rows(4)
                        .desired_width(f32::INFINITY)
                        .font(egui::TextStyle::Monospace)
                        .hint_text(">name\nMTDVETTYADFIASGRT…"),
                );
            });
        let busy = self.scan_job.is_some();
        ui.horizontal_wrapped(|ui| {
            if ui.button("Open FASTA…").clicked() {
                self.send(Command::Dialog(DialogKind::Fasta));
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Scan"))
                .on_hover_text("ESM-2 over each whole protein, then every consensus-class window ranked by the scan model")
                .clicked()
            {
                self.start_scan();
            }
            if busy && ui.button("Cancel").clicked() {
                self.cancel_scan();
            }
            if ui
                .add_enabled(!self.protein_scans.is_empty(), egui::Button::new("Export CSV…"))
                .clicked()
            {
                self.send(Command::Dialog(DialogKind::ScanCsv));
            }
        });
        if let Some(job) = &self.scan_job {
            ui.add(
                egui::ProgressBar::new(job.progress.fraction.unwrap_or(0.0))
                    .text(job.progress.message.clone()),
            );
        }
        if self.protein_scans.is_empty() {
            return;
        }
        ui.separator();
        if self.protein_scans.len() > 1 {
            let names: Vec<String> = self.protein_scans.iter().map(|s| s.name.clone()).collect();
            let mut shown = self.protein_shown.min(names.len() - 1);
            egui::ComboBox::from_id_salt("scanned protein")
                .selected_text(&names[shown])
                .show_ui(ui, |ui| {
                    for (i, n) in names.iter().enumerate() {
                        ui.selectable_value(&mut shown, i, n);
                    }
                });
            if shown != self.protein_shown {
                self.protein_shown = shown;
                self.protein_selected = Some(0);
            }
        }
        let Some(scan) = self.protein_scans.get(self.protein_shown).cloned() else {
            return;
        };
        ui.label(format!(
            "{} · {} residues · {} candidate(s) with score ≥ {:.2}",
            scan.name,
            scan.sequence.len(),
            scan.candidates.len(),
            scan.threshold
        ));
        let selected = self.protein_selected;
        Plot::new(("nes track", self.protein_shown))
            .height(150.0)
            .legend(Legend::default())
            .x_axis_label("residue")
            .include_y(0.0)
            .include_y(1.0)
            .allow_scroll(false)
            .show(ui, |plot| {
                // Each candidate is a bar over its residues as tall as its score (the window ranker's
                // P(real NES)), on the threshold's scale; the line is the residues' P(NES).
                for (k, c) in scan.candidates.iter().enumerate() {
                    let (x0, x1) = (c.span.start as f64 + 0.5, c.span.end as f64 + 0.5);
                    let top = f64::from(c.score);
                    let alpha = if Some(k) == selected { 110 } else { 45 };
                    let fill = colour32(colour::with_alpha(colour::PEPTIDE, alpha));
                    plot.polygon(
                        Polygon::new(
                            format!("candidate {}", k + 1),
                            PlotPoints::from(vec![[x0, 0.0], [x1, 0.0], [x1, top], [x0, top]]),
                        )
                        .fill_color(fill)
                        .allow_hover(false),
                    );
                }
                let points: Vec<[f64; 2]> = scan
                    .probabilities
                    .iter()
                    .enumerate()
                    .map(|(i, p)| [i as f64 + 1.0, f64::from(*p)])
                    .collect();
                plot.line(Line::new("P(NES)", PlotPoints::from(points)));
                plot.hline(HLine::new("score threshold", f64::from(scan.threshold)));
            });
        let mut select = None;
        let mut predict = None;
        egui::Grid::new("scan candidates")
            .striped(true)
            .num_columns(7)
            .show(ui, |ui| {
                for h in ["#", "Residues", "Peptide", "Score", "Class", "Model", ""] {
                    ui.strong(h);
                }
                ui.end_row();
                for (k, c) in scan.candidates.iter().enumerate() {
                    let peptide = scan.peptide(c);
                    if ui
                        .selectable_label(selected == Some(k), format!("{}", k + 1))
                        .clicked()
                    {
                        select = Some(k);
                    }
                    ui.label(format!("{}–{}", c.span.start + 1, c.span.end));
                    if ui
                        .selectable_label(
                            selected == Some(k),
                            egui::RichText::new(&peptide).monospace(),
                        )
                        .clicked()
                    {
                        select = Some(k);
                    }
                    ui.label(format!("{:.2}", c.score));
                    ui.label(c.pattern.label());
                    // Where the peptide model reads the place differently, the user should look.
                    match &c.model_register {
                        Some(r) => {
                            let agreement = r.agreement(&c.pattern);
                            let text = egui::RichText::new(agreement.describe());
                            ui.label(if agreement == crate::scan::Agreement::Differs {
                                text.color(ui.visuals().warn_fg_color)
                            } else {
                                text
                            })
                            .on_hover_text(format!(
                                "The peptide model's register against the consensus register (p = {:.2})",
                                r.probability
                            ));
                        }
                        None => {
                            ui.label("–");
                        }
                    }
                    if ui
                        .small_button("Predict")
                        .on_hover_text(format!(
                            "Send this NES with {} flanking residues to the Predict panel",
                            crate::scan::PEPTIDE_FLANK
                        ))
                        .clicked()
                    {
                        predict = Some(k);
                    }
                    ui.end_row();
                }
            });
        if let Some(k) = selected.and_then(|k| scan.candidates.get(k)) {
            ui.separator();
            ui.strong(format!(
                "{}–{} {}",
                k.span.start + 1,
                k.span.end,
                scan.peptide(k)
            ));
            ui.horizontal_wrapped(|ui| {
                ui.spacing_mut().item_spacing.x = 2.0;
                // The peptide model's register where it was decoded (its context shown), else the
                // consensus register; both are written out below.
                let (shown, positions) = match &k.model_register {
                    Some(r) => (
                        r.context.start.min(k.span.start)..r.context.end.max(k.span.end),
                        r.positions,
                    ),
                    None => (k.span.clone(), k.pattern.positions),
                };
                for i in shown {
                    let code = scan.sequence.as_bytes().get(i).map_or('?', |b| *b as char);
                    let pocket = positions.iter().position(|p| *p == Some(i));
                    let text = egui::RichText::new(code.to_string()).monospace().size(15.0);
                    match pocket {
                        Some(p) => {
                            let c = colour::pocket_colour(p);
                            ui.label(text.background_color(colour32(c)))
                                .on_hover_text(Pocket::from_index(p).map_or("?", |q| q.symbol()));
                        }
                        None => {
                            ui.label(text);
                        }
                    }
                }
            });
            if let Some(r) = &k.model_register {
                ui.label(format!(
                    "Model register ({}, p = {:.2}): {}",
                    r.orientation.name(),
                    r.probability,
                    crate::train::register::pocket_residues(&r.positions, &scan.sequence)
                ))
                .on_hover_text(format!(
                    "The peptide BiLSTM on this candidate with {} residues each side, decoded to one \
                     consistent register",
                    crate::scan::PEPTIDE_FLANK
                ));
                ui.label(format!(
                    "Consensus register ({}, {}): {} — {}",
                    k.pattern.orientation.name(),
                    k.pattern.label(),
                    crate::train::register::pocket_residues(&k.pattern.positions, &scan.sequence),
                    r.agreement(&k.pattern).describe()
                ));
            } else {
                ui.label(format!(
                    "{} register ({})",
                    k.pattern.orientation.name(),
                    k.pattern.label()
                ));
            }
            let mutants: Vec<String> = scan.mutants(k).iter().map(|m| m.label()).collect();
            ui.label(format!("Mutate {}", mutants.join(", ")));
        }
        if let Some(k) = select {
            self.protein_selected = Some(k);
        }
        if let Some(k) = predict.and_then(|k| scan.candidates.get(k)) {
            let context = crate::scan::peptide_context(&k.span, scan.sequence.len());
            self.typed_sequence = scan.sequence[context].to_string();
            self.state.tab = PanelTab::Predict;
            self.start_prediction(Some(self.typed_sequence.clone()));
        }
    }
}
