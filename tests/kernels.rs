//! The proof: every kernel on every ISA path this CPU has equals the dense
//! one-hot oracle (`onehot`), and equals the portable path bit for bit.
//!
//! Shapes: rows 1..=2000, dims 1..=300, index counts from 0 with duplicates,
//! every index and element type, slices at every alignment. The oracle costs
//! `n · rows · dim`; each case is held to a budget of about 2M multiply-adds.

mod common;

use common::*;
use embedding_kernels::{
    Bags, Element, GatherInto, Isa, Kernels, Pooling, Table, TableMut, bf16, f16, onehot,
};
use proptest::prelude::*;

/// Multiply-adds the oracle may spend on one case.
const BUDGET: usize = if cfg!(miri) { 1 << 10 } else { 1 << 21 };

#[derive(Clone, Copy, Debug)]
struct Shape {
    rows: usize,
    dim: usize,
    n: usize,
    seed: u64,
    shift: usize,
}

fn shapes() -> impl Strategy<Value = Shape> {
    let max_rows: usize = if cfg!(miri) { 20 } else { 2000 };
    let max_dim: usize = if cfg!(miri) { 40 } else { 300 };
    (1..=max_rows, 1..=max_dim, any::<u64>(), 0..16usize).prop_flat_map(
        |(rows, dim, seed, shift): (usize, usize, u64, usize)| {
            let n_max: usize = (BUDGET / (rows * dim)).clamp(1, 300);
            (0..=n_max).prop_map(move |n| Shape {
                rows,
                dim,
                n,
                seed,
                shift,
            })
        },
    )
}

/// `n` indices below `rows`, with repeats, and with both ends of the range.
fn indices<I: TestIndex>(rng: &mut TestRng, n: usize, rows: usize) -> Vec<I> {
    let mut v: Vec<usize> = Vec::with_capacity(n);
    for p in 0..n {
        let r = match rng.below(8) {
            0 => 0,
            1 => rows - 1,
            2 if p > 0 => v[rng.below(p)],
            _ => rng.below(rows),
        };
        v.push(r);
    }
    v.into_iter().map(I::from_usize).collect()
}

/// A table placed at `shift` elements into its buffer.
fn table_buf<T: TestElement>(
    rng: &mut TestRng,
    rows: usize,
    dim: usize,
    any: bool,
    shift: usize,
) -> Vec<T> {
    shifted(&fill::<T>(rng, rows * dim, any), shift)
}

fn widen<T: Element>(t: &[T]) -> Vec<f32> {
    t.iter().map(|x| x.to_f32()).collect()
}

// ---------------------------------------------------------------- gather

fn check_gather<T, O, I>(s: Shape, any: bool)
where
    T: TestElement + GatherInto<O>,
    O: TestElement,
    I: TestIndex,
{
    let rows = s.rows.min(I::MAX_ROWS);
    let (dim, n) = (s.dim, s.n);
    let mut rng = TestRng(s.seed);
    let buf = table_buf::<T>(&mut rng, rows, dim, any, s.shift);
    let data = &buf[s.shift..];
    let table = Table::new(data, dim).unwrap();
    let idx: Vec<I> = indices(&mut rng, n, rows);

    let oracle = (!any).then(|| {
        let mut a = vec![0.0f32; n * rows];
        onehot::one_hot(&idx, rows, &mut a).unwrap();
        let mut want = vec![O::default(); n * dim];
        onehot::matmul(&a, data, &mut want, n, rows, dim).unwrap();
        want
    });

    let what = format!(
        "gather {}->{} {:?} idx {}",
        T::name(),
        O::name(),
        (rows, dim, n),
        std::any::type_name::<I>()
    );
    let mut reference: Option<Vec<O>> = None;
    for k in kernels() {
        let mut obuf = vec![O::default(); n * dim + s.shift];
        k.gather(table, &idx, &mut obuf[s.shift..]).unwrap();
        let got = &obuf[s.shift..];
        check_path(&what, k.isa(), got, oracle.as_deref(), &mut reference);
        // Row by row, the result is the table's row, bit for bit: copied
        // for same-type gathers, widened as `half` does otherwise (NaNs made
        // quiet, payloads kept), on every path.
        for (i, &x) in idx.iter().enumerate() {
            let r = x.value() as usize;
            for j in 0..dim {
                let (src, g) = (data[r * dim + j], got[i * dim + j]);
                // Under Miri, a NaN produced by a float instruction has an
                // arbitrary payload (Miri's NaN semantics), so there only
                // NaN-ness is checked for widened NaNs.
                let same = if T::name() == O::name() {
                    g.bits() == src.bits()
                } else if cfg!(miri) && src.to_f32().is_nan() {
                    g.to_f32().is_nan()
                } else {
                    g.to_f32().to_bits() == src.to_f32().to_bits()
                };
                assert!(
                    same,
                    "{what} on {}: row {i} element {j}: {:#x} from {:#x}",
                    k.isa(),
                    g.bits(),
                    src.bits()
                );
            }
        }
    }
    // f16/bf16 → f32 equals widening the table first, then gathering f32.
    if T::name() != O::name() {
        let wide = widen(data);
        let mut want = vec![0.0f32; n * dim];
        Kernels::portable()
            .gather(Table::new(&wide, dim).unwrap(), &idx, &mut want)
            .unwrap();
        let got: Vec<f32> = reference.unwrap().iter().map(|x| x.to_f32()).collect();
        assert_same(&what, Isa::Portable, &got, &want);
    }
}

