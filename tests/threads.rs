//! Every kernel called from several threads at once: gathers (float and
//! quantized), bags, scatter-add, conversions, quantize and dequantize, on
//! shared read-only tables and on disjoint `TableMut`s of one buffer, each
//! thread checking its results bit for bit against `Kernels::portable()` on
//! the same inputs.
//!
//! One `#[test]` only, so that this binary's first kernel call is the
//! threads' own: they start together behind a barrier and their first call
//! is a free function, so they race on the cached ISA choice
//! (`Isa::best()`), which must come out the same for all of them.
//!
//! Not on wasm: wasm32-wasip1 has no threads (`std::thread::spawn` fails).
#![cfg(not(target_family = "wasm"))]

mod common;

use std::sync::Barrier;

use common::{POOLINGS, TestElement, TestRng, assert_same, kernels, scattered};
use embedding_kernels::quantized::{
    Q4_0, Q4_K, Q6_K, Q8_0, Quantize, Rowwise2, Rowwise4, Rowwise8, dequantize, quantize,
};
use embedding_kernels::{
    Bags, Format, GatherInto, Isa, Kernels, Pooling, Table, TableMut, bf16, convert, f16, gather,
    gather_bags, scatter_add,
};

const THREADS: usize = if cfg!(miri) { 2 } else { 8 };
const ROWS: usize = if cfg!(miri) { 6 } else { 64 };
/// Odd, so that every path runs full vectors and a tail.
const DIM: usize = if cfg!(miri) { 5 } else { 37 };
const N: usize = if cfg!(miri) { 4 } else { 48 };
const ROUNDS: usize = if cfg!(miri) { 1 } else { 3 };

/// The shared read-only inputs.
struct Shared {
    w32: Vec<f32>,
    w16: Vec<f16>,
    wb16: Vec<bf16>,
    /// Quantized tables: (bytes, dim) per format, in `quantized_tables`'
    /// order.
    q: Vec<(Vec<u8>, usize)>,
    /// The f32 source of the GGUF tables (dim 64).
    small: Vec<f32>,
}

fn quantized<F: Quantize>(w: &[f32], dim: usize) -> (Vec<u8>, usize) {
    let mut b = vec![0u8; w.len() / dim * F::row_units(dim).unwrap()];
    quantize::<F>(w, dim, &mut b).unwrap();
    (b, dim)
}

/// Random bytes for the K-quants (no quantizer), with f16 scales kept
/// finite and small so that the values are too.
fn kquant<F: Format>(rng: &mut TestRng, rows: usize, scale_at: &[usize]) -> (Vec<u8>, usize) {
    let dim = 256;
    let rb = F::row_units(dim).unwrap();
    let mut b: Vec<u8> = (0..rows * rb).map(|_| rng.next() as u8).collect();
    for r in 0..rows {
        for &at in scale_at {
            let d = f16::from_f32((rng.below(1000) as f32 + 1.0) / 4096.0);
            b[r * rb + at..][..2].copy_from_slice(&d.to_le_bytes());
        }
    }
    (b, dim)
}

impl Shared {
    fn new() -> Self {
        let mut rng = TestRng(0x7417_ead5);
        let w32: Vec<f32> = (0..ROWS * DIM).map(|_| rng.finite()).collect();
        let small: Vec<f32> = (0..ROWS * 64).map(|_| rng.finite() / 1e8).collect();
        let q = vec![
            quantized::<Rowwise8>(&w32, DIM),
            quantized::<Rowwise4>(&small[..ROWS * DIM], DIM),
            quantized::<Rowwise2>(&small[..ROWS * DIM], DIM),
            quantized::<Q8_0>(&small, 64),
            quantized::<Q4_0>(&small, 64),
            kquant::<Q4_K>(&mut rng, ROWS.min(8), &[0, 2]),
            kquant::<Q6_K>(&mut rng, ROWS.min(8), &[208]),
        ];
        Shared {
            w16: w32.iter().map(|&x| f16::from_f32(x)).collect(),
            wb16: w32.iter().map(|&x| bf16::from_f32(x)).collect(),
            w32,
            q,
            small,
        }
    }
}

/// A gather on every path and through `gather`, each against portable.
fn check_gather<T: GatherInto<O>, O: TestElement>(
    what: &str,
    table: Table<'_, T>,
    idx: &[u32],
    paths: &[Kernels],
) {
    let n = idx.len() * table.dim();
    let mut want = vec![O::default(); n];
    Kernels::portable().gather(table, idx, &mut want).unwrap();
    let mut got = vec![O::default(); n];
    gather(table, idx, &mut got).unwrap();
    assert_same(what, Isa::best(), &got, &want);
    for k in paths {
        k.gather(table, idx, &mut got).unwrap();
        assert_same(what, k.isa(), &got, &want);
    }
}

