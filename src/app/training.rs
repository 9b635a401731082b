//! Training and prediction from the window: the labelled peptides of the open complexes are embedded with
//! ESM-2, a BiLSTM tagger is trained on them (epoch reports stream to the plots), and the trained model
//! predicts the active complex's peptide or a typed sequence. Runs in background jobs.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::compute::{ComputeDevice, DeviceChoice};
use crate::embed::{Embedder, EsmModel};
use crate::structure::Pocket;
use crate::train::batch::Sample;
use crate::train::metrics::{
    Curve, PocketMetrics, pocket_metrics, pr_auc, pr_curve, roc_auc, roc_curve,
};
use crate::train::predict::{LinearBlend, PeptideOutput, run_ensemble};
use crate::train::register::{Register, RegisterBounds, decode};
use crate::train::trainer::TrainData;
use crate::train::{BiLstmTagger, EpochReport, StopReason, TrainConfig, train};

use super::document::{Document, Prediction};
use super::jobs::JobContext;

/// What the Training panel lets the user choose; persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainSettings {
    /// ESM-2 model folder; `None` = the bundled model.
    pub esm_dir: Option<PathBuf>,
    pub device: DeviceChoice,
    pub epochs: usize,
    pub hidden: usize,
    pub layers: usize,
    pub learning_rate: f64,
    pub batch_size: usize,
    /// About one protein (or structure) in n goes to validation (0 = none).
    pub validation_every: usize,
    /// Also train on the bundled NESdb table's NESs, labelled by the consensus Φ pattern.
    pub nesdb_patterns: bool,
}

impl Default for TrainSettings {
    fn default() -> Self {
        let t = TrainConfig::default();
        Self {
            esm_dir: None,
            device: DeviceChoice::Cpu,
            epochs: 30,
            hidden: t.hidden,
            layers: t.layers,
            learning_rate: t.learning_rate,
            batch_size: 8,
            validation_every: 4,
            nesdb_patterns: false,
        }
    }
}

/// One labelled peptide taken from an open complex.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingPeptide {
    pub name: String,
    /// Peptides of one protein (or one structure) stay on the same side of the validation split.
    pub group: String,
    pub sequence: String,
    pub binding: Vec<bool>,
    /// 0 = no pocket, 1..=5 = Φ0..Φ4 (the tagger's classes).
    pub pocket: Vec<usize>,
}

/// The labelled peptides of every open complex (structure labels).
pub fn peptides_from_documents(docs: &[Document]) -> Vec<TrainingPeptide> {
    docs.iter()
        .filter(|d| d.complex().is_some() && !d.labels.is_empty())
        .map(|d| TrainingPeptide {
            name: d.name(),
            group: d.name(),
            sequence: d.labels.iter().map(|l| l.code).collect(),
            binding: d.labels.iter().map(|l| l.binding).collect(),
            pocket: d
                .labels
                .iter()
                .map(|l| l.pocket.map_or(0, |p| p.index() + 1))
                .collect(),
        })
        .collect()
}

/// About one group in `every` goes to validation, chosen by a stable hash of the group name (FNV-1a), so
/// the split is the same on every run and never separates two peptides of one protein.
pub fn in_validation(group: &str, every: usize) -> bool {
    if every == 0 {
        return false;
    }
    let hash = group.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash % every as u64 == 0
}

/// The bundled NESdb table the pattern source reads.
pub fn bundled_nesdb() -> PathBuf {
    crate::assets_dir().join("nes/NESDB_combined_database.csv")
}

/// NESdb NESs labelled by the consensus Φ pattern (the second data source of `nesbind dataset`).
pub fn nesdb_pattern_peptides(path: &std::path::Path) -> anyhow::Result<Vec<TrainingPeptide>> {
    let table = crate::nesdb::read_nesdb(path)?;
    let candidates = crate::train::sources::nes_candidates(&table, 0);
    let (labelled, _unmatched) = crate::train::dataset::pattern_labels(&candidates);
    Ok(labelled
        .into_iter()
        .map(|p| TrainingPeptide {
            name: p.id,
            group: p.protein.trim().to_ascii_lowercase(),
            sequence: p.sequence,
            binding: p.binding,
            pocket: p
                .pocket
                .iter()
                .map(|k| k.map_or(0, |k| k as usize + 1))
                .collect(),
        })
        .collect())
}

