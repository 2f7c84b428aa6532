//! The float formats `f32`, `f16` and `bf16`: one element per value, the
//! table a plain slice. Their codecs move `V::LANES` elements in and out of
//! a vector of f32 (the `Vector` methods of each ISA do the conversion).

use half::{bf16, f16};

use super::codec::{Codec, ElementCodec};
use super::{Element, Format, GatherInto, gather_into, sealed};
use crate::arch::generic::gather::Gather;
use crate::arch::vector::Vector;
use crate::arch::{generic, portable};
use crate::{Error, Index};

/// One float format: `$t` with its widening and narrowing `Vector` methods.
/// (A macro over three types that differ only in those names.)
macro_rules! float_format {
    ($t:ty, $name:literal, $load:ident, $load_partial:ident, $store:ident, $store_partial:ident, $unit:ty, $scalar_column:literal, $narrow:expr) => {
        impl sealed::Sealed for $t {}

        impl Format for $t {
            const NAME: &'static str = $name;
            #[inline]
            fn row_units(dim: usize) -> Result<usize, Error> {
                if dim == 0 {
                    Err(Error::ZeroDim)
                } else {
                    Ok(dim)
                }
            }
        }

        // SAFETY (each method): the caller's guarantees on `p`, `j` and `n`
        // are the `Vector` method's; `$t` is `repr(transparent)` over
        // `$unit` (or is `$unit`), so the pointer cast keeps size and
        // alignment requirements.
        impl Codec for $t {
            type Unit = $t;
            type Row<V: Vector> = *const $t;
            const ANY_COLUMN: bool = true;
            const SCALAR_COLUMN: bool = $scalar_column;
            /// Bags of f32 and f16 rows of 17 to 39 columns but 32, Max
            /// bags of rows over 48 columns but the multiples of 16, and
            /// f16 gathers into f32 at 4 and 8 columns. Evidence (`report
            /// -- sweep`, Zen 5, × the naive loop, AVX2 against AVX-512,
            /// with AVX2's rows ending in an overlapping vector and
            /// AVX-512's in a masked one): f32 Sum bags dim 19 4.30 vs
            /// 3.18, dim 23 5.19 vs 3.80, dim 28 4.03 vs 3.58, dim 31 4.76
            /// vs 4.26, Max dim 24 4.50 vs 3.47, dim 33 3.21 vs 2.69; dim
            /// 20 ties (4.05 vs 4.01); AVX-512 leads at 2–16 (dim 3: 4.10
            /// vs 2.45, dim 16: 6.01 vs 5.10) and at 32 and 48. Past the
            /// sweep's list (`SWEEP_US=1 SWEEP_DIMS=… report -- sweep
            /// bags`, the minimum of two runs, AVX-512's time over AVX2's):
            /// dims 34, 35, 37, 38, 39 1.12–1.25 in every pooling, 36 and
            /// 40 tie (0.96–1.05), 41–47 0.92–1.05; Max from 49 at the
            /// dims that are not multiples of 16 1.02–1.15 (dim 65 1.14,
            /// 129 1.10, 257 1.07, 999 1.08; the sweep's 65 had dispatched
            /// Max at 0.86–0.88× the fastest), at the multiples of 16
            /// 0.80–0.91; the other poolings there 0.89–1.11 with no side
            /// ahead. f16 gathers into f32: AVX-512's time over AVX2's
            /// (`SWEEP_US=1`, the minimum of two runs) in two builds that
            /// differ only in unrelated code, which moves where loops land:
            /// dim 4 1.49 and 1.48 (AVX2's 4-lane half with F16C against a
            /// masked vector), dim 8 1.05 and 1.06, dims 5–7 1.06–1.07 and
            /// 0.87–0.89, dims 9–15 (the same 8-lane rows on both paths)
            /// 1.11–1.16 and 0.80–0.81. AVX2 takes 4 and 8; at 5–7 and
            /// 9–15 the lead follows the layout, and AVX-512 has the better
            /// worst case (0.86–0.94 against 0.80–0.88). AVX-512 is ahead
            /// at every other dim (dims 1–3 0.27–0.83, dim 16 0.95, dim 24
            /// 0.88, dims 17–33 0.75–0.93). bf16 gathers stay on AVX-512 (dim 8: 37.6 vs
            /// 30.2 × naive); at dim 1 both paths read the scalar column
            /// (`Codec::SCALAR_COLUMN`). f16 and bf16 bags are not in the
            /// sweep; f16 follows f32, whose loop it shares.
            #[inline(always)]
            fn avx2_rows(dim: usize, bags: Option<crate::Pooling>) -> bool {
                match ($name, bags) {
                    ("bf16", _) => false,
                    (_, None) => $name == "f16" && matches!(dim, 4 | 8),
                    (_, Some(pooling)) => {
                        ((17..40).contains(&dim) && dim != 32)
                            || (pooling == crate::Pooling::Max
                                && dim > 48
                                && !dim.is_multiple_of(16))
                    }
                }
            }
            #[inline(always)]
            fn value(row: &[$t], j: usize) -> f32 {
                row.get(j).map_or(0.0, |x| x.to_f32())
            }
            #[inline(always)]
            fn each_value(row: &[$t], out: &mut [f32], mut f: impl FnMut(&mut f32, f32)) {
                // A row is `dim` elements (validated), as long as `out`.
                // Rows under 4 columns skip the vector loop's set-up:
                // without this branch the portable f32 bags at dims 1–3
                // took 1.04–1.14x the time (Zen 3, `SWEEP_US=1 report --
                // sweep bags`, four interleaved runs of each build), and
                // the portable f16 gather (which took this loop for a
                // while) 1.49x at dim 1.
                if out.len() < 4 {
                    for (y, x) in out.iter_mut().zip(row) {
                        f(y, x.to_f32());
                    }
                    return;
                }
                for (y, x) in out.iter_mut().zip(row) {
                    f(y, x.to_f32());
                }
            }
            #[inline(always)]
            unsafe fn row<V: Vector>(p: *const $t, _dim: usize) -> *const $t {
                p
            }
            #[inline(always)]
            unsafe fn load<V: Vector>(row: *const $t, j: usize) -> V {
                // SAFETY: see above.
                unsafe { V::$load(row.add(j).cast::<$unit>()) }
            }
            #[inline(always)]
            unsafe fn load_partial<V: Vector>(row: *const $t, j: usize, n: usize) -> V {
                // SAFETY: see above.
                unsafe { V::$load_partial(row.add(j).cast::<$unit>(), n) }
            }
        }

        impl ElementCodec for $t {
            #[inline(always)]
            unsafe fn store<V: Vector>(v: V, p: *mut $t) {
                // SAFETY: see above.
                unsafe { v.$store(p.cast::<$unit>()) }
            }
            #[inline(always)]
            unsafe fn store_partial<V: Vector>(v: V, p: *mut $t, n: usize) {
                // SAFETY: see above.
                unsafe { v.$store_partial(p.cast::<$unit>(), n) }
            }
            #[inline(always)]
            fn narrow(x: f32) -> $t {
                $narrow(x)
            }
        }

        /// Same-type gather: a bit copy of each row.
        impl gather_into::Sealed<$t> for $t {
            const COPY: bool = true;
            #[inline]
            fn portable<I: Index>(job: Gather<'_, $t, $t, I>) {
                portable::gather_copy(job.table, job.stride, job.indices, job.out)
            }
            #[inline(always)]
            unsafe fn simd<V: Vector, I: Index>(job: Gather<'_, $t, $t, I>) {
                // SAFETY: forwarded from this method's contract.
                unsafe {
                    generic::gather::copy::<V, $t, I>(job.table, job.stride, job.indices, job.out)
                }
            }
        }
        impl GatherInto<$t> for $t {}
    };
}

