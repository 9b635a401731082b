use std::path::{Path, PathBuf};

use glam::Vec3;
use pdbtbx::{Format, ReadOptions, StrictnessLevel};

use super::error::StructureError;
use super::fallback_reader::{self, FallbackError, FallbackRead};
use super::formats::{self, Decoded, Refusal};
use super::model::{Atom, Chain, Residue, Structure};
use super::quiet_panic;
use super::residue_codes::one_letter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureFormat {
    Pdb,
    Mmcif,
}

/// Result of loading many files: what loaded and, separately, what did not and why.
#[derive(Debug, Default)]
pub struct FolderLoad {
    pub loaded: Vec<Structure>,
    pub failures: Vec<LoadFailure>,
}

#[derive(Debug, Clone)]
pub struct LoadFailure {
    pub path: PathBuf,
    pub message: String,
}

const STRUCTURE_SUFFIXES: [&str; 10] = [
    ".pdb",
    ".pdb.gz",
    ".ent",
    ".ent.gz",
    ".cif",
    ".cif.gz",
    ".mmcif",
    ".mmcif.gz",
    ".pdb1",
    ".pdb1.gz",
];

/// Does the file name look like a structure file (PDB/mmCIF, optionally gzipped)?
pub fn is_structure_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    STRUCTURE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Loads files and every structure file inside folders (not recursive). A file that fails is
/// reported in `failures`; the others still load.
pub fn load_folder(paths: &[PathBuf]) -> FolderLoad {
    let mut out = FolderLoad::default();
    for path in expand_paths(paths, &mut out.failures) {
        match load_structure(&path) {
            Ok(s) => out.loaded.push(s),
            Err(e) => out.failures.push(LoadFailure {
                path,
                message: e.to_string(),
            }),
        }
    }
    out
}

/// Files named directly plus the structure files of named folders, sorted within each folder.
pub fn expand_paths(paths: &[PathBuf], failures: &mut Vec<LoadFailure>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_file() && is_structure_file(p))
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => failures.push(LoadFailure {
                    path: path.clone(),
                    message: format!("{}: cannot read folder: {e}", path.display()),
                }),
            }
        } else {
            files.push(path.clone());
        }
    }
    files
}

