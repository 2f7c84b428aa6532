//! SSE2: 4 f32 lanes. No F16C here, so f16 is converted with integer SIMD
//! (exact widening; nearest-even narrowing), the same bits as `half` and
//! F16C for every value, NaNs included.

use core::arch::x86_64::*;

use crate::arch::Job;
use crate::arch::vector::Vector;

/// Four f32 lanes in an SSE register.
#[derive(Clone, Copy)]
pub(crate) struct V(pub(super) __m128);

/// Widens 4 f16 (in the low halves of 32-bit lanes) to f32 bits, exactly.
/// After ryg's `half_to_float_fast`: shift exponent and mantissa into place,
/// rebias, fix infinities and NaNs, and renormalise subnormals with one
/// exact float subtraction. NaNs come out quiet.
#[inline(always)]
pub(crate) unsafe fn f16_bits_to_f32(h: __m128i) -> __m128 {
    // SAFETY: SSE2 is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let shifted_exp = _mm_set1_epi32(0x7c00 << 13);
        let sign = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x8000)), 16);
        let o = _mm_slli_epi32(_mm_and_si128(h, _mm_set1_epi32(0x7fff)), 13);
        let exp = _mm_and_si128(o, shifted_exp);
        let o = _mm_add_epi32(o, _mm_set1_epi32((127 - 15) << 23));
        let infnan = _mm_cmpeq_epi32(exp, shifted_exp);
        let o = _mm_add_epi32(o, _mm_and_si128(infnan, _mm_set1_epi32((128 - 16) << 23)));
        let sub = _mm_cmpeq_epi32(exp, _mm_setzero_si128());
        // Zeros and subnormals: mantissa · 2^-24, both steps exact (so no
        // rounding mode can change them: a subtraction of two equal values
        // would give -0 when rounding down).
        let renorm = _mm_castps_si128(_mm_mul_ps(
            _mm_cvtepi32_ps(_mm_and_si128(h, _mm_set1_epi32(0x3ff))),
            _mm_set1_ps(1.0 / 16_777_216.0),
        ));
        let o = _mm_or_si128(_mm_and_si128(sub, renorm), _mm_andnot_si128(sub, o));
        // NaN (exponent all ones, mantissa not zero) comes out quiet, as
        // from `half` and F16C.
        let man = _mm_and_si128(h, _mm_set1_epi32(0x3ff));
        let nan = _mm_andnot_si128(_mm_cmpeq_epi32(man, _mm_setzero_si128()), infnan);
        let o = _mm_or_si128(o, _mm_and_si128(nan, _mm_set1_epi32(0x0040_0000)));
        _mm_castsi128_ps(_mm_or_si128(o, sign))
    }
}

