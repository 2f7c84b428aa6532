//! simd128: 4 f32 lanes. wasm has no f16 instructions, so f16 converts with
//! integer SIMD (exact widening; nearest-even narrowing), the same bits as
//! `half` for every value, NaNs included; bf16 with shifts.

use core::arch::wasm32::*;

use crate::arch::Job;
use crate::arch::vector::Vector;

/// Four f32 lanes in a `v128`.
#[derive(Clone, Copy)]
pub(crate) struct V(v128);

/// `m ? a : b`, lane-wise, for all-ones/all-zeros masks.
#[inline(always)]
fn select(m: v128, a: v128, b: v128) -> v128 {
    v128_bitselect(a, b, m)
}

/// Widens 4 f16 (zero-extended in 32-bit lanes) to f32, exactly. The same
/// method as the SSE2 path (ryg's `half_to_float_fast`).
#[inline(always)]
fn f16_bits_to_f32(h: v128) -> v128 {
    let shifted_exp = u32x4_splat(0x7c00 << 13);
    let sign = i32x4_shl(v128_and(h, u32x4_splat(0x8000)), 16);
    let o = i32x4_shl(v128_and(h, u32x4_splat(0x7fff)), 13);
    let exp = v128_and(o, shifted_exp);
    let o = i32x4_add(o, u32x4_splat((127 - 15) << 23));
    let infnan = i32x4_eq(exp, shifted_exp);
    let o = i32x4_add(o, v128_and(infnan, u32x4_splat((128 - 16) << 23)));
    let sub = i32x4_eq(exp, u32x4_splat(0));
    let renorm = f32x4_sub(i32x4_add(o, u32x4_splat(1 << 23)), u32x4_splat(113 << 23));
    // NaN comes out quiet, as from `half`.
    let nan = v128_andnot(
        infnan,
        i32x4_eq(v128_and(h, u32x4_splat(0x3ff)), u32x4_splat(0)),
    );
    let o = v128_or(
        select(sub, renorm, o),
        v128_and(nan, u32x4_splat(0x0040_0000)),
    );
    v128_or(o, sign)
}

/// Narrows 4 f32 to f16 bits in 32-bit lanes, nearest even (ryg's
/// `float_to_half_fast3_rtne`, as the SSE2 path).
#[inline(always)]
fn f32_to_f16_bits(f: v128) -> v128 {
    let sign = v128_and(f, u32x4_splat(0x8000_0000));
    let a = v128_xor(f, sign);
    let big = u32x4_ge(a, u32x4_splat((127 + 16) << 23));
    let nan = u32x4_gt(a, u32x4_splat(0x7f80_0000));
    // NaN: quiet, the top of the payload kept (as `half`).
    let nan_v = v128_or(
        u32x4_splat(0x7e00),
        v128_and(u32x4_shr(a, 13), u32x4_splat(0x3ff)),
    );
    let big_v = select(nan, nan_v, u32x4_splat(0x7c00));
    let small = u32x4_lt(a, u32x4_splat(113 << 23));
    let denorm_magic = u32x4_splat(((127 - 15) + (23 - 10) + 1) << 23);
    let small_v = i32x4_sub(f32x4_add(a, denorm_magic), denorm_magic);
    let odd = v128_and(u32x4_shr(a, 13), u32x4_splat(1));
    let n = i32x4_add(a, u32x4_splat((((15 - 127) << 23) + 0xfff) as u32));
    let normal_v = u32x4_shr(i32x4_add(n, odd), 13);
    let o = select(small, small_v, normal_v);
    v128_or(select(big, big_v, o), u32x4_shr(sign, 16))
}

/// Narrows 4 f32 to bf16 bits in 32-bit lanes, as `half::bf16::from_f32`.
#[inline(always)]
fn f32_to_bf16_bits(x: v128) -> v128 {
    let abs = v128_and(x, u32x4_splat(0x7fff_ffff));
    let nan = u32x4_gt(abs, u32x4_splat(0x7f80_0000));
    let hi = u32x4_shr(x, 16);
    let lsb = v128_and(hi, u32x4_splat(1));
    let rounded = u32x4_shr(i32x4_add(i32x4_add(x, u32x4_splat(0x7fff)), lsb), 16);
    select(nan, v128_or(hi, u32x4_splat(0x40)), rounded)
}