/// Checks `got`, a result on `isa`: `==` the `oracle` when there is one,
/// and the same bits as the first path's result, kept in `first`.
#[track_caller]
fn check_path<T: TestElement>(
    what: &str,
    isa: Isa,
    got: &[T],
    oracle: Option<&[T]>,
    first: &mut Option<Vec<T>>,
) {
    if let Some(want) = oracle {
        assert_eq_oracle(what, isa, got, want);
    }
    match first {
        None => *first = Some(got.to_vec()),
        Some(r) => assert_same(what, isa, got, r),
    }
}

fn gather_case(conv: usize, index: usize, s: Shape, any: bool) {
    macro_rules! by_index {
        ($t:ty, $o:ty) => {
            match index {
                0 => check_gather::<$t, $o, u8>(s, any),
                1 => check_gather::<$t, $o, u16>(s, any),
                2 => check_gather::<$t, $o, u32>(s, any),
                3 => check_gather::<$t, $o, u64>(s, any),
                4 => check_gather::<$t, $o, usize>(s, any),
                5 => check_gather::<$t, $o, i32>(s, any),
                _ => check_gather::<$t, $o, i64>(s, any),
            }
        };
    }
    match conv {
        0 => by_index!(f32, f32),
        1 => by_index!(f16, f32),
        2 => by_index!(bf16, f32),
        3 => by_index!(f16, f16),
        _ => by_index!(bf16, bf16),
    }
}

// ---------------------------------------------------------------- bags

#[derive(Clone, Copy, Debug, PartialEq)]
enum BagMode {
    /// Indices strictly increasing inside each bag: the kernel's index order
    /// is the oracle's row order, so results are exact.
    Distinct,
    /// Repeats allowed: within a rounding bound (positive weights).
    Repeats,
    /// Any bits, no oracle: only paths against each other.
    AnyBits,
}

struct BagCase<I> {
    idx: Vec<I>,
    offsets: Vec<I>,
    weights: Option<Vec<f32>>,
}

fn bag_case<I: TestIndex>(
    rng: &mut TestRng,
    rows: usize,
    n_bags: usize,
    n_max: usize,
    mode: BagMode,
    weighted: bool,
) -> BagCase<I> {
    let mut idx = Vec::new();
    let mut offsets = vec![I::from_usize(0)];
    for _ in 0..n_bags {
        let len = match rng.below(6) {
            0 => 0,
            1 => 1,
            _ => rng.below(n_max + 1),
        };
        if mode == BagMode::Distinct {
            let mut rows_in: Vec<usize> = (0..len).map(|_| rng.below(rows)).collect();
            rows_in.sort_unstable();
            rows_in.dedup();
            idx.extend(rows_in.into_iter().map(I::from_usize));
        } else {
            let chunk: Vec<I> = indices(rng, len, rows);
            idx.extend(chunk);
        }
        offsets.push(I::from_usize(idx.len()));
    }
    let weights = weighted.then(|| {
        (0..idx.len())
            .map(|_| match mode {
                BagMode::Distinct => rng.finite().clamp(-4.0, 4.0),
                BagMode::Repeats => 0.125 + (rng.below(32) as f32) / 8.0,
                BagMode::AnyBits => rng.any_bits(),
            })
            .collect()
    });
    BagCase {
        idx,
        offsets,
        weights,
    }
}

