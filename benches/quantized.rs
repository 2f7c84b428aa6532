//! Quantized tables: gather into f32 and Sum bags for each format, beside a
//! copy of the same f32 output bytes (the yardstick) and a naive scalar
//! dequantizing loop, on every ISA path this CPU has. Throughput is the
//! f32 output's bytes.
//!
//! `cargo bench --bench quantized` (`-- gather_q8_0/1000x64` to filter)

use criterion::{Criterion, criterion_group, criterion_main};
use embedding_kernels::quantized::{Q4_0, Q4_K, Q6_K, Q8_0, Rowwise2, Rowwise4, Rowwise8};
use embedding_kernels::{Bags, Kernels, Pooling, Table};
use std::hint::black_box;
use std::time::Duration;

const LOOKUPS: usize = 4096;
/// PyTorch's comparison case: 204 bags of 20.
const BAGS: usize = 204;
const BAG_LEN: usize = 20;

mod common;
use common::ids;
use common::quantized_naive::Naive;

fn gather_one<F: Naive>(c: &mut Criterion, rows: usize, dim: usize) {
    let bytes = F::table(rows, dim);
    let rb = F::row_units(dim).unwrap();
    let t = Table::<F>::from_bytes(&bytes, dim).unwrap();
    let idx = ids(LOOKUPS, rows, 42);
    let src = vec![1.0f32; LOOKUPS * dim];
    let mut out = vec![0.0f32; LOOKUPS * dim];
    let name = format!("gather_{}/{rows}x{dim}", F::NAME);
    let mut g = common::group(c, name, LOOKUPS * dim * 4);
    common::copy(&mut g, "copy_f32", &mut out, &src);
    g.bench_function("naive", |b| {
        b.iter(|| {
            common::naive_gather(&mut out, dim, black_box(&idx), (&bytes, rb), |o, row| {
                for (j, y) in o.iter_mut().enumerate() {
                    *y = F::naive(row, dim, j);
                }
            })
        })
    });
    common::paths(&mut g, &mut out, false, |k, out| {
        k.gather(t, black_box(&idx), out).unwrap()
    });
    g.finish();
}

fn bags_one<F: Naive>(c: &mut Criterion, rows: usize, dim: usize) {
    let bytes = F::table(rows, dim);
    let rb = F::row_units(dim).unwrap();
    let t = Table::<F>::from_bytes(&bytes, dim).unwrap();
    let idx = ids(BAGS * BAG_LEN, rows, 7);
    let offsets: Vec<u32> = (0..=BAGS).map(|b| (b * BAG_LEN) as u32).collect();
    let mut out = vec![0.0f32; BAGS * dim];
    // f32-equivalent rows read: the bag inputs.
    let name = format!("bags_sum_{}/{rows}x{dim}", F::NAME);
    let mut g = common::group(c, name, BAGS * BAG_LEN * dim * 4);
    g.bench_function("naive", |b| {
        b.iter(|| {
            common::naive_bag_sums(
                &mut out,
                dim,
                (black_box(&idx), BAG_LEN),
                (&bytes, rb),
                |o, row| {
                    for (j, y) in o.iter_mut().enumerate() {
                        *y += F::naive(row, dim, j);
                    }
                },
            )
        })
    });
    common::paths(&mut g, &mut out, false, |k, out| {
        let bags = Bags::new(black_box(&idx), &offsets);
        k.gather_bags(t, bags, Pooling::Sum, out).unwrap()
    });
    g.finish();
}

fn quantized(c: &mut Criterion) {
    // The point, then a dim sweep (multiples of 32 for GGUF; the
    // row-wise formats also at dims with tails).
    for dim in [64, 32, 128, 384] {
        gather_one::<Rowwise8>(c, 1000, dim);
        gather_one::<Rowwise4>(c, 1000, dim);
        gather_one::<Rowwise2>(c, 1000, dim);
        gather_one::<Q8_0>(c, 1000, dim);
        gather_one::<Q4_0>(c, 1000, dim);
    }
    for dim in [12, 100] {
        gather_one::<Rowwise8>(c, 1000, dim);
        gather_one::<Rowwise4>(c, 1000, dim);
        gather_one::<Rowwise2>(c, 1000, dim);
    }
    // GGUF K-quants (dims multiples of 256), beside Q8_0/Q4_0 at the same
    // dims.
    for dim in [256, 512] {
        gather_one::<Q4_K>(c, 1000, dim);
        gather_one::<Q6_K>(c, 1000, dim);
        gather_one::<Q8_0>(c, 1000, dim);
        gather_one::<Q4_0>(c, 1000, dim);
    }
    bags_one::<Q4_K>(c, 1000, 256);
    bags_one::<Q6_K>(c, 1000, 256);
    for rows in [1000, 100_000] {
        bags_one::<Rowwise8>(c, rows, 64);
        bags_one::<Rowwise4>(c, rows, 64);
        bags_one::<Rowwise2>(c, rows, 64);
        bags_one::<Q8_0>(c, rows, 64);
        bags_one::<Q4_0>(c, rows, 64);
    }
}

/// The DRAM case: 1M rows × 64, the f32 table (256 MB) beside the
/// row-wise 8-bit (72 MB) and Q8_0 (68 MB) ones, on the dispatched path.
fn dram(c: &mut Criterion) {
    let (rows, dim) = (1_000_000, 64);
    let w: Vec<f32> = (0..rows * dim)
        .map(|v| ((v * 2654435761) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    // 64 id sets in rotation (64 × 4096 rows: beyond the caches), so that
    // rows come from DRAM rather than from the previous iteration.
    let sets: Vec<Vec<u32>> = (0..64).map(|s| ids(LOOKUPS, rows, 11 + s)).collect();
    let mut turn = 0usize;
    let mut next = move || {
        turn = (turn + 1) % 64;
        turn
    };
    let mut out = vec![0.0f32; LOOKUPS * dim];
    let mut g = common::group(c, format!("gather_dram/{rows}x{dim}"), LOOKUPS * dim * 4);
    let k = Kernels::best();
    let t = Table::new(&w, dim).unwrap();
    g.bench_function("f32", |b| {
        b.iter(|| k.gather(t, black_box(&sets[next()]), &mut out).unwrap())
    });
    let b8 = common::quantized::<Rowwise8>(&w, dim);
    let t8 = Table::<Rowwise8>::from_bytes(&b8, dim).unwrap();
    g.bench_function("rowwise8", |b| {
        b.iter(|| k.gather(t8, black_box(&sets[next()]), &mut out).unwrap())
    });
    let bq = common::quantized::<Q8_0>(&w, dim);
    let tq = Table::<Q8_0>::from_bytes(&bq, dim).unwrap();
    g.bench_function("q8_0", |b| {
        b.iter(|| k.gather(tq, black_box(&sets[next()]), &mut out).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = quantized, dram
}
criterion_main!(benches);