/// Bags in every pooling (weighted but for Max) on every path and through
/// `gather_bags`, each against portable.
fn check_bags<T: Format>(what: &str, table: Table<'_, T>, rng: &mut TestRng, paths: &[Kernels]) {
    let rows = table.rows();
    let idx: Vec<u32> = (0..N).map(|_| rng.below(rows) as u32).collect();
    let weights: Vec<f32> = (0..N).map(|_| rng.finite() / 1e3).collect();
    let mut offsets: Vec<usize> = (0..5).map(|_| rng.below(N + 1)).collect();
    offsets.extend([0, N]);
    offsets.sort_unstable();
    let out_len = (offsets.len() - 1) * table.dim();
    for pooling in POOLINGS {
        let mut bags = Bags::new(&idx[..], &offsets[..]);
        if pooling != Pooling::Max {
            bags = bags.with_weights(&weights);
        }
        let mut want = vec![0.0f32; out_len];
        Kernels::portable()
            .gather_bags(table, bags, pooling, &mut want)
            .unwrap();
        let mut got = vec![0.0f32; out_len];
        gather_bags(table, bags, pooling, &mut got).unwrap();
        assert_same(what, Isa::best(), &got, &want);
        for k in paths {
            k.gather_bags(table, bags, pooling, &mut got).unwrap();
            assert_same(what, k.isa(), &got, &want);
        }
    }
}

/// Scatter-add into this thread's own rows (a `TableMut` over its part of
/// a buffer every thread writes a part of), on every path and through
/// `scatter_add`, each against portable on a copy.
fn check_scatter<T: TestElement>(part: &mut [T], rng: &mut TestRng, paths: &[Kernels]) {
    let rows = part.len() / DIM;
    let idx: Vec<u16> = (0..N).map(|_| rng.below(rows) as u16).collect();
    let grad: Vec<f32> = (0..N * DIM).map(|_| rng.finite()).collect();
    let scale = -0.375;
    let step = |part: &mut [T], k: Option<Kernels>| {
        let want = scattered(Kernels::portable(), part, DIM, &idx, &grad, scale);
        let mut t = TableMut::new(part, DIM).unwrap();
        match k {
            Some(k) => k.scatter_add(&mut t, &idx, &grad, scale).unwrap(),
            None => scatter_add(&mut t, &idx, &grad, scale).unwrap(),
        }
        let isa = k.map_or(Isa::best(), |k| k.isa());
        assert_same(&format!("scatter_add {}", T::name()), isa, part, &want);
    };
    step(part, None);
    for &k in paths {
        step(part, Some(k));
    }
}

/// The conversions both ways on every path and through `convert`.
fn check_convert(src: &[f32], rng: &mut TestRng, paths: &[Kernels]) {
    let n = src.len();
    let start = rng.below(n / 2);
    let src = &src[start..];
    fn both<T: TestElement>(src: &[f32], paths: &[Kernels]) {
        let mut want = vec![T::default(); src.len()];
        Kernels::portable().from_f32(src, &mut want).unwrap();
        let mut back_want = vec![0.0f32; src.len()];
        Kernels::portable().to_f32(&want, &mut back_want).unwrap();
        let mut got = vec![T::default(); src.len()];
        let mut back = vec![0.0f32; src.len()];
        convert::from_f32(src, &mut got).unwrap();
        convert::to_f32(&got, &mut back).unwrap();
        assert_same("from_f32", Isa::best(), &got, &want);
        assert_same("to_f32", Isa::best(), &back, &back_want);
        for k in paths {
            k.from_f32(src, &mut got).unwrap();
            k.to_f32(&want, &mut back).unwrap();
            assert_same("from_f32", k.isa(), &got, &want);
            assert_same("to_f32", k.isa(), &back, &back_want);
        }
    }
    both::<f16>(src, paths);
    both::<bf16>(src, paths);
    both::<f32>(src, paths);
}

/// A quantized table: gather on every path, bags, dequantize (which runs
/// on the best path) against portable gathers of every row.
fn check_quantized<F: GatherInto<f32> + Format<Unit = u8>>(
    bytes: &[u8],
    dim: usize,
    rng: &mut TestRng,
    paths: &[Kernels],
) {
    let table = Table::<F>::from_bytes(bytes, dim).unwrap();
    let idx: Vec<u32> = (0..N).map(|_| rng.below(table.rows()) as u32).collect();
    check_gather::<F, f32>(F::NAME, table, &idx, paths);
    check_bags(F::NAME, table, rng, paths);
    let all: Vec<u32> = (0..table.rows() as u32).collect();
    let mut want = vec![0.0f32; table.rows() * dim];
    Kernels::portable().gather(table, &all, &mut want).unwrap();
    let mut got = vec![0.0f32; want.len()];
    dequantize(table, &mut got).unwrap();
    assert_same(F::NAME, Isa::best(), &got, &want);
}

