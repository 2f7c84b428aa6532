//! Miri's view of one SIMD path, run by `.ci/miri.sh` (not by the crate's
//! own `cargo test`).
//!
//! Why it exists: `.ci/miri.sh` enables the AVX2 or AVX-512 target features
//! at compile time, which is how a path becomes available under Miri (Miri
//! has no CPUID). But Miri lacks a few of the intrinsics those paths use,
//! and it aborts the whole test process at the first one it meets. The tests
//! in `tests/` draw element types and poolings at random inside each test,
//! so on such a path they cannot run at all. This file runs the path named
//! by `MIRI_PATHS_ISA` (default: the best available) through every kernel,
//! element type, pooling and tail length, checks it bit for bit against the
//! portable path and, for finite data, against the one-hot oracle, and skips
//! (and names) only the combinations whose intrinsics Miri lacks. Outside
//! Miri nothing is skipped.
//!
//! Every table, output and gradient slice ends exactly where its allocation
//! ends, and starts at a varying element offset, so that a read or write
//! past a tail is an out-of-bounds access Miri reports.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;

use embedding_kernels::{
    Bags, Element, GatherInto, Index, Isa, Kernels, Pooling, Table, TableMut, bf16, f16, onehot,
};

// ------------------------------------------------------------ Miri support

/// What an operation needs from a path, as far as Miri's support goes.
#[derive(Clone, Copy, Default)]
struct Needs {
    /// Widening f16 loads.
    f16_load: bool,
    /// Narrowing f16 stores.
    f16_store: bool,
    /// The NaN-propagating maximum (Max pooling).
    max: bool,
}

/// The intrinsic Miri cannot interpret for `needs` on `isa`, if any.
///
/// Found by probing each intrinsic the paths use under Miri (nightly
/// 2026-05-19): everything else the SSE2, AVX2 and AVX-512 paths call is
/// supported. If Miri gains one of these, delete its line here.
fn miri_lacks(isa: Isa, needs: Needs) -> Option<&'static str> {
    if !cfg!(miri) {
        return None;
    }
    match isa {
        Isa::Avx2 if needs.f16_store => Some("_mm256_cvtps_ph (llvm.x86.vcvtps2ph.256)"),
        Isa::Avx512 if needs.f16_load => {
            Some("_mm512_cvtph_ps (llvm.x86.avx512.mask.vcvtph2ps.512)")
        }
        Isa::Avx512 if needs.f16_store => {
            Some("_mm512_cvtps_ph (llvm.x86.avx512.mask.vcvtps2ph.512)")
        }
        Isa::Avx512 if needs.max => Some(
            "_mm512_max_ps (llvm.x86.avx512.max.ps.512) and \
             _mm512_cmp_ps_mask (llvm.x86.avx512.mask.cmp.ps.512)",
        ),
        _ => None,
    }
}

thread_local! {
    /// What this test skipped (each test runs on a thread of its own).
    static SKIPPED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Whether `what` can run on `isa` here; records it as skipped if not.
fn runs(isa: Isa, needs: Needs, what: &str) -> bool {
    match miri_lacks(isa, needs) {
        None => true,
        Some(intrinsic) => {
            SKIPPED.with_borrow_mut(|s| s.insert(format!("{what} (Miri lacks {intrinsic})")));
            false
        }
    }
}

/// The path under test: `MIRI_PATHS_ISA`, or the best available.
fn isa() -> Isa {
    let name = std::env::var("MIRI_PATHS_ISA").unwrap_or_else(|_| Isa::best().name().into());
    let isa = Isa::ALL
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("unknown ISA {name:?} in MIRI_PATHS_ISA"));
    assert!(
        isa.is_available(),
        "{isa} is not available in this build: enable its target features"
    );
    isa
}

/// Prints what ran and what was skipped, and checks the path really ran.
fn report(test: &str, isa: Isa, checks: usize) {
    assert!(isa.was_used(), "{isa} was asked for but did not run");
    let skipped = SKIPPED.with_borrow(|s| s.iter().cloned().collect::<Vec<_>>());
    // Straight to stderr, past the test harness's capture.
    let _ = writeln!(
        std::io::stderr(),
        "miri-paths: {test}: {checks} checks on {isa} against portable{}; skipped under Miri: {}",
        if test == "prefetch" {
            ""
        } else {
            " and, for finite data, the oracle"
        },
        if skipped.is_empty() {
            "none".to_string()
        } else {
            skipped.join("; ")
        }
    );
}