/// Stores the low 16 bits of 4 lanes as 4 `u16`.
#[inline(always)]
unsafe fn store16(p: *mut u16, v: v128) {
    // Values are 0..=0xffff, which the unsigned-saturating narrow keeps.
    let packed = u16x8_narrow_i32x4(v, v);
    // SAFETY: the caller guarantees `p` is valid for 4 `u16` (8 bytes);
    // the store is unaligned.
    unsafe { v128_store64_lane::<0>(packed, p.cast()) }
}

// SAFETY (every method below): the `Vector` contract: simd128 is enabled
// (the module exists only when the build enables it), and the pointers are
// valid for the lanes read or written; wasm loads and stores are unaligned.
impl Vector for V {
    const LANES: usize = 4;
    type Half = V;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        V(f32x4_splat(x))
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: see above.
        unsafe { V(v128_load(p.cast())) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: see above.
        unsafe { v128_store(p.cast(), self.0) }
    }
    #[inline(always)]
    unsafe fn load_f16(p: *const u16) -> Self {
        // SAFETY: see above; 4 f16 are 8 bytes.
        unsafe { V(f16_bits_to_f32(u32x4_load_extend_u16x4(p))) }
    }
    #[inline(always)]
    unsafe fn store_f16(self, p: *mut u16) {
        // SAFETY: see above.
        unsafe { store16(p, f32_to_f16_bits(self.0)) }
    }
    #[inline(always)]
    unsafe fn load_bf16(p: *const u16) -> Self {
        // SAFETY: see above; bf16 bits are the top half of the f32 bits.
        // NaN comes out quiet, as from `half::bf16::to_f32`.
        unsafe {
            let x = i32x4_shl(u32x4_load_extend_u16x4(p), 16);
            let nan = u32x4_gt(
                v128_and(x, u32x4_splat(0x7fff_ffff)),
                u32x4_splat(0x7f80_0000),
            );
            V(v128_or(x, v128_and(nan, u32x4_splat(0x0040_0000))))
        }
    }
    #[inline(always)]
    unsafe fn store_bf16(self, p: *mut u16) {
        // SAFETY: see above.
        unsafe { store16(p, f32_to_bf16_bits(self.0)) }
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        V(f32x4_add(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        V(f32x4_mul(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn div(self, o: Self) -> Self {
        V(f32x4_div(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn max_nan(self, x: Self) -> Self {
        // Not `f32x4_max`, which orders -0 below +0: the portable rule keeps
        // the accumulator on ties. `x > acc ? x : acc` keeps a NaN
        // accumulator; a NaN `x` is selected after.
        let m = select(f32x4_gt(x.0, self.0), x.0, self.0);
        V(select(f32x4_ne(x.0, x.0), x.0, m))
    }
    #[inline(always)]
    unsafe fn mul_add_exact(self, b: Self, c: Self) -> Self {
        // No FMA in simd128 (relaxed-simd's is not guaranteed to fuse):
        // two f64 lanes at a time, rounded to odd (see `fma_f64_odd`).
        let hi = |x: v128| f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(x, x));
        let lo = fma_f64_odd(
            f64x2_promote_low_f32x4(self.0),
            f64x2_promote_low_f32x4(b.0),
            f64x2_promote_low_f32x4(c.0),
        );
        let hi = fma_f64_odd(hi(self.0), hi(b.0), hi(c.0));
        V(i32x4_shuffle::<0, 1, 4, 5>(
            f32x4_demote_f64x2_zero(lo),
            f32x4_demote_f64x2_zero(hi),
        ))
    }
    #[inline(always)]
    unsafe fn mul_add_wide(self, b: Self, c: Self) -> Self {
        // The product of two f32 is exact in f64; the sum rounds once in
        // f64 (exact, as the caller guarantees), then once to f32.
        let hi = |x: v128| f64x2_promote_low_f32x4(i32x4_shuffle::<2, 3, 2, 3>(x, x));
        let lo = |x: v128| f64x2_promote_low_f32x4(x);
        let f = |a, b, c| f32x4_demote_f64x2_zero(f64x2_add(f64x2_mul(a, b), c));
        V(i32x4_shuffle::<0, 1, 4, 5>(
            f(lo(self.0), lo(b.0), lo(c.0)),
            f(hi(self.0), hi(b.0), hi(c.0)),
        ))
    }
    #[inline(always)]
    unsafe fn load_u8_and(p: *const u8, mask: u8) -> Self {
        // SAFETY: see above; 4 bytes are read.
        unsafe {
            let x = v128_and(v128_load32_zero(p.cast()), u8x16_splat(mask));
            V(f32x4_convert_u32x4(u32x4_extend_low_u16x8(
                u16x8_extend_low_u8x16(x),
            )))
        }
    }
    #[inline(always)]
    unsafe fn load_i8(p: *const u8) -> Self {
        // SAFETY: see above; 4 bytes are read.
        unsafe {
            let x = v128_load32_zero(p.cast());
            V(f32x4_convert_i32x4(i32x4_extend_low_i16x8(
                i16x8_extend_low_i8x16(x),
            )))
        }
    }
    #[inline(always)]
    unsafe fn load_u4(p: *const u8) -> Self {
        // SAFETY: see above; 2 bytes are read. The nibble is masked in
        // place and scaled by 2^-4 (exact).
        unsafe {
            let (b0, b1) = (*p as u32, *p.add(1) as u32);
            let x = v128_and(u32x4(b0, b0, b1, b1), u32x4(0x0f, 0xf0, 0x0f, 0xf0));
            V(f32x4_mul(
                f32x4_convert_u32x4(x),
                f32x4(1.0, 0.0625, 1.0, 0.0625),
            ))
        }
    }
    #[inline(always)]
    unsafe fn load_u2(p: *const u8) -> Self {
        // SAFETY: see above; 1 byte is read. As `load_u4`, by 2^-2k.
        unsafe {
            let x = v128_and(u32x4_splat(*p as u32), u32x4(0x03, 0x0c, 0x30, 0xc0));
            V(f32x4_mul(
                f32x4_convert_u32x4(x),
                f32x4(1.0, 0.25, 1.0 / 16.0, 1.0 / 64.0),
            ))
        }
    }
}

/// `a·b + c` for f32 values in f64 lanes, rounded to odd at f64 precision,
/// so that one conversion to f32 gives the correctly rounded fused
/// multiply-add. The method of the SSE2 path's `fma_f64_odd` (see there):
/// exact product, TwoSum, `(bits(s) − 1) | 1` or `bits(s) | 1` when inexact,
/// non-finite sums untouched.
#[inline(always)]
fn fma_f64_odd(a: v128, b: v128, c: v128) -> v128 {
    let p = f64x2_mul(a, b);
    let s = f64x2_add(p, c);
    let bb = f64x2_sub(s, p);
    let e = f64x2_add(f64x2_sub(p, f64x2_sub(s, bb)), f64x2_sub(c, bb));
    let finite = f64x2_lt(f64x2_abs(s), f64x2_splat(f64::INFINITY));
    let apply = v128_and(f64x2_ne(e, f64x2_splat(0.0)), finite);
    let down = i64x2_shr(v128_xor(e, s), 63);
    let odd = v128_or(i64x2_add(s, down), i64x2_splat(1));
    select(apply, odd, s)
}

/// The trampoline: runs `job` with simd128 enabled, its body
/// monomorphised for this path's [`V`].
///
/// # Safety
/// The CPU has simd128; the job's inputs were validated.
#[target_feature(enable = "simd128")]
pub(crate) unsafe fn run<J: Job>(job: J) -> J::Output {
    crate::arch::mark(crate::Isa::Simd128);
    // SAFETY: the features are enabled (this function's contract), and the
    // job's inputs were validated.
    unsafe { job.simd::<V>() }
}
