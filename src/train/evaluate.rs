//! Evaluation of the tagger against three baselines in one table: the consensus rule, the ELM
//! NES regex and a per-residue logistic regression on the same features (decoded by the same
//! register decoder). Rows are grouped by label source and, for AlphaFold rows, by peptide pLDDT.
//!
//! What is measured, per group and method:
//! - exact register: peptides whose labels fill at least two pockets, counted right when the
//!   method puts the labelled residue in every labelled pocket (pockets the labels leave empty are
//!   not judged: a groove excerpt or a model may not fill all five);
//! - pocket accuracy: of the residues labelled in a pocket, the share the method's register puts
//!   in that pocket;
//! - binding: a residue is called binding when it is in the method's register; precision, recall,
//!   F1 and MCC over the residues whose binding label is known; PR-AUC from the method's
//!   per-residue score (the binding head for the model and the logistic baseline, 0/1 for rules);
//! - recall@k of mutation positions: of the residues whose mutation impaired export, the share
//!   among the method's top k residues (k = [`MUTATION_K`]; rules name only their register).

use std::path::Path;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::baselines::{consensus_register, elm_register};
use super::batch::{ClassWeights, Sample};
use super::checkpoint::Checkpoint;
use super::dataset::{Dataset, Example, LabelSource, Split};
use super::logistic::ResidueLogistic;
use super::metrics::{Confusion, Curve, pr_auc, pr_curve, roc_curve};
use super::model::BiLstmTagger;
use super::predict::{LinearBlend, PeptideOutput, run_ensemble};
use super::register::{Register, RegisterBounds, decode, pocket_residues};
use super::trainer::EpochReport;

pub const MODEL: &str = "model";
pub const LOGISTIC: &str = "logistic";
/// The model's BiLSTM without its blended per-residue regression (shown when it has one).
pub const BILSTM: &str = "bilstm";
pub const CONSENSUS: &str = "consensus";
pub const ELM: &str = "elm";

/// Residues a method names per peptide for recall@k of mutation positions: one per pocket.
pub const MUTATION_K: usize = 5;

/// One method's answer for one peptide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodOutput {
    /// Per-residue binding score in [0, 1].
    pub binding: Vec<f32>,
    pub register: Option<Register>,
}

impl MethodOutput {
    /// A rule's output: its register residues score 1, the rest 0.
    pub fn from_rule(len: usize, register: Option<Register>) -> Self {
        let classes = register.as_ref().map(|r| r.classes(len));
        let binding = (0..len)
            .map(|i| {
                classes
                    .as_ref()
                    .map_or(0.0, |c| f32::from(u8::from(c[i] > 0)))
            })
            .collect();
        Self { binding, register }
    }

    /// Pocket class per residue from the register (0 = none).
    pub fn classes(&self, len: usize) -> Vec<usize> {
        self.register
            .as_ref()
            .map_or_else(|| vec![0; len], |r| r.classes(len))
    }

    /// The residues a method names for recall@k: only the register when the scores are 0/1;
    /// when they are graded, the top `k` by score, or with `register_first` the decoded register's
    /// residues (what `predict` and `scan` suggest to mutate) topped up to `k` by score.
    fn top(&self, k: usize, graded: bool, register_first: bool) -> Vec<usize> {
        if !graded {
            return (0..self.binding.len())
                .filter(|i| self.binding[*i] > 0.5)
                .collect();
        }
        let mut named: Vec<usize> = Vec::with_capacity(k);
        if register_first && let Some(r) = &self.register {
            named.extend(
                r.positions
                    .iter()
                    .flatten()
                    .filter(|&&p| p < self.binding.len()),
            );
        }
        let mut order: Vec<usize> = (0..self.binding.len()).collect();
        order.sort_by(|a, b| self.binding[*b].total_cmp(&self.binding[*a]));
        for i in order {
            if named.len() >= k {
                break;
            }
            if !named.contains(&i) {
                named.push(i);
            }
        }
        named
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub hits: usize,
    pub total: usize,
}

impl Ratio {
    pub fn value(&self) -> Option<f64> {
        (self.total > 0).then(|| self.hits as f64 / self.total as f64)
    }

