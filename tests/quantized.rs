//! Quantized tables on every ISA path: the one-rounding value of row-wise
//! 8-bit against `f32::mul_add` on adversarial rows, gather against the
//! one-hot oracle over the dequantized table, bags against the f32 bags of
//! the dequantized table (bit for bit), every path the same bits on random
//! bytes (NaN and infinite scales included), quantize → dequantize error
//! bounds, and every error with nothing written.

mod common;

use common::*;
use embedding_kernels::quantized::{
    Q4_0, Q8_0, Quantize, Rowwise2, Rowwise4, Rowwise8, dequantize, quantize,
};
use embedding_kernels::{Error, Format, GatherInto, Isa, Kernels, Table, f16};
use proptest::prelude::*;

fn row_bytes<F: Format>(dim: usize) -> usize {
    F::row_units(dim).unwrap()
}

/// Bit-for-bit equality of f32 slices, NaN matching NaN.
#[track_caller]
fn assert_bits(what: &str, isa: Isa, got: &[f32], want: &[f32]) {
    assert_same::<f32>(what, isa, got, want)
}

// ------------------------------------------------- the 8-bit fused value

/// A row-wise 8-bit table whose every element sits within 2^-11 ulp of an
/// f32 rounding midpoint (or exactly on one): where `f32(scale·q) + bias`
/// (two roundings) and `f32::mul_add` differ.
fn adversarial_rowwise8(rng: &mut TestRng, rows: usize, dim: usize) -> (Vec<u8>, Vec<f32>) {
    let mut bytes = Vec::new();
    let mut want = Vec::new();
    for _ in 0..rows {
        let sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
        let man = 1.0 + (rng.next() >> 41) as f64 / (1u64 << 23) as f64;
        let exp = rng.below(40) as i32 - 20;
        let s = (sign * man * 2f64.powi(exp)) as f32;
        let q = 1 + rng.below(255) as u8;
        let p = s as f64 * q as f64; // exact
        let k = 4 + rng.below(16) as i32;
        let off = if rng.below(2) == 0 { 1.0 } else { -1.0 } * 2f64.powi(-k);
        let y = (p * (1.0 + off)) as f32;
        let ulp = (f32::from_bits(y.abs().to_bits() + 1) - y.abs()) as f64;
        let m = y as f64 + y.signum() as f64 * ulp / 2.0;
        let b = match rng.below(4) {
            0 => (m - p) as f32,
            // no bias: the product alone rounds
            1 => 0.0,
            2 => ((m - p) as f32).next_up_or_down(rng),
            // The product near an f32 midpoint, the bias cancelling the
            // difference up to one of its own ulps: the exact sum is within
            // 2^-29 ulp of the midpoint, where one f64 rounding lands on the
            // midpoint itself (double rounding without round-to-odd).
            _ => {
                let (s2, q2, r) = near_midpoint(rng);
                bytes.extend(std::iter::repeat_n(q2, dim));
                bytes.extend_from_slice(&s2.to_le_bytes());
                let b = (-r) as f32;
                let b = if rng.below(3) == 0 {
                    b
                } else {
                    b.next_up_or_down(rng)
                };
                bytes.extend_from_slice(&b.to_le_bytes());
                want.extend(std::iter::repeat_n(s2.mul_add(q2 as f32, b), dim));
                continue;
            }
        };
        bytes.extend(std::iter::repeat_n(q, dim));
        bytes.extend_from_slice(&s.to_le_bytes());
        bytes.extend_from_slice(&b.to_le_bytes());
        want.extend(std::iter::repeat_n(s.mul_add(q as f32, b), dim));
    }
    (bytes, want)
}

