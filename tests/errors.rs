//! Bad input: each case gets its exact error variant, and every output and
//! table is byte-identical to before the call, on every path.

mod common;

use common::kernels;
use embedding_kernels::{Bags, Error, Pooling, Table, TableMut, bf16, f16};

const DIM: usize = 3;
const ROWS: usize = 5;

fn table() -> Vec<f32> {
    (0..ROWS * DIM).map(|v| v as f32 + 0.5).collect()
}

/// Runs `f` on a sentinel-filled output and checks the error and that the
/// output is unchanged.
fn gather_err<I: embedding_kernels::Index>(idx: &[I], out_len: usize, want: Error) {
    let t = table();
    for k in kernels() {
        let mut out = vec![f32::from_bits(0x7fc0_1234); out_len];
        let before: Vec<u32> = out.iter().map(|x| x.to_bits()).collect();
        let got = k.gather(Table::new(&t, DIM).unwrap(), idx, &mut out);
        assert_eq!(got, Err(want), "gather on {}", k.isa());
        let after: Vec<u32> = out.iter().map(|x| x.to_bits()).collect();
        assert_eq!(before, after, "gather on {} wrote on error", k.isa());
        // f16 tables and f16 outputs too.
        let t16: Vec<f16> = t.iter().map(|&x| f16::from_f32(x)).collect();
        let mut out16 = vec![f16::from_bits(0x7e55); out_len];
        let got = k.gather(Table::new(&t16, DIM).unwrap(), idx, &mut out16);
        assert_eq!(got, Err(want), "gather f16 on {}", k.isa());
        assert!(
            out16.iter().all(|x| x.to_bits() == 0x7e55),
            "gather f16 on {} wrote on error",
            k.isa()
        );
    }
}

#[test]
fn index_out_of_range_names_position_value_and_rows() {
    let oob = |position, value| Error::IndexOutOfRange {
        position,
        value,
        rows: ROWS,
    };
    // Just past the end, at the first and at the last position.
    gather_err(&[5u32, 0, 1], 3 * DIM, oob(0, 5));
    gather_err(&[0u32, 1, 5], 3 * DIM, oob(2, 5));
    // Negative values of signed types.
    gather_err(&[0i32, -1, 2], 3 * DIM, oob(1, -1));
    gather_err(&[i64::MIN], DIM, oob(0, i64::MIN as i128));
    // Extremes of unsigned types.
    gather_err(&[1u64, u64::MAX], 2 * DIM, oob(1, u64::MAX as i128));
    gather_err(&[usize::MAX], DIM, oob(0, usize::MAX as i128));
    gather_err(&[255u8], DIM, oob(0, 255));
    gather_err(&[4u16, 65535], 2 * DIM, oob(1, 65535));
    // The first bad one is reported, not the largest.
    gather_err(&[1u32, 9, 700], 3 * DIM, oob(1, 9));
    let msg = oob(2, -1).to_string();
    assert_eq!(
        msg,
        "index -1 at position 2 is out of range: the table has 5 rows"
    );
}

