//! Turns opened complexes into a render [`Scene`]: receptor and peptide CA tubes, dimmed other chains,
//! all-atom sticks for the peptide and the groove, pocket-lining residues and pocket centres in the pocket
//! colours, and the peptide coloured by the chosen mode.

use glam::Vec3;

use crate::render::ResidueRef;
use crate::render::colour::{self, Rgba};
use crate::render::scene::{
    MAX_CA_STEP, Scene, SceneBuilder, StickAtom, TracePoint, bonds_by_distance, element_colour,
};
use crate::structure::{
    Chain, ChainRole, Complex, Pocket, SecondaryStructure, Superposition, segments,
    superpose_receptors,
};

use super::document::Document;
use super::state::{ChainStyle, ColourMode, DisplaySettings};

const RECEPTOR_TUBE: f32 = 0.38;
const PEPTIDE_TUBE: f32 = 0.62;
const OTHER_TUBE: f32 = 0.3;
const CONTEXT_TUBE: f32 = 0.24;
const CONTEXT_PEPTIDE_TUBE: f32 = 0.42;
/// Helix cylinders: about the radius of the CA helix (2.3 Å), so side chains stick out of them.
const HELIX_RADIUS: f32 = 1.9;
/// Rise per residue of an α-helix (Å).
const HELIX_RISE: f32 = 1.5;
/// Consecutive axis points farther apart than this are not joined (a broken helix).
const HELIX_AXIS_STEP: f32 = 4.0;
const LOOP_TUBE: f32 = 0.45;
const STRAND_TUBE: f32 = 0.8;
/// Radius of a strand's arrowhead at its base.
const ARROW_BASE: f32 = 1.5;
const LINING_SPHERE: f32 = 1.0;
const STICK_ATOM: f32 = 0.24;
const STICK_BOND: f32 = 0.15;
const POCKET_MARKER: f32 = 1.7;
const POCKET_MARKER_ALPHA: u8 = 110;
/// Carbon of receptor groove residues that line no pocket.
const GROOVE_CARBON: Rgba = [196, 198, 204, 255];

/// Pockets a receptor residue lines (a residue can line two neighbouring pockets).
pub fn pockets_lined_by(complex: &Complex, receptor_residue: usize) -> Vec<Pocket> {
    complex
        .pockets
        .iter()
        .filter(|s| s.residue_indices.contains(&receptor_residue))
        .map(|s| s.pocket)
        .collect()
}

/// Colour of a peptide residue in the chosen mode (also used by the sequence strip and the table).
pub fn peptide_colour(doc: &Document, residue_index: usize, code: char, mode: ColourMode) -> Rgba {
    match mode {
        ColourMode::Label => match doc.label_of(residue_index) {
            Some(l) => match l.pocket {
                Some(p) => colour::pocket_colour(p.index()),
                None if l.binding => colour::PEPTIDE,
                None => colour::PEPTIDE_NON_BINDING,
            },
            None => colour::PEPTIDE,
        },
        ColourMode::Probability => doc
            .prediction
            .as_ref()
            .and_then(|p| p.probabilities.get(residue_index).copied().flatten())
            .map(colour::viridis)
            .unwrap_or(colour::UNKNOWN),
        ColourMode::PredictedPocket => match &doc.prediction {
            Some(p) => match p.pockets.get(residue_index).copied().flatten() {
                Some(pocket) => colour::pocket_colour(pocket.index()),
                None => colour::PEPTIDE_NON_BINDING,
            },
            None => colour::UNKNOWN,
        },
        ColourMode::ResidueType => colour::residue_type_colour(code),
        ColourMode::Plddt => doc
            .complex()
            .and_then(|c| doc.plddt(c.peptide, residue_index))
            .map(colour::plddt_colour)
            .unwrap_or(colour::UNKNOWN),
    }
}

/// Where a document's coordinates go in the view: its superposition onto the active complex, if any.
type Place<'a> = &'a dyn Fn(Vec3) -> Vec3;

