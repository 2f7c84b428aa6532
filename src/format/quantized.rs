//! The quantized byte formats: their `Format`, `Codec` and gather
//! implementations, and their quantizers. The public face (types, docs,
//! `quantize`, `dequantize`) is `crate::quantized`.
//!
//! Every format here has `u8` units, so a table is any byte slice of whole
//! rows, at any alignment; multi-byte fields are read little-endian with
//! unaligned loads. Every byte pattern is a valid table: the decoders do
//! arithmetic only (no lookups indexed by data, no checks that could fail),
//! so a NaN or infinite scale gives NaN or infinite values.

use half::f16;

use super::codec::Codec;
use super::float::decode_into_f32;
use super::{Format, GatherInto, gather_into, sealed};
use crate::arch::vector::Vector;
use crate::arch::{generic, portable};
use crate::{Error, Index};

// ------------------------------------------------------------- helpers

/// Exact f16 → f32 from bits, the same bits as `half` (NaNs made quiet,
/// payload kept), branch-light for the decoders' per-block scales: a normal
/// f16 is its bits shifted into an f32's place and scaled by 2^112, a
/// subnormal its mantissa scaled by 2^-24 (both exact, from normal operands).
#[inline(always)]
pub(crate) fn f16_bits_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let em = h & 0x7fff;
    let bits = if em >= 0x7c00 {
        let quiet = if em > 0x7c00 { 0x0040_0000 } else { 0 };
        0x7f80_0000 | ((em & 0x3ff) << 13) | quiet
    } else if em < 0x0400 {
        // Zero and subnormals: mantissa · 2^-24, exact, from normal
        // operands. Shifted into place a subnormal f16 is a denormal f32,
        // and a multiply with a denormal operand took a microcode assist:
        // 1-column 4-bit rows (whose scale is a tiny subnormal whenever the
        // minimum does not round to f16 exactly) ran the portable and SSE2
        // gathers at 0.5–0.7× the naive loop in the sweep.
        (em as f32 * f32::from_bits((127 - 24) << 23)).to_bits()
    } else {
        // 2^112 = 2^(127 - 15): rebias the exponent.
        (f32::from_bits(em << 13) * f32::from_bits((127 + 112) << 23)).to_bits()
    };
    f32::from_bits(bits | sign)
}

/// The f16 at `p`, little-endian, in every lane.
///
/// # Safety
/// `p` is valid for 2 reads; the CPU has `V`'s ISA.
#[inline(always)]
pub(super) unsafe fn splat_f16<V: Vector>(p: *const u8) -> V {
    // SAFETY: the caller's guarantee; `[u8; 2]` has alignment 1.
    unsafe { V::splat_f16(u16::from_le_bytes(p.cast::<[u8; 2]>().read())) }
}

/// The f32 at `p`, little-endian.
///
/// # Safety
/// `p` is valid for 4 reads.
#[inline(always)]
unsafe fn read_f32(p: *const u8) -> f32 {
    // SAFETY: the caller's guarantee; `[u8; 4]` has alignment 1.
    f32::from_le_bytes(unsafe { p.cast::<[u8; 4]>().read() })
}

/// The f16 at `row[at..at + 2]` as f32 (0 if out of the row, which the
/// row lengths rule out).
#[inline(always)]
pub(super) fn f16_at(row: &[u8], at: usize) -> f32 {
    match row.get(at..at + 2) {
        Some(&[a, b]) => f16_bits_to_f32(u16::from_le_bytes([a, b])),
        _ => 0.0,
    }
}

/// The f32 at `row[at..at + 4]` (0 if out of the row).
#[inline(always)]
fn f32_at(row: &[u8], at: usize) -> f32 {
    match row.get(at..at + 4) {
        Some(&[a, b, c, d]) => f32::from_le_bytes([a, b, c, d]),
        _ => 0.0,
    }
}

