//! AVX2 + FMA + F16C: 8 f32 lanes. f16 converts with F16C
//! (`vcvtph2ps` widens exactly; `vcvtps2ph` with immediate 0 rounds to
//! nearest even); bf16 with integer shifts. FMA only in `mul_add_exact`.

use core::arch::x86_64::*;

use crate::arch::Job;
use crate::arch::vector::Vector;

use super::sse2::V as S;

/// Eight f32 lanes in an AVX register.
#[derive(Clone, Copy)]
pub(crate) struct V(pub(super) __m256);

/// Narrows 8 f32 to bf16 bits in 32-bit lanes, as `half::bf16::from_f32`.
#[inline(always)]
unsafe fn f32_to_bf16_bits(v: __m256) -> __m256i {
    // SAFETY: AVX2 is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let x = _mm256_castps_si256(v);
        let abs = _mm256_and_si256(x, _mm256_set1_epi32(0x7fff_ffff));
        let nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f80_0000));
        let lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
        let rounded = _mm256_srli_epi32(
            _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb),
            16,
        );
        let quiet = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
        _mm256_blendv_epi8(rounded, quiet, nan)
    }
}

// SAFETY (every method below): the `Vector` contract: AVX2, FMA and F16C are
// enabled by the trampoline's `#[target_feature]`, and the pointers are valid for
// the lanes read or written; all loads and stores are unaligned forms.
impl Vector for V {
    const LANES: usize = 8;
    const UNSIGNED_MAX: bool = true;
    type Half = H;
    const FMA: bool = true;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm256_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm256_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { _mm256_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: see above; 8 f16 are 16 bytes.
        unsafe { V(_mm256_cvtph_ps(_mm_loadu_si128(p.cast()))) }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        #[cfg(not(miri))]
        // SAFETY: see above; immediate 0 is round to nearest even.
        unsafe {
            _mm_storeu_si128(
                p.cast(),
                _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(self.0),
            )
        }
        #[cfg(miri)]
        // SAFETY: see above; `lanes` holds the 8 lanes converted.
        unsafe {
            let mut lanes = [0f32; 8];
            _mm256_storeu_ps(lanes.as_mut_ptr(), self.0);
            super::f32_to_f16_soft::<8>(lanes.as_ptr(), p)
        }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above; bf16 bits are the top half of the f32 bits.
        unsafe {
            let x = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(p.cast())), 16);
            // NaN comes out quiet, as from `half::bf16::to_f32`.
            let abs = _mm256_and_si256(x, _mm256_set1_epi32(0x7fff_ffff));
            let nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f80_0000));
            let x = _mm256_or_si256(x, _mm256_and_si256(nan, _mm256_set1_epi32(0x0040_0000)));
            V(_mm256_castsi256_ps(x))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above. `packus` works within 128-bit halves; the
        // permute gathers the two packed quarters into the low half.
        unsafe {
            let b = f32_to_bf16_bits(self.0);
            let packed = _mm256_permute4x64_epi64::<0b1000>(_mm256_packus_epi32(b, b));
            _mm_storeu_si128(p.cast(), _mm256_castsi256_si128(packed))
        }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm256_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm256_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm256_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        // SAFETY: see above. `vmaxps(x, acc)` keeps a NaN accumulator; a NaN
        // `x` is blended in after.
        unsafe {
            let m = _mm256_max_ps(x.0, self.0);
            let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x.0, x.0);
            V(_mm256_blendv_ps(m, x.0, nan))
        }
    }
    const MAX_NAN_LATER: bool = true;
    #[inline(always)]
    unsafe fn max_or_keep(self, x: Self) -> Self {
        // SAFETY: see above. `vmaxps(x, acc)`: `x > acc ? x : acc`.
        unsafe { V(_mm256_max_ps(x.0, self.0)) }
    }
    #[inline(always)]
    unsafe fn or_nan(self, a: Self, b: Self) -> Self {
        // SAFETY: see above.
        unsafe {
            V(_mm256_or_ps(
                self.0,
                _mm256_cmp_ps::<_CMP_UNORD_Q>(a.0, b.0),
            ))
        }
    }
    #[inline(always)]
    unsafe fn any_set(self) -> bool {
        // SAFETY: see above; an `__m256` is 32 bytes, as `[u32; 8]`, any
        // bits valid for both.
        let lanes: [u32; 8] = unsafe { core::mem::transmute(self.0) };
        lanes.iter().any(|&l| l != 0)
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const u8) {
        // SAFETY: see above; a prefetch never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
    }
    #[inline(always)]
    unsafe fn prefetch_l2(p: *const u8) {
        // SAFETY: see above; a prefetch never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T1>(p.cast()) }
    }
    #[inline(always)]
    unsafe fn mul_add_exact(self, b: Self, c: Self) -> Self {
        // SAFETY: see above; FMA is part of this path's requirement.
        unsafe { V(_mm256_fmadd_ps(self.0, b.0, c.0)) }
    }
    #[inline(always)]
    unsafe fn splat_f16(h: u16) -> Self {
        // SAFETY: see above; F16C widens exactly (NaNs made quiet).
        unsafe { V(_mm256_cvtph_ps(_mm_set1_epi16(h as i16))) }
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above; 8 bytes are read.
        unsafe {
            let x = _mm_and_si128(_mm_loadl_epi64(p.cast()), _mm_set1_epi8(mask as i8));
            V(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(x)))
        }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above; 8 bytes are read.
        unsafe {
            V(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
                p.cast(),
            ))))
        }
    }
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above; 4 bytes are read, each into two lanes.
        unsafe {
            let x = _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned());
            let x = _mm256_cvtepu8_epi32(_mm_unpacklo_epi8(x, x));
            let x = _mm256_srlv_epi32(x, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
            V(_mm256_cvtepi32_ps(_mm256_and_si256(
                x,
                _mm256_set1_epi32(15),
            )))
        }
    }
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above; 2 bytes are read, each into four lanes.
        unsafe {
            let x = _mm_cvtsi32_si128(p.cast::<u16>().read_unaligned() as i32);
            let x = _mm_unpacklo_epi8(x, x);
            let x = _mm256_cvtepu8_epi32(_mm_unpacklo_epi16(x, x));
            let x = _mm256_srlv_epi32(x, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
            V(_mm256_cvtepi32_ps(_mm256_and_si256(
                x,
                _mm256_set1_epi32(3),
            )))
        }
    }
}

