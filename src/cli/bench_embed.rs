//! `nesbind bench embed`: ESM-2 embedding throughput on 1,000 random 15-mers, batch 64, against the
//! PyTorch figure measured for the same model (`timing_reference_cpu.json`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::embed::{Embedder, EsmModel, default_model_dir};
use rand::{Rng, SeedableRng, rngs::StdRng};

#[derive(clap::Args, Debug)]
pub struct BenchEmbedArgs {
    /// Model folder; default the bundled ESM-2 t6 8M.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    #[arg(long, default_value_t = 1000)]
    pub peptides: usize,
    #[arg(long, default_value_t = 15)]
    pub length: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Timed runs after one warm-up; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
}

pub fn run(args: &BenchEmbedArgs) -> anyhow::Result<()> {
    let model_dir = match &args.model {
        Some(d) => d.clone(),
        None => default_model_dir()?,
    };
    let compute = select_device(args.device)?;
    if let Some(note) = &compute.note {
        eprintln!("{note}");
    }
    let model = EsmModel::load(&model_dir, &compute.device)
        .with_context(|| format!("loading the ESM-2 model from {}", model_dir.display()))?;
    let embedder = Embedder::new(model, args.batch_size);
    const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let mut rng = StdRng::seed_from_u64(42);
    let peptides: Vec<String> = (0..args.peptides)
        .map(|_| {
            (0..args.length)
                .map(|_| AA[rng.random_range(0..AA.len())] as char)
                .collect()
        })
        .collect();
    let residues = (args.peptides * args.length) as f64;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "bench embed: {} random {}-mers, batch {}, model {}, {} ({} CPU threads available), {} build",
        args.peptides,
        args.length,
        args.batch_size,
        model_dir.display(),
        compute.description,
        threads,
        if cfg!(debug_assertions) {
            "DEBUG"
        } else {
            "release"
        }
    );
    println!("load average at start: {}", load_average());
    let mut times = Vec::with_capacity(args.repeats);
    for run in 0..=args.repeats.max(1) {
        let start = Instant::now();
        let out = embedder.embed(&peptides, None, &mut |_, _| true)?;
        let secs = start.elapsed().as_secs_f64();
        anyhow::ensure!(out.len() == peptides.len(), "lost peptides");
        if run == 0 {
            println!("warm-up: {secs:.3} s");
        } else {
            println!("run {run}: {secs:.3} s = {:.0} residues/s", residues / secs);
            times.push(secs);
        }
    }
    println!("load average at end: {}", load_average());
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let rate = residues / median;
    println!(
        "median {median:.3} s = {rate:.0} residues/s ({:.1} peptides/s)",
        args.peptides as f64 / median
    );
    let reference = model_dir.join("timing_reference_cpu.json");
    if let Ok(text) = std::fs::read_to_string(&reference) {
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("reading {}", reference.display()))?;
        for (key, label) in [
            ("transformers_EsmModel", "transformers EsmModel"),
            ("fair_esm_ESM2_random_init_same_shape", "fair-esm ESM2"),
        ] {
            if let Some(r) = json["threads_2"][key]["residues_per_s"].as_f64() {
                println!(
                    "PyTorch {label}, 2 threads (same workload, {}): {r:.0} residues/s → ratio {:.2}",
                    reference.display(),
                    rate / r
                );
            }
        }
    }
    Ok(())
}

/// Other processes on the CPU change the result a lot: say how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}
