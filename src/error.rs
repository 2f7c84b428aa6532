//! The one error type of the crate.

use core::fmt;

/// Everything that can be wrong with the input of a call.
///
/// Every kernel checks its whole input before it writes anything, so a call
/// that returns an `Error` has left every output and every table
/// byte-identical to what it was before the call.
///
/// Lengths that would overflow `usize` when multiplied (`indices · dim`) are
/// reported with `expected: usize::MAX`, a length no slice of these element
/// types can have.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// A table was given `dim == 0`.
    ZeroDim,
    /// A table's element count is not a multiple of its `dim`.
    TableLength {
        /// Elements in the slice.
        len: usize,
        /// The row width it must be a multiple of.
        dim: usize,
    },
    /// Bytes handed to `from_bytes` do not start at a multiple of the
    /// format's alignment. Keep them in an [`Aligned`](crate::Aligned)
    /// (a `static`, `include_bytes!`), or copy them into a `Vec` of the
    /// element type.
    Misaligned {
        /// The format's name (`Format::NAME`).
        format: &'static str,
        /// How far past a multiple of `align` the bytes start (their
        /// address modulo `align`, never 0).
        offset: usize,
        /// The alignment the format's unit needs, in bytes.
        align: usize,
    },
    /// A byte length that is not a whole number of rows.
    ByteLength {
        /// Bytes given.
        len: usize,
        /// Bytes in one row (`dim · size_of::<T>()`), saturated at `usize::MAX`.
        row_bytes: usize,
    },
    /// An index outside `0..rows` (negative values of signed types included).
    IndexOutOfRange {
        /// Position of the index in the index slice.
        position: usize,
        /// The index value.
        value: i128,
        /// Rows in the table: valid indices are `0..rows`.
        rows: usize,
    },
    /// The output slice does not have the length the call writes.
    OutputLength {
        /// Elements in the output.
        len: usize,
        /// Elements it must have.
        expected: usize,
    },
    /// The gradient rows of `scatter_add` do not have `indices · dim` elements.
    GradientLength {
        /// Elements given.
        len: usize,
        /// Elements needed.
        expected: usize,
    },
    /// Bag offsets are empty: there must be `bags + 1` of them.
    OffsetsEmpty,
    /// The first bag offset is not 0.
    FirstOffset {
        /// The value found.
        value: i128,
    },
    /// A bag offset is smaller than the one before it.
    OffsetsDecreasing {
        /// Position of the offending offset.
        position: usize,
        /// Its value.
        value: i128,
        /// The value before it.
        previous: i128,
    },
    /// A bag offset points outside `0..=indices.len()` (negative included).
    OffsetOutOfRange {
        /// Position of the offending offset.
        position: usize,
        /// Its value.
        value: i128,
        /// The number of indices: offsets may be at most this.
        len: usize,
    },
    /// The last bag offset is not the number of indices.
    LastOffset {
        /// The value found.
        value: i128,
        /// The number of indices it must equal.
        len: usize,
    },
    /// Per-index weights do not have one weight per index.
    WeightsLength {
        /// Weights given.
        len: usize,
        /// Indices there are.
        expected: usize,
    },
    /// Weights were given with [`Pooling::Max`](crate::Pooling::Max), which has no
    /// weighted form.
    WeightsWithMax,
    /// A matrix handed to the dense oracle (`onehot`) does not have
    /// `rows · cols` elements.
    MatrixLength {
        /// Which operand: `"a"`, `"b"`, `"c"` or `"out"`.
        matrix: &'static str,
        /// Elements given.
        len: usize,
        /// Elements needed.
        expected: usize,
    },
    /// Source and destination of a slice conversion differ in length.
    ConvertLength {
        /// Elements in the source.
        src: usize,
        /// Elements in the destination.
        dst: usize,
    },
    /// A dim that a block format cannot hold: it must be a multiple of the
    /// format's block (GGUF Q8_0 and Q4_0: 32).
    DimNotMultiple {
        /// The format's name (`Format::NAME`).
        format: &'static str,
        /// The dim given.
        dim: usize,
        /// The block size it must be a multiple of.
        block: usize,
    },
    /// A quantizer's input holds a NaN or an infinity.
    NonFinite {
        /// The row of the first one.
        row: usize,
        /// Its column.
        column: usize,
    },
    /// A row of finite values whose scale (or bias) in the format would not
    /// be finite, so the reference quantizer would make a row of NaNs: a
    /// range beyond f32 (8-bit), beyond f16 (4-/2-bit: a scale or a minimum
    /// beyond ±65504), or a GGUF block whose f16 scale overflows.
    ScaleOverflow {
        /// The format's name (`Format::NAME`).
        format: &'static str,
        /// The row.
        row: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::ZeroDim => write!(f, "table dim is 0: rows must have at least one element"),
            Error::TableLength { len, dim } => {
                write!(f, "table has {len} elements, not a multiple of dim {dim}")
            }
            Error::Misaligned {
                format,
                offset,
                align,
            } => write!(
                f,
                "{format} table bytes start {offset} byte{} past a multiple of {align}, \
                 the alignment {format} needs: start them at a multiple of {align} \
                 (embedding_kernels::Aligned for a static or include_bytes!) or copy them into a Vec<{format}>",
                if offset == 1 { "" } else { "s" }
            ),
            Error::ByteLength { len, row_bytes } => write!(
                f,
                "table has {len} bytes, not a multiple of the row size {row_bytes} bytes"
            ),
            Error::IndexOutOfRange {
                position,
                value,
                rows,
            } => write!(
                f,
                "index {value} at position {position} is out of range: the table has {rows} rows"
            ),
            Error::OutputLength { len, expected } => {
                write!(f, "output has {len} elements, expected {expected}")
            }
            Error::GradientLength { len, expected } => write!(
                f,
                "gradient rows have {len} elements, expected {expected} (indices · dim)"
            ),
            Error::OffsetsEmpty => {
                write!(f, "bag offsets are empty: there must be bags + 1 of them")
            }
            Error::FirstOffset { value } => {
                write!(f, "first bag offset is {value}, it must be 0")
            }
            Error::OffsetsDecreasing {
                position,
                value,
                previous,
            } => write!(
                f,
                "bag offset {value} at position {position} is below the offset before it, {previous}"
            ),
            Error::OffsetOutOfRange {
                position,
                value,
                len,
            } => write!(
                f,
                "bag offset {value} at position {position} is outside 0..={len} (the index count)"
            ),
            Error::LastOffset { value, len } => write!(
                f,
                "last bag offset is {value}, it must equal the index count {len}"
            ),
            Error::WeightsLength { len, expected } => {
                write!(f, "{len} weights given for {expected} indices")
            }
            Error::WeightsWithMax => write!(f, "weights cannot be used with max pooling"),
            Error::MatrixLength {
                matrix,
                len,
                expected,
            } => write!(f, "matrix {matrix} has {len} elements, expected {expected}"),
            Error::ConvertLength { src, dst } => write!(
                f,
                "conversion source has {src} elements but destination has {dst}"
            ),
            Error::DimNotMultiple { format, dim, block } => write!(
                f,
                "dim {dim} is not a multiple of {block}, the block size of format {format}"
            ),
            Error::NonFinite { row, column } => {
                write!(f, "input value at row {row}, column {column} is not finite")
            }
            Error::ScaleOverflow { format, row } => write!(
                f,
                "row {row} cannot be quantized to {format}: its scale or bias would not be finite"
            ),
        }
    }
}

impl core::error::Error for Error {}
