//! embedding-kernels on real model files: the pieces the examples share.
//!
//! - [`map`]: a read-only memory map of a file (the tables are borrowed
//!   from it, never copied);
//! - [`gguf`]: a GGUF file's `token_embd.weight` borrowed as a table of its
//!   own type;
//! - [`checksum`]: a bit-exact digest of looked-up values;
//! - [`exit`]: an example's exit code, its error printed.

use std::fs::File;
use std::io;
use std::path::Path;
use std::process::ExitCode;

pub mod gguf;

/// Maps `path` read-only.
///
/// The map is only sound while no one truncates or rewrites the file; the
/// examples map model files that nothing else writes.
pub fn map(path: &Path) -> io::Result<memmap2::Mmap> {
    let file = File::open(path)?;
    // SAFETY: read-only mapping of a model file; see the function docs.
    unsafe { memmap2::Mmap::map(&file) }
}

/// FNV-1a (64-bit) over the values' bits, little-endian: equal only for
/// bit-identical values (signed zeros and NaN payloads included).
pub fn checksum(values: &[f32]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for v in values {
        for b in v.to_bits().to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// An example's exit code from its result: success, or `error: REASON` on
/// stderr and failure.
pub fn exit(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