fn check_bags<T: TestElement, I: TestIndex>(
    s: Shape,
    pooling: Pooling,
    weighted: bool,
    mode: BagMode,
) {
    let rows = s.rows.min(I::MAX_ROWS);
    let dim = s.dim;
    let weighted = weighted && pooling != Pooling::Max;
    let mut rng = TestRng(s.seed);
    let buf = table_buf::<T>(&mut rng, rows, dim, mode == BagMode::AnyBits, s.shift);
    let data = &buf[s.shift..];
    let table = Table::new(data, dim).unwrap();
    let n_bags = rng.below(9);
    let per_bag = (s.n / n_bags.max(1)).clamp(1, 64);
    let case: BagCase<I> = bag_case(&mut rng, rows, n_bags, per_bag, mode, weighted);
    let mut bags = Bags::new(&case.idx, &case.offsets);
    if let Some(w) = &case.weights {
        bags = bags.with_weights(w);
    }
    let what = format!(
        "bags {} {:?}{} {:?} {:?} idx {}",
        T::name(),
        pooling,
        if weighted { " weighted" } else { "" },
        mode,
        (rows, dim, case.idx.len(), n_bags),
        std::any::type_name::<I>()
    );

    let oracle = (mode != BagMode::AnyBits).then(|| {
        let mut a = vec![0.0f32; n_bags * rows];
        onehot::multi_hot(bags, rows, &mut a).unwrap();
        let mut want = vec![0.0f32; n_bags * dim];
        onehot::pool(&a, table, pooling, &mut want).unwrap();
        want
    });

    let mut reference: Option<Vec<f32>> = None;
    for k in kernels() {
        let mut obuf = vec![f32::NAN; n_bags * dim + s.shift];
        k.gather_bags(table, bags, pooling, &mut obuf[s.shift..])
            .unwrap();
        let got = &obuf[s.shift..];
        match (&oracle, mode) {
            (Some(want), BagMode::Distinct) => assert_eq_oracle(&what, k.isa(), got, want),
            (Some(want), _) if pooling == Pooling::Max => {
                assert_eq_oracle(&what, k.isa(), got, want)
            }
            (Some(want), _) => check_bound(&what, k.isa(), got, want, data, dim, &case, pooling),
            _ => {}
        }
        check_path(&what, k.isa(), got, None, &mut reference);
    }
    // f16/bf16 tables equal widening the table first.
    if T::name() != "f32" {
        let wide = widen(data);
        let mut want = vec![0.0f32; n_bags * dim];
        Kernels::portable()
            .gather_bags(Table::new(&wide, dim).unwrap(), bags, pooling, &mut want)
            .unwrap();
        assert_same(&what, Isa::Portable, reference.as_deref().unwrap(), &want);
    }
}

/// Repeated indices: the kernel adds `w₁·x + w₂·x`, the dense product
/// `(w₁+w₂)·x`, and in another order. Both are held to the exact value
/// (computed in f64 from the per-index definition) within
/// `8·(len+2)·2⁻²⁴ · Σ|wᵢ·xᵢ| / d` plus a subnormal floor, `d` the divisor
/// (weights are positive here). SqrtN's weighted divisor `√Σwᵢ²` is defined
/// per index (TensorFlow), which a merged multi-hot entry cannot express, so
/// with repeats SqrtN is held to the exact value only.
#[allow(clippy::too_many_arguments)]
fn check_bound<T: Element, I: TestIndex>(
    what: &str,
    isa: Isa,
    got: &[f32],
    want: &[f32],
    data: &[T],
    dim: usize,
    case: &BagCase<I>,
    pooling: Pooling,
) {
    for (b, ends) in case.offsets.windows(2).enumerate() {
        let (s, e) = (ends[0].value() as usize, ends[1].value() as usize);
        let len = (e - s) as f64;
        let w = |t: usize| case.weights.as_ref().map_or(1.0, |w| w[t] as f64);
        let d = match pooling {
            Pooling::Mean => (s..e).map(w).sum::<f64>(),
            Pooling::SqrtN => (s..e).map(|t| w(t) * w(t)).sum::<f64>().sqrt(),
            _ => 1.0,
        };
        let d = if d == 0.0 { 1.0 } else { d };
        for j in 0..dim {
            let x = |t: usize| data[case.idx[t].value() as usize * dim + j].to_f32() as f64;
            let mag: f64 = (s..e).map(|t| (w(t) * x(t)).abs()).sum();
            let exact: f64 = (s..e).map(|t| w(t) * x(t)).sum::<f64>() / d;
            let tol = 8.0 * (len + 2.0) * f64::powi(2.0, -24) * mag / d + (len + 1.0) * 1e-44;
            let (g, o) = (got[b * dim + j] as f64, want[b * dim + j] as f64);
            assert!(
                (g - exact).abs() <= tol,
                "{what} on {isa}: bag {b} element {j}: got {g}, exact {exact}, bound {tol}"
            );
            assert!(
                pooling == Pooling::SqrtN || (g - o).abs() <= 2.0 * tol,
                "{what} on {isa}: bag {b} element {j}: got {g}, oracle {o}, bound {}",
                2.0 * tol
            );
        }
    }
}

