//! aarch64: NEON, part of the baseline of every aarch64 target the crate
//! builds for (Linux, Android, `aarch64-unknown-none`), chosen at build time.

pub(crate) mod neon;
