//! scatter_add: `table[idx[i]] += scale · grad[i]`, row by row in
//! occurrence order, one rounding to the table's type per contribution.

use super::{PREFETCH_MIN_TABLE_BYTES, for_rows};
use crate::arch::vector::Vector;
use crate::arch::{Job, portable};
use crate::{Element, Index};

/// A validated `scatter_add` call: `grad` has `indices · dim` elements and
/// every index is a row of `table`.
pub(crate) struct ScatterAdd<'a, T, I> {
    pub table: &'a mut [T],
    pub dim: usize,
    pub indices: &'a [I],
    pub grad: &'a [f32],
    pub scale: f32,
}

impl<T: Element, I: Index> Job for ScatterAdd<'_, T, I> {
    type Output = ();
    #[inline(always)]
    fn portable(self) {
        portable::scatter_add(self.table, self.dim, self.indices, self.grad, self.scale)
    }
    #[inline(always)]
    unsafe fn simd<V: Vector>(self) {
        // SAFETY: the job's contract (validated inputs, the ISA present).
        unsafe { scatter_add::<V, T, I>(self.table, self.dim, self.indices, self.grad, self.scale) }
    }
}

/// Adds one scaled gradient row into one table row.
///
/// # Safety
/// `t` and `g` are valid for `dim` elements; the CPU has `V`'s ISA.
#[inline(always)]
unsafe fn add_row<V: Vector, T: Element>(
    t: *mut T,
    g: *const f32,
    s: V,
    scale: f32,
    dim: usize,
    fixed: bool,
) {
    let l = V::LANES;
    let mut j = 0;
    if core::mem::size_of::<T>() == 4 && !fixed {
        // f32 tables (the only 4-byte element) of a dim without a fixed
        // arm: the plain loop over slices, vectorised by the compiler with
        // the trampoline's features (for the fixed dims 4–64 the vector
        // loop below stays: the compiler's loop ran there at 0.4–0.75×).
        // Same arithmetic (multiply, then add; Rust never fuses). The sweep (`report -- sweep scatter-add f32`, Zen 5) measured the
        // hand-written vector loop on SSE2 at 0.76–0.97× the naive loop at
        // dims 17–1024, where the compiler's own unrolled loop wins.
        // SAFETY: `t` and `g` are valid for `dim` elements and do not
        // overlap (the table and the gradient are distinct slices).
        let (t, g) = unsafe {
            (
                core::slice::from_raw_parts_mut(t, dim),
                core::slice::from_raw_parts(g, dim),
            )
        };
        for (t, &g) in t.iter_mut().zip(g) {
            *t = T::from_f32(t.to_f32() + scale * g);
        }
        return;
    }
    // SAFETY: every access is below `dim` elements from `t` and `g`.
    unsafe {
        let row = T::row::<V>(t.cast_const(), dim);
        // Two vectors per step, both loaded before either is stored: the
        // two updates are independent (the sweep, Zen 5: one vector per
        // step ran SSE2 at 0.71–0.95× the compiler's unrolled naive loop
        // at dims 256–1024).
        while j + 2 * l <= dim {
            let a = T::load::<V>(row, j).add(V::load(g.add(j)).mul(s));
            let b = T::load::<V>(row, j + l).add(V::load(g.add(j + l)).mul(s));
            T::store(a, t.add(j));
            T::store(b, t.add(j + l));
            j += 2 * l;
        }
        if j + l <= dim {
            let v = T::load::<V>(row, j).add(V::load(g.add(j)).mul(s));
            T::store(v, t.add(j));
            j += l;
        }
        add_tail::<V::Half, T>(t, g, scale, j, dim);
    }
}

/// Columns `j..dim` of a row update: whole `V` vectors, then the next
/// narrower vector, down to a scalar loop for the last elements (fewer than
/// the narrowest path's lanes). A partial store (through a buffer, or
/// masked) was 0.06–0.3× the naive loop in the sweep, and a scalar tail
/// after AVX-512 costs software f16 conversions: f16 scatter-add at dim 24
/// ran AVX-512 (16 + 8 scalar) at 6× the naive loop against AVX2's 35×.
/// Same arithmetic everywhere: one multiply, one add, one rounding to the
/// table's type.
///
/// # Safety
/// `t` and `g` are valid for `dim` elements, `j <= dim`; the CPU has `V`'s
/// ISA (the trampoline's, or a narrower one it implies).
#[inline(always)]
unsafe fn add_tail<V: Vector, T: Element>(
    t: *mut T,
    g: *const f32,
    scale: f32,
    mut j: usize,
    dim: usize,
) {
    let l = V::LANES;
    // SAFETY: every access is below `dim` elements from `t` and `g`.
    unsafe {
        if j + l <= dim {
            let s = V::splat(scale);
            let row = T::row::<V>(t.cast_const(), dim);
            while j + l <= dim {
                let v = T::load::<V>(row, j).add(V::load(g.add(j)).mul(s));
                T::store(v, t.add(j));
                j += l;
            }
        }
        if j < dim {
            if <V::Half as Vector>::LANES < l {
                add_tail::<V::Half, T>(t, g, scale, j, dim);
            } else {
                while j < dim {
                    let x = *t.add(j);
                    *t.add(j) = T::from_f32(x.to_f32() + scale * *g.add(j));
                    j += 1;
                }
            }
        }
    }
}

/// # Safety
/// The module's contract; `D` is 0 or equals `dim`.
#[inline(always)]
unsafe fn scatter_add_dim<V: Vector, T: Element, I: Index, const D: usize>(
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
    let row_bytes = dim.saturating_mul(core::mem::size_of::<T>());
    // SAFETY: the trampoline guarantees the ISA.
    let s = unsafe { V::splat(scale) };
    let base = t.cast_const().cast::<u8>();
    for_rows!(V, idx, base, row_bytes, prefetch, |i, r| {
        // SAFETY: the module's contract: row `r < rows`, position `i < n`.
        unsafe { add_row::<V, T>(t.add(r * dim), g.add(i * dim), s, scale, dim, D != 0) }
    })
}

/// `table[idx[i]] += scale · grad[i]`, in occurrence order.
///
/// # Safety
/// The module's contract (`arch::generic`).
#[inline(always)]
pub(crate) unsafe fn scatter_add<V: Vector, T: Element, I: Index>(
    table: &mut [T],
    dim: usize,
    idx: &[I],
    grad: &[f32],
    scale: f32,
) {
    // SAFETY: the module's contract; `D` equals `dim` in each fixed arm.
    unsafe {
        super::with_fixed_dim!(dim, const D => {
            scatter_add_dim::<V, T, I, D>(table, dim, idx, grad, scale)
        })
    }
}