    fn add(&mut self, hit: bool) {
        self.total += 1;
        self.hits += usize::from(hit);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodMetrics {
    pub method: String,
    pub exact_register: Ratio,
    pub pocket_accuracy: Ratio,
    pub binding: Confusion,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub mcc: f64,
    pub pr_auc: Option<f64>,
    pub mutation_recall: Ratio,
    /// recall@k of the top k residues by binding score alone, ignoring the register (the same as
    /// `mutation_recall` for rules).
    #[serde(default)]
    pub mutation_recall_by_score: Ratio,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    pub group: String,
    pub peptides: usize,
    pub methods: Vec<MethodMetrics>,
}

impl GroupReport {
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
    /// How the rows were held out, e.g. "test split" or "5-fold protein-grouped cross-validation".
    pub protocol: String,
    pub groups: Vec<GroupReport>,
    pub curves: Vec<CurveSet>,
    pub loss: LossCurves,
    /// Plain statements of whether the model beats the consensus rule, per group and metric.
    pub verdicts: Vec<String>,
    pub notes: Vec<String>,
    /// Every scored peptide with each method's register (written as `predictions.tsv`).
    #[serde(default)]
    pub rows: Vec<PeptideRow>,
}

/// One peptide of an evaluation: its labels and what each method made of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeptideRow {
    pub id: String,
    pub protein: String,
    pub source: String,
    pub plddt: Option<f32>,
    pub sequence: String,
    /// The labelled pockets, "Φ1 L4, Φ2 L8, …" (empty without pocket labels).
    pub labelled: String,
    /// Residues whose mutation impaired export, "L12, I15" (1-based).
    #[serde(default)]
    pub mutations: String,
    pub methods: Vec<PeptideMethod>,
}

/// What one method made of one peptide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeptideMethod {
    pub method: String,
    /// "Φ1 L4, … (forward), p = …" or "none".
    pub register: String,
    /// Every labelled pocket holds its residue (None where the row has no register to score).
    pub exact: Option<bool>,
    /// Mutation positions among the residues it names (the recall@k of the table).
    pub mutations_named: Option<(usize, usize)>,
}

impl PeptideRow {
    fn new(e: &Example, methods: &[(&'static str, bool, Vec<MethodOutput>)], i: usize) -> Self {
        let residues: Vec<char> = e.sequence.chars().collect();
        let labelled = labelled_register(e);
        let scored = labelled.iter().flatten().count() >= 2 && e.source != LabelSource::Mutation;
        Self {
            id: e.id.clone(),
            protein: e.protein.clone(),
            source: e.source.as_str().to_string(),
            plddt: e.plddt,
            sequence: e.sequence.clone(),
            labelled: pocket_residues(&labelled, &e.sequence),
            mutations: e
                .mutations
                .iter()
                .map(|&m| format!("{}{}", residues.get(m).copied().unwrap_or('?'), m + 1))
                .collect::<Vec<_>>()
                .join(", "),
            methods: methods
                .iter()
                .map(|(name, graded, outs)| {
                    let register = outs[i].register.as_ref();
                    let named = outs[i].top(MUTATION_K, *graded, true);
                    PeptideMethod {
                        method: name.to_string(),
                        register: register
                            .map_or_else(|| "none".to_string(), |r| r.describe(&e.sequence)),
                        exact: scored.then(|| exact_right(&labelled, register)),
                        mutations_named: (!e.mutations.is_empty()).then(|| {
                            let hits = e.mutations.iter().filter(|m| named.contains(m)).count();
                            (hits, e.mutations.len())
                        }),
                    }
                })
                .collect(),
        }
    }
}

/// Every labelled pocket holds the labelled residue in `register`.
fn exact_right(labelled: &[Option<usize>; 5], register: Option<&Register>) -> bool {
    labelled
        .iter()
        .enumerate()
        .all(|(k, p)| p.is_none_or(|i| register.is_some_and(|r| r.positions[k] == Some(i))))
}

/// `predictions.tsv`: one line per peptide, each method's register and whether it is exact.
pub fn predictions_tsv(rows: &[PeptideRow]) -> String {
    let mut out = String::from("id\tsource\tprotein\tplddt\tsequence\tlabelled\tmutations");
    if let Some(first) = rows.first() {
        for m in &first.methods {
            let name = &m.method;
            out.push_str(&format!("\t{name}\t{name}_exact\t{name}_mutations_named"));
        }
    }
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            r.source,
            r.protein,
            r.plddt.map_or(String::new(), |p| format!("{p:.1}")),
            r.sequence,
            r.labelled,
            r.mutations
        ));
        for m in &r.methods {
            let exact = match m.exact {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            };
            let named = m
                .mutations_named
                .map_or(String::new(), |(hits, of)| format!("{hits}/{of}"));
            out.push_str(&format!("\t{}\t{exact}\t{named}", m.register));
        }
        out.push('\n');
    }
    out
}

