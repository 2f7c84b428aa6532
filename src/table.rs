//! Borrowed, row-major embedding tables.

use crate::{Element, Error};

/// Checks `dim` and the element count; returns the row count.
fn row_count(len: usize, dim: usize) -> Result<usize, Error> {
    if dim == 0 {
        return Err(Error::ZeroDim);
    }
    if !len.is_multiple_of(dim) {
        return Err(Error::TableLength { len, dim });
    }
    Ok(len / dim)
}

/// Checks a byte slice for use as `T` elements in rows of `dim`.
fn check_bytes<T: Element>(bytes: &[u8], dim: usize) -> Result<(), Error> {
    if dim == 0 {
        return Err(Error::ZeroDim);
    }
    let align = core::mem::align_of::<T>();
    let addr = bytes.as_ptr() as usize;
    if !addr.is_multiple_of(align) {
        return Err(Error::Misaligned { addr, align });
    }
    let row_bytes = dim.saturating_mul(core::mem::size_of::<T>());
    if !bytes.len().is_multiple_of(row_bytes) {
        return Err(Error::ByteLength {
            len: bytes.len(),
            row_bytes,
        });
    }
    Ok(())
}

/// A read-only `rows × dim` table of `T`, borrowed row-major.
///
/// Row `i` is `data[i·dim .. (i+1)·dim]`. Copying a `Table` copies the borrow,
/// not the data.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a, T: Element> {
    data: &'a [T],
    rows: usize,
    dim: usize,
}

impl<'a, T: Element> Table<'a, T> {
    /// Borrows `data` as a table of rows of `dim` elements.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::TableLength`] if
    /// `data.len()` is not a multiple of `dim`.
    #[inline]
    pub fn new(data: &'a [T], dim: usize) -> Result<Self, Error> {
        let rows = row_count(data.len(), dim)?;
        Ok(Table { data, rows, dim })
    }

    /// Borrows raw bytes (a file mapping, a `static`, flash) as a table,
    /// zero-copy. The bytes are read as `T` in the machine's byte order.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::Misaligned`] if the bytes
    /// do not start at a multiple of `align_of::<T>()`; [`Error::ByteLength`]
    /// if their length is not a whole number of rows.
    #[inline]
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        check_bytes::<T>(bytes, dim)?;
        let data: &'a [T] = bytemuck::try_cast_slice(bytes).map_err(|_| Error::Misaligned {
            addr: bytes.as_ptr() as usize,
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
    pub fn row(&self, i: usize) -> Option<&'a [T]> {
        if i >= self.rows {
            return None;
        }
        self.data.get(i * self.dim..(i + 1) * self.dim)
    }

    /// The whole table, row-major.
    #[inline]
    pub fn as_slice(&self) -> &'a [T] {
        self.data
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
        let rows = row_count(data.len(), dim)?;
        Ok(TableMut { data, rows, dim })
    }

    /// Borrows raw bytes mutably as a table, zero-copy.
    ///
    /// # Errors
    /// As [`Table::from_bytes`].
    #[inline]
    pub fn from_bytes(bytes: &'a mut [u8], dim: usize) -> Result<Self, Error> {
        check_bytes::<T>(bytes, dim)?;
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
        if i >= self.rows {
            return None;
        }
        self.data.get(i * self.dim..(i + 1) * self.dim)
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
