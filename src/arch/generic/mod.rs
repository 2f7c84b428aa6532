//! Kernel bodies, written once over [`Vector`] and the formats' codecs, one
//! file per algorithm, and inlined into each ISA's `#[target_feature]`
//! trampoline through the jobs defined beside them (see `arch/mod.rs`).
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

use super::Job;
use super::vector::Vector;
use crate::Index;

pub(crate) mod bags;
pub(crate) mod convert;
pub(crate) mod gather;
pub(crate) mod scatter;

/// Bytes of rows kept in flight ahead of the row being processed, on
/// tables large enough for it to pay (see [`PREFETCH_MIN_TABLE_BYTES`]):
/// the prefetch distance in rows is this over the row size
/// ([`prefetch_ahead`]), so short rows look further ahead in rows.
///
/// Evidence: a hand-written loop that prefetches every line of the row `k`
/// rows ahead, 1 GiB f32 table, one core, 4096 random rows (issue 9's
/// measurements on a quiet Zen 5, best distance per dim): dim 16 best at 32
/// rows (2 KB), dim 64 at 32–64 rows (8–16 KB; 16 rows, the previous
/// fixed distance, gave 17–19 GB/s against 23–29), dim 256 at 8 rows
/// (8 KB). 8 KB, clamped to 4..=64 rows, keeps each dim at or near its best
/// (`cargo run --release --example report -- dram` measures the crate
/// beside that yardstick at 1–16 KB).
pub(crate) const PREFETCH_BYTES: usize = 8 << 10;

/// Rows ahead to prefetch for rows of `row_bytes`: [`PREFETCH_BYTES`] of
/// them, at least 4 and at most 64.
#[inline(always)]
pub(crate) const fn prefetch_ahead(row_bytes: usize) -> usize {
    let rows = PREFETCH_BYTES / if row_bytes == 0 { 1 } else { row_bytes };
    if rows < 4 {
        4
    } else if rows > 64 {
        64
    } else {
        rows
    }
}

/// Bytes of each row ahead to prefetch: the whole row up to 2 KB; of a
/// longer row, its first 512 bytes, the stream prefetcher following the
/// row once its first lines come in. Whole long rows at the 4-row
/// minimum distance put 16–64 KB in flight at 4–16 KB rows, more than
/// Zen 4's 32 KB L1. Measured on an AMD EPYC Zen 4 (whole rows → this):
/// - `DRAM_DIMS=512,1024,2048,4096 report -- dram` (1 GiB f32 table, one
///   run of each build, the crate's GB/s): gather 5.47 → 8.10 at dim
///   1024, 6.90 → 8.66 at 2048, 7.95 → 8.63 at 4096; bags 6.70 → 11.82,
///   9.44 → 14.01, 11.57 → 18.68; scatter-add 5.37 → 7.31, 6.79 → 7.46,
///   7.96 → 8.54. At dim 512 (2 KB rows) the whole row led gather (4.24
///   against 3.72 with 512 bytes and 4.31 with 1 KB), hence whole rows
///   up to 2 KB. No prefetch of long rows at all came out between the two
///   (gather 6.19, 7.34, 7.85; bags 11.64, 15.86, 17.38).
/// - L3-sized tables (`SWEEP_US=1 SWEEP_DIMS=1536,2048,3072,4096 report
///   -- sweep`, 6–16 MB tables, three runs of each build in turn, the
///   fastest, new time over old): scatter-add f32 0.67–0.88 on AVX2 and
///   AVX-512 (at 0.81–1.02× the naive loop before, 1.12–1.23× after),
///   bags 0.81–0.93, gather f32 0.80–0.89 (the SIMD paths had trailed the
///   portable path's one `memcpy` a row at 0.80–0.87×; now they tie it),
///   gather f16→f32 and bf16→f32 0.78–1.00, scatter-add bf16 0.77–0.96.
///   The quantized formats, whose tables there mostly stay under
///   [`PREFETCH_MIN_TABLE_BYTES`], moved 0.70–1.44 on unchanged code: the
///   noise between two processes on this VM.
///
/// NEON has not been timed with it.
pub(crate) const fn prefetch_head(row_bytes: usize) -> usize {
    if row_bytes > 2048 { 512 } else { row_bytes }
}

/// Tables smaller than this are assumed to sit in cache, where a prefetch
/// is one wasted instruction per cache line.
pub(crate) const PREFETCH_MIN_TABLE_BYTES: usize = 4 << 20;

/// The row index at position `i`, already validated.
///
/// # Safety
/// `i < idx.len()`.
#[inline(always)]
pub(crate) unsafe fn row_at<I: Index>(idx: &[I], i: usize) -> usize {
    // SAFETY: the caller guarantees `i < idx.len()`.
    unsafe { idx.get_unchecked(i).to_u64() as usize }
}

