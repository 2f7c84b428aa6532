//! Shared machinery of the fuzz targets: the paths every call is run on,
//! the structured input read from libFuzzer's bytes, and the comparisons.
//!
//! Every target follows one pattern: read a small structured case from the
//! bytes, run it on the portable path (the reference), then on every other
//! available path and through the free functions (the cached best path,
//! with its by-width scatter-add dispatch), and check:
//!
//! - the same `Ok` or the same `Err` everywhere, never a panic;
//! - an `Err` is the one the documentation's checking order predicts, and
//!   leaves every buffer byte-identical;
//! - an `Ok` gives the portable bits (NaN-ness only where NaNs come out of
//!   arithmetic), and the portable bits match an independent model of the
//!   documented semantics (and, on small finite cases, the one-hot oracle).

use std::fmt::{Debug, Display};
use std::sync::OnceLock;

pub use arbitrary::Unstructured;
use embedding_kernels::{
    Bags, Element, Error, Format, GatherInto, Index, Isa, Kernels, Pooling, Table, TableMut,
    convert, onehot,
};

/// A way to call the kernels: an explicit ISA token, or the crate's free
/// functions (the cached best path).
#[derive(Clone, Copy, Debug)]
pub enum Path {
    /// `Kernels::new(isa)`.
    Kernels(Kernels),
    /// `embedding_kernels::gather` and friends (`Kernels::best()`).
    Free,
}

impl Path {
    /// The kernels this path calls (`Kernels::best()` for the free
    /// functions, which call exactly that).
    pub fn kernels(self) -> Kernels {
        match self {
            Path::Kernels(k) => k,
            Path::Free => Kernels::best(),
        }
    }

    /// The portable path, the reference the others are compared with.
    pub fn portable() -> Path {
        Path::Kernels(Kernels::portable())
    }

    /// `gather` on this path.
    pub fn gather<T: GatherInto<O>, O: Element, I: Index>(
        self,
        table: Table<'_, T>,
        idx: &[I],
        out: &mut [O],
    ) -> Result<(), Error> {
        match self {
            Path::Kernels(k) => k.gather(table, idx, out),
            Path::Free => embedding_kernels::gather(table, idx, out),
        }
    }

    /// `gather_bags` on this path.
    pub fn gather_bags<T: Format, I: Index>(
        self,
        table: Table<'_, T>,
        bags: Bags<'_, I>,
        pooling: Pooling,
        out: &mut [f32],
    ) -> Result<(), Error> {
        match self {
            Path::Kernels(k) => k.gather_bags(table, bags, pooling, out),
            Path::Free => embedding_kernels::gather_bags(table, bags, pooling, out),
        }
    }

    /// `scatter_add` on this path (the free function with its by-width
    /// dispatch).
    pub fn scatter_add<T: Element, I: Index>(
        self,
        table: &mut TableMut<'_, T>,
        idx: &[I],
        grad: &[f32],
        scale: f32,
    ) -> Result<(), Error> {
        match self {
            Path::Kernels(k) => k.scatter_add(table, idx, grad, scale),
            Path::Free => embedding_kernels::scatter_add(table, idx, grad, scale),
        }
    }

    /// `to_f32` on this path (`convert::to_f32` for the free functions).
    pub fn to_f32<T: Element>(self, src: &[T], dst: &mut [f32]) -> Result<(), Error> {
        match self {
            Path::Kernels(k) => k.to_f32(src, dst),
            Path::Free => convert::to_f32(src, dst),
        }
    }

    /// `from_f32` on this path (`convert::from_f32` for the free functions).
    pub fn from_f32<T: Element>(self, src: &[f32], dst: &mut [T]) -> Result<(), Error> {
        match self {
            Path::Kernels(k) => k.from_f32(src, dst),
            Path::Free => convert::from_f32(src, dst),
        }
    }
}

/// Every path but the portable one, which the targets run first as the
/// reference: each available ISA, then the free functions.
pub fn others() -> &'static [Path] {
    static P: OnceLock<Vec<Path>> = OnceLock::new();
    P.get_or_init(|| {
        let mut v: Vec<Path> = Isa::available()
            .filter(|&i| i != Isa::Portable)
            .map(|i| Path::Kernels(Kernels::new(i).expect("available ISA")))
            .collect();
        v.push(Path::Free);
        v
    })
}

