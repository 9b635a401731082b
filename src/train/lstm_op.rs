//! An LSTM layer as one burn operation on the CPU backend, with its own backward pass.
//!
//! [`lstm_layer`] takes the layer input (`[B, T, D]`), the fused input transform (`[D, 4H]` and its
//! bias `[4H]`) and the hidden transform `[H, 4H]`, and returns the hidden states. On burn-flex,
//! plain or under autodiff, the input transform is one `gemm` call and the recurrence runs
//! [`super::lstm_kernel`]: autodiff records one node instead of a dozen per time step, and the
//! backward through time and through the input transform is hand-written. (burn-flex allocates
//! each matmul output zero-filled and then copies it into an aligned buffer, two serial passes
//! on the core that runs the training step; here the products write into buffers the rayon
//! workers fill.) Other backends (wgpu) get `None` and the caller keeps tensor ops.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::prelude::*;
use burn::tensor::{DType, TensorData};
use rayon::prelude::*;

use super::lstm_kernel::{self, LstmCache, LstmDims, product, reverse_within_lengths, zeros};

#[backend_extension(Flex, Autodiff)]
pub trait LstmLayerBackend: Backend {
    /// `x` `[B, T, D]`, `w_input` `[D, 4H]`, `bias` `[4H]`, `w_hidden` `[H, 4H]` (gates i, f, o, g)
    /// → hidden states `[B, T, H]`. A non-empty `reverse_lengths` runs each row backwards within
    /// its length.
    fn lstm_layer(
        x: FloatTensor<Self>,
        w_input: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        reverse_lengths: Vec<usize>,
    ) -> FloatTensor<Self>;
}

/// The fused layer when `x` lives on burn-flex in f32, else `None`. With non-empty
/// `reverse_lengths`, row b runs from position `reverse_lengths[b] − 1` down to 0 (then through its
/// padding), and outputs stay at their positions.
pub fn lstm_layer(
    x: &Tensor<3>,
    w_input: &Tensor<2>,
    bias: &Tensor<1>,
    w_hidden: &Tensor<2>,
    reverse_lengths: &[usize],
) -> Option<Tensor<3>> {
    let on_flex = matches!(
        x.device().without_autodiff().as_dispatch(),
        burn::backend::DispatchDevice::Flex(_)
    );
    let all_f32 = [x.dtype(), w_input.dtype(), bias.dtype(), w_hidden.dtype()]
        .iter()
        .all(|t| *t == DType::F32);
    if !on_flex || !all_f32 {
        return None;
    }
    let out = <burn::backend::Dispatch as LstmLayerBackend>::lstm_layer(
        x.clone().into_dispatch(),
        w_input.clone().into_dispatch(),
        bias.clone().into_dispatch(),
        w_hidden.clone().into_dispatch(),
        reverse_lengths.to_vec(),
    );
    Some(Tensor::from_dispatch(out))
}

/// The sizes of a layer: the recurrence's and the input width.
#[derive(Clone, Copy, Debug)]
struct LayerDims {
    rec: LstmDims,
    input: usize,
}

fn dims_of(
    x: &FlexTensor,
    w_input: &FlexTensor,
    bias: &FlexTensor,
    w_hidden: &FlexTensor,
) -> LayerDims {
    let (x, wi, b, wh) = (
        x.layout().shape(),
        w_input.layout().shape(),
        bias.layout().shape(),
        w_hidden.layout().shape(),
    );
    assert!(
        x.len() == 3
            && wi.len() == 2
            && b.len() == 1
            && wh.len() == 2
            && wh[1] == 4 * wh[0]
            && wi[0] == x[2]
            && wi[1] == wh[1]
            && b[0] == wh[1],
        "lstm_layer: x {:?} must be [B, T, D], w_input {:?} [D, 4H], bias {:?} [4H], w_hidden {:?} [H, 4H]",
        &x[..],
        &wi[..],
        &b[..],
        &wh[..]
    );
    LayerDims {
        rec: LstmDims {
            batch: x[0],
            seq: x[1],
            hidden: wh[0],
        },
        input: x[2],
    }
}

/// Contiguous f32 values of a flex tensor (a copy only when it is a strided view).
fn values(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    if let Some(s) = t.as_slice::<f32>() {
        return std::borrow::Cow::Borrowed(s);
    }
    if let Some(v) = gather_rows(t) {
        return std::borrow::Cow::Owned(v);
    }
    std::borrow::Cow::Owned(
        t.to_contiguous()
            .as_slice::<f32>()
            .map(<[f32]>::to_vec)
            .unwrap_or_default(),
    )
}

