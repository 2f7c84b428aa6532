//! SIMD kernels for embedding tables: lookups, pooled lookups and their
//! gradient, `no_std`, without allocation, proven equal to the one-hot
//! product they replace.
//!
//! An embedding layer is `E(x) = one_hot(x) · W` with `W` a `rows × dim`
//! table. The one-hot matrix is `n × rows` and almost all zeros, so this
//! crate computes the same values by looking rows up, and keeps the dense
//! definition in [`onehot`] as the oracle its tests compare every path with.
//!
//! ```
//! use embedding_kernels::{gather, gather_bags, scatter_add, Bags, Pooling, Table, TableMut};
//!
//! // A 4 × 3 table, row-major.
//! let mut w: Vec<f32> = (0..12).map(|v| v as f32).collect();
//! let table = Table::new(&w, 3)?;
//!
//! // Lookup: out[i] = W[ids[i]].
//! let ids = [3u32, 0, 3];
//! let mut out = vec![0.0f32; ids.len() * 3];
//! gather(table, &ids, &mut out)?;
//! assert_eq!(out, [9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 9.0, 10.0, 11.0]);
//!
//! // Pooled lookup: two bags, [3, 0] and [3], averaged.
//! let bags = Bags::new(&ids, &[0u32, 2, 3]);
//! let mut pooled = vec![0.0f32; 2 * 3];
//! gather_bags(table, bags, Pooling::Mean, &mut pooled)?;
//! assert_eq!(pooled, [4.5, 5.5, 6.5, 9.0, 10.0, 11.0]);
//!
//! // Gradient: W[ids[i]] += -0.5 · G[i], in order.
//! let grad = vec![1.0f32; ids.len() * 3];
//! scatter_add(&mut TableMut::new(&mut w, 3)?, &ids, &grad, -0.5)?;
//! assert_eq!(&w[9..], [8.0, 9.0, 10.0]);
//!
//! // Bad input is an error, and nothing is written.
//! let err = gather(Table::new(&w, 3)?, &[4u32], &mut out[..3]).unwrap_err();
//! assert_eq!(err.to_string(), "index 4 at position 0 is out of range: the table has 4 rows");
//! # Ok::<(), embedding_kernels::Error>(())
//! ```
//!
//! # Tables
//!
//! A [`Table`] borrows row-major data, zero-copy: [`Table::new`] from a
//! slice and `dim`, [`Table::from_rows`] from rows held as arrays
//! (`&[[f32; 64]]`; the same as `Table::new(rows.as_flattened(), 64)`),
//! and [`Table::from_bytes`] from bytes, naming the format
//! (`Table::<f32>::from_bytes`, `Table::<quantized::Q8_0>::from_bytes`).
//! For a table in a `static` or in flash (`include_bytes!`), keep the
//! bytes in an [`Aligned`]. [`TableMut`] is the same for
//! [`scatter_add`].
//!
//! Where a table starts changes speed, never results. Rows of 64 bytes
//! (16 f32 columns) from a table on a 64-byte boundary sit in one cache
//! line each; from a heap `Vec<f32>` of a few hundred KB, which glibc
//! starts 16 bytes past a line, each touches two. In the crate's report
//! (AMD Zen 4, tables in cache) gathers of such rows ran at 0.74–0.76×
//! the speed they had from a line-aligned table, gathers and scatter-add
//! of 256-byte rows at 0.86–0.88×. Small-row tables that stay in cache
//! are worth a 64-byte-aligned allocation ([`Aligned`] for statics; a
//! memory map is page-aligned, so a tensor at a 64-byte file offset is
//! too).
//!
//! # Semantics
//!
//! Every path (portable, SSE2, AVX2, AVX-512, NEON, simd128) gives the same
//! bits, for every input (only where NaNs meet in arithmetic may the payload
//! of the resulting NaN differ):
//!
//! - products and sums round separately, never fused (the one fused
//!   operation is the value of a row-wise 8-bit [`quantized`] table,
//!   `scale·q + bias` rounded once, as its reference computes it);
//! - same-type gathers copy bits; f16/bf16 → f32 widens exactly, and
//!   conversions give `half`'s bits, NaNs included (quiet, payload kept);
//! - indices are checked (`0 <= i < rows`, negatives rejected) before
//!   anything is written; an erroring call leaves every buffer untouched;
//! - bag sums run in index order; Mean divides by the count (or `Σw`), SqrtN
//!   by `√count` (or `√Σw²`), a zero divisor giving zeros (TensorFlow's
//!   `div_no_nan`); Max is NaN-propagating and refuses weights; an empty bag
//!   is zeros;
//! - `scatter_add` applies contributions in occurrence order, one rounding
//!   to the table's type per contribution.
//!
//! ## The floating-point environment
//!
//! The above holds in the default environment (round to nearest, no
//! flush-to-zero). A caller that changed it (C code setting MXCSR or FPCR
//! before calling through FFI) gets:
//!
//! - on x86_64, conversions to and from f16/bf16 (gathers, conversions,
//!   the f16/bf16 scatter-add's narrowing) round to nearest even whatever
//!   MXCSR says, on every path: F16C takes its rounding as an immediate,
//!   and the SSE2 path and scalar tails round with exact integer steps;
//! - the arithmetic of bags and scatter-add (products, sums, divisions)
//!   follows the current rounding mode and flush flags, identically on
//!   every x86_64 path (the portable loops compile to the same SSE
//!   arithmetic), so the paths still agree bit for bit (`tests/fpenv.rs`);
//! - on aarch64 the arithmetic follows FPCR on every path too, and so does
//!   NEON's f16 narrowing (FCVTN), while the portable path's narrowing
//!   (`half`) always rounds to nearest: under a non-default FPCR rounding
//!   mode, f16 results of the two paths may differ. wasm has one mode.
//!
//! # Crate features
//!
//! - `std` (default): detects the CPU's instruction sets at run time and
//!   caches the choice. Without it, the path is the best one the build
//!   target enables (`-C target-feature`, `-C target-cpu`).
//!
//! There is no `alloc` feature: nothing in the crate allocates, so there is
//! nothing for one to turn on.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(feature = "std")]
extern crate std;

