//! A quick single-thread performance report (well under a minute): for each
//! case of DESIGN.md section 7 and each ISA path this CPU has, GB/s, the
//! ratio to a copy of the same bytes (the faster of `memcpy` and a plain
//! AVX2 loop, see `copy_loop`) and the ratio to the naive loop, all
//! measured in the same run, interleaved, median of rounds.
//!
//! `cargo run --release --example report`
//!
//! Ratios, not absolute GB/s, are what carry between runs: the machines are
//! shared and noisy.

use std::hint::black_box;
use std::time::Instant;

use embedding_kernels::{
    Bags, Isa, Kernels, Pooling, Table, TableMut, f16, gather, gather_bags, onehot, scatter_add,
};

const LOOKUPS: usize = 4096;
const ROUNDS: usize = 15;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn ids(&mut self, n: usize, rows: usize) -> Vec<u32> {
        (0..n).map(|_| (self.next() % rows as u64) as u32).collect()
    }
}

/// The copy yardstick: on some x86 machines glibc's `memcpy` (behind
/// `copy_from_slice`) is many times slower for 64 KB to 256 KB copies,
/// depending on the distance between source and destination (AMD's
/// `rep movsb`). The report measures both `copy_from_slice` and this plain
/// AVX2 loop, and takes ratios against the faster of the two.
fn copy_loop(dst: &mut [f32], src: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected just above.
        unsafe { copy_avx2(dst, src) };
        return;
    }
    dst.copy_from_slice(src);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn copy_avx2(dst: &mut [f32], src: &[f32]) {
    use std::arch::x86_64::*;
    let n = dst.len().min(src.len());
    let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
    let mut i = 0;
    // SAFETY: every access is below `n`, within both slices.
    unsafe {
        while i + 32 <= n {
            let a = _mm256_loadu_ps(s.add(i));
            let b = _mm256_loadu_ps(s.add(i + 8));
            let c = _mm256_loadu_ps(s.add(i + 16));
            let e = _mm256_loadu_ps(s.add(i + 24));
            _mm256_storeu_ps(d.add(i), a);
            _mm256_storeu_ps(d.add(i + 8), b);
            _mm256_storeu_ps(d.add(i + 16), c);
            _mm256_storeu_ps(d.add(i + 24), e);
            i += 32;
        }
        while i < n {
            *d.add(i) = *s.add(i);
            i += 1;
        }
    }
}

/// The two copy yardsticks of `n` floats, as variants.
fn copies<'a>(src: &'a [f32], dst: &'a std::cell::RefCell<Vec<f32>>) -> Vec<Variant<'a>> {
    vec![
        (
            "memcpy".into(),
            Box::new(move || dst.borrow_mut().copy_from_slice(black_box(src))),
        ),
        (
            "copy-loop".into(),
            Box::new(move || copy_loop(&mut dst.borrow_mut(), black_box(src))),
        ),
    ]
}

/// The next id set, shared by all variants of a case: consecutive calls,
/// whichever variant makes them, never reuse a recent set, so on the large
/// tables rows really come from DRAM and no variant reads rows another just
/// pulled into cache.
fn next(turn: &std::cell::Cell<usize>, sets: usize) -> usize {
    let s = turn.get();
    turn.set((s + 1) % sets);
    s
}

/// A named variant: a closure doing one unit of work.
type Variant<'a> = (String, Box<dyn FnMut() + 'a>);

