//! Every input check, in one place. Each kernel runs its checks before it
//! writes anything, so an erroring call leaves every buffer untouched.
//!
//! The index range check ("in range": `0 <= i < rows`) is the only one on
//! the hot path: a fold (`Index::all_in_range`) that each ISA
//! compiles with its own instructions ([`Kernels`](crate::Kernels) runs it
//! through the same trampoline as the kernel); only when it fails is the
//! first bad position searched for, by [`first_out_of_range`].

use crate::{Bags, Error, Index, Pooling};

/// Checks `0 <= i < rows` for every index, on the portable path (for the
/// dense oracle; the kernels run the same fold on their own ISA).
#[inline]
pub(crate) fn in_range<I: Index>(indices: &[I], rows: usize) -> Result<(), Error> {
    if I::all_in_range(indices, rows as u64) {
        return Ok(());
    }
    first_out_of_range(indices, rows)
}

/// The error for the first index outside `0..rows`, once a fold has found
/// that there is one (`Ok` if there is none after all).
#[cold]
pub(crate) fn first_out_of_range<I: Index>(indices: &[I], rows: usize) -> Result<(), Error> {
    let rows64 = rows as u64;
    match indices.iter().position(|i| i.to_u64() >= rows64) {
        Some(position) => Err(Error::IndexOutOfRange {
            position,
            value: indices[position].value(),
            rows,
        }),
        None => Ok(()),
    }
}

/// `a · b`, saturated: a saturated length never equals a real slice length
/// of 2- or 4-byte elements.
#[inline]
pub(crate) fn product(a: usize, b: usize) -> usize {
    a.saturating_mul(b)
}

/// Checks an output length.
#[inline]
pub(crate) fn output(len: usize, expected: usize) -> Result<(), Error> {
    if len != expected {
        return Err(Error::OutputLength { len, expected });
    }
    Ok(())
}

/// Checks the gradient of `scatter_add`: `indices · dim` elements.
#[inline]
pub(crate) fn gradient(len: usize, indices: usize, dim: usize) -> Result<(), Error> {
    let expected = product(indices, dim);
    if len != expected {
        return Err(Error::GradientLength { len, expected });
    }
    Ok(())
}

/// Checks that a conversion's source and destination have equal lengths.
#[inline]
pub(crate) fn conversion(src: usize, dst: usize) -> Result<(), Error> {
    if src != dst {
        return Err(Error::ConvertLength { src, dst });
    }
    Ok(())
}

/// Checks CSR offsets against `len` indices: first 0, each within
/// `0..=len`, non-decreasing, last `len`. Returns the number of bags.
pub(crate) fn offsets<I: Index>(offsets: &[I], len: usize) -> Result<usize, Error> {
    let Some((first, rest)) = offsets.split_first() else {
        return Err(Error::OffsetsEmpty);
    };
    if first.to_u64() != 0 {
        return Err(Error::FirstOffset {
            value: first.value(),
        });
    }
    let len64 = len as u64;
    let mut previous = *first;
    for (p, &o) in rest.iter().enumerate() {
        let v = o.to_u64();
        if v > len64 {
            return Err(Error::OffsetOutOfRange {
                position: p + 1,
                value: o.value(),
                len,
            });
        }
        if v < previous.to_u64() {
            return Err(Error::OffsetsDecreasing {
                position: p + 1,
                value: o.value(),
                previous: previous.value(),
            });
        }
        previous = o;
    }
    if previous.to_u64() != len64 {
        return Err(Error::LastOffset {
            value: previous.value(),
            len,
        });
    }
    Ok(rest.len())
}

/// Checks weights against the indices and the pooling.
#[inline]
pub(crate) fn weights(weights: Option<&[f32]>, pooling: Pooling, n: usize) -> Result<(), Error> {
    if let Some(w) = weights {
        if pooling == Pooling::Max {
            return Err(Error::WeightsWithMax);
        }
        if w.len() != n {
            return Err(Error::WeightsLength {
                len: w.len(),
                expected: n,
            });
        }
    }
    Ok(())
}

/// Checks everything about a `gather_bags` call but the table itself and
/// the index range (which the caller checks with its ISA's fold).
pub(crate) fn bags<I: Index, O: Index>(
    bags: &Bags<'_, I, O>,
    pooling: Pooling,
    dim: usize,
    out_len: usize,
) -> Result<(), Error> {
    let n = bags.indices().len();
    weights(bags.weights(), pooling, n)?;
    let count = offsets(bags.offsets(), n)?;
    output(out_len, product(count, dim))
}
