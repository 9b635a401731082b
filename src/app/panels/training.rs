//! Training and Predict panels: hyperparameters, Train/Cancel with live loss and metric plots, and
//! predictions of the active peptide or a typed sequence.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::app::commands::Command;
use crate::app::jobs::Job;
use crate::app::nesbind_app::{DialogKind, NesbindApp};
use crate::app::training::peptides_from_documents;
use crate::compute::DeviceChoice;
use crate::render::colour;
use crate::train::metrics::{POCKET_CLASSES, pocket_class_name};

use super::labels::{colour32, text_on};

impl NesbindApp {
    /// ESM-2 model folder and device (shared with Training), and an Embed run over the open peptides.
    pub(crate) fn embedding_panel(&mut self, ui: &mut egui::Ui) {
        let running = self.embed_job.is_some() || self.train_job.is_some();
        ui.add_enabled_ui(!running, |ui| {
            egui::Grid::new("embed settings")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    ui.label("ESM-2 model");
                    ui.horizontal(|ui| {
                        ui.label(match &self.state.train.esm_dir {
                            Some(d) => crate::app::document::file_label(d),
                            None => "bundled (esm2_t6_8M)".into(),
                        });
                        if ui.small_button("Choose…").clicked() {
                            self.send(Command::Dialog(DialogKind::EsmFolder));
                        }
                        if self.state.train.esm_dir.is_some()
                            && ui.small_button("Bundled").clicked()
                        {
                            self.state.train.esm_dir = None;
                        }
                    });
                    ui.end_row();
                    device_row(ui, &mut self.state.train.device, self.adapter.as_deref());
                });
        });
        let peptides = peptides_from_documents(&self.docs);
        ui.label(format!(
            "{} peptides from the open complexes",
            peptides.len()
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!running && !peptides.is_empty(), egui::Button::new("Embed"))
                .clicked()
            {
                self.start_embedding();
            }
            // Embedding is the first 0.3 of a job's progress (training reports the rest).
            job_controls(ui, self.embed_job.as_ref(), 0.3);
        });
        if let Some(e) = &self.embedding {
            ui.separator();
            ui.label(format!(
                "{}: layer {}, {} dimensions, {:.2} s on {}",
                e.model, e.layer, e.dim, e.seconds, e.device
            ));
            egui::Grid::new("embedding summary")
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("Peptide");
                    ui.strong("Residues");
                    ui.strong("Mean |x|");
                    ui.end_row();
                    for (name, n, norm) in &e.peptides {
                        ui.label(name);
                        ui.label(n.to_string());
                        ui.label(format!("{norm:.2}"));
                        ui.end_row();
                    }
                });
        }
    }

    pub(crate) fn training_panel(&mut self, ui: &mut egui::Ui) {
        let peptides = peptides_from_documents(&self.docs);
        let residues: usize = peptides.iter().map(|p| p.sequence.len()).sum();
        let binding: usize = peptides
            .iter()
            .flat_map(|p| &p.binding)
            .filter(|b| **b)
            .count();
        ui.label(format!(
            "Data: structure labels of the {} open complexes ({residues} residues, {binding} binding)",
            peptides.len()
        ));
        ui.checkbox(
            &mut self.state.train.nesdb_patterns,
            "+ NESdb NESs labelled by the consensus Φ pattern (bundled table)",
        );
        let running = self.train_job.is_some();
        let adapter = self.adapter.as_deref();
        let s = &mut self.state.train;
        ui.add_enabled_ui(!running, |ui| {
            egui::Grid::new("train settings")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    ui.label("ESM-2 model");
                    ui.label(match &s.esm_dir {
                        Some(d) => d.display().to_string(),
                        None => "bundled (esm2_t6_8M)".into(),
                    });
                    ui.end_row();
                    device_row(ui, &mut s.device, adapter);
                    let label = ui.label("Epochs");
                    ui.add(egui::DragValue::new(&mut s.epochs).range(1..=500))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Hidden units");
                    ui.add(egui::DragValue::new(&mut s.hidden).range(4..=512))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("BiLSTM layers");
                    ui.add(egui::DragValue::new(&mut s.layers).range(1..=4))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Learning rate");
                    ui.add(
                        egui::DragValue::new(&mut s.learning_rate)
                            .range(1e-5..=1e-1)
                            .speed(1e-4),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Batch size");
                    ui.add(egui::DragValue::new(&mut s.batch_size).range(1..=256))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Validation");
                    ui.horizontal(|ui| {
                        ui.label("every");
                        ui.add(egui::DragValue::new(&mut s.validation_every).range(0..=20))
                            .labelled_by(label.id);
                        ui.label("th peptide");
                    });
                    ui.end_row();
                });
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!running && !peptides.is_empty(), egui::Button::new("Train"))
                .clicked()
            {
                self.start_training();
            }
            job_controls(ui, self.train_job.as_ref(), 1.0);
        });
        if let Some(m) = &self.model {
            ui.label(format!(
                "Model: {} epochs ({:?}), best epoch {}, on {}",
                m.history.len(),
                m.stop,
                m.best_epoch,
                m.device_name
            ));
        }
        ui.separator();
        self.training_plots(ui);
        if let Some(m) = &self.model {
            ui.separator();
            evaluation_ui(ui, &m.evaluation);
        }
    }

    fn training_plots(&self, ui: &mut egui::Ui) {
        if self.history.is_empty() {
            ui.weak("Loss and validation metrics appear here per epoch.");
            return;
        }
        let series = |f: &dyn Fn(&crate::train::EpochReport) -> Option<f64>| -> Vec<[f64; 2]> {
            self.history
                .iter()
                .filter_map(|r| f(r).map(|y| [r.epoch as f64, y]))
                .collect()
        };
        let train_loss = series(&|r| Some(r.train_loss as f64));
        let val_loss = series(&|r| r.val_loss.map(f64::from));
        ui.strong("Loss");
        epoch_plot("loss plot").show(ui, |plot| {
            plot.line(Line::new("training loss", PlotPoints::from(train_loss)));
            if !val_loss.is_empty() {
                plot.line(Line::new("validation loss", PlotPoints::from(val_loss)));
            }
        });
        let f1 = series(&|r| r.val_binding_f1);
        let auc = series(&|r| r.val_binding_roc_auc);
        let acc = series(&|r| r.val_pocket_accuracy);
        if !(f1.is_empty() && auc.is_empty() && acc.is_empty()) {
            ui.strong("Validation metrics");
            epoch_plot("metric plot").include_y(1.0).show(ui, |plot| {
                plot.line(Line::new("binding F1", PlotPoints::from(f1)));
                plot.line(Line::new("binding ROC AUC", PlotPoints::from(auc)));
                plot.line(Line::new("pocket accuracy", PlotPoints::from(acc)));
            });
        }
        ui.label(format!("{} epochs recorded", self.history.len()));
    }

    pub(crate) fn predict_panel(&mut self, ui: &mut egui::Ui) {
        match &self.model {
            Some(model) => ui.label(format!(
                "Model: BiLSTM trained in this session on {} peptides ({})",
                model.peptides, model.device_name
            )),
            None => ui.label(format!(
                "Model: bundled BiLSTM ({}); train one in the Training panel to use yours",
                crate::app::training::bundled_model_label()
            )),
        };
        let busy = self.predict_job.is_some();
        let active_name = self.active_document().map(|d| d.name());
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy && active_name.is_some(), egui::Button::new("Predict active peptide"))
                .on_hover_text("Results go to the table, the sequence strip and the 3D view (choose a predicted colouring)")
                .clicked()
            {
                self.start_prediction(None);
            }
            if let Some(n) = &active_name {
                ui.weak(n);
            }
        });
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Sequence");
            ui.add(egui::TextEdit::singleline(&mut self.typed_sequence).desired_width(140.0))
                .labelled_by(label.id);
            if ui
                .add_enabled(!busy, egui::Button::new("Predict sequence"))
                .clicked()
            {
                self.start_prediction(Some(self.typed_sequence.clone()));
            }
        });
        if busy {
            ui.spinner();
        }
        if let Some(p) = &self.typed_prediction {
            ui.monospace(&p.sequence);
            egui::Grid::new("typed prediction")
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("#");
                    ui.strong("Res");
                    ui.strong("P(bind)");
                    ui.strong("Pocket");
                    ui.end_row();
                    for (i, (c, prob)) in p.sequence.chars().zip(&p.probabilities).enumerate() {
                        ui.label(format!("{}", i + 1));
                        ui.label(c.to_string());
                        let col = colour::viridis(*prob);
                        let text = egui::RichText::new(format!("{prob:.2}"))
                            .color(text_on(col))
                            .background_color(colour32(col));
                        ui.label(text);
                        let pocket = p.pockets.get(i).copied().flatten().filter(|_| *prob >= 0.5);
                        ui.label(pocket.map(|k| k.symbol()).unwrap_or("–"));
                        ui.end_row();
                    }
                });
        }
    }
}

