//! Structure loading, chain roles, numbering and labels on the six real crystal groove excerpts,
//! hand-made variants of them, and broken files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glam::{Mat3, Quat, Vec3};
use nesbind::labels::{DistanceMode, LabelSettings, ResidueLabel, label_complex};
use nesbind::structure::{
    ChainOverrides, Complex, NumberingMethod, Pocket, PocketDefinition, Structure, load_folder,
    load_structure, load_structure_bytes,
};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/structures")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn open(path: &Path) -> Complex {
    Complex::open(
        path,
        &ChainOverrides::default(),
        &PocketDefinition::bundled(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn excerpt(id: &str) -> Complex {
    open(&assets().join(format!("{id}_groove_excerpt.pdb")))
}

/// Pocket → "LEU4"-style residue, from the labels.
fn register(labels: &[ResidueLabel]) -> BTreeMap<Pocket, String> {
    labels
        .iter()
        .filter_map(|l| l.pocket.map(|p| (p, format!("{}{}", l.resname, l.resnum))))
        .collect()
}

fn expected(pairs: &[(Pocket, &str)]) -> BTreeMap<Pocket, String> {
    pairs.iter().map(|(p, r)| (*p, r.to_string())).collect()
}

use Pocket::{Phi0, Phi1, Phi2, Phi3, Phi4};

// Published registers: PKI 37-LALKLAGLDI-46 (chain B local 4–13) in 3NBY; Rev 75-LPPLERLTL-83
// (local 6–14) in 3NBZ/3NC0 with P76 in Φ1; SPN1 in 3GJX; the reverse NESs of hRio2 (5DHF) and
// CPEB4 (5DIF) fill the pockets C→N. Source: Güttler 2010, Monecke 2009, Fung 2015, and the
// contact table in assets/pockets/crm1_pocket_residues_from_crystal_contacts.csv.
#[test]
fn pki_register_in_3nby() {
    let labels = label_complex(&excerpt("3NBY"), &LabelSettings::default());
    assert_eq!(
        register(&labels),
        expected(&[
            (Phi1, "LEU4"),
            (Phi2, "LEU8"),
            (Phi3, "LEU11"),
            (Phi4, "ILE13")
        ])
    );
}

#[test]
fn rev_register_puts_proline_76_in_phi1() {
    let want = expected(&[
        (Phi0, "LEU6"),
        (Phi1, "PRO7"),
        (Phi2, "LEU9"),
        (Phi3, "LEU12"),
        (Phi4, "LEU14"),
    ]);
    for id in ["3NBZ", "3NC0"] {
        let labels = label_complex(&excerpt(id), &LabelSettings::default());
        assert_eq!(register(&labels), want, "{id}");
    }
}

#[test]
fn snurportin_register_in_3gjx() {
    let labels = label_complex(&excerpt("3GJX"), &LabelSettings::default());
    assert_eq!(
        register(&labels),
        expected(&[
            (Phi1, "LEU4"),
            (Phi2, "LEU8"),
            (Phi3, "PHE12"),
            (Phi4, "VAL14")
        ])
    );
}

#[test]
fn reverse_nes_registers_run_c_to_n() {
    let rio2 = label_complex(&excerpt("5DHF"), &LabelSettings::default());
    assert_eq!(
        register(&rio2),
        expected(&[(Phi1, "LEU400"), (Phi2, "PHE396")])
    );
    let cpeb4 = label_complex(&excerpt("5DIF"), &LabelSettings::default());
    assert_eq!(
        register(&cpeb4),
        expected(&[
            (Phi0, "ILE393"),
            (Phi1, "LEU390"),
            (Phi2, "LEU386"),
            (Phi3, "MET383")
        ])
    );
}

#[test]
fn roles_and_numbering_of_the_excerpts() {
    for id in ["3GJX", "3NBY", "3NBZ", "3NC0", "5DHF", "5DIF"] {
        let c = excerpt(id);
        assert_eq!(c.receptor_chain().id, "A", "{id}");
        assert_eq!(c.peptide_chain().id, "B", "{id}");
        assert_eq!(
            c.numbering.method,
            NumberingMethod::Offset(0),
            "{id}: {}",
            c.numbering.describe()
        );
        let phi1 = &c.pockets[1];
        assert!(
            phi1.centre.is_some() && !phi1.residue_indices.is_empty(),
            "{id}"
        );
    }
}

#[test]
fn every_pocket_occupant_binds() {
    // Heavy-atom contacts always reach a filled pocket. CA–CA distance may not: in 5DIF the Φ0
    // lining K514 has no CA and I393's CA sits > 8 Å from H558, so CA mode is checked on the
    // complete grooves only.
    let cases = [
        ("3NBY", LabelSettings::default()),
        ("3NBZ", LabelSettings::default()),
        ("3NBY", LabelSettings::new(DistanceMode::Heavy, None)),
        ("3NBZ", LabelSettings::new(DistanceMode::Heavy, None)),
        ("5DIF", LabelSettings::new(DistanceMode::Heavy, None)),
        ("5DHF", LabelSettings::new(DistanceMode::Heavy, None)),
    ];
    for (id, settings) in cases {
        let labels = label_complex(&excerpt(id), &settings);
        for l in labels.iter().filter(|l| l.pocket.is_some()) {
            assert!(
                l.binding,
                "{id} {:?}: {}{} fills a pocket but is not binding",
                settings.mode, l.resname, l.resnum
            );
            assert!(l.min_distance <= settings.cutoff);
            assert!(l.nearest_pocket.is_some());
        }
    }
}

#[test]
fn heavy_mode_is_stricter_than_ca_mode_at_the_field_cutoffs() {
    let c = excerpt("3NBY");
    let ca = label_complex(&c, &LabelSettings::new(DistanceMode::Ca, Some(8.0)));
    let heavy = label_complex(&c, &LabelSettings::new(DistanceMode::Heavy, Some(4.0)));
    let n = |ls: &[ResidueLabel]| ls.iter().filter(|l| l.binding).count();
    assert!(n(&heavy) >= 4 && n(&heavy) <= ca.len());
    // A zero cutoff binds nothing; a huge one binds everything.
    assert_eq!(
        n(&label_complex(
            &c,
            &LabelSettings::new(DistanceMode::Heavy, Some(0.0))
        )),
        0
    );
    assert_eq!(
        n(&label_complex(
            &c,
            &LabelSettings::new(DistanceMode::Ca, Some(100.0))
        )),
        ca.len()
    );
}

/// Rewrites the coordinates of a structure with a rigid motion.
fn moved(structure: &Structure, rotation: Quat, shift: Vec3) -> Structure {
    let mut s = structure.clone();
    for chain in &mut s.chains {
        for residue in &mut chain.residues {
            for atom in &mut residue.atoms {
                atom.pos = rotation * atom.pos + shift;
            }
        }
    }
    s
}

#[test]
fn labels_do_not_change_under_rigid_motions() {
    let mut seed = 0x2545F491u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32
    };
    for id in ["3NBY", "5DIF"] {
        let original = load_structure(&assets().join(format!("{id}_groove_excerpt.pdb"))).unwrap();
        let reference = label_complex(
            &Complex::build(
                original.clone(),
                &ChainOverrides::default(),
                &PocketDefinition::bundled(),
            )
            .unwrap(),
            &LabelSettings::new(DistanceMode::Heavy, None),
        );
        for _ in 0..25 {
            let axis = Vec3::new(next() - 0.5, next() - 0.5, next() - 0.5).normalize_or(Vec3::Z);
            let rotation = Quat::from_axis_angle(axis, next() * std::f32::consts::TAU);
            let shift = Vec3::new(next(), next(), next()) * 400.0 - 200.0;
            let c = Complex::build(
                moved(&original, rotation, shift),
                &ChainOverrides::default(),
                &PocketDefinition::bundled(),
            )
            .unwrap();
            let labels = label_complex(&c, &LabelSettings::new(DistanceMode::Heavy, None));
            assert_eq!(register(&labels), register(&reference));
            for (a, b) in labels.iter().zip(&reference) {
                assert_eq!(a.binding, b.binding);
                assert!(
                    (a.min_distance - b.min_distance).abs() < 2e-3,
                    "{} vs {}",
                    a.min_distance,
                    b.min_distance
                );
            }
        }
        // The rotation matrix really moves atoms (the test would be empty otherwise).
        let m = Mat3::from_quat(Quat::from_rotation_y(1.0));
        assert!(m.x_axis.distance(Vec3::X) > 0.1);
    }
}

/// Text of a PDB file with residue numbers of chain A shifted, as in yeast Crm1 (human + 11).
fn renumbered(path: &Path, chain: char, map: impl Fn(i32) -> i32) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            if (l.starts_with("ATOM") || l.starts_with("HETATM"))
                && l.chars().nth(21) == Some(chain)
            {
                let n: i32 = l[22..26].trim().parse().unwrap();
                format!("{}{:>4}{}", &l[..22], map(n), &l[26..])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn yeast_numbering_finds_the_same_pockets() {
    let path = assets().join("3NBY_groove_excerpt.pdb");
    let text = renumbered(&path, 'A', |n| n + 11);
    let s = load_structure_bytes(Path::new("yeast_numbered.pdb"), text.as_bytes()).unwrap();
    let c = Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled()).unwrap();
    assert_eq!(c.numbering.method, NumberingMethod::Offset(-11));
    let labels = label_complex(&c, &LabelSettings::default());
    assert_eq!(
        register(&labels).get(&Phi1).map(String::as_str),
        Some("LEU4")
    );
    assert_eq!(register(&labels).len(), 4);
}

#[test]
fn scrambled_numbering_is_mapped_by_alignment() {
    // Renumber from 1 and insert a jump: no single offset fits, alignment must.
    let path = assets().join("3NBY_groove_excerpt.pdb");
    let text = renumbered(&path, 'A', |n| if n < 540 { n - 504 } else { n - 404 });
    let s = load_structure_bytes(Path::new("renumbered.pdb"), text.as_bytes()).unwrap();
    let c = Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled()).unwrap();
    assert_eq!(
        c.numbering.method,
        NumberingMethod::Alignment,
        "{}",
        c.numbering.describe()
    );
    assert!(c.numbering.identity > 0.95);
    let reference = register(&label_complex(&excerpt("3NBY"), &LabelSettings::default()));
    assert_eq!(
        register(&label_complex(&c, &LabelSettings::default())),
        reference
    );
}

