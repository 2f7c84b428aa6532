//! The quantizers: `quantize` for every format on any input (NaN, infinite,
//! huge, tiny, constant rows) and any output length: the documented error
//! with the output untouched, or bytes that are deterministic, form a
//! table, and dequantize (on every path, through `dequantize` and
//! `gather`) to values within about a step of the input (finite but at the
//! very top of f32's range).
#![no_main]

use embedding_kernels::quantized::{Quantize, dequantize, quantize};
use embedding_kernels::{Error, Kernels, Table, f16};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let f = u.u8();
    with_quantizer!(f, F, unit => run::<F>(&mut u, unit));
});

fn run<F: Quantize>(u: &mut In<'_>, unit: usize) {
    let dim = u.dim(unit, 100);
    let rows = if dim <= 128 { u.below(5) } else { 0 };
    let finite = u.u8() % 4 != 0;
    // Often a row around a common offset with a small spread, where the
    // scale is tiny relative to the values.
    let (base, spread) = if u.one_in(4) {
        (u.f32(true), u.f32(true))
    } else {
        (0.0, 1.0)
    };
    let len = if dim <= 128 {
        u.len_near(rows * dim)
    } else {
        u.below(4)
    };
    let input: Vec<f32> = (0..len)
        .map(|_| {
            let x = u.f32(finite);
            if spread != 1.0 && x.is_finite() {
                base + spread * (x / 256.0)
            } else {
                x
            }
        })
        .collect();
    let row_bytes = F::row_units(dim);
    let want_len = match row_bytes {
        Ok(rb) if dim > 0 => (len / dim).saturating_mul(rb),
        _ => 0,
    };
    let out_len = u.len_near(want_len);

    // The documented order: the dim, the input length, the output length,
    // then row by row.
    let expect = match row_bytes {
        Err(e) => Some(e),
        Ok(_) if len % dim != 0 => Some(Error::TableLength { len, dim }),
        Ok(_) if out_len != want_len => Some(Error::OutputLength {
            len: out_len,
            expected: want_len,
        }),
        Ok(_) => None,
    };
    let what = format!(
        "quantize {} dim {dim} len {len} out {out_len}: {input:?}",
        F::NAME
    );
    let fresh = sentinel::<u8>(out_len);
    let mut out = fresh.clone();
    let r = quantize::<F>(&input, dim, &mut out);
    if let Some(e) = expect {
        assert_eq!(r, Err(e), "{what}");
    }
    let Ok(()) = r else {
        assert_eq!(out, fresh, "{what}: wrote on error");
        match r.unwrap_err() {
            Error::NonFinite { row, column } => {
                assert!(input[..row * dim].iter().all(|x| x.is_finite()), "{what}");
                let first = input[row * dim..][..dim]
                    .iter()
                    .position(|x| !x.is_finite());
                assert_eq!(first, Some(column), "{what}");
            }
            Error::ScaleOverflow { format, row } => {
                assert_eq!(format, F::NAME, "{what}");
                assert!(
                    input[..(row + 1) * dim].iter().all(|x| x.is_finite()),
                    "{what}"
                );
            }
            e => assert_eq!(Some(e), expect, "{what}"),
        }
        return;
    };
    assert!(expect.is_none(), "{what}");
    assert!(
        input.iter().all(|x| x.is_finite()),
        "{what}: Ok on a non-finite input"
    );
    // Deterministic.
    let mut again = fresh.clone();
    quantize::<F>(&input, dim, &mut again).unwrap();
    assert_eq!(out, again, "{what}: two runs differ");

    let table = Table::<F>::from_bytes(&out, dim).expect("quantize writes whole rows");
    let rows = table.rows();
    assert_eq!(rows * dim, len, "{what}");
    let mut deq = vec![0.0f32; len];
    dequantize(table, &mut deq).unwrap();
    let all: Vec<u16> = (0..rows as u16).collect();
    let mut portable = vec![0.0f32; len];
    Kernels::portable()
        .gather(table, &all, &mut portable)
        .unwrap();
    assert_bits(
        &format!("{what}: dequantize vs portable gather"),
        &deq,
        &portable,
    );
    for &p in others() {
        let mut g = vec![0.0f32; len];
        p.kernels().gather(table, &all, &mut g).unwrap();
        assert_bits(&format!("{what}: on {p:?}"), &g, &portable);
    }
    let rb = row_bytes.unwrap();
    for r in 0..rows {
        let xs = &input[r * dim..][..dim];
        let ys = &deq[r * dim..][..dim];
        let bytes = &out[r * rb..][..rb];
        for (j, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            let bound = step_bound(F::NAME, bytes, x_group(F::NAME, xs, j), dim, j);
            if !y.is_finite() {
                // Only at the top of f32's range: a value within its bound
                // of x that rounds past f32::MAX (row-wise 8-bit's
                // `scale·255 + bias`; tests/fuzz_regressions.rs).
                assert!(
                    y.is_infinite() && (x as f64).abs() + bound > f32::MAX as f64,
                    "{what}: row {r} column {j} dequantizes to {y}"
                );
                continue;
            }
            assert!(
                (y as f64 - x as f64).abs() <= bound,
                "{what}: row {r} column {j}: {x} dequantizes to {y}, more than {bound} away"
            );
        }
    }
}

/// The values that share a scale with column `j`: the row, or its block.
fn x_group<'a>(name: &str, row: &'a [f32], j: usize) -> &'a [f32] {
    match name {
        "q8_0" | "q4_0" => &row[j / 32 * 32..][..32],
        _ => row,
    }
}

/// How far a dequantized value may be from its input: about twice the
/// rounding step of its scale (a code's half step, the clamp at the ends of
/// the 4-bit ranges, the f16 rounding of scales and biases), plus a small
/// allowance relative to the group's magnitude.
fn step_bound(name: &str, row: &[u8], group: &[f32], dim: usize, j: usize) -> f64 {
    let f16_at = |at: usize| f16::from_bits(u16::from_le_bytes([row[at], row[at + 1]])).to_f64();
    let amax = group.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
    let (lo, hi) = group.iter().fold((f64::MAX, f64::MIN), |(l, h), &x| {
        (l.min(x as f64), h.max(x as f64))
    });
    let range = hi - lo;
    let slack = amax * 2f64.powi(-20) + 1e-30;
    match name {
        "rowwise8" => {
            let s = f32::from_le_bytes(row[dim..dim + 4].try_into().unwrap()) as f64;
            // Codes are scaled by 255 / (range + 1e-8): off by that ratio.
            s + range * 1e-8 / (range + 1e-8) * 1.1 + slack
        }
        "rowwise4" | "rowwise2" => {
            let nb = row.len() - 4;
            let (s, bias) = (f16_at(nb), f16_at(nb + 2));
            let top = if name == "rowwise4" { 15.0 } else { 3.0 };
            s + (lo - bias).abs() + top * 2f64.powi(-23) + slack
        }
        "q8_0" => f16_at(j / 32 * 34) + 127.0 * 2f64.powi(-24) + slack,
        "q4_0" => 2.0 * f16_at(j / 32 * 18).abs() + 8.0 * 2f64.powi(-23) + slack,
        other => panic!("no bound for {other}"),
    }
}