/// The largest element count a case allocates for one buffer.
pub const LIMIT: usize = 1 << 14;

/// Structured input from libFuzzer's bytes. Reads past the end give zeros
/// (`arbitrary`'s rule), so every byte string is a case.
pub struct In<'a> {
    u: Unstructured<'a>,
}

impl<'a> In<'a> {
    /// Reads cases from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        In {
            u: Unstructured::new(data),
        }
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// Two bytes.
    pub fn u16(&mut self) -> u16 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// Four bytes.
    pub fn u32(&mut self) -> u32 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// Eight bytes.
    pub fn u64(&mut self) -> u64 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// A value in `0..n` (0 for `n <= 1`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    /// True once in `n` (by the next byte).
    pub fn one_in(&mut self, n: u8) -> bool {
        self.u8() % n == 0
    }

    /// A row width: mostly `unit · k` for `k` in `1..=max / unit`,
    /// sometimes any small width (which block formats refuse), 0, or a huge
    /// one (the length arithmetic's edge).
    pub fn dim(&mut self, unit: usize, max: usize) -> usize {
        const HUGE: [usize; 10] = [
            0,
            usize::MAX,
            usize::MAX - 31,
            usize::MAX - 255,
            usize::MAX / 2 + 1,
            1 << 62,
            (1 << 59) + 32,
            (usize::MAX / 34) & !31,
            1 << 32,
            (1 << 40) + 256,
        ];
        match self.u8() % 32 {
            0 => HUGE[self.below(HUGE.len())],
            1..=3 => 1 + self.below(300),
            _ => unit * (1 + self.below((max / unit).max(1))),
        }
    }

    /// A length near `want`: mostly `want`, sometimes a little more or
    /// less, or anything small. A `want` beyond [`LIMIT`] gives a small
    /// length (the call must then fail on it).
    pub fn len_near(&mut self, want: usize) -> usize {
        if want > LIMIT {
            return self.below(64);
        }
        match self.u8() % 16 {
            0 => want + 1 + self.below(3),
            1 => want.saturating_sub(1 + self.below(3)),
            2 => self.below(64),
            _ => want,
        }
    }

    /// An f32: any bit pattern (specials often), or a finite value when
    /// `finite` (small integers and fractions often, else any finite bits).
    pub fn f32(&mut self, finite: bool) -> f32 {
        const SPECIAL: [u32; 16] = [
            0x7fc0_0000, // NaN
            0xffc0_0000, // -NaN
            0x7f80_0001, // signalling NaN
            0x7fc0_1234, // NaN with a payload
            0x7f80_0000, // inf
            0xff80_0000, // -inf
            0x7f7f_ffff, // MAX
            0xff7f_ffff, // MIN
            0x0080_0000, // MIN_POSITIVE
            0x0000_0001, // smallest subnormal
            0x8000_0000, // -0
            0x0000_0000, // 0
            0x477f_e000, // 65504, f16's largest
            0x477f_f000, // 65520, where f16 overflows
            0x3380_0000, // 2^-24, f16's smallest subnormal
            0x7f7f_0000, // bf16's largest
        ];
        let sel = self.u8();
        let x = match sel % 8 {
            0 => f32::from_bits(SPECIAL[(sel / 8) as usize % 16]),
            1 | 2 => (self.u8() as i8) as f32 / [1.0, 2.0, 8.0, 256.0][(sel / 8) as usize % 4],
            _ => f32::from_bits(self.u32()),
        };
        if finite && !x.is_finite() {
            // Flip the lowest exponent bit: the largest finite binade.
            f32::from_bits(x.to_bits() ^ (1 << 23))
        } else {
            x
        }
    }

    /// An element of `T`: any bits, or a finite value when `finite`.
    pub fn elem<T: FuzzElement>(&mut self, finite: bool) -> T {
        T::make(self, finite)
    }

    /// An index for a table of `rows` rows: mostly in range, sometimes just
    /// past the end, negative, or any value of the type.
    pub fn index<I: FuzzIndex>(&mut self, rows: usize) -> I {
        match self.u8() % 32 {
            0 => I::from_i64(self.u64() as i64),
            1 => I::from_i64(rows as i64),
            2 => I::from_i64(-1 - self.below(2) as i64),
            _ if rows == 0 => I::from_i64(self.below(3) as i64),
            _ => I::from_i64(self.below(rows) as i64),
        }
    }

    /// Indices (fewer than `bound` of them) for a table of `rows` rows, as
    /// [`index`](Self::index) makes them.
    pub fn indices<I: FuzzIndex>(&mut self, rows: usize, bound: usize) -> Vec<I> {
        let n = self.below(bound);
        (0..n).map(|_| self.index::<I>(rows)).collect()
    }

    /// `n` bytes of the input (zeros once it runs out).
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        let take = n.min(self.u.len());
        if let Ok(b) = self.u.bytes(take) {
            v[..take].copy_from_slice(b);
        }
        v
    }
}

