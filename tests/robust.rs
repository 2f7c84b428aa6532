//! No panics: arbitrary lengths, indices, offsets, weights and scales thrown
//! at every public function give `Ok` or `Err`, never a panic, and an `Err`
//! never writes. Also the conversions and the square root against `std`.

mod common;

use common::{POOLINGS, TestElement, TestRng, config, kernels};
use embedding_kernels::{Bags, Kernels, Pooling, Table, TableMut, bf16, f16, onehot};
use proptest::prelude::*;

fn pooling(p: u8) -> Pooling {
    POOLINGS[p as usize % 4]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn public_functions_never_panic(
        table_len in 0usize..64,
        dim in 0usize..9,
        idx in proptest::collection::vec(any::<i64>().prop_map(|v| v % 12), 0..20),
        offsets in proptest::collection::vec(-2i64..24, 0..8),
        weights in proptest::option::of(proptest::collection::vec(any::<f32>(), 0..22)),
        out_len in 0usize..200,
        p in any::<u8>(),
        scale in any::<f32>(),
        seed in any::<u64>(),
    ) {
        let mut rng = TestRng(seed);
        let data: Vec<f32> = (0..table_len).map(|_| rng.any_bits()).collect();
        let data16: Vec<f16> = data.iter().map(|&x| f16::from_f32(x)).collect();
        for k in kernels() {
            let Ok(t) = Table::new(&data, dim) else { continue };
            let t16 = Table::new(&data16, dim).unwrap();
            let mut out = vec![1.5f32; out_len];
            if k.gather(t, &idx, &mut out).is_err() {
                prop_assert!(out.iter().all(|&x| x == 1.5));
            }
            let mut out16 = vec![f16::ONE; out_len];
            if k.gather(t16, &idx, &mut out16).is_err() {
                prop_assert!(out16.iter().all(|&x| x == f16::ONE));
            }
            let mut bags = Bags::new(&idx, &offsets);
            if let Some(w) = &weights {
                bags = bags.with_weights(w);
            }
            let mut out = vec![2.5f32; out_len];
            if k.gather_bags(t16, bags, pooling(p), &mut out).is_err() {
                prop_assert!(out.iter().all(|&x| x == 2.5));
            }
            let mut tbl = data.clone();
            let before: Vec<u32> = tbl.iter().map(|x| x.to_bits()).collect();
            let grad: Vec<f32> = (0..out_len).map(|_| rng.any_bits()).collect();
            if k.scatter_add(&mut TableMut::new(&mut tbl, dim).unwrap(), &idx, &grad, scale).is_err() {
                prop_assert_eq!(before, tbl.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
            }
            let mut conv = vec![bf16::ZERO; out_len];
            let _ = k.from_f32(&data, &mut conv);
            let _ = k.to_f32(&conv, &mut out);
        }
        // The oracle, with shapes that may not fit.
        let rows = table_len / dim.max(1);
        let mut a = vec![0.0f32; out_len];
        let _ = onehot::one_hot(&idx, rows, &mut a);
        let _ = onehot::multi_hot(Bags::new(&idx, &offsets), rows, &mut a);
        let mut c = vec![0.0f32; out_len];
        let _ = onehot::matmul(&a, &data, &mut c, dim, rows, 3);
        let _ = onehot::matmul_transposed(&a, &data, &mut c, rows, dim, 2);
        if let Ok(t) = Table::new(&data, dim.max(1)) {
            let _ = onehot::pool(&a, t, pooling(p), &mut c);
        }
        let _ = Table::<f32>::from_bytes(bytemuck_bytes(&data, seed as usize % 4), dim);
    }

    #[test]
    fn conversions_match_half_on_every_path(seed in any::<u64>(), n in 0usize..100) {
        let mut rng = TestRng(seed);
        let src: Vec<f32> = (0..n).map(|_| rng.any_bits()).collect();
        for k in kernels() {
            let mut h = vec![f16::ZERO; n];
            k.from_f32(&src, &mut h).unwrap();
            let mut b = vec![bf16::ZERO; n];
            k.from_f32(&src, &mut b).unwrap();
            // The same bits as `half`, NaNs included (quiet, payload kept).
            // Under Miri, a NaN from a float instruction (F16C in `half`'s
            // own conversion included) has an arbitrary payload: only
            // NaN-ness is checked for NaNs there.
            let miri_nan = |x: f32| cfg!(miri) && x.is_nan();
            for i in 0..n {
                if miri_nan(src[i]) {
                    prop_assert!(h[i].is_nan() && b[i].is_nan());
                    continue;
                }
                let (want_h, want_b) = (f16::from_f32(src[i]), bf16::from_f32(src[i]));
                prop_assert_eq!(h[i].to_bits(), want_h.to_bits(), "{} f16 of {:#x}", k.isa(), src[i].to_bits());
                prop_assert_eq!(b[i].to_bits(), want_b.to_bits(), "{} bf16 of {:#x}", k.isa(), src[i].to_bits());
            }
            widens_as_half(k, &h)?;
            widens_as_half(k, &b)?;
        }
    }
}

/// `h` widens on `k` to `half`'s bits (under Miri, where a NaN's payload
/// is arbitrary, a NaN only to a NaN).
fn widens_as_half<H: TestElement>(k: Kernels, h: &[H]) -> Result<(), TestCaseError> {
    let mut back = vec![0.0f32; h.len()];
    k.to_f32(h, &mut back).unwrap();
    for i in 0..h.len() {
        if cfg!(miri) && back[i].is_nan() {
            prop_assert!(h[i].to_f32().is_nan());
            continue;
        }
        prop_assert_eq!(back[i].to_bits(), h[i].to_f32().to_bits());
    }
    Ok(())
}

fn bytemuck_bytes(data: &[f32], skip: usize) -> &[u8] {
    let bytes: &[u8] = bytemuck::cast_slice(data);
    &bytes[skip.min(bytes.len())..]
}

/// Every f16 and bf16 bit pattern widens to what `half` says, bit for bit
/// (NaNs made quiet, payloads kept), and narrows back to itself (NaNs to
/// their quiet form), on every path.
#[test]
fn every_f16_and_bf16_bit_pattern() {
    let all: Vec<u16> = if cfg!(miri) {
        (0..=u16::MAX).step_by(997).collect()
    } else {
        (0..=u16::MAX).collect()
    };
    for k in kernels() {
        every_bit_pattern(k, &all, f16::from_bits, |b| {
            f16::from_bits(b).to_f32().to_bits()
        });
        every_bit_pattern(k, &all, bf16::from_bits, |b| (b as u32) << 16);
    }
}

/// The bit patterns `all` of a 16-bit type `H` widen on `k` to
/// `want_wide(bits)` (NaN to NaN) and narrow back to themselves.
fn every_bit_pattern<H: TestElement>(
    k: Kernels,
    all: &[u16],
    from_bits: fn(u16) -> H,
    want_wide: fn(u16) -> u32,
) {
    let h: Vec<H> = all.iter().map(|&b| from_bits(b)).collect();
    let mut wide = vec![0.0f32; all.len()];
    k.to_f32(&h, &mut wide).unwrap();
    let mut back = vec![H::default(); all.len()];
    k.from_f32(&wide, &mut back).unwrap();
    let name = H::name();
    for i in 0..all.len() {
        if h[i].to_f32().is_nan() {
            assert!(
                wide[i].is_nan() && back[i].to_f32().is_nan(),
                "{} {:#x}",
                k.isa(),
                all[i]
            );
        } else {
            assert_eq!(
                wide[i].to_bits(),
                want_wide(all[i]),
                "{} {name} {:#x}",
                k.isa(),
                all[i]
            );
            assert_eq!(
                back[i].bits(),
                all[i] as u32,
                "{} {name} round trip {:#x}",
                k.isa(),
                all[i]
            );
        }
    }
}

/// The crate's no_std square root (used by SqrtN) against `std`'s, on
/// edge cases and random bit patterns, through the SqrtN pooling itself.
#[test]
fn sqrt_n_divisor_matches_std_sqrt() {
    let mut rng = TestRng(7);
    let n = if cfg!(miri) { 50 } else { 200_000 };
    let mut ws: Vec<f32> = vec![
        0.0,
        -0.0,
        1.0,
        2.0,
        3.0,
        f32::MIN_POSITIVE,
        1e-45,
        f32::MAX,
        4.0e-39,
    ];
    ws.extend((0..n).map(|_| f32::from_bits(rng.next() as u32 & 0x7fff_ffff)));
    let table = [1.0f32];
    let t = Table::new(&table, 1).unwrap();
    for w in ws {
        // One bag of one index with weight w: SqrtN gives (w·1) / √(w²).
        let ww = w * w;
        let want_div = ww.sqrt();
        let want = if want_div == 0.0 { 0.0 } else { w / want_div };
        let mut out = [0.0f32];
        for k in kernels() {
            k.gather_bags(
                t,
                Bags::new(&[0u8], &[0u8, 1]).with_weights(&[w]),
                Pooling::SqrtN,
                &mut out,
            )
            .unwrap();
            assert!(
                out[0].to_bits() == want.to_bits() || (out[0].is_nan() && want.is_nan()),
                "{}: w = {w:e}: got {}, want {want}",
                k.isa(),
                out[0]
            );
        }
    }
}