float_format!(
    f32,
    "f32",
    load,
    load_partial,
    store,
    store_partial,
    f32,
    false,
    |x| x
);
float_format!(
    f16,
    "f16",
    load_f16,
    load_f16_partial,
    store_f16,
    store_f16_partial,
    u16,
    false,
    narrow_f16
);
float_format!(
    bf16,
    "bf16",
    load_bf16,
    load_bf16_partial,
    store_bf16,
    store_bf16_partial,
    u16,
    true,
    narrow_bf16
);

/// f32 → bf16, nearest even, the bits of `half`'s `bf16::from_f32` (NaN:
/// quieted, the top of the payload kept). `half` decides the rounding with
/// a branch on the bits below the kept ones, which the data makes a coin
/// flip; here it is an add.
///
/// Evidence for both narrowings (Zen 3, `SWEEP_US=1 report -- sweep
/// scatter-add`, three interleaved runs of each build, the fastest, time
/// with these over time with `half`'s): bf16 rows of 1–3 columns (scalar
/// on every path) 0.78–0.85 on SSE2 and AVX2, 0.87–0.92 on the portable
/// path; f16 rows of 1–3 columns 0.69–0.75 on SSE2 and AVX2, the portable
/// path 0.73–0.80 at every dim measured (1–17), SSE2's f16 rows of 6–7
/// columns (3 scalar columns each) 0.87–0.90.
#[inline(always)]
pub(crate) fn narrow_bf16(x: f32) -> bf16 {
    let b = x.to_bits();
    bf16::from_bits(if b & 0x7fff_ffff > 0x7f80_0000 {
        ((b >> 16) | 0x40) as u16
    } else {
        // No overflow: at most 0x7f80_0000 + 0x8000 below the sign bit.
        (b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16) as u16
    })
}

