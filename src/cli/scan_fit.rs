//! `nesbind scan --train DIR` and `--cv K --out DIR`: the scan model fitted on NESdb proteins (the
//! residue model, its out-of-fold probabilities and the window ranker fitted on them), and its
//! protein-grouped cross-validation by the LocNES protocol beside the consensus rule and the ELM regex.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use nesbind::labels::csv_field;
use nesbind::nesdb::{NesTable, read_nesdb};
use nesbind::scan::choice_fit::{ChoiceConfig, TrainingWindow};
use nesbind::scan::ranker::{WindowRanker, window_features};
use nesbind::scan::{
    ScanModel, ScanProtein, ScanTagger, ScanTruth, TaggerSettings, candidates, evaluate_scan,
    scan_summary,
};
use nesbind::train::dataset::{ResidueEmbedder, folds_of_groups, groups};
use nesbind::train::esm::EsmResidueEmbedder;

use super::progress::ProgressBar;
use super::scan::{CV_SEED, ScanArgs, embed_protein};

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
        .map(|p| read_nesdb(p).map_err(anyhow::Error::from))
        .collect()
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

fn ranker_config(args: &ScanArgs) -> ChoiceConfig {
    ChoiceConfig {
        choice_share: args.choice_share,
        ..ChoiceConfig::default()
    }
}

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

pub(super) fn train(
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

pub(super) fn cross_validate(
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
