//! From file bytes to coordinate text: gzip layers, byte-order marks, line endings, Latin-1, and
//! a clear refusal (naming the format and what to do) for files that are not PDB or mmCIF.

use std::io::Read;
use std::path::Path;

use super::load::StructureFormat;

/// The text a reader gets: ASCII only, `\n` line endings, plus what decoding had to do.
#[derive(Debug)]
pub(super) struct Decoded {
    pub text: String,
    /// Said once per file in `Structure::warnings` (e.g. a gzip inside a gzip).
    pub notes: Vec<String>,
}

/// Why a file is not read.
#[derive(Debug, PartialEq)]
pub(super) enum Refusal {
    /// A known format nesbind does not read: `format` names it, `advice` says what to do.
    Unsupported { format: String, advice: String },
    /// Damaged or unreadable data (empty, cut-off gzip, binary junk).
    Damaged(String),
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Gzip layers unpacked before giving up (a download tool gzipping twice is real; ten times is not).
const MAX_GZIP_LAYERS: usize = 4;

fn unsupported(format: &str, advice: &str) -> Refusal {
    Refusal::Unsupported {
        format: format.to_string(),
        advice: advice.to_string(),
    }
}

/// Unpacks gzip (also gzip of gzip and multi-member gzip) and decodes the text.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Damaged("the file is empty".into()));
    }
    let mut notes = Vec::new();
    let mut raw: Vec<u8> = Vec::new();
    let mut layers = 0;
    let mut current: &[u8] = bytes;
    while current.starts_with(&GZIP_MAGIC) {
        if layers == MAX_GZIP_LAYERS {
            return Err(Refusal::Damaged(format!(
                "still gzip data after unpacking {MAX_GZIP_LAYERS} gzip layers"
            )));
        }
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(current)
            .read_to_end(&mut out)
            .map_err(|e| {
                Refusal::Damaged(format!(
                    "the gzip data is damaged or cut short ({e}); download the file again"
                ))
            })?;
        raw = out;
        current = &raw;
        layers += 1;
    }
    if layers > 1 {
        notes.push(format!(
            "the file was gzip-compressed {layers} times; all layers were unpacked"
        ));
    }
    let data: &[u8] = if layers == 0 { bytes } else { &raw };
    if data.is_empty() {
        return Err(Refusal::Damaged(
            "the file is empty once gzip is unpacked".into(),
        ));
    }
    if let Some(refusal) = sniff_binary(data) {
        return Err(refusal);
    }
    let data = data.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(data);
    let text = match std::str::from_utf8(data) {
        Ok(s) => s.to_string(),
        Err(_) => {
            // Old PDB files carry Latin-1 in REMARKs; coordinates are ASCII either way.
            if data.iter().filter(|b| **b >= 0x80).count() * 20 < data.len() {
                data.iter().map(|&b| b as char).collect()
            } else {
                return Err(Refusal::Damaged(
                    "binary data, not a PDB or mmCIF text file".into(),
                ));
            }
        }
    };
    Ok(Decoded {
        text: normalize(text),
        notes,
    })
}

/// `\r\n` and lone `\r` become `\n`; every non-ASCII character becomes one `?`, so fixed PDB
/// columns stay where they are and no reader slices inside a multi-byte character.
fn normalize(text: String) -> String {
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    };
    if text.is_ascii() {
        text
    } else {
        text.chars()
            .map(|c| if c.is_ascii() { c } else { '?' })
            .collect()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Binary formats recognised by their first bytes, before any text decoding.
fn sniff_binary(data: &[u8]) -> Option<Refusal> {
    const DOWNLOAD_MMCIF: &str = "download the entry as mmCIF (.cif) or PDB (.pdb) instead, e.g. from files.rcsb.org/download/<ID>.cif";
    if data.starts_with(b"BZh") {
        return Some(unsupported(
            "a bzip2-compressed file",
            "unpack it first (bunzip2); nesbind unpacks gzip only",
        ));
    }
    if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Some(unsupported(
            "an xz-compressed file",
            "unpack it first (unxz); nesbind unpacks gzip only",
        ));
    }
    if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some(unsupported(
            "a zstd-compressed file",
            "unpack it first (unzstd); nesbind unpacks gzip only",
        ));
    }
    if data.starts_with(b"PK\x03\x04") {
        return Some(unsupported(
            "a ZIP archive",
            "unzip it and open the .pdb or .cif files inside",
        ));
    }
    if data.starts_with(&[0xff, 0xfe]) || data.starts_with(&[0xfe, 0xff]) {
        return Some(unsupported(
            "UTF-16 text",
            "save it again as plain text (ASCII or UTF-8)",
        ));
    }
    if data.starts_with(b"MTZ ") {
        return Some(unsupported(
            "an MTZ reflection file (diffraction data, no atoms)",
            "open the model coordinates (PDB or mmCIF) instead",
        ));
    }
    if data.len() >= 1024 && &data[208..212] == b"MAP " {
        return Some(unsupported(
            "a CCP4/MRC density map (a grid of density values, no atoms)",
            "open the atomic model fitted into the map (PDB or mmCIF) instead",
        ));
    }
    // MessagePack maps (fixmap 0x80–0x8f, map16, map32) carry their keys as plain strings.
    let msgpack_map = matches!(data[0], 0x80..=0x8f | 0xde | 0xdf);
    if msgpack_map && (contains(data, b"mmtfVersion") || contains(data, b"xCoordList")) {
        return Some(unsupported(
            "an MMTF file (binary MessagePack), which nesbind does not read",
            DOWNLOAD_MMCIF,
        ));
    }
    if msgpack_map && contains(data, b"dataBlocks") {
        return Some(unsupported(
            "a BinaryCIF file (binary MessagePack), which nesbind does not read",
            DOWNLOAD_MMCIF,
        ));
    }
    if data.contains(&0) {
        return Some(Refusal::Damaged(
            "binary data, not a PDB or mmCIF text file".into(),
        ));
    }
    None
}

