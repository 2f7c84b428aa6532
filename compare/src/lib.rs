//! Shared pieces of the comparison (`examples/table.rs`, `benches/compare.rs`):
//! deterministic data and the memcpy yardsticks.
//!
//! Not published; its own workspace root, so the main crate's `cargo test` and
//! `cargo clippy` never build it or its dependencies (candle-core, ndarray).

// The measuring harness (ids, copy yardsticks, interleaved timing), shared
// with the main crate's report example.
#[path = "../../examples/harness/mod.rs"]
pub mod harness;
pub use harness::{
    Rng, add_row, convert_row, copy_loop, copy_row, copy_std, naive_bag_sums, naive_gather,
    naive_scatter,
};

use candle_core::{Device, Tensor, WithDType};
use embedding_kernels::{Element, Table};
use ndarray::ArrayView2;

/// Lookups per gather / scatter-add call (the in-cache cases of the report).
pub const LOOKUPS: usize = 4096;

/// The same ids as `usize`, which ndarray's `select` takes (prepared outside
/// every timed region, as candle's id tensors are).
pub fn to_usize(ids: &[u32]) -> Vec<usize> {
    ids.iter().map(|&i| i as usize).collect()
}

/// A `rows`×`dim` table three ways, over the same values: the crate's
/// [`Table`], a candle tensor (a copy) and an ndarray view.
pub fn tables<T: Element + WithDType>(
    table: &[T],
    rows: usize,
    dim: usize,
) -> (Table<'_, T>, Tensor, ArrayView2<'_, T>) {
    (
        Table::new(table, dim).unwrap(),
        Tensor::from_slice(table, (rows, dim), &Device::Cpu).unwrap(),
        ArrayView2::from_shape((rows, dim), table).unwrap(),
    )
}

/// A case's id sets, each also as `usize` (which ndarray's `select` takes)
/// and as a candle tensor: all built once, outside every timed region.
pub struct IdSets {
    pub ids: Vec<Vec<u32>>,
    pub ids_us: Vec<Vec<usize>>,
    pub ids_c: Vec<Tensor>,
}

impl IdSets {
    /// `sets` sets of `n` ids below `rows`.
    pub fn new(rng: &mut Rng, sets: usize, n: usize, rows: usize) -> IdSets {
        let ids: Vec<Vec<u32>> = (0..sets).map(|_| rng.ids(n, rows)).collect();
        IdSets {
            ids_us: ids.iter().map(|i| to_usize(i)).collect(),
            ids_c: ids
                .iter()
                .map(|i| Tensor::from_slice(i, n, &Device::Cpu).unwrap())
                .collect(),
            ids,
        }
    }

    /// Each id tensor as (n, dim), one index per element: what candle's
    /// in-place `scatter_add_set` takes.
    pub fn per_element(&self, dim: usize) -> Vec<Tensor> {
        self.ids_c
            .iter()
            .map(|i| {
                let n = i.dim(0).unwrap();
                i.reshape((n, 1))
                    .unwrap()
                    .broadcast_as((n, dim))
                    .unwrap()
                    .contiguous()
                    .unwrap()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn copies() {
        let src: Vec<f32> = (0..1003).map(|v| v as f32).collect();
        let mut a = vec![0.0; 1003];
        super::copy_loop(&mut a, &src);
        assert_eq!(a, src);
    }
}
