//! `nesbind scan`: whole proteins → NES candidates with their Φ registers and the mutants to test;
//! `--train DIR` fits the scan model on NESdb proteins, `--cv K --out DIR` cross-validates it by the
//! LocNES protocol beside the consensus rule and the ELM regex.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use nesbind::compute::{ComputeDevice, DeviceChoice, select_device};
use nesbind::embed::{Embedder, EmbeddingCache, FastaReader, clean_sequence};
use nesbind::labels::csv_field;
use nesbind::nesdb::{NesTable, read_nesdb};
use nesbind::scan::choice_fit::{ChoiceConfig, TrainingWindow};
use nesbind::scan::ranker::{WindowRanker, window_features};
use nesbind::scan::{
    Agreement, Candidate, PeptideRegisters, ProteinScan, ScanModel, ScanProtein, ScanTagger,
    ScanTruth, TaggerSettings, WindowPlan, candidates, embed_windowed, evaluate_scan, scan_summary,
};
use nesbind::train::dataset::{ResidueEmbedder, folds_of_groups, groups};
use nesbind::train::esm::EsmResidueEmbedder;
use nesbind::train::register::pocket_residues;
use serde::Serialize;

use super::progress::ProgressBar;
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
        return train(args, &mut embedder, dir, &cancel);
    }
    if let Some(folds) = args.cv {
        let out = args
            .out
            .clone()
            .context("--cv needs --out: the folder for summary.txt and metrics.json")?;
        return cross_validate(args, &mut embedder, folds, &out, &cancel);
    }
    scan(args, &mut embedder, &dev, &cancel)
}

/// A NESdb protein with its export signals (0-based, end exclusive).
struct TrainProtein {
    name: String,
    key: String,
    sequence: String,
    nes: Vec<Range<usize>>,
}

/// Signals shorter or longer than this are mutation ranges or whole regions, not NESs.
const NES_LENGTHS: std::ops::RangeInclusive<usize> = 8..=30;

/// One protein per distinct sequence, with the union of the tables' export signals: the course
/// table's "Functional Export Signals" where given, else its NES ranges of NES length.
fn nesdb_proteins(tables: &[NesTable]) -> Vec<TrainProtein> {
    let mut out: Vec<TrainProtein> = Vec::new();
    let mut by_sequence: std::collections::HashMap<String, usize> = Default::default();
    for e in tables.iter().flat_map(|t| &t.entries) {
        let sequence: String = e
            .sequence
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        if sequence.len() < 20 {
            continue;
        }
        let mut ranges: Vec<Range<usize>> = if e.signals.is_empty() {
            e.nes.iter().map(|r| r.start - 1..r.end).collect()
        } else {
            e.signals.iter().map(|&(s, t)| s - 1..t).collect()
        };
        ranges.retain(|r| NES_LENGTHS.contains(&r.len()) && r.end <= sequence.len());
        let k = *by_sequence.entry(sequence.clone()).or_insert_with(|| {
            out.push(TrainProtein {
                name: e.protein.clone(),
                key: e.uniprot.clone().unwrap_or_else(|| e.protein.clone()),
                sequence,
                nes: Vec::new(),
            });
            out.len() - 1
        });
        for r in ranges {
            if !out[k].nes.contains(&r) {
                out[k].nes.push(r);
            }
        }
    }
    out.retain(|p| !p.nes.is_empty());
    out
}