/// `bytes` bytes from `p`, zero-padded to 16, for tail loads: read in
/// pieces of 8, 4, 2 and 1 bytes and assembled in a register, so that the
/// caller's load from the returned buffer is served by one store (a buffer
/// filled piecewise would make that load wait for the store buffer to
/// drain: store-to-load forwarding fails across several stores), and no
/// variable-length copy (a call to `memcpy`) is made.
///
/// # Safety
/// `p` is valid for `bytes < 16` reads.
#[inline(always)]
pub(super) unsafe fn padded(p: *const u8, bytes: usize) -> [u8; 16] {
    let mut v = 0u128;
    let mut at = 0;
    // SAFETY: the pieces add up to `bytes`, so every read is below
    // `p + bytes`.
    unsafe {
        if bytes & 8 != 0 {
            v = u64::from_le_bytes(p.cast::<[u8; 8]>().read()) as u128;
            at = 8;
        }
        if bytes & 4 != 0 {
            v |= (u32::from_le_bytes(p.add(at).cast::<[u8; 4]>().read()) as u128) << (8 * at);
            at += 4;
        }
        if bytes & 2 != 0 {
            v |= (u16::from_le_bytes(p.add(at).cast::<[u8; 2]>().read()) as u128) << (8 * at);
            at += 2;
        }
        if bytes & 1 != 0 {
            v |= (*p.add(at) as u128) << (8 * at);
        }
    }
    v.to_le_bytes()
}

/// `a·b + c` rounded once. The product of two f32 is exact in f64, so the
/// f64 sum is one rounding away from the exact value, and its rounding to
/// f32 is the single-rounding result unless the f64 sum is an f32 midpoint
/// (or is subnormal or overflows in f32, or is not finite): those go to
/// `libm::fmaf` (correctly rounded, `no_std`), as in musl's `fmaf`. The
/// sweep (wasm32, where `fmaf` is software): 1-column Rowwise8 gathers
/// took 0.82× the naive loop through `libm::fmaf` alone. Under Miri, whose
/// interpreter cannot run the `cpuid` with which `libm` picks its FMA
/// instruction, the same value by [`fma_f32_odd`].
#[inline(always)]
pub(crate) fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    #[cfg(not(miri))]
    {
        let s = a as f64 * b as f64 + c as f64;
        let midpoint = s.to_bits() & 0x1fff_ffff == 0x1000_0000;
        if !midpoint && s.abs() >= f32::MIN_POSITIVE as f64 && s.abs() <= f32::MAX as f64 {
            return s as f32;
        }
        libm::fmaf(a, b, c)
    }
    #[cfg(miri)]
    {
        fma_f32_odd(a, b, c)
    }
}

/// `a·b + c` rounded once, in scalar f64: the exact product, the f64 sum,
/// its TwoSum error, round to odd, then to nearest f32 (the SSE2 path's
/// `fma_f64_odd`, one lane).
#[cfg_attr(not(any(miri, test)), allow(dead_code))]
pub(crate) fn fma_f32_odd(a: f32, b: f32, c: f32) -> f32 {
    let p = a as f64 * b as f64;
    let s = p + c as f64;
    if !s.is_finite() {
        return s as f32;
    }
    let bb = s - p;
    let e = (p - (s - bb)) + (c as f64 - bb);
    if e == 0.0 {
        return s as f32;
    }
    let down = (e.is_sign_negative() != s.is_sign_negative()) as u64;
    f64::from_bits((s.to_bits() - down) | 1) as f32
}

/// Why a row cannot be quantized (the caller adds the row number).
pub enum RowError {
    /// The value at this column is NaN or infinite.
    NonFinite(usize),
    /// The reference would store a non-finite scale or bias.
    ScaleOverflow,
}

/// The quantizer of a format, one row at a time.
pub trait QuantizeRow: Format<Unit = u8> {
    /// Checks that `x` (one row of `dim` values) can be quantized.
    fn check(x: &[f32]) -> Result<(), RowError> {
        match x.iter().position(|v| !v.is_finite()) {
            Some(c) => Err(RowError::NonFinite(c)),
            None => Self::check_scale(x),
        }
    }
    /// Checks that a finite row gives finite scales.
    fn check_scale(x: &[f32]) -> Result<(), RowError>;
    /// Quantizes one checked row into `out` (`row_units(x.len())` bytes).
    fn quantize_row(x: &[f32], out: &mut [u8]);
}

/// FBGEMM's `std::min_element` / `std::max_element`: the first minimum
/// (`x < min`) and the first maximum (`max < x`), so a row of `0.0, -0.0`
/// has minimum `0.0`, as in the reference.
fn min_max(x: &[f32]) -> (f32, f32) {
    let first = x.first().copied().unwrap_or(0.0);
    x.iter().fold((first, first), |(lo, hi), &v| {
        (if v < lo { v } else { lo }, if hi < v { v } else { hi })
    })
}

// ------------------------------------------------------ row-wise 8-bit

/// Row-wise 8-bit (FBGEMM `Fused8BitRowwise`): see `crate::quantized`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rowwise8;

