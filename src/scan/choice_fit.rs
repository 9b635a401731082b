//! Fits the window ranker's linear score. A scan is read from the top: what matters most is which
//! of a protein's windows comes first, and a plain per-window likelihood spends its effort on
//! telling windows of different proteins apart (cargo or not) as much as on choosing within one.
//! So the loss mixes the windows' likelihood with a within-protein choice term (a conditional logit:
//! −log of the softmax share of a protein's real windows among all of its windows), then one
//! Platt step rescales the score so that σ(score) is again a calibrated P(real NES), which the
//! threshold and the score shown rely on. The rescaling is monotone: it leaves the ranking as fitted.

use crate::train::logistic::{Logistic, standardise};

/// A training window: its features, whether it is a real NES, and which protein it belongs to.
#[derive(Debug, Clone)]
pub struct TrainingWindow {
    pub features: Vec<f32>,
    pub real: bool,
    pub protein: usize,
}

/// How the score is fitted.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceConfig {
    /// Share of the within-protein choice term in the loss; 0 is the plain logistic regression.
    pub choice_share: f64,
    /// L2 penalty on the standardised weights (not the bias), as ½·l2·‖w‖².
    pub l2: f64,
    pub iterations: usize,
    pub learning_rate: f64,
}

impl Default for ChoiceConfig {
    fn default() -> Self {
        Self {
            choice_share: 0.5,
            l2: 3e-2,
            iterations: 400,
            learning_rate: 0.05,
        }
    }
}

/// The fitted score as a two-class [`Logistic`] (class 1 = real), calibrated on `windows`.
pub fn fit(windows: &[TrainingWindow], config: &ChoiceConfig) -> Logistic {
    let x: Vec<&[f32]> = windows.iter().map(|w| w.features.as_slice()).collect();
    let (mean, scale, z) = standardise(&x);
    let dim = mean.len();
    let y: Vec<f64> = windows
        .iter()
        .map(|w| f64::from(u8::from(w.real)))
        .collect();
    let proteins = windows.iter().map(|w| w.protein + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); proteins];
    for (i, w) in windows.iter().enumerate() {
        members[w.protein].push(i);
    }
    // Only proteins with a real window and another to rank it against make a choice.
    members.retain(|m| m.iter().any(|&i| y[i] > 0.0) && m.len() > 1);
    let n = windows.len().max(1) as f64;
    let choices = members.len().max(1) as f64;
    let m = config.choice_share.clamp(0.0, 1.0);

    let mut w = vec![0f64; dim];
    let mut b = 0f64;
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let (mut m_w, mut v_w) = (vec![0f64; dim], vec![0f64; dim]);
    let (mut m_b, mut v_b) = (0f64, 0f64);
    let mut ds = vec![0f64; windows.len()];
    for it in 1..=config.iterations {
        let s: Vec<f64> = z.iter().map(|r| score(r, &w, b)).collect();
        for ((d, &si), &yi) in ds.iter_mut().zip(&s).zip(&y) {
            *d = (1.0 - m) * (sigmoid(si) - yi) / n;
        }
        if m > 0.0 {
            for idx in &members {
                let top = idx.iter().map(|&i| s[i]).fold(f64::NEG_INFINITY, f64::max);
                let all: f64 = idx.iter().map(|&i| (s[i] - top).exp()).sum();
                let real: f64 = idx.iter().map(|&i| y[i] * (s[i] - top).exp()).sum();
                for &i in idx {
                    let e = (s[i] - top).exp();
                    ds[i] += m * (e / all - y[i] * e / real) / choices;
                }
            }
        }
        let mut g_w: Vec<f64> = w.iter().map(|wj| config.l2 * wj).collect();
        let mut g_b = 0f64;
        for (r, &d) in z.iter().zip(&ds) {
            g_b += d;
            for (g, &v) in g_w.iter_mut().zip(r) {
                *g += d * f64::from(v);
            }
        }
        let t = it as i32;
        let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
        for j in 0..dim {
            m_w[j] = beta1 * m_w[j] + (1.0 - beta1) * g_w[j];
            v_w[j] = beta2 * v_w[j] + (1.0 - beta2) * g_w[j] * g_w[j];
            w[j] -= config.learning_rate * (m_w[j] / c1) / ((v_w[j] / c2).sqrt() + eps);
        }
        m_b = beta1 * m_b + (1.0 - beta1) * g_b;
        v_b = beta2 * v_b + (1.0 - beta2) * g_b * g_b;
        b -= config.learning_rate * (m_b / c1) / ((v_b / c2).sqrt() + eps);
    }

    let s: Vec<f64> = z.iter().map(|r| score(r, &w, b)).collect();
    let (a, c) = platt(&s, &y);
    Logistic {
        classes: 2,
        mean,
        scale,
        weights: vec![
            vec![0f32; dim],
            w.iter().map(|wj| (a * wj) as f32).collect(),
        ],
        bias: vec![0.0, (a * b + c) as f32],
    }
}

