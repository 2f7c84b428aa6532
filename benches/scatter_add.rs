//! scatter_add beside its baselines: memcpy of the gradient bytes, the naive
//! loop (`t += scale * g` per row), every ISA path and the dispatched call;
//! f32 tables at dims 4 and 64, an f16 table, and a 256 MB table.
//!
//! `cargo bench --bench scatter_add`

use criterion::{Criterion, criterion_group, criterion_main};
use embedding_kernels::{Element, TableMut, f16};
use std::hint::black_box;

const N: usize = 4096;

mod common;
use common::ids;

fn group<T: Element>(c: &mut Criterion, name: &str, rows: usize, dim: usize, sets: usize) {
    let table = vec![T::from_f32(0.5); rows * dim];
    let idx: Vec<Vec<u32>> = (0..sets).map(|s| ids(N, rows, s as u64 + 11)).collect();
    let grad: Vec<f32> = (0..N * dim).map(|v| (v % 7) as f32).collect();
    let mut copy = vec![0.0f32; N * dim];
    let scale = 1e-6f32;
    let mut g = common::group(c, format!("scatter_add_{name}/{rows}x{dim}"), N * dim * 4);
    common::copy(&mut g, "memcpy", &mut copy, &grad);
    // The table and the id set last used, one after the other.
    let mut state = (table, 0);
    g.bench_function("naive", |b| {
        b.iter(|| {
            let (table, s) = &mut state;
            *s = (*s + 1) % sets;
            common::naive_scatter(table, dim, black_box(&idx[*s]), &grad, |t, x| {
                *t = T::from_f32(t.to_f32() + scale * x)
            })
        })
    });
    common::paths(&mut g, &mut state, true, |k, (table, s)| {
        *s = (*s + 1) % sets;
        let mut t = TableMut::new(table, dim).unwrap();
        k.scatter_add(&mut t, black_box(&idx[*s]), &grad, scale)
            .unwrap()
    });
    g.finish();
}

fn bench_scatter(c: &mut Criterion) {
    group::<f32>(c, "f32", 1000, 64, 1);
    group::<f32>(c, "f32", 1000, 4, 1);
    group::<f16>(c, "f16", 1000, 64, 1);
    group::<f32>(c, "f32", 1 << 20, 64, 64);
}

criterion_group!(benches, bench_scatter);
criterion_main!(benches);