/// A trained tagger with the ESM-2 model that feeds it, ready to predict.
pub struct TrainedModel {
    /// The ensemble members (one unless the settings ask for more); predictions average them.
    pub members: Vec<BiLstmTagger>,
    /// The per-residue regression blended into the members' probabilities.
    pub blend: Option<LinearBlend>,
    pub dim: usize,
    pub embedder: Embedder,
    pub layer: usize,
    pub device: burn::tensor::Device,
    pub device_name: String,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    pub stop: StopReason,
    pub peptides: usize,
    /// ROC, PR and pocket confusion of the finished model on the validation peptides (or, without any,
    /// the training peptides — said so in `set`).
    pub evaluation: Evaluation,
    /// The decoder's spacings and the step preferences learned in training.
    pub register: RegisterBounds,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub set: String,
    pub residues: usize,
    pub roc: Curve,
    pub pr: Curve,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub pocket: PocketMetrics,
    /// The `nesbind evaluate` table on the same peptides: model (decoded register) beside the
    /// consensus rule and the ELM regex.
    pub table: String,
}

/// The evaluate table (exact register, pocket accuracy, binding, …) of `tagger` and the two rules
/// on structure-labelled peptides.
fn comparison_table(
    members: &[BiLstmTagger],
    blend: Option<&LinearBlend>,
    peptides: &[(&TrainingPeptide, &Vec<Vec<f32>>)],
    dim: usize,
    bounds: &RegisterBounds,
    device: &burn::tensor::Device,
) -> anyhow::Result<String> {
    use crate::train::dataset::{Example, LabelSource, Split};
    use crate::train::evaluate::{MODEL, MethodOutputs, model_outputs, rule_outputs, score_groups};
    let examples: Vec<Example> = peptides
        .iter()
        .map(|(p, f)| {
            let n = p.binding.len();
            Example {
                id: p.name.clone(),
                protein: p.group.clone(),
                source: LabelSource::Crystal,
                split: Split::Validation,
                sequence: p.sequence.clone(),
                binding: p.binding.clone(),
                pocket: p
                    .pocket
                    .iter()
                    .map(|c| c.checked_sub(1).map(|k| k as u8))
                    .collect(),
                binding_weight: vec![1.0; n],
                pocket_weight: vec![1.0; n],
                plddt: None,
                mutations: Vec::new(),
                crop: false,
                mirrored: false,
                note: String::new(),
                features: f.to_vec(),
            }
        })
        .collect();
    let refs: Vec<&Example> = examples.iter().collect();
    let mut methods = vec![(
        MODEL,
        true,
        model_outputs(members, blend, &refs, dim, bounds, device)?,
    )];
    methods.extend(rule_outputs(&refs));
    let (groups, _) = score_groups(&MethodOutputs {
        examples: refs,
        methods,
    });
    let report = crate::train::evaluate::EvaluationReport {
        protocol: "structure labels of the open complexes held out from training".into(),
        verdicts: Vec::new(),
        groups,
        curves: Vec::new(),
        loss: Default::default(),
        notes: Vec::new(),
        rows: Vec::new(),
    };
    Ok(crate::train::evaluate::summary_text(&report))
}

fn evaluate(
    members: &[BiLstmTagger],
    blend: Option<&LinearBlend>,
    samples: &[Sample],
    set: &str,
    dim: usize,
    device: &burn::tensor::Device,
) -> anyhow::Result<Evaluation> {
    let outputs = run_ensemble(members, blend, samples, dim, 8, device)?;
    let mut scores = Vec::new();
    let mut truth = Vec::new();
    let mut predicted_pocket = Vec::new();
    let mut true_pocket = Vec::new();
    for (s, out) in samples.iter().zip(&outputs) {
        scores.extend_from_slice(&out.binding);
        truth.extend_from_slice(s.binding);
        predicted_pocket.extend(out.pocket_argmax());
        true_pocket.extend_from_slice(s.pocket);
    }
    Ok(Evaluation {
        set: set.to_string(),
        residues: scores.len(),
        roc: roc_curve(&scores, &truth),
        pr: pr_curve(&scores, &truth),
        roc_auc: roc_auc(&scores, &truth),
        pr_auc: pr_auc(&scores, &truth),
        pocket: pocket_metrics(&predicted_pocket, &true_pocket),
        table: String::new(),
    })
}

fn esm_dir(settings: &TrainSettings) -> anyhow::Result<PathBuf> {
    match &settings.esm_dir {
        Some(d) => Ok(d.clone()),
        None => crate::embed::default_model_dir().context("finding the bundled ESM-2 model"),
    }
}

