//! The dense definition: one-hot matrices and the matrix products that an
//! embedding layer is, by definition. **Slow on purpose**: `O(n · rows · dim)`.
//!
//! This module is the oracle the kernels are proven against, and the
//! baseline of the benchmarks. It is written as plainly as the math:
//!
//! | kernel | dense definition |
//! | --- | --- |
//! | [`gather`](crate::gather) | `Y = one_hot(x) · W` ([`one_hot`], [`matmul`]) |
//! | [`gather_bags`](crate::gather_bags) | `Y = D⁻¹ · multi_hot(x, offsets, w) · W` ([`multi_hot`], [`pool`]) |
//! | [`scatter_add`](crate::scatter_add) | `W += one_hot(x)ᵀ · (scale · G)` ([`one_hot`], [`matmul_transposed`]) |
//!
//! Every product accumulates into `C` term by term, in order, rounding each
//! term into `C`'s own element type (`c = C::from_f32(c + a·b)`). Adding a
//! zero term changes nothing, so for finite inputs the dense product and the
//! kernel perform the same roundings in the same order and agree exactly
//! (the sign of a zero aside).
//!
//! ```
//! use embedding_kernels::{gather, onehot, Table};
//! let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3 rows × 2
//! let x = [2u32, 0];
//! let mut a = [0.0f32; 2 * 3];
//! onehot::one_hot(&x, 3, &mut a)?;
//! let mut dense = [0.0f32; 2 * 2];
//! onehot::matmul(&a, &w, &mut dense, 2, 3, 2)?;
//! let mut fast = [0.0f32; 2 * 2];
//! gather(Table::new(&w, 2)?, &x, &mut fast)?;
//! assert_eq!(dense, fast);
//! # Ok::<(), embedding_kernels::Error>(())
//! ```

use crate::{Bags, Element, Error, Index, Pooling, Table, validate};

fn check(matrix: &'static str, len: usize, rows: usize, cols: usize) -> Result<(), Error> {
    let expected = validate::product(rows, cols);
    if len != expected {
        return Err(Error::MatrixLength {
            matrix,
            len,
            expected,
        });
    }
    Ok(())
}

/// `out = one_hot(indices)`: an `n × rows` matrix, row `i` all zeros but a
/// 1 in column `indices[i]`.
///
/// # Errors
/// [`Error::MatrixLength`] (`"out"`) unless `out.len() == n · rows`;
/// [`Error::IndexOutOfRange`] for an index outside `0..rows`. `out` is
/// untouched on error.
pub fn one_hot<I: Index>(indices: &[I], rows: usize, out: &mut [f32]) -> Result<(), Error> {
    check("out", out.len(), indices.len(), rows)?;
    validate::in_range(indices, rows)?;
    out.fill(0.0);
    for (i, &x) in indices.iter().enumerate() {
        out[i * rows + x.to_u64() as usize] = 1.0;
    }
    Ok(())
}

/// `out = multi_hot(bags)`: a `bags × rows` matrix whose entry `(b, k)` is
/// the sum of the weights (1 without weights) of the indices of bag `b`
/// equal to `k`, added in index order.
///
/// # Errors
/// Bad offsets and weights as [`gather_bags`](crate::gather_bags);
/// [`Error::MatrixLength`] (`"out"`) unless `out.len() == bags · rows`;
/// [`Error::IndexOutOfRange`]. `out` is untouched on error.
pub fn multi_hot<I: Index, O: Index>(
    bags: Bags<'_, I, O>,
    rows: usize,
    out: &mut [f32],
) -> Result<(), Error> {
    let n = bags.indices().len();
    if let Some(w) = bags.weights()
        && w.len() != n
    {
        return Err(Error::WeightsLength {
            len: w.len(),
            expected: n,
        });
    }
    let count = validate::offsets(bags.offsets(), n)?;
    check("out", out.len(), count, rows)?;
    validate::in_range(bags.indices(), rows)?;
    out.fill(0.0);
    for b in 0..count {
        let start = bags.offsets()[b].to_u64() as usize;
        let end = bags.offsets()[b + 1].to_u64() as usize;
        for t in start..end {
            let w = bags.weights().map_or(1.0, |w| w[t]);
            let k = bags.indices()[t].to_u64() as usize;
            out[b * rows + k] += w;
        }
    }
    Ok(())
}

