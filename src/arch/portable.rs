//! The plain-Rust path: every kernel as the obvious loop, for any target
//! (Cortex-M included), and the reference the SIMD paths are tested against.
//!
//! No `unsafe`: rows are taken with `get`, which validation guarantees to
//! succeed. Operation order per element is the one every SIMD body uses.

use crate::arch::generic::gather::Gather;
use crate::bags::{divisor, max_nan};
use crate::format::codec::Codec;
use crate::{Element, Index, Pooling};

/// Row `r` of `stride` units (empty if out of range, which validation rules
/// out).
fn row<T>(table: &[T], stride: usize, r: usize) -> &[T] {
    table.get(r * stride..r * stride + stride).unwrap_or(&[])
}

/// Same-type gather: copies the bits of each row.
pub(crate) fn gather_copy<T: Copy, I: Index>(table: &[T], stride: usize, idx: &[I], out: &mut [T]) {
    for (o, &i) in out.chunks_exact_mut(stride).zip(idx) {
        let src = row(table, stride, i.to_u64() as usize);
        if src.len() == o.len() {
            o.copy_from_slice(src);
        }
    }
}

/// Gather into f32 through the codec (exact widening for f16/bf16).
pub(crate) fn gather_decode<C: Codec, I: Index>(job: Gather<'_, C, f32, I>) {
    for (o, &i) in job.out.chunks_exact_mut(job.dim).zip(job.indices) {
        let r = row(job.table, job.stride, i.to_u64() as usize);
        for (j, y) in o.iter_mut().enumerate() {
            *y = C::value(r, j);
        }
    }
}

/// Pooled lookups over CSR bags.
pub(crate) fn bags<C: Codec, I: Index, O: Index>(
    job: crate::arch::generic::bags::Bags<'_, C, I, O>,
) {
    let (table, stride, pooling) = (job.table, job.stride, job.pooling);
    let row_of = |i: I| row(table, stride, i.to_u64() as usize);
    for (o, ends) in job
        .out
        .chunks_exact_mut(job.dim)
        .zip(job.offsets.windows(2))
    {
        let (start, end) = (ends[0].to_u64() as usize, ends[1].to_u64() as usize);
        let bag = job.indices.get(start..end).unwrap_or(&[]);
        let w = job.weights.and_then(|w| w.get(start..end));
        let Some((&first, rest)) = bag.split_first() else {
            o.fill(0.0);
            continue;
        };
        match w {
            Some(w) if pooling != Pooling::Max => {
                let w0 = w.first().copied().unwrap_or(0.0);
                let r = row_of(first);
                for (j, y) in o.iter_mut().enumerate() {
                    *y = w0 * C::value(r, j);
                }
                for (&i, &wt) in rest.iter().zip(w.iter().skip(1)) {
                    let r = row_of(i);
                    for (j, y) in o.iter_mut().enumerate() {
                        *y += wt * C::value(r, j);
                    }
                }
            }
            _ => {
                let r = row_of(first);
                for (j, y) in o.iter_mut().enumerate() {
                    *y = C::value(r, j);
                }
                for &i in rest {
                    let r = row_of(i);
                    for (j, y) in o.iter_mut().enumerate() {
                        let x = C::value(r, j);
                        *y = if pooling == Pooling::Max {
                            max_nan(*y, x)
                        } else {
                            *y + x
                        };
                    }
                }
            }
        }
        if let Some(d) = divisor(pooling, bag.len(), w) {
            for y in o.iter_mut() {
                *y = if d == 0.0 { 0.0 } else { *y / d };
            }
        }
    }
}

/// `table[idx[i]] += scale · grad[i]`, in occurrence order, one rounding to
/// the table's type per contribution.
pub(crate) fn scatter_add<T: Element, I: Index>(
    table: &mut [T],
    dim: usize,
    idx: &[I],
    grad: &[f32],
    scale: f32,
) {
    for (g, &i) in grad.chunks_exact(dim).zip(idx) {
        let r = i.to_u64() as usize;
        if let Some(t) = table.get_mut(r * dim..r * dim + dim) {
            for (t, &g) in t.iter_mut().zip(g) {
                *t = T::narrow(t.to_f32() + scale * g);
            }
        }
    }
}

/// Widens a slice to f32.
pub(crate) fn to_f32<T: Element>(src: &[T], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = s.to_f32();
    }
}

/// Narrows a slice from f32, nearest even.
pub(crate) fn from_f32<T: Element>(src: &[f32], dst: &mut [T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = T::narrow(s);
    }
}
