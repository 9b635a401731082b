//! Training loop: Adam, class-weighted two-head loss, early stopping on validation loss, progress per
//! epoch through a callback, cancel through a shared flag. Seeded and reproducible on the CPU.
//!
//! To drive it from a window, run it on a thread and forward reports through a channel:
//! ```no_run
//! use std::path::Path;
//! use std::sync::{Arc, atomic::AtomicBool, mpsc};
//! use nesbind::train::dataset::read_dataset;
//! use nesbind::train::trainer::{TrainData, pocket_classes, train};
//! use nesbind::train::{Checkpoint, TrainConfig, TrainError};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cancel = Arc::new(AtomicBool::new(false)); // the window's Cancel button stores true
//! let (tx, rx) = mpsc::channel();
//! let flag = cancel.clone();
//! let worker = std::thread::spawn(move || -> Result<Checkpoint, TrainError> {
//!     let ds = read_dataset(Path::new("data/ds"))?;
//!     let pockets = pocket_classes(&ds);
//!     let data = TrainData::from_dataset(&ds, &pockets);
//!     let config = TrainConfig::default();
//!     let device = burn::tensor::Device::flex();
//!     let mut send = |r: &nesbind::train::EpochReport| {
//!         let _ = tx.send(r.clone());
//!     };
//!     let outcome = train(&data, &config, &device, &mut send, &flag)?;
//!     Ok(Checkpoint::from_training(&ds.meta, &config, outcome))
//! });
//! for report in rx {
//!     println!("epoch {} loss {}", report.epoch, report.train_loss); // plot it
//! }
//! let checkpoint = worker.join().map_err(|_| "training thread panicked")??;
//! checkpoint.save(Path::new("models/m"))?;
//! # Ok(())
//! # }
//! ```

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::batch::{ClassWeights, Sample, loss, make_batch};
use super::dataset::{Dataset, Split};
use super::fused_adam::FusedAdam;
use super::logistic::ResidueLogistic;
use super::metrics::{binding_metrics, pocket_metrics};
use super::model::{BiLstmTagger, TaggerConfig};
use super::predict::{LinearBlend, run_model};
use super::register::RegisterBounds;
use super::register_loss::labelled_register;

/// burn's CPU random generator is global to the process: two trainings seeding and drawing from it
/// at once would interleave their draws. Holding this lock makes each seeded run reproducible.
static SEEDED_RUN: Mutex<()> = Mutex::new(());

/// A freshly initialised tagger whose weights depend only on `seed`. burn draws parameters from
/// its process-global RNG, lazily at first use, so this holds the run lock, seeds, and touches every
/// parameter with one forward pass before returning.
pub fn seeded_init(config: &TaggerConfig, device: &Device, seed: u64) -> BiLstmTagger {
    let _seeded = SEEDED_RUN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    init_locked(config, device, seed)
}

fn init_locked(config: &TaggerConfig, device: &Device, seed: u64) -> BiLstmTagger {
    device.seed(seed);
    let model = config.init(device);
    let probe = Tensor::<3>::zeros([1, 1, config.d_input], device);
    let _ = model.forward(probe, &[1]);
    model
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub hidden: usize,
    pub layers: usize,
    pub dropout: f64,
    /// Epochs without a lower validation loss before stopping.
    pub patience: usize,
    pub seed: u64,
    /// Cap on the class weights (binding positives, rare pockets).
    pub max_class_weight: f32,
    /// Use class weights at all (off for the overfit test, which wants the plain loss).
    pub class_weights: bool,
    /// Factor of the register-aware loss term (0 = per-residue losses only).
    #[serde(default)]
    pub register_loss: f32,
    /// Learn the decoder's step and Φ0 preferences from the training registers (else uniform).
    #[serde(default)]
    pub register_prior: bool,
    /// Independently seeded models (seeds `seed`, `seed + 1`, …) whose probabilities are averaged.
    #[serde(default = "one_member")]
    pub members: usize,
    /// Share of a per-residue logistic regression blended into the BiLSTM's probabilities
    /// ([`LinearBlend`]; 0 = the BiLSTM alone, as in checkpoints made before the blend).
    #[serde(default)]
    pub linear_share: f32,
}

