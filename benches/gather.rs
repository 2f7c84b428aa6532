//! gather beside its baselines, in one run: memcpy of the same output bytes
//! (the physical yardstick), the naive per-row loop, every ISA path this CPU
//! has and the dispatched call; and the one-hot product at the seed's size.
//!
//! `cargo bench --bench gather`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use embedding_kernels::{Isa, Kernels, Table, f16, gather, onehot};
use std::hint::black_box;

const LOOKUPS: usize = 4096;

mod common;
use common::ids;

fn bench_f32(c: &mut Criterion) {
    for (rows, dim) in [(1000, 4), (1000, 16), (1000, 64), (1000, 256)] {
        let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
        let idx = ids(LOOKUPS, rows, 42);
        let src = vec![1.0f32; LOOKUPS * dim];
        let mut out = vec![0.0f32; LOOKUPS * dim];
        let mut g = c.benchmark_group(format!("gather_f32/{rows}x{dim}"));
        g.throughput(Throughput::Bytes((LOOKUPS * dim * 4) as u64));
        g.bench_function("memcpy", |b| {
            b.iter(|| out.copy_from_slice(black_box(&src)))
        });
        g.bench_function("naive", |b| {
            b.iter(|| {
                for (o, &i) in out.chunks_exact_mut(dim).zip(black_box(&idx)) {
                    let r = i as usize;
                    o.copy_from_slice(&table[r * dim..(r + 1) * dim]);
                }
            })
        });
        let t = Table::new(&table, dim).unwrap();
        for isa in Isa::available() {
            let k = Kernels::new(isa).unwrap();
            g.bench_function(BenchmarkId::new("kernel", isa), |b| {
                b.iter(|| k.gather(t, black_box(&idx), &mut out).unwrap())
            });
        }
        g.bench_function("dispatched", |b| {
            b.iter(|| gather(t, black_box(&idx), &mut out).unwrap())
        });
        g.finish();
    }
}

fn bench_f16(c: &mut Criterion) {
    let (rows, dim) = (1000, 64);
    let table: Vec<f16> = (0..rows * dim)
        .map(|v| f16::from_f32(v as f32 / 7.0))
        .collect();
    let idx = ids(LOOKUPS, rows, 7);
    let src = vec![1.0f32; LOOKUPS * dim];
    let mut out = vec![0.0f32; LOOKUPS * dim];
    let mut g = c.benchmark_group(format!("gather_f16_to_f32/{rows}x{dim}"));
    g.throughput(Throughput::Bytes((LOOKUPS * dim * 4) as u64));
    g.bench_function("memcpy", |b| {
        b.iter(|| out.copy_from_slice(black_box(&src)))
    });
    g.bench_function("naive", |b| {
        b.iter(|| {
            for (o, &i) in out.chunks_exact_mut(dim).zip(black_box(&idx)) {
                let r = i as usize;
                for (y, x) in o.iter_mut().zip(&table[r * dim..(r + 1) * dim]) {
                    *y = x.to_f32();
                }
            }
        })
    });
    let t = Table::new(&table, dim).unwrap();
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| k.gather(t, black_box(&idx), &mut out).unwrap())
        });
    }
    g.bench_function("dispatched", |b| {
        b.iter(|| gather(t, black_box(&idx), &mut out).unwrap())
    });
    g.finish();
}

/// The seed's case: 320 lookups into 1000 × 64, as a one-hot product and as
/// a lookup.
fn bench_seed(c: &mut Criterion) {
    let (rows, dim, n) = (1000, 64, 320);
    let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
    let idx = ids(n, rows, 3);
    let mut a = vec![0.0f32; n * rows];
    let mut out = vec![0.0f32; n * dim];
    let mut g = c.benchmark_group("seed_320x1000x64");
    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    g.sample_size(10);
    g.bench_function("one_hot_product", |b| {
        b.iter(|| {
            out.fill(0.0);
            onehot::one_hot(black_box(&idx), rows, &mut a).unwrap();
            onehot::matmul(&a, &table, &mut out, n, rows, dim).unwrap();
        })
    });
    let t = Table::new(&table, dim).unwrap();
    g.bench_function("lookup", |b| {
        b.iter(|| gather(t, black_box(&idx), &mut out).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench_f32, bench_f16, bench_seed);
criterion_main!(benches);
