//! AVX-512 F + BW + VL: 16 f32 lanes, tails by masked loads and stores (a
//! masked-off lane is never touched, so tails need no scratch buffer).
//! f16 converts with `vcvtph2ps`/`vcvtps2ph` (nearest even); bf16 with
//! integer shifts (not AVX512-BF16, whose conversion flushes subnormals).

use core::arch::x86_64::*;

use crate::arch::Job;
use crate::arch::vector::Vector;

/// Sixteen f32 lanes in a ZMM register.
#[derive(Clone, Copy)]
pub(crate) struct V(__m512);

/// The mask of the first `n < 16` lanes.
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

/// Widens 16 bf16 (zero-extended in 32-bit lanes) to f32; NaN comes out
/// quiet, as from `half::bf16::to_f32`.
#[inline(always)]
unsafe fn bf16_bits_to_f32(h: __m512i) -> __m512 {
    // SAFETY: AVX-512F is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let x = _mm512_slli_epi32::<16>(h);
        let abs = _mm512_and_si512(x, _mm512_set1_epi32(0x7fff_ffff));
        let nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7f80_0000));
        let x = _mm512_mask_or_epi32(x, nan, x, _mm512_set1_epi32(0x0040_0000));
        _mm512_castsi512_ps(x)
    }
}

/// Narrows 16 f32 to bf16 bits in 32-bit lanes, as `half::bf16::from_f32`.
#[inline(always)]
unsafe fn f32_to_bf16_bits(v: __m512) -> __m512i {
    // SAFETY: AVX-512F is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let x = _mm512_castps_si512(v);
        let abs = _mm512_and_si512(x, _mm512_set1_epi32(0x7fff_ffff));
        let nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7f80_0000));
        let lsb = _mm512_and_si512(_mm512_srli_epi32::<16>(x), _mm512_set1_epi32(1));
        let rounded = _mm512_srli_epi32::<16>(_mm512_add_epi32(
            _mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)),
            lsb,
        ));
        let quiet = _mm512_or_si512(_mm512_srli_epi32::<16>(x), _mm512_set1_epi32(0x40));
        _mm512_mask_mov_epi32(rounded, nan, quiet)
    }
}

const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

