use std::io::Read;
use std::path::{Path, PathBuf};

use glam::Vec3;
use pdbtbx::{Format, ReadOptions, StrictnessLevel};

use super::error::StructureError;
use super::model::{Atom, Chain, Residue, Structure};
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
    let bytes = std::fs::read(path).map_err(|source| StructureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_structure_bytes(path, &bytes)
}

/// Parses file content that was read elsewhere (a drop, a dialog); `path` names it in errors.
pub fn load_structure_bytes(path: &Path, bytes: &[u8]) -> Result<Structure, StructureError> {
    let parse_err = |message: String| StructureError::Parse {
        path: path.to_path_buf(),
        message,
    };
    let text = decode_text(bytes).map_err(parse_err)?;
    let format = detect_format(&text).ok_or_else(|| {
        parse_err("neither PDB (no ATOM/HETATM records) nor mmCIF (no _atom_site loop)".into())
    })?;
    let mut options = ReadOptions::new();
    options
        .set_level(StrictnessLevel::Loose)
        .set_only_first_model(true)
        .set_format(match format {
            StructureFormat::Pdb => Format::Pdb,
            StructureFormat::Mmcif => Format::Mmcif,
        });
    // pdbtbx asserts on some malformed input; a bad file must give an error, not end the program.
    let parsed = std::panic::catch_unwind(|| {
        options.read_raw(std::io::BufReader::new(std::io::Cursor::new(
            text.as_bytes(),
        )))
    })
    .map_err(|_| parse_err("the file is malformed (the PDB reader gave up on it)".into()))?;
    let (pdb, warnings) = parsed.map_err(|errors| parse_err(describe_errors(&errors)))?;

    let chains = convert_chains(&pdb);
    if chains.iter().all(|c| c.residues.is_empty()) {
        return Err(StructureError::NoAtoms {
            path: path.to_path_buf(),
        });
    }
    Ok(Structure {
        name: file_stem(path),
        path: path.to_path_buf(),
        chains,
        is_predicted: looks_predicted(&text),
        warnings: warnings
            .iter()
            .filter(|w| w.level() != pdbtbx::ErrorLevel::GeneralWarning)
            .map(|w| w.short_description().to_string())
            .collect(),
    })
}

fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| format!("gzip data is damaged or truncated: {e}"))?;
        out
    } else {
        bytes.to_vec()
    };
    if raw.contains(&0) {
        return Err("binary data, not a PDB or mmCIF text file".into());
    }
    String::from_utf8(raw)
        .or_else(|e| {
            // Old PDB files sometimes carry Latin-1 in REMARKs; coordinates are ASCII either way.
            let bytes = e.into_bytes();
            if bytes.iter().filter(|b| **b >= 0x80).count() * 20 < bytes.len() {
                Ok(bytes.iter().map(|&b| b as char).collect())
            } else {
                Err(())
            }
        })
        .map_err(|_| "binary data, not a PDB or mmCIF text file".to_string())
}

fn detect_format(text: &str) -> Option<StructureFormat> {
    let mut has_pdb_records = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("_atom_site.") {
            return Some(StructureFormat::Mmcif);
        }
        if line.starts_with("ATOM  ") || line.starts_with("HETATM") {
            has_pdb_records = true;
        }
    }
    has_pdb_records.then_some(StructureFormat::Pdb)
}

/// AlphaFold and ModelCIF files say so in their header; their B-factor column holds pLDDT.
fn looks_predicted(text: &str) -> bool {
    text.lines().take(200).any(|l| {
        let u = l.to_ascii_uppercase();
        u.contains("ALPHAFOLD") || u.contains("_MA_QA_METRIC") || u.contains("COLABFOLD")
    }) || text.contains("_ma_qa_metric")
}

fn describe_errors(errors: &[pdbtbx::PDBError]) -> String {
    let breaking: Vec<&pdbtbx::PDBError> = errors
        .iter()
        .filter(|e| e.level() == pdbtbx::ErrorLevel::BreakingError)
        .collect();
    let shown = if breaking.is_empty() {
        errors.iter().collect()
    } else {
        breaking
    };
    let mut parts: Vec<String> = shown
        .iter()
        .take(3)
        .map(|e| {
            let context = e.context().to_string();
            let line = context
                .lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| format!(" ({})", l.trim()))
                .unwrap_or_default();
            format!(
                "{}: {}{}",
                e.short_description(),
                e.long_description(),
                line
            )
        })
        .collect();
    if shown.len() > 3 {
        parts.push(format!("and {} more errors", shown.len() - 3));
    }
    if parts.is_empty() {
        "could not be parsed".into()
    } else {
        parts.join("; ")
    }
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
        assert_eq!(
            detect_format("data_x\nloop_\n_atom_site.group_PDB\n"),
            Some(StructureFormat::Mmcif)
        );
        assert_eq!(
            detect_format(
                "ATOM      1  N   SER A 505      67.741 -83.750 -19.729  1.00 16.40           N"
            ),
            Some(StructureFormat::Pdb)
        );
        assert_eq!(detect_format("hello"), None);
    }
}
