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
    aligned::<F>(bytes)?;
    let row_bytes = stride.saturating_mul(core::mem::size_of::<F::Unit>());
    if !bytes.len().is_multiple_of(row_bytes) {
        return Err(Error::ByteLength {
            len: bytes.len(),
            row_bytes,
        });
    }
    // Aligned and a whole number of units: the cast cannot fail.
    bytemuck::try_cast_slice(bytes).map_err(|_| Error::ByteLength {
        len: bytes.len(),
        row_bytes,
    })
}

/// Checks that bytes start at a multiple of the alignment of `F`'s unit.
fn aligned<F: Format>(bytes: &[u8]) -> Result<(), Error> {
    let align = core::mem::align_of::<F::Unit>();
    let offset = bytes.as_ptr() as usize % align;
    if offset != 0 {
        return Err(Error::Misaligned {
            format: F::NAME,
            offset,
            align,
        });
    }
    Ok(())
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
    /// For rows held as arrays (`Vec<[f32; 64]>`, `&[[f16; 8]]`), use
    /// [`Table::from_rows`], or `Table::new(rows.as_flattened(), D)`.
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::TableLength`] if
    /// `data.len()` is not a multiple of `dim`.
    #[inline]
    pub fn new(data: &'a [T], dim: usize) -> Result<Self, Error> {
        Self::from_units(data, dim)
    }

    /// Borrows rows held as arrays (`&[[T; D]]`, a `Vec<[T; D]>`) as a
    /// table of `D` columns: `Table::new(rows.as_flattened(), D)`, zero-copy.
    ///
    /// ```
    /// use embedding_kernels::{Table, gather};
    ///
    /// let rows: Vec<[f32; 2]> = vec![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    /// let table = Table::from_rows(&rows)?;
    /// assert_eq!((table.rows(), table.dim()), (3, 2));
    ///
    /// let mut out = [[0.0f32; 2]; 2];
    /// gather(table, &[2u32, 0], out.as_flattened_mut())?;
    /// assert_eq!(out, [[5.0, 6.0], [1.0, 2.0]]);
    /// # Ok::<(), embedding_kernels::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `D == 0`.
    #[inline]
    pub fn from_rows<const D: usize>(rows: &'a [[T; D]]) -> Result<Self, Error> {
        Self::new(rows.as_flattened(), D)
    }
}

impl<'a, F: Format> Table<'a, F> {
    /// Borrows raw bytes (a file mapping, a `static`, flash) as a table,
    /// zero-copy. The bytes of the float formats are read in the machine's
    /// byte order; the [`quantized`](crate::quantized) formats are bytes
    /// (any alignment) with little-endian fields.
    ///
    /// Name the format: bytes do not say what they hold, so
    /// `Table::from_bytes(&bytes, 4)` alone fails to compile with `E0283
    /// type annotations needed` unless the table's use pins the format
    /// down. Write `Table::<f32>::from_bytes` (or `Table::<f16>`,
    /// `Table::<Q8_0>`, …), or annotate the binding
    /// (`let t: Table<f32> = …`).
    ///
    /// ```
    /// use embedding_kernels::{Table, gather};
    ///
    /// // Two rows of two f32 values, as bytes in the machine's byte order
    /// // (a file read or mapped, say).
    /// let values = [1.0f32, 2.0, 3.0, 4.0];
    /// let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
    ///
    /// // A Vec<u8> is only guaranteed byte alignment; check, as a mapping's
    /// // start is always aligned.
    /// if let Ok(table) = Table::<f32>::from_bytes(&bytes, 2) {
    ///     let mut out = [0.0f32; 2];
    ///     gather(table, &[1u32], &mut out)?;
    ///     assert_eq!(out, [3.0, 4.0]);
    /// }
    /// # Ok::<(), embedding_kernels::Error>(())
    /// ```
    ///
    /// The bytes must start at a multiple of the format's alignment (4 for
    /// `f32`, 2 for `f16`/`bf16`, 1 for the quantized formats). Memory
    /// maps and `Vec<f32>` are; `include_bytes!` and a `Vec<u8>` are not
    /// guaranteed to be. For a table in a `static` (or in flash), wrap the
    /// bytes in [`Aligned`]:
    ///
    /// ```
    /// use embedding_kernels::{Aligned, Table, gather};
    ///
    /// // In a program: `&Aligned(*include_bytes!("table.f32"))`. Here a
    /// // 2 × 2 table spelled out in little-endian bytes: 1, 2, 3, 4.
    /// static TABLE: &Aligned<[u8]> =
    ///     &Aligned(*b"\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40");
    ///
    /// let table = Table::<f32>::from_bytes(&TABLE.0, 2)?;
    /// let mut out = [0.0f32; 2];
    /// gather(table, &[1u32], &mut out)?;
    /// # #[cfg(target_endian = "little")]
    /// assert_eq!(out, [3.0, 4.0]);
    /// # Ok::<(), embedding_kernels::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `dim == 0`; [`Error::DimNotMultiple`] for a
    /// dim a block format cannot hold; [`Error::Misaligned`] if the bytes
    /// do not start at a multiple of the format's unit alignment;
    /// [`Error::ByteLength`] if their length is not a whole number of rows.
    #[inline]
    pub fn from_bytes(bytes: &'a [u8], dim: usize) -> Result<Self, Error> {
        Self::from_units(units::<F>(bytes, dim)?, dim)
    }

