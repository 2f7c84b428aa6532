//! Slice conversions between f32 and the element formats.

use super::gather::decode_row;
use crate::Element;
use crate::arch::vector::Vector;
use crate::arch::{Job, portable};

/// A validated widening: `src.len() == dst.len()`.
pub(crate) struct ToF32<'a, T> {
    pub src: &'a [T],
    pub dst: &'a mut [f32],
}

impl<T: Element> Job for ToF32<'_, T> {
    type Output = ();
    #[inline(always)]
    fn portable(self) {
        portable::to_f32(self.src, self.dst)
    }
    #[inline(always)]
    unsafe fn simd<V: Vector>(self) {
        // SAFETY: the job's contract (equal lengths, the ISA present).
        unsafe { to_f32::<V, T>(self.src, self.dst) }
    }
}

/// A validated narrowing: `src.len() == dst.len()`.
pub(crate) struct FromF32<'a, T> {
    pub src: &'a [f32],
    pub dst: &'a mut [T],
}

impl<T: Element> Job for FromF32<'_, T> {
    type Output = ();
    #[inline(always)]
    fn portable(self) {
        portable::from_f32(self.src, self.dst)
    }
    #[inline(always)]
    unsafe fn simd<V: Vector>(self) {
        // SAFETY: the job's contract (equal lengths, the ISA present).
        unsafe { from_f32::<V, T>(self.src, self.dst) }
    }
}

/// Widens a slice to f32. `src.len() == dst.len()`.
///
/// # Safety
/// The CPU has `V`'s ISA; the lengths are equal.
#[inline(always)]
pub(crate) unsafe fn to_f32<V: Vector, T: Element>(src: &[T], dst: &mut [f32]) {
    // SAFETY: one "row" as long as both slices, which have equal lengths.
    unsafe { decode_row::<V, T>(src.as_ptr(), src.len(), dst.as_mut_ptr(), src.len()) }
}

/// Narrows a slice from f32, nearest even. `src.len() == dst.len()`.
///
/// # Safety
/// The CPU has `V`'s ISA; the lengths are equal.
#[inline(always)]
pub(crate) unsafe fn from_f32<V: Vector, T: Element>(src: &[f32], dst: &mut [T]) {
    let l = V::LANES;
    let n = src.len();
    let s = src.as_ptr();
    let d = dst.as_mut_ptr();
    let mut j = 0;
    // SAFETY: every access is below `n` elements of both slices.
    unsafe {
        while j + l <= n {
            T::store(V::load(s.add(j)), d.add(j));
            j += l;
        }
        // A scalar tail (see `partial_loads`): the same bits as the vector
        // narrowing, which every path proves against `half`.
        while j < n {
            *d.add(j) = T::narrow(*s.add(j));
            j += 1;
        }
    }
}