// SAFETY (every method below): the `Vector` contract: AVX-512 F, BW and VL
// are enabled by the trampoline's `#[target_feature]`, and the pointers are valid
// for the lanes read or written (masked-off lanes are not accessed); all
// loads and stores are unaligned forms.
impl Vector for V {
    const LANES: usize = 16;
    const UNSIGNED_MAX: bool = true;
    type Half = super::avx2::V;
    const FMA: bool = true;
    const MASKED: bool = true;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm512_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm512_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { _mm512_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        #[cfg(not(miri))]
        // SAFETY: see above; 16 f16 are 32 bytes.
        unsafe {
            V(_mm512_cvtph_ps(_mm256_loadu_si256(p.cast())))
        }
        #[cfg(miri)]
        // SAFETY: see above; Miri cannot interpret the 512-bit
        // `vcvtph2ps`, so it widens with the SSE2 path's integer code.
        unsafe {
            let mut lanes = [0f32; 16];
            let mut j = 0;
            while j < 16 {
                let h = _mm_unpacklo_epi16(_mm_loadl_epi64(p.add(j).cast()), _mm_setzero_si128());
                _mm_storeu_ps(lanes.as_mut_ptr().add(j), super::sse2::f16_bits_to_f32(h));
                j += 4;
            }
            V(_mm512_loadu_ps(lanes.as_ptr()))
        }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        #[cfg(not(miri))]
        // SAFETY: see above.
        unsafe {
            _mm256_storeu_si256(p.cast(), _mm512_cvtps_ph::<NEAREST>(self.0))
        }
        #[cfg(miri)]
        // SAFETY: see above; `lanes` holds the 16 lanes converted.
        unsafe {
            let mut lanes = [0f32; 16];
            _mm512_storeu_ps(lanes.as_mut_ptr(), self.0);
            super::f32_to_f16_soft::<16>(lanes.as_ptr(), p)
        }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above; bf16 bits are the top half of the f32 bits.
        unsafe {
            V(bf16_bits_to_f32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(
                p.cast(),
            ))))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above; `vpmovdw` truncates each lane to its low 16 bits.
        unsafe { _mm256_storeu_si256(p.cast(), _mm512_cvtepi32_epi16(f32_to_bf16_bits(self.0))) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm512_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm512_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm512_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        #[cfg(not(miri))]
        // SAFETY: see above. `vmaxps(x, acc)` keeps a NaN accumulator; a NaN
        // `x` is moved in after under its mask.
        unsafe {
            let m = _mm512_max_ps(x.0, self.0);
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x.0, x.0);
            V(_mm512_mask_mov_ps(m, nan, x.0))
        }
        #[cfg(miri)]
        // SAFETY: see above. Miri cannot interpret the 512-bit `vmaxps`
        // and compare: the two 256-bit halves go through the AVX2 path's
        // `max_nan` (the same rule), via memory.
        unsafe {
            use super::avx2::V as V8;
            let (mut a, mut b) = ([0f32; 16], [0f32; 16]);
            _mm512_storeu_ps(a.as_mut_ptr(), self.0);
            _mm512_storeu_ps(b.as_mut_ptr(), x.0);
            for h in [0, 8] {
                let m = V8::load(a.as_ptr().add(h)).max_nan(V8::load(b.as_ptr().add(h)));
                m.store(a.as_mut_ptr().add(h));
            }
            V(_mm512_loadu_ps(a.as_ptr()))
        }
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
        // SAFETY: see above; AVX-512F has the fused multiply-add.
        unsafe { V(_mm512_fmadd_ps(self.0, b.0, c.0)) }
    }
    // Under Miri (which lacks the 512-bit conversions and variable
    // shifts used here) the trait's default serves.
    #[cfg(not(miri))]
    #[inline(always)]
    unsafe fn splat_f16(h: u16) -> Self {
        // SAFETY: see above; `vcvtph2ps` widens exactly (NaNs made quiet).
        unsafe { V(_mm512_cvtph_ps(_mm256_set1_epi16(h as i16))) }
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above; 16 bytes are read.
        unsafe {
            let x = _mm_and_si128(_mm_loadu_si128(p.cast()), _mm_set1_epi8(mask as i8));
            V(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(x)))
        }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above; 16 bytes are read.
        unsafe {
            V(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                p.cast(),
            ))))
        }
    }
    // Under Miri (which lacks the 512-bit conversions and variable
    // shifts used here) the trait's default serves.
    #[cfg(not(miri))]
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above; 8 bytes are read, each into two lanes.
        unsafe {
            let x = _mm_loadl_epi64(p.cast());
            let x = _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(x, x));
            let sh = _mm512_set_epi32(4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0);
            let x = _mm512_srlv_epi32(x, sh);
            V(_mm512_cvtepi32_ps(_mm512_and_si512(
                x,
                _mm512_set1_epi32(15),
            )))
        }
    }
    // Under Miri (which lacks the 512-bit permutes and variable shifts
    // used here) the trait's default serves.
    #[cfg(not(miri))]
    const U4_TABLE: bool = true;
    #[cfg(not(miri))]
    #[inline(always)]
    unsafe fn u4_table(scale: Self, bias: Self) -> Self {
        // SAFETY: see above. Lane `q` is `scale·q + bias`, multiplied and
        // added as `load_u4_scaled`'s default does it per code.
        unsafe {
            let q = _mm512_setr_ps(
                0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0,
                15.0,
            );
            scale.mul(V(q)).add(bias)
        }
    }
    #[cfg(not(miri))]
    #[inline(always)]
    unsafe fn load_u4_scaled(p: *const u8, _scale: Self, _bias: Self, table: Self) -> Self {
        // SAFETY: see above; 8 bytes are read, each into two lanes. The
        // permute reads each index's low 4 bits: the byte's low nibble in
        // even lanes, its high nibble (shifted down) in odd ones.
        unsafe {
            let x = _mm_loadl_epi64(p.cast());
            let x = _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(x, x));
            let sh = _mm512_set_epi32(4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0);
            V(_mm512_permutexvar_ps(_mm512_srlv_epi32(x, sh), table.0))
        }
    }
    // Under Miri (which lacks the 512-bit conversions and variable
    // shifts used here) the trait's default serves.
    #[cfg(not(miri))]
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above; 4 bytes are read, each into four lanes.
        unsafe {
            let x = _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned());
            let x = _mm_unpacklo_epi8(x, x);
            let x = _mm512_cvtepu8_epi32(_mm_unpacklo_epi16(x, x));
            let sh = _mm512_set_epi32(6, 4, 2, 0, 6, 4, 2, 0, 6, 4, 2, 0, 6, 4, 2, 0);
            let x = _mm512_srlv_epi32(x, sh);
            V(_mm512_cvtepi32_ps(_mm512_and_si512(
                x,
                _mm512_set1_epi32(3),
            )))
        }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm512_maskz_loadu_ps(first(n), p)) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        // SAFETY: see above.
        unsafe { _mm512_mask_storeu_ps(p, first(n), self.0) }
    }
    #[inline(always)]
    unsafe fn load_f16_partial(p: *const u16, n: usize) -> Self {
        #[cfg(not(miri))]
        // SAFETY: see above.
        unsafe {
            V(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(
                first(n),
                p.cast(),
            )))
        }
        #[cfg(miri)]
        // SAFETY: see above; `buf` holds the `n` halves and zeros.
        unsafe {
            let mut buf = [0u16; 16];
            core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n);
            Self::load_f16(buf.as_ptr())
        }
    }
    #[inline(always)]
    unsafe fn store_f16_partial(self, p: *mut u16, n: usize) {
        #[cfg(not(miri))]
        // SAFETY: see above.
        unsafe {
            _mm256_mask_storeu_epi16(p.cast(), first(n), _mm512_cvtps_ph::<NEAREST>(self.0))
        }
        #[cfg(miri)]
        // SAFETY: see above; `buf` holds all 16 lanes, `n` of them are stored.
        unsafe {
            let mut buf = [0u16; 16];
            self.store_f16(buf.as_mut_ptr());
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, n)
        }
    }
    #[inline(always)]
    unsafe fn load_bf16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above.
        unsafe {
            let h = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(first(n), p.cast()));
            V(bf16_bits_to_f32(h))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16_partial(self, p: *mut u16, n: usize) {
        // SAFETY: see above.
        unsafe {
            _mm256_mask_storeu_epi16(
                p.cast(),
                first(n),
                _mm512_cvtepi32_epi16(f32_to_bf16_bits(self.0)),
            )
        }
    }
}