/// ROC and PR curves and the pocket confusion matrix of the finished model.
fn evaluation_ui(ui: &mut egui::Ui, e: &crate::app::training::Evaluation) {
    let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
    ui.strong(format!(
        "Final model on {} ({} residues)",
        e.set, e.residues
    ));
    ui.label(format!(
        "ROC AUC {} · PR AUC {}",
        fmt(e.roc_auc),
        fmt(e.pr_auc)
    ));
    let points = |c: &crate::train::metrics::Curve| -> Vec<[f64; 2]> {
        c.x.iter().zip(&c.y).map(|(x, y)| [*x, *y]).collect()
    };
    let (roc, pr) = (points(&e.roc), points(&e.pr));
    ui.columns(2, |cols| {
        cols[0].label("ROC");
        unit_square_plot("roc plot", "FPR").show(&mut cols[0], |plot| {
            plot.line(Line::new(
                "chance",
                PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]),
            ));
            plot.line(Line::new("ROC", PlotPoints::from(roc)));
        });
        cols[1].label("Precision–recall");
        unit_square_plot("pr plot", "recall").show(&mut cols[1], |plot| {
            plot.line(Line::new("PR", PlotPoints::from(pr)));
        });
    });
    if !e.table.is_empty() {
        ui.label("Model (decoded register) vs the consensus rule and the ELM regex:");
        ui.label(egui::RichText::new(&e.table).monospace().small());
    }
    ui.label(format!(
        "Pocket confusion (rows: label, columns: prediction) · accuracy {:.3}",
        e.pocket.accuracy
    ));
    let max = e
        .pocket
        .confusion
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    egui::Grid::new("pocket confusion")
        .spacing([2.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            for k in 0..POCKET_CLASSES {
                ui.strong(pocket_class_name(k));
            }
            ui.end_row();
            for (t, row) in e.pocket.confusion.iter().enumerate() {
                ui.strong(pocket_class_name(t));
                for &n in row {
                    let shade = colour::viridis(n as f32 / max as f32);
                    let cell = if n == 0 { colour::BACKGROUND } else { shade };
                    ui.label(
                        egui::RichText::new(format!("{n:>3}"))
                            .monospace()
                            .color(text_on(cell))
                            .background_color(colour32(cell)),
                    );
                }
                ui.end_row();
            }
        });
}

