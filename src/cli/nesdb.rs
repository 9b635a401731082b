use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use nesbind::nesdb::read_nesdb;

#[derive(clap::Args, Debug)]
pub struct NesdbArgs {
    /// NES table (CSV): NESdb combined export, the course table or the NES-positive table.
    pub file: PathBuf,
    /// Write the entries as CSV here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &NesdbArgs) -> anyhow::Result<()> {
    let table = read_nesdb(&args.file)?;
    eprintln!(
        "{}: {} layout, {} entries, {} NES, {} rows skipped, {} rows repaired",
        args.file.display(),
        table.layout,
        table.entries.len(),
        table.nes_count(),
        table.skipped.len(),
        table.warnings.len()
    );
    for s in &table.skipped {
        eprintln!("  line {}: skipped: {}", s.line, s.reason);
    }
    for s in &table.warnings {
        eprintln!("  line {}: {}", s.line, s.reason);
    }
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    writeln!(
        out,
        "id,protein,uniprot,organism,nes_start,nes_end,nes_peptide,protein_length"
    )?;
    for e in &table.entries {
        for n in &e.nes {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                field(&e.id),
                field(&e.protein),
                e.uniprot.as_deref().unwrap_or(""),
                field(e.organism.as_deref().unwrap_or("")),
                n.start,
                n.end,
                n.peptide,
                e.sequence.len()
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
