use glam::Vec3;
use serde::{Deserialize, Serialize};

use super::model::{ChainRole, Structure};
use super::numbering::NumberingMap;
use super::pocket_defs::Pocket;

/// One pocket located in this complex: its lining residues found on the receptor chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PocketSite {
    pub pocket: Pocket,
    /// Indices into the receptor chain's `residues` of the lining residues present in the file.
    pub residue_indices: Vec<usize>,
    /// Human XPO1 numbers of the lining residues the definition asks for but the file lacks.
    pub missing_human_numbers: Vec<i32>,
    /// Centroid of the lining residues' side-chain heavy atoms (CA when a side chain is absent).
    pub centre: Option<Vec3>,
}

/// A structure with its chain roles decided, the receptor mapped to human XPO1 numbering and the
/// five pockets located. Labels and the viewer both work from this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Complex {
    pub structure: Structure,
    /// Index into `structure.chains`.
    pub receptor: usize,
    /// Index into `structure.chains`.
    pub peptide: usize,
    pub numbering: NumberingMap,
    pub pockets: Vec<PocketSite>,
    /// Human-readable notes on how roles and numbering were decided.
    pub notes: Vec<String>,
}

impl Complex {
    pub fn role_of(&self, chain_index: usize) -> ChainRole {
        if chain_index == self.receptor {
            ChainRole::Receptor
        } else if chain_index == self.peptide {
            ChainRole::Peptide
        } else {
            ChainRole::Other
        }
    }
    pub fn receptor_chain(&self) -> &super::model::Chain {
        &self.structure.chains[self.receptor]
    }
    pub fn peptide_chain(&self) -> &super::model::Chain {
        &self.structure.chains[self.peptide]
    }
    pub fn name(&self) -> &str {
        &self.structure.name
    }
}

impl Complex {
    /// Decides chain roles, maps CRM1 numbering and locates the pockets.
    pub fn build(
        structure: Structure,
        overrides: &super::chain_roles::ChainOverrides,
        pockets: &super::pocket_defs::PocketDefinition,
    ) -> Result<Complex, super::StructureError> {
        use super::chain_roles::RoleError;
        let path = structure.path.clone();
        let available = || {
            structure
                .chains
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let roles =
            super::chain_roles::detect_roles(&structure, overrides).map_err(|e| match e {
                RoleError::UnknownChain { flag, chain } => super::StructureError::UnknownChain {
                    path: path.clone(),
                    flag,
                    chain,
                    available: available(),
                },
                RoleError::NoReceptor(m) => super::StructureError::Roles {
                    path: path.clone(),
                    message: format!("cannot find the CRM1 chain: {m}; name it with --receptor"),
                },
                RoleError::NoPeptide(m) => super::StructureError::Roles {
                    path: path.clone(),
                    message: format!("cannot find the NES peptide chain: {m}"),
                },
                RoleError::SameChain(id) => super::StructureError::Roles {
                    path: path.clone(),
                    message: format!("chain {id} cannot be both CRM1 and the NES peptide"),
                },
            })?;
        let mut notes = roles.notes;
        let receptor_chain = &structure.chains[roles.receptor];
        let mut sites = Vec::new();
        for pocket in Pocket::ALL {
            let mut site = PocketSite {
                pocket,
                residue_indices: Vec::new(),
                missing_human_numbers: Vec::new(),
                centre: None,
            };
            for def in pockets.residues_of(pocket) {
                match roles.numbering.residue_index(def.human_number) {
                    Some(i) => {
                        let r = &receptor_chain.residues[i];
                        if def.human_code != 'X' && r.code != def.human_code {
                            notes.push(format!(
                                "{pocket}: human {}{} is {}{} in this file",
                                def.human_code,
                                def.human_number,
                                r.name,
                                r.label()
                            ));
                        }
                        site.residue_indices.push(i);
                    }
                    None => site.missing_human_numbers.push(def.human_number),
                }
            }
            let points: Vec<Vec3> = site
                .residue_indices
                .iter()
                .flat_map(|&i| {
                    let r = &receptor_chain.residues[i];
                    let side: Vec<Vec3> = r
                        .heavy_atoms()
                        // A pocket's centre is where the lining side chains point, not the backbone.
                        .filter(|a| !a.is_backbone())
                        .map(|a| a.pos)
                        .collect();
                    if side.is_empty() {
                        r.ca().map(|a| vec![a.pos]).unwrap_or_default()
                    } else {
                        side
                    }
                })
                .collect();
            if !points.is_empty() {
                site.centre = Some(points.iter().copied().sum::<Vec3>() / points.len() as f32);
            }
            if site.residue_indices.is_empty() {
                notes.push(format!(
                    "{pocket}: none of its lining residues is in the file"
                ));
            }
            sites.push(site);
        }
        Ok(Complex {
            structure,
            receptor: roles.receptor,
            peptide: roles.peptide,
            numbering: roles.numbering,
            pockets: sites,
            notes,
        })
    }

    /// Loads a file and builds the complex in one step.
    pub fn open(
        path: &std::path::Path,
        overrides: &super::chain_roles::ChainOverrides,
        pockets: &super::pocket_defs::PocketDefinition,
    ) -> Result<Complex, super::StructureError> {
        Complex::build(super::load::load_structure(path)?, overrides, pockets)
    }
}
