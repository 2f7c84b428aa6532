//! Golden vectors from the reference implementations (`tests/data/golden/`,
//! made by `make_golden.py` with PyTorch/FBGEMM and gguf-py; see its
//! manifest for the layout): our quantizers give the same bytes, our
//! dequantizer and every gather path the same values, and our bags stay
//! within the stated bound of PyTorch's fused quantized bags.
//!
//! Read with `std::fs` at run time (nothing is compiled in); skipped under
//! Miri, which forbids file access by default.
#![cfg(not(miri))]

mod common;

use std::path::PathBuf;

use common::*;
use embedding_kernels::quantized::{
    Q4_0, Q4_K, Q6_K, Q8_0, Quantize, Rowwise2, Rowwise4, Rowwise8, dequantize, quantize,
};
use embedding_kernels::{Bags, Format, GatherInto, Isa, Pooling, Table, f16};

/// PyTorch's quantized bags fuse (`acc = fma(w·scale, q, acc + w·bias)`
/// per row); ours pool the dequantized values unfused. Per element, the
/// difference is held to `BOUND · 2⁻²⁴ · Σ (|w·scale·q| + |w·bias|)`, the
/// sum of the absolute values of PyTorch's terms. (Relative to the values'
/// own sum Σ|w·v| there is no such bound: `scale·q` and `bias` may cancel.)
const BOUND: f64 = 8.0;

fn dir() -> PathBuf {
    // Under WASI only the current directory (cargo runs tests from the
    // package root) is preopened.
    if cfg!(target_os = "wasi") {
        PathBuf::from("tests/data/golden")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden")
    }
}

