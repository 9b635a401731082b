//! The `nesbind` binary end to end, and the NES table readers on the bundled NESdb files.

use std::path::{Path, PathBuf};
use std::process::Command;

use nesbind::nesdb::read_nesdb;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn nesbind(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nesbind"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the nesbind binary runs")
}

#[test]
fn label_on_the_bundled_excerpts_prints_the_csv_and_registers() {
    let out = nesbind(&["label", "assets/structures"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("structure,chain,resnum,resname,binding,pocket,min_distance,nearest_pocket")
    );
    // PKI L37 (local 4) in Φ1 of 3NBY.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("3NBY_groove_excerpt,B,4,LEU,1,Phi1,")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("3NBZ_groove_excerpt,B,7,PRO,1,Phi1,")),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "3NBY_groove_excerpt: CRM1 A, NES B: Phi1=LEU4 Phi2=LEU8 Phi3=LEU11 Phi4=ILE13"
        ),
        "{stderr}"
    );
    // The CA trace has no peptide: reported and skipped, the six excerpts still labelled.
    assert!(
        stderr.contains("3NBY_CRM1_Ran_CA.pdb") && stderr.contains("skipped"),
        "{stderr}"
    );
    let structures: std::collections::BTreeSet<&str> = stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(structures.len(), 6);
}

#[test]
fn label_heavy_mode_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("labels.csv");
    let out = nesbind(&[
        "label",
        "assets/structures/5DIF_groove_excerpt.pdb",
        "--mode",
        "heavy",
        "--cutoff",
        "4.5",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(csv.lines().count(), 1 + 11, "header + 11 CPEB4 residues");
    assert!(csv.contains("5DIF_groove_excerpt,B,393,ILE,1,Phi0,"));
}

#[test]
fn label_reports_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pdb");
    std::fs::write(&junk, [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    let out = nesbind(&["label", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("junk.pdb") && stderr.contains("binary"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = nesbind(&[
        "label",
        "assets/structures/3NBY_groove_excerpt.pdb",
        "--receptor",
        "Z",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("'Z'"));
}

#[test]
fn nesdb_subcommand_lists_entries() {
    let out = nesbind(&["nesdb", "assets/nes/NESDB_combined_database.csv"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "id,protein,uniprot,organism,nes_start,nes_end,nes_peptide,protein_length"
        )
    );
    assert!(
        stdout.contains(",P55265,,122,137,GVDCLSSHFQELSIYQ,"),
        "ADAR1 NES 122-137"
    );
}

fn asset(name: &str) -> PathBuf {
    root().join("assets/nes").join(name)
}

#[test]
fn combined_table_reads_every_row_with_checked_positions() {
    let t = read_nesdb(&asset("NESDB_combined_database.csv")).unwrap();
    assert_eq!(t.entries.len() + t.skipped.len(), 317);
    assert!(
        t.entries.len() >= 300,
        "{} entries, skipped {:?}",
        t.entries.len(),
        t.skipped
    );
    for e in &t.entries {
        for n in &e.nes {
            assert_eq!(
                &e.sequence[n.start - 1..n.end],
                n.peptide,
                "{} line {}",
                e.id,
                e.line
            );
        }
    }
}

#[test]
fn course_table_reads_ranges_and_organisms() {
    let t = read_nesdb(&asset("NesDB_all_CRM1_with_peptides_train.csv")).unwrap();
    assert!(t.entries.len() > 200);
    let atf2 = t
        .entries
        .iter()
        .find(|e| e.id == "208")
        .expect("ATF-2 (NES ID: 208)");
    assert_eq!(atf2.protein, "ATF-2");
    assert_eq!(atf2.uniprot.as_deref(), Some("P15336"));
    assert!(atf2.nes.iter().any(|n| (n.start, n.end) == (405, 413)));
    assert!(t.skipped.iter().all(|s| s.line >= 2));
}

#[test]
fn positive_table_reads() {
    let t = read_nesdb(&asset("NESdb_NESpositive_sequences.csv")).unwrap();
    assert!(t.entries.len() > 400);
    assert_eq!(t.entries[0].protein, "ADAR1");
}

#[test]
fn malformed_rows_are_skipped_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mini.csv");
    std::fs::write(
        &path,
        "NESdb_ID,uniprotID,name,true_sequence,start,end,Sequence,Fasta Header\n\
         1,P1,good,LALKLAGLDI,3,12,MKLALKLAGLDIQ,>x\n\
         2,P2,badstart,LALKLAGLDI,three,12,MKLALKLAGLDIQ,>x\n\
         3,P3,absent,WWWW,3,6,MKLALKLAGLDIQ,>x\n\
         4,P4,empty,,3,6,,>x\n\
         5,P5,moved,LALKLAGLDI,1,10,MKLALKLAGLDIQ,>x\n",
    )
    .unwrap();
    let t = read_nesdb(&path).unwrap();
    assert_eq!(
        t.entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["1", "5"]
    );
    let lines: Vec<usize> = t.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [3, 4, 5]);
    assert!(
        t.skipped[0].reason.contains("start"),
        "{}",
        t.skipped[0].reason
    );
    assert_eq!(t.warnings.len(), 1);
    assert_eq!(t.entries[1].nes[0].start, 3);

    let unknown = dir.path().join("other.csv");
    std::fs::write(&unknown, "a,b,c\n1,2,3\n").unwrap();
    let err = read_nesdb(&unknown).unwrap_err().to_string();
    assert!(
        err.contains("other.csv") && err.contains("not a known NES table"),
        "{err}"
    );
    assert!(
        read_nesdb(&dir.path().join("missing.csv"))
            .unwrap_err()
            .to_string()
            .contains("missing.csv")
    );
}

/// Ctrl-C during `nesbind train` stops it cleanly and still writes the best epoch so far.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_training_and_keeps_the_best_epoch() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    let ck = tmp.path().join("ck");
    // Consensus-pattern rows, so the data set has training rows without ../shared's AlphaFold models.
    let made = nesbind(&[
        "dataset",
        "--sources",
        "crystal,pattern",
        "--structures",
        "assets/structures/3NBY_groove_excerpt.pdb",
        "--nesdb",
        "assets/nes/NESdb_NESpositive_sequences.csv",
        "--model",
        "tests/fixtures/models/esm2_tiny_random",
        "--device",
        "cpu",
        "--out",
        ds.to_str().unwrap(),
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_nesbind"))
        .args(["train", "--epochs", "100000", "--patience", "100000"])
        .args(["--hidden", "8", "--device", "cpu", "--dataset"])
        .arg(&ds)
        .arg("--out")
        .arg(&ck)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    // Wait until two epochs are done, so there is a best epoch to keep.
    while !log.contains("epoch   2/") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "train ended early:\n{log}"
        );
        log.push_str(&line);
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}{rest}");
    assert!(
        rest.contains("interrupted: writing the best epoch"),
        "{rest}"
    );
    assert!(stdout.contains("Cancelled after"), "{stdout}");
    assert!(ck.join("checkpoint.json").is_file() && ck.join("model.bpk").is_file());
}

/// Inputs the fuzz harness (tests/fuzz.rs) found to panic a reader: each must now be read or refused
/// with an error. Named `<reader>-<kind>-<input number>.bin`.
#[test]
fn fuzz_crashers_are_read_or_refused_without_a_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz_crashers");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("nesdb-") {
            // A corrupt start position (e.g. 1e300) once overflowed an addition.
            let _ = nesbind::nesdb::read_nesdb(&path);
            checked += 1;
        }
    }
    assert!(checked >= 3, "the crasher fixtures are present");
}
