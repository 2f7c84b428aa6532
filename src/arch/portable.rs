//! The plain-Rust path: every kernel as the obvious loop, for any target
//! (Cortex-M included), and the reference the SIMD paths are tested against.
//!
//! No `unsafe`: rows are taken with `get`, which validation guarantees to
//! succeed. Operation order per element is the one every SIMD body uses.

use crate::{Element, Index, Pooling};

fn row<T>(table: &[T], dim: usize, r: usize) -> &[T] {
    table.get(r * dim..r * dim + dim).unwrap_or(&[])
}

/// `0 <= i < rows` for every index (the fast half of `validate::indices`).
pub(crate) fn indices_below<I: Index>(idx: &[I], rows: usize) -> bool {
    I::all_below(idx, rows as u64)
}

/// Same-type gather: copies the bits of each row.
pub(crate) fn gather_copy<T: Copy, I: Index>(table: &[T], dim: usize, idx: &[I], out: &mut [T]) {
    super::mark(crate::Isa::Portable);
    for (o, &i) in out.chunks_exact_mut(dim).zip(idx) {
        let src = row(table, dim, i.to_u64() as usize);
        if src.len() == o.len() {
            o.copy_from_slice(src);
        }
    }
}

/// f16/bf16 → f32 gather.
pub(crate) fn gather_widen<T: Element, I: Index>(
    table: &[T],
    dim: usize,
    idx: &[I],
    out: &mut [f32],
) {
    super::mark(crate::Isa::Portable);
    for (o, &i) in out.chunks_exact_mut(dim).zip(idx) {
        for (y, x) in o.iter_mut().zip(row(table, dim, i.to_u64() as usize)) {
            *y = x.to_f32();
        }
    }
}

/// The divisor a pooling applies to a bag's sum: `None` for Sum and Max;
/// the count or `Σ w` for Mean; `√count` or `√Σ w²` for SqrtN. Sums run in
/// index order from 0. Shared by every path, so all divide by the same bits.
#[inline]
pub(crate) fn divisor(pooling: Pooling, count: usize, weights: Option<&[f32]>) -> Option<f32> {
    match pooling {
        Pooling::Sum | Pooling::Max => None,
        Pooling::Mean => Some(match weights {
            None => count as f32,
            Some(w) => w.iter().fold(0.0f32, |s, &x| s + x),
        }),
        Pooling::SqrtN => Some(crate::math::sqrt(match weights {
            None => count as f32,
            Some(w) => w.iter().fold(0.0f32, |s, &x| s + x * x),
        })),
    }
}

/// NaN-propagating max with the accumulator first: see `Vector::max_nan`.
#[inline]
pub(crate) fn max_nan(acc: f32, x: f32) -> f32 {
    if acc.is_nan() {
        acc
    } else if x.is_nan() || x > acc {
        x
    } else {
        acc
    }
}

/// Pooled lookups over CSR bags.
pub(crate) fn bags<T: Element, I: Index>(
    table: &[T],
    dim: usize,
    indices: &[I],
    offsets: &[I],
    weights: Option<&[f32]>,
    pooling: Pooling,
    out: &mut [f32],
) {
    super::mark(crate::Isa::Portable);
    for (o, ends) in out.chunks_exact_mut(dim).zip(offsets.windows(2)) {
        let (start, end) = (ends[0].to_u64() as usize, ends[1].to_u64() as usize);
        let bag = indices.get(start..end).unwrap_or(&[]);
        let w = weights.and_then(|w| w.get(start..end));
        let Some((first, rest)) = bag.split_first() else {
            o.fill(0.0);
            continue;
        };
        let r0 = row(table, dim, first.to_u64() as usize);
        match w {
            Some(w) if pooling != Pooling::Max => {
                let w0 = w.first().copied().unwrap_or(0.0);
                for (y, x) in o.iter_mut().zip(r0) {
                    *y = w0 * x.to_f32();
                }
                for (&i, &wt) in rest.iter().zip(w.iter().skip(1)) {
                    for (y, x) in o.iter_mut().zip(row(table, dim, i.to_u64() as usize)) {
                        *y += wt * x.to_f32();
                    }
                }
            }
            _ => {
                for (y, x) in o.iter_mut().zip(r0) {
                    *y = x.to_f32();
                }
                for &i in rest {
                    for (y, x) in o.iter_mut().zip(row(table, dim, i.to_u64() as usize)) {
                        *y = if pooling == Pooling::Max {
                            max_nan(*y, x.to_f32())
                        } else {
                            *y + x.to_f32()
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
    super::mark(crate::Isa::Portable);
    for (g, &i) in grad.chunks_exact(dim).zip(idx) {
        let r = i.to_u64() as usize;
        if let Some(t) = table.get_mut(r * dim..r * dim + dim) {
            for (t, &g) in t.iter_mut().zip(g) {
                *t = T::from_f32(t.to_f32() + scale * g);
            }
        }
    }
}

/// Widens a slice to f32.
pub(crate) fn to_f32<T: Element>(src: &[T], dst: &mut [f32]) {
    super::mark(crate::Isa::Portable);
    for (d, s) in dst.iter_mut().zip(src) {
        *d = s.to_f32();
    }
}

/// Narrows a slice from f32, nearest even.
pub(crate) fn from_f32<T: Element>(src: &[f32], dst: &mut [T]) {
    super::mark(crate::Isa::Portable);
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = T::from_f32(s);
    }
}
