//! Large synthetic complexes for benchmarks and scale tests: a real groove excerpt plus shifted
//! copies of its CRM1 atoms as extra chains, so parsing and labelling see a full-size file.

use std::io::Write;
use std::path::Path;

/// Writes `out` with the records of `template` (chains A and B) and as many copies of its
/// chain-A atoms, 60 Å apart, as it takes to reach `target_atoms`. Returns the atom count.
pub fn write_large_complex(
    template: &Path,
    out: &Path,
    target_atoms: usize,
) -> std::io::Result<usize> {
    let text = std::fs::read_to_string(template)?;
    let atoms: Vec<&str> = text
        .lines()
        .filter(|l| (l.starts_with("ATOM  ") || l.starts_with("HETATM")) && l.len() >= 54)
        .collect();
    let receptor: Vec<&str> = atoms
        .iter()
        .copied()
        .filter(|l| &l[21..22] == "A")
        .collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut serial = 0usize;
    let write = |file: &mut std::io::BufWriter<std::fs::File>,
                 serial: &mut usize,
                 line: &str,
                 chain: char,
                 shift: f32| {
        *serial += 1;
        let serial = *serial;
        let parse = |r: std::ops::Range<usize>| line[r].trim().parse::<f32>().unwrap_or(0.0);
        let (x, y, z) = (parse(30..38) + shift, parse(38..46), parse(46..54));
        let rest = line.get(54..).unwrap_or("");
        writeln!(
            file,
            "{}{:>5}{}{}{}{:>8.3}{:>8.3}{:>8.3}{}",
            &line[0..6],
            serial % 100_000,
            &line[11..21],
            chain,
            &line[22..30],
            x,
            y,
            z,
            rest
        )
    };
    for line in &atoms {
        let chain = line[21..22].chars().next().unwrap_or('A');
        write(&mut file, &mut serial, line, chain, 0.0)?;
    }
    writeln!(file, "TER")?;
    let chain_ids = "CDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut copy = 0;
    while serial < target_atoms && !receptor.is_empty() {
        let chain = chain_ids.chars().nth(copy % chain_ids.len()).unwrap_or('Z');
        copy += 1;
        for line in &receptor {
            write(&mut file, &mut serial, line, chain, 60.0 * copy as f32)?;
        }
        writeln!(file, "TER")?;
    }
    writeln!(file, "END")?;
    file.flush()?;
    Ok(serial)
}