fn one_member() -> usize {
    1
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch_size: 32,
            learning_rate: 1e-3,
            hidden: 64,
            layers: 2,
            dropout: 0.3,
            patience: 8,
            seed: 7,
            max_class_weight: 20.0,
            class_weights: true,
            register_loss: 1.0,
            register_prior: true,
            members: 1,
            linear_share: 0.3,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(TrainError::Config(
                "epochs and batch size must be at least 1".into(),
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(TrainError::Config(format!(
                "learning rate {} must be positive",
                self.learning_rate
            )));
        }
        if !(0.0..1.0).contains(&self.linear_share) {
            return Err(TrainError::Config(format!(
                "the linear model's share {} must be at least 0 and below 1",
                self.linear_share
            )));
        }
        Ok(())
    }
}

/// The peptides to train on and to stop on, as borrowed samples.
pub struct TrainData<'a> {
    pub dim: usize,
    pub train: Vec<Sample<'a>>,
    pub validation: Vec<Sample<'a>>,
}

/// Pocket classes of every example, in order: the storage [`TrainData::from_dataset`] borrows.
pub fn pocket_classes(dataset: &Dataset) -> Vec<Vec<usize>> {
    dataset
        .examples
        .iter()
        .map(|e| e.pocket_classes())
        .collect()
}

impl<'a> TrainData<'a> {
    /// The train and validation splits of a data set; `pockets` from [`pocket_classes`].
    pub fn from_dataset(dataset: &'a Dataset, pockets: &'a [Vec<usize>]) -> Self {
        let pick = |split: Split| -> Vec<Sample<'a>> {
            dataset
                .examples
                .iter()
                .zip(pockets)
                .filter(|(e, _)| e.split == split)
                .map(|(e, p)| e.sample(p))
                .collect()
        };
        Self {
            dim: dataset.dim(),
            train: pick(Split::Train),
            validation: pick(Split::Validation),
        }
    }
}

