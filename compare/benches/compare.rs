//! criterion benches: embedding-kernels beside candle-core, ndarray, the
//! naive loop and memcpy of the same bytes, on the same data.
//!
//! `cd compare && cargo bench` (or `cargo bench -- gather_f32` for a group).
//!
//! Each group is one case; its `BenchmarkId`s are named by implementation
//! (`memcpy`, `memcpy-loop`, `naive`, `embedding-kernels`, `candle`,
//! `ndarray`) with the shape as parameter, and its throughput is the bytes
//! of the output (of the gradient for scatter-add, of the rows read for
//! bags), so criterion's GB/s compare directly with `memcpy`.
//!
//! Timed region: `naive` and `embedding-kernels` write into a preallocated
//! output. candle: the op on tensors built once outside the loop (table and
//! u32 id tensors), including producing the output tensor (allocation) and
//! dropping it, not reading it back. ndarray: the op on a prebuilt view
//! (ids prepared as `usize`), including producing and dropping the output
//! array. `memcpy` is `copy_from_slice` (glibc memcpy); `memcpy-loop` an
//! explicit 32-byte load/store loop, because glibc's memcpy is sometimes
//! pathologically slow on this kind of VM for 64–256 KB copies.

use std::cell::Cell;
use std::hint::black_box;

use candle_core::{DType, Device, Tensor};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use embedding_kernels::{
    Bags, Pooling, Table, TableMut, f16, gather, gather_bags, onehot, scatter_add,
};
use embedding_kernels_compare::{
    IdSets, LOOKUPS, Rng, add_row, convert_row, copy_loop, copy_row, copy_std, naive_bag_sums,
    naive_gather, naive_scatter, tables,
};
use ndarray::{Array2, ArrayView2, Axis};

/// Cycles through `0..sets`, one step per call.
fn cycle(sets: usize) -> impl FnMut() -> usize {
    let s = Cell::new(0);
    move || {
        let k = (s.get() + 1) % sets;
        s.set(k);
        k
    }
}

fn memcpy_benches(g: &mut BenchmarkGroup<'_, WallTime>, shape: &str, bytes: usize) {
    let n = bytes / 4;
    let src = vec![1.0f32; n];
    let mut dst = vec![0.0f32; n];
    g.bench_function(BenchmarkId::new("memcpy", shape), |b| {
        b.iter(|| copy_std(&mut dst, black_box(&src)))
    });
    g.bench_function(BenchmarkId::new("memcpy-loop", shape), |b| {
        b.iter(|| copy_loop(&mut dst, black_box(&src)))
    });
}

/// gather f32 from a `rows`×`dim` table, 4096 lookups, cycling over `sets`
/// id sets (many sets for the DRAM case, so rows come from memory).
fn gather_f32_group(g: &mut BenchmarkGroup<'_, WallTime>, rows: usize, dim: usize, sets: usize) {
    let n = LOOKUPS;
    let shape = format!("{rows}x{dim}");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (rows * dim) as u64);
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 1021) as f32).collect();
    let IdSets { ids, ids_us, ids_c } = IdSets::new(&mut rng, sets, n, rows);
    let (t, table_c, view) = tables(&table, rows, dim);
    let mut out = vec![0.0f32; n * dim];

    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    memcpy_benches(g, &shape, n * dim * 4);
    let mut next = cycle(sets);
    g.bench_function(BenchmarkId::new("naive", &shape), |b| {
        b.iter(|| {
            naive_gather(
                &mut out,
                dim,
                black_box(&ids[next()]),
                (&table, dim),
                copy_row,
            )
        })
    });
    g.bench_function(BenchmarkId::new("embedding-kernels", &shape), |b| {
        b.iter(|| gather(t, black_box(&ids[next()]), &mut out).unwrap())
    });
    g.bench_function(BenchmarkId::new("candle", &shape), |b| {
        b.iter(|| table_c.embedding(black_box(&ids_c[next()])).unwrap())
    });
    g.bench_function(BenchmarkId::new("ndarray", &shape), |b| {
        b.iter(|| view.select(Axis(0), black_box(&ids_us[next()])))
    });
}

fn bench_gather_f32(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather_f32");
    for dim in [4, 16, 64, 256] {
        gather_f32_group(&mut g, 1000, dim, 1);
    }
    g.finish();
}

/// 1M × 64 f32 = 256 MB, far beyond the caches; 256 id sets rotate, 256 MB
/// of rows in all, so rows really come from DRAM.
fn bench_gather_dram(c: &mut Criterion) {
    let mut g = c.benchmark_group("gather_f32_dram");
    g.sample_size(20);
    gather_f32_group(&mut g, 1 << 20, 64, 256);
    g.finish();
}

