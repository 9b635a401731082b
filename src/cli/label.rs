use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use nesbind::labels::{DistanceMode, LabelSettings, label_complex, register_string, write_csv};
use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, expand_paths, load_structure};

#[derive(clap::Args, Debug)]
pub struct LabelArgs {
    /// Structure files (PDB, mmCIF, optionally .gz) or folders of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Distance definition: CA–CA or any heavy atom.
    #[arg(long, value_enum, default_value_t = DistanceMode::Ca)]
    pub mode: DistanceMode,
    /// Binding cutoff in Å (default: 8 for ca, 4 for heavy).
    #[arg(long)]
    pub cutoff: Option<f32>,
    /// CRM1 chain id (default: detected by alignment to human XPO1).
    #[arg(long)]
    pub receptor: Option<String>,
    /// NES peptide chain id (default: the short chain touching CRM1).
    #[arg(long)]
    pub peptide: Option<String>,
    /// Longest chain still considered a peptide.
    #[arg(long, default_value_t = 40)]
    pub max_peptide_length: usize,
    /// Pocket definition (JSON like assets/pockets/crm1_pockets.json, or CSV pocket,human_XPO1_resnum).
    #[arg(long)]
    pub pockets: Option<PathBuf>,
    /// Write CSV here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &LabelArgs) -> anyhow::Result<()> {
    if let Some(c) = args.cutoff {
        anyhow::ensure!(
            c.is_finite() && c > 0.0,
            "--cutoff must be a positive number of Å, got {c}"
        );
    }
    let pockets = match &args.pockets {
        Some(p) => PocketDefinition::from_file(p)?,
        None => PocketDefinition::bundled(),
    };
    let overrides = ChainOverrides {
        receptor: args.receptor.clone(),
        peptide: args.peptide.clone(),
        max_peptide_length: args.max_peptide_length,
    };
    let settings = LabelSettings::new(args.mode, args.cutoff);

    let mut failures = Vec::new();
    let files = expand_paths(&args.paths, &mut failures);
    let mut results = Vec::new();
    for path in files {
        let loaded = load_structure(&path).inspect(|s| {
            // Once per file: what the reader tolerated or ignored (e.g. its own reader took over).
            for w in &s.warnings {
                eprintln!("note: {}: {w}", path.display());
            }
        });
        match loaded.and_then(|s| Complex::build(s, &overrides, &pockets)) {
            Ok(complex) => {
                let labels = label_complex(&complex, &settings);
                eprintln!(
                    "{}: CRM1 {}, NES {}: {}",
                    complex.name(),
                    complex.receptor_chain().id,
                    complex.peptide_chain().id,
                    register_string(&labels)
                );
                results.push((complex.name().to_string(), labels));
            }
            Err(e) => failures.push(nesbind::structure::LoadFailure {
                path,
                message: e.to_string(),
            }),
        }
    }
    for f in &failures {
        eprintln!("skipped: {}", f.message);
    }
    anyhow::ensure!(!results.is_empty(), "no structure could be labelled");

    let rows = results.iter().map(|(n, l)| (n.as_str(), l.as_slice()));
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            write_csv(&mut w, rows)
                .and_then(|_| w.flush())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} structures to {}", results.len(), path.display());
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = stdout.lock();
            write_csv(&mut w, rows).context("writing to standard output")?;
        }
    }
    Ok(())
}
