//! The central panel: display toolbar, the 3D view with its legend and hover tooltip, and the peptide's
//! sequence strip (hover and selection synced with the view and the table).

use crate::app::commands::Command;
use crate::app::molecule_scene::{peptide_colour, pockets_lined_by};
use crate::app::nesbind_app::{DialogKind, NesbindApp};
use crate::app::state::{ChainStyle, ColourMode};
use crate::render::ResidueRef;
use crate::render::colour::{self, POCKET_COLOURS, ResidueClass};
use crate::render::view3d::view3d_ui;
use crate::structure::{ChainRole, Pocket};

use super::labels::{colour32, text_on};

const STRIP_HEIGHT: f32 = 70.0;

impl NesbindApp {
    pub(crate) fn view_panel(&mut self, ui: &mut egui::Ui) {
        self.view_toolbar(ui);
        let avail = ui.available_size();
        let view_size = egui::vec2(avail.x, (avail.y - STRIP_HEIGHT - 8.0).max(120.0));
        self.refresh_scene();
        self.apply_framing(view_size.x / view_size.y);
        let (response, out) = view3d_ui(
            ui,
            view_size,
            &mut self.camera,
            &self.scene,
            self.hovered,
            self.selected,
        );
        self.view_size_px = out.size_px;
        self.view_rect = out.rect;
        if let Some(p) = out.double_clicked {
            self.select_residue(p.residue, true);
        } else if let Some(p) = out.clicked {
            self.select_residue(p.residue, false);
        } else if response.clicked() {
            self.selected = None;
        }
        // A screenshot run has no user: the virtual display's pointer rests mid-window.
        let hovered = out.hovered.filter(|_| self.screenshot.is_none());
        if let Some(hit) = hovered {
            self.hover_next = Some(hit.residue);
            let lines = self.describe_residue(hit.residue);
            response.on_hover_ui_at_pointer(|ui| {
                for (i, line) in lines.iter().enumerate() {
                    if i == 0 {
                        ui.strong(line);
                    } else {
                        ui.label(line);
                    }
                }
            });
        }
        self.legend(ui, out.rect);
        if self.scene.scene.is_empty() {
            ui.painter().text(
                out.rect.center(),
                egui::Align2::CENTER_CENTER,
                if self.is_busy() {
                    "Loading…"
                } else {
                    "Open a CRM1–NES structure (File > Open…, or drop a file)"
                },
                egui::FontId::proportional(16.0),
                ui.visuals().weak_text_color(),
            );
        }
        ui.add_space(4.0);
        self.sequence_strip(ui);
    }