#[test]
fn yeast_crm1_sequence_aligns_to_human_numbering() {
    // S. cerevisiae Crm1 (P30822) around the groove: yeast L536 = human L525, T539 = human C528.
    let yeast_groove = "KRFVVTVIKDLLDLTVKKRGKDNKAVVASDIMYVVGQYPRFLKAHWNFLRTVILKLFEFMHE";
    let human = nesbind::structure::HUMAN_XPO1_SEQUENCE.as_str();
    let a = nesbind::structure::global_align(yeast_groove, human);
    let start = human
        .find("KRFLVTVIKDLLGLCEQKRGKDNKAIIASNIMYIVGQYPRFLRAHWKFLKTVVNKLFEFMHE")
        .unwrap();
    assert_eq!(a.pairs.first().map(|p| p.target), Some(start));
    assert!(a.identity > 0.6);
}

#[test]
fn overrides_choose_chains_and_unknown_ids_are_named() {
    let path = assets().join("3NBY_groove_excerpt.pdb");
    let ok = Complex::open(
        &path,
        &ChainOverrides {
            receptor: Some("A".into()),
            peptide: Some("B".into()),
            ..Default::default()
        },
        &PocketDefinition::bundled(),
    )
    .unwrap();
    assert_eq!(ok.peptide_chain().id, "B");
    let err = Complex::open(
        &path,
        &ChainOverrides {
            peptide: Some("Q".into()),
            ..Default::default()
        },
        &PocketDefinition::bundled(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("'Q'") && err.contains("3NBY_groove_excerpt.pdb") && err.contains("A, B"),
        "{err}"
    );
}

#[test]
fn mmcif_and_gzip_read_the_same_atoms() {
    let pdb = load_structure(&assets().join("3NBY_groove_excerpt.pdb")).unwrap();
    for name in [
        "3NBY_groove_excerpt.cif",
        "3NBY_groove_excerpt.cif.gz",
        "3NBY_groove_excerpt.pdb.gz",
    ] {
        let other = load_structure(&fixture(name)).unwrap();
        assert_eq!(other.atom_count(), pdb.atom_count(), "{name}");
        assert_eq!(other.name, "3NBY_groove_excerpt");
        let c = Complex::build(
            other,
            &ChainOverrides::default(),
            &PocketDefinition::bundled(),
        )
        .unwrap();
        assert_eq!(
            register(&label_complex(&c, &LabelSettings::default())).len(),
            4,
            "{name}"
        );
    }
}

#[test]
fn alphafold_style_files_use_author_chains_and_expose_plddt() {
    let s = load_structure(&fixture("af_style_3NBY.cif")).unwrap();
    assert!(s.is_predicted);
    let ids: Vec<&str> = s.chains.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["A", "B"], "auth_asym_id is the chain id users see");
    let c = Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled()).unwrap();
    let plddt = c.peptide_chain().residues[0].ca().unwrap().b_factor;
    assert!((plddt - 65.0).abs() < 1e-3, "pLDDT {plddt}");
}

