//! GGUF K-quants (Q4_K, Q6_K) on every ISA path: the values against a
//! transcription of ggml's `dequantize_row_q4_K` / `dequantize_row_q6_K`
//! (their loops as written, independent of the crate's per-element
//! indexing), gather against the one-hot oracle over the dequantized table
//! (`==`) and the reference bits, bags against the f32 bags of the
//! dequantized table bit for bit (every pooling, with and without weights),
//! every path the same bits on random bytes (NaN and infinite `d` included),
//! and every error with nothing written. The golden values made by gguf-py
//! are checked in `tests/golden.rs`.

mod common;

use common::*;
use embedding_kernels::quantized::{Q4_K, Q6_K, dequantize};
use embedding_kernels::{Error, Format, GatherInto, Isa, Table, f16};
use proptest::prelude::*;

const QK_K: usize = 256;

fn f16_at(b: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
}

/// ggml `get_scale_min_k4`, as written.
fn get_scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// ggml `dequantize_row_q4_K` (ggml-quants.c), loop for loop: per block of
/// 256, f16 `d` and `dmin`, then per 64 elements two sub-blocks, `d1 = d·sc`,
/// `m1 = dmin·m`, `y = d1·(q & 0xF) − m1` for the first 32 and
/// `d2·(q >> 4) − m2` for the next 32 of the same 32 bytes.
// The C loops as written, indices and all.
#[allow(clippy::needless_range_loop)]
fn ggml_q4_k(x: &[u8], y: &mut Vec<f32>) {
    for blk in x.chunks_exact(144) {
        let d = f16_at(blk, 0);
        let min = f16_at(blk, 2);
        let scales = &blk[4..16];
        let mut q = &blk[16..];
        let mut is = 0;
        for _ in (0..QK_K).step_by(64) {
            let (sc, m) = get_scale_min_k4(is, scales);
            let d1 = d * sc as f32;
            let m1 = min * m as f32;
            let (sc, m) = get_scale_min_k4(is + 1, scales);
            let d2 = d * sc as f32;
            let m2 = min * m as f32;
            for l in 0..32 {
                y.push(d1 * (q[l] & 0xF) as f32 - m1);
            }
            for l in 0..32 {
                y.push(d2 * (q[l] >> 4) as f32 - m2);
            }
            q = &q[32..];
            is += 2;
        }
    }
}

/// ggml `dequantize_row_q6_K` (ggml-quants.c), loop for loop.
fn ggml_q6_k(x: &[u8], y: &mut Vec<f32>) {
    for blk in x.chunks_exact(210) {
        let d = f16_at(blk, 208);
        let mut out = [0.0f32; QK_K];
        let (mut ql, mut qh) = (&blk[..128], &blk[128..192]);
        let mut sc = &blk[192..208];
        let mut yo = 0;
        for _ in (0..QK_K).step_by(128) {
            for l in 0..32 {
                let is = l / 16;
                let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i8 as i32 - 32;
                let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i8 as i32 - 32;
                let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i8 as i32 - 32;
                let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i8 as i32 - 32;
                out[yo + l] = d * sc[is] as i8 as f32 * q1 as f32;
                out[yo + l + 32] = d * sc[is + 2] as i8 as f32 * q2 as f32;
                out[yo + l + 64] = d * sc[is + 4] as i8 as f32 * q3 as f32;
                out[yo + l + 96] = d * sc[is + 6] as i8 as f32 * q4 as f32;
            }
            yo += 128;
            ql = &ql[64..];
            qh = &qh[32..];
            sc = &sc[8..];
        }
        y.extend_from_slice(&out);
    }
}

/// A K-quant format with its ggml reference.
trait KQuant: Format<Unit = u8> + GatherInto<f32> {
    const BLOCK: usize;
    /// Byte offsets of the f16 fields (`d`, and `dmin` for Q4_K).
    const F16S: &'static [usize];
    fn ggml(x: &[u8], y: &mut Vec<f32>);
}
impl KQuant for Q4_K {
    const BLOCK: usize = 144;
    const F16S: &'static [usize] = &[0, 2];
    fn ggml(x: &[u8], y: &mut Vec<f32>) {
        ggml_q4_k(x, y)
    }
}
impl KQuant for Q6_K {
    const BLOCK: usize = 210;
    const F16S: &'static [usize] = &[208];
    fn ggml(x: &[u8], y: &mut Vec<f32>) {
        ggml_q6_k(x, y)
    }
}