/// What a vector body keeps of a row-wise row: its codes, scale and bias.
#[derive(Clone, Copy)]
pub struct ScaledRow<V> {
    p: *const u8,
    scale: V,
    bias: V,
    /// Row-wise 4-bit: the row's 16 values, where `V::U4_TABLE`
    /// ([`Vector::u4_table`]); else unused.
    table: V,
    /// Row-wise 8-bit: every `scale·q + bias` of the row is exact in f64
    /// (see [`sums_exact_in_f64`]).
    wide: bool,
}

/// Whether `scale·q + bias` is exact in f64 for every code `q` in 0..=255:
/// both are finite, and the largest sum, `255·|scale| + |bias|`, is below
/// 2^52 times the granularity of the terms (the smaller of the two ulps;
/// `scale·q` is a multiple of `ulp(scale)`). Then rounding the f64 sum to
/// f32 is the one rounding of the fused multiply-add, and paths without an
/// FMA skip the round-to-odd step (`Vector::mul_add_wide`). Rows whose
/// scale and bias are more than about 2^20 apart in magnitude take the
/// exact path.
#[inline(always)]
pub(crate) fn sums_exact_in_f64(scale: f32, bias: f32) -> bool {
    if !scale.is_finite() || !bias.is_finite() {
        return false;
    }
    // The exponent field of the ulp: `ulp(x) = 2^(max(E, 1) − 150)`; zero
    // contributes no granularity.
    let e = |x: f32| {
        if x == 0.0 {
            u32::MAX
        } else {
            ((x.to_bits() >> 23) & 0xff).max(1)
        }
    };
    let emin = e(scale).min(e(bias));
    if emin == u32::MAX {
        return true;
    }
    // 2^(emin − 150 + 52) as f64 bits: exponent emin − 98 + 1023 ≥ 926.
    let limit = f64::from_bits(((emin + 925) as u64) << 52);
    255.0 * (scale.abs() as f64) + (bias.abs() as f64) < limit
}

impl sealed::Sealed for Rowwise8 {}

impl Format for Rowwise8 {
    const NAME: &'static str = "rowwise8";
    #[inline]
    fn row_units(dim: usize) -> Result<usize, Error> {
        if dim == 0 {
            return Err(Error::ZeroDim);
        }
        Ok(dim.saturating_add(8))
    }
}

// SAFETY (each method): `row` and `load` read inside the row: codes
// `j .. j + LANES <= dim`, scale and bias at `dim .. dim + 8`.
impl Codec for Rowwise8 {
    type Unit = u8;
    const PARTIAL_TAIL: bool = true;
    const ANY_COLUMN: bool = true;
    const SCALAR_COLUMN: bool = true;
    const FMA_VALUES: bool = true;
    /// Gathers of rows under 16 columns; bags of rows under 64 columns
    /// but 16, 32 and 48. Evidence (`report -- sweep rowwise8`, Zen 5,
    /// × the naive loop, AVX2 against AVX-512): gather dim 7 5.2 vs 4.1,
    /// dim 9 18.1 vs 15.6, dim 15 29.6 vs 25.4, and AVX-512 ahead from 17
    /// since rows end in an overlapping vector (dim 17: 28.6 vs 23.3, dim
    /// 31: 46.8 vs 35.8); Sum bags, AVX2's rows ending in an overlapping
    /// vector: dim 2 20.7 vs 9.2, dim 12 34.0 vs 25.0, dim 23 45.8 vs 15.5,
    /// dim 63 55.0 vs 30.9, and at 4 since AVX2's 4-lane half has the FMA
    /// (AVX-512's time over AVX2's 2.36; 0.5 before); AVX-512 ahead at the
    /// multiples of 16 (dim 48: 106 vs 62). From 64 columns, bags of
    /// rows ending 15 columns past a multiple of 16 under 200 (AVX-512's
    /// widest masked tail): `SWEEP_US=1 SWEEP_DIMS=… report -- sweep
    /// "bags sum rowwise8"`, the minimum of two runs, AVX-512's time over
    /// AVX2's: dims 127, 143, 159, 175, 191 1.25, 1.15, 1.18, 1.05, 1.04,
    /// dim 255 0.91; other dims between 65 and 126 0.54–1.10 but 119
    /// (1.31), without a pattern to take.
    #[inline(always)]
    fn avx2_rows(dim: usize, bags: Option<crate::Pooling>) -> bool {
        if bags.is_some() {
            (dim < 64 && !dim.is_multiple_of(16)) || (dim < 200 && dim % 16 == 15)
        } else {
            dim < 16
        }
    }
    type Row<V: Vector> = ScaledRow<V>;
    #[inline(always)]
    fn value(row: &[u8], j: usize) -> f32 {
        let dim = row.len().saturating_sub(8);
        let q = row.get(j).copied().unwrap_or(0) as f32;
        fma_f32(f32_at(row, dim), q, f32_at(row, dim + 4))
    }
    #[inline(always)]
    unsafe fn row<V: Vector>(p: *const u8, dim: usize) -> ScaledRow<V> {
        // SAFETY: see above.
        unsafe {
            let (scale, bias) = (read_f32(p.add(dim)), read_f32(p.add(dim + 4)));
            let scale_v = V::splat(scale);
            ScaledRow {
                p,
                scale: scale_v,
                bias: V::splat(bias),
                table: scale_v,
                wide: !V::FMA && sums_exact_in_f64(scale, bias),
            }
        }
    }
    #[inline(always)]
    unsafe fn load<V: Vector>(row: ScaledRow<V>, j: usize) -> V {
        // SAFETY: see above.
        unsafe { Self::fused(row, V::load_u8_and(row.p.add(j), 0xff)) }
    }
    #[inline(always)]
    unsafe fn load_partial<V: Vector>(row: ScaledRow<V>, j: usize, n: usize) -> V {
        // SAFETY: see above; `n` codes are copied.
        unsafe {
            let buf = padded(row.p.add(j), n);
            Self::fused(row, V::load_u8_and(buf.as_ptr(), 0xff))
        }
    }
}