/// Reads a PDB or mmCIF file (optionally gzipped). The format is taken from the content, so
/// `.ent`, missing or wrong extensions work too.
pub fn load_structure(path: &Path) -> Result<Structure, StructureError> {
    let bytes = std::fs::read(path).map_err(|error| StructureError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    load_structure_bytes(path, &bytes)
}

/// Parses file content that was read elsewhere (a drop, a dialog); `path` names it in errors.
///
/// pdbtbx reads what it can; when it rejects the file or panics on it (quietly: nothing is
/// printed), nesbind's own coordinate reader takes over and the structure carries one warning
/// saying so. Only a file without usable atoms, or a damaged one (cut off, ragged rows, NaN
/// coordinates), is an error.
pub fn load_structure_bytes(path: &Path, bytes: &[u8]) -> Result<Structure, StructureError> {
    let Decoded { text, notes } = formats::decode(bytes).map_err(|r| refusal(path, r))?;
    let format = formats::sniff(&text, path).map_err(|r| refusal(path, r))?;
    let mut warnings = notes;
    let chains = match read_with_pdbtbx(&text, format) {
        Ok((chains, pdbtbx_warnings)) if usable(&chains) => {
            for w in pdbtbx_warnings {
                push_once(&mut warnings, w);
            }
            chains
        }
        outcome => {
            let why = outcome.err().unwrap_or_else(|| {
                "pdbtbx read no usable atoms (or coordinates that are not numbers)".into()
            });
            let read = own_reader(path, &text, format)?;
            let mut warning = format!("{why}; coordinates read by nesbind's own reader");
            if !read.notes.is_empty() {
                warning.push_str(&format!(" ({})", read.notes.join("; ")));
            }
            warnings.push(warning);
            read.chains
        }
    };
    finish(path, &text, chains, warnings)
}

/// Reads `bytes` with nesbind's own coordinate reader only, never pdbtbx. [`load_structure_bytes`]
/// is what to use; this exists to compare the two readers on real files.
#[doc(hidden)]
pub fn load_structure_bytes_own_reader(
    path: &Path,
    bytes: &[u8],
) -> Result<Structure, StructureError> {
    let Decoded { text, notes } = formats::decode(bytes).map_err(|r| refusal(path, r))?;
    let format = formats::sniff(&text, path).map_err(|r| refusal(path, r))?;
    let read = own_reader(path, &text, format)?;
    finish(
        path,
        &text,
        read.chains,
        notes.into_iter().chain(read.notes).collect(),
    )
}

fn refusal(path: &Path, refusal: Refusal) -> StructureError {
    match refusal {
        Refusal::Unsupported { format, advice } => StructureError::Unsupported {
            path: path.to_path_buf(),
            format,
            advice,
        },
        Refusal::Damaged(message) => StructureError::Parse {
            path: path.to_path_buf(),
            message,
        },
    }
}

fn own_reader(
    path: &Path,
    text: &str,
    format: StructureFormat,
) -> Result<FallbackRead, StructureError> {
    match format {
        StructureFormat::Pdb => fallback_reader::read_pdb(text),
        StructureFormat::Mmcif => fallback_reader::read_mmcif(text),
    }
    .map_err(|e| match e {
        FallbackError::NoAtoms => StructureError::NoAtoms {
            path: path.to_path_buf(),
        },
        FallbackError::Malformed(message) => StructureError::Parse {
            path: path.to_path_buf(),
            message,
        },
    })
}

/// The structure from either reader: no atoms is an error; lowercase names are upper-cased.
fn finish(
    path: &Path,
    text: &str,
    mut chains: Vec<Chain>,
    mut warnings: Vec<String>,
) -> Result<Structure, StructureError> {
    if chains.iter().all(|c| c.residues.is_empty()) {
        return Err(StructureError::NoAtoms {
            path: path.to_path_buf(),
        });
    }
    if let Some(note) = uppercase_lowercase_names(&mut chains) {
        warnings.push(note);
    }
    let is_predicted = looks_predicted(text) || plddt_like_b_factors(text, &chains);
    Ok(Structure {
        name: file_stem(path),
        path: path.to_path_buf(),
        chains,
        is_predicted,
        warnings,
    })
}

/// pdbtbx's reading of the text: chains plus its warnings, or why it could not (its errors, or
/// the message of a panic inside it, caught without printing).
fn read_with_pdbtbx(
    text: &str,
    format: StructureFormat,
) -> Result<(Vec<Chain>, Vec<String>), String> {
    let mut options = ReadOptions::new();
    options
        .set_level(StrictnessLevel::Loose)
        .set_only_first_model(true)
        .set_format(match format {
            StructureFormat::Pdb => Format::Pdb,
            StructureFormat::Mmcif => Format::Mmcif,
        });
    let parsed = quiet_panic::catch_quietly(|| {
        options.read_raw(std::io::BufReader::new(std::io::Cursor::new(
            text.as_bytes(),
        )))
    })
    .map_err(|message| describe_panic(&message))?;
    let (pdb, warnings) = parsed.map_err(|errors| describe_errors(&errors))?;
    let warnings = warnings
        .iter()
        .filter(|w| w.level() != pdbtbx::ErrorLevel::GeneralWarning)
        .map(|w| w.short_description().to_string())
        .collect();
    Ok((convert_chains(&pdb), warnings))
}

/// AlphaFold and ModelCIF files say so in their header; their B-factor column holds pLDDT.
fn looks_predicted(text: &str) -> bool {
    text.lines().take(200).any(|l| {
        let u = l.to_ascii_uppercase();
        u.contains("ALPHAFOLD") || u.contains("_MA_QA_METRIC") || u.contains("COLABFOLD")
    }) || text.contains("_ma_qa_metric")
}

/// AlphaFold-multimer and ColabFold PDB files often carry no header at all; what gives them away is
/// one B-factor per residue (pLDDT is per residue), every value in 0–100, on an unrefined model (no
/// EXPDTA / `_exptl` record saying how the structure was determined). Refined crystal and cryo-EM
/// B-factors differ between the atoms of a residue.
fn plddt_like_b_factors(text: &str, chains: &[Chain]) -> bool {
    let experimental = text
        .lines()
        .take(500)
        .any(|l| l.starts_with("EXPDTA") || l.starts_with("_exptl.method"));
    if experimental {
        return false;
    }
    let (mut residues, mut with_atoms) = (0usize, 0usize);
    for r in chains.iter().flat_map(|c| &c.residues) {
        let Some(first) = r.atoms.first() else {
            continue;
        };
        let b = first.b_factor;
        if !(0.0..=100.0).contains(&b) || r.atoms.iter().any(|a| (a.b_factor - b).abs() > 0.01) {
            return false;
        }
        residues += 1;
        with_atoms += usize::from(r.atoms.len() > 1);
    }
    // A CA-only trace has one B-factor per residue whatever it means.
    residues > 0 && with_atoms * 2 >= residues
}

/// Has atoms, and every coordinate is a finite number.
fn usable(chains: &[Chain]) -> bool {
    let mut atoms = chains
        .iter()
        .flat_map(|c| &c.residues)
        .flat_map(|r| &r.atoms)
        .peekable();
    atoms.peek().is_some() && atoms.all(|a| a.pos.is_finite())
}

fn push_once(warnings: &mut Vec<String>, warning: String) {
    if !warnings.contains(&warning) {
        warnings.push(warning);
    }
}

/// Why pdbtbx panicked, for the warning; an unknown space group is by far the most common reason.
fn describe_panic(message: &str) -> String {
    if let Some(group) = message.strip_prefix("Invalid space group: ") {
        return format!(
            "CRYST1 space group '{}' not understood by pdbtbx",
            group.trim_matches('"')
        );
    }
    let short: String = message
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(100)
        .collect();
    format!("pdbtbx stopped on this file ({short})")
}

/// pdbtbx's first real error, with its line, for the warning.
fn describe_errors(errors: &[pdbtbx::PDBError]) -> String {
    let serious: Vec<&pdbtbx::PDBError> = errors
        .iter()
        .filter(|e| {
            matches!(
                e.level(),
                pdbtbx::ErrorLevel::BreakingError | pdbtbx::ErrorLevel::InvalidatingError
            )
        })
        .collect();
    let Some(first) = serious.first().copied().or_else(|| errors.first()) else {
        return "pdbtbx could not read this file".into();
    };
    let line = match first.context() {
        pdbtbx::Context::Line { linenumber, .. } | pdbtbx::Context::FullLine { linenumber, .. } => {
            format!(" at line {linenumber}")
        }
        _ => String::new(),
    };
    let more = match serious.len().max(1) - 1 {
        0 => String::new(),
        n => format!(", and {n} more"),
    };
    format!(
        "pdbtbx rejected this file ({}{line}{more})",
        first.short_description()
    )
}

/// Atom (and residue) names written all in lowercase (`ca`) are read as uppercase (`CA`), so
/// backbone atoms are found; the note says so once.
fn uppercase_lowercase_names(chains: &mut [Chain]) -> Option<String> {
    let all_lower = |s: &str| {
        s.bytes().any(|b| b.is_ascii_lowercase()) && !s.bytes().any(|b| b.is_ascii_uppercase())
    };
    let mut example = None;
    let mut count = 0usize;
    for residue in chains.iter_mut().flat_map(|c| c.residues.iter_mut()) {
        if all_lower(&residue.name) {
            residue.name = residue.name.to_ascii_uppercase();
            residue.code = one_letter(&residue.name);
        }
        for atom in &mut residue.atoms {
            if all_lower(&atom.name) {
                example.get_or_insert_with(|| atom.name.clone());
                atom.name = atom.name.to_ascii_uppercase();
                count += 1;
            }
        }
    }
    example.map(|e| {
        format!(
            "{count} atom names were written in lowercase (e.g. '{e}') and were read as uppercase ('{}')",
            e.to_ascii_uppercase()
        )
    })
}

fn convert_chains(pdb: &pdbtbx::PDB) -> Vec<Chain> {
    let mut chains: Vec<Chain> = Vec::new();
    for chain in pdb.chains() {
        let residues = chain.residues().filter_map(convert_residue);
        // A chain id can appear twice in PDB files (polymer, then waters after TER): merge them.
        match chains.iter_mut().find(|c| c.id == chain.id()) {
            Some(existing) => existing.residues.extend(residues),
            None => chains.push(Chain {
                id: chain.id().to_string(),
                residues: residues.collect(),
            }),
        }
    }
    chains
}

fn convert_residue(residue: &pdbtbx::Residue) -> Option<Residue> {
    let (number, insertion) = residue.id();
    let name = residue.name().unwrap_or("UNK").to_string();
    let mut atoms: Vec<Atom> = Vec::new();
    // atoms() walks every conformer: keeping the first of each name keeps the first alt loc.
    for conformer in residue.conformers() {
        let hetero = conformer.atoms().all(|a| a.hetero());
        for atom in conformer.atoms() {
            if atoms.iter().any(|a| a.name == atom.name()) {
                continue;
            }
            let (x, y, z) = atom.pos();
            atoms.push(Atom {
                name: atom.name().to_string(),
                element: atom
                    .element()
                    .map(|e| e.symbol().to_string())
                    .unwrap_or_else(|| guess_element(atom.name())),
                pos: Vec3::new(x as f32, y as f32, z as f32),
                b_factor: atom.b_factor() as f32,
                hetero,
            });
        }
    }
    if atoms.is_empty() {
        return None;
    }
    Some(Residue {
        number: number as i32,
        insertion_code: insertion.map(str::to_string),
        code: one_letter(&name),
        name,
        atoms,
    })
}

fn guess_element(atom_name: &str) -> String {
    atom_name
        .trim()
        .chars()
        .find(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_string())
        .unwrap_or_default()
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "structure".into());
    let lower = name.to_ascii_lowercase();
    let without_gz = if lower.ends_with(".gz") {
        &name[..name.len() - 3]
    } else {
        &name[..]
    };
    match without_gz.rfind('.') {
        Some(dot) if dot > 0 => without_gz[..dot].to_string(),
        _ => without_gz.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_compression_and_format() {
        assert_eq!(file_stem(Path::new("/a/3NBY.cif.gz")), "3NBY");
        assert_eq!(
            file_stem(Path::new("x/AF-O14980-F1-model_v4.pdb")),
            "AF-O14980-F1-model_v4"
        );
        assert_eq!(file_stem(Path::new("noext")), "noext");
    }

    #[test]
    fn format_comes_from_content() {
        let p = Path::new("named.pdb");
        assert_eq!(
            formats::sniff("data_x\nloop_\n_atom_site.group_PDB\n", p),
            Ok(StructureFormat::Mmcif)
        );
        assert_eq!(
            formats::sniff(
                "ATOM      1  N   SER A 505      67.741 -83.750 -19.729  1.00 16.40           N",
                p
            ),
            Ok(StructureFormat::Pdb)
        );
        assert!(formats::sniff("hello", p).is_err());
    }
}
