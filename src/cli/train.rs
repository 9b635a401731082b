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
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = TrainConfig::default().hidden)]
    pub hidden: usize,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
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
    let config = TrainConfig {
        epochs: args.epochs,
        hidden: args.hidden,
        seed: args.seed,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        dropout: args.dropout,
        patience: args.patience,
        ..TrainConfig::default()
    };
    let cancel = Arc::new(AtomicBool::new(false));
    // Ctrl-C stops after the current batch and still writes the best weights so far; a second
    // Ctrl-C quits at once (the conditional exit sees the flag the first one set).
    signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        130,
        Arc::clone(&cancel),
    )
    .context("installing the Ctrl-C handler")?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&cancel))
        .context("installing the Ctrl-C handler")?;
    eprintln!("Ctrl-C stops training and keeps the best epoch so far (twice: quit without saving)");
    let outcome = train(
        &data,
        &config,
        &dev.device,
        &mut |r| {
            eprintln!(
                "epoch {:>3}/{}  train loss {:.4}  val loss {}  val F1 {}  val AUC {}  pocket acc {}  {:.1}s{}",
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
        },
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
