//! The measuring harness shared by the quick report (`examples/report.rs`),
//! the comparison crate (`compare/`) and the benches (`benches/common/`),
//! which include this file by path: deterministic ids, the copy yardsticks,
//! the naive loops, and interleaved timing.
//!
//! Method: every variant of a case is timed round by round, interleaved
//! (so a burst of noise on this shared machine hits all of them alike), each
//! round a calibrated number of calls; the median round per variant is its
//! time. Ratios are taken within one case, never across runs.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::Instant;

pub mod quantized_naive;

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

/// `len` values, `f(i)` each, starting `offset` bytes past a 64-byte
/// boundary (a cache line on every CPU measured here), inside a `Vec` with
/// room to spare.
///
/// The report's in-cache tables start on a line (offset 0), so a figure
/// does not depend on where the allocator put the table: a heap `Vec<f32>`
/// of a few hundred KB is 16-byte aligned, 16 bytes past a line on glibc,
/// and each 64-byte row then touches two lines instead of one (its cost is
/// the report's `experiment` group, which measures both placements).
pub struct Placed<T> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy> Placed<T> {
    pub fn new(len: usize, offset: usize, mut f: impl FnMut(usize) -> T) -> Placed<T> {
        let size = std::mem::size_of::<T>();
        assert!(offset < 64 && offset.is_multiple_of(size));
        // Every element written (not a calloc'd `vec!`): no page faults in
        // the first timed calls.
        let mut buf: Vec<T> = (0..len + 128 / size).map(|_| f(0)).collect();
        let start = buf.as_ptr().align_offset(64) + offset / size;
        for (i, x) in buf[start..start + len].iter_mut().enumerate() {
            *x = f(i);
        }
        Placed { buf, start, len }
    }
}

impl<T> std::ops::Deref for Placed<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl<T> std::ops::DerefMut for Placed<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

/// memcpy as the standard library does it (`copy_from_slice`, glibc
/// `memcpy`).
#[inline(never)]
pub fn copy_std(dst: &mut [f32], src: &[f32]) {
    dst.copy_from_slice(src);
}

/// memcpy as an explicit loop of 32-byte loads and stores.
///
/// On the AMD machines this project runs on, glibc's `memcpy` (`rep movsb`
/// for mid-size copies) is sometimes many times slower for 64 KB–256 KB
/// copies, depending on the relative alignment of source and destination;
/// the copy yardstick is the faster of this and [`copy_std`]. The empty
/// `asm!` in the loop body (a compiler barrier, no instruction) keeps LLVM
/// from turning the loop back into a `memcpy` call.
#[inline(never)]
pub fn copy_loop(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len());
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX is available (checked just above).
        unsafe { copy_loop_avx(dst, src) };
        return;
    }
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
    #[cfg(not(target_arch = "wasm32"))]
    // SAFETY: an empty asm block; it reads and writes nothing, but the
    // compiler must assume it may, so the loop stays a loop.
    unsafe {
        core::arch::asm!("", options(nostack, preserves_flags))
    };
}

/// A table's rows, `row` units each: `dim` elements, or a quantized row's
/// bytes.
pub type Rows<'a, T> = (&'a [T], usize);

/// Row `i` of `rows`.
#[inline(always)]
fn row_of<T>((table, row): Rows<'_, T>, i: u32) -> &[T] {
    let r = i as usize;
    &table[r * row..(r + 1) * row]
}

/// The naive gather: for each id, `put` writes its row into the next `dim`
/// outputs.
#[inline(always)]
pub fn naive_gather<T, O>(
    out: &mut [O],
    dim: usize,
    ids: &[u32],
    rows: Rows<'_, T>,
    put: impl Fn(&mut [O], &[T]),
) {
    for (o, &i) in out.chunks_exact_mut(dim).zip(ids) {
        put(o, row_of(rows, i));
    }
}

/// The naive bag sums of consecutive bags of `bag` ids: each output row
/// zeroed, then `add` adds each member's row.
#[inline(always)]
pub fn naive_bag_sums<T>(
    out: &mut [f32],
    dim: usize,
    (ids, bag): (&[u32], usize),
    rows: Rows<'_, T>,
    add: impl Fn(&mut [f32], &[T]),
) {
    for (o, ids) in out.chunks_exact_mut(dim).zip(ids.chunks_exact(bag)) {
        o.fill(0.0);
        ids.iter().for_each(|&i| add(o, row_of(rows, i)));
    }
}

/// The naive scatter-add: each gradient row (`dim` values) into the table
/// row of its id, element by element with `add`.
#[inline(always)]
pub fn naive_scatter<T>(
    table: &mut [T],
    dim: usize,
    ids: &[u32],
    grad: &[f32],
    add: impl Fn(&mut T, f32),
) {
    for (g, &i) in grad.chunks_exact(dim).zip(ids) {
        let r = i as usize;
        for (t, &g) in table[r * dim..(r + 1) * dim].iter_mut().zip(g) {
            add(t, g);
        }
    }
}

/// `w` (rows of `dim`) quantized to the format `F`.
pub fn quantized<F: embedding_kernels::quantized::Quantize>(w: &[f32], dim: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; w.len() / dim * F::row_units(dim).unwrap()];
    embedding_kernels::quantized::quantize::<F>(w, dim, &mut bytes).unwrap();
    bytes
}