fn bags_case(elem: usize, index: usize, s: Shape, pooling: Pooling, weighted: bool, mode: BagMode) {
    macro_rules! by_index {
        ($t:ty) => {
            match index {
                0 => check_bags::<$t, u8>(s, pooling, weighted, mode),
                1 => check_bags::<$t, u16>(s, pooling, weighted, mode),
                2 => check_bags::<$t, u32>(s, pooling, weighted, mode),
                3 => check_bags::<$t, u64>(s, pooling, weighted, mode),
                4 => check_bags::<$t, usize>(s, pooling, weighted, mode),
                5 => check_bags::<$t, i32>(s, pooling, weighted, mode),
                _ => check_bags::<$t, i64>(s, pooling, weighted, mode),
            }
        };
    }
    match elem {
        0 => by_index!(f32),
        1 => by_index!(f16),
        _ => by_index!(bf16),
    }
}

// ---------------------------------------------------------------- scatter-add

fn check_scatter<T: TestElement, I: TestIndex>(s: Shape, scale: f32, any: bool) {
    let rows = s.rows.min(I::MAX_ROWS);
    let (dim, n) = (s.dim, s.n);
    let mut rng = TestRng(s.seed);
    let buf = table_buf::<T>(&mut rng, rows, dim, any, s.shift);
    let data = &buf[s.shift..];
    let idx: Vec<I> = indices(&mut rng, n, rows);
    let grad: Vec<f32> = (0..n * dim)
        .map(|_| if any { rng.any_bits() } else { rng.finite() })
        .collect();
    let what = format!(
        "scatter_add {} scale {scale} {:?} idx {}",
        T::name(),
        (rows, dim, n),
        std::any::type_name::<I>()
    );

    let oracle = (!any).then(|| {
        let mut a = vec![0.0f32; n * rows];
        onehot::one_hot(&idx, rows, &mut a).unwrap();
        let b: Vec<f32> = grad.iter().map(|&g| scale * g).collect();
        let mut c = data.to_vec();
        onehot::matmul_transposed(&a, &b, &mut c, n, rows, dim).unwrap();
        c
    });

    let mut reference: Option<Vec<T>> = None;
    for k in kernels() {
        let mut tbuf = buf.clone();
        let mut t = TableMut::new(&mut tbuf[s.shift..], dim).unwrap();
        k.scatter_add(&mut t, &idx, &grad, scale).unwrap();
        let got = &tbuf[s.shift..];
        check_path(&what, k.isa(), got, oracle.as_deref(), &mut reference);
    }
}

fn scatter_case(elem: usize, index: usize, s: Shape, scale: f32, any: bool) {
    macro_rules! by_index {
        ($t:ty) => {
            match index {
                0 => check_scatter::<$t, u8>(s, scale, any),
                1 => check_scatter::<$t, u16>(s, scale, any),
                2 => check_scatter::<$t, u32>(s, scale, any),
                3 => check_scatter::<$t, u64>(s, scale, any),
                4 => check_scatter::<$t, usize>(s, scale, any),
                5 => check_scatter::<$t, i32>(s, scale, any),
                _ => check_scatter::<$t, i64>(s, scale, any),
            }
        };
    }
    match elem {
        0 => by_index!(f32),
        1 => by_index!(f16),
        _ => by_index!(bf16),
    }
}

