//! `nesbind scan`: whole proteins → NES candidates with their Φ registers and the mutants to test
//! (text, JSON, CSV), streamed from FASTA. Its `--train DIR` and `--cv K --out DIR` modes, which fit
//! and cross-validate the scan model, are in [`super::scan_fit`].

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use nesbind::compute::{ComputeDevice, DeviceChoice, select_device};
use nesbind::embed::{Embedder, EmbeddingCache, FastaReader, clean_sequence};
use nesbind::labels::csv_field;
use nesbind::scan::choice_fit::ChoiceConfig;
use nesbind::scan::{
    Agreement, Candidate, PeptideRegisters, ProteinScan, ScanModel, WindowPlan, embed_windowed,
};
use nesbind::train::dataset::ResidueEmbedder;
use nesbind::train::esm::EsmResidueEmbedder;
use nesbind::train::register::pocket_residues;
use serde::Serialize;

use super::train::install_ctrl_c;

pub use nesbind::scan::bundled_model_dir as bundled_scan_model_dir;

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Proteins to scan (FASTA; read as a stream, bad records reported with their line and skipped).
    #[arg(long, conflicts_with_all = ["sequence", "train", "cv"])]
    pub fasta: Option<PathBuf>,
    /// A protein sequence to scan (repeatable).
    #[arg(long, conflicts_with_all = ["train", "cv"])]
    pub sequence: Vec<String>,
    /// Candidates reported per protein (non-overlapping, best first).
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Report only candidates scoring at least this (default: the model's threshold, chosen on its
    /// training proteins for a recall of 0.68).
    #[arg(long)]
    pub threshold: Option<f32>,
    /// JSON on stdout (one array; written protein by protein).
    #[arg(long)]
    pub json: bool,
    /// One CSV row per candidate into this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Scan model folder (default: the bundled one).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Fit a scan model on the NESdb proteins and write it to this folder.
    #[arg(long, conflicts_with = "cv")]
    pub train: Option<PathBuf>,
    /// Protein-grouped K-fold cross-validation of the scan model (LocNES protocol); needs --out.
    #[arg(long, num_args = 0..=1, default_missing_value = "5")]
    pub cv: Option<usize>,
    /// Folder for the cross-validation report (summary.txt, metrics.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// NES tables to train and evaluate on (default: the bundled course table and combined NESdb).
    #[arg(long, num_args = 1..)]
    pub nesdb: Vec<PathBuf>,
    /// ESM-2 model folder (default: the bundled ESM-2 t6 8M).
    #[arg(long)]
    pub esm: Option<PathBuf>,
    /// Embedding cache directory (reused across runs; holds each window's embedding).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    /// With --train: share of the BiLSTM context model in P(NES) (0 = the logistic model alone).
    #[arg(long, default_value_t = DEFAULT_CONTEXT_SHARE, value_parser = f32_share_in_unit_interval)]
    pub context_share: f32,
    /// With --cv: the context-model shares scored side by side, each on the same folds.
    #[arg(long, value_delimiter = ',', default_values_t = vec![DEFAULT_CONTEXT_SHARE],
          value_parser = f32_share_in_unit_interval)]
    pub cv_shares: Vec<f32>,
    /// With --train or --cv: share of the within-protein choice in the window ranker's loss (0 = a
    /// plain logistic regression over the windows; docs/scan.md).
    #[arg(long, default_value_t = ChoiceConfig::default().choice_share, value_parser = share_in_unit_interval)]
    pub choice_share: f64,
    /// With --cv: seed of the fold assignment (another seed deals the same groups differently).
    #[arg(long, default_value_t = CV_SEED)]
    pub cv_seed: u64,
    /// Peptide model (a `nesbind train` checkpoint) that decodes each candidate's register
    /// (default: the bundled one).
    #[arg(long)]
    pub peptide_model: Option<PathBuf>,
    /// Report the consensus registers only, without the peptide model's.
    #[arg(long, conflicts_with = "peptide_model")]
    pub no_model_register: bool,
    /// With --train or --cv: the ESM-2 layer whose output feeds the residue model (0 = the token
    /// embeddings; default: the middle one, 3 of the bundled 6). A scan uses its model's layer.
    #[arg(long, conflicts_with_all = ["fasta", "sequence"])]
    pub layer: Option<usize>,
}

/// Share of the context model in the scan's P(NES), chosen by `--cv` (docs/scan.md).
const DEFAULT_CONTEXT_SHARE: f32 = 0.0;

/// The ESM-2 layer a scan model is fitted on unless `--layer` says otherwise: the middle of the
/// model. In cross-validation over five fold assignments, layer 3 of the bundled t6 8M found NES
/// residues and ranked windows better than its final layer, at half the encoder's work (docs/scan.md).
fn default_layer(esm_layers: usize) -> usize {
    esm_layers.div_ceil(2)
}

/// Fold assignment seed of `--cv` (the same as `nesbind evaluate --cv`'s default).
pub(super) const CV_SEED: u64 = 42;