fn read(fmt: &str, name: &str) -> Vec<u8> {
    let p = dir().join(fmt).join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[derive(Default, Debug)]
struct Counts {
    tables: usize,
    elements: usize,
    quant_bytes: usize,
    bags: usize,
    bag_elements: usize,
    worst: f64,
}

/// The table `q`: our dequantizer gives the reference's values `deq` bit
/// for bit, signed zeros included, and so does every gather path for the
/// rows `idx`. Returns our dequantized values.
fn dequantize_and_gather<F: GatherInto<f32>>(
    case: &str,
    q: &[u8],
    deq: &[f32],
    dim: usize,
    idx: &[u32],
) -> Vec<f32> {
    let fmt = F::NAME;
    let table = Table::<F>::from_bytes(q, dim).unwrap();
    let mut got = vec![0.0f32; deq.len()];
    dequantize(table, &mut got).unwrap();
    assert_same::<f32>(
        &format!("{fmt}/{case} dequantize"),
        Isa::Portable,
        &got,
        deq,
    );
    let want = rows_of(deq, dim, idx);
    assert_gather_every_path(&format!("{fmt}/{case} gather"), table, idx, &want, None);
    got
}

/// One table case: quantizer bytes, dequantized values, every gather path.
fn table_case<F: Quantize>(case: &str, rows: usize, dim: usize, c: &mut Counts) {
    let fmt = F::NAME;
    let input = f32s(&read(fmt, &format!("{case}.input.f32")));
    let q = read(fmt, &format!("{case}.q"));
    let deq = f32s(&read(fmt, &format!("{case}.deq.f32")));
    assert_eq!(input.len(), rows * dim, "{fmt}/{case}");
    assert_eq!(q.len(), rows * F::row_units(dim).unwrap(), "{fmt}/{case}");

    let mut ours = vec![0u8; q.len()];
    quantize::<F>(&input, dim, &mut ours).unwrap();
    if let Some(p) = (0..q.len()).find(|&p| ours[p] != q[p]) {
        let rb = F::row_units(dim).unwrap();
        panic!(
            "{fmt}/{case}: quantized byte {p} (row {}, byte {}) is {:#04x}, the reference's {:#04x}",
            p / rb,
            p % rb,
            ours[p],
            q[p]
        );
    }
    let idx: Vec<u32> = (0..rows as u32).rev().collect();
    let got = dequantize_and_gather::<F>(case, &q, &deq, dim, &idx);
    if fmt.starts_with("rowwise") {
        // PyTorch's lookup of each row (a bag of one) is the same value.
        let lookup = f32s(&read(fmt, &format!("{case}.lookup.f32")));
        assert_same::<f32>(
            &format!("{fmt}/{case} lookup"),
            Isa::Portable,
            &got,
            &lookup,
        );
    }
    c.tables += 1;
    c.elements += rows * dim;
    c.quant_bytes += q.len();
}

/// One dequantize-only table case (the GGUF K-quants, random valid blocks
/// dequantized by gguf-py): our dequantizer and every gather path give the
/// reference's values bit for bit, signed zeros included.
fn deq_case<F: Format<Unit = u8> + GatherInto<f32>>(
    case: &str,
    rows: usize,
    dim: usize,
    c: &mut Counts,
) {
    let fmt = F::NAME;
    let q = read(fmt, &format!("{case}.q"));
    let deq = f32s(&read(fmt, &format!("{case}.deq.f32")));
    assert_eq!(deq.len(), rows * dim, "{fmt}/{case}");
    assert_eq!(q.len(), rows * F::row_units(dim).unwrap(), "{fmt}/{case}");
    let idx: Vec<u32> = (0..rows as u32).rev().chain(0..rows as u32).collect();
    dequantize_and_gather::<F>(case, &q, &deq, dim, &idx);
    c.tables += 1;
    c.elements += rows * dim;
    c.quant_bytes += q.len();
}

/// Code, scale and bias of element `j` of a row-wise row.
fn rowwise_parts(fmt: &str, row: &[u8], j: usize) -> (f64, f64, f64) {
    if fmt == "rowwise8" {
        let dim = row.len() - 8;
        let s = f32::from_le_bytes(row[dim..dim + 4].try_into().unwrap());
        let b = f32::from_le_bytes(row[dim + 4..].try_into().unwrap());
        (row[j] as f64, s as f64, b as f64)
    } else {
        let bits = if fmt == "rowwise4" { 4 } else { 2 };
        let k = 8 / bits;
        let at = row.len() - 4;
        let s = f16::from_le_bytes([row[at], row[at + 1]]).to_f64();
        let b = f16::from_le_bytes([row[at + 2], row[at + 3]]).to_f64();
        let q = (row[j / k] >> ((j % k) * bits)) & ((1 << bits) - 1);
        (q as f64, s, b)
    }
}

/// One bag file: our bags on every path equal the f32 bags of the
/// dequantized table bit for bit, and PyTorch's within the bound.
fn bag_case<F: Quantize>(case: &str, stem: &str, dim: usize, c: &mut Counts) {
    let fmt = F::NAME;
    let q = read(fmt, &format!("{case}.q"));
    let deq = f32s(&read(fmt, &format!("{case}.deq.f32")));
    let b = read(fmt, &format!("{stem}.bin"));
    let u32_at = |p: usize| u32::from_le_bytes(b[p..p + 4].try_into().unwrap()) as usize;
    let (n, n_bags, weighted, mode) = (u32_at(0), u32_at(4), u32_at(8) != 0, u32_at(12));
    assert_eq!(mode, 0, "{fmt}/{stem}: only sum bags are recorded");
    let mut at = 16;
    let mut i64s = |count: usize| {
        let v: Vec<i64> = b[at..at + 8 * count]
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        at += 8 * count;
        v
    };
    let idx = i64s(n);
    let offsets = i64s(n_bags + 1);
    let weights = weighted.then(|| f32s(&b[at..at + 4 * n]));
    let at = at + if weighted { 4 * n } else { 0 };
    let torch = f32s(&b[at..]);
    assert_eq!(torch.len(), n_bags * dim, "{fmt}/{stem}");

    let table = Table::<F>::from_bytes(&q, dim).unwrap();
    let bags = Bags::new(&idx, &offsets);
    let bags = match &weights {
        Some(w) => bags.with_weights(w),
        None => bags,
    };
    let wide = Table::new(&deq, dim).unwrap();
    let what = format!("{fmt}/{stem} bags");
    let want = assert_bags_every_path(&what, wide, table, bags, Pooling::Sum);
    let rb = F::row_units(dim).unwrap();
    for m in 0..n_bags {
        for j in 0..dim {
            let mut terms = 0.0f64;
            for t in offsets[m] as usize..offsets[m + 1] as usize {
                let r = idx[t] as usize;
                let (qv, s, bias) = rowwise_parts(fmt, &q[r * rb..(r + 1) * rb], j);
                let w = weights.as_ref().map_or(1.0, |w| w[t] as f64);
                terms += (w * s * qv).abs() + (w * bias).abs();
            }
            let (ours, theirs) = (want[m * dim + j] as f64, torch[m * dim + j] as f64);
            let diff = (ours - theirs).abs();
            let ratio = if diff == 0.0 {
                0.0
            } else {
                diff / (terms * 2f64.powi(-24))
            };
            assert!(
                ratio <= BOUND,
                "{fmt}/{stem} bag {m} column {j}: ours {ours}, PyTorch {theirs}: \
                 {ratio:.2} · 2^-24 of the terms' absolute sum {terms}"
            );
            c.worst = c.worst.max(ratio);
        }
    }
    c.bags += 1;
    c.bag_elements += n_bags * dim;
}

#[test]
fn golden_vectors() {
    let manifest = std::fs::read_to_string(dir().join("manifest.txt")).expect("golden manifest");
    let mut counts: std::collections::BTreeMap<String, Counts> = Default::default();
    let mut dims: std::collections::HashMap<(String, String), usize> = Default::default();
    let mut skipped = std::collections::BTreeMap::<String, usize>::new();
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (kind, fmt, case) = (f[0], f[1], f[2]);
        let c = counts.entry(fmt.to_string()).or_default();
        macro_rules! by_format {
            ($call:ident, $($arg:expr),*) => {
                match fmt {
                    "rowwise8" => $call::<Rowwise8>($($arg),*),
                    "rowwise4" => $call::<Rowwise4>($($arg),*),
                    "rowwise2" => $call::<Rowwise2>($($arg),*),
                    "q8_0" => $call::<Q8_0>($($arg),*),
                    "q4_0" => $call::<Q4_0>($($arg),*),
                    _ => {
                        *skipped.entry(fmt.to_string()).or_default() += 1;
                    }
                }
            };
        }
        match kind {
            // GGUF K-quants: dequantize only (no input, no quantizer).
            "table" if fmt == "q4_k" || fmt == "q6_k" => {
                let (rows, dim): (usize, usize) = (f[3].parse().unwrap(), f[4].parse().unwrap());
                if fmt == "q4_k" {
                    deq_case::<Q4_K>(case, rows, dim, c);
                } else {
                    deq_case::<Q6_K>(case, rows, dim, c);
                }
            }
            "table" => {
                let (rows, dim): (usize, usize) = (f[3].parse().unwrap(), f[4].parse().unwrap());
                dims.insert((fmt.to_string(), case.to_string()), dim);
                by_format!(table_case, case, rows, dim, c);
            }
            "bags" => {
                let dim = dims[&(fmt.to_string(), case.to_string())];
                by_format!(bag_case, case, f[3], dim, c);
            }
            _ => panic!("manifest line {line:?}"),
        }
    }
    counts.retain(|_, c| c.tables > 0);
    eprintln!("golden vectors checked (skipped formats: {skipped:?}):");
    for (fmt, c) in &counts {
        eprintln!(
            "  {fmt}: {} tables, {} elements, {} quantized bytes; {} bag files, {} bag outputs, \
             largest PyTorch difference {:.3} · 2^-24 of the terms' absolute sum",
            c.tables, c.elements, c.quant_bytes, c.bags, c.bag_elements, c.worst
        );
    }
    assert!(skipped.is_empty(), "formats without a check: {skipped:?}");
    for fmt in ["q4_k", "q6_k"] {
        let c = counts
            .get(fmt)
            .unwrap_or_else(|| panic!("no golden tables for {fmt}"));
        assert!(c.tables >= 3, "{fmt}: only {} golden tables", c.tables);
        assert!(c.elements >= 2304, "{fmt}: only {} elements", c.elements);
    }
    for fmt in ["rowwise8", "rowwise4", "rowwise2", "q8_0", "q4_0"] {
        let c = counts
            .get(fmt)
            .unwrap_or_else(|| panic!("no golden tables for {fmt}"));
        assert!(c.tables >= 5, "{fmt}: only {} golden tables", c.tables);
        if fmt.starts_with("rowwise") {
            assert!(c.bags >= 10, "{fmt}: only {} golden bag files", c.bags);
        }
    }
}
