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
