//! gather_bags: pooled lookups, each bag's columns accumulated in registers
//! (blocks of up to four vectors) across the whole bag and stored once.

use super::{PREFETCH_MIN_TABLE_BYTES, prefetch_head, prefetch_row, prefetch_row_l2, row_at};
use crate::arch::vector::Vector;
use crate::arch::{Job, portable};
use crate::bags::divisor;
use crate::format::codec::Codec;
use crate::{Index, Pooling};

/// A validated `gather_bags` call: CSR offsets in order and within the
/// indices, one weight per index (none with Max), `out` of `bags · dim`,
/// every index a row of `table` (`stride` units per row). The offsets have
/// their own index type, `O`.
pub(crate) struct Bags<'a, T: Codec, I, O> {
    pub table: &'a [T::Unit],
    pub stride: usize,
    pub dim: usize,
    pub indices: &'a [I],
    pub offsets: &'a [O],
    pub weights: Option<&'a [f32]>,
    pub pooling: Pooling,
    pub out: &'a mut [f32],
}

impl<T: Codec, I: Index, O: Index> Job for Bags<'_, T, I, O> {
    type Output = ();
    #[inline(always)]
    fn portable(self) {
        portable::bags::<T, I, O>(self)
    }
    #[inline(always)]
    unsafe fn simd<V: Vector>(self) {
        // SAFETY: the job's contract (validated inputs, the ISA present).
        unsafe { bags::<V, T, I, O>(self) }
    }
}

/// Whether the bags pool rows of `row_bytes` `GROUP` at a time per
/// column-block pass (`bag_groups`): rows a whole number of 4 KB long (2 KB
/// on x86_64, below). The same
/// columns of every such row share an L1 set (12 ways on Zen 5), and a
/// pass over a bag of 20 of them evicted what the prefetcher brought for
/// the next block. The sweep (`SWEEP_US=1 SWEEP_DIMS=1000,1024,1025,2048,
/// 4096 report -- sweep bags`, Zen 5, bags of 20, the minimum of two runs
/// of each build): before, every path took 1.5–1.9× at dim 1024 its time
/// at dims 1000 and 1025 (Sum on AVX2 3.25 µs against 1.73; SSE2 Max at
/// 0.80–0.84× the naive loop); in groups, 0.56–0.79× the time at 1024,
/// 0.68–0.97× at 2048, 0.62–0.83× at 4096, and dim 1024 within 10% of
/// dim 1000. Pooling row by row through the output row was tried first:
/// no gain (AVX-512 1.08–1.21× slower: its loads of each row alias its
/// stores to the output row 4 KB apart).
///
/// x86_64, and wasm32 for the float formats: under Node (`node
/// --no-liftoff`, `SWEEP_US=1 report -- sweep bags`, three interleaved
/// runs of each build, the fastest, new time over old) f32 Sum, Mean and
/// weighted Sum bags take 0.51–0.56 of their time at dim 1024 (where they
/// had run at 0.75–0.90× the naive loop in some runs) and 0.63–0.66 at
/// 2048, Max 0.92–0.94; the other dims 0.97–1.05. With the second loop in
/// the byte formats' code too, V8 ran row-wise 8-bit bags at every dim in
/// 1.2–2.2× their time, so those keep one loop (their rows are 4 KB only
/// at dim 4088). NEON has not been timed.
///
/// On x86_64, rows a whole number of 2 KB long too: on Zen 4 (L1 of 8
/// ways) the same columns of such rows share two L1 sets, 16 lines for a
/// bag of 20. The sweep (`SWEEP_DIMS=384,496,504,512,520,528,768,1008,
/// 1024,1040 report -- sweep bags`, AMD EPYC Zen 4, bags of 20, two runs)
/// had every path at dim 512 at 0.56–0.85× its speed at 496–528 (× the
/// naive loop: Sum on SSE2 1.17 against 1.61–1.68, on AVX2 1.36–1.38
/// against 2.04–2.43; weighted Sum on SSE2 0.89, below the naive loop,
/// against 1.27–1.31). With 2 KB rows in groups too (`SWEEP_US=1
/// SWEEP_DIMS=256,384,512,520,768,1000,1024,2048`, two runs of each
/// build in turn, the fastest, new time over old): at 512 Sum 0.68–0.87,
/// Mean 0.69–0.87, Max 0.74–0.87 on every path, weighted Sum 0.70 on SSE2
/// (0.99 on the others); × the naive loop at 512 after: SSE2 1.29–1.63,
/// AVX2 1.78–2.43. The other dims run the same code in both builds
/// (0.93–1.08 but one noisy run at 384). Groups of 4 or 6 rows instead
/// of 8 (dims 512–4096, two runs): no steady difference.
const fn grouped_rows<C: Codec>(row_bytes: usize) -> bool {
    row_bytes > 0
        && if cfg!(target_arch = "x86_64") {
            row_bytes.is_multiple_of(2048)
        } else {
            cfg!(target_arch = "wasm32")
                && core::mem::size_of::<C::Unit>() > 1
                && row_bytes.is_multiple_of(4096)
        }
}