impl<'a> TrainData<'a> {
    /// Chosen examples (indices into `dataset.examples`) as training and validation samples.
    pub fn select(
        dataset: &'a Dataset,
        pockets: &'a [Vec<usize>],
        train: &[usize],
        validation: &[usize],
    ) -> Self {
        let pick = |idx: &[usize]| -> Vec<Sample<'a>> {
            idx.iter()
                .map(|&i| dataset.examples[i].sample(&pockets[i]))
                .collect()
        };
        Self {
            dim: dataset.dim(),
            train: pick(train),
            validation: pick(validation),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub epochs: usize,
    pub train_loss: f32,
    /// Validation loss (class-weighted as in training); `None` without validation peptides.
    pub val_loss: Option<f32>,
    pub val_binding_f1: Option<f64>,
    pub val_binding_roc_auc: Option<f64>,
    pub val_pocket_accuracy: Option<f64>,
    /// This epoch has the lowest stopping loss so far (its weights are kept).
    pub improved: bool,
    pub seconds: f64,
    /// Which ensemble member this epoch trained (1-based) and how many there are.
    #[serde(default = "one_member")]
    pub member: usize,
    #[serde(default = "one_member")]
    pub members: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    Completed,
    EarlyStopped,
    Cancelled,
}

pub struct TrainOutcome {
    /// Weights of each member's best epoch, in validation mode on the plain (non-autodiff) device;
    /// predictions average their probabilities.
    pub members: Vec<BiLstmTagger>,
    pub model_config: TaggerConfig,
    pub class_weights: ClassWeights,
    /// The epochs of the first member (the curves shown and saved).
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    /// Every member's seed, best epoch and epochs run.
    pub member_runs: Vec<MemberRun>,
    pub stop: StopReason,
    /// The decoder's spacings and the step preferences learned from the training registers.
    pub register_bounds: RegisterBounds,
    /// The per-residue regression fitted on the training rows, when `linear_share` > 0.
    pub blend: Option<LinearBlend>,
}

/// Runs `f` on a worker of rayon's global pool when `cpu` (`rayon::scope` runs it inline when
/// already on one). The CPU ops of a training step fork into that pool dozens of times each; from an
/// outside thread every fork is a hand-off to the workers and a wake-up back, while on a worker the
/// forking thread does its own half. A GPU step stays on the caller's thread, as before (its host
/// side barely forks).
fn on_rayon_worker<R: Send>(cpu: bool, f: impl FnOnce() -> R + Send) -> R {
    if cpu { rayon::scope(|_| f()) } else { f() }
}

fn scalar(t: Tensor<1>) -> Result<f32, TrainError> {
    t.into_data()
        .try_into_vec::<f32>()
        .map_err(|e| TrainError::Tensor(format!("{e:?}")))?
        .first()
        .copied()
        .ok_or_else(|| TrainError::Tensor("empty loss".into()))
}

/// Mean loss of `model` over `samples` (no gradients, no dropout).
fn mean_loss(
    model: &BiLstmTagger,
    samples: &[Sample],
    dim: usize,
    weights: &ClassWeights,
    config: &TrainConfig,
    bounds: &RegisterBounds,
    device: &Device,
) -> Result<f32, TrainError> {
    let mut total = 0f64;
    let mut count = 0usize;
    for chunk in samples.chunks(config.batch_size) {
        let batch = make_batch(chunk, dim, weights, device)?.with_register(
            chunk,
            config.register_loss,
            bounds,
            device,
        );
        let out = model.forward(batch.x.clone(), &batch.lengths);
        total += scalar(loss(out.binding, out.pocket, &batch))? as f64 * chunk.len() as f64;
        count += chunk.len();
    }
    Ok((total / count.max(1) as f64) as f32)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRun {
    pub seed: u64,
    pub best_epoch: usize,
    pub epochs: usize,
    pub stop: StopReason,
}

/// Trains `config.members` taggers on the same data with seeds `seed`, `seed + 1`, …: averaging
/// independently initialised models steadies the small-data predictions more than any one seed.
/// `device` may be plain or autodiff (`Device::flex()`, a wgpu device); training runs on its
/// autodiff form. `progress` is called after every epoch; setting `cancel` stops at the next batch
/// and returns the members finished so far plus the best weights of the one in progress, with
/// [`StopReason::Cancelled`].
pub fn train(
    data: &TrainData,
    config: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&EpochReport),
    cancel: &AtomicBool,
) -> Result<TrainOutcome, TrainError> {
    config.validate()?;
    if data.train.is_empty() {
        return Err(TrainError::NoTrainingData);
    }
    let count = config.members.max(1);
    let mut outcome: Option<TrainOutcome> = None;
    for k in 0..count {
        let member_config = TrainConfig {
            seed: config.seed.wrapping_add(k as u64),
            ..config.clone()
        };
        let one = train_member(
            data,
            &member_config,
            device,
            &mut |r| {
                progress(&EpochReport {
                    member: k + 1,
                    members: count,
                    ..r.clone()
                })
            },
            cancel,
        )?;
        let run = one.member_runs[0].clone();
        let cancelled = one.stop == StopReason::Cancelled;
        outcome = Some(match outcome {
            None => one,
            Some(mut acc) => {
                // A member cancelled before its first epoch ended has only initial weights.
                if run.best_epoch > 0 {
                    acc.members.extend(one.members);
                    acc.member_runs.push(run);
                }
                if cancelled {
                    acc.stop = StopReason::Cancelled;
                }
                acc
            }
        });
        if cancelled {
            break;
        }
    }
    let mut outcome = outcome.ok_or(TrainError::NoTrainingData)?;
    if config.linear_share > 0.0 && outcome.stop != StopReason::Cancelled {
        outcome.blend =
            ResidueLogistic::fit(&data.train, &outcome.class_weights).map(|model| LinearBlend {
                share: config.linear_share,
                model,
            });
    }
    Ok(outcome)
}

/// One member: trains a tagger from `config.seed`.
fn train_member(
    data: &TrainData,
    config: &TrainConfig,
    device: &Device,
    progress: &mut dyn FnMut(&EpochReport),
    cancel: &AtomicBool,
) -> Result<TrainOutcome, TrainError> {
    let model_config = TaggerConfig {
        d_input: data.dim,
        hidden: config.hidden,
        layers: config.layers,
        dropout: config.dropout,
    };
    model_config.validate().map_err(TrainError::Config)?;
    let class_weights = if config.class_weights {
        ClassWeights::balanced(&data.train, config.max_class_weight)
    } else {
        ClassWeights::uniform()
    };

    let register_bounds = if config.register_prior {
        RegisterBounds::default().with_prior_from(
            data.train
                .iter()
                .filter_map(|s| labelled_register(s, &RegisterBounds::default()))
                .map(|(positions, _, w)| (positions, w)),
        )
    } else {
        RegisterBounds::default()
    };
    let _seeded = SEEDED_RUN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let plain = device.clone().without_autodiff();
    let ad = plain.clone().autodiff();
    plain.seed(config.seed);
    super::dropout::seed(config.seed);
    let mut model = init_locked(&model_config, &ad, config.seed);
    let mut rng = StdRng::seed_from_u64(config.seed);
    // On the CPU the same Adam in one multithreaded pass (equal results, tested); burn's on a GPU.
    let on_cpu = plain == Device::flex();
    let mut optim = if on_cpu {
        ModuleOptimizer::from(FusedAdam)
    } else {
        AdamConfig::new().init()
    };
    let mut best: Option<(f32, BiLstmTagger, usize)> = None;
    let mut history = Vec::new();
    let mut stop = StopReason::Completed;
    let mut order: Vec<usize> = (0..data.train.len()).collect();

    'epochs: for epoch in 1..=config.epochs {
        let started = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0f64;
        let mut seen = 0usize;
        for chunk in order.chunks(config.batch_size) {
            if cancel.load(Ordering::Relaxed) {
                stop = StopReason::Cancelled;
                break 'epochs;
            }
            let samples: Vec<Sample> = chunk.iter().map(|&i| data.train[i]).collect();
            let (stepped, batch_loss) = on_rayon_worker(on_cpu, || -> Result<_, TrainError> {
                let batch = make_batch(&samples, data.dim, &class_weights, &ad)?.with_register(
                    &samples,
                    config.register_loss,
                    &register_bounds,
                    &ad,
                );
                let out = model.forward(batch.x.clone(), &batch.lengths);
                let l = loss(out.binding, out.pocket, &batch);
                let batch_loss = scalar(l.clone())?;
                let grads = GradientsParams::from_grads(l.backward(), &model);
                Ok((optim.step(config.learning_rate, model, grads), batch_loss))
            })?;
            model = stepped;
            loss_sum += batch_loss as f64 * chunk.len() as f64;
            seen += chunk.len();
        }
        let train_loss = (loss_sum / seen.max(1) as f64) as f32;
        let snapshot = model.valid();
        let mut report = EpochReport {
            epoch,
            epochs: config.epochs,
            train_loss,
            val_loss: None,
            val_binding_f1: None,
            val_binding_roc_auc: None,
            val_pocket_accuracy: None,
            improved: false,
            seconds: 0.0,
            member: 1,
            members: 1,
        };
        if !data.validation.is_empty() {
            let (val_loss, outputs) = on_rayon_worker(on_cpu, || -> Result<_, TrainError> {
                let val_loss = mean_loss(
                    &snapshot,
                    &data.validation,
                    data.dim,
                    &class_weights,
                    config,
                    &register_bounds,
                    &plain,
                )?;
                let outputs = run_model(
                    &snapshot,
                    &data.validation,
                    data.dim,
                    config.batch_size,
                    &plain,
                )?;
                Ok((val_loss, outputs))
            })?;
            report.val_loss = Some(val_loss);
            let scores: Vec<f32> = outputs.iter().flat_map(|o| o.binding.clone()).collect();
            let truth: Vec<bool> = data
                .validation
                .iter()
                .flat_map(|s| s.binding.to_vec())
                .collect();
            let b = binding_metrics(&scores, &truth, 0.5);
            report.val_binding_f1 = Some(b.f1);
            report.val_binding_roc_auc = b.roc_auc;
            let pred: Vec<usize> = outputs.iter().flat_map(|o| o.pocket_argmax()).collect();
            let pt: Vec<usize> = data
                .validation
                .iter()
                .flat_map(|s| s.pocket.to_vec())
                .collect();
            report.val_pocket_accuracy = Some(pocket_metrics(&pred, &pt).accuracy);
        }
        let stopping_loss = report.val_loss.unwrap_or(train_loss);
        let improved = best.as_ref().is_none_or(|(l, _, _)| stopping_loss < *l);
        if improved {
            best = Some((stopping_loss, snapshot, epoch));
        }
        report.improved = improved;
        report.seconds = started.elapsed().as_secs_f64();
        progress(&report);
        history.push(report);
        if let Some((_, _, best_epoch)) = &best
            && epoch - best_epoch >= config.patience.max(1)
            && !data.validation.is_empty()
        {
            stop = StopReason::EarlyStopped;
            break;
        }
    }
    let (model, best_epoch) = match best {
        Some((_, m, e)) => (m, e),
        // Cancelled before the first epoch ended: return the initial weights.
        None => (model.valid(), 0),
    };
    Ok(TrainOutcome {
        members: vec![model],
        model_config,
        class_weights,
        member_runs: vec![MemberRun {
            seed: config.seed,
            best_epoch,
            epochs: history.len(),
            stop,
        }],
        history,
        best_epoch,
        stop,
        register_bounds,
        blend: None,
    })
}
