//! Instruction sets: the [`Isa`] enum, detection, the cached choice, and the
//! per-ISA modules. Layout after memchr: `portable` for any target, kernel
//! bodies once in `generic` over the private `vector::Vector` trait, and a
//! thin `#[target_feature]` shim module per ISA.

use core::sync::atomic::{AtomicBool, Ordering};

// The vector bodies exist only where some SIMD path uses them.
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
pub(crate) mod generic;
pub(crate) mod portable;
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
pub(crate) mod vector;

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
pub(crate) mod aarch64;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod wasm32;

/// An instruction-set path. Every path computes the same bits (DESIGN.md §4);
/// they differ only in speed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust; runs anywhere (Cortex-M included).
    Portable,
    /// x86_64 SSE2, the x86_64 baseline (4 lanes; f16 converted in software).
    Sse2,
    /// x86_64 AVX2 with FMA and F16C (8 lanes; f16 by `vcvtph2ps`/`vcvtps2ph`).
    /// FMA is part of the requirement, as on every AVX2 CPU, but never used:
    /// products and sums round separately.
    Avx2,
    /// x86_64 AVX-512 F, BW and VL (16 lanes, masked tails).
    Avx512,
    /// aarch64 NEON (4 lanes; f16 by FCVTL/FCVTN, plain Armv8.0).
    Neon,
    /// wasm32 simd128 (4 lanes), when built with `-C target-feature=+simd128`.
    Simd128,
}

impl Isa {
    /// Every ISA the crate knows, slowest first.
    pub const ALL: [Isa; 6] = [
        Isa::Portable,
        Isa::Sse2,
        Isa::Avx2,
        Isa::Avx512,
        Isa::Neon,
        Isa::Simd128,
    ];

    /// A short lowercase name: `portable`, `sse2`, `avx2`, `avx512`, `neon`,
    /// `simd128`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
            Isa::Simd128 => "simd128",
        }
    }

    /// Whether this CPU (with `std`: detected at run time; without: what the
    /// build target enables) can run the path.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Sse2 => x86_64::sse2_available(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => x86_64::avx2_available(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86_64::avx512_available(),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => true,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The ISAs this CPU can run, slowest first (`Portable` always).
    pub fn available() -> impl Iterator<Item = Isa> + Clone {
        Isa::ALL.into_iter().filter(|isa| isa.is_available())
    }

    /// The fastest available path. With `std`, detected once and cached.
    #[inline]
    pub fn best() -> Isa {
        #[cfg(feature = "std")]
        {
            cached_best()
        }
        #[cfg(not(feature = "std"))]
        {
            detect_best()
        }
    }

    /// Whether any kernel call of this process has run on this path.
    ///
    /// Set inside each path's own code, so a test can prove that the path it
    /// asked for is the one that ran.
    pub fn was_used(self) -> bool {
        USED[self as usize].load(Ordering::Relaxed)
    }
}

impl core::fmt::Display for Isa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

fn detect_best() -> Isa {
    let mut best = Isa::Portable;
    for isa in Isa::available() {
        best = isa;
    }
    best
}

#[cfg(feature = "std")]
fn cached_best() -> Isa {
    use core::sync::atomic::AtomicU8;
    const UNSET: u8 = u8::MAX;
    static BEST: AtomicU8 = AtomicU8::new(UNSET);
    let v = BEST.load(Ordering::Relaxed);
    if let Some(&isa) = Isa::ALL.get(v as usize) {
        return isa;
    }
    let isa = detect_best();
    BEST.store(isa as u8, Ordering::Relaxed);
    isa
}

static USED: [AtomicBool; 6] = [
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
];

/// Records that `isa` ran a kernel. A load first, so that steady-state calls
/// only read the shared line.
#[inline(always)]
pub(crate) fn mark(isa: Isa) {
    let flag = &USED[isa as usize];
    if !flag.load(Ordering::Relaxed) {
        flag.store(true, Ordering::Relaxed);
    }
}

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
/// Generates one ISA's shims: `#[target_feature]` functions that mark the
/// ISA as used and call the generic bodies with the ISA's vector type.
///
/// # Safety (every generated function)
/// The CPU has the features named, and the inputs satisfy the contract of
/// `arch::generic`.
macro_rules! shims {
    ($isa:expr, $features:literal, $v:ty) => {
        use crate::arch::generic;
        use crate::arch::vector::Lane;
        use crate::{Index, Pooling};

        /// `0 <= i < rows` for every index: the min/max fold of
        /// `validate::indices`, vectorised with this ISA.
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn indices_below<I: Index>(idx: &[I], rows: usize) -> bool {
            I::all_below(idx, rows as u64)
        }

        #[target_feature(enable = $features)]
        pub(crate) unsafe fn gather_copy<T: Copy, I: Index>(
            table: &[T],
            dim: usize,
            idx: &[I],
            out: &mut [T],
        ) {
            crate::arch::mark($isa);
            // SAFETY: forwarded from this function's contract.
            unsafe { generic::gather_copy::<$v, T, I>(table, dim, idx, out) }
        }

        #[target_feature(enable = $features)]
        pub(crate) unsafe fn gather_widen<T: Lane, I: Index>(
            table: &[T],
            dim: usize,
            idx: &[I],
            out: &mut [f32],
        ) {
            crate::arch::mark($isa);
            // SAFETY: forwarded from this function's contract.
            unsafe { generic::gather_widen::<$v, T, I>(table, dim, idx, out) }
        }

        #[target_feature(enable = $features)]
        pub(crate) unsafe fn bags<T: Lane, I: Index>(
            table: &[T],
            dim: usize,
            indices: &[I],
            offsets: &[I],
            weights: Option<&[f32]>,
            pooling: Pooling,
            out: &mut [f32],
        ) {
            crate::arch::mark($isa);
            // SAFETY: forwarded from this function's contract.
            unsafe {
                generic::bags::<$v, T, I>(table, dim, indices, offsets, weights, pooling, out)
            }
        }

        #[target_feature(enable = $features)]
        pub(crate) unsafe fn scatter_add<T: Lane, I: Index>(
            table: &mut [T],
            dim: usize,
            idx: &[I],
            grad: &[f32],
            scale: f32,
        ) {
            crate::arch::mark($isa);
            // SAFETY: forwarded from this function's contract.
            unsafe { generic::scatter_add::<$v, T, I>(table, dim, idx, grad, scale) }
        }

        #[target_feature(enable = $features)]
        pub(crate) unsafe fn to_f32<T: Lane>(src: &[T], dst: &mut [f32]) {
            crate::arch::mark($isa);
            // SAFETY: forwarded from this function's contract.
            unsafe { generic::to_f32::<$v, T>(src, dst) }
        }

        #[target_feature(enable = $features)]
        pub(crate) unsafe fn from_f32<T: Lane>(src: &[f32], dst: &mut [T]) {
            crate::arch::mark($isa);
            // SAFETY: forwarded from this function's contract.
            unsafe { generic::from_f32::<$v, T>(src, dst) }
        }
    };
}
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
pub(crate) use shims;
