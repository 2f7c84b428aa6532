//! `Table::from_bytes` for every format and `TableMut::from_bytes` for every
//! element type, with `Table::new` and `TableMut::new`: any length, start
//! address and dim give the documented error, or a table over exactly
//! those bytes.
#![no_main]

use embedding_kernels::{Error, Format, Table, TableMut};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let sel = u.u8();
    if sel % 2 == 0 {
        with_float!(sel / 2, T => floats::<T>(&mut u));
    } else {
        with_quantized!(sel / 2, F, unit => table::<F>(&mut u, unit));
    }
});

/// What `from_bytes` must return for `len` bytes at `addr`: the rows.
fn expect<F: Format>(addr: usize, len: usize, dim: usize) -> Result<usize, Error> {
    let row = F::row_units(dim)?;
    let align = align_of::<F::Unit>();
    if addr % align != 0 {
        return Err(Error::Misaligned {
            format: F::NAME,
            offset: addr % align,
            align,
        });
    }
    let row_bytes = row.saturating_mul(size_of::<F::Unit>());
    if len % row_bytes != 0 {
        return Err(Error::ByteLength { len, row_bytes });
    }
    Ok(len / row_bytes)
}

/// A byte buffer and a sub-slice at offset `shift`, of `len` bytes.
fn buffer(u: &mut In<'_>, row_bytes: usize) -> (Vec<u8>, usize, usize) {
    let shift = u.below(9);
    let rows = u.below(6);
    let len = match row_bytes {
        r if r <= 512 => u.len_near(rows * r),
        _ => u.below(64),
    };
    let buf = u.bytes(shift + len);
    (buf, shift, len)
}

fn table<F: Format>(u: &mut In<'_>, unit: usize) -> usize {
    let dim = u.dim(unit, 96);
    let row_bytes = F::row_units(dim).map_or(1, |r| r.saturating_mul(size_of::<F::Unit>()));
    let (buf, shift, len) = buffer(u, row_bytes);
    let bytes = &buf[shift..shift + len];
    let want = expect::<F>(bytes.as_ptr() as usize, len, dim);
    let what = format!("{}: {len} bytes at +{shift}, dim {dim}", F::NAME);
    match Table::<F>::from_bytes(bytes, dim) {
        Err(e) => assert_eq!(Err(e), want, "{what}"),
        Ok(t) => {
            assert_eq!(Ok(t.rows()), want, "{what}");
            assert_eq!(t.dim(), dim, "{what}");
            let s = t.as_slice();
            assert_eq!(s.as_ptr() as usize, bytes.as_ptr() as usize, "{what}");
            assert_eq!(size_of_val(s), len, "{what}");
            let stride = F::row_units(dim).unwrap();
            for r in 0..=t.rows() {
                match t.row(r) {
                    Some(row) => {
                        assert!(r < t.rows(), "{what}: row {r}");
                        assert_eq!(row.as_ptr(), s[r * stride..].as_ptr(), "{what}: row {r}");
                        assert_eq!(row.len(), stride, "{what}: row {r}");
                    }
                    None => assert_eq!(r, t.rows(), "{what}: row {r}"),
                }
            }
            assert!(t.row(usize::MAX).is_none());
        }
    }
    dim
}

fn floats<T: FuzzElement>(u: &mut In<'_>) {
    let dim = table::<T>(u, 1);
    // TableMut::from_bytes: the same checks; rows write where they should.
    let row_bytes = dim.saturating_mul(size_of::<T>()).max(1);
    let (mut buf, shift, len) = buffer(u, row_bytes);
    let before = buf.clone();
    let addr = buf[shift..].as_ptr() as usize;
    let want = expect::<T>(addr, len, dim);
    let what = format!("TableMut<{}>: {len} bytes at +{shift}, dim {dim}", T::NAME);
    match TableMut::<T>::from_bytes(&mut buf[shift..shift + len], dim) {
        Err(e) => {
            assert_eq!(Err(e), want, "{what}");
            assert_eq!(buf, before, "{what}: wrote on error");
        }
        Ok(mut t) => {
            assert_eq!(Ok(t.rows()), want, "{what}");
            assert_eq!(t.dim(), dim, "{what}");
            assert_eq!(t.as_table().rows(), t.rows());
            let rows = t.rows();
            if rows > 0 {
                let r = u.below(rows);
                let v = u.elem::<T>(false);
                t.row_mut(r).unwrap().fill(v);
                assert!(t.row_mut(rows).is_none());
                assert!(t.row(rows).is_none());
                let stride = dim * size_of::<T>();
                for (k, (a, b)) in buf.iter().zip(&before).enumerate() {
                    let inside = k >= shift + r * stride && k < shift + (r + 1) * stride;
                    if !inside {
                        assert_eq!(a, b, "{what}: row {r} written, byte {k} changed");
                    }
                }
            }
        }
    }
    // Table::new and TableMut::new on element slices.
    let n = u.below(70);
    let mut v: Vec<T> = (0..n).map(|_| u.elem::<T>(false)).collect();
    let want = if dim == 0 {
        Err(Error::ZeroDim)
    } else if n % dim != 0 {
        Err(Error::TableLength { len: n, dim })
    } else {
        Ok(n / dim)
    };
    assert_eq!(Table::new(&v, dim).map(|t| t.rows()), want);
    assert_eq!(TableMut::new(&mut v, dim).map(|t| t.rows()), want);
}
