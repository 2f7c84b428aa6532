//! Instruction sets: the [`Isa`] enum, detection, the cached choice, and
//! the one dispatch every call goes through.
//!
//! # Architecture
//!
//! Three axes, each in its own place:
//!
//! - **formats** (`crate::format`): each table format implements the sealed
//!   `Format` trait and carries its codec (`format::codec::Codec`), which
//!   says how to read `V::LANES` values of a row into a vector of f32;
//! - **kernels** (`arch::generic`, one file per algorithm: `gather`, `bags`,
//!   `scatter`, `convert`): bodies written once, generic over the format's
//!   codec and over [`vector::Vector`], plus the plain-Rust loops of
//!   `arch::portable`. Each kernel call is a *job*: a struct of validated
//!   inputs implementing [`Job`];
//! - **ISA paths** (`arch::x86_64::{sse2, avx2, avx512}`,
//!   `arch::aarch64::neon`, `arch::wasm32::simd128`): a `Vector`
//!   implementation and one `#[target_feature]` trampoline, `run`, generic
//!   over the job, which monomorphises the whole job for that ISA (after
//!   matrixmultiply's `GemmSelect`).
//!
//! A call: `crate::gather` → [`Kernels::gather`](crate::Kernels::gather)
//! (validates, builds the job) → [`run`] (the one `match` on the ISA) →
//! `x86_64::avx2::run` (the trampoline) → `Job::simd::<avx2::V>` →
//! `generic::gather::decode` (the body).
//!
//! **Adding a table format**: implement `Format` (unit, row length),
//! `Codec` (the row's value `j` in plain Rust, and `row`/`load`/
//! `load_partial` over `Vector`, adding a `Vector` method per ISA if the
//! format needs an instruction the trait lacks) and `GatherInto<f32>`
//! (usually `decode_into_f32!`). Every kernel then takes the format; no
//! match arm changes. The quantized formats (`format::quantized`) are the
//! worked example: byte units, a per-row or per-block scale read in
//! `Codec::row`/`load`, `Codec::PARTIAL_TAIL` so that row tails take one
//! vector rather than the scalar value per element.
//!
//! **Row tails** (the last `dim mod LANES` columns): a format whose `load`
//! takes any column (`Codec::ANY_COLUMN`: the float formats and row-wise
//! 8-bit) ends each row with one more whole vector ending at the row's
//! end, overlapping the one before it. Gathers write the shared columns
//! twice with the same value; bags pool them again in the same order;
//! scatter-add loads that vector before any store of the row, so every
//! column is `t + scale · g` of the row as it was. The same bits as a
//! scalar loop, without a partial vector. AVX-512 keeps masked loads where
//! they measured faster (bags, narrow rows), and each choice names its
//! measurement beside it. `Codec::avx2_rows` names, per format and kernel,
//! the row lengths that `Kernels::best` runs on AVX2 rather than AVX-512.
//! Rows narrower than a vector take the next narrower one of the same CPU
//! (`Vector::Half`): AVX-512 → AVX2 → AVX2's 4-lane half, which is SSE2's
//! vector with F16C conversions and the hardware FMA (with SSE2's own
//! software conversions there, AVX2 took 2.1–4.5× the time for f16→f32
//! gathers at dims 4–7 and 10× for scatter-add into f16 at dim 4). On the
//! paths without masked loads, gathers of f16/bf16 rows narrower than four
//! vectors store whole vectors that spill into the next output row, which
//! is written after them (`generic::gather::decode_spill`); the last 1–3
//! columns of the narrowest vector's rows are a partial vector built in
//! registers where measured faster (`Vector::REGISTER_PARTIAL`).
//!
//! **Three more measured shortcuts** (each with its figures at its code):
//! Max bags on SSE2 and AVX2 pool with one `max` instruction and note NaNs
//! in a mask, pooling the block again with the NaN-propagating maximum only
//! when a value was NaN (`Vector::MAX_NAN_LATER`); the kernels' scalar f16
//! and bf16 columns narrow without a branch on the rounding bits
//! (`ElementCodec::narrow`, `half`'s bits); SSE2 scatter-add prefetches the
//! next row's first KB from tables of 200 KB to 4 MB.
//!
//! **Adding a kernel**: write its body in `arch::generic` and its loop in
//! `arch::portable`, a job struct implementing [`Job`] that calls them, and
//! a method on `Kernels` (plus a free function) that validates its input in
//! `crate::validate` and calls `self.run(job)`. No trampoline changes.