#[test]
fn broken_files_give_errors_that_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(assets().join("3NBY_groove_excerpt.pdb")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.pdb", Vec::new(), "empty"),
        (
            "junk.pdb",
            (0..4000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                .collect(),
            "binary",
        ),
        (
            "words.pdb",
            b"this is not a structure\n".to_vec(),
            "neither PDB",
        ),
        (
            "truncated.pdb",
            good.lines()
                .take(40)
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
                .into_iter()
                .chain(b"\nATOM     41  CA  LEU A 510      67.7".iter().copied())
                .collect(),
            "",
        ),
        (
            "bad.cif.gz",
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3],
            "gzip",
        ),
    ];
    for (name, bytes, must_say) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let result = load_structure(&path).and_then(|s| {
            Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled())
        });
        let err = result.expect_err(name).to_string();
        assert!(
            err.contains(name),
            "{name}: error does not name the file: {err}"
        );
        assert!(err.contains(must_say), "{name}: {err}");
    }
}

#[test]
fn a_file_without_a_peptide_says_so() {
    let text = std::fs::read_to_string(assets().join("3NBY_groove_excerpt.pdb")).unwrap();
    let only_a: String = text
        .lines()
        .filter(|l| !(l.starts_with("ATOM") && &l[21..22] == "B"))
        .collect::<Vec<_>>()
        .join("\n");
    let s = load_structure_bytes(Path::new("apo.pdb"), only_a.as_bytes()).unwrap();
    let err = Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("apo.pdb") && err.contains("NES peptide"),
        "{err}"
    );

    let ca_trace = load_structure(&assets().join("3NBY_CRM1_Ran_CA.pdb")).unwrap();
    assert_eq!(ca_trace.chains.len(), 2);
    let err = Complex::build(
        ca_trace,
        &ChainOverrides::default(),
        &PocketDefinition::bundled(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("NES peptide"), "{err}");
}

