//! `nesbind bench train`: seconds per epoch of BiLSTM training on a fixed synthetic set.

use nesbind::compute::{DeviceChoice, select_device};
use nesbind::train::bench::bench_train;

#[derive(clap::Args, Debug)]
pub struct BenchTrainArgs {
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Peptides in the synthetic set (the reference benchmark uses 2,000).
    #[arg(long, default_value_t = 2000)]
    pub peptides: usize,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &BenchTrainArgs) -> anyhow::Result<()> {
    let dev = select_device(args.device)?;
    let report = bench_train(&dev.device, &dev.description, args.epochs, args.peptides)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "bench train: {} peptides × {} residues × {} features, BiLSTM {} × {} layers, batch {}, {} ({})",
            report.peptides,
            report.length,
            report.features,
            report.hidden,
            report.layers,
            report.batch_size,
            report.device,
            report.build_profile
        );
        for (i, s) in report.seconds_per_epoch.iter().enumerate() {
            println!("epoch {}: {s:.2} s", i + 1);
        }
        println!("mean: {:.2} s/epoch", report.mean_seconds_per_epoch);
    }
    Ok(())
}
