//! `gather` from every quantized format into f32, with every index type, on
//! tables of arbitrary bytes (NaN and infinite scales included), and
//! `dequantize`: the portable path against a model of the format table,
//! every other path against the portable one, `gather` against
//! `one_hot · dequantize(W)`.
#![no_main]

use embedding_kernels::quantized::dequantize;
use embedding_kernels::{Error, Format, GatherInto, Kernels, Table, onehot};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let (f, i) = (u.u8(), u.u8());
    with_quantized!(f, F, unit => with_index!(i, I => run::<F, I>(&mut u, unit)));
});

fn run<F, I>(u: &mut In<'_>, unit: usize)
where
    F: Format<Unit = u8> + GatherInto<f32>,
    I: FuzzIndex,
{
    let dim = u.dim(unit, 100);
    let row_bytes = match F::row_units(dim) {
        Ok(r) => r,
        Err(e) => {
            assert_eq!(Table::<F>::from_bytes(&[], dim).map(|t| t.rows()), Err(e));
            return;
        }
    };
    let rows = if row_bytes <= 512 { u.below(7) } else { 0 };
    let len = u.len_near(rows * row_bytes);
    let pad = u.below(8);
    let buf = u.bytes(pad + len);
    let bytes = &buf[pad..];
    let table = match Table::<F>::from_bytes(bytes, dim) {
        Ok(t) => t,
        Err(e) => {
            assert_eq!(
                e,
                Error::ByteLength { len, row_bytes },
                "{} {len} bytes dim {dim}",
                F::NAME
            );
            return;
        }
    };
    assert_eq!(table.rows() * row_bytes, len);
    let rows = table.rows();

    let n = u.below(20);
    let idx: Vec<I> = (0..n).map(|_| u.index::<I>(rows)).collect();
    let expected_len = n.saturating_mul(dim);
    let out_len = u.len_near(expected_len);
    let expect = if out_len != expected_len {
        Err(Error::OutputLength {
            len: out_len,
            expected: expected_len,
        })
    } else {
        first_bad_index(&idx, rows).map_or(Ok(()), Err)
    };
    let what = |p: &dyn std::fmt::Debug| {
        format!(
            "gather {} dim {dim} rows {rows} idx {idx:?} on {p:?}",
            F::NAME
        )
    };

    let fresh = sentinel::<f32>(out_len);
    let mut want = fresh.clone();
    let r = Kernels::portable().gather(table, &idx, &mut want);
    assert_eq!(r, expect, "{}", what(&"portable"));
    if r.is_err() {
        assert_bits(&what(&"portable (error)"), &want, &fresh);
    } else {
        for (k, &i) in idx.iter().enumerate() {
            let row = table.row(i.value() as usize).unwrap();
            let model: Vec<f32> = (0..dim)
                .map(|j| quantized_value(F::NAME, row, dim, j))
                .collect();
            assert_same(
                &what(&"portable vs the format's model"),
                &want[k * dim..][..dim],
                &model,
            );
        }
    }
    for &p in others() {
        let mut out = fresh.clone();
        let got = match p {
            Path::Kernels(k) => k.gather(table, &idx, &mut out),
            Path::Free => embedding_kernels::gather(table, &idx, &mut out),
        };
        assert_eq!(got, r, "{}", what(&p));
        if got.is_err() {
            assert_bits(&what(&p), &out, &fresh);
        } else {
            assert_same(&what(&p), &out, &want);
        }
    }

    // dequantize: the whole table as gather writes it.
    let deq_len = u.len_near(rows.saturating_mul(dim));
    let fresh = sentinel::<f32>(deq_len);
    let mut deq = fresh.clone();
    let got = dequantize(table, &mut deq);
    if deq_len != rows * dim {
        assert_eq!(
            got,
            Err(Error::OutputLength {
                len: deq_len,
                expected: rows.saturating_mul(dim)
            }),
            "dequantize {} dim {dim} rows {rows}",
            F::NAME
        );
        assert_bits(&"dequantize (error)", &deq, &fresh);
        return;
    }
    assert_eq!(got, Ok(()), "dequantize {} dim {dim} rows {rows}", F::NAME);
    let all: Vec<usize> = (0..rows).collect();
    let mut rows_out = vec![0.0f32; rows * dim];
    Kernels::portable()
        .gather(table, &all, &mut rows_out)
        .unwrap();
    assert_same(&"dequantize vs gather of every row", &deq, &rows_out);
    if r.is_ok() {
        // gather == one_hot · dequantize(W): row by row exactly, and through
        // the dense oracle on small finite tables.
        for (k, &i) in idx.iter().enumerate() {
            let i = i.value() as usize;
            assert_same(
                &what(&"gather vs dequantize"),
                &want[k * dim..][..dim],
                &deq[i * dim..][..dim],
            );
        }
        if n * rows * dim <= 4096 && rows > 0 && deq.iter().all(|x| x.is_finite()) {
            let mut a = vec![0.0f32; n * rows];
            onehot::one_hot(&idx, rows, &mut a).unwrap();
            let mut c = vec![0.0f32; n * dim];
            onehot::matmul(&a, &deq, &mut c, n, rows, dim).unwrap();
            assert_oracle(&what(&"one-hot oracle"), &want, &c);
        }
    }
}