/// Prefetches every cache line of a row of `bytes` bytes starting at `p`.
///
/// # Safety
/// `p` is the start of a row inside the table and `bytes > 0` is at most
/// its size, so every address formed stays inside that row; the
/// trampoline's ISA is present.
#[inline(always)]
pub(crate) unsafe fn prefetch_row<V: Vector>(p: *const u8, bytes: usize) {
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

/// [`prefetch_row`] into the level-2 cache only (`Vector::prefetch_l2`).
///
/// # Safety
/// As [`prefetch_row`].
#[inline(always)]
pub(crate) unsafe fn prefetch_row_l2<V: Vector>(p: *const u8, bytes: usize) {
    let mut off = 0;
    while off < bytes {
        // SAFETY: as in `prefetch_row`.
        unsafe { V::prefetch_l2(p.add(off)) };
        off += 64;
    }
    // SAFETY: as in `prefetch_row`.
    unsafe { V::prefetch_l2(p.add(bytes - 1)) };
}

/// Runs `$body` with `$i` the position and `$r` its row, for each position
/// in order, prefetching the row `prefetch_ahead(row_bytes)` ahead when `$prefetch` is
/// set. A macro, not a closure: closures do not inherit the trampolines' target
/// features, so an intrinsic inside one would not be inlined.
///
/// Safety: as the module's contract; `$base` is the table's first byte and
/// `$row_bytes` a row's size.
macro_rules! for_rows {
    ($v:ty, $idx:expr, $base:expr, $row_bytes:expr, $prefetch:expr, |$i:ident, $r:ident| $body:expr) => {{
        let idx = $idx;
        let n = idx.len();
        let mut $i = 0;
        let ahead_rows = $crate::arch::generic::prefetch_ahead($row_bytes);
        let head = $crate::arch::generic::prefetch_head($row_bytes);
        if $prefetch && n > ahead_rows {
            while $i < n - ahead_rows {
                // SAFETY: `i + ahead_rows < n`; the row it names is valid,
                // so the address is inside the table.
                unsafe {
                    let ahead = $crate::arch::generic::row_at(idx, $i + ahead_rows);
                    $crate::arch::generic::prefetch_row::<$v>(
                        $base.add(ahead * $row_bytes),
                        head,
                    );
                }
                // SAFETY: `i < n`.
                let $r = unsafe { $crate::arch::generic::row_at(idx, $i) };
                $body;
                $i += 1;
            }
        }
        while $i < n {
            // SAFETY: `i < n`.
            let $r = unsafe { $crate::arch::generic::row_at(idx, $i) };
            $body;
            $i += 1;
        }
    }};
}

pub(crate) use for_rows;

/// Evaluates `$body` with the const `$d` equal to `$dim` when `$dim` is one
/// of the fixed-dim bodies (4, 8, 16, 32, 64 columns), and 0 (the generic
/// body) otherwise: the one list of the row widths that `decode` and
/// `scatter_add` compile a fully unrolled body for.
macro_rules! with_fixed_dim {
    ($dim:expr, const $d:ident => $body:expr) => {
        match $dim {
            4 => { const $d: usize = 4; $body }
            8 => { const $d: usize = 8; $body }
            16 => { const $d: usize = 16; $body }
            32 => { const $d: usize = 32; $body }
            64 => { const $d: usize = 64; $body }
            _ => { const $d: usize = 0; $body }
        }
    };
}

pub(crate) use with_fixed_dim;

/// Whether a row's last `n < LANES` columns go through one partial vector
/// (`load_partial`/`store_partial`) rather than a scalar loop.
///
/// Only AVX-512's vectors (16 lanes, or 8 in YMM with AVX-512VL) have
/// masked loads cheap enough (`Vector::MASKED`): on
/// the other paths a partial vector went through a stack buffer, and the
/// sweep (`cargo run --release --example report -- sweep`, Zen 5, before
/// this rule) measured those tails at 0.1–0.5× the naive loop (gather
/// f16->f32 dims 1–3: SSE2 0.15–0.46×, AVX2 0.24–0.73×; scatter-add f32
/// dims 1–3: 0.06–0.16×). Stores never take the masked path when the
/// same row may be read again (scatter-add): masked stores are slow on AMD
/// Zen and defeat store-to-load forwarding when a row repeats. SSE2's
/// vector and AVX2's half now build partial vectors in registers
/// (`Vector::REGISTER_PARTIAL`), which the gather and scatter-add tails of
/// the narrowest vector take where measured (`gather::decode_tail`,
/// `scatter::add_cols`).
#[inline(always)]
pub(crate) const fn partial_loads<V: Vector>() -> bool {
    V::MASKED
}

/// Whether a bag's row tail goes through one masked vector
/// ([`partial_loads`]): on the 16-lane vector only. AVX-512's 8-lane YMM
/// vector takes AVX2's tails (whole vectors, one overlapping the row's end,
/// and the half): with the masked tail, YMM bags ran at 0.79–0.89× AVX2 at
/// dims 9–15 and 18–23 (Sum, Mean, Max, weighted Sum), and row-wise 8-bit
/// Sum at 0.32–0.60× at dims 9–31 (Intel Xeon with AVX-512 FP16, `report
/// -- sweep`).
#[inline(always)]
pub(crate) const fn masked_bag_tails<V: Vector>() -> bool {
    V::MASKED && V::LANES >= 16
}

/// The index range check, `0 <= i < rows` for every index: the fold of
/// `Index::all_in_range` (an OR of compares), or on the ISAs with an
/// unsigned max its max fold (`Vector::UNSIGNED_MAX`), compiled by each
/// trampoline with its ISA's instructions. `true` when every index is in
/// range.
pub(crate) struct InRange<'a, I> {
    pub indices: &'a [I],
    pub rows: usize,
}

impl<I: Index> Job for InRange<'_, I> {
    type Output = bool;
    #[inline(always)]
    fn portable(self) -> bool {
        I::all_in_range(self.indices, self.rows as u64)
    }
    #[inline(always)]
    unsafe fn simd<V: Vector>(self) -> bool {
        if V::UNSIGNED_MAX {
            I::all_in_range_by_max(self.indices, self.rows as u64)
        } else {
            I::all_in_range(self.indices, self.rows as u64)
        }
    }
}
