//! Shared pieces of the comparison (`examples/table.rs`, `benches/compare.rs`):
//! deterministic data and the memcpy yardsticks.
//!
//! Not published; its own workspace root, so the main crate's `cargo test` and
//! `cargo clippy` never build it or its dependencies (candle-core, ndarray).

/// Lookups per gather / scatter-add call (the in-cache cases of the report).
pub const LOOKUPS: usize = 4096;

/// xorshift64: the same ids in every implementation and every run.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `n` ids in `0..rows`.
    pub fn ids(&mut self, n: usize, rows: usize) -> Vec<u32> {
        (0..n)
            .map(|_| (self.next_u64() % rows as u64) as u32)
            .collect()
    }
}

/// The same ids as `usize`, which ndarray's `select` takes (prepared outside
/// every timed region, as candle's id tensors are).
pub fn to_usize(ids: &[u32]) -> Vec<usize> {
    ids.iter().map(|&i| i as usize).collect()
}

/// memcpy as the standard library does it (`copy_from_slice`, glibc
/// `memcpy`).
#[inline(never)]
pub fn copy_std(dst: &mut [f32], src: &[f32]) {
    dst.copy_from_slice(src);
}

/// memcpy as an explicit loop of 32-byte loads and stores.
///
/// On the AMD VMs this project runs on, glibc's `memcpy` (`rep movsb` for
/// mid-size copies) is sometimes pathologically slow for 64 KB–256 KB
/// copies, depending on the relative alignment of source and destination;
/// the yardstick is the faster of this and [`copy_std`]. The empty `asm!`
/// in the loop body (a compiler barrier, no instruction) keeps LLVM from
/// recognising the loop as a `memcpy` call again.
#[inline(never)]
pub fn copy_loop(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len());
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX is available (checked just above).
        unsafe { copy_loop_avx(dst, src) };
        return;
    }
    copy_loop_portable(dst, src);
}

fn copy_loop_portable(dst: &mut [f32], src: &[f32]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        d.copy_from_slice(s);
        barrier();
    }
    d.into_remainder().copy_from_slice(s.remainder());
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn copy_loop_avx(dst: &mut [f32], src: &[f32]) {
    use core::arch::x86_64::{_mm256_loadu_ps, _mm256_storeu_ps};
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        // SAFETY: both chunks are 8 f32s long; unaligned loads and stores.
        unsafe { _mm256_storeu_ps(d.as_mut_ptr(), _mm256_loadu_ps(s.as_ptr())) };
        barrier();
    }
    d.into_remainder().copy_from_slice(s.remainder());
}

/// A compiler-only memory barrier: emits no instruction.
#[inline(always)]
fn barrier() {
    // SAFETY: an empty asm block; it reads and writes nothing, but the
    // compiler must assume it may, so the loop stays a loop.
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
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
