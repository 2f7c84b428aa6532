//! GGUF K-quants, Q4_K and Q6_K: their `Format`, `Codec` and gather
//! implementations (dequantize only). The public face (types, docs,
//! `dequantize`) is `crate::quantized`.
//!
//! Both are 256-element super-blocks read as ggml's `dequantize_row_q4_K`
//! and `dequantize_row_q6_K` (`ggml-quants.c`) read them, with the same
//! float operations in the same order, so every value is ggml's and
//! gguf-py's bit for bit (checked against `tests/data/golden/q4_k`, `q6_k`).
//! As for the other byte formats, every byte pattern is a valid table:
//! arithmetic only, no lookups indexed by data.

use super::codec::Codec;
use super::float::decode_into_f32;
use super::quantized::{block_format, block_row_units, f16_at, nibbles, padded, splat_f16};
use super::{Format, GatherInto, gather_into, sealed};
use crate::arch::vector::Vector;
use crate::arch::{generic, portable};
use crate::{Error, Index};

/// Elements per K-quant super-block (ggml `QK_K`).
pub(crate) const QK_K: usize = 256;

/// The super-block of `block` bytes that holds column `j` of `row`
/// (`None` if outside, which the row lengths rule out).
#[inline(always)]
fn super_block(row: &[u8], j: usize, block: usize) -> Option<&[u8]> {
    let b = j / QK_K * block;
    row.get(b..b + block)
}

// ------------------------------------------------------------------ Q4_K

block_format!(Q4_K, "block_q4_K", "q4_k", QK_K);

impl Q4_K {
    /// Bytes per super-block: f16 `d`, f16 `dmin`, 12 bytes of scales and
    /// mins, 128 bytes of nibbles.
    const BLOCK: usize = 2 + 2 + 12 + QK_K / 2;
    /// Where the 12 bytes of packed scales and mins start.
    const SCALES: usize = 4;
    /// Where the nibbles start.
    const QS: usize = 16;
}

