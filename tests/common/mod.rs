//! Shared test machinery: the ISA runner, value generators and comparisons.
#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;

use embedding_kernels::{Element, Index, Isa, Kernels, bf16, f16};
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