/// Four f32 lanes in an SSE register, on the AVX2 path: the half that
/// rows and row ends narrower than 8 lanes go through (`Vector::Half`).
/// SSE2's vector, but f16 converts with F16C and `mul_add_exact` is the
/// hardware FMA, which this path has; SSE2's own vector converts f16 in
/// software and emulates the single rounding. The sweep (`SWEEP_US=1
/// report -- sweep`, Zen 5) measured, with SSE2's vector as AVX2's half,
/// scatter-add into f16 at dims 4–7 at 2.1–2.4× the naive loop on AVX2
/// against 41× at dim 8 (20.9 µs at dim 4, 2.3 µs at dim 8), and f16
/// gathers into f32 at 2.7–6.4× at dims 4–7 against 55× at dim 8.
#[derive(Clone, Copy)]
pub(crate) struct H(S);

// SAFETY (every method below): as `V`'s: AVX2, FMA and F16C are enabled by
// the trampoline's `#[target_feature]`, and the pointers are valid for the
// lanes read or written.
impl Vector for H {
    const LANES: usize = 4;
    const UNSIGNED_MAX: bool = true;
    type Half = H;
    const FMA: bool = true;
    const REGISTER_PARTIAL: bool = true;

    // SSE2's methods, the same instructions (VEX-encoded here); AVX2
    // implies SSE2, so each call keeps SSE2's contract.
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see above.
        unsafe { H(S::splat(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { self.0.store(p) }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_bf16(p)) }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above.
        unsafe { self.0.store_bf16(p) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { H(self.0.add(o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { H(self.0.mul(o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { H(self.0.div(o.0)) }
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        // SAFETY: see above.
        unsafe { H(self.0.max_nan(x.0)) }
    }
    const MAX_NAN_LATER: bool = true;
    #[inline(always)]
    unsafe fn max_or_keep(self, x: Self) -> Self {
        // SAFETY: see above.
        unsafe { H(self.0.max_or_keep(x.0)) }
    }
    #[inline(always)]
    unsafe fn or_nan(self, a: Self, b: Self) -> Self {
        // SAFETY: see above.
        unsafe { H(self.0.or_nan(a.0, b.0)) }
    }
    #[inline(always)]
    unsafe fn any_set(self) -> bool {
        // SAFETY: see above.
        unsafe { self.0.any_set() }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const u8) {
        // SAFETY: see above.
        unsafe { S::prefetch(p) }
    }
    #[inline(always)]
    unsafe fn prefetch_l2(p: *const u8) {
        // SAFETY: see above.
        unsafe { S::prefetch_l2(p) }
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_u8_and(p, mask)) }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_i8(p)) }
    }
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_u4(p)) }
    }
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_u2(p)) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: see above; 4 f16 are 8 bytes.
        unsafe { H(S(_mm_cvtph_ps(_mm_loadl_epi64(p.cast())))) }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        #[cfg(not(miri))]
        // SAFETY: see above; immediate 0 is round to nearest even; 4 f16
        // are 8 bytes.
        unsafe {
            _mm_storel_epi64(
                p.cast(),
                _mm_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(self.0.0),
            )
        }
        #[cfg(miri)]
        // SAFETY: see above; `lanes` holds the 4 lanes converted.
        unsafe {
            let mut lanes = [0f32; 4];
            _mm_storeu_ps(lanes.as_mut_ptr(), self.0.0);
            super::f32_to_f16_soft::<4>(lanes.as_ptr(), p)
        }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_partial(p, n)) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        // SAFETY: see above.
        unsafe { self.0.store_partial(p, n) }
    }
    #[inline(always)]
    unsafe fn load_f16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above; F16C widens exactly (NaNs made quiet).
        unsafe { H(S(_mm_cvtph_ps(super::sse2::load_u16_partial(p, n)))) }
    }
    #[inline(always)]
    unsafe fn load_bf16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above.
        unsafe { H(S::load_bf16_partial(p, n)) }
    }
    #[inline(always)]
    unsafe fn store_bf16_partial(self, p: *mut u16, n: usize) {
        // SAFETY: see above.
        unsafe { self.0.store_bf16_partial(p, n) }
    }
    #[inline(always)]
    unsafe fn store_f16_partial(self, p: *mut u16, n: usize) {
        #[cfg(not(miri))]
        // SAFETY: see above; immediate 0 is round to nearest even; `n` f16
        // are written.
        unsafe {
            super::sse2::store_u16_partial(
                _mm_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(self.0.0),
                p,
                n,
            )
        }
        #[cfg(miri)]
        // SAFETY: see above; `lanes` holds the 4 lanes converted, of which
        // the first `n` are copied.
        unsafe {
            let mut lanes = [0u16; 4];
            self.store_f16(lanes.as_mut_ptr());
            core::ptr::copy_nonoverlapping(lanes.as_ptr(), p, n)
        }
    }
    #[inline(always)]
    unsafe fn mul_add_exact(self, b: Self, c: Self) -> Self {
        // SAFETY: see above; FMA is part of this path's requirement.
        unsafe { H(S(_mm_fmadd_ps(self.0.0, b.0.0, c.0.0))) }
    }
    #[inline(always)]
    unsafe fn splat_f16(h: u16) -> Self {
        // SAFETY: see above; F16C widens exactly (NaNs made quiet).
        unsafe { H(S(_mm_cvtph_ps(_mm_set1_epi16(h as i16)))) }
    }
}

/// The trampoline: runs `job` with AVX2, FMA and F16C enabled, its body
/// monomorphised for this path's [`V`].
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; the job's inputs were validated.
#[target_feature(enable = "avx2,fma,f16c")]
pub(crate) unsafe fn run<J: Job>(job: J) -> J::Output {
    crate::arch::mark(crate::Isa::Avx2);
    // SAFETY: the features are enabled (this function's contract), and the
    // job's inputs were validated.
    unsafe { job.simd::<V>() }
}
