//! `gather` from every quantized format into f32, with every index type, on
//! tables of arbitrary bytes (NaN and infinite scales included), and
//! `dequantize`: the portable path against a model of the format table,
//! every other path against the portable one, `gather` against
//! `one_hot · dequantize(W)`.
#![no_main]

use embedding_kernels::quantized::dequantize;
use embedding_kernels::{Error, Format, GatherInto, Kernels, Table};
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

    let (idx, out_len, expect) = gather_call::<I>(u, rows, dim, 20);
    let what = |p: &dyn std::fmt::Debug| {
        format!(
            "gather {} dim {dim} rows {rows} idx {idx:?} on {p:?}",
            F::NAME
        )
    };
    let call = |p: Path, out: &mut [f32]| p.gather(table, &idx, out);
    let check_ok = |want: &[f32]| {
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
    };
    let before = sentinel::<f32>(out_len);
    let want = check_paths(&what, &before, expect, assert_same, call, check_ok);

    // dequantize: the whole table as gather writes it.
    let expected = rows.saturating_mul(dim);
    let deq_len = u.len_near(expected);
    let (got, deq) = check_call(
        &format_args!("dequantize {} dim {dim} rows {rows}", F::NAME),
        &sentinel::<f32>(deq_len),
        length(deq_len, expected, OUTPUT_LENGTH),
        |d| dequantize(table, d),
    );
    if got.is_err() {
        return;
    }
    let all: Vec<usize> = (0..rows).collect();
    let mut rows_out = vec![0.0f32; rows * dim];
    Kernels::portable()
        .gather(table, &all, &mut rows_out)
        .unwrap();
    assert_same(&"dequantize vs gather of every row", &deq, &rows_out);
    if let Some(want) = want {
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
        if deq.iter().all(|x| x.is_finite()) {
            gather_oracle(&what(&"one-hot oracle"), &idx, rows, dim, &deq, &want);
        }
    }
}