fn poolings() -> impl Strategy<Value = Pooling> {
    prop_oneof![
        Just(Pooling::Sum),
        Just(Pooling::Mean),
        Just(Pooling::SqrtN),
        Just(Pooling::Max)
    ]
}

fn scales() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(1.0f32),
        Just(-1.0),
        Just(0.0),
        Just(-0.01),
        (-4.0f32..4.0)
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn gather_equals_one_hot_product(s in shapes(), conv in 0..5usize, index in 0..7usize) {
        gather_case(conv, index, s, false);
    }

    #[test]
    fn gather_paths_agree_on_any_bits(s in shapes(), conv in 0..5usize, index in 0..7usize) {
        gather_case(conv, index, s, true);
    }

    #[test]
    fn scatter_add_equals_transposed_one_hot_product(
        s in shapes(), elem in 0..3usize, index in 0..7usize, scale in scales()
    ) {
        scatter_case(elem, index, s, scale, false);
    }

    #[test]
    fn scatter_add_paths_agree_on_any_bits(
        s in shapes(), elem in 0..3usize, index in 0..7usize, scale in scales()
    ) {
        scatter_case(elem, index, s, scale, true);
    }
}

/// One property test per bag mode, all over the same inputs.
macro_rules! bags_tests {
    ($($name:ident: $mode:expr;)*) => {
        proptest! {
            #![proptest_config(config(256))]
            $(
                #[test]
                fn $name(
                    s in shapes(), elem in 0..3usize, index in 0..7usize, pooling in poolings(), weighted in any::<bool>()
                ) {
                    bags_case(elem, index, s, pooling, weighted, $mode);
                }
            )*
        }
    };
}

bags_tests! {
    bags_equal_multi_hot_product_exactly_without_repeats: BagMode::Distinct;
    bags_with_repeats_within_bound: BagMode::Repeats;
    bags_paths_agree_on_any_bits: BagMode::AnyBits;
}

// ------------------------------------------------- every tail, every alignment

/// Deterministic sweep: every dim from 1 to 40 (every tail of 4, 8 and 16
/// lanes, twice over) and the odd sizes around 64, 128, 256, at every
/// alignment shift 0..16, for every kernel, conversion and pooling, on every
/// path, against the portable path and the oracle.
#[test]
fn every_dim_and_alignment() {
    let mut dims: Vec<usize> = (1..=40).collect();
    dims.extend([47, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300]);
    let shifts: &[usize] = if cfg!(miri) {
        &[0, 1]
    } else {
        &[0, 1, 2, 3, 5, 7, 8, 15]
    };
    if cfg!(miri) {
        dims = vec![1, 3, 4, 5, 8, 16, 17, 33];
    }
    let mut seed = 1;
    for (d, &dim) in dims.iter().enumerate() {
        for &shift in shifts {
            // Under Miri each dim runs one of the two shifts, in turn, so
            // that aligned and misaligned tables both meet every kind of
            // body (fixed dims 4 and 16, tails 1, 3, 5, 17, 33).
            if cfg!(miri) && shift != d % 2 {
                continue;
            }
            seed += 1;
            let s = Shape {
                rows: 7,
                dim,
                n: 11,
                seed,
                shift,
            };
            for conv in 0..5 {
                gather_case(conv, 2, s, false);
                gather_case(conv, 5, s, true);
            }
            for elem in 0..3 {
                for pooling in POOLINGS {
                    for weighted in [false, true] {
                        bags_case(elem, 4, s, pooling, weighted, BagMode::Distinct);
                        bags_case(elem, 6, s, pooling, weighted, BagMode::AnyBits);
                    }
                }
                scatter_case(elem, 3, s, 0.5, false);
                scatter_case(elem, 1, s, -1.5, true);
            }
        }
    }
}

