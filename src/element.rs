//! The element types of tables and the index types of lookups.

use core::fmt::Debug;

pub use half::{bf16, f16};

pub(crate) mod sealed {
    /// What an element type is, for dispatch inside the crate.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        F32,
        F16,
        Bf16,
    }

    pub trait Sealed {
        const KIND: Kind;
    }

    pub trait SealedIndex: Copy {
        /// The value as `u64`, wrapping: a negative value becomes a huge one,
        /// so one unsigned comparison rejects both ends.
        fn to_u64(self) -> u64;
        /// True when every index of `s` is in `0..rows`. Written as a
        /// min/max fold in the native width so that it vectorises.
        fn all_below(s: &[Self], rows: u64) -> bool;
    }
}

use sealed::Kind;

/// A table element: `f32`, [`f16`](struct@f16) or [`bf16`](struct@bf16).
///
/// Sealed: the kernels are written for exactly these three.
pub trait Element:
    bytemuck::Pod + Default + PartialEq + Debug + Send + Sync + sealed::Sealed + 'static
{
    /// Widens to `f32`. Exact for every value (NaN stays NaN).
    fn to_f32(self) -> f32;
    /// Narrows from `f32`, rounding to nearest, ties to even (identity for
    /// `f32`). Values beyond the type's range become infinities.
    fn from_f32(x: f32) -> Self;
}

impl sealed::Sealed for f32 {
    const KIND: Kind = Kind::F32;
}
impl sealed::Sealed for f16 {
    const KIND: Kind = Kind::F16;
}
impl sealed::Sealed for bf16 {
    const KIND: Kind = Kind::Bf16;
}

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
impl Element for f16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
}
impl Element for bf16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
}

/// The gather conversions the crate provides: `Self` table into `O` output.
///
/// f32→f32, f16→f32, bf16→f32, f16→f16 and bf16→bf16. Same-type gathers copy
/// bits (NaN payloads kept); widening gathers are exact.
pub trait GatherInto<O: Element>: Element {}
impl GatherInto<f32> for f32 {}
impl GatherInto<f32> for f16 {}
impl GatherInto<f32> for bf16 {}
impl GatherInto<f16> for f16 {}
impl GatherInto<bf16> for bf16 {}

/// An index type: `u8`, `u16`, `u32`, `u64`, `usize`, `i32` or `i64`.
///
/// Valid indices are `0 <= i < rows`; negative values of the signed types are
/// out of range, and reported as such.
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
            fn all_below(s: &[Self], rows: u64) -> bool {
                let max = s.iter().fold(0, |m: $t, &x| m.max(x));
                s.is_empty() || (max as u64) < rows
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
            fn all_below(s: &[Self], rows: u64) -> bool {
                let (min, max) = s
                    .iter()
                    .fold((0 as $t, 0 as $t), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                s.is_empty() || (min >= 0 && (max as u64) < rows)
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
