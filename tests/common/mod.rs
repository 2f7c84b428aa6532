//! Shared test machinery: the ISA runner, value generators and comparisons.
#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;

use embedding_kernels::quantized::dequantize;
use embedding_kernels::{
    Bags, Element, Error, Format, GatherInto, Index, Isa, Kernels, Pooling, Table, TableMut, bf16,
    f16, onehot,
};
use proptest::test_runner::Config;

/// Every ISA path this CPU has. Prints, once per test binary and past the
/// test harness's capture, which ones run and which are skipped.
pub fn kernels() -> Vec<Kernels> {
    static REPORT: Once = Once::new();
    REPORT.call_once(|| {
        let ran: Vec<&str> = Isa::available().map(|i| i.name()).collect();
        let skipped: Vec<&str> = Isa::ALL
            .iter()
            .filter(|i| !i.is_available())
            .map(|i| i.name())
            .collect();
        let _ = writeln!(
            std::io::stderr(),
            "embedding-kernels: ISA paths run: {}; skipped ({}): {}",
            ran.join(", "),
            if cfg!(feature = "std") {
                "not on this CPU"
            } else {
                "not enabled in this build: without std, no run-time detection"
            },
            if skipped.is_empty() {
                "none".to_string()
            } else {
                skipped.join(", ")
            }
        );
    });
    Isa::available()
        .map(|i| Kernels::new(i).expect("available ISA"))
        .collect()
}

/// proptest configuration: no failure files (Miri forbids file access), and
/// the case count from `PROPTEST_CASES` when set.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(if cfg!(miri) { 2 } else { cases });
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// SplitMix64: fast, good enough to fill tables from one proptest seed.
pub struct TestRng(pub u64);

impl TestRng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A finite f32 of moderate size (|x| < 2^40), with zeros of both signs,
    /// subnormals and exact small integers mixed in.
    pub fn finite(&mut self) -> f32 {
        match self.below(16) {
            0 => 0.0,
            1 => -0.0,
            2 => f32::from_bits((self.next() as u32) & 0x807f_ffff), // subnormal
            3 => (self.below(17) as f32) - 8.0,
            4..=7 => {
                // Random sign, exponent in [-126, 40), random mantissa.
                let sign = (self.next() as u32) & 0x8000_0000;
                let exp = 1 + self.below(126 + 40) as u32;
                let man = (self.next() as u32) & 0x7f_ffff;
                f32::from_bits(sign | (exp << 23) | man)
            }
            _ => ((self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 8.0,
        }
    }
    /// Any f32 bit pattern at all: NaNs, infinities, subnormals.
    pub fn any_bits(&mut self) -> f32 {
        match self.below(8) {
            0 => [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                -0.0,
                0.0,
                f32::MAX,
                f32::MIN_POSITIVE,
            ][self.below(7)],
            _ => f32::from_bits(self.next() as u32),
        }
    }
}

/// Test-side element helpers.
pub trait TestElement: Element {
    fn name() -> &'static str;
    /// A finite value of this type.
    fn finite(rng: &mut TestRng) -> Self;
    /// Any bit pattern.
    fn any(rng: &mut TestRng) -> Self;
    fn bits(self) -> u32;
}

impl TestElement for f32 {
    fn name() -> &'static str {
        "f32"
    }
    fn finite(rng: &mut TestRng) -> Self {
        rng.finite()
    }
    fn any(rng: &mut TestRng) -> Self {
        rng.any_bits()
    }
    fn bits(self) -> u32 {
        self.to_bits()
    }
}

impl TestElement for f16 {
    fn name() -> &'static str {
        "f16"
    }
    fn finite(rng: &mut TestRng) -> Self {
        loop {
            let h = f16::from_bits(rng.next() as u16);
            if h.is_finite() {
                return h;
            }
        }
    }
    fn any(rng: &mut TestRng) -> Self {
        f16::from_bits(rng.next() as u16)
    }
    fn bits(self) -> u32 {
        self.to_bits() as u32
    }
}

impl TestElement for bf16 {
    fn name() -> &'static str {
        "bf16"
    }
    fn finite(rng: &mut TestRng) -> Self {
        // Keep bf16 values moderate like the f32 ones (|x| < 2^40).
        bf16::from_f32(rng.finite())
    }
    fn any(rng: &mut TestRng) -> Self {
        bf16::from_bits(rng.next() as u16)
    }
    fn bits(self) -> u32 {
        self.to_bits() as u32
    }
}

/// Test-side index helpers.
pub trait TestIndex: Index {
    /// The largest row count every index of this type can address.
    const MAX_ROWS: usize;
    fn from_usize(v: usize) -> Self;
}

macro_rules! test_index {
    ($($t:ty),*) => {$(
        impl TestIndex for $t {
            const MAX_ROWS: usize = if (<$t>::MAX as u128) < 1 << 20 { <$t>::MAX as usize + 1 } else { 1 << 20 };
            fn from_usize(v: usize) -> Self {
                v as $t
            }
        }
    )*};
}
test_index!(u8, u16, u32, u64, usize, i32, i64);