/// A scale and a code whose product `p` is within 2^-6 ulp of an f32
/// midpoint `m` (but not on it), and `r = p − m` (exact in f64 and in f32).
fn near_midpoint(rng: &mut TestRng) -> (f32, u8, f64) {
    loop {
        let s = f32::from_bits(0x3f80_0000 | (rng.next() as u32 & 0x7f_ffff));
        let s = if rng.below(2) == 0 { s } else { -s } * 2f32.powi(rng.below(20) as i32 - 10);
        let q = 3 + 2 * rng.below(126) as u8;
        let p = s as f64 * q as f64;
        let y = p as f32;
        let ulp = (f32::from_bits(y.abs().to_bits() + 1) - y.abs()) as f64;
        let m = y as f64 + (p - y as f64).signum() * ulp / 2.0;
        let r = p - m;
        if r != 0.0 && r.abs() < ulp / 64.0 && (r as f32) as f64 == r {
            return (s, q, r);
        }
    }
}

trait NextUpOrDown {
    fn next_up_or_down(self, rng: &mut TestRng) -> f32;
}
impl NextUpOrDown for f32 {
    fn next_up_or_down(self, rng: &mut TestRng) -> f32 {
        if rng.below(2) == 0 {
            self.next_up()
        } else {
            self.next_down()
        }
    }
}

#[test]
fn rowwise8_value_is_fused_on_every_path() {
    let mut rng = TestRng(0x8b17_f00d);
    let mut double_rounding_differs = 0usize;
    let mut total = 0usize;
    for dim in [1usize, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100] {
        let rows = if cfg!(miri) { 4 } else { 400 };
        let (bytes, want) = adversarial_rowwise8(&mut rng, rows, dim);
        let table = Table::<Rowwise8>::from_bytes(&bytes, dim).unwrap();
        let idx: Vec<u32> = (0..rows as u32).collect();
        let what = format!("rowwise8 fused value dim {dim}");
        assert_gather_every_path(&what, table, &idx, &want, None);
        let mut deq = vec![0.0f32; rows * dim];
        dequantize(table, &mut deq).unwrap();
        assert_bits("dequantize", Isa::Portable, &deq, &want);
        for r in 0..rows {
            let row = &bytes[r * (dim + 8)..(r + 1) * (dim + 8)];
            let s = f32::from_le_bytes(row[dim..dim + 4].try_into().unwrap());
            let b = f32::from_le_bytes(row[dim + 4..].try_into().unwrap());
            total += 1;
            if (s * row[0] as f32 + b).to_bits() != want[r * dim].to_bits() {
                double_rounding_differs += 1;
            }
        }
    }
    // The rows are adversarial: mul-then-add gets a good share wrong.
    assert!(
        double_rounding_differs * 5 > total,
        "only {double_rounding_differs} of {total} rows discriminate"
    );
}

// ------------------------------------------------- random tables and bags

