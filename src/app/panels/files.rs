//! Files panel: Open…, the opened complexes with their detected chain roles (editable) and per-file errors.

use crate::app::browser::{BrowserSettings, SortColumn, browser_rows, step_active};
use crate::app::commands::Command;
use crate::app::document::{Content, bundled_session};
use crate::app::state::ChainStyle;
use crate::render::colour;

use super::labels::colour32;
use crate::app::nesbind_app::{DialogKind, NesbindApp};
use crate::structure::ChainRole;

impl NesbindApp {
    pub(crate) fn files_panel(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Open…")
                .on_hover_text("PDB / mmCIF, optionally .gz; several at once")
                .clicked()
            {
                self.send(Command::Dialog(DialogKind::Open));
            }
            if ui
                .button("Open folder…")
                .on_hover_text(
                    "Every structure file in a folder (e.g. a folder of AlphaFold models)",
                )
                .clicked()
            {
                self.send(Command::Dialog(DialogKind::OpenFolder));
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
                self.send(Command::OpenFiles(files));
            }
        });
        ui.weak("or drop files or folders on the window");
        if let Some(job) = &self.load_job {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(&job.progress.message);
            });
        }
        ui.separator();
        if self.docs.is_empty() {
            if self.load_job.is_none() {
                ui.label("No structures open.");
            }
            return;
        }
        self.browser(ui);
        ui.separator();
        self.active_file_details(ui);
    }

    /// The sortable, filterable table of open files, with next / previous and "Predict all".
    fn browser(&mut self, ui: &mut egui::Ui) {
        let before = self.state.browser.clone();
        ui.horizontal(|ui| {
            ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.state.browser.filter)
                    .hint_text("file name")
                    .desired_width(110.0),
            );
            ui.add(
                egui::Slider::new(&mut self.state.browser.min_plddt, 0.0..=90.0)
                    .step_by(5.0)
                    .text("min pLDDT"),
            )
            .on_hover_text("Hide files whose peptide mean pLDDT is lower (0: show all)");
        });
        let rows = browser_rows(&self.docs, &self.state.browser);
        ui.horizontal(|ui| {
            if ui
                .button("< Previous")
                .on_hover_text("Previous complex in this order (P or Page Up)")
                .clicked()
            {
                self.send(Command::Step(-1));
            }
            if ui
                .button("Next >")
                .on_hover_text("Next complex in this order (N or Page Down)")
                .clicked()
            {
                self.send(Command::Step(1));
            }
            let busy = self.predict_job.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Predict all"))
                .on_hover_text("Predict every open peptide and compare with its structure labels")
                .clicked()
            {
                self.send(Command::PredictAll);
            }
            ui.weak(format!("{} of {}", rows.len(), self.docs.len()));
        });
        let mut activate = None;
        let mut context_changed = None;
        let mut sort = None;
        let table_height = (ui.available_height() * 0.55).max(120.0);
        egui::ScrollArea::both()
            .id_salt("browser")
            .max_height(table_height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Grid::new("browser table")
                    .striped(true)
                    .num_columns(8)
                    .show(ui, |ui| {
                        ui.label("");
                        for (column, title, tip) in [
                            (SortColumn::Name, "File", "Sort by file name"),
                            (
                                SortColumn::Plddt,
                                "pLDDT",
                                "Peptide mean pLDDT (AlphaFold models)",
                            ),
                        ] {
                            if sort_header(ui, &self.state.browser, column, title, tip) {
                                sort = Some(column);
                            }
                        }
                        ui.strong("Labelled Φ0–Φ4").on_hover_text(
                            "Peptide residues in pockets Φ0–Φ4 by the structure labels",
                        );
                        ui.strong("Predicted")
                            .on_hover_text("The decoded register of the prediction (Predict all)");
                        if sort_header(
                            ui,
                            &self.state.browser,
                            SortColumn::Agreement,
                            "Agree",
                            "Labelled pocket residues the prediction puts in the same pocket",
                        ) {
                            sort = Some(SortColumn::Agreement);
                        }
                        if sort_header(
                            ui,
                            &self.state.browser,
                            SortColumn::Receptor,
                            "CRM1",
                            "Residues · identity to human XPO1",
                        ) {
                            sort = Some(SortColumn::Receptor);
                        }
                        ui.label("ctx").on_hover_text(
                            "Draw as context: superposed on the active CRM1 as a thin trace",
                        );
                        ui.end_row();
                        for row in &rows {
                            let active = self.state.active == Some(row.index);
                            if ui
                                .radio(active, "")
                                .on_hover_text("Show in the 3D view")
                                .clicked()
                            {
                                activate = Some(row.index);
                            }
                            let name = if active {
                                egui::RichText::new(&row.name).strong()
                            } else {
                                egui::RichText::new(&row.name)
                            };
                            let path = self.docs[row.index].file.path.display().to_string();
                            if ui
                                .selectable_label(active, name)
                                .on_hover_text(format!("{path}\n{}", row.peptide))
                                .clicked()
                            {
                                activate = Some(row.index);
                            }
                            match row.plddt {
                                Some(p) => ui.colored_label(
                                    colour32(colour::plddt_colour(p)),
                                    format!("{p:.0}"),
                                ),
                                None => ui.label("–"),
                            };
                            ui.label(&row.labelled_short).on_hover_text(&row.labelled);
                            match (&row.predicted_short, &row.predicted) {
                                (Some(short), Some(long)) => {
                                    ui.label(short).on_hover_text(long);
                                }
                                _ => {
                                    ui.label("–");
                                }
                            }
                            match row.agreement {
                                Some((k, n)) => {
                                    let colour = if k == n && n > 0 {
                                        ui.visuals().text_color()
                                    } else {
                                        ui.visuals().warn_fg_color
                                    };
                                    ui.colored_label(colour, format!("{k}/{n}"));
                                }
                                None => {
                                    ui.label("–");
                                }
                            }
                            match (&row.problem, row.receptor) {
                                (Some(problem), _) => {
                                    ui.colored_label(ui.visuals().warn_fg_color, "not a complex")
                                        .on_hover_text(problem);
                                }
                                (None, Some((n, identity))) => {
                                    ui.label(format!("{n} · {:.0}%", identity * 100.0));
                                }
                                (None, None) => {
                                    ui.label("–");
                                }
                            }
                            let mut context = self.docs[row.index].file.show_as_context;
                            if !active {
                                let response = ui.checkbox(&mut context, "");
                                // The box has no text beside it (the column says "ctx"): a screen
                                // reader still needs a name for it.
                                response.widget_info(|| {
                                    egui::WidgetInfo::selected(
                                        egui::Role::CheckBox,
                                        response.enabled(),
                                        context,
                                        format!("draw {} as context", row.name),
                                    )
                                });
                                if response.changed() {
                                    context_changed = Some((row.index, context));
                                }
                            } else {
                                ui.label("");
                            }
                            ui.end_row();
                        }
                    });
            });
        if let Some(column) = sort {
            let b = &mut self.state.browser;
            if b.sort == column {
                b.descending = !b.descending;
            } else {
                b.sort = column;
                b.descending = matches!(column, SortColumn::Plddt | SortColumn::Agreement);
            }
        }
        if let Some((i, context)) = context_changed {
            self.send(Command::ShowAsContext(i, context));
        }
        if let Some(i) = activate {
            self.send(Command::Activate(i));
        }
        if before != self.state.browser {
            ui.ctx().request_repaint();
        }
    }

    /// Makes the next (`step` = 1) or previous (-1) complex of the browser's order active.
    pub fn step_active(&mut self, step: isize) {
        let rows = browser_rows(&self.docs, &self.state.browser);
        if let Some(i) = step_active(&rows, self.state.active, step) {
            self.set_active(i);
        }
    }

    /// Chains, chain roles and Close for the active file.
    fn active_file_details(&mut self, ui: &mut egui::Ui) {
        let Some(i) = self.state.active.filter(|&i| i < self.docs.len()) else {
            ui.label("No file selected.");
            return;
        };
        let mut close = false;
        let mut roles_changed = None;
        let mut style_changed: Option<(String, Option<ChainStyle>)> = None;
        let doc = &self.docs[i];
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(doc.name()).strong())
                .on_hover_text(doc.file.path.display().to_string());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .small_button("Close")
                    .on_hover_text("Close this file")
                    .clicked()
                {
                    close = true;
                }
            });
        });
        egui::ScrollArea::vertical()
            .id_salt("active file")
            .auto_shrink([false, true])
            .show(ui, |ui| match &doc.content {
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
                    ui.weak(c.numbering.describe());
                    if let Some(p) = doc.peptide_plddt() {
                        ui.label(format!("peptide mean pLDDT {p:.1}"));
                    }
                    for (k, frame) in self.frames.iter().enumerate() {
                        if let (Some(f), Some(other)) = (frame, self.docs.get(k)) {
                            ui.weak(format!(
                                "context {} superposed: {}",
                                other.name(),
                                f.describe()
                            ));
                        }
                    }
                    let chains: Vec<(String, usize)> = c
                        .structure
                        .chains
                        .iter()
                        .map(|ch| (ch.id.clone(), ch.polymer_len()))
                        .collect();
                    let roles: Vec<ChainRole> = (0..chains.len()).map(|k| c.role_of(k)).collect();
                    egui::CollapsingHeader::new("Chains")
                        .id_salt(("chains", i))
                        .show(ui, |ui| {
                            for ((id, len), role) in chains.iter().zip(&roles) {
                                ui.horizontal(|ui| {
                                    ui.label(format!("{id}: {len} residues — {role:?}"));
                                    let current = doc.file.chain_styles.get(id).copied();
                                    let mut chosen = current;
                                    egui::ComboBox::from_id_salt(("chain style", i, id))
                                        .selected_text(current.map_or("default", ChainStyle::name))
                                        .show_ui(ui, |ui| {
                                            ui.selectable_value(&mut chosen, None, "default");
                                            for s in ChainStyle::ALL {
                                                ui.selectable_value(&mut chosen, Some(s), s.name());
                                            }
                                        });
                                    if chosen != current {
                                        style_changed = Some((id.clone(), chosen));
                                    }
                                });
                            }
                            if let Some(change) =
                                role_editor(ui, i, &doc.file.receptor, &doc.file.peptide, &chains)
                            {
                                roles_changed = Some(change);
                            }
                        });
                }
                Content::StructureOnly {
                    structure, reason, ..
                } => {
                    let chains: Vec<(String, usize)> = structure
                        .chains
                        .iter()
                        .map(|ch| (ch.id.clone(), ch.polymer_len()))
                        .collect();
                    let summary: Vec<String> =
                        chains.iter().map(|(id, n)| format!("{id} ({n})")).collect();
                    ui.label(format!("chains {}", summary.join(", ")));
                    ui.colored_label(ui.visuals().warn_fg_color, format!("warning: {reason}"));
                    egui::CollapsingHeader::new("Set chain roles")
                        .id_salt(("chains", i))
                        .show(ui, |ui| {
                            if let Some(change) =
                                role_editor(ui, i, &doc.file.receptor, &doc.file.peptide, &chains)
                            {
                                roles_changed = Some(change);
                            }
                        });
                }
                Content::Failed { reason } => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("error: {reason}"));
                }
            });
        let failed: Vec<(String, String)> = self
            .docs
            .iter()
            .filter_map(|d| match &d.content {
                Content::Failed { reason } => Some((d.name(), reason.clone())),
                _ => None,
            })
            .collect();
        if !failed.is_empty() {
            egui::CollapsingHeader::new(format!("{} file(s) could not be read", failed.len()))
                .id_salt("failed files")
                .show(ui, |ui| {
                    for (name, reason) in failed {
                        ui.colored_label(ui.visuals().error_fg_color, format!("{name}: {reason}"));
                    }
                });
        }
        if let Some((receptor, peptide)) = roles_changed {
            self.send(Command::ChainRoles {
                document: i,
                receptor,
                peptide,
            });
        }
        if let Some((chain, style)) = style_changed {
            self.send(Command::ChainStyle {
                document: i,
                chain,
                style,
            });
        }
        if close {
            self.send(Command::Close(i));
        }
    }
}

/// A clickable column title that shows the sort direction; true when clicked.
fn sort_header(
    ui: &mut egui::Ui,
    settings: &BrowserSettings,
    column: SortColumn,
    title: &str,
    tip: &str,
) -> bool {
    let arrow = match (settings.sort == column, settings.descending) {
        (true, false) => " ^",
        (true, true) => " v",
        _ => "",
    };
    ui.add(egui::Button::new(egui::RichText::new(format!("{title}{arrow}")).strong()).frame(false))
        .on_hover_text(tip)
        .clicked()
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
