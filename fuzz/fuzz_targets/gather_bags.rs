//! `gather_bags` on every table format (f32, f16, bf16 and the quantized
//! ones), every index type and pooling, with and without weights, on valid
//! and broken offsets: the documented error or the model's bits (index
//! order, the documented divisor, NaN-propagating Max), the same on every
//! path, equal to the bags of the decoded f32 table, and to the one-hot
//! oracle where its order of additions is the kernels' (distinct ascending
//! indices per bag) on finite tables.
#![no_main]

use embedding_kernels::{Bags, Error, Format, GatherInto, Index, Kernels, Pooling, Table, onehot};
use embedding_kernels_fuzz::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = In::new(data);
    let (f, i) = (u.u8(), u.u8());
    with_index!(i, I => if f % 2 == 0 {
        with_float!(f / 2, T => float::<T, I>(&mut u))
    } else {
        with_quantized!(f / 2, F, unit => quantized::<F, I>(&mut u, unit))
    });
});

fn float<T: FuzzElement + GatherInto<f32>, I: FuzzIndex>(u: &mut In<'_>) {
    let finite = u.one_in(2);
    let dim = u.dim(1, 40);
    let rows = if dim <= 64 { u.below(9) } else { 0 };
    let data: Vec<T> = (0..rows * dim).map(|_| u.elem::<T>(finite)).collect();
    let pad = u.below(4);
    let buf = padded(&data, pad);
    let Ok(table) = Table::new(&buf[pad..], dim) else {
        assert_eq!(dim, 0);
        return;
    };
    check::<T, I>(u, table);
}

fn quantized<F: Format<Unit = u8> + GatherInto<f32>, I: FuzzIndex>(u: &mut In<'_>, unit: usize) {
    let dim = u.dim(unit, 100);
    let Ok(row_bytes) = F::row_units(dim) else {
        return;
    };
    let rows = if row_bytes <= 512 { u.below(7) } else { 0 };
    let pad = u.below(8);
    let buf = u.bytes(pad + rows * row_bytes);
    let table = Table::<F>::from_bytes(&buf[pad..], dim).expect("whole rows");
    check::<F, I>(u, table);
}

const POOLINGS: [Pooling; 4] = [Pooling::Sum, Pooling::Mean, Pooling::SqrtN, Pooling::Max];

/// Offsets cutting `n` indices into bags: valid cut points, sometimes
/// broken (empty, a value changed, one dropped).
fn offsets<I: FuzzIndex>(u: &mut In<'_>, n: usize) -> Vec<I> {
    let bags = u.below(7);
    let mut cuts: Vec<usize> = (0..bags.saturating_sub(1))
        .map(|_| u.below(n + 1))
        .collect();
    cuts.sort_unstable();
    let mut v: Vec<I> = std::iter::once(0)
        .chain(cuts)
        .chain((bags > 0).then_some(n))
        .map(|c| I::from_i64(c as i64))
        .collect();
    match u.u8() % 16 {
        0 => v.clear(),
        1 if !v.is_empty() => {
            let p = u.below(v.len());
            v[p] = u.index::<I>(n + 1);
        }
        2 if !v.is_empty() => {
            let p = u.below(v.len());
            v.remove(p);
        }
        3 => v.push(u.index::<I>(n + 2)),
        _ => {}
    }
    v
}

/// The documented checking order of `gather_bags`.
fn expected<I: Index>(
    idx: &[I],
    offsets: &[I],
    weights: Option<&[f32]>,
    pooling: Pooling,
    dim: usize,
    rows: usize,
    out_len: usize,
) -> Result<(), Error> {
    let n = idx.len();
    match weights {
        Some(_) if pooling == Pooling::Max => return Err(Error::WeightsWithMax),
        Some(w) => length(w.len(), n, WEIGHTS_LENGTH)?,
        None => {}
    }
    let Some((first, rest)) = offsets.split_first() else {
        return Err(Error::OffsetsEmpty);
    };
    if first.value() != 0 {
        return Err(Error::FirstOffset {
            value: first.value(),
        });
    }
    let mut previous = first.value();
    for (p, o) in rest.iter().enumerate() {
        let v = o.value();
        if v < 0 || v > n as i128 {
            return Err(Error::OffsetOutOfRange {
                position: p + 1,
                value: v,
                len: n,
            });
        }
        if v < previous {
            return Err(Error::OffsetsDecreasing {
                position: p + 1,
                value: v,
                previous,
            });
        }
        previous = v;
    }
    if previous != n as i128 {
        return Err(Error::LastOffset {
            value: previous,
            len: n,
        });
    }
    let expected = rest.len().saturating_mul(dim);
    length_then_indices(out_len, expected, OUTPUT_LENGTH, idx, rows)
}