/// One thread's work, `ROUNDS` times.
fn work(t: usize, s: &Shared, part32: &mut [f32], part16: &mut [f16], barrier: &Barrier) {
    let mut rng = TestRng(0x1000 + t as u64);
    let idx: Vec<u32> = (0..N).map(|_| rng.below(ROWS) as u32).collect();
    let t32 = Table::new(&s.w32, DIM).unwrap();
    let t16 = Table::new(&s.w16, DIM).unwrap();
    let tb16 = Table::new(&s.wb16, DIM).unwrap();
    // The first call of the process, all threads at once: a free function,
    // through the cached ISA choice.
    barrier.wait();
    let mut first = vec![0.0f32; N * DIM];
    gather(t32, &idx, &mut first).unwrap();
    let best = Isa::best();
    assert_eq!(Some(best), Isa::available().last(), "thread {t}");
    let paths = kernels();
    for _ in 0..ROUNDS {
        check_gather::<f32, f32>("gather f32", t32, &idx, &paths);
        check_gather::<f16, f32>("gather f16->f32", t16, &idx, &paths);
        check_gather::<f16, f16>("gather f16", t16, &idx, &paths);
        check_gather::<bf16, f32>("gather bf16->f32", tb16, &idx, &paths);
        check_gather::<bf16, bf16>("gather bf16", tb16, &idx, &paths);
        check_bags("bags f32", t32, &mut rng, &paths);
        check_bags("bags f16", t16, &mut rng, &paths);
        check_bags("bags bf16", tb16, &mut rng, &paths);
        check_scatter(part32, &mut rng, &paths);
        check_scatter(part16, &mut rng, &paths);
        check_convert(&s.w32, &mut rng, &paths);
        let q = &s.q;
        check_quantized::<Rowwise8>(&q[0].0, q[0].1, &mut rng, &paths);
        check_quantized::<Rowwise4>(&q[1].0, q[1].1, &mut rng, &paths);
        check_quantized::<Rowwise2>(&q[2].0, q[2].1, &mut rng, &paths);
        check_quantized::<Q8_0>(&q[3].0, q[3].1, &mut rng, &paths);
        check_quantized::<Q4_0>(&q[4].0, q[4].1, &mut rng, &paths);
        check_quantized::<Q4_K>(&q[5].0, q[5].1, &mut rng, &paths);
        check_quantized::<Q6_K>(&q[6].0, q[6].1, &mut rng, &paths);
        // Quantizing concurrently gives the bytes of the shared table.
        let mut b = vec![0u8; q[3].0.len()];
        quantize::<Q8_0>(&s.small, 64, &mut b).unwrap();
        assert!(b == q[3].0, "thread {t}: quantize q8_0 gave other bytes");
    }
    // The first gather, checked last (every thread's choice made by then).
    let mut want = vec![0.0f32; N * DIM];
    Kernels::portable().gather(t32, &idx, &mut want).unwrap();
    assert_same("first gather", best, &first, &want);
}

#[test]
fn every_kernel_from_many_threads_at_once() {
    let shared = Shared::new();
    // Disjoint mutable tables for scatter-add: one buffer, a part per
    // thread.
    let rows_each = 4;
    let mut rng = TestRng(5);
    let mut buf32: Vec<f32> = (0..THREADS * rows_each * DIM)
        .map(|_| rng.finite())
        .collect();
    let mut buf16: Vec<f16> = buf32.iter().map(|&x| f16::from_f32(x / 1e8)).collect();
    let before32 = buf32.clone();
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        let parts = buf32
            .chunks_mut(rows_each * DIM)
            .zip(buf16.chunks_mut(rows_each * DIM));
        for (t, (p32, p16)) in parts.enumerate() {
            let (shared, barrier) = (&shared, &barrier);
            scope.spawn(move || work(t, shared, p32, p16, barrier));
        }
    });
    // Every thread's part was written by that thread only: each differs
    // from where it started, and every path agreed (checked inside).
    for (t, (a, b)) in buf32
        .chunks(rows_each * DIM)
        .zip(before32.chunks(rows_each * DIM))
        .enumerate()
    {
        assert_ne!(a, b, "thread {t}'s rows unchanged");
    }
}
