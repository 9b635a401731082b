use std::io::Write;

use super::ResidueLabel;

pub const CSV_HEADER: &str =
    "structure,chain,resnum,resname,binding,pocket,min_distance,nearest_pocket";

/// Writes labels of one or more structures as CSV (header first).
pub fn write_csv<'a, W: Write>(
    out: &mut W,
    structures: impl IntoIterator<Item = (&'a str, &'a [ResidueLabel])>,
) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for (name, labels) in structures {
        for l in labels {
            let resnum = match &l.insertion_code {
                Some(ic) => format!("{}{}", l.resnum, ic),
                None => l.resnum.to_string(),
            };
            let distance = if l.min_distance.is_finite() {
                format!("{:.2}", l.min_distance)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                csv_field(name),
                csv_field(&l.chain),
                resnum,
                l.resname,
                u8::from(l.binding),
                l.pocket.map(|p| p.as_str()).unwrap_or(""),
                distance,
                l.nearest_pocket.map(|p| p.as_str()).unwrap_or(""),
            )?;
        }
    }
    Ok(())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