// ------------------------------------------------------------ values

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Finite, moderate (|x| < 2^40), with signed zeros, subnormals and
    /// small integers mixed in.
    fn finite(&mut self) -> f32 {
        match self.below(8) {
            0 => 0.0,
            1 => -0.0,
            2 => f32::from_bits((self.next() as u32) & 0x807f_ffff),
            3 => self.below(17) as f32 - 8.0,
            4 | 5 => {
                let sign = (self.next() as u32) & 0x8000_0000;
                let exp = 1 + self.below(126 + 40) as u32;
                f32::from_bits(sign | (exp << 23) | ((self.next() as u32) & 0x7f_ffff))
            }
            _ => ((self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 8.0,
        }
    }
    /// Any bits, NaNs and infinities more often than chance.
    fn any(&mut self) -> f32 {
        match self.below(6) {
            0 => [
                f32::NAN,
                -f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::MAX,
            ][self.below(5)],
            _ => f32::from_bits(self.next() as u32),
        }
    }
}

trait Elem: Element {
    const NAME: &'static str;
    const F16: bool;
    fn finite(rng: &mut Rng) -> Self;
    fn any(rng: &mut Rng) -> Self;
    fn bits(self) -> u32;
}

impl Elem for f32 {
    const NAME: &'static str = "f32";
    const F16: bool = false;
    fn finite(rng: &mut Rng) -> Self {
        rng.finite()
    }
    fn any(rng: &mut Rng) -> Self {
        rng.any()
    }
    fn bits(self) -> u32 {
        self.to_bits()
    }
}

impl Elem for f16 {
    const NAME: &'static str = "f16";
    const F16: bool = true;
    fn finite(rng: &mut Rng) -> Self {
        loop {
            let h = f16::from_bits(rng.next() as u16);
            if h.is_finite() {
                return h;
            }
        }
    }
    fn any(rng: &mut Rng) -> Self {
        f16::from_bits(rng.next() as u16)
    }
    fn bits(self) -> u32 {
        self.to_bits().into()
    }
}

impl Elem for bf16 {
    const NAME: &'static str = "bf16";
    const F16: bool = false;
    fn finite(rng: &mut Rng) -> Self {
        bf16::from_f32(rng.finite())
    }
    fn any(rng: &mut Rng) -> Self {
        bf16::from_bits(rng.next() as u16)
    }
    fn bits(self) -> u32 {
        self.to_bits().into()
    }
}

trait Idx: Index {
    fn of(v: usize) -> Self;
}
macro_rules! idx {
    ($($t:ty),*) => {$(impl Idx for $t { fn of(v: usize) -> Self { v as $t } })*};
}
idx!(u8, u16, u32, u64, usize, i32, i64);

/// `len` values placed `shift` elements into an allocation of exactly
/// `shift + len`: the slice `[shift..]` ends where the allocation ends.
fn buf<T: Elem>(rng: &mut Rng, shift: usize, len: usize, any: bool) -> Vec<T> {
    let mut v = Vec::with_capacity(shift + len);
    v.extend((0..shift).map(|_| T::default()));
    v.extend((0..len).map(|_| if any { T::any(rng) } else { T::finite(rng) }));
    assert_eq!(v.capacity(), v.len());
    v
}

/// The same bits, or both NaN (payloads may differ between paths).
fn same<T: Elem>(a: T, b: T) -> bool {
    a.bits() == b.bits() || (a.to_f32().is_nan() && b.to_f32().is_nan())
}

#[track_caller]
fn assert_same<T: Elem>(what: &str, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(p) = (0..got.len()).find(|&p| !same(got[p], want[p])) {
        panic!(
            "{what}: element {p}: got {:?} ({:#x}), portable {:?} ({:#x})",
            got[p],
            got[p].bits(),
            want[p],
            want[p].bits()
        );
    }
}

/// Equal as the oracle promises: `==` (so only a zero's sign may differ).
#[track_caller]
fn assert_oracle<T: Elem>(what: &str, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(p) = (0..got.len()).find(|&p| {
        let (g, w) = (got[p].to_f32(), want[p].to_f32());
        !(g == w || (g.is_nan() && w.is_nan()))
    }) {
        panic!(
            "{what}: element {p}: got {:?}, oracle {:?}",
            got[p], want[p]
        );
    }
}

// ------------------------------------------------------------ checks

#[derive(Clone, Copy, Debug)]
struct Case {
    rows: usize,
    dim: usize,
    n: usize,
    shift: usize,
    seed: u64,
}

fn indices<I: Idx>(rng: &mut Rng, n: usize, rows: usize) -> Vec<I> {
    let mut v: Vec<usize> = Vec::with_capacity(n);
    for p in 0..n {
        v.push(match p {
            0 => rows - 1,
            1 => 0,
            _ if rng.below(3) == 0 => v[rng.below(p)],
            _ => rng.below(rows),
        });
    }
    v.into_iter().map(I::of).collect()
}

/// Runs `f` on the portable path and on `k`, each into a fresh output of
/// exactly `len` elements placed `shift` into its allocation.
fn both<O: Elem>(
    k: Kernels,
    shift: usize,
    len: usize,
    f: impl Fn(Kernels, &mut [O]),
) -> (Vec<O>, Vec<O>) {
    let run = |k: Kernels| {
        let mut out: Vec<O> = Vec::with_capacity(shift + len);
        out.resize(shift + len, O::default());
        f(k, &mut out[shift..]);
        out.drain(..shift);
        out
    };
    (run(k), run(Kernels::portable()))
}

fn gather<T: Elem + GatherInto<O>, O: Elem, I: Idx>(k: Kernels, c: Case, any: bool) -> usize {
    let what = format!(
        "gather {}->{} {} {c:?}{}",
        T::NAME,
        O::NAME,
        std::any::type_name::<I>(),
        if any { " any bits" } else { "" }
    );
    let needs = Needs {
        f16_load: T::F16 && !O::F16,
        ..Needs::default()
    };
    if !runs(k.isa(), needs, &format!("gather {}->{}", T::NAME, O::NAME)) {
        return 0;
    }
    let mut rng = Rng(c.seed);
    let data = buf::<T>(&mut rng, c.shift, c.rows * c.dim, any);
    let data = &data[c.shift..];
    let table = Table::new(data, c.dim).unwrap();
    let idx: Vec<I> = indices(&mut rng, c.n, c.rows);
    let (got, want) = both::<O>(k, c.shift, c.n * c.dim, |k, out| {
        k.gather(table, &idx, out).unwrap()
    });
    assert_same(&what, &got, &want);
    if !any {
        let mut a = vec![0.0f32; c.n * c.rows];
        onehot::one_hot(&idx, c.rows, &mut a).unwrap();
        let mut dense = vec![O::default(); c.n * c.dim];
        onehot::matmul(&a, data, &mut dense, c.n, c.rows, c.dim).unwrap();
        assert_oracle(&what, &got, &dense);
    }
    1
}

fn bags<T: Elem, I: Idx>(
    k: Kernels,
    c: Case,
    pooling: Pooling,
    weighted: bool,
    any: bool,
) -> usize {
    let weighted = weighted && pooling != Pooling::Max;
    let what = format!(
        "bags {} {pooling:?}{} {} {c:?}{}",
        T::NAME,
        if weighted { " weighted" } else { "" },
        std::any::type_name::<I>(),
        if any { " any bits" } else { "" }
    );
    let needs = Needs {
        f16_load: T::F16,
        max: pooling == Pooling::Max,
        ..Needs::default()
    };
    let category = if pooling == Pooling::Max && !T::F16 {
        "gather_bags Max pooling".to_string()
    } else {
        format!("gather_bags {}", T::NAME)
    };
    if !runs(k.isa(), needs, &category) {
        return 0;
    }
    let mut rng = Rng(c.seed);
    let data = buf::<T>(&mut rng, c.shift, c.rows * c.dim, any);
    let data = &data[c.shift..];
    let table = Table::new(data, c.dim).unwrap();
    // Bags: empty, one row, and up to `n` distinct rows in increasing order
    // (the order in which the oracle's dense product meets them, so that
    // the result is exact); with any bits, repeats too.
    let mut idx: Vec<I> = vec![I::of(rng.below(c.rows))];
    let mut rows: Vec<usize> = (0..c.n).map(|_| rng.below(c.rows)).collect();
    if !any {
        rows.sort_unstable();
        rows.dedup();
    }
    idx.extend(rows.iter().map(|&r| I::of(r)));
    let offsets: Vec<I> = [0, 0, 1, idx.len()].map(I::of).to_vec();
    let weights: Vec<f32> = idx.iter().map(|_| rng.finite().clamp(-4.0, 4.0)).collect();
    let mut b = Bags::new(&idx, &offsets);
    if weighted {
        b = b.with_weights(&weights);
    }
    let (got, want) = both::<f32>(k, c.shift, 3 * c.dim, |k, out| {
        k.gather_bags(table, b, pooling, out).unwrap()
    });
    assert_same(&what, &got, &want);
    if !any {
        let mut a = vec![0.0f32; 3 * c.rows];
        onehot::multi_hot(b, c.rows, &mut a).unwrap();
        let mut dense = vec![0.0f32; 3 * c.dim];
        onehot::pool(&a, table, pooling, &mut dense).unwrap();
        assert_oracle(&what, &got, &dense);
    }
    1
}

fn scatter<T: Elem, I: Idx>(k: Kernels, c: Case, scale: f32, any: bool) -> usize {
    let what = format!(
        "scatter_add {} scale {scale} {} {c:?}{}",
        T::NAME,
        std::any::type_name::<I>(),
        if any { " any bits" } else { "" }
    );
    let needs = Needs {
        f16_load: T::F16,
        f16_store: T::F16,
        ..Needs::default()
    };
    if !runs(k.isa(), needs, &format!("scatter_add {}", T::NAME)) {
        return 0;
    }
    let mut rng = Rng(c.seed);
    let data = buf::<T>(&mut rng, c.shift, c.rows * c.dim, any);
    let idx: Vec<I> = indices(&mut rng, c.n, c.rows);
    let mut grad: Vec<f32> = Vec::with_capacity(c.shift + c.n * c.dim);
    grad.resize(c.shift, 0.0);
    grad.extend((0..c.n * c.dim).map(|_| if any { rng.any() } else { rng.finite() }));
    let grad = &grad[c.shift..];
    let run = |k: Kernels| {
        let mut t = data.clone();
        assert_eq!(t.capacity(), t.len());
        k.scatter_add(
            &mut TableMut::new(&mut t[c.shift..], c.dim).unwrap(),
            &idx,
            grad,
            scale,
        )
        .unwrap();
        t.drain(..c.shift);
        t
    };
    let (got, want) = (run(k), run(Kernels::portable()));
    assert_same(&what, &got, &want);
    if !any {
        let mut a = vec![0.0f32; c.n * c.rows];
        onehot::one_hot(&idx, c.rows, &mut a).unwrap();
        let b: Vec<f32> = grad.iter().map(|&g| scale * g).collect();
        let mut dense = data[c.shift..].to_vec();
        onehot::matmul_transposed(&a, &b, &mut dense, c.n, c.rows, c.dim).unwrap();
        assert_oracle(&what, &got, &dense);
    }
    1
}

/// `from_f32` then `to_f32` over `len` elements, against `half`.
fn convert<T: Elem>(k: Kernels, len: usize, shift: usize, seed: u64) -> usize {
    let mut checks = 0;
    let mut rng = Rng(seed);
    let src = buf::<f32>(&mut rng, shift, len, true);
    let src = &src[shift..];
    let what = format!("from_f32 -> {} len {len} shift {shift}", T::NAME);
    let needs = Needs {
        f16_store: T::F16,
        ..Needs::default()
    };
    let narrow: Vec<T> = src.iter().map(|&x| T::from_f32(x)).collect();
    if runs(k.isa(), needs, &format!("from_f32 -> {}", T::NAME)) {
        let (got, _) = both::<T>(k, shift, len, |k, out| k.from_f32(src, out).unwrap());
        assert_same(&what, &got, &narrow);
        checks += 1;
    }
    let what = format!("to_f32 <- {} len {len} shift {shift}", T::NAME);
    let needs = Needs {
        f16_load: T::F16,
        ..Needs::default()
    };
    if runs(k.isa(), needs, &format!("to_f32 <- {}", T::NAME)) {
        let wide: Vec<f32> = narrow.iter().map(|x| x.to_f32()).collect();
        let (got, _) = both::<f32>(k, shift, len, |k, out| k.to_f32(&narrow, out).unwrap());
        assert_same(&what, &got, &wide);
        checks += 1;
    }
    checks
}

/// Every kernel, element type and pooling at one shape, with the index type
/// chosen by `which`.
fn all_kernels<I: Idx>(k: Kernels, c: Case) -> usize {
    let mut checks = 0;
    let any = Case {
        seed: c.seed ^ 0xa5a5,
        ..c
    };
    checks += gather::<f32, f32, I>(k, c, false);
    checks += gather::<f16, f32, I>(k, c, false);
    checks += gather::<bf16, f32, I>(k, c, false);
    checks += gather::<f16, f16, I>(k, c, false);
    checks += gather::<bf16, bf16, I>(k, c, false);
    checks += gather::<f16, f32, I>(k, any, true);
    macro_rules! bags_of {
        ($t:ty) => {
            checks += bags::<$t, I>(k, c, Pooling::Sum, true, false);
            checks += bags::<$t, I>(k, c, Pooling::Mean, c.dim % 2 == 0, false);
            checks += bags::<$t, I>(k, c, Pooling::SqrtN, c.dim % 2 == 1, false);
            checks += bags::<$t, I>(k, c, Pooling::Max, false, false);
        };
    }
    bags_of!(f32);
    bags_of!(f16);
    bags_of!(bf16);
    checks += bags::<f32, I>(k, any, Pooling::Max, false, true);
    checks += bags::<bf16, I>(k, any, Pooling::Mean, true, true);
    checks += scatter::<f32, I>(k, c, 0.5, false);
    checks += scatter::<f16, I>(k, c, -1.5, false);
    checks += scatter::<bf16, I>(k, c, 0.25, false);
    checks += scatter::<f32, I>(k, any, -0.01, true);
    checks += convert::<f16>(k, c.dim, c.shift, c.seed);
    checks += convert::<bf16>(k, c.dim, c.shift, c.seed);
    checks
}

/// The dims that matter for `lanes`: every tail (1 ..= lanes + 1), and
/// both sides of the 2- and 4-vector unrolls; plus the dims with
/// constant-size arms (gathers of 4, 8, 16, 32, 64 and rows of 8 to 256
/// bytes), which those include for 4, 8 and 16 lanes.
fn dims(lanes: usize) -> Vec<usize> {
    let mut d: Vec<usize> = (1..=lanes + 1).collect();
    for m in [2 * lanes, 4 * lanes] {
        d.extend([m - 1, m, m + 1]);
    }
    d.extend([2, 4, 8, 16, 32, 64]);
    d.sort_unstable();
    d.dedup();
    d
}

fn lanes(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 => 16,
        Isa::Avx2 => 8,
        _ => 4,
    }
}

