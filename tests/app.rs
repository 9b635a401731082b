//! The real application driven through egui_kittest on a wgpu renderer (lavapipe in CI): open a bundled
//! complex, label it, read the table, switch the colouring, export the view.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use nesbind::app::state::{ColourMode, PanelTab};
use nesbind::app::{AppOptions, NesbindApp};

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/structures")
        .join(name)
}

fn harness(paths: Vec<PathBuf>) -> Harness<'static, NesbindApp> {
    Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .wgpu_setup(nesbind::app::gpu::wgpu_setup())
        .build_eframe(move |cc| {
            NesbindApp::new(
                cc,
                AppOptions {
                    paths,
                    screenshot: None,
                    fresh: true,
                    colour: None,
                    predict: false,
                    protein: None,
                },
            )
        })
}

/// Steps the UI until background jobs finish (the app repaints while they run, so `run()` would not settle).
fn wait_idle(h: &mut Harness<'_, NesbindApp>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    h.step();
    while h.state().is_busy() {
        assert!(Instant::now() < deadline, "background jobs did not finish");
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.run_steps(3);
}

#[test]
fn opens_a_bundled_complex_and_shows_its_labels() {
    let mut h = harness(vec![bundled("3NBY_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    let app = h.state();
    assert_eq!(app.docs.len(), 1);
    let doc = app.active_document().expect("the opened complex is active");
    let complex = doc
        .complex()
        .expect("3NBY excerpt has CRM1 and the PKI NES");
    assert_eq!(complex.peptide_chain().id, "B");
    assert!(
        doc.labels.iter().any(|l| l.binding),
        "no binding residue labelled"
    );
    assert!(!app.docs.is_empty() && app.view_size_px[0] > 100);

    // Labelling tab: run with heavy-atom distances and find the table rows.
    h.state_mut().state.tab = PanelTab::Labels;
    h.run_steps(2);
    h.get_by_label("heavy atom").click();
    h.run_steps(1);
    wait_idle(&mut h);
    let first = h
        .state()
        .active_document()
        .unwrap()
        .labels
        .first()
        .cloned()
        .expect("labels");
    let row = format!("{}{}", first.resname, first.resnum);
    h.get_by_label(&row);
    h.get_by_label("Binding");
    // The sequence strip shows the same residue, and clicking it selects it.
    let strip_cell = format!("{}{}", first.code, first.resnum);
    h.get_by_label(&strip_cell).click();
    h.run_steps(2);
    let selected = h
        .state()
        .selected
        .expect("clicking the strip selects a residue");
    assert_eq!(selected.residue, first.residue_index);
}

#[test]
fn switching_colouring_changes_the_view() {
    let mut h = harness(vec![bundled("3NBY_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    let before = h.render().expect("render");
    h.state_mut().set_colour_mode(ColourMode::ResidueType);
    h.run_steps(3);
    let after = h.render().expect("render");
    let changed = before
        .pixels()
        .zip(after.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed > 200,
        "changing the colour mode changed only {changed} pixels"
    );
    h.get_by_label("hydrophobic (AVLIM)");

    // The colour mode combo box is a real widget too: open it and pick a mode.
    h.get_by_label("Colour by").click();
    h.run_steps(2);
    h.get_by_label("Structure label").click();
    h.run_steps(2);
    assert_eq!(h.state().state.display.colour_mode, ColourMode::Label);
}

/// Hovering a residue in the 3D view on a 2× (HiDPI) screen finds that residue: points are converted to
/// physical pixels before picking. Clicking selects it.
/// `clicks` primary clicks at `pos`, one press or release per frame (two make a double-click when
/// frames are shorter than egui's 0.3 s double-click delay).
fn click_at(h: &mut Harness<'_, NesbindApp>, pos: egui::Pos2, clicks: usize) {
    for _ in 0..clicks {
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: Default::default(),
            });
            h.step();
        }
    }
}

#[test]
fn hidpi_hover_and_click_pick_the_residue_under_the_cursor() {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1100.0, 700.0))
        .with_pixels_per_point(2.0)
        // short frames, so that two clicks one frame apart make a double-click (egui: < 0.3 s)
        .with_step_dt(0.05)
        .wgpu_setup(nesbind::app::gpu::wgpu_setup())
        .build_eframe(|cc| {
            NesbindApp::new(
                cc,
                AppOptions {
                    paths: vec![bundled("3NBY_groove_excerpt.pdb")],
                    screenshot: None,
                    fresh: true,
                    colour: None,
                    predict: false,
                    protein: None,
                },
            )
        });
    wait_idle(&mut h);
    h.state_mut().set_colour_mode(ColourMode::Label);
    h.run_steps(2);
    let app = h.state();
    let [w, px_h] = app.view_size_px;
    let rect = app.view_rect;
    assert_eq!(
        w as f32,
        (rect.width() * 2.0).round(),
        "the view renders at physical resolution"
    );
    let complex = app.active_document().unwrap().complex().unwrap();
    let peptide = complex.peptide;
    // The peptide residue nearest the camera is not hidden behind anything.
    let eye = app.camera.eye();
    let (index, ca) = complex
        .peptide_chain()
        .residues
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.ca().map(|a| (i, a.pos)))
        .min_by(|a, b| a.1.distance(eye).total_cmp(&b.1.distance(eye)))
        .unwrap();
    let px = app
        .camera
        .project(ca, glam::Vec2::new(w as f32, px_h as f32))
        .unwrap();
    let pos = rect.min + egui::vec2(px.x / 2.0, px.y / 2.0);
    h.hover_at(pos);
    h.run_steps(2);
    let hovered = h.state().hovered.expect("a residue under the cursor");
    assert_eq!((hovered.chain, hovered.residue), (peptide, index));

    click_at(&mut h, pos, 1);
    h.run_steps(2);
    let app = h.state();
    assert_eq!(
        app.selected.map(|r| r.residue),
        Some(index),
        "clicking selects the residue"
    );
    // Double-click centres the view on the residue (the distance stays).
    let distance = app.camera.distance;
    assert!(app.camera.target.distance(ca) > 0.5, "not centred yet");
    h.run_steps(10); // well apart from the single click above
    click_at(&mut h, pos, 2);
    h.run_steps(2);
    let app = h.state();
    assert!(
        app.camera.target.distance(ca) < 1e-4,
        "double-click centres on the residue: target {:?}, CA {ca:?}",
        app.camera.target
    );
    assert_eq!(app.camera.distance, distance);
    assert_eq!(app.selected.map(|r| r.residue), Some(index));

    // The table's row and the strip follow the selection; "Focus peptide" frames the peptide.
    let before = app.camera.target;
    h.get_by_label("Focus peptide").click();
    h.run_steps(2);
    assert!(h.state().camera.target.distance(before) > 1e-3);
}

#[test]
fn bad_file_is_reported_without_losing_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.pdb");
    std::fs::write(&bad, "this is not a PDB file\n").unwrap();
    let mut h = harness(vec![
        bundled("3NBY_groove_excerpt.pdb"),
        bad.clone(),
        bundled("3NBY_CRM1_Ran_CA.pdb"),
    ]);
    wait_idle(&mut h);
    let app = h.state();
    assert_eq!(app.docs.len(), 3);
    assert!(app.docs[0].complex().is_some());
    assert!(app.docs[1].structure().is_none() && app.docs[1].problem().is_some());
    assert!(
        app.docs[2].structure().is_some(),
        "the CA trace is still shown"
    );
    assert!(app.log.count(nesbind::app::log::Level::Error) >= 1);
}