fn trace_points(
    chain: &Chain,
    object: usize,
    chain_index: usize,
    place: Place<'_>,
    colour_of: impl Fn(usize) -> Rgba,
) -> Vec<TracePoint> {
    chain
        .residues
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.ca().map(|ca| TracePoint {
                pos: place(ca.pos),
                colour: colour_of(i),
                residue: Some(ResidueRef::new(object, chain_index, i)),
            })
        })
        .collect()
}

/// For every document, the superposition of its CRM1 onto the active complex's CRM1 (through human
/// XPO1 numbering), when it is drawn as context and both have a numbered CRM1; `None` otherwise (drawn
/// in its own coordinates).
pub fn context_frames(docs: &[Document], active: Option<usize>) -> Vec<Option<Superposition>> {
    let target = active
        .and_then(|a| docs.get(a))
        .and_then(Document::receptor_frame);
    docs.iter()
        .enumerate()
        .map(|(i, doc)| {
            if Some(i) == active || !doc.file.show_as_context {
                return None;
            }
            superpose_receptors(doc.receptor_frame()?, target?)
        })
        .collect()
}

/// Builds the scene for `docs`: `active` in full detail, the others flagged as context as thin traces,
/// each moved by its entry of `frames` (see [`context_frames`]).
pub fn build_scene(
    docs: &[Document],
    active: Option<usize>,
    display: &DisplaySettings,
    frames: &[Option<Superposition>],
) -> Scene {
    let mut b = SceneBuilder::new();
    for (object, doc) in docs.iter().enumerate() {
        let frame = frames.get(object).copied().flatten();
        let place = move |p: Vec3| frame.map_or(p, |f| f.apply(p));
        if Some(object) == active {
            match doc.complex() {
                Some(complex) => add_complex(&mut b, object, doc, complex, display),
                None => add_context(&mut b, object, doc, &place),
            }
        } else if doc.file.show_as_context {
            add_context(&mut b, object, doc, &place);
        }
    }
    b.build()
}

/// A thin grey trace of every chain; the receptor (or the longest chain) a little lighter, the peptide
/// of a context complex in a muted peptide colour so its path can be compared with the active one's.
fn add_context(b: &mut SceneBuilder, object: usize, doc: &Document, place: Place<'_>) {
    let Some(structure) = doc.structure() else {
        return;
    };
    let receptor = match doc.complex() {
        Some(c) => Some(c.receptor),
        None => structure
            .chains
            .iter()
            .enumerate()
            .max_by_key(|(_, c)| c.residues.len())
            .map(|(i, _)| i),
    };
    let peptide = doc.complex().map(|c| c.peptide);
    for (ci, chain) in structure.chains.iter().enumerate() {
        let (colour, radius) = if Some(ci) == peptide {
            (
                mix(colour::PEPTIDE, colour::BACKGROUND, 0.25),
                CONTEXT_PEPTIDE_TUBE,
            )
        } else if Some(ci) == receptor {
            (
                mix(colour::RECEPTOR, colour::BACKGROUND, 0.45),
                CONTEXT_TUBE,
            )
        } else {
            (
                mix(colour::OTHER_CHAIN, colour::BACKGROUND, 0.45),
                CONTEXT_TUBE,
            )
        };
        b.trace(
            &trace_points(chain, object, ci, place, |_| colour),
            radius,
            MAX_CA_STEP,
        );
    }
}

fn mix(a: Rgba, b: Rgba, t: f32) -> Rgba {
    let m = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2]), a[3]]
}

/// Colour of a receptor residue: pLDDT in that mode, else the colour of the pocket it lines (grey if
/// none).
fn receptor_colour(doc: &Document, complex: &Complex, residue: usize, mode: ColourMode) -> Rgba {
    if mode == ColourMode::Plddt {
        return doc
            .plddt(complex.receptor, residue)
            .map(colour::plddt_colour)
            .unwrap_or(colour::RECEPTOR);
    }
    pockets_lined_by(complex, residue)
        .first()
        .map(|p| colour::pocket_colour(p.index()))
        .unwrap_or(colour::RECEPTOR)
}

