//! Table formats (how a row of `dim` values is stored) and index types.
//!
//! A format is a type implementing the sealed [`Format`] trait: the three
//! float element types `f32`, [`f16`](struct@f16) and [`bf16`](struct@bf16)
//! (which are also [`Element`]s: tables of them are plain slices). Each
//! format carries its codec, the crate-private [`Codec`](codec) that the
//! kernel bodies are generic over, so a kernel is written once for every
//! format and a format is one implementation of these traits.

use core::fmt::Debug;

pub use half::{bf16, f16};

use crate::Error;

mod float;
pub(crate) mod kquants;
pub(crate) mod quantized;

/// The crate-private side of a format: decoding rows, for the portable path
/// and for the vector bodies. `pub` only inside a private module (sealed).
pub(crate) mod codec {
    use crate::arch::vector::Vector;

    /// How the kernels read (and, for [`Element`](crate::Element)s, write)
    /// the values of one row of a format.
    ///
    /// A row is `row_units` units starting at a pointer; `Row<V>` is what a
    /// vector body keeps per row (the pointer, and for formats with a
    /// per-row scale, that scale in registers).
    pub trait Codec: super::sealed::Sealed {
        /// What the table is a slice of: the element itself for the float
        /// formats, `u8` for byte formats.
        type Unit: bytemuck::Pod + core::fmt::Debug + Send + Sync;

        /// What a vector body keeps about one row while it reads it.
        type Row<V: Vector>: Copy;

        /// The value of column `j` of the row `row` (`row.len()` is the
        /// format's row length in units, `j < dim`).
        fn value(row: &[Self::Unit], j: usize) -> f32;

        /// Calls `f(y, x)` for each `y` of `out` (`out.len() <= dim`) with
        /// `x` the value of its column: the portable path's row loop. The
        /// float formats zip the row instead, a loop the compiler
        /// vectorises where the target has vectors; through
        /// [`Codec::value`]'s checked read it stayed scalar (see
        /// `portable::bags`).
        #[inline(always)]
        fn each_value(row: &[Self::Unit], out: &mut [f32], mut f: impl FnMut(&mut f32, f32)) {
            for (j, y) in out.iter_mut().enumerate() {
                f(y, Self::value(row, j));
            }
        }

        /// Prepares the row at `p` for reads.
        ///
        /// # Safety
        /// `p` starts a whole row inside a validated table; the CPU has
        /// `V`'s ISA.
        unsafe fn row<V: Vector>(p: *const Self::Unit, dim: usize) -> Self::Row<V>;

        /// The values of columns `j .. j + V::LANES`, widened to f32.
        ///
        /// # Safety
        /// `j + V::LANES <= dim`; `row` came from [`Codec::row`].
        unsafe fn load<V: Vector>(row: Self::Row<V>, j: usize) -> V;

        /// The values of columns `j .. j + n` (`0 < n < V::LANES`), the
        /// other lanes zero for the float formats; for the quantized ones
        /// they hold whatever the padding decodes to (the kernels never
        /// store lanes past `n`).
        ///
        /// # Safety
        /// `j + n <= dim`; `row` came from [`Codec::row`].
        unsafe fn load_partial<V: Vector>(row: Self::Row<V>, j: usize, n: usize) -> V;

        /// Whether a row's last `n < V::LANES` columns always go through
        /// one `load_partial` rather than the scalar [`Codec::value`] loop
        /// that paths without cheap masked loads use (`generic::partial_loads`):
        /// set by the quantized formats, whose scalar value decodes the row's
        /// scale for every element.
        const PARTIAL_TAIL: bool = false;

        /// Whether [`Codec::load`] takes any column `j` (with
        /// `j + V::LANES <= dim`), not only multiples of the lanes: true
        /// for the float formats and row-wise 8-bit, whose columns are
        /// whole units; false where a column can start inside a byte or a
        /// block. Row tails then read one whole vector ending at the row's
        /// end instead of a partial one.
        const ANY_COLUMN: bool = false;