/// CPU / GPU / auto, with the adapter the GPU choice would use (the window's own).
fn device_row(ui: &mut egui::Ui, device: &mut DeviceChoice, adapter: Option<&str>) {
    ui.label("Device");
    ui.horizontal(|ui| {
        ui.radio_value(device, DeviceChoice::Cpu, "CPU");
        ui.add_enabled_ui(crate::compute::GPU_BUILT, |ui| {
            ui.radio_value(device, DeviceChoice::Gpu, "GPU")
                .on_disabled_hover_text("this nesbind was built without the cargo feature `gpu`");
        });
        ui.radio_value(device, DeviceChoice::Auto, "auto");
    });
    ui.end_row();
    ui.label("");
    ui.weak(if crate::compute::GPU_BUILT {
        adapter.unwrap_or("no GPU adapter")
    } else {
        "CPU only: built without the `gpu` feature"
    });
    ui.end_row();
}

/// While `job` runs: its Cancel button and a progress bar, full when the job's fraction reaches `span`.
fn job_controls<T: Send + 'static>(ui: &mut egui::Ui, job: Option<&Job<T>>, span: f32) {
    if let Some(job) = job {
        if ui.button("Cancel").clicked() {
            job.cancel();
        }
        ui.add(
            egui::ProgressBar::new(job.progress.fraction.unwrap_or(0.0) / span)
                .text(job.progress.message.clone()),
        );
    }
}

/// A per-epoch plot of the training history, starting at zero.
fn epoch_plot(id: &str) -> Plot<'static> {
    Plot::new(id)
        .height(150.0)
        .legend(Legend::default())
        .x_axis_label("epoch")
        .include_y(0.0)
        .allow_scroll(false)
}

/// A square plot of a curve in the unit square (ROC, precision–recall).
fn unit_square_plot(id: &str, x_label: &str) -> Plot<'static> {
    Plot::new(id)
        .height(130.0)
        .data_aspect(1.0)
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .x_axis_label(x_label)
        .allow_scroll(false)
}
