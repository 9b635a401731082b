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

/// Parses FASTA text; the first bad record is an error with its 1-based line number. Sequence
/// lines are cleaned as [`FastaReader`] cleans them (spaces and a final `*` dropped, upper case,
/// letters only).
pub fn parse_fasta(text: &str) -> Result<Vec<FastaRecord>, (usize, String)> {
    let records = FastaReader::new(std::io::Cursor::new(text.as_bytes()))
        .map(|r| r.map_err(|p| (p.line, p.message)))
        .collect::<Result<Vec<_>, _>>()?;
    if records.is_empty() {
        return Err((1, "no `>` records".into()));
    }
    Ok(records)
}

/// Why a typed or pasted sequence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    #[error("the sequence is empty")]
    Empty,
    /// `position` is 1-based in the text as given (spaces counted).
    #[error("'{character}' at character {position} is not an amino-acid letter")]
    NotALetter { character: char, position: usize },
}

/// A sequence as typed or pasted: whitespace anywhere (sequences are often written in blocks of
/// ten) and one final `*` (a stop codon) are dropped and letters upper-cased, so residue numbers
/// count residues only. Anything else that is not a letter is refused.
pub fn clean_sequence(text: &str) -> Result<String, SequenceError> {
    let trimmed = text.trim_end();
    let body = trimmed.strip_suffix('*').unwrap_or(trimmed);
    let mut out = String::with_capacity(body.len());
    for (i, c) in body.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        if !c.is_ascii_alphabetic() {
            return Err(SequenceError::NotALetter {
                character: c,
                position: i + 1,
            });
        }
        out.push(c.to_ascii_uppercase());
    }
    if out.is_empty() {
        return Err(SequenceError::Empty);
    }
    Ok(out)
}

/// A record that could not be used, with the line of its header.
#[derive(Debug, Clone, PartialEq)]
pub struct FastaProblem {
    pub line: usize,
    pub message: String,
}

/// FASTA records one at a time from a reader (a proteome does not need to fit in memory twice).
/// Records with no sequence or with characters that are not amino-acid letters come back as
/// [`FastaProblem`]s naming their line; the reader goes on with the next record. A terminal `*`
/// (stop) and spaces are dropped; letters are upper-cased.
pub struct FastaReader<R: std::io::BufRead> {
    lines: std::io::Lines<R>,
    line: usize,
    pending: Option<(usize, String)>,
    done: bool,
}

impl<R: std::io::BufRead> FastaReader<R> {
    pub fn new(reader: R) -> Self {
        Self {
            lines: reader.lines(),
            line: 0,
            pending: None,
            done: false,
        }
    }

    fn finish(
        header_line: usize,
        name: String,
        body: Vec<(usize, String)>,
    ) -> Result<FastaRecord, FastaProblem> {
        let mut sequence = String::new();
        for (line, text) in body {
            match clean_sequence(&text) {
                Ok(clean) => sequence.push_str(&clean),
                // A line holding only the stop: nothing to add.
                Err(SequenceError::Empty) => {}
                Err(SequenceError::NotALetter {
                    character,
                    position,
                }) => {
                    return Err(FastaProblem {
                        line,
                        message: format!(
                            "record {name:?}: '{character}' at column {position} is not an amino-acid letter"
                        ),
                    });
                }
            }
        }
        if sequence.is_empty() {
            return Err(FastaProblem {
                line: header_line,
                message: format!("record {name:?} has no sequence"),
            });
        }
        Ok(FastaRecord { name, sequence })
    }
}

impl<R: std::io::BufRead> Iterator for FastaReader<R> {
    type Item = Result<FastaRecord, FastaProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut header = self.pending.take();
        let mut body: Vec<(usize, String)> = Vec::new();
        loop {
            let raw = match self.lines.next() {
                Some(Ok(l)) => l,
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(FastaProblem {
                        line: self.line + 1,
                        message: format!("cannot read: {e}"),
                    }));
                }
                None => {
                    self.done = true;
                    let (line, name) = header?;
                    return Some(Self::finish(line, name, body));
                }
            };
            self.line += 1;
            let text = raw.trim();
            if text.is_empty() || text.starts_with(';') {
                continue;
            }
            if let Some(name) = text.strip_prefix('>') {
                let next = (self.line, name.trim().to_string());
                match header {
                    Some((line, name)) => {
                        self.pending = Some(next);
                        return Some(Self::finish(line, name, body));
                    }
                    None => header = Some(next),
                }
            } else if header.is_some() {
                body.push((self.line, text.to_string()));
            } else {
                // Sequence before any header: report once and skip to the first header.
                let problem = FastaProblem {
                    line: self.line,
                    message: "sequence line before the first `>` header".into(),
                };
                loop {
                    match self.lines.next() {
                        Some(Ok(l)) => {
                            self.line += 1;
                            if let Some(name) = l.trim().strip_prefix('>') {
                                self.pending = Some((self.line, name.trim().to_string()));
                                break;
                            }
                        }
                        _ => {
                            self.done = true;
                            break;
                        }
                    }
                }
                return Some(Err(problem));
            }
        }
    }
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

    #[test]
    fn streaming_reader_reports_bad_records_and_goes_on() {
        let text = "junk\n>a PKI\nLALK\nlagldi*\n>empty\n\n>bad\nLQL1PP\n>rev\nLQLPPLERLTL\n";
        let out: Vec<Result<FastaRecord, FastaProblem>> =
            FastaReader::new(std::io::Cursor::new(text)).collect();
        assert_eq!(out.len(), 5, "{out:?}");
        assert_eq!(out[0].as_ref().unwrap_err().line, 1);
        assert_eq!(out[1].as_ref().unwrap().sequence, "LALKLAGLDI");
        assert_eq!(
            out[2].as_ref().unwrap_err().line,
            5,
            "empty record named by its header line"
        );
        let bad = out[3].as_ref().unwrap_err();
        assert_eq!(bad.line, 8);
        assert!(bad.message.contains("'1'"), "{}", bad.message);
        assert_eq!(out[4].as_ref().unwrap().name, "rev");
    }

    #[test]
    fn sequences_drop_spaces_and_a_stop_and_name_a_bad_character() {
        assert_eq!(clean_sequence("lalk lagldi*\n").unwrap(), "LALKLAGLDI");
        assert_eq!(clean_sequence("MTDVETTYAD FIASGRTGRR").unwrap().len(), 20);
        let err = clean_sequence("LALK1LAGLDI").unwrap_err();
        assert!(err.to_string().contains("'1' at character 5"), "{err}");
        assert!(
            clean_sequence("LAL*KL").is_err(),
            "a stop inside is no residue"
        );
        assert_eq!(clean_sequence(" * "), Err(SequenceError::Empty));
        let recs = parse_fasta(">pki\nLALKL AGLDI\n").unwrap();
        assert_eq!(recs[0].sequence, "LALKLAGLDI");
        let (line, message) = parse_fasta(">a\nLL\n>b\nLQ-LPP\n").unwrap_err();
        assert_eq!(line, 4);
        assert!(message.contains("'-' at column 3"), "{message}");
    }
}
