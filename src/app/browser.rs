//! The folder browser's table: one row per open file (chains, peptide pLDDT, labelled and predicted
//! register, their agreement), sorted and filtered as the Files panel asks, and the next / previous
//! file in that order.

use serde::{Deserialize, Serialize};

use super::document::Document;
use crate::structure::Pocket;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortColumn {
    /// The order the files were opened in (file name within a folder).
    #[default]
    Opened,
    Name,
    Receptor,
    Plddt,
    Agreement,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrowserSettings {
    pub sort: SortColumn,
    pub descending: bool,
    /// Rows whose peptide mean pLDDT is below this are hidden (0 = show all, also files without pLDDT).
    pub min_plddt: f32,
    /// Rows whose file name does not contain this (case-insensitive) are hidden.
    pub filter: String,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        Self {
            sort: SortColumn::Opened,
            descending: false,
            min_plddt: 0.0,
            filter: String::new(),
        }
    }
}

/// What the browser shows of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserRow {
    /// Index into the app's documents.
    pub index: usize,
    pub name: String,
    /// CRM1 residues and identity to human XPO1.
    pub receptor: Option<(usize, f32)>,
    pub peptide: String,
    pub plddt: Option<f32>,
    /// "Φ1=L7 Φ2=L11 …" from the structure labels.
    pub labelled: String,
    /// The same from the decoded prediction, once predicted.
    pub predicted: Option<String>,
    /// Residue numbers of Φ0–Φ4 ("– 7 11 14 16"), labelled and predicted, for the narrow table.
    pub labelled_short: String,
    pub predicted_short: Option<String>,
    /// Labelled pocket residues that the prediction puts in the same pocket, of those labelled.
    pub agreement: Option<(usize, usize)>,
    /// Why the file is not a complex.
    pub problem: Option<String>,
}

impl BrowserRow {
    pub fn of(index: usize, doc: &Document) -> Self {
        let complex = doc.complex();
        let peptide = complex
            .map(|c| c.peptide_chain().sequence())
            .unwrap_or_default();
        let labelled_pockets: Vec<(usize, Pocket)> = doc
            .labels
            .iter()
            .filter_map(|l| Some((l.residue_index, l.pocket?)))
            .collect();
        let predicted = doc.prediction.as_ref().map(|p| {
            let mut placed: Vec<(Pocket, usize)> = p
                .register
                .iter()
                .enumerate()
                .filter_map(|(i, k)| Some(((*k)?, i)))
                .collect();
            placed.sort();
            placed
                .iter()
                .map(|(k, i)| {
                    let residue = complex.and_then(|c| c.peptide_chain().residues.get(*i));
                    let name = residue
                        .map(|r| format!("{}{}", r.code, r.label()))
                        .unwrap_or_else(|| format!("#{}", i + 1));
                    format!("{k}={name}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        });
        let agreement = doc.prediction.as_ref().map(|p| {
            let same = labelled_pockets
                .iter()
                .filter(|(i, k)| p.register.get(*i).copied().flatten() == Some(*k))
                .count();
            (same, labelled_pockets.len())
        });
        let labelled = labelled_pockets
            .iter()
            .map(|(i, k)| {
                let residue = complex.and_then(|c| c.peptide_chain().residues.get(*i));
                let name = residue
                    .map(|r| format!("{}{}", r.code, r.label()))
                    .unwrap_or_default();
                (*k, format!("{k}={name}"))
            })
            .collect::<std::collections::BTreeMap<Pocket, String>>()
            .into_values()
            .collect::<Vec<_>>()
            .join(" ");
        let short = |placed: &dyn Fn(Pocket) -> Option<usize>| -> String {
            Pocket::ALL
                .iter()
                .map(|k| match placed(*k) {
                    Some(i) => complex
                        .and_then(|c| c.peptide_chain().residues.get(i))
                        .map(|r| r.label())
                        .unwrap_or_else(|| (i + 1).to_string()),
                    None => "–".to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let labelled_short = short(&|k| {
            labelled_pockets
                .iter()
                .find(|(_, p)| *p == k)
                .map(|(i, _)| *i)
        });
        let predicted_short = doc
            .prediction
            .as_ref()
            .map(|p| short(&|k| p.register.iter().position(|q| *q == Some(k))));
        Self {
            index,
            name: doc.name(),
            labelled_short,
            predicted_short,
            receptor: complex.map(|c| (c.receptor_chain().polymer_len(), c.numbering.identity)),
            peptide,
            plddt: doc.peptide_plddt(),
            labelled,
            predicted,
            agreement,
            problem: doc.problem().map(str::to_string),
        }
    }

    fn agreement_share(&self) -> Option<f32> {
        self.agreement
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| k as f32 / n as f32)
    }
}

/// The rows of `docs` that pass the filters, in the chosen order.
pub fn browser_rows(docs: &[Document], settings: &BrowserSettings) -> Vec<BrowserRow> {
    let filter = settings.filter.trim().to_lowercase();
    let mut rows: Vec<BrowserRow> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| BrowserRow::of(i, d))
        .filter(|r| filter.is_empty() || r.name.to_lowercase().contains(&filter))
        .filter(|r| settings.min_plddt <= 0.0 || r.plddt.is_some_and(|p| p >= settings.min_plddt))
        .collect();
    // Missing values sort last in either direction.
    let key = |r: &BrowserRow| -> Option<f32> {
        match settings.sort {
            SortColumn::Receptor => r.receptor.map(|(n, _)| n as f32),
            SortColumn::Plddt => r.plddt,
            SortColumn::Agreement => r.agreement_share(),
            SortColumn::Opened | SortColumn::Name => None,
        }
    };
    match settings.sort {
        SortColumn::Opened => {}
        SortColumn::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        _ => rows.sort_by(|a, b| match (key(a), key(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }),
    }
    if settings.descending {
        let (mut with, without): (Vec<BrowserRow>, Vec<BrowserRow>) =
            rows.into_iter().partition(|r| {
                settings.sort == SortColumn::Opened
                    || settings.sort == SortColumn::Name
                    || key(r).is_some()
            });
        with.reverse();
        with.extend(without);
        rows = with;
    }
    rows
}

/// The document after (`step` = 1) or before (-1) `active` in the browser's order, wrapping around;
/// the first row when `active` is not shown. Only complexes are stepped to.
pub fn step_active(rows: &[BrowserRow], active: Option<usize>, step: isize) -> Option<usize> {
    let complexes: Vec<usize> = rows
        .iter()
        .filter(|r| r.problem.is_none())
        .map(|r| r.index)
        .collect();
    if complexes.is_empty() {
        return None;
    }
    let Some(pos) = active.and_then(|a| complexes.iter().position(|&i| i == a)) else {
        return complexes.first().copied();
    };
    let n = complexes.len() as isize;
    Some(complexes[(pos as isize + step).rem_euclid(n) as usize])
}
