//! Which chain is CRM1 and which is the NES peptide.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::model::Structure;
use super::numbering::NumberingMap;
use super::spatial::PointGrid;

/// A chain counts as CRM1 when at least this many residues are identical to human XPO1 …
const RECEPTOR_MIN_IDENTICAL: usize = 15;
/// … and the mapped part is at least this identical (yeast Crm1 is ~48%).
const RECEPTOR_MIN_IDENTITY: f32 = 0.35;
/// … or, for distant orthologues (plant, fungal), the NES groove alone is at least this identical.
const GROOVE_MIN_IDENTITY: f32 = 0.30;
/// The groove between HEAT repeats 11 and 12 (human numbering), with its flanking helix turns.
pub const GROOVE: std::ops::RangeInclusive<i32> = 505..=585;
/// Fewest groove residues that must be mapped before groove identity counts.
const GROOVE_MIN_MAPPED: usize = 40;
/// A peptide must come this close (any heavy atom) to the receptor.
const CONTACT_DISTANCE: f32 = 5.0;

/// The user's choices; `None` means detect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainOverrides {
    pub receptor: Option<String>,
    pub peptide: Option<String>,
    /// Longest chain still considered a peptide.
    pub max_peptide_length: usize,
}

impl Default for ChainOverrides {
    fn default() -> Self {
        Self {
            receptor: None,
            peptide: None,
            max_peptide_length: 40,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RoleDetection {
    pub receptor: usize,
    pub peptide: usize,
    pub numbering: NumberingMap,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RoleError {
    UnknownChain { flag: &'static str, chain: String },
    NoReceptor(String),
    NoPeptide(String),
    SameChain(String),
}

pub fn detect_roles(
    structure: &Structure,
    overrides: &ChainOverrides,
) -> Result<RoleDetection, RoleError> {
    let mut notes = Vec::new();
    let find = |flag: &'static str, id: &str| {
        structure
            .chains
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| RoleError::UnknownChain {
                flag,
                chain: id.to_string(),
            })
    };

    let (receptor, numbering) = match &overrides.receptor {
        Some(id) => {
            let index = find("receptor", id)?;
            let map = NumberingMap::for_chain(&structure.chains[index]);
            notes.push(format!(
                "CRM1 chain {id} chosen by the user; {}",
                map.describe()
            ));
            (index, map)
        }
        None => {
            let (index, map) = best_receptor(structure, overrides.peptide.as_deref())?;
            notes.push(format!(
                "CRM1 chain {} detected; {}",
                structure.chains[index].id,
                map.describe()
            ));
            (index, map)
        }
    };

    let peptide = match &overrides.peptide {
        Some(id) => {
            let index = find("peptide", id)?;
            notes.push(format!("NES chain {id} chosen by the user"));
            index
        }
        None => {
            let index = best_peptide(
                structure,
                receptor,
                &numbering,
                overrides.max_peptide_length,
            )?;
            let len = structure.chains[index].polymer_len();
            notes.push(if len > overrides.max_peptide_length {
                format!(
                    "NES chain {} detected: {len} residues, longer than {}, accepted because the file \
                     holds only CRM1 and this chain and it touches the CRM1 groove",
                    structure.chains[index].id, overrides.max_peptide_length
                )
            } else {
                format!(
                    "NES chain {} detected ({len} residues, in contact with CRM1)",
                    structure.chains[index].id
                )
            });
            index
        }
    };
    if peptide == receptor {
        return Err(RoleError::SameChain(structure.chains[receptor].id.clone()));
    }
    Ok(RoleDetection {
        receptor,
        peptide,
        numbering,
        notes,
    })
}

/// Number, insertion code and one-letter code: what numbering depends on.
type ResidueKey<'a> = (i32, Option<&'a str>, char);

fn best_receptor(
    structure: &Structure,
    peptide_id: Option<&str>,
) -> Result<(usize, NumberingMap), RoleError> {
    let mut best: Option<(usize, NumberingMap)> = None;
    let mut report = Vec::new();
    // Homo-oligomers and crystal copies repeat the same chain: map each distinct one once.
    let mut mapped: HashMap<Vec<ResidueKey>, NumberingMap> = HashMap::new();
    for (i, chain) in structure.chains.iter().enumerate() {
        if Some(chain.id.as_str()) == peptide_id || chain.polymer_len() < RECEPTOR_MIN_IDENTICAL {
            continue;
        }
        let key: Vec<_> = chain
            .residues
            .iter()
            .map(|r| (r.number, r.insertion_code.as_deref(), r.code))
            .collect();
        let map = mapped
            .entry(key)
            .or_insert_with(|| NumberingMap::for_chain(chain))
            .clone();
        let (groove_identical, groove_mapped) = map.region_identity(chain, GROOVE);
        let groove_identity = groove_identical as f32 / groove_mapped.max(1) as f32;
        report.push(format!(
            "{}: {} identical ({:.0}%), groove {groove_identical} of {groove_mapped}",
            chain.id,
            map.identical(),
            map.identity * 100.0
        ));
        let qualifies = map.identical() >= RECEPTOR_MIN_IDENTICAL
            && (map.identity >= RECEPTOR_MIN_IDENTITY
                || (groove_mapped >= GROOVE_MIN_MAPPED && groove_identity >= GROOVE_MIN_IDENTITY));
        if qualifies
            && best
                .as_ref()
                .is_none_or(|(_, b)| map.identical() > b.identical())
        {
            best = Some((i, map));
        }
    }
    best.ok_or_else(|| {
        RoleError::NoReceptor(if report.is_empty() {
            "no chain is long enough to be CRM1".to_string()
        } else {
            format!(
                "no chain matches human XPO1 well enough ({})",
                report.join(", ")
            )
        })
    })
}

fn best_peptide(
    structure: &Structure,
    receptor: usize,
    numbering: &NumberingMap,
    max_len: usize,
) -> Result<usize, RoleError> {
    // Each receptor atom carries whether its residue lines the groove.
    let receptor_atoms = PointGrid::from_points(
        CONTACT_DISTANCE,
        structure.chains[receptor]
            .residues
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                let in_groove = numbering
                    .human_number(i)
                    .is_some_and(|h| GROOVE.contains(&h));
                r.heavy_atoms().map(move |a| (a.pos, in_groove))
            }),
    );
    // A long second chain is still the NES when CRM1 and it are all the file holds (AlphaFold
    // complexes of 50–80-residue NES fragments) and it reaches into the groove.
    let polymer_chains = structure
        .chains
        .iter()
        .filter(|c| c.polymer_len() >= 2)
        .count();
    let mut best: Option<(usize, usize)> = None;
    let mut seen = Vec::new();
    for (i, chain) in structure.chains.iter().enumerate() {
        let len = chain.polymer_len();
        if i == receptor || len < 2 {
            continue;
        }
        let touching = |groove_only: bool| {
            chain
                .polymer()
                .filter(|r| {
                    r.heavy_atoms().any(|a| {
                        let mut hit = false;
                        receptor_atoms.for_each_within(a.pos, CONTACT_DISTANCE, |_, g, _| {
                            hit |= !groove_only || g
                        });
                        hit
                    })
                })
                .count()
        };
        if len > max_len {
            let why = if polymer_chains != 2 {
                ""
            } else if touching(true) == 0 {
                " and not in the CRM1 groove"
            } else {
                "accepted"
            };
            if why != "accepted" {
                seen.push(format!(
                    "{} ({} residues, longer than {max_len}{why})",
                    chain.id, len
                ));
                continue;
            }
        }
        let contacts = touching(false);
        seen.push(format!(
            "{} ({} residues, {} touching CRM1)",
            chain.id, len, contacts
        ));
        if contacts > 0 && best.is_none_or(|(_, c)| contacts > c) {
            best = Some((i, contacts));
        }
    }
    best.map(|(i, _)| i).ok_or_else(|| {
        RoleError::NoPeptide(if seen.is_empty() {
            "the file has no chain besides CRM1".to_string()
        } else {
            format!(
                "no short chain touches CRM1 (looked at {}); name it with --peptide",
                seen.join(", ")
            )
        })
    })
}
