//! Kernel bodies, written once over [`Vector`] and inlined into each ISA's
//! `#[target_feature]` shims (see the `shims!` macro in `arch/mod.rs`).
//!
//! # Safety (every function here)
//! - the CPU has the ISA that `V` is written for;
//! - the inputs were validated by `crate::validate`: `table.len()` is
//!   `rows · dim` with `dim > 0`, every index is in `0..rows`, every offset
//!   is in order and within the indices, and every output or gradient has the
//!   length the call reads or writes.
//!
//! Under those promises all pointer arithmetic below stays inside the slices
//! it was derived from; it is bounded by lengths checked once, up front.

use super::vector::{Lane, Vector};
use crate::{Index, Pooling};

/// Rows prefetched ahead of the one being copied, on tables large enough for
/// it to pay (see [`PREFETCH_MIN_TABLE_BYTES`]).
///
/// Tuned with `cargo run --release --example report -- gather 1048576` (and
/// `scatter`, `bags`) on the 1M × 64 f32 table (256 MB, DRAM), AVX2 path,
/// two runs each, as the ratio to the naive loop measured in the same run
/// (2026-11-25, AMD EPYC, 2 vCPU, shared):
///
/// | distance | gather | scatter-add |
/// | --- | --- | --- |
/// | no prefetch | 1.58, 1.47 | 3.76, 2.67 |
/// | 8 | 2.54, 2.12 | 5.73, 3.72 |
/// | 16 | 2.65, 1.80 | 4.04, 6.43 |
/// | 32 | 2.39, 2.64 | 6.00, 4.48 |
///
/// Any distance from 8 to 32 gains about 1.5× over none; the differences
/// among them are within this machine's noise. Bags prefetch the next bag's
/// rows instead: 1M × 64, bags of 20, three runs: 2.62, 2.41, 2.83 × naive
/// without, 2.87, 2.57, 3.21 with.
pub(crate) const PREFETCH_ROWS: usize = 16;

/// Tables smaller than this are assumed to sit in cache, where a prefetch
/// is one wasted instruction per cache line.
pub(crate) const PREFETCH_MIN_TABLE_BYTES: usize = 4 << 20;

/// The row index at position `i`, already validated.
///
/// # Safety
/// `i < idx.len()`.
#[inline(always)]
unsafe fn row_at<I: Index>(idx: &[I], i: usize) -> usize {
    // SAFETY: the caller guarantees `i < idx.len()`.
    unsafe { idx.get_unchecked(i).to_u64() as usize }
}

/// Prefetches every cache line of a row of `bytes` bytes starting at `p`.
///
/// # Safety
/// `p` is the start of a row inside the table and `bytes > 0` is its size,
/// so every address formed stays inside that row; the shim's ISA is present.
#[inline(always)]
unsafe fn prefetch_row<V: Vector>(p: *const u8, bytes: usize) {
    let mut off = 0;
    while off < bytes {
        // SAFETY: `off < bytes`, so `p + off` is inside the row; a prefetch
        // never faults.
        unsafe { V::prefetch(p.add(off)) };
        off += 64;
    }
    // SAFETY: the last byte of the row, for rows that straddle a line more.
    unsafe { V::prefetch(p.add(bytes - 1)) };
}

/// Runs `$body` with `$i` the position and `$r` its row, for each position
/// in order, prefetching the row `PREFETCH_ROWS` ahead when `$prefetch` is
/// set. A macro, not a closure: closures do not inherit the shims' target
/// features, so an intrinsic inside one would not be inlined.
///
/// Safety: as the module's contract; `$base` is the table's first byte and
/// `$row_bytes` a row's size.
macro_rules! for_rows {
    ($v:ty, $idx:expr, $base:expr, $row_bytes:expr, $prefetch:expr, |$i:ident, $r:ident| $body:expr) => {{
        let idx = $idx;
        let n = idx.len();
        let mut $i = 0;
        if $prefetch && n > PREFETCH_ROWS {
            while $i < n - PREFETCH_ROWS {
                // SAFETY: `i + PREFETCH_ROWS < n`; the row it names is valid,
                // so the address is inside the table.
                unsafe {
                    let ahead = row_at(idx, $i + PREFETCH_ROWS);
                    prefetch_row::<$v>($base.add(ahead * $row_bytes), $row_bytes);
                }
                // SAFETY: `i < n`.
                let $r = unsafe { row_at(idx, $i) };
                $body;
                $i += 1;
            }
        }
        while $i < n {
            // SAFETY: `i < n`.
            let $r = unsafe { row_at(idx, $i) };
            $body;
            $i += 1;
        }
    }};
}

