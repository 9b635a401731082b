//! What persists between launches (eframe storage): opened files, camera, display and panel settings.
//! Everything has a default so an old or partial session file still loads.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::render::camera::CameraState;

/// How the peptide (and the sequence strip) is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ColourMode {
    /// Binding residues in their pocket's colour (from the structure labels), the rest neutral.
    #[default]
    Label,
    /// Predicted binding probability on the viridis map.
    Probability,
    /// Predicted pocket colours.
    PredictedPocket,
    /// Amino-acid class.
    ResidueType,
    /// AlphaFold confidence (B-factor column of predicted models), receptor and peptide alike.
    Plddt,
}

impl ColourMode {
    pub const ALL: [ColourMode; 5] = [
        ColourMode::Label,
        ColourMode::Probability,
        ColourMode::PredictedPocket,
        ColourMode::ResidueType,
        ColourMode::Plddt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ColourMode::Label => "Structure label",
            ColourMode::Probability => "Predicted probability",
            ColourMode::PredictedPocket => "Predicted pocket",
            ColourMode::ResidueType => "Residue type",
            ColourMode::Plddt => "pLDDT (AlphaFold)",
        }
    }

    /// The command-line name (`--colour`): label, prediction, pocket, residue, plddt.
    pub fn cli_name(self) -> &'static str {
        match self {
            ColourMode::Label => "label",
            ColourMode::Probability => "prediction",
            ColourMode::PredictedPocket => "pocket",
            ColourMode::ResidueType => "residue",
            ColourMode::Plddt => "plddt",
        }
    }

    pub fn from_cli_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.cli_name().eq_ignore_ascii_case(name.trim()))
    }
}

/// How a chain is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ChainStyle {
    /// Helices as cylinders along their axis, strands as arrows, loops as tubes through the CAs.
    #[default]
    Cartoon,
    /// A tube through the CAs.
    Trace,
    /// Every heavy atom as ball and stick, on a thin CA trace.
    Sticks,
}

impl ChainStyle {
    pub const ALL: [ChainStyle; 3] = [ChainStyle::Cartoon, ChainStyle::Trace, ChainStyle::Sticks];

    pub fn name(self) -> &'static str {
        match self {
            ChainStyle::Cartoon => "Cartoon",
            ChainStyle::Trace => "CA trace",
            ChainStyle::Sticks => "Sticks",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DistanceModeChoice {
    #[default]
    Ca,
    Heavy,
}

/// Which side panel is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PanelTab {
    #[default]
    Files,
    Labels,
    Embedding,
    Training,
    Predict,
    Protein,
}

impl PanelTab {
    pub const ALL: [PanelTab; 6] = [
        PanelTab::Files,
        PanelTab::Labels,
        PanelTab::Embedding,
        PanelTab::Training,
        PanelTab::Predict,
        PanelTab::Protein,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PanelTab::Files => "Files",
            PanelTab::Labels => "Labelling",
            PanelTab::Embedding => "Embedding",
            PanelTab::Training => "Training",
            PanelTab::Predict => "Predict",
            PanelTab::Protein => "Protein",
        }
    }
}

/// A file of the session with the user's chain choices.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenedFile {
    pub path: PathBuf,
    pub receptor: Option<String>,
    pub peptide: Option<String>,
    /// Drawn as context (a dimmed trace) when another file is the active one.
    pub show_as_context: bool,
    /// Style of a chain (by chain id) instead of its role's default.
    pub chain_styles: std::collections::BTreeMap<String, ChainStyle>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisplaySettings {
    pub colour_mode: ColourMode,
    /// CRM1's style when its chain has none of its own; peptides and other chains default to a
    /// trace.
    pub receptor_style: ChainStyle,
    /// All-atom sticks for the peptide and the receptor residues lining the groove.
    pub groove_sticks: bool,
    /// Translucent spheres at the pocket centres.
    pub pocket_markers: bool,
    /// Chains other than receptor and peptide (Ran, RanBP1, …).
    pub other_chains: bool,
    /// Receptor residues within this distance (Å) of the peptide get sticks.
    pub groove_radius: f32,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        Self {
            colour_mode: ColourMode::Label,
            receptor_style: ChainStyle::Cartoon,
            groove_sticks: true,
            pocket_markers: true,
            other_chains: true,
            groove_radius: 5.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabelPanelSettings {
    pub mode: DistanceModeChoice,
    /// Å; `None` = the mode's default.
    pub cutoff: Option<f32>,
    /// A pocket definition file instead of the bundled one.
    pub pocket_file: Option<PathBuf>,
}

impl Default for LabelPanelSettings {
    fn default() -> Self {
        Self {
            mode: DistanceModeChoice::Ca,
            cutoff: None,
            pocket_file: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub files: Vec<OpenedFile>,
    /// Index into `files` of the complex in the view.
    pub active: Option<usize>,
    pub camera: Option<CameraState>,
    pub display: DisplaySettings,
    pub labels: LabelPanelSettings,
    pub train: super::training::TrainSettings,
    pub tab: PanelTab,
    pub browser: super::browser::BrowserSettings,
    pub show_log: bool,
    /// Folder of the last Open… / Export….
    pub last_dir: Option<PathBuf>,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            active: None,
            camera: None,
            display: DisplaySettings::default(),
            labels: LabelPanelSettings::default(),
            train: super::training::TrainSettings::default(),
            tab: PanelTab::Files,
            browser: super::browser::BrowserSettings::default(),
            show_log: true,
            last_dir: None,
        }
    }
}

/// eframe storage key of the session.
pub const STORAGE_KEY: &str = "nesbind-session";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_session_loads_with_defaults() {
        let state: AppState =
            serde_json::from_str(r#"{"files":[{"path":"a.pdb"}],"tab":"Labels"}"#).unwrap();
        assert_eq!(state.files[0].path, PathBuf::from("a.pdb"));
        assert_eq!(state.tab, PanelTab::Labels);
        assert_eq!(state.display, DisplaySettings::default());
        let back: AppState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
    }
}
