//! `nesbind predict`: per-residue binding probability and pocket for peptides.

use std::path::PathBuf;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::embed::{Embedder, clean_sequence, read_fasta};
use nesbind::scan::ESM_MAX_RESIDUES;
use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, load_structure};
use nesbind::train::baselines::{consensus_register, elm_register};
use nesbind::train::checkpoint::default_checkpoint_dir;
use nesbind::train::dataset::ResidueEmbedder;
use nesbind::train::esm::EsmResidueEmbedder;
use nesbind::train::metrics::POCKET_CLASSES;
use nesbind::train::patterns::Orientation;
use nesbind::train::predict::{PeptideOutput, Predictor, ResiduePrediction, residue_predictions};
use nesbind::train::register::{Register, decode};
use serde::Serialize;

/// Who answers: the trained model (decoded to a consistent register) or a sequence rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Model,
    Consensus,
    Elm,
}

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
    /// The trained model, the consensus rule or the ELM NES regex (same output shape).
    #[arg(long, value_enum, default_value_t = Method::Model)]
    pub method: Method,
}

#[derive(Serialize)]
struct PocketSite {
    pocket: String,
    /// 1-based position in the peptide.
    position: usize,
    residue: char,
}

#[derive(Serialize)]
struct RegisterReport {
    orientation: Orientation,
    /// Among all consistent registers (the model's decoder); 1 for a rule's register.
    probability: f64,
    pockets: Vec<PocketSite>,
    description: String,
}

impl RegisterReport {
    fn new(r: &Register, sequence: &str) -> Self {
        let residues: Vec<char> = sequence.chars().collect();
        Self {
            orientation: r.orientation,
            probability: r.probability,
            pockets: r
                .positions
                .iter()
                .enumerate()
                .filter_map(|(k, p)| {
                    let p = (*p)?;
                    Some(PocketSite {
                        pocket: format!("Φ{k}"),
                        position: p + 1,
                        residue: residues.get(p).copied().unwrap_or('?'),
                    })
                })
                .collect(),
            description: r.describe(sequence),
        }
    }
}

#[derive(Serialize)]
struct PeptidePrediction {
    name: String,
    sequence: String,
    method: Method,
    /// The most probable consistent register (none: no register fits).
    register: Option<RegisterReport>,
    runner_up: Option<RegisterReport>,
    /// Per residue: the raw outputs (model) or the rule's register as 0/1 (rules).
    residues: Vec<ResiduePrediction>,
}

/// A rule's answer in the model's output shape: register residues bind with probability 1.
fn rule_output(sequence: &str, register: Option<&Register>) -> PeptideOutput {
    let n = sequence.chars().count();
    let classes = register.map_or_else(|| vec![0; n], |r| r.classes(n));
    PeptideOutput {
        binding: classes
            .iter()
            .map(|c| f32::from(u8::from(*c > 0)))
            .collect(),
        pocket: classes
            .iter()
            .map(|c| {
                let mut p = [0f32; POCKET_CLASSES];
                p[*c] = 1.0;
                p
            })
            .collect(),
    }
}

pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let peptides: Vec<(String, String)> = match (&args.sequence, &args.fasta, &args.structure) {
        (Some(seq), _, _) => vec![(
            "sequence".into(),
            clean_sequence(seq).map_err(|e| anyhow::anyhow!("--sequence: {e}"))?,
        )],
        (None, Some(path), _) => read_fasta(path)?
            .into_iter()
            .map(|r| (r.name, r.sequence))
            .collect(),
        (None, None, Some(path)) => {
            let complex = load_structure(path).and_then(|s| {
                Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled())
            })?;
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

/// Past this length a sequence is more likely a whole protein than an NES peptide (the peptide
/// model learnt mostly from 20-mers; a few AlphaFold peptides are whole domains), and which of its
/// stretches is an NES is the scan's question, so `predict` points there.
const LONG_PEPTIDE: usize = 100;

pub fn predict_peptides(args: &PredictArgs, peptides: Vec<(String, String)>) -> anyhow::Result<()> {
    for (name, sequence) in &peptides {
        let n = sequence.chars().count();
        if args.method == Method::Model && n > ESM_MAX_RESIDUES {
            anyhow::bail!(
                "{name}: {n} residues, more than ESM-2 reads in one pass ({ESM_MAX_RESIDUES}) and far more than an NES peptide; \
                 to find the NESs of a whole protein run `nesbind scan --sequence SEQ` (or `--fasta FILE`)"
            );
        }
        if n > LONG_PEPTIDE {
            eprintln!(
                "note: {name} has {n} residues; `predict` reads NES peptides (the model learnt mostly from 20-mers); \
                 to find the NESs of a whole protein run `nesbind scan`"
            );
        }
    }
    let out = match args.method {
        Method::Model => model_predictions(args, peptides)?,
        Method::Consensus | Method::Elm => peptides
            .into_iter()
            .map(|(name, sequence)| {
                let register = if args.method == Method::Consensus {
                    consensus_register(&sequence)
                } else {
                    elm_register(&sequence)
                };
                let output = rule_output(&sequence, register.as_ref());
                PeptidePrediction {
                    register: register.as_ref().map(|r| RegisterReport::new(r, &sequence)),
                    runner_up: None,
                    residues: residue_predictions(&sequence, &output),
                    name,
                    sequence,
                    method: args.method,
                }
            })
            .collect(),
    };
    print_predictions(&out, args.json)
}

fn model_predictions(
    args: &PredictArgs,
    peptides: Vec<(String, String)>,
) -> anyhow::Result<Vec<PeptidePrediction>> {
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
    embedder.channels = info.channels();
    let sequences: Vec<String> = peptides.iter().map(|(_, s)| s.clone()).collect();
    let features = embedder
        .embed(&sequences)
        .map_err(|e| anyhow::anyhow!("embedding the peptides: {e}"))?;
    let bounds = predictor.checkpoint.info.register;
    let mut out = Vec::new();
    for ((name, sequence), f) in peptides.into_iter().zip(features) {
        let output = predictor
            .outputs(&sequence, &f)
            .with_context(|| format!("predicting {name}"))?;
        let decoding = decode(&output.pocket, &bounds);
        out.push(PeptidePrediction {
            register: decoding
                .best
                .as_ref()
                .map(|r| RegisterReport::new(r, &sequence)),
            runner_up: decoding
                .runner_up
                .as_ref()
                .map(|r| RegisterReport::new(r, &sequence)),
            residues: residue_predictions(&sequence, &output),
            name,
            sequence,
            method: Method::Model,
        });
    }
    Ok(out)
}

fn print_predictions(out: &[PeptidePrediction], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(out)?);
        return Ok(());
    }
    for p in out {
        println!(">{} {} ({:?})", p.name, p.sequence, p.method);
        match &p.register {
            Some(r) => println!("register: {}", r.description),
            None => println!("register: none fits"),
        }
        if let Some(r) = &p.runner_up {
            println!("runner-up: {}", r.description);
        }
        println!("{:>4} {:>3} {:>8} {:>6}", "pos", "res", "P(bind)", "pocket");
        for r in &p.residues {
            println!(
                "{:>4} {:>3} {:>8.3} {:>6}",
                r.position, r.residue, r.binding_probability, r.pocket
            );
        }
    }
    Ok(())
}
