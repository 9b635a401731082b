//! `nesbind dataset`: crystal, AlphaFold, mutation (and optionally consensus-pattern) labels +
//! ESM-2 embeddings → data set files.

use std::path::PathBuf;

use anyhow::Context;
use nesbind::compute::{DeviceChoice, select_device};
use nesbind::embed::{Embedder, EmbeddingCache};
use nesbind::labels::{DistanceMode, LabelSettings, label_complex};
use nesbind::nesdb::{NesTable, model_key_of_file, read_nesdb};
use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, expand_paths, load_structure};
use nesbind::train::dataset::{
    DatasetInputs, LabelSource, LabeledPeptide, SourceWeights, SplitConfig, build_dataset,
    write_dataset,
};
use nesbind::train::esm::EsmResidueEmbedder;
use nesbind::train::sources::{
    PlddtWeighting, StructureBinding, alphafold_peptide, core_crop, entries_by_model, mirrored,
    mutation_peptides, nes_candidates, structure_peptide,
};

/// Residues kept on each side of the register in a core crop (the crystal excerpts keep 0–3).
const CORE_CROP_MARGIN: usize = 1;

use super::progress::ProgressBar;

#[derive(clap::Args, Debug)]
pub struct DatasetArgs {
    /// Crystal CRM1–NES complexes (files or folders; default: the bundled groove excerpts).
    #[arg(long, num_args = 1..)]
    pub structures: Vec<PathBuf>,
    /// Folders or files of AlphaFold CRM1–NES models (default: ../shared/data/structures/alphafold_complexes when present).
    #[arg(long, num_args = 1..)]
    pub alphafold: Vec<PathBuf>,
    /// NES tables (NESdb exports; default: the bundled course table, which maps AlphaFold files and holds the mutation columns).
    #[arg(long, num_args = 1..)]
    pub nesdb: Vec<PathBuf>,
    /// Label sources to include, comma-separated: crystal, alphafold, mutation, pattern.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "crystal,alphafold,mutation"
    )]
    pub sources: Vec<String>,
    /// Loss weight of AlphaFold rows (times their pLDDT weight).
    #[arg(long, default_value_t = SourceWeights::default().alphafold)]
    pub weight_alphafold: f32,
    /// Loss weight of mutation rows.
    #[arg(long, default_value_t = SourceWeights::default().mutation)]
    pub weight_mutation: f32,
    /// Loss weight of consensus-pattern rows.
    #[arg(long, default_value_t = SourceWeights::default().pattern)]
    pub weight_pattern: f32,
    /// AlphaFold peptides with a lower mean pLDDT get no pocket labels inside the NES.
    #[arg(long, default_value_t = PlddtWeighting::default().min)]
    pub plddt_min: f32,
    /// Mean pLDDT from which AlphaFold labels have full weight.
    #[arg(long, default_value_t = PlddtWeighting::default().full)]
    pub plddt_full: f32,
    /// Weight at --plddt-min (rising linearly to 1 at --plddt-full).
    #[arg(long, default_value_t = PlddtWeighting::default().floor)]
    pub plddt_floor: f32,
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
    /// Put the crystal complexes into the grouped splits instead of keeping them as the test set.
    #[arg(long)]
    pub structures_in_training: bool,
    /// Residues of protein context added on each side of an annotated NES for pattern rows.
    #[arg(long, default_value_t = 0)]
    pub flank: usize,
    /// Binding target of crystal rows: pocket occupancy (as every other source) or the distance label.
    #[arg(long, value_enum, default_value_t = StructureBinding::Pocket)]
    pub structure_binding: StructureBinding,
    #[arg(long, value_enum, default_value_t = DistanceMode::Ca)]
    pub mode: DistanceMode,
    #[arg(long)]
    pub cutoff: Option<f32>,
    /// Weight of a copy of each AlphaFold row (and core crop) with ≥ 4 labelled pockets read
    /// backwards, so reverse registers are learned (0 = no copies).
    #[arg(long, default_value_t = 0.0)]
    pub mirrored_weight: f32,
    /// No extra copies of the AlphaFold rows cut to their labelled register (bare NES peptides).
    #[arg(long)]
    pub no_core_crops: bool,
    /// ESM-2 features only, without the one-hot and physico-chemical residue channels.
    #[arg(long)]
    pub no_residue_channels: bool,
    /// Without the consensus rule's channels (its best register, and each residue's share of
    /// Φ0–Φ4 over every consensus register in the peptide).
    #[arg(long)]
    pub no_rule_channels: bool,
    /// Embedding cache directory (reused across runs).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
}

fn parse_sources(names: &[String]) -> anyhow::Result<Vec<LabelSource>> {
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            LabelSource::parse(n).ok_or_else(|| {
                anyhow::anyhow!(
                    "--sources: unknown source '{n}' (crystal, alphafold, mutation, pattern)"
                )
            })
        })
        .collect()
}

/// Loads and labels every complex under `paths`; files that are no CRM1–NES complex are reported
/// and skipped.
fn labelled_complexes(
    paths: &[PathBuf],
    settings: &LabelSettings,
    notes: &mut Vec<String>,
) -> Vec<(Complex, Vec<nesbind::labels::ResidueLabel>)> {
    let pockets = PocketDefinition::bundled();
    let overrides = ChainOverrides::default();
    let mut failures = Vec::new();
    let mut out = Vec::new();
    for path in expand_paths(paths, &mut failures) {
        match load_structure(&path).and_then(|s| Complex::build(s, &overrides, &pockets)) {
            Ok(c) => {
                let labels = label_complex(&c, settings);
                out.push((c, labels));
            }
            Err(e) => {
                eprintln!("skipped: {e}");
                notes.push(format!("skipped: {e}"));
            }
        }
    }
    for f in &failures {
        eprintln!("skipped {}: {}", f.path.display(), f.message);
        notes.push(format!("skipped {}: {}", f.path.display(), f.message));
    }
    out
}