pub fn fill<T: TestElement>(rng: &mut TestRng, n: usize, any: bool) -> Vec<T> {
    (0..n)
        .map(|_| if any { T::any(rng) } else { T::finite(rng) })
        .collect()
}

/// Equal as the oracle promises: `==`, or both NaN.
pub fn eq_f32(a: f32, b: f32) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// The same bits, or both NaN (payloads may differ between paths).
pub fn same<T: TestElement>(a: T, b: T) -> bool {
    let nan = |x: T| x.to_f32().is_nan();
    a.bits() == b.bits() || (nan(a) && nan(b))
}

/// Asserts two slices are the same bit for bit (NaN-ness for NaNs).
#[track_caller]
pub fn assert_same<T: TestElement>(what: &str, isa: Isa, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what} on {isa}: length");
    if let Some(p) = (0..got.len()).find(|&p| !same(got[p], want[p])) {
        panic!(
            "{what} on {isa}: element {p} differs: got {:?} ({:#x}), want {:?} ({:#x})",
            got[p],
            got[p].bits(),
            want[p],
            want[p].bits()
        );
    }
}

/// Asserts equality with the oracle: `==` per element (so only the sign of a
/// zero may differ), NaN matching NaN.
#[track_caller]
pub fn assert_eq_oracle<T: TestElement>(what: &str, isa: Isa, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what} on {isa}: length");
    if let Some(p) = (0..got.len()).find(|&p| !eq_f32(got[p].to_f32(), want[p].to_f32())) {
        panic!(
            "{what} on {isa}: element {p}: got {:?}, oracle {:?}",
            got[p], want[p]
        );
    }
}

/// `data` placed `shift` elements into a fresh buffer, so that slices start
/// at every alignment. Returns the buffer; the data is `buf[shift..]`.
pub fn shifted<T: Copy + Default>(data: &[T], shift: usize) -> Vec<T> {
    let mut v = vec![T::default(); shift];
    v.extend_from_slice(data);
    v
}

/// `data` with `scale · grad` scatter-added by `k` at `idx`, on a copy.
pub fn scattered<T: Element, I: Index>(
    k: Kernels,
    data: &[T],
    dim: usize,
    idx: &[I],
    grad: &[f32],
    scale: f32,
) -> Vec<T> {
    let mut t = data.to_vec();
    k.scatter_add(&mut TableMut::new(&mut t, dim).unwrap(), idx, grad, scale)
        .unwrap();
    t
}

// ------------------------------------- gathers and bags of f32 outputs

/// The four poolings.
pub const POOLINGS: [Pooling; 4] = [Pooling::Sum, Pooling::Mean, Pooling::SqrtN, Pooling::Max];

/// `1..=max_n` random indices below `rows`.
pub fn random_indices(rng: &mut TestRng, max_n: usize, rows: usize) -> Vec<u32> {
    let n = 1 + rng.below(max_n);
    (0..n).map(|_| rng.below(rows) as u32).collect()
}

/// Random bags over `rows`: empty ones, repeats, weights with zeros.
pub fn random_bags(rng: &mut TestRng, rows: usize, bags: usize) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let mut idx = Vec::new();
    let mut offsets = vec![0u32];
    for _ in 0..bags {
        let len = [0, 1, 2, 3, 5, 9][rng.below(6)];
        for t in 0..len {
            let r = if t > 0 && rng.below(4) == 0 {
                idx[idx.len() - 1]
            } else {
                rng.below(rows) as u32
            };
            idx.push(r);
        }
        offsets.push(idx.len() as u32);
    }
    let weights = (0..idx.len())
        .map(|_| match rng.below(6) {
            0 => 0.0,
            1 => 1.0,
            2 => -0.5,
            _ => rng.finite().clamp(-8.0, 8.0),
        })
        .collect();
    (idx, offsets, weights)
}

/// Rows `idx` of the `dim`-wide matrix `w`, one after the other.
pub fn rows_of(w: &[f32], dim: usize, idx: &[u32]) -> Vec<f32> {
    idx.iter()
        .flat_map(|&r| w[r as usize * dim..(r as usize + 1) * dim].iter().copied())
        .collect()
}

/// The one-hot oracle of a gather: `one_hot(idx) · w`, `w` being `rows × dim`.
pub fn one_hot_gather(idx: &[u32], w: &[f32], rows: usize, dim: usize) -> Vec<f32> {
    let n = idx.len();
    let mut a = vec![0.0f32; n * rows];
    onehot::one_hot(idx, rows, &mut a).unwrap();
    let mut out = vec![0.0f32; n * dim];
    onehot::matmul(&a, w, &mut out, n, rows, dim).unwrap();
    out
}

/// A gather of `idx` from `table` into f32 on every path: the same bits as
/// `want` (NaN matching NaN) and, when given, `==` the `oracle`.
#[track_caller]
pub fn assert_gather_every_path<F: GatherInto<f32>>(
    what: &str,
    table: Table<'_, F>,
    idx: &[u32],
    want: &[f32],
    oracle: Option<&[f32]>,
) {
    for k in kernels() {
        let mut out = vec![0.0f32; want.len()];
        k.gather(table, idx, &mut out).unwrap();
        if let Some(oracle) = oracle {
            assert_eq_oracle(what, k.isa(), &out, oracle);
        }
        assert_same::<f32>(what, k.isa(), &out, want);
    }
}