#[test]
fn export_png_writes_the_rendered_view() {
    let mut h = harness(vec![bundled("3NBY_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("view.png");
    h.state_mut().export_png(&png).expect("export");
    let img = image::open(&png).expect("png").to_rgba8();
    let size = h.state().view_size_px;
    assert_eq!(img.dimensions(), (size[0] * 2, size[1] * 2));
    let bg = nesbind::render::colour::BACKGROUND;
    let drawn = img
        .pixels()
        .filter(|p| p[0] != bg[0] || p[1] != bg[1] || p[2] != bg[2])
        .count();
    assert!(
        drawn > 1000,
        "exported image is (almost) empty: {drawn} pixels drawn"
    );

    let csv = dir.path().join("labels.csv");
    h.state_mut().export_labels_csv(&csv).expect("csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with(nesbind::labels::CSV_HEADER));
    assert!(text.lines().count() > 5);
}

#[test]
fn train_on_open_complexes_then_predict_into_the_table() {
    let mut h = harness(vec![
        bundled("3NBY_groove_excerpt.pdb"),
        bundled("3NBZ_groove_excerpt.pdb"),
        bundled("5DIF_groove_excerpt.pdb"),
    ]);
    wait_idle(&mut h);
    {
        let s = &mut h.state_mut().state.train;
        // The tiny random ESM-2 fixture keeps this fast on the CPU; the pipeline is the real one.
        s.esm_dir = Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/models/esm2_tiny_random"),
        );
        s.epochs = 3;
        s.hidden = 8;
        s.layers = 1;
        // Pick a split size that puts some but not all of the three structures into validation.
        let names = [
            "3NBY_groove_excerpt",
            "3NBZ_groove_excerpt",
            "5DIF_groove_excerpt",
        ];
        s.validation_every = (2..50)
            .find(|&k| {
                let n = names
                    .iter()
                    .filter(|g| nesbind::app::training::in_validation(g, k))
                    .count();
                n > 0 && n < names.len()
            })
            .expect("some split size separates three names");
    }
    // Embedding panel: embed the three open peptides with the chosen model.
    h.state_mut().state.tab = PanelTab::Embedding;
    h.run_steps(2);
    h.get_by_label("Embed").click();
    h.run_steps(1);
    wait_idle(&mut h);
    let summary = h.state().embedding.clone().expect("embedding summary");
    assert_eq!(summary.peptides.len(), 3);
    assert!(
        summary.dim > 0
            && summary
                .peptides
                .iter()
                .all(|(_, n, norm)| *n > 0 && norm.is_finite())
    );

    h.state_mut().state.tab = PanelTab::Training;
    h.run_steps(2);
    h.get_by_label("Train").click();
    h.run_steps(1);
    assert!(h.state().is_busy(), "Train started no job");
    wait_idle(&mut h);
    let app = h.state();
    assert!(
        app.model.is_some(),
        "training produced no model: {:?}",
        app.log.last()
    );
    assert_eq!(app.history.len(), 3, "one loss point per epoch");
    assert!(app.history.iter().all(|r| r.train_loss.is_finite()));
    assert!(
        app.history.iter().any(|r| r.val_loss.is_some()),
        "validation peptide was used"
    );
    h.get_by_label("3 epochs recorded");
    // On finish: ROC / PR curves and the pocket confusion matrix of the final model.
    let eval = &h.state().model.as_ref().unwrap().evaluation;
    assert!(eval.residues > 0 && eval.roc.x.len() >= 2);
    assert_eq!(
        eval.pocket.confusion.iter().flatten().sum::<usize>(),
        eval.residues
    );
    h.get_by_label_contains("Pocket confusion");

    h.state_mut().state.tab = PanelTab::Predict;
    h.run_steps(2);
    h.get_by_label("Predict active peptide").click();
    h.run_steps(1);
    wait_idle(&mut h);
    let doc = h.state().active_document().unwrap();
    let pred = doc
        .prediction
        .as_ref()
        .expect("the active peptide has a prediction");
    let predicted = pred.probabilities.iter().flatten().count();
    assert_eq!(predicted, doc.labels.len());
    assert!(
        pred.probabilities
            .iter()
            .flatten()
            .all(|p| (0.0..=1.0).contains(p))
    );

    // The table shows the predicted column, and the probability colouring uses it.
    h.state_mut().state.tab = PanelTab::Labels;
    h.run_steps(2);
    h.get_by_label("Predicted");
    let before = h.render().expect("render");
    h.state_mut().set_colour_mode(ColourMode::Probability);
    h.run_steps(3);
    let after = h.render().expect("render");
    assert!(
        before
            .pixels()
            .zip(after.pixels())
            .filter(|(a, b)| a != b)
            .count()
            > 100
    );

    // A typed sequence.
    h.state_mut().state.tab = PanelTab::Predict;
    h.state_mut().typed_sequence = "LQKKLEELELD".into();
    h.run_steps(2);
    h.get_by_label("Predict sequence").click();
    h.run_steps(1);
    wait_idle(&mut h);
    let typed = h
        .state()
        .typed_prediction
        .as_ref()
        .expect("typed prediction");
    assert_eq!(typed.probabilities.len(), 11);
}

/// Embedding and training on the window's own wgpu device (shared with burn). Slow on lavapipe (kernel
/// compilation and autotuning), so not in the default run: `cargo test --test app -- --ignored`.
#[cfg(feature = "gpu")]
#[test]
#[ignore]
fn trains_on_the_gpu_shared_with_the_view() {
    let mut h = harness(vec![
        bundled("3NBY_groove_excerpt.pdb"),
        bundled("3NBZ_groove_excerpt.pdb"),
    ]);
    wait_idle(&mut h);
    {
        let s = &mut h.state_mut().state.train;
        s.esm_dir = Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/models/esm2_tiny_random"),
        );
        s.device = nesbind::compute::DeviceChoice::Gpu;
        s.epochs = 2;
        s.hidden = 8;
        s.layers = 1;
        s.validation_every = 0;
    }
    let deadline = Instant::now() + Duration::from_secs(900);
    h.state_mut().start_training();
    while h.state().is_busy() {
        assert!(Instant::now() < deadline, "GPU training did not finish");
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    let app = h.state();
    let model = app
        .model
        .as_ref()
        .unwrap_or_else(|| panic!("no model: {:?}", app.log.last()));
    assert!(
        model.device_name.contains("GPU shared with the view"),
        "{}",
        model.device_name
    );
    assert_eq!(model.history.len(), 2);
}

/// Without training, Predict uses the bundled BiLSTM with the bundled ESM-2 model.
#[test]
fn bundled_model_predicts_the_pki_nes() {
    let mut h = harness(vec![bundled("3NBY_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    h.state_mut().state.tab = PanelTab::Predict;
    h.run_steps(2);
    h.get_by_label("Predict active peptide").click();
    h.run_steps(1);
    wait_idle(&mut h);
    let app = h.state();
    let doc = app.active_document().unwrap();
    let pred = doc
        .prediction
        .as_ref()
        .unwrap_or_else(|| panic!("no prediction: {:?}", app.log.last()));
    assert!(pred.model.contains("bundled"));
    // The PKI NES's Φ1–Φ4 leucines/isoleucine (labelled in pockets) should score above the rest on average.
    let (mut in_pocket, mut other) = (Vec::new(), Vec::new());
    for l in &doc.labels {
        let p = pred.probabilities[l.residue_index].expect("every labelled residue predicted");
        if l.pocket.is_some() {
            in_pocket.push(p)
        } else {
            other.push(p)
        }
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    eprintln!("pocket residues {in_pocket:?}, others {other:?}");
    assert!(mean(&in_pocket) > mean(&other));
}

/// Chain roles are editable: the CA trace has no NES chain, so naming one makes it a complex.
#[test]
fn editing_chain_roles_rebuilds_the_complex() {
    let mut h = harness(vec![bundled("3NBY_CRM1_Ran_CA.pdb")]);
    wait_idle(&mut h);
    assert!(
        h.state().docs[0].complex().is_none(),
        "no peptide chain is detected in the CA trace"
    );
    h.state_mut()
        .set_chain_roles(0, Some("A".into()), Some("C".into()));
    wait_idle(&mut h);
    let doc = &h.state().docs[0];
    let complex = doc
        .complex()
        .unwrap_or_else(|| panic!("roles A/C rejected: {:?}", doc.problem()));
    assert_eq!(complex.receptor_chain().id, "A");
    assert_eq!(complex.peptide_chain().id, "C");
    assert_eq!(doc.file.peptide.as_deref(), Some("C"));
}

#[test]
fn opening_a_folder_fills_the_browser_and_next_previous_step_through_it() {
    let folder = nesbind::assets_dir().join("structures");
    let mut h = harness(vec![folder]);
    wait_idle(&mut h);
    let app = h.state();
    assert_eq!(app.docs.len(), 7, "every structure of the folder");
    // Sorted by file name; the first complex is active (the CA trace is not a complex).
    let first = app.active_document().expect("an active file").name();
    assert_eq!(first, "3GJX_groove_excerpt");
    let rows = nesbind::app::browser::browser_rows(&app.docs, &app.state.browser);
    assert_eq!(rows.len(), 7);
    h.get_by_label("3NC0_groove_excerpt");
    h.get_by_label("Labelled Φ0–Φ4");

    h.key_press(egui::Key::N);
    h.run_steps(2);
    assert_eq!(
        h.state().active_document().unwrap().name(),
        "3NBY_groove_excerpt",
        "N skips the CA trace, which is not a complex"
    );
    h.get_by_label("Next >").click();
    h.run_steps(2);
    assert_eq!(
        h.state().active_document().unwrap().name(),
        "3NBZ_groove_excerpt"
    );
    h.key_press(egui::Key::P);
    h.run_steps(2);
    assert_eq!(
        h.state().active_document().unwrap().name(),
        "3NBY_groove_excerpt"
    );

    // Column titles sort: pLDDT highest first, a second click lowest first.
    h.get_by_label("pLDDT").click();
    h.run_steps(2);
    h.get_by_label("pLDDT v").click();
    h.run_steps(2);
    h.get_by_label("pLDDT ^");
    let app = h.state();
    let mut settings = app.state.browser.clone();
    settings.sort = nesbind::app::browser::SortColumn::Name;
    settings.descending = true;
    let rows = nesbind::app::browser::browser_rows(&app.docs, &settings);
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");
    // By CRM1 length, longest first; the CA trace (no complex) sorts last either way.
    settings.sort = nesbind::app::browser::SortColumn::Receptor;
    settings.descending = true;
    let rows = nesbind::app::browser::browser_rows(&app.docs, &settings);
    let lengths: Vec<usize> = rows
        .iter()
        .filter_map(|r| r.receptor.map(|x| x.0))
        .collect();
    assert!(lengths.windows(2).all(|w| w[0] >= w[1]), "{lengths:?}");
    assert!(rows.last().unwrap().receptor.is_none());
    h.state_mut().state.browser.sort = nesbind::app::browser::SortColumn::Opened;
    h.state_mut().state.browser.descending = false;

    // A filter narrows the rows, and next/previous follow the filtered order.
    h.state_mut().state.browser.filter = "5D".into();
    h.run_steps(2);
    let app = h.state();
    let rows = nesbind::app::browser::browser_rows(&app.docs, &app.state.browser);
    assert_eq!(rows.len(), 2);
    h.state_mut().step_active(1);
    h.run_steps(1);
    assert_eq!(
        h.state().active_document().unwrap().name(),
        "5DHF_groove_excerpt"
    );
}

#[test]
fn an_opened_file_becomes_the_active_one() {
    let mut h = harness(vec![bundled("3NBY_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    assert_eq!(
        h.state().active_document().unwrap().name(),
        "3NBY_groove_excerpt"
    );
    h.state_mut()
        .open_paths(&[bundled("5DHF_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    let app = h.state();
    assert_eq!(app.docs.len(), 2);
    assert_eq!(app.state.active, Some(1));
    assert_eq!(app.active_document().unwrap().name(), "5DHF_groove_excerpt");
}

/// Every control of every panel has a name a screen reader can read, with several files loaded: the Files panel's
/// "draw as context" boxes have no text beside them (the column says "ctx"). kittest checks names
/// after each `run`; before, this failed only when loading happened to finish within the first frame.
#[test]
fn controls_have_accessible_names_with_files_loaded() {
    let mut h = harness(vec![
        bundled("3NBY_groove_excerpt.pdb"),
        bundled("3NBZ_groove_excerpt.pdb"),
        bundled("5DIF_groove_excerpt.pdb"),
    ]);
    wait_idle(&mut h);
    for tab in PanelTab::ALL {
        h.state_mut().state.tab = tab;
        h.run();
    }
    h.state_mut().state.tab = PanelTab::Files;
    h.run();
    let name = "draw 3NBZ_groove_excerpt as context";
    assert!(
        h.query_by_label(name).is_some(),
        "no control named {name:?}"
    );
}

#[test]
fn colour_by_plddt_colours_receptor_and_peptide_with_the_alphafold_palette() {
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/af_style_3NBY.cif");
    let mut h = harness(vec![model]);
    wait_idle(&mut h);
    h.state_mut().set_colour_mode(ColourMode::Plddt);
    h.run_steps(3);
    let app = h.state();
    let doc = app.active_document().expect("the model is open");
    let complex = doc.complex().expect("a complex");
    assert!(complex.structure.is_predicted);
    let peptide_plddt = doc.plddt(complex.peptide, 0).expect("pLDDT of the peptide");
    let receptor_plddt = doc.plddt(complex.receptor, 0).expect("pLDDT of CRM1");
    let scene = app.scene();
    for value in [peptide_plddt, receptor_plddt] {
        let c = nesbind::render::colour::plddt_colour(value);
        assert!(
            scene.spheres.iter().any(|s| s.colour == c),
            "pLDDT {value} colour {c:?} is drawn"
        );
    }
    h.get_by_label("very high (> 90)");
    h.get_by_label("very low (< 50)");
}

#[test]
fn context_trace_is_superposed_on_the_active_crm1() {
    // The bundled session: the 3NBY groove excerpt active, the full 3NBY CRM1–Ran CA trace as context.
    let mut h = harness(Vec::new());
    wait_idle(&mut h);
    let app = h.state();
    let context = app
        .docs
        .iter()
        .position(|d| d.file.show_as_context)
        .expect("the CA trace is context");
    let frame = app.frames[context].expect("superposed");
    assert!(frame.groove_only && frame.pairs >= 20);
    assert!(frame.rmsd < 1.0, "CA RMSD {}", frame.rmsd);

    // A crystal groove over another complex: 5DHF's CRM1 on 3NBY's, within 1 Å over the groove.
    let i = app
        .docs
        .iter()
        .position(|d| d.name() == "5DHF_groove_excerpt")
        .unwrap();
    h.state_mut().set_show_as_context(i, true);
    h.run_steps(2);
    let frame = h.state().frames[i].expect("5DHF superposed");
    assert!(frame.rmsd < 1.0, "5DHF on 3NBY: CA RMSD {}", frame.rmsd);
    h.get_by_label_contains("5DHF_groove_excerpt on this CRM1");
}

#[test]
fn panels_send_commands_that_apply_at_the_next_frame() {
    use nesbind::app::commands::Command;
    let mut h = harness(vec![nesbind::assets_dir().join("structures")]);
    wait_idle(&mut h);
    let before = h.state().state.active;
    let target = h
        .state()
        .docs
        .iter()
        .position(|d| d.name() == "5DIF_groove_excerpt")
        .unwrap();
    h.state_mut().send(Command::Activate(target));
    h.state_mut().send(Command::Colour(ColourMode::ResidueType));
    assert_eq!(h.state().state.active, before, "queued, not applied yet");
    h.step();
    assert_eq!(h.state().state.active, Some(target));
    assert_eq!(h.state().state.display.colour_mode, ColourMode::ResidueType);
    // The colour combo box sends the same command.
    h.get_by_label("Colour by").click();
    h.run_steps(2);
    h.get_by_label("pLDDT (AlphaFold)").click();
    h.run_steps(2);
    assert_eq!(h.state().state.display.colour_mode, ColourMode::Plddt);
    h.get_by_label("not a predicted model: its B-factors are not pLDDT");
}

#[test]
fn protein_panel_scans_a_sequence_and_shows_the_track_and_candidates() {
    let mut h = harness(vec![bundled("3NBY_groove_excerpt.pdb")]);
    wait_idle(&mut h);
    h.state_mut().state.tab = PanelTab::Protein;
    h.state_mut().protein_text =
        ">PKIA human PKI-alpha\nMTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGEAAKSES\n"
            .into();
    h.run_steps(2);
    h.get_by_label("Scan").click();
    h.run_steps(2);
    wait_idle(&mut h);
    let app = h.state();
    let scan = app.protein_scans.first().expect("the protein was scanned");
    assert_eq!(scan.probabilities.len(), 76);
    assert!(scan.probabilities.iter().all(|p| (0.0..=1.0).contains(p)));
    h.get_by_label_contains("76 residues");
    // Every shown candidate has a row; the first can be selected to show its register and mutants.
    if let Some(first) = scan.candidates.first() {
        let peptide = scan.peptide(first);
        h.get_by_label(&peptide).click();
        h.run_steps(2);
        h.get_by_label_contains("Model register (");
        h.get_by_label_contains("Consensus register (");
        h.get_by_label_contains("Mutate ");
    }
}