/// The mask of the first `n < 8` lanes.
#[inline(always)]
fn first8(n: usize) -> __mmask8 {
    ((1u32 << n) - 1) as __mmask8
}

/// Eight f32 lanes in a YMM register, with AVX-512's instructions (VL):
/// the path [`Isa::Avx512Ymm`](crate::Isa::Avx512Ymm). Whole vectors are
/// AVX2's (the same instructions, EVEX- or VEX-encoded as the compiler
/// picks); what AVX-512 adds at this width is masked loads and stores for
/// row tails (`Vector::MASKED`, no buffer) and mask compares for bf16
/// (no `vpblendvb`). 32-byte accesses split a cache line half as often
/// as 64-byte ones, and on Intel cores 512-bit instructions can lower the
/// clock; LLVM tunes those cores for 256-bit vectors
/// (`prefer-vector-width=256`). The sweep's measurements are at
/// `Kernels::best`'s Intel and Zen 4 rules (`src/kernels.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Y(super::avx2::V);

use super::avx2::V as A;

/// Widens 8 bf16 (zero-extended in 32-bit lanes) to f32; NaN comes out
/// quiet, as from `half::bf16::to_f32`.
#[inline(always)]
unsafe fn bf16_bits_to_f32_y(h: __m256i) -> __m256 {
    // SAFETY: AVX-512F and VL are enabled by the caller's trampoline.
    unsafe {
        let x = _mm256_slli_epi32::<16>(h);
        let abs = _mm256_and_si256(x, _mm256_set1_epi32(0x7fff_ffff));
        let nan = _mm256_cmpgt_epi32_mask(abs, _mm256_set1_epi32(0x7f80_0000));
        let x = _mm256_mask_or_epi32(x, nan, x, _mm256_set1_epi32(0x0040_0000));
        _mm256_castsi256_ps(x)
    }
}

/// Narrows 8 f32 to bf16 bits (as `half::bf16::from_f32`), packed into 8
/// 16-bit lanes by `vpmovdw`.
#[inline(always)]
unsafe fn f32_to_bf16_y(v: __m256) -> __m128i {
    // SAFETY: AVX-512F, BW and VL are enabled by the caller's trampoline.
    unsafe {
        let x = _mm256_castps_si256(v);
        let abs = _mm256_and_si256(x, _mm256_set1_epi32(0x7fff_ffff));
        let nan = _mm256_cmpgt_epi32_mask(abs, _mm256_set1_epi32(0x7f80_0000));
        let lsb = _mm256_and_si256(_mm256_srli_epi32::<16>(x), _mm256_set1_epi32(1));
        let rounded = _mm256_srli_epi32::<16>(_mm256_add_epi32(
            _mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)),
            lsb,
        ));
        let quiet = _mm256_or_si256(_mm256_srli_epi32::<16>(x), _mm256_set1_epi32(0x40));
        _mm256_cvtepi32_epi16(_mm256_mask_mov_epi32(rounded, nan, quiet))
    }
}

