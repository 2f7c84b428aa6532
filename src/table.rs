//! Borrowed, row-major embedding tables.

use crate::{Element, Error, Format};

/// Checks `dim` and a length in units against a format; returns
/// `(rows, stride)`, the stride being units per row.
fn shape<F: Format>(len: usize, dim: usize) -> Result<(usize, usize), Error> {
    let stride = F::row_units(dim)?;
    if !len.is_multiple_of(stride) {
        return Err(Error::TableLength { len, dim });
    }
    Ok((len / stride, stride))
}

/// Checks a byte slice for use as units of `F` in rows of `dim`; returns
/// the units.
fn units<F: Format>(bytes: &[u8], dim: usize) -> Result<&[F::Unit], Error> {
    let stride = F::row_units(dim)?;
    let align = core::mem::align_of::<F::Unit>();
    let addr = bytes.as_ptr() as usize;
    if !addr.is_multiple_of(align) {
        return Err(Error::Misaligned { addr, align });
    }
    let row_bytes = stride.saturating_mul(core::mem::size_of::<F::Unit>());
    if !bytes.len().is_multiple_of(row_bytes) {
        return Err(Error::ByteLength {
            len: bytes.len(),
            row_bytes,
        });
    }
    bytemuck::try_cast_slice(bytes).map_err(|_| Error::Misaligned { addr, align })
}

/// A read-only `rows × dim` table of format `F`, borrowed row-major.
///
/// For the float formats (`f32`, `f16`, `bf16`) row `i` is
/// `data[i·dim .. (i+1)·dim]`. Copying a `Table` copies the borrow, not the
/// data.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a, F: Format> {
    data: &'a [F::Unit],
    rows: usize,
    dim: usize,
    stride: usize,
}

impl<'a, T: Element> Table<'a, T> {
    /// Borrows `data` as a table of rows of `dim` elements.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::TableLength`] if
    /// `data.len()` is not a multiple of `dim`.
    #[inline]
    pub fn new(data: &'a [T], dim: usize) -> Result<Self, Error> {
        let (rows, stride) = shape::<T>(data.len(), dim)?;
        Ok(Table {
            data,
            rows,
            dim,
            stride,
        })
    }
}

impl<'a, F: Format> Table<'a, F> {
    /// Borrows raw bytes (a file mapping, a `static`, flash) as a table,
    /// zero-copy. The bytes of the float formats are read in the machine's
    /// byte order; the [`quantized`](crate::quantized) formats are bytes
    /// (any alignment) with little-endian fields.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::DimNotMultiple`] for a
    /// dim a block format cannot hold; [`Error::Misaligned`] if the bytes
    /// do not start at a multiple of the format's unit alignment;
    /// [`Error::ByteLength`] if their length is not a whole number of rows.
    #[inline]
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        let data = units::<F>(bytes, dim)?;
        let (rows, stride) = shape::<F>(data.len(), dim)?;
        Ok(Table {
            data,
            rows,
            dim,
            stride,
        })
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Values per row.
    #[inline]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i` (its `dim` elements for a float format), or `None` when
    /// `i >= rows`.
    #[inline]
    pub fn row(&self, i: usize) -> Option<&'a [F::Unit]> {
        if i >= self.rows {
            return None;
        }
        self.data.get(i * self.stride..(i + 1) * self.stride)
    }

    /// The whole table, row-major.
    #[inline]
    pub fn as_slice(&self) -> &'a [F::Unit] {
        self.data
    }

    /// Units per row: `dim` for the float formats.
    #[inline]
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }
}

/// A mutable `rows × dim` table of `T`, borrowed row-major: the target of
/// [`scatter_add`](crate::scatter_add).
#[derive(Debug)]
pub struct TableMut<'a, T: Element> {
    data: &'a mut [T],
    rows: usize,
    dim: usize,
}

impl<'a, T: Element> TableMut<'a, T> {
    /// Borrows `data` mutably as a table of rows of `dim` elements.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::TableLength`] if
    /// `data.len()` is not a multiple of `dim`.
    #[inline]
    pub fn new(data: &'a mut [T], dim: usize) -> Result<Self, Error> {
        let (rows, _) = shape::<T>(data.len(), dim)?;
        Ok(TableMut { data, rows, dim })
    }

    /// Borrows raw bytes mutably as a table, zero-copy.
    ///
    /// # Errors
    /// As [`Table::from_bytes`].
    #[inline]
    pub fn from_bytes(bytes: &'a mut [u8], dim: usize) -> Result<Self, Error> {
        units::<T>(bytes, dim)?;
        let addr = bytes.as_ptr() as usize;
        let data: &'a mut [T] =
            bytemuck::try_cast_slice_mut(bytes).map_err(|_| Error::Misaligned {
                addr,
                align: core::mem::align_of::<T>(),
            })?;
        Self::new(data, dim)
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Elements per row.
    #[inline]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i`, or `None` when `i >= rows`.
    #[inline]
    pub fn row(&self, i: usize) -> Option<&[T]> {
        self.as_table().row(i)
    }

    /// Row `i` mutably, or `None` when `i >= rows`.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> Option<&mut [T]> {
        if i >= self.rows {
            return None;
        }
        self.data.get_mut(i * self.dim..(i + 1) * self.dim)
    }

    /// A read-only view of the same table.
    #[inline]
    pub fn as_table(&self) -> Table<'_, T> {
        Table {
            data: self.data,
            rows: self.rows,
            dim: self.dim,
            stride: self.dim,
        }
    }

    /// The whole table, row-major.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        self.data
    }

    /// The whole table, row-major, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.data
    }
}
