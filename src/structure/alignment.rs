//! Semi-global protein sequence alignment (Gotoh affine gaps, end gaps free on both sides), used to
//! map a CRM1 chain of any species or construct onto human XPO1 numbering.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlignedPair {
    pub query: usize,
    pub target: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Aligned (non-gap) columns, in order.
    pub pairs: Vec<AlignedPair>,
    pub score: i32,
    /// Identical residues over aligned columns.
    pub identity: f32,
}

const GAP_OPEN: i32 = -11;
const GAP_EXTEND: i32 = -1;
const NEG: i32 = i32::MIN / 4;

/// Scores by identity and broad physico-chemical class: enough to align CRM1 orthologs (yeast
/// Crm1 is ~48% identical to human XPO1), without a full substitution matrix.
fn substitution(a: u8, b: u8) -> i32 {
    if a == b && a != b'X' {
        return 5;
    }
    const GROUPS: [&[u8]; 7] = [b"ILMV", b"FYW", b"KRH", b"DE", b"NQ", b"ST", b"AG"];
    if GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b)) {
        1
    } else {
        -3
    }
}

/// Aligns `query` (a chain's sequence) to `target` (the reference), end gaps free on both.
pub fn global_align(query: &str, target: &str) -> Alignment {
    let q = query.as_bytes();
    let t = target.as_bytes();
    let (n, m) = (q.len(), t.len());
    if n == 0 || m == 0 {
        return Alignment {
            pairs: Vec::new(),
            score: 0,
            identity: 0.0,
        };
    }
    let w = m + 1;
    // Three Gotoh layers: ends in a match (h), a gap in the target (e: query residue vs '-'),
    // a gap in the query (f). Traceback stores which layer each cell came from.
    let mut h = vec![NEG; (n + 1) * w];
    let mut e = vec![NEG; (n + 1) * w];
    let mut f = vec![NEG; (n + 1) * w];
    let mut from_h = vec![0u8; (n + 1) * w];
    let mut from_e = vec![0u8; (n + 1) * w];
    let mut from_f = vec![0u8; (n + 1) * w];
    for i in 0..=n {
        h[i * w] = 0;
    }
    h[..=m].fill(0);
    for i in 1..=n {
        for j in 1..=m {
            let idx = i * w + j;
            let up = (i - 1) * w + j;
            let left = i * w + j - 1;
            let diag = (i - 1) * w + j - 1;

            let (e_open, e_ext) = (h[up] + GAP_OPEN, e[up] + GAP_EXTEND);
            (e[idx], from_e[idx]) = if e_open >= e_ext {
                (e_open, 0)
            } else {
                (e_ext, 1)
            };
            let (f_open, f_ext) = (h[left] + GAP_OPEN, f[left] + GAP_EXTEND);
            (f[idx], from_f[idx]) = if f_open >= f_ext {
                (f_open, 0)
            } else {
                (f_ext, 2)
            };

            let best_prev = [h[diag], e[diag], f[diag]];
            let (k, v) = best_prev
                .iter()
                .enumerate()
                .max_by_key(|(_, v)| **v)
                .map(|(k, v)| (k as u8, *v))
                .unwrap_or((0, NEG));
            let diag_score = v + substitution(q[i - 1], t[j - 1]);
            h[idx] = diag_score;
            from_h[idx] = k;
        }
    }
    // End gaps free: best cell in the last row or column, over all layers.
    let mut best = (NEG, n, m, 0u8);
    for j in 0..=m {
        for (layer, arr) in [&h, &e, &f].iter().enumerate() {
            if arr[n * w + j] > best.0 {
                best = (arr[n * w + j], n, j, layer as u8);
            }
        }
    }
    for i in 0..=n {
        for (layer, arr) in [&h, &e, &f].iter().enumerate() {
            if arr[i * w + m] > best.0 {
                best = (arr[i * w + m], i, m, layer as u8);
            }
        }
    }
    let (score, mut i, mut j, mut layer) = best;
    let mut pairs = Vec::new();
    while i > 0 && j > 0 {
        match layer {
            0 => {
                let next = from_h[i * w + j];
                pairs.push(AlignedPair {
                    query: i - 1,
                    target: j - 1,
                });
                i -= 1;
                j -= 1;
                layer = next;
            }
            1 => {
                let next = from_e[i * w + j];
                i -= 1;
                layer = next;
            }
            _ => {
                let next = from_f[i * w + j];
                j -= 1;
                layer = next;
            }
        }
    }
    pairs.reverse();
    let identical = pairs.iter().filter(|p| q[p.query] == t[p.target]).count();
    let identity = if pairs.is_empty() {
        0.0
    } else {
        identical as f32 / pairs.len() as f32
    };
    Alignment {
        pairs,
        score,
        identity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sequences_align_diagonally() {
        let a = global_align("MKTAYIAKQR", "MKTAYIAKQR");
        assert_eq!(a.pairs.len(), 10);
        assert!(a.pairs.iter().all(|p| p.query == p.target));
        assert_eq!(a.identity, 1.0);
    }

    #[test]
    fn fragment_finds_its_place_in_a_longer_sequence() {
        let target = "AAAAAGGGGGMKTAYIAKQRQISFVKSHFSRQGGGGGAAAAA";
        let a = global_align("MKTAYIAKQRQISFVKSHFSRQ", target);
        assert_eq!(a.pairs.first().map(|p| p.target), Some(10));
        assert_eq!(a.identity, 1.0);
    }

    #[test]
    fn an_insertion_in_the_query_becomes_a_gap() {
        let target = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ";
        let query = "MKTAYIAKQRQISWWWWFVKSHFSRQLEERLGLIEVQ";
        let a = global_align(query, target);
        let last = a.pairs.last().copied();
        assert_eq!(
            last,
            Some(AlignedPair {
                query: query.len() - 1,
                target: target.len() - 1
            })
        );
        assert!(
            a.pairs
                .iter()
                .all(|p| query.as_bytes()[p.query] == target.as_bytes()[p.target])
        );
    }
}
