//! One opened file as the app holds it: the parsed structure, the complex built from it (chain roles,
//! numbering, pockets) when that succeeds, its labels and its latest prediction.

use std::path::{Path, PathBuf};

use crate::labels::{LabelSettings, ResidueLabel, label_complex};
use crate::structure::{
    Chain, ChainOverrides, Complex, NumberingMap, Pocket, PocketDefinition, SecondaryStructure,
    Structure, assign_secondary_structure,
};

use super::state::OpenedFile;

/// Per-residue prediction for the peptide chain, indexed like the chain's `residues`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub probabilities: Vec<Option<f32>>,
    /// Pockets of the decoded register, shown only on residues predicted to bind.
    pub pockets: Vec<Option<Pocket>>,
    /// Pockets of the decoded register on every residue it places (for comparison with the labels).
    pub register: Vec<Option<Pocket>>,
    /// Which model produced it, for the legend and the table.
    pub model: String,
}

/// What could be made of a file.
#[derive(Debug, Clone)]
pub enum Content {
    /// Receptor and peptide found: labels and pockets available.
    Complex(Box<Complex>),
    /// Readable, but not a CRM1–NES complex (e.g. a CRM1 trace without a peptide): shown as context.
    StructureOnly {
        structure: Box<Structure>,
        reason: String,
        /// The chain most like human XPO1, numbered, so the file can be superposed as context.
        receptor: Option<(usize, NumberingMap)>,
    },
    /// Not readable at all.
    Failed { reason: String },
}

#[derive(Debug, Clone)]
pub struct Document {
    pub file: OpenedFile,
    pub content: Content,
    pub labels: Vec<ResidueLabel>,
    pub prediction: Option<Prediction>,
    /// Secondary structure per chain and residue (for the cartoon), computed when the file is read.
    pub secondary: Vec<Vec<SecondaryStructure>>,
}

impl Document {
    pub fn name(&self) -> String {
        match &self.content {
            Content::Complex(c) => c.name().to_string(),
            Content::StructureOnly { structure, .. } => structure.name.clone(),
            Content::Failed { .. } => file_label(&self.file.path),
        }
    }

    pub fn complex(&self) -> Option<&Complex> {
        match &self.content {
            Content::Complex(c) => Some(c),
            _ => None,
        }
    }

    pub fn structure(&self) -> Option<&Structure> {
        match &self.content {
            Content::Complex(c) => Some(&c.structure),
            Content::StructureOnly { structure, .. } => Some(structure),
            Content::Failed { .. } => None,
        }
    }

    /// Why the file is not a usable complex, if it is not.
    pub fn problem(&self) -> Option<&str> {
        match &self.content {
            Content::Complex(_) => None,
            Content::StructureOnly { reason, .. } | Content::Failed { reason } => Some(reason),
        }
    }

    /// The CRM1 chain and its human numbering: what superposition pairs residues by.
    pub fn receptor_frame(&self) -> Option<(&Chain, &NumberingMap)> {
        match &self.content {
            Content::Complex(c) => Some((c.receptor_chain(), &c.numbering)),
            Content::StructureOnly {
                structure,
                receptor: Some((i, map)),
                ..
            } => Some((structure.chains.get(*i)?, map)),
            _ => None,
        }
    }

    /// pLDDT of a residue (its CA's B-factor, else its first atom's) in a predicted model; `None` for
    /// experimental structures, whose B-factor column means something else.
    pub fn plddt(&self, chain: usize, residue: usize) -> Option<f32> {
        let structure = self.structure().filter(|s| s.is_predicted)?;
        let r = structure.chains.get(chain)?.residues.get(residue)?;
        r.ca().or_else(|| r.atoms.first()).map(|a| a.b_factor)
    }

    /// Mean pLDDT of the peptide's residues (predicted models only).
    pub fn peptide_plddt(&self) -> Option<f32> {
        let c = self.complex()?;
        let values: Vec<f32> = (0..c.peptide_chain().residues.len())
            .filter_map(|i| self.plddt(c.peptide, i))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
    }

    pub fn label_of(&self, peptide_residue: usize) -> Option<&ResidueLabel> {
        self.labels
            .iter()
            .find(|l| l.residue_index == peptide_residue)
    }

    /// Re-decides chain roles (after the user edits them) and relabels.
    pub fn rebuild(&mut self, pockets: &PocketDefinition, settings: &LabelSettings) {
        let Some(structure) = self.structure().cloned() else {
            return;
        };
        let (content, labels) = build_content(structure, &self.file, pockets, settings);
        self.content = content;
        self.labels = labels;
        self.prediction = None;
        self.secondary = secondary_of(self.structure());
    }

    pub fn relabel(&mut self, settings: &LabelSettings) {
        self.labels = self
            .complex()
            .map(|c| label_complex(c, settings))
            .unwrap_or_default();
    }
}