#[test]
fn full_crm1_trace_is_detected_as_receptor_and_ran_is_not() {
    let s = load_structure(&assets().join("3NBY_CRM1_Ran_CA.pdb")).unwrap();
    let roles = nesbind::structure::detect_roles(
        &s,
        &ChainOverrides {
            peptide: Some("C".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.chains[roles.receptor].id, "A");
    assert_eq!(
        roles
            .numbering
            .human_number(roles.numbering.residue_index(525).unwrap()),
        Some(525)
    );
    assert!(
        roles.numbering.identity > 0.95,
        "{}",
        roles.numbering.describe()
    );
}

#[test]
fn a_folder_with_a_bad_file_still_loads_the_others() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["3NBY", "5DIF"] {
        std::fs::copy(
            assets().join(format!("{id}_groove_excerpt.pdb")),
            dir.path().join(format!("{id}.pdb")),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("broken.cif"),
        b"data_x\nloop_\n_atom_site.id\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("notes.txt"),
        b"ignored: not a structure file",
    )
    .unwrap();
    let load = load_folder(&[dir.path().to_path_buf()]);
    assert_eq!(load.loaded.len(), 2);
    assert_eq!(load.failures.len(), 1);
    assert!(
        load.failures[0].message.contains("broken.cif"),
        "{}",
        load.failures[0].message
    );
}

#[test]
fn user_pocket_file_changes_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pockets.csv");
    // Only Φ1 defined: the other pockets stay empty.
    std::fs::write(
        &path,
        "pocket,human_XPO1_resnum\nPhi1,521\nPhi1,522\nPhi1,561\nPhi1,518\n",
    )
    .unwrap();
    let def = PocketDefinition::from_file(&path).unwrap();
    let c = Complex::open(
        &assets().join("3NBY_groove_excerpt.pdb"),
        &ChainOverrides::default(),
        &def,
    )
    .unwrap();
    let r = register(&label_complex(&c, &LabelSettings::default()));
    assert_eq!(r, expected(&[(Phi1, "LEU4")]));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"source\": 3}").unwrap();
    assert!(
        PocketDefinition::from_file(&bad)
            .unwrap_err()
            .to_string()
            .contains("bad.json")
    );
}

