//! burn's `Lstm` forward with fused gates: the same parameters and the same result, far fewer ops.
//!
//! burn evaluates every time step as eight small matmuls (input and hidden transform of each of the
//! four gates) plus a `slice_assign` into the output, which under autodiff copies the whole output
//! buffer per step. Here the input transforms of all gates and all time steps are one matmul, each
//! step is one `[batch, H] × [H, 4H]` matmul, and the steps are stacked once at the end. The module
//! (and so every checkpoint) is burn's own; only the evaluation order differs. On burn-flex the
//! input transform and the recurrence are one operation with a hand-written backward
//! ([`super::lstm_op`]).

use burn::nn::Linear;
use burn::nn::activation::Activation;
use burn::nn::lstm::Lstm;
use burn::prelude::*;
use burn::tensor::{TensorData, activation};

use super::lstm_op::lstm_layer;

/// `lstm.forward(x, None).0` for a batch-first `x` of `[batch, seq, d_input]`, as `[batch, seq, H]`.
/// Configurations this does not cover (coupled input/forget gate, cell clipping, reverse or
/// sequence-first layout) fall back to burn's own loop.
pub fn lstm_forward(lstm: &Lstm, x: Tensor<3>) -> Tensor<3> {
    let Some(w) = fused_weights(lstm, &x.device()) else {
        return lstm.forward(x, None).0;
    };
    if let Some(out) = lstm_layer(&x, &w.input, &w.bias, &w.hidden, &[]) {
        return out;
    }
    let [batch, seq, _] = x.dims();
    tensor_op_recurrence(w.project(x), w.hidden, [batch, seq, lstm.d_hidden])
}

/// [`lstm_forward`] with the recurrence in tensor ops even on burn-flex: the path GPU backends
/// take, kept testable on the CPU.
pub fn lstm_forward_tensor_ops(lstm: &Lstm, x: Tensor<3>) -> Tensor<3> {
    let Some(w) = fused_weights(lstm, &x.device()) else {
        return lstm.forward(x, None).0;
    };
    let [batch, seq, _] = x.dims();
    tensor_op_recurrence(w.project(x), w.hidden, [batch, seq, lstm.d_hidden])
}

/// The LSTM run over each sequence of a right-padded batch backwards within its own length
/// (`lengths[b]` real residues; padding runs after them, in order), outputs at the original
/// positions: `flip(lstm_forward(flip(x)))` without the two gathers. `None` where the CPU kernel
/// does not apply; the caller then flips with tensor ops.
pub fn lstm_forward_reversed(lstm: &Lstm, x: &Tensor<3>, lengths: &[usize]) -> Option<Tensor<3>> {
    let [batch, seq, _] = x.dims();
    let lengths: Vec<usize> = (0..batch)
        .map(|b| lengths.get(b).copied().unwrap_or(seq).min(seq))
        .collect();
    let w = fused_weights(lstm, &x.device())?;
    lstm_layer(x, &w.input, &w.bias, &w.hidden, &lengths)
}

/// The four gates' transforms side by side, gate order i, f, o, g.
struct FusedWeights {
    /// `[D, 4H]`
    input: Tensor<2>,
    /// `[4H]`, both biases of each gate.
    bias: Tensor<1>,
    /// `[H, 4H]`
    hidden: Tensor<2>,
}

impl FusedWeights {
    /// The input transform of all gates and steps, `[B, T, 4H]` with both biases.
    fn project(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, seq, d_input] = x.dims();
        let gates = self.bias.dims()[0];
        (x.reshape([batch * seq, d_input]).matmul(self.input.clone())
            + self.bias.clone().unsqueeze_dim(0))
        .reshape([batch, seq, gates])
    }
}

