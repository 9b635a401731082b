//! `nesbind bench embed`: ESM-2 embedding throughput on 1,000 random 15-mers, batch 64, against the
//! PyTorch figure measured for the same model (`timing_reference_cpu.json`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use nesbind::compute::DeviceChoice;
use nesbind::embed::Embedder;
use rand::{Rng, SeedableRng, rngs::StdRng};

use super::bench_peer::{self, PeerMode};

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
    /// Run tests/fixtures/models/scripts/bench.py (transformers and fair-esm) right before, with
    /// as many threads, and print the ratios (only for its workload: 1,000 × 15-mers, batch 64).
    #[arg(long, value_enum, default_value_t = PeerMode::Auto)]
    pub pytorch: PeerMode,
}

const PEER_SCRIPT: &str = "tests/fixtures/models/scripts/bench.py";
const PEERS: [(&str, &str); 2] = [
    ("transformers_EsmModel", "transformers EsmModel"),
    ("fair_esm_ESM2_random_init_same_shape", "fair-esm ESM2"),
];

pub fn run(args: &BenchEmbedArgs) -> anyhow::Result<()> {
    let (model_dir, compute, model) = super::embed::load_esm(args.model.as_deref(), args.device)?;
    let peer_workload = args.peptides == 1000 && args.length == 15 && args.batch_size == 64;
    let peer = match (compute.is_gpu, peer_workload) {
        (false, true) => bench_peer::run(
            args.pytorch,
            PEER_SCRIPT,
            &["torch", "transformers", "tokenizers", "numpy", "esm"],
            &[
                model_dir.display().to_string(),
                bench_peer::threads().to_string(),
            ],
        )?,
        (false, false) if args.pytorch != PeerMode::Never => {
            println!(
                "PyTorch peer not run: its script times 1,000 × 15-mers in batches of 64 only"
            );
            None
        }
        _ => None,
    };
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
    if embedder.model().on_cpu() {
        println!(
            "CPU: up to {} batches at a time, one per rayon worker (RAYON_NUM_THREADS sets the count)",
            rayon::current_num_threads()
        );
    }
    println!("load average at start: {}", load_average());
    let mut times = Vec::with_capacity(args.repeats);
    let mut cpu_times = Vec::with_capacity(args.repeats);
    for run in 0..=args.repeats.max(1) {
        let cpu_start = process_cpu_seconds();
        let start = Instant::now();
        let out = embedder.embed(&peptides, None, &mut |_, _| true)?;
        let secs = start.elapsed().as_secs_f64();
        let cpu = process_cpu_seconds().zip(cpu_start).map(|(e, s)| e - s);
        anyhow::ensure!(out.len() == peptides.len(), "lost peptides");
        if run == 0 {
            println!("warm-up: {secs:.3} s");
        } else {
            let cpu_text = cpu.map_or(String::new(), |c| format!(", CPU time {c:.2} s"));
            println!(
                "run {run}: {secs:.3} s = {:.0} residues/s{cpu_text}",
                residues / secs
            );
            times.push(secs);
            cpu_times.extend(cpu);
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
    cpu_times.sort_by(f64::total_cmp);
    let cpu_median = cpu_times.get(cpu_times.len() / 2).copied();
    if let Some(c) = cpu_median {
        println!(
            "median CPU time {c:.2} s = {:.0} residues per CPU-second (less sensitive to other load)",
            residues / c
        );
    }
    if let Some(peer) = &peer {
        for (key, label) in PEERS {
            let entry = &peer[key];
            let Some(r) = entry["residues_per_s"].as_f64() else {
                continue;
            };
            println!(
                "PyTorch {} {label}, {} threads, run right before: {r:.0} residues/s → nesbind/PyTorch {:.2}",
                peer["torch"].as_str().unwrap_or("?"),
                peer["threads"],
                rate / r
            );
            print_cpu_ratio(entry, residues, cpu_median);
        }
    }
    let reference = model_dir.join("timing_reference_cpu.json");
    if let Ok(text) = std::fs::read_to_string(&reference) {
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("reading {}", reference.display()))?;
        let cpu = json["machine"]
            .as_str()
            .unwrap_or("a machine the file does not name");
        println!("stored reference {} (taken on {cpu}):", reference.display());
        for (key, label) in PEERS {
            for threads in ["threads_2", "threads_1"] {
                let entry = &json[threads][key];
                if let Some(r) = entry["residues_per_s"].as_f64() {
                    println!(
                        "PyTorch {label}, {threads} (same workload, {}): {r:.0} residues/s → wall-clock ratio {:.2}",
                        reference.display(),
                        rate / r
                    );
                }
                print_cpu_ratio(entry, residues, cpu_median);
            }
        }
    }
    Ok(())
}

/// Residues per CPU-second of a PyTorch result beside nesbind's (less sensitive to other load).
fn print_cpu_ratio(entry: &serde_json::Value, residues: f64, cpu_median: Option<f64>) {
    if let (Some(pc), Some(c)) = (entry["cpu_s_median"].as_f64(), cpu_median) {
        println!(
            "    per CPU-second: PyTorch {:.0}, nesbind {:.0} → ratio {:.2}",
            residues / pc,
            residues / c,
            pc / c
        );
    }
}

/// Other processes on the CPU change the result a lot: say how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// User + system CPU time of this process (all threads), from `/proc/self/stat` (Linux only).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI Rust targets.
    Some((utime + stime) / 100.0)
}
