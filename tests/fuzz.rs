//! Mutation fuzzing of the readers on stable Rust, seeded from real files: the structure corpus in
//! `../shared/data/corpus` (when present) and the bundled structures, NES tables, FASTA, tokenizer
//! and the tiny ESM-2 safetensors. Each input is a seed mutated by bit flips, byte edits, cut,
//! duplicated or spliced ranges and format-specific tokens ("nan", CR, `_atom_site.`, quotes…).
//! A reader may refuse an input with an error; it must never panic out of the call or hang.
//!
//! Opt-in (not part of `cargo test`): `NESBIND_FUZZ_SECONDS=600 cargo test --release --test fuzz
//! -- --ignored --nocapture` runs every reader for that many seconds (default 20). Crashing or
//! hanging inputs are written to `target/fuzz-crashers/` and fail the run; add them to the
//! regression tests. `NESBIND_FUZZ_READERS=pdb,mmcif` limits the run to those readers (pdb, mmcif,
//! gz, nesdb, fasta, tokenizer, safetensors).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An input taking longer than this is reported as a hang.
const HANG: Duration = Duration::from_secs(5);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"nan",
    b"inf",
    b"-",
    b"\r",
    b"\r\n",
    b"\n",
    b"'",
    b"\"",
    b";",
    b"?",
    b".",
    b"ATOM  ",
    b"HETATM",
    b"MODEL     1",
    b"ENDMDL",
    b"TER",
    b"_atom_site.",
    b"loop_",
    b"data_x",
    b"1e309",
    b"\xef\xbb\xbf",
    b"\x1f\x8b",
    b"\xe9",
    b",",
    b"[]",
    b"['1-2']",
    b">",
    b"<mask>",
    b"\0",
];

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let n = out.len();
        match rng.below(9) {
            0 if n > 0 => {
                let i = rng.below(n);
                out[i] ^= 1 << rng.below(8);
            }
            1 if n > 0 => {
                let i = rng.below(n);
                out[i] = rng.next() as u8;
            }
            2 if n > 0 => {
                let a = rng.below(n);
                let b = (a + rng.below(64)).min(n);
                out.drain(a..b);
            }
            3 => {
                let at = rng.below(n + 1);
                let t = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, t.iter().copied());
            }
            4 if n > 0 => {
                let a = rng.below(n);
                let b = (a + rng.below(200)).min(n);
                let chunk = out[a..b].to_vec();
                let at = rng.below(out.len() + 1);
                out.splice(at..at, chunk);
            }
            5 if n > 0 => out.truncate(rng.below(n)),
            6 if !other.is_empty() => {
                let a = rng.below(other.len());
                let b = (a + rng.below(400)).min(other.len());
                let at = rng.below(n + 1);
                out.splice(at..at, other[a..b].iter().copied());
            }
            7 if n > 0 => {
                // Overwrite a fixed-column field (PDB coordinates live in columns 31–54).
                let i = rng.below(n);
                for (k, c) in b"   nan ".iter().enumerate() {
                    if let Some(slot) = out.get_mut(i + k) {
                        *slot = *c;
                    }
                }
            }
            _ => {
                let at = rng.below(n + 1);
                out.insert(at, rng.next() as u8);
            }
        }
    }
    out
}

struct Outcome {
    inputs: u64,
    refused: u64,
    failures: Vec<String>,
}

/// Feeds mutated seeds to `reader` for `budget`; `reader` returns whether the input was accepted.
fn fuzz(
    name: &str,
    seeds: &[Vec<u8>],
    budget: Duration,
    reader: &mut dyn FnMut(&[u8]) -> bool,
) -> Outcome {
    let crashers = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashers");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    let mut outcome = Outcome {
        inputs: 0,
        refused: 0,
        failures: Vec::new(),
    };
    let started = Instant::now();
    while started.elapsed() < budget && !seeds.is_empty() {
        let seed = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed, other);
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| reader(&input)));
        let took = t.elapsed();
        outcome.inputs += 1;
        let failure = match result {
            Err(_) => Some("panic"),
            Ok(_) if took > HANG => Some("hang"),
            Ok(accepted) => {
                outcome.refused += u64::from(!accepted);
                None
            }
        };
        if let Some(kind) = failure {
            let _ = std::fs::create_dir_all(&crashers);
            let path = crashers.join(format!("{name}-{kind}-{}.bin", outcome.inputs));
            let _ = std::fs::write(&path, &input);
            outcome
                .failures
                .push(format!("{kind} ({took:?}): {}", path.display()));
        }
    }
    outcome
}

