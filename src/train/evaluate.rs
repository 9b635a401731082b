//! Evaluation of a trained tagger against two baselines (the consensus-pattern rule alone, and a
//! per-residue logistic regression on the same embeddings), per split and per label source.

use std::path::Path;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::batch::{ClassWeights, Sample};
use super::dataset::{Dataset, Example, LabelSource, Split};
use super::logistic::{Logistic, LogisticConfig};
use super::metrics::{
    BindingMetrics, Curve, POCKET_CLASSES, PocketMetrics, binding_metrics, exact_register_accuracy,
    pocket_metrics, pr_curve, roc_curve,
};
use super::model::BiLstmTagger;
use super::patterns::best_register_in_peptide;
use super::predict::{argmax, run_model};
use super::trainer::EpochReport;

pub const BILSTM: &str = "bilstm";
pub const LOGISTIC: &str = "logistic";
pub const PATTERN_RULE: &str = "pattern_rule";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodMetrics {
    pub method: String,
    pub peptides: usize,
    pub binding: BindingMetrics,
    pub pocket: PocketMetrics,
    pub exact_register: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    pub split: Split,
    /// `None`: both sources together.
    pub source: Option<LabelSource>,
    pub methods: Vec<MethodMetrics>,
}

impl GroupReport {
    pub fn name(&self) -> String {
        format!(
            "{}/{}",
            self.split.as_str(),
            self.source.map_or("all", LabelSource::as_str)
        )
    }