/// The rows of each reported group: by source, AlphaFold rows also by pLDDT band.
fn group_members(examples: &[&Example]) -> Vec<(String, Vec<usize>)> {
    let pick = |f: &dyn Fn(&Example) -> bool| -> Vec<usize> {
        (0..examples.len()).filter(|&i| f(examples[i])).collect()
    };
    let af = |lo: f32, hi: f32| {
        move |e: &Example| {
            e.source == LabelSource::Alphafold
                && !e.crop
                && !e.mirrored
                && e.plddt.is_some_and(|p| p >= lo && p < hi)
        }
    };
    let mut out = vec![
        (
            "crystal".to_string(),
            pick(&|e| e.source == LabelSource::Crystal),
        ),
        (
            "alphafold pLDDT ≥ 70".into(),
            pick(&af(70.0, f32::INFINITY)),
        ),
        (
            "alphafold pLDDT ≥ 50".into(),
            pick(&af(50.0, f32::INFINITY)),
        ),
        (
            "alphafold pLDDT < 50".into(),
            pick(&af(f32::NEG_INFINITY, 50.0)),
        ),
        (
            "alphafold cut to the NES, pLDDT ≥ 50".into(),
            pick(&|e| e.crop && !e.mirrored && e.plddt.is_some_and(|p| p >= 50.0)),
        ),
        (
            "mirrored copies (synthetic reverse), pLDDT ≥ 50".into(),
            pick(&|e| e.mirrored && e.plddt.is_some_and(|p| p >= 50.0)),
        ),
        (
            "mutation".into(),
            pick(&|e| e.source == LabelSource::Mutation),
        ),
        (
            "pattern".into(),
            pick(&|e| e.source == LabelSource::Pattern),
        ),
    ];
    out.retain(|(_, m)| !m.is_empty());
    out
}

/// Labelled pocket positions of a row (`None` per pocket the labels leave empty).
fn labelled_register(e: &Example) -> [Option<usize>; 5] {
    let mut out = [None; 5];
    for (i, p) in e.pocket.iter().enumerate() {
        if let Some(k) = p
            && (*k as usize) < 5
        {
            out[*k as usize] = Some(i);
        }
    }
    out
}

/// Whether residue `i`'s binding label is known: mutation rows know only their positives, every
/// other row knows every residue.
fn binding_known(e: &Example, i: usize) -> bool {
    e.source != LabelSource::Mutation || e.binding_weight[i] > 0.0
}

fn method_metrics(name: &str, rows: &[(&Example, &MethodOutput)], graded: bool) -> MethodMetrics {
    let mut exact = Ratio::default();
    let mut pocket = Ratio::default();
    let mut mutation = Ratio::default();
    let mut mutation_by_score = Ratio::default();
    let (mut predicted, mut truth, mut scores) = (Vec::new(), Vec::new(), Vec::new());
    for (e, out) in rows {
        let n = e.len();
        let classes = out.classes(n);
        let labelled = labelled_register(e);
        if labelled.iter().flatten().count() >= 2 && e.source != LabelSource::Mutation {
            exact.add(exact_right(&labelled, out.register.as_ref()));
        }
        for (k, p) in labelled.iter().enumerate() {
            if let Some(i) = p {
                pocket.add(classes[*i] == k + 1);
            }
        }
        for (i, class) in classes.iter().enumerate() {
            if binding_known(e, i) {
                predicted.push(*class > 0);
                truth.push(e.binding[i]);
                scores.push(out.binding.get(i).copied().unwrap_or(0.0));
            }
        }
        if !e.mutations.is_empty() {
            let named = out.top(MUTATION_K, graded, true);
            let by_score = out.top(MUTATION_K, graded, false);
            for m in &e.mutations {
                mutation.add(named.contains(m));
                mutation_by_score.add(by_score.contains(m));
            }
        }
    }
    let c = Confusion::from_predictions(&predicted, &truth);
    MethodMetrics {
        method: name.to_string(),
        exact_register: exact,
        pocket_accuracy: pocket,
        binding: c,
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        mcc: c.mcc(),
        pr_auc: pr_auc(&scores, &truth),
        mutation_recall: mutation,
        mutation_recall_by_score: mutation_by_score,
    }
}

