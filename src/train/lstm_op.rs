//! The LSTM recurrence as one burn operation on the CPU backend, with its own backward pass.
//!
//! [`lstm_recurrence`] takes the gate pre-activations of all steps (`[B, T, 4H]`, the input
//! transform already applied) and the hidden transform `[H, 4H]`, and returns the hidden states.
//! On burn-flex, plain or under autodiff, it runs [`super::lstm_kernel`]: autodiff records one
//! node instead of a dozen per time step, and the backward through time is hand-written. Other
//! backends (wgpu) get `None` and the caller keeps the tensor-op formulation.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use burn::prelude::*;
use burn::tensor::{DType, TensorData};

use super::lstm_kernel::{self, LstmCache, LstmDims, reverse_within_lengths};

#[backend_extension(Flex, Autodiff)]
pub trait LstmRecurrenceBackend: Backend {
    /// `projected` `[B, T, 4H]` (gates i, f, o, g), `w_hidden` `[H, 4H]` → hidden states `[B, T, H]`.
    /// A non-empty `reverse_lengths` runs each row backwards within its length.
    fn lstm_recurrence(
        projected: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        reverse_lengths: Vec<usize>,
    ) -> FloatTensor<Self>;
}

/// The fused recurrence when `projected` lives on burn-flex in f32, else `None`. With non-empty
/// `reverse_lengths`, row b runs from position `reverse_lengths[b] − 1` down to 0 (then through its
/// padding), and outputs stay at their positions.
pub fn lstm_recurrence(
    projected: &Tensor<3>,
    w_hidden: &Tensor<2>,
    reverse_lengths: &[usize],
) -> Option<Tensor<3>> {
    let on_flex = matches!(
        projected.device().without_autodiff().as_dispatch(),
        burn::backend::DispatchDevice::Flex(_)
    );
    if !on_flex || projected.dtype() != DType::F32 || w_hidden.dtype() != DType::F32 {
        return None;
    }
    let out = <burn::backend::Dispatch as LstmRecurrenceBackend>::lstm_recurrence(
        projected.clone().into_dispatch(),
        w_hidden.clone().into_dispatch(),
        reverse_lengths.to_vec(),
    );
    Some(Tensor::from_dispatch(out))
}

fn dims_of(projected: &FlexTensor, w_hidden: &FlexTensor) -> LstmDims {
    let p = projected.layout().shape();
    let w = w_hidden.layout().shape();
    assert!(
        p.len() == 3 && w.len() == 2 && w[1] == 4 * w[0] && p[2] == w[1],
        "lstm_recurrence: projected {:?} must be [B, T, 4H] and w_hidden {:?} [H, 4H]",
        &p[..],
        &w[..]
    );
    LstmDims {
        batch: p[0],
        seq: p[1],
        hidden: w[0],
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
    use rayon::prelude::*;
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
    let mut out = vec![0.0; starts.len() * run];
    out.par_chunks_mut(run)
        .zip(starts.par_iter())
        .with_min_len(64)
        .for_each(|(dst, &start)| dst.copy_from_slice(&storage[start..start + run]));
    Some(out)
}

fn flex(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// Runs the kernel in step order; returns the output in position order, the hidden states in
/// step order (what the backward needs), the cache and the sizes.
fn run_forward(
    projected: &FlexTensor,
    w_hidden: &FlexTensor,
    reverse_lengths: &[usize],
) -> (FlexTensor, FlexTensor, LstmCache, LstmDims) {
    let d = dims_of(projected, w_hidden);
    let shape = vec![d.batch, d.seq, d.hidden];
    if reverse_lengths.is_empty() {
        let (hidden, cache) = lstm_kernel::forward(d, &values(projected), &values(w_hidden));
        let hidden = flex(hidden, shape);
        return (hidden.clone(), hidden, cache, d);
    }
    let steps = reverse_within_lengths(d, reverse_lengths, &values(projected), 4 * d.hidden);
    let (hidden, cache) = lstm_kernel::forward(d, &steps, &values(w_hidden));
    let out = reverse_within_lengths(d, reverse_lengths, &hidden, d.hidden);
    (flex(out, shape.clone()), flex(hidden, shape), cache, d)
}

impl LstmRecurrenceBackend for Flex {
    fn lstm_recurrence(
        projected: FlexTensor,
        w_hidden: FlexTensor,
        reverse_lengths: Vec<usize>,
    ) -> FlexTensor {
        run_forward(&projected, &w_hidden, &reverse_lengths).0
    }
}

/// Saved for the backward pass: the hidden transform, the hidden states and the kernel's cache.
#[derive(Clone)]
struct RecurrenceState {
    dims: LstmDims,
    reverse_lengths: Vec<usize>,
    w_hidden: FlexTensor,
    /// In step order.
    hidden: FlexTensor,
    cache: std::sync::Arc<LstmCache>,
}

impl std::fmt::Debug for RecurrenceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecurrenceState({:?})", self.dims)
    }
}

#[derive(Debug)]
struct RecurrenceBackward;

impl Backward<Flex, 2> for RecurrenceBackward {
    type State = RecurrenceState;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let s = ops.state;
        let d = s.dims;
        let d_hidden = grads.consume::<Flex>(&ops.node);
        let reversed = !s.reverse_lengths.is_empty();
        let d_hidden = if reversed {
            std::borrow::Cow::Owned(reverse_within_lengths(
                d,
                &s.reverse_lengths,
                &values(&d_hidden),
                d.hidden,
            ))
        } else {
            values(&d_hidden)
        };
        let (d_projected, d_w) = lstm_kernel::backward(
            d,
            &values(&s.w_hidden),
            &values(&s.hidden),
            &s.cache,
            &d_hidden,
        );
        let d_projected = if reversed {
            reverse_within_lengths(d, &s.reverse_lengths, &d_projected, 4 * d.hidden)
        } else {
            d_projected
        };
        let [projected_parent, w_parent] = ops.parents;
        if let Some(node) = projected_parent {
            grads.register::<Flex>(
                node.id,
                flex(d_projected, vec![d.batch, d.seq, 4 * d.hidden]),
            );
        }
        if let Some(node) = w_parent {
            grads.register::<Flex>(node.id, flex(d_w, vec![d.hidden, 4 * d.hidden]));
        }
    }
}

impl<C: CheckpointStrategy> LstmRecurrenceBackend for Autodiff<Flex, C> {
    fn lstm_recurrence(
        projected: FloatTensor<Self>,
        w_hidden: FloatTensor<Self>,
        reverse_lengths: Vec<usize>,
    ) -> FloatTensor<Self> {
        let prep = RecurrenceBackward
            .prepare::<C>([projected.node(), w_hidden.node()])
            .compute_bound()
            .stateful();
        let projected = projected.into_primitive();
        let w_hidden = w_hidden.into_primitive();
        match prep {
            OpsKind::Tracked(prep) => {
                let (out, hidden, cache, dims) =
                    run_forward(&projected, &w_hidden, &reverse_lengths);
                let state = RecurrenceState {
                    dims,
                    reverse_lengths,
                    w_hidden,
                    hidden,
                    cache: std::sync::Arc::new(cache),
                };
                prep.finish(state, out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(run_forward(&projected, &w_hidden, &reverse_lengths).0)
            }
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
