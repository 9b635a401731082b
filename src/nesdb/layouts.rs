use std::path::Path;

use super::{ModelRef, NesEntry, NesRange, NesTable, SkippedRow};

#[derive(Debug, Clone, Copy)]
enum Layout {
    Combined,
    Course,
    Positive,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Combined => "NESdb combined (start/end)",
            Layout::Course => "NESdb course table (ranges)",
            Layout::Positive => "NES-positive sequences (start#)",
        }
    }
}

struct Columns {
    headers: Vec<String>,
}

impl Columns {
    fn find(&self, names: &[&str]) -> Option<usize> {
        // Names in order of preference.
        names.iter().find_map(|n| {
            self.headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n))
        })
    }
    fn need(&self, names: &[&str]) -> Result<usize, String> {
        self.find(names)
            .ok_or_else(|| format!("no column named '{}'", names[0]))
    }
}

fn detect(columns: &Columns) -> Result<Layout, String> {
    if columns.find(&["true_sequence"]).is_some() && columns.find(&["start"]).is_some() {
        Ok(Layout::Combined)
    } else if columns
        .find(&["All ranges", "Functional Export Signals"])
        .is_some()
    {
        Ok(Layout::Course)
    } else if columns.find(&["start#"]).is_some() && columns.find(&["NES sequence"]).is_some() {
        Ok(Layout::Positive)
    } else {
        Err(format!(
            "not a known NES table (header: {}); expected NESdb columns such as \
             'true_sequence,start,end,Sequence' or 'ID,…,Sequence,All ranges' or 'start#,NES sequence,full sequence'",
            columns.headers.join(",")
        ))
    }
}

pub(super) fn parse(path: &Path, text: &str) -> Result<NesTable, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?;
    let columns = Columns {
        headers: headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect(),
    };
    let layout = detect(&columns)?;
    let mut table = NesTable {
        path: path.to_path_buf(),
        layout: layout.name().to_string(),
        entries: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position().map(|p| p.line() as usize))
            .unwrap_or(i + 2);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                table.skipped.push(SkippedRow {
                    line,
                    reason: format!("unreadable CSV row: {e}"),
                });
                continue;
            }
        };
        let get = |c: usize| record.get(c).unwrap_or("").trim();
        let parsed = match layout {
            Layout::Combined => combined_row(&columns, &get, line),
            Layout::Course => course_row(&columns, &get, line),
            Layout::Positive => positive_row(&columns, &get, line),
        };
        match parsed {
            Ok((entry, warnings)) => {
                table.warnings.extend(
                    warnings
                        .into_iter()
                        .map(|reason| SkippedRow { line, reason }),
                );
                table.entries.push(entry);
            }
            Err(reason) => table.skipped.push(SkippedRow { line, reason }),
        }
    }
    Ok(table)
}

type Row<'a> = dyn Fn(usize) -> &'a str + 'a;

fn clean_sequence(raw: &str, field: &str) -> Result<String, String> {
    let seq: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if seq.is_empty() {
        return Err(format!("field '{field}' is empty"));
    }
    if let Some(bad) = seq.chars().find(|c| !c.is_ascii_alphabetic()) {
        return Err(format!(
            "field '{field}' has '{bad}', not an amino-acid letter"
        ));
    }
    Ok(seq)
}

fn parse_position(raw: &str, field: &str) -> Result<usize, String> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| *v >= 1.0 && v.fract() == 0.0)
        .map(|v| v as usize)
        .ok_or_else(|| format!("field '{field}' is '{raw}', not a residue position"))
}