/// f32 → f16, nearest even, the bits of `half`'s `f16::from_f32`: the
/// values that are normal in f16 (2⁻¹⁴ ≤ |x| < 2¹⁶ before rounding) with an
/// add for the rounding, where `half` branches on the bits below the kept
/// ones (a coin flip with real data); zeros, subnormals, overflow, infinities
/// and NaN through `half`.
#[inline(always)]
pub(crate) fn narrow_f16(x: f32) -> f16 {
    let b = x.to_bits();
    let a = b & 0x7fff_ffff;
    if (113 << 23..143 << 23).contains(&a) {
        // Rebias the exponent (127 → 15) and round the 23-bit mantissa to
        // 10 bits, nearest even; a carry out of the mantissa goes into the
        // exponent, to infinity from 65520 up, as `half`.
        let h = (a - (112 << 23) + 0xfff + ((a >> 13) & 1)) >> 13;
        f16::from_bits(((b >> 16) & 0x8000) as u16 | h as u16)
    } else {
        f16::from_f32(x)
    }
}

/// A format gathered into f32 by decoding each row (exact widening for the
/// half-precision floats).
macro_rules! decode_into_f32 {
    ($($t:ty),*) => {$(
        impl gather_into::Sealed<f32> for $t {
            const COPY: bool = false;
            #[inline]
            fn portable<I: Index>(job: $crate::arch::generic::gather::Gather<'_, $t, f32, I>) {
                portable::gather_decode::<$t, I>(job)
            }
            #[inline(always)]
            unsafe fn simd<V: Vector, I: Index>(job: $crate::arch::generic::gather::Gather<'_, $t, f32, I>) {
                // SAFETY: forwarded from this method's contract.
                unsafe { generic::gather::decode::<V, $t, I>(job) }
            }
        }
        impl GatherInto<f32> for $t {}
    )*};
}

decode_into_f32!(f16, bf16);

// For the other formats' files (`quantized`).
pub(crate) use decode_into_f32;

impl Element for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        x
    }
}
/// The half-precision floats convert through `half` (round to nearest
/// even when narrowing).
macro_rules! half_element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            #[inline(always)]
            fn to_f32(self) -> f32 {
                <$t>::to_f32(self)
            }
            #[inline(always)]
            fn from_f32(x: f32) -> Self {
                <$t>::from_f32(x)
            }
        }
    )*};
}

half_element!(f16, bf16);

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit patterns that decide a rounding: every top 16 bits, with
    /// low 16 bits at and around the f16 and bf16 rounding points (every
    /// combination of bits 12–15, with bits 0–11 empty, one, half or full).
    fn patterns() -> impl Iterator<Item = u32> {
        let mut low = [0u32; 80];
        for (k, l) in low.iter_mut().enumerate() {
            *l = (k as u32 / 5) << 12 | [0, 1, 0x7ff, 0x800, 0xfff][k % 5];
        }
        // Under Miri, a stride through the top bits (every exponent still
        // appears: the stride is odd).
        let step = if cfg!(miri) { 251 } else { 1 };
        (0..=0xffffu32)
            .step_by(step)
            .flat_map(move |hi| low.into_iter().map(move |lo| hi << 16 | lo))
    }

    /// The kernels' scalar narrowing is `half`'s, bit for bit, NaNs too.
    #[test]
    fn narrow_is_half() {
        for b in patterns() {
            let x = f32::from_bits(b);
            assert_eq!(
                narrow_bf16(x).to_bits(),
                bf16::from_f32(x).to_bits(),
                "bf16 of {b:#010x}"
            );
            assert_eq!(
                narrow_f16(x).to_bits(),
                f16::from_f32(x).to_bits(),
                "f16 of {b:#010x}"
            );
        }
    }
}
