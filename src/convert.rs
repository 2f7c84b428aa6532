//! f16 and bf16 slices to and from f32, on the fastest path this CPU has.
//!
//! Widening is exact. Narrowing rounds to nearest, ties to even; values
//! beyond the target's range become infinities; a NaN becomes a quiet NaN
//! with the top of its payload. Every path gives `half`'s bits exactly.

use crate::{Element, Error, Kernels, bf16, f16};

/// Widens any element slice into f32 (a copy for f32).
///
/// # Errors
/// [`Error::ConvertLength`] if `src` and `dst` differ in length; `dst` is
/// untouched then.
pub fn to_f32<T: Element>(src: &[T], dst: &mut [f32]) -> Result<(), Error> {
    Kernels::best().to_f32(src, dst)
}

/// Narrows f32 into any element slice (a copy for f32).
///
/// # Errors
/// [`Error::ConvertLength`] if `src` and `dst` differ in length; `dst` is
/// untouched then.
pub fn from_f32<T: Element>(src: &[f32], dst: &mut [T]) -> Result<(), Error> {
    Kernels::best().from_f32(src, dst)
}

/// f16 → f32, exactly.
///
/// ```
/// use embedding_kernels::{convert, f16};
/// let src = [f16::from_f32(1.5), f16::from_f32(-0.25)];
/// let mut dst = [0.0f32; 2];
/// convert::f16_to_f32(&src, &mut dst)?;
/// assert_eq!(dst, [1.5, -0.25]);
/// # Ok::<(), embedding_kernels::Error>(())
/// ```
///
/// # Errors
/// [`Error::ConvertLength`] if the lengths differ.
pub fn f16_to_f32(src: &[f16], dst: &mut [f32]) -> Result<(), Error> {
    to_f32(src, dst)
}

/// bf16 → f32, exactly.
///
/// # Errors
/// [`Error::ConvertLength`] if the lengths differ.
pub fn bf16_to_f32(src: &[bf16], dst: &mut [f32]) -> Result<(), Error> {
    to_f32(src, dst)
}

/// f32 → f16, nearest even.
///
/// # Errors
/// [`Error::ConvertLength`] if the lengths differ.
pub fn f32_to_f16(src: &[f32], dst: &mut [f16]) -> Result<(), Error> {
    from_f32(src, dst)
}

/// f32 → bf16, nearest even.
///
/// # Errors
/// [`Error::ConvertLength`] if the lengths differ.
pub fn f32_to_bf16(src: &[f32], dst: &mut [bf16]) -> Result<(), Error> {
    from_f32(src, dst)
}