/// A finite f32 table of "embedding-like" rows: normal-ish values at a
/// per-row scale, with constant rows, outliers and zeros mixed in.
fn float_table(rng: &mut TestRng, rows: usize, dim: usize) -> Vec<f32> {
    let mut w = Vec::with_capacity(rows * dim);
    for _ in 0..rows {
        // Scales up to 100: a 1e5 outlier would overflow the f16 scale of
        // the 4- and 2-bit formats (an error, tested on its own).
        let scale = 10f32.powi(rng.below(6) as i32 - 3);
        let kind = rng.below(10);
        for c in 0..dim {
            let u = ((rng.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0;
            w.push(match kind {
                0 => 0.25 * scale,
                1 if c == 0 => 100.0 * scale,
                2 => 0.0,
                3 => -u.abs() * scale - 5.0 * scale,
                _ => u * scale,
            });
        }
    }
    w
}

fn quantized<F: Quantize>(w: &[f32], dim: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; w.len() / dim * row_bytes::<F>(dim)];
    quantize::<F>(w, dim, &mut bytes).unwrap();
    bytes
}

/// The whole property for one format on one table: gather == one_hot ·
/// dequantize(W) on every path, every path the same bits, bags == f32 bags
/// over the dequantized table bit for bit.
fn check_format<F: Quantize + GatherInto<f32>>(
    bytes: &[u8],
    rows: usize,
    dim: usize,
    seed: u64,
    oracle: bool,
) {
    let table = Table::<F>::from_bytes(bytes, dim).unwrap();
    assert_eq!(table.rows(), rows);
    let mut deq = vec![0.0f32; rows * dim];
    dequantize(table, &mut deq).unwrap();
    let wide = Table::new(&deq, dim).unwrap();
    let mut rng = TestRng(seed);
    let idx = random_indices(&mut rng, 60, rows);
    let what = format!("{} {rows}x{dim}", F::NAME);

    // The portable path, row by row, is the format's scalar value.
    let mut reference = vec![0.0f32; idx.len() * dim];
    Kernels::portable()
        .gather(table, &idx, &mut reference)
        .unwrap();
    assert_bits(&what, Isa::Portable, &reference, &rows_of(&deq, dim, &idx));
    let want = oracle.then(|| one_hot_gather(&idx, &deq, rows, dim));
    let what_gather = format!("gather {what}");
    assert_gather_every_path(&what_gather, table, &idx, &reference, want.as_deref());

    assert_random_bags_every_path(&format!("bags {what}"), wide, table, &mut rng, 12, true);
}

/// Quantize → dequantize error bound for element `x` of a row, per format
/// (see each arm); `deq` is the value read back.
fn check_roundtrip<F: Quantize>(w: &[f32], dim: usize, bytes: &[u8]) {
    let rb = row_bytes::<F>(dim);
    let table = Table::<F>::from_bytes(bytes, dim).unwrap();
    let mut deq = vec![0.0f32; w.len()];
    dequantize(table, &mut deq).unwrap();
    for (r, (x, v)) in w.chunks(dim).zip(deq.chunks(dim)).enumerate() {
        let row = &bytes[r * rb..(r + 1) * rb];
        let min = x.iter().copied().fold(f32::INFINITY, f32::min);
        let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mag = min.abs().max(max.abs()) as f64;
        for c in 0..dim {
            let (xv, dv) = (x[c] as f64, v[c] as f64);
            let err = (xv - dv).abs();
            let slack = 4.0 * mag * f32::EPSILON as f64;
            let bound = match F::NAME {
                // Half a step, plus the 1e-8 the reference adds to the
                // range (it shrinks the codes by range/(range + 1e-8)).
                "rowwise8" => {
                    let range = (max - min) as f64;
                    let step = range / 255.0;
                    0.5 * step + (xv - min as f64) * 1e-8 / (range + 1e-8) + slack
                }
                // Half a step of the f16 scale, plus the f16 roundings of
                // the minimum and of the scale (codes clamp at both ends).
                "rowwise4" | "rowwise2" => {
                    let top = if F::NAME == "rowwise4" { 15.0 } else { 3.0 };
                    let at = rb - 4;
                    let s = f16::from_le_bytes([row[at], row[at + 1]]).to_f64();
                    let b = f16::from_le_bytes([row[at + 2], row[at + 3]]).to_f64();
                    let range = max as f64 - b;
                    0.5 * s + (b - min as f64).abs() + (range - top * s).abs() + slack
                }
                // Half a step of the f32 d, plus the f16 rounding of d for
                // codes up to 127 (Q8_0), or one whole step for the code
                // clamped at 15 (Q4_0: the extreme opposite the maximum).
                _ => {
                    let blk = c / 32;
                    let per = if F::NAME == "q8_0" { 34 } else { 18 };
                    let dh = f16::from_le_bytes([row[blk * per], row[blk * per + 1]]).to_f64();
                    let xs = &x[blk * 32..blk * 32 + 32];
                    let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
                    if F::NAME == "q8_0" {
                        let d = amax / 127.0;
                        0.5 * d + 127.0 * (dh - d).abs() + slack
                    } else {
                        let d = amax / 8.0;
                        d + 8.0 * (dh.abs() - d).abs() + slack
                    }
                }
            };
            assert!(
                err <= bound,
                "{} row {r} column {c}: {xv} read back as {dv}, error {err} > bound {bound}",
                F::NAME
            );
        }
    }
}

fn check_all(rows: usize, dim: usize, seed: u64) {
    let mut rng = TestRng(seed);
    let w = float_table(&mut rng, rows, dim);
    let oracle = rows * dim * 60 <= 1 << 21;
    macro_rules! one {
        ($f:ty) => {{
            let bytes = quantized::<$f>(&w, dim);
            check_roundtrip::<$f>(&w, dim, &bytes);
            // And at an odd address: the bytes are read unaligned.
            let buf = shifted(&bytes, 1 + (seed % 7) as usize);
            check_format::<$f>(&buf[1 + (seed % 7) as usize..], rows, dim, seed, oracle);
        }};
    }
    one!(Rowwise8);
    one!(Rowwise4);
    one!(Rowwise2);
    if dim.is_multiple_of(32) {
        one!(Q8_0);
        one!(Q4_0);
    }
}

/// Shapes: small under Miri, which interprets every instruction.
const MAX_ROWS: usize = if cfg!(miri) { 8 } else { 200 };
const MAX_DIM: usize = if cfg!(miri) { 33 } else { 160 };

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn quantized_tables_on_every_path(rows in 1usize..=MAX_ROWS, dim in 1usize..=MAX_DIM, seed in any::<u64>()) {
        check_all(rows, dim, seed);
    }

    #[test]
    fn block_tables_on_every_path(rows in 1usize..=MAX_ROWS, blocks in 1usize..=MAX_DIM / 20, seed in any::<u64>()) {
        check_all(rows, blocks * 32, seed);
    }

    #[test]
    fn random_bytes_same_bits_on_every_path(rows in 1usize..=MAX_ROWS / 3, dim in 1usize..=MAX_DIM, seed in any::<u64>(), fmt in 0usize..5) {
        let dim = if fmt >= 3 { dim.div_ceil(32) * 32 } else { dim };
        match fmt {
            0 => random_bytes::<Rowwise8>(rows, dim, seed),
            1 => random_bytes::<Rowwise4>(rows, dim, seed),
            2 => random_bytes::<Rowwise2>(rows, dim, seed),
            3 => random_bytes::<Q8_0>(rows, dim, seed),
            _ => random_bytes::<Q4_0>(rows, dim, seed),
        }
    }
}