/// The range check is a vectorised fold on each path (an OR of compares,
/// or a max fold where the ISA has an unsigned max): over slices long
/// enough for its main loop and its tail, one bad index at every position,
/// just past the last row or at the type's maximum, is found and named, and
/// a slice whose largest index is the last row passes.
#[test]
fn range_check_finds_one_bad_index_anywhere_in_a_long_slice() {
    fn check<I: embedding_kernels::Index + Copy>(of: impl Fn(usize) -> I, bad: &[I]) {
        let t = table();
        // Under Miri, a few lengths and positions (it runs every path, slowly).
        let lens: &[usize] = if cfg!(miri) {
            &[1, 17, 33]
        } else {
            &[1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 257]
        };
        for k in kernels() {
            for &len in lens {
                let ok: Vec<I> = (0..len).map(|p| of((p * 3 + 1) % ROWS)).collect();
                let mut out = vec![0.0f32; len * DIM];
                let mut last = ok.clone();
                last[len / 2] = of(ROWS - 1);
                assert_eq!(
                    k.gather(Table::new(&t, DIM).unwrap(), &last, &mut out),
                    Ok(()),
                    "{} len {len}",
                    k.isa()
                );
                let positions: Vec<usize> = if cfg!(miri) {
                    vec![0, len / 2, len - 1]
                } else {
                    (0..len).collect()
                };
                for &b in bad {
                    for &position in &positions {
                        let mut idx = ok.clone();
                        idx[position] = b;
                        let want = Error::IndexOutOfRange {
                            position,
                            value: b.value(),
                            rows: ROWS,
                        };
                        assert_eq!(
                            k.gather(Table::new(&t, DIM).unwrap(), &idx, &mut out),
                            Err(want),
                            "{} len {len}",
                            k.isa()
                        );
                    }
                }
            }
        }
    }
    check(|r| r as u8, &[ROWS as u8, u8::MAX]);
    check(|r| r as u16, &[ROWS as u16, u16::MAX]);
    check(|r| r as u32, &[ROWS as u32, u32::MAX]);
    check(|r| r as u64, &[ROWS as u64, u64::MAX]);
    check(|r| r, &[ROWS, usize::MAX]);
    check(|r| r as i32, &[ROWS as i32, -1, i32::MIN, i32::MAX]);
    check(|r| r as i64, &[ROWS as i64, -1, i64::MIN, i64::MAX]);
}

#[test]
fn wrong_output_length() {
    gather_err(
        &[0u32, 1],
        2 * DIM - 1,
        Error::OutputLength {
            len: 5,
            expected: 6,
        },
    );
    gather_err(
        &[0u32, 1],
        2 * DIM + 1,
        Error::OutputLength {
            len: 7,
            expected: 6,
        },
    );
    gather_err::<u32>(
        &[],
        1,
        Error::OutputLength {
            len: 1,
            expected: 0,
        },
    );
    // Length is checked before indices.
    gather_err(
        &[9u32],
        0,
        Error::OutputLength {
            len: 0,
            expected: 3,
        },
    );
}

#[test]
fn scatter_add_errors_leave_the_table_untouched() {
    for k in kernels() {
        let cases: Vec<(Vec<i64>, usize, Error)> = vec![
            (
                vec![0, 1],
                2 * DIM - 1,
                Error::GradientLength {
                    len: 5,
                    expected: 6,
                },
            ),
            (
                vec![0, 1],
                2 * DIM + 3,
                Error::GradientLength {
                    len: 9,
                    expected: 6,
                },
            ),
            (
                vec![0, 5],
                2 * DIM,
                Error::IndexOutOfRange {
                    position: 1,
                    value: 5,
                    rows: ROWS,
                },
            ),
            (
                vec![-3, 0],
                2 * DIM,
                Error::IndexOutOfRange {
                    position: 0,
                    value: -3,
                    rows: ROWS,
                },
            ),
        ];
        for (idx, glen, want) in cases {
            let mut t = table();
            let before = t.clone();
            let grad = vec![1.0f32; glen];
            let got = k.scatter_add(&mut TableMut::new(&mut t, DIM).unwrap(), &idx, &grad, 1.0);
            assert_eq!(got, Err(want), "scatter_add on {}", k.isa());
            assert_eq!(t, before, "scatter_add on {} wrote on error", k.isa());

            let mut tb: Vec<bf16> = before.iter().map(|&x| bf16::from_f32(x)).collect();
            let tb_before = tb.clone();
            let got = k.scatter_add(&mut TableMut::new(&mut tb, DIM).unwrap(), &idx, &grad, 1.0);
            assert_eq!(got, Err(want), "scatter_add bf16 on {}", k.isa());
            assert_eq!(
                tb,
                tb_before,
                "scatter_add bf16 on {} wrote on error",
                k.isa()
            );
        }
    }
}

