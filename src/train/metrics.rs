//! Evaluation metrics as pure functions over plain vectors.

use serde::{Deserialize, Serialize};

/// Number of pocket classes: 0 = no pocket, 1..=5 = Φ0..Φ4.
pub const POCKET_CLASSES: usize = 6;

pub fn pocket_class_name(class: usize) -> &'static str {
    ["none", "Φ0", "Φ1", "Φ2", "Φ3", "Φ4"]
        .get(class)
        .copied()
        .unwrap_or("?")
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    pub fn_: usize,
}

impl Confusion {
    pub fn from_predictions(predicted: &[bool], truth: &[bool]) -> Self {
        let mut c = Confusion::default();
        for (&p, &t) in predicted.iter().zip(truth) {
            match (p, t) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.fn_ += 1,
            }
        }
        c
    }

    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Matthews correlation coefficient; 0 when any marginal is empty (the usual convention).
    pub fn mcc(&self) -> f64 {
        let (tp, fp, tn, fn_) = (
            self.tp as f64,
            self.fp as f64,
            self.tn as f64,
            self.fn_ as f64,
        );
        let denom = ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
        if denom == 0.0 {
            0.0
        } else {
            (tp * tn - fp * fn_) / denom
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Area under the ROC curve (Mann–Whitney U, ties counted half). `None` without both classes.
pub fn roc_auc(scores: &[f32], truth: &[bool]) -> Option<f64> {
    let n_pos = truth.iter().filter(|&&t| t).count();
    let n_neg = truth.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let ranks = average_ranks(scores);
    let pos_rank_sum: f64 = ranks
        .iter()
        .zip(truth)
        .filter(|(_, t)| **t)
        .map(|(r, _)| *r)
        .sum();
    let u = pos_rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// 1-based ranks, ties get the mean of their ranks.
fn average_ranks(scores: &[f32]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            ranks[order[k]] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// Points of a curve, thresholds descending; tied scores form one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// Cumulative (tp, fp) after each distinct threshold, highest score first.
fn threshold_steps(scores: &[f32], truth: &[bool]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut steps = Vec::new();
    let (mut tp, mut fp) = (0, 0);
    for (i, &idx) in order.iter().enumerate() {
        if truth[idx] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_tie = i + 1 == order.len() || scores[order[i + 1]] != scores[idx];
        if last_of_tie {
            steps.push((tp, fp));
        }
    }
    steps
}

/// ROC curve: x = false-positive rate, y = true-positive rate, from (0,0) to (1,1).
pub fn roc_curve(scores: &[f32], truth: &[bool]) -> Curve {
    let n_pos = truth.iter().filter(|&&t| t).count();
    let n_neg = truth.len() - n_pos;
    let mut c = Curve {
        x: vec![0.0],
        y: vec![0.0],
    };
    for (tp, fp) in threshold_steps(scores, truth) {
        c.x.push(ratio(fp, n_neg));
        c.y.push(ratio(tp, n_pos));
    }
    c
}

/// Precision–recall curve: x = recall, y = precision, one point per distinct threshold.
pub fn pr_curve(scores: &[f32], truth: &[bool]) -> Curve {
    let n_pos = truth.iter().filter(|&&t| t).count();
    let mut c = Curve::default();
    for (tp, fp) in threshold_steps(scores, truth) {
        c.x.push(ratio(tp, n_pos));
        c.y.push(ratio(tp, tp + fp));
    }
    c
}

/// Area under the PR curve as average precision: Σ (R_k − R_{k−1}) · P_k (scikit-learn's
/// definition, no interpolation). `None` without positives.
pub fn pr_auc(scores: &[f32], truth: &[bool]) -> Option<f64> {
    let n_pos = truth.iter().filter(|&&t| t).count();
    if n_pos == 0 {
        return None;
    }
    let curve = pr_curve(scores, truth);
    let mut prev_recall = 0.0;
    let mut ap = 0.0;
    for (r, p) in curve.x.iter().zip(&curve.y) {
        ap += (r - prev_recall) * p;
        prev_recall = *r;
    }
    Some(ap)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BindingMetrics {
    pub residues: usize,
    pub positives: usize,
    pub threshold: f32,
    pub confusion: Confusion,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub mcc: f64,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
}

pub fn binding_metrics(scores: &[f32], truth: &[bool], threshold: f32) -> BindingMetrics {
    let predicted: Vec<bool> = scores.iter().map(|&s| s >= threshold).collect();
    let confusion = Confusion::from_predictions(&predicted, truth);
    BindingMetrics {
        residues: truth.len(),
        positives: truth.iter().filter(|&&t| t).count(),
        threshold,
        confusion,
        precision: confusion.precision(),
        recall: confusion.recall(),
        f1: confusion.f1(),
        mcc: confusion.mcc(),
        roc_auc: roc_auc(scores, truth),
        pr_auc: pr_auc(scores, truth),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PocketMetrics {
    /// `confusion[true][predicted]`, classes as in [`pocket_class_name`].
    pub confusion: Vec<Vec<usize>>,
    pub accuracy: f64,
    /// Recall of each class (correct / true count); `None` for classes absent from the truth.
    pub per_class_accuracy: Vec<Option<f64>>,
    /// Accuracy over residues whose true class is a pocket (Φ0..Φ4): the informative part.
    pub pocket_residue_accuracy: Option<f64>,
}

pub fn pocket_metrics(predicted: &[usize], truth: &[usize]) -> PocketMetrics {
    let mut confusion = vec![vec![0usize; POCKET_CLASSES]; POCKET_CLASSES];
    for (&p, &t) in predicted.iter().zip(truth) {
        if p < POCKET_CLASSES && t < POCKET_CLASSES {
            confusion[t][p] += 1;
        }
    }
    let total: usize = confusion.iter().flatten().sum();
    let correct: usize = (0..POCKET_CLASSES).map(|k| confusion[k][k]).sum();
    let per_class_accuracy = (0..POCKET_CLASSES)
        .map(|k| {
            let n: usize = confusion[k].iter().sum();
            (n > 0).then(|| confusion[k][k] as f64 / n as f64)
        })
        .collect();
    let pocket_total: usize = (1..POCKET_CLASSES)
        .map(|k| confusion[k].iter().sum::<usize>())
        .sum();
    let pocket_correct: usize = (1..POCKET_CLASSES).map(|k| confusion[k][k]).sum();
    PocketMetrics {
        confusion,
        accuracy: ratio(correct, total),
        per_class_accuracy,
        pocket_residue_accuracy: (pocket_total > 0)
            .then(|| pocket_correct as f64 / pocket_total as f64),
    }
}

/// Fraction of peptides whose predicted pocket class equals the true class at every residue
/// (the whole Φ register right, and nothing extra).
pub fn exact_register_accuracy(predicted: &[Vec<usize>], truth: &[Vec<usize>]) -> Option<f64> {
    if truth.is_empty() {
        return None;
    }
    let exact = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    Some(exact as f64 / truth.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn confusion_precision_recall_f1_mcc_by_hand() {
        // tp=2 fp=1 tn=3 fn=1
        let pred = [true, true, true, false, false, false, false];
        let truth = [true, true, false, true, false, false, false];
        let c = Confusion::from_predictions(&pred, &truth);
        assert_eq!((c.tp, c.fp, c.tn, c.fn_), (2, 1, 3, 1));
        assert!(close(c.precision(), 2.0 / 3.0));
        assert!(close(c.recall(), 2.0 / 3.0));
        assert!(close(c.f1(), 2.0 / 3.0));
        // (2*3 - 1*1) / sqrt(3*3*4*4) = 5/12
        assert!(close(c.mcc(), 5.0 / 12.0));
    }

    #[test]
    fn mcc_is_zero_without_predicted_positives() {
        let c = Confusion::from_predictions(&[false, false], &[true, false]);
        assert_eq!(c.mcc(), 0.0);
        assert_eq!(c.f1(), 0.0);
    }

    #[test]
    fn roc_auc_by_hand_with_a_tie() {
        // pos scores 0.9, 0.4; neg scores 0.4, 0.1. Pairs: (0.9>0.4) 1, (0.9>0.1) 1,
        // (0.4=0.4) 0.5, (0.4>0.1) 1 → 3.5/4.
        let scores = [0.9, 0.4, 0.4, 0.1];
        let truth = [true, true, false, false];
        assert!(close(roc_auc(&scores, &truth).unwrap_or(f64::NAN), 0.875));
        assert_eq!(roc_auc(&scores, &[true; 4]), None);
    }

    #[test]
    fn perfect_and_inverted_rankings() {
        let truth = [true, false, true, false];
        assert!(close(
            roc_auc(&[0.9, 0.1, 0.8, 0.2], &truth).unwrap_or(0.0),
            1.0
        ));
        assert!(close(
            roc_auc(&[0.1, 0.9, 0.2, 0.8], &truth).unwrap_or(1.0),
            0.0
        ));
        assert!(close(
            pr_auc(&[0.9, 0.1, 0.8, 0.2], &truth).unwrap_or(0.0),
            1.0
        ));
    }

    #[test]
    fn average_precision_by_hand() {
        // Ranked: P(0.9) N(0.8) P(0.7) N(0.6): AP = 0.5*1 + 0.5*(2/3) = 5/6.
        let scores = [0.9, 0.8, 0.7, 0.6];
        let truth = [true, false, true, false];
        assert!(close(pr_auc(&scores, &truth).unwrap_or(0.0), 5.0 / 6.0));
        let roc = roc_curve(&scores, &truth);
        assert_eq!(roc.x, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
        assert_eq!(roc.y, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
    }

    #[test]
    fn pocket_confusion_and_register() {
        let truth = [0, 0, 2, 3, 0, 5];
        let pred = [0, 2, 2, 3, 0, 4];
        let m = pocket_metrics(&pred, &truth);
        assert_eq!(m.confusion[0][2], 1);
        assert_eq!(m.confusion[5][4], 1);
        assert!(close(m.accuracy, 4.0 / 6.0));
        assert_eq!(m.per_class_accuracy[1], None);
        assert!(close(m.per_class_accuracy[0].unwrap_or(0.0), 2.0 / 3.0));
        assert!(close(m.pocket_residue_accuracy.unwrap_or(0.0), 2.0 / 3.0));
        let r = exact_register_accuracy(&[vec![0, 2, 3], vec![1, 0]], &[vec![0, 2, 3], vec![0, 0]]);
        assert_eq!(r, Some(0.5));
    }
}