fn read_tables(args: &ScanArgs) -> anyhow::Result<Vec<NesTable>> {
    let paths = if args.nesdb.is_empty() {
        let nes = nesbind::assets_dir().join("nes");
        vec![
            nes.join("NesDB_all_CRM1_with_peptides_train.csv"),
            nes.join("NESDB_combined_database.csv"),
        ]
    } else {
        args.nesdb.clone()
    };
    paths
        .iter()
        .map(|p| read_nesdb(p).with_context(|| format!("reading {}", p.display())))
        .collect()
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

fn embed_all(
    embedder: &mut EsmResidueEmbedder,
    proteins: &[TrainProtein],
    cancel: &AtomicBool,
) -> anyhow::Result<Vec<Vec<Vec<f32>>>> {
    let mut bar = ProgressBar::new("embedding proteins", true);
    let mut out = Vec::with_capacity(proteins.len());
    for (i, p) in proteins.iter().enumerate() {
        anyhow::ensure!(!cancel.load(Ordering::Relaxed), "cancelled");
        out.push(embed_protein(embedder, &p.sequence).with_context(|| p.name.clone())?);
        bar.update(i + 1, proteins.len());
    }
    bar.finish();
    Ok(out)
}

/// Each residue's "in an export signal" flag, per protein.
fn nes_flags(proteins: &[&TrainProtein]) -> Vec<Vec<bool>> {
    proteins
        .iter()
        .map(|p| {
            (0..p.sequence.len())
                .map(|i| p.nes.iter().any(|r| r.contains(&i)))
                .collect()
        })
        .collect()
}

fn probabilities_of(
    model: &ScanModel,
    features: &[&Vec<Vec<f32>>],
) -> anyhow::Result<Vec<Vec<f32>>> {
    features
        .iter()
        .map(|f| {
            model
                .residue_probabilities(f)
                .map_err(|e| anyhow::anyhow!(e))
        })
        .collect()
}

/// Inner folds for the window ranker's training windows.
const INNER_FOLDS: usize = 5;

/// How a scan model is fitted: the embedder its features came from, the tables named in its
/// provenance, the context model's share of P(NES), and the cancel flag.
struct Recipe<'a> {
    embedder: &'a EsmResidueEmbedder,
    tables: &'a str,
    share: f32,
    ranker: ChoiceConfig,
    cancel: &'a AtomicBool,
}

impl Recipe<'_> {
    /// The residue models fitted on `proteins`: the logistic one, its register-type prior and, when
    /// `share` > 0, the BiLSTM context model holding that share of P(NES).
    fn fit_residue(
        &self,
        proteins: &[&TrainProtein],
        features: &[&Vec<Vec<f32>>],
    ) -> anyhow::Result<ScanModel> {
        let labels = nes_flags(proteins);
        let data = ScanProtein::pair(features, &labels);
        let residues: usize = proteins.iter().map(|p| p.sequence.len()).sum();
        let mut model = ScanModel::fit(
            &data,
            self.embedder.info(),
            NEGATIVE_STRIDE,
            format!(
                "{} NESdb proteins ({residues} residues, {} export signals) from {}",
                proteins.len(),
                proteins.iter().map(|p| p.nes.len()).sum::<usize>(),
                self.tables
            ),
        );
        model.class_prior = nesbind::scan::ClassPrior::fit(proteins.iter().flat_map(|p| {
            candidates(&p.sequence, &[]).into_iter().map(|c| {
                (
                    c.pattern.label(),
                    nesbind::scan::evaluate::is_real(&c.span, &p.nes),
                )
            })
        }));
        if self.share <= 0.0 {
            return Ok(model);
        }
        let mut bar = ProgressBar::new("training the context model", true);
        let tagger = ScanTagger::fit(
            &data,
            &TaggerSettings::default(),
            &burn::tensor::Device::flex(),
            &mut |r| bar.update(r.epoch, r.epochs),
            self.cancel,
        )
        .map_err(|e| anyhow::anyhow!("context model: {e}"))?;
        bar.finish();
        Ok(model.with_tagger(tagger, self.share))
    }

    /// P(NES) of every protein from residue models that did not see its group (inner
    /// `INNER_FOLDS`-fold split): what the window ranker must learn from, since in-sample
    /// probabilities are more confident than any new protein's.
    fn out_of_fold(
        &self,
        proteins: &[&TrainProtein],
        features: &[&Vec<Vec<f32>>],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let keys: Vec<(&str, &str)> = proteins
            .iter()
            .map(|p| (p.key.as_str(), p.sequence.as_str()))
            .collect();
        let fold = folds_of_groups(&groups(&keys), INNER_FOLDS, CV_SEED);
        let mut out = vec![Vec::new(); proteins.len()];
        for f in 0..INNER_FOLDS {
            anyhow::ensure!(!self.cancel.load(Ordering::Relaxed), "cancelled");
            let (rest, held): (Vec<usize>, Vec<usize>) =
                (0..proteins.len()).partition(|&i| fold[i] != f);
            if held.is_empty() || rest.is_empty() {
                continue;
            }
            let model = self.fit_residue(
                &rest.iter().map(|&i| proteins[i]).collect::<Vec<_>>(),
                &rest.iter().map(|&i| features[i]).collect::<Vec<_>>(),
            )?;
            let held_f: Vec<&Vec<Vec<f32>>> = held.iter().map(|&i| features[i]).collect();
            for (&i, p) in held.iter().zip(probabilities_of(&model, &held_f)?) {
                out[i] = p;
            }
        }
        Ok(out)
    }

    /// The scan model fitted on `proteins`: residue models, the window ranker (on out-of-fold P(NES))
    /// and the threshold at LocNES's recall on those proteins (same out-of-fold scores).
    fn fit(
        &self,
        proteins: &[&TrainProtein],
        features: &[&Vec<Vec<f32>>],
    ) -> anyhow::Result<ScanModel> {
        let mut model = self.fit_residue(proteins, features)?;
        let oof = self.out_of_fold(proteins, features)?;
        let windows: Vec<TrainingWindow> = proteins
            .iter()
            .zip(&oof)
            .enumerate()
            .flat_map(|(protein, (p, probs))| {
                candidates(&p.sequence, probs)
                    .into_iter()
                    .map(move |c| TrainingWindow {
                        features: window_features(p.sequence.as_bytes(), probs, &c),
                        real: nesbind::scan::evaluate::is_real(&c.span, &p.nes),
                        protein,
                    })
            })
            .collect();
        let real = windows.iter().filter(|w| w.real).count();
        model.ranker = Some(WindowRanker::fit(
            &windows,
            &self.ranker,
            format!(
                "{} consensus windows ({real} real) of the training proteins, P(NES) from {INNER_FOLDS}-fold out-of-fold residue models; loss = {} · windows' likelihood + {} · within-protein choice, then Platt-calibrated",
                windows.len(),
                1.0 - self.ranker.choice_share,
                self.ranker.choice_share
            ),
        ));
        model.threshold = recall_threshold(&model, proteins, &oof, TARGET_RECALL);
        Ok(model)
    }
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

