//! Run-time choice of the vector instruction set for hand-written CPU kernels.

/// Generates `$name`: `$fast` compiled for AVX-512 and for AVX2+FMA, `$base` for CPUs with neither,
/// the widest the CPU has chosen at run time. The bodies must be `inline(always)` so each variant
/// gets its own code (a closure would be compiled once, for the baseline).
macro_rules! simd_variants {
    ($name:ident => $fast:expr, $base:expr, ( $($arg:ident : $ty:ty),* ) -> $ret:ty) => {
        #[allow(clippy::too_many_arguments)]
        fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512($($arg: $ty),*) -> $ret {
                    ($fast)($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    ($fast)($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked here).
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has AVX2 and FMA (checked here).
                    return unsafe { avx2($($arg),*) };
                }
            }
            ($base)($($arg),*)
        }
    };
}

pub(crate) use simd_variants;

/// e^x for f32: range reduction by ln 2 and a degree-6 polynomial (Cephes `expf`), ~1 ulp on
/// [−87, 88]; plain arithmetic the compiler vectorises, unlike libm's call per element.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let (e, shifted) = exp_parts(x);
    // 2^n through the exponent bits; n is in [−126, 127] after the clamp. n comes from the
    // shifted float's bits (integer arithmetic that vectorises), not from `n as i32`, whose
    // saturating conversion compiles to a scalar compare-and-convert per element.
    let n_int = shifted.to_bits().wrapping_sub(EXP_SHIFT.to_bits());
    e * f32::from_bits(n_int.wrapping_add(127) << 23)
}

/// Round to nearest by the 1.5·2^23 trick: vectorises where `round` is a libm call (SSE2). The
/// shifted value's low mantissa bits hold n itself.
const EXP_SHIFT: f32 = 12_582_912.0;

/// exp's range reduction and polynomial: e^r for x = n·ln 2 + r, and `x·log2 e + EXP_SHIFT`,
/// whose value minus the shift is n.
#[inline(always)]
fn exp_parts(x: f32) -> (f32, f32) {
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + EXP_SHIFT;
    let n = shifted - EXP_SHIFT;
    // Cody–Waite: ln 2 split in two so r keeps full precision.
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    (p * r * r + r + 1.0, shifted)
}

#[cfg(test)]
mod tests {
    use super::{EXP_SHIFT, exp, exp_parts};

    #[test]
    fn exp_reads_n_from_the_shifted_bits_exactly() {
        // n through a plain conversion, as the function computed it before: the same bits.
        let reference = |x: f32| {
            let (e, shifted) = exp_parts(x);
            let n = shifted - EXP_SHIFT;
            e * f32::from_bits(((n as i32 + 127) as u32) << 23)
        };
        let mut x = -120.0f32;
        while x < 120.0 {
            assert_eq!(exp(x).to_bits(), reference(x).to_bits(), "x = {x}");
            let want = (x as f64).exp();
            if (-87.0..88.0).contains(&x) {
                assert!(((exp(x) as f64 - want) / want).abs() < 1e-6, "x = {x}");
            }
            x += 0.000_37;
        }
        for x in [-87.0, 88.0, 0.0, -0.0, f32::MIN, f32::MAX, -1e-30, 1e-30] {
            assert_eq!(exp(x).to_bits(), reference(x).to_bits(), "x = {x}");
        }
        assert!(exp(f32::NAN).is_nan());
    }
}