/// Copies rows of exactly `B` bytes: a constant-size copy, which the
/// compiler turns into a few vector moves of the shim's ISA.
#[inline(always)]
unsafe fn copy_rows_fixed<V: Vector, I: Index, const B: usize>(
    src: *const u8,
    idx: &[I],
    dst: *mut u8,
    prefetch: bool,
) {
    for_rows!(V, idx, src, B, prefetch, |i, r| {
        // SAFETY: rows are `B` bytes; row `r < rows` and position `i < n`
        // keep both copies inside the table and the output.
        unsafe { core::ptr::copy_nonoverlapping(src.add(r * B), dst.add(i * B), B) }
    })
}

/// Same-type gather: copies the bits of each row.
#[inline(always)]
pub(crate) unsafe fn gather_copy<V: Vector, T: Copy, I: Index>(
    table: &[T],
    dim: usize,
    idx: &[I],
    out: &mut [T],
) {
    let row_bytes = dim * core::mem::size_of::<T>();
    let src = table.as_ptr().cast::<u8>();
    let dst = out.as_mut_ptr().cast::<u8>();
    let prefetch = core::mem::size_of_val(table) >= PREFETCH_MIN_TABLE_BYTES;
    // SAFETY (each arm): the module's contract; each copies rows of
    // `row_bytes` bytes.
    match row_bytes {
        // SAFETY: as above.
        8 => unsafe { copy_rows_fixed::<V, I, 8>(src, idx, dst, prefetch) },
        // SAFETY: as above.
        16 => unsafe { copy_rows_fixed::<V, I, 16>(src, idx, dst, prefetch) },
        // SAFETY: as above.
        32 => unsafe { copy_rows_fixed::<V, I, 32>(src, idx, dst, prefetch) },
        // SAFETY: as above.
        64 => unsafe { copy_rows_fixed::<V, I, 64>(src, idx, dst, prefetch) },
        // SAFETY: as above.
        128 => unsafe { copy_rows_fixed::<V, I, 128>(src, idx, dst, prefetch) },
        // SAFETY: as above.
        256 => unsafe { copy_rows_fixed::<V, I, 256>(src, idx, dst, prefetch) },
        _ => for_rows!(V, idx, src, row_bytes, prefetch, |i, r| {
            // SAFETY: row `r < rows` and position `i < n` keep both copies
            // inside the table and the output.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    src.add(r * row_bytes),
                    dst.add(i * row_bytes),
                    row_bytes,
                )
            }
        }),
    }
}

/// Widens one row of `dim` elements into f32.
#[inline(always)]
unsafe fn widen_row<V: Vector, T: Lane>(src: *const T, dst: *mut f32, dim: usize) {
    let l = V::LANES;
    let mut j = 0;
    // SAFETY: every access is below `dim` elements from `src` and `dst`.
    unsafe {
        while j + 2 * l <= dim {
            let a: V = T::vload(src.add(j));
            let b: V = T::vload(src.add(j + l));
            a.store(dst.add(j));
            b.store(dst.add(j + l));
            j += 2 * l;
        }
        if j + l <= dim {
            T::vload::<V>(src.add(j)).store(dst.add(j));
            j += l;
        }
        if j < dim {
            T::vload_partial::<V>(src.add(j), dim - j).store_partial(dst.add(j), dim - j);
        }
    }
}

#[inline(always)]
unsafe fn gather_widen_dim<V: Vector, T: Lane, I: Index, const D: usize>(
    table: &[T],
    dim: usize,
    idx: &[I],
    out: &mut [f32],
) {
    // A constant `D` lets the compiler unroll the row completely.
    let dim = if D == 0 { dim } else { D };
    let src = table.as_ptr();
    let dst = out.as_mut_ptr();
    let row_bytes = dim * core::mem::size_of::<T>();
    let prefetch = core::mem::size_of_val(table) >= PREFETCH_MIN_TABLE_BYTES;
    let base = src.cast::<u8>();
    for_rows!(V, idx, base, row_bytes, prefetch, |i, r| {
        // SAFETY: the module's contract: row `r < rows`, position `i < n`.
        unsafe { widen_row::<V, T>(src.add(r * dim), dst.add(i * dim), dim) }
    })
}