pub fn run(args: &DatasetArgs) -> anyhow::Result<()> {
    let sources = parse_sources(&args.sources)?;
    anyhow::ensure!(!sources.is_empty(), "--sources names no label source");
    let settings = LabelSettings::new(args.mode, args.cutoff);
    let weighting = PlddtWeighting {
        min: args.plddt_min,
        full: args.plddt_full,
        floor: args.plddt_floor,
    };
    let mut notes = Vec::new();
    let nesdb_paths = if args.nesdb.is_empty() {
        vec![nesbind::assets_dir().join("nes/NesDB_all_CRM1_with_peptides_train.csv")]
    } else {
        args.nesdb.clone()
    };
    let mut tables: Vec<NesTable> = Vec::new();
    for path in &nesdb_paths {
        let table = read_nesdb(path)?;
        if !table.skipped.is_empty() {
            eprintln!(
                "{}: {} rows skipped (see `nesbind nesdb`)",
                path.display(),
                table.skipped.len()
            );
        }
        tables.push(table);
    }

    let mut peptides: Vec<LabeledPeptide> = Vec::new();
    if sources.contains(&LabelSource::Crystal) {
        let paths = if args.structures.is_empty() {
            vec![nesbind::assets_dir().join("structures")]
        } else {
            args.structures.clone()
        };
        for (complex, labels) in labelled_complexes(&paths, &settings, &mut notes) {
            peptides.push(structure_peptide(
                &complex,
                &labels,
                None,
                args.structure_binding,
            ));
        }
    }
    if sources.contains(&LabelSource::Alphafold) {
        let paths = if args.alphafold.is_empty() {
            match nesbind::shared_alphafold_dir() {
                Some(d) => vec![d],
                None => {
                    eprintln!(
                        "no AlphaFold folder given and ../shared/data/structures/alphafold_complexes is absent: no alphafold rows"
                    );
                    Vec::new()
                }
            }
        } else {
            args.alphafold.clone()
        };
        let by_model = entries_by_model(&tables);
        let mut unmapped = 0;
        for (complex, labels) in labelled_complexes(&paths, &settings, &mut notes) {
            let file = complex
                .structure
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let entry = model_key_of_file(&file).and_then(|k| by_model.get(&k).copied());
            unmapped += usize::from(entry.is_none());
            peptides.push(alphafold_peptide(&complex, &labels, entry, &weighting));
        }
        if !args.no_core_crops {
            let crops: Vec<LabeledPeptide> = peptides
                .iter()
                .filter(|p| p.source == LabelSource::Alphafold)
                .filter_map(|p| core_crop(p, CORE_CROP_MARGIN))
                .collect();
            notes.push(format!(
                "{} AlphaFold rows also cut to their register ± {CORE_CROP_MARGIN} (bare NESs)",
                crops.len()
            ));
            peptides.extend(crops);
        }
        if args.mirrored_weight > 0.0 {
            let copies: Vec<LabeledPeptide> = peptides
                .iter()
                .filter(|p| p.source == LabelSource::Alphafold)
                .filter_map(|p| mirrored(p, args.mirrored_weight))
                .collect();
            notes.push(format!(
                "{} AlphaFold rows also read backwards (synthetic reverse registers, weight {})",
                copies.len(),
                args.mirrored_weight
            ));
            peptides.extend(copies);
        }
        if unmapped > 0 {
            notes.push(format!(
                "{unmapped} AlphaFold models have no NESdb entry in the tables given: grouped by file name, no mutation data"
            ));
        }
    }
    if sources.contains(&LabelSource::Mutation) {
        for t in &tables {
            peptides.extend(mutation_peptides(t));
        }
    }
    let candidates = if sources.contains(&LabelSource::Pattern) {
        tables
            .iter()
            .flat_map(|t| nes_candidates(t, args.flank))
            .collect()
    } else {
        Vec::new()
    };
    for n in &notes {
        if n.starts_with("skipped") {
            continue;
        }
        eprintln!("{n}");
    }

    let dev = select_device(args.device)?;
    let (_, model) = super::embed::load_esm_on(args.model.as_deref(), &dev.device)?;
    let mut embedder = EsmResidueEmbedder::new(Embedder::new(model, 64), args.layer)?;
    embedder.channels = nesbind::train::channels::ChannelSet {
        residue: !args.no_residue_channels,
        rule: !args.no_rule_channels,
    };
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
    let n_candidates = candidates.len();
    let source_weights = SourceWeights {
        crystal: 1.0,
        alphafold: args.weight_alphafold,
        mutation: args.weight_mutation,
        pattern: args.weight_pattern,
    };
    let ds = build_dataset(
        DatasetInputs {
            peptides,
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
                "sources": sources.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "plddt_weighting": weighting,
                "pattern_rules": "nesbind::train::patterns (Kosugi 2008/2009 classes 1a-3, Φ0 and Rev type per Güttler 2010, mirrored reverse classes per Fung 2015)",
            }),
            source_weights,
            notes,
        },
        &mut embedder,
    )?;
    write_dataset(&ds, &args.out)
        .with_context(|| format!("writing the data set to {}", args.out.display()))?;
    if sources.contains(&LabelSource::Pattern) {
        println!(
            "{n_candidates} annotated NESs for pattern rows: {} fit no consensus class, {} duplicate peptides dropped",
            ds.meta.unmatched_nes.len(),
            ds.meta.duplicates_dropped
        );
    }
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