fn score(z: &[f32], w: &[f64], b: f64) -> f64 {
    b + z
        .iter()
        .zip(w)
        .map(|(&v, wj)| f64::from(v) * wj)
        .sum::<f64>()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The (a, c) that make σ(a·s + c) the maximum-likelihood P(y = 1) with a ≥ [`MIN_SLOPE`]:
/// Newton's method on the two parameters, each step halved until the likelihood improves (a plain
/// Newton step can overshoot on nearly separable scores), the slope kept at its floor.
fn platt(s: &[f64], y: &[f64]) -> (f64, f64) {
    let nll = |a: f64, c: f64| -> f64 {
        s.iter()
            .zip(y)
            .map(|(&si, &yi)| {
                let t = a * si + c;
                // log(1 + e^t) − y·t, computed without overflow.
                t.max(0.0) + (-t.abs()).exp().ln_1p() - yi * t
            })
            .sum()
    };
    let (mut a, mut c) = (1.0f64, 0.0f64);
    let mut current = nll(a, c);
    for _ in 0..100 {
        let (mut ga, mut gc, mut haa, mut hac, mut hcc) = (0f64, 0f64, 1e-9f64, 0f64, 1e-9f64);
        for (&si, &yi) in s.iter().zip(y) {
            let p = sigmoid(a * si + c);
            let r = p - yi;
            let q = p * (1.0 - p);
            ga += r * si;
            gc += r;
            haa += q * si * si;
            hac += q * si;
            hcc += q;
        }
        let det = haa * hcc - hac * hac;
        let (da, dc) = if a <= MIN_SLOPE && hcc * ga - hac * gc > 0.0 {
            // At the floor and pushed below it: the offset alone.
            (0.0, gc / hcc)
        } else if det > 1e-300 {
            ((hcc * ga - hac * gc) / det, (haa * gc - hac * ga) / det)
        } else {
            (ga / haa, gc / hcc)
        };
        let mut step = 1.0;
        let mut moved = false;
        while step > 1e-12 {
            let (na, nc) = ((a - step * da).max(MIN_SLOPE), c - step * dc);
            let next = nll(na, nc);
            if next < current {
                moved = (na - a).abs() + (nc - c).abs() > 1e-12;
                (a, c, current) = (na, nc, next);
                break;
            }
            step *= 0.5;
        }
        if !moved {
            break;
        }
    }
    (a, c)
}

/// The least slope the calibration may give the score: it must stay increasing.
const MIN_SLOPE: f64 = 1e-3;

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores from a known calibrated model: Platt returns the identity.
    #[test]
    fn platt_recovers_a_calibrated_scale() {
        let s: Vec<f64> = (0..2000).map(|i| (i as f64 / 1000.0 - 1.0) * 4.0).collect();
        // Deterministic labels with P(y=1) = σ(2s − 1): a threshold on a low-discrepancy sequence.
        let y: Vec<f64> = s
            .iter()
            .enumerate()
            .map(|(i, &si)| {
                let u = (i as f64 * 0.618_033_988_749_895).fract();
                f64::from(u8::from(u < sigmoid(2.0 * si - 1.0)))
            })
            .collect();
        let (a, c) = platt(&s, &y);
        assert!(
            (a - 2.0).abs() < 0.25 && (c + 1.0).abs() < 0.25,
            "a {a} c {c}"
        );
    }

    /// Cargo proteins whose real window (1, 1) lies between their own decoys (2, 0) and the
    /// non-cargo proteins' windows (0, 2), which outnumber them: no line separates real from not, and
    /// the pooled likelihood, busy pushing the many (0, 2) windows down, ranks the decoys above the
    /// real window. The within-protein choice puts the real window first.
    fn cargo_and_decoys() -> Vec<TrainingWindow> {
        let mut windows = Vec::new();
        for p in 0..20 {
            for k in 0..4 {
                let real = k == 0;
                windows.push(TrainingWindow {
                    features: if real { vec![1.0, 1.0] } else { vec![2.0, 0.0] },
                    real,
                    protein: p,
                });
            }
        }
        for p in 20..80 {
            for _ in 0..4 {
                windows.push(TrainingWindow {
                    features: vec![0.0, 2.0],
                    real: false,
                    protein: p,
                });
            }
        }
        windows
    }

    fn real_first(windows: &[TrainingWindow], choice_share: f64) -> bool {
        let config = ChoiceConfig {
            choice_share,
            ..ChoiceConfig::default()
        };
        let fitted = fit(windows, &config);
        let p = |w: &TrainingWindow| fitted.probabilities(&w.features)[1];
        p(&windows[0]) > p(&windows[1])
    }

    #[test]
    fn the_choice_term_ranks_within_proteins() {
        let windows = cargo_and_decoys();
        assert!(
            !real_first(&windows, 0.0),
            "the pooled fit was expected to fail here"
        );
        assert!(real_first(&windows, ChoiceConfig::default().choice_share));
        // Calibrated: the mean probability matches the share of real windows.
        let fitted = fit(&windows, &ChoiceConfig::default());
        let p = |w: &TrainingWindow| fitted.probabilities(&w.features)[1];
        let mean = windows.iter().map(p).sum::<f32>() / windows.len() as f32;
        let share = windows.iter().filter(|w| w.real).count() as f32 / windows.len() as f32;
        assert!((mean - share).abs() < 0.02, "mean {mean} share {share}");
    }
}
