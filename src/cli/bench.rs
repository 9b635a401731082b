//! `nesbind bench ...`: timings (speed is measured here, never asserted in tests).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use nesbind::labels::{LabelSettings, label_complex};
use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, load_structure};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

#[derive(clap::Subcommand, Debug)]
pub enum BenchWhat {
    /// Parse + label one groove excerpt and a synthetic ~15k-atom complex.
    Labels {
        /// Complex to time (default: the bundled 3NBY groove excerpt).
        #[arg(long)]
        structure: Option<PathBuf>,
        #[arg(long, default_value_t = 20)]
        repeats: usize,
    },
    /// ESM-2 embedding throughput (residues/s), compared with PyTorch's figure for the same model.
    Embed(super::bench_embed::BenchEmbedArgs),
    /// Seconds per BiLSTM training epoch on a fixed synthetic set, beside scripts/bench_train_pytorch.py.
    Train(super::bench_train::BenchTrainArgs),
    /// Frame time of the 3D view on a synthetic ~15k-atom complex, all atoms as ball-and-stick.
    Render(super::bench_render::BenchRenderArgs),
    /// Whole-protein scan throughput and peak memory on a synthetic proteome.
    Scan(super::bench_scan::BenchScanArgs),
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    match &args.what {
        BenchWhat::Labels { structure, repeats } => bench_labels(structure.as_deref(), *repeats),
        BenchWhat::Embed(args) => super::bench_embed::run(args),
        BenchWhat::Train(args) => super::bench_train::run(args),
        BenchWhat::Render(args) => super::bench_render::run(args),
        BenchWhat::Scan(args) => super::bench_scan::run(args),
    }
}

/// The budget ANCHORS.md §D.5 sets for opening and labelling one ~10k-atom complex.
const BUDGET_MS: f64 = 100.0;

fn bench_labels(structure: Option<&std::path::Path>, repeats: usize) -> anyhow::Result<()> {
    let repeats = repeats.max(1);
    let default = nesbind::assets_dir().join("structures/3NBY_groove_excerpt.pdb");
    let path = structure.unwrap_or(&default);
    let pockets = PocketDefinition::bundled();
    let overrides = ChainOverrides::default();
    let settings = LabelSettings::default();

    let excerpt = time_parse_label(path, repeats, &pockets, &overrides, &settings)?;
    report(
        &format!("{} ({} atoms)", path.display(), excerpt.1),
        excerpt.0,
        repeats,
    );

    let dir = tempfile_dir()?;
    let big = dir.join("synthetic_15k.pdb");
    let atoms = nesbind::structure::synthetic::write_large_complex(path, &big, 15_000)
        .with_context(|| format!("writing {}", big.display()))?;
    let large = time_parse_label(&big, repeats, &pockets, &overrides, &settings)?;
    report(
        &format!("synthetic complex ({atoms} atoms)"),
        large.0,
        repeats,
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn time_parse_label(
    path: &std::path::Path,
    repeats: usize,
    pockets: &PocketDefinition,
    overrides: &ChainOverrides,
    settings: &LabelSettings,
) -> anyhow::Result<(Duration, usize)> {
    let mut total = Duration::ZERO;
    let mut atoms = 0;
    for _ in 0..repeats {
        let t = Instant::now();
        let complex = Complex::build(load_structure(path)?, overrides, pockets)?;
        let labels = label_complex(&complex, settings);
        total += t.elapsed();
        atoms = complex.structure.atom_count();
        anyhow::ensure!(
            !labels.is_empty(),
            "{}: no residues labelled",
            path.display()
        );
    }
    Ok((total, atoms))
}

fn report(what: &str, total: Duration, repeats: usize) {
    let ms = total.as_secs_f64() * 1000.0 / repeats as f64;
    println!(
        "parse + label {what}: {ms:.2} ms per complex (mean of {repeats}); {:.1}× under the {BUDGET_MS:.0} ms budget",
        BUDGET_MS / ms
    );
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("nesbind-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