    /// The table over `data`, whole rows of `dim` columns in the format's
    /// units: where `new` and `from_bytes` meet.
    #[inline]
    fn from_units(data: &'a [F::Unit], dim: usize) -> Result<Self, Error> {
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

    /// Borrows rows held as arrays (`&mut [[T; D]]`, a `Vec<[T; D]>`)
    /// mutably as a table of `D` columns:
    /// `TableMut::new(rows.as_flattened_mut(), D)`.
    ///
    /// ```
    /// use embedding_kernels::{TableMut, scatter_add};
    ///
    /// let mut rows = vec![[0.0f32; 2]; 3];
    /// scatter_add(&mut TableMut::from_rows_mut(&mut rows)?, &[1u32], &[1.0, 2.0], 0.5)?;
    /// assert_eq!(rows, [[0.0, 0.0], [0.5, 1.0], [0.0, 0.0]]);
    /// # Ok::<(), embedding_kernels::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ZeroDim`] if `D == 0`.
    #[inline]
    pub fn from_rows_mut<const D: usize>(rows: &'a mut [[T; D]]) -> Result<Self, Error> {
        Self::new(rows.as_flattened_mut(), D)
    }

    /// Borrows raw bytes mutably as a table, zero-copy.
    ///
    /// # Errors
    /// As [`Table::from_bytes`].
    #[inline]
    pub fn from_bytes(bytes: &'a mut [u8], dim: usize) -> Result<Self, Error> {
        units::<T>(bytes, dim)?;
        let len = bytes.len();
        // Checked by `units`: aligned, a whole number of rows.
        let data: &'a mut [T] =
            bytemuck::try_cast_slice_mut(bytes).map_err(|_| Error::ByteLength {
                len,
                row_bytes: dim.saturating_mul(core::mem::size_of::<T>()),
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

/// A value aligned to 64 bytes: the way to keep a table's bytes in a
/// `static` (or in flash) for [`Table::from_bytes`].
///
/// `include_bytes!` gives a `&[u8; N]` aligned to 1 byte only, so an f32
/// table included as is may start anywhere (and `from_bytes` says
/// [`Error::Misaligned`]). Wrapped, the bytes start at a multiple of 64 (a
/// cache line; more than any format needs), and `&TABLE.0` (or `&*TABLE`)
/// is the slice to borrow:
///
/// ```
/// use embedding_kernels::{Aligned, Table};
///
/// // In a program: = &Aligned(*include_bytes!("table.f32"));
/// static TABLE: &Aligned<[u8]> = &Aligned([0; 3 * 64 * 4]);
///
/// let table = Table::<f32>::from_bytes(&TABLE.0, 64)?;
/// assert_eq!(table.rows(), 3);
/// # Ok::<(), embedding_kernels::Error>(())
/// ```
///
/// `Aligned<[u8]>` holds any length; `Aligned<[u8; N]>` or
/// `Aligned<[f32; N]>` work too, with `N` spelled out.
#[repr(C, align(64))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Aligned<T: ?Sized>(pub T);

impl<T: ?Sized> core::ops::Deref for Aligned<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> core::ops::DerefMut for Aligned<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