impl Rowwise8 {
    /// `scale·q + bias` rounded once.
    ///
    /// # Safety
    /// The CPU has `V`'s ISA.
    #[inline(always)]
    unsafe fn fused<V: Vector>(row: ScaledRow<V>, q: V) -> V {
        // SAFETY: the caller's guarantee; `wide` holds what
        // `mul_add_wide` asks.
        unsafe {
            if row.wide {
                row.scale.mul_add_wide(q, row.bias)
            } else {
                row.scale.mul_add_exact(q, row.bias)
            }
        }
    }
}

impl QuantizeRow for Rowwise8 {
    fn check_scale(x: &[f32]) -> Result<(), RowError> {
        let (min, max) = min_max(x);
        if (max - min).is_finite() {
            Ok(())
        } else {
            Err(RowError::ScaleOverflow)
        }
    }
    /// FBGEMM `FloatOrHalfToFused8BitRowwiseQuantizedSBFloat`.
    fn quantize_row(x: &[f32], out: &mut [u8]) {
        let (min, max) = min_max(x);
        let range = max - min;
        let inverse = 255.0f32 / (range + 1e-8f32);
        let (codes, sb) = out.split_at_mut(x.len());
        for (q, &v) in codes.iter_mut().zip(x) {
            // lrintf: nearest, ties to even. Never outside 0..=255 here;
            // `as` saturates regardless.
            *q = libm::rintf((v - min) * inverse) as u8;
        }
        sb[..4].copy_from_slice(&(range / 255.0f32).to_le_bytes());
        sb[4..8].copy_from_slice(&min.to_le_bytes());
    }
}

// ---------------------------------------------- row-wise 4-bit and 2-bit