fn bench_gather_f16(c: &mut Criterion) {
    let (rows, dim, n) = (1000, 64, LOOKUPS);
    let shape = format!("{rows}x{dim}");
    let mut rng = Rng(7);
    let table: Vec<f16> = (0..rows * dim)
        .map(|v| f16::from_f32((v % 1021) as f32))
        .collect();
    let IdSets { ids, ids_us, ids_c } = IdSets::new(&mut rng, 1, n, rows);
    let (ids, ids_us, ids_c) = (&ids[0], &ids_us[0], &ids_c[0]);
    let (t, table_c, view) = tables(&table, rows, dim);
    let mut out = vec![0.0f32; n * dim];

    let mut g = c.benchmark_group("gather_f16_to_f32");
    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    memcpy_benches(&mut g, &shape, n * dim * 4);
    g.bench_function(BenchmarkId::new("naive", &shape), |b| {
        b.iter(|| {
            let put = convert_row(f16::to_f32);
            naive_gather(&mut out, dim, black_box(ids), (&table, dim), put)
        })
    });
    g.bench_function(BenchmarkId::new("embedding-kernels", &shape), |b| {
        b.iter(|| gather(t, black_box(ids), &mut out).unwrap())
    });
    // candle: embedding on the F16 tensor, then to_dtype(F32).
    g.bench_function(BenchmarkId::new("candle", &shape), |b| {
        b.iter(|| {
            table_c
                .embedding(black_box(ids_c))
                .unwrap()
                .to_dtype(DType::F32)
                .unwrap()
        })
    });
    // ndarray: select, then mapv to f32.
    g.bench_function(BenchmarkId::new("ndarray", &shape), |b| {
        b.iter(|| view.select(Axis(0), black_box(ids_us)).mapv(|x| x.to_f32()))
    });
    g.finish();
}

/// scatter-add of 4096 gradient rows into a `rows`×`dim` f32 table.
fn scatter_group(g: &mut BenchmarkGroup<'_, WallTime>, rows: usize, dim: usize, sets: usize) {
    let n = LOOKUPS;
    let shape = format!("{rows}x{dim}");
    let scale = 1.0f32 / 1024.0;
    let mut rng = Rng(11 ^ rows as u64);
    let id_sets = IdSets::new(&mut rng, sets, n, rows);
    let (ids, ids_us, ids_c) = (&id_sets.ids, &id_sets.ids_us, &id_sets.ids_c);
    let grad: Vec<f32> = (0..n * dim).map(|v| (v % 7) as f32).collect();
    let dev = Device::Cpu;
    // index_add has no scale: the gradient is pre-scaled outside the loop
    // (favours candle).
    let grad_scaled: Vec<f32> = grad.iter().map(|&g| scale * g).collect();
    let grad_c = Tensor::from_slice(&grad_scaled, (n, dim), &dev).unwrap();
    let grad_nd = ArrayView2::from_shape((n, dim), &grad).unwrap();
    // Written element by element, so every page is faulted in before timing
    // (a zeroed allocation would leave untouched pages for the first bench).
    let start: Vec<f32> = (0..rows * dim).map(|v| (v % 5) as f32).collect();
    let mut table = Array2::from_shape_vec((rows, dim), start.clone()).unwrap();

    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    memcpy_benches(g, &shape, n * dim * 4);
    let mut next = cycle(sets);
    g.bench_function(BenchmarkId::new("naive", &shape), |b| {
        let t = table.as_slice_mut().unwrap();
        b.iter(|| {
            naive_scatter(t, dim, black_box(&ids[next()]), &grad, |t, g| {
                *t += scale * g
            })
        })
    });
    g.bench_function(BenchmarkId::new("embedding-kernels", &shape), |b| {
        let mut t = TableMut::new(table.as_slice_mut().unwrap(), dim).unwrap();
        b.iter(|| scatter_add(&mut t, black_box(&ids[next()]), &grad, scale).unwrap())
    });
    // candle's index_add returns a new tensor (it copies the whole table,
    // 256 MB for the DRAM case); the user then replaces the table with it.
    g.bench_function(BenchmarkId::new("candle", &shape), |b| {
        let mut t = Tensor::from_slice(&start, (rows, dim), &dev).unwrap();
        b.iter(|| {
            t = t.index_add(black_box(&ids_c[next()]), &grad_c, 0).unwrap();
        })
    });
    // candle's in-place alternative: scatter_add_set takes one index per
    // element, so (n, dim) id tensors, built outside the loop.
    let ids2_c = id_sets.per_element(dim);
    g.bench_function(BenchmarkId::new("candle-scatter_add_set", &shape), |b| {
        let t = Tensor::from_slice(&start, (rows, dim), &dev).unwrap();
        b.iter(|| {
            t.scatter_add_set(black_box(&ids2_c[next()]), &grad_c, 0)
                .unwrap()
        })
    });
    // ndarray has no scatter-add: the loop over rows a user writes.
    g.bench_function(BenchmarkId::new("ndarray", &shape), |b| {
        b.iter(|| {
            for (gr, &i) in grad_nd.rows().into_iter().zip(black_box(&ids_us[next()])) {
                table.row_mut(i).scaled_add(scale, &gr);
            }
        })
    });
}

