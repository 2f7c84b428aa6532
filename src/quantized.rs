//! Quantized tables: FBGEMM's row-wise 8-, 4- and 2-bit formats and GGUF's
//! Q8_0 and Q4_0, with their quantizers and dequantizer, and GGUF's
//! K-quants Q4_K and Q6_K (dequantize only; see "GGUF K-quants").
//!
//! Each format is a zero-sized type implementing [`Format`] with `u8`
//! units: a table is a byte slice of whole rows, borrowed zero-copy at any
//! alignment with [`Table::from_bytes`], and the same [`gather`](crate::gather)
//! (into f32) and [`gather_bags`](crate::gather_bags) calls take it:
//!
//! ```
//! use embedding_kernels::quantized::{dequantize, quantize, Q8_0};
//! use embedding_kernels::{gather, gather_bags, Bags, Format, Pooling, Table};
//!
//! // A 3 × 32 f32 table, quantized to GGUF Q8_0 (34 bytes per row).
//! let w: Vec<f32> = (0..96).map(|v| (v as f32 - 40.0) / 8.0).collect();
//! let mut bytes = vec![0u8; 3 * Q8_0::row_units(32)?];
//! quantize::<Q8_0>(&w, 32, &mut bytes)?;
//! let table = Table::<Q8_0>::from_bytes(&bytes, 32)?;
//!
//! // Lookups give the format's values: exactly the dequantized table's rows.
//! let mut deq = vec![0.0f32; 96];
//! dequantize(table, &mut deq)?;
//! let mut out = vec![0.0f32; 2 * 32];
//! gather(table, &[2u32, 0], &mut out)?;
//! assert_eq!(out[..32], deq[64..]);
//! // Within a step of the block's scale (its largest magnitude / 127).
//! assert!((out[0] - w[64]).abs() <= 6.875 / 127.0);
//!
//! // Bags pool those values as the f32 bags do.
//! let mut pooled = vec![0.0f32; 32];
//! gather_bags(table, Bags::new(&[0u32, 1, 2], &[0, 3]), Pooling::Sum, &mut pooled)?;
//! # Ok::<(), embedding_kernels::Error>(())
//! ```
//!
//! # Formats
//!
//! All fields little-endian; `q` is an element's code.
//!
//! | type | row of `dim` values | value | written by |
//! | --- | --- | --- | --- |
//! | [`Rowwise8`] | `dim` u8 codes, f32 scale, f32 bias (`dim + 8` bytes) | `scale·q + bias`, rounded once | FBGEMM `Fused8BitRowwise`; PyTorch `embedding_bag_byte_prepack` (DLRM, TorchRec) |
//! | [`Rowwise4`] | `⌈dim/2⌉` bytes of 4-bit codes, f16 scale, f16 bias | `scale·q + bias` | FBGEMM `FusedNBitRowwise`; PyTorch `embedding_bag_4bit_prepack` |
//! | [`Rowwise2`] | `⌈dim/4⌉` bytes of 2-bit codes, f16 scale, f16 bias | `scale·q + bias` | FBGEMM `FusedNBitRowwise`; PyTorch `embedding_bag_2bit_prepack` |
//! | [`Q8_0`] | `dim/32` blocks of 34 bytes: f16 `d`, 32 i8 codes | `q·d` | ggml / llama.cpp `block_q8_0`; gguf-py |
//! | [`Q4_0`] | `dim/32` blocks of 18 bytes: f16 `d`, 16 bytes | `(q − 8)·d` | ggml / llama.cpp `block_q4_0`; gguf-py |
//! | [`Q4_K`] | `dim/256` super-blocks of 144 bytes: f16 `d`, f16 `dmin`, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit codes | `(d·sc)·q − dmin·m` per sub-block of 32 | ggml / llama.cpp `block_q4_K`; gguf-py |
//! | [`Q6_K`] | `dim/256` super-blocks of 210 bytes: 128 bytes `ql`, 64 bytes `qh`, 16 i8 scales, f16 `d` | `(d·sc)·(q − 32)` per sub-block of 16 | ggml / llama.cpp `block_q6_K`; gguf-py |
//!
//! - Row-wise 4- and 2-bit: code `c` is in byte `c / k` at bit `(c mod k)·b`
//!   (`b` bits, `k = 8/b` codes per byte), low bits first. Their scale and
//!   bias are f16, so the product `scale·q` is exact in f32 and the value is
//!   rounded once. **Any dim is accepted**: the layout extends naturally,
//!   the unused high bits of the last code byte are written as zero and
//!   never read. PyTorch's prepack functions accept only multiples of `k`
//!   (2 for 4-bit, 4 for 2-bit); their tables are the same bytes.
//! - Row-wise 8-bit: the value is the fused multiply-add `scale·q + bias`
//!   with one rounding (`f32::mul_add`), which is what PyTorch's lookups
//!   give. Every path computes it exactly: AVX2, AVX-512 and NEON with their
//!   FMA instruction; the portable path (and short rows on SSE2 and
//!   simd128) with the f64 sum of the exact product rounded to f32, and
//!   `libm::fmaf` where that sum is an f32 midpoint (musl's method); SSE2
//!   and simd128 in f64 lanes (the product of two f32 is exact there): one rounding of
//!   the f64 sum to f32 where every sum of the row is exact in f64 (scale
//!   and bias within about 2^20 of each other in magnitude, decided once
//!   per row), else round to odd at f64 precision (TwoSum), then to
//!   nearest.
//! - Q4_0: byte `j` of a block holds element `j` in its low nibble and
//!   element `j + 16` in its high nibble. Q8_0 and Q4_0 need a dim that is a
//!   multiple of 32, Q4_K and Q6_K a multiple of 256
//!   ([`Error::DimNotMultiple`]).
//!
//! Any bytes form a valid table: a NaN or infinite scale (or bias) gives
//! NaN or infinite values, never undefined behaviour or a panic. Wrong byte
//! lengths, dim 0 and unsupported dims are errors of `Table::from_bytes`.
//!
//! # Semantics
//!
//! - `gather` writes each element's value as above, so
//!   `gather == one_hot · dequantize(W)` exactly, on every path.
//! - `gather_bags` pools those values with the float bags' arithmetic (index
//!   order, weight times value, then add, never fused), so it equals
//!   `gather_bags` over the dequantized f32 table bit for bit.
//! - PyTorch's quantized bags fuse instead: per row,
//!   `acc = fma(w·scale, q, acc + w·bias)`. The two results differ by
//!   rounding only; the golden tests hold the difference to
//!   `8·2⁻²⁴ · Σ (|w·scale·q| + |w·bias|)` per element (the sum of the
//!   absolute values of PyTorch's own terms); the largest measured on the
//!   golden bags (bags of up to 12 rows, with and without weights) is
//!   4.3·2⁻²⁴ for 8-bit, 3.3·2⁻²⁴ for 4-bit and 2.1·2⁻²⁴ for 2-bit. Relative
//!   to the values' own absolute sum `Σ |w·v|` there is no such bound, since
//!   `scale·q` and `bias` may cancel.
//!
//! # GGUF K-quants
//!
//! [`Q4_K`] and [`Q6_K`] are the token-embedding types of llama.cpp's
//! `Q4_K_M` files (and of models with tied embeddings). Their tables are
//! GGUF tensor data as it lies in the file: a row of `dim` values is
//! `dim/256` super-blocks, so `dim` must be a multiple of 256
//! ([`Error::DimNotMultiple`]), and `Table::<Q4_K>::from_bytes(bytes, dim)`
//! borrows it zero-copy at any alignment. The layouts and the arithmetic
//! are ggml's `dequantize_row_q4_K` and `dequantize_row_q6_K`
//! (`ggml-quants.c`), operation for operation:
//!
//! - **Q4_K**: `d` and `dmin` widened from f16; sub-block `s` (elements
//!   `32s .. 32s + 32`) has a 6-bit scale `sc` and min `m` unpacked from
//!   the 12 bytes as ggml's `get_scale_min_k4`; its codes are the low
//!   nibbles of code bytes `32⌊s/2⌋ ..` for even `s`, the high nibbles of
//!   the same 32 bytes for odd `s`. Value `d1·q − m1` with `d1 = d·sc` and
//!   `m1 = dmin·m` each rounded to f32 first, never fused (the three
//!   products are exact, so the subtraction is the one rounding).
//! - **Q6_K**: a 6-bit code `q` from a nibble of `ql` (its low 4 bits) and
//!   a pair of bits of `qh` (its high 2), element `e` scaled by the i8
//!   `scales[e/16]`; value `(d·sc)·(q − 32)`, left to right (exact: no
//!   rounding at all).
//!
//! So every value is ggml's and gguf-py's bit for bit, signed zeros
//! included (checked on every path against golden vectors made by gguf-py
//! and against a transcription of ggml's loops). A NaN or infinite `d` or
//! `dmin` gives NaN or infinite values, never undefined behaviour or a
//! panic; any bytes form a valid table.
//!
//! ```
//! use embedding_kernels::quantized::{dequantize, Q4_K};
//! use embedding_kernels::{f16, gather, Error, Table};
//!
//! // One Q4_K super-block, a row of dim 256: d = 0.5, dmin = 0.25,
//! // sub-block 0 with scale 3 and min 5, element 0 with code 7.
//! let mut block = [0u8; 144];
//! block[..2].copy_from_slice(&f16::from_f32(0.5).to_le_bytes());
//! block[2..4].copy_from_slice(&f16::from_f32(0.25).to_le_bytes());
//! block[4] = 3; // scale of sub-block 0 (low 6 bits)
//! block[8] = 5; // min of sub-block 0 (low 6 bits)
//! block[16] = 0x07; // element 0 (low nibble), element 32 (high nibble)
//! let table = Table::<Q4_K>::from_bytes(&block, 256)?;
//! let mut row = [0.0f32; 256];
//! gather(table, &[0u32], &mut row)?;
//! assert_eq!(row[0], 0.5 * 3.0 * 7.0 - 0.25 * 5.0);
//! assert_eq!(row[1], -0.25 * 5.0);
//!
//! // The whole table as f32: the same values.
//! let mut all = [0.0f32; 256];
//! dequantize(table, &mut all)?;
//! assert_eq!(all, row);
//!
//! // dim must be a multiple of 256.
//! assert!(matches!(
//!     Table::<Q4_K>::from_bytes(&block, 128),
//!     Err(Error::DimNotMultiple { block: 256, .. })
//! ));
//! # Ok::<(), embedding_kernels::Error>(())
//! ```
//!
//! There is **no quantizer** for them ([`Quantize`] is not implemented):
//! ggml's K-quant quantizers (`quantize_row_q4_K_ref`, `make_qkx2_quants`,
//! `make_qx_quants`) are iterative searches for the best scale, min and
//! codes of each sub-block, with importance weights in llama.cpp's own
//! use, and a lookup table only has to read what they wrote. Quantize with
//! llama.cpp or gguf-py, and borrow the bytes.
//!
//! # Quantizers
//!
//! [`quantize`] reproduces the reference quantizers' bytes exactly
//! (checked against golden vectors made by PyTorch and gguf-py):
//!
//! - **8-bit** (FBGEMM `FloatOrHalfToFused8BitRowwiseQuantizedSBFloat`):
//!   `min`, `max` of the row, `range = max − min`, scale `range / 255`,
//!   bias `min`, codes `lrintf((x − min) · (255 / (range + 1e-8)))` (nearest,
//!   ties to even), every operation in f32.
//! - **4-/2-bit** (FBGEMM `FloatOrHalfToFusedNBitRowwiseQuantizedSBHalf`):
//!   `min` rounded to f16 first (`min_h`, the bias), scale
//!   `f16((max − min_h) / (2^b − 1))` (1 for a constant row; a zero scale is
//!   replaced by 1), codes `clamp(lrintf((x − min_h) · (1 / scale)), 0,
//!   2^b − 1)`.
//! - **Q8_0** (ggml `quantize_row_q8_0_ref`): per block of 32,
//!   `d = amax / 127`, `id = 1/d` (0 if `d == 0`), codes `roundf(x · id)`
//!   (ties away from zero), `d` stored as f16.
//! - **Q4_0** (ggml `quantize_row_q4_0_ref`): per block, `max` the value of
//!   largest magnitude with its sign (the first on ties), `d = max / −8`,
//!   `id = 1/d` (0 if `d == 0`), codes `min(15, trunc(x · id + 8.5))`.
//!
//! Where the references' codes are undefined (a GGUF block so small that
//! `1/d` overflows f32: largest magnitude below `127·2⁻¹²⁸ ≈ 3.7·10⁻³⁷` for
//! Q8_0, `8·2⁻¹²⁸ ≈ 2.4·10⁻³⁸` for Q4_0; its f16 scale is 0, so every value
//! is 0 regardless) the codes written are those of Rust's saturating
//! float-to-integer conversion.
//!
//! # Adding a format
//!
//! One more zero-sized type with `Format`, `Codec` and `GatherInto<f32>`
//! (see `arch` "Architecture"). The K-quants are the worked example of a
//! super-block format (`format/kquants.rs`): `row_units = dim/256 · 144`
//! (or 210); `Codec::load` at column `j` (a multiple of `LANES`, so inside
//! one sub-block) finds the sub-block's scale (and min) and reads its codes
//! with the byte loads the other formats use (`load_u8_and`: Q4_K's
//! nibbles as Q4_0's; Q6_K's 6-bit code assembled in f32 lanes from the
//! masked nibble and the masked `qh` pair, each scaled by a power of two,
//! exact), so no `Vector` method was added. A **TorchRec-style** row-wise layout with
//! scale and bias first and rows padded to an alignment is the row-wise
//! codec with the fields read at offset 0, the codes at offset 4 (f16
//! pair) or 8 (f32 pair), and `row_units` rounded up to the padding.

