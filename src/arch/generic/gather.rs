//! gather: a bit copy of each row (same-type), or a decode of each row into
//! f32 through the format's codec.

use super::{PREFETCH_MIN_TABLE_BYTES, for_rows};
use crate::arch::Job;
use crate::arch::vector::Vector;
use crate::format::codec::Codec;
use crate::format::gather_into;
use crate::{Element, GatherInto, Index};

/// A validated `gather` call: `out` has `indices · dim` elements and every
/// index is a row of `table` (`stride` units per row).
pub struct Gather<'a, T: Codec, O, I> {
    pub table: &'a [T::Unit],
    pub stride: usize,
    pub dim: usize,
    pub indices: &'a [I],
    pub out: &'a mut [O],
}

impl<T: GatherInto<O>, O: Element, I: Index> Job for Gather<'_, T, O, I> {
    type Output = ();
    #[inline(always)]
    fn portable(self) {
        <T as gather_into::Sealed<O>>::portable(self)
    }
    #[inline(always)]
    unsafe fn simd<V: Vector>(self) {
        // SAFETY: the job's contract (validated inputs, the ISA present).
        unsafe { <T as gather_into::Sealed<O>>::simd::<V, I>(self) }
    }
}

/// Copies rows of exactly `B` bytes: a constant-size copy, which the
/// compiler turns into a few vector moves of the trampoline's ISA.
///
/// # Safety
/// The module's contract; rows are `B` bytes.
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

/// Copies rows of `n` bytes, `C < n <= 2·C` (`pair`) or `n > C` (`!pair`),
/// as `C`-byte chunks from the row's start and one more `C`-byte chunk
/// ending at the row's end, overlapping the one before it: the shared
/// bytes are written twice with the same value (the table and the output
/// do not overlap). Every chunk is a constant-size copy, which the
/// compiler turns into vector moves of the trampoline's ISA; a copy of the
/// row's runtime length is a `memcpy` call.
///
/// # Safety
/// The module's contract; rows are `n` bytes, `n > C`, and `n <= 2·C` when
/// `pair`.
#[inline(always)]
unsafe fn copy_rows_overlapping<V: Vector, I: Index, const C: usize>(
    src: *const u8,
    idx: &[I],
    dst: *mut u8,
    n: usize,
    pair: bool,
    prefetch: bool,
) {
    for_rows!(V, idx, src, n, prefetch, |i, r| {
        // SAFETY: row `r < rows` and position `i < n` put both rows inside
        // the table and the output, and every chunk lies inside its row:
        // the loop copies chunk `k` only while `k + C < n - C`, the chunk
        // after it starts below `n - C` (so it ends below `n`), a pair's
        // first chunk ends at `C < n`, and the last starts at `n - C >= 0`.
        unsafe {
            let (s, d) = (src.add(r * n), dst.add(i * n));
            let last = s.add(n - C).cast::<[u8; C]>().read_unaligned();
            if !pair {
                let mut k = 0;
                while k + C < n - C {
                    let v = s.add(k).cast::<[u8; C]>().read_unaligned();
                    d.add(k).cast::<[u8; C]>().write_unaligned(v);
                    k += C;
                }
                let v = s.add(k).cast::<[u8; C]>().read_unaligned();
                d.add(k).cast::<[u8; C]>().write_unaligned(v);
            } else {
                let v = s.cast::<[u8; C]>().read_unaligned();
                d.cast::<[u8; C]>().write_unaligned(v);
            }
            d.add(n - C).cast::<[u8; C]>().write_unaligned(last);
        }
    })
}

