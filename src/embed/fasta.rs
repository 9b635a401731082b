//! Minimal FASTA reader for peptide lists: `>` header lines, sequence lines joined.

use std::path::Path;

use super::error::EmbedError;

/// One record: header without `>`, sequence with line breaks removed.
#[derive(Debug, Clone, PartialEq)]
pub struct FastaRecord {
    pub name: String,
    pub sequence: String,
}

pub fn read_fasta(path: &Path) -> Result<Vec<FastaRecord>, EmbedError> {
    let text = std::fs::read_to_string(path).map_err(|e| EmbedError::io(path, e))?;
    parse_fasta(&text).map_err(|(line, message)| EmbedError::Fasta {
        path: path.to_path_buf(),
        line,
        message,
    })
}

/// Parses FASTA text; errors carry the 1-based line number.
pub fn parse_fasta(text: &str) -> Result<Vec<FastaRecord>, (usize, String)> {
    let mut records: Vec<(usize, FastaRecord)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('>') {
            records.push((
                i + 1,
                FastaRecord {
                    name: name.trim().to_string(),
                    sequence: String::new(),
                },
            ));
        } else {
            match records.last_mut() {
                Some((_, r)) => r.sequence.push_str(line),
                None => return Err((i + 1, "sequence line before the first `>` header".into())),
            }
        }
    }
    if records.is_empty() {
        return Err((1, "no `>` records".into()));
    }
    records
        .into_iter()
        .map(|(line, r)| {
            if r.sequence.is_empty() {
                Err((line, format!("record {:?} has no sequence", r.name)))
            } else {
                Ok(r)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_lines_and_names_empty_records() {
        let recs = parse_fasta(">a PKI\nLALK\nLAGLDI\n\n>b\nLQLPPLERLTL\n").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].sequence, "LALKLAGLDI");
        assert_eq!(recs[0].name, "a PKI");
        assert_eq!(parse_fasta(">a\n>b\nLL\n").unwrap_err().0, 1);
        assert_eq!(parse_fasta("LL\n").unwrap_err().0, 1);
    }
}
