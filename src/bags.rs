//! Bags (CSR groups of indices) and how they pool: [`Bags`], [`Pooling`],
//! and the two rules every path shares, the divisor and the NaN-propagating
//! maximum.

use crate::Index;

/// CSR bags of indices for [`gather_bags`](crate::gather_bags): bag `b` is
/// `indices[offsets[b] .. offsets[b + 1]]`, with optional per-index weights.
///
/// There are `offsets.len() - 1` bags. Offsets must start at 0, never
/// decrease, and end at `indices.len()`; this is checked by every call that
/// takes `Bags`, not here.
///
/// The offsets have an index type of their own, `O` (any of the
/// [`Index`] types, the indices' type unless said otherwise): `i64`
/// token ids cut by `usize` offsets are fine.
///
/// ```
/// use embedding_kernels::{Bags, Pooling, Table, gather_bags};
///
/// let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3 rows × 2
/// let ids: Vec<i64> = vec![2, 0, 1];
/// let offsets: Vec<usize> = vec![0, 2, 3]; // bags [2, 0] and [1]
/// let mut out = [0.0f32; 2 * 2];
/// gather_bags(Table::new(&w, 2)?, Bags::new(&ids, &offsets), Pooling::Sum, &mut out)?;
/// assert_eq!(out, [6.0, 8.0, 3.0, 4.0]);
/// # Ok::<(), embedding_kernels::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Bags<'a, I: Index, O: Index = I> {
    indices: &'a [I],
    offsets: &'a [O],
    weights: Option<&'a [f32]>,
}

impl<'a, I: Index, O: Index> Bags<'a, I, O> {
    /// Bags over `indices` cut by `offsets` (`bags + 1` of them, of any
    /// index type), unweighted.
    #[inline]
    pub fn new(indices: &'a [I], offsets: &'a [O]) -> Self {
        Bags {
            indices,
            offsets,
            weights: None,
        }
    }

    /// The same bags with one weight per index.
    #[inline]
    pub fn with_weights(self, weights: &'a [f32]) -> Self {
        Bags {
            weights: Some(weights),
            ..self
        }
    }

    /// The indices.
    #[inline]
    pub fn indices(&self) -> &'a [I] {
        self.indices
    }

    /// The offsets.
    #[inline]
    pub fn offsets(&self) -> &'a [O] {
        self.offsets
    }

    /// The weights, if any.
    #[inline]
    pub fn weights(&self) -> Option<&'a [f32]> {
        self.weights
    }

    /// The number of bags, `offsets.len() - 1` (0 for empty offsets, which
    /// calls reject).
    #[inline]
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no bags.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How [`gather_bags`](crate::gather_bags) combines the rows of a bag (TensorFlow's combiners,
/// PyTorch's `EmbeddingBag` modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pooling {
    /// `Σ wᵢ·xᵢ` in index order (`Σ xᵢ` without weights: no multiply).
    Sum,
    /// The sum divided by the count, or by `Σ wᵢ` when weighted.
    Mean,
    /// The sum divided by `√count`, or by `√Σ wᵢ²` when weighted.
    SqrtN,
    /// Element-wise maximum; NaN propagates. Weights are an error.
    Max,
}

/// The divisor a pooling applies to a bag's sum: `None` for Sum and Max;
/// the count or `Σ w` for Mean; `√count` or `√Σ w²` for SqrtN. Sums run in
/// index order from 0. Every path calls this, so all divide by the same bits;
/// a zero divisor means zeros (TensorFlow's `div_no_nan`).
#[inline]
pub(crate) fn divisor(pooling: Pooling, count: usize, weights: Option<&[f32]>) -> Option<f32> {
    match pooling {
        Pooling::Sum | Pooling::Max => None,
        Pooling::Mean => Some(match weights {
            None => count as f32,
            Some(w) => w.iter().fold(0.0f32, |s, &x| s + x),
        }),
        Pooling::SqrtN => Some(crate::math::sqrt(match weights {
            None => count as f32,
            Some(w) => w.iter().fold(0.0f32, |s, &x| s + x * x),
        })),
    }
}

/// The NaN-propagating maximum with the accumulator first, as every path
/// computes it (`Vector::max_nan` lane-wise): NaN if either is NaN, else
/// `x` if `x > acc`, else `acc` (so ties, `-0` against `+0` included, keep
/// the accumulator).
#[inline]
pub(crate) fn max_nan(acc: f32, x: f32) -> f32 {
    // One select, which the compiler vectorises in the portable path's row
    // loop: `!(x <= acc)` is `x > acc` or either NaN, and `acc == acc`
    // rules out a NaN accumulator (kept as it is).
    #[allow(clippy::eq_op, clippy::neg_cmp_op_on_partial_ord)]
    let take = !(x <= acc) && acc == acc;
    if take { x } else { acc }
}

#[cfg(test)]
mod tests {
    use super::max_nan;

    /// `max_nan`'s one select is the rule as written in its docs, bit for
    /// bit, over signed zeros, infinities, subnormals, ties and NaNs of
    /// both signs and two payloads on either side.
    #[test]
    fn max_nan_is_the_rule() {
        let values = [
            0.0f32,
            -0.0,
            1.0,
            -1.0,
            1.5,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::from_bits(0x7fc0_0000),
            f32::from_bits(0xffc0_0001),
            f32::from_bits(0x7f80_0001),
        ];
        for &acc in &values {
            for &x in &values {
                let rule = if acc.is_nan() {
                    acc
                } else if x.is_nan() || x > acc {
                    x
                } else {
                    acc
                };
                assert_eq!(
                    max_nan(acc, x).to_bits(),
                    rule.to_bits(),
                    "max_nan({:#010x}, {:#010x})",
                    acc.to_bits(),
                    x.to_bits()
                );
            }
        }
    }
}
