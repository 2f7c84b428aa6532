//! Shared pieces of the comparison (`examples/table.rs`, `benches/compare.rs`):
//! deterministic data and the memcpy yardsticks.
//!
//! Not published; its own workspace root, so the main crate's `cargo test` and
//! `cargo clippy` never build it or its dependencies (candle-core, ndarray).

// The measuring harness (ids, copy yardsticks, interleaved timing), shared
// with the main crate's report example.
#[path = "../../examples/harness/mod.rs"]
pub mod harness;
pub use harness::{Rng, copy_loop, copy_std};

/// Lookups per gather / scatter-add call (the in-cache cases of the report).
pub const LOOKUPS: usize = 4096;

/// The same ids as `usize`, which ndarray's `select` takes (prepared outside
/// every timed region, as candle's id tensors are).
pub fn to_usize(ids: &[u32]) -> Vec<usize> {
    ids.iter().map(|&i| i as usize).collect()
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