/// Times every variant, interleaved round by round; returns the median
/// seconds per call of each.
fn measure(variants: &mut [Variant<'_>]) -> Vec<f64> {
    // Calibrate: enough calls per round for ~2 ms of the slowest variant.
    let mut reps = Vec::new();
    for (_, f) in variants.iter_mut() {
        f();
        let t = Instant::now();
        f();
        let one = t.elapsed().as_secs_f64().max(1e-7);
        reps.push(((2e-3 / one) as usize).clamp(1, 100_000));
    }
    let mut times = vec![Vec::new(); variants.len()];
    for _ in 0..ROUNDS {
        for (k, (_, f)) in variants.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..reps[k] {
                f();
            }
            times[k].push(t.elapsed().as_secs_f64() / reps[k] as f64);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// Prints one case: `bytes` per call; variants named "memcpy" and "naive"
/// are the yardsticks.
fn report(case: &str, bytes: usize, mut variants: Vec<Variant<'_>>) {
    // A second argument keeps only the cases whose title contains it.
    if let Some(filter) = std::env::args().nth(2)
        && !case.contains(filter.as_str())
    {
        return;
    }
    let t = measure(&mut variants);
    let find = |name: &str| variants.iter().position(|(n, _)| n == name).map(|k| t[k]);
    // The faster of the two copies is the yardstick.
    let memcpy = match (find("memcpy"), find("copy-loop")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let naive = find("naive");
    println!("{case}");
    for (k, (name, _)) in variants.iter().enumerate() {
        let gbs = bytes as f64 / t[k] / 1e9;
        let vs =
            |base: Option<f64>| base.map_or("      -".to_string(), |b| format!("{:7.2}", b / t[k]));
        println!(
            "  {name:<14} {gbs:8.2} GB/s  {:>7.2} us   x copy {}   x naive {}",
            t[k] * 1e6,
            vs(memcpy),
            vs(naive)
        );
    }
}

fn kernel_variants<'a>(mut make: impl FnMut(Kernels) -> Box<dyn FnMut() + 'a>) -> Vec<Variant<'a>> {
    let mut v: Vec<Variant<'a>> = Isa::available()
        .map(|isa| (isa.name().to_string(), make(Kernels::new(isa).unwrap())))
        .collect();
    v.push(("dispatched".to_string(), make(Kernels::best())));
    v
}

fn gather_case(rng: &mut Rng, rows: usize, dim: usize, sets: usize) {
    let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
    let ids: Vec<Vec<u32>> = (0..sets).map(|_| rng.ids(LOOKUPS, rows)).collect();
    let turn = &std::cell::Cell::new(0);
    let src = vec![1.0f32; LOOKUPS * dim];
    let out = std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
    let t = Table::new(&table, dim).unwrap();
    let mut variants: Vec<Variant<'_>> = copies(&src, &out);
    variants.push(("naive".into(), {
        let (table, ids, out) = (&table, &ids, &out);
        Box::new(move || {
            let s = next(turn, sets);
            let mut out = out.borrow_mut();
            for (o, &i) in out.chunks_exact_mut(dim).zip(black_box(&ids[s])) {
                let r = i as usize;
                o.copy_from_slice(&table[r * dim..(r + 1) * dim]);
            }
        })
    }));
    variants.extend(kernel_variants(|k| {
        let (ids, out) = (&ids, &out);
        Box::new(move || {
            let s = next(turn, sets);
            k.gather(t, black_box(&ids[s]), &mut out.borrow_mut())
                .unwrap();
        })
    }));
    let mb = (rows * dim * 4) >> 20;
    report(
        &format!("gather f32, {rows}x{dim} ({mb} MB table), {LOOKUPS} lookups"),
        LOOKUPS * dim * 4,
        variants,
    );
}

fn gather_f16_case(rng: &mut Rng, rows: usize, dim: usize) {
    let table: Vec<f16> = (0..rows * dim)
        .map(|v| f16::from_f32(v as f32 / 9.0))
        .collect();
    let ids = rng.ids(LOOKUPS, rows);
    let src = vec![1.0f32; LOOKUPS * dim];
    let out = std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
    let t = Table::new(&table, dim).unwrap();
    let mut variants: Vec<Variant<'_>> = copies(&src, &out);
    variants.push(("naive".into(), {
        let (table, ids, out) = (&table, &ids, &out);
        Box::new(move || {
            let mut out = out.borrow_mut();
            for (o, &i) in out.chunks_exact_mut(dim).zip(black_box(ids)) {
                let r = i as usize;
                for (y, x) in o.iter_mut().zip(&table[r * dim..(r + 1) * dim]) {
                    *y = x.to_f32();
                }
            }
        })
    }));
    variants.extend(kernel_variants(|k| {
        let (ids, out) = (&ids, &out);
        Box::new(move || k.gather(t, black_box(ids), &mut out.borrow_mut()).unwrap())
    }));
    report(
        &format!("gather f16->f32, {rows}x{dim}, {LOOKUPS} lookups"),
        LOOKUPS * dim * 4,
        variants,
    );
}

/// Indices of a power law over `rows` (Zipf-like, exponent about 1): many
/// repeats of a few hot rows, as in real id streams.
fn zipf_ids(rng: &mut Rng, n: usize, rows: usize) -> Vec<u32> {
    (0..n)
        .map(|_| {
            let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            (((rows as f64 + 1.0).powf(u) - 1.0) as usize).min(rows - 1) as u32
        })
        .collect()
}

/// Experiment: would grouping scatter-add by row pay? Its best case is
/// measured here with the grouping done for free (indices sorted stably by
/// row and gradient rows permuted to match, outside the timing), next to
/// the kernel on the original order. The result is the same either way.
fn scatter_grouping_experiment(rng: &mut Rng, rows: usize, dim: usize, sets: usize, zipf: bool) {
    let table = std::cell::RefCell::new(
        (0..rows * dim)
            .map(|v| (v % 5) as f32)
            .collect::<Vec<f32>>(),
    );
    let ids: Vec<Vec<u32>> = (0..sets)
        .map(|_| {
            if zipf {
                zipf_ids(rng, LOOKUPS, rows)
            } else {
                rng.ids(LOOKUPS, rows)
            }
        })
        .collect();
    let grad: Vec<f32> = (0..LOOKUPS * dim).map(|v| (v % 7) as f32).collect();
    let sorted: Vec<(Vec<u32>, Vec<f32>)> = ids
        .iter()
        .map(|ids| {
            let mut order: Vec<usize> = (0..ids.len()).collect();
            order.sort_by_key(|&p| ids[p]);
            let sids = order.iter().map(|&p| ids[p]).collect();
            let sgrad = order
                .iter()
                .flat_map(|&p| grad[p * dim..(p + 1) * dim].to_vec())
                .collect();
            (sids, sgrad)
        })
        .collect();
    let turn = &std::cell::Cell::new(0);
    let copy = std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
    // What the grouping itself would cost: a stable sort by row, with
    // positions, into caller scratch (no allocation).
    let scratch = std::cell::RefCell::new(vec![0u64; LOOKUPS]);
    let mut variants: Vec<Variant<'_>> = copies(&grad, &copy);
    let k = Kernels::best();
    variants.push(("as given".into(), {
        let (table, ids, grad) = (&table, &ids, &grad);
        Box::new(move || {
            let s = next(turn, sets);
            let mut t = table.borrow_mut();
            k.scatter_add(
                &mut TableMut::new(&mut t, dim).unwrap(),
                black_box(&ids[s]),
                grad,
                1e-6,
            )
            .unwrap();
        })
    }));
    variants.push(("pre-grouped".into(), {
        let (table, sorted) = (&table, &sorted);
        Box::new(move || {
            let s = next(turn, sets);
            let mut t = table.borrow_mut();
            let (sids, sgrad) = &sorted[s];
            k.scatter_add(
                &mut TableMut::new(&mut t, dim).unwrap(),
                black_box(sids),
                sgrad,
                1e-6,
            )
            .unwrap();
        })
    }));
    variants.push(("sort only".into(), {
        let (ids, scratch) = (&ids, &scratch);
        Box::new(move || {
            let s = next(turn, sets);
            let mut keys = scratch.borrow_mut();
            for (p, (k, &i)) in keys.iter_mut().zip(black_box(&ids[s])).enumerate() {
                *k = (u64::from(i) << 32) | p as u64;
            }
            keys.sort_unstable();
        })
    }));
    let repeats = LOOKUPS - {
        let mut u = ids[0].clone();
        u.sort_unstable();
        u.dedup();
        u.len()
    };
    report(
        &format!(
            "experiment: scatter-add grouped by row for free, {rows}x{dim}, {} ids ({repeats} of {LOOKUPS} repeats)",
            if zipf { "power-law" } else { "uniform" }
        ),
        LOOKUPS * dim * 4,
        variants,
    );
}

fn scatter_case(rng: &mut Rng, rows: usize, dim: usize, sets: usize) {
    // Written element by element: a zeroed `vec!` is calloc'd, and its pages
    // would fault in during the first timed calls.
    let table = std::cell::RefCell::new(
        (0..rows * dim)
            .map(|v| (v % 5) as f32)
            .collect::<Vec<f32>>(),
    );
    let ids: Vec<Vec<u32>> = (0..sets).map(|_| rng.ids(LOOKUPS, rows)).collect();
    let turn = &std::cell::Cell::new(0);
    let grad: Vec<f32> = (0..LOOKUPS * dim).map(|v| (v % 7) as f32).collect();
    let copy = std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
    let scale = 1e-6f32;
    let mut variants: Vec<Variant<'_>> = copies(&grad, &copy);
    variants.push(("naive".into(), {
        let (table, ids, grad) = (&table, &ids, &grad);
        Box::new(move || {
            let s = next(turn, sets);
            let mut t = table.borrow_mut();
            for (g, &i) in grad.chunks_exact(dim).zip(black_box(&ids[s])) {
                let r = i as usize;
                for (t, &g) in t[r * dim..(r + 1) * dim].iter_mut().zip(g) {
                    *t += scale * g;
                }
            }
        })
    }));
    variants.extend(kernel_variants(|k| {
        let (table, ids, grad) = (&table, &ids, &grad);
        Box::new(move || {
            let s = next(turn, sets);
            let mut t = table.borrow_mut();
            let mut t = TableMut::new(&mut t, dim).unwrap();
            k.scatter_add(&mut t, black_box(&ids[s]), grad, scale)
                .unwrap();
        })
    }));
    let mb = (rows * dim * 4) >> 20;
    report(
        &format!("scatter-add f32, {rows}x{dim} ({mb} MB table), {LOOKUPS} rows (bytes: gradient)"),
        LOOKUPS * dim * 4,
        variants,
    );
}

fn bags_case(rng: &mut Rng, rows: usize, dim: usize, bag: usize) {
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 13) as f32).collect();
    let n_bags = LOOKUPS / bag;
    let sets = if rows > 100_000 { 256 } else { 16 };
    let ids: Vec<Vec<u32>> = (0..sets).map(|_| rng.ids(n_bags * bag, rows)).collect();
    let turn = &std::cell::Cell::new(0);
    let offsets: Vec<u32> = (0..=n_bags).map(|b| (b * bag) as u32).collect();
    let src = vec![1.0f32; n_bags * bag * dim];
    let copy = std::cell::RefCell::new(vec![0.0f32; n_bags * bag * dim]);
    let out = std::cell::RefCell::new(vec![0.0f32; n_bags * dim]);
    let t = Table::new(&table, dim).unwrap();
    let mut variants: Vec<Variant<'_>> = copies(&src, &copy);
    variants.push(("naive".into(), {
        let (table, ids, out) = (&table, &ids, &out);
        Box::new(move || {
            let s = next(turn, sets);
            let mut out = out.borrow_mut();
            for (o, ids) in out
                .chunks_exact_mut(dim)
                .zip(black_box(&ids[s]).chunks_exact(bag))
            {
                o.fill(0.0);
                for &i in ids {
                    let r = i as usize;
                    for (y, x) in o.iter_mut().zip(&table[r * dim..(r + 1) * dim]) {
                        *y += x;
                    }
                }
            }
        })
    }));
    variants.extend(kernel_variants(|k| {
        let (ids, out, offsets) = (&ids, &out, &offsets);
        Box::new(move || {
            let s = next(turn, sets);
            let bags = Bags::new(black_box(&ids[s]), offsets);
            k.gather_bags(t, bags, Pooling::Sum, &mut out.borrow_mut())
                .unwrap();
        })
    }));
    report(
        &format!("bags: sums of {n_bags} bags of {bag}, {rows}x{dim} (bytes: rows read)"),
        n_bags * bag * dim * 4,
        variants,
    );
}