/// One non-empty bag as the column passes see it: the table's first unit
/// and row stride, the row width, the bag's rows and weights, whether it
/// pools by max, the divisor (Mean, SqrtN) and the output row.
struct Bag<'b, C: Codec, I> {
    base: *const C::Unit,
    stride: usize,
    dim: usize,
    rows: &'b [I],
    weights: Option<&'b [f32]>,
    max: bool,
    div: Option<f32>,
    out: *mut f32,
}

impl<C: Codec, I> Clone for Bag<'_, C, I> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C: Codec, I> Copy for Bag<'_, C, I> {}

/// Pools one block of `K` vectors (or one partial vector when
/// `partial != 0`) of columns starting at `j` over a whole bag, in registers,
/// and stores the block once.
/// # Safety
/// The module's contract; the bag is non-empty; `j + K·LANES <= dim`
/// (or `j + partial <= dim` with `K == 1`).
#[inline(always)]
unsafe fn bag_block<V: Vector, C: Codec, I: Index, const K: usize>(
    bag: Bag<'_, C, I>,
    j: usize,
    partial: usize,
) {
    // SAFETY: the caller's contract, forwarded.
    unsafe { bag_cols::<V, C, I, K, false>(bag, j, partial) }
}

/// [`bag_block`], and when `END`, the block's last vector is the one ending
/// at the row's end (columns `dim - LANES..dim`) instead of the one at
/// `j + (K-1)·LANES`: the row's last columns in the same pass as the
/// whole vectors before them. Each lane pools its own column in index
/// order, so the columns the last vector shares with the one before it
/// get the same bits twice.
///
/// # Safety
/// As [`bag_block`]; with `END`: `partial == 0`, `dim >= LANES`, the
/// `K - 1` whole vectors from `j` fit (`j + (K-1)·LANES <= dim`), and
/// `C::ANY_COLUMN` (a load may start at any column).
#[inline(always)]
unsafe fn bag_cols<V: Vector, C: Codec, I: Index, const K: usize, const END: bool>(
    bag: Bag<'_, C, I>,
    j: usize,
    partial: usize,
) {
    let Bag {
        base,
        stride,
        dim,
        rows: bag,
        weights,
        max,
        div,
        out,
    } = bag;
    let l = V::LANES;
    // The first column of accumulator `k`.
    let col = |k: usize| if END && k == K - 1 { dim - l } else { j + k * l };
    // A macro, not a closure, so that the load inlines with the
    // trampoline's target features. `r` is a validated row and
    // `col(k) + l` (or `j + partial`) is within `dim`, so the load stays
    // in the row.
    macro_rules! load {
        ($r:expr, $k:expr) => {{
            let row = C::row::<V>(base.add($r * stride), dim);
            if partial != 0 {
                C::load_partial::<V>(row, j + $k * l, partial)
            } else {
                C::load::<V>(row, col($k))
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
        if max && V::MAX_NAN_LATER {
            // `max_or_keep` (one instruction) and the NaNs noted in a mask
            // (one compare for two vectors, and an or), instead of
            // `max_nan`'s blend of a NaN `x` (SSE2: three more
            // instructions, two of them on the accumulator's chain). When
            // the mask has a lane set, the block is pooled again with
            // `max_nan`: the same bits either way. Zen 3, `SWEEP_US=1
            // report -- sweep "bags max"`, three interleaved runs of each
            // build, the fastest, new time over old: SSE2 0.67–0.74 at
            // dims 5–512 (0.83–0.97 at 1–4), AVX2 0.81–0.98; with
            // `bag_groups` too, dims 1000–4096: SSE2 0.66–0.73, AVX2
            // 0.93–0.99. SSE2's Max bags had tied the naive loop at 512
            // (0.95–1.10×; now 1.37–1.42×).
            // (A macro, not a closure: see `load!`.)
            let mut nan = V::splat(0.0);
            macro_rules! note {
                ($x:expr) => {{
                    let x: &[V; K] = $x;
                    let mut k = 0;
                    while k < K {
                        nan = nan.or_nan(x[k], x[if k + 1 < K { k + 1 } else { k }]);
                        k += 2;
                    }
                }};
            }
            note!(&acc);
            for t in 1..bag.len() {
                let r = row_at(bag, t);
                let mut x: [V; K] = [V::splat(0.0); K];
                for (k, v) in x.iter_mut().enumerate() {
                    *v = load!(r, k);
                }
                note!(&x);
                for (a, v) in acc.iter_mut().zip(x) {
                    *a = a.max_or_keep(v);
                }
            }
            if nan.any_set() {
                for (k, a) in acc.iter_mut().enumerate() {
                    *a = load!(first, k);
                }
                for t in 1..bag.len() {
                    let r = row_at(bag, t);
                    for (k, a) in acc.iter_mut().enumerate() {
                        *a = a.max_nan(load!(r, k));
                    }
                }
            }
        } else if max {
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
            let p = out.add(col(k));
            if partial != 0 {
                a.store_partial(p, partial)
            } else {
                a.store(p)
            }
        }
    }
}

/// Pooled lookups over CSR bags.
///
/// # Safety
/// The module's contract (`arch::generic`).
#[inline(always)]
pub(crate) unsafe fn bags<V: Vector, C: Codec, I: Index, O: Index>(job: Bags<'_, C, I, O>) {
    let Bags {
        table,
        stride,
        dim,
        indices,
        offsets,
        weights,
        pooling,
        out,
    } = job;
    let l = V::LANES;
    let base = table.as_ptr();
    let max = pooling == Pooling::Max;
    let row_bytes = stride.saturating_mul(core::mem::size_of::<C::Unit>());
    // Short rows of many columns (at most one cache line, at least 32
    // columns: the quantized formats) are prefetched a bag ahead from
    // tables past the L2 size too (1 MB on Zen 5). The report, bags of 20,
    // dispatched path, GB/s without → with, tables of 1.4–3.6 MB: Rowwise4
    // dim 64 (36-byte rows) 55 → 81, dim 32 49 → 61, Q8_0 dim 32 89 → 95,
    // Rowwise8 dim 48 102 → 114. Rows of fewer columns lost instead
    // (Rowwise8 dim 16: 58 → 51; f32 dims 8 and 12: 36 → 28 and 34 → 31;
    // f32 dim 16 gained, 42–46 → 50), and rows past a cache line keep the
    // 4 MB threshold (f32 dims 300–1024 from 1.2–4 MB tables fell from
    // 2.7–3.9× to 1.8–2.7× the naive loop with it at 1 MB, in the sweep).
    let table_bytes = core::mem::size_of_val(table);
    let prefetch = table_bytes >= PREFETCH_MIN_TABLE_BYTES
        || (table_bytes >= PREFETCH_MIN_TABLE_BYTES / 4 && row_bytes <= 64 && dim >= 32);
    let into_l2 = table_bytes >= PREFETCH_MIN_TABLE_BYTES;
    // Runs `$body` with `$bag` each non-empty bag (empty ones are zeroed),
    // prefetching the next bag's rows when `prefetch` is set. A macro, so
    // that the 4 KB-row loop below is a loop of its own. Two other layouts
    // were measured (`SWEEP_US=1 report -- sweep bags`): the 4 KB branch
    // inside the one loop made AVX-512 Sum bags at dims 1, 17, 33, 65 and
    // 129 1.2–2.9× slower; the 4 KB rows as a job of their own (a
    // trampoline of their own) did the same, and made AVX2 bags at dims
    // 1–3 about 2× slower. This layout, against the code before the 4 KB
    // loop (two runs of each build, default layout):
    // 0.53–0.84× the time at dim 1024, 0.91–1.06× at the other dims but
    // AVX2 weighted Sum at dims 2–3 and 8 (1.12–1.17×; AVX-512, which
    // `Kernels::best` runs there, 1.00–1.03×).
    macro_rules! each_bag {
        (|$bag:ident| $body:block) => {{
            let bags = offsets.len() - 1;
            for b in 0..bags {
                // SAFETY: validated offsets: `b + 1 < offsets.len()`, and
                // `start <= end <= indices.len()` (and the same for
                // weights, which have one entry per index); output row `b`
                // is inside `out`; the prefetched rows are validated rows
                // of the next bag.
                unsafe {
                    let start = row_at(offsets, b);
                    let end = row_at(offsets, b + 1);
                    if prefetch && b + 2 <= bags {
                        // The next bag's rows, a whole bag ahead.
                        for t in end..row_at(offsets, b + 2) {
                            let p = base.add(row_at(indices, t) * stride).cast();
                            if into_l2 {
                                prefetch_row_l2::<V>(p, prefetch_head(row_bytes));
                            } else {
                                prefetch_row::<V>(p, prefetch_head(row_bytes));
                            }
                        }
                    }
                    let rows = indices.get_unchecked(start..end);
                    let w = weights.map(|w| w.get_unchecked(start..end));
                    let o = out.as_mut_ptr().add(b * dim);
                    if rows.is_empty() {
                        core::ptr::write_bytes(o, 0, dim);
                        continue;
                    }
                    let $bag = Bag::<C, I> {
                        base,
                        stride,
                        dim,
                        rows,
                        weights: w,
                        max,
                        div: divisor(pooling, rows.len(), w),
                        out: o,
                    };
                    $body
                }
            }
        }};
    }
    if grouped_rows::<C>(row_bytes) && dim.is_multiple_of(4 * l) {
        each_bag!(|bag| {
            if bag.rows.len() > GROUP {
                bag_groups::<V, C, I>(bag);
            } else {
                let mut j = 0;
                while j < dim {
                    bag_block::<V, C, I, 4>(bag, j, 0);
                    j += 4 * l;
                }
            }
        });
        return;
    }
    each_bag!(|bag| {
        let mut j = 0;
        while j + 4 * l <= dim {
            bag_block::<V, C, I, 4>(bag, j, 0);
            j += 4 * l;
        }
        // The last one to three whole vectors in one pass over the bag
        // too, so that each pass has independent accumulators: one pass
        // per vector was latency-bound (the sweep, Zen 5: bags weighted
        // sum at dim 32 on AVX-512, two passes of one vector, 2.68× naive
        // against AVX2's one pass of four, 3.85×).
        bag_tail::<V, V, C, I>(bag, j);
    });
}

/// Rows of a bag pooled per column-block pass in `bag_groups`.
const GROUP: usize = 8;

/// A whole bag as column blocks of four vectors, over its rows `GROUP` at a
/// time: each group's pass over the columns pools into the output row
/// (the first group starting from the first row, the others from what the
/// one before stored), the divisor applied by the last. Every column sees
/// the operations of `bag_block` in the same order, so the bits are the
/// same.
///
/// # Safety
/// As [`bag_block`]; `dim` is a multiple of `4 · V::LANES`.
#[inline(always)]
unsafe fn bag_groups<V: Vector, C: Codec, I: Index>(bag: Bag<'_, C, I>) {
    if bag.max && V::MAX_NAN_LATER {
        // Max with `max_or_keep`, the NaNs noted (as in `bag_cols`); when
        // there was one, the whole bag again with `max_nan`.
        // SAFETY: the caller's contract, forwarded.
        if unsafe { bag_groups_in::<V, C, I, true>(bag) } {
            // SAFETY: as above.
            unsafe { bag_groups_in::<V, C, I, false>(bag) };
        }
    } else {
        // SAFETY: the caller's contract, forwarded.
        unsafe { bag_groups_in::<V, C, I, false>(bag) };
    }
}

/// [`bag_groups`]; with `LATER` (Max bags only), pooled with
/// `max_or_keep`, returning whether a value was NaN (the output row is
/// then to be pooled again without `LATER`).
///
/// # Safety
/// As [`bag_groups`].
#[inline(always)]
unsafe fn bag_groups_in<V: Vector, C: Codec, I: Index, const LATER: bool>(
    bag: Bag<'_, C, I>,
) -> bool {
    let Bag {
        base,
        stride,
        dim,
        rows,
        weights,
        max,
        div,
        out,
    } = bag;
    let l = V::LANES;
    let n = rows.len();
    // SAFETY: the bag is non-empty and its rows validated; every column
    // read or written is below `dim` (a multiple of `4·l`), in the row and
    // in the output row.
    unsafe {
        let mut nan = V::splat(0.0);
        let mut g = 0;
        while g < n {
            let end = if n - g > GROUP { g + GROUP } else { n };
            let mut j = 0;
            while j < dim {
                let mut acc: [V; 4] = [V::splat(0.0); 4];
                let mut t = g;
                if g == 0 {
                    let row = C::row::<V>(base.add(row_at(rows, 0) * stride), dim);
                    for (k, a) in acc.iter_mut().enumerate() {
                        *a = C::load::<V>(row, j + k * l);
                    }
                    if LATER {
                        nan = nan.or_nan(acc[0], acc[1]).or_nan(acc[2], acc[3]);
                    }
                    if let Some(w) = weights {
                        let w0 = V::splat(*w.get_unchecked(0));
                        for a in acc.iter_mut() {
                            *a = w0.mul(*a);
                        }
                    }
                    t = 1;
                } else {
                    for (k, a) in acc.iter_mut().enumerate() {
                        *a = V::load(out.add(j + k * l));
                    }
                }
                while t < end {
                    let row = C::row::<V>(base.add(row_at(rows, t) * stride), dim);
                    if LATER {
                        // (Not `array::from_fn`: a closure does not inherit
                        // the trampoline's target features.)
                        let mut x: [V; 4] = [V::splat(0.0); 4];
                        for (k, x) in x.iter_mut().enumerate() {
                            *x = C::load::<V>(row, j + k * l);
                        }
                        nan = nan.or_nan(x[0], x[1]).or_nan(x[2], x[3]);
                        for (a, x) in acc.iter_mut().zip(x) {
                            *a = a.max_or_keep(x);
                        }
                    } else if max {
                        for (k, a) in acc.iter_mut().enumerate() {
                            *a = a.max_nan(C::load::<V>(row, j + k * l));
                        }
                    } else if let Some(w) = weights {
                        let wt = V::splat(*w.get_unchecked(t));
                        for (k, a) in acc.iter_mut().enumerate() {
                            *a = a.add(wt.mul(C::load::<V>(row, j + k * l)));
                        }
                    } else {
                        for (k, a) in acc.iter_mut().enumerate() {
                            *a = a.add(C::load::<V>(row, j + k * l));
                        }
                    }
                    t += 1;
                }
                if end == n
                    && let Some(d) = div
                {
                    let zero = d == 0.0;
                    let dv = V::splat(d);
                    for a in acc.iter_mut() {
                        *a = if zero { V::splat(0.0) } else { a.div(dv) };
                    }
                }
                for (k, a) in acc.iter().enumerate() {
                    a.store(out.add(j + k * l));
                }
                j += 4 * l;
            }
            g = end;
        }
        LATER && nan.any_set()
    }
}

/// Columns `j..dim` of a bag, after the blocks of four vectors: the last
/// one to three whole `V` vectors in one pass over the bag (one pass per
/// vector was latency-bound: the sweep, Zen 5, bags weighted sum at dim 32
/// on AVX-512, two passes of one vector, 2.68× naive against AVX2's one
/// pass of four, 3.85×), then what is left through the next narrower
/// vector, one partial vector where that is cheap (AVX-512's masked loads),
/// and scalar columns last. Before this
/// cascade the sweep measured AVX2 tails (scalar columns) at 1.5× naive
/// against AVX-512's 5× at dims 5–7, and AVX-512's masked 8-lane tail at
/// 4.3× against AVX2's whole vector at 5.6× at dim 8.
///
/// # Safety
/// As [`bag_block`]; `j <= dim`; the CPU has `Top`'s ISA, which implies
/// `V`'s.
#[inline(always)]
unsafe fn bag_tail<Top: Vector, V: Vector, C: Codec, I: Index>(bag: Bag<'_, C, I>, mut j: usize) {
    let dim = bag.dim;
    let l = V::LANES;
    let half = <V::Half as Vector>::LANES;
    // SAFETY: the caller's contract; every block below stays within `dim`.
    unsafe {
        if C::ANY_COLUMN
            && !super::masked_bag_tails::<Top>()
            && dim >= l
            && (V::FMA || !C::FMA_VALUES)
            && !(dim - j).is_multiple_of(l)
        {
            // The whole vectors and one more ending at the row's end,
            // overlapping columns already pooled (`bag_cols`), in one pass.
            // `SWEEP_US=1 report -- sweep bags` (Zen 5), that vector in a
            // pass of its own against the narrower vectors and scalar
            // columns: Sum on AVX2 at dims 6–7 0.56–0.69, 11–15 0.49–0.73,
            // 19–23 0.53–0.63, 31 0.59, 63 0.74; Max 0.32–0.50 at 11–31;
            // Rowwise8 Sum 0.39–0.84. On AVX-512 (masked tails) the same
            // pass ran slower than the masked one at dims 17–33 and is not
            // taken there. In the same pass as the whole vectors rather
            // than a pass of its own (Zen 3, `SWEEP_US=1 report -- sweep
            // bags`, the minimum of two runs of each build, time over the
            // two-pass build's): f32 Sum, Mean, Max and weighted Sum at
            // dims 5–31 0.71–0.98 on SSE2 and AVX2 (AVX2 at dim 12, which
            // had run at 0.87x SSE2's three 4-lane vectors, 0.74–0.81;
            // SSE2 at dim 12, whose code is the same in both builds,
            // 0.99–1.03), 0.90–1.09 from 33 up; row-wise 8-bit Sum on AVX2
            // at 9–31 0.64–0.84. Row-wise 8-bit Sum on AVX2 at dims 5–7,
            // which never take this branch (rows narrower than 8 lanes end
            // in the codec's partial vector), ran 1.3–1.5x slower in the
            // new build, with loops aligned to 64 bytes too: code layout.
            match (dim - j) / l {
                3 => bag_cols::<V, C, I, 4, true>(bag, j, 0),
                2 => bag_cols::<V, C, I, 3, true>(bag, j, 0),
                1 => bag_cols::<V, C, I, 2, true>(bag, j, 0),
                _ => bag_cols::<V, C, I, 1, true>(bag, j, 0),
            }
            return;
        }
        match (dim - j) / l {
            3 => bag_block::<V, C, I, 3>(bag, j, 0),
            2 => bag_block::<V, C, I, 2>(bag, j, 0),
            1 => bag_block::<V, C, I, 1>(bag, j, 0),
            _ => {}
        }
        j += (dim - j) / l * l;
        if j == dim {
            return;
        }
        let cheap_partial = super::masked_bag_tails::<Top>() || C::PARTIAL_TAIL;
        let r = dim - j;
        // Each pass reads the whole bag again: where a partial vector is
        // cheap, narrower whole vectors pay only when they finish the row
        // in one pass (r a multiple of their width).
        //
        // One exception to the masked tail of f32 (and f16/bf16) rows,
        // from the sweep (`report -- sweep bags`, Zen 5, × naive, AVX-512
        // with a masked tail against AVX2 with whole vectors and scalar
        // columns): a tail of exactly 4 columns goes through one whole
        // 4-lane vector (sum dim 4: 4.18× vs 5.60×, dim 20: 3.01× vs
        // 4.03×). Masked tails of other widths stay (sum dim 7: 5.17× vs
        // 2.45×). A tail of one column went through the scalar loop on
        // Zen 5 (but for Max: sum dim 1 3.81× vs 4.53×, dim 17 2.73× vs
        // 3.57×), but on an Intel Xeon (AVX-512 FP16) that loop, compiled
        // in the AVX-512 trampoline, ran Sum and weighted Sum bags at
        // 0.87–0.91× the naive loop at dim 1 and 1.06–1.50× at dims 17,
        // 33 and 65 (SSE2 runs the same function at 4.5×); through the
        // masked vector they run at 2.2–3.2× at dim 1 and 2.0–2.4× at 17,
        // 33 and 65 (`SWEEP_DIMS=1,17,33,65,129 report -- sweep bags`).
        //
        // Rows of a fused-multiply-add format narrower than a vector on a
        // path that emulates the single rounding take the scalar columns,
        // but rows of 3 on SSE2 (a partial vector in registers): Rowwise8
        // Sum there took 0.69 of the scalar columns' time (Zen 3,
        // `SWEEP_US=1 report -- sweep rowwise8`, three interleaved runs of
        // each build; 1.07× the naive loop before), with 2 columns 1.00–1.08.
        let masked = super::masked_bag_tails::<Top>() && !C::PARTIAL_TAIL;
        if (Top::LANES == 4 && dim == 1)
            || (C::FMA_VALUES && !Top::FMA && dim < l && !(V::REGISTER_PARTIAL && dim == 3))
        {
            bag_scalar_cols::<C, I>(bag, j);
        } else if V::REGISTER_PARTIAL
            // 2 or 3 f32 columns left (rows of 2–3 columns: wider rows end
            // in the overlapping vector above) as one partial vector in
            // registers, on SSE2 and AVX2's half, instead of a pass over
            // the bag per column. Zen 3, `SWEEP_US=1 report -- sweep bags`,
            // three interleaved runs of each build, the fastest, new time
            // over old, SSE2 and AVX2: Sum 0.68/0.65 (dim 2), 0.54/0.51
            // (dim 3); Mean 0.74/0.73, 0.61/0.57; Max 0.47/0.46, 0.35/0.33
            // (SSE2's Max at dim 3 had tied the naive loop, 0.84–1.04×);
            // weighted Sum 0.57/0.60, 0.49/0.45. f16 and bf16 tables
            // (conversions in software on SSE2) keep the scalar columns.
            && C::ANY_COLUMN
            && core::mem::size_of::<C::Unit>() == 4
            && r >= 2
        {
            bag_block::<V, C, I, 1>(bag, j, r);
        } else if half < l
            && ((masked && r == 4)
                || (r >= half && (!cheap_partial || r.is_multiple_of(half))))
        {
            bag_tail::<Top, V::Half, C, I>(bag, j);
        } else if cheap_partial {
            bag_block::<V, C, I, 1>(bag, j, dim - j);
        } else if half < l {
            bag_tail::<Top, V::Half, C, I>(bag, j);
        } else {
            bag_scalar_cols::<C, I>(bag, j);
        }
    }
}

/// Columns `j..dim` of a bag one by one, the same arithmetic in the same
/// order as the vector lanes.
///
/// # Safety
/// As [`bag_block`]; `j <= dim`.
#[inline(always)]
unsafe fn bag_scalar_cols<C: Codec, I: Index>(bag: Bag<'_, C, I>, j: usize) {
    let (rows, stride) = (bag.rows, bag.stride);
    // SAFETY: rows are validated rows of `stride` units; `t < rows.len()`
    // (and the weights have one entry per position); `c < dim` is inside
    // the output row.
    unsafe {
        for c in j..bag.dim {
            let value = |t: usize| {
                let r = row_at(rows, t);
                C::value(core::slice::from_raw_parts(bag.base.add(r * stride), stride), c)
            };
            let mut acc = value(0);
            if bag.max {
                for t in 1..rows.len() {
                    acc = crate::bags::max_nan(acc, value(t));
                }
            } else if let Some(w) = bag.weights {
                acc *= *w.get_unchecked(0);
                for t in 1..rows.len() {
                    acc += *w.get_unchecked(t) * value(t);
                }
            } else {
                for t in 1..rows.len() {
                    acc += value(t);
                }
            }
            if let Some(d) = bag.div {
                acc = if d == 0.0 { 0.0 } else { acc / d };
            }
            *bag.out.add(c) = acc;
        }
    }
}
