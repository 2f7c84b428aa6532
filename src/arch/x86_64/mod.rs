//! x86_64: SSE2 (the baseline), AVX2 + FMA + F16C, AVX-512 F/BW/VL.
//!
//! Detection order (after memchr): what the build target enables
//! (`cfg(target_feature)`), then, only with `std`, `is_x86_feature_detected!`.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod sse2;

/// SSE2 is part of every x86_64 target.
pub(crate) fn sse2_available() -> bool {
    cfg!(target_feature = "sse2")
}

macro_rules! detect {
    ($($f:tt),+) => {{
        if cfg!(all($(target_feature = $f),+)) {
            true
        } else {
            #[cfg(feature = "std")]
            {
                $(std::is_x86_feature_detected!($f))&&+
            }
            #[cfg(not(feature = "std"))]
            {
                false
            }
        }
    }};
}

/// AVX2, FMA and F16C, as every AVX2 CPU has them.
pub(crate) fn avx2_available() -> bool {
    detect!("avx2", "fma", "f16c")
}

/// AVX-512 F, BW and VL (plus what the AVX2 path needs, which they imply on
/// every such CPU, but asked for all the same).
pub(crate) fn avx512_available() -> bool {
    detect!("avx512f", "avx512bw", "avx512vl", "avx2", "fma", "f16c")
}
