//! `nesbind evaluate`: a checkpoint on the test split, or protein-grouped cross-validation of the
//! training recipe (`--cv K`), each beside the consensus rule, the ELM regex and a logistic baseline;
//! or, with `--scan`, the whole-protein scan by the LocNES protocol.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::train::checkpoint::{Checkpoint, save_info};
use nesbind::train::cv::{CvConfig, CvProgress, cross_validate};
use nesbind::train::dataset::read_dataset;
use nesbind::train::evaluate::{evaluate_checkpoint, summary_text, write_report};

use super::train::{TrainOptions, epoch_line, install_ctrl_c};

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    /// Checkpoint directory written by `nesbind train` (evaluated on the data set's test split).
    #[arg(long, required_unless_present_any = ["cv", "scan"])]
    pub model: Option<PathBuf>,
    /// Data set directory written by `nesbind dataset`.
    #[arg(long, required_unless_present = "scan")]
    pub dataset: Option<PathBuf>,
    /// Cross-validate the whole-protein scan instead (LocNES protocol on the NESdb proteins, the
    /// report of `nesbind scan --cv`): with --cv K (default 5), --cv-seed, --out, --cache, --layer.
    #[arg(long, conflicts_with_all = ["model", "dataset"], requires = "out")]
    pub scan: bool,
    /// With --scan: embedding cache directory (reused across runs).
    #[arg(long, requires = "scan")]
    pub cache: Option<PathBuf>,
    /// With --scan: the ESM-2 layer of the scan's residue features (default: the bundled recipe's).
    #[arg(long, requires = "scan")]
    pub layer: Option<usize>,
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
    if args.scan {
        return evaluate_scan(args);
    }
    let dev = select_device(args.device)?;
    let dataset = args
        .dataset
        .as_ref()
        .context("give --dataset (or --scan)")?;
    let ds = read_dataset(dataset)
        .with_context(|| format!("reading the data set in {}", dataset.display()))?;
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
            "the data set's features ({}) are not the ones the model in {} was trained on ({}): \
             build a data set to match (`nesbind dataset --layer`, `--no-residue-channels`, `--no-rule-channels`)",
            ds.meta.embedding.describe(),
            model_dir.display(),
            ckpt.info.embedding.describe()
        );
    }
    let report = evaluate_checkpoint(&ds, &ckpt, &dev.device)?;
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

/// `--scan`: the scan's own cross-validation, run through `nesbind scan`'s argument parser so that
/// every setting not given here keeps the default `nesbind scan --cv` has.
fn evaluate_scan(args: &EvaluateArgs) -> anyhow::Result<()> {
    super::scan::run(&scan_args(args)?)
}

/// The `nesbind scan` arguments `evaluate --scan` stands for.
fn scan_args(args: &EvaluateArgs) -> anyhow::Result<super::scan::ScanArgs> {
    let out = args.out.as_ref().context("--scan needs --out")?;
    let mut argv: Vec<OsString> = vec![
        "nesbind scan".into(),
        "--cv".into(),
        args.cv.unwrap_or(5).to_string().into(),
        "--cv-seed".into(),
        args.cv_seed.to_string().into(),
        "--out".into(),
        out.into(),
    ];
    if let Some(cache) = &args.cache {
        argv.extend(["--cache".into(), cache.into()]);
    }
    if let Some(layer) = args.layer {
        argv.extend(["--layer".into(), layer.to_string().into()]);
    }
    if let Some(device) = args.device.to_possible_value() {
        argv.extend(["--device".into(), device.get_name().into()]);
    }
    let scan = ScanCommand::try_parse_from(argv).context("the scan's cross-validation settings")?;
    Ok(scan.args)
}

#[derive(clap::Parser)]
struct ScanCommand {
    #[command(flatten)]
    args: super::scan::ScanArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct EvaluateCommand {
        #[command(flatten)]
        args: EvaluateArgs,
    }

    fn parse(argv: &[&str]) -> Result<EvaluateArgs, clap::Error> {
        EvaluateCommand::try_parse_from(std::iter::once("evaluate").chain(argv.iter().copied()))
            .map(|c| c.args)
    }

    #[test]
    fn scan_evaluation_is_the_scan_cross_validation_with_its_defaults() {
        let args = parse(&["--scan", "--out", "cv", "--cv-seed", "7", "--layer", "4"]).unwrap();
        let scan = scan_args(&args).unwrap();
        assert_eq!(scan.cv, Some(5));
        assert_eq!(scan.cv_seed, 7);
        assert_eq!(scan.layer, Some(4));
        assert_eq!(scan.out.as_deref(), Some(std::path::Path::new("cv")));
        assert_eq!(scan.choice_share, 0.5);
        assert!(scan.fasta.is_none() && scan.sequence.is_empty() && scan.train.is_none());
    }

    #[test]
    fn scan_evaluation_takes_no_peptide_data_set() {
        assert!(parse(&["--scan", "--out", "cv", "--dataset", "ds"]).is_err());
        assert!(parse(&["--scan"]).is_err(), "--out is required");
        assert!(
            parse(&["--cv", "3"]).is_err(),
            "--dataset is required without --scan"
        );
    }
}
