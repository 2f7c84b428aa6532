//! Regression tests for what the cargo-fuzz targets (`fuzz/`) found, each
//! with its exact input and exact expected result, on every path.
//!
//! All five findings were the same kind of bug: a row width whose byte
//! size (`dim · size_of(unit)`, a GGUF row's `dim/32 · 34`, dequantize's
//! `256 · dim`) does not fit in `usize`, on a table with no rows and a call
//! with nothing to do. Such a call is valid (`Table::new(&[], usize::MAX)`
//! is a 0-row table) and must return `Ok`; it panicked with "attempt to
//! multiply with overflow" wherever overflow checks are on (debug builds,
//! this crate's test profile), and `dequantize` panicked in release builds
//! too ("chunk size must be non-zero": `256 · 2^56` wraps to 0). The
//! products now saturate; a saturated size is never that of a real row.

mod common;

use common::kernels;
use embedding_kernels::quantized::{Q8_0, Rowwise2, Rowwise4, Rowwise8};
use embedding_kernels::quantized::{dequantize, quantize};
use embedding_kernels::{
    Bags, Format, GatherInto, Pooling, Table, TableMut, bf16, f16, gather, gather_bags, scatter_add,
};

/// Row widths whose byte size overflows `usize` for 2- and 4-byte units,
/// as the fuzzer drew them on 64-bit targets (`usize::MAX`, `2^62`, `2^63`;
/// written relative to the width of `usize`, so that 32-bit targets such
/// as wasm32 test the same overflow).
const HUGE: [usize; 3] = [usize::MAX, 1 << (usize::BITS - 2), 1 << (usize::BITS - 1)];

/// Same-type and widening gathers of nothing from a 0-row table with a
/// huge dim: `Ok`, nothing written (fuzz target `gather`; it panicked in
/// `generic::gather::copy` and `decode_dim`, `stride * size_of::<T>()`, and
/// once more in `Kernels::gather`'s choice of path for same-type gathers,
/// the same product, which this test caught in a build with overflow
/// checks, as CI's fuzzing did).
#[test]
fn gather_of_nothing_with_a_huge_dim() {
    fn check<T: GatherInto<O> + embedding_kernels::Element, O: embedding_kernels::Element>() {
        for dim in HUGE {
            let table = Table::<T>::new(&[], dim).unwrap();
            assert_eq!(table.rows(), 0);
            let mut out: [O; 0] = [];
            for k in kernels() {
                assert_eq!(
                    k.gather(table, &[] as &[u32], &mut out),
                    Ok(()),
                    "{}",
                    k.isa()
                );
            }
            assert_eq!(gather(table, &[] as &[i64], &mut out), Ok(()));
        }
    }
    check::<f32, f32>();
    check::<f16, f16>();
    check::<bf16, bf16>();
    check::<f16, f32>();
    check::<bf16, f32>();
}

/// Bags over a 0-row table with a huge dim: zero bags (offsets `[0]`), `Ok`
/// (fuzz target `gather_bags`; it panicked in `generic::bags`,
/// `stride * size_of::<C::Unit>()`).
#[test]
fn bags_of_nothing_with_a_huge_dim() {
    for dim in HUGE {
        let t32 = Table::<f32>::new(&[], dim).unwrap();
        let t16 = Table::<f16>::new(&[], dim).unwrap();
        for pooling in [Pooling::Sum, Pooling::Mean, Pooling::SqrtN, Pooling::Max] {
            let bags = Bags::new(&[] as &[u32], &[0u32]);
            for k in kernels() {
                assert_eq!(k.gather_bags(t32, bags, pooling, &mut []), Ok(()));
                assert_eq!(k.gather_bags(t16, bags, pooling, &mut []), Ok(()));
            }
            assert_eq!(gather_bags(t32, bags, pooling, &mut []), Ok(()));
        }
    }
}

/// Scatter-add of nothing into a 0-row table with a huge dim: `Ok` (fuzz
/// target `scatter_add`; it panicked in `generic::scatter`,
/// `dim * size_of::<T>()`).
#[test]
fn scatter_add_of_nothing_with_a_huge_dim() {
    for dim in HUGE {
        for k in kernels() {
            let mut t = TableMut::<f32>::new(&mut [], dim).unwrap();
            assert_eq!(k.scatter_add(&mut t, &[] as &[u8], &[], 1.0), Ok(()));
            let mut t = TableMut::<bf16>::new(&mut [], dim).unwrap();
            assert_eq!(k.scatter_add(&mut t, &[] as &[u8], &[], 1.0), Ok(()));
        }
        let mut t = TableMut::<f16>::new(&mut [], dim).unwrap();
        assert_eq!(scatter_add(&mut t, &[] as &[usize], &[], -2.0), Ok(()));
    }
}

