//! `scatter_add` into f32, f16 and bf16 tables (`TableMut::new` or
//! `TableMut::from_bytes`), every index type, any gradient and scale:
//! the documented error with the table untouched, or the model's bits
//! (occurrence order, one rounding per contribution), the same on every
//! path (the free function's by-width dispatch included), and the one-hot
//! oracle `W += one_hot(x)ᵀ · (scale · G)` on small finite cases.
#![no_main]

use embedding_kernels::{Error, TableMut, onehot};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let (t, i) = (u.u8(), u.u8());
    with_float!(t, T => with_index!(i, I => run::<T, I>(&mut u)));
});

fn run<T: FuzzElement, I: FuzzIndex>(u: &mut In<'_>) {
    let finite = u.one_in(2);
    let dim = u.dim(1, 40);
    let rows = if dim <= 64 { u.below(9) } else { 0 };
    let data: Vec<T> = (0..rows * dim).map(|_| u.elem::<T>(finite)).collect();
    let idx = u.indices::<I>(rows, 24);
    let n = idx.len();
    let expected_len = n.saturating_mul(dim);
    let grad_len = u.len_near(expected_len);
    let grad: Vec<f32> = (0..grad_len).map(|_| u.f32(finite)).collect();
    let scale = u.f32(finite);
    let pad = u.below(4);
    let by_bytes = u.one_in(2);
    let expect = if dim == 0 {
        Err(Error::ZeroDim)
    } else {
        length_then_indices(grad_len, expected_len, GRADIENT_LENGTH, &idx, rows)
    };
    let what = |p: &dyn std::fmt::Debug| {
        format!(
            "scatter_add {} dim {dim} rows {rows} idx {idx:?} scale {scale:?} on {p:?}",
            T::NAME
        )
    };

    // Each path on a fresh copy of the table, `pad` elements into its
    // buffer (which must stay as it was on error).
    let call = |p: Path, buf: &mut [T]| {
        let table = &mut buf[pad..];
        let mut t = if by_bytes {
            TableMut::<T>::from_bytes(bytemuck::cast_slice_mut(table), dim)
        } else {
            TableMut::new(table, dim)
        }?;
        p.scatter_add(&mut t, &idx, &grad, scale)
    };
    let check_ok = |after: &[T]| {
        let want = &after[pad..];
        // The model: contributions in occurrence order, one rounding each.
        let mut m = data.clone();
        for (k, &i) in idx.iter().enumerate() {
            let row = &mut m[i.value() as usize * dim..][..dim];
            for (j, t) in row.iter_mut().enumerate() {
                *t = T::from_f32(t.to_f32() + scale * grad[k * dim + j]);
            }
        }
        assert_same(&what(&"portable vs the model"), want, &m);
        let sg: Vec<f32> = grad.iter().map(|&g| scale * g).collect();
        if finite
            && small(n, rows, dim)
            && sg.iter().all(|x| x.is_finite())
            && data.iter().all(|x| !x.nan())
        {
            let mut a = vec![0.0f32; n * rows];
            onehot::one_hot(&idx, rows, &mut a).unwrap();
            let mut c = data.clone();
            onehot::matmul_transposed(&a, &sg, &mut c, n, rows, dim).unwrap();
            assert_oracle(&what(&"one-hot oracle"), want, &c);
        }
    };
    let before = padded(&data, pad);
    check_paths(&what, &before, expect, assert_same, call, check_ok);
}
