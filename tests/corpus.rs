//! Every file of the shared structure corpus (`../shared/data/corpus` beside the repository, or
//! `$NESBIND_SHARED/data/corpus`): real PDB/mmCIF files from pdbtbx's examples and damaged or
//! oddly encoded variants of them, described in its MANIFEST.tsv. The files are never copied into
//! the repository; without the corpus each test prints "skipped: …" and passes.
//!
//! Files with coordinates load (with a note where decoding had to do something); the deliberately
//! broken ones are refused with their own message; and `nesbind label` on any of them never
//! panics or dies on a signal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use nesbind::structure::{Structure, load_folder, load_structure, load_structure_bytes_own_reader};

/// The deliberately broken files and a distinctive part of the message each must give.
/// Every other corpus file must load.
const BROKEN: [(&str, &str); 7] = [
    (
        "synthetic__1ubq_atom_site_ragged_rows.cif",
        "is ragged: line 575 has 21 values but the loop has 20 columns",
    ),
    (
        "synthetic__1ubq_cif_truncated_midrow.cif",
        "ends in the middle of a row: its last row (line 796) has 9 of 21 values",
    ),
    (
        "synthetic__1ubq_gz_cut_in_half.pdb.gz",
        "the gzip data is damaged or cut short",
    ),
    (
        "synthetic__1ubq_missing_Cartn_z_column.cif",
        "has no Cartn_z column",
    ),
    (
        "synthetic__1ubq_missing_atom_name_columns.cif",
        "neither an auth_atom_id nor a label_atom_id column",
    ),
    (
        "synthetic__1ubq_nan_coords.pdb",
        "line 419: the x coordinate is 'nan', not a finite number",
    ),
    (
        "synthetic__1ubq_truncated_midline.pdb",
        "ends in the middle of an atom record (line 596",
    ),
];

/// Re-encodings of pdbtbx__1ubq.pdb (line endings, BOM, gzip, names): the same atoms.
const SAME_AS_1UBQ_PDB: [&str; 11] = [
    "derived__pdb1ubq.ent.gz",
    "synthetic__1ubq_cr_only.pdb",
    "synthetic__1ubq_crlf.pdb",
    "synthetic__1ubq_double_gzipped.pdb.gz",
    "synthetic__1ubq_latin1_remark.pdb",
    "synthetic__1ubq_lowercase_atom_names.pdb",
    "synthetic__1ubq_pdb_content_named.cif",
    "synthetic__1ubq_plain_text_named.pdb.gz",
    "synthetic__1ubq_two_gzip_members.pdb.gz",
    "synthetic__1ubq_utf8_bom.pdb",
    "synthetic__odd name ü (copy).pdb",
];

fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("NESBIND_SHARED") {
        Some(shared) => PathBuf::from(shared).join("data/corpus"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/corpus"),
    };
    if dir.join("MANIFEST.tsv").is_file() {
        Some(dir)
    } else {
        println!(
            "skipped: no structure corpus at {} (set NESBIND_SHARED to the folder holding data/corpus)",
            dir.display()
        );
        None
    }
}

/// File name → MANIFEST's description of it.
fn manifest(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("MANIFEST.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let file = cols.next()?;
            let what = cols.nth(1).unwrap_or("");
            Some((file.to_string(), what.to_string()))
        })
        .collect()
}

fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "MANIFEST.tsv"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn broken_message(name: &str) -> Option<&'static str> {
    BROKEN.iter().find(|(f, _)| *f == name).map(|(_, m)| *m)
}

/// The chains the MANIFEST lists (`[chains: A 368 aa, B 7 aa, D no polymer, +7 more; …]`):
/// id and amino-acid count (None for nucleic-acid or non-polymer chains).
fn manifest_chains(what: &str) -> Vec<(String, Option<usize>)> {
    let Some(start) = what.find("[chains: ") else {
        return Vec::new();
    };
    let rest = &what[start + "[chains: ".len()..];
    let end = rest.find([';', ']']).unwrap_or(rest.len());
    rest[..end]
        .split(", ")
        .filter(|c| !c.starts_with('+'))
        .map(|c| {
            let mut words = c.split(' ');
            let id = words.next().unwrap().to_string();
            let n = words.next().and_then(|n| n.parse().ok());
            let aa = (words.next() == Some("aa")).then_some(n).flatten();
            (id, aa)
        })
        .collect()
}

#[test]
fn the_manifest_and_the_expectations_cover_every_file() {
    let Some(dir) = corpus() else { return };
    let listed = manifest(&dir);
    let present: Vec<String> = corpus_files(&dir).iter().map(|p| file_name(p)).collect();
    for name in &present {
        assert!(listed.contains_key(name), "{name} is not in MANIFEST.tsv");
    }
    for name in listed.keys() {
        assert!(
            present.contains(name),
            "MANIFEST.tsv lists {name}, which is missing"
        );
    }
    for name in BROKEN.iter().map(|(n, _)| n).chain(&SAME_AS_1UBQ_PDB) {
        assert!(
            present.iter().any(|p| p == name),
            "{name} is not in the corpus"
        );
    }
}