fn bags_err(
    idx: &[i32],
    offsets: &[i32],
    weights: Option<&[f32]>,
    pooling: Pooling,
    out_len: usize,
    want: Error,
) {
    let t = table();
    for k in kernels() {
        let mut out = vec![-7.25f32; out_len];
        let mut bags = Bags::new(idx, offsets);
        if let Some(w) = weights {
            bags = bags.with_weights(w);
        }
        let got = k.gather_bags(Table::new(&t, DIM).unwrap(), bags, pooling, &mut out);
        assert_eq!(got, Err(want), "bags on {}", k.isa());
        assert!(
            out.iter().all(|&x| x == -7.25),
            "bags on {} wrote on error",
            k.isa()
        );
    }
}

#[test]
fn bad_offsets() {
    let idx = [0, 1, 2, 3];
    let s = Pooling::Sum;
    bags_err(&idx, &[], None, s, 0, Error::OffsetsEmpty);
    bags_err(
        &idx,
        &[1, 2, 4],
        None,
        s,
        2 * DIM,
        Error::FirstOffset { value: 1 },
    );
    bags_err(
        &idx,
        &[-1, 2, 4],
        None,
        s,
        2 * DIM,
        Error::FirstOffset { value: -1 },
    );
    bags_err(
        &idx,
        &[0, 3, 2, 4],
        None,
        s,
        3 * DIM,
        Error::OffsetsDecreasing {
            position: 2,
            value: 2,
            previous: 3,
        },
    );
    bags_err(
        &idx,
        &[0, 2, 3],
        None,
        s,
        2 * DIM,
        Error::LastOffset { value: 3, len: 4 },
    );
    bags_err(
        &idx,
        &[0, 2, 9],
        None,
        s,
        2 * DIM,
        Error::OffsetOutOfRange {
            position: 2,
            value: 9,
            len: 4,
        },
    );
    bags_err(
        &idx,
        &[0, 7, 4],
        None,
        s,
        2 * DIM,
        Error::OffsetOutOfRange {
            position: 1,
            value: 7,
            len: 4,
        },
    );
    bags_err(
        &idx,
        &[0, -2, 4],
        None,
        s,
        2 * DIM,
        Error::OffsetOutOfRange {
            position: 1,
            value: -2,
            len: 4,
        },
    );
    // Only a leading zero with indices present: last offset is not the count.
    bags_err(
        &idx,
        &[0],
        None,
        s,
        0,
        Error::LastOffset { value: 0, len: 4 },
    );
}

#[test]
fn bad_weights_output_and_indices_in_bags() {
    let idx = [0, 1, 2, 3];
    let off = [0, 2, 4];
    let w3 = [1.0f32; 3];
    let w4 = [1.0f32; 4];
    bags_err(
        &idx,
        &off,
        Some(&w3),
        Pooling::Sum,
        2 * DIM,
        Error::WeightsLength {
            len: 3,
            expected: 4,
        },
    );
    bags_err(
        &idx,
        &off,
        Some(&w4),
        Pooling::Max,
        2 * DIM,
        Error::WeightsWithMax,
    );
    bags_err(
        &idx,
        &off,
        None,
        Pooling::Mean,
        2 * DIM + 1,
        Error::OutputLength {
            len: 7,
            expected: 6,
        },
    );
    bags_err(
        &[0, 1, 2, 5],
        &off,
        None,
        Pooling::SqrtN,
        2 * DIM,
        Error::IndexOutOfRange {
            position: 3,
            value: 5,
            rows: ROWS,
        },
    );
    bags_err(
        &[-1, 1, 2, 3],
        &off,
        Some(&w4),
        Pooling::Mean,
        2 * DIM,
        Error::IndexOutOfRange {
            position: 0,
            value: -1,
            rows: ROWS,
        },
    );
}