#[test]
fn tails() {
    let isa = isa();
    let k = Kernels::new(isa).unwrap();
    let mut checks = 0;
    for (p, &dim) in dims(lanes(isa)).iter().enumerate() {
        let c = Case {
            rows: 3,
            dim,
            n: 4,
            shift: p % 3,
            seed: 1000 + dim as u64,
        };
        checks += match p % 7 {
            0 => all_kernels::<u8>(k, c),
            1 => all_kernels::<u16>(k, c),
            2 => all_kernels::<u32>(k, c),
            3 => all_kernels::<u64>(k, c),
            4 => all_kernels::<usize>(k, c),
            5 => all_kernels::<i32>(k, c),
            _ => all_kernels::<i64>(k, c),
        };
    }
    report("tails", isa, checks);
}

/// Tables of 4 MiB and more take the prefetching loop (a prefetch
/// `PREFETCH_ROWS` ahead), which the small tables above never reach. A
/// zeroed allocation costs Miri next to nothing; only the rows used are
/// filled.
fn prefetch_case<T: Elem + GatherInto<f32> + GatherInto<T>>(k: Kernels, seed: u64) -> usize {
    let mut checks = 0;
    let mut rng = Rng(seed);
    let size = std::mem::size_of::<T>();
    let (dim, n) = (48, 20);
    let rows = (4 << 20) / (dim * size) + 1;
    let idx: Vec<u32> = (0..n)
        .map(|i| if i == 0 { rows - 1 } else { rng.below(rows) } as u32)
        .collect();
    let mut words = vec![0u32; rows * dim * size / 4];
    {
        let mut t = TableMut::<T>::from_bytes(bytemuck::cast_slice_mut(&mut words), dim).unwrap();
        for &r in &idx {
            for x in t.row_mut(r as usize).unwrap() {
                *x = T::finite(&mut rng);
            }
        }
    }
    let table = Table::<T>::from_bytes(bytemuck::cast_slice(&words), dim).unwrap();
    let what = format!("prefetch {} rows {rows}", T::NAME);
    let load = Needs {
        f16_load: T::F16,
        ..Needs::default()
    };
    if runs(k.isa(), load, &format!("gather {}->f32", T::NAME)) {
        let (got, want) = both::<f32>(k, 0, n * dim, |k, out| k.gather(table, &idx, out).unwrap());
        assert_same(&format!("{what} gather"), &got, &want);
        checks += 1;
    }
    // Same-type gathers copy bits, whatever the type.
    let (got, want) = both::<T>(k, 0, n * dim, |k, out| k.gather(table, &idx, out).unwrap());
    assert_same(&format!("{what} gather copy"), &got, &want);
    checks += 1;
    let store = Needs {
        f16_load: T::F16,
        f16_store: T::F16,
        ..Needs::default()
    };
    if runs(k.isa(), store, &format!("scatter_add {}", T::NAME)) {
        let grad: Vec<f32> = (0..n * dim).map(|_| rng.finite()).collect();
        let run = |k: Kernels| {
            let mut w = words.clone();
            let mut t = TableMut::<T>::from_bytes(bytemuck::cast_slice_mut(&mut w), dim).unwrap();
            k.scatter_add(&mut t, &idx, &grad, 0.5).unwrap();
            idx.iter()
                .flat_map(|&r| t.row(r as usize).unwrap().to_vec())
                .collect::<Vec<T>>()
        };
        assert_same(
            &format!("{what} scatter_add"),
            &run(k),
            &run(Kernels::portable()),
        );
        checks += 1;
    }
    checks
}