/// Random blocks with finite f16 fields: `±2^U(-14, 0)` mostly, and now
/// and then 0, −0, the smallest subnormal or the largest f16 (65504).
fn valid_blocks<F: KQuant>(rng: &mut TestRng, rows: usize, dim: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..rows * F::row_units(dim).unwrap())
        .map(|_| rng.next() as u8)
        .collect();
    for blk in bytes.chunks_exact_mut(F::BLOCK) {
        for &at in F::F16S {
            let h = match rng.below(12) {
                0 => 0x0000,
                1 => 0x8000,
                2 => 0x0001,
                3 => 0x7bff,
                _ => {
                    let e = 1 + rng.below(15) as u16; // 2^-14 .. 2^0
                    let sign = (rng.below(2) as u16) << 15;
                    sign | (e << 10) | (rng.next() as u16 & 0x3ff)
                }
            };
            blk[at..at + 2].copy_from_slice(&h.to_le_bytes());
        }
    }
    bytes
}

/// The whole property for one table of valid blocks: dequantize == ggml;
/// gather == one_hot · dequantize(W) (`==`) and == ggml's bits on every
/// path; bags == the f32 bags of the dequantized table, bit for bit.
fn check_valid<F: KQuant>(rows: usize, dim: usize, seed: u64) {
    let mut rng = TestRng(seed);
    let bytes = valid_blocks::<F>(&mut rng, rows, dim);
    // At an odd address: the bytes are read unaligned.
    let shift = 1 + (seed % 7) as usize;
    let buf = shifted(&bytes, shift);
    let table = Table::<F>::from_bytes(&buf[shift..], dim).unwrap();
    assert_eq!(table.rows(), rows);
    let what = format!("{} {rows}x{dim}", F::NAME);

    let mut ggml = Vec::with_capacity(rows * dim);
    F::ggml(&bytes, &mut ggml);
    let mut deq = vec![0.0f32; rows * dim];
    dequantize(table, &mut deq).unwrap();
    assert_same::<f32>(&format!("dequantize {what}"), Isa::best(), &deq, &ggml);

    let idx = random_indices(&mut rng, if cfg!(miri) { 12 } else { 40 }, rows);
    let oracle = one_hot_gather(&idx, &deq, rows, dim);
    let reference = rows_of(&ggml, dim, &idx);
    let what_gather = format!("gather {what}");
    assert_gather_every_path(&what_gather, table, &idx, &reference, Some(&oracle));

    let wide = Table::new(&deq, dim).unwrap();
    let n_bags = if cfg!(miri) { 4 } else { 10 };
    assert_random_bags_every_path(&format!("bags {what}"), wide, table, &mut rng, n_bags, true);
}

/// Random bytes, the f16 fields of some blocks forced to NaN, ±inf, the
/// largest finite and the smallest subnormal: every path gives the
/// portable path's bits (NaN matching NaN), for gather and every pooling,
/// and the portable path gives ggml's.
fn check_random_bytes<F: KQuant>(rows: usize, dim: usize, seed: u64) {
    let mut rng = TestRng(seed);
    let mut bytes: Vec<u8> = (0..rows * F::row_units(dim).unwrap())
        .map(|_| rng.next() as u8)
        .collect();
    let specials: [u16; 7] = [0x7e00, 0x7c00, 0xfc00, 0x7bff, 0x0001, 0x7c01, 0xfe00];
    for blk in bytes.chunks_exact_mut(F::BLOCK) {
        for &at in F::F16S {
            if rng.below(3) == 0 {
                blk[at..at + 2].copy_from_slice(&specials[rng.below(7)].to_le_bytes());
            }
        }
    }
    let table = Table::<F>::from_bytes(&bytes, dim).unwrap();
    let n = if cfg!(miri) { 12 } else { 30 };
    let (idx, want) = assert_random_bytes_every_path(table, &mut rng, n, 8);
    let mut ggml = Vec::with_capacity(rows * dim);
    F::ggml(&bytes, &mut ggml);
    assert_same::<f32>(
        &format!("random bytes {}", F::NAME),
        Isa::Portable,
        &want,
        &rows_of(&ggml, dim, &idx),
    );
}