pub fn run(args: &ScanArgs) -> anyhow::Result<()> {
    let cancel = Arc::new(AtomicBool::new(false));
    install_ctrl_c(&cancel)?;
    let dev = select_device(args.device)?;
    let (_, esm) = super::embed::load_esm_on(args.esm.as_deref(), &dev.device)?;
    let layer = args
        .layer
        .unwrap_or_else(|| default_layer(esm.num_layers()));
    let mut embedder = EsmResidueEmbedder::new(Embedder::new(esm, 16), Some(layer))?;
    embedder.channels = nesbind::train::channels::ChannelSet {
        residue: true,
        rule: false,
    };
    if let Some(c) = &args.cache {
        embedder.cache = Some(EmbeddingCache::open(c)?);
    }
    if let Some(dir) = &args.train {
        return super::scan_fit::train(args, &mut embedder, dir, &cancel);
    }
    if let Some(folds) = args.cv {
        let out = args
            .out
            .clone()
            .context("--cv needs --out: the folder for summary.txt and metrics.json")?;
        return super::scan_fit::cross_validate(args, &mut embedder, folds, &out, &cancel);
    }
    scan(args, &mut embedder, &dev, &cancel)
}

/// Whole-protein feature rows (windows past 1,022 residues).
pub(super) fn embed_protein(
    embedder: &mut EsmResidueEmbedder,
    sequence: &str,
) -> anyhow::Result<Vec<Vec<f32>>> {
    embed_windowed(sequence, &WindowPlan::default(), &mut |pieces| {
        embedder.embed(pieces)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))
}

fn share_in_unit_interval(text: &str) -> Result<f64, String> {
    let share: f64 = text
        .parse()
        .map_err(|e| format!("{text:?} is not a number: {e}"))?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!("{share} is not a share between 0 and 1"))
    }
}

// The context share blends two probabilities; outside 0..1 the blend is no probability, and the
// model would clamp it silently.
fn f32_share_in_unit_interval(text: &str) -> Result<f32, String> {
    share_in_unit_interval(text).map(|share| share as f32)
}

#[derive(Serialize)]
struct RegisterJson {
    orientation: &'static str,
    class: String,
    /// 1-based residue numbers of Φ0..Φ4 (null where empty).
    phi: [Option<usize>; 5],
}

#[derive(Serialize)]
struct CandidateJson {
    start: usize,
    end: usize,
    peptide: String,
    score: f32,
    register: RegisterJson,
    class: String,
    /// The peptide model's register for this place (absent with `--no-model-register`).
    #[serde(skip_serializing_if = "Option::is_none")]
    model_register: Option<ModelRegisterJson>,
    mutants: Vec<String>,
}

#[derive(Serialize)]
struct ModelRegisterJson {
    orientation: &'static str,
    /// 1-based residue numbers of Φ0..Φ4 (null where empty).
    phi: [Option<usize>; 5],
    /// Among all consistent registers of the candidate with its flanks.
    probability: f64,
    /// Against the consensus register above: "same", "same_core" (Φ1–Φ4 alike, Φ0 not) or "differs".
    agreement: Agreement,
}

#[derive(Serialize)]
struct ResidueJson {
    position: usize,
    residue: char,
    p_nes: f32,
}

#[derive(Serialize)]
struct ProteinJson {
    name: String,
    length: usize,
    candidates: Vec<CandidateJson>,
    residues: Vec<ResidueJson>,
}

fn candidate_json(scan: &ProteinScan, c: &Candidate) -> CandidateJson {
    CandidateJson {
        start: c.span.start + 1,
        end: c.span.end,
        peptide: scan.peptide(c),
        score: c.score,
        register: RegisterJson {
            orientation: c.pattern.orientation.name(),
            class: c.pattern.label(),
            phi: c.pattern.positions.map(|p| p.map(|q| q + 1)),
        },
        class: c.pattern.label(),
        model_register: c.model_register.as_ref().map(|r| ModelRegisterJson {
            orientation: r.orientation.name(),
            phi: r.positions.map(|p| p.map(|q| q + 1)),
            probability: r.probability,
            agreement: r.agreement(&c.pattern),
        }),
        mutants: scan.mutants(c).iter().map(|m| m.label()).collect(),
    }
}