/// Random bytes, with scales and biases forced to NaN, ±inf, huge and tiny
/// values in some rows: every path gives the portable path's bits (NaN
/// matching NaN), for gather and for every pooling.
fn random_bytes<F: Format + GatherInto<f32>>(rows: usize, dim: usize, seed: u64) {
    let mut rng = TestRng(seed);
    let rb = row_bytes::<F>(dim);
    let mut bytes: Vec<u8> = (0..rows * rb).map(|_| rng.next() as u8).collect();
    let specials32 = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        1e-40,
        -0.0,
    ];
    let specials16: [u16; 6] = [0x7e00, 0x7c00, 0xfc00, 0x7bff, 0x0001, 0x7c01];
    for r in 0..rows {
        if rng.below(3) != 0 {
            continue;
        }
        let row = &mut bytes[r * rb..(r + 1) * rb];
        match F::NAME {
            "rowwise8" => {
                let at = dim + 4 * rng.below(2);
                row[at..at + 4].copy_from_slice(&specials32[rng.below(6)].to_le_bytes());
            }
            "rowwise4" | "rowwise2" => {
                let at = rb - 4 + 2 * rng.below(2);
                row[at..at + 2].copy_from_slice(&specials16[rng.below(6)].to_le_bytes());
            }
            _ => {
                let per = rb / (dim / 32);
                let at = per * rng.below(dim / 32);
                row[at..at + 2].copy_from_slice(&specials16[rng.below(6)].to_le_bytes());
            }
        }
    }
    let table = Table::<F>::from_bytes(&bytes, dim).unwrap();
    assert_random_bytes_every_path(table, &mut rng, 40, 8);
}

