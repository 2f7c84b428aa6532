//! Slice conversion beside `half`'s own slice conversion and a scalar loop,
//! every ISA path and the dispatched call; 64 K elements (in cache).
//!
//! `cargo bench --bench convert`

use criterion::{Criterion, criterion_group, criterion_main};
use embedding_kernels::{Element, bf16, f16};
use half::slice::HalfFloatSliceExt;
use std::hint::black_box;

const N: usize = 1 << 16;

mod common;

/// A conversion of `S` into f32.
type Widen<S> = fn(&[S], &mut [f32]);

/// `S` → f32: the `scalar` loop if given, `half`'s slice conversion, then
/// every ISA path (and the dispatched one, with `dispatched`).
fn widen<S: Element>(
    c: &mut Criterion,
    name: &str,
    (src, dst): (&[S], &mut [f32]),
    scalar: Option<Widen<S>>,
    dispatched: bool,
) where
    [S]: HalfFloatSliceExt,
{
    let mut g = common::group(c, name, N * 4);
    if let Some(scalar) = scalar {
        g.bench_function("scalar", |b| b.iter(|| scalar(black_box(src), dst)));
    }
    g.bench_function("half_slice", |b| {
        b.iter(|| black_box(src).convert_to_f32_slice(dst))
    });
    common::paths(&mut g, dst, dispatched, |k, dst| {
        k.to_f32(black_box(src), dst).unwrap()
    });
    g.finish();
}

/// f32 → `D`: `half`'s slice conversion, then every ISA path (and the
/// dispatched one, with `dispatched`).
fn narrow<D: Element>(c: &mut Criterion, name: &str, src: &[f32], dst: &mut [D], dispatched: bool)
where
    [D]: HalfFloatSliceExt,
{
    let mut g = common::group(c, name, N * 4);
    g.bench_function("half_slice", |b| {
        b.iter(|| dst.convert_from_f32_slice(black_box(src)))
    });
    common::paths(&mut g, dst, dispatched, |k, dst| {
        k.from_f32(black_box(src), dst).unwrap()
    });
    g.finish();
}

fn bench_convert(c: &mut Criterion) {
    let wide: Vec<f32> = (0..N).map(|v| (v as f32 - 30000.0) / 7.0).collect();
    let h: Vec<f16> = wide.iter().map(|&x| f16::from_f32(x)).collect();
    let bh: Vec<bf16> = wide.iter().map(|&x| bf16::from_f32(x)).collect();
    let mut out = vec![0.0f32; N];
    let mut out_h = vec![f16::ZERO; N];
    let mut out_b = vec![bf16::ZERO; N];

    let scalar = |src: &[f16], dst: &mut [f32]| {
        for (y, x) in dst.iter_mut().zip(src) {
            *y = x.to_f32();
        }
    };
    widen(c, "f16_to_f32", (&h, &mut out), Some(scalar), true);
    narrow(c, "f32_to_f16", &wide, &mut out_h, true);
    widen(c, "bf16_to_f32", (&bh, &mut out), None, false);
    narrow(c, "f32_to_bf16", &wide, &mut out_b, false);
}

criterion_group!(benches, bench_convert);
criterion_main!(benches);