/// Is this line a PDB coordinate record? `ATOM  `/`HETATM`, also `ATOM123456` when serial
/// numbers overflow into the gap.
pub(super) fn is_atom_record(line: &str) -> bool {
    let b = line.as_bytes();
    if line.starts_with("HETATM") {
        return true;
    }
    b.len() >= 6
        && line.starts_with("ATOM")
        && b[4..6].iter().all(|c| *c == b' ' || c.is_ascii_digit())
}

fn is_atom_site_tag(line: &str) -> bool {
    let t = line.trim_start().as_bytes();
    t.len() > 11 && t[..11].eq_ignore_ascii_case(b"_atom_site.")
}

/// Which reader gets the text, from the content (never the extension, except `.pqr`); or why none.
pub(super) fn sniff(text: &str, path: &Path) -> Result<StructureFormat, Refusal> {
    let mut has_pdb_records = false;
    for line in text.lines() {
        if is_atom_site_tag(line) {
            return Ok(StructureFormat::Mmcif);
        }
        if !has_pdb_records && is_atom_record(line) {
            has_pdb_records = true;
        }
    }
    if has_pdb_records {
        if looks_pqr(text, path) {
            return Err(unsupported(
                "a PQR file (charges and radii in place of occupancy and B-factor), which nesbind does not read",
                "open the PDB or mmCIF file it was made from (pdb2pqr's input) instead",
            ));
        }
        return Ok(StructureFormat::Pdb);
    }
    Err(refuse_text(text))
}

fn looks_pqr(text: &str, path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".pqr")
        || name.ends_with(".pqr.gz")
        || text
            .lines()
            .take(50)
            .filter(|l| l.starts_with("REMARK"))
            .any(|l| l.to_ascii_uppercase().contains("PQR"))
}