#[test]
fn prefetch() {
    let isa = isa();
    let k = Kernels::new(isa).unwrap();
    let checks =
        prefetch_case::<f32>(k, 7) + prefetch_case::<f16>(k, 8) + prefetch_case::<bf16>(k, 9);
    report("prefetch", isa, checks);
}

/// Empty inputs, zero bags, and weighted bags whose divisor is zero.
#[test]
fn edges() {
    let isa = isa();
    let k = Kernels::new(isa).unwrap();
    let mut checks = 0;
    for dim in [1, lanes(isa) - 1, lanes(isa) + 3] {
        let c = Case {
            rows: 2,
            dim,
            n: 0,
            shift: 1,
            seed: 77 + dim as u64,
        };
        checks += gather::<f32, f32, u32>(k, c, false);
        checks += gather::<bf16, f32, u32>(k, c, false);
        checks += scatter::<bf16, u32>(k, c, 2.0, false);
        checks += convert::<bf16>(k, 0, 0, 1);
        let mut rng = Rng(dim as u64);
        let data: Vec<f32> = (0..2 * dim).map(|_| rng.finite()).collect();
        let table = Table::new(&data, dim).unwrap();
        let zero_bags = Bags::new(&[] as &[u32], &[0u32]);
        let (got, _) = both::<f32>(k, 0, 0, |k, out| {
            k.gather_bags(table, zero_bags, Pooling::Sum, out).unwrap()
        });
        assert!(got.is_empty());
        checks += 1;
        // Weights summing to zero: Mean divides by zero, and gives zeros
        // (as SqrtN does for all-zero weights), like the oracle.
        let (idx, offsets) = ([0u32, 1, 1, 0], [0u32, 2, 4]);
        for (pooling, w) in [
            (Pooling::Mean, [1.0f32, -1.0, 0.5, -0.5]),
            (Pooling::SqrtN, [0.0f32, -0.0, 0.0, 0.0]),
        ] {
            let bags = Bags::new(&idx, &offsets).with_weights(&w);
            let (got, want) = both::<f32>(k, 1, 2 * dim, |k, out| {
                k.gather_bags(table, bags, pooling, out).unwrap()
            });
            let what = format!("bags {pooling:?} zero divisor dim {dim}");
            assert_same(&what, &got, &want);
            assert!(got.iter().all(|&x| x == 0.0), "{what}: {got:?}");
            checks += 1;
        }
    }
    report("edges", isa, checks);
}
