//! `nesbind train`: train the BiLSTM tagger on a data set directory and write a checkpoint.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::train::checkpoint::Checkpoint;
use nesbind::train::dataset::read_dataset;
use nesbind::train::trainer::{StopReason, TrainConfig, TrainData, pocket_classes, train};

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Data set directory written by `nesbind dataset`.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Checkpoint directory to write.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    #[command(flatten)]
    pub options: TrainOptions,
}

/// Training settings, shared by `train` and `evaluate --cv`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainOptions {
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = TrainConfig::default().hidden)]
    pub hidden: usize,
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    #[arg(long, default_value_t = TrainConfig::default().batch_size)]
    pub batch_size: usize,
    #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = TrainConfig::default().dropout)]
    pub dropout: f64,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = TrainConfig::default().patience)]
    pub patience: usize,
    /// Stacked BiLSTM layers.
    #[arg(long, default_value_t = TrainConfig::default().layers)]
    pub layers: usize,
    /// Factor of the register-aware loss (−log P of the labelled register among all consistent ones; 0 = off).
    #[arg(long, default_value_t = TrainConfig::default().register_loss)]
    pub register_loss: f32,
    /// Ensemble size: models trained with seeds seed, seed+1, … whose probabilities are averaged.
    #[arg(long, default_value_t = TrainConfig::default().members)]
    pub members: usize,
    /// Share of a per-residue logistic regression (same features, same training rows) blended into
    /// the BiLSTM's probabilities; 0 = the BiLSTM alone.
    #[arg(long, default_value_t = TrainConfig::default().linear_share)]
    pub linear_share: f32,
}

impl TrainOptions {
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            hidden: self.hidden,
            seed: self.seed,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            dropout: self.dropout,
            patience: self.patience,
            layers: self.layers,
            register_loss: self.register_loss,
            members: self.members,
            linear_share: self.linear_share,
            ..TrainConfig::default()
        }
    }
}

/// Ctrl-C sets `cancel` (the run stops after the current batch); a second Ctrl-C quits at once
/// (the conditional exit sees the flag the first one set).
pub fn install_ctrl_c(cancel: &Arc<AtomicBool>) -> anyhow::Result<()> {
    signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        130,
        Arc::clone(cancel),
    )
    .context("installing the Ctrl-C handler")?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(cancel))
        .context("installing the Ctrl-C handler")?;
    Ok(())
}

/// One line per epoch on stderr.
pub fn epoch_line(prefix: &str, r: &nesbind::train::EpochReport) -> String {
    let member = if r.members > 1 {
        format!("member {}/{}  ", r.member, r.members)
    } else {
        String::new()
    };
    format!(
        "{prefix}{member}epoch {:>3}/{}  train loss {:.4}  val loss {}  val F1 {}  val AUC {}  pocket acc {}  {:.1}s{}",
        r.epoch,
        r.epochs,
        r.train_loss,
        r.val_loss.map_or("–".into(), |v| format!("{v:.4}")),
        r.val_binding_f1.map_or("–".into(), |v| format!("{v:.3}")),
        r.val_binding_roc_auc
            .map_or("–".into(), |v| format!("{v:.3}")),
        r.val_pocket_accuracy
            .map_or("–".into(), |v| format!("{v:.3}")),
        r.seconds,
        if r.improved { "  *" } else { "" }
    )
}

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let ds = read_dataset(&args.dataset)
        .with_context(|| format!("reading the data set in {}", args.dataset.display()))?;
    let dev = select_device(args.device)?;
    if let Some(note) = &dev.note {
        eprintln!("{note}");
    }
    eprintln!("training on {}", dev.description);
    let pockets = pocket_classes(&ds);
    let data = TrainData::from_dataset(&ds, &pockets);
    eprintln!(
        "{} training and {} validation peptides, {} features per residue",
        data.train.len(),
        data.validation.len(),
        data.dim
    );
    let config = args.options.config();
    let cancel = Arc::new(AtomicBool::new(false));
    // Ctrl-C stops after the current batch and still writes the best weights so far.
    install_ctrl_c(&cancel)?;
    eprintln!("Ctrl-C stops training and keeps the best epoch so far (twice: quit without saving)");
    let outcome = train(
        &data,
        &config,
        &dev.device,
        &mut |r| eprintln!("{}", epoch_line("", r)),
        &cancel,
    )?;
    let (stop, epochs, best_epoch) = (outcome.stop, outcome.history.len(), outcome.best_epoch);
    // The trainer's own stop reason, not the flag: a Ctrl-C after the last batch changes nothing.
    if matches!(stop, StopReason::Cancelled) {
        anyhow::ensure!(
            best_epoch > 0,
            "interrupted before the first epoch ended: no checkpoint written to {}",
            args.out.display()
        );
        eprintln!("interrupted: writing the best epoch so far ({best_epoch})");
        if config.linear_share > 0.0 {
            eprintln!(
                "the per-residue regression is fitted after training and was not: this checkpoint \
                 predicts with the BiLSTM alone (retrain without interrupting for the blend)"
            );
        }
    }
    let ckpt = Checkpoint::from_training(&ds.meta, &config, outcome);
    ckpt.save(&args.out)
        .with_context(|| format!("writing the checkpoint to {}", args.out.display()))?;
    println!(
        "{:?} after {} epochs; best epoch {}; checkpoint in {}",
        stop,
        epochs,
        best_epoch,
        args.out.display()
    );
    Ok(())
}
