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
        // `C::value` a column, not `C::each_value`'s zip: the zip ran
        // bf16 at 0.27–0.33x the time on x86_64 (vectorised) but at
        // 1.07–1.20x it on wasm32 without simd128 (scalar, dims 4–32,
        // where this path is the one dispatched); f16 0.84–0.92x on both.
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
        // One loop per pooling, each a zip over the row (`Codec::each_value`)
        // with nothing else in its body, so that the compiler vectorises
        // it where the target has vectors. Before, one loop read each
        // column through `Codec::value` (a checked read) and tested the
        // pooling inside; `max_nan` was three branches (now one select).
        // The sweep (`SWEEP_US=1 report -- sweep bags`, three interleaved
        // runs of each build, the fastest, new time over old, this path):
        // Zen 3 (x86_64, SSE2 vectorised) Sum, Mean and weighted Sum
        // 0.20–0.42 at dims 16–1024, 0.89–1.01 at 1–4 (0.22–0.45x the
        // naive loop before, 1.0–1.2x now), Max 0.18–0.30 at 16–1024,
        // 1.02–1.05 at 1–3; wasm32 without simd128 (scalar, the path it
        // dispatches; `node --no-liftoff`) 0.67–0.86 at dims 2–1024, Max
        // 0.69–0.85, dim 1 0.94–1.06.
        match w {
            Some(w) if pooling != Pooling::Max => {
                let w0 = w.first().copied().unwrap_or(0.0);
                C::each_value(row_of(first), o, |y, x| *y = w0 * x);
                for (&i, &wt) in rest.iter().zip(w.iter().skip(1)) {
                    C::each_value(row_of(i), o, |y, x| *y += wt * x);
                }
            }
            _ => {
                C::each_value(row_of(first), o, |y, x| *y = x);
                if pooling == Pooling::Max {
                    for &i in rest {
                        C::each_value(row_of(i), o, |y, x| *y = max_nan(*y, x));
                    }
                } else {
                    for &i in rest {
                        C::each_value(row_of(i), o, |y, x| *y += x);
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