/// Checks that the peptide sits where the table says; if it does not but occurs exactly once
/// elsewhere in the protein, uses that position and says so.
fn place_peptide(
    sequence: &str,
    start: usize,
    peptide: &str,
) -> Result<(NesRange, Option<String>), String> {
    // NESdb pads NESs that run off a protein end with X ("XMEELSQ…", "…RALXX").
    let core = peptide.trim_matches('X');
    if core.len() != peptide.len() && !core.is_empty() {
        let lead = peptide.len() - peptide.trim_start_matches('X').len();
        let (range, _) = place_peptide(sequence, start.saturating_add(lead), core)?;
        let note = format!("NES {peptide}: X padding beyond the protein end removed");
        return Ok((range, Some(note)));
    }
    // A start past any protein (a corrupt field) is looked for elsewhere like any misplaced NES.
    let end = start.saturating_add(peptide.len()).saturating_sub(1);
    if sequence.get(start.saturating_sub(1)..end) == Some(peptide) {
        return Ok((
            NesRange {
                start,
                end,
                peptide: peptide.to_string(),
            },
            None,
        ));
    }
    let hits: Vec<usize> = sequence
        .match_indices(peptide)
        .map(|(i, _)| i + 1)
        .collect();
    match hits.as_slice() {
        [only] => Ok((
            NesRange {
                start: *only,
                end: only + peptide.len() - 1,
                peptide: peptide.to_string(),
            },
            Some(format!(
                "NES {peptide} is at {only}, not at {start} as given; used {only}"
            )),
        )),
        [] => Err(format!(
            "NES {peptide} does not occur in the protein sequence"
        )),
        _ => Err(format!(
            "NES {peptide} is not at {start} and occurs {} times elsewhere",
            hits.len()
        )),
    }
}

fn range_from_bounds(sequence: &str, start: usize, end: usize) -> Result<NesRange, String> {
    if end < start {
        return Err(format!("NES range {start}-{end} ends before it starts"));
    }
    if end > sequence.len() {
        return Err(format!(
            "NES range {start}-{end} runs past the protein's end ({} residues)",
            sequence.len()
        ));
    }
    Ok(NesRange {
        start,
        end,
        peptide: sequence[start - 1..end].to_string(),
    })
}