/// The documented semantics over the decoded f32 table `dec`.
fn model<I: Index>(
    dec: &[f32],
    dim: usize,
    idx: &[I],
    offsets: &[I],
    weights: Option<&[f32]>,
    pooling: Pooling,
) -> Vec<f32> {
    let mut out = vec![0.0f32; (offsets.len() - 1) * dim];
    for (b, o) in out.chunks_exact_mut(dim).enumerate() {
        let (s, e) = (offsets[b].value() as usize, offsets[b + 1].value() as usize);
        let row = |t: usize| &dec[idx[t].value() as usize * dim..][..dim];
        if s == e {
            continue;
        }
        let w = weights.filter(|_| pooling != Pooling::Max);
        for t in s..e {
            for (j, y) in o.iter_mut().enumerate() {
                let x = row(t)[j];
                let term = w.map_or(x, |w| w[t] * x);
                *y = if t == s {
                    term
                } else if pooling == Pooling::Max {
                    if y.is_nan() {
                        *y
                    } else if x.is_nan() || x > *y {
                        x
                    } else {
                        *y
                    }
                } else {
                    *y + term
                };
            }
        }
        let count = e - s;
        let d = match (pooling, w) {
            (Pooling::Mean, None) => Some(count as f32),
            (Pooling::Mean, Some(w)) => Some(w[s..e].iter().fold(0.0f32, |a, &x| a + x)),
            (Pooling::SqrtN, None) => Some((count as f32).sqrt()),
            (Pooling::SqrtN, Some(w)) => {
                Some(w[s..e].iter().fold(0.0f32, |a, &x| a + x * x).sqrt())
            }
            _ => None,
        };
        if let Some(d) = d {
            for y in o.iter_mut() {
                *y = if d == 0.0 { 0.0 } else { *y / d };
            }
        }
    }
    out
}

fn check<F: Format + GatherInto<f32>, I: FuzzIndex>(u: &mut In<'_>, table: Table<'_, F>) {
    let (rows, dim) = (table.rows(), table.dim());
    let idx = u.indices::<I>(rows, 24);
    let n = idx.len();
    let offsets = offsets::<I>(u, n);
    let pooling = POOLINGS[u.below(4)];
    let weights: Option<Vec<f32>> = match u.u8() % 4 {
        0 | 1 => None,
        k => {
            let m = u.len_near(n);
            Some((0..m).map(|_| u.f32(k == 2)).collect())
        }
    };
    let bags_count = offsets.len().saturating_sub(1);
    let out_len = u.len_near(bags_count.saturating_mul(dim));
    let mut bags = Bags::new(&idx, &offsets);
    if let Some(w) = &weights {
        bags = bags.with_weights(w);
    }
    let weights = weights.as_deref();
    let expect = expected(&idx, &offsets, weights, pooling, dim, rows, out_len);
    let what = |p: &dyn std::fmt::Debug| {
        format!(
            "bags {} {pooling:?} dim {dim} rows {rows} idx {idx:?} offsets {offsets:?} weights {weights:?} on {p:?}",
            F::NAME
        )
    };

    let call = |p: Path, out: &mut [f32]| p.gather_bags(table, bags, pooling, out);
    let check_ok = |want: &[f32]| {
        // The table decoded to f32, as gather writes it.
        let all: Vec<u32> = (0..rows as u32).collect();
        let mut dec = vec![0.0f32; rows * dim];
        Kernels::portable().gather(table, &all, &mut dec).unwrap();
        let m = model(&dec, dim, &idx, &offsets, weights, pooling);
        assert_same(&what(&"portable vs the model"), want, &m);
        if F::NAME != "f32" {
            // The bags of the decoded f32 table, bit for bit.
            let mut f = vec![0.0f32; out_len];
            Kernels::portable()
                .gather_bags(Table::new(&dec, dim).unwrap(), bags, pooling, &mut f)
                .unwrap();
            assert_same(&what(&"vs the decoded f32 table's bags"), want, &f);
        }
        let finite = dec
            .iter()
            .chain(weights.iter().copied().flatten())
            .all(|x| x.is_finite());
        let ascending = offsets.windows(2).all(|o| {
            let (s, e) = (o[0].value() as usize, o[1].value() as usize);
            idx[s..e].windows(2).all(|p| p[0].value() < p[1].value())
        });
        if finite && small(bags_count, rows, dim) && (pooling == Pooling::Max || ascending) {
            let mut a = vec![0.0f32; bags_count * rows];
            onehot::multi_hot(bags, rows, &mut a).unwrap();
            let mut c = vec![0.0f32; out_len];
            onehot::pool(&a, Table::new(&dec, dim).unwrap(), pooling, &mut c).unwrap();
            assert_oracle(&what(&"one-hot oracle"), want, &c);
        }
    };
    let before = sentinel::<f32>(out_len);
    check_paths(&what, &before, expect, assert_same, call, check_ok);
}
