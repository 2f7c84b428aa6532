//! What every bench shares: deterministic ids, the copy yardstick, the
//! per-path benches, and the naive loops (the measuring harness's, shared
//! with the report example and the comparison crate).

// Each bench compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use embedding_kernels::{Isa, Kernels};
use std::hint::black_box;

#[path = "../../examples/harness/mod.rs"]
mod harness;
#[allow(unused_imports)] // each bench uses only some
pub use harness::{
    add_row, convert_row, copy_row, naive_bag_sums, naive_gather, naive_scatter, quantized,
    quantized_naive,
};

/// `n` ids below `rows` from an xorshift generator seeded with `seed`.
pub fn ids(n: usize, rows: usize, seed: u64) -> Vec<u32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % rows as u64) as u32
        })
        .collect()
}

/// A group called `name` whose throughput is `bytes` per iteration.
pub fn group<'a>(
    c: &'a mut Criterion,
    name: impl Into<String>,
    bytes: usize,
) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g
}

/// The yardstick `name`: a copy of `src` into `dst` (`copy_from_slice`).
pub fn copy(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, dst: &mut [f32], src: &[f32]) {
    g.bench_function(name, |b| b.iter(|| dst.copy_from_slice(black_box(src))));
}

/// `run` on every ISA path this CPU has (`kernel/<isa>`), then, with
/// `dispatched`, on the dispatched path (`dispatched`: `Kernels::best()`
/// at every call, which is all the crate's free functions do). `state` is
/// what the calls write, lent to each in turn.
pub fn paths<S: ?Sized>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    state: &mut S,
    dispatched: bool,
    mut run: impl FnMut(&Kernels, &mut S),
) {
    for isa in Isa::available() {
        let k = Kernels::new(isa).unwrap();
        g.bench_function(BenchmarkId::new("kernel", isa), |b| {
            b.iter(|| run(&k, state))
        });
    }
    if dispatched {
        g.bench_function("dispatched", |b| b.iter(|| run(&Kernels::best(), state)));
    }
}