fn add_complex(
    b: &mut SceneBuilder,
    object: usize,
    doc: &Document,
    complex: &Complex,
    display: &DisplaySettings,
) {
    let chains = &complex.structure.chains;
    let mode = display.colour_mode;
    for (ci, chain) in chains.iter().enumerate() {
        let role = complex.role_of(ci);
        let style = doc
            .file
            .chain_styles
            .get(&chain.id)
            .copied()
            .unwrap_or(match role {
                ChainRole::Receptor => display.receptor_style,
                _ => ChainStyle::Trace,
            });
        match role {
            ChainRole::Receptor => {
                let colour_of = |i: usize| receptor_colour(doc, complex, i, mode);
                draw_chain(b, doc, chain, object, ci, style, RECEPTOR_TUBE, &colour_of);
                if !display.groove_sticks {
                    for (i, r) in chain.residues.iter().enumerate() {
                        let lines = !pockets_lined_by(complex, i).is_empty();
                        if let (true, Some(ca)) = (lines, r.ca()) {
                            b.sphere(
                                ca.pos,
                                LINING_SPHERE,
                                colour_of(i),
                                Some(ResidueRef::new(object, ci, i)),
                            );
                        }
                    }
                }
            }
            ChainRole::Peptide => {
                let colour_of = |i: usize| peptide_colour(doc, i, chain.residues[i].code, mode);
                draw_chain(b, doc, chain, object, ci, style, PEPTIDE_TUBE, &colour_of);
            }
            ChainRole::Other => {
                if display.other_chains {
                    draw_chain(b, doc, chain, object, ci, style, OTHER_TUBE, &|_| {
                        colour::OTHER_CHAIN
                    });
                }
            }
        }
    }
    if display.groove_sticks {
        add_groove_sticks(b, object, doc, complex, display);
    }
    if display.pocket_markers {
        for site in &complex.pockets {
            if let Some(centre) = site.centre {
                let c = colour::with_alpha(
                    colour::pocket_colour(site.pocket.index()),
                    POCKET_MARKER_ALPHA,
                );
                b.marker(centre, POCKET_MARKER, c);
            }
        }
    }
}

/// One chain in its style; `tube` is its trace radius.
#[allow(clippy::too_many_arguments)]
fn draw_chain(
    b: &mut SceneBuilder,
    doc: &Document,
    chain: &Chain,
    object: usize,
    ci: usize,
    style: ChainStyle,
    tube: f32,
    colour_of: &dyn Fn(usize) -> Rgba,
) {
    let same = |p: Vec3| p;
    match (style, doc.secondary.get(ci)) {
        (ChainStyle::Cartoon, Some(ss)) if ss.len() == chain.residues.len() => {
            add_cartoon(b, chain, ss, object, ci, colour_of);
        }
        (ChainStyle::Sticks, _) => {
            b.trace(
                &trace_points(chain, object, ci, &same, colour_of),
                CONTEXT_TUBE,
                MAX_CA_STEP,
            );
            let mut atoms = Vec::new();
            let mut elements = Vec::new();
            for (i, r) in chain.residues.iter().enumerate() {
                for a in r.heavy_atoms() {
                    atoms.push(StickAtom {
                        pos: a.pos,
                        colour: element_colour(&a.element, colour_of(i)),
                        residue: Some(ResidueRef::new(object, ci, i)),
                    });
                    elements.push(a.element.as_str());
                }
            }
            let positions: Vec<Vec3> = atoms.iter().map(|a| a.pos).collect();
            let bonds = bonds_by_distance(&positions, &elements);
            b.sticks(&atoms, &bonds, STICK_ATOM, STICK_BOND);
        }
        _ => b.trace(
            &trace_points(chain, object, ci, &same, colour_of),
            tube,
            MAX_CA_STEP,
        ),
    }
}

