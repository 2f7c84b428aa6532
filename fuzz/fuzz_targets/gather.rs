//! `gather` from f32, f16 and bf16 tables into f32 and into the same type,
//! with every index type; tables borrowed with `Table::new` or
//! `Table::from_bytes` at several alignments.
#![no_main]

use embedding_kernels::{Error, GatherInto, Table};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let (t, same, i) = (u.u8(), u.one_in(2), u.u8());
    with_float!(t, T => with_index!(i, I => if same {
        run::<T, T, I>(&mut u)
    } else {
        run::<T, f32, I>(&mut u)
    }));
});

fn run<T, O, I>(u: &mut In<'_>)
where
    T: FuzzElement + GatherInto<O>,
    O: FuzzElement,
    I: FuzzIndex,
{
    let finite = u.one_in(2);
    let dim = u.dim(1, 40);
    let rows = if dim <= 64 { u.below(9) } else { 0 };
    let len = u.len_near(rows * dim);
    let data: Vec<T> = (0..len).map(|_| u.elem::<T>(finite)).collect();
    let pad = u.below(4);
    let buf = padded(&data, pad);
    let slice = &buf[pad..];
    let by_bytes = u.one_in(2);
    let made = if by_bytes {
        Table::<T>::from_bytes(bytes_of(slice), dim)
    } else {
        Table::new(slice, dim)
    };
    let expect_table = if dim == 0 {
        Err(Error::ZeroDim)
    } else if len % dim != 0 {
        Err(if by_bytes {
            Error::ByteLength {
                len: len * size_of::<T>(),
                row_bytes: dim.saturating_mul(size_of::<T>()),
            }
        } else {
            Error::TableLength { len, dim }
        })
    } else {
        Ok(len / dim)
    };
    let table = match made {
        Ok(t) => t,
        Err(e) => {
            assert_eq!(Err(e), expect_table, "Table of {len} {} by {dim}", T::NAME);
            return;
        }
    };
    assert_eq!(Ok(table.rows()), expect_table);
    let rows = table.rows();

    let (idx, out_len, expect) = gather_call::<I>(u, rows, dim, 24);
    let what = |p: &dyn std::fmt::Debug| {
        format!(
            "gather {}->{} dim {dim} rows {rows} idx {idx:?} on {p:?}",
            T::NAME,
            O::NAME
        )
    };
    // Gathers copy or widen exactly: the same bits on every path, NaNs
    // included.
    let call = |p: Path, out: &mut [O]| p.gather(table, &idx, out);
    let check_ok = |want: &[O]| {
        // The model: each output row is the table's row, its bits copied
        // for same-type gathers, widened exactly (NaNs quiet, payload kept)
        // into f32.
        for (r, &i) in idx.iter().enumerate() {
            let src = &slice[i.value() as usize * dim..][..dim];
            let got = &want[r * dim..][..dim];
            let model: Vec<O> = src
                .iter()
                .map(|&x| {
                    if T::NAME == O::NAME {
                        bytemuck::cast_slice::<T, O>(&[x])[0]
                    } else {
                        O::from_f32(x.to_f32())
                    }
                })
                .collect();
            assert_bits(&what(&"portable vs the row"), got, &model);
        }
        // The one-hot oracle on small finite tables.
        if finite && data.iter().all(|x| !x.nan()) {
            let w = &slice[..rows * dim];
            gather_oracle(&what(&"one-hot oracle"), &idx, rows, dim, w, want);
        }
    };
    let before = sentinel::<O>(out_len);
    check_paths(&what, &before, expect, assert_bits, call, check_ok);
}
