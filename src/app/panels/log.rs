//! Menu bar, status bar and the log panel.

use crate::app::commands::Command;
use crate::app::log::Level;
use crate::app::nesbind_app::{DialogKind, NesbindApp};

impl NesbindApp {
    pub(crate) fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("nesbind menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open…").clicked() {
                        self.send(Command::Dialog(DialogKind::Open));
                    }
                    if ui.button("Open folder…").clicked() {
                        self.send(Command::Dialog(DialogKind::OpenFolder));
                    }
                    if ui.button("Export view as PNG…").clicked() {
                        self.send(Command::Dialog(DialogKind::ExportPng));
                    }
                    if ui.button("Export labels as CSV…").clicked() {
                        self.send(Command::Dialog(DialogKind::ExportCsv));
                    }
                    ui.separator();
                    if ui.button("Quit").clicked() {
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
                ui.menu_button("View", |ui| {
                    if ui.button("Reset view").clicked() {
                        self.send(Command::ResetView);
                    }
                    if ui.button("Focus peptide").clicked() {
                        self.send(Command::FocusPeptide);
                    }
                    ui.checkbox(&mut self.state.show_log, "Log panel");
                });
            });
        });
    }

    pub(crate) fn status_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("nesbind status").show(ui, |ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let warnings = self.log.count(Level::Warning);
                let errors = self.log.count(Level::Error);
                let text = format!("log: {errors} errors, {warnings} warnings");
                if ui.selectable_label(self.state.show_log, text).clicked() {
                    self.state.show_log = !self.state.show_log;
                }
                if let Some(a) = &self.adapter {
                    ui.weak(a);
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    let jobs = [
                        self.load_job.as_ref().map(|j| (&j.title, &j.progress)),
                        self.label_job.as_ref().map(|j| (&j.title, &j.progress)),
                        self.train_job.as_ref().map(|j| (&j.title, &j.progress)),
                        self.embed_job.as_ref().map(|j| (&j.title, &j.progress)),
                        self.scan_job.as_ref().map(|j| (&j.title, &j.progress)),
                        self.rebuild_job.as_ref().map(|j| (&j.title, &j.progress)),
                        self.predict_job.as_ref().map(|j| (&j.title, &j.progress)),
                    ];
                    let mut any = false;
                    for (title, progress) in jobs.into_iter().flatten() {
                        any = true;
                        ui.spinner();
                        if let Some(f) = progress.fraction {
                            ui.add(egui::ProgressBar::new(f).desired_width(80.0));
                        }
                        ui.add(
                            egui::Label::new(format!("{title}: {}", progress.message)).truncate(),
                        );
                    }
                    if !any && let Some(last) = self.log.last() {
                        let colour = match last.level {
                            Level::Info => ui.visuals().text_color(),
                            Level::Warning => ui.visuals().warn_fg_color,
                            Level::Error => ui.visuals().error_fg_color,
                        };
                        ui.add(
                            egui::Label::new(egui::RichText::new(&last.message).color(colour))
                                .truncate(),
                        );
                    }
                });
            });
        });
    }

    pub(crate) fn log_panel(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("nesbind log")
            .resizable(true)
            .default_size(110.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.strong("Log");
                    if ui.small_button("Clear").clicked() {
                        self.log.entries.clear();
                    }
                });
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .stick_to_bottom(true)
                    .show(ui, |ui| {
                        for e in &self.log.entries {
                            let colour = match e.level {
                                Level::Info => ui.visuals().weak_text_color(),
                                Level::Warning => ui.visuals().warn_fg_color,
                                Level::Error => ui.visuals().error_fg_color,
                            };
                            ui.colored_label(colour, format!("{}  {}", e.time, e.message));
                        }
                    });
            });
    }
}