fn ranker_config(args: &ScanArgs) -> ChoiceConfig {
    ChoiceConfig {
        choice_share: args.choice_share,
        ..ChoiceConfig::default()
    }
}

/// Fold assignment seed of `--cv` (the same as `nesbind evaluate --cv`'s default).
const CV_SEED: u64 = 42;

/// Every this-many non-NES residue is a training row (weighted to keep the base rate).
const NEGATIVE_STRIDE: usize = 8;
/// The threshold is set where the training proteins' NESs are found at LocNES's recall.
const TARGET_RECALL: f32 = 0.68;

/// The highest candidate score at which `TARGET_RECALL` of the proteins' NESs are found, from the
/// proteins' residue probabilities `probs`.
fn recall_threshold(
    model: &ScanModel,
    proteins: &[&TrainProtein],
    probs: &[Vec<f32>],
    recall: f32,
) -> f32 {
    // For each NES: the best score of a candidate that is real for it.
    let mut best: Vec<f32> = Vec::new();
    for (p, pr) in proteins.iter().zip(probs) {
        let cands = model.candidates(&p.sequence, pr);
        for r in &p.nes {
            let s = cands
                .iter()
                .filter(|c| nesbind::scan::evaluate::is_real(&c.span, std::slice::from_ref(r)))
                .map(|c| c.score)
                .fold(f32::NEG_INFINITY, f32::max);
            if s.is_finite() {
                best.push(s);
            }
        }
    }
    let total: usize = proteins.iter().map(|p| p.nes.len()).sum();
    best.sort_by(|a, b| b.total_cmp(a));
    let k = ((recall * total as f32).ceil() as usize).clamp(1, best.len().max(1));
    best.get(k - 1).copied().unwrap_or(0.5)
}

