//! nesbind's own coordinate reader, used when pdbtbx rejects or panics on a file. It reads only what
//! labelling needs (atoms of the first model, first alternate location) and ignores every other
//! record, so header quirks (an unknown space group, odd REMARKs) cannot stop it. Text comes from
//! [`super::formats::decode`]: ASCII, `\n` line endings.

use glam::Vec3;

use super::formats::is_atom_record;
use super::model::{Atom, Chain, Residue};
use super::residue_codes::one_letter;

/// What the reader made of a file.
#[derive(Debug)]
pub(super) struct FallbackRead {
    pub chains: Vec<Chain>,
    /// What was tolerated or left out, for the one warning the file gets.
    pub notes: Vec<String>,
}

#[derive(Debug, PartialEq)]
pub(super) enum FallbackError {
    /// Nothing with coordinates in the file.
    NoAtoms,
    /// A damaged or unreadable part, described with its line.
    Malformed(String),
}

type Result<T> = std::result::Result<T, FallbackError>;

/// "1 atom record", "2 atom records".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn malformed<T>(message: String) -> Result<T> {
    Err(FallbackError::Malformed(message))
}

/// A line quoted in a message: at most 80 characters, in backticks.
fn quote(line: &str) -> String {
    let line = line.trim_end();
    if line.chars().count() > 80 {
        format!("`{}…`", line.chars().take(80).collect::<String>())
    } else {
        format!("`{line}`")
    }
}

/// Builds chains from atoms in file order: a chain id seen again (waters after TER) continues its
/// chain; consecutive atoms with the same residue number, insertion code and name form one residue;
/// the first atom of each name in a residue wins (first alternate location, duplicated lines).
#[derive(Default)]
struct ChainBuilder {
    chains: Vec<Chain>,
    last_chain: usize,
    atoms: usize,
}

struct AtomRecord<'a> {
    chain: &'a str,
    number: i32,
    insertion: Option<&'a str>,
    residue: &'a str,
    atom: Atom,
}

impl ChainBuilder {
    fn push(&mut self, r: AtomRecord<'_>) {
        let chain_index =
            if self.chains.get(self.last_chain).map(|c| c.id.as_str()) == Some(r.chain) {
                self.last_chain
            } else if let Some(i) = self.chains.iter().position(|c| c.id == r.chain) {
                i
            } else {
                self.chains.push(Chain {
                    id: r.chain.to_string(),
                    residues: Vec::new(),
                });
                self.chains.len() - 1
            };
        self.last_chain = chain_index;
        let chain = &mut self.chains[chain_index];
        let same_residue = chain.residues.last().is_some_and(|last| {
            last.number == r.number
                && last.insertion_code.as_deref() == r.insertion
                && last.name == r.residue
        });
        if !same_residue {
            chain.residues.push(Residue {
                number: r.number,
                insertion_code: r.insertion.map(str::to_string),
                name: r.residue.to_string(),
                code: one_letter(r.residue),
                atoms: Vec::new(),
            });
        }
        // The residue was just ensured above, so `last_mut` always finds it.
        if let Some(residue) = chain.residues.last_mut()
            && residue.atoms.iter().all(|a| a.name != r.atom.name)
        {
            residue.atoms.push(r.atom);
            self.atoms += 1;
        }
    }

    fn finish(self, notes: Vec<String>) -> Result<FallbackRead> {
        if self.atoms == 0 {
            return Err(FallbackError::NoAtoms);
        }
        Ok(FallbackRead {
            chains: self.chains,
            notes,
        })
    }
}

/// Element from the atom name when the file has none: its first letter.
fn guess_element(atom_name: &str) -> String {
    atom_name
        .chars()
        .find(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_default()
}

fn element_or_guess(element: &str, atom_name: &str) -> String {
    let e = element.trim();
    if !e.is_empty() && e.chars().all(|c| c.is_ascii_alphabetic()) {
        e.to_ascii_uppercase()
    } else {
        guess_element(atom_name)
    }
}

/// A coordinate that must be a finite number; the message names the line.
fn coordinate(text: &str, axis: char, where_: &str, line_no: usize, line: &str) -> Result<f32> {
    let t = text.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v as f32),
        Ok(_) => malformed(format!(
            "line {line_no}: the {axis} coordinate is '{t}', not a finite number: {}",
            quote(line)
        )),
        Err(_) if t.is_empty() => malformed(format!(
            "line {line_no}: the atom has no {axis} coordinate{where_}: {}",
            quote(line)
        )),
        Err(_) => malformed(format!(
            "line {line_no}: the {axis} coordinate '{t}'{where_} is not a number: {}",
            quote(line)
        )),
    }
}