#[test]
fn every_file_with_coordinates_loads_and_every_broken_one_says_why() {
    let Some(dir) = corpus() else { return };
    let listed = manifest(&dir);
    let mut loaded = 0;
    for path in corpus_files(&dir) {
        let name = file_name(&path);
        let result = load_structure(&path);
        if let Some(must_say) = broken_message(&name) {
            let err = result.expect_err(&name).to_string();
            assert!(err.contains(must_say), "{name}: {err}");
            assert_eq!(
                err.matches(&name).count(),
                1,
                "{name}: the file is named once: {err}"
            );
            continue;
        }
        let s = result.unwrap_or_else(|e| panic!("{name} should load: {e}"));
        loaded += 1;
        assert!(s.atom_count() > 0, "{name}");
        // pdbtbx reads every good corpus file: the own reader is only a fallback.
        assert!(
            s.warnings.iter().all(|w| !w.contains("own reader")),
            "{name}: {:?}",
            s.warnings
        );
        let ids: Vec<&str> = s.chains.iter().map(|c| c.id.as_str()).collect();
        for (id, aa) in manifest_chains(&listed[&name]) {
            let chain = s
                .chain(&id)
                .unwrap_or_else(|| panic!("{name}: no chain {id} in {ids:?}"));
            // The MANIFEST counts polymer residues as gemmi does (an ACE cap, a modified residue
            // in SEQRES); polymer_len counts residues with a CA or a standard name.
            match aa {
                Some(n) => assert!(
                    chain.polymer_len().abs_diff(n) <= 4,
                    "{name}: chain {id} has {} amino acids, MANIFEST says {n}",
                    chain.polymer_len()
                ),
                None => assert!(!chain.residues.is_empty(), "{name}: chain {id}"),
            }
        }
        let listed_ids: Vec<String> = manifest_chains(&listed[&name])
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            ids[..listed_ids.len().min(ids.len())],
            listed_ids,
            "{name}: chains in file order"
        );
    }
    assert_eq!(loaded, corpus_files(&dir).len() - BROKEN.len());
}