        /// Whether a 1-column row is read through the scalar
        /// [`Codec::value`] on every path, AVX-512 too, rather than one
        /// masked vector there: bf16 (a shift) and row-wise 8-bit. The
        /// sweep (`SWEEP_US=1 report -- sweep gather`, Zen 5, the minimum
        /// of two runs), AVX-512's masked vector against AVX2's scalar
        /// column: bf16 1.26× the time, row-wise 8-bit 1.73×; f16 (0.78×)
        /// and 4-bit rows (0.76×) keep the masked vector. With it, AVX-512
        /// takes 0.46–0.48× (bf16) and 0.51–0.57× (row-wise 8-bit) the
        /// time of its masked vector at dim 1.
        const SCALAR_COLUMN: bool = false;

        /// Whether the values are a fused multiply-add (row-wise 8-bit):
        /// a row then goes down to a narrower vector only where that one
        /// keeps the hardware FMA (AVX2's 4-lane half does; SSE2 and
        /// simd128 emulate the single rounding, 1.1–4× slower in the
        /// sweep).
        const FMA_VALUES: bool = false;

        /// Whether, on a CPU with AVX-512, rows of `dim` are read with AVX2
        /// instead, by gathers into f32 (`bags` `None`) or by bags of that
        /// pooling; `Kernels::best` only (an explicit
        /// `Kernels::new(Isa::Avx512)` keeps AVX-512). Each format that says
        /// yes gives its measurements.
        #[inline(always)]
        fn avx2_rows(_dim: usize, _bags: Option<crate::Pooling>) -> bool {
            false
        }
    }

    /// An element format that the kernels also write (scatter-add,
    /// conversions): narrowing from f32.
    pub trait ElementCodec: Codec<Unit = Self> {
        /// Stores `V::LANES` values at `p`, narrowed.
        ///
        /// # Safety
        /// `p` is valid for `V::LANES` writes; the CPU has `V`'s ISA.
        unsafe fn store<V: Vector>(v: V, p: *mut Self);
        /// Stores the first `n < V::LANES` values at `p`, narrowed.
        ///
        /// # Safety
        /// `p` is valid for `n` writes; the CPU has `V`'s ISA.
        unsafe fn store_partial<V: Vector>(v: V, p: *mut Self, n: usize);
        /// One value narrowed, the bits of [`Element::from_f32`](crate::Element::from_f32)
        /// (round to nearest even), for the kernels' scalar columns:
        /// without a branch on the rounding, which follows the data.
        fn narrow(x: f32) -> Self;
    }
}

pub(crate) mod sealed {
    pub trait Sealed {}

    pub trait SealedIndex: Copy {
        /// The value as `u64`, wrapping: a negative value becomes a huge one,
        /// so one unsigned comparison rejects both ends.
        fn to_u64(self) -> u64;
        /// True when every index of `s` is in `0..rows`. Written as a fold
        /// in the native width so that it vectorises (each ISA's trampoline
        /// compiles it with its own instructions): an OR of compares for
        /// the unsigned types, a min/max fold for the signed ones.
        fn all_in_range(s: &[Self], rows: u64) -> bool;
        /// As [`all_in_range`](SealedIndex::all_in_range), a max fold for
        /// the unsigned types too: for the ISAs with an unsigned integer
        /// max (`Vector::UNSIGNED_MAX`), where it is the faster fold.
        fn all_in_range_by_max(s: &[Self], rows: u64) -> bool;
    }
}

/// A table format: how one row of `dim` values is stored, in units of
/// `F::Unit`.
///
/// Implemented by `f32`, [`f16`](struct@f16) and [`bf16`](struct@bf16),
/// whose unit is the element itself, and by the quantized byte formats of
/// [`quantized`](crate::quantized), whose unit is `u8`. Sealed: every format comes with a codec
/// on every instruction-set path, so only the crate can add one.
///
/// A table of format `F` is a slice of `F::Unit`: the element itself for the
/// float formats.
pub trait Format: codec::Codec + Copy + Debug + Send + Sync + 'static {
    /// A short lowercase name, as in error messages: `f32`, `f16`, `bf16`,
    /// and the quantized `rowwise8`, `rowwise4`, `rowwise2`, `q8_0`, `q4_0`,
    /// `q4_k`, `q6_k`.
    const NAME: &'static str;

    /// Units in one row of `dim` values.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] for `dim == 0`; a format with blocks may refuse
    /// other dims too.
    fn row_units(dim: usize) -> Result<usize, Error>;
}