/// Cartoon of one chain: each helix a cylinder along its axis (the centroids of four consecutive CAs
/// lie on it), strands and loops tubes through the CAs that reach the helix ends. Every piece is
/// coloured and picked per residue.
fn add_cartoon(
    b: &mut SceneBuilder,
    chain: &Chain,
    ss: &[SecondaryStructure],
    object: usize,
    ci: usize,
    colour_of: &dyn Fn(usize) -> Rgba,
) {
    let ca: Vec<Option<Vec3>> = chain
        .residues
        .iter()
        .map(|r| r.ca().map(|a| a.pos))
        .collect();
    let point = |i: usize, pos: Vec3| TracePoint {
        pos,
        colour: colour_of(i),
        residue: Some(ResidueRef::new(object, ci, i)),
    };
    let mut tube: Vec<TracePoint> = Vec::new();
    let flush = |b: &mut SceneBuilder, tube: &mut Vec<TracePoint>, radius: f32| {
        if !tube.is_empty() {
            b.trace(tube, radius, MAX_CA_STEP);
            tube.clear();
        }
    };
    for (kind, start, end) in segments(ss) {
        let helix_axis = (kind == SecondaryStructure::Helix)
            .then(|| helix_axis(&ca[start..end]))
            .flatten();
        match helix_axis {
            Some(axis) => {
                // The loop before reaches this helix's first CA, on the cylinder's surface.
                if let Some(p) = ca[start] {
                    tube.push(point(start, p));
                }
                flush(b, &mut tube, LOOP_TUBE);
                let pts: Vec<TracePoint> = axis
                    .iter()
                    .enumerate()
                    .map(|(k, p)| point(start + k, *p))
                    .collect();
                b.rod(&pts, HELIX_RADIUS, HELIX_AXIS_STEP);
                if let Some(p) = ca[end - 1] {
                    tube.push(point(end - 1, p));
                }
            }
            None => {
                let pts: Vec<(usize, Vec3)> =
                    (start..end).filter_map(|i| ca[i].map(|p| (i, p))).collect();
                if kind == SecondaryStructure::Strand && pts.len() >= 2 {
                    // A thick tube up to the last CA but one, then an arrowhead to the last CA.
                    if let Some(&(i, p)) = pts.first() {
                        tube.push(point(i, p));
                    }
                    flush(b, &mut tube, LOOP_TUBE);
                    let (i0, p0) = pts[pts.len() - 2];
                    let (i1, p1) = pts[pts.len() - 1];
                    tube.extend(pts[..pts.len() - 1].iter().map(|&(i, p)| point(i, p)));
                    flush(b, &mut tube, STRAND_TUBE);
                    arrow_head(b, point(i0, p0), point(i1, p1));
                    tube.push(point(i1, p1));
                } else {
                    tube.extend(pts.iter().map(|&(i, p)| point(i, p)));
                }
            }
        }
    }
    flush(b, &mut tube, LOOP_TUBE);
}

/// A cone from `base` to `tip` drawn as stacked cylinders of shrinking radius (the renderer has
/// spheres and cylinders only), coloured and picked as the strand's last residue.
fn arrow_head(b: &mut SceneBuilder, base: TracePoint, tip: TracePoint) {
    const STEPS: usize = 5;
    let d = tip.pos - base.pos;
    for k in 0..STEPS {
        let a = base.pos + d * (k as f32 / STEPS as f32);
        let z = base.pos + d * ((k + 1) as f32 / STEPS as f32);
        let radius = ARROW_BASE * (1.0 - k as f32 / STEPS as f32);
        b.bond(
            (a, tip.colour, tip.residue),
            (z, tip.colour, tip.residue),
            radius,
        );
    }
}

