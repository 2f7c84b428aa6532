//! scatter_add beside its baselines: memcpy of the gradient bytes, the naive
//! loop (`t += scale * g` per row), every ISA path and the dispatched call;
//! f32 tables at dims 4 and 64, an f16 table, and a 256 MB table.
//!
//! `cargo bench --bench scatter_add`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use embedding_kernels::{Element, Isa, Kernels, TableMut, f16, scatter_add};
use std::hint::black_box;

const N: usize = 4096;

mod common;
use common::ids;

fn group<T: Element>(c: &mut Criterion, name: &str, rows: usize, dim: usize, sets: usize) {
    let mut table = vec![T::from_f32(0.5); rows * dim];
    let idx: Vec<Vec<u32>> = (0..sets).map(|s| ids(N, rows, s as u64 + 11)).collect();
    let grad: Vec<f32> = (0..N * dim).map(|v| (v % 7) as f32).collect();
    let mut copy = vec![0.0f32; N * dim];
    let scale = 1e-6f32;
    let mut g = c.benchmark_group(format!("scatter_add_{name}/{rows}x{dim}"));
    g.throughput(Throughput::Bytes((N * dim * 4) as u64));
    g.bench_function("memcpy", |b| {
        b.iter(|| copy.copy_from_slice(black_box(&grad)))
    });
    let mut s = 0;
    g.bench_function("naive", |b| {
        b.iter(|| {
            s = (s + 1) % sets;
            for (gr, &i) in grad.chunks_exact(dim).zip(black_box(&idx[s])) {
                let r = i as usize;
                for (t, &x) in table[r * dim..(r + 1) * dim].iter_mut().zip(gr) {
                    *t = T::from_f32(t.to_f32() + scale * x);
                }
            }
        })
    });
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| {
                s = (s + 1) % sets;
                let mut t = TableMut::new(&mut table, dim).unwrap();
                k.scatter_add(&mut t, black_box(&idx[s]), &grad, scale)
                    .unwrap()
            })
        });
    }
    g.bench_function("dispatched", |b| {
        b.iter(|| {
            s = (s + 1) % sets;
            let mut t = TableMut::new(&mut table, dim).unwrap();
            scatter_add(&mut t, black_box(&idx[s]), &grad, scale).unwrap()
        })
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
