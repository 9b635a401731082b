//! Baseline: per-residue multinomial logistic regression on the same embeddings, no sequence
//! context. Plain Rust (full-batch Adam on the standardised features), deterministic.

use serde::{Deserialize, Serialize};

use super::batch::{ClassWeights, Sample};
use super::metrics::POCKET_CLASSES;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticConfig {
    pub iterations: usize,
    pub learning_rate: f32,
    /// L2 penalty on the weights (not the bias).
    pub l2: f32,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        Self {
            iterations: 200,
            learning_rate: 0.05,
            l2: 1e-3,
        }
    }
}

/// A fitted softmax regression over `classes` classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub classes: usize,
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    /// `[class][feature]`
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

/// Each feature's mean and inverse standard deviation over `x` (1 for a constant feature), and the
/// rows standardised with them.
pub fn standardise(x: &[&[f32]]) -> (Vec<f32>, Vec<f32>, Vec<Vec<f32>>) {
    let dim = x.first().map_or(0, |r| r.len());
    let n = x.len().max(1) as f32;
    let mut mean = vec![0f32; dim];
    for r in x {
        for (m, v) in mean.iter_mut().zip(*r) {
            *m += v / n;
        }
    }
    let mut scale = vec![0f32; dim];
    for r in x {
        for ((s, v), m) in scale.iter_mut().zip(*r).zip(&mean) {
            *s += (v - m) * (v - m) / n;
        }
    }
    for s in &mut scale {
        *s = if *s > 1e-12 { 1.0 / s.sqrt() } else { 1.0 };
    }
    let z = x
        .iter()
        .map(|r| {
            r.iter()
                .zip(&mean)
                .zip(&scale)
                .map(|((v, m), s)| (v - m) * s)
                .collect()
        })
        .collect();
    (mean, scale, z)
}

impl Logistic {
    /// Fits on rows `x` with labels `y` (< `classes`) and per-class sample weights.
    pub fn fit(
        x: &[&[f32]],
        y: &[usize],
        classes: usize,
        class_weight: &[f32],
        config: &LogisticConfig,
    ) -> Self {
        let dim = x.first().map_or(0, |r| r.len());
        let (mean, scale, z) = standardise(x);
        let sample_w: Vec<f32> = y
            .iter()
            .map(|&c| class_weight.get(c).copied().unwrap_or(1.0))
            .collect();
        let w_total: f32 = sample_w.iter().sum::<f32>().max(f32::MIN_POSITIVE);

        let mut model = Logistic {
            classes,
            mean,
            scale,
            weights: vec![vec![0f32; dim]; classes],
            bias: vec![0f32; classes],
        };
        let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let mut m_w = vec![vec![0f32; dim]; classes];
        let mut v_w = vec![vec![0f32; dim]; classes];
        let mut m_b = vec![0f32; classes];
        let mut v_b = vec![0f32; classes];
        for it in 1..=config.iterations {
            let mut g_w = vec![vec![0f32; dim]; classes];
            let mut g_b = vec![0f32; classes];
            for ((row, &label), &sw) in z.iter().zip(y).zip(&sample_w) {
                let p = model.probabilities_standardised(row);
                for c in 0..classes {
                    let d = sw * (p[c] - f32::from(u8::from(c == label))) / w_total;
                    g_b[c] += d;
                    for (g, v) in g_w[c].iter_mut().zip(row) {
                        *g += d * v;
                    }
                }
            }
            let t = it as i32;
            let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
            for c in 0..classes {
                for j in 0..dim {
                    let g = g_w[c][j] + config.l2 * model.weights[c][j];
                    m_w[c][j] = beta1 * m_w[c][j] + (1.0 - beta1) * g;
                    v_w[c][j] = beta2 * v_w[c][j] + (1.0 - beta2) * g * g;
                    model.weights[c][j] -=
                        config.learning_rate * (m_w[c][j] / c1) / ((v_w[c][j] / c2).sqrt() + eps);
                }
                let g = g_b[c];
                m_b[c] = beta1 * m_b[c] + (1.0 - beta1) * g;
                v_b[c] = beta2 * v_b[c] + (1.0 - beta2) * g * g;
                model.bias[c] -=
                    config.learning_rate * (m_b[c] / c1) / ((v_b[c] / c2).sqrt() + eps);
            }
        }
        model
    }

    fn probabilities_standardised(&self, z: &[f32]) -> Vec<f32> {
        let logits: Vec<f32> = self
            .weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| b + w.iter().zip(z).map(|(a, v)| a * v).sum::<f32>())
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        exp.iter().map(|e| e / sum).collect()
    }

    /// Class probabilities for one raw (unstandardised) feature row.
    pub fn probabilities(&self, x: &[f32]) -> Vec<f32> {
        let z: Vec<f32> = x
            .iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((v, m), s)| (v - m) * s)
            .collect();
        self.probabilities_standardised(&z)
    }
}

/// A binding and a pocket regression per residue, fitted on the residues whose labels are known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidueLogistic {
    pub binding: Logistic,
    pub pocket: Logistic,
}

impl ResidueLogistic {
    /// `None` when no residue of `train` has a known binding or pocket label.
    pub fn fit(train: &[Sample], weights: &ClassWeights) -> Option<Self> {
        let config = LogisticConfig::default();
        let mut xb: Vec<&[f32]> = Vec::new();
        let mut yb = Vec::new();
        let mut xp: Vec<&[f32]> = Vec::new();
        let mut yp = Vec::new();
        for s in train {
            for (t, row) in s.features.iter().enumerate() {
                if s.binding_weight(t) > 0.0 {
                    xb.push(row);
                    yb.push(usize::from(s.binding.get(t).copied().unwrap_or(false)));
                }
                if s.pocket_weight(t) > 0.0 {
                    xp.push(row);
                    yp.push(s.pocket.get(t).copied().unwrap_or(0));
                }
            }
        }
        if xb.is_empty() || xp.is_empty() {
            return None;
        }
        Some(Self {
            binding: Logistic::fit(&xb, &yb, 2, &[1.0, weights.binding_positive], &config),
            pocket: Logistic::fit(&xp, &yp, POCKET_CLASSES, &weights.pocket, &config),
        })
    }

    /// Per residue: P(binding) and the probabilities of none, Φ0..Φ4.
    pub fn outputs(&self, features: &[Vec<f32>]) -> (Vec<f32>, Vec<[f32; POCKET_CLASSES]>) {
        let binding = features
            .iter()
            .map(|r| self.binding.probabilities(r).get(1).copied().unwrap_or(0.0))
            .collect();
        let pocket = features
            .iter()
            .map(|r| {
                let p = self.pocket.probabilities(r);
                std::array::from_fn(|k| p.get(k).copied().unwrap_or(0.0))
            })
            .collect();
        (binding, pocket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_linearly_separable_set() {
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![i as f32 / 10.0 - 2.0, ((i * 7) % 5) as f32])
            .collect();
        let y: Vec<usize> = rows.iter().map(|r| usize::from(r[0] > 0.0)).collect();
        let x: Vec<&[f32]> = rows.iter().map(|r| r.as_slice()).collect();
        let m = Logistic::fit(&x, &y, 2, &[1.0, 1.0], &LogisticConfig::default());
        let correct = x
            .iter()
            .zip(&y)
            .filter(|(r, c)| usize::from(m.probabilities(r)[1] > 0.5) == **c)
            .count();
        assert!(correct >= 38, "{correct}/40");
    }
}