/// The peptides' ESM-2 features and the model that made them.
struct Embedded {
    dir: PathBuf,
    embedder: Embedder,
    layer: usize,
    features: Vec<Vec<Vec<f32>>>,
}

/// Loads the settings' ESM-2 model on `dev` and embeds the peptides with its final layer.
fn embed_peptides(
    peptides: &[TrainingPeptide],
    settings: &TrainSettings,
    dev: &ComputeDevice,
    jc: &JobContext,
) -> anyhow::Result<Embedded> {
    let dir = esm_dir(settings)?;
    jc.progress(Some(0.0), format!("loading ESM-2 from {}", dir.display()));
    let model = EsmModel::load(&dir, &dev.device)
        .with_context(|| format!("loading ESM-2 from {}", dir.display()))?;
    let embedder = Embedder::new(model, settings.batch_size.max(1));
    let layer = embedder.resolve_layer(None)?;
    let sequences: Vec<String> = peptides.iter().map(|p| p.sequence.clone()).collect();
    let features = embed(&embedder, layer, &sequences, jc)?;
    Ok(Embedded {
        dir,
        embedder,
        layer,
        features,
    })
}

/// Embeds peptides with the final layer, reporting progress and honouring cancel.
fn embed(
    embedder: &Embedder,
    layer: usize,
    sequences: &[String],
    jc: &JobContext,
) -> anyhow::Result<Vec<Vec<Vec<f32>>>> {
    let cancel = jc.cancel_flag();
    let mut progress = |done: usize, total: usize| {
        jc.progress(
            Some(done as f32 / total.max(1) as f32 * 0.3),
            format!("embedding {done}/{total} peptides"),
        );
        !cancel.load(std::sync::atomic::Ordering::Relaxed)
    };
    let out = embedder
        .embed(sequences, Some(layer), &mut progress)
        .context("embedding the peptides with ESM-2")?;
    jc.check()?;
    Ok(out
        .into_iter()
        .map(|e| e.rows().map(<[f32]>::to_vec).collect())
        .collect())
}

/// Embeds and trains; epoch reports go to `reports` as they happen.
pub fn train_job(
    peptides: Vec<TrainingPeptide>,
    settings: TrainSettings,
    dev: ComputeDevice,
    reports: Sender<EpochReport>,
    jc: &JobContext,
) -> anyhow::Result<TrainedModel> {
    let mut peptides = peptides;
    if settings.nesdb_patterns {
        let path = bundled_nesdb();
        jc.progress(Some(0.0), format!("reading {}", path.display()));
        let patterns = nesdb_pattern_peptides(&path)?;
        jc.progress(
            Some(0.0),
            format!("{} NESdb peptides with pattern labels", patterns.len()),
        );
        peptides.extend(patterns);
    }
    if peptides.is_empty() {
        anyhow::bail!("no labelled peptides: open CRM1–NES complexes first");
    }
    let Embedded {
        embedder,
        layer,
        features,
        ..
    } = embed_peptides(&peptides, &settings, &dev, jc)?;
    let dim = embedder.model().hidden_size();

    let mut train_set = Vec::new();
    let mut validation = Vec::new();
    for (p, f) in peptides.iter().zip(&features) {
        let sample = Sample {
            id: &p.name,
            features: f,
            binding: &p.binding,
            pocket: &p.pocket,
            binding_weight: &[],
            pocket_weight: &[],
        };
        if in_validation(&p.group, settings.validation_every) {
            validation.push(sample)
        } else {
            train_set.push(sample)
        }
    }
    if train_set.is_empty() {
        // Very few groups can all hash into validation: train on everything rather than on nothing.
        train_set.append(&mut validation);
    }
    let config = TrainConfig {
        epochs: settings.epochs,
        batch_size: settings.batch_size,
        learning_rate: settings.learning_rate,
        hidden: settings.hidden,
        layers: settings.layers,
        ..TrainConfig::default()
    };
    let epochs = config.epochs.max(1);
    let data = TrainData {
        dim,
        train: train_set,
        validation,
    };
    let mut on_epoch = |r: &EpochReport| {
        jc.progress(
            Some(0.3 + 0.7 * r.epoch as f32 / epochs as f32),
            format!("epoch {}/{}: loss {:.4}", r.epoch, r.epochs, r.train_loss),
        );
        reports.send(r.clone()).ok();
    };
    let outcome = train(
        &data,
        &config,
        &dev.device,
        &mut on_epoch,
        &jc.cancel_flag(),
    )?;
    let plain = dev.device.clone().without_autodiff();
    let (set, samples) = if data.validation.is_empty() {
        ("training peptides (no validation split)", &data.train)
    } else {
        ("validation peptides", &data.validation)
    };
    let blend = outcome.blend;
    let mut evaluation = evaluate(&outcome.members, blend.as_ref(), samples, set, dim, &plain)?;
    let held_out: Vec<(&TrainingPeptide, &Vec<Vec<f32>>)> = peptides
        .iter()
        .zip(&features)
        .filter(|(p, _)| {
            data.validation.is_empty() || in_validation(&p.group, settings.validation_every)
        })
        .collect();
    evaluation.table = comparison_table(
        &outcome.members,
        blend.as_ref(),
        &held_out,
        dim,
        &outcome.register_bounds,
        &plain,
    )?;
    Ok(TrainedModel {
        members: outcome.members,
        blend,
        dim,
        embedder,
        layer,
        device: plain,
        device_name: dev.description,
        history: outcome.history,
        best_epoch: outcome.best_epoch,
        stop: outcome.stop,
        peptides: peptides.len(),
        evaluation,
        register: outcome.register_bounds,
    })
}