/// Every f16 scale, NaNs and infinities included, decodes as `half` does
/// (Q8_0 with code 1 reads back `d` itself) on every path.
#[test]
fn every_f16_scale() {
    let step = if cfg!(miri) { 4099 } else { 1 };
    let scales: Vec<u16> = (0..=u16::MAX).step_by(step).collect();
    let mut bytes = Vec::with_capacity(scales.len() * 34);
    for &h in &scales {
        bytes.extend_from_slice(&h.to_le_bytes());
        bytes.extend(std::iter::repeat_n(1u8, 32));
    }
    let table = Table::<Q8_0>::from_bytes(&bytes, 32).unwrap();
    let idx: Vec<u32> = (0..scales.len() as u32).collect();
    let want: Vec<f32> = scales
        .iter()
        .flat_map(|&h| std::iter::repeat_n(f16::from_bits(h).to_f32(), 32))
        .collect();
    assert_gather_every_path("every f16 scale", table, &idx, &want, None);
}

// --------------------------------------------------------------- errors

#[test]
fn table_errors() {
    let bytes = [0u8; 100];
    assert_eq!(
        Table::<Rowwise8>::from_bytes(&bytes, 0).unwrap_err(),
        Error::ZeroDim
    );
    assert_eq!(
        Table::<Rowwise4>::from_bytes(&bytes, 0).unwrap_err(),
        Error::ZeroDim
    );
    assert_eq!(
        Table::<Q8_0>::from_bytes(&bytes, 0).unwrap_err(),
        Error::ZeroDim
    );
    for (name, r) in [
        ("q8_0", Table::<Q8_0>::from_bytes(&bytes, 33).map(|_| ())),
        ("q4_0", Table::<Q4_0>::from_bytes(&bytes, 48).map(|_| ())),
    ] {
        let dim = if name == "q8_0" { 33 } else { 48 };
        assert_eq!(
            r.unwrap_err(),
            Error::DimNotMultiple {
                format: name,
                dim,
                block: 32
            }
        );
    }
    assert_byte_length_error::<Rowwise8>(&bytes, 4, 12);
    assert_byte_length_error::<Rowwise2>(&bytes[..7], 5, 6);
    assert_byte_length_error::<Q4_0>(&bytes[..37], 32, 18);
    assert_eq!(Rowwise4::row_units(5), Ok(3 + 4));
    assert_eq!(Rowwise2::row_units(5), Ok(2 + 4));
    assert_eq!(Q4_0::row_units(64), Ok(36));
    assert_eq!(
        Error::DimNotMultiple {
            format: "q8_0",
            dim: 33,
            block: 32
        }
        .to_string(),
        "dim 33 is not a multiple of 32, the block size of format q8_0"
    );

    // Out-of-range indices, as for the float tables; nothing written.
    assert_out_of_range_writes_nothing(Table::<Q8_0>::from_bytes(&bytes[..68], 32).unwrap());
}

/// `quantize::<F>(input, dim)` fails with `want`, and leaves `out` as it was.
#[track_caller]
fn quantize_fails<F: Quantize>(input: &[f32], dim: usize, out_len: usize, want: Error) {
    let mut out = vec![0xa5u8; out_len];
    assert_eq!(
        quantize::<F>(input, dim, &mut out).unwrap_err(),
        want,
        "{}",
        F::NAME
    );
    assert!(out.iter().all(|&b| b == 0xa5), "{} wrote on error", F::NAME);
}