/// Shapes: small under Miri, which interprets every instruction.
const MAX_ROWS: usize = if cfg!(miri) { 3 } else { 40 };
const MAX_BLOCKS: usize = if cfg!(miri) { 1 } else { 3 };

proptest! {
    #![proptest_config(config(if cfg!(miri) { 2 } else { 24 }))]

    #[test]
    fn kquant_tables_on_every_path(rows in 1usize..=MAX_ROWS, blocks in 1usize..=MAX_BLOCKS, seed in any::<u64>()) {
        check_valid::<Q4_K>(rows, blocks * QK_K, seed);
        check_valid::<Q6_K>(rows, blocks * QK_K, seed ^ 1);
    }

    #[test]
    fn kquant_random_bytes_same_bits_on_every_path(rows in 1usize..=MAX_ROWS, blocks in 1usize..=MAX_BLOCKS, seed in any::<u64>()) {
        check_random_bytes::<Q4_K>(rows, blocks * QK_K, seed);
        check_random_bytes::<Q6_K>(rows, blocks * QK_K, seed ^ 1);
    }
}

/// Every code, scale and min of Q4_K and every code and scale of Q6_K in
/// every position: blocks built so that each sub-block runs through all
/// codes, with `d = dmin = 1` (the value is then `sc·q − m`, and
/// `sc·(q − 32)`), on every path, against ggml.
#[test]
fn every_code_in_every_place() {
    // Q4_K: 64 blocks; block b gives 6-bit scale/min patterns from b.
    // (Under Miri, a few blocks of each: the coverage is then partial.)
    let (n4, n6) = if cfg!(miri) { (4u8, 4u8) } else { (64, 16) };
    let mut q4 = Vec::new();
    for b in 0..n4 {
        q4.extend_from_slice(&0x3c00u16.to_le_bytes());
        q4.extend_from_slice(&0x3c00u16.to_le_bytes());
        q4.extend((0..12u8).map(|i| b.wrapping_mul(37).wrapping_add(i.wrapping_mul(91))));
        q4.extend((0..128u8).map(|i| i.wrapping_mul(17).wrapping_add(b)));
    }
    // Q6_K: 16 blocks; every ql/qh pattern and scale from -128 to 127.
    let mut q6 = Vec::new();
    for b in 0..n6 {
        q6.extend((0..128u8).map(|i| i.wrapping_mul(29).wrapping_add(b)));
        q6.extend((0..64u8).map(|i| i.wrapping_mul(53).wrapping_add(3 * b)));
        q6.extend((0..16u8).map(|i| 16 * b + i));
        q6.extend_from_slice(&0x3c00u16.to_le_bytes());
    }
    fn check<F: KQuant>(bytes: &[u8]) {
        let rows = bytes.len() / F::BLOCK;
        let table = Table::<F>::from_bytes(bytes, QK_K).unwrap();
        let mut want = Vec::new();
        F::ggml(bytes, &mut want);
        let idx: Vec<u32> = (0..rows as u32).collect();
        assert_gather_every_path(&format!("{} every code", F::NAME), table, &idx, &want, None);
        // And the same blocks as rows of 4 blocks (dim 1024).
        if rows.is_multiple_of(4) {
            let table = Table::<F>::from_bytes(bytes, 4 * QK_K).unwrap();
            let idx: Vec<u32> = (0..rows as u32 / 4).collect();
            assert_gather_every_path(&format!("{} dim 1024", F::NAME), table, &idx, &want, None);
        }
    }
    check::<Q4_K>(&q4);
    check::<Q6_K>(&q6);
    if cfg!(miri) {
        return;
    }
    // The patterns reach every value: Q4_K scales and mins 0..=63 and
    // codes 0..=15; Q6_K codes 0..=63 and scales −128..=127.
    let mut seen_sc = [false; 64];
    let mut seen_m = [false; 64];
    for blk in q4.chunks_exact(144) {
        for j in 0..8 {
            let (sc, m) = get_scale_min_k4(j, &blk[4..16]);
            seen_sc[sc as usize] = true;
            seen_m[m as usize] = true;
        }
    }
    assert!(seen_sc.iter().all(|&s| s) && seen_m.iter().all(|&s| s));
    let mut seen_q = [false; 64];
    for blk in q6.chunks_exact(210) {
        for n in 0..2 {
            let (ql, qh) = (&blk[64 * n..64 * n + 64], &blk[128 + 32 * n..160 + 32 * n]);
            for l in 0..32 {
                for (lo, k) in [
                    (ql[l] & 15, 0),
                    (ql[l + 32] & 15, 1),
                    (ql[l] >> 4, 2),
                    (ql[l + 32] >> 4, 3),
                ] {
                    seen_q[(lo | (((qh[l] >> (2 * k)) & 3) << 4)) as usize] = true;
                }
            }
        }
    }
    assert!(seen_q.iter().all(|&s| s));
}