    pub fn method(&self, name: &str) -> Option<&MethodMetrics> {
        self.methods.iter().find(|m| m.method == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveSet {
    pub group: String,
    pub method: String,
    pub roc: Curve,
    pub pr: Curve,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LossCurves {
    pub epoch: Vec<usize>,
    pub train: Vec<f32>,
    pub validation: Vec<Option<f32>>,
}

impl LossCurves {
    pub fn from_history(history: &[EpochReport]) -> Self {
        Self {
            epoch: history.iter().map(|r| r.epoch).collect(),
            train: history.iter().map(|r| r.train_loss).collect(),
            validation: history.iter().map(|r| r.val_loss).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    pub groups: Vec<GroupReport>,
    pub curves: Vec<CurveSet>,
    pub loss: LossCurves,
    /// Plain statements of whether the BiLSTM beats each baseline, per group.
    pub verdicts: Vec<String>,
    pub notes: Vec<String>,
}

/// Per-residue scores of one method for a list of peptides.
struct Scored {
    binding: Vec<Vec<f32>>,
    pocket: Vec<Vec<usize>>,
}

fn pattern_rule(examples: &[&Example]) -> Scored {
    let mut binding = Vec::new();
    let mut pocket = Vec::new();
    for e in examples {
        let n = e.len();
        let pockets = best_register_in_peptide(&e.sequence).map_or(vec![None; n], |m| m.pockets(n));
        binding.push(
            pockets
                .iter()
                .map(|p| f32::from(u8::from(p.is_some())))
                .collect(),
        );
        pocket.push(
            pockets
                .iter()
                .map(|p| p.map_or(0, |k| k as usize + 1))
                .collect(),
        );
    }
    Scored { binding, pocket }
}

struct LogisticBaseline {
    binding: Logistic,
    pocket: Logistic,
}

impl LogisticBaseline {
    fn fit(train: &[&Example], weights: &ClassWeights, config: &LogisticConfig) -> Option<Self> {
        let rows: Vec<&[f32]> = train
            .iter()
            .flat_map(|e| e.features.iter().map(|r| r.as_slice()))
            .collect();
        if rows.is_empty() {
            return None;
        }
        let yb: Vec<usize> = train
            .iter()
            .flat_map(|e| e.binding.iter().map(|b| usize::from(*b)))
            .collect();
        let yp: Vec<usize> = train.iter().flat_map(|e| e.pocket_classes()).collect();
        Some(Self {
            binding: Logistic::fit(&rows, &yb, 2, &[1.0, weights.binding_positive], config),
            pocket: Logistic::fit(&rows, &yp, POCKET_CLASSES, &weights.pocket, config),
        })
    }

    fn score(&self, examples: &[&Example]) -> Scored {
        Scored {
            binding: examples
                .iter()
                .map(|e| {
                    e.features
                        .iter()
                        .map(|r| self.binding.probabilities(r)[1])
                        .collect()
                })
                .collect(),
            pocket: examples
                .iter()
                .map(|e| {
                    e.features
                        .iter()
                        .map(|r| argmax(&self.pocket.probabilities(r)))
                        .collect()
                })
                .collect(),
        }
    }
}

fn samples<'a>(examples: &[&'a Example], pockets: &'a [Vec<usize>]) -> Vec<Sample<'a>> {
    examples
        .iter()
        .zip(pockets)
        .map(|(e, p)| e.sample(p))
        .collect()
}

fn method_metrics(name: &str, examples: &[&Example], scored: &Scored) -> MethodMetrics {
    let scores: Vec<f32> = scored.binding.iter().flatten().copied().collect();
    let truth: Vec<bool> = examples.iter().flat_map(|e| e.binding.clone()).collect();
    let true_pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let pred_flat: Vec<usize> = scored.pocket.iter().flatten().copied().collect();
    let true_flat: Vec<usize> = true_pockets.iter().flatten().copied().collect();
    MethodMetrics {
        method: name.to_string(),
        peptides: examples.len(),
        binding: binding_metrics(&scores, &truth, 0.5),
        pocket: pocket_metrics(&pred_flat, &true_flat),
        exact_register: exact_register_accuracy(&scored.pocket, &true_pockets),
    }
}

fn bilstm_scores(
    model: &BiLstmTagger,
    examples: &[&Example],
    dim: usize,
    device: &Device,
) -> Result<Scored, TrainError> {
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let outputs = run_model(model, &samples(examples, &pockets), dim, 32, device)?;
    Ok(Scored {
        pocket: outputs.iter().map(|o| o.pocket_argmax()).collect(),
        binding: outputs.into_iter().map(|o| o.binding).collect(),
    })
}

/// Evaluates `model` on the validation and test splits of `dataset`, with both baselines fitted on
/// the training split.
pub fn evaluate(
    dataset: &Dataset,
    model: &BiLstmTagger,
    class_weights: &ClassWeights,
    history: &[EpochReport],
    device: &Device,
) -> Result<EvaluationReport, TrainError> {
    let device = device.clone().without_autodiff();
    let train = dataset.split(Split::Train);
    let logistic = LogisticBaseline::fit(&train, class_weights, &LogisticConfig::default());
    let mut groups = Vec::new();
    let mut curves = Vec::new();
    let mut notes = Vec::new();
    for split in [Split::Validation, Split::Test] {
        for source in [
            None,
            Some(LabelSource::Structure),
            Some(LabelSource::Pattern),
        ] {
            let examples: Vec<&Example> = dataset
                .examples
                .iter()
                .filter(|e| e.split == split && source.is_none_or(|s| e.source == s))
                .collect();
            if examples.is_empty() {
                continue;
            }
            let mut group = GroupReport {
                split,
                source,
                methods: Vec::new(),
            };
            let name = group.name();
            let truth: Vec<bool> = examples.iter().flat_map(|e| e.binding.clone()).collect();
            let bilstm = bilstm_scores(model, &examples, dataset.dim(), &device)?;
            let mut scored = vec![(BILSTM, bilstm)];
            if let Some(l) = &logistic {
                scored.push((LOGISTIC, l.score(&examples)));
            }
            scored.push((PATTERN_RULE, pattern_rule(&examples)));
            for (method, s) in &scored {
                group.methods.push(method_metrics(method, &examples, s));
                if *method != PATTERN_RULE {
                    let flat: Vec<f32> = s.binding.iter().flatten().copied().collect();
                    curves.push(CurveSet {
                        group: name.clone(),
                        method: method.to_string(),
                        roc: roc_curve(&flat, &truth),
                        pr: pr_curve(&flat, &truth),
                    });
                }
            }
            groups.push(group);
        }
    }
    if logistic.is_none() {
        notes.push("no training split: the logistic baseline was not fitted".into());
    }
    notes.push(
        "On pattern-labelled rows the pattern rule reproduces the labels by construction, so its \
         scores there are an upper bound, not a competitor; compare on structure rows."
            .into(),
    );
    notes.push(
        "Pattern-rule binding scores are 0/1, so its ROC/PR AUC are those of a single threshold."
            .into(),
    );
    let verdicts = verdicts(&groups);
    Ok(EvaluationReport {
        groups,
        curves,
        loss: LossCurves::from_history(history),
        verdicts,
        notes,
    })
}

fn verdicts(groups: &[GroupReport]) -> Vec<String> {
    let mut out = Vec::new();
    for g in groups {
        let Some(b) = g.method(BILSTM) else { continue };
        for base in [LOGISTIC, PATTERN_RULE] {
            let Some(o) = g.method(base) else { continue };
            let beats_f1 = b.binding.f1 > o.binding.f1;
            let beats_mcc = b.binding.mcc > o.binding.mcc;
            let register = match (b.exact_register, o.exact_register) {
                (Some(x), Some(y)) => format!(
                    "; exact register {:.2} vs {:.2} ({})",
                    x,
                    y,
                    if x > y {
                        "better"
                    } else if x == y {
                        "equal"
                    } else {
                        "worse"
                    }
                ),
                _ => String::new(),
            };
            let verdict = match (beats_f1, beats_mcc) {
                (true, true) => "YES, the BiLSTM beats",
                (false, false) => "NO, the BiLSTM does not beat",
                _ => "MIXED: the BiLSTM only partly beats",
            };
            out.push(format!(
                "{} ({} peptides): {verdict} {base} on binding (F1 {:.3} vs {:.3}, MCC {:.3} vs {:.3}){register}",
                g.name(),
                b.peptides,
                b.binding.f1,
                o.binding.f1,
                b.binding.mcc,
                o.binding.mcc,
            ));
        }
    }
    out
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| format!("{x:.3}"))
}

/// Human-readable summary of a report.
pub fn summary_text(report: &EvaluationReport) -> String {
    let mut s = String::new();
    for g in &report.groups {
        s.push_str(&format!("== {} ==\n", g.name()));
        s.push_str(&format!(
            "{:<13} {:>4} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7} {:>9} {:>8}\n",
            "method",
            "pep",
            "prec",
            "recall",
            "F1",
            "MCC",
            "ROC",
            "PR-AUC",
            "pocket",
            "pocket Φ",
            "register"
        ));
        for m in &g.methods {
            s.push_str(&format!(
                "{:<13} {:>4} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6} {:>7} {:>7.3} {:>9} {:>8}\n",
                m.method,
                m.peptides,
                m.binding.precision,
                m.binding.recall,
                m.binding.f1,
                m.binding.mcc,
                fmt_opt(m.binding.roc_auc),
                fmt_opt(m.binding.pr_auc),
                m.pocket.accuracy,
                fmt_opt(m.pocket.pocket_residue_accuracy),
                fmt_opt(m.exact_register),
            ));
        }
        s.push('\n');
    }
    s.push_str("Verdicts:\n");
    for v in &report.verdicts {
        s.push_str(&format!("- {v}\n"));
    }
    s.push_str("Notes:\n");
    for n in &report.notes {
        s.push_str(&format!("- {n}\n"));
    }
    s
}

/// Writes `metrics.json` (groups + verdicts + notes), `curves.json` (ROC, PR, loss) and
/// `summary.txt` into `dir`.
pub fn write_report(report: &EvaluationReport, dir: &Path) -> Result<(), TrainError> {
    let io = |path: &Path, e: &dyn std::fmt::Display| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
    let metrics = serde_json::json!({
        "groups": report.groups,
        "verdicts": report.verdicts,
        "notes": report.notes,
    });
    let curves = serde_json::json!({ "curves": report.curves, "loss": report.loss });
    for (name, value) in [("metrics.json", metrics), ("curves.json", curves)] {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(&value).map_err(|e| io(&path, &e))?;
        std::fs::write(&path, text).map_err(|e| io(&path, &e))?;
    }
    let path = dir.join("summary.txt");
    std::fs::write(&path, summary_text(report)).map_err(|e| io(&path, &e))
}
