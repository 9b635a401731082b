//! `nesbind bench scan`: whole-protein scan throughput (residues/s) and peak memory on a synthetic,
//! deterministic proteome whose lengths follow the human proteome's (log-normal, median ≈ 415,
//! 50–5,000 residues), with the projected time for the human proteome (~11 M residues). Each protein
//! goes through what `nesbind scan` does: ESM-2, the residue and window models, and the peptide
//! model's register for each candidate shown.

use std::time::Instant;

use nesbind::compute::{DeviceChoice, select_device};
use nesbind::embed::Embedder;
use nesbind::scan::{PeptideRegisters, ProteinScan, ScanModel};
use nesbind::train::esm::EsmResidueEmbedder;

#[derive(clap::Args, Debug)]
pub struct BenchScanArgs {
    /// Proteins in the synthetic proteome.
    #[arg(long, default_value_t = 2000)]
    pub proteins: usize,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    /// Leave out the peptide model's register for each candidate shown (as `scan --no-model-register`).
    #[arg(long)]
    pub no_model_register: bool,
    /// Also time single long proteins (1,000, 5,000 and 30,000 residues, titin's scale): ESM-2
    /// windows stitched, residues/s and peak memory each.
    #[arg(long)]
    pub long: bool,
}

/// Candidates reported per protein, as `nesbind scan` does by default.
const SHOWN_CANDIDATES: usize = 5;

/// Residues of the human reference proteome (UniProt UP000005640, one protein per gene).
const HUMAN_PROTEOME_RESIDUES: f64 = 11.4e6;

/// Amino-acid background frequencies of human proteins (per cent, UniProt statistics).
const BACKGROUND: [(char, f64); 20] = [
    ('L', 9.96),
    ('S', 8.33),
    ('E', 7.10),
    ('A', 7.02),
    ('G', 6.57),
    ('P', 6.31),
    ('V', 5.96),
    ('K', 5.72),
    ('R', 5.64),
    ('T', 5.36),
    ('Q', 4.77),
    ('D', 4.73),
    ('I', 4.33),
    ('F', 3.65),
    ('N', 3.58),
    ('Y', 2.66),
    ('H', 2.63),
    ('M', 2.13),
    ('C', 2.30),
    ('W', 1.22),
];

struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// The synthetic proteome: deterministic for a given size.
pub fn synthetic_proteome(n: usize) -> Vec<String> {
    let mut rng = Rng(0x5EED_2026);
    (0..n)
        .map(|_| {
            // Box–Muller normal → log-normal length (μ = ln 415, σ = 0.75).
            let (u, v) = (rng.unit(), rng.unit());
            let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            let len = (415f64.ln() + 0.75 * z).exp().clamp(50.0, 5000.0) as usize;
            random_protein(&mut rng, len)
        })
        .collect()
}

/// `len` residues drawn from the human background composition.
fn random_protein(rng: &mut Rng, len: usize) -> String {
    let total: f64 = BACKGROUND.iter().map(|b| b.1).sum();
    (0..len)
        .map(|_| {
            let mut x = rng.unit() * total;
            for (aa, f) in BACKGROUND {
                if x < f {
                    return aa;
                }
                x -= f;
            }
            'L'
        })
        .collect()
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn run(args: &BenchScanArgs) -> anyhow::Result<()> {
    let dev = select_device(args.device)?;
    let (_, esm) = super::embed::load_esm_on(None, &dev.device)?;
    let mut embedder = EsmResidueEmbedder::new(Embedder::new(esm, 16), None)?;
    let model = ScanModel::load(&super::scan::bundled_scan_model_dir())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    model
        .prepare_embedder(&mut embedder)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let registers = if args.no_model_register {
        None
    } else {
        Some(PeptideRegisters::bundled(&dev).map_err(|e| anyhow::anyhow!("{e}"))?)
    };
    let proteome = synthetic_proteome(args.proteins);
    let residues: usize = proteome.iter().map(String::len).sum();
    println!(
        "device: {}; synthetic proteome: {} proteins, {residues} residues (longest {})",
        dev.description,
        proteome.len(),
        proteome.iter().map(String::len).max().unwrap_or(0)
    );
    let started = Instant::now();
    let mut found = 0usize;
    for (i, seq) in proteome.iter().enumerate() {
        let features = super::scan::embed_protein(&mut embedder, seq)?;
        let name = format!("synthetic_{}", i + 1);
        let mut scan = ProteinScan::from_features(
            &name,
            seq,
            &features,
            &model,
            SHOWN_CANDIDATES,
            model.threshold,
        )
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if let Some(r) = &registers {
            scan = scan
                .with_model_registers(r, &mut embedder)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        }
        found += scan.candidates.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = residues as f64 / seconds.max(1e-9);
    println!(
        "scan: {rate:.0} residues/s ({seconds:.1} s), peak memory {}; {found} candidates shown (≤ {SHOWN_CANDIDATES} per protein above the threshold){}",
        peak_rss_mib().map_or("unknown".to_string(), |m| format!("{m:.0} MiB")),
        if registers.is_some() {
            ", each with the peptide model's register"
        } else {
            ""
        }
    );
    println!(
        "projected human proteome (11.4 M residues): {:.1} h",
        HUMAN_PROTEOME_RESIDUES / rate / 3600.0
    );
    if args.long {
        let mut rng = Rng(0x717A_2026);
        for len in [1_000, 5_000, 30_000] {
            let seq = random_protein(&mut rng, len);
            let started = Instant::now();
            let features = super::scan::embed_protein(&mut embedder, &seq)?;
            let probs = model
                .residue_probabilities(&features)
                .map_err(|e| anyhow::anyhow!(e))?;
            let candidates = model.candidates(&seq, &probs).len();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "long protein, {len} residues: {:.0} residues/s ({seconds:.1} s, {candidates} candidates), peak memory so far {}",
                len as f64 / seconds.max(1e-9),
                peak_rss_mib().map_or("unknown".to_string(), |m| format!("{m:.0} MiB"))
            );
        }
    }
    Ok(())
}