fn files_in(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.is_file() && keep(p))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// The first `lines` lines of a text file, as a small seed.
fn head(path: &Path, lines: usize) -> Vec<u8> {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .take(lines)
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        })
        .unwrap_or_default()
}

#[test]
#[ignore = "opt-in fuzzing: NESBIND_FUZZ_SECONDS=600 cargo test --release --test fuzz -- --ignored --nocapture"]
fn readers_never_panic_or_hang_on_mutated_real_files() {
    let seconds: u64 = std::env::var("NESBIND_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let budget = Duration::from_secs(seconds);
    // NESBIND_FUZZ_READERS=pdb,mmcif runs only those (names as in the report).
    let only: Option<Vec<String>> = std::env::var("NESBIND_FUZZ_READERS")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut run = |name: &str, seeds: Vec<Vec<u8>>, reader: &mut dyn FnMut(&[u8]) -> bool| {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
            return;
        }
        let o = fuzz(name, &seeds, budget, reader);
        report.push(format!(
            "{name}: {} inputs from {} seeds in {seconds} s, {} refused, {} panics/hangs",
            o.inputs,
            seeds.len(),
            o.refused,
            o.failures.len()
        ));
        failures.extend(o.failures);
    };

    let mut structures = files_in(&root.join("assets/structures"), |_| true);
    let corpus = nesbind::shared_dir().map(|d| d.join("data/corpus"));
    if let Some(c) = &corpus {
        structures.extend(files_in(c, |p| !p.ends_with("MANIFEST.tsv")));
    } else {
        eprintln!("../shared/data/corpus is absent: structure seeds are the bundled files only");
    }
    let (pdb, cif): (Vec<_>, Vec<_>) = structures
        .into_iter()
        .partition(|b| !String::from_utf8_lossy(b).contains("_atom_site"));
    let read_structure =
        &mut |b: &[u8]| nesbind::structure::load_structure_bytes(Path::new("fuzz"), b).is_ok();
    run("pdb", pdb.clone(), read_structure);
    run("mmcif", cif, read_structure);
    let gz: Vec<Vec<u8>> = pdb
        .iter()
        .take(6)
        .map(|b| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = e.write_all(b);
            e.finish().unwrap_or_default()
        })
        .collect();
    run("gz", gz, read_structure);

    let nes = root.join("assets/nes");
    let tables: Vec<Vec<u8>> = [
        "NESDB_combined_database.csv",
        "NesDB_all_CRM1_with_peptides_train.csv",
        "NESdb_NESpositive_sequences.csv",
    ]
    .iter()
    .map(|f| head(&nes.join(f), 12))
    .collect();
    let csv = tmp.path().join("table.csv");
    run("nesdb", tables, &mut |b: &[u8]| {
        std::fs::write(&csv, b).is_ok() && nesbind::nesdb::read_nesdb(&csv).is_ok()
    });

    let fasta = vec![
        std::fs::read(root.join("assets/sequences/XPO1_HUMAN_O14980.fasta")).unwrap_or_default(),
        b">pki\nNSNELALKLAGLDINK\n>rev desc\nLQLPPLERLTL\n\n>x\nmeel sqal*\n".to_vec(),
    ];
    run("fasta", fasta, &mut |b: &[u8]| {
        nesbind::embed::parse_fasta(&String::from_utf8_lossy(b)).is_ok()
    });

    let tiny = root.join("tests/fixtures/models/esm2_tiny_random");
    let tokenizer = nesbind::embed::EsmTokenizer::from_dir(&tiny).expect("tiny tokenizer");
    let sequences = vec![
        b"LALKLAGLDI".to_vec(),
        b"MEEL<mask>SQALASSFSV".to_vec(),
        b"lppler ltl".to_vec(),
    ];
    run("tokenizer", sequences, &mut |b: &[u8]| {
        tokenizer.encode(0, &String::from_utf8_lossy(b)).is_ok()
    });

    let model_dir = tmp.path().join("model");
    std::fs::create_dir_all(&model_dir).expect("model dir");
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(tiny.join(f), model_dir.join(f)).expect("copy");
    }
    let weights = vec![std::fs::read(tiny.join("model.safetensors")).expect("tiny weights")];
    let device = burn::tensor::Device::flex();
    run("safetensors", weights, &mut |b: &[u8]| {
        std::fs::write(model_dir.join("model.safetensors"), b).is_ok()
            && nesbind::embed::EsmModel::load(&model_dir, &device).is_ok()
    });

    for line in &report {
        println!("{line}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
