//! Exact (erf) GELU for the CPU backend.
//!
//! burn-flex evaluates GELU with a scalar `libm::erff` per element, which took a fifth of the
//! embedding time. Here erf is a rational minimax approximation (the one Eigen, XLA and TVM use,
//! absolute error ~2e-7, input clamped to [−4, 4]) that the compiler vectorises, split
//! over rayon's workers. GPU backends keep burn's own kernel.

use burn::tensor::{Tensor, TensorData};

use super::error::EmbedError;

const ALPHA: [f32; 7] = [
    -2.726_142_3e-10,
    2.770_681_4e-8,
    -2.101_024e-6,
    -5.692_506_4e-5,
    -7.349_906_3e-4,
    -2.954_6e-3,
    -1.609_603_3e-2,
];
const BETA: [f32; 5] = [
    -1.456_607_2e-5,
    -2.133_740_6e-4,
    -1.682_827e-3,
    -7.373_329e-3,
    -1.426_474e-2,
];

/// erf(x) for f32, max abs error ~2e-7 (largest near the clamp at ±4).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = ALPHA[0];
    for a in &ALPHA[1..] {
        p = p * x2 + a;
    }
    let mut q = BETA[0];
    for b in &BETA[1..] {
        q = q * x2 + b;
    }
    x * p / q
}

#[inline(always)]
fn gelu_scalar(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline(always)]
pub(crate) fn gelu_slice(values: &mut [f32]) {
    for v in values.iter_mut() {
        *v = gelu_scalar(*v);
    }
}

/// `values[i] = gelu(values[i] + bias[i])`: the bias of the product before it, added here.
#[inline(always)]
pub(crate) fn gelu_bias(values: &mut [f32], bias: &[f32]) {
    for (v, b) in values.iter_mut().zip(bias) {
        *v = gelu_scalar(*v + b);
    }
}

/// GELU of a CPU tensor through host memory (a copy each way is far cheaper than scalar erf).
pub fn gelu_host(x: Tensor<2>) -> Result<Tensor<2>, EmbedError> {
    let dims = x.dims();
    let device = x.device();
    let mut values = x
        .try_into_data()
        .map_err(|e| EmbedError::Backend(e.to_string()))?
        .try_into_vec::<f32>()
        .map_err(|e| EmbedError::Backend(format!("{e:?}")))?;
    // rayon rather than own threads: when batches already run on every core, this stays on
    // the calling worker instead of oversubscribing.
    use rayon::prelude::*;
    values.par_chunks_mut(1 << 14).for_each(gelu_slice);
    Ok(Tensor::from_data(TensorData::new(values, dims), &device))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn matches_burns_exact_gelu() {
        let n = 20_001;
        let xs: Vec<f32> = (0..n)
            .map(|i| -10.0 + 20.0 * i as f32 / (n - 1) as f32)
            .collect();
        let device = Device::flex();
        let t: Tensor<2> = Tensor::from_data(TensorData::new(xs.clone(), [1, n]), &device);
        let reference = burn::tensor::activation::gelu(t.clone())
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        let ours = gelu_host(t)
            .unwrap()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        // a few ulp of the result; 2e-6 absolute where 1 + erf cancels (erf error ~2e-7 near ±4)
        for ((x, a), b) in xs.iter().zip(&reference).zip(&ours) {
            let tol = 2e-6f32.max(4.0 * f32::EPSILON * a.abs());
            assert!((a - b).abs() <= tol, "gelu({x}): burn {a}, ours {b}");
        }
        assert_eq!(erf(0.0), 0.0);
        assert!((erf(5.0) - 1.0).abs() < 2e-7 && (erf(-9.0) + 1.0).abs() < 2e-7);
    }
}
