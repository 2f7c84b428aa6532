//! x86_64: SSE2 (the baseline), AVX2 + FMA + F16C, AVX-512 F/BW/VL.
//!
//! Detection order (after memchr): what the build target enables
//! (`cfg(target_feature)`), then, only with `std`, `is_x86_feature_detected!`.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod sse2;

use super::Cpu;

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

/// The CPU's maker and, for AMD, its core generation, asked once (CPUID
/// leaves 0 and 1) and cached as [`Cpu`]'s code: on AVX-512 CPUs
/// [`Kernels::best`](crate::Kernels::best) picks between the 512-bit form,
/// the 256-bit form ([`Isa::Avx512Ymm`](crate::Isa::Avx512Ymm)) and AVX2 by
/// rules measured on each kind of core. A `cpuid` costs hundreds of cycles,
/// more under a hypervisor, hence the cache. Under Miri, which has no
/// `cpuid`, [`Cpu::Other`].
pub(crate) fn cpu() -> Cpu {
    #[cfg(miri)]
    {
        Cpu::Other
    }
    #[cfg(not(miri))]
    {
        use core::sync::atomic::{AtomicU8, Ordering};
        static CPU: AtomicU8 = AtomicU8::new(u8::MAX);
        match CPU.load(Ordering::Relaxed) {
            0 => Cpu::Other,
            1 => Cpu::Intel,
            2 => Cpu::Zen4,
            _ => {
                #[allow(unused_unsafe)]
                // SAFETY: `cpuid` leaves 0 and 1 exist on every x86_64 CPU.
                let (v, id) = unsafe {
                    (
                        core::arch::x86_64::__cpuid(0),
                        core::arch::x86_64::__cpuid(1),
                    )
                };
                // The vendor string is EBX, EDX, ECX: "Genu" "ineI" "ntel",
                // "Auth" "enti" "cAMD".
                let intel = v.ebx == 0x756e_6547 && v.edx == 0x4965_6e69 && v.ecx == 0x6c65_746e;
                let amd = v.ebx == 0x6874_7541 && v.edx == 0x6974_6e65 && v.ecx == 0x444d_4163;
                // The family: base (bits 8-11) plus extended (bits 20-27)
                // when the base is 0xF. 0x19 is Zen 3 and Zen 4, of which
                // only Zen 4 has AVX-512 (CPUID leaf 7, EBX bit 16, asked
                // only when leaf 0 reports leaf 7); Zen 5 is 0x1A.
                let base = (id.eax >> 8) & 0xf;
                let family = if base == 0xf {
                    base + ((id.eax >> 20) & 0xff)
                } else {
                    base
                };
                #[allow(unused_unsafe)]
                // SAFETY: leaf 7 exists: leaf 0's EAX (the highest leaf)
                // is at least 7.
                let avx512f = v.eax >= 7
                    && unsafe { core::arch::x86_64::__cpuid_count(7, 0) }.ebx & (1 << 16) != 0;
                let cpu = if intel {
                    Cpu::Intel
                } else if amd && family == 0x19 && avx512f {
                    Cpu::Zen4
                } else {
                    Cpu::Other
                };
                CPU.store(cpu as u8, Ordering::Relaxed);
                cpu
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

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests {
    use super::{Cpu, cpu};

    /// `cpu()` against the kernel's own reading of CPUID: the vendor and
    /// the family in `/proc/cpuinfo`.
    #[test]
    fn cpu_kind_matches_proc_cpuinfo() {
        extern crate std;
        use std::string::String;
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap();
        let field = |name: &str| -> String {
            info.lines()
                .find(|l| l.split(':').next().unwrap().trim() == name)
                .and_then(|l| l.split(':').nth(1))
                .unwrap()
                .trim()
                .into()
        };
        let (vendor, family) = (field("vendor_id"), field("cpu family"));
        let avx512f = field("flags").split_whitespace().any(|f| f == "avx512f");
        let want = match (vendor.as_str(), family.as_str(), avx512f) {
            ("GenuineIntel", _, _) => Cpu::Intel,
            ("AuthenticAMD", "25", true) => Cpu::Zen4,
            _ => Cpu::Other,
        };
        assert_eq!(
            cpu(),
            want,
            "vendor {vendor}, family {family}, avx512f {avx512f}"
        );
        assert_eq!(cpu(), want, "the cached answer");
    }
}
