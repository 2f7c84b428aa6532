//! wasm32: simd128, when the module is built with
//! `-C target-feature=+simd128` (wasm has no run-time detection).

pub(crate) mod simd128;