/// GGUF Q8_0's row length for a dim near `usize::MAX` saturates
/// instead of overflowing: the empty byte slice is a 0-row table (fuzz
/// target `gather_quantized`; it panicked in `block_row_units`,
/// `dim / block * block_bytes`).
#[test]
fn block_formats_with_a_huge_dim() {
    fn check<F: Format<Unit = u8> + GatherInto<f32>>(dim: usize) {
        assert_eq!(F::row_units(dim), Ok(usize::MAX), "{}", F::NAME);
        let table = Table::<F>::from_bytes(&[], dim).unwrap();
        assert_eq!((table.rows(), table.dim()), (0, dim), "{}", F::NAME);
        for k in kernels() {
            assert_eq!(k.gather(table, &[] as &[u16], &mut []), Ok(()));
        }
        assert_eq!(dequantize(table, &mut []), Ok(()));
    }
    // A multiple of 32 whose rows would need more than usize::MAX bytes:
    // 34-byte blocks of 32 values (Q4_0's 18 bytes, Q4_K's 144 and Q6_K's
    // 210 per 256 never exceed the dim itself).
    check::<Q8_0>(usize::MAX - 31);
    // The smallest such dim.
    check::<Q8_0>((usize::MAX / 34 + 1) * 32);
    assert_eq!(quantize::<Q8_0>(&[], usize::MAX - 31, &mut []), Ok(()));
}

/// `dequantize` of a 0-row table whose dim times its 256-row chunk
/// overflows: `Ok` (fuzz targets `quantize` and `gather_quantized`). At
/// `dim = 2^56` (on 64-bit targets; `2^24` on 32-bit ones) the chunk length
/// `256 · dim` wrapped to 0 in release builds and `chunks_mut(0)` panicked
/// there too.
#[test]
fn dequantize_of_nothing_with_a_huge_dim() {
    for dim in [
        1usize << (usize::BITS - 8),
        1 << (usize::BITS - 2),
        usize::MAX,
    ] {
        let t8 = Table::<Rowwise8>::from_bytes(&[], dim).unwrap();
        assert_eq!(dequantize(t8, &mut []), Ok(()));
        let t4 = Table::<Rowwise4>::from_bytes(&[], dim).unwrap();
        assert_eq!(dequantize(t4, &mut []), Ok(()));
        let t2 = Table::<Rowwise2>::from_bytes(&[], dim).unwrap();
        assert_eq!(dequantize(t2, &mut []), Ok(()));
        assert_eq!(quantize::<Rowwise8>(&[], dim, &mut []), Ok(()));
    }
}

/// Not a crate bug, recorded as the documented behaviour (fuzz target
/// `quantize`): a row-wise 8-bit row whose range reaches f32's largest
/// value quantizes (`Ok`: its scale and bias are finite, as in FBGEMM), yet
/// its maximum dequantizes to +inf, because `scale·255 + bias` rounds past
/// `f32::MAX` (the scale `range/255` was rounded up).
#[test]
fn rowwise8_row_at_the_top_of_f32_dequantizes_its_max_to_inf() {
    let row = [7.16709e35f32, f32::MAX, 2.5521178e38];
    let mut bytes = [0u8; 3 + 8];
    assert_eq!(quantize::<Rowwise8>(&row, 3, &mut bytes), Ok(()));
    let table = Table::<Rowwise8>::from_bytes(&bytes, 3).unwrap();
    let mut out = [0.0f32; 3];
    // Codes 0, 255, 191; f32 scale 0x7b803b37, f32 bias 0x7b0a087b (row[0]).
    assert_eq!(bytes, [0, 255, 191, 55, 59, 128, 123, 123, 8, 10, 123]);
    dequantize(table, &mut out).unwrap();
    assert_eq!(
        out.map(f32::to_bits),
        [0x7b0a_087b, 0x7f80_0000, 0x7f3f_e265]
    );
    assert_eq!(out[1], f32::INFINITY);
    for k in kernels() {
        let mut g = [0.0f32; 3];
        k.gather(table, &[0u8], &mut g).unwrap();
        assert_eq!(g.map(f32::to_bits), out.map(f32::to_bits), "{}", k.isa());
    }
}