/// Narrows 4 f32 to f16 bits (in 32-bit lanes), nearest even. After ryg's
/// `float_to_half_fast3_rtne`: overflow to infinity, NaN to a quiet NaN
/// keeping the payload's top bits,
/// subnormals rounded by one float addition, normals by integer rounding.
#[inline(always)]
pub(crate) unsafe fn f32_to_f16_bits(v: __m128) -> __m128i {
    // SAFETY: SSE2 is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let f = _mm_castps_si128(v);
        let sign = _mm_and_si128(f, _mm_set1_epi32(i32::MIN));
        let a = _mm_xor_si128(f, sign);
        // |x| >= 65536 (after rounding, everything from 65520 up overflows;
        // that is handled by the normal path carrying into exponent 31).
        let big = _mm_cmpgt_epi32(a, _mm_set1_epi32(((127 + 16) << 23) - 1));
        let nan = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x7f80_0000));
        // NaN: quiet, the top of the payload kept (as `half` and F16C).
        let nan_v = _mm_or_si128(
            _mm_set1_epi32(0x7e00),
            _mm_and_si128(_mm_srli_epi32(a, 13), _mm_set1_epi32(0x3ff)),
        );
        let big_v = _mm_or_si128(
            _mm_and_si128(nan, nan_v),
            _mm_andnot_si128(nan, _mm_set1_epi32(0x7c00)),
        );
        // Subnormal results (|x| < 2^-14): |x|·2^24 rounded to an integer,
        // nearest even. Every step is exact or an immediate-mode
        // truncation, so the result does not depend on MXCSR's rounding
        // mode (as F16C's immediate rounding and `half` do not): the
        // product by 2^24 is exact (and normal), `cvttps` truncates
        // whatever the mode, and `y - trunc(y)` is exact.
        let small = _mm_cmplt_epi32(a, _mm_set1_epi32(113 << 23));
        let y = _mm_mul_ps(_mm_castsi128_ps(a), _mm_set1_ps(16_777_216.0));
        let t = _mm_cvttps_epi32(y);
        let frac = _mm_sub_ps(y, _mm_cvtepi32_ps(t));
        let odd_t = _mm_cmpeq_epi32(_mm_and_si128(t, _mm_set1_epi32(1)), _mm_set1_epi32(1));
        let up = _mm_or_si128(
            _mm_castps_si128(_mm_cmpgt_ps(frac, _mm_set1_ps(0.5))),
            _mm_and_si128(
                _mm_castps_si128(_mm_cmpeq_ps(frac, _mm_set1_ps(0.5))),
                odd_t,
            ),
        );
        // `up` is all ones (-1) where the value rounds up.
        let small_v = _mm_sub_epi32(t, up);
        // Normal results: rebias, round to nearest even on bit 13.
        let odd = _mm_and_si128(_mm_srli_epi32(a, 13), _mm_set1_epi32(1));
        let n = _mm_add_epi32(a, _mm_set1_epi32(((15 - 127) << 23) + 0xfff));
        let normal_v = _mm_srli_epi32(_mm_add_epi32(n, odd), 13);
        let o = _mm_or_si128(
            _mm_and_si128(small, small_v),
            _mm_andnot_si128(small, normal_v),
        );
        let o = _mm_or_si128(_mm_and_si128(big, big_v), _mm_andnot_si128(big, o));
        _mm_or_si128(o, _mm_srli_epi32(sign, 16))
    }
}

/// Narrows 4 f32 to bf16 bits (in 32-bit lanes) exactly as
/// `half::bf16::from_f32`: nearest even; NaN keeps its top bits, made quiet.
#[inline(always)]
pub(crate) unsafe fn f32_to_bf16_bits(v: __m128) -> __m128i {
    // SAFETY: SSE2 is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let x = _mm_castps_si128(v);
        let abs = _mm_and_si128(x, _mm_set1_epi32(0x7fff_ffff));
        let nan = _mm_cmpgt_epi32(abs, _mm_set1_epi32(0x7f80_0000));
        let lsb = _mm_and_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(1));
        let rounded = _mm_srli_epi32(
            _mm_add_epi32(_mm_add_epi32(x, _mm_set1_epi32(0x7fff)), lsb),
            16,
        );
        let quiet = _mm_or_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(0x40));
        _mm_or_si128(_mm_and_si128(nan, quiet), _mm_andnot_si128(nan, rounded))
    }
}

/// Sets the quiet bit of NaN lanes (f32 bits), as `half::bf16::to_f32` does.
#[inline(always)]
unsafe fn quiet_nan(x: __m128i) -> __m128i {
    // SAFETY: SSE2 is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let abs = _mm_and_si128(x, _mm_set1_epi32(0x7fff_ffff));
        let nan = _mm_cmpgt_epi32(abs, _mm_set1_epi32(0x7f80_0000));
        _mm_or_si128(x, _mm_and_si128(nan, _mm_set1_epi32(0x0040_0000)))
    }
}

/// Packs 4 lanes of 16-bit values held in 32-bit lanes into the low 64 bits.
#[inline(always)]
unsafe fn pack16(o: __m128i) -> __m128i {
    // SAFETY: SSE2 is enabled by the caller's `#[target_feature]` trampoline.
    // Sign-extend from bit 15 so the signed saturating pack keeps the bits.
    unsafe {
        _mm_packs_epi32(
            _mm_srai_epi32(_mm_slli_epi32(o, 16), 16),
            _mm_setzero_si128(),
        )
    }
}

