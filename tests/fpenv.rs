//! The floating-point environment: a caller that changed MXCSR's rounding
//! mode (C code calling through FFI, say) gets the same bits from every
//! path. Conversions to and from f16/bf16 round to nearest even whatever
//! the mode (F16C takes the mode as an immediate, the SSE2 path and the
//! scalar tails round with exact integer steps, `half`'s software likewise);
//! the arithmetic of bags and scatter-add follows the mode, and does so
//! identically on every x86 path (all of them, the portable loops included,
//! use SSE/AVX arithmetic, which obeys MXCSR).
//!
//! Rust code itself assumes the default environment, so the test changes
//! MXCSR only around the kernel calls, on its own thread, and restores it.
#![cfg(all(target_arch = "x86_64", not(miri)))]

mod common;

use common::{TestElement, TestRng, kernels};
use embedding_kernels::{Bags, Kernels, Pooling, Table, TableMut, bf16, f16};
use std::hint::black_box;

/// MXCSR's rounding-control field (bits 13-14).
const MODES: [(&str, u32); 4] = [
    ("nearest", 0),
    ("down", 1 << 13),
    ("up", 2 << 13),
    ("toward zero", 3 << 13),
];

fn get_mxcsr() -> u32 {
    let mut v = 0u32;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR to the given address, which
    // is a local `u32`.
    unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

fn set_mxcsr(v: u32) {
    // SAFETY: `ldmxcsr` loads MXCSR from a local `u32`; only the rounding
    // field is changed from a value read back from the CPU, and the caller
    // restores the original before any other float code of the test runs.
    unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
}

/// Runs `f` with MXCSR's rounding mode set to `mode`, then restores it.
fn with_mode<R>(mode: u32, f: impl FnOnce() -> R) -> R {
    let saved = get_mxcsr();
    set_mxcsr((saved & !(3 << 13)) | mode);
    let r = f();
    set_mxcsr(saved);
    r
}

/// f32 values around every f16 rounding boundary that matters: each f16
/// value, the midpoints between neighbours (ties), one f32 ulp either side
/// of them, across the subnormal and normal f16 ranges and overflow.
fn narrowing_inputs() -> Vec<f32> {
    let mut v = Vec::new();
    for h in (0u16..0x7c00)
        .step_by(7)
        .chain(0x0000..0x0040)
        .chain(0x03c0..0x0440)
    {
        let a = f16::from_bits(h).to_f32();
        let b = f16::from_bits(h + 1).to_f32();
        let mid = (a as f64 + b as f64) / 2.0;
        let m = mid as f32;
        for x in [
            a,
            m,
            f32::from_bits(m.to_bits() + 1),
            f32::from_bits(m.to_bits() - 1),
        ] {
            v.push(x);
            v.push(-x);
        }
    }
    v.extend([
        65504.0,
        65519.0,
        65520.0,
        1e-8,
        3e-8,
        2.98e-8,
        6.0e-8,
        f32::MIN_POSITIVE,
    ]);
    v
}

/// Widening `every` on `k` in the rounding mode `(name, mode)` gives
/// `half`'s bits.
fn widening_is_halfs<H: TestElement>(k: Kernels, (name, mode): (&str, u32), every: &[H]) {
    let mut wide = vec![0f32; every.len()];
    with_mode(mode, || k.to_f32(black_box(every), &mut wide).unwrap());
    for (x, y) in every.iter().zip(&wide) {
        assert_eq!(
            y.to_bits(),
            x.to_f32().to_bits(),
            "{} {:#x} on {} in mode {name}",
            H::name(),
            x.bits(),
            k.isa()
        );
    }
}

#[test]
fn conversions_ignore_the_rounding_mode() {
    let src = narrowing_inputs();
    let want_h: Vec<u16> = src.iter().map(|&x| f16::from_f32(x).to_bits()).collect();
    let want_b: Vec<u16> = src.iter().map(|&x| bf16::from_f32(x).to_bits()).collect();
    let every_h: Vec<f16> = (0..=u16::MAX).map(f16::from_bits).collect();
    let every_b: Vec<bf16> = (0..=u16::MAX).map(bf16::from_bits).collect();
    for (name, mode) in MODES {
        for k in kernels() {
            // Widening every f16 and bf16 bit pattern: `half`'s bits.
            widening_is_halfs(k, (name, mode), &every_h);
            widening_is_halfs(k, (name, mode), &every_b);
            let mut h = vec![f16::ZERO; src.len()];
            let mut b = vec![bf16::ZERO; src.len()];
            with_mode(mode, || {
                k.from_f32(black_box(&src), &mut h).unwrap();
                k.from_f32(black_box(&src), &mut b).unwrap();
            });
            for i in 0..src.len() {
                assert_eq!(
                    h[i].to_bits(),
                    want_h[i],
                    "f16 of {:e} ({:#x}) on {} in mode {name}",
                    src[i],
                    src[i].to_bits(),
                    k.isa()
                );
                assert_eq!(
                    b[i].to_bits(),
                    want_b[i],
                    "bf16 of {:e} on {} in mode {name}",
                    src[i],
                    k.isa()
                );
            }
        }
    }
}

#[test]
fn every_path_agrees_in_every_rounding_mode() {
    let mut rng = TestRng(0xf9e4);
    for (name, mode) in MODES {
        for dim in [1usize, 3, 7, 16, 19, 33, 64] {
            let rows = 40;
            let w: Vec<f32> = (0..rows * dim).map(|_| rng.finite()).collect();
            let w16: Vec<f16> = w.iter().map(|&x| f16::from_f32(x)).collect();
            let ids: Vec<u32> = (0..30).map(|_| rng.below(rows) as u32).collect();
            let offsets = [0u32, 3, 3, 10, 30];
            let weights: Vec<f32> = (0..30).map(|_| rng.finite()).collect();
            let grad: Vec<f32> = (0..30 * dim).map(|_| rng.finite()).collect();
            let run = |k: Kernels| {
                with_mode(mode, || {
                    let mut out = vec![0f32; 4 * dim];
                    let bags = Bags::new(&ids, &offsets).with_weights(&weights);
                    k.gather_bags(Table::new(&w, dim).unwrap(), bags, Pooling::Mean, &mut out)
                        .unwrap();
                    let mut t = w.clone();
                    k.scatter_add(&mut TableMut::new(&mut t, dim).unwrap(), &ids, &grad, 0.37)
                        .unwrap();
                    let mut t16 = w16.clone();
                    k.scatter_add(
                        &mut TableMut::new(&mut t16, dim).unwrap(),
                        &ids,
                        &grad,
                        0.37,
                    )
                    .unwrap();
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    (
                        bits(&out),
                        bits(&t),
                        t16.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    )
                })
            };
            let want = run(Kernels::portable());
            for k in kernels() {
                assert!(run(k) == want, "dim {dim} on {} in mode {name}", k.isa());
            }
        }
    }
}