/// f16/bf16 → f32 gather, widening exactly.
#[inline(always)]
pub(crate) unsafe fn gather_widen<V: Vector, T: Lane, I: Index>(
    table: &[T],
    dim: usize,
    idx: &[I],
    out: &mut [f32],
) {
    // SAFETY: the module's contract; `D` equals `dim` in each fixed arm.
    unsafe {
        match dim {
            4 => gather_widen_dim::<V, T, I, 4>(table, dim, idx, out),
            8 => gather_widen_dim::<V, T, I, 8>(table, dim, idx, out),
            16 => gather_widen_dim::<V, T, I, 16>(table, dim, idx, out),
            32 => gather_widen_dim::<V, T, I, 32>(table, dim, idx, out),
            64 => gather_widen_dim::<V, T, I, 64>(table, dim, idx, out),
            _ => gather_widen_dim::<V, T, I, 0>(table, dim, idx, out),
        }
    }
}

/// Pools one block of `K` vectors (or one partial vector when
/// `partial != 0`) of columns starting at `j` over a whole bag, in registers,
/// and stores the block once.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn bag_block<V: Vector, T: Lane, I: Index, const K: usize>(
    base: *const T,
    dim: usize,
    bag: &[I],
    weights: Option<&[f32]>,
    max: bool,
    div: Option<f32>,
    j: usize,
    out: *mut f32,
    partial: usize,
) {
    let l = V::LANES;
    // A macro, not a closure, so that the load inlines with the shim's
    // target features. `r` is a validated row and `j + k·l (+ partial)` is
    // within `dim`, so the load stays in the row.
    macro_rules! load {
        ($r:expr, $k:expr) => {{
            let p = base.add($r * dim + j + $k * l);
            if partial != 0 {
                T::vload_partial::<V>(p, partial)
            } else {
                T::vload::<V>(p)
            }
        }};
    }
    // SAFETY: the bag is non-empty (the caller checks), and every position
    // below `bag.len()` is read at most once per loop.
    unsafe {
        let first = row_at(bag, 0);
        let mut acc: [V; K] = [V::splat(0.0); K];
        for (k, a) in acc.iter_mut().enumerate() {
            *a = load!(first, k);
        }
        if max {
            for t in 1..bag.len() {
                let r = row_at(bag, t);
                for (k, a) in acc.iter_mut().enumerate() {
                    *a = a.max_nan(load!(r, k));
                }
            }
        } else if let Some(w) = weights {
            let w0 = V::splat(*w.get_unchecked(0));
            for a in acc.iter_mut() {
                *a = w0.mul(*a);
            }
            for t in 1..bag.len() {
                let r = row_at(bag, t);
                let wt = V::splat(*w.get_unchecked(t));
                for (k, a) in acc.iter_mut().enumerate() {
                    *a = a.add(wt.mul(load!(r, k)));
                }
            }
        } else {
            for t in 1..bag.len() {
                let r = row_at(bag, t);
                for (k, a) in acc.iter_mut().enumerate() {
                    *a = a.add(load!(r, k));
                }
            }
        }
        if let Some(d) = div {
            let zero = d == 0.0;
            let dv = V::splat(d);
            for a in acc.iter_mut() {
                *a = if zero { V::splat(0.0) } else { a.div(dv) };
            }
        }
        for (k, a) in acc.iter().enumerate() {
            let p = out.add(j + k * l);
            if partial != 0 {
                a.store_partial(p, partial)
            } else {
                a.store(p)
            }
        }
    }
}

/// Pooled lookups over CSR bags.
#[inline(always)]
pub(crate) unsafe fn bags<V: Vector, T: Lane, I: Index>(
    table: &[T],
    dim: usize,
    indices: &[I],
    offsets: &[I],
    weights: Option<&[f32]>,
    pooling: Pooling,
    out: &mut [f32],
) {
    let l = V::LANES;
    let base = table.as_ptr();
    let max = pooling == Pooling::Max;
    let row_bytes = dim * core::mem::size_of::<T>();
    let prefetch = core::mem::size_of_val(table) >= PREFETCH_MIN_TABLE_BYTES;
    let bags = offsets.len() - 1;
    for b in 0..bags {
        // SAFETY: validated offsets: `b + 1 < offsets.len()`, and
        // `start <= end <= indices.len()` (and the same for weights, which
        // have one entry per index); output row `b` is inside `out`; the
        // prefetched rows are validated rows of the next bag.
        unsafe {
            let start = row_at(offsets, b);
            let end = row_at(offsets, b + 1);
            if prefetch && b + 2 <= bags {
                // The next bag's rows, a whole bag ahead.
                for t in end..row_at(offsets, b + 2) {
                    prefetch_row::<V>(base.add(row_at(indices, t) * dim).cast(), row_bytes);
                }
            }
            let bag = indices.get_unchecked(start..end);
            let w = weights.map(|w| w.get_unchecked(start..end));
            let o = out.as_mut_ptr().add(b * dim);
            if bag.is_empty() {
                core::ptr::write_bytes(o, 0, dim);
                continue;
            }
            let div = super::portable::divisor(pooling, bag.len(), w);
            let mut j = 0;
            while j + 4 * l <= dim {
                bag_block::<V, T, I, 4>(base, dim, bag, w, max, div, j, o, 0);
                j += 4 * l;
            }
            while j + l <= dim {
                bag_block::<V, T, I, 1>(base, dim, bag, w, max, div, j, o, 0);
                j += l;
            }
            if j < dim {
                bag_block::<V, T, I, 1>(base, dim, bag, w, max, div, j, o, dim - j);
            }
        }
    }
}