/// A row-wise N-bit format: `$bits`-bit codes, `$load` their vector load.
macro_rules! rowwise_nbit {
    ($t:ident, $name:literal, $bits:literal, $load:ident) => {
        impl sealed::Sealed for $t {}

        impl $t {
            /// Codes per byte.
            const PER_BYTE: usize = 8 / $bits;
            /// The largest code.
            const TOP: u8 = (1 << $bits) - 1;
            /// Bytes of codes in a row of `dim`.
            #[inline(always)]
            fn code_bytes(dim: usize) -> usize {
                dim.div_ceil(Self::PER_BYTE)
            }
        }

        impl Format for $t {
            const NAME: &'static str = $name;
            #[inline]
            fn row_units(dim: usize) -> Result<usize, Error> {
                if dim == 0 {
                    return Err(Error::ZeroDim);
                }
                Ok(Self::code_bytes(dim) + 4)
            }
        }

        // SAFETY (each method): `j` is a multiple of `V::LANES`, which is a
        // multiple of the codes per byte, so code `j` starts byte
        // `j / PER_BYTE`; the bytes read hold codes `j .. j + LANES <= dim`
        // (or `j + n`), and scale and bias are the row's last 4 bytes.
        impl Codec for $t {
            type Unit = u8;
            const PARTIAL_TAIL: bool = true;
            /// Gathers of 4-bit rows of 4 and 24 columns. Evidence
            /// (`report -- sweep rowwise4`, Zen 5, × the naive loop, AVX2
            /// against AVX-512): dim 24 38.0 vs 30.1 (and AVX-512 1.24×
            /// AVX2's time in a later build); AVX-512 leads or ties at every
            /// other dim of the sweep (dim 20: 23.1 vs 16.9) but 4 and 8,
            /// where the lead changes from build to build (each build lays
            /// its loops out anew): dim 4 19.7 vs 16.8, then AVX-512 ahead
            /// (0.89× AVX2's time), then 19.6 vs 15.1; dim 8 32.3 vs 29.7,
            /// then 0.87×, then 32.1 vs 30.5. Each takes the path whose
            /// worst ratio to the fastest over those three builds is the
            /// higher: AVX2 at 4 (0.89 against AVX-512's 0.77), AVX-512 at
            /// 8 (0.91 against AVX2's 0.87). Bags and 2-bit rows are not in
            /// the sweep and stay on AVX-512.
            #[inline(always)]
            fn avx2_rows(dim: usize, bags: Option<crate::Pooling>) -> bool {
                $bits == 4 && bags.is_none() && matches!(dim, 4 | 24)
            }
            type Row<V: Vector> = ScaledRow<V>;
            #[inline(always)]
            fn value(row: &[u8], j: usize) -> f32 {
                let at = row.len().saturating_sub(4);
                let byte = row.get(j / Self::PER_BYTE).copied().unwrap_or(0);
                let q = (byte >> ((j % Self::PER_BYTE) * $bits)) & Self::TOP;
                // The product is exact (11 × $bits bits): one rounding.
                f16_at(row, at) * q as f32 + f16_at(row, at + 2)
            }
            #[inline(always)]
            unsafe fn row<V: Vector>(p: *const u8, dim: usize) -> ScaledRow<V> {
                // SAFETY: see above.
                unsafe {
                    let at = p.add(Self::code_bytes(dim));
                    let (scale, bias) = (splat_f16::<V>(at), splat_f16::<V>(at.add(2)));
                    ScaledRow {
                        p,
                        scale,
                        bias,
                        // 4-bit rows on the paths with `U4_TABLE`: the
                        // row's 16 values, each code one lookup.
                        table: if $bits == 4 && V::U4_TABLE {
                            V::u4_table(scale, bias)
                        } else {
                            scale
                        },
                        wide: false,
                    }
                }
            }
            #[inline(always)]
            unsafe fn load<V: Vector>(row: ScaledRow<V>, j: usize) -> V {
                // SAFETY: see above.
                unsafe {
                    let p = row.p.add(j / Self::PER_BYTE);
                    if $bits == 4 {
                        V::load_u4_scaled(p, row.scale, row.bias, row.table)
                    } else {
                        row.scale.mul(V::$load(p)).add(row.bias)
                    }
                }
            }
            #[inline(always)]
            unsafe fn load_partial<V: Vector>(row: ScaledRow<V>, j: usize, n: usize) -> V {
                // SAFETY: see above; the bytes holding `n` codes are copied.
                unsafe {
                    let buf = padded(row.p.add(j / Self::PER_BYTE), Self::code_bytes(n));
                    let q = V::$load(buf.as_ptr());
                    row.scale.mul(q).add(row.bias)
                }
            }
        }

        impl QuantizeRow for $t {
            fn check_scale(x: &[f32]) -> Result<(), RowError> {
                match Self::params(x) {
                    Some(_) => Ok(()),
                    None => Err(RowError::ScaleOverflow),
                }
            }
            /// FBGEMM `FloatOrHalfToFusedNBitRowwiseQuantizedSBHalf`.
            fn quantize_row(x: &[f32], out: &mut [u8]) {
                let Some((min, scale, inverse)) = Self::params(x) else {
                    return;
                };
                let nb = Self::code_bytes(x.len());
                let (codes, sb) = out.split_at_mut(nb);
                codes.fill(0);
                for (c, &v) in x.iter().enumerate() {
                    let q = libm::rintf((v - min.to_f32()) * inverse);
                    let q = q.clamp(0.0, Self::TOP as f32) as u8;
                    codes[c / Self::PER_BYTE] |= q << ((c % Self::PER_BYTE) * $bits);
                }
                sb[..2].copy_from_slice(&scale.to_le_bytes());
                sb[2..4].copy_from_slice(&min.to_le_bytes());
            }
        }

        impl $t {
            /// The reference's f16 minimum, f16 scale and f32 inverse
            /// scale, or `None` where one would not be finite.
            fn params(x: &[f32]) -> Option<(f16, f16, f32)> {
                let (min, max) = min_max(x);
                let min_h = f16::from_f32(min);
                let range = max - min_h.to_f32();
                let scale = f16::from_f32(if range == 0.0 {
                    1.0
                } else {
                    range / Self::TOP as f32
                });
                if !min_h.is_finite() || !scale.is_finite() {
                    return None;
                }
                let s = scale.to_f32();
                let inverse = if s == 0.0 { 1.0 } else { 1.0 / s };
                // FBGEMM's guard (never taken for a finite f16 scale, whose
                // inverse is below 2^25, but kept as the reference has it).
                if s == 0.0 || inverse.is_infinite() {
                    return Some((min_h, f16::ONE, 1.0));
                }
                Some((min_h, scale, inverse))
            }
        }
    };
}