/// A row copied (`copy_from_slice`): the naive loop's row of a gather that
/// does not convert.
#[inline(always)]
pub fn copy_row<T: Copy>(o: &mut [T], r: &[T]) {
    o.copy_from_slice(r);
}

/// A row converted element by element with `conv`.
#[inline(always)]
pub fn convert_row<T: Copy, O>(conv: impl Fn(T) -> O) -> impl Fn(&mut [O], &[T]) {
    move |o, r| {
        for (y, &x) in o.iter_mut().zip(r) {
            *y = conv(x);
        }
    }
}

/// A row added element by element: the naive loop's row of a bag sum.
#[inline(always)]
pub fn add_row(o: &mut [f32], r: &[f32]) {
    for (y, x) in o.iter_mut().zip(r) {
        *y += x;
    }
}

/// A variant named by `N`: a closure doing one unit of work.
pub type Named<'a, N> = (N, Box<dyn FnMut() + 'a>);

/// A named variant: a closure doing one unit of work.
pub type Variant<'a> = Named<'a, String>;

/// The two copy yardsticks of `src` into `dst`, as variants named `memcpy`
/// and `copy-loop`.
pub fn copies<'a>(src: &'a [f32], dst: &'a std::cell::RefCell<Vec<f32>>) -> Vec<Variant<'a>> {
    vec![
        (
            "memcpy".into(),
            Box::new(move || copy_std(&mut dst.borrow_mut(), black_box(src))),
        ),
        (
            "copy-loop".into(),
            Box::new(move || copy_loop(&mut dst.borrow_mut(), black_box(src))),
        ),
    ]
}

/// The next id set of a case, shared by all its variants: consecutive calls,
/// whichever variant makes them, never reuse a recent set, so on large
/// tables rows really come from DRAM and no variant reads rows another just
/// pulled into cache.
pub fn next(turn: &std::cell::Cell<usize>, sets: usize) -> usize {
    let s = turn.get();
    turn.set((s + 1) % sets);
    s
}

/// Times every variant, interleaved round by round, `rounds` rounds of about
/// `round_secs` each; returns the median seconds per call of each.
pub fn measure<N>(variants: &mut [Named<'_, N>], rounds: usize, round_secs: f64) -> Vec<f64> {
    rounds_of(variants, rounds, round_secs)
        .into_iter()
        .map(|t| t[t.len() / 2])
        .collect()
}

/// As [`measure`], the fastest round of each variant instead of the median.
/// Noise on a shared machine only ever adds time, so the fastest round is
/// the estimate it disturbs least; the sweep takes it, and measures a short
/// case again, keeping each variant's fastest over all its runs.
pub fn measure_fastest<N>(
    variants: &mut [Named<'_, N>],
    rounds: usize,
    round_secs: f64,
) -> Vec<f64> {
    rounds_of(variants, rounds, round_secs)
        .into_iter()
        .map(|t| t[0])
        .collect()
}

/// The seconds per call of every round of every variant, each sorted.
fn rounds_of<N>(variants: &mut [Named<'_, N>], rounds: usize, round_secs: f64) -> Vec<Vec<f64>> {
    let mut reps = Vec::new();
    for (_, f) in variants.iter_mut() {
        f();
        let t = Instant::now();
        f();
        let one = t.elapsed().as_secs_f64().max(1e-8);
        reps.push(((round_secs / one) as usize).clamp(1, 100_000));
    }
    let mut times = vec![Vec::new(); variants.len()];
    // Each round takes the variants in a new order (a Fisher–Yates shuffle,
    // the same in every run): a disturbance that recurs with the rounds'
    // period would otherwise fall on the same variant in every round, and
    // its fastest round would not escape it.
    let mut order: Vec<usize> = (0..variants.len()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..rounds {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        for &k in &order {
            let f = &mut variants[k].1;
            let t = Instant::now();
            for _ in 0..reps[k] {
                f();
            }
            times[k].push(t.elapsed().as_secs_f64() / reps[k] as f64);
        }
    }
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    times
}

/// The measured times of one case's variants, by name.
pub struct Timed {
    pub names: Vec<String>,
    pub secs: Vec<f64>,
}

impl Timed {
    /// Times `variants` (see [`measure`]).
    pub fn new(mut variants: Vec<Variant<'_>>, rounds: usize, round_secs: f64) -> Timed {
        let secs = measure(&mut variants, rounds, round_secs);
        Timed::named(variants, secs)
    }

    /// Times `variants`, the fastest round of each (see [`measure_fastest`]).
    pub fn fastest(mut variants: Vec<Variant<'_>>, rounds: usize, round_secs: f64) -> Timed {
        let secs = measure_fastest(&mut variants, rounds, round_secs);
        Timed::named(variants, secs)
    }

    /// The variants' names beside their times.
    fn named(variants: Vec<Variant<'_>>, secs: Vec<f64>) -> Timed {
        Timed {
            names: variants.into_iter().map(|(n, _)| n).collect(),
            secs,
        }
    }

    /// The time of the variant called `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|k| self.secs[k])
    }

    /// The copy yardstick: the faster of `memcpy` and `copy-loop`.
    pub fn copy(&self) -> Option<f64> {
        match (self.get("memcpy"), self.get("copy-loop")) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
