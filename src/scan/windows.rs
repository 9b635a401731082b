//! Whole proteins through ESM-2: at most 1,022 residues fit one pass (1,024 tokens with BOS/EOS, the
//! length ESM-2 was trained on), so longer proteins are cut into overlapping windows, each embedded
//! alone, and every residue takes its vector from the window in which it lies farthest from an edge
//! (where it sees the most context on both sides).

use std::ops::Range;

/// The longest protein ESM-2 embeds in one pass.
pub const ESM_MAX_RESIDUES: usize = 1022;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPlan {
    /// Residues per window (≤ [`ESM_MAX_RESIDUES`] for ESM-2).
    pub window: usize,
    /// Residues shared by consecutive windows; each residue keeps at least `overlap / 2` residues of
    /// context on the side of a join.
    pub overlap: usize,
}

impl Default for WindowPlan {
    fn default() -> Self {
        Self {
            window: ESM_MAX_RESIDUES,
            overlap: 256,
        }
    }
}

impl WindowPlan {
    /// Windows covering `0..len`: one when it fits, else evenly spaced windows of `window` residues
    /// overlapping by at least `overlap`, the last one ending at `len`.
    pub fn windows(&self, len: usize) -> Vec<Range<usize>> {
        let window = self.window.max(1);
        if len <= window {
            return std::iter::once(0..len).collect();
        }
        let stride = window.saturating_sub(self.overlap).max(1);
        let count = (len - window).div_ceil(stride) + 1;
        // Spread the starts evenly over 0..=len - window so that every overlap is about the same.
        (0..count)
            .map(|k| {
                let start = if count == 1 {
                    0
                } else {
                    k * (len - window) / (count - 1)
                };
                start..start + window
            })
            .collect()
    }
}

/// For each residue of `0..len`, the window (index into `windows`) where it is most central.
pub fn owner_of_each_residue(len: usize, windows: &[Range<usize>]) -> Vec<usize> {
    (0..len)
        .map(|i| {
            windows
                .iter()
                .enumerate()
                .filter(|(_, w)| w.contains(&i))
                .max_by_key(|(k, w)| ((i - w.start).min(w.end - 1 - i), std::cmp::Reverse(*k)))
                .map_or(0, |(k, _)| k)
        })
        .collect()
}

/// Per-residue rows of the whole sequence from per-window rows (`rows[k]` belongs to `windows[k]`).
pub fn stitch<T: Clone>(len: usize, windows: &[Range<usize>], rows: &[Vec<T>]) -> Vec<T> {
    owner_of_each_residue(len, windows)
        .into_iter()
        .enumerate()
        .filter_map(|(i, k)| rows.get(k)?.get(i - windows[k].start).cloned())
        .collect()
}

/// Per-residue rows of each sequence of a batch, or why not.
pub type BatchRows = Result<Vec<Vec<Vec<f32>>>, String>;

/// Embeds `sequence` with `embed` (one call, all windows as a batch) and stitches the result.
pub fn embed_windowed(
    sequence: &str,
    plan: &WindowPlan,
    embed: &mut dyn FnMut(&[String]) -> BatchRows,
) -> Result<Vec<Vec<f32>>, String> {
    let residues: Vec<char> = sequence.chars().collect();
    let windows = plan.windows(residues.len());
    let pieces: Vec<String> = windows
        .iter()
        .map(|w| residues[w.clone()].iter().collect())
        .collect();
    let rows = embed(&pieces)?;
    if rows.len() != windows.len() {
        return Err(format!(
            "the embedder returned {} windows for {}",
            rows.len(),
            windows.len()
        ));
    }
    for (w, r) in windows.iter().zip(&rows) {
        if r.len() != w.len() {
            return Err(format!(
                "window {}–{}: {} rows for {} residues",
                w.start + 1,
                w.end,
                r.len(),
                w.len()
            ));
        }
    }
    Ok(stitch(residues.len(), &windows, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_protein_with_the_overlap() {
        let plan = WindowPlan {
            window: 100,
            overlap: 30,
        };
        assert_eq!(plan.windows(80), std::iter::once(0..80).collect::<Vec<_>>());
        assert_eq!(
            plan.windows(100),
            std::iter::once(0..100).collect::<Vec<_>>()
        );
        for len in [101, 170, 171, 1000, 35_000] {
            let w = plan.windows(len);
            assert_eq!(w.first().unwrap().start, 0);
            assert_eq!(w.last().unwrap().end, len);
            for pair in w.windows(2) {
                assert!(pair[0].end >= pair[1].start + 30, "{len}: {pair:?}");
                assert!(pair[1].start > pair[0].start);
            }
            assert!(w.iter().all(|r| r.len() == 100));
        }
    }

    #[test]
    fn each_residue_comes_from_its_most_central_window() {
        let plan = WindowPlan {
            window: 10,
            overlap: 4,
        };
        let windows = plan.windows(22);
        let owner = owner_of_each_residue(22, &windows);
        for (i, &k) in owner.iter().enumerate() {
            let w = &windows[k];
            assert!(w.contains(&i));
            let margin = (i - w.start).min(w.end - 1 - i);
            for other in windows.iter().filter(|o| o.contains(&i)) {
                assert!(margin >= (i - other.start).min(other.end - 1 - i));
            }
        }
        // Rows tagged with (window, residue) come back as the residues in order.
        let rows: Vec<Vec<(usize, usize)>> = windows
            .iter()
            .enumerate()
            .map(|(k, w)| w.clone().map(|i| (k, i)).collect())
            .collect();
        let stitched = stitch(22, &windows, &rows);
        assert_eq!(stitched.len(), 22);
        assert!(stitched.iter().enumerate().all(|(i, (_, r))| *r == i));
    }

    #[test]
    fn embedder_row_counts_are_checked() {
        let plan = WindowPlan {
            window: 5,
            overlap: 2,
        };
        let mut short = |seqs: &[String]| -> Result<Vec<Vec<Vec<f32>>>, String> {
            Ok(seqs.iter().map(|s| vec![vec![0.0]; s.len() - 1]).collect())
        };
        assert!(embed_windowed("ACDEFGHIKL", &plan, &mut short).is_err());
        let mut ok = |seqs: &[String]| -> Result<Vec<Vec<Vec<f32>>>, String> {
            Ok(seqs
                .iter()
                .map(|s| s.chars().map(|c| vec![c as u32 as f32]).collect())
                .collect())
        };
        let rows = embed_windowed("ACDEFGHIKL", &plan, &mut ok).unwrap();
        let back: String = rows.iter().map(|r| char::from(r[0] as u8)).collect();
        assert_eq!(back, "ACDEFGHIKL");
    }
}