/// Per-residue output for one sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct SequencePrediction {
    pub sequence: String,
    pub probabilities: Vec<f32>,
    /// From the decoded register: each pocket used once, in chain order.
    pub pockets: Vec<Option<Pocket>>,
    pub register: Option<Register>,
}

/// Pockets from the most probable consistent register, not a per-residue argmax.
fn sequence_prediction(
    sequence: &str,
    out: PeptideOutput,
    bounds: &RegisterBounds,
) -> SequencePrediction {
    let n = out.binding.len();
    let register = decode(&out.pocket, bounds).best;
    SequencePrediction {
        sequence: sequence.to_string(),
        pockets: register
            .as_ref()
            .map_or_else(|| vec![0; n], |r| r.classes(n))
            .into_iter()
            .map(|c| c.checked_sub(1).and_then(Pocket::from_index))
            .collect(),
        probabilities: out.binding,
        register,
    }
}

/// Runs the trained model on sequences (one-letter codes).
pub fn predict_sequences(
    model: &TrainedModel,
    sequences: &[String],
    jc: &JobContext,
) -> anyhow::Result<Vec<SequencePrediction>> {
    let features = embed(&model.embedder, model.layer, sequences, jc)?;
    let dummy: Vec<(Vec<bool>, Vec<usize>)> = sequences
        .iter()
        .map(|s| (vec![false; s.chars().count()], vec![0; s.chars().count()]))
        .collect();
    let samples: Vec<Sample> = sequences
        .iter()
        .zip(&features)
        .zip(&dummy)
        .map(|((s, f), (b, p))| Sample {
            id: s,
            features: f,
            binding: b,
            pocket: p,
            binding_weight: &[],
            pocket_weight: &[],
        })
        .collect();
    let outputs = run_ensemble(
        &model.members,
        model.blend.as_ref(),
        &samples,
        model.dim,
        8,
        &model.device,
    )?;
    Ok(sequences
        .iter()
        .zip(outputs)
        .map(|(s, out)| sequence_prediction(s, out, &model.register))
        .collect())
}

/// The prediction for a document's peptide, laid out like the peptide chain's residues.
pub fn prediction_for_document(
    doc: &Document,
    p: &SequencePrediction,
    model_name: &str,
) -> Option<Prediction> {
    let n = doc.complex()?.peptide_chain().residues.len();
    let mut probabilities = vec![None; n];
    let mut pockets = vec![None; n];
    let mut register = vec![None; n];
    for (k, label) in doc.labels.iter().enumerate() {
        if let (Some(slot), Some(prob)) = (
            probabilities.get_mut(label.residue_index),
            p.probabilities.get(k),
        ) {
            *slot = Some(*prob);
        }
        if let (Some(slot), Some(pocket)) =
            (register.get_mut(label.residue_index), p.pockets.get(k))
        {
            *slot = *pocket;
        }
        if let (Some(slot), Some(pocket)) = (pockets.get_mut(label.residue_index), p.pockets.get(k))
        {
            // Only residues predicted to bind are given a pocket colour.
            *slot = if p.probabilities.get(k).is_some_and(|&q| q >= 0.5) {
                *pocket
            } else {
                None
            };
        }
    }
    Some(Prediction {
        probabilities,
        pockets,
        register,
        model: model_name.to_string(),
    })
}