use core::sync::atomic::{AtomicU8, Ordering};

// The vector bodies are compiled everywhere (they are generic code), but
// only targets with a SIMD path instantiate them.
macro_rules! simd_bodies {
    ($($item:item)*) => {$(
        #[cfg_attr(
            not(any(target_arch = "x86_64", target_feature = "neon", target_feature = "simd128")),
            allow(dead_code)
        )]
        $item
    )*};
}
simd_bodies! {
    pub(crate) mod generic;
    pub(crate) mod vector;
}
pub(crate) mod portable;

#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
pub(crate) mod aarch64;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod wasm32;

/// One kernel call with validated inputs, runnable on any path.
pub(crate) trait Job {
    /// What the kernel returns.
    type Output;
    /// The plain-Rust loop.
    fn portable(self) -> Self::Output;
    /// The vector body, monomorphised for one ISA's `V`.
    #[cfg_attr(
        not(any(
            target_arch = "x86_64",
            target_feature = "neon",
            target_feature = "simd128"
        )),
        allow(dead_code)
    )]
    ///
    /// # Safety
    /// The CPU has `V`'s ISA (the trampoline's `#[target_feature]` is
    /// active); the job's inputs were validated (`crate::validate`).
    unsafe fn simd<V: vector::Vector>(self) -> Self::Output;
}