/// Bags of more than eight rows a whole number of 4 KB long (f32 dim 1024,
/// f16/bf16 dim 2048), and on x86_64 of 2 KB (f32 dim 512, f16/bf16 dim
/// 1024), pool eight rows per pass over the columns, through the output
/// row: every pooling, weighted or not, at two alignments, on every path,
/// against the oracle and the portable path (on other targets the 2 KB
/// rows check the one loop at those widths).
#[test]
fn bags_of_4k_rows() {
    if cfg!(miri) {
        // Under Miri, one bag of ten rows, each path against the portable
        // one: the full case below takes minutes there.
        let mut rng = TestRng(900);
        let dim = 1024;
        let buf = table_buf::<f32>(&mut rng, 12, dim, false, 1);
        let table = Table::new(&buf[1..], dim).unwrap();
        let idx: Vec<u32> = indices(&mut rng, 10, 12);
        let weights: Vec<f32> = (0..10).map(|_| rng.finite().clamp(-4.0, 4.0)).collect();
        let offsets = [0u32, 10];
        for (pooling, weighted) in [(Pooling::Mean, true), (Pooling::Max, false)] {
            let mut bags = Bags::new(&idx, &offsets);
            if weighted {
                bags = bags.with_weights(&weights);
            }
            let mut want = vec![0.0f32; dim];
            Kernels::portable()
                .gather_bags(table, bags, pooling, &mut want)
                .unwrap();
            for k in kernels() {
                let mut got = vec![0.0f32; dim];
                k.gather_bags(table, bags, pooling, &mut got).unwrap();
                assert_same("bags of 4 KB rows", k.isa(), &got, &want);
            }
        }
        return;
    }
    let mut seed = 900;
    for (shift, kb) in [(0, 4), (1, 4), (0, 2), (1, 2)] {
        for elem in 0..3 {
            seed += 1;
            let dim = if elem == 0 { kb * 256 } else { kb * 512 };
            let s = Shape {
                rows: 40,
                dim,
                n: 300,
                seed,
                shift,
            };
            for pooling in POOLINGS {
                for weighted in [false, true] {
                    bags_case(elem, 2, s, pooling, weighted, BagMode::Distinct);
                    bags_case(elem, 5, s, pooling, weighted, BagMode::AnyBits);
                }
            }
        }
    }
}

// ------------------------------------------------------- large tables

/// Tables of 4 MiB and more take the prefetching loops (rows prefetched
/// ahead in gather and scatter-add, the next bag's rows in bags). The oracle
/// is too dear at this size (`n · rows · dim`), so each path is held to the
/// portable path bit for bit, and gather to the table's rows directly.
fn check_large<T: TestElement + GatherInto<f32>>(rows: usize, dim: usize, n: usize, seed: u64) {
    let s = Shape {
        rows,
        dim,
        n,
        seed,
        shift: 1,
    };
    let mut rng = TestRng(seed);
    let buf = table_buf::<T>(&mut rng, rows, dim, false, s.shift);
    assert!(
        std::mem::size_of_val(&buf[1..]) >= 4 << 20,
        "table must reach the prefetch threshold"
    );
    let mut data = buf[1..].to_vec();
    let table = Table::new(&data, dim).unwrap();
    let idx: Vec<u32> = indices(&mut rng, n, rows);
    let what = format!("large {} table {rows}x{dim}", T::name());

    let mut want = vec![0.0f32; n * dim];
    Kernels::portable().gather(table, &idx, &mut want).unwrap();
    for (i, &r) in idx.iter().enumerate() {
        let row: Vec<f32> = data[r as usize * dim..][..dim]
            .iter()
            .map(|x| x.to_f32())
            .collect();
        assert_same(&what, Isa::Portable, &want[i * dim..][..dim], &row);
    }
    let offsets: Vec<u32> = (0..=n / 10)
        .map(|b| (b * 10).min(n) as u32)
        .chain([n as u32])
        .collect();
    let weights: Vec<f32> = (0..n).map(|_| rng.finite().clamp(-4.0, 4.0)).collect();
    let grad: Vec<f32> = (0..n * dim).map(|_| rng.finite()).collect();
    let bags = Bags::new(&idx, &offsets);
    let bags_out = |k: Kernels, pooling, weighted: bool| {
        let mut out = vec![0.0f32; (offsets.len() - 1) * dim];
        let b = if weighted {
            bags.with_weights(&weights)
        } else {
            bags
        };
        k.gather_bags(table, b, pooling, &mut out).unwrap();
        out
    };
    let portable_bags: Vec<Vec<f32>> = [(Pooling::Sum, true), (Pooling::Max, false)]
        .iter()
        .map(|&(p, w)| bags_out(Kernels::portable(), p, w))
        .collect();
    let want_scattered = scattered(Kernels::portable(), &data, dim, &idx, &grad, 0.25);
    for k in kernels() {
        let mut got = vec![0.0f32; n * dim];
        k.gather(table, &idx, &mut got).unwrap();
        assert_same(&what, k.isa(), &got, &want);
        for (&(p, w), want) in [(Pooling::Sum, true), (Pooling::Max, false)]
            .iter()
            .zip(&portable_bags)
        {
            assert_same(&what, k.isa(), &bags_out(k, p, w), want);
        }
        let t = scattered(k, &data, dim, &idx, &grad, 0.25);
        assert_same(&what, k.isa(), &t, &want_scattered);
    }
    data.clear();
}

