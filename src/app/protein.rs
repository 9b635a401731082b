//! The Protein panel's work: scan pasted or opened protein sequences for NESs in a background job
//! (ESM-2 over the whole protein, the bundled scan model, ranked consensus windows, the peptide
//! model's register for each).

use std::path::PathBuf;

use anyhow::Context as _;

use crate::compute::ComputeDevice;
use crate::embed::{Embedder, EsmModel, FastaReader, clean_sequence};
use crate::scan::{PeptideRegisters, ProteinScan, ScanModel, WindowPlan, embed_windowed};
use crate::train::dataset::ResidueEmbedder;
use crate::train::esm::EsmResidueEmbedder;

use super::jobs::JobContext;

/// Candidates shown per protein.
pub const TOP_CANDIDATES: usize = 8;

/// The proteins of the panel's text: FASTA records, or one bare sequence. Bad records are
/// returned as messages with their line.
pub fn proteins_of_text(text: &str) -> (Vec<(String, String)>, Vec<String>) {
    if !text.trim_start().starts_with('>') {
        if text.trim().is_empty() {
            return (Vec::new(), Vec::new());
        }
        return match clean_sequence(text) {
            Ok(seq) => (vec![("pasted sequence".to_string(), seq)], Vec::new()),
            Err(e) => (Vec::new(), vec![format!("{e} (paste a sequence or FASTA)")]),
        };
    }
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in FastaReader::new(std::io::Cursor::new(text.as_bytes())) {
        match r {
            Ok(r) => ok.push((r.name, r.sequence)),
            Err(p) => bad.push(format!("line {}: {}", p.line, p.message)),
        }
    }
    (ok, bad)
}

/// Scans `proteins` on `device`; checks for Cancel between proteins.
pub fn scan_job(
    proteins: Vec<(String, String)>,
    esm_dir: Option<PathBuf>,
    device: ComputeDevice,
    jc: &JobContext,
) -> anyhow::Result<Vec<ProteinScan>> {
    jc.progress(Some(0.0), "loading ESM-2 and the scan model");
    let esm_dir = match esm_dir {
        Some(d) => d,
        None => crate::embed::default_model_dir().context("finding the bundled ESM-2 model")?,
    };
    let esm = EsmModel::load(&esm_dir, &device.device)
        .with_context(|| format!("loading ESM-2 from {}", esm_dir.display()))?;
    let model =
        ScanModel::load(&crate::scan::bundled_model_dir()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let registers = PeptideRegisters::bundled(&device).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut embedder = EsmResidueEmbedder::new(Embedder::new(esm, 16), None)?;
    model
        .prepare_embedder(&mut embedder)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let n = proteins.len();
    let mut out = Vec::with_capacity(n);
    for (i, (name, sequence)) in proteins.into_iter().enumerate() {
        jc.check()?;
        jc.progress(
            Some(i as f32 / n.max(1) as f32),
            format!("scanning {name} ({} residues)", sequence.len()),
        );
        let features = embed_windowed(&sequence, &WindowPlan::default(), &mut |pieces| {
            embedder.embed(pieces)
        })
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        out.push(
            ProteinScan::from_features(
                &name,
                &sequence,
                &features,
                &model,
                TOP_CANDIDATES,
                model.threshold,
            )
            .and_then(|s| s.with_model_registers(&registers, &mut embedder))
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?,
        );
    }
    Ok(out)
}

/// The candidates of `scans` as CSV (one row per candidate, 1-based positions).
pub fn scans_csv(scans: &[ProteinScan]) -> String {
    let mut s = String::from(
        "protein,length,rank,start,end,peptide,score,orientation,class,model_register,mutants\n",
    );
    for p in scans {
        for (rank, c) in p.candidates.iter().enumerate() {
            let name = crate::labels::csv_field(&p.name);
            let mutants: Vec<String> = p.mutants(c).iter().map(|m| m.label()).collect();
            let model = c.model_register.as_ref().map_or(String::new(), |r| {
                crate::labels::csv_field(&crate::train::register::pocket_residues(
                    &r.positions,
                    &p.sequence,
                ))
            });
            s.push_str(&format!(
                "{name},{},{},{},{},{},{:.4},{:?},{},{model},{}\n",
                p.sequence.len(),
                rank + 1,
                c.span.start + 1,
                c.span.end,
                p.peptide(c),
                c.score,
                c.pattern.orientation,
                c.pattern.label(),
                mutants.join(" ")
            ));
        }
    }
    s
}
