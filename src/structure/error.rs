use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StructureError {
    /// The io error's text is part of the message and not a `source()`, so `{:#}` chains do not
    /// print it twice.
    #[error("cannot open {path}: {}", io_reason(.error))]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A file in a format nesbind does not read (MMTF, a density map, an HTML page…).
    #[error("{path} is {format}; {advice}")]
    Unsupported {
        path: PathBuf,
        format: String,
        advice: String,
    },
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

/// "no such file" rather than "No such file or directory (os error 2)".
fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "it is a folder, not a file".into(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}