/// Every method's output for the same examples, in the same order.
pub struct MethodOutputs<'a> {
    pub examples: Vec<&'a Example>,
    /// (method name, graded scores?, one output per example).
    pub methods: Vec<(&'static str, bool, Vec<MethodOutput>)>,
}

/// The table: every group, every method.
pub fn score_groups(outputs: &MethodOutputs) -> (Vec<GroupReport>, Vec<CurveSet>) {
    let mut groups = Vec::new();
    let mut curves = Vec::new();
    for (group, members) in group_members(&outputs.examples) {
        let mut report = GroupReport {
            group: group.clone(),
            peptides: members.len(),
            methods: Vec::new(),
        };
        for (name, graded, outs) in &outputs.methods {
            let rows: Vec<(&Example, &MethodOutput)> = members
                .iter()
                .map(|&i| (outputs.examples[i], &outs[i]))
                .collect();
            report.methods.push(method_metrics(name, &rows, *graded));
            if *graded {
                let (scores, truth): (Vec<f32>, Vec<bool>) = rows
                    .iter()
                    .flat_map(|(e, o)| {
                        (0..e.len())
                            .filter(|&i| binding_known(e, i))
                            .map(|i| (o.binding[i], e.binding[i]))
                            .collect::<Vec<_>>()
                    })
                    .unzip();
                curves.push(CurveSet {
                    group: group.clone(),
                    method: name.to_string(),
                    roc: roc_curve(&scores, &truth),
                    pr: pr_curve(&scores, &truth),
                });
            }
        }
        groups.push(report);
    }
    (groups, curves)
}

/// The consensus rule and the ELM regex on every example.
pub fn rule_outputs(examples: &[&Example]) -> Vec<(&'static str, bool, Vec<MethodOutput>)> {
    let run = |rule: fn(&str) -> Option<Register>| -> Vec<MethodOutput> {
        examples
            .iter()
            .map(|e| MethodOutput::from_rule(e.len(), rule(&e.sequence)))
            .collect()
    };
    vec![
        (CONSENSUS, false, run(consensus_register)),
        (ELM, false, run(elm_register)),
    ]
}

/// The tagger's binding head and decoded register on every example.
pub fn model_outputs(
    members: &[BiLstmTagger],
    blend: Option<&LinearBlend>,
    examples: &[&Example],
    dim: usize,
    bounds: &RegisterBounds,
    device: &Device,
) -> Result<Vec<MethodOutput>, TrainError> {
    Ok(model_and_bilstm_outputs(members, blend, examples, dim, bounds, device)?.0)
}

fn decoded(outputs: Vec<PeptideOutput>, bounds: &RegisterBounds) -> Vec<MethodOutput> {
    outputs
        .into_iter()
        .map(|o| MethodOutput {
            register: decode(&o.pocket, bounds).best,
            binding: o.binding,
        })
        .collect()
}