/// ggml `get_scale_min_k4` (`ggml-quants.c`): the 6-bit scale and min of
/// sub-block `j` from the 12 packed bytes `q`. Every caller passes
/// `j = (e mod 256) / 32 < 8`, so the indices stay below 12.
#[inline(always)]
fn scale_min_k4(j: usize, q: &[u8; 12]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Where element `e` (0..256) of a Q4_K super-block sits: sub-block
/// `s = e / 32` and the byte of nibbles, which holds `e` in its low nibble
/// for even `s` and in its high nibble for odd `s` (ggml: each 32 bytes
/// hold 64 elements, the first 32 low, the next 32 high).
#[inline(always)]
fn q4k_place(e: usize) -> (usize, usize) {
    (e / 32, Q4_K::QS + e / 64 * 32 + e % 32)
}

// SAFETY (each method): `j` is a multiple of `V::LANES`, a divisor of 32,
// so columns `j .. j + LANES` (or `j + n`) lie in one sub-block of 32 of
// super-block `j / 256`: its `d`, `dmin` and 12 scale bytes are the
// block's first 16 bytes, and the code bytes read (`q4k_place`) are
// within its 128 bytes of nibbles.
impl Codec for Q4_K {
    type Unit = u8;
    const PARTIAL_TAIL: bool = true;
    type Row<V: Vector> = *const u8;
    #[inline(always)]
    fn value(row: &[u8], j: usize) -> f32 {
        let Some(blk) = super_block(row, j, Self::BLOCK) else {
            return 0.0;
        };
        let mut scales = [0u8; 12];
        scales.copy_from_slice(&blk[Self::SCALES..Self::QS]);
        let (s, at) = q4k_place(j % QK_K);
        let (sc, m) = scale_min_k4(s, &scales);
        // ggml: `d1 = d * sc; m1 = min * m; y = d1 * q - m1`, each rounded
        // in f32 (the products are exact: one rounding, the subtraction).
        let d1 = f16_at(blk, 0) * sc as f32;
        let m1 = f16_at(blk, 2) * m as f32;
        let q = if s % 2 == 0 {
            blk[at] & 0xf
        } else {
            blk[at] >> 4
        };
        d1 * q as f32 - m1
    }
    #[inline(always)]
    unsafe fn row<V: Vector>(p: *const u8, _dim: usize) -> *const u8 {
        p
    }
    #[inline(always)]
    unsafe fn load<V: Vector>(row: *const u8, j: usize) -> V {
        // SAFETY: see above.
        unsafe {
            let b = row.add(j / QK_K * Self::BLOCK);
            let (s, at) = q4k_place(j % QK_K);
            Self::decode(b, s, nibbles::<V>(b.add(at), s % 2 == 0))
        }
    }
    #[inline(always)]
    unsafe fn load_partial<V: Vector>(row: *const u8, j: usize, n: usize) -> V {
        // SAFETY: see above; the `n` code bytes are copied.
        unsafe {
            let b = row.add(j / QK_K * Self::BLOCK);
            let (s, at) = q4k_place(j % QK_K);
            let buf = padded(b.add(at), n);
            Self::decode(b, s, nibbles::<V>(buf.as_ptr(), s % 2 == 0))
        }
    }
}

impl Q4_K {
    /// `(d·sc)·q − dmin·m` for the codes `q` of sub-block `s` of the
    /// super-block at `b`, as ggml orders it: `d·sc` and `dmin·m` rounded
    /// to f32 (exact), the product with `q` (exact), then the subtraction,
    /// written as the addition of `dmin·(−m)` (the same value: IEEE
    /// `x − y` is `x + (−y)`, and `dmin·(−m)` is `−(dmin·m)` exactly, signed
    /// zeros included).
    ///
    /// # Safety
    /// `b` starts a super-block; `s < 8`; the CPU has `V`'s ISA.
    #[inline(always)]
    unsafe fn decode<V: Vector>(b: *const u8, s: usize, q: V) -> V {
        // SAFETY: the caller's guarantee; the 12 scale bytes are inside the
        // block, and `[u8; 12]` has alignment 1.
        unsafe {
            let scales = b.add(Self::SCALES).cast::<[u8; 12]>().read();
            let (sc, m) = scale_min_k4(s, &scales);
            let d1 = splat_f16::<V>(b).mul(V::splat(sc as f32));
            let neg_m1 = splat_f16::<V>(b.add(2)).mul(V::splat(-(m as f32)));
            d1.mul(q).add(neg_m1)
        }
    }
}

// ------------------------------------------------------------------ Q6_K

block_format!(Q6_K, "block_q6_K", "q6_k", QK_K);

impl Q6_K {
    /// Bytes per super-block: 128 bytes of low nibbles (`ql`), 64 bytes of
    /// high 2-bit pairs (`qh`), 16 i8 scales, f16 `d`.
    const BLOCK: usize = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2;
    /// Where `qh` starts.
    const QH: usize = QK_K / 2;
    /// Where the 16 i8 scales start.
    const SCALES: usize = Self::QH + QK_K / 4;
    /// Where `d` sits.
    const D: usize = Self::SCALES + QK_K / 16;
}

/// Where element `e` (0..256) of a Q6_K super-block sits, as ggml's loop
/// reads it: in half `n = e / 128`, quarter `k = (e % 128) / 32`, lane
/// `l = e % 32`, the low 4 bits are the low (`k < 2`) or high (`k >= 2`)
/// nibble of `ql[64n + 32(k mod 2) + l]`, the high 2 bits are bits
/// `2k, 2k + 1` of `qh[32n + l]`. Returns `(ql byte, qh byte, k)`.
#[inline(always)]
fn q6k_place(e: usize) -> (usize, usize, usize) {
    let (n, k, l) = (e / 128, e % 128 / 32, e % 32);
    (64 * n + 32 * (k % 2) + l, Q6_K::QH + 32 * n + l, k)
}

// SAFETY (each method): `j` is a multiple of `V::LANES`, a divisor of 16,
// so columns `j .. j + LANES` (or `j + n`) lie in one sub-block of 16 (one
// scale) and one quarter of super-block `j / 256`; the `ql` and `qh` bytes
// read (`q6k_place`) are consecutive inside the block, and its scale and
// `d` are its bytes 192.. and 208..210.
impl Codec for Q6_K {
    type Unit = u8;
    const PARTIAL_TAIL: bool = true;
    type Row<V: Vector> = *const u8;
    #[inline(always)]
    fn value(row: &[u8], j: usize) -> f32 {
        let Some(blk) = super_block(row, j, Self::BLOCK) else {
            return 0.0;
        };
        let e = j % QK_K;
        let (l, h, k) = q6k_place(e);
        let lo = if k < 2 { blk[l] & 0xf } else { blk[l] >> 4 };
        let hi = (blk[h] >> (2 * k)) & 3;
        let q = (lo | (hi << 4)) as i32 - 32;
        let sc = blk[Self::SCALES + e / 16] as i8;
        // ggml: `d * sc[is] * q`, left to right (both products exact).
        f16_at(blk, Self::D) * sc as f32 * q as f32
    }
    #[inline(always)]
    unsafe fn row<V: Vector>(p: *const u8, _dim: usize) -> *const u8 {
        p
    }
    #[inline(always)]
    unsafe fn load<V: Vector>(row: *const u8, j: usize) -> V {
        // SAFETY: see above.
        unsafe {
            let b = row.add(j / QK_K * Self::BLOCK);
            let e = j % QK_K;
            let (l, h, k) = q6k_place(e);
            Self::decode(b, e, k, b.add(l), b.add(h))
        }
    }
    #[inline(always)]
    unsafe fn load_partial<V: Vector>(row: *const u8, j: usize, n: usize) -> V {
        // SAFETY: see above; the `n` bytes of `ql` and of `qh` are copied.
        unsafe {
            let b = row.add(j / QK_K * Self::BLOCK);
            let e = j % QK_K;
            let (l, h, k) = q6k_place(e);
            let (ql, qh) = (padded(b.add(l), n), padded(b.add(h), n));
            Self::decode(b, e, k, ql.as_ptr(), qh.as_ptr())
        }
    }
}

impl Q6_K {
    /// `(d·sc)·(q − 32)` for the lanes of quarter `k` whose `ql` bytes are at
    /// `ql` and `qh` bytes at `qh`, element `e` of the super-block at `b`
    /// being the first. The code is assembled in f32 lanes from its masked
    /// parts, each scaled by a power of two: `q − 32 = lo + 16·hi − 32`,
    /// every term and sum a small integer, so exact; then the two products
    /// as ggml (both exact as well).
    ///
    /// # Safety
    /// `b` starts a super-block, `e < 256` is a multiple of `V::LANES`,
    /// `k = (e mod 128) / 32`, `ql` and `qh` are valid for `V::LANES`
    /// reads; the CPU has `V`'s ISA.
    #[inline(always)]
    unsafe fn decode<V: Vector>(
        b: *const u8,
        e: usize,
        k: usize,
        ql: *const u8,
        qh: *const u8,
    ) -> V {
        // SAFETY: the caller's guarantee; the scale and `d` are inside the
        // block.
        unsafe {
            let lo = nibbles::<V>(ql, k < 2);
            // Bits 2k, 2k + 1 of qh in place are `hi · 4^k`; times 2^(4 − 2k)
            // they are `16·hi`.
            let hi = V::load_u8_and(qh, 3 << (2 * k))
                .mul(V::splat(f32::from_bits((127 + 4 - 2 * k as u32) << 23)));
            let q = lo.add(hi).add(V::splat(-32.0));
            let sc = *b.add(Self::SCALES + e / 16) as i8;
            splat_f16::<V>(b.add(Self::D))
                .mul(V::splat(sc as f32))
                .mul(q)
        }
    }
}

decode_into_f32!(Q4_K, Q6_K);
