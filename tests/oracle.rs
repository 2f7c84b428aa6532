//! The oracle itself, on small cases worked out by hand, so that it cannot
//! be wrong in the same way as the kernels.

use embedding_kernels::{Bags, Error, Pooling, Table, bf16, f16, onehot};

/// Fills a 3×4 matrix of `init` values with `fill`, checks it against
/// `want`, row by row, and returns it.
#[track_caller]
fn assert_3x4(
    init: f32,
    fill: impl FnOnce(&mut [f32]) -> Result<(), Error>,
    want: [[f32; 4]; 3],
) -> [f32; 12] {
    let mut a = [init; 3 * 4];
    fill(&mut a).unwrap();
    assert_eq!(a[..], *want.as_flattened());
    a
}

#[test]
fn one_hot_by_hand() {
    assert_3x4(
        9.0,
        |a| onehot::one_hot(&[2u8, 0, 2], 4, a),
        [
            [0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
        ],
    );
    assert_eq!(
        onehot::one_hot(&[4u8], 4, &mut [0.0; 4]),
        Err(Error::IndexOutOfRange {
            position: 0,
            value: 4,
            rows: 4
        })
    );
    assert_eq!(
        onehot::one_hot(&[1u8], 4, &mut [0.0; 3]),
        Err(Error::MatrixLength {
            matrix: "out",
            len: 3,
            expected: 4
        })
    );
}

#[test]
fn multi_hot_by_hand() {
    // Bags [1, 1, 3] and [] and [0], weights 0.5, 0.25, 2 and 4.
    let idx = [1i64, 1, 3, 0];
    let off = [0i64, 3, 3, 4];
    let w = [0.5f32, 0.25, 2.0, 4.0];
    let bags = Bags::new(&idx, &off).with_weights(&w);
    let mut a = assert_3x4(
        0.0,
        |a| onehot::multi_hot(bags, 4, a),
        [
            [0.0, 0.75, 0.0, 2.0],
            [0.0, 0.0, 0.0, 0.0],
            [4.0, 0.0, 0.0, 0.0],
        ],
    );
    onehot::multi_hot(Bags::new(&idx, &off), 4, &mut a).unwrap();
    assert_eq!(&a[..4], &[0.0, 2.0, 0.0, 1.0]);
}

#[test]
fn matmul_by_hand() {
    // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50], added to C = [1 1; 1 1].
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let b = [5.0f32, 6.0, 7.0, 8.0];
    let mut c = [1.0f32; 4];
    onehot::matmul(&a, &b, &mut c, 2, 2, 2).unwrap();
    assert_eq!(c, [20.0, 23.0, 44.0, 51.0]);
    // Aᵀ·B = [1 3; 2 4] · [5 6; 7 8] = [26 30; 38 44].
    let mut c = [0.0f32; 4];
    onehot::matmul_transposed(&a, &b, &mut c, 2, 2, 2).unwrap();
    assert_eq!(c, [26.0, 30.0, 38.0, 44.0]);
    // Non-square: (1×3)·(3×2).
    let mut c = [0.0f32; 2];
    onehot::matmul(
        &[1.0, 0.0, 2.0],
        &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0],
        &mut c,
        1,
        3,
        2,
    )
    .unwrap();
    assert_eq!(c, [11.0, 14.0]);
    assert_eq!(
        onehot::matmul(&a, &b, &mut [0.0f32; 3], 2, 2, 2),
        Err(Error::MatrixLength {
            matrix: "c",
            len: 3,
            expected: 4
        })
    );
    assert_eq!(
        onehot::matmul_transposed(&a[..3], &b, &mut [0.0f32; 4], 2, 2, 2),
        Err(Error::MatrixLength {
            matrix: "a",
            len: 3,
            expected: 4
        })
    );
}

#[test]
fn accumulation_rounds_each_term_into_c() {
    // In f16, 2048 + 1 rounds back to 2048 (ulp 2) each time: adding three
    // ones term by term leaves 2048, where one rounding of 2051 would give
    // 2052. This is the scatter-add rule: one rounding per contribution.
    let a = [1.0f32, 1.0, 1.0]; // 3×1: three rows of A, all hitting row 0.
    let b = [1.0f32, 1.0, 1.0]; // 3×1 gradient.
    let mut c = [f16::from_f32(2048.0)];
    onehot::matmul_transposed(&a, &b, &mut c, 3, 1, 1).unwrap();
    assert_eq!(c[0].to_f32(), 2048.0);
    // bf16: 256 + 1 → 256 (8 bits of mantissa).
    let mut c = [bf16::from_f32(256.0)];
    onehot::matmul_transposed(&a, &b, &mut c, 3, 1, 1).unwrap();
    assert_eq!(c[0].to_f32(), 256.0);
    // f32 accumulation in term order: (1e8 + 1) + 1 ... stays 1e8.
    let mut c = [1.0e8f32];
    onehot::matmul_transposed(&a, &b, &mut c, 3, 1, 1).unwrap();
    assert_eq!(c[0], 1.0e8);
}

#[test]
fn pool_by_hand() {
    // Table rows: r0 = [1, -2], r1 = [3, 5], r2 = [-1, 8].
    let w = [1.0f32, -2.0, 3.0, 5.0, -1.0, 8.0];
    let t = Table::new(&w, 2).unwrap();
    // Bag 0 = {r0, r2}, bag 1 = {r1 with weight 2}, bag 2 empty.
    let a = [1.0f32, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0];
    let mut y = [0.0f32; 6];
    onehot::pool(&a, t, Pooling::Sum, &mut y).unwrap();
    assert_eq!(y, [0.0, 6.0, 6.0, 10.0, 0.0, 0.0]);
    onehot::pool(&a, t, Pooling::Mean, &mut y).unwrap();
    assert_eq!(y, [0.0, 3.0, 3.0, 5.0, 0.0, 0.0]);
    onehot::pool(&a, t, Pooling::SqrtN, &mut y).unwrap();
    let r2 = 2.0f32.sqrt();
    assert_eq!(y, [0.0, 6.0 / r2, 3.0, 5.0, 0.0, 0.0]);
    onehot::pool(&a, t, Pooling::Max, &mut y).unwrap();
    assert_eq!(y, [1.0, 8.0, 3.0, 5.0, 0.0, 0.0]);
    // Max propagates NaN.
    let wn = [f32::NAN, 0.0, 3.0, 5.0, -1.0, 8.0];
    onehot::pool(&a, Table::new(&wn, 2).unwrap(), Pooling::Max, &mut y).unwrap();
    assert!(y[0].is_nan());
    assert_eq!(y[1], 8.0);
}

#[test]
fn seed_shapes_by_hand() {
    // The seed article's point: one_hot(x) · W picks rows.
    let w: Vec<f32> = (0..10 * 4).map(|v| v as f32).collect();
    let x = [7u16, 3];
    let mut a = vec![0.0f32; 2 * 10];
    onehot::one_hot(&x, 10, &mut a).unwrap();
    let mut y = vec![0.0f32; 2 * 4];
    onehot::matmul(&a, &w, &mut y, 2, 10, 4).unwrap();
    assert_eq!(y, [28.0, 29.0, 30.0, 31.0, 12.0, 13.0, 14.0, 15.0]);
}
