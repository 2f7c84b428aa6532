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

/// Whether this is an Intel CPU (CPUID vendor `GenuineIntel`), asked once
/// and cached: on Intel's AVX-512 cores [`Kernels::best`](crate::Kernels::best)
/// prefers the 256-bit form of AVX-512 ([`Isa::Avx512Ymm`](crate::Isa::Avx512Ymm)),
/// as LLVM's tuning for those cores does (`prefer-vector-width=256`). A
/// `cpuid` costs hundreds of cycles, more under a hypervisor, hence the
/// cache. Under Miri, which has no `cpuid`, false.
pub(crate) fn intel() -> bool {
    #[cfg(miri)]
    {
        false
    }
    #[cfg(not(miri))]
    {
        use core::sync::atomic::{AtomicU8, Ordering};
        static INTEL: AtomicU8 = AtomicU8::new(u8::MAX);
        match INTEL.load(Ordering::Relaxed) {
            0 => false,
            1 => true,
            _ => {
                #[allow(unused_unsafe)]
                // SAFETY: `cpuid` leaf 0 exists on every x86_64 CPU.
                let r = unsafe { core::arch::x86_64::__cpuid(0) };
                // "GenuineIntel" is EBX, EDX, ECX: "Genu", "ineI", "ntel".
                let is = r.ebx == 0x756e_6547 && r.edx == 0x4965_6e69 && r.ecx == 0x6c65_746e;
                INTEL.store(is as u8, Ordering::Relaxed);
                is
            }
        }
    }
}

/// f16 narrowing of `N` f32 lanes (a multiple of 4) with SSE2 integer code
/// instead of F16C's `vcvtps2ph`, which Miri cannot interpret. Used only
/// under Miri, so that Miri runs every kernel on the AVX2 and AVX-512 paths;
/// the result is the same bits (the native tests hold every path to the
/// portable one, and the SSE2 path uses this very conversion).
///
/// # Safety
/// `src` and `dst` are valid for `N` elements; SSE2 is present.
#[cfg(miri)]
#[inline(always)]
pub(crate) unsafe fn f32_to_f16_soft<const N: usize>(src: *const f32, dst: *mut u16) {
    use core::arch::x86_64::*;
    let mut j = 0;
    while j < N {
        // SAFETY: `j + 4 <= N`, within both buffers; SSE2 is the baseline.
        unsafe {
            let h = sse2::f32_to_f16_bits(_mm_loadu_ps(src.add(j)));
            let mut lanes = [0u32; 4];
            _mm_storeu_si128(lanes.as_mut_ptr().cast(), h);
            for (k, &x) in lanes.iter().enumerate() {
                *dst.add(j + k) = x as u16;
            }
        }
        j += 4;
    }
}