/// Loads `n < 4` 16-bit units into the low 16-bit lanes (the rest zero),
/// in registers: one 32-bit load and an insert, no buffer.
///
/// # Safety
/// `p` is valid for `n` reads of `u16`; SSE2 is enabled.
#[inline(always)]
pub(crate) unsafe fn load_u16_partial(p: *const u16, n: usize) -> __m128i {
    // SAFETY: every read is below `n` units.
    unsafe {
        match n {
            0 => _mm_setzero_si128(),
            1 => _mm_cvtsi32_si128(*p as i32),
            2 => _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned()),
            _ => _mm_insert_epi16::<2>(
                _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned()),
                *p.add(2) as i32,
            ),
        }
    }
}

/// Loads `n < 4` f32 into the low lanes (the rest zero), in registers.
///
/// # Safety
/// `p` is valid for `n` reads; SSE2 is enabled.
#[inline(always)]
unsafe fn load_ps_partial(p: *const f32, n: usize) -> __m128 {
    // SAFETY: every read is below `n` elements.
    unsafe {
        match n {
            0 => _mm_setzero_ps(),
            1 => _mm_load_ss(p),
            2 => _mm_castsi128_ps(_mm_loadl_epi64(p.cast())),
            _ => _mm_movelh_ps(
                _mm_castsi128_ps(_mm_loadl_epi64(p.cast())),
                _mm_load_ss(p.add(2)),
            ),
        }
    }
}

/// Stores the low `n < 4` f32 lanes of `v`, in registers.
///
/// # Safety
/// `p` is valid for `n` writes; SSE2 is enabled.
#[inline(always)]
unsafe fn store_ps_partial(v: __m128, p: *mut f32, n: usize) {
    // SAFETY: every write is below `n` elements.
    unsafe {
        match n {
            0 => {}
            1 => _mm_store_ss(p, v),
            2 => _mm_storel_epi64(p.cast(), _mm_castps_si128(v)),
            _ => {
                _mm_storel_epi64(p.cast(), _mm_castps_si128(v));
                _mm_store_ss(p.add(2), _mm_movehl_ps(v, v));
            }
        }
    }
}

/// Stores the low `n < 4` 16-bit lanes of `x`, in registers.
///
/// # Safety
/// `p` is valid for `n` writes of `u16`; SSE2 is enabled.
#[inline(always)]
pub(crate) unsafe fn store_u16_partial(x: __m128i, p: *mut u16, n: usize) {
    // SAFETY: every write is below `n` units.
    unsafe {
        match n {
            0 => {}
            1 => *p = _mm_extract_epi16::<0>(x) as u16,
            2 => p.cast::<i32>().write_unaligned(_mm_cvtsi128_si32(x)),
            _ => {
                p.cast::<i32>().write_unaligned(_mm_cvtsi128_si32(x));
                *p.add(2) = _mm_extract_epi16::<2>(x) as u16;
            }
        }
    }
}