fn seed_case(rng: &mut Rng) {
    let (rows, dim, n) = (1000, 64, 320);
    let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
    let ids = rng.ids(n, rows);
    let t = Table::new(&table, dim).unwrap();
    let mut a = vec![0.0f32; n * rows];
    let mut dense = vec![0.0f32; n * dim];
    let time = |reps: usize, f: &mut dyn FnMut()| {
        let mut best = f64::MAX;
        for _ in 0..reps {
            let s = Instant::now();
            f();
            best = best.min(s.elapsed().as_secs_f64());
        }
        best
    };
    let t_dense = time(3, &mut || {
        dense.fill(0.0);
        onehot::one_hot(&ids, rows, &mut a).unwrap();
        onehot::matmul(&a, &table, &mut dense, n, rows, dim).unwrap();
        black_box(&dense);
    });
    let mut out = vec![0.0f32; n * dim];
    let t_lookup = time(2000, &mut || {
        gather(t, black_box(&ids), &mut out).unwrap();
        black_box(&out);
    });
    println!("the seed's case: 320 lookups, 1000x64");
    println!(
        "  one-hot product (plain loops) {:10.1} us   lookup {:6.2} us   lookup is {:.0}x faster",
        t_dense * 1e6,
        t_lookup * 1e6,
        t_dense / t_lookup
    );
    // The vocabulary-size sweep: the dense product grows with rows, the lookup does not.
    for rows in [1000usize, 10_000, 100_000] {
        let table: Vec<f32> = (0..rows * dim).map(|v| (v % 97) as f32).collect();
        let t = Table::new(&table, dim).unwrap();
        let ids = rng.ids(n, rows);
        let mut a = vec![0.0f32; n * rows];
        let reps = if rows > 10_000 { 1 } else { 2 };
        let t_dense = time(reps, &mut || {
            dense.fill(0.0);
            onehot::one_hot(&ids, rows, &mut a).unwrap();
            onehot::matmul(&a, &table, &mut dense, n, rows, dim).unwrap();
            black_box(&dense);
        });
        let t_lookup = time(2000, &mut || {
            gather(t, black_box(&ids), &mut out).unwrap();
            black_box(&out);
        });
        println!(
            "  vocabulary {rows:>6}: one-hot {:10.1} us   lookup {:6.2} us   ratio {:>8.0}x",
            t_dense * 1e6,
            t_lookup * 1e6,
            t_dense / t_lookup
        );
    }
}