/// Row-wise 4-bit (FBGEMM `FusedNBitRowwise`, 4 bits): see
/// `crate::quantized`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rowwise4;

/// Row-wise 2-bit (FBGEMM `FusedNBitRowwise`, 2 bits): see
/// `crate::quantized`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rowwise2;

rowwise_nbit!(Rowwise4, "rowwise4", 4, load_u4);
rowwise_nbit!(Rowwise2, "rowwise2", 2, load_u2);

// --------------------------------------------------------- GGUF blocks

/// Elements per GGUF Q8_0 / Q4_0 block.
const QK: usize = 32;

/// The row length of a block format: `dim / block` blocks of
/// `block_bytes` (`block` elements each: 32 for Q8_0/Q4_0, 256 for the
/// K-quants).
pub(super) fn block_row_units(
    name: &'static str,
    dim: usize,
    block: usize,
    block_bytes: usize,
) -> Result<usize, Error> {
    if dim == 0 {
        return Err(Error::ZeroDim);
    }
    if !dim.is_multiple_of(block) {
        return Err(Error::DimNotMultiple {
            format: name,
            dim,
            block,
        });
    }
    Ok((dim / block).saturating_mul(block_bytes))
}

/// The f16 scale of a GGUF block quantizer, or `None` if not finite.
fn block_scale(d: f32) -> Option<f16> {
    let h = f16::from_f32(d);
    h.is_finite().then_some(h)
}

/// A GGUF block format: the public unit type `$t` (documented in
/// `crate::quantized`), named `$name`, rows of `dim / $elems` blocks of
/// `$t::BLOCK` bytes (an inherent constant beside the macro's use).
macro_rules! block_format {
    ($t:ident, $ggml:literal, $name:literal, $elems:expr) => {
        #[doc = concat!("GGUF ", stringify!($t), " (ggml `", $ggml, "`): see `crate::quantized`.")]
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $t;

        impl sealed::Sealed for $t {}

        impl Format for $t {
            const NAME: &'static str = $name;
            #[inline]
            fn row_units(dim: usize) -> Result<usize, Error> {
                block_row_units(Self::NAME, dim, $elems, Self::BLOCK)
            }
        }
    };
}

pub(super) use block_format;

block_format!(Q8_0, "block_q8_0", "q8_0", QK);

impl Q8_0 {
    const BLOCK: usize = 2 + QK;
}

// SAFETY (each method): `j` is a multiple of `V::LANES`, a divisor of 32,
// so columns `j .. j + LANES` lie in block `j / 32`, whose scale is its
// first two bytes and whose codes follow.
impl Codec for Q8_0 {
    type Unit = u8;
    const PARTIAL_TAIL: bool = true;
    type Row<V: Vector> = *const u8;
    #[inline(always)]
    fn value(row: &[u8], j: usize) -> f32 {
        let b = j / QK * Self::BLOCK;
        let q = row.get(b + 2 + j % QK).copied().unwrap_or(0) as i8;
        q as f32 * f16_at(row, b)
    }
    #[inline(always)]
    unsafe fn row<V: Vector>(p: *const u8, _dim: usize) -> *const u8 {
        p
    }
    #[inline(always)]
    unsafe fn load<V: Vector>(row: *const u8, j: usize) -> V {
        // SAFETY: see above.
        unsafe {
            let b = row.add(j / QK * Self::BLOCK);
            V::load_i8(b.add(2 + j % QK)).mul(splat_f16::<V>(b))
        }
    }
    #[inline(always)]
    unsafe fn load_partial<V: Vector>(row: *const u8, j: usize, n: usize) -> V {
        // SAFETY: see above; `n` codes are copied.
        unsafe {
            let b = row.add(j / QK * Self::BLOCK);
            let buf = padded(b.add(2 + j % QK), n);
            V::load_i8(buf.as_ptr()).mul(splat_f16::<V>(b))
        }
    }
}

