//! Protein-grouped K-fold cross-validation: every row is predicted by a model that never saw its
//! protein (nor any peptide sharing an 8-residue stretch with it), and the baselines run on the
//! same rows in the same pass.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::dataset::{Dataset, Example, LabelSource, cv_folds, groups};
use super::evaluate::{
    BILSTM, EvaluationReport, LOGISTIC, LogisticBaseline, LossCurves, MODEL, MethodOutput,
    MethodOutputs, model_and_bilstm_outputs, report, rule_outputs,
};
use super::trainer::{EpochReport, StopReason, TrainConfig, TrainData, pocket_classes, train};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvConfig {
    pub folds: usize,
    pub seed: u64,
    /// Share of each fold's training groups held out for early stopping.
    pub validation_fraction: f64,
}

impl Default for CvConfig {
    fn default() -> Self {
        Self {
            folds: 5,
            seed: 42,
            validation_fraction: 0.15,
        }
    }
}

/// Progress of a cross-validation run.
#[derive(Debug, Clone)]
pub enum CvProgress {
    FoldStarted {
        fold: usize,
        folds: usize,
        train: usize,
        validation: usize,
        test: usize,
    },
    Epoch {
        fold: usize,
        report: EpochReport,
    },
}

/// Rows that may train a model: not crystals (test only), with some known label.
fn trainable(e: &Example) -> bool {
    e.source != LabelSource::Crystal
        && e.binding_weight
            .iter()
            .chain(&e.pocket_weight)
            .any(|w| *w > 0.0)
}

/// Splits `train` (indices into `examples`) by group into (train, validation).
fn inner_split(
    examples: &[Example],
    train: &[usize],
    fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let keys: Vec<(&str, &str)> = train
        .iter()
        .map(|&i| (examples[i].protein.as_str(), examples[i].sequence.as_str()))
        .collect();
    let group = groups(&keys);
    let n_groups = group.iter().copied().max().map_or(0, |m| m + 1);
    let mut order: Vec<usize> = (0..n_groups).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let n_val = (n_groups as f64 * fraction).round() as usize;
    let held: std::collections::HashSet<usize> = order.into_iter().take(n_val).collect();
    let (mut t, mut v) = (Vec::new(), Vec::new());
    for (k, &i) in train.iter().enumerate() {
        if held.contains(&group[k]) {
            v.push(i);
        } else {
            t.push(i);
        }
    }
    (t, v)
}

/// Trains one model per fold and scores every row with the model of the fold that held it out,
/// beside the logistic baseline (fitted on the same training rows) and the two rules.
pub fn cross_validate(
    dataset: &Dataset,
    train_config: &TrainConfig,
    cv: &CvConfig,
    device: &Device,
    progress: &mut dyn FnMut(&CvProgress),
    cancel: &AtomicBool,
) -> Result<EvaluationReport, TrainError> {
    if cv.folds < 2 {
        return Err(TrainError::Config(format!(
            "cross-validation needs at least 2 folds, not {}",
            cv.folds
        )));
    }
    let plain = device.clone().without_autodiff();
    let examples = &dataset.examples;
    let fold_of = cv_folds(examples, cv.folds, cv.seed);
    let pockets = pocket_classes(dataset);
    let mut model_out: Vec<Option<MethodOutput>> = vec![None; examples.len()];
    let mut logistic_out: Vec<Option<MethodOutput>> = vec![None; examples.len()];
    let mut bilstm_out: Vec<Option<MethodOutput>> = vec![None; examples.len()];
    let mut history = Vec::new();
    let mut notes = Vec::new();
    for fold in 0..cv.folds {
        let test: Vec<usize> = (0..examples.len())
            .filter(|&i| fold_of[i] == fold)
            .collect();
        if test.is_empty() {
            continue;
        }
        let pool: Vec<usize> = (0..examples.len())
            .filter(|&i| fold_of[i] != fold && trainable(&examples[i]))
            .collect();
        let (train_idx, val_idx) = inner_split(
            examples,
            &pool,
            cv.validation_fraction,
            cv.seed + fold as u64,
        );
        progress(&CvProgress::FoldStarted {
            fold: fold + 1,
            folds: cv.folds,
            train: train_idx.len(),
            validation: val_idx.len(),
            test: test.len(),
        });
        let data = TrainData::select(dataset, &pockets, &train_idx, &val_idx);
        let outcome = train(
            &data,
            train_config,
            device,
            &mut |r| {
                progress(&CvProgress::Epoch {
                    fold: fold + 1,
                    report: r.clone(),
                })
            },
            cancel,
        )?;
        if outcome.stop == StopReason::Cancelled || cancel.load(Ordering::Relaxed) {
            return Err(TrainError::Config(format!(
                "cross-validation cancelled in fold {}",
                fold + 1
            )));
        }
        if fold == 0 {
            history = outcome.history.clone();
        }
        let runs: Vec<String> = outcome
            .member_runs
            .iter()
            .map(|r| format!("{} of {}", r.best_epoch, r.epochs))
            .collect();
        notes.push(format!(
            "fold {}: {} training, {} validation, {} test peptides; best epoch {}",
            fold + 1,
            train_idx.len(),
            val_idx.len(),
            test.len(),
            runs.join(", ")
        ));
        let test_examples: Vec<&Example> = test.iter().map(|&i| &examples[i]).collect();
        // Each fold decodes with the step preferences learned from its own training rows.
        let bounds = outcome.register_bounds;
        let (outs, alone) = model_and_bilstm_outputs(
            &outcome.members,
            outcome.blend.as_ref(),
            &test_examples,
            dataset.dim(),
            &bounds,
            &plain,
        )?;
        for (&i, o) in test.iter().zip(outs) {
            model_out[i] = Some(o);
        }
        for (&i, o) in test.iter().zip(alone.into_iter().flatten()) {
            bilstm_out[i] = Some(o);
        }
        let train_examples: Vec<&Example> = train_idx.iter().map(|&i| &examples[i]).collect();
        if let Some(l) = LogisticBaseline::fit(&train_examples, &outcome.class_weights) {
            for (&i, o) in test.iter().zip(l.outputs(&test_examples, &bounds)) {
                logistic_out[i] = Some(o);
            }
        }
    }
    let all: Vec<&Example> = examples.iter().collect();
    let fill = |v: Vec<Option<MethodOutput>>| -> Vec<MethodOutput> {
        v.into_iter()
            .zip(&all)
            .map(|(o, e)| o.unwrap_or_else(|| MethodOutput::from_rule(e.len(), None)))
            .collect()
    };
    let blended = bilstm_out.iter().any(Option::is_some);
    let mut methods = vec![(MODEL, true, fill(model_out))];
    if blended {
        methods.push((BILSTM, true, fill(bilstm_out)));
    }
    methods.push((LOGISTIC, true, fill(logistic_out)));
    methods.extend(rule_outputs(&all));
    let outputs = MethodOutputs {
        examples: all,
        methods,
    };
    Ok(report(
        format!(
            "{}-fold cross-validation grouped by protein and shared 8-residue stretches (seed {}); \
             crystal rows are never trained on",
            cv.folds, cv.seed
        ),
        &outputs,
        LossCurves::from_history(&history),
        notes,
    ))
}
