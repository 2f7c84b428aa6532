//! The obvious scalar dequantizing loop, one element at a time, for each
//! quantized format, and a table of each: the naive yardstick of the
//! quantized benches (`benches/quantized.rs`) and of the report's sweep.

use embedding_kernels::quantized::{
    Q4_0, Q4_K, Q6_K, Q8_0, Quantize, Rowwise2, Rowwise4, Rowwise8,
};
use embedding_kernels::{Format, GatherInto, f16};

/// The obvious scalar loop for one element of each format, and a table.
pub trait Naive: Format<Unit = u8> + GatherInto<f32> {
    fn naive(row: &[u8], dim: usize, j: usize) -> f32;
    /// `rows` rows of `dim`: quantized from a fixed f32 table, or (formats
    /// without a quantizer) fixed bytes with finite f16 fields.
    fn table(rows: usize, dim: usize) -> Vec<u8>;
}

/// `Naive::table` by the format's quantizer.
macro_rules! quantized_table {
    () => {
        fn table(rows: usize, dim: usize) -> Vec<u8> {
            table_bytes::<Self>(rows, dim)
        }
    };
}

fn f16_at(row: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([row[at], row[at + 1]]).to_f32()
}

impl Naive for Rowwise8 {
    fn naive(row: &[u8], dim: usize, j: usize) -> f32 {
        let s = f32::from_le_bytes(row[dim..dim + 4].try_into().unwrap());
        let b = f32::from_le_bytes(row[dim + 4..dim + 8].try_into().unwrap());
        s.mul_add(row[j] as f32, b)
    }
    quantized_table!();
}
/// The row-wise n-bit formats: `8 / bits` codes a byte (low bits first),
/// then an f16 scale and an f16 bias.
macro_rules! rowwise_n {
    ($($format:ty: $bits:literal),*) => {$(
        impl Naive for $format {
            fn naive(row: &[u8], dim: usize, j: usize) -> f32 {
                let per = 8 / $bits;
                let at = dim.div_ceil(per);
                let q = (row[j / per] >> ($bits * (j % per))) & ((1 << $bits) - 1);
                f16_at(row, at) * q as f32 + f16_at(row, at + 2)
            }
            quantized_table!();
        }
    )*};
}
rowwise_n!(Rowwise4: 4, Rowwise2: 2);
impl Naive for Q8_0 {
    fn naive(row: &[u8], _dim: usize, j: usize) -> f32 {
        let b = j / 32 * 34;
        row[b + 2 + j % 32] as i8 as f32 * f16_at(row, b)
    }
    quantized_table!();
}
impl Naive for Q4_0 {
    fn naive(row: &[u8], _dim: usize, j: usize) -> f32 {
        let (b, o) = (j / 32 * 18, j % 32);
        let byte = row[b + 2 + o % 16];
        let q = if o < 16 { byte & 15 } else { byte >> 4 };
        (q as i32 - 8) as f32 * f16_at(row, b)
    }
    quantized_table!();
}
impl Naive for Q4_K {
    fn naive(row: &[u8], _dim: usize, j: usize) -> f32 {
        let (b, e) = (j / 256 * 144, j % 256);
        let (s, sc) = (e / 32, &row[b + 4..b + 16]);
        let (d, m) = if s < 4 {
            (sc[s] & 63, sc[s + 4] & 63)
        } else {
            (
                (sc[s + 4] & 0xf) | ((sc[s - 4] >> 6) << 4),
                (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4),
            )
        };
        let byte = row[b + 16 + e / 64 * 32 + e % 32];
        let q = if s % 2 == 0 { byte & 15 } else { byte >> 4 };
        f16_at(row, b) * d as f32 * q as f32 - f16_at(row, b + 2) * m as f32
    }
    fn table(rows: usize, dim: usize) -> Vec<u8> {
        kquant_bytes(rows, dim / 256, 144, &[0, 2])
    }
}
impl Naive for Q6_K {
    fn naive(row: &[u8], _dim: usize, j: usize) -> f32 {
        let (b, e) = (j / 256 * 210, j % 256);
        let (n, k, l) = (e / 128, e % 128 / 32, e % 32);
        let ql = row[b + 64 * n + 32 * (k % 2) + l];
        let lo = if k < 2 { ql & 15 } else { ql >> 4 };
        let hi = (row[b + 128 + 32 * n + l] >> (2 * k)) & 3;
        let q = (lo | (hi << 4)) as i32 - 32;
        f16_at(row, b + 208) * row[b + 192 + e / 16] as i8 as f32 * q as f32
    }
    fn table(rows: usize, dim: usize) -> Vec<u8> {
        kquant_bytes(rows, dim / 256, 210, &[208])
    }
}

/// K-quant super-blocks of fixed pseudo-random bytes, the f16 fields at
/// `f16s` set to small finite values.
fn kquant_bytes(rows: usize, blocks: usize, block: usize, f16s: &[usize]) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..rows * blocks * block)
        .map(|v| ((v * 2654435761) >> 7) as u8)
        .collect();
    for (i, blk) in bytes.chunks_exact_mut(block).enumerate() {
        for &at in f16s {
            let h = f16::from_f32(1e-3 * (1 + i % 7) as f32);
            blk[at..at + 2].copy_from_slice(&h.to_le_bytes());
        }
    }
    bytes
}

fn table_bytes<F: Quantize>(rows: usize, dim: usize) -> Vec<u8> {
    let w: Vec<f32> = (0..rows * dim)
        .map(|v| ((v * 2654435761) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    super::quantized::<F>(&w, dim)
}
