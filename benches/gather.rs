//! gather beside its baselines, in one run: memcpy of the same output bytes
//! (the physical yardstick), the naive per-row loop, every ISA path this CPU
//! has and the dispatched call; and the one-hot product at the seed's size.
//!
//! `cargo bench --bench gather`

use criterion::{Criterion, criterion_group, criterion_main};
use embedding_kernels::{Element, GatherInto, Table, f16, gather, onehot};
use std::hint::black_box;

const LOOKUPS: usize = 4096;

mod common;
use common::ids;

/// One gather group: `LOOKUPS` lookups (ids seeded with `seed`) into a
/// `rows`×`dim` table, f32 out; `put` is the naive loop's row.
fn gather_group<T: GatherInto<f32> + Element>(
    c: &mut Criterion,
    name: &str,
    table: &[T],
    (rows, dim): (usize, usize),
    seed: u64,
    put: impl Fn(&mut [f32], &[T]),
) {
    let idx = ids(LOOKUPS, rows, seed);
    let src = vec![1.0f32; LOOKUPS * dim];
    let mut out = vec![0.0f32; LOOKUPS * dim];
    let mut g = common::group(c, format!("{name}/{rows}x{dim}"), LOOKUPS * dim * 4);
    common::copy(&mut g, "memcpy", &mut out, &src);
    g.bench_function("naive", |b| {
        b.iter(|| common::naive_gather(&mut out, dim, black_box(&idx), (table, dim), &put))
    });
    let t = Table::new(table, dim).unwrap();
    common::paths(&mut g, &mut out, true, |k, out| {
        k.gather(t, black_box(&idx), out).unwrap()
    });
    g.finish();
}

fn bench_f32(c: &mut Criterion) {
    for (rows, dim) in [(1000, 4), (1000, 16), (1000, 64), (1000, 256)] {
        let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
        gather_group(c, "gather_f32", &table, (rows, dim), 42, common::copy_row);
    }
}

fn bench_f16(c: &mut Criterion) {
    let (rows, dim) = (1000, 64);
    let table: Vec<f16> = (0..rows * dim)
        .map(|v| f16::from_f32(v as f32 / 7.0))
        .collect();
    gather_group(
        c,
        "gather_f16_to_f32",
        &table,
        (rows, dim),
        7,
        common::convert_row(f16::to_f32),
    );
}
/// The seed's case: 320 lookups into 1000 × 64, as a one-hot product and as
/// a lookup.
fn bench_seed(c: &mut Criterion) {
    let (rows, dim, n) = (1000, 64, 320);
    let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
    let idx = ids(n, rows, 3);
    let mut a = vec![0.0f32; n * rows];
    let mut out = vec![0.0f32; n * dim];
    let mut g = common::group(c, "seed_320x1000x64", n * dim * 4);
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