/// Runs `job` on `isa`: the one dispatch of every kernel call.
///
/// # Safety
/// The CPU has `isa` (as a [`Kernels`](crate::Kernels) guarantees), and the
/// job's inputs were validated.
#[inline(always)]
pub(crate) unsafe fn run<J: Job>(isa: Isa, job: J) -> J::Output {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller guarantees SSE2 and the job's inputs.
        Isa::Sse2 => unsafe { x86_64::sse2::run(job) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller guarantees AVX2+FMA+F16C and the job's inputs.
        Isa::Avx2 => unsafe { x86_64::avx2::run(job) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller guarantees AVX-512 F/BW/VL and the job's inputs.
        Isa::Avx512 => unsafe { x86_64::avx512::run(job) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller guarantees AVX-512 F/BW/VL (the same CPU
        // requirement as `Isa::Avx512`) and the job's inputs.
        Isa::Avx512Ymm => unsafe { x86_64::avx512::run_ymm(job) },
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        // SAFETY: the caller guarantees NEON and the job's inputs.
        Isa::Neon => unsafe { aarch64::neon::run(job) },
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        // SAFETY: the caller guarantees simd128 and the job's inputs.
        Isa::Simd128 => unsafe { wasm32::simd128::run(job) },
        _ => {
            mark(Isa::Portable);
            job.portable()
        }
    }
}

/// An instruction-set path. Every path computes the same bits (see the
/// crate docs, "Semantics"); they differ only in speed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Plain Rust; runs anywhere (Cortex-M included).
    Portable,
    /// x86_64 SSE2, the x86_64 baseline (4 lanes; f16 converted in software).
    Sse2,
    /// x86_64 AVX2 with FMA and F16C (8 lanes; f16 by `vcvtph2ps`/`vcvtps2ph`).
    /// FMA is part of the requirement, as on every AVX2 CPU, and used only
    /// where the value itself is fused (row-wise 8-bit tables); elsewhere
    /// products and sums round separately.
    Avx2,
    /// x86_64 AVX-512 F, BW and VL at 256 bits (8 lanes in YMM registers,
    /// masked tails): AVX-512's instructions without the 512-bit width,
    /// whose unaligned loads and stores each split a cache line (and
    /// which can lower an Intel core's clock). Available wherever
    /// [`Isa::Avx512`] is; [`Kernels::best`](crate::Kernels::best) runs it
    /// on Intel CPUs for most calls, and on AMD Zen 4 for most bags,
    /// same-type gathers from tables in cache and some narrow rows, where
    /// the sweep measured it ahead.
    Avx512Ymm,
    /// x86_64 AVX-512 F, BW and VL (16 lanes, masked tails).
    Avx512,
    /// aarch64 NEON (4 lanes; f16 by FCVTL/FCVTN, plain Armv8.0).
    Neon,
    /// wasm32 simd128 (4 lanes), when built with `-C target-feature=+simd128`.
    Simd128,
}

impl Isa {
    /// Every ISA the crate knows, slowest first.
    pub const ALL: [Isa; 7] = [
        Isa::Portable,
        Isa::Sse2,
        Isa::Avx2,
        Isa::Avx512Ymm,
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
            Isa::Avx512Ymm => "avx512ymm",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
            Isa::Simd128 => "simd128",
        }
    }

    /// A small code for the cached choice and the used-path flags; the
    /// inverse of [`Isa::from_code`]. Spelled out, not `as u8`, so that
    /// reordering the variants cannot change what a stored code means.
    const fn code(self) -> u8 {
        match self {
            Isa::Portable => 0,
            Isa::Sse2 => 1,
            Isa::Avx2 => 2,
            Isa::Avx512 => 3,
            Isa::Avx512Ymm => 6,
            Isa::Neon => 4,
            Isa::Simd128 => 5,
        }
    }

    /// The ISA of a code made by [`Isa::code`]; `None` for any other value.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    const fn from_code(code: u8) -> Option<Isa> {
        Some(match code {
            0 => Isa::Portable,
            1 => Isa::Sse2,
            2 => Isa::Avx2,
            3 => Isa::Avx512,
            6 => Isa::Avx512Ymm,
            4 => Isa::Neon,
            5 => Isa::Simd128,
            _ => return None,
        })
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
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Ymm => x86_64::avx512_available(),
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

    /// Whether any kernel call of this process has run on this path: set by
    /// each path's trampoline, so a test can prove that the path it asked
    /// for is the one that ran. Test instrumentation, not part of the API.
    #[doc(hidden)]
    pub fn was_used(self) -> bool {
        USED.load(Ordering::Relaxed) & (1 << self.code()) != 0
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

/// The detected best path, cached as its code (`UNSET` until the first
/// call). Threads racing on the first call each detect and store the same
/// value.
#[cfg(feature = "std")]
fn cached_best() -> Isa {
    const UNSET: u8 = u8::MAX;
    static BEST: AtomicU8 = AtomicU8::new(UNSET);
    if let Some(isa) = Isa::from_code(BEST.load(Ordering::Relaxed)) {
        return isa;
    }
    let isa = detect_best();
    BEST.store(isa.code(), Ordering::Relaxed);
    isa
}

/// The kinds of x86_64 core whose measurements give
/// [`Kernels::best`](crate::Kernels::best) its own rules on AVX-512 CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cpu {
    /// Anything else: the rules measured on AMD Zen 5 (and every CPU
    /// without AVX-512, where the rules do not apply).
    Other = 0,
    /// An Intel CPU (CPUID vendor `GenuineIntel`).
    Intel = 1,
    /// AMD family 0x19 with AVX-512F in CPUID: Zen 4 (Zen 3, the same
    /// family without AVX-512, is [`Cpu::Other`]).
    Zen4 = 2,
}

/// The kind of core this is (see `x86_64::cpu`); [`Cpu::Other`] off x86_64.
#[inline]
pub(crate) fn cpu() -> Cpu {
    #[cfg(target_arch = "x86_64")]
    {
        x86_64::cpu()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Cpu::Other
    }
}

/// One bit per path that has run a kernel (bit `Isa::code`).
static USED: AtomicU8 = AtomicU8::new(0);

/// Records that `isa` ran a kernel. A load first, so that steady-state calls
/// only read the shared line.
#[inline(always)]
pub(crate) fn mark(isa: Isa) {
    let bit = 1 << isa.code();
    if USED.load(Ordering::Relaxed) & bit == 0 {
        USED.fetch_or(bit, Ordering::Relaxed);
    }
}
