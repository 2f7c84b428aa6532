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
pub(crate) unsafe fn row_at<I: Index>(idx: &[I], i: usize) -> usize {
    // SAFETY: the caller guarantees `i < idx.len()`.
    unsafe { idx.get_unchecked(i).to_u64() as usize }
}

/// Prefetches every cache line of a row of `bytes` bytes starting at `p`.
///
/// # Safety
/// `p` is the start of a row inside the table and `bytes > 0` is its size,
/// so every address formed stays inside that row; the trampoline's ISA is present.
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

/// Runs `$body` with `$i` the position and `$r` its row, for each position
/// in order, prefetching the row `PREFETCH_ROWS` ahead when `$prefetch` is
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
        if $prefetch && n > $crate::arch::generic::PREFETCH_ROWS {
            while $i < n - $crate::arch::generic::PREFETCH_ROWS {
                // SAFETY: `i + PREFETCH_ROWS < n`; the row it names is valid,
                // so the address is inside the table.
                unsafe {
                    let ahead = $crate::arch::generic::row_at(
                        idx,
                        $i + $crate::arch::generic::PREFETCH_ROWS,
                    );
                    $crate::arch::generic::prefetch_row::<$v>(
                        $base.add(ahead * $row_bytes),
                        $row_bytes,
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

/// Whether a row's last `n < LANES` columns go through one partial vector
/// (`load_partial`/`store_partial`) rather than a scalar loop.
///
/// Only AVX-512 (the one 16-lane path) has masked loads cheap enough: on
/// the other paths a partial vector goes through a stack buffer, and the
/// sweep (`cargo run --release --example report -- sweep`, Zen 5, before
/// this rule) measured those tails at 0.1–0.5× the naive loop (gather
/// f16->f32 dims 1–3: SSE2 0.15–0.46×, AVX2 0.24–0.73×; scatter-add f32
/// dims 1–3: 0.06–0.16×). Stores never take the partial path when the
/// same row may be read again (scatter-add): masked stores are slow on AMD
/// Zen and defeat store-to-load forwarding when a row repeats.
#[inline(always)]
pub(crate) const fn partial_loads<V: Vector>() -> bool {
    V::LANES >= 16
}

/// The index range check, `0 <= i < rows` for every index: the min/max fold
/// of `Index::all_in_range`, compiled by each trampoline with its ISA's
/// instructions (AVX2 `vpmaxud`, not SSE2's emulation of it). `true` when
/// every index is in range.
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
        I::all_in_range(self.indices, self.rows as u64)
    }
}