/// [`model_outputs`] and, when the model has a blend, its BiLSTM's alone (the `bilstm` row):
/// the members run once and the blend is applied to a copy of their output.
pub fn model_and_bilstm_outputs(
    members: &[BiLstmTagger],
    blend: Option<&LinearBlend>,
    examples: &[&Example],
    dim: usize,
    bounds: &RegisterBounds,
    device: &Device,
) -> Result<(Vec<MethodOutput>, Option<Vec<MethodOutput>>), TrainError> {
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let samples: Vec<Sample> = examples
        .iter()
        .zip(&pockets)
        .map(|(e, p)| e.sample(p))
        .collect();
    let alone = run_ensemble(members, None, &samples, dim, 32, device)?;
    let Some(blend) = blend else {
        return Ok((decoded(alone, bounds), None));
    };
    let mut blended = alone.clone();
    for (o, s) in blended.iter_mut().zip(&samples) {
        blend.apply(o, s.features);
    }
    Ok((decoded(blended, bounds), Some(decoded(alone, bounds))))
}

/// [`evaluate`] with everything taken from a checkpoint.
pub fn evaluate_checkpoint(
    dataset: &Dataset,
    checkpoint: &Checkpoint,
    device: &Device,
) -> Result<EvaluationReport, TrainError> {
    let info = &checkpoint.info;
    evaluate(
        dataset,
        &checkpoint.members,
        info.blend.as_ref(),
        &info.class_weights,
        &info.history,
        &info.register,
        device,
    )
}

/// Per-residue logistic regressions on the same features, fitted on the residues whose labels
/// are known; their pocket probabilities go through the same decoder as the model's.
pub struct LogisticBaseline(ResidueLogistic);

impl LogisticBaseline {
    pub fn fit(train: &[&Example], weights: &ClassWeights) -> Option<Self> {
        let pockets: Vec<Vec<usize>> = train.iter().map(|e| e.pocket_classes()).collect();
        let samples: Vec<Sample> = train
            .iter()
            .zip(&pockets)
            .map(|(e, p)| e.sample(p))
            .collect();
        ResidueLogistic::fit(&samples, weights).map(Self)
    }

    pub fn outputs(&self, examples: &[&Example], bounds: &RegisterBounds) -> Vec<MethodOutput> {
        examples
            .iter()
            .map(|e| {
                let (binding, pocket) = self.0.outputs(&e.features);
                MethodOutput {
                    binding,
                    register: decode(&pocket, bounds).best,
                }
            })
            .collect()
    }
}

/// Evaluates a trained model on the test split of `dataset` beside the baselines (logistic fitted
/// on the training split); both decode with `bounds`, the model's register preferences.
pub fn evaluate(
    dataset: &Dataset,
    members: &[BiLstmTagger],
    blend: Option<&LinearBlend>,
    class_weights: &ClassWeights,
    history: &[EpochReport],
    bounds: &RegisterBounds,
    device: &Device,
) -> Result<EvaluationReport, TrainError> {
    let device = device.clone().without_autodiff();
    let bounds = *bounds;
    let test = dataset.split(Split::Test);
    let train = dataset.split(Split::Train);
    let (model, alone) =
        model_and_bilstm_outputs(members, blend, &test, dataset.dim(), &bounds, &device)?;
    let mut methods = vec![(MODEL, true, model)];
    if let Some(alone) = alone {
        methods.push((BILSTM, true, alone));
    }
    let mut notes = Vec::new();
    match LogisticBaseline::fit(&train, class_weights) {
        Some(l) => methods.push((LOGISTIC, true, l.outputs(&test, &bounds))),
        None => notes.push("no training split: the logistic baseline was not fitted".to_string()),
    }
    methods.extend(rule_outputs(&test));
    let outputs = MethodOutputs {
        examples: test,
        methods,
    };
    Ok(report(
        "test split (groups held out when the data set was built)".into(),
        &outputs,
        LossCurves::from_history(history),
        notes,
    ))
}

