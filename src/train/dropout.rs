//! Dropout with a cheap mask generator.
//!
//! burn's `Dropout` draws a Bernoulli tensor through its generic sampler, one ChaCha float and a
//! comparison per element: a tenth of a CPU training epoch here. The mask below comes from
//! SplitMix64 on the host (one multiply-xorshift per 64 bits, two elements per draw) and is applied
//! in one multiply. Same semantics: each element kept with probability 1 − p and scaled by
//! 1 / (1 − p), only while training on an autodiff device.

use std::sync::atomic::{AtomicU64, Ordering};

use burn::nn::Dropout;
use burn::prelude::*;
use burn::tensor::TensorData;
use rayon::prelude::*;

use super::lstm_kernel::zeros;
use crate::simd::simd_variants;

/// Stream position; each mask takes the next stream so draws never repeat within a run.
static STREAM: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);

/// Makes the masks of the following calls depend only on `seed` (the trainer's run lock keeps
/// two trainings from interleaving, as for burn's own global generator).
pub fn seed(seed: u64) {
    STREAM.store(splitmix(seed ^ 0x6a09_e667_f3bc_c909), Ordering::Relaxed);
}

/// SplitMix64's increment.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The keep/scale factors of `n` elements: 0 or 1 / (1 − p).
pub fn mask(n: usize, prob: f64, stream: u64) -> Vec<f32> {
    let keep = 1.0 - prob;
    let scale = (1.0 / keep) as f32;
    // Kept when a uniform 32-bit draw falls below keep · 2^32.
    let threshold = (keep * 4_294_967_296.0).min(u32::MAX as f64) as u32;
    // Draw k is splitmix(stream + (k + 1) · γ), computed from k rather than carried from draw to
    // draw, so the loop has no dependency chain and runs in vector lanes. For the same reason
    // blocks of the mask can be drawn on different workers with the same result (a mask is ~10^5
    // elements per layer and batch; one thread drawing it left the other core idle).
    const BLOCK: usize = 1 << 14; // even: a block starts at draw BLOCK / 2 · its index
    let mut out = zeros(n);
    out.par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(block, values)| {
            let first = (block * BLOCK / 2) as u64;
            fill_simd(
                values,
                stream.wrapping_add(first.wrapping_mul(GAMMA)),
                threshold,
                scale,
            );
        });
    out
}

/// One block of the mask whose first draw is splitmix(`base` + γ). Everything the loop reads is a
/// local value (a closure's captures are read through references the stores might alias, which
/// kept the first version scalar), and eight draws fill sixteen factors at a time.
#[inline(always)]
fn fill_block(values: &mut [f32], base: u64, threshold: u32, scale: f32) {
    let factor = |half: u32| if half < threshold { scale } else { 0.0 };
    let draw = |k: u64| splitmix(base.wrapping_add((k + 1).wrapping_mul(GAMMA)));
    let mut chunks = values.chunks_exact_mut(16);
    let mut k = 0u64;
    for chunk in &mut chunks {
        let mut draws = [0u64; 8];
        for (j, r) in draws.iter_mut().enumerate() {
            *r = draw(k + j as u64);
        }
        for (j, r) in draws.iter().enumerate() {
            chunk[2 * j] = factor(*r as u32);
            chunk[2 * j + 1] = factor((*r >> 32) as u32);
        }
        k += 8;
    }
    for pair in chunks.into_remainder().chunks_mut(2) {
        let r = draw(k);
        pair[0] = factor(r as u32);
        if let Some(second) = pair.get_mut(1) {
            *second = factor((r >> 32) as u32);
        }
        k += 1;
    }
}

simd_variants!(fill_simd => fill_block, fill_block, (
    values: &mut [f32], base: u64, threshold: u32, scale: f32
) -> ());

/// `layer.forward(x)` with the fast mask.
pub fn dropout<const D: usize>(layer: &Dropout, x: Tensor<D>) -> Tensor<D> {
    if !layer.training.is_enabled() || !x.device().is_autodiff() || layer.prob == 0.0 {
        return x;
    }
    let dims = x.dims();
    let n = dims.iter().product();
    let stream = splitmix(STREAM.fetch_add(0x2545_f491_4f6c_dd1d, Ordering::Relaxed));
    let factors = mask(n, layer.prob, stream);
    let mask: Tensor<D> = Tensor::from_data(TensorData::new(factors, dims), &x.device());
    x * mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_expected_share_and_scales() {
        let m = mask(200_000, 0.3, 42);
        let kept = m.iter().filter(|&&v| v > 0.0).count() as f64 / m.len() as f64;
        assert!((kept - 0.7).abs() < 0.005, "kept share {kept}");
        assert!(m.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
        // Different streams give different masks; the same stream the same one.
        assert_ne!(mask(64, 0.5, 1), mask(64, 0.5, 2));
        assert_eq!(mask(65, 0.5, 7), mask(65, 0.5, 7));
    }

    /// The same factors as drawing SplitMix64 in sequence, two elements per draw (the masks of
    /// seeded trainings made before the vectorised loop).
    #[test]
    fn equals_the_sequential_generator() {
        fn sequential(n: usize, prob: f64, stream: u64) -> Vec<f32> {
            let keep = 1.0 - prob;
            let scale = (1.0 / keep) as f32;
            let threshold = (keep * 4_294_967_296.0).min(u32::MAX as f64) as u32;
            let mut out = Vec::new();
            let mut state = stream;
            while out.len() < n {
                state = state.wrapping_add(GAMMA);
                let r = splitmix(state);
                for half in [r as u32, (r >> 32) as u32] {
                    if out.len() < n {
                        out.push(if half < threshold { scale } else { 0.0 });
                    }
                }
            }
            out
        }
        for n in [0, 1, 2, 7, 64, 1001, 40_001] {
            assert_eq!(mask(n, 0.3, 99), sequential(n, 0.3, 99), "n = {n}");
        }
    }

    #[test]
    fn inactive_outside_training() {
        let layer = burn::nn::DropoutConfig::new(0.5).init();
        let device = Device::flex();
        let x: Tensor<2> = Tensor::ones([4, 8], &device);
        // A plain (non-autodiff) device is inference: the input comes back unchanged.
        let y = dropout(&layer, x.clone());
        assert_eq!(
            y.into_data().try_to_vec::<f32>().unwrap(),
            x.into_data().try_to_vec::<f32>().unwrap()
        );
    }
}
