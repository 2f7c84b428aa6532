//! `scatter_add` into f32, f16 and bf16 tables (`TableMut::new` or
//! `TableMut::from_bytes`), every index type, any gradient and scale:
//! the documented error with the table untouched, or the model's bits
//! (occurrence order, one rounding per contribution), the same on every
//! path (the free function's by-width dispatch included), and the one-hot
//! oracle `W += one_hot(x)ᵀ · (scale · G)` on small finite cases.
#![no_main]

use embedding_kernels::{Error, Kernels, TableMut, onehot};
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
    let n = u.below(24);
    let idx: Vec<I> = (0..n).map(|_| u.index::<I>(rows)).collect();
    let expected_len = n.saturating_mul(dim);
    let grad_len = u.len_near(expected_len);
    let grad: Vec<f32> = (0..grad_len).map(|_| u.f32(finite)).collect();
    let scale = u.f32(finite);
    let pad = u.below(4);
    let by_bytes = u.one_in(2);
    let expect = if dim == 0 {
        Err(Error::ZeroDim)
    } else if grad_len != expected_len {
        Err(Error::GradientLength {
            len: grad_len,
            expected: expected_len,
        })
    } else {
        first_bad_index(&idx, rows).map_or(Ok(()), Err)
    };
    let what = |p: &dyn std::fmt::Debug| {
        format!(
            "scatter_add {} dim {dim} rows {rows} idx {idx:?} scale {scale:?} on {p:?}",
            T::NAME
        )
    };

    // Runs one path on a fresh copy of the table; returns the table after.
    let call = |p: Option<Path>| -> (Result<(), Error>, Vec<T>) {
        let mut buf = padded(&data, pad);
        let r = {
            let made = if by_bytes {
                TableMut::<T>::from_bytes(bytemuck::cast_slice_mut(&mut buf[pad..]), dim)
            } else {
                TableMut::new(&mut buf[pad..], dim)
            };
            match made {
                Err(e) => Err(e),
                Ok(mut t) => match p {
                    None => Kernels::portable().scatter_add(&mut t, &idx, &grad, scale),
                    Some(Path::Kernels(k)) => k.scatter_add(&mut t, &idx, &grad, scale),
                    Some(Path::Free) => embedding_kernels::scatter_add(&mut t, &idx, &grad, scale),
                },
            }
        };
        (r, buf[pad..].to_vec())
    };

    let (r, want) = call(None);
    assert_eq!(r, expect, "{}", what(&"portable"));
    if r.is_err() {
        assert_bits(&what(&"portable (error)"), &want, &data);
    } else {
        // The model: contributions in occurrence order, one rounding each.
        let mut m = data.clone();
        for (k, &i) in idx.iter().enumerate() {
            let row = &mut m[i.value() as usize * dim..][..dim];
            for (j, t) in row.iter_mut().enumerate() {
                *t = T::from_f32(t.to_f32() + scale * grad[k * dim + j]);
            }
        }
        assert_same(&what(&"portable vs the model"), &want, &m);
        let sg: Vec<f32> = grad.iter().map(|&g| scale * g).collect();
        if finite
            && rows > 0
            && n * rows * dim <= 4096
            && sg.iter().all(|x| x.is_finite())
            && data.iter().all(|x| !x.nan())
        {
            let mut a = vec![0.0f32; n * rows];
            onehot::one_hot(&idx, rows, &mut a).unwrap();
            let mut c = data.clone();
            onehot::matmul_transposed(&a, &sg, &mut c, n, rows, dim).unwrap();
            assert_oracle(&what(&"one-hot oracle"), &want, &c);
        }
    }
    for &p in others() {
        let (got, table) = call(Some(p));
        assert_eq!(got, r, "{}", what(&p));
        if got.is_err() {
            assert_bits(&what(&p), &table, &data);
        } else {
            assert_same(&what(&p), &table, &want);
        }
    }
}
