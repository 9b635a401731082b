//! Files panel: Open…, the opened complexes with their detected chain roles (editable) and per-file errors.

use crate::app::document::{Content, bundled_session, file_label};
use crate::app::nesbind_app::{DialogKind, NesbindApp};
use crate::structure::ChainRole;

impl NesbindApp {
    pub(crate) fn files_panel(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui
                .button("Open…")
                .on_hover_text("PDB / mmCIF, optionally .gz; several at once")
                .clicked()
            {
                self.spawn_dialog(DialogKind::Open);
            }
            if ui
                .button("Open examples")
                .on_hover_text("The bundled CRM1–NES crystal structures")
                .clicked()
            {
                let files = bundled_session();
                if files.is_empty() {
                    self.log
                        .warn("the bundled example structures were not found");
                }
                self.open_files(files);
            }
        });
        ui.weak("or drop files on the window");
        ui.separator();
        if self.docs.is_empty() && self.load_job.is_none() {
            ui.label("No structures open.");
        }
        let mut activate = None;
        let mut close = None;
        let mut roles_changed = None;
        let mut context_changed = false;
        egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
            for (i, doc) in self.docs.iter_mut().enumerate() {
                let active = self.state.active == Some(i);
                ui.horizontal(|ui| {
                    if ui.radio(active, "").on_hover_text("Show in the 3D view").clicked() {
                        activate = Some(i);
                    }
                    let name = doc.name();
                    let title = egui::RichText::new(&name).strong();
                    ui.label(title).on_hover_text(doc.file.path.display().to_string());
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui.small_button("Close").on_hover_text("Close this file").clicked() {
                            close = Some(i);
                        }
                        if !active
                            && ui
                                .checkbox(&mut doc.file.show_as_context, "context")
                                .on_hover_text("Also draw this file as a thin trace (same coordinate frame)")
                                .changed()
                        {
                            context_changed = true;
                        }
                    });
                });
                ui.indent(("doc", i), |ui| match &doc.content {
                    Content::Complex(c) => {
                        let pep = c.peptide_chain();
                        let binding = doc.labels.iter().filter(|l| l.binding).count();
                        ui.label(format!(
                            "CRM1 {} ({} res) · NES {} {} ({} res, {binding} binding)",
                            c.receptor_chain().id,
                            c.receptor_chain().polymer_len(),
                            pep.id,
                            pep.sequence(),
                            pep.polymer_len(),
                        ));
                        let chains: Vec<(String, usize)> =
                            c.structure.chains.iter().map(|ch| (ch.id.clone(), ch.polymer_len())).collect();
                        let roles: Vec<ChainRole> = (0..chains.len()).map(|k| c.role_of(k)).collect();
                        egui::CollapsingHeader::new("Chains").id_salt(("chains", i)).show(ui, |ui| {
                            for ((id, len), role) in chains.iter().zip(&roles) {
                                ui.label(format!("{id}: {len} residues — {role:?}"));
                            }
                            if let Some(change) = role_editor(ui, i, &doc.file.receptor, &doc.file.peptide, &chains) {
                                roles_changed = Some((i, change));
                            }
                        });
                    }
                    Content::StructureOnly { structure, reason } => {
                        let chains: Vec<(String, usize)> =
                            structure.chains.iter().map(|ch| (ch.id.clone(), ch.polymer_len())).collect();
                        let summary: Vec<String> = chains.iter().map(|(id, n)| format!("{id} ({n})")).collect();
                        ui.label(format!("chains {}", summary.join(", ")));
                        if doc.file.show_as_context {
                            ui.weak("context: drawn as a trace behind the active complex").on_hover_text(reason);
                        } else {
                            ui.colored_label(ui.visuals().warn_fg_color, format!("warning: {reason}"));
                        }
                        egui::CollapsingHeader::new("Set chain roles").id_salt(("chains", i)).show(ui, |ui| {
                            if let Some(change) = role_editor(ui, i, &doc.file.receptor, &doc.file.peptide, &chains) {
                                roles_changed = Some((i, change));
                            }
                        });
                    }
                    Content::Failed { reason } => {
                        ui.colored_label(ui.visuals().error_fg_color, format!("error: {reason}"));
                    }
                });
                ui.add_space(4.0);
            }
        });
        if let Some(job) = &self.load_job {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(&job.progress.message);
            });
            for f in &self.pending_files {
                ui.weak(file_label(&f.path));
            }
        }
        if context_changed {
            self.scene_dirty = true;
        }
        if let Some((i, (receptor, peptide))) = roles_changed {
            self.set_chain_roles(i, receptor, peptide);
        }
        if let Some(i) = activate {
            self.set_active(i);
        }
        if let Some(i) = close {
            self.close_document(i);
        }
    }
}

type RoleChange = (Option<String>, Option<String>);

/// Two combo boxes ("auto" or a chain id) for the receptor and the peptide; returns the new choice.
fn role_editor(
    ui: &mut egui::Ui,
    doc: usize,
    receptor: &Option<String>,
    peptide: &Option<String>,
    chains: &[(String, usize)],
) -> Option<RoleChange> {
    let mut new_receptor = receptor.clone();
    let mut new_peptide = peptide.clone();
    let combo = |ui: &mut egui::Ui, label: &str, value: &mut Option<String>| {
        let label_id = ui.label(label).id;
        egui::ComboBox::from_id_salt((label, doc))
            .selected_text(value.clone().unwrap_or_else(|| "auto".into()))
            .show_ui(ui, |ui| {
                ui.selectable_value(value, None, "auto");
                for (id, len) in chains {
                    ui.selectable_value(value, Some(id.clone()), format!("{id} ({len} res)"));
                }
            })
            .response
            .labelled_by(label_id);
    };
    ui.horizontal(|ui| combo(ui, "CRM1 chain", &mut new_receptor));
    ui.horizontal(|ui| combo(ui, "NES chain", &mut new_peptide));
    (new_receptor != *receptor || new_peptide != *peptide).then_some((new_receptor, new_peptide))
}