/// Shared handle: the model is read by prediction jobs while the UI keeps it.
pub type SharedModel = Arc<TrainedModel>;

/// What the Embedding panel shows after a run.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingSummary {
    pub model: String,
    pub layer: usize,
    pub dim: usize,
    pub device: String,
    /// (peptide name, residues, mean L2 norm of the residue vectors)
    pub peptides: Vec<(String, usize, f32)>,
    pub seconds: f64,
}

/// Embeds the open complexes' peptides with the chosen ESM-2 model (the Embedding panel's button).
pub fn embed_job(
    peptides: Vec<TrainingPeptide>,
    settings: TrainSettings,
    dev: ComputeDevice,
    jc: &JobContext,
) -> anyhow::Result<EmbeddingSummary> {
    let started = std::time::Instant::now();
    let Embedded {
        dir,
        embedder,
        layer,
        features,
    } = embed_peptides(&peptides, &settings, &dev, jc)?;
    let norm = |rows: &Vec<Vec<f32>>| {
        let n = rows.len().max(1) as f32;
        rows.iter()
            .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
            .sum::<f32>()
            / n
    };
    Ok(EmbeddingSummary {
        model: dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        layer,
        dim: embedder.model().hidden_size(),
        device: dev.description,
        peptides: peptides
            .iter()
            .zip(&features)
            .map(|(p, f)| (p.name.clone(), f.len(), norm(f)))
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Predicts sequences with a saved checkpoint (the bundled model unless `dir` is given) and the ESM-2
/// model it was trained on, which is checked by hash.
pub fn predict_with_checkpoint(
    dir: Option<PathBuf>,
    settings: &TrainSettings,
    dev: ComputeDevice,
    sequences: &[String],
    jc: &JobContext,
) -> anyhow::Result<Vec<SequencePrediction>> {
    let dir = match dir {
        Some(d) => d,
        None => crate::train::checkpoint::default_checkpoint_dir()
            .context("finding the bundled trained model")?,
    };
    jc.progress(Some(0.0), format!("loading {}", dir.display()));
    let predictor = crate::train::predict::Predictor::load(&dir, &dev.device)
        .with_context(|| format!("loading the trained model in {}", dir.display()))?;
    let info = predictor.checkpoint.info.embedding.clone();
    let esm = esm_dir(settings)?;
    let model = EsmModel::load(&esm, &dev.device)
        .with_context(|| format!("loading ESM-2 from {}", esm.display()))?;
    if model.sha256() != info.hash {
        anyhow::bail!(
            "{} was trained on {} (sha256 {}), but {} holds sha256 {}: choose that ESM-2 model",
            dir.display(),
            info.model,
            info.hash,
            esm.display(),
            model.sha256()
        );
    }
    let embedder = Embedder::new(model, 8);
    let layer = embedder.resolve_layer(Some(info.layer))?;
    let mut features = embed(&embedder, layer, sequences, jc)?;
    for (f, s) in features.iter_mut().zip(sequences) {
        info.channels().append(s, f);
    }
    sequences
        .iter()
        .zip(&features)
        .map(|(s, f)| {
            let out = predictor.outputs(s, f)?;
            Ok(sequence_prediction(
                s,
                out,
                &predictor.checkpoint.info.register,
            ))
        })
        .collect()
}

/// Folder name of the bundled trained model, for the panel.
pub fn bundled_model_label() -> String {
    crate::train::checkpoint::default_checkpoint_dir()
        .map(|d| super::document::file_label(&d))
        .unwrap_or_else(|_| "none bundled".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesdb_pattern_source_gives_consistent_peptides() {
        let peptides = nesdb_pattern_peptides(&bundled_nesdb()).expect("bundled NESdb table");
        assert!(
            peptides.len() > 100,
            "only {} pattern peptides",
            peptides.len()
        );
        for p in &peptides {
            let n = p.sequence.chars().count();
            assert_eq!(p.binding.len(), n, "{}", p.name);
            assert_eq!(p.pocket.len(), n, "{}", p.name);
            assert!(p.pocket.iter().all(|&k| k <= 5));
            // A pocket residue is a binding residue.
            assert!(
                p.pocket.iter().zip(&p.binding).all(|(&k, &b)| k == 0 || b),
                "{}",
                p.name
            );
        }
    }
}
