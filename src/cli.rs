//! Command-line front end: `nesbind <subcommand>`; no subcommand opens the window.

mod bench;
mod bench_train;
mod embed;
mod evaluate;
mod predict;
mod progress;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "nesbind",
    version,
    about = "Which NES residues bind which CRM1 pocket"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the compute device nesbind would use.
    Device {
        #[arg(long, value_enum, default_value_t = nesbind::compute::DeviceChoice::Auto)]
        device: nesbind::compute::DeviceChoice,
    },
    /// Train the BiLSTM tagger on a data set and write a checkpoint.
    Train(train::TrainArgs),
    /// Metrics of a checkpoint on the validation and test splits, with baselines.
    Evaluate(evaluate::EvaluateArgs),
    /// Per-residue binding probability and pocket for peptides, from a trained model.
    Predict(predict::PredictArgs),
    /// Per-residue ESM-2 embeddings of peptides (JSON or safetensors).
    Embed(embed::EmbedArgs),
    /// Throughput benchmarks.
    Bench(bench::Bench),
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Device { device }) => {
            let dev = nesbind::compute::select_device(device)?;
            if let Some(note) = &dev.note {
                eprintln!("{note}");
            }
            println!("{}", dev.description);
            Ok(())
        }
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Evaluate(args)) => evaluate::run(&args),
        Some(Command::Predict(args)) => predict::run(&args),
        Some(Command::Embed(args)) => embed::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        None => anyhow::bail!("the desktop window is not built yet; run `nesbind --help`"),
    }
}