#[test]
fn synthetic_large_complex_labels_like_the_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.pdb");
    let n = nesbind::structure::synthetic::write_large_complex(
        &assets().join("3NBY_groove_excerpt.pdb"),
        &out,
        15_000,
    )
    .unwrap();
    assert!(n >= 15_000);
    let c = open(&out);
    assert_eq!(c.structure.atom_count(), n);
    assert_eq!(
        register(&label_complex(&c, &LabelSettings::default())).len(),
        4
    );
}

/// A two-chain file whose NES chain is longer than 40 residues is still a complex (AlphaFold
/// models of 50–80-residue NES fragments): the 3NBY peptide extended by 35 residues far from CRM1.
#[test]
fn long_peptide_two_chain_file_is_a_complex() {
    let mut structure = load_structure(&assets().join("3NBY_groove_excerpt.pdb")).expect("loads");
    let pep = structure
        .chains
        .iter()
        .position(|c| c.polymer_len() < 40)
        .expect("peptide chain");
    let template = structure.chains[pep].residues[0].clone();
    let last = structure.chains[pep]
        .residues
        .last()
        .map_or(0, |r| r.number);
    for k in 1..=35 {
        let mut r = template.clone();
        r.number = last + k;
        for a in &mut r.atoms {
            a.pos += Vec3::new(60.0 + 3.8 * k as f32, 0.0, 0.0);
        }
        structure.chains[pep].residues.push(r);
    }
    assert!(structure.chains[pep].polymer_len() > 40);
    let complex = Complex::build(
        structure.clone(),
        &ChainOverrides::default(),
        &PocketDefinition::bundled(),
    )
    .expect("a long NES chain in a two-chain file is accepted");
    assert_eq!(complex.peptide, pep);
    assert!(
        complex.notes.iter().any(|n| n.contains("longer than 40")),
        "{:?}",
        complex.notes
    );
    // With a third chain the length limit holds again.
    let mut three = structure;
    let mut extra = three.chains[pep].clone();
    extra.id = "Z".into();
    for r in &mut extra.residues {
        for a in &mut r.atoms {
            a.pos += Vec3::new(500.0, 0.0, 0.0);
        }
    }
    three.chains.push(extra);
    let err = Complex::build(
        three,
        &ChainOverrides::default(),
        &PocketDefinition::bundled(),
    )
    .expect_err("refused");
    assert!(err.to_string().contains("longer than 40"), "{err}");
}