/// `Kernels::best()` (what the free functions use) may send a call to a
/// narrower path by kernel, format and row width. Its results are the
/// portable path's, bit for bit, at the widths its rules name (1: f32
/// Sum/Mean/weighted bags on SSE2 where AVX2 is the best path; 4 and 8:
/// f16 gathers on AVX2 under AVX-512; 9–15, 16–39, 49: f32 scatter-add and
/// bags between AVX-512 and AVX2; on Intel CPUs, 1–2 and 17–27 f32 copies
/// on AVX-512's 256-bit form and the portable path, 2–7 and 17–26 bf16
/// gathers, 9–16 f16 and bf16 scatter-add, 16, 48 and 64–96 bags between
/// the two AVX-512 widths) and at their neighbours.
#[test]
fn best_takes_its_row_width_rules() {
    fn check<T: TestElement + GatherInto<f32>>(rng: &mut TestRng, dim: usize) {
        let rows = 9;
        let data: Vec<T> = fill(rng, rows * dim, false);
        let table = Table::new(&data, dim).unwrap();
        let idx: Vec<u32> = (0..23).map(|_| rng.below(rows) as u32).collect();
        let offsets = [0u32, 1, 1, 7, 23];
        let weights: Vec<f32> = (0..idx.len())
            .map(|_| rng.finite().clamp(-4.0, 4.0))
            .collect();
        let grad: Vec<f32> = (0..idx.len() * dim).map(|_| rng.finite()).collect();
        let what = format!("Kernels::best, {} dim {dim}", T::name());
        let (best, portable) = (Kernels::best(), Kernels::portable());

        let gathered = |k: Kernels| {
            let mut out = vec![0.0f32; idx.len() * dim];
            k.gather(table, &idx, &mut out).unwrap();
            out
        };
        assert_same(&what, best.isa(), &gathered(best), &gathered(portable));
        for pooling in POOLINGS {
            for weighted in [false, true] {
                if weighted && pooling == Pooling::Max {
                    continue; // weights with Max are an error
                }
                let bags = Bags::new(&idx[..], &offsets[..]);
                let bags = if weighted {
                    bags.with_weights(&weights)
                } else {
                    bags
                };
                let pooled = |k: Kernels| {
                    let mut out = vec![0.0f32; (offsets.len() - 1) * dim];
                    k.gather_bags(table, bags, pooling, &mut out).unwrap();
                    out
                };
                let what = format!("{what}, {pooling:?} bags, weighted {weighted}");
                assert_same(&what, best.isa(), &pooled(best), &pooled(portable));
            }
        }
        let got = scattered(best, &data, dim, &idx, &grad, 0.5);
        let want = scattered(portable, &data, dim, &idx, &grad, 0.5);
        assert_same(&format!("{what}, scatter-add"), best.isa(), &got, &want);
    }
    let mut rng = TestRng(0xb357);
    let dims: &[usize] = if cfg!(miri) {
        &[1, 2, 9, 17]
    } else {
        &[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 15, 16, 17, 24, 25, 26, 27, 28, 32, 33, 39, 40, 48, 49,
            64, 65, 96, 129, 200,
        ]
    };
    for &dim in dims {
        check::<f32>(&mut rng, dim);
        check::<f16>(&mut rng, dim);
        check::<bf16>(&mut rng, dim);
    }
}

