//! The fixed workload that `ensure_no_std` runs on a Cortex-M4F under qemu
//! (`.ci/mcu.sh`) and that `tests/mcu_workload.rs` runs on the host, on every
//! ISA path: one file, included by both (`mod workload;` here, `#[path]`
//! there), so the two sides cannot drift apart.
//!
//! [`run`] makes every call below on small static tables and folds the bits
//! of every output into an FNV-1a 64 hash; both sides must get [`EXPECTED`].
//! It uses only the crate's public API, through the free functions (on the
//! MCU, the portable path); [`run_on`] is the same workload through one
//! [`Kernels`] (one ISA path), for the host test.
//!
//! Adding a call is one line in [`workload!`] (the call and the output it
//! hashes) plus its data; then update [`EXPECTED`] to what the host test
//! prints (it fails with the new value).
//!
//! `no_std`, no allocation: the outputs live on the stack, which is what the
//! MCU binary's stack measurement sees.

use core::hint::black_box as bb;

use embedding_kernels::{
    Bags, Error, Kernels, Pooling, Table, TableMut, f16, gather, gather_bags, scatter_add,
};

/// The hash [`run`] must return, on the host (every ISA path) and on the MCU.
pub const EXPECTED: u64 = 0x75F5_407E_FEE6_297F;

/// Row width: 19 = 16 + 3, so every vector path (4, 8 and 16 lanes) runs
/// both its full-vector body and its tail.
const DIM: usize = 19;
const ROWS: usize = 16;

/// A deterministic spread of values: multiples of 2⁻⁹ in [-4, 4) (exact in
/// f16), with every 29th a tiny multiple of 2⁻²⁴ below 2⁻¹³ (mostly f16
/// subnormals).
const fn value(i: usize) -> f32 {
    let h = (i as u32).wrapping_mul(0x9E37_79B1).rotate_left(13) ^ 0x5BD1_E995;
    let k = (h >> 20) as i32 - 2048;
    if i % 29 == 5 {
        k as f32 * (1.0 / 16_777_216.0)
    } else {
        k as f32 * (1.0 / 512.0)
    }
}

const fn values<const N: usize>(seed: usize) -> [f32; N] {
    let mut v = [0.0f32; N];
    let mut i = 0;
    while i < N {
        v[i] = value(seed + i);
        i += 1;
    }
    v
}

const fn halves<const N: usize>(seed: usize) -> [f16; N] {
    let mut v = [f16::ZERO; N];
    let mut i = 0;
    while i < N {
        v[i] = f16::from_f32_const(value(seed + i));
        i += 1;
    }
    v
}

static W32: [f32; ROWS * DIM] = values(0);
static W16: [f16; ROWS * DIM] = halves(7919);
/// Repeats (7, 15) and both ends of the table.
static IDS: [u32; 10] = [3, 0, 15, 7, 7, 1, 12, 9, 15, 4];
/// Four bags of `IDS`; the second is empty.
static OFFSETS: [u32; 5] = [0, 3, 3, 7, 10];
static WEIGHTS: [f32; IDS.len()] = {
    let mut w = values(104_729);
    w[2] = 0.0;
    w
};
/// Signed indices of another width, for the f16 → f16 gather.
static IDS64: [i64; 7] = [15, 2, 2, 8, 0, 11, 5];
static GRAD: [f32; IDS.len() * DIM] = values(31_337);

/// FNV-1a 64 over the little-endian bits of every output element, each
/// output preceded by its length, so that a skipped or shortened call shows.
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }

    /// Hashes `out` if the call that wrote it succeeded.
    fn add<E: Bits>(&mut self, call: Result<(), Error>, out: &[E]) -> Result<(), Error> {
        call?;
        self.bytes(&(out.len() as u32).to_le_bytes());
        for &e in bb(out) {
            e.hash(self);
        }
        Ok(())
    }
}

/// The bits of an output element.
trait Bits: Copy {
    fn hash(self, h: &mut Fnv);
}

impl Bits for f32 {
    fn hash(self, h: &mut Fnv) {
        h.bytes(&self.to_bits().to_le_bytes());
    }
}

impl Bits for f16 {
    fn hash(self, h: &mut Fnv) {
        h.bytes(&self.to_bits().to_le_bytes());
    }
}

/// The workload, once: `workload!()` calls the free functions,
/// `workload!(k.)` the methods of the `Kernels` named `k`.
macro_rules! workload {
    ($($k:ident .)?) => {{
        let t32 = Table::new(bb(&W32[..]), DIM)?;
        let t16 = Table::new(bb(&W16[..]), DIM)?;
        let ids = bb(&IDS[..]);
        let bags = Bags::new(ids, bb(&OFFSETS[..]));
        let weighted = bags.with_weights(bb(&WEIGHTS[..]));
        let grad = bb(&GRAD[..]);
        let mut out = [0.0f32; IDS.len() * DIM];
        let mut out16 = [f16::ZERO; IDS64.len() * DIM];
        let mut pooled = [0.0f32; (OFFSETS.len() - 1) * DIM];
        let (mut w32, mut w16) = (W32, W16);
        let mut h = Fnv(0xCBF2_9CE4_8422_2325);

        // One line per call: the call, then the output it wrote.
        h.add($($k.)?gather(t32, ids, &mut out), &out)?;
        h.add($($k.)?gather(t16, ids, &mut out), &out)?;
        h.add($($k.)?gather(t16, bb(&IDS64[..]), &mut out16), &out16)?;
        h.add($($k.)?gather_bags(t32, bags, Pooling::Sum, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t16, bags, Pooling::Sum, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t32, bags, Pooling::Mean, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t16, bags, Pooling::Mean, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t32, bags, Pooling::Max, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t16, bags, Pooling::Max, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t32, weighted, Pooling::Sum, &mut pooled), &pooled)?;
        h.add($($k.)?gather_bags(t16, weighted, Pooling::Sum, &mut pooled), &pooled)?;
        h.add($($k.)?scatter_add(&mut TableMut::new(&mut w32, DIM)?, ids, grad, -0.5), &w32)?;
        h.add($($k.)?scatter_add(&mut TableMut::new(&mut w16, DIM)?, ids, grad, 0.375), &w16)?;
        Ok(h.0)
    }};
}

/// The workload through the free functions: the hash of every output, or
/// the first error.
#[inline(never)]
pub fn run() -> Result<u64, Error> {
    workload!()
}

/// The workload through `k`'s methods (one ISA path).
#[cfg_attr(target_os = "none", allow(dead_code))] // the MCU runs `run` only
#[inline(never)]
pub fn run_on(k: Kernels) -> Result<u64, Error> {
    workload!(k.)
}
