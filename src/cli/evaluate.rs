//! `nesbind evaluate`: metrics of a checkpoint on the validation and test splits, with baselines.

use std::path::PathBuf;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::train::checkpoint::{Checkpoint, save_info};
use nesbind::train::dataset::read_dataset;
use nesbind::train::evaluate::{evaluate, summary_text, write_report};

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    /// Checkpoint directory written by `nesbind train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Data set directory written by `nesbind dataset`.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Where metrics.json, curves.json and summary.txt go (default: the model directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
}

pub fn run(args: &EvaluateArgs) -> anyhow::Result<()> {
    let dev = select_device(args.device)?;
    let mut ckpt = Checkpoint::load(&args.model, &dev.device)
        .with_context(|| format!("loading the model in {}", args.model.display()))?;
    let ds = read_dataset(&args.dataset)
        .with_context(|| format!("reading the data set in {}", args.dataset.display()))?;
    if ds.meta.embedding != ckpt.info.embedding {
        anyhow::bail!(
            "the data set's embeddings ({:?}) are not the ones the model was trained on ({:?})",
            ds.meta.embedding,
            ckpt.info.embedding
        );
    }
    let report = evaluate(
        &ds,
        &ckpt.model,
        &ckpt.info.class_weights,
        &ckpt.info.history,
        &dev.device,
    )?;
    let out = args.out.clone().unwrap_or_else(|| args.model.clone());
    write_report(&report, &out)?;
    ckpt.info.metrics = Some(serde_json::json!({
        "groups": report.groups,
        "verdicts": report.verdicts,
    }));
    save_info(&ckpt.info, &args.model)?;
    print!("{}", summary_text(&report));
    println!(
        "metrics.json, curves.json and summary.txt in {}",
        out.display()
    );
    Ok(())
}