/// Adds one scaled gradient row into one table row.
#[inline(always)]
unsafe fn add_row<V: Vector, T: Lane>(t: *mut T, g: *const f32, s: V, dim: usize) {
    let l = V::LANES;
    let mut j = 0;
    // SAFETY: every access is below `dim` elements from `t` and `g`.
    unsafe {
        while j + l <= dim {
            let v = T::vload::<V>(t.add(j)).add(V::load(g.add(j)).mul(s));
            T::vstore(v, t.add(j));
            j += l;
        }
        if j < dim {
            let n = dim - j;
            let v = T::vload_partial::<V>(t.add(j), n).add(V::load_partial(g.add(j), n).mul(s));
            T::vstore_partial(v, t.add(j), n);
        }
    }
}

#[inline(always)]
unsafe fn scatter_add_dim<V: Vector, T: Lane, I: Index, const D: usize>(
    table: &mut [T],
    dim: usize,
    idx: &[I],
    grad: &[f32],
    scale: f32,
) {
    let dim = if D == 0 { dim } else { D };
    let prefetch = core::mem::size_of_val(table) >= PREFETCH_MIN_TABLE_BYTES;
    let t = table.as_mut_ptr();
    let g = grad.as_ptr();
    let row_bytes = dim * core::mem::size_of::<T>();
    // SAFETY: the shim guarantees the ISA.
    let s = unsafe { V::splat(scale) };
    let base = t.cast_const().cast::<u8>();
    for_rows!(V, idx, base, row_bytes, prefetch, |i, r| {
        // SAFETY: the module's contract: row `r < rows`, position `i < n`.
        unsafe { add_row::<V, T>(t.add(r * dim), g.add(i * dim), s, dim) }
    })
}

/// `table[idx[i]] += scale · grad[i]`, in occurrence order.
#[inline(always)]
pub(crate) unsafe fn scatter_add<V: Vector, T: Lane, I: Index>(
    table: &mut [T],
    dim: usize,
    idx: &[I],
    grad: &[f32],
    scale: f32,
) {
    // SAFETY: the module's contract; `D` equals `dim` in each fixed arm.
    unsafe {
        match dim {
            4 => scatter_add_dim::<V, T, I, 4>(table, dim, idx, grad, scale),
            8 => scatter_add_dim::<V, T, I, 8>(table, dim, idx, grad, scale),
            16 => scatter_add_dim::<V, T, I, 16>(table, dim, idx, grad, scale),
            32 => scatter_add_dim::<V, T, I, 32>(table, dim, idx, grad, scale),
            64 => scatter_add_dim::<V, T, I, 64>(table, dim, idx, grad, scale),
            _ => scatter_add_dim::<V, T, I, 0>(table, dim, idx, grad, scale),
        }
    }
}

/// Widens a slice to f32. `src.len() == dst.len()`.
#[inline(always)]
pub(crate) unsafe fn to_f32<V: Vector, T: Lane>(src: &[T], dst: &mut [f32]) {
    // SAFETY: one "row" as long as both slices, which have equal lengths.
    unsafe { widen_row::<V, T>(src.as_ptr(), dst.as_mut_ptr(), src.len()) }
}

/// Narrows a slice from f32, nearest even. `src.len() == dst.len()`.
#[inline(always)]
pub(crate) unsafe fn from_f32<V: Vector, T: Lane>(src: &[f32], dst: &mut [T]) {
    let l = V::LANES;
    let n = src.len();
    let s = src.as_ptr();
    let d = dst.as_mut_ptr();
    let mut j = 0;
    // SAFETY: every access is below `n` elements of both slices.
    unsafe {
        while j + l <= n {
            T::vstore(V::load(s.add(j)), d.add(j));
            j += l;
        }
        if j < n {
            T::vstore_partial(V::load_partial(s.add(j), n - j), d.add(j), n - j);
        }
    }
}