// SAFETY (every method below): the `Vector` contract: SSE2 is enabled (it is
// the x86_64 baseline, and the trampoline names it), and the pointers are valid for
// the lanes read or written; all loads and stores are unaligned forms.
impl Vector for V {
    const LANES: usize = 4;
    type Half = V;
    const REGISTER_PARTIAL: bool = true;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm_set1_ps(x)) }
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm_loadu_ps(p)) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { _mm_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: see above; 4 f16 are 8 bytes.
        unsafe {
            let h = _mm_loadl_epi64(p.cast());
            V(f16_bits_to_f32(_mm_unpacklo_epi16(h, _mm_setzero_si128())))
        }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        // SAFETY: see above; 4 f16 are 8 bytes.
        unsafe { _mm_storel_epi64(p.cast(), pack16(f32_to_f16_bits(self.0))) }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above; bf16 bits are the top half of the f32 bits.
        unsafe {
            let h = _mm_loadl_epi64(p.cast());
            let x = _mm_unpacklo_epi16(_mm_setzero_si128(), h);
            V(_mm_castsi128_ps(quiet_nan(x)))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above.
        unsafe { _mm_storel_epi64(p.cast(), pack16(f32_to_bf16_bits(self.0))) }
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize) -> Self {
        // SAFETY: see above; `n` elements are read.
        unsafe { V(load_ps_partial(p, n)) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        // SAFETY: see above; `n` elements are written.
        unsafe { store_ps_partial(self.0, p, n) }
    }
    #[inline(always)]
    unsafe fn load_f16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above; `n` f16 are read.
        unsafe {
            let h = load_u16_partial(p, n);
            V(f16_bits_to_f32(_mm_unpacklo_epi16(h, _mm_setzero_si128())))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16_partial(self, p: *mut u16, n: usize) {
        // SAFETY: see above; `n` bf16 are written.
        unsafe { store_u16_partial(pack16(f32_to_bf16_bits(self.0)), p, n) }
    }
    #[inline(always)]
    unsafe fn load_bf16_partial(p: *const u16, n: usize) -> Self {
        // SAFETY: see above; `n` bf16 are read.
        unsafe {
            let h = load_u16_partial(p, n);
            let x = _mm_unpacklo_epi16(_mm_setzero_si128(), h);
            V(_mm_castsi128_ps(quiet_nan(x)))
        }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm_add_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm_mul_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm_div_ps(self.0, o.0)) }
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        // SAFETY: see above. `maxps(x, acc)` gives `x > acc ? x : acc`,
        // which keeps a NaN accumulator; a NaN `x` is blended in after.
        unsafe {
            let m = _mm_max_ps(x.0, self.0);
            let nan = _mm_cmpunord_ps(x.0, x.0);
            V(_mm_or_ps(_mm_and_ps(nan, x.0), _mm_andnot_ps(nan, m)))
        }
    }
    const MAX_NAN_LATER: bool = true;
    #[inline(always)]
    unsafe fn max_or_keep(self, x: Self) -> Self {
        // SAFETY: see above. `maxps(x, acc)`: `x > acc ? x : acc`.
        unsafe { V(_mm_max_ps(x.0, self.0)) }
    }
    #[inline(always)]
    unsafe fn or_nan(self, a: Self, b: Self) -> Self {
        // SAFETY: see above.
        unsafe { V(_mm_or_ps(self.0, _mm_cmpunord_ps(a.0, b.0))) }
    }
    #[inline(always)]
    unsafe fn any_set(self) -> bool {
        // SAFETY: see above; an `__m128` is 16 bytes, as `[u32; 4]`, any
        // bits valid for both.
        let lanes: [u32; 4] = unsafe { core::mem::transmute(self.0) };
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
        // SAFETY: see above. No FMA here: two f64 lanes at a time (see
        // `fma_f64_odd`), then one rounding to f32.
        unsafe {
            let hi = |x: __m128| _mm_cvtps_pd(_mm_movehl_ps(x, x));
            let lo = fma_f64_odd(_mm_cvtps_pd(self.0), _mm_cvtps_pd(b.0), _mm_cvtps_pd(c.0));
            let hi = fma_f64_odd(hi(self.0), hi(b.0), hi(c.0));
            V(_mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)))
        }
    }
    #[inline(always)]
    unsafe fn mul_add_wide(self, b: Self, c: Self) -> Self {
        // SAFETY: see above. The product of two f32 is exact in f64; the
        // sum rounds once in f64 (exact, as the caller guarantees), then
        // once to f32.
        unsafe {
            let hi = |x: __m128| _mm_cvtps_pd(_mm_movehl_ps(x, x));
            let f = |a, b, c| _mm_cvtpd_ps(_mm_add_pd(_mm_mul_pd(a, b), c));
            let lo = f(_mm_cvtps_pd(self.0), _mm_cvtps_pd(b.0), _mm_cvtps_pd(c.0));
            V(_mm_movelh_ps(lo, f(hi(self.0), hi(b.0), hi(c.0))))
        }
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above; 4 bytes are read.
        unsafe {
            let x = _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned());
            let x = _mm_and_si128(x, _mm_set1_epi8(mask as i8));
            let x = _mm_unpacklo_epi16(
                _mm_unpacklo_epi8(x, _mm_setzero_si128()),
                _mm_setzero_si128(),
            );
            V(_mm_cvtepi32_ps(x))
        }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above; 4 bytes are read. Each byte is copied into all
        // four bytes of its lane, and the arithmetic shift sign-extends it.
        unsafe {
            let x = _mm_cvtsi32_si128(p.cast::<i32>().read_unaligned());
            let x = _mm_unpacklo_epi8(x, x);
            V(_mm_cvtepi32_ps(_mm_srai_epi32(
                _mm_unpacklo_epi16(x, x),
                24,
            )))
        }
    }
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above; 2 bytes are read. No variable shifts in SSE2:
        // mask the nibble in place, then scale by 2^-4 (exact).
        unsafe {
            let (b0, b1) = (*p as i32, *p.add(1) as i32);
            let x = _mm_and_si128(
                _mm_set_epi32(b1, b1, b0, b0),
                _mm_set_epi32(0xf0, 0x0f, 0xf0, 0x0f),
            );
            V(_mm_mul_ps(
                _mm_cvtepi32_ps(x),
                _mm_set_ps(0.0625, 1.0, 0.0625, 1.0),
            ))
        }
    }
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above; 1 byte is read. As `load_u4`, by 2^-2k.
        unsafe {
            let x = _mm_and_si128(
                _mm_set1_epi32(*p as i32),
                _mm_set_epi32(0xc0, 0x30, 0x0c, 0x03),
            );
            V(_mm_mul_ps(
                _mm_cvtepi32_ps(x),
                _mm_set_ps(1.0 / 64.0, 1.0 / 16.0, 0.25, 1.0),
            ))
        }
    }
}

