//! gather_bags beside its baselines: memcpy of the rows-read bytes, the
//! naive loop (zero a row, add each bag member), every ISA path and the
//! dispatched call. Sums, means and max of bags of 20 from 100k × 64.
//!
//! `cargo bench --bench bags`

use criterion::{Criterion, criterion_group, criterion_main};
use embedding_kernels::{Bags, Pooling, Table};
use std::hint::black_box;

mod common;

fn bench_bags(c: &mut Criterion) {
    let (rows, dim, bag, n_bags) = (100_000usize, 64usize, 20usize, 204usize);
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 13) as f32).collect();
    let ids = common::ids(n_bags * bag, rows, 0x9e37_79b9_7f4a_7c15);
    let offsets: Vec<u32> = (0..=n_bags).map(|b| (b * bag) as u32).collect();
    let weights: Vec<f32> = (0..ids.len()).map(|i| 1.0 + (i % 3) as f32).collect();
    let src = vec![1.0f32; n_bags * bag * dim];
    let mut copy = vec![0.0f32; n_bags * bag * dim];
    let mut out = vec![0.0f32; n_bags * dim];
    let t = Table::new(&table, dim).unwrap();
    for (name, pooling, weighted) in [
        ("sum", Pooling::Sum, false),
        ("weighted_mean", Pooling::Mean, true),
        ("max", Pooling::Max, false),
    ] {
        let mut g = common::group(
            c,
            format!("bags_{name}/{rows}x{dim}/{n_bags}x{bag}"),
            n_bags * bag * dim * 4,
        );
        common::copy(&mut g, "memcpy", &mut copy, &src);
        if pooling == Pooling::Sum {
            g.bench_function("naive", |b| {
                b.iter(|| {
                    let ids = (black_box(&ids[..]), bag);
                    common::naive_bag_sums(&mut out, dim, ids, (&table, dim), common::add_row)
                })
            });
        }
        let bags = || {
            let b = Bags::new(&ids, &offsets);
            if weighted {
                b.with_weights(&weights)
            } else {
                b
            }
        };
        common::paths(&mut g, &mut out, true, |k, out| {
            k.gather_bags(t, black_box(bags()), pooling, out).unwrap()
        });
        g.finish();
    }
}

criterion_group!(benches, bench_bags);
criterion_main!(benches);