#[test]
#[cfg_attr(miri, ignore = "4 MiB tables are too slow under Miri")]
fn large_tables_take_the_prefetch_path() {
    check_large::<f32>(17_000, 64, 3000, 11);
    check_large::<f16>(40_000, 57, 2000, 12);
    check_large::<bf16>(3_000, 700, 400, 13);
    // Rows over 2 KB, of which the prefetch takes the first 512 bytes.
    check_large::<f32>(1_100, 1_000, 300, 14);
}

/// Scatter-add into tables between 200 KiB and 4 MiB with rows of 256
/// bytes or more: on SSE2 the loop that prefetches the next row's first KB.
/// Each path is held to the portable path bit for bit, with repeated rows
/// (the ids cover a few rows only, so every row is updated several times),
/// on tables just past the threshold and with rows past the 1 KB head.
#[test]
fn mid_tables_prefetch_the_next_row() {
    fn check<T: TestElement>(rows: usize, dim: usize, seed: u64) {
        let n = if cfg!(miri) { 12 } else { 400 };
        let mut rng = TestRng(seed);
        let buf = table_buf::<T>(&mut rng, rows, dim, false, 1);
        let data = &buf[1..];
        let bytes = std::mem::size_of_val(data);
        assert!((200 << 10..4 << 20).contains(&bytes) && dim * std::mem::size_of::<T>() >= 256);
        // Ids among the first and the last rows, repeating.
        let idx: Vec<u32> = (0..n)
            .map(|_| {
                let r = rng.below(8) as u32;
                if r < 4 { r } else { rows as u32 - 8 + r }
            })
            .collect();
        let grad: Vec<f32> = (0..n * dim)
            .map(|_| rng.finite().clamp(-8.0, 8.0))
            .collect();
        let what = format!("scatter-add {} {rows}x{dim}", T::name());
        let want = scattered(Kernels::portable(), data, dim, &idx, &grad, 0.5);
        for k in kernels() {
            let got = scattered(k, data, dim, &idx, &grad, 0.5);
            assert_same(&what, k.isa(), &got, &want);
        }
    }
    check::<f32>(1000, 100, 21);
    // (Under Miri, the one table: the row loop is the same for each
    // element type, and each table costs minutes there.)
    if !cfg!(miri) {
        check::<f32>(400, 1000, 22);
        check::<f16>(700, 300, 23);
        check::<bf16>(1000, 257, 24);
    }
}

/// Gathers into f32 that spill whole vectors past a row (`decode_spill`:
/// rows of f16 and bf16 narrower than four vectors) give every row its own
/// values and write nothing past the output: the output is a prefix of a
/// larger buffer whose tail must stay untouched, on every path, every dim
/// 1..=70, with every row of the table among the indices. The table is its own
/// allocation, so under Miri a read past its end is an error too.
#[test]
fn spilled_rows_stay_inside() {
    let dims: Vec<usize> = if cfg!(miri) {
        vec![2, 3, 5, 9, 13]
    } else {
        (1..=70).collect()
    };
    for dim in dims {
        check_spill::<f16>(dim);
        check_spill::<bf16>(dim);
    }
}

fn check_spill<T: Element + GatherInto<f32>>(dim: usize) {
    let rows = 5;
    let data: Vec<T> = (0..rows * dim)
        .map(|v| T::from_f32(v as f32 + 1.0))
        .collect();
    let table = Table::new(&data, dim).unwrap();
    // The last table row (whose vectors would pass the table's end) at the
    // start and in the middle; row 0 last (whose would pass the output's).
    let idx: Vec<u32> = (0..rows as u32)
        .rev()
        .chain(0..rows as u32)
        .chain([0])
        .collect();
    let n = idx.len();
    for k in kernels() {
        let mut buf = vec![-7.0f32; n * dim + 64];
        k.gather(table, &idx, &mut buf[..n * dim]).unwrap();
        for (i, &r) in idx.iter().enumerate() {
            for j in 0..dim {
                let want = data[r as usize * dim + j].to_f32();
                assert_eq!(
                    buf[i * dim + j].to_bits(),
                    want.to_bits(),
                    "{} dim {dim} on {}: position {i} column {j}",
                    std::any::type_name::<T>(),
                    k.isa()
                );
            }
        }
        assert!(
            buf[n * dim..].iter().all(|&x| x == -7.0),
            "{} dim {dim} on {}: wrote past the output",
            std::any::type_name::<T>(),
            k.isa()
        );
    }
}