/// `a·b + c` for f32 values held in f64 lanes, rounded to odd at f64
/// precision, so that the caller's one conversion to f32 (nearest even)
/// gives the correctly rounded f32 fused multiply-add.
///
/// The product of two f32 is exact in f64 (48 significant bits, and the
/// exponent range is ample). `s = p + c` rounds once; TwoSum gives its
/// exact error `e`. If `e != 0`, the exact value lies strictly between `s`
/// and its neighbour toward `e`, and round-to-odd picks the odd one of
/// the two: `s` if its last bit is 1, else the neighbour. That is
/// `(bits(s) − 1) | 1` when `s` was rounded away from zero (`e` and `s` of
/// opposite signs), `bits(s) | 1` otherwise. Rounding to odd at 53 bits,
/// then to nearest at 24, is correct since 53 ≥ 24 + 2 (Boldo and
/// Melquiond). A non-finite `s` is left as it is (NaN and infinities come
/// out as the fused operation gives them).
#[inline(always)]
pub(crate) unsafe fn fma_f64_odd(a: __m128d, b: __m128d, c: __m128d) -> __m128d {
    // SAFETY: SSE2 is enabled by the caller's `#[target_feature]` trampoline.
    unsafe {
        let p = _mm_mul_pd(a, b);
        let s = _mm_add_pd(p, c);
        let bb = _mm_sub_pd(s, p);
        let e = _mm_add_pd(_mm_sub_pd(p, _mm_sub_pd(s, bb)), _mm_sub_pd(c, bb));
        let abs = _mm_castsi128_pd(_mm_srli_epi64(_mm_slli_epi64(_mm_castpd_si128(s), 1), 1));
        let finite = _mm_cmplt_pd(abs, _mm_set1_pd(f64::INFINITY));
        let apply = _mm_castpd_si128(_mm_and_pd(_mm_cmpneq_pd(e, _mm_setzero_pd()), finite));
        let sb = _mm_castpd_si128(s);
        // All ones in a 64-bit lane where `e` and `s` differ in sign.
        let x = _mm_srai_epi32(_mm_xor_si128(_mm_castpd_si128(e), sb), 31);
        let down = _mm_shuffle_epi32::<0b11_11_01_01>(x);
        let odd = _mm_or_si128(_mm_add_epi64(sb, down), _mm_set1_epi64x(1));
        _mm_castsi128_pd(_mm_or_si128(
            _mm_and_si128(apply, odd),
            _mm_andnot_si128(apply, sb),
        ))
    }
}

/// The trampoline: runs `job` with SSE2 (the x86_64 baseline) enabled, its body
/// monomorphised for this path's [`V`].
///
/// # Safety
/// The CPU has SSE2 (the x86_64 baseline); the job's inputs were validated.
#[target_feature(enable = "sse2")]
pub(crate) unsafe fn run<J: Job>(job: J) -> J::Output {
    crate::arch::mark(crate::Isa::Sse2);
    // SAFETY: the features are enabled (this function's contract), and the
    // job's inputs were validated.
    unsafe { job.simd::<V>() }
}
