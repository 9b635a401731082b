//! Reading CRM1–NES complexes into one model: chains with roles, human XPO1 numbering, pocket sites.

mod alignment;
mod chain_roles;
mod complex;
mod error;
mod fallback_reader;
mod formats;
mod load;
mod model;
mod numbering;
mod pocket_defs;
mod quiet_panic;
mod residue_codes;
mod secondary;
mod spatial;
mod superpose;
pub mod synthetic;

pub use alignment::{AlignedPair, Alignment, global_align};
pub use chain_roles::{ChainOverrides, RoleDetection, RoleError, detect_roles};
pub use complex::{Complex, PocketSite};
pub use error::StructureError;
pub use load::{
    FolderLoad, LoadFailure, StructureFormat, expand_paths, is_structure_file, load_folder,
    load_structure, load_structure_bytes, load_structure_bytes_own_reader,
};
pub use model::{Atom, Chain, ChainRole, Residue, Structure};
pub use numbering::{HUMAN_XPO1_SEQUENCE, NumberingMap, NumberingMethod};
pub use pocket_defs::{Pocket, PocketDefinition, PocketResidue};
pub use residue_codes::{one_letter, three_letter};
pub use secondary::{
    SecondaryStructure, assign_secondary_structure, dssp, from_ca_geometry, segments,
};
pub use spatial::PointGrid;
pub use superpose::{GROOVE_FIT, Superposition, kabsch, superpose_receptors};