/// Same-type gather: copies the bits of each row of `stride` units.
///
/// # Safety
/// The module's contract (`arch::generic`).
#[inline(always)]
pub(crate) unsafe fn copy<V: Vector, T: Copy, I: Index>(
    table: &[T],
    stride: usize,
    idx: &[I],
    out: &mut [T],
) {
    let row_bytes = stride.saturating_mul(core::mem::size_of::<T>());
    let src = table.as_ptr().cast::<u8>();
    let dst = out.as_mut_ptr().cast::<u8>();
    let prefetch = core::mem::size_of_val(table) >= PREFETCH_MIN_TABLE_BYTES;
    match row_bytes {
        // 2- and 4-byte rows (f16 and f32 dim 1) have arms too: through the
        // variable-size copy below they ran at 0.77–0.9× the naive loop in
        // the sweep, through these at 5.3–6.5×.
        //
        // SAFETY: the module's contract; rows are 2 bytes, the arm's
        // constant.
        2 => unsafe { copy_rows_fixed::<V, I, 2>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 4-byte rows.
        4 => unsafe { copy_rows_fixed::<V, I, 4>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 8-byte rows.
        8 => unsafe { copy_rows_fixed::<V, I, 8>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 16-byte rows.
        16 => unsafe { copy_rows_fixed::<V, I, 16>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 32-byte rows.
        32 => unsafe { copy_rows_fixed::<V, I, 32>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 64-byte rows.
        64 => unsafe { copy_rows_fixed::<V, I, 64>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 128-byte rows.
        128 => unsafe { copy_rows_fixed::<V, I, 128>(src, idx, dst, prefetch) },
        // SAFETY: as the arm above, for 256-byte rows.
        256 => unsafe { copy_rows_fixed::<V, I, 256>(src, idx, dst, prefetch) },
        // Other sizes below 384 bytes: constant-size chunks, the last one
        // overlapping. The sweep (`report -- sweep "gather f32->f32"`,
        // Zen 5, × naive, dispatched, two interleaved runs of each build)
        // measured them against a `memcpy` a row: dim 3 8.1 vs 2.5–3.2,
        // dim 5 9.2 vs 3.9–5.3, dim 13 18.0–18.2 vs 9.6–13.7, dim 31
        // 29.5–31.9 vs 24.1–24.4, dim 33 23.0–26.1 vs 15.9–16.1, dim 48
        // 30.2–34.6 vs 25.5–26.0; pairs of 64-byte chunks for 65–127-byte
        // rows ran below the 32-byte loop (dim 17: 11.6 vs 17.1). From 129
        // bytes, 64-byte chunks had led on Zen 5 (dim 48: 25.7 vs 22.2,
        // dim 63: 26.5 vs 20.7), but on Zen 3 (AVX2, no AVX-512) they fell
        // below the `memcpy` a row of the portable path at 193–383-byte
        // rows that are not a multiple of 64 (f16 dim 100 23.1 vs 26.6,
        // dim 127 21.1 vs 25.8, dim 129 17.8 vs 24.6), and 32-byte chunks
        // lead it there (35.3/34.3/22.4 vs 33.9/33.3/21.2 in one run,
        // 37.9/25.9/24.6 vs 33.5/24.6/23.3 in the next).
        //
        // SAFETY: the module's contract; `C < n <= 2·C`, as a pair needs.
        5..8 => unsafe { copy_rows_overlapping::<V, I, 4>(src, idx, dst, row_bytes, true, prefetch) },
        // SAFETY: as above.
        9..16 => unsafe { copy_rows_overlapping::<V, I, 8>(src, idx, dst, row_bytes, true, prefetch) },
        // SAFETY: as above.
        17..32 => unsafe { copy_rows_overlapping::<V, I, 16>(src, idx, dst, row_bytes, true, prefetch) },
        // SAFETY: as above.
        33..64 => unsafe { copy_rows_overlapping::<V, I, 32>(src, idx, dst, row_bytes, true, prefetch) },
        // On wasm32, rows of 240–383 bytes that are not a multiple of 4
        // (f16 and bf16 rows of an odd dim from 121 up) take one `memcpy`
        // a row (`memory.copy`) as well: under Node (`node --no-liftoff`,
        // `SWEEP_US=1 SWEEP_DIMS=… report -- sweep "gather f16->f16"`,
        // three interleaved runs of each build, the fastest, new time over
        // old, two A/Bs on Zen 3) 0.90 at dim 121, 0.91–0.93 at 127,
        // 0.85–0.86 at 129, 0.87 at 131, 0.91 at 161, 0.77–0.79 at 191
        // (the chunks had run 0.84–0.90x portable's `memcpy` there); at
        // 99–119 (198–238 bytes) it ties the chunks (0.98–1.36 across
        // runs), and rows that are a multiple of 4 bytes (f32 63 and 65,
        // f16 126 and 130) run faster through the chunks.
        _ if cfg!(target_arch = "wasm32")
            && (240..384).contains(&row_bytes)
            && !row_bytes.is_multiple_of(4)
            && !prefetch =>
        {
            crate::arch::portable::gather_copy(table, stride, idx, out)
        }
        // SAFETY: the module's contract; `n > C`, as the loop needs.
        65..384 => unsafe { copy_rows_overlapping::<V, I, 32>(src, idx, dst, row_bytes, false, prefetch) },
        // Long rows of other sizes: the slice loop, one `memcpy` a row.
        // The sweep (`report -- sweep "gather f32->f32"`, Zen 5) measured
        // `for_rows!` with a variable-size copy below the portable loop
        // from 384-byte rows up: dim 128 (512 B) 23.4× naive on AVX-512
        // against portable's 26.2×, dim 127 22.3× vs 25.8×, dim 200 25.4×
        // vs 28.8×; through this arm they measure 30.9×/31.4×/29.0×
        // against portable's 29.8×/30.3×/28.5× in one run. Shorter rows
        // take the chunk arms above. Tables that want prefetching keep
        // `for_rows!`.
        _ if row_bytes >= 384 && !prefetch => {
            crate::arch::portable::gather_copy(table, stride, idx, out)
        }
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

/// Decodes one row of `dim` values into f32 at `dst`.
///
/// # Safety
/// `src` starts a validated row of format `C` of `stride` units; `dst` is
/// valid for `dim` writes; the CPU has `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn decode_row<V: Vector, C: Codec>(
    src: *const C::Unit,
    stride: usize,
    dst: *mut f32,
    dim: usize,
) {
    // SAFETY: the caller's guarantees, forwarded.
    unsafe { decode_row_in::<V, C, true>(src, stride, dst, dim) }
}

/// Whether rows of `dim` narrower than `V` go whole through `V::Half`
/// (see `decode_row_in`).
#[inline(always)]
const fn by_half<V: Vector, C: Codec>(dim: usize) -> bool {
    C::ANY_COLUMN
        && dim < V::LANES
        && <V::Half as Vector>::LANES < V::LANES
        && dim >= <V::Half as Vector>::LANES
        && (<V::Half as Vector>::FMA || !C::FMA_VALUES)
}

/// [`decode_row`], with the narrower-vector branch only when `HALF`: the
/// half's own rows never take it (a row narrower than `V` and at least as
/// wide as its half fills the half), so the row loop carries one level of
/// narrower code, not the whole chain (AVX-512 → AVX2 → SSE-width). With
/// the chain, once AVX2's half gained the FMA, AVX-512 row-wise 8-bit
/// gathers at dims 9–33 ran 5–15% slower (`SWEEP_US=1 report -- sweep`).
///
/// # Safety
/// As [`decode_row`].
#[inline(always)]
unsafe fn decode_row_in<V: Vector, C: Codec, const HALF: bool>(
    src: *const C::Unit,
    stride: usize,
    dst: *mut f32,
    dim: usize,
) {
    let l = V::LANES;
    let mut j = 0;
    // SAFETY: every column read or written is below `dim`.
    unsafe {
        if (dim == 1 && !super::partial_loads::<V>()) || (C::FMA_VALUES && !V::FMA && dim < l && !(V::REGISTER_PARTIAL && dim == 3)) {
            // One column: the codec's scalar value, on the paths without
            // cheap masked loads (on the others, for the codecs that ask,
            // see `decode`). `SWEEP_US=1 report -- sweep gather`
            // (Zen 5), time against the partial vector: SSE2 Rowwise8 0.44,
            // Rowwise4 0.63, bf16 0.81, f16 0.93; AVX2 Rowwise8 0.70, f16
            // 0.78, bf16 0.82. Rows of a fused-multiply-add format shorter
            // than a vector, on paths that emulate the single rounding
            // (SSE2, simd128), too: simd128 Rowwise8 dims 2–3 ran at 0.90×
            // the naive loop through the partial vector, the portable
            // scalar value at 1.2×. But rows of 3 columns on SSE2, whose
            // partial vector is in registers: there the partial vector
            // took 0.70–0.73 of the scalar values' time (Zen 3, `SWEEP_US=1
            // report -- sweep rowwise8`, three interleaved runs of each
            // build, the fastest; at 1.07–1.17× the naive loop before);
            // with 2 columns 1.01–1.05, so those stay scalar.
            // (The two scalar loops here and in `decode_tail` stay written
            // out: one `#[inline(always)]` helper for both made row-wise
            // 8-bit gathers and bags 1.1–1.8× slower on AVX2 and AVX-512
            // at dims 1–256, `SWEEP_US=1 report -- sweep rowwise8`, two
            // interleaved runs of each build, Zen 5.)
            let units = core::slice::from_raw_parts(src, stride);
            for c in 0..dim {
                *dst.add(c) = C::value(units, c);
            }
            return;
        }
        let row = C::row::<V>(src, dim);
        while j + 2 * l <= dim {
            let a: V = C::load(row, j);
            let b: V = C::load(row, j + l);
            a.store(dst.add(j));
            b.store(dst.add(j + l));
            j += 2 * l;
        }
        if j + l <= dim {
            C::load::<V>(row, j).store(dst.add(j));
            j += l;
        }
        if j < dim {
            if C::ANY_COLUMN && dim >= l {
                // One whole vector ending at the row's end, overlapping the
                // columns already written with the same values.
                C::load::<V>(row, dim - l).store(dst.add(dim - l));
            } else if HALF && by_half::<V, C>(dim) {
                // A row narrower than `V` but not than its half: the whole
                // row with half-width vectors, the last one overlapping
                // (the sweep, `SWEEP_US=1 report -- sweep gather`, Zen 5,
                // time against the masked or buffered tail: f16 into f32 on
                // AVX-512 at dims 9–15 0.84–0.86×, bf16 at 8–15 0.75–0.81×,
                // Rowwise8 0.32–0.53×; f16 on AVX2 at dims 6–7 0.61–0.83×).
                decode_row_in::<V::Half, C, false>(src, stride, dst, dim);
            } else if super::partial_loads::<V>() || C::PARTIAL_TAIL {
                C::load_partial::<V>(row, j, dim - j).store_partial(dst.add(j), dim - j);
            } else {
                decode_tail::<V::Half, C>(src, stride, dst, j, dim);
            }
        }
    }
}

/// Columns `j..dim` of a row decode: whole `V` vectors, then the next
/// narrower vector, down to the codec's scalar value for the last few (see
/// `partial_loads` for why not one partial vector).
///
/// # Safety
/// As [`decode_row`], with `j <= dim`; the CPU has `V`'s ISA (the
/// trampoline's, or a narrower one it implies).
#[inline(always)]
unsafe fn decode_tail<V: Vector, C: Codec>(
    src: *const C::Unit,
    stride: usize,
    dst: *mut f32,
    mut j: usize,
    dim: usize,
) {
    let l = V::LANES;
    // SAFETY: every column read or written is below `dim`.
    unsafe {
        if j + l <= dim {
            let row = C::row::<V>(src, dim);
            while j + l <= dim {
                C::load::<V>(row, j).store(dst.add(j));
                j += l;
            }
        }
        if j < dim {
            if <V::Half as Vector>::LANES < l {
                decode_tail::<V::Half, C>(src, stride, dst, j, dim);
            } else if V::REGISTER_PARTIAL && C::ANY_COLUMN {
                // The last `dim - j < 4` columns as one partial vector in
                // registers (SSE2's vector, AVX2's half).
                let row = C::row::<V>(src, dim);
                C::load_partial::<V>(row, j, dim - j).store_partial(dst.add(j), dim - j);
            } else {
                // The row's `stride` units, for the codec's scalar value.
                let units = core::slice::from_raw_parts(src, stride);
                for c in j..dim {
                    *dst.add(c) = C::value(units, c);
                }
            }
        }
    }
}

/// # Safety
/// The module's contract; `D` is 0 or equals `dim`.
#[inline(always)]
unsafe fn decode_dim<V: Vector, C: Codec, I: Index, const D: usize>(
    table: &[C::Unit],
    stride: usize,
    dim: usize,
    idx: &[I],
    out: &mut [f32],
) {
    // A constant `D` lets the compiler unroll the row completely.
    let dim = if D == 0 { dim } else { D };
    let src = table.as_ptr();
    let dst = out.as_mut_ptr();
    let row_bytes = stride.saturating_mul(core::mem::size_of::<C::Unit>());
    let prefetch = core::mem::size_of_val(table) >= PREFETCH_MIN_TABLE_BYTES;
    let base = src.cast::<u8>();
    for_rows!(V, idx, base, row_bytes, prefetch, |i, r| {
        // SAFETY: the module's contract: row `r < rows`, position `i < n`.
        unsafe { decode_row::<V, C>(src.add(r * stride), stride, dst.add(i * dim), dim) }
    })
}

/// Rows of whole vectors only: each row is its columns rounded up to whole
/// vectors, loaded from the row's start and stored at the output row's
/// start, the lanes past `dim` spilling into the rows after it in the
/// table and in the output. The output rows are written in order, so each
/// one's own store comes after any spill into it and its final values are
/// its own; the table is only read. Rows whose vectors would pass the end
/// of the table or of the output (the last few) take [`decode_row`].
///
/// # Safety
/// The module's contract; `C`'s `load` reads `LANES` units from any unit
/// (`C::ANY_COLUMN`, one unit per column: the float formats).
#[inline(always)]
unsafe fn decode_spill<V: Vector, C: Codec, I: Index>(
    table: &[C::Unit],
    stride: usize,
    dim: usize,
    idx: &[I],
    out: &mut [f32],
) {
    let l = V::LANES;
    // The row rounded up to whole vectors.
    let w = dim.div_ceil(l) * l;
    let src = table.as_ptr();
    let dst = out.as_mut_ptr();
    let (table_len, out_len) = (table.len(), out.len());
    let row_bytes = stride.saturating_mul(core::mem::size_of::<C::Unit>());
    for_rows!(V, idx, src.cast::<u8>(), row_bytes, false, |i, r| {
        // SAFETY: row `r < rows` and position `i < n` (the module's
        // contract); the whole vectors are read and written only when
        // their `w` units and `w` floats lie inside the table and the
        // output.
        unsafe {
            let (at, o) = (r * stride, i * dim);
            if at + w <= table_len && o + w <= out_len {
                let row = C::row::<V>(src.add(at), dim);
                let mut j = 0;
                while j < dim {
                    C::load::<V>(row, j).store(dst.add(o + j));
                    j += l;
                }
            } else {
                decode_row::<V, C>(src.add(at), stride, dst.add(o), dim);
            }
        }
    })
}

/// Gather into f32 through the codec (exact widening for f16/bf16).
///
/// # Safety
/// The module's contract (`arch::generic`).
#[inline(always)]
pub(crate) unsafe fn decode<V: Vector, C: Codec, I: Index>(job: Gather<'_, C, f32, I>) {
    let Gather {
        table,
        stride,
        dim,
        indices,
        out,
    } = job;
    if dim == 1 && (C::SCALAR_COLUMN || !super::partial_loads::<V>()) {
        // One column through the codec's scalar value, in a loop of its
        // own: on the paths without masked loads (where `decode_row` takes
        // the scalar value too, inside the generic row loop), and where
        // `decode_row` would take a masked vector (`Codec::SCALAR_COLUMN`).
        // The same test inside `decode_row` made AVX-512's bf16 rows of
        // 2–7 columns 1.25–1.29× slower (`SWEEP_US=1 report -- sweep
        // gather`, two interleaved runs of each build). On SSE2 and AVX2
        // this loop, against the generic row loop (Zen 3, three interleaved
        // runs of each build, the fastest, new time over old): bf16 0.59
        // and 0.69, f16 0.83 and 0.83, row-wise 8-bit 0.81 and 0.80,
        // row-wise 4-bit 0.87 and 0.96 (SSE2's bf16 had tied the naive
        // loop, 0.93–1.16×).
        let base = table.as_ptr();
        for_rows!(V, indices, base.cast::<u8>(), stride * core::mem::size_of::<C::Unit>(), false, |i, r| {
            // SAFETY: the module's contract: row `r < rows` starts `stride`
            // units inside the table, and position `i < n` is in `out`.
            unsafe {
                let units = core::slice::from_raw_parts(base.add(r * stride), stride);
                *out.get_unchecked_mut(i) = C::value(units, 0);
            }
        });
        return;
    }
    // Rows of 2 to 4·LANES - 1 columns, not a multiple of the lanes, of
    // the float formats (f16, bf16) on the paths without cheap masked
    // loads, from tables that need no prefetch, spill whole vectors into
    // the next rows (`decode_spill`) instead of ending in an overlapping
    // vector or a partial one. A/B of the two builds on Zen 3
    // (`SWEEP_US=1 report -- sweep gather`, two interleaved runs each,
    // the faster, new time over old): f16 into f32 on AVX2 at dims 2–3
    // 0.42–0.46, 5–7 0.57–0.58, 9–15 0.71–0.82, 17–23 0.87–0.90, 25–31
    // 0.98–0.99; on SSE2 at 2–3 0.59–0.64, 9–15 0.86–0.97; bf16 on AVX2 at
    // 2–3 0.46–0.51, 5–7 0.58–0.59, 9–15 0.90–0.93, 17–23 0.87–0.88,
    // 25–31 0.94–0.96; on SSE2 at 2–3 0.52–0.65, 9–11 0.90–0.91, 17–31
    // 1.00–1.06. Not taken: dim 1 (bf16 1.25–1.43 slower than the scalar
    // value) and a row exactly as wide as AVX2's half (dim 4: 1.95–2.78
    // slower than the one whole 4-lane vector).
    if C::ANY_COLUMN
        && !C::FMA_VALUES
        && !C::PARTIAL_TAIL
        && dim > 1
        && dim < 4 * V::LANES
        && !dim.is_multiple_of(V::LANES)
        && dim != <V::Half as Vector>::LANES
        && !super::partial_loads::<V>()
        && core::mem::size_of_val(table) < PREFETCH_MIN_TABLE_BYTES
    {
        // SAFETY: the module's contract; the float formats load `LANES`
        // units from any column.
        return unsafe { decode_spill::<V, C, I>(table, stride, dim, indices, out) };
    }
    // SAFETY: the module's contract; `D` equals `dim` in each fixed arm.
    unsafe {
        super::with_fixed_dim!(dim, const D => {
            decode_dim::<V, C, I, D>(table, stride, dim, indices, out)
        })
    }
}

