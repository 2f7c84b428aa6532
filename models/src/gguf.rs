//! A GGUF file's token-embedding table (`token_embd.weight`), borrowed
//! zero-copy as an embedding-kernels [`Table`] of the tensor's own type.
//!
//! The header, metadata and tensor infos are parsed by `gguf-rs-lib`'s
//! `GGUFFileReader` over the mapped bytes (it reads no tensor payload); the
//! payload is then a sub-slice of the same bytes at
//! `data section start + tensor offset`, the data section starting at the
//! first multiple of `general.alignment` (default 32) after the tensor
//! infos.
//!
//! Supported types: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K. Any other type
//! (Q4_1, Q5_0, Q5_K, IQ*, ...) is [`GgufError::Unsupported`], naming it.
//! Limits: GGUF version 3 only (what gguf-rs-lib reads; llama.cpp and
//! gguf-py have written v3 since 2023); little-endian files only; the table
//! must be 2-D (`[dim, rows]` in GGUF's order, innermost first).

use std::fmt;
use std::io::Cursor;

use embedding_kernels::quantized::{Q4_0, Q4_K, Q6_K, Q8_0};
use embedding_kernels::{Format, Table, bf16, f16};
use gguf_rs_lib::format::GGUFTensorType;
use gguf_rs_lib::reader::GGUFFileReader;

/// The tensor this module looks for.
pub const TOKEN_EMBD: &str = "token_embd.weight";

/// The GGUF types this module borrows, by their GGUF names.
pub const SUPPORTED: &str = "F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K";