/// One axis point per residue of a helix: the centroid of the four CAs around it (one turn), the
/// ends extrapolated along the axis. `None` for a helix with a missing CA or shorter than four.
fn helix_axis(cas: &[Option<Vec3>]) -> Option<Vec<Vec3>> {
    let cas: Vec<Vec3> = cas.iter().copied().collect::<Option<Vec<Vec3>>>()?;
    let n = cas.len();
    if n < 4 {
        return None;
    }
    // centroid of CAs k..k+4 sits on the axis level with residue k + 1.5.
    let centres: Vec<Vec3> = cas
        .windows(4)
        .map(|w| (w[0] + w[1] + w[2] + w[3]) / 4.0)
        .collect();
    let at = |t: f32| -> Vec3 {
        // Residue position t in centroid index space, extrapolated linearly past the ends.
        let u = t - 1.5;
        let last = centres.len() - 1;
        if last == 0 {
            return centres[0];
        }
        let k = (u.floor().max(0.0) as usize).min(last - 1);
        let f = u - k as f32;
        centres[k] + (centres[k + 1] - centres[k]) * f
    };
    let axis: Vec<Vec3> = if centres.len() == 1 {
        // A single turn: its axis direction is the CA(first)→CA(last) direction projected out.
        let dir = (cas[n - 1] - cas[0]).normalize_or_zero();
        (0..n)
            .map(|i| centres[0] + dir * HELIX_RISE * (i as f32 - 1.5))
            .collect()
    } else {
        (0..n).map(|i| at(i as f32)).collect()
    };
    Some(axis)
}

/// Sticks for every peptide residue and for receptor residues with a heavy atom within the groove radius of
/// the peptide (pocket-lining residues always).
fn add_groove_sticks(
    b: &mut SceneBuilder,
    object: usize,
    doc: &Document,
    complex: &Complex,
    display: &DisplaySettings,
) {
    let peptide = complex.peptide_chain();
    let peptide_atoms: Vec<Vec3> = peptide
        .residues
        .iter()
        .flat_map(|r| r.heavy_atoms().map(|a| a.pos))
        .collect();
    let grid = crate::structure::PointGrid::from_points(
        display.groove_radius.max(1.0),
        peptide_atoms.iter().map(|p| (*p, ())),
    );
    let near_peptide = |pos: Vec3| {
        let mut near = false;
        grid.for_each_within(pos, display.groove_radius, |_, _, _| near = true);
        near
    };
    let mut atoms: Vec<StickAtom> = Vec::new();
    let mut elements: Vec<&str> = Vec::new();
    let receptor = complex.receptor_chain();
    for (i, r) in receptor.residues.iter().enumerate() {
        let lining = pockets_lined_by(complex, i)
            .first()
            .map(|p| colour::pocket_colour(p.index()));
        if lining.is_none() && !r.heavy_atoms().any(|a| near_peptide(a.pos)) {
            continue;
        }
        let carbon = match display.colour_mode {
            ColourMode::Plddt => receptor_colour(doc, complex, i, ColourMode::Plddt),
            _ => lining.unwrap_or(GROOVE_CARBON),
        };
        for a in r.heavy_atoms() {
            atoms.push(StickAtom {
                pos: a.pos,
                colour: element_colour(&a.element, carbon),
                residue: Some(ResidueRef::new(object, complex.receptor, i)),
            });
            elements.push(&a.element);
        }
    }
    for (i, r) in peptide.residues.iter().enumerate() {
        let carbon = peptide_colour(doc, i, r.code, display.colour_mode);
        for a in r.heavy_atoms() {
            atoms.push(StickAtom {
                pos: a.pos,
                colour: element_colour(&a.element, carbon),
                residue: Some(ResidueRef::new(object, complex.peptide, i)),
            });
            elements.push(&a.element);
        }
    }
    let positions: Vec<Vec3> = atoms.iter().map(|a| a.pos).collect();
    let bonds = bonds_by_distance(&positions, &elements);
    b.sticks(&atoms, &bonds, STICK_ATOM, STICK_BOND);
}

