//! The conversions: `Kernels::to_f32`/`from_f32` on every path and the
//! functions of `embedding_kernels::convert`, for f32, f16 and bf16, with
//! matching and mismatched lengths: `ConvertLength` with the destination
//! untouched, or `half`'s bits exactly (NaNs included) on every path.
#![no_main]

use std::fmt::{Debug, Display};

use embedding_kernels::{Error, bf16, convert, f16};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let t = u.u8();
    with_float!(t, T => run::<T>(&mut u));
});

fn run<T: FuzzElement>(u: &mut In<'_>) {
    let n = u.below(80);
    let m = u.len_near(n);
    let wide: Vec<f32> = (0..n).map(|_| u.f32(false)).collect();
    let narrow: Vec<T> = (0..n).map(|_| u.elem::<T>(false)).collect();
    let expect = length(m, n, CONVERT_LENGTH);

    // f32 -> T: the element type's (half's) rounding, bit for bit.
    let what = format!("f32 -> {} n {n} m {m}", T::NAME);
    check_paths_against(&what, &wide, m, expect, Path::from_f32, T::from_f32);
    // T -> f32: exact widening, bit for bit.
    let what = format!("{} -> f32 n {n} m {m}", T::NAME);
    check_paths_against(&what, &narrow, m, expect, Path::to_f32, T::to_f32);
    // The named conversions, against the same models.
    let named = u.u8() % 4;
    let h: Vec<f16> = (0..n).map(|_| u.elem::<f16>(false)).collect();
    let b: Vec<bf16> = (0..n).map(|_| u.elem::<bf16>(false)).collect();
    match named {
        0 => check_named(
            "f16_to_f32",
            &h,
            m,
            expect,
            convert::f16_to_f32,
            f16::to_f32,
        ),
        1 => check_named(
            "bf16_to_f32",
            &b,
            m,
            expect,
            convert::bf16_to_f32,
            bf16::to_f32,
        ),
        2 => check_named(
            "f32_to_f16",
            &wide,
            m,
            expect,
            convert::f32_to_f16,
            f16::from_f32,
        ),
        _ => check_named(
            "f32_to_bf16",
            &wide,
            m,
            expect,
            convert::f32_to_bf16,
            bf16::from_f32,
        ),
    }
}

/// `dst` is `model` of each element of `src`, bit for bit.
#[track_caller]
fn assert_model<S: Copy, D: FuzzElement>(
    what: &dyn Display,
    src: &[S],
    dst: &[D],
    model: fn(S) -> D,
) {
    let want: Vec<D> = src.iter().map(|&x| model(x)).collect();
    assert_bits(what, dst, &want);
}

/// `Kernels::to_f32` or `from_f32` (`call`) from `src` into `m` elements
/// on every path: `expect`, with the destination untouched on error,
/// `model`'s bits on `Ok`.
fn check_paths_against<S: Copy, D: FuzzElement>(
    what: &str,
    src: &[S],
    m: usize,
    expect: Result<(), Error>,
    call: fn(Path, &[S], &mut [D]) -> Result<(), Error>,
    model: fn(S) -> D,
) {
    let what = |p: &dyn Debug| format!("{what} on {p:?}");
    let check_ok = |dst: &[D]| assert_model(&what(&"portable"), src, dst, model);
    let before = sentinel::<D>(m);
    check_paths(
        &what,
        &before,
        expect,
        assert_bits,
        |p, d| call(p, src, d),
        check_ok,
    );
}

/// A named conversion `f` from `src` into `m` elements: `expect`, with the
/// destination untouched on error, `model`'s bits on `Ok`.
fn check_named<S: Copy, D: FuzzElement>(
    name: &str,
    src: &[S],
    m: usize,
    expect: Result<(), Error>,
    f: fn(&[S], &mut [D]) -> Result<(), Error>,
    model: fn(S) -> D,
) {
    let (r, dst) = check_call(&name, &sentinel::<D>(m), expect, |d| f(src, d));
    if r.is_ok() {
        assert_model(&name, src, &dst, model);
    }
}