/// A view made of contiguous runs (the usual case: each direction's share of the gradient of the
/// two directions' concatenated outputs, `[B, T, H]` at row stride 2H) copied run by run, split
/// over the rayon workers. burn-flex's `to_contiguous` followed by a copy out of the tensor
/// took two serial passes, on the one core the training step runs on.
fn gather_rows(t: &FlexTensor) -> Option<Vec<f32>> {
    let layout = t.layout();
    if t.dtype() != DType::F32 || !layout.has_positive_strides() {
        return None;
    }
    let blocks = layout.strided_blocks();
    let run = blocks.block_len();
    // Runs shorter than this (a transposed view) are left to burn-flex's tiled copy.
    if run < 16 {
        return None;
    }
    let storage = t.storage::<f32>();
    let starts: Vec<usize> = blocks.block_starts().collect();
    if starts.len() * run != layout.num_elements()
        || starts.iter().any(|&s| s + run > storage.len())
    {
        return None;
    }
    let mut out = zeros(starts.len() * run);
    out.par_chunks_mut(run)
        .zip(starts.par_iter())
        .with_min_len(64)
        .for_each(|(dst, &start)| dst.copy_from_slice(&storage[start..start + run]));
    Some(out)
}

fn flex(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// The input in step order: `x` itself, or each row reversed within its length.
fn steps_of(d: LayerDims, x: &FlexTensor, reverse_lengths: &[usize]) -> FlexTensor {
    if reverse_lengths.is_empty() {
        return x.clone();
    }
    let shape = vec![d.rec.batch, d.rec.seq, d.input];
    flex(
        reverse_within_lengths(d.rec, reverse_lengths, &values(x), d.input),
        shape,
    )
}

/// Runs the layer on the input in step order; returns the output in position order, the hidden
/// states in step order (what the backward needs) and the cache.
fn run_forward(
    d: LayerDims,
    x_steps: &FlexTensor,
    w_input: &FlexTensor,
    bias: &FlexTensor,
    w_hidden: &FlexTensor,
    reverse_lengths: &[usize],
) -> (FlexTensor, FlexTensor, LstmCache) {
    let rec = d.rec;
    let (rows, g4) = (rec.batch * rec.seq, 4 * rec.hidden);
    // Every row starts as the bias and the product is added onto it.
    let bias = values(bias);
    let mut projected = zeros(rows * g4);
    projected
        .par_chunks_mut(g4.max(1))
        .with_min_len(64)
        .for_each(|row| row.copy_from_slice(&bias));
    product(
        [rows, g4, d.input],
        &mut projected,
        (true, true),
        (&values(x_steps), d.input, 1),
        (&values(w_input), g4, 1),
    );
    let (hidden, cache) = lstm_kernel::forward(rec, &projected, &values(w_hidden));
    let shape = vec![rec.batch, rec.seq, rec.hidden];
    if reverse_lengths.is_empty() {
        let hidden = flex(hidden, shape);
        return (hidden.clone(), hidden, cache);
    }
    let out = reverse_within_lengths(rec, reverse_lengths, &hidden, rec.hidden);
    (flex(out, shape.clone()), flex(hidden, shape), cache)
}

impl LstmLayerBackend for Flex {
    fn lstm_layer(
        x: FlexTensor,
        w_input: FlexTensor,
        bias: FlexTensor,
        w_hidden: FlexTensor,
        reverse_lengths: Vec<usize>,
    ) -> FlexTensor {
        let d = dims_of(&x, &w_input, &bias, &w_hidden);
        let x_steps = steps_of(d, &x, &reverse_lengths);
        run_forward(d, &x_steps, &w_input, &bias, &w_hidden, &reverse_lengths).0
    }
}

/// Saved for the backward pass: the input in step order, both transforms, the hidden states and
/// the kernel's cache.
#[derive(Clone)]
struct LayerState {
    dims: LayerDims,
    reverse_lengths: Vec<usize>,
    x_steps: FlexTensor,
    w_input: FlexTensor,
    w_hidden: FlexTensor,
    /// In step order.
    hidden: FlexTensor,
    cache: std::sync::Arc<LstmCache>,
}

impl std::fmt::Debug for LayerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LayerState({:?})", self.dims)
    }
}

#[derive(Debug)]
struct LayerBackward;

/// Column sums of a row-major `[rows, n]` block, in a fixed order (fixed chunks summed in turn),
/// so a seeded training gives the same bits whatever the workers did.
fn column_sums(values: &[f32], n: usize) -> Vec<f32> {
    const ROWS: usize = 256;
    if n == 0 {
        return Vec::new();
    }
    let partial: Vec<Vec<f32>> = values
        .par_chunks(ROWS * n)
        .map(|block| {
            let mut sums = vec![0.0f32; n];
            for row in block.chunks_exact(n) {
                sums.iter_mut().zip(row).for_each(|(s, v)| *s += v);
            }
            sums
        })
        .collect();
    let mut out = vec![0.0f32; n];
    for p in &partial {
        out.iter_mut().zip(p).for_each(|(s, v)| *s += v);
    }
    out
}

