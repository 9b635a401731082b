//! Colours of the 3D view, the sequence strip and the legends.
//!
//! All colours are 8-bit sRGB with straight alpha (`[r, g, b, a]`), the form egui and PNG files use.
//! The shaders decode them to linear light for shading.

/// 8-bit sRGB colour with straight alpha.
pub type Rgba = [u8; 4];

/// Five pocket colours (Φ0..Φ4) from the Okabe–Ito palette, which stays distinguishable under the common
/// forms of colour blindness. Yellow is kept for the peptide and grey for the receptor, so the pockets never
/// share a hue with either.
pub const POCKET_COLOURS: [Rgba; 5] = [
    [204, 121, 167, 255], // Φ0 reddish purple
    [230, 159, 0, 255],   // Φ1 orange
    [86, 180, 233, 255],  // Φ2 sky blue
    [0, 158, 115, 255],   // Φ3 bluish green
    [0, 114, 178, 255],   // Φ4 blue
];

/// The peptide when it is drawn in one colour (Okabe–Ito yellow).
pub const PEPTIDE: Rgba = [240, 228, 66, 255];
/// Peptide residues that the labels call non-binding, in the label colouring.
pub const PEPTIDE_NON_BINDING: Rgba = [200, 200, 190, 255];
/// The receptor chain (CRM1) trace.
pub const RECEPTOR: Rgba = [150, 156, 168, 255];
/// Chains that are neither receptor nor peptide (Ran, RanBP1, …): dimmed.
pub const OTHER_CHAIN: Rgba = [88, 92, 100, 255];
/// Residues whose value is unknown in the chosen colouring (no prediction yet, unlabelled residue).
pub const UNKNOWN: Rgba = [120, 120, 120, 255];
/// Background of the 3D view.
pub const BACKGROUND: Rgba = [24, 26, 31, 255];

/// Colour of pocket `index` (0..=4); out-of-range indices get [`UNKNOWN`].
pub fn pocket_colour(index: usize) -> Rgba {
    POCKET_COLOURS.get(index).copied().unwrap_or(UNKNOWN)
}

/// Same colour with another alpha.
pub fn with_alpha(colour: Rgba, alpha: u8) -> Rgba {
    [colour[0], colour[1], colour[2], alpha]
}

/// Viridis at 11 evenly spaced stops (matplotlib's map, as sampled by R's viridisLite::viridis(11)).
const VIRIDIS_STOPS: [[u8; 3]; 11] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x24, 0x75],
    [0x41, 0x44, 0x87],
    [0x35, 0x5f, 0x8d],
    [0x2a, 0x78, 0x8e],
    [0x21, 0x91, 0x8c],
    [0x22, 0xa8, 0x84],
    [0x44, 0xbf, 0x70],
    [0x7a, 0xd1, 0x51],
    [0xbd, 0xdf, 0x26],
    [0xfd, 0xe7, 0x25],
];

/// Perceptually uniform colour for a value in [0, 1] (binding probability); values outside are clamped,
/// NaN maps to [`UNKNOWN`].
pub fn viridis(t: f32) -> Rgba {
    if t.is_nan() {
        return UNKNOWN;
    }
    let x = t.clamp(0.0, 1.0) * (VIRIDIS_STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(VIRIDIS_STOPS.len() - 2);
    let f = x - i as f32;
    let (a, b) = (VIRIDIS_STOPS[i], VIRIDIS_STOPS[i + 1]);
    let mix = |k: usize| (a[k] as f32 + (b[k] as f32 - a[k] as f32) * f).round() as u8;
    [mix(0), mix(1), mix(2), 255]
}

/// The AlphaFold database's pLDDT bands, highest first: (colour, name).
pub const PLDDT_BANDS: [(Rgba, &str); 4] = [
    ([0x00, 0x53, 0xD6, 255], "very high (> 90)"),
    ([0x65, 0xCB, 0xF3, 255], "confident (70–90)"),
    ([0xFF, 0xDB, 0x13, 255], "low (50–70)"),
    ([0xFF, 0x7D, 0x45, 255], "very low (< 50)"),
];

/// Colour of a pLDDT value in the AlphaFold palette (> 90, 70–90, 50–70, < 50); NaN maps to
/// [`UNKNOWN`].
pub fn plddt_colour(plddt: f32) -> Rgba {
    let band = if plddt.is_nan() {
        return UNKNOWN;
    } else if plddt > 90.0 {
        0
    } else if plddt >= 70.0 {
        1
    } else if plddt >= 50.0 {
        2
    } else {
        3
    };
    PLDDT_BANDS[band].0
}

/// Physico-chemical class of an amino acid, for the residue-type colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidueClass {
    Hydrophobic,
    Aromatic,
    Positive,
    Negative,
    Polar,
    Special,
    Unknown,
}