mod arch;
mod bags;
pub mod convert;
mod error;
mod format;
mod kernels;
mod math;
pub mod onehot;
pub mod quantized;
mod table;
mod validate;

pub use arch::Isa;
pub use bags::{Bags, Pooling};
pub use error::Error;
pub use format::{Element, Format, GatherInto, Index, bf16, f16};
pub use kernels::Kernels;
pub use table::{Aligned, Table, TableMut};

/// Looks rows up: `out[i·dim .. (i+1)·dim] = table.row(indices[i])`, on the
/// fastest path this CPU has.
///
/// Conversions: f32→f32, f16→f32, bf16→f32, f16→f16, bf16→bf16 (see
/// [`GatherInto`]). Same-type gathers copy bits; widening is exact.
///
/// # Errors
/// Checked in this order, before anything is written:
/// - [`Error::OutputLength`] unless `out.len() == indices.len() · dim`;
/// - [`Error::IndexOutOfRange`] for the first index outside `0..rows`.
///
/// On error `out` is untouched.
#[inline]
pub fn gather<T, O, I>(table: Table<'_, T>, indices: &[I], out: &mut [O]) -> Result<(), Error>
where
    T: GatherInto<O>,
    O: Element,
    I: Index,
{
    Kernels::best().gather(table, indices, out)
}

/// Pooled lookups: for each bag, its rows combined by `pooling` into one
/// f32 row of `out` (`bags · dim` elements).
///
/// The bags' offsets may have an index type other than the indices'
/// (`Bags::new(&ids_i64, &offsets_usize)`; see [`Bags`]).
///
/// Sums run in index order. An empty bag gives zeros in every mode. A
/// weighted Mean or SqrtN bag whose divisor is zero gives zeros.
///
/// # Errors
/// Checked in this order, before anything is written:
/// - [`Error::WeightsWithMax`] for weights with [`Pooling::Max`];
/// - [`Error::WeightsLength`] unless there is one weight per index;
/// - [`Error::OffsetsEmpty`], [`Error::FirstOffset`],
///   [`Error::OffsetOutOfRange`], [`Error::OffsetsDecreasing`],
///   [`Error::LastOffset`] for bad offsets (first offending position);
/// - [`Error::OutputLength`] unless `out.len() == bags · dim`;
/// - [`Error::IndexOutOfRange`] for the first index outside `0..rows`.
///
/// On error `out` is untouched.
#[inline]
pub fn gather_bags<T: Format, I: Index, O: Index>(
    table: Table<'_, T>,
    bags: Bags<'_, I, O>,
    pooling: Pooling,
    out: &mut [f32],
) -> Result<(), Error> {
    Kernels::best().gather_bags(table, bags, pooling, out)
}

/// The gradient with respect to the table: `table[indices[i]] += scale ·
/// grad[i]` for each `i` in order (`W += one_hot(x)ᵀ · (scale · G)`).
///
/// f32 tables: `t = t + scale·g`. f16/bf16 tables:
/// `t = T::from_f32(t.to_f32() + scale·g)`, one nearest-even rounding per
/// contribution; keep an f32 master table for many small updates.
/// Deterministic: no atomics, no reordering visible in the result.
///
/// # Errors
/// Checked in this order, before anything is written:
/// - [`Error::GradientLength`] unless `grad.len() == indices.len() · dim`;
/// - [`Error::IndexOutOfRange`] for the first index outside `0..rows`.
///
/// On error the table is untouched.
#[inline]
pub fn scatter_add<T: Element, I: Index>(
    table: &mut TableMut<'_, T>,
    indices: &[I],
    grad: &[f32],
    scale: f32,
) -> Result<(), Error> {
    Kernels::best().scatter_add(table, indices, grad, scale)
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
