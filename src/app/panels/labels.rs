//! Labelling panel: distance mode, cutoff, pocket definition, Run, the residue table, CSV export.

use crate::app::commands::Command;
use crate::app::molecule_scene::peptide_colour;
use crate::app::nesbind_app::{DialogKind, NesbindApp};
use crate::app::state::DistanceModeChoice;
use crate::labels::DistanceMode;
use crate::render::ResidueRef;
use crate::render::colour::{self, Rgba};

pub(crate) fn colour32(c: Rgba) -> egui::Color32 {
    egui::Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3])
}

/// Black or white, whichever reads better on `c`.
pub(crate) fn text_on(c: Rgba) -> egui::Color32 {
    if colour::luminance(c) > 0.35 {
        egui::Color32::BLACK
    } else {
        egui::Color32::WHITE
    }
}

impl NesbindApp {
    pub(crate) fn labels_panel(&mut self, ui: &mut egui::Ui) {
        let before = self.state.labels.clone();
        egui::Grid::new("label settings")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label("Distance");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut self.state.labels.mode, DistanceModeChoice::Ca, "CA–CA");
                    ui.radio_value(
                        &mut self.state.labels.mode,
                        DistanceModeChoice::Heavy,
                        "heavy atom",
                    );
                });
                ui.end_row();
                ui.label("Cutoff");
                ui.horizontal(|ui| {
                    let default = match self.state.labels.mode {
                        DistanceModeChoice::Ca => DistanceMode::Ca.default_cutoff(),
                        DistanceModeChoice::Heavy => DistanceMode::Heavy.default_cutoff(),
                    };
                    let mut custom = self.state.labels.cutoff.is_some();
                    if ui.checkbox(&mut custom, "custom").changed() {
                        self.state.labels.cutoff = custom.then_some(default);
                    }
                    match &mut self.state.labels.cutoff {
                        Some(c) => {
                            ui.add(
                                egui::DragValue::new(c)
                                    .range(1.0..=20.0)
                                    .speed(0.05)
                                    .suffix(" Å"),
                            )
                            .on_hover_text("Custom distance cutoff");
                        }
                        None => {
                            ui.weak(format!("{default:.1} Å (default)"));
                        }
                    }
                });
                ui.end_row();
                ui.label("Pockets");
                ui.horizontal(|ui| {
                    match &self.state.labels.pocket_file {
                        Some(p) => ui
                            .label(crate::app::document::file_label(p))
                            .on_hover_text(p.display().to_string()),
                        None => ui.label("bundled (6 crystal structures)"),
                    };
                    if ui.small_button("Choose…").clicked() {
                        self.send(Command::Dialog(DialogKind::PocketFile));
                    }
                    if self.state.labels.pocket_file.is_some()
                        && ui.small_button("Bundled").clicked()
                    {
                        self.use_bundled_pockets();
                    }
                });
                ui.end_row();
            });
        let settings_changed = before != self.state.labels;
        ui.horizontal(|ui| {
            let running = self.label_job.is_some();
            if ui
                .add_enabled(!running, egui::Button::new("Run labelling"))
                .clicked()
                || (settings_changed && !running)
            {
                self.run_labelling();
            }
            if let Some(job) = &self.label_job {
                ui.add(
                    egui::ProgressBar::new(job.progress.fraction.unwrap_or(0.0))
                        .desired_width(100.0),
                );
                if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            }
            if ui.button("Export CSV…").clicked() {
                self.send(Command::Dialog(DialogKind::ExportCsv));
            }
        });
        ui.separator();
        self.label_table(ui);
    }

    fn label_table(&mut self, ui: &mut egui::Ui) {
        let Some(active) = self.state.active else {
            ui.label("No complex selected.");
            return;
        };
        let Some(doc) = self.docs.get(active) else {
            return;
        };
        let Some(complex) = doc.complex() else {
            ui.label(format!(
                "{}: {}",
                doc.name(),
                doc.problem().unwrap_or("not a complex")
            ));
            return;
        };
        let register = crate::labels::register_string(&doc.labels);
        ui.label(egui::RichText::new(doc.name()).strong());
        if !register.is_empty() {
            ui.label(format!("Φ register: {register}"));
        }
        let peptide = complex.peptide;
        let mode = self.state.display.colour_mode;
        let mut hovered = None;
        let mut clicked = None;
        let has_prediction = doc.prediction.is_some();
        let has_plddt = complex.structure.is_predicted;
        let columns = 6 + usize::from(has_prediction) + usize::from(has_plddt);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Grid::new("label table")
                    .striped(true)
                    .num_columns(columns)
                    .show(ui, |ui| {
                        for h in ["Residue", "", "Binding", "Pocket", "Dist. Å", "Nearest"] {
                            ui.strong(h);
                        }
                        if has_plddt {
                            ui.strong("pLDDT");
                        }
                        if has_prediction {
                            ui.strong("Predicted");
                        }
                        ui.end_row();
                        for l in &doc.labels {
                            let r = ResidueRef::new(active, peptide, l.residue_index);
                            let c = peptide_colour(doc, l.residue_index, l.code, mode);
                            // Hover in the view or the strip lights the row too.
                            let selected = self.selected == Some(r) || self.hovered == Some(r);
                            let name = format!(
                                "{}{}{}",
                                l.resname,
                                l.resnum,
                                l.insertion_code.as_deref().unwrap_or("")
                            );
                            let resp = ui.selectable_label(selected, name);
                            if resp.hovered() {
                                hovered = Some(r);
                            }
                            if resp.clicked() {
                                clicked = Some(r);
                            }
                            let (swatch, _) = ui
                                .allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                            ui.painter().rect_filled(swatch, 2.0, colour32(c));
                            ui.label(if l.binding { "yes" } else { "no" });
                            match l.pocket {
                                Some(p) => ui.colored_label(
                                    colour32(colour::pocket_colour(p.index())),
                                    p.symbol(),
                                ),
                                None => ui.label("–"),
                            };
                            ui.label(if l.min_distance.is_finite() {
                                format!("{:.2}", l.min_distance)
                            } else {
                                "–".into()
                            });
                            ui.label(l.nearest_pocket.map(|p| p.symbol()).unwrap_or("–"));
                            if has_plddt {
                                match doc.plddt(peptide, l.residue_index) {
                                    Some(p) => ui.colored_label(
                                        colour32(colour::plddt_colour(p)),
                                        format!("{p:.0}"),
                                    ),
                                    None => ui.label("–"),
                                };
                            }
                            if let Some(pred) = &doc.prediction {
                                let p = pred.probabilities.get(l.residue_index).copied().flatten();
                                let pocket = pred.pockets.get(l.residue_index).copied().flatten();
                                let text = match (p, pocket) {
                                    (Some(p), Some(k)) => format!("{p:.2} {}", k.symbol()),
                                    (Some(p), None) => format!("{p:.2}"),
                                    _ => "–".into(),
                                };
                                // The decoded register against the labels: differing pockets in red.
                                let register =
                                    pred.register.get(l.residue_index).copied().flatten();
                                if register != l.pocket {
                                    ui.colored_label(ui.visuals().error_fg_color, text)
                                        .on_hover_text(format!(
                                            "labelled {}, predicted register {}",
                                            l.pocket.map(|k| k.symbol()).unwrap_or("none"),
                                            register.map(|k| k.symbol()).unwrap_or("none")
                                        ));
                                } else {
                                    ui.label(text);
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
        if hovered.is_some() {
            self.hover_next = hovered;
        }
        if let Some(r) = clicked {
            self.select_residue(r, true);
        }
    }
}