/// Shortest chain worth numbering as CRM1, and the identity to human XPO1 it needs: a context file
/// (CRM1–Ran, a CRM1 trace) has no peptide, so chain roles leave its receptor undecided.
const CONTEXT_RECEPTOR_MIN_LEN: usize = 50;
const CONTEXT_RECEPTOR_MIN_IDENTITY: f32 = 0.3;

/// The chain of `structure` most like human XPO1, with its numbering.
fn guess_receptor(structure: &Structure) -> Option<(usize, NumberingMap)> {
    structure
        .chains
        .iter()
        .enumerate()
        .filter(|(_, c)| c.polymer_len() >= CONTEXT_RECEPTOR_MIN_LEN)
        .map(|(i, c)| (i, NumberingMap::for_chain(c)))
        .filter(|(_, m)| {
            m.identity >= CONTEXT_RECEPTOR_MIN_IDENTITY && m.mapped >= CONTEXT_RECEPTOR_MIN_LEN
        })
        .max_by_key(|(_, m)| m.identical())
}

fn overrides_of(file: &OpenedFile) -> ChainOverrides {
    ChainOverrides {
        receptor: file.receptor.clone(),
        peptide: file.peptide.clone(),
        ..ChainOverrides::default()
    }
}

fn build_content(
    structure: Structure,
    file: &OpenedFile,
    pockets: &PocketDefinition,
    settings: &LabelSettings,
) -> (Content, Vec<ResidueLabel>) {
    // Complex::build consumes the structure; keep a copy to show the file even when roles fail.
    match Complex::build(structure.clone(), &overrides_of(file), pockets) {
        Ok(complex) => {
            let labels = label_complex(&complex, settings);
            (Content::Complex(Box::new(complex)), labels)
        }
        Err(e) => (
            Content::StructureOnly {
                receptor: guess_receptor(&structure),
                structure: Box::new(structure),
                reason: e.to_string(),
            },
            Vec::new(),
        ),
    }
}

/// Reads and prepares one file; a failure becomes a `Failed` document rather than an error, so one bad
/// file never stops the others.
pub fn open_document(
    file: OpenedFile,
    pockets: &PocketDefinition,
    settings: &LabelSettings,
) -> Document {
    // The loader's errors already name the file.
    let loaded = crate::structure::load_structure(&file.path).map_err(|e| format!("{e:#}"));
    document_from(file, loaded, pockets, settings)
}

/// Same as [`open_document`] for a file's bytes (drag-and-drop without a readable path).
pub fn open_document_bytes(
    file: OpenedFile,
    bytes: &[u8],
    pockets: &PocketDefinition,
    settings: &LabelSettings,
) -> Document {
    let loaded =
        crate::structure::load_structure_bytes(&file.path, bytes).map_err(|e| e.to_string());
    document_from(file, loaded, pockets, settings)
}

/// The document for a load attempt: prepared when the file parsed, `Failed` with `reason` when not.
fn document_from(
    file: OpenedFile,
    loaded: Result<Structure, String>,
    pockets: &PocketDefinition,
    settings: &LabelSettings,
) -> Document {
    let (content, labels) = match loaded {
        Ok(structure) => build_content(structure, &file, pockets, settings),
        Err(reason) => (Content::Failed { reason }, Vec::new()),
    };
    let mut doc = Document {
        file,
        content,
        labels,
        prediction: None,
        secondary: Vec::new(),
    };
    doc.secondary = secondary_of(doc.structure());
    doc
}

fn secondary_of(structure: Option<&Structure>) -> Vec<Vec<SecondaryStructure>> {
    structure
        .map(|s| s.chains.iter().map(assign_secondary_structure).collect())
        .unwrap_or_default()
}

/// Short name of a path for lists ("3NBY_groove_excerpt.pdb").
pub fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The structures that ship with nesbind: the six groove excerpts and the full 3NBY CRM1–Ran CA trace.
pub fn bundled_structures_dir() -> Option<PathBuf> {
    let dir = crate::assets_dir().join("structures");
    dir.join(BUNDLED_ACTIVE).is_file().then_some(dir)
}

/// The complex shown on first launch and the file that gives it the whole receptor as context (same frame).
pub const BUNDLED_ACTIVE: &str = "3NBY_groove_excerpt.pdb";
pub const BUNDLED_CONTEXT: &str = "3NBY_CRM1_Ran_CA.pdb";

/// The first-launch session: every bundled groove excerpt, 3NBY active, the full 3NBY CA trace as context.
pub fn bundled_session() -> Vec<OpenedFile> {
    let Some(dir) = bundled_structures_dir() else {
        return Vec::new();
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with("_groove_excerpt.pdb"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    // The active complex first so that it is the one selected.
    names.sort_by_key(|n| n != BUNDLED_ACTIVE);
    let mut files: Vec<OpenedFile> = names
        .into_iter()
        .map(|n| OpenedFile {
            path: dir.join(n),
            ..OpenedFile::default()
        })
        .collect();
    if dir.join(BUNDLED_CONTEXT).is_file() {
        files.push(OpenedFile {
            path: dir.join(BUNDLED_CONTEXT),
            show_as_context: true,
            ..OpenedFile::default()
        });
    }
    files
}