/// A table of any supported type (variants named as GGUF names the types).
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub enum AnyTable<'a> {
    /// GGUF F32.
    F32(Table<'a, f32>),
    /// GGUF F16.
    F16(Table<'a, f16>),
    /// GGUF BF16.
    BF16(Table<'a, bf16>),
    /// GGUF Q8_0.
    Q8_0(Table<'a, Q8_0>),
    /// GGUF Q4_0.
    Q4_0(Table<'a, Q4_0>),
    /// GGUF Q4_K.
    Q4_K(Table<'a, Q4_K>),
    /// GGUF Q6_K.
    Q6_K(Table<'a, Q6_K>),
}

/// Runs `$body` with `$t` bound to the table, whatever its type.
macro_rules! each {
    ($self:expr, $t:ident => $body:expr) => {
        match $self {
            AnyTable::F32($t) => $body,
            AnyTable::F16($t) => $body,
            AnyTable::BF16($t) => $body,
            AnyTable::Q8_0($t) => $body,
            AnyTable::Q4_0($t) => $body,
            AnyTable::Q4_K($t) => $body,
            AnyTable::Q6_K($t) => $body,
        }
    };
}

impl<'a> AnyTable<'a> {
    /// Borrows `bytes` (the tensor's payload) as a table of GGUF type `ty`.
    fn borrow(ty: GGUFTensorType, bytes: &'a [u8], dim: usize) -> Result<Self, GgufError> {
        use GGUFTensorType as T;
        let is_float = matches!(ty, T::F32 | T::F16 | T::BF16);
        if is_float && cfg!(target_endian = "big") {
            return Err(GgufError::BigEndianHost);
        }
        let table = match ty {
            T::F32 => AnyTable::F32(Table::from_bytes(bytes, dim)?),
            T::F16 => AnyTable::F16(Table::from_bytes(bytes, dim)?),
            T::BF16 => AnyTable::BF16(Table::from_bytes(bytes, dim)?),
            T::Q8_0 => AnyTable::Q8_0(Table::from_bytes(bytes, dim)?),
            T::Q4_0 => AnyTable::Q4_0(Table::from_bytes(bytes, dim)?),
            T::Q4_K => AnyTable::Q4_K(Table::from_bytes(bytes, dim)?),
            T::Q6_K => AnyTable::Q6_K(Table::from_bytes(bytes, dim)?),
            other => return Err(GgufError::Unsupported(other.name())),
        };
        Ok(table)
    }

    /// The format's name in embedding-kernels (`Format::NAME`).
    pub fn format_name(&self) -> &'static str {
        fn name<F: Format>(_: &Table<'_, F>) -> &'static str {
            F::NAME
        }
        each!(self, t => name(t))
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        each!(self, t => t.rows())
    }

    /// Values per row.
    pub fn dim(&self) -> usize {
        each!(self, t => t.dim())
    }

    /// [`embedding_kernels::gather`] into f32.
    pub fn gather(&self, ids: &[u32], out: &mut [f32]) -> Result<(), embedding_kernels::Error> {
        each!(*self, t => embedding_kernels::gather(t, ids, out))
    }
}

/// A GGUF file's token-embedding table and where it was found.
#[derive(Clone, Copy, Debug)]
pub struct TokenEmbd<'a> {
    /// The table, borrowed from the file's bytes.
    pub table: AnyTable<'a>,
    /// The tensor's GGUF type name (`Q8_0`, ...).
    pub ggml_type: &'static str,
    /// GGUF version.
    pub version: u32,
    /// Tensors in the file.
    pub tensors: usize,
    /// `general.alignment` (32 when absent).
    pub alignment: u64,
    /// Byte offset of the payload in the file.
    pub file_offset: usize,
    /// Payload bytes.
    pub bytes: usize,
}

/// Why a file's token-embedding table could not be borrowed.
#[derive(Debug)]
pub enum GgufError {
    /// The header, metadata or tensor infos did not parse (gguf-rs-lib's
    /// message).
    Read(gguf_rs_lib::GGUFError),
    /// No `token_embd.weight`; the tensors the file has.
    NoTokenEmbd(Vec<String>),
    /// A type embedding-kernels has no format for.
    Unsupported(&'static str),
    /// Not a 2-D tensor.
    Shape(Vec<u64>),
    /// The payload lies (partly) past the end of the file.
    Truncated {
        /// Its end, in bytes.
        end: u64,
        /// The file's length.
        len: usize,
    },
    /// F32/F16/BF16 payloads are little-endian; this host is not.
    BigEndianHost,
    /// The payload did not form a table (wrong length, dim not a multiple
    /// of the block, misaligned float data).
    Table(embedding_kernels::Error),
}

impl fmt::Display for GgufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GgufError::Read(e) => write!(f, "not a readable GGUF v3 file: {e}"),
            GgufError::NoTokenEmbd(names) => {
                let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
                write!(
                    f,
                    "no tensor named {TOKEN_EMBD} (the file's {} tensors: {}{})",
                    names.len(),
                    shown.join(", "),
                    if names.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                )
            }
            GgufError::Unsupported(ty) => write!(
                f,
                "{TOKEN_EMBD} has GGUF type {ty}, which embedding-kernels has no format for \
                 (it reads {SUPPORTED})"
            ),
            GgufError::Shape(dims) => {
                write!(f, "{TOKEN_EMBD} has shape {dims:?}, not [dim, rows]")
            }
            GgufError::Truncated { end, len } => write!(
                f,
                "{TOKEN_EMBD} ends at byte {end}, past the end of the file ({len} bytes)"
            ),
            GgufError::BigEndianHost => write!(
                f,
                "GGUF float tables are little-endian and embedding-kernels reads floats in \
                 the host's order: this big-endian host would need a converted copy"
            ),
            GgufError::Table(e) => write!(f, "{TOKEN_EMBD}: {e}"),
        }
    }
}

impl std::error::Error for GgufError {}

impl From<embedding_kernels::Error> for GgufError {
    fn from(e: embedding_kernels::Error) -> Self {
        GgufError::Table(e)
    }
}

impl From<gguf_rs_lib::GGUFError> for GgufError {
    fn from(e: gguf_rs_lib::GGUFError) -> Self {
        GgufError::Read(e)
    }
}

/// Finds `token_embd.weight` in a whole GGUF file's bytes (a memory map)
/// and borrows it as a table of its type.
pub fn token_embd(file: &[u8]) -> Result<TokenEmbd<'_>, GgufError> {
    let reader = GGUFFileReader::new(Cursor::new(file))?;
    let info = reader.get_tensor_info(TOKEN_EMBD).ok_or_else(|| {
        GgufError::NoTokenEmbd(
            reader
                .tensor_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
    })?;
    let ty = info.tensor_type();
    // Name the type before anything else can go wrong with it.
    if !matches!(
        ty,
        GGUFTensorType::F32
            | GGUFTensorType::F16
            | GGUFTensorType::BF16
            | GGUFTensorType::Q8_0
            | GGUFTensorType::Q4_0
            | GGUFTensorType::Q4_K
            | GGUFTensorType::Q6_K
    ) {
        return Err(GgufError::Unsupported(ty.name()));
    }
    let dims = info.shape().dims();
    let (dim, rows) = match *dims {
        [dim, rows] => (dim, rows),
        [dim, rows, ref rest @ ..] if rest.iter().all(|&d| d == 1) => (dim, rows),
        _ => return Err(GgufError::Shape(dims.to_vec())),
    };
    let size = info.checked_expected_data_size()?;
    let start = reader.tensor_data_offset() + info.data_offset();
    let end = start + size;
    let len = file.len();
    let bytes = usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(s, e)| file.get(s..e))
        .ok_or(GgufError::Truncated { end, len })?;
    let dim = usize::try_from(dim).map_err(|_| GgufError::Shape(dims.to_vec()))?;
    let table = AnyTable::borrow(ty, bytes, dim)?;
    if table.rows() as u64 != rows {
        return Err(GgufError::Shape(dims.to_vec()));
    }
    Ok(TokenEmbd {
        table,
        ggml_type: ty.name(),
        version: reader.header().version,
        tensors: reader.tensor_count(),
        alignment: reader.tensor_alignment(),
        file_offset: start as usize,
        bytes: bytes.len(),
    })
}