/// A float table element: `f32`, [`f16`](struct@f16) or
/// [`bf16`](struct@bf16). Tables of elements can be written
/// ([`TableMut`](crate::TableMut), [`scatter_add`](crate::scatter_add)) and
/// are the targets of the conversions.
pub trait Element:
    Format + codec::ElementCodec + bytemuck::Pod + Default + PartialEq + Debug + Send + Sync + 'static
{
    /// Widens to `f32`. Exact for every value (NaN stays NaN).
    fn to_f32(self) -> f32;
    /// Narrows from `f32`, rounding to nearest, ties to even (identity for
    /// `f32`). Values beyond the type's range become infinities.
    fn from_f32(x: f32) -> Self;
}

/// The gather conversions the crate provides: a table of format `Self` into
/// an output of `O`.
///
/// f32→f32, f16→f32, bf16→f32, f16→f16 and bf16→bf16. Same-type gathers copy
/// bits (NaN payloads kept); every other pair decodes the row to f32
/// exactly. The choice between the two is this trait's (sealed) method, so
/// no kernel matches on types.
pub trait GatherInto<O: Element>: Format + gather_into::Sealed<O> {}

pub(crate) mod gather_into {
    use crate::Index;
    use crate::arch::generic::gather::Gather;
    use crate::arch::vector::Vector;

    /// How a gather from `Self` into `O` runs: a bit copy or a decode.
    pub trait Sealed<O>: super::codec::Codec + Sized {
        /// Whether the gather is a bit copy of each row (same type).
        const COPY: bool;
        /// The portable loop.
        fn portable<I: Index>(job: Gather<'_, Self, O, I>);
        /// The vector body.
        ///
        /// # Safety
        /// As the bodies of `arch::generic`: the CPU has `V`'s ISA, the
        /// inputs are validated.
        unsafe fn simd<V: Vector, I: Index>(job: Gather<'_, Self, O, I>);
    }
}

/// An index type: `u8`, `u16`, `u32`, `u64`, `usize`, `i32` or `i64`.
///
/// Valid indices are `0 <= i < rows`; negative values of the signed types are
/// out of range, and reported as such. Bag offsets have the index type of
/// their indices (as PyTorch's `offsets` do).
pub trait Index: Copy + Debug + Send + Sync + sealed::SealedIndex + 'static {
    /// The value, widened without loss (used in error reports).
    fn value(self) -> i128;
}

macro_rules! unsigned_index {
    ($($t:ty),*) => {$(
        impl sealed::SealedIndex for $t {
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn all_in_range(s: &[Self], rows: u64) -> bool {
                // An OR of compares against the row count, not a max fold:
                // the OR chains one instruction per vector, while a max
                // fold chains four on SSE2, which has no unsigned 32-bit
                // max. The sweep (`report -- sweep scatter`, Zen 5, one
                // run each): SSE2 scatter-add f32 at
                // dims 2 and 3 went from 0.82× and 0.80× the naive loop
                // to 0.96× and 0.90×, at dim 8 from 1.29× to 2.09×.
                if rows > <$t>::MAX as u64 {
                    return true;
                }
                let rows = rows as $t;
                !s.iter().fold(false, |bad, &x| bad | (x >= rows))
            }
            #[inline(always)]
            fn all_in_range_by_max(s: &[Self], rows: u64) -> bool {
                if rows > <$t>::MAX as u64 {
                    return true;
                }
                s.is_empty() || s.iter().fold(0, |m: $t, &x| m.max(x)) < rows as $t
            }
        }
        impl Index for $t {
            #[inline]
            fn value(self) -> i128 {
                self as i128
            }
        }
    )*};
}
macro_rules! signed_index {
    ($($t:ty),*) => {$(
        impl sealed::SealedIndex for $t {
            #[inline(always)]
            fn to_u64(self) -> u64 {
                // Sign-extend, then reinterpret: negatives become >= 2^63.
                self as i64 as u64
            }
            #[inline(always)]
            fn all_in_range(s: &[Self], rows: u64) -> bool {
                let (min, max) = s
                    .iter()
                    .fold((0 as $t, 0 as $t), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                s.is_empty() || (min >= 0 && (max as u64) < rows)
            }
            #[inline(always)]
            fn all_in_range_by_max(s: &[Self], rows: u64) -> bool {
                Self::all_in_range(s, rows)
            }
        }
        impl Index for $t {
            #[inline]
            fn value(self) -> i128 {
                self as i128
            }
        }
    )*};
}
unsigned_index!(u8, u16, u32, u64, usize);
signed_index!(i32, i64);