#[test]
fn quantize_errors() {
    let x = [1.0f32; 64];
    quantize_fails::<Rowwise8>(&x, 0, 10, Error::ZeroDim);
    quantize_fails::<Q8_0>(
        &x,
        16,
        34,
        Error::DimNotMultiple {
            format: "q8_0",
            dim: 16,
            block: 32,
        },
    );
    quantize_fails::<Q4_0>(
        &x,
        48,
        34,
        Error::DimNotMultiple {
            format: "q4_0",
            dim: 48,
            block: 32,
        },
    );
    quantize_fails::<Rowwise8>(&x[..10], 4, 36, Error::TableLength { len: 10, dim: 4 });
    quantize_fails::<Rowwise4>(
        &x[..8],
        4,
        11,
        Error::OutputLength {
            len: 11,
            expected: 12,
        },
    );
    quantize_fails::<Q4_0>(
        &x,
        32,
        35,
        Error::OutputLength {
            len: 35,
            expected: 36,
        },
    );

    // Non-finite input: row and column of the first one.
    let mut y = vec![0.5f32; 3 * 32];
    y[32 + 7] = f32::NAN;
    y[2 * 32 + 1] = f32::INFINITY;
    let nf = Error::NonFinite { row: 1, column: 7 };
    quantize_fails::<Rowwise8>(&y, 32, 3 * 40, nf);
    quantize_fails::<Rowwise4>(&y, 32, 3 * 20, nf);
    quantize_fails::<Rowwise2>(&y, 32, 3 * 12, nf);
    quantize_fails::<Q8_0>(&y, 32, 3 * 34, nf);
    quantize_fails::<Q4_0>(&y, 32, 3 * 18, nf);
    y[32 + 7] = 0.5;
    quantize_fails::<Q4_0>(&y, 32, 3 * 18, Error::NonFinite { row: 2, column: 1 });
    quantize_fails::<Rowwise8>(&y, 16, 6 * 24, Error::NonFinite { row: 4, column: 1 });
    assert_eq!(
        nf.to_string(),
        "input value at row 1, column 7 is not finite"
    );

    // Finite rows whose scale or bias the format cannot hold (the
    // reference writes NaN rows): the boundaries PyTorch was measured at.
    let over = |format, row| Error::ScaleOverflow { format, row };
    quantize_fails::<Rowwise8>(&[1.0, 2.0, -3e38, 3e38], 2, 20, over("rowwise8", 1));
    quantize_fails::<Rowwise4>(&[0.0, 1e6], 2, 5, over("rowwise4", 0));
    quantize_fails::<Rowwise4>(&[0.0, 1.0, 0.0, 983000.0], 2, 10, over("rowwise4", 1));
    quantize_fails::<Rowwise4>(&[-1e5, 0.0], 2, 5, over("rowwise4", 0));
    quantize_fails::<Rowwise4>(&[7e4, 8e4], 2, 5, over("rowwise4", 0));
    quantize_fails::<Rowwise2>(&[0.0, 197000.0, 0.0, 197000.0], 4, 5, over("rowwise2", 0));
    quantize_fails::<Rowwise2>(&[-1e5, 0.0, -1e5, 0.0], 4, 5, over("rowwise2", 0));
    let mut big = vec![0.0f32; 64];
    big[40] = 1e7; // d = 1e7 / 127 > 65504
    quantize_fails::<Q8_0>(&big, 32, 68, over("q8_0", 1));
    big[40] = -6e5; // d = 6e5 / 8 > 65504
    quantize_fails::<Q4_0>(&big, 32, 36, over("q4_0", 1));
    assert_eq!(
        over("rowwise4", 3).to_string(),
        "row 3 cannot be quantized to rowwise4: its scale or bias would not be finite"
    );

    // Just inside: finite, as PyTorch measured.
    let mut out = [0u8; 5];
    quantize::<Rowwise4>(&[0.0, 982000.0], 2, &mut out).unwrap();
    quantize::<Rowwise4>(&[-65504.0, 0.0], 2, &mut out).unwrap();
    let mut deq = [0.0f32; 2];
    dequantize(Table::<Rowwise4>::from_bytes(&out, 2).unwrap(), &mut deq).unwrap();
    assert_eq!(deq, [-65504.0, 16.0]);
    quantize::<Rowwise2>(&[0.0, 196000.0, 0.0, 196000.0], 4, &mut out).unwrap();
    dequantize(
        Table::<Rowwise2>::from_bytes(&out, 4).unwrap(),
        &mut [0.0f32; 4],
    )
    .unwrap();
    let mut q8 = [0u8; 34];
    let mut v = [0.0f32; 32];
    v[5] = 8.3e6;
    quantize::<Q8_0>(&v, 32, &mut q8).unwrap();
}