impl QuantizeRow for Q8_0 {
    fn check_scale(x: &[f32]) -> Result<(), RowError> {
        for blk in x.chunks(QK) {
            let amax = blk
                .iter()
                .fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m });
            block_scale(amax / 127.0).ok_or(RowError::ScaleOverflow)?;
        }
        Ok(())
    }
    /// ggml `quantize_row_q8_0_ref` (gguf-py `quants.py` computes the same).
    fn quantize_row(x: &[f32], out: &mut [u8]) {
        for (blk, o) in x.chunks(QK).zip(out.chunks_mut(Self::BLOCK)) {
            let amax = blk
                .iter()
                .fold(0.0f32, |m, v| if v.abs() > m { v.abs() } else { m });
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let dh = block_scale(d).unwrap_or(f16::INFINITY);
            o[..2].copy_from_slice(&dh.to_le_bytes());
            for (q, &v) in o[2..].iter_mut().zip(blk) {
                // roundf: ties away from zero.
                *q = libm::roundf(v * id) as i8 as u8;
            }
        }
    }
}

block_format!(Q4_0, "block_q4_0", "q4_0", QK);

impl Q4_0 {
    const BLOCK: usize = 2 + QK / 2;
}

// SAFETY (each method): as Q8_0's; column `o = j % 32` of a block is the
// low nibble of code byte `o` for `o < 16`, the high nibble of byte
// `o - 16` otherwise, and `j .. j + LANES` stay in one half.
impl Codec for Q4_0 {
    type Unit = u8;
    const PARTIAL_TAIL: bool = true;
    type Row<V: Vector> = *const u8;
    #[inline(always)]
    fn value(row: &[u8], j: usize) -> f32 {
        let (b, o) = (j / QK * Self::BLOCK, j % QK);
        let byte = row.get(b + 2 + o % 16).copied().unwrap_or(0);
        let q = if o < 16 { byte & 15 } else { byte >> 4 };
        (q as i32 - 8) as f32 * f16_at(row, b)
    }
    #[inline(always)]
    unsafe fn row<V: Vector>(p: *const u8, _dim: usize) -> *const u8 {
        p
    }
    #[inline(always)]
    unsafe fn load<V: Vector>(row: *const u8, j: usize) -> V {
        // SAFETY: see above.
        unsafe {
            let (b, o) = (row.add(j / QK * Self::BLOCK), j % QK);
            Self::decode(b, nibbles::<V>(b.add(2 + o % 16), o < 16))
        }
    }
    #[inline(always)]
    unsafe fn load_partial<V: Vector>(row: *const u8, j: usize, n: usize) -> V {
        // SAFETY: see above; the `n` code bytes are copied.
        unsafe {
            let (b, o) = (row.add(j / QK * Self::BLOCK), j % QK);
            let buf = padded(b.add(2 + o % 16), n);
            Self::decode(b, nibbles::<V>(buf.as_ptr(), o < 16))
        }
    }
}

impl Q4_0 {
    /// `(q − 8)·d` for the codes `q` of the block at `b`.
    ///
    /// # Safety
    /// `b` starts a block; the CPU has `V`'s ISA.
    #[inline(always)]
    unsafe fn decode<V: Vector>(b: *const u8, q: V) -> V {
        // SAFETY: the caller's guarantee.
        unsafe { q.add(V::splat(-8.0)).mul(splat_f16::<V>(b)) }
    }
}

/// `LANES` nibbles from `LANES` bytes at `p`: the low ones or the high ones.
///
/// # Safety
/// `p` is valid for `LANES` reads; the CPU has `V`'s ISA.
#[inline(always)]
pub(super) unsafe fn nibbles<V: Vector>(p: *const u8, low: bool) -> V {
    // SAFETY: the caller's guarantee. The high nibble is masked in place
    // and scaled by 2^-4 (exact).
    unsafe {
        if low {
            V::load_u8_and(p, 0x0f)
        } else {
            V::load_u8_and(p, 0xf0).mul(V::splat(0.0625))
        }
    }
}