impl ResidueClass {
    pub const ALL: [ResidueClass; 7] = [
        ResidueClass::Hydrophobic,
        ResidueClass::Aromatic,
        ResidueClass::Positive,
        ResidueClass::Negative,
        ResidueClass::Polar,
        ResidueClass::Special,
        ResidueClass::Unknown,
    ];

    /// Class of a one-letter amino-acid code (case-insensitive).
    pub fn of(code: char) -> ResidueClass {
        match code.to_ascii_uppercase() {
            'A' | 'V' | 'L' | 'I' | 'M' => ResidueClass::Hydrophobic,
            'F' | 'W' | 'Y' => ResidueClass::Aromatic,
            'K' | 'R' | 'H' => ResidueClass::Positive,
            'D' | 'E' => ResidueClass::Negative,
            'S' | 'T' | 'N' | 'Q' => ResidueClass::Polar,
            'G' | 'P' | 'C' => ResidueClass::Special,
            _ => ResidueClass::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ResidueClass::Hydrophobic => "hydrophobic (AVLIM)",
            ResidueClass::Aromatic => "aromatic (FWY)",
            ResidueClass::Positive => "positive (KRH)",
            ResidueClass::Negative => "negative (DE)",
            ResidueClass::Polar => "polar (STNQ)",
            ResidueClass::Special => "special (GPC)",
            ResidueClass::Unknown => "other",
        }
    }

    pub fn colour(self) -> Rgba {
        match self {
            ResidueClass::Hydrophobic => [222, 170, 60, 255],
            ResidueClass::Aromatic => [176, 122, 200, 255],
            ResidueClass::Positive => [80, 130, 230, 255],
            ResidueClass::Negative => [228, 80, 80, 255],
            ResidueClass::Polar => [90, 185, 110, 255],
            ResidueClass::Special => [190, 184, 178, 255],
            ResidueClass::Unknown => UNKNOWN,
        }
    }
}

/// Colour of a residue by its one-letter code.
pub fn residue_type_colour(code: char) -> Rgba {
    ResidueClass::of(code).colour()
}

/// Relative luminance (WCAG) of an sRGB colour, 0..1: used to pick readable text over a colour.
pub fn luminance(c: Rgba) -> f32 {
    let lin = |v: u8| {
        let v = v as f32 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

#[cfg(test)]
mod tests {
    #[test]
    fn plddt_bands_follow_the_alphafold_palette() {
        use super::*;
        assert_eq!(plddt_colour(95.0), [0x00, 0x53, 0xD6, 255]);
        assert_eq!(plddt_colour(90.0), [0x65, 0xCB, 0xF3, 255]);
        assert_eq!(plddt_colour(70.0), [0x65, 0xCB, 0xF3, 255]);
        assert_eq!(plddt_colour(69.9), [0xFF, 0xDB, 0x13, 255]);
        assert_eq!(plddt_colour(50.0), [0xFF, 0xDB, 0x13, 255]);
        assert_eq!(plddt_colour(12.0), [0xFF, 0x7D, 0x45, 255]);
        assert_eq!(plddt_colour(f32::NAN), UNKNOWN);
    }

    use super::*;

    fn distance(a: Rgba, b: Rgba) -> f32 {
        (0..3)
            .map(|k| (a[k] as f32 - b[k] as f32).powi(2))
            .sum::<f32>()
            .sqrt()
    }

    #[test]
    fn pocket_colours_are_distinct_from_each_other_and_the_peptide() {
        let mut all = POCKET_COLOURS.to_vec();
        all.push(PEPTIDE);
        all.push(RECEPTOR);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(distance(*a, *b) > 60.0, "{a:?} vs {b:?} too close");
            }
        }
    }

    #[test]
    fn viridis_endpoints_and_monotonic_luminance() {
        assert_eq!(viridis(0.0), [0x44, 0x01, 0x54, 255]);
        assert_eq!(viridis(1.0), [0xfd, 0xe7, 0x25, 255]);
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f32::NAN), UNKNOWN);
        let mut last = -1.0;
        for i in 0..=100 {
            let l = luminance(viridis(i as f32 / 100.0));
            assert!(l > last, "luminance not increasing at {i}");
            last = l;
        }
    }

    #[test]
    fn residue_classes() {
        assert_eq!(ResidueClass::of('l'), ResidueClass::Hydrophobic);
        assert_eq!(ResidueClass::of('W'), ResidueClass::Aromatic);
        assert_eq!(ResidueClass::of('E'), ResidueClass::Negative);
        assert_eq!(ResidueClass::of('X'), ResidueClass::Unknown);
    }
}