/// The element types, with their fuzz-side helpers.
pub trait FuzzElement: Element + bytemuck::Pod {
    /// An element from the input.
    fn make(u: &mut In<'_>, finite: bool) -> Self;
    /// Whether the value is NaN.
    fn nan(self) -> bool {
        self.to_f32().is_nan()
    }
}

impl FuzzElement for f32 {
    fn make(u: &mut In<'_>, finite: bool) -> Self {
        u.f32(finite)
    }
}

/// The 16-bit floats: any bits, or, when `finite`, the non-finite ones
/// moved into the largest finite binade by flipping the lowest exponent
/// bit (`$low_exponent`).
macro_rules! fuzz_half {
    ($($t:ty: $low_exponent:expr),*) => {$(
        impl FuzzElement for $t {
            fn make(u: &mut In<'_>, finite: bool) -> Self {
                let h = <$t>::from_bits(u.u16());
                if finite && !h.is_finite() {
                    <$t>::from_bits(h.to_bits() ^ $low_exponent)
                } else {
                    h
                }
            }
        }
    )*};
}
fuzz_half!(f16: 1 << 10, bf16: 1 << 7);

/// The index types, built from an `i64` by wrapping.
pub trait FuzzIndex: Index {
    /// `v as Self`.
    fn from_i64(v: i64) -> Self;
}

macro_rules! fuzz_index {
    ($($t:ty),*) => {$(
        impl FuzzIndex for $t {
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}
fuzz_index!(u8, u16, u32, u64, usize, i32, i64);

/// Runs `$body` with `$T` bound to the type of entry `$sel` (modulo their
/// count) of the list after the `;`, and, in the form with `$unit`, `$unit`
/// bound to that entry's `usize` (written `Type: unit`).
#[macro_export]
macro_rules! pick {
    (@from $k:ident, $T:ident, $unit:ident, $body:expr; $t:ty: $u:expr) => {{
        let _ = $k; // No test left: the last entry is the only one.
        type $T = $t;
        let $unit: usize = $u;
        $body
    }};
    (@from $k:ident, $T:ident, $unit:ident, $body:expr; $t:ty: $u:expr, $($rest:tt)+) => {
        if $k == 0 {
            $crate::pick!(@from $k, $T, $unit, $body; $t: $u)
        } else {
            let $k = $k - 1;
            $crate::pick!(@from $k, $T, $unit, $body; $($rest)+)
        }
    };
    ($sel:expr, $T:ident, $unit:ident => $body:expr; $($t:ty: $u:expr),+ $(,)?) => {{
        let k = ($sel) as usize % [$($u),+].len();
        $crate::pick!(@from k, $T, $unit, $body; $($t: $u),+)
    }};
    ($sel:expr, $T:ident => $body:expr; $($t:ty),+ $(,)?) => {
        $crate::pick!($sel, $T, _unit => $body; $($t: 0),+)
    };
}

/// Runs `$body` with `$I` bound to one of the seven index types.
#[macro_export]
macro_rules! with_index {
    ($sel:expr, $I:ident => $body:expr) => {
        $crate::pick!($sel, $I => $body; u8, u16, u32, u64, usize, i32, i64)
    };
}

/// Runs `$body` with `$T` bound to one of the three float element types.
#[macro_export]
macro_rules! with_float {
    ($sel:expr, $T:ident => $body:expr) => {
        $crate::pick!($sel, $T => $body; f32, $crate::f16, $crate::bf16)
    };
}

/// Runs `$body` with `$F` bound to one of the quantized formats with a
/// quantizer (`quantized::Quantize`) and `$unit` to the dim it needs a
/// multiple of.
#[macro_export]
macro_rules! with_quantizer {
    ($sel:expr, $F:ident, $unit:ident => $body:expr) => {{
        use embedding_kernels::quantized as q;
        $crate::pick!($sel, $F, $unit => $body;
            q::Rowwise8: 1, q::Rowwise4: 1, q::Rowwise2: 1, q::Q8_0: 32, q::Q4_0: 32)
    }};
}

/// Runs `$body` with `$F` bound to one of every quantized format (those
/// with a quantizer, and the read-only GGUF K-quants) and `$unit` to the
/// dim it needs a multiple of: `$sel` modulo 7 picks the K-quants at 5 and
/// 6, the quantizers' formats below.
#[macro_export]
macro_rules! with_quantized {
    ($sel:expr, $F:ident, $unit:ident => $body:expr) => {{
        use embedding_kernels::quantized as q;
        match $sel % 7 {
            k @ 5.. => $crate::pick!(k - 5, $F, $unit => $body; q::Q4_K: 256, q::Q6_K: 256),
            k => $crate::with_quantizer!(k, $F, $unit => $body),
        }
    }};
}

pub use embedding_kernels::{bf16, f16};

/// The bytes of a slice.
pub fn bytes_of<T: bytemuck::Pod>(s: &[T]) -> &[u8] {
    bytemuck::cast_slice(s)
}

/// A buffer of `n` elements, every byte `0xa5` (so that a write shows).
pub fn sentinel<T: bytemuck::Pod>(n: usize) -> Vec<T> {
    let mut v = vec![T::zeroed(); n];
    bytemuck::cast_slice_mut::<T, u8>(&mut v).fill(0xa5);
    v
}

/// Asserts that `got` and `want` have the same length and that `eq` holds
/// element by element; a failure names the element, its value and bytes
/// and those of the `against` value.
#[track_caller]
fn assert_each<T: FuzzElement>(
    what: &dyn Display,
    got: &[T],
    want: &[T],
    eq: impl Fn(T, T) -> bool,
    against: &str,
) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(p) = (0..got.len()).find(|&p| !eq(got[p], want[p])) {
        panic!(
            "{what}: element {p}: got {:?} ({:02x?}), {against} {:?} ({:02x?})",
            got[p],
            bytes_of(&got[p..=p]),
            want[p],
            bytes_of(&want[p..=p])
        );
    }
}

/// Asserts the same bits.
#[track_caller]
pub fn assert_bits<T: FuzzElement>(what: &dyn Display, got: &[T], want: &[T]) {
    let bits = |a: T, b: T| bytes_of(&[a]) == bytes_of(&[b]);
    assert_each(what, got, want, bits, "want");
}

/// Asserts the same bits, or both NaN (NaNs out of arithmetic may carry
/// different payloads on different paths).
#[track_caller]
pub fn assert_same<T: FuzzElement>(what: &dyn Display, got: &[T], want: &[T]) {
    let same = |a: T, b: T| bytes_of(&[a]) == bytes_of(&[b]) || (a.nan() && b.nan());
    assert_each(what, got, want, same, "want");
}

/// Asserts equality as the one-hot oracle promises: `==` (so only the sign
/// of a zero may differ), or both NaN.
#[track_caller]
pub fn assert_oracle<T: FuzzElement>(what: &dyn Display, got: &[T], want: &[T]) {
    let eq = |a: T, b: T| a.to_f32() == b.to_f32() || (a.nan() && b.nan());
    assert_each(what, got, want, eq, "oracle");
}

/// The error a buffer of the wrong length gives, from its length and the
/// expected one.
pub type Wrong = fn(usize, usize) -> Error;

/// `Error::OutputLength`.
pub const OUTPUT_LENGTH: Wrong = |len, expected| Error::OutputLength { len, expected };
/// `Error::GradientLength`.
pub const GRADIENT_LENGTH: Wrong = |len, expected| Error::GradientLength { len, expected };
/// `Error::WeightsLength`.
pub const WEIGHTS_LENGTH: Wrong = |len, expected| Error::WeightsLength { len, expected };
/// `Error::ConvertLength` (a destination of `len`, a source of `expected`).
pub const CONVERT_LENGTH: Wrong = |dst, src| Error::ConvertLength { src, dst };

/// `Ok` when `len` is `expected`, else the error `wrong` makes of them.
pub fn length(len: usize, expected: usize, wrong: Wrong) -> Result<(), Error> {
    if len == expected {
        Ok(())
    } else {
        Err(wrong(len, expected))
    }
}

/// The first index outside `0..rows`, as `Error::IndexOutOfRange`.
pub fn in_range<I: Index>(idx: &[I], rows: usize) -> Result<(), Error> {
    match idx
        .iter()
        .position(|i| i.value() < 0 || i.value() >= rows as i128)
    {
        Some(position) => Err(Error::IndexOutOfRange {
            position,
            value: idx[position].value(),
            rows,
        }),
        None => Ok(()),
    }
}

/// The last two checks of every kernel call, in the documentation's
/// order: the length of a buffer (`len` against `expected`, `wrong` if
/// not), then the indices into `rows` rows.
pub fn length_then_indices<I: Index>(
    len: usize,
    expected: usize,
    wrong: Wrong,
    idx: &[I],
    rows: usize,
) -> Result<(), Error> {
    length(len, expected, wrong)?;
    in_range(idx, rows)
}

/// A `gather` from a table of `rows` rows of `dim`: the indices (fewer
/// than `bound`), an output length near theirs, and the result the
/// documentation predicts.
pub fn gather_call<I: FuzzIndex>(
    u: &mut In<'_>,
    rows: usize,
    dim: usize,
    bound: usize,
) -> (Vec<I>, usize, Result<(), Error>) {
    let idx = u.indices::<I>(rows, bound);
    let expected = idx.len().saturating_mul(dim);
    let out_len = u.len_near(expected);
    let expect = length_then_indices(out_len, expected, OUTPUT_LENGTH, &idx, rows);
    (idx, out_len, expect)
}

/// Runs `call` on a copy of `before`: checks that it returns `expect` and
/// that an `Err` leaves the copy byte-identical to `before`. Returns the
/// result and the copy.
#[track_caller]
pub fn check_call<O: FuzzElement>(
    what: &dyn Display,
    before: &[O],
    expect: Result<(), Error>,
    call: impl FnOnce(&mut [O]) -> Result<(), Error>,
) -> (Result<(), Error>, Vec<O>) {
    let mut buf = before.to_vec();
    let r = call(&mut buf);
    assert_eq!(r, expect, "{what}");
    if r.is_err() {
        assert_bits(&format_args!("{what} (error)"), &buf, before);
    }
    (r, buf)
}

/// The checks of one case on every path: `call` runs it on a path into a
/// copy of `before` (the output, or the table written in place). First on
/// the portable path, with [`check_call`] against `expect`; on `Ok`, `ok`
/// gets the output (the target's model and oracle). Then on every other
/// path ([`others`]): the portable result, nothing written on `Err`, and
/// on `Ok` the portable output by `same` ([`assert_bits`], or
/// [`assert_same`] where NaNs out of arithmetic may differ in payload).
/// `what` describes the case on a path. Returns the portable output when
/// the case is `Ok`.
pub fn check_paths<O: FuzzElement>(
    what: impl Fn(&dyn Debug) -> String,
    before: &[O],
    expect: Result<(), Error>,
    same: fn(&dyn Display, &[O], &[O]),
    call: impl Fn(Path, &mut [O]) -> Result<(), Error>,
    ok: impl FnOnce(&[O]),
) -> Option<Vec<O>> {
    let (r, want) = check_call(&what(&"portable"), before, expect, |b| {
        call(Path::portable(), b)
    });
    if r.is_ok() {
        ok(&want);
    }
    for &p in others() {
        let (got, out) = check_call(&what(&p), before, r, |b| call(p, b));
        if got.is_ok() {
            same(&what(&p), &out, &want);
        }
    }
    r.is_ok().then_some(want)
}

/// Whether a one-hot oracle of `n` rows over a table of `rows` rows of
/// `dim` is small enough to run (and has a table).
pub fn small(n: usize, rows: usize, dim: usize) -> bool {
    rows > 0 && n.saturating_mul(rows).saturating_mul(dim) <= 4096
}

/// The one-hot oracle of a gather on [`small`] shapes: `got`, gathered by
/// `idx` from the `rows × dim` table `w`, equals `one_hot(idx) · w` (up to
/// the sign of zeros; NaN where NaN). The caller decides where the
/// oracle's additions are exact (finite tables).
pub fn gather_oracle<I: Index, T: Element, O: FuzzElement>(
    what: &dyn Display,
    idx: &[I],
    rows: usize,
    dim: usize,
    w: &[T],
    got: &[O],
) {
    let n = idx.len();
    if !small(n, rows, dim) {
        return;
    }
    let mut a = vec![0.0f32; n * rows];
    onehot::one_hot(idx, rows, &mut a).unwrap();
    let mut c = vec![O::default(); n * dim];
    onehot::matmul(&a, w, &mut c, n, rows, dim).unwrap();
    assert_oracle(what, got, &c);
}

/// A copy of `data` starting `pad` elements into a fresh buffer, so that
/// tables start at different alignments: `(buffer, pad)`.
pub fn padded<T: Copy + bytemuck::Zeroable>(data: &[T], pad: usize) -> Vec<T> {
    let mut v = vec![T::zeroed(); pad];
    v.extend_from_slice(data);
    v
}

/// The value of column `j` of a quantized row, written from the format
/// table of `embedding_kernels::quantized`, independently of the crate's
/// codecs: the model the portable path is checked against.
pub fn quantized_value(name: &str, row: &[u8], dim: usize, j: usize) -> f32 {
    let f16_at = |at: usize| f16::from_bits(u16::from_le_bytes([row[at], row[at + 1]])).to_f32();
    let f32_at = |at: usize| f32::from_le_bytes([row[at], row[at + 1], row[at + 2], row[at + 3]]);
    match name {
        "rowwise8" => f32::mul_add(f32_at(dim), row[j] as f32, f32_at(dim + 4)),
        "rowwise4" | "rowwise2" => {
            let bits = if name == "rowwise4" { 4 } else { 2 };
            let per = 8 / bits;
            let nb = dim.div_ceil(per);
            let q = (row[j / per] >> ((j % per) * bits)) & ((1 << bits) - 1);
            f16_at(nb) * q as f32 + f16_at(nb + 2)
        }
        "q8_0" => {
            let b = &row[j / 32 * 34..];
            let d = f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32();
            (b[2 + j % 32] as i8) as f32 * d
        }
        "q4_0" => {
            let b = &row[j / 32 * 18..];
            let d = f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32();
            let o = j % 32;
            let q = if o < 16 {
                b[2 + o] & 15
            } else {
                b[2 + o - 16] >> 4
            };
            (q as i32 - 8) as f32 * d
        }
        "q4_k" => {
            // ggml `dequantize_row_q4_K`, `get_scale_min_k4`.
            let b = &row[j / 256 * 144..][..144];
            let d = f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32();
            let dmin = f16::from_bits(u16::from_le_bytes([b[2], b[3]])).to_f32();
            let sc = &b[4..16];
            let e = j % 256;
            let s = e / 32;
            let (scale, min) = if s < 4 {
                (sc[s] & 63, sc[s + 4] & 63)
            } else {
                (
                    (sc[s + 4] & 0xf) | ((sc[s - 4] >> 6) << 4),
                    (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4),
                )
            };
            let byte = b[16 + 32 * (s / 2) + e % 32];
            let q = if s % 2 == 0 { byte & 15 } else { byte >> 4 };
            let d1 = d * scale as f32;
            let m1 = dmin * min as f32;
            d1 * q as f32 - m1
        }
        "q6_k" => {
            // ggml `dequantize_row_q6_K`.
            let b = &row[j / 256 * 210..][..210];
            let (ql, qh, sc) = (&b[..128], &b[128..192], &b[192..208]);
            let d = f16::from_bits(u16::from_le_bytes([b[208], b[209]])).to_f32();
            let e = j % 256;
            let (h, k, l) = (e / 128, e % 128 / 32, e % 32);
            let low = match k {
                0 => ql[h * 64 + l] & 15,
                1 => ql[h * 64 + l + 32] & 15,
                2 => ql[h * 64 + l] >> 4,
                _ => ql[h * 64 + l + 32] >> 4,
            };
            let high = (qh[h * 32 + l] >> (2 * k)) & 3;
            let q = (low | (high << 4)) as i32 - 32;
            let s = sc[h * 8 + l / 16 + 2 * k] as i8;
            d * s as f32 * q as f32
        }
        other => panic!("no model for format {other}"),
    }
}