use crate::format::quantized::{QuantizeRow, RowError};
use crate::{Error, Format, Kernels, Table};

pub use crate::format::kquants::{Q4_K, Q6_K};
pub use crate::format::quantized::{Q4_0, Q8_0, Rowwise2, Rowwise4, Rowwise8};

/// A format with a quantizer: [`Rowwise8`], [`Rowwise4`], [`Rowwise2`],
/// [`Q8_0`], [`Q4_0`]. Sealed.
pub trait Quantize: Format<Unit = u8> + crate::GatherInto<f32> + QuantizeRow {}

impl Quantize for Rowwise8 {}
impl Quantize for Rowwise4 {}
impl Quantize for Rowwise2 {}
impl Quantize for Q8_0 {}
impl Quantize for Q4_0 {}

/// Quantizes a row-major f32 table of rows of `dim` values into `out`, the
/// bytes of a table of format `F` (`rows · F::row_units(dim)` bytes), as
/// the format's reference quantizer does, byte for byte (see the module
/// docs for the rules).
///
/// ```
/// use embedding_kernels::quantized::{quantize, Rowwise4};
///
/// let mut bytes = [0u8; 2 + 4];
/// quantize::<Rowwise4>(&[0.0, 1.0, 2.0, 3.0], 4, &mut bytes)?;
/// // Codes 0, 5, 10, 15 (scale 0.2 in f16), then f16 scale and bias 0.
/// assert_eq!(bytes, [0x50, 0xfa, 0x66, 0x32, 0x00, 0x00]);
/// # Ok::<(), embedding_kernels::Error>(())
/// ```
///
/// # Errors
/// Checked in this order, before anything is written:
/// - [`Error::ZeroDim`] for `dim == 0`, [`Error::DimNotMultiple`] for a dim
///   the format cannot hold;
/// - [`Error::TableLength`] unless `input.len()` is a multiple of `dim`;
/// - [`Error::OutputLength`] unless `out.len()` is `rows · row_units(dim)`;
/// - then row by row, the first row that fails: [`Error::NonFinite`] (its
///   first NaN or infinity), [`Error::ScaleOverflow`] (finite values whose
///   scale or bias the format cannot hold finitely; the reference would
///   write a row of NaNs).
///
/// On error `out` is untouched.
///
/// A finite scale and bias do not make every value finite: a row-wise
/// 8-bit row whose range reaches `f32::MAX` quantizes (`Ok`, as in FBGEMM),
/// yet its largest value dequantizes to `+inf`, because `scale·255 + bias`
/// rounds past `f32::MAX` (the scale `range / 255` was rounded up). The
/// crate keeps the reference's bytes and the format's value rule rather
/// than clamping.
pub fn quantize<F: Quantize>(input: &[f32], dim: usize, out: &mut [u8]) -> Result<(), Error> {
    let row_bytes = F::row_units(dim)?;
    if !input.len().is_multiple_of(dim) {
        return Err(Error::TableLength {
            len: input.len(),
            dim,
        });
    }
    let rows = input.len() / dim;
    let expected = rows.saturating_mul(row_bytes);
    if out.len() != expected {
        return Err(Error::OutputLength {
            len: out.len(),
            expected,
        });
    }
    for (row, x) in input.chunks_exact(dim).enumerate() {
        F::check(x).map_err(|e| match e {
            RowError::NonFinite(column) => Error::NonFinite { row, column },
            RowError::ScaleOverflow => Error::ScaleOverflow {
                format: F::NAME,
                row,
            },
        })?;
    }
    for (x, o) in input.chunks_exact(dim).zip(out.chunks_exact_mut(row_bytes)) {
        F::quantize_row(x, o);
    }
    Ok(())
}

