//! `nesbind dataset`: structure labels + NESdb pattern labels + ESM-2 embeddings → data set files.

use std::path::PathBuf;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::embed::{Embedder, EmbeddingCache};
use nesbind::labels::{DistanceMode, LabelSettings, label_complex};
use nesbind::nesdb::read_nesdb;
use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, expand_paths, load_structure};
use nesbind::train::dataset::{DatasetInputs, SplitConfig, build_dataset, write_dataset};
use nesbind::train::esm::EsmResidueEmbedder;
use nesbind::train::sources::{StructureBinding, nes_candidates, structure_peptide};

use super::progress::ProgressBar;

#[derive(clap::Args, Debug)]
pub struct DatasetArgs {
    /// CRM1–NES complexes (files or folders): the structure-labelled rows.
    #[arg(long, num_args = 1..)]
    pub structures: Vec<PathBuf>,
    /// NES tables (NESdb exports): the pattern-labelled rows.
    #[arg(long, num_args = 1..)]
    pub nesdb: Vec<PathBuf>,
    /// ESM-2 model folder (default: the bundled ESM-2 t6 8M).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// ESM-2 layer (default: the final output).
    #[arg(long)]
    pub layer: Option<usize>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Split seed.
    #[arg(long, default_value_t = SplitConfig::default().seed)]
    pub seed: u64,
    #[arg(long, default_value_t = SplitConfig::default().validation_fraction)]
    pub validation_fraction: f64,
    #[arg(long, default_value_t = SplitConfig::default().test_fraction)]
    pub test_fraction: f64,
    /// Put the structure complexes into the protein-grouped splits instead of keeping them as the test set.
    #[arg(long)]
    pub structures_in_training: bool,
    /// Residues of protein context added on each side of an annotated NES (0 = the annotated range
    /// only, like the crystal excerpts; 4 made the bundled model fail on bare excerpts).
    #[arg(long, default_value_t = 0)]
    pub flank: usize,
    /// Binding target of structure rows: pocket occupancy (as pattern rows) or the distance label.
    #[arg(long, value_enum, default_value_t = StructureBinding::Pocket)]
    pub structure_binding: StructureBinding,
    #[arg(long, value_enum, default_value_t = DistanceMode::Ca)]
    pub mode: DistanceMode,
    #[arg(long)]
    pub cutoff: Option<f32>,
    /// Embedding cache directory (reused across runs).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
}

pub fn run(args: &DatasetArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.structures.is_empty() || !args.nesdb.is_empty(),
        "give --structures and/or --nesdb"
    );
    let settings = LabelSettings::new(args.mode, args.cutoff);
    let pockets = PocketDefinition::bundled();
    let overrides = ChainOverrides::default();
    let mut failures = Vec::new();
    let mut structure_peptides = Vec::new();
    for path in expand_paths(&args.structures, &mut failures) {
        // A file that is not a CRM1–NES complex (e.g. a receptor-only trace) is reported, not fatal.
        let complex =
            match load_structure(&path).and_then(|s| Complex::build(s, &overrides, &pockets)) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("skipped: {e}");
                    continue;
                }
            };
        let labels = label_complex(&complex, &settings);
        structure_peptides.push(structure_peptide(
            &complex,
            &labels,
            None,
            args.structure_binding,
        ));
    }
    for f in &failures {
        eprintln!("skipped {}: {}", f.path.display(), f.message);
    }
    let mut candidates = Vec::new();
    for path in &args.nesdb {
        let table = read_nesdb(path).with_context(|| format!("reading {}", path.display()))?;
        if !table.skipped.is_empty() {
            eprintln!(
                "{}: {} rows skipped (see `nesbind nesdb`)",
                path.display(),
                table.skipped.len()
            );
        }
        candidates.extend(nes_candidates(&table, args.flank));
    }
    let dev = select_device(args.device)?;
    let (_, model) = super::embed::load_esm_on(args.model.as_deref(), &dev.device)?;
    let mut embedder = EsmResidueEmbedder::new(Embedder::new(model, 64), args.layer)?;
    if let Some(c) = &args.cache {
        embedder.cache = Some(EmbeddingCache::open(c)?);
    }
    let mut bar = ProgressBar::new("embedding", true);
    embedder.progress = Box::new(move |done, total| {
        bar.update(done, total);
        if done == total {
            bar.finish();
        }
        true
    });
    let n_structures = structure_peptides.len();
    let n_candidates = candidates.len();
    let ds = build_dataset(
        DatasetInputs {
            structure_peptides,
            nes_candidates: candidates,
            split: SplitConfig {
                seed: args.seed,
                validation_fraction: args.validation_fraction,
                test_fraction: args.test_fraction,
                structures_in_training: args.structures_in_training,
            },
            label_settings: serde_json::json!({
                "distance": settings,
                "structure_binding": args.structure_binding,
                "flank": args.flank,
                "pattern_rules": "nesbind::train::patterns (Kosugi 2008/2009 classes 1a-3, Φ0 and Rev type per Güttler 2010, mirrored reverse classes per Fung 2015)",
            }),
        },
        &mut embedder,
    )?;
    write_dataset(&ds, &args.out)
        .with_context(|| format!("writing the data set to {}", args.out.display()))?;
    println!(
        "{n_structures} structure peptides, {n_candidates} annotated NESs: {} fit no consensus class (no pattern labels), {} duplicate peptides dropped",
        ds.meta.unmatched_nes.len(),
        ds.meta.duplicates_dropped
    );
    for (group, (peptides, residues, binding)) in ds.counts() {
        println!("{group:<22} {peptides:>5} peptides {residues:>6} residues {binding:>5} binding");
    }
    println!(
        "embeddings: {} layer {} ({} features); files in {}",
        ds.meta.embedding.model,
        ds.meta.embedding.layer,
        ds.meta.embedding.dim,
        args.out.display()
    );
    Ok(())
}
