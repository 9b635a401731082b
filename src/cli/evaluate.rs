//! `nesbind evaluate`: a checkpoint on the test split, or protein-grouped cross-validation of the
//! training recipe (`--cv K`), each beside the consensus rule, the ELM regex and a logistic baseline.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::train::checkpoint::{Checkpoint, save_info};
use nesbind::train::cv::{CvConfig, CvProgress, cross_validate};
use nesbind::train::dataset::read_dataset;
use nesbind::train::evaluate::{evaluate, summary_text, write_report};

use super::train::{TrainOptions, epoch_line, install_ctrl_c};

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    /// Checkpoint directory written by `nesbind train` (evaluated on the data set's test split).
    #[arg(long, required_unless_present = "cv")]
    pub model: Option<PathBuf>,
    /// Data set directory written by `nesbind dataset`.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Protein-grouped K-fold cross-validation of the training recipe instead of one checkpoint.
    #[arg(long, num_args = 0..=1, default_missing_value = "5", conflicts_with = "model")]
    pub cv: Option<usize>,
    /// Fold assignment seed (with --cv).
    #[arg(long, default_value_t = CvConfig::default().seed)]
    pub cv_seed: u64,
    /// Where metrics.json, curves.json, predictions.tsv and summary.txt go (default: the model directory; --cv needs it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    #[command(flatten)]
    pub options: TrainOptions,
}

pub fn run(args: &EvaluateArgs) -> anyhow::Result<()> {
    let dev = select_device(args.device)?;
    let ds = read_dataset(&args.dataset)
        .with_context(|| format!("reading the data set in {}", args.dataset.display()))?;
    if let Some(folds) = args.cv {
        let out = args.out.clone().context(
            "--cv needs --out: the folder for metrics.json, curves.json, predictions.tsv and summary.txt",
        )?;
        let cancel = Arc::new(AtomicBool::new(false));
        install_ctrl_c(&cancel)?;
        let config = args.options.config();
        let cv = CvConfig {
            folds,
            seed: args.cv_seed,
            ..CvConfig::default()
        };
        eprintln!("{folds}-fold cross-validation on {}", dev.description);
        let report = cross_validate(
            &ds,
            &config,
            &cv,
            &dev.device,
            &mut |p| match p {
                CvProgress::FoldStarted {
                    fold,
                    folds,
                    train,
                    validation,
                    test,
                } => eprintln!(
                    "fold {fold}/{folds}: {train} training, {validation} validation, {test} test peptides"
                ),
                CvProgress::Epoch { fold, report } => {
                    eprintln!("{}", epoch_line(&format!("fold {fold}  "), report))
                }
            },
            &cancel,
        )?;
        write_report(&report, &out)?;
        print!("{}", summary_text(&report));
        println!(
            "metrics.json, curves.json, predictions.tsv and summary.txt in {}",
            out.display()
        );
        return Ok(());
    }
    let model_dir = args.model.clone().context("give --model or --cv")?;
    let mut ckpt = Checkpoint::load(&model_dir, &dev.device)
        .with_context(|| format!("loading the model in {}", model_dir.display()))?;
    if ds.meta.embedding != ckpt.info.embedding {
        anyhow::bail!(
            "the data set's embeddings ({:?}) are not the ones the model was trained on ({:?})",
            ds.meta.embedding,
            ckpt.info.embedding
        );
    }
    let report = evaluate(
        &ds,
        &ckpt.members,
        &ckpt.info.class_weights,
        &ckpt.info.history,
        &ckpt.info.register,
        &dev.device,
    )?;
    let out = args.out.clone().unwrap_or_else(|| model_dir.clone());
    write_report(&report, &out)?;
    ckpt.info.metrics = Some(serde_json::json!({
        "protocol": report.protocol,
        "groups": report.groups,
        "verdicts": report.verdicts,
    }));
    save_info(&ckpt.info, &model_dir)?;
    print!("{}", summary_text(&report));
    println!(
        "metrics.json, curves.json, predictions.tsv and summary.txt in {}",
        out.display()
    );
    Ok(())
}