/// Fixed-column field (1-based, inclusive columns as in the PDB format guide); short lines give "".
fn columns(line: &str, first: usize, last: usize) -> &str {
    let end = last.min(line.len());
    line.get((first - 1).min(end)..end).unwrap_or("")
}

/// PDB ATOM/HETATM records by fixed columns. Lines may end right after z (no occupancy, B-factor,
/// element); columns 67–76 (segment id, junk) are ignored; reading stops at the end of the first
/// model (ENDMDL, or a second MODEL when ENDMDL is missing) or at END.
pub(super) fn read_pdb(text: &str) -> Result<FallbackRead> {
    let mut builder = ChainBuilder::default();
    let mut missing_b = 0usize;
    let mut nameless = 0usize;
    let mut later_models = false;
    let mut first_model_done = false;
    // pdbtbx names blank chains A, B, … Z, A, … starting a new one at each TER; so does this reader.
    let mut blank_chain = b'A';
    let mut blank_chain_id = String::from("A");
    let last_line = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if first_model_done {
            if line.starts_with("MODEL") {
                later_models = true;
                break;
            }
            continue;
        }
        if line.starts_with("MODEL") && builder.atoms > 0 {
            // A second MODEL without ENDMDL before it.
            later_models = true;
            break;
        }
        if line.starts_with("ENDMDL") && builder.atoms > 0 {
            first_model_done = true;
            continue;
        }
        if line.trim_end() == "END" {
            break;
        }
        if line.starts_with("TER") {
            blank_chain = if blank_chain == b'Z' {
                b'A'
            } else {
                blank_chain + 1
            };
            blank_chain_id = (blank_chain as char).to_string();
            continue;
        }
        if !is_atom_record(line) {
            continue;
        }
        if line.len() < 54 {
            if line_no == last_line && !text.ends_with('\n') {
                return malformed(format!(
                    "the file ends in the middle of an atom record (line {line_no}: {}): it was cut short; download it again",
                    quote(line)
                ));
            }
            return malformed(format!(
                "line {line_no}: the atom record ends at column {}, before the end of the z coordinate (column 54): {}",
                line.len(),
                quote(line)
            ));
        }
        let x = coordinate(
            columns(line, 31, 38),
            'x',
            " (columns 31–38)",
            line_no,
            line,
        )?;
        let y = coordinate(
            columns(line, 39, 46),
            'y',
            " (columns 39–46)",
            line_no,
            line,
        )?;
        let z = coordinate(
            columns(line, 47, 54),
            'z',
            " (columns 47–54)",
            line_no,
            line,
        )?;
        let name = columns(line, 13, 16).trim();
        if name.is_empty() {
            nameless += 1;
            continue;
        }
        let number_text = columns(line, 23, 26).trim();
        let Ok(number) = number_text.parse::<i32>() else {
            return malformed(format!(
                "line {line_no}: the residue number '{number_text}' (columns 23–26) is not a number: {}",
                quote(line)
            ));
        };
        let b_text = columns(line, 61, 66).trim();
        let b_factor = match b_text.parse::<f32>() {
            Ok(b) if b.is_finite() => b,
            _ => {
                missing_b += 1;
                0.0
            }
        };
        let chain = columns(line, 22, 22).trim();
        let residue = match columns(line, 18, 21).trim() {
            "" => "UNK",
            r => r,
        };
        let insertion = Some(columns(line, 27, 27).trim()).filter(|s| !s.is_empty());
        builder.push(AtomRecord {
            chain: if chain.is_empty() {
                &blank_chain_id
            } else {
                chain
            },
            number,
            insertion,
            residue,
            atom: Atom {
                name: name.to_string(),
                element: element_or_guess(columns(line, 77, 78), name),
                pos: Vec3::new(x, y, z),
                b_factor,
                hetero: line.starts_with("HETATM"),
            },
        });
    }
    let mut notes = Vec::new();
    if missing_b > 0 {
        notes.push(format!(
            "{} without a B-factor (columns 61–66) read with B = 0",
            count(missing_b, "atom record")
        ));
    }
    if nameless > 0 {
        notes.push(format!(
            "{} without an atom name (columns 13–16) skipped",
            count(nameless, "atom record")
        ));
    }
    if later_models {
        notes.push("models after the first ignored".into());
    }
    builder.finish(notes)
}

