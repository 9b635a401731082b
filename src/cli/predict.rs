//! `nesbind predict`: per-residue binding probability and pocket for peptides.

use std::path::PathBuf;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::embed::{Embedder, read_fasta};
use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, load_structure};
use nesbind::train::checkpoint::default_checkpoint_dir;
use nesbind::train::dataset::ResidueEmbedder;
use nesbind::train::esm::EsmResidueEmbedder;
use nesbind::train::predict::{Predictor, ResiduePrediction};
use serde::Serialize;

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["sequence", "fasta", "structure"])))]
pub struct PredictArgs {
    /// Checkpoint directory (default: the bundled model in assets/models).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// One peptide, one-letter codes.
    #[arg(long)]
    pub sequence: Option<String>,
    /// Peptides in a FASTA file.
    #[arg(long)]
    pub fasta: Option<PathBuf>,
    /// A CRM1–NES complex (PDB/mmCIF): predicts for its NES peptide chain.
    #[arg(long)]
    pub structure: Option<PathBuf>,
    /// ESM-2 model folder (default: the bundled one); must be the model the checkpoint was trained on.
    #[arg(long)]
    pub esm: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct PeptidePrediction {
    name: String,
    sequence: String,
    residues: Vec<ResiduePrediction>,
}

pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let peptides: Vec<(String, String)> = match (&args.sequence, &args.fasta, &args.structure) {
        (Some(seq), _, _) => vec![("sequence".into(), seq.trim().to_ascii_uppercase())],
        (None, Some(path), _) => read_fasta(path)?
            .into_iter()
            .map(|r| (r.name, r.sequence.to_ascii_uppercase()))
            .collect(),
        (None, None, Some(path)) => {
            let complex = load_structure(path)
                .and_then(|s| {
                    Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled())
                })
                .with_context(|| format!("reading the complex {}", path.display()))?;
            let chain = complex.peptide_chain();
            let sequence: String = chain
                .polymer()
                .map(|r| r.code)
                .filter(|c| *c != 'X')
                .collect();
            vec![(format!("{} chain {}", complex.name(), chain.id), sequence)]
        }
        (None, None, None) => anyhow::bail!("give --sequence, --fasta or --structure"),
    };
    predict_peptides(args, peptides)
}

pub fn predict_peptides(args: &PredictArgs, peptides: Vec<(String, String)>) -> anyhow::Result<()> {
    let dev = select_device(args.device)?;
    let model_dir = match &args.model {
        Some(d) => d.clone(),
        None => default_checkpoint_dir()?,
    };
    let predictor = Predictor::load(&model_dir, &dev.device)
        .with_context(|| format!("loading the trained model in {}", model_dir.display()))?;
    let info = &predictor.checkpoint.info.embedding;
    let (esm_dir, esm) = super::embed::load_esm_on(args.esm.as_deref(), &dev.device)?;
    if esm.sha256() != info.hash {
        anyhow::bail!(
            "the model in {} was trained on embeddings of {} (sha256 {}), but {} holds sha256 {}; pass --esm with the right model",
            model_dir.display(),
            info.model,
            info.hash,
            esm_dir.display(),
            esm.sha256()
        );
    }
    let mut embedder = EsmResidueEmbedder::new(Embedder::new(esm, 32), Some(info.layer))?;
    let sequences: Vec<String> = peptides.iter().map(|(_, s)| s.clone()).collect();
    let features = embedder
        .embed(&sequences)
        .map_err(|e| anyhow::anyhow!("embedding the peptides: {e}"))?;
    let mut out = Vec::new();
    for ((name, sequence), f) in peptides.into_iter().zip(features) {
        let residues = predictor
            .predict(&sequence, &f)
            .with_context(|| format!("predicting {name}"))?;
        out.push(PeptidePrediction {
            name,
            sequence,
            residues,
        });
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for p in &out {
            println!(">{} {}", p.name, p.sequence);
            println!("{:>4} {:>3} {:>8} {:>6}", "pos", "res", "P(bind)", "pocket");
            for r in &p.residues {
                println!(
                    "{:>4} {:>3} {:>8.3} {:>6}",
                    r.position, r.residue, r.binding_probability, r.pocket
                );
            }
        }
    }
    Ok(())
}
