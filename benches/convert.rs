//! Slice conversion beside `half`'s own slice conversion and a scalar loop,
//! every ISA path and the dispatched call; 64 K elements (in cache).
//!
//! `cargo bench --bench convert`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use embedding_kernels::{Isa, Kernels, bf16, convert, f16};
use half::slice::HalfFloatSliceExt;
use std::hint::black_box;

const N: usize = 1 << 16;

fn bench_convert(c: &mut Criterion) {
    let wide: Vec<f32> = (0..N).map(|v| (v as f32 - 30000.0) / 7.0).collect();
    let h: Vec<f16> = wide.iter().map(|&x| f16::from_f32(x)).collect();
    let bh: Vec<bf16> = wide.iter().map(|&x| bf16::from_f32(x)).collect();
    let mut out = vec![0.0f32; N];
    let mut out_h = vec![f16::ZERO; N];
    let mut out_b = vec![bf16::ZERO; N];

    let mut g = c.benchmark_group("f16_to_f32");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("scalar", |b| {
        b.iter(|| {
            for (y, x) in out.iter_mut().zip(black_box(&h)) {
                *y = x.to_f32();
            }
        })
    });
    g.bench_function("half_slice", |b| {
        b.iter(|| black_box(&h).convert_to_f32_slice(&mut out))
    });
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| k.to_f32(black_box(&h), &mut out).unwrap())
        });
    }
    g.bench_function("dispatched", |b| {
        b.iter(|| convert::f16_to_f32(black_box(&h), &mut out).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("f32_to_f16");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("half_slice", |b| {
        b.iter(|| out_h.convert_from_f32_slice(black_box(&wide)))
    });
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| k.from_f32(black_box(&wide), &mut out_h).unwrap())
        });
    }
    g.bench_function("dispatched", |b| {
        b.iter(|| convert::f32_to_f16(black_box(&wide), &mut out_h).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("bf16_to_f32");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("half_slice", |b| {
        b.iter(|| black_box(&bh).convert_to_f32_slice(&mut out))
    });
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| k.to_f32(black_box(&bh), &mut out).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("f32_to_bf16");
    g.throughput(Throughput::Bytes((N * 4) as u64));
    g.bench_function("half_slice", |b| {
        b.iter(|| out_b.convert_from_f32_slice(black_box(&wide)))
    });
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| k.from_f32(black_box(&wide), &mut out_b).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_convert);
criterion_main!(benches);