impl Backward<Flex, 4> for LayerBackward {
    type State = LayerState;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let s = ops.state;
        let (d, rec) = (s.dims, s.dims.rec);
        let (rows, g4) = (rec.batch * rec.seq, 4 * rec.hidden);
        let d_out = grads.consume::<Flex>(&ops.node);
        let d_hidden = if s.reverse_lengths.is_empty() {
            values(&d_out)
        } else {
            std::borrow::Cow::Owned(reverse_within_lengths(
                rec,
                &s.reverse_lengths,
                &values(&d_out),
                rec.hidden,
            ))
        };
        // Everything below is in step order; only the input gradient goes back to positions.
        let (d_projected, d_w_hidden) = lstm_kernel::backward(
            rec,
            &values(&s.w_hidden),
            &values(&s.hidden),
            &s.cache,
            &d_hidden,
        );
        let [x_parent, w_input_parent, bias_parent, w_hidden_parent] = ops.parents;
        if let Some(node) = x_parent {
            // dX = dP · W_inᵀ.
            let mut d_x = zeros(rows * d.input);
            product(
                [rows, d.input, g4],
                &mut d_x,
                (false, true),
                (&d_projected, g4, 1),
                (&values(&s.w_input), 1, g4),
            );
            if !s.reverse_lengths.is_empty() {
                d_x = reverse_within_lengths(rec, &s.reverse_lengths, &d_x, d.input);
            }
            grads.register::<Flex>(node.id, flex(d_x, vec![rec.batch, rec.seq, d.input]));
        }
        if let Some(node) = w_input_parent {
            // dW_in = Xᵀ · dP.
            let mut d_w = zeros(d.input * g4);
            product(
                [d.input, g4, rows],
                &mut d_w,
                (false, true),
                (&values(&s.x_steps), 1, d.input),
                (&d_projected, g4, 1),
            );
            grads.register::<Flex>(node.id, flex(d_w, vec![d.input, g4]));
        }
        if let Some(node) = bias_parent {
            grads.register::<Flex>(node.id, flex(column_sums(&d_projected, g4), vec![g4]));
        }
        if let Some(node) = w_hidden_parent {
            grads.register::<Flex>(node.id, flex(d_w_hidden, vec![rec.hidden, g4]));
        }
    }
}

impl<C: CheckpointStrategy> LstmLayerBackend for Autodiff<Flex, C> {
    fn lstm_layer(
        x: FloatTensor<Self>,
        w_input: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        reverse_lengths: Vec<usize>,
    ) -> FloatTensor<Self> {
        let prep = LayerBackward
            .prepare::<C>([x.node(), w_input.node(), bias.node(), w_hidden.node()])
            .compute_bound()
            .stateful();
        let (x, w_input, bias, w_hidden) = (
            x.into_primitive(),
            w_input.into_primitive(),
            bias.into_primitive(),
            w_hidden.into_primitive(),
        );
        let d = dims_of(&x, &w_input, &bias, &w_hidden);
        let x_steps = steps_of(d, &x, &reverse_lengths);
        let (out, hidden, cache) =
            run_forward(d, &x_steps, &w_input, &bias, &w_hidden, &reverse_lengths);
        match prep {
            OpsKind::Tracked(prep) => {
                let state = LayerState {
                    dims: d,
                    reverse_lengths,
                    x_steps,
                    w_input,
                    w_hidden,
                    hidden,
                    cache: std::sync::Arc::new(cache),
                };
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_views_read_as_burn_flex_lays_them_out() {
        let (b, t, h) = (3, 5, 24);
        let data: Vec<f32> = (0..b * t * 2 * h).map(|i| i as f32 * 0.5 - 7.0).collect();
        let full = flex(data, vec![b, t, 2 * h]);
        let views = [
            full.narrow(2, 0, h),
            full.narrow(2, h, h),
            full.narrow(1, 1, 3),
            full.transpose(0, 1),
            full.transpose(1, 2),
            full.clone(),
        ];
        for (i, view) in views.iter().enumerate() {
            let want = view.to_contiguous().as_slice::<f32>().unwrap().to_vec();
            assert_eq!(values(view).as_ref(), &want[..], "view {i}");
        }
        // Each direction's half of the concatenated outputs goes through the run-by-run copy.
        assert!(gather_rows(&views[1]).is_some());
        // A transposed innermost dimension does not (burn-flex's tiled copy reads it).
        assert!(gather_rows(&views[4]).is_none());
    }
}