fn train(
    args: &ScanArgs,
    embedder: &mut EsmResidueEmbedder,
    dir: &Path,
    cancel: &AtomicBool,
) -> anyhow::Result<()> {
    let tables = read_tables(args)?;
    let proteins = nesdb_proteins(&tables);
    eprintln!("{} NESdb proteins with export signals", proteins.len());
    let features = embed_all(embedder, &proteins, cancel)?;
    let refs: Vec<&TrainProtein> = proteins.iter().collect();
    let frefs: Vec<&Vec<Vec<f32>>> = features.iter().collect();
    let names = table_names(&tables);
    let model = Recipe {
        embedder,
        tables: &names,
        share: args.context_share,
        ranker: ranker_config(args),
        cancel,
    }
    .fit(&refs, &frefs)?;
    model
        .save(dir)
        .with_context(|| format!("writing the scan model to {}", dir.display()))?;
    println!(
        "scan model written to {} (threshold {:.3}: recall {TARGET_RECALL} on its training proteins; context model share {}); {}",
        dir.display(),
        model.threshold,
        model.blend,
        model.trained_on
    );
    Ok(())
}

fn table_names(tables: &[NesTable]) -> String {
    tables
        .iter()
        .map(|t| {
            t.path.file_name().map_or_else(
                || t.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cross_validate(
    args: &ScanArgs,
    embedder: &mut EsmResidueEmbedder,
    folds: usize,
    out: &Path,
    cancel: &AtomicBool,
) -> anyhow::Result<()> {
    let tables = read_tables(args)?;
    let proteins = nesdb_proteins(&tables);
    let features = embed_all(embedder, &proteins, cancel)?;
    let keys: Vec<(&str, &str)> = proteins
        .iter()
        .map(|p| (p.key.as_str(), p.sequence.as_str()))
        .collect();
    let group = groups(&keys);
    let folds = folds.max(2);
    let n_groups = group.iter().copied().max().map_or(0, |m| m + 1);
    let fold = folds_of_groups(&group, folds, args.cv_seed);
    let mut fold_size = vec![0usize; folds];
    for f in &fold {
        fold_size[*f] += 1;
    }
    eprintln!(
        "{}-fold cross-validation over {} proteins in {n_groups} groups (protein, shared 8-mers): fold sizes {fold_size:?}",
        folds,
        proteins.len()
    );
    let names = table_names(&tables);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // Every share is scored on the same folds.
    let mut shares: Vec<f32> = args.cv_shares.clone();
    if !shares.contains(&args.context_share) {
        shares.push(args.context_share);
    }
    let settings = TaggerSettings::default();
    let mut text = format!(
        "Protocol: {folds}-fold cross-validation of the scan model grouped by protein and shared 8-residue stretches \
         (fold seed {}); LocNES protocol (candidates = every consensus-class window; real = at least half inside an annotated signal); \
         tables: {names}; residue features: ESM-2 {} layer {} ({} features with the sequence channels); model score = the window ranker's P(real NES), fitted on the training folds' windows with \
         {INNER_FOLDS}-fold out-of-fold P(NES), loss = (1 - c) · windows' likelihood + c · within-protein choice, c = {}; model threshold = median of the folds' training thresholds; \
         residue P(NES) = (1 - share) · logistic + share · BiLSTM context model (crop {}, stride {}, hidden {} × {} layers, seed {})\n",
        args.cv_seed,
        embedder.info().model,
        embedder.layer,
        embedder.info().dim,
        args.choice_share,
        settings.crop,
        settings.stride,
        settings.hidden,
        settings.layers,
        settings.seed
    );
    let mut reports = Vec::new();
    for &share in &shares {
        let mut probabilities: Vec<Vec<f32>> = vec![Vec::new(); proteins.len()];
        let mut thresholds = Vec::new();
        let mut models: Vec<ScanModel> = Vec::new();
        for f in 0..folds {
            anyhow::ensure!(!cancel.load(Ordering::Relaxed), "cancelled");
            let train_idx: Vec<usize> = (0..proteins.len()).filter(|&i| fold[i] != f).collect();
            let test_idx: Vec<usize> = (0..proteins.len()).filter(|&i| fold[i] == f).collect();
            let refs: Vec<&TrainProtein> = train_idx.iter().map(|&i| &proteins[i]).collect();
            let frefs: Vec<&Vec<Vec<f32>>> = train_idx.iter().map(|&i| &features[i]).collect();
            let test_f: Vec<&Vec<Vec<f32>>> = test_idx.iter().map(|&i| &features[i]).collect();
            let model = Recipe {
                embedder,
                tables: &names,
                share,
                ranker: ranker_config(args),
                cancel,
            }
            .fit(&refs, &frefs)?;
            for (&i, p) in test_idx.iter().zip(probabilities_of(&model, &test_f)?) {
                probabilities[i] = p;
            }
            eprintln!(
                "share {share}, fold {}: trained on {} proteins, threshold {:.3}",
                f + 1,
                refs.len(),
                model.threshold
            );
            thresholds.push(model.threshold);
            models.push(model);
        }
        thresholds.sort_by(f32::total_cmp);
        let threshold = thresholds[thresholds.len() / 2];
        let truths: Vec<ScanTruth<'_>> = proteins
            .iter()
            .zip(&probabilities)
            .zip(&fold)
            .map(|((p, pr), f)| ScanTruth {
                sequence: &p.sequence,
                nes: &p.nes,
                probabilities: pr,
                model: models.get(*f),
            })
            .collect();
        let report = evaluate_scan(&truths, threshold);
        text.push_str(&format!("\n## context model share {share}\n\n"));
        text.push_str(&scan_summary(&report));
        if share == args.context_share {
            write_candidates_csv(
                &out.join("candidates.csv"),
                &proteins,
                &probabilities,
                &fold,
                &models,
            )?;
        }
        reports.push(serde_json::json!({ "context_share": share, "report": report }));
    }
    std::fs::write(out.join("summary.txt"), &text)
        .with_context(|| format!("writing {}", out.join("summary.txt").display()))?;
    std::fs::write(
        out.join("metrics.json"),
        serde_json::to_string_pretty(&reports).context("formatting the report")?,
    )
    .with_context(|| format!("writing {}", out.join("metrics.json").display()))?;
    print!("{text}");
    Ok(())
}

/// Residues on each side of a window written with it to candidates.csv.
const CONTEXT_FLANK: usize = 10;

/// Every consensus window of every protein with its out-of-fold scores (P(NES) and the score of the
/// model of the fold that held the protein out) and whether it is real, for inspecting the ranking.
fn write_candidates_csv(
    path: &Path,
    proteins: &[TrainProtein],
    probabilities: &[Vec<f32>],
    fold: &[usize],
    models: &[ScanModel],
) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    writeln!(
        w,
        "protein,fold,length,start,end,class,orientation,rev_type,phi0,mean_p,max_p,phi_mean_p,score,real,phi,context"
    )?;
    for ((p, probs), f) in proteins.iter().zip(probabilities).zip(fold) {
        let mean = candidates(&p.sequence, probs);
        let scored = models
            .get(*f)
            .map_or_else(|| mean.clone(), |m| m.candidates(&p.sequence, probs));
        for c in mean {
            let score = scored
                .iter()
                .find(|s| s.span == c.span && s.pattern == c.pattern)
                .map_or(f32::NAN, |s| s.score);
            let phi: Vec<f32> = c
                .pattern
                .positions
                .iter()
                .flatten()
                .filter_map(|&i| probs.get(i).copied())
                .collect();
            let max = probs[c.span.clone()].iter().copied().fold(0.0f32, f32::max);
            writeln!(
                w,
                "{},{f},{},{},{},{},{:?},{},{},{:.5},{:.5},{:.5},{:.5},{},{},{}",
                csv_field(&p.key),
                p.sequence.len(),
                c.span.start + 1,
                c.span.end,
                c.pattern.class.name(),
                c.pattern.orientation,
                c.pattern.rev_type,
                c.pattern.positions[0].is_some(),
                c.score,
                max,
                phi.iter().sum::<f32>() / phi.len().max(1) as f32,
                score,
                u8::from(nesbind::scan::evaluate::is_real(&c.span, &p.nes)),
                c.pattern
                    .positions
                    .iter()
                    .map(|q| q.map_or("-".to_string(), |i| (i + 1).to_string()))
                    .collect::<Vec<_>>()
                    .join(" "),
                &p.sequence[c.span.start.saturating_sub(CONTEXT_FLANK)
                    ..(c.span.end + CONTEXT_FLANK).min(p.sequence.len())]
            )?;
        }
    }
    w.flush()?;
    Ok(())
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
