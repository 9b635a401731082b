use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StructureError {
    #[error("{path}: cannot read file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: no atoms found (empty or not a PDB/mmCIF file)")]
    NoAtoms { path: PathBuf },
    #[error("{path}: {message}")]
    Roles { path: PathBuf, message: String },
    #[error("{path}: chain '{chain}' named by --{flag} is not in the file (chains: {available})")]
    UnknownChain {
        path: PathBuf,
        flag: &'static str,
        chain: String,
        available: String,
    },
    #[error("pocket definition {path}: {message}")]
    PocketDefinition { path: PathBuf, message: String },
}
