//! The conversions: `Kernels::to_f32`/`from_f32` on every path and the
//! functions of `embedding_kernels::convert`, for f32, f16 and bf16, with
//! matching and mismatched lengths: `ConvertLength` with the destination
//! untouched, or `half`'s bits exactly (NaNs included) on every path.
#![no_main]

use embedding_kernels::{Error, Kernels, bf16, convert, f16};
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
    let expect = if n == m {
        Ok(())
    } else {
        Err(Error::ConvertLength { src: n, dst: m })
    };

    // f32 -> T: the element type's (half's) rounding, bit for bit.
    let model: Vec<T> = wide.iter().map(|&x| T::from_f32(x)).collect();
    let fresh = sentinel::<T>(m);
    let what = |p: &dyn std::fmt::Debug| format!("f32 -> {} n {n} m {m} on {p:?}", T::NAME);
    let mut paths: Vec<Option<Path>> = vec![None];
    paths.extend(others().iter().map(|&p| Some(p)));
    for &p in &paths {
        let mut dst = fresh.clone();
        let r = match p {
            None => Kernels::portable().from_f32(&wide, &mut dst),
            Some(Path::Kernels(k)) => k.from_f32(&wide, &mut dst),
            Some(Path::Free) => convert::from_f32(&wide, &mut dst),
        };
        assert_eq!(r, expect, "{}", what(&p));
        if r.is_err() {
            assert_bits(&what(&p), &dst, &fresh);
        } else {
            assert_bits(&what(&p), &dst, &model);
        }
    }
    // T -> f32: exact widening, bit for bit.
    let model: Vec<f32> = narrow.iter().map(|&x| x.to_f32()).collect();
    let fresh = sentinel::<f32>(m);
    let what = |p: &dyn std::fmt::Debug| format!("{} -> f32 n {n} m {m} on {p:?}", T::NAME);
    for &p in &paths {
        let mut dst = fresh.clone();
        let r = match p {
            None => Kernels::portable().to_f32(&narrow, &mut dst),
            Some(Path::Kernels(k)) => k.to_f32(&narrow, &mut dst),
            Some(Path::Free) => convert::to_f32(&narrow, &mut dst),
        };
        assert_eq!(r, expect, "{}", what(&p));
        if r.is_err() {
            assert_bits(&what(&p), &dst, &fresh);
        } else {
            assert_bits(&what(&p), &dst, &model);
        }
    }
    // The named conversions, against the same models.
    let named = u.u8() % 4;
    let h: Vec<f16> = (0..n).map(|_| u.elem::<f16>(false)).collect();
    let b: Vec<bf16> = (0..n).map(|_| u.elem::<bf16>(false)).collect();
    match named {
        0 => {
            let mut d = sentinel::<f32>(m);
            let before = d.clone();
            let r = convert::f16_to_f32(&h, &mut d);
            assert_eq!(r, expect, "f16_to_f32");
            let want: Vec<f32> = if r.is_ok() {
                h.iter().map(|x| x.to_f32()).collect()
            } else {
                before
            };
            assert_bits(&"f16_to_f32", &d, &want);
        }
        1 => {
            let mut d = sentinel::<f32>(m);
            let before = d.clone();
            let r = convert::bf16_to_f32(&b, &mut d);
            assert_eq!(r, expect, "bf16_to_f32");
            let want: Vec<f32> = if r.is_ok() {
                b.iter().map(|x| x.to_f32()).collect()
            } else {
                before
            };
            assert_bits(&"bf16_to_f32", &d, &want);
        }
        2 => {
            let mut d = sentinel::<f16>(m);
            let before = d.clone();
            let r = convert::f32_to_f16(&wide, &mut d);
            assert_eq!(r, expect, "f32_to_f16");
            let want: Vec<f16> = if r.is_ok() {
                wide.iter().map(|&x| f16::from_f32(x)).collect()
            } else {
                before
            };
            assert_bits(&"f32_to_f16", &d, &want);
        }
        _ => {
            let mut d = sentinel::<bf16>(m);
            let before = d.clone();
            let r = convert::f32_to_bf16(&wide, &mut d);
            assert_eq!(r, expect, "f32_to_bf16");
            let want: Vec<bf16> = if r.is_ok() {
                wide.iter().map(|&x| bf16::from_f32(x)).collect()
            } else {
                before
            };
            assert_bits(&"f32_to_bf16", &d, &want);
        }
    }
}