/// `bags` in `pooling` over `table` on every path: the same bits as the
/// portable path's over `reference` (the table itself, or its values as
/// f32), which is returned.
#[track_caller]
pub fn assert_bags_every_path<R: Format, F: Format, I: Index, O: Index>(
    what: &str,
    reference: Table<'_, R>,
    table: Table<'_, F>,
    bags: Bags<'_, I, O>,
    pooling: Pooling,
) -> Vec<f32> {
    let len = (bags.offsets().len() - 1) * table.dim();
    let mut want = vec![0.0f32; len];
    Kernels::portable()
        .gather_bags(reference, bags, pooling, &mut want)
        .unwrap();
    for k in kernels() {
        let mut out = vec![0.0f32; len];
        k.gather_bags(table, bags, pooling, &mut out).unwrap();
        assert_same::<f32>(what, k.isa(), &out, &want);
    }
    want
}

/// Random bags (`1..=max_bags` of them, see [`random_bags`]) over `table`
/// in every pooling, on every path: the same bits as the portable path over
/// `reference`. Weighted (but Max, which takes no weights), and with
/// `also_unweighted` unweighted as well.
#[track_caller]
pub fn assert_random_bags_every_path<R: Format, F: Format>(
    what: &str,
    reference: Table<'_, R>,
    table: Table<'_, F>,
    rng: &mut TestRng,
    max_bags: usize,
    also_unweighted: bool,
) {
    let n_bags = 1 + rng.below(max_bags);
    let (idx, offsets, weights) = random_bags(rng, table.rows(), n_bags);
    for pooling in POOLINGS {
        let weightings: &[bool] = match (pooling, also_unweighted) {
            (Pooling::Max, _) => &[false],
            (_, true) => &[false, true],
            (_, false) => &[true],
        };
        for &weighted in weightings {
            let bags = Bags::new(&idx, &offsets);
            let bags = if weighted {
                bags.with_weights(&weights)
            } else {
                bags
            };
            assert_bags_every_path(
                &format!("{what} {pooling:?} weighted {weighted}"),
                reference,
                table,
                bags,
                pooling,
            );
        }
    }
}

/// A gather of `n = 1..=max_n` random rows of `table` on every path and
/// random bags in every pooling (weighted but for Max): the portable path's
/// bits. Returns the indices and the portable path's gather.
#[track_caller]
pub fn assert_random_bytes_every_path<F: GatherInto<f32>>(
    table: Table<'_, F>,
    rng: &mut TestRng,
    max_n: usize,
    max_bags: usize,
) -> (Vec<u32>, Vec<f32>) {
    let idx = random_indices(rng, max_n, table.rows());
    let mut want = vec![0.0f32; idx.len() * table.dim()];
    Kernels::portable().gather(table, &idx, &mut want).unwrap();
    let what = format!("random bytes gather {}", F::NAME);
    assert_gather_every_path(&what, table, &idx, &want, None);
    let what = format!("random bytes bags {}", F::NAME);
    assert_random_bags_every_path(&what, table, table, rng, max_bags, false);
    (idx, want)
}

/// Gathers and bags of rows out of range fail on every path, and
/// `dequantize` into a short output fails, all with nothing written.
/// `t` has 2 rows.
#[track_caller]
pub fn assert_out_of_range_writes_nothing<F: GatherInto<f32>>(t: Table<'_, F>) {
    assert_eq!(t.rows(), 2);
    let dim = t.dim();
    let mut out = vec![7.0f32; 2 * dim];
    for k in kernels() {
        let e = k.gather(t, &[1u32, 2], &mut out).unwrap_err();
        assert_eq!(
            e,
            Error::IndexOutOfRange {
                position: 1,
                value: 2,
                rows: 2
            }
        );
        let e = k
            .gather_bags(
                t,
                Bags::new(&[0i64, -1], &[0, 2]),
                Pooling::Sum,
                &mut out[..dim],
            )
            .unwrap_err();
        assert_eq!(
            e,
            Error::IndexOutOfRange {
                position: 1,
                value: -1,
                rows: 2
            }
        );
        assert!(out.iter().all(|&x| x == 7.0));
    }
    let mut short = vec![7.0f32; 2 * dim - 1];
    assert_eq!(
        dequantize(t, &mut short).unwrap_err(),
        Error::OutputLength {
            len: 2 * dim - 1,
            expected: 2 * dim
        }
    );
    assert!(short.iter().all(|&x| x == 7.0));
}

/// `Table::<F>::from_bytes(bytes, dim)` fails with [`Error::ByteLength`]:
/// `bytes` are not a whole number of rows of `row_bytes`.
#[track_caller]
pub fn assert_byte_length_error<F: Format>(bytes: &[u8], dim: usize, row_bytes: usize) {
    assert_eq!(
        Table::<F>::from_bytes(bytes, dim).unwrap_err(),
        Error::ByteLength {
            len: bytes.len(),
            row_bytes
        }
    );
}
