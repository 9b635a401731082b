use serde::{Deserialize, Serialize};

/// The five hydrophobic pockets of the CRM1 NES-binding groove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Pocket {
    Phi0,
    Phi1,
    Phi2,
    Phi3,
    Phi4,
}

impl Pocket {
    pub const ALL: [Pocket; 5] = [
        Pocket::Phi0,
        Pocket::Phi1,
        Pocket::Phi2,
        Pocket::Phi3,
        Pocket::Phi4,
    ];

    pub fn index(self) -> usize {
        self as usize
    }
    pub fn from_index(i: usize) -> Option<Pocket> {
        Self::ALL.get(i).copied()
    }
    /// "Phi0" … "Phi4", the spelling used in CSV files.
    pub fn as_str(self) -> &'static str {
        ["Phi0", "Phi1", "Phi2", "Phi3", "Phi4"][self.index()]
    }
    /// "Φ0" … "Φ4", for display.
    pub fn symbol(self) -> &'static str {
        ["Φ0", "Φ1", "Φ2", "Φ3", "Φ4"][self.index()]
    }
    pub fn parse(s: &str) -> Option<Pocket> {
        let t = s.trim();
        let digit = t
            .strip_prefix("Phi")
            .or_else(|| t.strip_prefix("phi"))
            .or_else(|| t.strip_prefix("PHI"))
            .or_else(|| t.strip_prefix('Φ'))
            .or_else(|| t.strip_prefix('P'))?;
        digit.parse::<usize>().ok().and_then(Pocket::from_index)
    }
}

impl std::fmt::Display for Pocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One lining residue of a pocket, in human XPO1 numbering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PocketResidue {
    pub pocket: Pocket,
    pub human_number: i32,
    /// Expected one-letter code in human XPO1 (informational; a mismatch is reported, not fatal).
    pub human_code: char,
    /// In how many of the reference crystal structures the residue lines the pocket.
    pub weight: u32,
}

/// Which CRM1 residues line which pocket. Bundled default from crystal contacts; users may supply
/// their own file (same JSON shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PocketDefinition {
    pub source: String,
    pub residues: Vec<PocketResidue>,
}

const BUNDLED_POCKETS: &str = include_str!("../../assets/pockets/crm1_pockets.json");

impl PocketDefinition {
    /// Pockets from the six crystal structures shipped with nesbind (see assets/README.md).
    pub fn bundled() -> PocketDefinition {
        // The bundled file is checked by a test; a broken build asset is a programming error.
        Self::from_json(BUNDLED_POCKETS)
            .unwrap_or_else(|e| panic!("bundled assets/pockets/crm1_pockets.json is invalid: {e}"))
    }

    /// A user's pocket file: the bundled JSON shape, or a CSV with columns `pocket,human_XPO1_resnum`
    /// (and optionally `human_aa`, `n_structures`).
    pub fn from_file(path: &std::path::Path) -> Result<PocketDefinition, super::StructureError> {
        let err = |message: String| super::StructureError::PocketDefinition {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let mut def = if text.trim_start().starts_with('{') {
            Self::from_json(&text).map_err(err)?
        } else {
            Self::from_csv(&text).map_err(err)?
        };
        if def.source.is_empty() {
            def.source = path.display().to_string();
        }
        Ok(def)
    }

    pub fn from_json(text: &str) -> Result<PocketDefinition, String> {
        let def: PocketDefinition = serde_json::from_str(text).map_err(|e| e.to_string())?;
        def.validate()?;
        Ok(def)
    }

    fn from_csv(text: &str) -> Result<PocketDefinition, String> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h));
        let pocket_col = column(&["pocket"]).ok_or("no 'pocket' column")?;
        let number_col = column(&["human_XPO1_resnum", "human_number", "resnum"])
            .ok_or("no 'human_XPO1_resnum' column")?;
        let code_col = column(&["human_aa", "human_code"]);
        let weight_col = column(&["n_structures", "weight"]);
        let mut residues = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| format!("line {line}: {e}"))?;
            let field = |c: usize| record.get(c).unwrap_or("");
            let pocket = Pocket::parse(field(pocket_col)).ok_or_else(|| {
                format!(
                    "line {line}: pocket '{}' is not Phi0..Phi4",
                    field(pocket_col)
                )
            })?;
            let human_number = field(number_col).parse::<i32>().map_err(|_| {
                format!(
                    "line {line}: residue number '{}' is not a number",
                    field(number_col)
                )
            })?;
            let human_code = code_col
                .and_then(|c| field(c).chars().next())
                .unwrap_or('X');
            let weight = weight_col.and_then(|c| field(c).parse().ok()).unwrap_or(1);
            residues.push(PocketResidue {
                pocket,
                human_number,
                human_code,
                weight,
            });
        }
        let def = PocketDefinition {
            source: String::new(),
            residues,
        };
        def.validate()?;
        Ok(def)
    }

    fn validate(&self) -> Result<(), String> {
        if self.residues.is_empty() {
            return Err("no pocket residues".into());
        }
        if let Some(r) = self.residues.iter().find(|r| r.human_number < 1) {
            return Err(format!(
                "residue number {} is not a valid XPO1 position",
                r.human_number
            ));
        }
        Ok(())
    }

    pub fn residues_of(&self, pocket: Pocket) -> impl Iterator<Item = &PocketResidue> {
        self.residues.iter().filter(move |r| r.pocket == pocket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_definition_covers_five_pockets_from_the_crystal_table() {
        let def = PocketDefinition::bundled();
        for p in Pocket::ALL {
            assert!(
                def.residues_of(p).count() >= 2,
                "{p} has too few lining residues"
            );
        }
        // Cys528, the leptomycin B / selinexor target, lines Φ3.
        assert!(
            def.residues_of(Pocket::Phi3)
                .any(|r| r.human_number == 528 && r.human_code == 'C')
        );
    }

    #[test]
    fn pocket_names_parse_both_spellings() {
        assert_eq!(Pocket::parse("Phi3"), Some(Pocket::Phi3));
        assert_eq!(Pocket::parse("Φ0"), Some(Pocket::Phi0));
        assert_eq!(Pocket::parse("Phi5"), None);
        assert_eq!(Pocket::parse(""), None);
    }

    #[test]
    fn csv_definitions_report_the_bad_line() {
        let err = PocketDefinition::from_csv("pocket,human_XPO1_resnum\nPhi1,521\nPhi9,10\n")
            .unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        let ok = PocketDefinition::from_csv("pocket,human_XPO1_resnum\nPhi1,521\n").unwrap();
        assert_eq!(ok.residues[0].human_number, 521);
    }
}