/// `C += A · B`: `A` is `m × k` (f32), `B` is `k × n`, `C` is `m × n`.
///
/// For each element of `C`, the terms `A[i][p] · B[p][j]` are added in
/// order of `p`, each rounded into `C`'s type.
///
/// # Errors
/// [`Error::MatrixLength`] naming the operand whose length is not its
/// shape's product; `c` is untouched then.
pub fn matmul<B: Element, C: Element>(
    a: &[f32],
    b: &[B],
    c: &mut [C],
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), Error> {
    check("a", a.len(), m, k)?;
    check("b", b.len(), k, n)?;
    check("c", c.len(), m, n)?;
    accumulate(b, c, n, k, |i, p| a[i * k + p]);
    Ok(())
}

/// `C[i][j] += Σₚ a(i, p) · B[p][j]`, term by term in order of `p`, each
/// rounded into `C`'s type: the one loop of both products (`a` reads `A`
/// or `Aᵀ`). `C` has `n` columns; there are `terms` values of `p`.
fn accumulate<B: Element, C: Element>(
    b: &[B],
    c: &mut [C],
    n: usize,
    terms: usize,
    a: impl Fn(usize, usize) -> f32,
) {
    for (i, row) in c.chunks_exact_mut(n.max(1)).enumerate() {
        for (j, y) in row.iter_mut().enumerate() {
            for p in 0..terms {
                let term = a(i, p) * b[p * n + j].to_f32();
                *y = C::from_f32(y.to_f32() + term);
            }
        }
    }
}

/// `C += Aᵀ · B`: `A` is `m × k` (f32), `B` is `m × n`, `C` is `k × n`.
///
/// For each element of `C`, the terms `A[p][i] · B[p][j]` are added in
/// order of `p` (the rows of `A`: occurrence order for a one-hot `A`), each
/// rounded into `C`'s type.
///
/// # Errors
/// [`Error::MatrixLength`] naming the operand whose length is not its
/// shape's product; `c` is untouched then.
pub fn matmul_transposed<B: Element, C: Element>(
    a: &[f32],
    b: &[B],
    c: &mut [C],
    m: usize,
    k: usize,
    n: usize,
) -> Result<(), Error> {
    check("a", a.len(), m, k)?;
    check("b", b.len(), m, n)?;
    check("c", c.len(), k, n)?;
    accumulate(b, c, n, m, |i, p| a[p * k + i]);
    Ok(())
}

/// Pooled lookup from a dense multi-hot matrix `a` (`bags × rows`, as made
/// by [`multi_hot`]) and a table: `out = D⁻¹ · a · W` for Sum (`D = I`),
/// Mean (`D = diag(Σₖ a[b][k])`) and SqrtN (`D = diag(√Σₖ a[b][k]²)`), a
/// zero divisor giving zeros; for Max, the element-wise maximum of the rows
/// `k` with `a[b][k] != 0`, NaN-propagating. A bag with no rows gives zeros.
///
/// # Errors
/// [`Error::MatrixLength`] (`"a"` or `"out"`); `out` is untouched then.
pub fn pool<T: Element>(
    a: &[f32],
    table: Table<'_, T>,
    pooling: Pooling,
    out: &mut [f32],
) -> Result<(), Error> {
    let (rows, dim) = (table.rows(), table.dim());
    let bags = a.len() / rows.max(1);
    check("a", a.len(), bags, rows)?;
    check("out", out.len(), bags, dim)?;
    let w = table.as_slice();
    out.fill(0.0);
    if pooling == Pooling::Max {
        for b in 0..bags {
            let mut seen = false;
            for k in (0..rows).filter(|&k| a[b * rows + k] != 0.0) {
                for j in 0..dim {
                    let x = w[k * dim + j].to_f32();
                    let y = &mut out[b * dim + j];
                    *y = if !seen {
                        x
                    } else {
                        crate::bags::max_nan(*y, x)
                    };
                }
                seen = true;
            }
        }
        return Ok(());
    }
    matmul(a, w, out, bags, rows, dim)?;
    for b in 0..bags {
        let row = &a[b * rows..(b + 1) * rows];
        let d = match pooling {
            Pooling::Mean => row.iter().fold(0.0f32, |s, &x| s + x),
            Pooling::SqrtN => crate::math::sqrt(row.iter().fold(0.0f32, |s, &x| s + x * x)),
            _ => 1.0,
        };
        for y in &mut out[b * dim..(b + 1) * dim] {
            *y = if d == 0.0 { 0.0 } else { *y / d };
        }
    }
    Ok(())
}