// SAFETY (every method below): the `Vector` contract: AVX-512 F, BW and VL
// (with AVX2, FMA and F16C, which AVX2's methods need) are enabled by the
// trampoline's `#[target_feature]`, and the pointers are valid for the
// lanes read or written (masked-off lanes are not accessed); all loads and
// stores are unaligned forms.
impl Vector for Y {
    const LANES: usize = 8;
    const UNSIGNED_MAX: bool = true;
    type Half = super::avx2::H;
    const FMA: bool = true;
    const MASKED: bool = true;
    const MAX_NAN_LATER: bool = true;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::splat(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::load(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { self.0.store(p) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::load_f16(p)) }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        // SAFETY: see above.
        unsafe { self.0.store_f16(p) }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above; 8 bf16 are 16 bytes.
        unsafe {
            Y(A(bf16_bits_to_f32_y(_mm256_cvtepu16_epi32(
                _mm_loadu_si128(p.cast()),
            ))))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above; 8 bf16 are 16 bytes.
        unsafe { _mm_storeu_si128(p.cast(), f32_to_bf16_y(self.0.0)) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.add(o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.mul(o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.div(o.0)) }
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.max_nan(x.0)) }
    }
    #[inline(always)]
    unsafe fn max_or_keep(self, x: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.max_or_keep(x.0)) }
    }
    #[inline(always)]
    unsafe fn or_nan(self, a: Self, b: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.or_nan(a.0, b.0)) }
    }
    #[inline(always)]
    unsafe fn any_set(self) -> bool {
        // SAFETY: see above.
        unsafe { self.0.any_set() }
    }
    #[inline(always)]
    unsafe fn prefetch(p: *const u8) {
        // SAFETY: see above.
        unsafe { A::prefetch(p) }
    }
    #[inline(always)]
    unsafe fn prefetch_l2(p: *const u8) {
        // SAFETY: see above.
        unsafe { A::prefetch_l2(p) }
    }
    #[inline(always)]
    unsafe fn mul_add_exact(self, b: Self, c: Self) -> Self {
        // SAFETY: see above.
        unsafe { Y(self.0.mul_add_exact(b.0, c.0)) }
    }
    #[inline(always)]
    unsafe fn splat_f16(h: u16) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::splat_f16(h)) }
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::load_u8_and(p, mask)) }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::load_i8(p)) }
    }
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::load_u4(p)) }
    }
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above.
        unsafe { Y(A::load_u2(p)) }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> Self {
        // SAFETY: see above.
        unsafe { Y(A(_mm256_maskz_loadu_ps(first8(n), p))) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        // SAFETY: see above.
        unsafe { _mm256_mask_storeu_ps(p, first8(n), self.0.0) }
    }
    #[inline(always)]
    unsafe fn load_f16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above; F16C widens exactly (NaNs made quiet).
        unsafe {
            Y(A(_mm256_cvtph_ps(_mm_maskz_loadu_epi16(
                first8(n),
                p.cast(),
            ))))
        }
    }
    #[inline(always)]
    unsafe fn store_f16_partial(self, p: *mut u16, n: usize) {
        #[cfg(not(miri))]
        // SAFETY: see above; immediate 0 is round to nearest even.
        unsafe {
            _mm_mask_storeu_epi16(
                p.cast(),
                first8(n),
                _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(self.0.0),
            )
        }
        #[cfg(miri)]
        // SAFETY: see above; `buf` holds all 8 lanes, `n` of them are stored.
        unsafe {
            let mut buf = [0u16; 8];
            self.store_f16(buf.as_mut_ptr());
            core::ptr::copy_nonoverlapping(buf.as_ptr(), p, n)
        }
    }
    #[inline(always)]
    unsafe fn load_bf16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above.
        unsafe {
            let h = _mm256_cvtepu16_epi32(_mm_maskz_loadu_epi16(first8(n), p.cast()));
            Y(A(bf16_bits_to_f32_y(h)))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16_partial(self, p: *mut u16, n: usize) {
        // SAFETY: see above.
        unsafe { _mm_mask_storeu_epi16(p.cast(), first8(n), f32_to_bf16_y(self.0.0)) }
    }
}

/// The trampoline of [`Isa::Avx512Ymm`](crate::Isa::Avx512Ymm): runs
/// `job` with AVX-512 F, BW and VL (with AVX2, FMA and F16C) enabled, its
/// body monomorphised for [`Y`].
///
/// # Safety
/// The CPU has AVX-512 F, BW and VL (with AVX2, FMA and F16C); the job's
/// inputs were validated.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
pub(crate) unsafe fn run_ymm<J: Job>(job: J) -> J::Output {
    crate::arch::mark(crate::Isa::Avx512Ymm);
    // SAFETY: the features are enabled (this function's contract), and the
    // job's inputs were validated.
    unsafe { job.simd::<Y>() }
}

/// The trampoline: runs `job` with AVX-512 F, BW and VL (with AVX2, FMA and F16C) enabled, its body
/// monomorphised for this path's [`V`].
///
/// # Safety
/// The CPU has AVX-512 F, BW and VL (with AVX2, FMA and F16C); the job's inputs were validated.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma,f16c")]
pub(crate) unsafe fn run<J: Job>(job: J) -> J::Output {
    crate::arch::mark(crate::Isa::Avx512);
    // SAFETY: the features are enabled (this function's contract), and the
    // job's inputs were validated.
    unsafe { job.simd::<V>() }
}