/// `None` for configurations this does not cover.
fn fused_weights(lstm: &Lstm, device: &Device) -> Option<FusedWeights> {
    let forget_gate = lstm.forget_gate.as_ref()?;
    let standard = matches!(lstm.gate_activation, Activation::Sigmoid(_))
        && matches!(lstm.cell_activation, Activation::Tanh(_))
        && matches!(lstm.hidden_activation, Activation::Tanh(_));
    if !standard || lstm.clip.is_some() || lstm.reverse || !lstm.batch_first {
        return None;
    }
    let h = lstm.d_hidden;
    let gates = [
        &lstm.input_gate,
        forget_gate,
        &lstm.output_gate,
        &lstm.cell_gate,
    ];
    let input = Tensor::cat(
        gates
            .iter()
            .map(|g| g.input_transform.weight.val())
            .collect(),
        1,
    );
    let hidden = Tensor::cat(
        gates
            .iter()
            .map(|g| g.hidden_transform.weight.val())
            .collect(),
        1,
    );
    let bias = Tensor::cat(
        gates
            .iter()
            .map(|g| {
                let both = [&g.input_transform, &g.hidden_transform];
                both.iter()
                    .filter_map(|l| linear_bias(l))
                    .reduce(|a, b| a + b)
                    .unwrap_or_else(|| Tensor::zeros([h], device))
            })
            .collect(),
        0,
    );
    Some(FusedWeights {
        input,
        bias,
        hidden,
    })
}

/// The recurrence in tensor ops, for backends without the fused kernel (wgpu).
fn tensor_op_recurrence(
    projected: Tensor<3>,
    w_hidden: Tensor<2>,
    [batch, seq, h]: [usize; 3],
) -> Tensor<3> {
    // The candidate block is scaled by 2 for tanh(x) = 2 sigmoid(2x) - 1 below.
    let device = projected.device();
    let mut factors = vec![1.0f32; 4 * h];
    factors[3 * h..].fill(2.0);
    let factors: Tensor<1> = Tensor::from_data(TensorData::new(factors, [4 * h]), &device);
    let projected = projected * factors.clone().unsqueeze_dim::<2>(0).unsqueeze_dim::<3>(0);
    let w_hidden = w_hidden * factors.unsqueeze_dim::<2>(0);

    let mut hidden: Option<Tensor<2>> = None;
    let mut cell: Option<Tensor<2>> = None;
    let mut outputs = Vec::with_capacity(seq);
    for t in 0..seq {
        let step = projected.clone().narrow(1, t, 1).reshape([batch, 4 * h]);
        // The initial state is zero, so the first step has no hidden contribution.
        let pre = match &hidden {
            Some(prev) => step + prev.clone().matmul(w_hidden.clone()),
            None => step,
        };
        // One sigmoid over all four gates: the candidate columns hold 2x, and
        // tanh(x) = 2 sigmoid(2x) - 1 (libm's scalar tanhf cost 4x a sigmoid here).
        let sig = activation::sigmoid(pre);
        let input = sig.clone().narrow(1, 0, h);
        let forget = sig.clone().narrow(1, h, h);
        let output = sig.clone().narrow(1, 2 * h, h);
        let candidate = tanh_from_sigmoid_of_double(sig.narrow(1, 3 * h, h));
        let new_cell = match cell {
            Some(c) => forget * c + input * candidate,
            None => input * candidate,
        };
        let new_hidden = output * tanh(new_cell.clone());
        outputs.push(new_hidden.clone());
        hidden = Some(new_hidden);
        cell = Some(new_cell);
    }
    Tensor::stack(outputs, 1)
}

/// `2 s − 1` where `s = sigmoid(2x)`: that is `tanh(x)`.
fn tanh_from_sigmoid_of_double(s: Tensor<2>) -> Tensor<2> {
    s.mul_scalar(2.0).sub_scalar(1.0)
}

fn tanh(x: Tensor<2>) -> Tensor<2> {
    tanh_from_sigmoid_of_double(activation::sigmoid(x.mul_scalar(2.0)))
}

fn linear_bias(l: &Linear) -> Option<Tensor<1>> {
    l.bias.as_ref().map(|b| b.val())
}