impl QuantizeRow for Q4_0 {
    fn check_scale(x: &[f32]) -> Result<(), RowError> {
        for blk in x.chunks(QK) {
            block_scale(Self::signed_max(blk) / -8.0).ok_or(RowError::ScaleOverflow)?;
        }
        Ok(())
    }
    /// ggml `quantize_row_q4_0_ref` (gguf-py `quants.py` computes the same).
    fn quantize_row(x: &[f32], out: &mut [u8]) {
        for (blk, o) in x.chunks(QK).zip(out.chunks_mut(Self::BLOCK)) {
            let d = Self::signed_max(blk) / -8.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let dh = block_scale(d).unwrap_or(f16::INFINITY);
            o[..2].copy_from_slice(&dh.to_le_bytes());
            // `(int8_t)(x·id + 8.5f)`: truncation, each operation rounded
            // in f32; then at most 15.
            let code = |v: f32| ((v * id + 8.5) as i8).clamp(0, 15) as u8;
            for j in 0..QK / 2 {
                o[2 + j] = code(blk[j]) | (code(blk[j + QK / 2]) << 4);
            }
        }
    }
}

impl Q4_0 {
    /// The value of largest magnitude, with its sign; the first on ties.
    fn signed_max(blk: &[f32]) -> f32 {
        let (mut amax, mut max) = (0.0f32, 0.0f32);
        for &v in blk {
            if amax < v.abs() {
                amax = v.abs();
                max = v;
            }
        }
        max
    }
}

decode_into_f32!(Rowwise8, Rowwise4, Rowwise2, Q8_0, Q4_0);

#[cfg(test)]
mod tests {
    use super::*;

    /// The scalar round-to-odd fused multiply-add, and `fma_f32` (the f64
    /// sum unless it is an f32 midpoint), are `libm::fmaf`, bit for bit
    /// (NaN-ness for NaNs), on random operands and on sums next to f32
    /// midpoints.
    #[test]
    #[cfg(not(miri))]
    fn fma_odd_is_fmaf() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let r = next();
            let a = f32::from_bits(r as u32);
            let b = (r >> 32) as u8 as f32;
            let c = match r >> 60 {
                0..=7 => f32::from_bits(next() as u32),
                // the exact product to the midpoint above its f32
                // rounding, nudged: the sum sits next to a midpoint
                _ => {
                    let p = a as f64 * b as f64;
                    let y = (p as f32).abs();
                    let ulp = (f32::from_bits(y.to_bits() + 1) - y) as f64;
                    let d = ((p as f32) as f64 + p.signum() * ulp / 2.0 - p) as f32;
                    f32::from_bits(d.to_bits() ^ (next() as u32 & 3))
                }
            };
            let want = libm::fmaf(a, b, c);
            for got in [fma_f32_odd(a, b, c), fma_f32(a, b, c)] {
                assert!(
                    want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                    "fma({a:e}, {b}, {c:e}): libm {want:e}, ours {got:e}"
                );
            }
        }
    }

    /// `sums_exact_in_f64` is sufficient: wherever it holds, `scale·q + bias`
    /// rounds to nothing in f64 (TwoSum error zero), for every code, on
    /// pairs spread around its limit (magnitudes 2^0 to 2^40 apart).
    #[test]
    fn exact_sums_are_exact() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut held, mut refused) = (0, 0);
        let n = if cfg!(miri) { 50 } else { 20_000 };
        for _ in 0..n {
            let r = next();
            let e1 = 60 + (r % 100) as u32;
            let e2 = e1.saturating_sub(((r >> 8) % 41) as u32).max(1);
            let (e1, e2) = if r & (1 << 20) != 0 {
                (e1, e2)
            } else {
                (e2, e1)
            };
            let m = next() as u32;
            let scale = f32::from_bits((e1 << 23) | (m & 0x7f_ffff) | (m & 0x8000_0000));
            let bias =
                f32::from_bits((e2 << 23) | ((m >> 9) & 0x7f_ffff) | ((m << 1) & 0x8000_0000));
            if !sums_exact_in_f64(scale, bias) {
                refused += 1;
                continue;
            }
            held += 1;
            for q in [1u32, 3, 127, 254, 255, (next() % 256) as u32] {
                let p = scale as f64 * q as f64;
                let s = p + bias as f64;
                let bb = s - p;
                let e = (p - (s - bb)) + (bias as f64 - bb);
                assert_eq!(e, 0.0, "{scale:e}·{q} + {bias:e} is inexact in f64");
            }
        }
        assert!(
            held > n / 10 && refused > n / 10,
            "{held} held, {refused} refused"
        );
    }
}