/// Rows per `gather` call of [`dequantize`].
const CHUNK: usize = 256;

/// Dequantizes a whole table into row-major f32 (`rows · dim` values): row
/// `i` is what [`gather`](crate::gather) writes for index `i`, bit for bit
/// (it runs the same kernel, on the fastest path).
///
/// ```
/// use embedding_kernels::quantized::{dequantize, Rowwise8};
/// use embedding_kernels::Table;
///
/// // One row of dim 2: codes 0 and 255, scale 0.5, bias -1.
/// let mut row = vec![0u8, 255];
/// row.extend_from_slice(&0.5f32.to_le_bytes());
/// row.extend_from_slice(&(-1.0f32).to_le_bytes());
/// let mut out = [0.0f32; 2];
/// dequantize(Table::<Rowwise8>::from_bytes(&row, 2)?, &mut out)?;
/// assert_eq!(out, [-1.0, 126.5]);
/// # Ok::<(), embedding_kernels::Error>(())
/// ```
///
/// # Errors
/// [`Error::OutputLength`] unless `out.len() == rows · dim`; `out` is then
/// untouched.
pub fn dequantize<F: crate::GatherInto<f32>>(
    table: Table<'_, F>,
    out: &mut [f32],
) -> Result<(), Error> {
    let (rows, dim) = (table.rows(), table.dim());
    let expected = rows.saturating_mul(dim);
    if out.len() != expected {
        return Err(Error::OutputLength {
            len: out.len(),
            expected,
        });
    }
    let kernels = Kernels::best();
    let mut idx = [0usize; CHUNK];
    for (c, o) in out.chunks_mut(CHUNK.saturating_mul(dim)).enumerate() {
        let n = o.len() / dim;
        for (k, i) in idx[..n].iter_mut().enumerate() {
            *i = c * CHUNK + k;
        }
        kernels.gather(table, &idx[..n], o)?;
    }
    Ok(())
}
