//! scatter_add: `table[idx[i]] += scale · grad[i]`, row by row in
//! occurrence order, one rounding to the table's type per contribution.

use super::{PREFETCH_MIN_TABLE_BYTES, for_rows, prefetch_row, row_at};
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

/// Columns `0..dim` of a row update with `V` vectors: pairs of whole
/// vectors, then one, and when `dim` is not a multiple of the lanes, one
/// more vector ending at the row's end, overlapping the one before it. That
/// last vector is loaded and computed before any store of the row, so the
/// columns it shares with the others get the same value twice (every column
/// is `t + scale · g` of the row as it was): the same bits as a scalar
/// loop. Rows narrower than `V` never come here but on the narrowest path
/// (`scatter_add` sends them to the next narrower vector), where they are
/// a scalar loop.
///
/// Evidence (the sweep, `report -- sweep scatter-add`, Zen 5, × the naive
/// loop): with a scalar tail instead of the overlapping vector, and the
/// compiler's own loop for f32 rows without a fixed arm, f32 ran at
/// 0.88–1.0× at dims 5–7 on every path, 0.9–0.99× on SSE2 at dims 9–33 and
/// 0.95–1.2× on AVX2 at dims 17–27; with it, 1.5–3.1×, 1.4–2.0× and
/// 1.6–3.1×. A partial store (through a buffer, or masked) had run at
/// 0.06–0.3×. Four vectors per step on the 4-lane paths: with two, SSE2 ran
/// at 0.94–0.99× at dims 24, 48, 96, 128 and 200–1024 (the compiler's
/// naive loop is unrolled further); with four, 1.0–1.36×.
///
/// # Safety
/// `t` and `g` are valid for `dim` elements; the CPU has `V`'s ISA (the
/// trampoline's, or a narrower one it implies).
#[inline(always)]
unsafe fn add_cols<V: Vector, T: Element>(t: *mut T, g: *const f32, s: V, scale: f32, dim: usize) {
    let l = V::LANES;
    // SAFETY: every access is below `dim` elements from `t` and `g`, which
    // point into the table and the gradient (distinct slices, so the
    // scalar loops' `from_raw_parts_mut` and `from_raw_parts` do not alias).
    unsafe {
        if dim < l {
            // Below the narrowest path's lanes (wider paths send narrower
            // rows to their half for the whole call, in `scatter_add`).
            let (t, g) = (
                core::slice::from_raw_parts_mut(t, dim),
                core::slice::from_raw_parts(g, dim),
            );
            for (t, &g) in t.iter_mut().zip(g) {
                *t = T::narrow(t.to_f32() + scale * g);
            }
            return;
        }
        // On the 4-lane paths, f16 and bf16 rows end in a scalar loop
        // instead: there a vector's conversions (software on SSE2 and
        // simd128) cost more than the 1–3 scalar columns they replace
        // (SSE2, the sweep: f16 dims 5–7 at 0.70–1.02× the naive loop with
        // the overlapping vector, 1.20–1.69× without; bf16 dims 9–15 at
        // 0.84–1.21× against 1.05–1.16×).
        let overlap = !(l == 4 && core::mem::size_of::<T>() == 2);
        let row = T::row::<V>(t.cast_const(), dim);
        let last = dim - l;
        // (Only when the row has a partial last vector: computed for every
        // row it cost SSE2 about 12% at dim 24, 0.87× the naive loop.)
        let z = if overlap && !dim.is_multiple_of(l) {
            T::load::<V>(row, last).add(V::load(g.add(last)).mul(s))
        } else {
            s
        };
        let mut j = 0;
        if l == 4 {
            while j + 4 * l <= dim {
                let a = T::load::<V>(row, j).add(V::load(g.add(j)).mul(s));
                let b = T::load::<V>(row, j + l).add(V::load(g.add(j + l)).mul(s));
                let c = T::load::<V>(row, j + 2 * l).add(V::load(g.add(j + 2 * l)).mul(s));
                let d = T::load::<V>(row, j + 3 * l).add(V::load(g.add(j + 3 * l)).mul(s));
                T::store(a, t.add(j));
                T::store(b, t.add(j + l));
                T::store(c, t.add(j + 2 * l));
                T::store(d, t.add(j + 3 * l));
                j += 4 * l;
            }
        }
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
        if !dim.is_multiple_of(l) {
            if overlap {
                T::store(z, t.add(last));
            } else if V::REGISTER_PARTIAL
                && if T::NAME.len() == 4 { dim - j >= 2 } else { V::FMA }
            {
                // The last 1–3 columns as one partial vector in registers:
                // f16 on AVX2's half (F16C; `FMA` marks it), and bf16
                // (`NAME` "bf16", the one 4-letter element) on SSE2 and
                // AVX2's half when 2 or 3 columns are left (bf16 converts
                // in software on both: with 1 left AVX2's dim 5 ran 1.32x
                // slower). A/B on Zen 3 (`SWEEP_US=1 report
                // -- sweep scatter-add`, three interleaved runs of each
                // build, new time over old): f16 on AVX2 at dims 5–7
                // 0.17–0.39 (the scalar columns converted one by one before);
                // bf16 on SSE2 with 2–3 columns left 0.68–0.94 (dims 6, 7,
                // 10, 11, 14, 15, 19, 23), with one left 1.00–1.12; f16 on
                // SSE2 (software conversions) 0.98–1.55, so it keeps the
                // scalar columns.
                let r = dim - j;
                let v = T::load_partial::<V>(row, j, r).add(V::load_partial(g.add(j), r).mul(s));
                T::store_partial(v, t.add(j), r);
            } else {
                let (t, g) = (
                    core::slice::from_raw_parts_mut(t.add(j), dim - j),
                    core::slice::from_raw_parts(g.add(j), dim - j),
                );
                for (t, &g) in t.iter_mut().zip(g) {
                    *t = T::narrow(t.to_f32() + scale * g);
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
    // On SSE2, rows of 256 bytes or more from tables of 200 KB or more
    // (the sweep's f32 tables from dim 64 on; below the 4 MB of the
    // prefetch above) prefetch the
    // next row's first KB: the line prefetcher follows a row once it has
    // started, but not into the next random row. Zen 3, `SWEEP_US=1 report
    // -- sweep scatter-add`, three or four interleaved runs of each build,
    // the fastest, new time over old: f32 0.93 at dim 96, 0.89 at 128,
    // 0.98 at 256, 0.90 at 384, 0.93 at 512, 0.99 at 768, 0.97 at 1024
    // (SSE2 had tied the naive loop there, 0.93–1.03×: the same
    // instructions as its own loop), 0.98–0.99 at 64–65 (the sweep's last
    // SSE2 shortfall, dim 65 at 0.93–0.98× the naive loop, went with
    // it: 0 in three runs of the sweep after); bf16 0.96–0.98 at
    // 200–384; f16 (bound by its software conversions) 0.97–1.00. The
    // whole next row, two rows ahead, gained as much at 96–384 but cost
    // 1.06–1.11× at 768–1024; the 8 KB distance of the large tables, no
    // gain.
    if cfg!(target_arch = "x86_64")
        && V::LANES == 4
        && !V::FMA
        && !prefetch
        && row_bytes >= 256
        && core::mem::size_of_val(table) >= 200 << 10
    {
        let head = row_bytes.min(1024);
        let n = idx.len();
        for i in 0..n {
            // SAFETY: the module's contract: positions `i` and `i + 1`
            // (when below `n`) name rows `< rows`, so the prefetched bytes
            // (`head <= row_bytes` from a row's start) lie in the table.
            unsafe {
                if i + 1 < n {
                    prefetch_row::<V>(base.add(row_at(idx, i + 1) * row_bytes), head);
                }
                let r = row_at(idx, i);
                add_cols::<V, T>(t.add(r * dim), g.add(i * dim), s, scale, dim);
            }
        }
        return;
    }
    for_rows!(V, idx, base, row_bytes, prefetch, |i, r| {
        // SAFETY: the module's contract: row `r < rows`, position `i < n`.
        unsafe { add_cols::<V, T>(t.add(r * dim), g.add(i * dim), s, scale, dim) }
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
    // On the 16-lane path (AVX-512), f32 rows (those of 9 to 15 columns by
    // the rule below) go through its 8-lane half (AVX2 instructions), the rows that
    // `Kernels::for_rows_of` dispatches to AVX2 for the measurements it
    // names: a repeated row's next 16-lane load spans the two stores of
    // the overlapping pair, which store-to-load forwarding does not cover.
    // With this, AVX-512's time (`SWEEP_US=1`, loops aligned to 64 bytes in
    // both builds, the minimum of two runs) is 0.64–0.82 of its own rows'
    // at dims 5–7, 16–33, 65, 100 and 129, and 0.94–1.02 of the AVX2
    // path's at every dim but 9–15 (0.85–0.93 there). f16 and bf16 tables
    // keep the 16-lane rows (measurements there too).
    //
    // Rows narrower than the vector go to the next narrower one, for the
    // whole call (so f32 rows of 9 to 15 columns on AVX-512 now run the
    // 8-lane rows through this branch, as they ran them row by row
    // before): per row, inside the row loop, the half's code sat in the
    // wide rows' loop body, and when AVX2's half gained partial vectors
    // (`add_cols`) AVX2's own bf16 rows of 9–23 columns, which never take
    // them, ran 1.07–1.12x slower (Zen 3, loops aligned to 64 bytes in
    // both builds).
    if (V::LANES == 16 && core::mem::size_of::<T>() == 4)
        || (<V::Half as Vector>::LANES < V::LANES && dim < V::LANES)
    {
        // SAFETY: the module's contract; the half is of the same CPU.
        return unsafe { scatter_add::<V::Half, T, I>(table, dim, idx, grad, scale) };
    }
    // On the 4-lane paths without FMA (SSE2, simd128), f32 rows of 17 to
    // 63 columns that end 0, 1, 2, 8, 9 or 10 columns past a multiple of
    // 16 (but 32, a fixed-dim arm) take the portable loop, which LLVM
    // vectorises with SSE2 or simd128 itself. Under Node (the wasm sweep,
    // `SWEEP_DIMS=24,33,34,40,41,42,48,49,50,56,57,58`, three runs of each
    // build, simd128 × the naive loop): 0.83–1.0 at 24, 41, 48, 49, 56
    // and 57 with the hand-written rows, 1.00–1.19 at every one of these
    // dims with this rule. The sweep on Zen 3 (`SWEEP_DIMS=17..63
    // report -- sweep "scatter-add f32"`, three runs, × the naive loop,
    // SSE2 against portable): dim 17 0.98–1.12 vs 1.18–1.28, 18 0.79–1.21
    // vs 1.23–1.43, 24 0.84–0.89 vs 1.13–1.14, 25 1.00–1.04 vs 1.16–1.20,
    // 26 1.14–1.15 vs 1.20–1.23, 33 1.06–1.07 vs 1.12–1.16, 40–42
    // 0.90–1.29 vs 1.05–1.38, 48 0.96–1.01 vs 1.07–1.14, 56–58 0.97–1.10
    // vs 1.01–1.12; SSE2's rows lead at the other widths (dim 20 1.37–1.38
    // vs 1.06–1.22, 30 1.31–1.33 vs 0.97–1.07, 52 1.17–1.26 vs 0.94–1.14).
    if V::LANES == 4
        && !V::FMA
        && core::mem::size_of::<T>() == 4
        && (17..64).contains(&dim)
        && dim != 32
        && matches!(dim % 16, 0 | 1 | 2 | 8 | 9 | 10)
    {
        return portable::scatter_add(table, dim, idx, grad, scale);
    }
    // On Zen 4, SSE2's f32 rows of more than 64 columns take the portable
    // loop too. There SSE2's four-vector rows (with or without the
    // next-row prefetch below, a Zen 3 gain) ran at 0.88–1.03x the naive
    // loop at dims 65–1024, the sweep's last steady shortfalls on this
    // core; the portable loop, the compiler's own SSE2 loop, at
    // 0.92–1.56x, mostly 0.97–1.08x (`SWEEP_US=1 SWEEP_DIMS=65,96,128,200,
    // 256,384,512,768,1024 report -- sweep "scatter-add f32"`, three runs
    // of each variant in turn, the sweep's fastest rounds). The same
    // instructions as the naive loop: a tie with it at this core's three
    // memory operations a cycle, where the hand-written rows fell behind.
    if cfg!(target_arch = "x86_64")
        && V::LANES == 4
        && !V::FMA
        && core::mem::size_of::<T>() == 4
        && dim > 64
        && crate::arch::cpu() == crate::arch::Cpu::Zen4
    {
        return portable::scatter_add(table, dim, idx, grad, scale);
    }
    // On wasm32, f32 rows of 5 to 29 columns, but 8, 16, 24 and those one
    // short of a multiple of 4, take the portable loop, which LLVM
    // vectorises with simd128 itself. The wasm sweep under Node
    // (`SWEEP_US=1 report -- sweep scatter-add`, the minimum of two runs,
    // these rows' time over the portable loop's): dim 5 1.36, 6 1.12, 9
    // 1.24, 10 1.11, 12 1.27, 13 1.24, 14 1.10, 17 1.23, 18 1.08, 20 1.11,
    // 21 1.11, 22 1.06, 25 1.07, 28 1.06, 29 1.09 (26 ties at 0.99); these
    // rows lead at 1–4, 8 (0.53), 16 (0.75), 32 (0.73) and from 33 up, and
    // tie or lead one short of a multiple of 4 (27: 0.89, 31: 0.93); f16
    // and bf16 rows lead everywhere (0.5–0.8). Those are V8's codegen;
    // another wasm engine compiles both loops its own way.
    if cfg!(target_arch = "wasm32")
        && core::mem::size_of::<T>() == 4
        && (5..30).contains(&dim)
        && dim % 4 != 3
        && !dim.is_multiple_of(8)
    {
        return portable::scatter_add(table, dim, idx, grad, scale);
    }
    // On wasm32, f16 rows of one column (`NAME` "f16", the 3-letter
    // 2-byte element) take the portable loop: the wasm sweep under Node,
    // four runs, × the naive loop: simd128's one-column arm 0.76–0.89
    // (1.50 in a run where every case ran faster), the portable loop
    // 1.12–1.18 (1.98). bf16 rows of one column run at 1.7–2.6 through
    // the arm, against 0.9–1.3.
    if cfg!(target_arch = "wasm32")
        && core::mem::size_of::<T>() == 2
        && T::NAME.len() == 3
        && dim == 1
    {
        return portable::scatter_add(table, dim, idx, grad, scale);
    }
    // SAFETY: the module's contract; `D` equals `dim` in each fixed arm.
    unsafe {
        // Dims 1–3 get constant-size arms too (scalar, unrolled): the
        // sweep measured f32 at 2.2–2.5× (dim 1) and 1.3–1.6× (dims 2–3)
        // the naive loop with them, 0.87–1.05× without.
        match dim {
            1 => scatter_add_dim::<V, T, I, 1>(table, dim, idx, grad, scale),
            2 => scatter_add_dim::<V, T, I, 2>(table, dim, idx, grad, scale),
            3 => scatter_add_dim::<V, T, I, 3>(table, dim, idx, grad, scale),
            _ => super::with_fixed_dim!(dim, const D => {
                scatter_add_dim::<V, T, I, D>(table, dim, idx, grad, scale)
            }),
        }
    }
}