/// One CIF token: its text (quotes removed), whether it was quoted, and its line.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    quoted: bool,
    line: usize,
}

impl Token<'_> {
    /// `?` (unknown) and `.` (not applicable) unquoted mean "no value".
    fn value(&self) -> Option<&str> {
        if !self.quoted && (self.text == "?" || self.text == ".") {
            None
        } else {
            Some(self.text)
        }
    }
    fn is_keyword(&self, word: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(word)
    }
    fn starts_keyword(&self, prefix: &str) -> bool {
        !self.quoted
            && self.text.len() >= prefix.len()
            && self.text[..prefix.len()].eq_ignore_ascii_case(prefix)
    }
    /// Ends a loop's values: a tag, `loop_`, or a `data_`/`save_`/`global_`/`stop_` keyword.
    fn ends_values(&self) -> bool {
        !self.quoted
            && (self.text.starts_with('_')
                || self.is_keyword("loop_")
                || self.starts_keyword("data_")
                || self.starts_keyword("save_")
                || self.is_keyword("global_")
                || self.is_keyword("stop_"))
    }
}

/// CIF 1.1 tokens: whitespace-separated words, '…' and "…" (closed by the quote followed by
/// whitespace), `;` text fields, `#` comments.
fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut lines = text.split('\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let line_no = i + 1;
        if let Some(first) = line.strip_prefix(';') {
            // Text field: up to a line that starts with ';'. Its text is not needed, only its place.
            let start = line.as_ptr() as usize - text.as_ptr() as usize + 1;
            let mut end = start + first.len();
            for (_, l) in lines.by_ref() {
                if l.starts_with(';') {
                    break;
                }
                end = l.as_ptr() as usize - text.as_ptr() as usize + l.len();
            }
            tokens.push(Token {
                text: text[start..end.max(start)].trim(),
                quoted: true,
                line: line_no,
            });
            continue;
        }
        let bytes = line.as_bytes();
        let mut p = 0;
        while p < bytes.len() {
            let c = bytes[p];
            if c.is_ascii_whitespace() {
                p += 1;
                continue;
            }
            if c == b'#' {
                break;
            }
            if c == b'\'' || c == b'"' {
                let mut q = p + 1;
                while q < bytes.len()
                    && !(bytes[q] == c
                        && (q + 1 == bytes.len() || bytes[q + 1].is_ascii_whitespace()))
                {
                    q += 1;
                }
                tokens.push(Token {
                    text: &line[p + 1..q.min(bytes.len())],
                    quoted: true,
                    line: line_no,
                });
                p = q + 1;
                continue;
            }
            let start = p;
            while p < bytes.len() && !bytes[p].is_ascii_whitespace() {
                p += 1;
            }
            tokens.push(Token {
                text: &line[start..p],
                quoted: false,
                line: line_no,
            });
        }
    }
    tokens
}

/// The `_atom_site` category of the first data block that has one: lower-case column names
/// (without `_atom_site.`) and the values, row after row.
struct AtomSite<'a> {
    columns: Vec<String>,
    values: Vec<Token<'a>>,
    /// Line of the first tag, for messages.
    line: usize,
}

fn is_atom_site(token: &Token<'_>) -> bool {
    token.starts_keyword("_atom_site.")
}