fn optional(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn combined_row(c: &Columns, get: &Row, line: usize) -> Result<(NesEntry, Vec<String>), String> {
    let sequence = clean_sequence(get(c.need(&["Sequence"])?), "Sequence")?;
    let peptide = clean_sequence(get(c.need(&["true_sequence"])?), "true_sequence")?;
    let start = parse_position(get(c.need(&["start"])?), "start")?;
    let (range, warning) = place_peptide(&sequence, start, &peptide)?;
    let name = get(c.need(&["name"])?).to_string();
    let id = c
        .find(&["NESdb_ID"])
        .map(get)
        .filter(|s| !s.is_empty())
        .unwrap_or(&name)
        .to_string();
    Ok((
        NesEntry {
            id,
            protein: name,
            uniprot: c.find(&["uniprotID"]).map(get).and_then(optional),
            organism: None,
            sequence,
            nes: vec![range],
            line,
            mutations: Vec::new(),
            signals: Vec::new(),
            model: None,
        },
        warning.into_iter().collect(),
    ))
}

fn positive_row(c: &Columns, get: &Row, line: usize) -> Result<(NesEntry, Vec<String>), String> {
    let sequence = clean_sequence(get(c.need(&["full sequence"])?), "full sequence")?;
    let peptide = clean_sequence(get(c.need(&["NES sequence"])?), "NES sequence")?;
    let start = parse_position(get(c.need(&["start#"])?), "start#")?;
    let (range, warning) = place_peptide(&sequence, start, &peptide)?;
    let name = get(c.need(&["name"])?).to_string();
    Ok((
        NesEntry {
            id: format!("{name}:{}", range.start),
            protein: name,
            uniprot: c.find(&["uniprotID"]).map(get).and_then(optional),
            organism: c.find(&["species"]).map(get).and_then(optional),
            sequence,
            nes: vec![range],
            line,
            mutations: Vec::new(),
            signals: Vec::new(),
            model: None,
        },
        warning.into_iter().collect(),
    ))
}

/// Ranges written as `['405-413', '400-415']` (Python list syntax in the course table).
fn parse_ranges(raw: &str) -> Result<Vec<(usize, usize)>, String> {
    let mut out = Vec::new();
    for part in raw.split(',') {
        let t = part.trim().trim_matches(|ch: char| "[]'\" ()".contains(ch));
        if t.is_empty() {
            continue;
        }
        let (a, b) = t
            .split_once('-')
            .ok_or_else(|| format!("range '{t}' is not START-END"))?;
        let a = parse_position(a, "range start")?;
        let b = parse_position(b, "range end")?;
        if !out.contains(&(a, b)) {
            out.push((a, b));
        }
    }
    Ok(out)
}

fn course_row(c: &Columns, get: &Row, line: usize) -> Result<(NesEntry, Vec<String>), String> {
    let sequence = clean_sequence(get(c.need(&["Sequence"])?), "Sequence")?;
    let ranges_field = c.need(&["All ranges", "Functional Export Signals"])?;
    let ranges = parse_ranges(get(ranges_field))?;
    if ranges.is_empty() {
        return Err("no NES range given".into());
    }
    let nes = ranges
        .iter()
        .map(|&(a, b)| range_from_bounds(&sequence, a, b))
        .collect::<Result<Vec<_>, _>>()?;
    let raw_id = get(c.need(&["ID"])?);
    // "ATF-2 (NES ID: 208)" → id 208, protein ATF-2.
    let (protein, id) = match raw_id.rsplit_once("(NES ID:") {
        Some((name, rest)) => (
            name.trim().to_string(),
            rest.trim_end_matches(')').trim().to_string(),
        ),
        None => (raw_id.to_string(), raw_id.to_string()),
    };
    let mut mutations = Vec::new();
    let mut warnings = Vec::new();
    for column in [
        "Mutations That Affect Nuclear Export",
        "Mutations That Affect CRM1 Binding",
    ] {
        if let Some(col) = c.find(&[column]) {
            for r in parse_ranges(get(col)).map_err(|e| format!("{column}: {e}"))? {
                if r.1 > sequence.chars().count() || r.0 == 0 || r.0 > r.1 {
                    warnings.push(format!(
                        "{column}: range {}-{} lies outside the {}-residue sequence; ignored",
                        r.0,
                        r.1,
                        sequence.chars().count()
                    ));
                } else if !mutations.contains(&r) {
                    mutations.push(r);
                }
            }
        }
    }
    let n = sequence.chars().count();
    let signals: Vec<(usize, usize)> = match c.find(&["Functional Export Signals"]) {
        Some(col) => parse_ranges(get(col))
            .map_err(|e| format!("Functional Export Signals: {e}"))?
            .into_iter()
            .filter(|(a, b)| *a >= 1 && a <= b && *b <= n)
            .collect(),
        None => Vec::new(),
    };
    let field = |name: &str| c.find(&[name]).map(get).and_then(optional);
    let model = match (
        field("CRM1_hash"),
        field("Peptide_hash"),
        field("Peptide_sequence"),
    ) {
        (Some(crm1_hash), Some(peptide_hash), Some(peptide)) => Some(ModelRef {
            crm1_hash,
            peptide_hash,
            peptide: peptide.to_ascii_uppercase(),
        }),
        _ => None,
    };
    let uniprot = c.find(&["Fasta Header"]).map(get).and_then(|h| {
        h.split('|')
            .nth(3)
            .map(|acc| acc.split('.').next().unwrap_or(acc).to_string())
    });
    Ok((
        NesEntry {
            id,
            protein,
            uniprot,
            organism: c.find(&["Organism"]).map(get).and_then(optional),
            sequence,
            nes,
            line,
            mutations,
            signals,
            model,
        },
        warnings,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_range_lists_parse() {
        assert_eq!(
            parse_ranges("['405-413', '400-415']").unwrap(),
            vec![(405, 413), (400, 415)]
        );
        assert_eq!(parse_ranges("[]").unwrap(), vec![]);
        assert!(parse_ranges("['12']").is_err());
    }

    #[test]
    fn misplaced_peptides_are_found_or_rejected() {
        let seq = "MKTAYLALKLAGLDIQRS";
        let (r, w) = place_peptide(seq, 6, "LALKLAGLDI").unwrap();
        assert_eq!((r.start, r.end, w), (6, 15, None));
        let (r, w) = place_peptide(seq, 2, "LALKLAGLDI").unwrap();
        assert_eq!(r.start, 6);
        assert!(w.is_some());
        assert!(place_peptide(seq, 2, "WWWW").is_err());
        let (r, w) = place_peptide("MEELSQALAS", 1, "XMEELSQ").unwrap();
        assert_eq!((r.start, r.end, r.peptide.as_str()), (1, 6, "MEELSQ"));
        assert!(w.is_some());
    }
}
