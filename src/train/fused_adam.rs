//! burn's Adam in one pass per parameter on the CPU.
//!
//! Why: burn's Adam updates each parameter with about ten element-wise tensor ops, each a pass
//! over memory on one core; on a two-core machine that step took 0.22 s of a 1.2 s BiLSTM epoch
//! whatever the thread count (README, benchmarks). Here the same arithmetic, in the same order
//! and precision, runs in one pass split over the rayon workers, so the results are equal to
//! burn's (tested) and checkpoints, cross-validation and seeds mean what they did.

use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

use crate::simd::simd_variants;

/// burn's `AdamConfig::new()` defaults.
const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;
const EPSILON: f32 = 1e-5;

/// Elements per rayon task: large enough that a task outweighs its scheduling.
const CHUNK: usize = 16 * 1024;

/// Adam without weight decay or AMSGrad, as `burn::optim::AdamConfig::new()` builds it; its state
/// is burn's, so a training run could switch between the two.
#[derive(Clone, Copy, Debug, Default)]
pub struct FusedAdam;

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    // `convert` is a no-op on the f32 tensors the CPU backend trains with, after which reading the
    // values as f32 cannot fail.
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

fn tensor<const D: usize>(
    values: Vec<f32>,
    shape: burn::tensor::Shape,
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        param: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let device = param.device();
        let shape = param.shape();
        let mut p = values(param);
        let g = values(grad);
        let (mut m, mut v, time) = match state {
            Some(s) => (
                values(s.momentum.moment_1),
                values(s.momentum.moment_2),
                s.momentum.time + 1,
            ),
            None => (vec![0.0; g.len()], vec![0.0; g.len()], 1),
        };
        let t = time as i32;
        let bias_correction2_sqrt = (1.0 - BETA_2.powi(t)).sqrt();
        let combined_factor = bias_correction2_sqrt / (1.0 - BETA_1.powi(t));
        let eps = EPSILON * bias_correction2_sqrt;
        let (f1, f2) = (1.0 - BETA_1, 1.0 - BETA_2);
        let lr = lr as f32;
        // burn: m = m·β1 + g·(1−β1) (the first step: g·(1−β1), equal since m starts at 0);
        // v = v·β2 + g²·(1−β2); update = (m·c) / (√v + ε·√(1−β2^t)); p −= update·lr.
        p.par_chunks_mut(CHUNK)
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .zip(g.par_chunks(CHUNK))
            .for_each(|(((p, m), v), g)| {
                update_simd(p, m, v, g, [f1, f2, combined_factor, eps, lr]);
            });
        let momentum = AdaptiveMomentumState::new(
            time,
            tensor(m, shape.clone(), &device),
            tensor(v, shape.clone(), &device),
        );
        (tensor(p, shape, &device), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.momentum.moment_1 = state.momentum.moment_1.to_device(device);
        state.momentum.moment_2 = state.momentum.moment_2.to_device(device);
        state
    }
}

/// One chunk of the update; `factors` = [1 − β1, 1 − β2, bias correction, ε·√(1−β2^t), lr].
/// Compiled per instruction set: the rayon closure alone ran in 4-wide SSE. Rust never fuses a
/// multiply and an add on its own, so every width gives burn's values bit for bit.
#[inline(always)]
fn update(p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], factors: [f32; 5]) {
    let [f1, f2, combined_factor, eps, lr] = factors;
    for (((p, m), v), g) in p.iter_mut().zip(m).zip(v).zip(g) {
        *m = *m * BETA_1 + *g * f1;
        *v = *v * BETA_2 + (*g * *g) * f2;
        let update = (*m * combined_factor) / (v.sqrt() + eps);
        *p -= update * lr;
    }
}

simd_variants!(update_simd => update, update, (
    p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], factors: [f32; 5]
) -> ());