fn find_atom_site<'a>(tokens: &[Token<'a>]) -> Option<AtomSite<'a>> {
    let mut i = 0;
    // Key-value form (one atom, no loop_): collected in case no loop turns up.
    let mut single: Option<AtomSite<'a>> = None;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.starts_keyword("data_") && single.is_some() {
            break;
        }
        if t.is_keyword("loop_") {
            let mut j = i + 1;
            let tags_start = j;
            while j < tokens.len() && !tokens[j].quoted && tokens[j].text.starts_with('_') {
                j += 1;
            }
            let tags = &tokens[tags_start..j];
            let values_start = j;
            while j < tokens.len() && !tokens[j].ends_values() {
                j += 1;
            }
            if tags.first().is_some_and(is_atom_site) {
                return Some(AtomSite {
                    columns: tags
                        .iter()
                        .map(|t| {
                            t.text["_atom_site.".len().min(t.text.len())..].to_ascii_lowercase()
                        })
                        .collect(),
                    values: tokens[values_start..j].to_vec(),
                    line: tags[0].line,
                });
            }
            i = j;
            continue;
        }
        if is_atom_site(t) {
            let site = single.get_or_insert_with(|| AtomSite {
                columns: Vec::new(),
                values: Vec::new(),
                line: t.line,
            });
            site.columns
                .push(t.text["_atom_site.".len()..].to_ascii_lowercase());
            match tokens.get(i + 1) {
                Some(v) if !v.ends_values() => {
                    site.values.push(*v);
                    i += 2;
                }
                _ => {
                    site.values.push(Token {
                        text: "?",
                        quoted: false,
                        line: t.line,
                    });
                    i += 1;
                }
            }
            continue;
        }
        i += 1;
    }
    single
}

/// Rows that do not line up with the tags: a row boundary falls inside a line while the lines do
/// not hold whole rows (e.g. 21 values under 20 tags), or the last row is short (file cut off).
fn check_shape(site: &AtomSite<'_>, text: &str) -> Result<()> {
    let n = site.columns.len();
    let values = &site.values;
    let line_text = |no: usize| text.lines().nth(no - 1).unwrap_or("");
    let mut per_line: Vec<(usize, usize)> = Vec::new();
    for v in values {
        match per_line.last_mut() {
            Some((line, count)) if *line == v.line => *count += 1,
            _ => per_line.push((v.line, 1)),
        }
    }
    let boundary_mid_line = (n..values.len())
        .step_by(n)
        .any(|i| values[i].line == values[i - 1].line);
    let whole_rows_per_line = per_line.iter().all(|(_, c)| c % n == 0);
    if boundary_mid_line && !whole_rows_per_line {
        let (line, count) = per_line
            .iter()
            .find(|(_, c)| c % n != 0)
            .copied()
            .unwrap_or(per_line[0]);
        return malformed(format!(
            "the _atom_site loop (line {}) is ragged: line {line} has {count} values but the loop has {n} columns: {}",
            site.line,
            quote(line_text(line))
        ));
    }
    let extra = values.len() % n;
    if extra != 0 {
        let last = values[values.len() - 1].line;
        return malformed(format!(
            "the _atom_site loop ends in the middle of a row: its last row (line {last}) has {extra} of {n} values; the file was probably cut short: {}",
            quote(line_text(last))
        ));
    }
    Ok(())
}