fn main() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    println!(
        "embedding-kernels quick report: single thread; ISA paths {}; dispatched = {}",
        Isa::available()
            .map(|i| i.name())
            .collect::<Vec<_>>()
            .join(", "),
        Isa::best()
    );
    println!("median of {ROUNDS} interleaved rounds; ratios are taken within this run\n");
    // `report [group] [case-filter]`: a group (gather, scatter, bags, seed)
    // and a substring of the case titles to keep.
    let only = std::env::args().nth(1).unwrap_or_default();
    let want = |name: &str| only.is_empty() || name.contains(only.as_str());
    if want("gather") {
        gather_case(&mut rng, 1000, 64, 1);
        gather_case(&mut rng, 1000, 16, 1);
        gather_case(&mut rng, 1000, 4, 1);
        gather_f16_case(&mut rng, 1000, 64);
        gather_case(&mut rng, 1 << 20, 64, 256);
    }
    if want("scatter") {
        scatter_case(&mut rng, 1000, 64, 1);
        scatter_case(&mut rng, 1000, 4, 1);
        scatter_case(&mut rng, 1 << 20, 64, 256);
    }
    if want("experiment") {
        scatter_grouping_experiment(&mut rng, 1000, 64, 1, true);
        scatter_grouping_experiment(&mut rng, 100_000, 256, 16, true);
        scatter_grouping_experiment(&mut rng, 1 << 20, 64, 256, false);
    }
    if want("bags") {
        bags_case(&mut rng, 100_000, 64, 20);
        bags_case(&mut rng, 1 << 20, 64, 20);
    }
    if want("seed") {
        seed_case(&mut rng);
    }
    let _ = (gather_bags::<f32, u32>, scatter_add::<f32, u32>);
}