fn bench_scatter(c: &mut Criterion) {
    let mut g = c.benchmark_group("scatter_add_f32");
    scatter_group(&mut g, 1000, 64, 1);
    g.finish();
    let mut g = c.benchmark_group("scatter_add_f32_dram");
    g.sample_size(10);
    scatter_group(&mut g, 1 << 20, 64, 256);
    g.finish();
}

/// Sums of 204 bags of 20 from a 100k × 64 table; throughput is the bytes
/// of the rows read.
fn bench_bags(c: &mut Criterion) {
    let (rows, dim, bag) = (100_000, 64, 20);
    let n_bags = LOOKUPS / bag;
    let n = n_bags * bag;
    let sets = 16;
    let shape = format!("{n_bags}x{bag}_from_{rows}x{dim}");
    let mut rng = Rng(5);
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 13) as f32).collect();
    let IdSets { ids, ids_us, ids_c } = IdSets::new(&mut rng, sets, n, rows);
    let offsets: Vec<u32> = (0..=n_bags).map(|b| (b * bag) as u32).collect();
    let (t, table_c, view) = tables(&table, rows, dim);
    let mut out = vec![0.0f32; n_bags * dim];

    let mut g = c.benchmark_group("bags_sum");
    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    memcpy_benches(&mut g, &shape, n * dim * 4);
    let mut next = cycle(sets);
    g.bench_function(BenchmarkId::new("naive", &shape), |b| {
        b.iter(|| {
            let ids = (black_box(&ids[next()][..]), bag);
            naive_bag_sums(&mut out, dim, ids, (&table, dim), add_row)
        })
    });
    g.bench_function(BenchmarkId::new("embedding-kernels", &shape), |b| {
        b.iter(|| {
            let bags = Bags::new(black_box(&ids[next()]), &offsets);
            gather_bags(t, bags, Pooling::Sum, &mut out).unwrap()
        })
    });
    // candle: index_select, reshape (bags, bag, dim), sum over dim 1.
    g.bench_function(BenchmarkId::new("candle", &shape), |b| {
        b.iter(|| {
            table_c
                .index_select(black_box(&ids_c[next()]), 0)
                .unwrap()
                .reshape((n_bags, bag, dim))
                .unwrap()
                .sum(1)
                .unwrap()
        })
    });
    // ndarray: select, then sum_axis over the bag axis.
    g.bench_function(BenchmarkId::new("ndarray", &shape), |b| {
        b.iter(|| {
            view.select(Axis(0), black_box(&ids_us[next()]))
                .into_shape_with_order((n_bags, bag, dim))
                .unwrap()
                .sum_axis(Axis(1))
        })
    });
    g.finish();
}

/// The seed's case: 320 ids into 1000 × 64, the one-hot product (the
/// crate's plain-loop oracle with the one-hot build, and real sgemms on a
/// prebuilt one-hot matrix) against the lookup.
fn bench_seed(c: &mut Criterion) {
    let (rows, dim, n) = (1000, 64, 320);
    let shape = format!("{n}x{rows}x{dim}");
    let mut rng = Rng(3);
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 97) as f32).collect();
    let ids = rng.ids(n, rows);
    let dev = Device::Cpu;
    let mut a = vec![0.0f32; n * rows];
    onehot::one_hot(&ids, rows, &mut a).unwrap();
    let a_nd = Array2::from_shape_vec((n, rows), a.clone()).unwrap();
    let w_nd = ArrayView2::from_shape((rows, dim), &table).unwrap();
    let a_c = Tensor::from_slice(&a, (n, rows), &dev).unwrap();
    let table_c = Tensor::from_slice(&table, (rows, dim), &dev).unwrap();
    let t = Table::new(&table, dim).unwrap();
    let mut out = vec![0.0f32; n * dim];

    let mut g = c.benchmark_group("onehot_vs_lookup");
    g.throughput(Throughput::Bytes((n * dim * 4) as u64));
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("embedding-kernels", &shape), |b| {
        b.iter(|| gather(t, black_box(&ids), &mut out).unwrap())
    });
    g.bench_function(BenchmarkId::new("onehot-oracle", &shape), |b| {
        b.iter(|| {
            out.fill(0.0);
            onehot::one_hot(black_box(&ids), rows, &mut a).unwrap();
            onehot::matmul(&a, &table, &mut out, n, rows, dim).unwrap();
        })
    });
    g.bench_function(BenchmarkId::new("ndarray-dot", &shape), |b| {
        b.iter(|| black_box(&a_nd).dot(&w_nd))
    });
    // candle's matmul (gemm crate) uses RAYON_NUM_THREADS threads, all CPUs
    // by default.
    g.bench_function(BenchmarkId::new("candle-matmul", &shape), |b| {
        b.iter(|| black_box(&a_c).matmul(&table_c).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_gather_f32,
    bench_gather_f16,
    bench_gather_dram,
    bench_scatter,
    bench_bags,
    bench_seed
);
criterion_main!(benches);