#[test]
fn table_construction_errors() {
    let data = [0.0f32; 12];
    assert_eq!(Table::new(&data, 0).err(), Some(Error::ZeroDim));
    assert_eq!(
        Table::new(&data, 5).err(),
        Some(Error::TableLength { len: 12, dim: 5 })
    );
    assert_eq!(Table::new(&data, 4).unwrap().rows(), 3);
    let mut m = [0.0f32; 12];
    assert_eq!(TableMut::new(&mut m, 0).err(), Some(Error::ZeroDim));
    assert_eq!(
        TableMut::new(&mut m, 7).err(),
        Some(Error::TableLength { len: 12, dim: 7 })
    );
    // An empty table has no rows: every index is out of range.
    let empty: [f32; 0] = [];
    let t = Table::new(&empty, 4).unwrap();
    assert_eq!(t.rows(), 0);
    let mut out = [0.0f32; 4];
    assert_eq!(
        embedding_kernels::gather(t, &[0u8], &mut out),
        Err(Error::IndexOutOfRange {
            position: 0,
            value: 0,
            rows: 0
        })
    );
}

/// 8-byte aligned storage to cut misaligned windows from.
#[repr(C, align(8))]
struct Aligned([u8; 64]);

#[test]
fn from_bytes_checks_alignment_length_and_dim() {
    let mut a = Aligned([0u8; 64]);
    for (i, b) in a.0.iter_mut().enumerate() {
        *b = i as u8;
    }
    let bytes = &a.0[..];
    let base = bytes.as_ptr() as usize;
    // Zero-copy: the table's data is the very bytes.
    let t = Table::<f32>::from_bytes(&bytes[..48], 3).unwrap();
    assert_eq!((t.rows(), t.dim()), (4, 3));
    assert_eq!(t.as_slice().as_ptr() as usize, base);
    assert_eq!(
        t.row(0).unwrap()[0].to_bits(),
        u32::from_ne_bytes([0, 1, 2, 3])
    );
    // Misaligned for f32 (4) and for f16 (2).
    assert_eq!(
        Table::<f32>::from_bytes(&bytes[1..13], 3).err(),
        Some(Error::Misaligned {
            format: "f32",
            offset: 1,
            align: 4
        })
    );
    assert_eq!(
        Table::<f32>::from_bytes(&bytes[2..14], 3).err(),
        Some(Error::Misaligned {
            format: "f32",
            offset: 2,
            align: 4
        })
    );
    assert_eq!(
        Table::<f16>::from_bytes(&bytes[1..7], 3).err(),
        Some(Error::Misaligned {
            format: "f16",
            offset: 1,
            align: 2
        })
    );
    assert!(Table::<f16>::from_bytes(&bytes[2..8], 3).is_ok());
    // Not a whole number of rows (row = 12 bytes for f32 dim 3, 6 for bf16).
    assert_eq!(
        Table::<f32>::from_bytes(&bytes[..20], 3).err(),
        Some(Error::ByteLength {
            len: 20,
            row_bytes: 12
        })
    );
    assert_eq!(
        Table::<f32>::from_bytes(&bytes[..14], 3).err(),
        Some(Error::ByteLength {
            len: 14,
            row_bytes: 12
        })
    );
    assert_eq!(
        Table::<bf16>::from_bytes(&bytes[..8], 3).err(),
        Some(Error::ByteLength {
            len: 8,
            row_bytes: 6
        })
    );
    assert_eq!(
        Table::<f32>::from_bytes(bytes, 0).err(),
        Some(Error::ZeroDim)
    );
    // Mutable too.
    let mut b = Aligned([0u8; 64]);
    assert_eq!(
        TableMut::<f32>::from_bytes(&mut b.0[1..13], 3).err(),
        Some(Error::Misaligned {
            format: "f32",
            offset: 1,
            align: 4
        })
    );
    assert_eq!(
        TableMut::<f32>::from_bytes(&mut b.0[..20], 3).err(),
        Some(Error::ByteLength {
            len: 20,
            row_bytes: 12
        })
    );
    let mut t = TableMut::<f32>::from_bytes(&mut b.0[..24], 2).unwrap();
    embedding_kernels::scatter_add(&mut t, &[1u8], &[1.0, 2.0], 1.0).unwrap();
    assert_eq!(&b.0[8..16], &[0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
}

/// The crate's own `Aligned`, as a `static` of any length, as the docs show it.
static STATIC_TABLE: &embedding_kernels::Aligned<[u8]> =
    &embedding_kernels::Aligned([7; 3 * 5 * 4]);

#[test]
fn aligned_statics_and_rows_of_arrays() {
    assert!((STATIC_TABLE.0.as_ptr() as usize).is_multiple_of(64));
    let t = Table::<f32>::from_bytes(&STATIC_TABLE.0, 5).unwrap();
    assert_eq!((t.rows(), t.dim()), (3, 5));
    // One byte in: the offset, not the address.
    assert_eq!(
        Table::<bf16>::from_bytes(&STATIC_TABLE[1..11], 5).err(),
        Some(Error::Misaligned {
            format: "bf16",
            offset: 1,
            align: 2
        })
    );
    // Rows of arrays, and the zero-width array's error.
    let rows = [[1.0f32, 2.0], [3.0, 4.0]];
    let t = Table::from_rows(&rows).unwrap();
    assert_eq!((t.rows(), t.dim(), t.row(1)), (2, 2, Some(&[3.0, 4.0][..])));
    let empty: [[f16; 0]; 3] = [[]; 3];
    assert_eq!(Table::from_rows(&empty).err(), Some(Error::ZeroDim));
    let mut rows = vec![[0.0f32; 3]; 2];
    let mut t = TableMut::from_rows_mut(&mut rows).unwrap();
    embedding_kernels::scatter_add(&mut t, &[1u16], &[1.0, 2.0, 3.0], 2.0).unwrap();
    assert_eq!(rows, [[0.0; 3], [2.0, 4.0, 6.0]]);
    let mut empty: [[f32; 0]; 1] = [[]];
    assert_eq!(
        TableMut::from_rows_mut(&mut empty).err(),
        Some(Error::ZeroDim)
    );
}

#[test]
fn convert_length_mismatch() {
    let src = [f16::ONE; 3];
    let mut dst = [9.0f32; 4];
    assert_eq!(
        embedding_kernels::convert::f16_to_f32(&src, &mut dst),
        Err(Error::ConvertLength { src: 3, dst: 4 })
    );
    assert_eq!(dst, [9.0; 4]);
    let mut back = [bf16::ONE; 2];
    assert_eq!(
        embedding_kernels::convert::f32_to_bf16(&dst, &mut back),
        Err(Error::ConvertLength { src: 4, dst: 2 })
    );
    assert_eq!(back, [bf16::ONE; 2]);
}

#[test]
fn every_error_displays_its_numbers() {
    let cases = [
        (Error::ZeroDim, "dim is 0"),
        (
            Error::TableLength { len: 10, dim: 3 },
            "10 elements, not a multiple of dim 3",
        ),
        (
            Error::Misaligned {
                format: "f32",
                offset: 3,
                align: 4,
            },
            "f32 table bytes start 3 bytes past a multiple of 4, the alignment f32 needs: \
             start them at a multiple of 4 (embedding_kernels::Aligned for a static or \
             include_bytes!) or copy them into a Vec<f32>",
        ),
        (
            Error::ByteLength {
                len: 14,
                row_bytes: 12,
            },
            "14 bytes, not a multiple of the row size 12",
        ),
        (
            Error::OutputLength {
                len: 5,
                expected: 6,
            },
            "5 elements, expected 6",
        ),
        (
            Error::GradientLength {
                len: 5,
                expected: 6,
            },
            "5 elements, expected 6",
        ),
        (Error::OffsetsEmpty, "offsets are empty"),
        (Error::FirstOffset { value: 2 }, "first bag offset is 2"),
        (
            Error::OffsetsDecreasing {
                position: 2,
                value: 1,
                previous: 3,
            },
            "offset 1 at position 2 is below the offset before it, 3",
        ),
        (
            Error::OffsetOutOfRange {
                position: 1,
                value: -2,
                len: 4,
            },
            "offset -2 at position 1 is outside 0..=4",
        ),
        (
            Error::LastOffset { value: 3, len: 4 },
            "last bag offset is 3, it must equal the index count 4",
        ),
        (
            Error::WeightsLength {
                len: 3,
                expected: 4,
            },
            "3 weights given for 4 indices",
        ),
        (Error::WeightsWithMax, "max pooling"),
        (
            Error::MatrixLength {
                matrix: "b",
                len: 5,
                expected: 6,
            },
            "matrix b has 5 elements, expected 6",
        ),
        (
            Error::ConvertLength { src: 3, dst: 4 },
            "3 elements but destination has 4",
        ),
    ];
    for (e, want) in cases {
        let s = e.to_string();
        assert!(s.contains(want), "{s:?} should contain {want:?}");
        let _: &dyn core::error::Error = &e;
    }
}

/// Offsets of an index type other than the indices' (`i64` ids cut by
/// `usize` offsets, …): the same bits as offsets of the indices' own type,
/// on every path; bad offsets reported with their own values.
#[test]
fn offsets_of_their_own_index_type() {
    use embedding_kernels::{Index, Kernels};
    fn pooled<I: Index, O: Index>(k: &Kernels, bags: Bags<'_, I, O>, pooling: Pooling) -> Vec<u32> {
        let t = table();
        let mut out = vec![0.0f32; 3 * DIM];
        k.gather_bags(Table::new(&t, DIM).unwrap(), bags, pooling, &mut out)
            .unwrap();
        out.iter().map(|x| x.to_bits()).collect()
    }
    fn check<I: Index, O: Index>(ids: &[I], offsets: &[O], same_type: &[I]) {
        for k in kernels() {
            for pooling in [Pooling::Sum, Pooling::Mean, Pooling::SqrtN, Pooling::Max] {
                assert_eq!(
                    pooled(&k, Bags::new(ids, offsets), pooling),
                    pooled(&k, Bags::new(ids, same_type), pooling),
                    "{pooling:?} on {}",
                    k.isa()
                );
            }
        }
        // The oracle takes them too.
        let (mut mixed, mut same) = (vec![0.0f32; 3 * ROWS], vec![0.0f32; 3 * ROWS]);
        embedding_kernels::onehot::multi_hot(Bags::new(ids, offsets), ROWS, &mut mixed).unwrap();
        embedding_kernels::onehot::multi_hot(Bags::new(ids, same_type), ROWS, &mut same).unwrap();
        assert_eq!(mixed, same);
    }
    macro_rules! offsets_as {
        ($i:ty: $($o:ty),*) => {$(
            check(&[4 as $i, 0, 2, 2, 1], &[0 as $o, 2, 2, 5], &[0 as $i, 2, 2, 5]);
        )*};
    }
    offsets_as!(i64: u8, u16, u32, u64, usize, i32);
    offsets_as!(u8: u16, u32, u64, usize, i32, i64);
    offsets_as!(u32: usize, i64);
    // Errors carry the offsets' values, whatever their type.
    let t = table();
    let mut out = [0.0f32; 2 * DIM];
    let ids = [0u8, 1, 2];
    for k in kernels() {
        let mut run = |offsets: &[i64]| {
            k.gather_bags(
                Table::new(&t, DIM).unwrap(),
                Bags::new(&ids, offsets),
                Pooling::Sum,
                &mut out,
            )
        };
        assert_eq!(
            run(&[0, -1, 3]),
            Err(Error::OffsetOutOfRange {
                position: 1,
                value: -1,
                len: 3
            })
        );
        assert_eq!(
            run(&[0, 1 << 40, 3]),
            Err(Error::OffsetOutOfRange {
                position: 1,
                value: 1 << 40,
                len: 3
            })
        );
        assert_eq!(
            run(&[0, 2, 1]),
            Err(Error::OffsetsDecreasing {
                position: 2,
                value: 1,
                previous: 2
            })
        );
    }
    assert_eq!(out, [0.0; 2 * DIM]);
}