/// Atoms as comparable rows, whatever order a reader lists residues and conformers in.
fn atom_rows(s: &Structure) -> Vec<String> {
    let mut rows: Vec<String> = s
        .chains
        .iter()
        .flat_map(|c| {
            c.residues.iter().flat_map(move |r| {
                r.atoms.iter().map(move |a| {
                    format!(
                        "{} {}{} {} {} {} {:?} {} {}",
                        c.id,
                        r.label(),
                        r.code,
                        r.name,
                        a.name,
                        a.element,
                        a.pos,
                        a.b_factor,
                        a.hetero
                    )
                })
            })
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn re_encoded_copies_read_exactly_like_the_original() {
    let Some(dir) = corpus() else { return };
    let original = load_structure(&dir.join("pdbtbx__1ubq.pdb")).unwrap();
    assert_eq!(original.chains[0].polymer_len(), 76);
    for name in SAME_AS_1UBQ_PDB {
        let s = load_structure(&dir.join(name)).unwrap();
        assert_eq!(s.chains, original.chains, "{name}");
    }
    let twice = load_structure(&dir.join("synthetic__1ubq_double_gzipped.pdb.gz")).unwrap();
    assert!(
        twice
            .warnings
            .iter()
            .any(|w| w.contains("gzip-compressed 2 times")),
        "{:?}",
        twice.warnings
    );
    let lower = load_structure(&dir.join("synthetic__1ubq_lowercase_atom_names.pdb")).unwrap();
    assert!(
        lower.chains[0]
            .residues
            .iter()
            .take(76)
            .all(|r| r.ca().is_some())
    );

    let cif = load_structure(&dir.join("pdbtbx__1ubq.cif")).unwrap();
    let crlf = load_structure(&dir.join("synthetic__1ubq_crlf.cif")).unwrap();
    assert_eq!(crlf.chains, cif.chains);
    let multichar = load_structure(&dir.join("synthetic__1ubq_multichar_chain_ids.cif")).unwrap();
    assert_eq!(multichar.chains.len(), 1);
    assert_eq!(
        multichar.chains[0].id, "AAA",
        "auth_asym_id, not label_asym_id"
    );
    assert_eq!(multichar.chains[0].residues, cif.chains[0].residues);
}

#[test]
fn odd_but_valid_files_keep_their_details() {
    let Some(dir) = corpus() else { return };
    let load = |name: &str| load_structure(&dir.join(name)).unwrap();
    let models = load("pdbtbx__models.pdb");
    assert_eq!(models.atom_count(), 1, "first model only");
    assert_eq!(models.chains[0].residues[0].name, "IL0");
    let icodes = load("pdbtbx__insertion_codes.pdb");
    let labels: Vec<String> = icodes.chains[0]
        .residues
        .iter()
        .map(|r| r.label())
        .collect();
    assert_eq!(labels, ["465A", "465B"]);
    let water = load("synthetic__water_only_hetatm.pdb");
    assert_eq!(water.chains[0].residues.len(), 40);
    assert_eq!(water.chains[0].polymer_len(), 0);
    assert!(water.chains[0].residues.iter().all(|r| r.atoms[0].hetero));
    let nmr = load("pdbtbx__3pdz.cif");
    assert_eq!(nmr.chains.len(), 1);
    assert_eq!(nmr.chains[0].polymer_len(), 96, "one of the 30 models");
}

/// The own reader (used when pdbtbx gives up) must read real files exactly as pdbtbx does.
#[test]
fn the_own_reader_agrees_with_pdbtbx_on_every_good_file() {
    let Some(dir) = corpus() else { return };
    for path in corpus_files(&dir) {
        let name = file_name(&path);
        if broken_message(&name).is_some() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let pdbtbx = load_structure(&path).unwrap();
        let own = load_structure_bytes_own_reader(&path, &bytes)
            .unwrap_or_else(|e| panic!("{name}: own reader: {e}"));
        let ids = |s: &Structure| s.chains.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&own), ids(&pdbtbx), "{name}: chains");
        let (a, b) = (atom_rows(&pdbtbx), atom_rows(&own));
        assert_eq!(a.len(), b.len(), "{name}: atom count");
        if let Some((x, y)) = a.iter().zip(&b).find(|(x, y)| x != y) {
            panic!("{name}: pdbtbx has {x}, the own reader {y}");
        }
    }
}

#[test]
fn a_folder_with_the_broken_files_loads_all_the_others() {
    let Some(dir) = corpus() else { return };
    let load = load_folder(std::slice::from_ref(&dir));
    assert_eq!(load.failures.len(), BROKEN.len(), "{:?}", load.failures);
    assert_eq!(load.loaded.len(), corpus_files(&dir).len() - BROKEN.len());
    for f in &load.failures {
        let name = file_name(&f.path);
        let must_say =
            broken_message(&name).unwrap_or_else(|| panic!("{name} failed: {}", f.message));
        assert!(
            f.message.contains(&name) && f.message.contains(must_say),
            "{}",
            f.message
        );
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn nesbind_label(args: &[&str], path: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_nesbind"))
        .arg("label")
        .args(args)
        .arg(path)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run nesbind");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `nesbind label` on every corpus file, and again with `--receptor A --peptide B` where the file has
/// both chains: never a panic or a signal; a refusal names the file and says why. Most corpus
/// files are not CRM1–NES complexes, so for good files only the loading must succeed.
#[test]
fn nesbind_label_never_panics_on_any_corpus_file() {
    let Some(dir) = corpus() else { return };
    let files = corpus_files(&dir);
    let results: Vec<(PathBuf, Vec<(&str, Run)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(files.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|path| {
                            let mut runs = vec![("label", nesbind_label(&[], path))];
                            let has_a_and_b = load_structure(path)
                                .is_ok_and(|s| s.chain("A").is_some() && s.chain("B").is_some());
                            if has_a_and_b {
                                runs.push((
                                    "label --receptor A --peptide B",
                                    nesbind_label(&["--receptor", "A", "--peptide", "B"], path),
                                ));
                            }
                            (path.clone(), runs)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for (path, runs) in results {
        let name = file_name(&path);
        for (how, run) in runs {
            let context = format!("`nesbind {how} {name}`:\n{}", run.stderr);
            assert!(!run.stderr.contains("panicked at"), "{context}");
            assert!(!run.stderr.contains("stack backtrace"), "{context}");
            let code = run
                .code
                .unwrap_or_else(|| panic!("killed by a signal: {context}"));
            match broken_message(&name) {
                Some(must_say) => {
                    assert_eq!(code, 1, "{context}");
                    assert!(
                        run.stderr.contains(&format!("skipped: {}", path.display())),
                        "{context}"
                    );
                    assert!(run.stderr.contains(must_say), "{context}");
                }
                None if code == 0 => {
                    // Labelled (DNA "peptides" give a header and no rows).
                    assert!(!run.stdout.is_empty(), "CSV: {context}");
                    if name == "derived__7az6_peptide_chain_H_as_B.pdb" {
                        assert!(
                            run.stdout.lines().count() > 1,
                            "a real interface: {context}"
                        );
                    }
                }
                None => {
                    // Loaded, then not labelled (no CRM1 or no NES peptide): said, with the file.
                    assert_eq!(code, 1, "{context}");
                    assert!(
                        run.stderr.contains(&format!("skipped: {}", path.display())),
                        "{context}"
                    );
                    for (_, broken) in BROKEN {
                        assert!(!run.stderr.contains(broken), "{context}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_missing_file_is_named_once_with_a_plain_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no such.pdb");
    let run = nesbind_label(&[], &path);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("skipped:"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert_eq!(
        line,
        format!("skipped: cannot open {}: no such file", path.display())
    );
    let err = load_structure(&path).unwrap_err();
    assert_eq!(
        format!("{:#}", anyhow::Error::from(err)),
        &line["skipped: ".len()..]
    );
}