/// Any dim for the row-wise N-bit formats: the last byte's unused bits are
/// zero, and the codes match a dim padded to a whole byte.
#[test]
fn nbit_any_dim() {
    let x = [0.0f32, 1.0, 2.0, 3.0, 4.0];
    let mut b4 = [0xffu8; 3 + 4];
    quantize::<Rowwise4>(&x, 5, &mut b4).unwrap();
    assert_eq!(b4[2] >> 4, 0);
    let mut b2 = [0xffu8; 2 + 4];
    quantize::<Rowwise2>(&x, 5, &mut b2).unwrap();
    assert_eq!(b2[1] >> 2, 0);
    // The codes of dim 5 are those of dim 6 with a padding value.
    let mut b6 = [0u8; 3 + 4];
    quantize::<Rowwise4>(&[0.0, 1.0, 2.0, 3.0, 4.0, 0.0], 6, &mut b6).unwrap();
    assert_eq!(b4, b6);
    let mut deq = [0.0f32; 5];
    dequantize(Table::<Rowwise4>::from_bytes(&b4, 5).unwrap(), &mut deq).unwrap();
    let step = 4.0f32 / 15.0;
    assert!(
        deq.iter()
            .zip(x)
            .all(|(d, x)| (d - x).abs() <= step / 2.0 + 1e-3)
    );
}

/// The README's table of formats: bytes per row at dims 64 and 384, and the
/// quantization error against f32 (max and mean absolute) on a random
/// normal table. `cargo test --release --test quantized -- --ignored --nocapture`
#[test]
#[ignore]
fn format_table() {
    let (rows, dim) = (1000, 384);
    let mut rng = TestRng(2026);
    // Box–Muller normals, N(0, 1).
    let w: Vec<f32> = (0..rows * dim)
        .map(|_| {
            let u1 = ((rng.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
            let u2 = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        })
        .collect();
    fn row<F: Quantize>(w: &[f32], dim: usize) {
        let bytes = quantized::<F>(w, dim);
        let mut deq = vec![0.0f32; w.len()];
        dequantize(Table::<F>::from_bytes(&bytes, dim).unwrap(), &mut deq).unwrap();
        let errs: Vec<f64> = w
            .iter()
            .zip(&deq)
            .map(|(a, b)| (a - b).abs() as f64)
            .collect();
        let max = errs.iter().copied().fold(0.0, f64::max);
        let mean = errs.iter().sum::<f64>() / errs.len() as f64;
        println!(
            "| {} | {} | {} | {max:.4} | {mean:.4} |",
            F::NAME,
            F::row_units(64).unwrap(),
            F::row_units(384).unwrap()
        );
    }
    println!("| format | bytes/row dim 64 | dim 384 | max abs error | mean abs error |");
    println!("| --- | --- | --- | --- | --- |");
    println!("| f32 | 256 | 1536 | 0 | 0 |");
    row::<Rowwise8>(&w, dim);
    row::<Rowwise4>(&w, dim);
    row::<Rowwise2>(&w, dim);
    row::<Q8_0>(&w, dim);
    row::<Q4_0>(&w, dim);
}