/// Text that has neither PDB atom records nor an `_atom_site` loop: say what it is.
fn refuse_text(text: &str) -> Refusal {
    let head: String = text
        .trim_start()
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with('{') && head.contains("\"data_") {
        return unsupported(
            "an mmJSON file, which nesbind does not read",
            "convert it to mmCIF, e.g. with `gemmi json2cif`, or download the entry as mmCIF",
        );
    }
    if head.starts_with('<') && (head.contains("<html") || head.contains("<!doctype html")) {
        return unsupported(
            "an HTML web page (often a server's error page saved under the structure's name)",
            "download the structure file again, and check that the address points to a .pdb or .cif file",
        );
    }
    if head.starts_with("<?xml") || head.starts_with('<') {
        return unsupported(
            "an XML file (PDBML?), which nesbind does not read",
            "download the entry as mmCIF (.cif) or PDB (.pdb) instead",
        );
    }
    if head.starts_with('>') {
        return unsupported(
            "a FASTA sequence file (no 3D coordinates)",
            "open a structure (PDB or mmCIF) of the complex",
        );
    }
    let lower = text.to_ascii_lowercase();
    let cif = lower.lines().any(|l| l.starts_with("data_"));
    if cif && lower.contains("_refln.") {
        return unsupported(
            "a structure-factor mmCIF (reflections in _refln, no atoms)",
            "download the model coordinates (e.g. <ID>.cif, not <ID>-sf.cif)",
        );
    }
    if cif && lower.contains("_chem_comp_atom.") {
        return unsupported(
            "a chemical-component CIF (one ligand's dictionary entry, _chem_comp_atom, no _atom_site)",
            "open the structure of the complex (PDB or mmCIF) instead",
        );
    }
    if cif {
        return unsupported(
            "a CIF file without atom coordinates (no _atom_site loop)",
            "open the model coordinates (PDB or mmCIF) instead",
        );
    }
    let pdb_header = text.lines().any(|l| {
        ["HEADER", "COMPND", "SEQRES", "REMARK", "CRYST1"]
            .iter()
            .any(|r| l.starts_with(r))
    });
    if pdb_header {
        return unsupported(
            "a PDB file without coordinates (header records, no ATOM/HETATM records)",
            "download the full entry again",
        );
    }
    unsupported(
        "plain text, neither PDB (no ATOM/HETATM records) nor mmCIF (no _atom_site loop)",
        "open a PDB or mmCIF structure file",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn format_of(refusal: Refusal) -> String {
        match refusal {
            Refusal::Unsupported { format, .. } => format,
            Refusal::Damaged(m) => panic!("damaged, not unsupported: {m}"),
        }
    }

    #[test]
    fn line_endings_bom_and_latin1_become_plain_ascii_lines() {
        let d = decode(b"\xef\xbb\xbfHEADER x\rREMARK caf\xe9\r\nATOM\n").unwrap();
        assert_eq!(d.text, "HEADER x\nREMARK caf?\nATOM\n");
        let d = decode("REMARK Müller\n".as_bytes()).unwrap();
        assert_eq!(
            d.text, "REMARK M?ller\n",
            "one ? per character keeps columns"
        );
    }

    #[test]
    fn gzip_layers_and_members_are_unpacked() {
        let text = b"ATOM  line one\nATOM  line two\n";
        assert_eq!(decode(&gz(text)).unwrap().text.as_bytes(), text);
        let twice = decode(&gz(&gz(text))).unwrap();
        assert_eq!(twice.text.as_bytes(), text);
        assert!(twice.notes[0].contains("2 times"), "{:?}", twice.notes);
        let mut members = gz(&text[..9]);
        members.extend(gz(&text[9..]));
        assert_eq!(decode(&members).unwrap().text.as_bytes(), text);
        let cut = gz(&[b'A'; 5000].repeat(20));
        let err = decode(&cut[..cut.len() / 2]).unwrap_err();
        assert!(
            matches!(&err, Refusal::Damaged(m) if m.contains("gzip")),
            "{err:?}"
        );
    }

    #[test]
    fn binary_formats_are_named() {
        let mut mmtf = vec![0xde, 0x00, 0x2a];
        mmtf.extend_from_slice(b"\xabmmtfVersion\xa51.0.0\xaaxCoordList\xc4\x00\x00");
        assert!(format_of(decode(&mmtf).unwrap_err()).contains("MMTF"));
        let mut bcif = vec![0x83];
        bcif.extend_from_slice(b"\xa7encoder\xa4test\xaadataBlocks\x91\x00");
        assert!(format_of(decode(&bcif).unwrap_err()).contains("BinaryCIF"));
        let mut map = vec![0u8; 1024];
        map[208..212].copy_from_slice(b"MAP ");
        assert!(format_of(decode(&map).unwrap_err()).contains("CCP4/MRC"));
        assert!(format_of(decode(&gz(&map)).unwrap_err()).contains("CCP4/MRC"));
        assert!(format_of(decode(b"PK\x03\x04rest").unwrap_err()).contains("ZIP"));
    }

    #[test]
    fn text_formats_are_named() {
        let p = Path::new("x.pdb");
        let refused = |t: &str| format_of(sniff(t, p).unwrap_err());
        assert!(refused("{\"data_1UBQ\": {\"atom_site\": {}}}").contains("mmJSON"));
        assert!(refused("<!DOCTYPE html>\n<html><body>404</body></html>").contains("HTML"));
        assert!(refused("data_r1ubqsf\nloop_\n_refln.index_h\n1\n").contains("structure-factor"));
        assert!(
            refused("data_ATP\nloop_\n_chem_comp_atom.comp_id\nATP\n")
                .contains("chemical-component")
        );
        assert!(refused("this is not a structure\n").contains("neither PDB"));
        let pqr = "REMARK   1 PQR file generated by PDB2PQR\n\
                   ATOM      1  N   MET     1      27.340  24.430   2.614  0.1592 1.8240\n";
        assert!(refused(pqr).contains("PQR"));
        let atom =
            "ATOM      1  N   MET A   1      27.340  24.430   2.614  1.00  9.67           N\n";
        assert_eq!(sniff(atom, p), Ok(StructureFormat::Pdb));
        assert!(format_of(sniff(atom, Path::new("x.pqr")).unwrap_err()).contains("PQR"));
        assert_eq!(
            sniff("data_x\nloop_\n_atom_site.group_PDB\n", p),
            Ok(StructureFormat::Mmcif)
        );
    }
}