fn scan(
    args: &ScanArgs,
    embedder: &mut EsmResidueEmbedder,
    dev: &ComputeDevice,
    cancel: &AtomicBool,
) -> anyhow::Result<()> {
    let dir = args.model.clone().unwrap_or_else(bundled_scan_model_dir);
    let model = ScanModel::load(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    model
        .prepare_embedder(embedder)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let peptide_model = if args.no_model_register {
        None
    } else {
        Some(
            match &args.peptide_model {
                Some(d) => PeptideRegisters::load(d, dev),
                None => PeptideRegisters::bundled(dev),
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        )
    };
    let threshold = args.threshold.unwrap_or(model.threshold);
    let records: Box<dyn Iterator<Item = Result<(String, String), String>>> = match &args.fasta {
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            let shown = path.display().to_string();
            Box::new(
                FastaReader::new(std::io::BufReader::new(file)).map(move |r| {
                    r.map(|r| (r.name, r.sequence))
                        .map_err(|p| format!("{shown}:{}: {}", p.line, p.message))
                }),
            )
        }
        None => {
            anyhow::ensure!(
                !args.sequence.is_empty(),
                "give --fasta FILE or --sequence SEQ (or --train DIR / --cv K --out DIR)"
            );
            Box::new(args.sequence.clone().into_iter().enumerate().map(|(i, s)| {
                clean_sequence(&s)
                    .map(|s| (format!("sequence_{}", i + 1), s))
                    .map_err(|e| format!("--sequence {}: {e}", i + 1))
            }))
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut csv = match &args.csv {
        Some(p) => {
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(p)
                    .with_context(|| format!("cannot create {}", p.display()))?,
            );
            writeln!(
                w,
                "protein,length,rank,start,end,peptide,score,orientation,class,phi0,phi1,phi2,phi3,phi4,model_orientation,model_phi0,model_phi1,model_phi2,model_phi3,model_phi4,model_probability,mutants"
            )?;
            Some(w)
        }
        None => None,
    };
    if args.json {
        write!(out, "[")?;
    }
    let mut scanned = 0usize;
    let mut skipped = 0usize;
    let mut residues = 0usize;
    let started = std::time::Instant::now();
    for record in records {
        if cancel.load(Ordering::Relaxed) {
            eprintln!("interrupted: {scanned} proteins scanned, output closed");
            break;
        }
        let (name, sequence) = match record {
            Ok(r) => r,
            Err(e) => {
                eprintln!("skipped: {e}");
                skipped += 1;
                continue;
            }
        };
        let features = embed_protein(embedder, &sequence).with_context(|| name.clone())?;
        let mut result =
            ProteinScan::from_features(&name, &sequence, &features, &model, args.top, threshold)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if let Some(m) = &peptide_model {
            result = result
                .with_model_registers(m, embedder)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        let probs = &result.probabilities;
        let cands: Vec<CandidateJson> = result
            .candidates
            .iter()
            .map(|c| candidate_json(&result, c))
            .collect();
        if let Some(w) = &mut csv {
            for (rank, c) in cands.iter().enumerate() {
                let phi = |phi: &[Option<usize>; 5]| -> String {
                    phi.iter()
                        .map(|p| p.map_or(String::new(), |q| q.to_string()))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let model = match &c.model_register {
                    Some(m) => format!("{},{},{:.4}", m.orientation, phi(&m.phi), m.probability),
                    None => ",,,,,,".to_string(),
                };
                writeln!(
                    w,
                    "{},{},{},{},{},{},{:.4},{},{},{},{},{}",
                    csv_field(&name),
                    sequence.len(),
                    rank + 1,
                    c.start,
                    c.end,
                    c.peptide,
                    c.score,
                    c.register.orientation,
                    csv_field(&c.class),
                    phi(&c.register.phi),
                    model,
                    c.mutants.join(" ")
                )?;
            }
        }
        if args.json {
            let protein = ProteinJson {
                name: name.clone(),
                length: sequence.len(),
                candidates: cands,
                residues: sequence
                    .chars()
                    .zip(probs)
                    .enumerate()
                    .map(|(i, (residue, &p_nes))| ResidueJson {
                        position: i + 1,
                        residue,
                        p_nes,
                    })
                    .collect(),
            };
            if scanned > 0 {
                write!(out, ",")?;
            }
            serde_json::to_writer(&mut out, &protein).context("writing JSON")?;
            out.flush()?;
        } else {
            writeln!(out, "{name} ({} residues)", sequence.len())?;
            if cands.is_empty() {
                writeln!(out, "  no candidate scores ≥ {threshold:.3}")?;
            }
            for (rank, (c, k)) in cands.iter().zip(&result.candidates).enumerate() {
                let model = match &k.model_register {
                    Some(m) => format!(
                        "; model {} ({}, p = {:.2}; {})",
                        pocket_residues(&m.positions, &sequence),
                        m.orientation.name(),
                        m.probability,
                        m.agreement(&k.pattern).describe()
                    ),
                    None => String::new(),
                };
                writeln!(
                    out,
                    "  {}. {}–{} {} score {:.3} {} {}{model}; mutate {}",
                    rank + 1,
                    c.start,
                    c.end,
                    c.peptide,
                    c.score,
                    c.class,
                    c.register.orientation,
                    c.mutants.join(", ")
                )?;
            }
        }
        scanned += 1;
        residues += sequence.len();
    }
    if args.json {
        writeln!(out, "]")?;
    }
    if let Some(w) = &mut csv {
        w.flush()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{scanned} proteins ({residues} residues) scanned in {seconds:.1} s ({:.0} residues/s){}",
        residues as f64 / seconds.max(1e-9),
        if skipped > 0 {
            format!("; {skipped} records skipped")
        } else {
            String::new()
        }
    );
    // A run where every record was refused has nothing to show: say so in the exit status, so a
    // script does not take the empty output for "no NES".
    anyhow::ensure!(
        scanned > 0 || skipped == 0 || cancel.load(Ordering::Relaxed),
        "no protein could be scanned: every record was skipped (reasons above)"
    );
    Ok(())
}