/// Bounding sphere of the active complex's peptide ("Focus peptide").
pub fn peptide_focus(
    scene: &Scene,
    docs: &[Document],
    active: usize,
) -> Option<crate::render::scene::Bounds> {
    let peptide = docs.get(active)?.complex()?.peptide;
    scene.bounds_of(|r| r.object == active && r.chain == peptide)
}

/// Bounding sphere of the active object (the first view of a complex frames its groove, not the context).
pub fn object_focus(scene: &Scene, active: usize) -> Option<crate::render::scene::Bounds> {
    scene.bounds_of(|r| r.object == active)
}

/// View position of a residue (its CA, else its first atom), moved by its document's frame.
pub fn residue_position(
    docs: &[Document],
    frames: &[Option<Superposition>],
    r: ResidueRef,
) -> Option<Vec3> {
    let residue = docs
        .get(r.object)?
        .structure()?
        .chains
        .get(r.chain)?
        .residues
        .get(r.residue)?;
    let pos = residue.ca().or_else(|| residue.atoms.first())?.pos;
    Some(match frames.get(r.object).copied().flatten() {
        Some(f) => f.apply(pos),
        None => pos,
    })
}

/// An orientation that looks into the NES-binding groove: the eye on the peptide's side of the pocket
/// residues, the peptide running left to right from N to C terminus (as in the sequence strip).
pub fn groove_view_rotation(complex: &Complex) -> Option<glam::Quat> {
    let peptide_cas: Vec<Vec3> = complex
        .peptide_chain()
        .residues
        .iter()
        .filter_map(|r| r.ca())
        .map(|a| a.pos)
        .collect();
    let receptor = complex.receptor_chain();
    let lining: Vec<Vec3> = complex
        .pockets
        .iter()
        .flat_map(|s| s.residue_indices.iter())
        .filter_map(|&i| receptor.residues.get(i).and_then(|r| r.ca()).map(|a| a.pos))
        .collect();
    if peptide_cas.len() < 2 || lining.is_empty() {
        return None;
    }
    let centroid = |v: &[Vec3]| v.iter().copied().sum::<Vec3>() / v.len() as f32;
    let towards_eye = (centroid(&peptide_cas) - centroid(&lining)).try_normalize()?;
    let n_to_c = *peptide_cas.last()? - peptide_cas[0];
    let right = (n_to_c - towards_eye * n_to_c.dot(towards_eye)).try_normalize()?;
    let up = towards_eye.cross(right);
    Some(glam::Quat::from_mat3(&glam::Mat3::from_cols(right, up, towards_eye)).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::document::open_document;
    use crate::app::state::{ChainStyle, OpenedFile};
    use crate::labels::LabelSettings;
    use crate::structure::PocketDefinition;

    fn doc(name: &str, context: bool) -> Document {
        let path = crate::assets_dir().join("structures").join(name);
        let file = OpenedFile {
            path,
            show_as_context: context,
            ..OpenedFile::default()
        };
        open_document(
            file,
            &PocketDefinition::bundled(),
            &LabelSettings::default(),
        )
    }

    #[test]
    fn groove_scene_has_pockets_peptide_and_context() {
        let docs = vec![
            doc("3NBY_groove_excerpt.pdb", false),
            doc("3NBY_CRM1_Ran_CA.pdb", true),
        ];
        let complex = docs[0].complex().expect("3NBY excerpt is a complex");
        let display = DisplaySettings::default();
        let scene = build_scene(&docs, Some(0), &display, &context_frames(&docs, Some(0)));
        // One translucent marker per located pocket.
        let located = complex
            .pockets
            .iter()
            .filter(|s| s.centre.is_some())
            .count();
        assert_eq!(scene.markers.len(), located);
        assert!(located >= 4);
        // Every pocket colour is on some receptor sphere.
        for site in complex
            .pockets
            .iter()
            .filter(|s| !s.residue_indices.is_empty())
        {
            let c = colour::pocket_colour(site.pocket.index());
            assert!(
                scene.spheres.iter().any(|s| s.colour == c),
                "{:?} not drawn",
                site.pocket
            );
        }
        // The peptide is pickable and its focus is small; the context trace makes the whole scene large.
        let focus = peptide_focus(&scene, &docs, 0).expect("peptide bounds");
        let all = scene.bounds().expect("bounds");
        assert!(
            focus.radius < 25.0 && all.radius > 50.0,
            "focus {focus:?} all {all:?}"
        );
        assert!(
            scene.pick_targets.iter().any(|r| r.object == 1),
            "context trace is drawn"
        );

        let mut plain = display.clone();
        plain.groove_sticks = false;
        plain.pocket_markers = false;
        let lean = build_scene(&docs, Some(0), &plain, &[]);
        assert!(lean.markers.is_empty());
        assert!(lean.spheres.len() < scene.spheres.len());
    }

    #[test]
    fn each_chain_can_have_its_own_style() {
        let mut d = doc("3NBY_groove_excerpt.pdb", false);
        let display = DisplaySettings {
            groove_sticks: false,
            pocket_markers: false,
            ..DisplaySettings::default()
        };
        let radii = |scene: &Scene| -> Vec<f32> {
            let mut r: Vec<f32> = scene.cylinders.iter().map(|c| c.radius).collect();
            r.sort_by(f32::total_cmp);
            r.dedup();
            r
        };
        let cartoon = build_scene(std::slice::from_ref(&d), Some(0), &display, &[]);
        assert!(
            radii(&cartoon).contains(&HELIX_RADIUS),
            "CRM1 helices as cylinders"
        );
        let receptor = d.complex().unwrap().receptor_chain().id.clone();
        d.file
            .chain_styles
            .insert(receptor.clone(), ChainStyle::Trace);
        let trace = build_scene(std::slice::from_ref(&d), Some(0), &display, &[]);
        assert!(!radii(&trace).contains(&HELIX_RADIUS));
        assert!(radii(&trace).contains(&RECEPTOR_TUBE));
        d.file.chain_styles.insert(receptor, ChainStyle::Sticks);
        let sticks = build_scene(std::slice::from_ref(&d), Some(0), &display, &[]);
        let atoms = d
            .complex()
            .unwrap()
            .receptor_chain()
            .residues
            .iter()
            .map(|r| r.heavy_atoms().count())
            .sum::<usize>();
        assert!(sticks.spheres.len() >= atoms, "every CRM1 heavy atom drawn");
        // The peptide in cartoon style: its tube gives way to the cartoon's loop tube.
        let peptide = d.complex().unwrap().peptide_chain().id.clone();
        d.file.chain_styles.insert(peptide, ChainStyle::Cartoon);
        let pep = build_scene(std::slice::from_ref(&d), Some(0), &display, &[]);
        assert!(!radii(&pep).contains(&PEPTIDE_TUBE));
    }

    #[test]
    fn colour_modes_colour_the_peptide() {
        let d = doc("3NBY_groove_excerpt.pdb", false);
        let complex = d.complex().unwrap();
        let pep = complex.peptide_chain();
        let in_pocket = d
            .labels
            .iter()
            .find(|l| l.pocket.is_some())
            .expect("a residue in a pocket");
        let c = peptide_colour(
            &d,
            in_pocket.residue_index,
            in_pocket.code,
            ColourMode::Label,
        );
        assert_eq!(c, colour::pocket_colour(in_pocket.pocket.unwrap().index()));
        assert_eq!(
            peptide_colour(&d, 0, pep.residues[0].code, ColourMode::Probability),
            colour::UNKNOWN
        );
        assert_eq!(
            peptide_colour(&d, 0, 'L', ColourMode::ResidueType),
            colour::ResidueClass::Hydrophobic.colour()
        );
    }
}