/// The shared AlphaFold folder: every model is a complex now, the long-peptide and the plant CRM1
/// ones included, except long chains that bind CRM1 away from the NES groove.
#[test]
fn every_shared_alphafold_model_is_a_complex() {
    let Some(dir) = nesbind::shared_alphafold_dir() else {
        eprintln!("skipped: ../shared/data/structures/alphafold_complexes is absent");
        return;
    };
    let mut refused = Vec::new();
    let mut long = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("reads the folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".pdb.gz"))
        .collect();
    files.sort();
    assert!(files.len() > 200, "{} models", files.len());
    for f in &files {
        match Complex::open(f, &ChainOverrides::default(), &PocketDefinition::bundled()) {
            Ok(c) => long += usize::from(c.peptide_chain().polymer_len() > 40),
            Err(e) => refused.push(e.to_string()),
        }
    }
    // The only refusals: long chains that bind CRM1 outside the NES groove (e.g. influenza M1), and
    // one "CRM1" chain (the A. nidulans model) that shares no detectable sequence with any XPO1.
    for r in &refused {
        assert!(
            r.contains("not in the CRM1 groove") || r.contains("matches human XPO1"),
            "{r}"
        );
    }
    assert!(refused.len() <= 10, "{refused:#?}");
    assert!(long >= 30, "{long} long peptides");
}

#[test]
fn headerless_alphafold_models_are_recognised_by_their_b_factors() {
    // The multimer models carry no header; one B-factor per residue in 0–100 gives them away.
    let text = "ATOM      1  N   LEU B   1      10.000  10.000  10.000  1.00 71.50           N\n\
                ATOM      2  CA  LEU B   1      11.400  10.000  10.000  1.00 71.50           C\n\
                ATOM      3  N   ALA B   2      12.000  11.300  10.000  1.00 44.25           N\n\
                ATOM      4  CA  ALA B   2      13.400  11.300  10.000  1.00 44.25           C\n\
                END\n";
    let s = nesbind::structure::load_structure_bytes(
        std::path::Path::new("model.pdb"),
        text.as_bytes(),
    )
    .unwrap();
    assert!(s.is_predicted);
    // Refined B-factors differ within a residue; a CA trace has one atom per residue.
    let crystal = text.replacen("71.50           C", "23.10           C", 1);
    let s =
        nesbind::structure::load_structure_bytes(std::path::Path::new("x.pdb"), crystal.as_bytes())
            .unwrap();
    assert!(!s.is_predicted);
    let s = load_structure(&nesbind::assets_dir().join("structures/3NBY_CRM1_Ran_CA.pdb")).unwrap();
    assert!(!s.is_predicted, "a CA trace is not a model");
    let s =
        load_structure(&nesbind::assets_dir().join("structures/3NBY_groove_excerpt.pdb")).unwrap();
    assert!(!s.is_predicted);
}

/// Share of residues on which DSSP and the CA rule agree about helix / not helix.
fn helix_agreement(chain: &nesbind::structure::Chain) -> (f32, f32, usize) {
    use nesbind::structure::{SecondaryStructure, dssp, from_ca_geometry};
    let a = dssp(chain);
    let b = from_ca_geometry(chain);
    let same = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| (**x == SecondaryStructure::Helix) == (**y == SecondaryStructure::Helix))
        .count();
    let helix = a
        .iter()
        .filter(|s| **s == SecondaryStructure::Helix)
        .count();
    let strand = |v: &[SecondaryStructure]| {
        v.iter()
            .filter(|s| **s == SecondaryStructure::Strand)
            .count()
    };
    eprintln!(
        "strand residues: DSSP {}, CA rule {}",
        strand(&a),
        strand(&b)
    );
    (
        same as f32 / a.len() as f32,
        helix as f32 / a.len() as f32,
        strand(&a),
    )
}

#[test]
fn ca_rule_agrees_with_dssp_on_the_crystal_grooves() {
    for name in ["3GJX", "3NBY", "3NBZ", "3NC0", "5DHF", "5DIF"] {
        let path = nesbind::assets_dir().join(format!("structures/{name}_groove_excerpt.pdb"));
        let s = load_structure(&path).unwrap();
        let c =
            Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled()).unwrap();
        let (agree, helix, _) = helix_agreement(c.receptor_chain());
        // The long excerpts are helices of HEAT repeats 11–12; the short ones are scattered
        // pocket-lining residues (no helix to find).
        if c.receptor_chain().residues.len() >= 60 {
            assert!(helix > 0.6, "{name}: DSSP helix share {helix}");
        }
        eprintln!("{name}: agree {agree:.3} helix {helix:.3}");
        assert!(agree >= 0.85, "{name}: CA rule agrees with DSSP on {agree}");
    }
}

#[test]
fn ca_rule_agrees_with_dssp_on_alphafold_crm1() {
    let Some(dir) = nesbind::shared_alphafold_dir() else {
        eprintln!("skipped: ../shared/data/structures/alphafold_complexes is absent");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".pdb.gz"))
        .collect();
    files.sort();
    for path in files.iter().take(3) {
        let s = load_structure(path).unwrap();
        assert!(
            s.is_predicted,
            "{}: pLDDT in the B-factor column",
            path.display()
        );
        let c =
            Complex::build(s, &ChainOverrides::default(), &PocketDefinition::bundled()).unwrap();
        let (agree, helix, strand) = helix_agreement(c.receptor_chain());
        // CRM1 is 21 HEAT repeats: mostly helix, and the β-hairpin of the acidic loop.
        assert!(
            strand >= 4,
            "{}: DSSP strand residues {strand}",
            path.display()
        );
        assert!(helix > 0.6, "{}: DSSP helix share {helix}", path.display());
        eprintln!("{}: agree {agree:.3} helix {helix:.3}", path.display());
        assert!(
            agree >= 0.85,
            "{}: CA rule agrees with DSSP on {agree}",
            path.display()
        );
    }
}
