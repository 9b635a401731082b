//! `nesbind bench train`: seconds per epoch of BiLSTM training on a fixed synthetic set.

use nesbind::compute::{DeviceChoice, select_device};
use nesbind::train::bench::bench_train;

use super::bench_peer::{self, PeerMode};

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
    /// Run scripts/bench_train_pytorch.py right before, with as many threads, and print the ratio.
    #[arg(long, value_enum, default_value_t = PeerMode::Auto)]
    pub pytorch: PeerMode,
}

pub fn run(args: &BenchTrainArgs) -> anyhow::Result<()> {
    let dev = select_device(args.device)?;
    let threads = bench_peer::threads();
    let peer = if dev.is_gpu {
        None
    } else {
        bench_peer::run(
            args.pytorch,
            "scripts/bench_train_pytorch.py",
            &["torch"],
            &[
                "--epochs".into(),
                args.epochs.max(1).to_string(),
                "--peptides".into(),
                args.peptides.to_string(),
                "--threads".into(),
                threads.to_string(),
            ],
        )?
    };
    let report = bench_train(&dev.device, &dev.description, args.epochs, args.peptides)?;
    let peer_mean = peer
        .as_ref()
        .and_then(|p| p["mean_seconds_per_epoch"].as_f64());
    if args.json {
        let mut json = serde_json::to_value(&report)?;
        if let (Some(peer), Some(obj)) = (peer, json.as_object_mut()) {
            if let Some(torch) = peer_mean {
                obj.insert(
                    "time_ratio_to_pytorch".into(),
                    (report.mean_seconds_per_epoch / torch).into(),
                );
            }
            obj.insert("pytorch".into(), peer);
        }
        println!("{}", serde_json::to_string_pretty(&json)?);
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
        if let (Some(peer), Some(torch)) = (&peer, peer_mean) {
            println!(
                "PyTorch {} ({} threads, run right before): {torch:.2} s/epoch → nesbind takes {:.2}× PyTorch's time",
                peer["torch"].as_str().unwrap_or("?"),
                peer["threads"],
                report.mean_seconds_per_epoch / torch
            );
        }
    }
    Ok(())
}