/// mmCIF `_atom_site` by column name, in any order. auth_* columns are preferred over label_* ones
/// (auth_asym_id is the chain id users see); B-factor, occupancy, element, ids and model number
/// may be missing; `?` and `.` mean no value.
pub(super) fn read_mmcif(text: &str) -> Result<FallbackRead> {
    let tokens = tokenize(text);
    let Some(site) = find_atom_site(&tokens) else {
        return Err(FallbackError::NoAtoms);
    };
    if site.values.is_empty() {
        return Err(FallbackError::NoAtoms);
    }
    check_shape(&site, text)?;
    let col = |name: &str| site.columns.iter().position(|c| c == name);
    let either = |a: &str, b: &str| (col(a), col(b));
    let (Some(cx), Some(cy), Some(cz)) = (col("cartn_x"), col("cartn_y"), col("cartn_z")) else {
        let missing: Vec<&str> = ["Cartn_x", "Cartn_y", "Cartn_z"]
            .into_iter()
            .filter(|c| col(&c.to_ascii_lowercase()).is_none())
            .collect();
        return malformed(format!(
            "the _atom_site loop (line {}) has no {} column, so the atoms have no position",
            site.line,
            missing.join(", ")
        ));
    };
    let atom_name = either("auth_atom_id", "label_atom_id");
    if atom_name == (None, None) {
        return malformed(format!(
            "the _atom_site loop (line {}) has neither an auth_atom_id nor a label_atom_id column, so the atoms have no names",
            site.line
        ));
    }
    let seq = either("auth_seq_id", "label_seq_id");
    if seq == (None, None) {
        return malformed(format!(
            "the _atom_site loop (line {}) has neither an auth_seq_id nor a label_seq_id column, so residues have no numbers",
            site.line
        ));
    }
    let chain_col = either("auth_asym_id", "label_asym_id");
    let comp = either("auth_comp_id", "label_comp_id");
    // No alternate-location column is needed: the first atom of each name in a residue wins.
    let (group, element, ins, b_col, model) = (
        col("group_pdb"),
        col("type_symbol"),
        col("pdbx_pdb_ins_code"),
        col("b_iso_or_equiv"),
        col("pdbx_pdb_model_num"),
    );

    let lines: Vec<&str> = text.lines().collect();
    let line_text = |no: usize| lines.get(no - 1).copied().unwrap_or("");
    let mut builder = ChainBuilder::default();
    let mut first_model: Option<&str> = None;
    let mut later_models = false;
    let mut no_position = 0usize;
    for row in site.values.chunks_exact(site.columns.len()) {
        let get = |c: Option<usize>| c.and_then(|c| row[c].value());
        let prefer = |(a, b): (Option<usize>, Option<usize>)| get(a).or_else(|| get(b));
        let line_no = row[0].line;
        if let Some(m) = get(model) {
            match first_model {
                None => first_model = Some(m),
                Some(first) if first != m => {
                    later_models = true;
                    continue;
                }
                Some(_) => {}
            }
        }
        let (Some(x), Some(y), Some(z)) = (get(Some(cx)), get(Some(cy)), get(Some(cz))) else {
            no_position += 1;
            continue;
        };
        let line = line_text(row[cx].line);
        let x = coordinate(x, 'x', "", row[cx].line, line)?;
        let y = coordinate(y, 'y', "", row[cy].line, line_text(row[cy].line))?;
        let z = coordinate(z, 'z', "", row[cz].line, line_text(row[cz].line))?;
        let Some(name) = prefer(atom_name) else {
            return malformed(format!(
                "line {line_no}: the atom has no name (auth_atom_id, label_atom_id): {}",
                quote(line_text(line_no))
            ));
        };
        let Some(number_text) = prefer(seq) else {
            return malformed(format!(
                "line {line_no}: the atom has no residue number (auth_seq_id, label_seq_id): {}",
                quote(line_text(line_no))
            ));
        };
        let Ok(number) = number_text.parse::<i32>() else {
            return malformed(format!(
                "line {line_no}: the residue number '{number_text}' is not a number: {}",
                quote(line_text(line_no))
            ));
        };
        let b_factor = get(b_col)
            .and_then(|b| b.parse::<f32>().ok())
            .filter(|b| b.is_finite())
            .unwrap_or(0.0);
        builder.push(AtomRecord {
            chain: prefer(chain_col).unwrap_or("A"),
            number,
            insertion: get(ins),
            residue: prefer(comp).unwrap_or("UNK"),
            atom: Atom {
                name: name.to_string(),
                element: element_or_guess(get(element).unwrap_or(""), name),
                pos: Vec3::new(x, y, z),
                b_factor,
                hetero: get(group).is_some_and(|g| g.eq_ignore_ascii_case("HETATM")),
            },
        });
    }
    let mut notes = Vec::new();
    if b_col.is_none() {
        notes.push("no B_iso_or_equiv column; B-factors read as 0".into());
    }
    if chain_col == (None, None) {
        notes.push("no auth_asym_id or label_asym_id column; all atoms put in chain A".into());
    }
    if no_position > 0 {
        notes.push(format!(
            "{} without coordinates ('?' or '.') skipped",
            count(no_position, "atom")
        ));
    }
    if later_models {
        notes.push("models after the first ignored".into());
    }
    builder.finish(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATOM_N: &str =
        "ATOM      1  N   MET A   1      27.340  24.430   2.614  1.00  9.67           N";
    const ATOM_CA: &str =
        "ATOM      2  CA  MET A   1      26.266  25.413   2.842  1.00 10.38           C";

    fn malformed_message(r: Result<FallbackRead>) -> String {
        match r {
            Err(FallbackError::Malformed(m)) => m,
            other => panic!("expected a malformed-file error, got {other:?}"),
        }
    }

    #[test]
    fn pdb_lines_that_end_after_z_read_with_zero_b() {
        let text = format!("{}\n{}\n", &ATOM_N[..54], &ATOM_CA[..54]);
        let r = read_pdb(&text).unwrap();
        let res = &r.chains[0].residues[0];
        assert_eq!(res.atoms.len(), 2);
        assert_eq!(
            res.atom("CA").unwrap().element,
            "C",
            "guessed from the name"
        );
        assert_eq!(res.atom("CA").unwrap().b_factor, 0.0);
        assert!(
            r.notes[0].contains("2 atom records without a B-factor"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn pdb_segment_ids_junk_and_lowercase_names() {
        let seg = format!("{}PROT{}", &ATOM_N[..72], &ATOM_N[76..]);
        let junk = format!("{}  xyz!{}", &ATOM_CA[..66], &ATOM_CA[72..]).replace(" CA ", " ca ");
        let r = read_pdb(&format!("{seg}\n{junk}\n")).unwrap();
        let names: Vec<&str> = r.chains[0].residues[0]
            .atoms
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["N", "ca"],
            "names are kept; load.rs upper-cases lowercase ones"
        );
        assert_eq!(r.chains[0].id, "A");
    }

    #[test]
    fn pdb_first_model_and_first_altloc_only() {
        let alt_a = ATOM_CA.replacen("  CA  MET", "  CA AMET", 1);
        let alt_b = ATOM_CA
            .replacen("  CA  MET", "  CA BMET", 1)
            .replacen("26.266", "99.000", 1);
        let text = format!(
            "MODEL        1\n{ATOM_N}\n{alt_a}\n{alt_b}\nENDMDL\nMODEL        2\n{ATOM_N}\nENDMDL\n"
        );
        let r = read_pdb(&text).unwrap();
        let atoms = &r.chains[0].residues[0].atoms;
        assert_eq!(atoms.len(), 2);
        assert!((atoms[1].pos.x - 26.266).abs() < 1e-3);
        assert_eq!(r.notes, ["models after the first ignored"]);
        // MODEL without ENDMDL: the second MODEL ends the first.
        let r = read_pdb(&format!("MODEL 0\n{ATOM_N}\nMODEL 1\n{ATOM_CA}\n")).unwrap();
        assert_eq!(r.chains[0].residues[0].atoms.len(), 1);
    }

    #[test]
    fn pdb_nan_and_inf_coordinates_name_the_line() {
        let nan = ATOM_CA.replacen("  26.266", "     nan", 1);
        let m = malformed_message(read_pdb(&format!("{ATOM_N}\n{nan}\n")));
        assert!(
            m.contains("line 2") && m.contains("'nan'") && m.contains("CA  MET"),
            "{m}"
        );
        let inf = ATOM_CA.replacen("   2.842", "     inf", 1);
        let m = malformed_message(read_pdb(&format!("{inf}\n")));
        assert!(
            m.contains("line 1") && m.contains("z coordinate is 'inf'"),
            "{m}"
        );
    }

    #[test]
    fn pdb_cut_off_inside_a_record_is_reported() {
        let m = malformed_message(read_pdb(&format!("{ATOM_N}\n{}", &ATOM_CA[..34])));
        assert!(
            m.contains("ends in the middle of an atom record (line 2"),
            "{m}"
        );
        let m = malformed_message(read_pdb(&format!("{}\n{ATOM_N}\n", &ATOM_CA[..34])));
        assert!(
            m.contains("line 1") && m.contains("before the end of the z"),
            "{m}"
        );
        assert_eq!(
            read_pdb("HEADER x\nREMARK y\n").unwrap_err(),
            FallbackError::NoAtoms
        );
    }

    #[test]
    fn mmcif_columns_in_any_order_with_unknowns_and_quotes() {
        let text = "data_x\n#\nloop_\n\
            _atom_site.Cartn_z\n_atom_site.label_asym_id\n_atom_site.auth_asym_id\n\
            _atom_site.label_atom_id\n_atom_site.auth_seq_id\n_atom_site.label_seq_id\n\
            _atom_site.Cartn_x\n_atom_site.label_comp_id\n_atom_site.Cartn_y\n_atom_site.group_PDB\n\
            2.614 A B N ? 1 27.340 MET 24.430 ATOM\n\
            2.842 A B \"CA\" ? 1 26.266 MET 25.413 ATOM\n\
            3.000 C ? 'O5'' 7 . 1.0 HOH 2.0 HETATM\n\
            # comment\n";
        let r = read_mmcif(text).unwrap();
        let ids: Vec<&str> = r.chains.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["B", "C"],
            "auth_asym_id first, label_asym_id when auth is '?'"
        );
        let met = &r.chains[0].residues[0];
        assert_eq!((met.number, met.name.as_str(), met.code), (1, "MET", 'M'));
        let ca = met.ca().unwrap();
        assert_eq!(ca.pos, Vec3::new(26.266, 25.413, 2.842));
        assert_eq!((ca.element.as_str(), ca.b_factor), ("C", 0.0));
        let water = &r.chains[1].residues[0];
        assert_eq!((water.number, water.atoms[0].name.as_str()), (7, "O5'"));
        assert!(water.atoms[0].hetero);
        assert!(r.notes[0].contains("no B_iso_or_equiv"), "{:?}", r.notes);
    }

    fn small_cif(rows: &str) -> String {
        format!(
            "data_x\nloop_\n_atom_site.group_PDB\n_atom_site.label_atom_id\n_atom_site.label_comp_id\n\
             _atom_site.label_asym_id\n_atom_site.label_seq_id\n_atom_site.Cartn_x\n\
             _atom_site.Cartn_y\n_atom_site.Cartn_z\n_atom_site.pdbx_PDB_model_num\n{rows}"
        )
    }

    #[test]
    fn mmcif_ragged_and_cut_rows_are_reported() {
        let ragged =
            small_cif("ATOM N MET A 1 1.0 2.0 3.0 1 9.9\nATOM CA MET A 1 1.5 2.5 3.5 1 9.9\n");
        let m = malformed_message(read_mmcif(&ragged));
        assert!(
            m.contains("ragged") && m.contains("10 values") && m.contains("9 columns"),
            "{m}"
        );
        let cut = small_cif("ATOM N MET A 1 1.0 2.0 3.0 1\nATOM CA MET A 1 1.5");
        let m = malformed_message(read_mmcif(&cut));
        assert!(m.contains("middle of a row") && m.contains("6 of 9"), "{m}");
        // A row wrapped over two lines is fine.
        let wrapped = small_cif("ATOM N MET A 1\n1.0 2.0 3.0 1\nATOM CA MET A 1\n1.5 2.5 3.5 1\n");
        assert_eq!(
            read_mmcif(&wrapped).unwrap().chains[0].residues[0]
                .atoms
                .len(),
            2
        );
    }

    #[test]
    fn mmcif_models_missing_columns_and_bad_numbers() {
        let two_models = small_cif("ATOM N MET A 1 1.0 2.0 3.0 1\nATOM N MET A 1 9.0 9.0 9.0 2\n");
        let r = read_mmcif(&two_models).unwrap();
        assert_eq!(
            r.chains[0].residues[0].atoms[0].pos,
            Vec3::new(1.0, 2.0, 3.0)
        );
        assert!(r.notes.iter().any(|n| n.contains("models after the first")));
        let no_z = small_cif("ATOM N MET A 1 1.0 2.0 3.0 1\n")
            .replace("_atom_site.Cartn_z\n", "")
            .replace(" 3.0 1", " 1");
        let m = malformed_message(read_mmcif(&no_z));
        assert!(m.contains("no Cartn_z column"), "{m}");
        let nan = small_cif("ATOM N MET A 1 1.0 NaN 3.0 1\n");
        let m = malformed_message(read_mmcif(&nan));
        assert!(
            m.contains("line 12") && m.contains("y coordinate is 'NaN'"),
            "{m}"
        );
        let unknown = small_cif("ATOM N MET A 1 ? ? ? 1\nATOM CA MET A 1 1 2 3 1\n");
        let r = read_mmcif(&unknown).unwrap();
        assert_eq!(r.chains[0].residues[0].atoms.len(), 1);
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("1 atom without coordinates"))
        );
    }

    #[test]
    fn mmcif_key_value_form_and_text_fields() {
        let text = "data_x\n_struct.title\n;A title\nover lines\n;\n\
            _atom_site.label_atom_id CA\n_atom_site.label_comp_id GLY\n_atom_site.label_asym_id A\n\
            _atom_site.label_seq_id 5\n_atom_site.Cartn_x 1\n_atom_site.Cartn_y 2\n_atom_site.Cartn_z 3\n";
        let r = read_mmcif(text).unwrap();
        assert_eq!(r.chains[0].residues[0].number, 5);
        assert_eq!(
            r.chains[0].residues[0].atoms[0].pos,
            Vec3::new(1.0, 2.0, 3.0)
        );
    }
}
