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
unsafe fn add_row<V: Vector, T: Element>(t: *mut T, g: *const f32, s: V, scale: f32, dim: usize) {
    let l = V::LANES;
    let mut j = 0;
    // SAFETY: every access is below `dim` elements from `t` and `g`.
    unsafe {
        let row = T::row::<V>(t.cast_const(), dim);
        while j + l <= dim {
            let v = T::load::<V>(row, j).add(V::load(g.add(j)).mul(s));
            T::store(v, t.add(j));
            j += l;
        }
        // The tail element by element, on every path (see `partial_loads`:
        // a partial store through a buffer or a mask was 0.06–0.3× the
        // naive loop). Same arithmetic: one multiply, one add, one rounding
        // to the table's type.
        let sc = scale;
        while j < dim {
            let x = *t.add(j);
            *t.add(j) = T::from_f32(x.to_f32() + sc * *g.add(j));
            j += 1;
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
    let row_bytes = dim * core::mem::size_of::<T>();
    // SAFETY: the trampoline guarantees the ISA.
    let s = unsafe { V::splat(scale) };
    let base = t.cast_const().cast::<u8>();
    for_rows!(V, idx, base, row_bytes, prefetch, |i, r| {
        // SAFETY: the module's contract: row `r < rows`, position `i < n`.
        unsafe { add_row::<V, T>(t.add(r * dim), g.add(i * dim), s, scale, dim) }
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