/// Assembles the report of a set of outputs: table, curves, verdicts, standing notes.
pub fn report(
    protocol: String,
    outputs: &MethodOutputs,
    loss: LossCurves,
    mut notes: Vec<String>,
) -> EvaluationReport {
    let (groups, curves) = score_groups(outputs);
    notes.push(format!(
        "exact register: rows whose labels fill ≥ 2 pockets, right when every labelled pocket holds \
         the labelled residue; binding: in the register or not; recall@{MUTATION_K}: mutation \
         positions among the residues a method names: the rules their register, the model and the \
         logistic baseline their decoded register topped up to {MUTATION_K} by binding probability \
         (what `predict` and `scan` suggest to mutate)"
    ));
    for g in &groups {
        let by_score: Vec<String> = g
            .methods
            .iter()
            .filter(|m| m.mutation_recall_by_score != m.mutation_recall)
            .map(|m| format!("{} {}", m.method, fmt_ratio(&m.mutation_recall_by_score)))
            .collect();
        if !by_score.is_empty() {
            notes.push(format!(
                "{}: recall@{MUTATION_K} of the top {MUTATION_K} by binding probability alone: {}",
                g.group,
                by_score.join(", ")
            ));
        }
    }
    notes.push(
        "AlphaFold labels below pLDDT 50 are weak (weight 0 in training by default): read that band \
         as agreement with AlphaFold, not as truth."
            .into(),
    );
    let rows = outputs
        .examples
        .iter()
        .enumerate()
        .map(|(i, e)| PeptideRow::new(e, &outputs.methods, i))
        .collect();
    EvaluationReport {
        protocol,
        verdicts: verdicts(&groups),
        groups,
        curves,
        loss,
        notes,
        rows,
    }
}

fn compare(model: Option<f64>, rule: Option<f64>) -> Option<&'static str> {
    let (m, r) = (model?, rule?);
    Some(if m > r + 1e-12 {
        "beats"
    } else if (m - r).abs() <= 1e-12 {
        "ties"
    } else {
        "LOSES to"
    })
}

fn verdicts(groups: &[GroupReport]) -> Vec<String> {
    let mut out = Vec::new();
    for g in groups {
        let (Some(m), Some(r)) = (g.method(MODEL), g.method(CONSENSUS)) else {
            continue;
        };
        let metrics = [
            (
                "exact register",
                m.exact_register.value(),
                r.exact_register.value(),
                m.exact_register,
                r.exact_register,
            ),
            (
                "pocket accuracy",
                m.pocket_accuracy.value(),
                r.pocket_accuracy.value(),
                m.pocket_accuracy,
                r.pocket_accuracy,
            ),
            (
                "mutation recall@5",
                m.mutation_recall.value(),
                r.mutation_recall.value(),
                m.mutation_recall,
                r.mutation_recall,
            ),
        ];
        for (name, mv, rv, mr, rr) in metrics {
            if let Some(word) = compare(mv, rv) {
                out.push(format!(
                    "{} ({} peptides): the model {word} the consensus rule on {name} ({}/{} vs {}/{})",
                    g.group, g.peptides, mr.hits, mr.total, rr.hits, rr.total
                ));
            }
        }
    }
    out
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("–".to_string(), |x| format!("{x:.3}"))
}

fn fmt_ratio(r: &Ratio) -> String {
    match r.value() {
        Some(v) => format!("{}/{} {:.2}", r.hits, r.total, v),
        None => "–".into(),
    }
}

/// Human-readable table of a report.
pub fn summary_text(report: &EvaluationReport) -> String {
    let mut s = format!("Protocol: {}\n\n", report.protocol);
    for g in &report.groups {
        s.push_str(&format!("== {} ({} peptides) ==\n", g.group, g.peptides));
        s.push_str(&format!(
            "{:<10} {:>14} {:>14} {:>6} {:>6} {:>6} {:>6} {:>7} {:>14}\n",
            "method",
            "exact register",
            "pocket acc",
            "prec",
            "recall",
            "F1",
            "MCC",
            "PR-AUC",
            "mut. recall@5"
        ));
        for m in &g.methods {
            s.push_str(&format!(
                "{:<10} {:>14} {:>14} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>7} {:>14}\n",
                m.method,
                fmt_ratio(&m.exact_register),
                fmt_ratio(&m.pocket_accuracy),
                m.precision,
                m.recall,
                m.f1,
                m.mcc,
                fmt_opt(m.pr_auc),
                fmt_ratio(&m.mutation_recall),
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
        "protocol": report.protocol,
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
    let path = dir.join("predictions.tsv");
    std::fs::write(&path, predictions_tsv(&report.rows)).map_err(|e| io(&path, &e))?;
    let path = dir.join("summary.txt");
    std::fs::write(&path, summary_text(report)).map_err(|e| io(&path, &e))
}