    fn view_toolbar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let before = self.state.display.clone();
            let label = ui.label("Colour by");
            let mut mode = self.state.display.colour_mode;
            egui::ComboBox::from_id_salt("colour mode")
                .selected_text(mode.name())
                .show_ui(ui, |ui| {
                    for m in ColourMode::ALL {
                        ui.selectable_value(&mut mode, m, m.name());
                    }
                })
                .response
                .labelled_by(label.id);
            if mode != self.state.display.colour_mode {
                self.send(Command::Colour(mode));
            }
            egui::ComboBox::from_id_salt("receptor style")
                .selected_text(self.state.display.receptor_style.name())
                .show_ui(ui, |ui| {
                    for style in ChainStyle::ALL {
                        ui.selectable_value(
                            &mut self.state.display.receptor_style,
                            style,
                            style.name(),
                        );
                    }
                })
                .response
                .on_hover_text("How CRM1 is drawn");
            ui.checkbox(&mut self.state.display.groove_sticks, "Groove atoms")
                .on_hover_text(
                    "All-atom sticks for the peptide and the receptor residues around it",
                );
            ui.checkbox(&mut self.state.display.pocket_markers, "Pocket centres");
            ui.checkbox(&mut self.state.display.other_chains, "Other chains");
            if before != self.state.display {
                self.scene_dirty = true;
            }
            ui.separator();
            if ui.button("Reset view").clicked() {
                self.send(Command::ResetView);
            }
            if ui.button("Focus peptide").clicked() {
                self.send(Command::FocusPeptide);
            }
            if ui.button("Export PNG…").clicked() {
                self.send(Command::Dialog(DialogKind::ExportPng));
            }
        });
    }

    /// Tooltip lines for a residue: chain and role, name and number, labels, pockets, prediction, distance.
    pub fn describe_residue(&self, r: ResidueRef) -> Vec<String> {
        let Some(doc) = self.docs.get(r.object) else {
            return Vec::new();
        };
        let Some(structure) = doc.structure() else {
            return Vec::new();
        };
        let Some(chain) = structure.chains.get(r.chain) else {
            return Vec::new();
        };
        let Some(residue) = chain.residues.get(r.residue) else {
            return Vec::new();
        };
        let role = doc.complex().map(|c| c.role_of(r.chain));
        let role_name = match role {
            Some(ChainRole::Receptor) => "CRM1",
            Some(ChainRole::Peptide) => "NES peptide",
            Some(ChainRole::Other) => "other chain",
            None => "context",
        };
        let mut lines = vec![format!(
            "{} {} · chain {} ({role_name})",
            residue.name,
            residue.label(),
            chain.id
        )];
        if Some(r.object) != self.state.active {
            lines.push(doc.name());
        }
        if let Some(p) = doc.plddt(r.chain, r.residue) {
            lines.push(format!("pLDDT {p:.1}"));
        }
        let Some(complex) = doc.complex() else {
            return lines;
        };
        match role {
            Some(ChainRole::Receptor) => {
                if let Some(h) = complex.numbering.human_number(r.residue)
                    && h != residue.number
                {
                    lines.push(format!("human XPO1 {h}"));
                }
                let pockets: Vec<&str> = pockets_lined_by(complex, r.residue)
                    .into_iter()
                    .map(Pocket::symbol)
                    .collect();
                if !pockets.is_empty() {
                    lines.push(format!("lines pocket {}", pockets.join(", ")));
                }
                let peptide_atoms = complex
                    .peptide_chain()
                    .residues
                    .iter()
                    .flat_map(|p| p.heavy_atoms());
                let nearest = peptide_atoms
                    .flat_map(|p| residue.heavy_atoms().map(move |a| a.pos.distance(p.pos)))
                    .fold(f32::INFINITY, f32::min);
                if nearest.is_finite() {
                    lines.push(format!("{nearest:.1} Å to the peptide (heavy atoms)"));
                }
            }
            Some(ChainRole::Peptide) => {
                if let Some(l) = doc.label_of(r.residue) {
                    let pocket = l
                        .pocket
                        .map(|p| format!(", in pocket {}", p.symbol()))
                        .unwrap_or_default();
                    lines.push(format!(
                        "label: {}{pocket}",
                        if l.binding { "binding" } else { "not binding" }
                    ));
                    if l.min_distance.is_finite() {
                        let near = l
                            .nearest_pocket
                            .map(|p| format!(" (nearest {})", p.symbol()))
                            .unwrap_or_default();
                        lines.push(format!(
                            "{:.2} Å to a pocket-lining residue{near}",
                            l.min_distance
                        ));
                    }
                }
                if let Some(pred) = &doc.prediction {
                    if let Some(p) = pred.probabilities.get(r.residue).copied().flatten() {
                        lines.push(format!("predicted binding probability {p:.2}"));
                    }
                    if let Some(k) = pred.pockets.get(r.residue).copied().flatten() {
                        lines.push(format!("predicted pocket {}", k.symbol()));
                    }
                }
            }
            _ => {}
        }
        lines
    }

    fn legend(&self, ui: &mut egui::Ui, view: egui::Rect) {
        if self.scene.scene.is_empty() {
            return;
        }
        egui::Area::new(egui::Id::unique("nesbind legend"))
            .fixed_pos(egui::pos2(view.max.x - 8.0, view.min.y + 8.0))
            .pivot(egui::Align2::RIGHT_TOP)
            .order(egui::Order::Middle)
            .interactable(false)
            .show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style())
                    .fill(ui.visuals().extreme_bg_color.gamma_multiply(0.8))
                    .show(ui, |ui| {
                        ui.spacing_mut().item_spacing.y = 2.0;
                        ui.horizontal(|ui| {
                            ui.strong("Pockets");
                            for (k, c) in POCKET_COLOURS.iter().enumerate() {
                                let name = Pocket::from_index(k).map(|p| p.symbol()).unwrap_or("?");
                                swatch(ui, *c);
                                ui.label(name);
                            }
                        });
                        let mode = self.state.display.colour_mode;
                        if mode == ColourMode::Plddt {
                            ui.strong("CRM1 and peptide: pLDDT");
                        } else {
                            ui.strong(format!("Peptide: {}", mode.name().to_lowercase()));
                        }
                        let has_prediction = self
                            .active_document()
                            .is_some_and(|d| d.prediction.is_some());
                        match mode {
                            ColourMode::Label => {
                                ui.weak("in a pocket: that pocket's colour");
                                swatch_row(ui, colour::PEPTIDE, "binding, no pocket");
                                swatch_row(ui, colour::PEPTIDE_NON_BINDING, "not binding");
                            }
                            ColourMode::Probability => {
                                viridis_bar(ui);
                                if !has_prediction {
                                    swatch_row(ui, colour::UNKNOWN, "no prediction yet");
                                }
                            }
                            ColourMode::PredictedPocket => {
                                ui.weak("predicted pocket's colour");
                                swatch_row(
                                    ui,
                                    colour::PEPTIDE_NON_BINDING,
                                    "predicted non-binding",
                                );
                                if !has_prediction {
                                    swatch_row(ui, colour::UNKNOWN, "no prediction yet");
                                }
                            }
                            ColourMode::ResidueType => {
                                for class in ResidueClass::ALL.iter().take(6) {
                                    swatch_row(ui, class.colour(), class.name());
                                }
                            }
                            ColourMode::Plddt => {
                                for (c, name) in colour::PLDDT_BANDS {
                                    swatch_row(ui, c, name);
                                }
                                let predicted = self
                                    .active_document()
                                    .and_then(|d| d.structure())
                                    .is_some_and(|s| s.is_predicted);
                                if !predicted {
                                    ui.weak("not a predicted model: its B-factors are not pLDDT");
                                }
                            }
                        }
                        for (i, frame) in self.frames.iter().enumerate() {
                            if let (Some(f), Some(doc)) = (frame, self.docs.get(i)) {
                                ui.weak(format!("{} on this CRM1: {}", doc.name(), f.describe()));
                            }
                        }
                    });
            });
    }

    fn sequence_strip(&mut self, ui: &mut egui::Ui) {
        let Some(active) = self.state.active else {
            return;
        };
        let Some(doc) = self.docs.get(active) else {
            return;
        };
        let Some(complex) = doc.complex() else {
            ui.weak("no NES peptide in this structure");
            return;
        };
        let peptide = complex.peptide;
        let chain = complex.peptide_chain();
        let mode = self.state.display.colour_mode;
        let mut hovered = None;
        let mut clicked = None;
        let info = self
            .hovered
            .or(self.selected)
            .map(|r| self.describe_residue(r))
            .unwrap_or_default();
        egui::ScrollArea::horizontal()
            .id_salt("sequence strip")
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    ui.vertical(|ui| {
                        ui.strong(format!("NES {}", chain.id));
                        ui.weak(format!("{} aa", chain.polymer_len()));
                        if doc.prediction.is_some() {
                            ui.weak("label / pred.").on_hover_text(
                                "Bars under each residue: its pocket by the structure labels (upper) and in the \
                                 decoded prediction (lower); red where they differ",
                            );
                        }
                    });
                    for (i, res) in chain.residues.iter().enumerate() {
                        if res.code == 'X' && res.ca().is_none() {
                            continue;
                        }
                        let r = ResidueRef::new(active, peptide, i);
                        let c = peptide_colour(doc, i, res.code, mode);
                        let (rect, resp) =
                            ui.allocate_exact_size(egui::vec2(24.0, 56.0), egui::Sense::click());
                        let resp = resp.on_hover_text(format!("{} {}", res.name, res.label()));
                        resp.widget_info(|| {
                            egui::WidgetInfo::labeled(
                                egui::Role::Button,
                                true,
                                format!("{}{}", res.code, res.label()),
                            )
                        });
                        let cell = egui::Rect::from_min_size(rect.min, egui::vec2(24.0, 26.0));
                        let painter = ui.painter();
                        painter.rect_filled(cell, 3.0, colour32(c));
                        painter.text(
                            cell.center(),
                            egui::Align2::CENTER_CENTER,
                            res.code,
                            egui::FontId::monospace(15.0),
                            text_on(c),
                        );
                        let is_selected = self.selected == Some(r);
                        let is_hovered = self.hovered == Some(r);
                        if is_selected || is_hovered {
                            let stroke = egui::Stroke::new(
                                if is_selected { 2.5 } else { 1.5 },
                                ui.visuals().strong_text_color(),
                            );
                            painter.rect_stroke(
                                cell.expand(1.0),
                                3.0,
                                stroke,
                                egui::StrokeKind::Outside,
                            );
                        }
                        painter.text(
                            egui::pos2(cell.center().x, cell.max.y + 2.0),
                            egui::Align2::CENTER_TOP,
                            res.label(),
                            egui::FontId::proportional(9.0),
                            ui.visuals().weak_text_color(),
                        );
                        if let Some(pred) = &doc.prediction {
                            let labelled = doc.label_of(i).and_then(|l| l.pocket);
                            let predicted = pred.register.get(i).copied().flatten();
                            let bar = |y: f32, pocket: Option<Pocket>| {
                                let rect = egui::Rect::from_min_size(
                                    egui::pos2(cell.min.x + 2.0, cell.max.y + 14.0 + y),
                                    egui::vec2(20.0, 5.0),
                                );
                                let fill = pocket
                                    .map(|p| colour32(colour::pocket_colour(p.index())))
                                    .unwrap_or(ui.visuals().faint_bg_color);
                                painter.rect_filled(rect, 1.0, fill);
                                rect
                            };
                            let upper = bar(0.0, labelled);
                            let lower = bar(6.0, predicted);
                            if labelled != predicted {
                                painter.rect_stroke(
                                    upper.union(lower).expand(1.0),
                                    1.0,
                                    egui::Stroke::new(1.5, ui.visuals().error_fg_color),
                                    egui::StrokeKind::Outside,
                                );
                            }
                        }
                        if resp.hovered() {
                            hovered = Some(r);
                        }
                        if resp.clicked() {
                            clicked = Some(r);
                        }
                    }
                    if !info.is_empty() {
                        ui.add_space(12.0);
                        ui.vertical(|ui| {
                            ui.strong(&info[0]);
                            if info.len() > 1 {
                                ui.label(info[1..].join(" · "));
                            }
                        });
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

fn swatch(ui: &mut egui::Ui, c: colour::Rgba) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, colour32(c));
}

fn swatch_row(ui: &mut egui::Ui, c: colour::Rgba, text: &str) {
    ui.horizontal(|ui| {
        swatch(ui, c);
        ui.label(text);
    });
}

fn viridis_bar(ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.label("0");
        let (rect, _) = ui.allocate_exact_size(egui::vec2(120.0, 12.0), egui::Sense::hover());
        let n = 40;
        for i in 0..n {
            let x0 = rect.min.x + rect.width() * i as f32 / n as f32;
            let x1 = rect.min.x + rect.width() * (i + 1) as f32 / n as f32;
            let r = egui::Rect::from_min_max(
                egui::pos2(x0, rect.min.y),
                egui::pos2(x1 + 0.5, rect.max.y),
            );
            ui.painter().rect_filled(
                r,
                0.0,
                colour32(colour::viridis((i as f32 + 0.5) / n as f32)),
            );
        }
        ui.label("1  binding probability");
    });
}