/// A few values by hand, against the format's definition.
#[test]
fn hand_values() {
    // Q4_K, d = 0.5, dmin = 0.25; sub-block 0: sc 3, m 5; sub-block 1:
    // sc 2, m 1; element 0 code 7 (low nibble), element 32 code 9 (high).
    let mut b = vec![0u8; 144];
    b[0..2].copy_from_slice(&f16::from_f32(0.5).to_le_bytes());
    b[2..4].copy_from_slice(&f16::from_f32(0.25).to_le_bytes());
    b[4] = 3;
    b[5] = 2;
    b[8] = 5;
    b[9] = 1;
    b[16] = 0x97;
    let mut out = vec![0.0f32; 256];
    dequantize(Table::<Q4_K>::from_bytes(&b, 256).unwrap(), &mut out).unwrap();
    assert_eq!(out[0], 0.5 * 3.0 * 7.0 - 0.25 * 5.0);
    assert_eq!(out[32], 0.5 * 2.0 * 9.0 - 0.25 * 1.0);
    assert_eq!(out[1], -0.25 * 5.0);
    // Q6_K, d = 2; scale of elements 16..32 is -3; element 16: ql low
    // nibble 5, qh bits 0-1 = 2: q = 5 + 32 = 37, value 2·(−3)·5.
    let mut b = vec![0u8; 210];
    b[208..210].copy_from_slice(&f16::from_f32(2.0).to_le_bytes());
    b[192 + 1] = (-3i8) as u8;
    b[16] = 0x05;
    b[128 + 16] = 0x02;
    let mut out = vec![0.0f32; 256];
    dequantize(Table::<Q6_K>::from_bytes(&b, 256).unwrap(), &mut out).unwrap();
    assert_eq!(out[16], -30.0);
    // q = 0 − 32 with scale 0: (2·0)·(−32) = −0.
    assert_eq!(out[0].to_bits(), (-0.0f32).to_bits());
}

#[test]
fn errors() {
    let bytes = vec![0u8; 2 * 210];
    assert_eq!(Q4_K::row_units(512), Ok(288));
    assert_eq!(Q6_K::row_units(256), Ok(210));
    assert_eq!(Q4_K::NAME, "q4_k");
    assert_eq!(Q6_K::NAME, "q6_k");
    assert_eq!(
        Table::<Q4_K>::from_bytes(&bytes, 0).unwrap_err(),
        Error::ZeroDim
    );
    for dim in [32, 128, 384, 100] {
        assert_eq!(
            Table::<Q4_K>::from_bytes(&bytes, dim).unwrap_err(),
            Error::DimNotMultiple {
                format: "q4_k",
                dim,
                block: 256
            }
        );
        assert_eq!(
            Table::<Q6_K>::from_bytes(&bytes, dim).unwrap_err(),
            Error::DimNotMultiple {
                format: "q6_k",
                dim,
                block: 256
            }
        );
    }
    assert_eq!(
        Error::DimNotMultiple {
            format: "q6_k",
            dim: 384,
            block: 256
        }
        .to_string(),
        "dim 384 is not a multiple of 256, the block size of format q6_k"
    );
    assert_byte_length_error::<Q4_K>(&bytes[..145], 256, 144);
    assert_byte_length_error::<Q6_K>(&bytes[..211], 256, 210);
    assert_byte_length_error::<Q6_K>(&bytes[..210], 512, 420);

    // Out-of-range indices; nothing written.
    assert_out_of_range_writes_nothing(Table::<Q4_K>::from_bytes(&bytes[..288], 256).unwrap());
    assert_out_of_range_writes_nothing(Table::<Q6_K>::from_bytes(&bytes, 256).unwrap());
}
