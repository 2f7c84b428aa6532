//! A quick single-thread performance report (well under a minute): for each
//! case (in cache: 1000 rows, 4096 lookups, the table on a 64-byte line,
//! see `harness::Placed`; in DRAM: 1M rows) and each ISA
//! path this CPU has, GB/s, the ratio to a copy of the same bytes (the
//! faster of `memcpy` and a plain AVX loop, see `harness::copy_loop`) and
//! the ratio to the naive loop, all measured in the same run, interleaved,
//! median of rounds.
//!
//! `cargo run --release --example report [group] [case-filter]`, groups
//! `gather`, `scatter`, `bags`, `experiment`, `quantized`, `seed`; and
//! `cargo run --release --example report -- dram`: a 1 GiB table at dims
//! 16, 64 and 256 (`DRAM_DIMS=1024,4096` for others) against a
//! hand-written prefetching loop at several distances, and the sequential
//! read bandwidth (about a minute); and
//! `cargo run --release --example report -- sweep [kernel-filter]`: every
//! kernel at every dim from 1 to 33 and 19 larger ones, every path against
//! the naive loop (each variant's fastest round), with the shortfalls
//! listed last: a case short of a target is measured again, three more
//! times in passes at the end, before it counts (under 20 s here); then
//! the five cases closest to their targets, and the ties (a path less
//! than `SWEEP_TIE` below the naive loop, not counted short); with
//! `SWEEP_US=1` it also prints each path's time in µs, which is what to
//! compare between two builds (each build links its own naive loop, whose
//! speed moves with where it lands); `SWEEP_DIMS=100,113,127` measures
//! those dims instead of the list.
//!
//! Ratios, not absolute GB/s, are what carry between runs: the machines are
//! shared and noisy.

use std::hint::black_box;
use std::time::Instant;

use embedding_kernels::quantized::{Q4_0, Q8_0, Quantize, Rowwise4, Rowwise8};
use embedding_kernels::{
    Bags, Format, GatherInto, Isa, Kernels, Pooling, Table, TableMut, f16, gather, gather_bags,
    onehot, scatter_add,
};

mod harness;
use harness::quantized_naive::Naive as NaiveDequant;
use harness::{
    Placed, Rng, Timed, Variant, add_row, convert_row, copies, copy_row, naive_bag_sums,
    naive_gather, naive_scatter, next, quantized,
};

const LOOKUPS: usize = 4096;
const ROUNDS: usize = 15;

/// Prints one case: `bytes` per call; variants named "memcpy" and "naive"
/// are the yardsticks.
fn report(case: &str, bytes: usize, variants: Vec<Variant<'_>>) {
    // A second argument keeps only the cases whose title contains it.
    if let Some(filter) = std::env::args().nth(2)
        && !case.contains(filter.as_str())
    {
        return;
    }
    let timed = Timed::new(variants, ROUNDS, 2e-3);
    let (t, memcpy, naive) = (&timed.secs, timed.copy(), timed.get("naive"));
    println!("{case}");
    for (k, name) in timed.names.iter().enumerate() {
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

/// The id sets of a case, taken in turn by all its variants (see
/// [`next`]).
struct IdSets {
    sets: Vec<Vec<u32>>,
    turn: std::cell::Cell<usize>,
}

impl IdSets {
    /// `sets` sets of `n` ids below `rows`.
    fn new(rng: &mut Rng, sets: usize, n: usize, rows: usize) -> IdSets {
        IdSets {
            sets: (0..sets).map(|_| rng.ids(n, rows)).collect(),
            turn: std::cell::Cell::new(0),
        }
    }

    /// The next set.
    fn next(&self) -> &[u32] {
        &self.sets[next(&self.turn, self.sets.len())]
    }
}

/// The naive loop of a case, when it has one: the table's rows and what
/// the loop does with each (see `harness::naive_gather`).
type Naive<'a, U, P> = Option<(&'a [U], P)>;

/// A gather case into f32: `LOOKUPS` lookups into `t` (`rows` rows of `dim`)
/// from `sets` id sets, beside the copy yardsticks, the naive loop if any,
/// and every path.
fn gather_case<T: GatherInto<f32>, U>(
    rng: &mut Rng,
    title: &str,
    (t, rows, dim): (Table<'_, T>, usize, usize),
    sets: usize,
    naive: Naive<'_, U, impl Fn(&mut [f32], &[U])>,
) {
    let ids = &IdSets::new(rng, sets, LOOKUPS, rows);
    let src = vec![1.0f32; LOOKUPS * dim];
    let out = &std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
    let mut variants: Vec<Variant<'_>> = copies(&src, out);
    if let Some((table, put)) = naive {
        variants.push((
            "naive".into(),
            Box::new(move || {
                naive_gather(
                    &mut out.borrow_mut(),
                    dim,
                    black_box(ids.next()),
                    (table, dim),
                    &put,
                )
            }),
        ));
    }
    variants.extend(kernel_variants(|k| {
        Box::new(move || {
            k.gather(t, black_box(ids.next()), &mut out.borrow_mut())
                .unwrap()
        })
    }));
    report(title, LOOKUPS * dim * 4, variants);
}

/// Where a table starts, in a case's title: on a 64-byte boundary (every
/// case but the `experiment` group's), or `offset` bytes past one.
fn placement(offset: usize) -> String {
    if offset == 0 {
        "table on a 64-byte line".into()
    } else {
        format!("table {offset} B past a line")
    }
}

/// gather f32 from a `rows`×`dim` table starting `offset` bytes past a
/// 64-byte boundary (see `harness::Placed`), `sets` id sets. With rows of
/// 64 bytes (dim 16), each row sits in one cache line at offset 0 and
/// straddles two at offset 16, where a heap `Vec<f32>` of this size starts
/// on glibc; the `experiment` group measures both.
fn gather_f32_case(rng: &mut Rng, rows: usize, dim: usize, sets: usize, offset: usize) {
    let table = Placed::new(rows * dim, offset, |v| v as f32);
    let mb = (rows * dim * 4) >> 20;
    let title = format!(
        "gather f32, {rows}x{dim} ({mb} MB, {}), {LOOKUPS} lookups",
        placement(offset)
    );
    gather_case(
        rng,
        &format!("{}{title}", if offset == 0 { "" } else { "experiment: " }),
        (Table::new(&table, dim).unwrap(), rows, dim),
        sets,
        Some((&table[..], copy_row)),
    );
}

fn gather_f16_case(rng: &mut Rng, rows: usize, dim: usize) {
    let table = Placed::new(rows * dim, 0, |v| f16::from_f32(v as f32 / 9.0));
    gather_case(
        rng,
        &format!(
            "gather f16->f32, {rows}x{dim} ({}), {LOOKUPS} lookups",
            placement(0)
        ),
        (Table::new(&table, dim).unwrap(), rows, dim),
        1,
        Some((&table[..], convert_row(f16::to_f32))),
    );
}

/// Indices of a power law over `rows` (Zipf-like, exponent about 1): many
/// repeats of a few hot rows, as in real id streams.
fn zipf_ids(rng: &mut Rng, n: usize, rows: usize) -> Vec<u32> {
    (0..n)
        .map(|_| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
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
    let given: Vec<(&[u32], &[f32])> = ids.iter().map(|i| (&i[..], &grad[..])).collect();
    let grouped: Vec<(&[u32], &[f32])> = sorted.iter().map(|(i, g)| (&i[..], &g[..])).collect();
    for (name, order) in [("as given", given), ("pre-grouped", grouped)] {
        let table = &table;
        variants.push((
            name.into(),
            Box::new(move || {
                let (ids, grad) = order[next(turn, sets)];
                let mut t = table.borrow_mut();
                k.scatter_add(
                    &mut TableMut::new(&mut t, dim).unwrap(),
                    black_box(ids),
                    grad,
                    1e-6,
                )
                .unwrap();
            }),
        ));
    }
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

fn scatter_case(rng: &mut Rng, rows: usize, dim: usize, sets: usize, offset: usize) {
    let table = &std::cell::RefCell::new(Placed::new(rows * dim, offset, |v| (v % 5) as f32));
    let ids = &IdSets::new(rng, sets, LOOKUPS, rows);
    let grad: &Vec<f32> = &(0..LOOKUPS * dim).map(|v| (v % 7) as f32).collect();
    let copy = std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
    let scale = 1e-6f32;
    let mut variants: Vec<Variant<'_>> = copies(grad, &copy);
    variants.push((
        "naive".into(),
        Box::new(move || {
            let mut t = table.borrow_mut();
            naive_scatter(&mut t, dim, black_box(ids.next()), grad, |t, g| {
                *t += scale * g
            });
        }),
    ));
    variants.extend(kernel_variants(|k| {
        Box::new(move || {
            let ids = ids.next();
            let mut t = table.borrow_mut();
            let mut t = TableMut::new(&mut t, dim).unwrap();
            k.scatter_add(&mut t, black_box(ids), grad, scale).unwrap();
        })
    }));
    let mb = (rows * dim * 4) >> 20;
    report(
        &format!(
            "{}scatter-add f32, {rows}x{dim} ({mb} MB, {}), {LOOKUPS} rows (bytes: gradient)",
            if offset == 0 { "" } else { "experiment: " },
            placement(offset)
        ),
        LOOKUPS * dim * 4,
        variants,
    );
}

/// A Sum bags case: bags of `bag` from `t` (`rows` rows of `dim`), `sets`
/// id sets, beside the copy yardsticks of the rows read, the naive loop if
/// any, and every path.
fn bags_case<T: Format, U>(
    rng: &mut Rng,
    (name, bytes): (&str, &str),
    (t, rows, dim): (Table<'_, T>, usize, usize),
    (bag, sets): (usize, usize),
    naive: Naive<'_, U, impl Fn(&mut [f32], &[U])>,
) {
    let n_bags = LOOKUPS / bag;
    let ids = &IdSets::new(rng, sets, n_bags * bag, rows);
    let offsets: &Vec<u32> = &(0..=n_bags).map(|b| (b * bag) as u32).collect();
    let src = vec![1.0f32; n_bags * bag * dim];
    let copy = std::cell::RefCell::new(vec![0.0f32; n_bags * bag * dim]);
    let out = &std::cell::RefCell::new(vec![0.0f32; n_bags * dim]);
    let mut variants: Vec<Variant<'_>> = copies(&src, &copy);
    if let Some((table, add)) = naive {
        variants.push((
            "naive".into(),
            Box::new(move || {
                let ids = (black_box(ids.next()), bag);
                naive_bag_sums(&mut out.borrow_mut(), dim, ids, (table, dim), &add)
            }),
        ));
    }
    variants.extend(kernel_variants(|k| {
        Box::new(move || {
            let bags = Bags::new(black_box(ids.next()), offsets);
            k.gather_bags(t, bags, Pooling::Sum, &mut out.borrow_mut())
                .unwrap();
        })
    }));
    let title = format!("{name}: sums of {n_bags} bags of {bag}, {rows}x{dim} (bytes: {bytes})");
    report(&title, n_bags * bag * dim * 4, variants);
}

fn bags_f32_case(rng: &mut Rng, rows: usize, dim: usize, bag: usize) {
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 13) as f32).collect();
    let sets = if rows > 100_000 { 256 } else { 16 };
    bags_case(
        rng,
        ("bags", "rows read"),
        (Table::new(&table, dim).unwrap(), rows, dim),
        (bag, sets),
        Some((&table[..], add_row)),
    );
}

/// The best of `reps` calls of `f`, in seconds.
fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..reps {
        let s = Instant::now();
        f();
        best = best.min(s.elapsed().as_secs_f64());
    }
    best
}

/// The seconds of the one-hot product (best of `dense_reps` calls, into
/// `dense`) and of the lookup (best of 2000, into `out`) of `ids` in a
/// `rows`×`dim` table.
fn one_hot_vs_lookup(
    (table, rows, dim): (&[f32], usize, usize),
    ids: &[u32],
    dense_reps: usize,
    (dense, out): (&mut [f32], &mut [f32]),
) -> (f64, f64) {
    let n = ids.len();
    let t = Table::new(table, dim).unwrap();
    let mut a = vec![0.0f32; n * rows];
    let t_dense = best_of(dense_reps, || {
        dense.fill(0.0);
        onehot::one_hot(ids, rows, &mut a).unwrap();
        onehot::matmul(&a, table, dense, n, rows, dim).unwrap();
        black_box(&dense);
    });
    let t_lookup = best_of(2000, || {
        gather(t, black_box(ids), out).unwrap();
        black_box(&out);
    });
    (t_dense, t_lookup)
}

fn seed_case(rng: &mut Rng) {
    let (rows, dim, n) = (1000, 64, 320);
    let table: Vec<f32> = (0..rows * dim).map(|v| v as f32).collect();
    let ids = rng.ids(n, rows);
    let mut dense = vec![0.0f32; n * dim];
    let mut out = vec![0.0f32; n * dim];
    let (t_dense, t_lookup) =
        one_hot_vs_lookup((&table, rows, dim), &ids, 3, (&mut dense, &mut out));
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
        let ids = rng.ids(n, rows);
        let reps = if rows > 10_000 { 1 } else { 2 };
        let (t_dense, t_lookup) =
            one_hot_vs_lookup((&table, rows, dim), &ids, reps, (&mut dense, &mut out));
        println!(
            "  vocabulary {rows:>6}: one-hot {:10.1} us   lookup {:6.2} us   ratio {:>8.0}x",
            t_dense * 1e6,
            t_lookup * 1e6,
            t_dense / t_lookup
        );
    }
}

// -------------------------------------------------------------- quantized

/// A `rows × dim` table of format `F`, quantized from f32.
fn quantized_table<F: Quantize>(rows: usize, dim: usize) -> Vec<u8> {
    let w: Vec<f32> = (0..rows * dim)
        .map(|v| ((v * 7919) % 1999) as f32 / 999.0 - 1.0)
        .collect();
    quantized::<F>(&w, dim)
}

/// One quantized gather case: a `rows × dim` table of format `F`, quantized
/// from f32, 4096 lookups into f32, beside a copy of the f32 output bytes.
fn quantized_gather_case<F: Quantize>(rng: &mut Rng, rows: usize, dim: usize, sets: usize) {
    let bytes = quantized_table::<F>(rows, dim);
    gather_case(
        rng,
        &format!(
            "gather {} -> f32, {rows}x{dim} ({} MB table), {LOOKUPS} lookups (bytes: f32 output)",
            F::NAME,
            bytes.len() >> 20
        ),
        (Table::<F>::from_bytes(&bytes, dim).unwrap(), rows, dim),
        sets,
        None::<(&[f32], fn(&mut [f32], &[f32]))>,
    );
}

/// Quantized bags: Sum of 204 bags of 20 from a `rows × 64` table of `F`
/// (the PyTorch comparison's case), bytes counted as the f32 rows read.
fn quantized_bags_case<F: Quantize>(rng: &mut Rng, rows: usize) {
    let dim = 64;
    let bytes = quantized_table::<F>(rows, dim);
    let sets = if rows > 10_000 { 64 } else { 4 };
    bags_case(
        rng,
        (&format!("bags {}", F::NAME), "f32 rows read"),
        (Table::<F>::from_bytes(&bytes, dim).unwrap(), rows, dim),
        (20, sets),
        None::<(&[f32], fn(&mut [f32], &[f32]))>,
    );
}

fn quantized_cases(rng: &mut Rng) {
    use embedding_kernels::quantized::{Q4_0, Q8_0, Rowwise2, Rowwise4, Rowwise8};
    quantized_gather_case::<Rowwise8>(rng, 1000, 64, 1);
    quantized_gather_case::<Rowwise4>(rng, 1000, 64, 1);
    quantized_gather_case::<Rowwise2>(rng, 1000, 64, 1);
    quantized_gather_case::<Q8_0>(rng, 1000, 64, 1);
    quantized_gather_case::<Q4_0>(rng, 1000, 64, 1);
    for rows in [1000, 100_000] {
        quantized_bags_case::<Rowwise8>(rng, rows);
        quantized_bags_case::<Rowwise4>(rng, rows);
    }
    // DRAM: the 8-bit table (72 MB) against the f32 table (256 MB), 1M x 64.
    quantized_gather_case::<Rowwise8>(rng, 1 << 20, 64, 256);
    quantized_gather_case::<Q8_0>(rng, 1 << 20, 64, 256);
    gather_f32_case(rng, 1 << 20, 64, 256, 0);
}

// ------------------------------------------------------------------- DRAM

/// Prefetches every cache line of `bytes` bytes at `p`, the line of the
/// last byte included (a row that does not start a line straddles one line
/// more: without it the yardstick ran at 3.2–3.4 GB/s at dim 16 whatever
/// its distance, latency-bound on every row's second line).
#[inline(always)]
fn prefetch_lines(p: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let mut off = 0;
        while off < bytes {
            // SAFETY: a prefetch never faults; the address is inside the
            // row (`off < bytes`).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off).cast()) };
            off += 64;
        }
        // SAFETY: as above; the row's last byte.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(bytes - 1).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, bytes);
}

/// The DRAM yardsticks' distances, as bytes of rows in flight ahead.
const DRAM_AHEAD_BYTES: [usize; 5] = [1 << 10, 2 << 10, 4 << 10, 8 << 10, 16 << 10];

/// The DRAM yardsticks: `body(k, table, ids)`, a loop prefetching `k`
/// rows ahead, on the next id set, at each distance of
/// [`DRAM_AHEAD_BYTES`] (at least one row), named by it.
fn yardsticks<'a>(
    (table, ids): (&'a std::cell::RefCell<Vec<f32>>, &'a IdSets),
    row_bytes: usize,
    body: impl Fn(usize, &mut [f32], &[u32]) + Copy + 'a,
) -> Vec<Variant<'a>> {
    let named = |bytes: usize| {
        let k = (bytes / row_bytes).max(1);
        let f: Box<dyn FnMut() + 'a> = Box::new(move || {
            let ids = black_box(ids.next());
            body(k, &mut table.borrow_mut(), ids)
        });
        (format!("yardstick {}K ({k} rows)", bytes >> 10), f)
    };
    DRAM_AHEAD_BYTES.into_iter().map(named).collect()
}

/// Prefetches every line of row `ids[p]` of `t` (rows of `dim`), if there
/// is such an id.
#[inline(always)]
fn prefetch_row(t: &[f32], dim: usize, ids: &[u32], p: usize) {
    if let Some(&a) = ids.get(p) {
        prefetch_lines(t[a as usize * dim..].as_ptr().cast(), dim * 4);
    }
}

/// The DRAM group: a 1 GiB f32 table, one core, 4096 random rows per call
/// (64 id sets in rotation, so no call finds its rows in cache), at dims
/// 16, 64 and 256 (or the list in `DRAM_DIMS`): gather, bags (204 bags of 20) and scatter-add against a
/// hand-written loop that prefetches every line of the row `k` rows ahead
/// (k from the bytes in flight), at several distances; and the sequential
/// read bandwidth.
fn dram() {
    const TABLE: usize = 1 << 28; // f32 elements: 1 GiB
    const SETS: usize = 64;
    let table = std::cell::RefCell::new((0..TABLE).map(|v| (v % 251) as f32).collect::<Vec<f32>>());
    // Sequential read bandwidth: a sum over 256 MB, eight accumulators.
    {
        let t = table.borrow();
        let part = &t[..TABLE / 4];
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            let mut acc = [0f32; 8];
            for c in part.chunks_exact(8) {
                for k in 0..8 {
                    acc[k] += c[k];
                }
            }
            black_box(acc);
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!(
            "DRAM: sequential read of 256 MB: {:.1} GB/s",
            (TABLE / 4 * 4) as f64 / best / 1e9
        );
    }
    let table = &table;
    let dims: Vec<usize> = std::env::var("DRAM_DIMS")
        .ok()
        .map(|l| l.split(',').filter_map(|d| d.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![16, 64, 256]);
    for dim in dims {
        let rows = TABLE / dim;
        let row_bytes = dim * 4;
        let ids = &IdSets::new(&mut Rng(0xd1a ^ dim as u64), SETS, LOOKUPS, rows);
        let out = &std::cell::RefCell::new(vec![0.0f32; LOOKUPS * dim]);
        // gather
        let mut variants = yardsticks((table, ids), row_bytes, |k, t, ids| {
            for (i, o) in out.borrow_mut().chunks_exact_mut(dim).enumerate() {
                prefetch_row(t, dim, ids, i + k);
                let r = ids[i] as usize;
                o.copy_from_slice(&t[r * dim..(r + 1) * dim]);
            }
        });
        variants.push((
            "embedding-kernels".into(),
            Box::new(move || {
                let t = table.borrow();
                let ids = black_box(ids.next());
                gather(Table::new(&t, dim).unwrap(), ids, &mut out.borrow_mut()).unwrap();
            }),
        ));
        dram_report(
            &format!("DRAM gather f32, 1 GiB, dim {dim}"),
            LOOKUPS * row_bytes,
            variants,
        );

        // bags: 204 bags of 20, the rows of the next bag prefetched
        let bag = 20;
        let n_bags = LOOKUPS / bag;
        let offsets = &(0..=n_bags).map(|b| (b * bag) as u32).collect::<Vec<u32>>();
        let pooled = &std::cell::RefCell::new(vec![0.0f32; n_bags * dim]);
        let mut variants = yardsticks((table, ids), row_bytes, |k, t, ids| {
            let ids = &ids[..n_bags * bag];
            for (b, o) in pooled.borrow_mut().chunks_exact_mut(dim).enumerate() {
                o.fill(0.0);
                for p in b * bag..(b + 1) * bag {
                    prefetch_row(t, dim, ids, p + k);
                    let r = ids[p] as usize;
                    add_row(o, &t[r * dim..(r + 1) * dim]);
                }
            }
        });
        variants.push((
            "embedding-kernels".into(),
            Box::new(move || {
                let t = table.borrow();
                let bags = Bags::new(black_box(&ids.next()[..n_bags * bag]), offsets);
                let t = Table::new(&t, dim).unwrap();
                gather_bags(t, bags, Pooling::Sum, &mut pooled.borrow_mut()).unwrap();
            }),
        ));
        dram_report(
            &format!("DRAM bags sum f32, 1 GiB, dim {dim}, {n_bags} bags of {bag}"),
            n_bags * bag * row_bytes,
            variants,
        );

        // scatter-add: read-modify-write yardstick
        let grad = &(0..LOOKUPS * dim)
            .map(|v| (v % 7) as f32)
            .collect::<Vec<f32>>();
        let scale = 1e-6f32;
        let mut variants = yardsticks((table, ids), row_bytes, |k, t, ids| {
            for (i, g) in grad.chunks_exact(dim).enumerate() {
                prefetch_row(t, dim, ids, i + k);
                let r = ids[i] as usize;
                for (t, &g) in t[r * dim..(r + 1) * dim].iter_mut().zip(g) {
                    *t += scale * g;
                }
            }
        });
        variants.push((
            "embedding-kernels".into(),
            Box::new(move || {
                let mut t = table.borrow_mut();
                let mut t = TableMut::new(&mut t, dim).unwrap();
                scatter_add(&mut t, black_box(ids.next()), grad, scale).unwrap();
            }),
        ));
        dram_report(
            &format!("DRAM scatter-add f32, 1 GiB, dim {dim}"),
            LOOKUPS * row_bytes,
            variants,
        );
    }
}

/// Prints a DRAM case: GB/s of each variant and the crate's ratio to the
/// yardstick's best distance (target ≥ 0.95).
fn dram_report(case: &str, bytes: usize, variants: Vec<Variant<'_>>) {
    let t = Timed::new(variants, 9, 5e-3);
    println!("{case}");
    let mut best = (f64::MAX, String::new());
    for (name, &s) in t.names.iter().zip(&t.secs) {
        println!("  {name:<24} {:8.2} GB/s", bytes as f64 / s / 1e9);
        if name.starts_with("yardstick") && s < best.0 {
            best = (s, name.clone());
        }
    }
    let own = t.get("embedding-kernels").unwrap();
    println!(
        "  embedding-kernels / best yardstick ({}): {:.2} (target 0.95)",
        best.1,
        best.0 / own
    );
}

// ------------------------------------------------------------------ sweep

/// The dims of the sweep: every one from 1 to 33, then the sizes around the
/// powers of two and common model widths.
const SWEEP_DIMS: [usize; 52] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29, 30, 31, 32, 33, 48, 63, 64, 65, 96, 100, 127, 128, 129, 200, 255, 256, 257, 300,
    384, 512, 768, 1024, 1000,
];

/// Rounds of about 0.5 ms per variant and case; the sweep keeps each
/// variant's fastest round (`Timed::fastest`).
const SWEEP_ROUNDS: usize = 7;

/// How often a case still short after the sweep is measured again, in
/// passes over all such cases at the end, each variant keeping its fastest
/// time over every run: a slower path stays slower in every run, while
/// noise on a shared machine comes in bursts (here whole runs went 2x
/// slower for seconds, and two variants running the same code differed by
/// up to 1.35x within one case), and passes spaced in time rarely catch
/// the same variant in a burst every time.
const SWEEP_RETRIES: usize = 3;

/// How far below the naive loop a path may measure after the retries and
/// still count as level with it: a tie, listed apart from the shortfalls.
/// Two variants running the very same machine code differ by this much in
/// the sweep's fastest rounds: on the Zen 4, f32 scatter-add at dims
/// 65–1024, the `sse2` variant's time over the `portable` one's, both the
/// compiler's loop, came out at 0.988–1.025 with that loop inlined into
/// each and 0.995–1.008 with it called by both (one 1.08 in 27 cases;
/// three runs of `SWEEP_US=1 SWEEP_DIMS=65,96,128,200,256,384,512,768,1024
/// report -- sweep "scatter-add f32"` for each build): a speed ratio down
/// to 1/1.025 = 0.976. A shortfall of less than this cannot be told from
/// the placement of the loop.
const SWEEP_TIE: f64 = 0.975;

/// The sweep's kernels.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sweep {
    GatherF32,
    GatherF16F32,
    GatherBf16F32,
    GatherF16F16,
    BagsSum,
    BagsMean,
    BagsMax,
    BagsWeightedSum,
    ScatterF32,
    ScatterF16,
    ScatterBf16,
    GatherRowwise8,
    GatherRowwise4,
    GatherQ8_0,
    GatherQ4_0,
    BagsRowwise8,
}

impl Sweep {
    const ALL: [Sweep; 16] = [
        Sweep::GatherF32,
        Sweep::GatherF16F32,
        Sweep::GatherBf16F32,
        Sweep::GatherF16F16,
        Sweep::BagsSum,
        Sweep::BagsMean,
        Sweep::BagsMax,
        Sweep::BagsWeightedSum,
        Sweep::ScatterF32,
        Sweep::ScatterF16,
        Sweep::ScatterBf16,
        Sweep::GatherRowwise8,
        Sweep::GatherRowwise4,
        Sweep::GatherQ8_0,
        Sweep::GatherQ4_0,
        Sweep::BagsRowwise8,
    ];
    fn name(self) -> &'static str {
        match self {
            Sweep::GatherF32 => "gather f32->f32",
            Sweep::GatherF16F32 => "gather f16->f32",
            Sweep::GatherBf16F32 => "gather bf16->f32",
            Sweep::GatherF16F16 => "gather f16->f16",
            Sweep::BagsSum => "bags sum",
            Sweep::BagsMean => "bags mean",
            Sweep::BagsMax => "bags max",
            Sweep::BagsWeightedSum => "bags weighted sum",
            Sweep::ScatterF32 => "scatter-add f32",
            Sweep::ScatterF16 => "scatter-add f16",
            Sweep::ScatterBf16 => "scatter-add bf16",
            Sweep::GatherRowwise8 => "gather rowwise8->f32",
            Sweep::GatherRowwise4 => "gather rowwise4->f32",
            Sweep::GatherQ8_0 => "gather q8_0->f32",
            Sweep::GatherQ4_0 => "gather q4_0->f32",
            Sweep::BagsRowwise8 => "bags sum rowwise8",
        }
    }
    /// Whether the kernel's format holds rows of `dim` (the GGUF block
    /// formats: multiples of 32).
    fn takes(self, dim: usize) -> bool {
        !matches!(self, Sweep::GatherQ8_0 | Sweep::GatherQ4_0) || dim.is_multiple_of(32)
    }
}

/// Lookups per call at `dim`: 4096 for short rows, fewer for long ones, so
/// that every call moves at most 256 KB and the sweep stays quick.
fn sweep_lookups(dim: usize) -> usize {
    (65536 / dim).clamp(64, LOOKUPS)
}

/// A gather sweep case: `naive` converts element by element with `conv`.
fn gather_sweep<T, O>(dim: usize, conv: fn(T) -> O, make: fn(f32) -> T) -> Timed
where
    T: embedding_kernels::GatherInto<O> + embedding_kernels::Element,
    O: embedding_kernels::Element,
{
    let (rows, n) = (1000, sweep_lookups(dim));
    let table: Vec<T> = (0..rows * dim)
        .map(|v| make((v % 251) as f32 / 7.0))
        .collect();
    let ids = Rng(0x5eed ^ dim as u64).ids(n, rows);
    let out = std::cell::RefCell::new(vec![O::default(); n * dim]);
    let t = Table::new(&table, dim).unwrap();
    let mut variants: Vec<Variant<'_>> = vec![("naive".into(), {
        let (table, ids, out) = (&table, &ids, &out);
        Box::new(move || {
            let (out, put) = (&mut out.borrow_mut(), convert_row(conv));
            naive_gather(out, dim, black_box(ids), (table, dim), put)
        })
    })];
    variants.extend(kernel_variants(|k| {
        let (ids, out) = (&ids, &out);
        Box::new(move || k.gather(t, black_box(ids), &mut out.borrow_mut()).unwrap())
    }));
    Timed::fastest(variants, SWEEP_ROUNDS, 5e-4)
}

/// A bags sweep case: bags of 20 over a 1000-row f32 table.
fn bags_sweep(dim: usize, pooling: Pooling, weighted: bool) -> Timed {
    let (rows, bag) = (1000, 20);
    let n_bags = (sweep_lookups(dim) / bag).max(1);
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 13) as f32).collect();
    let ids = Rng(0xba9 ^ dim as u64).ids(n_bags * bag, rows);
    let offsets: Vec<u32> = (0..=n_bags).map(|b| (b * bag) as u32).collect();
    let weights: Vec<f32> = (0..n_bags * bag).map(|v| (v % 3) as f32 + 0.5).collect();
    let out = std::cell::RefCell::new(vec![0.0f32; n_bags * dim]);
    let t = Table::new(&table, dim).unwrap();
    let mut variants: Vec<Variant<'_>> = vec![("naive".into(), {
        let (table, ids, out, weights) = (&table, &ids, &out, &weights);
        Box::new(move || {
            let mut out = out.borrow_mut();
            for (b, (o, ids)) in out
                .chunks_exact_mut(dim)
                .zip(black_box(ids).chunks_exact(bag))
                .enumerate()
            {
                let row = |i: u32| &table[i as usize * dim..(i as usize + 1) * dim];
                o.copy_from_slice(row(ids[0]));
                if weighted {
                    let w0 = weights[b * bag];
                    o.iter_mut().for_each(|y| *y *= w0);
                }
                for (p, &i) in ids.iter().enumerate().skip(1) {
                    let w = weights[b * bag + p];
                    for (y, &x) in o.iter_mut().zip(row(i)) {
                        *y = match pooling {
                            Pooling::Max => y.max(x),
                            _ if weighted => *y + w * x,
                            _ => *y + x,
                        };
                    }
                }
                if pooling == Pooling::Mean {
                    o.iter_mut().for_each(|y| *y /= bag as f32);
                }
            }
        })
    })];
    variants.extend(kernel_variants(|k| {
        let (ids, out, offsets, weights) = (&ids, &out, &offsets, &weights);
        Box::new(move || {
            let mut bags = Bags::new(black_box(ids), offsets);
            if weighted {
                bags = bags.with_weights(weights);
            }
            k.gather_bags(t, bags, pooling, &mut out.borrow_mut())
                .unwrap();
        })
    }));
    Timed::fastest(variants, SWEEP_ROUNDS, 5e-4)
}

/// A quantized sweep case from a 1000-row table of `F`: gathers, or Sum
/// bags of 20; `naive` dequantizes element by element
/// (`harness::quantized_naive`).
fn quantized_sweep<F: NaiveDequant>(dim: usize, bags: bool) -> Timed {
    let (rows, bag) = (1000, if bags { 20 } else { 1 });
    let n = sweep_lookups(dim) / bag * bag;
    let bytes = F::table(rows, dim);
    let rb = F::row_units(dim).unwrap();
    let ids = Rng(0x9a7 ^ dim as u64).ids(n, rows);
    let offsets: Vec<u32> = (0..=n / bag).map(|b| (b * bag) as u32).collect();
    let out = std::cell::RefCell::new(vec![0.0f32; n / bag * dim]);
    let t = Table::<F>::from_bytes(&bytes, dim).unwrap();
    let mut variants: Vec<Variant<'_>> = vec![("naive".into(), {
        let (bytes, ids, out) = (&bytes, &ids, &out);
        Box::new(move || {
            let mut out = out.borrow_mut();
            for (o, ids) in out
                .chunks_exact_mut(dim)
                .zip(black_box(ids).chunks_exact(bag))
            {
                for (p, &i) in ids.iter().enumerate() {
                    let row = &bytes[i as usize * rb..(i as usize + 1) * rb];
                    for (j, y) in o.iter_mut().enumerate() {
                        let x = F::naive(row, dim, j);
                        *y = if p == 0 { x } else { *y + x };
                    }
                }
            }
        })
    })];
    variants.extend(kernel_variants(|k| {
        let (ids, out, offsets) = (&ids, &out, &offsets);
        Box::new(move || {
            let out = &mut out.borrow_mut();
            if bags {
                let b = Bags::new(black_box(ids), offsets);
                k.gather_bags(t, b, Pooling::Sum, out).unwrap();
            } else {
                k.gather(t, black_box(ids), out).unwrap();
            }
        })
    }));
    Timed::fastest(variants, SWEEP_ROUNDS, 5e-4)
}

/// A scatter-add sweep case into a 1000-row table of `T`.
fn scatter_sweep<T: embedding_kernels::Element>(dim: usize) -> Timed {
    let (rows, n) = (1000, sweep_lookups(dim));
    let table = std::cell::RefCell::new(
        (0..rows * dim)
            .map(|v| T::from_f32((v % 5) as f32))
            .collect::<Vec<T>>(),
    );
    let ids = Rng(0x5ca7 ^ dim as u64).ids(n, rows);
    let grad: Vec<f32> = (0..n * dim).map(|v| (v % 7) as f32).collect();
    let scale = 1e-6f32;
    let mut variants: Vec<Variant<'_>> = vec![("naive".into(), {
        let (table, ids, grad) = (&table, &ids, &grad);
        Box::new(move || {
            naive_scatter(
                &mut table.borrow_mut(),
                dim,
                black_box(ids),
                grad,
                |t, g| *t = T::from_f32(t.to_f32() + scale * g),
            )
        })
    })];
    variants.extend(kernel_variants(|k| {
        let (table, ids, grad) = (&table, &ids, &grad);
        Box::new(move || {
            let mut t = table.borrow_mut();
            let mut t = TableMut::new(&mut t, dim).unwrap();
            k.scatter_add(&mut t, black_box(ids), grad, scale).unwrap();
        })
    }));
    Timed::fastest(variants, SWEEP_ROUNDS, 5e-4)
}

fn sweep_case(kernel: Sweep, dim: usize) -> Timed {
    use embedding_kernels::bf16;
    match kernel {
        Sweep::GatherF32 => gather_sweep::<f32, f32>(dim, |x| x, |x| x),
        Sweep::GatherF16F32 => gather_sweep::<f16, f32>(dim, f16::to_f32, f16::from_f32),
        Sweep::GatherBf16F32 => gather_sweep::<bf16, f32>(dim, bf16::to_f32, bf16::from_f32),
        Sweep::GatherF16F16 => gather_sweep::<f16, f16>(dim, |x| x, f16::from_f32),
        Sweep::BagsSum => bags_sweep(dim, Pooling::Sum, false),
        Sweep::BagsMean => bags_sweep(dim, Pooling::Mean, false),
        Sweep::BagsMax => bags_sweep(dim, Pooling::Max, false),
        Sweep::BagsWeightedSum => bags_sweep(dim, Pooling::Sum, true),
        Sweep::ScatterF32 => scatter_sweep::<f32>(dim),
        Sweep::ScatterF16 => scatter_sweep::<f16>(dim),
        Sweep::ScatterBf16 => scatter_sweep::<bf16>(dim),
        Sweep::GatherRowwise8 => quantized_sweep::<Rowwise8>(dim, false),
        Sweep::GatherRowwise4 => quantized_sweep::<Rowwise4>(dim, false),
        Sweep::GatherQ8_0 => quantized_sweep::<Q8_0>(dim, false),
        Sweep::GatherQ4_0 => quantized_sweep::<Q4_0>(dim, false),
        Sweep::BagsRowwise8 => quantized_sweep::<Rowwise8>(dim, true),
    }
}

/// The shortfalls of one case: every SIMD path more than a tie below the
/// naive loop (`SWEEP_TIE`), and the dispatched path below 0.9× the
/// fastest path. Each item: (path, ratio, target).
fn shortfalls(t: &Timed) -> Vec<(String, f64, f64)> {
    misses(t, SWEEP_TIE)
}

/// The ties of one case: every SIMD path below the naive loop by less than
/// `SWEEP_TIE`. Each item: (path, ratio, target).
fn ties(t: &Timed) -> Vec<(String, f64, f64)> {
    let short = shortfalls(t);
    misses(t, 1.0)
        .into_iter()
        .filter(|m| !short.contains(m))
        .collect()
}

/// The dispatched path below 0.9× the fastest, and every SIMD path below
/// `floor` times the naive loop's speed (with an infinite `floor`, every
/// path and the dispatched one, whatever their ratio).
fn misses(t: &Timed, floor: f64) -> Vec<(String, f64, f64)> {
    let naive = t.get("naive").unwrap();
    let fastest = t
        .names
        .iter()
        .zip(&t.secs)
        .filter(|(n, _)| *n != "naive" && *n != "dispatched")
        .map(|(_, &s)| s)
        .fold(f64::MAX, f64::min);
    let mut v = Vec::new();
    for (name, &s) in t.names.iter().zip(&t.secs) {
        if name == "naive" || name == "portable" {
            continue;
        }
        if name == "dispatched" {
            if fastest / s < 0.9 || floor.is_infinite() {
                v.push((format!("{name} vs fastest"), fastest / s, 0.9));
            }
        } else if naive / s < floor {
            v.push((format!("{name} vs naive"), naive / s, 1.0));
        }
    }
    v
}

fn sweep(filter: &str) {
    let start = Instant::now();
    // `SWEEP_DIMS=100,113,127` measures those dims instead of the list.
    let dims: Vec<usize> = match std::env::var("SWEEP_DIMS") {
        Ok(list) => list
            .split(',')
            .filter_map(|d| d.trim().parse().ok())
            .filter(|&d| d > 0)
            .collect(),
        Err(_) => SWEEP_DIMS.to_vec(),
    };
    // The cases short of a target, measured again at the end.
    let mut short: Vec<(Sweep, usize, Timed)> = Vec::new();
    let mut settled: Vec<(Sweep, usize, Timed)> = Vec::new();
    for kernel in Sweep::ALL {
        if !kernel.name().contains(filter) {
            continue;
        }
        println!("{} (x naive; 1000 rows)", kernel.name());
        let mut worst: Option<(f64, usize, String)> = None;
        for dim in dims.iter().copied().filter(|&d| kernel.takes(d)) {
            let mut t = sweep_case(kernel, dim);
            if unsettled(&t) {
                fastest_of(&mut t, sweep_case(kernel, dim));
            }
            let naive = t.get("naive").unwrap();
            let line: Vec<String> = t
                .names
                .iter()
                .zip(&t.secs)
                .filter(|(n, _)| *n != "naive")
                .map(|(n, &s)| format!("{n} {:5.2}", naive / s))
                .collect();
            let mark = if !shortfalls(&t).is_empty() {
                "  (short: measured again at the end)"
            } else if unsettled(&t) {
                "  (a tie: measured again at the end)"
            } else {
                ""
            };
            println!("  dim {dim:>4}: {}{mark}", line.join(" | "));
            if std::env::var_os("SWEEP_US").is_some() {
                // Absolute times, for comparing two builds: a ratio to the
                // naive loop moves with where the linker put that loop.
                let us: Vec<String> = (t.names.iter().zip(&t.secs))
                    .map(|(n, &s)| format!("{n} {:.3}", s * 1e6))
                    .collect();
                println!("      us: {}", us.join(" | "));
            }
            for (n, &s) in t.names.iter().zip(&t.secs) {
                if n == "naive" || n == "portable" || n == "dispatched" {
                    continue;
                }
                let r = naive / s;
                if worst.as_ref().is_none_or(|w| r < w.0) {
                    worst = Some((r, dim, n.clone()));
                }
            }
            if unsettled(&t) {
                short.push((kernel, dim, t));
            } else {
                settled.push((kernel, dim, t));
            }
        }
        if let Some((r, dim, path)) = worst {
            println!("  worst: dim {dim}, {path} at {r:.2}x naive");
        }
    }
    let first = short.len();
    for _ in 0..SWEEP_RETRIES {
        for (kernel, dim, t) in short.iter_mut() {
            if unsettled(t) {
                fastest_of(t, sweep_case(*kernel, *dim));
            }
        }
    }
    let listed = |of: fn(&Timed) -> Vec<(String, f64, f64)>| -> Vec<String> {
        short
            .iter()
            .flat_map(|(kernel, dim, t)| {
                of(t).into_iter().map(move |(path, r, target)| {
                    format!(
                        "{} dim {dim}: {path} {r:.3} (target {target})",
                        kernel.name()
                    )
                })
            })
            .collect()
    };
    let (lines, level) = (listed(shortfalls), listed(ties));
    println!(
        "\nsweep done in {:.0} s; {first} case(s) short in the sweep, measured {SWEEP_RETRIES} more \
         times; {} shortfall(s){}",
        start.elapsed().as_secs_f64(),
        lines.len(),
        if lines.is_empty() { "" } else { ":" }
    );
    for l in &lines {
        println!("  {l}");
    }
    // The five cases closest to (or furthest below) their target, after
    // the retries: each (kernel, dim, path) by its ratio over its target.
    let mut closest: Vec<(f64, String)> = short
        .iter()
        .chain(&settled)
        .flat_map(|(kernel, dim, t)| {
            misses(t, f64::INFINITY)
                .into_iter()
                .map(move |(path, r, target)| {
                    (
                        r / target,
                        format!(
                            "{} dim {dim}: {path} {r:.3} (target {target})",
                            kernel.name()
                        ),
                    )
                })
        })
        .collect();
    closest.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("the five closest to their targets:");
    for (_, l) in closest.iter().take(5) {
        println!("  {l}");
    }
    if !level.is_empty() {
        println!(
            "{} tie(s), a path within {:.1}% below the naive loop (what two variants running \
             the same code differ by; not counted short):",
            level.len(),
            (1.0 - SWEEP_TIE) * 100.0
        );
        for l in &level {
            println!("  {l}");
        }
    }
}

/// Whether a case misses a target, a tie included: measured again.
fn unsettled(t: &Timed) -> bool {
    !misses(t, 1.0).is_empty()
}

/// Keeps in `t` each variant's faster time of `t` and `again`.
fn fastest_of(t: &mut Timed, again: Timed) {
    for (s, a) in t.secs.iter_mut().zip(again.secs) {
        *s = s.min(a);
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
    if only == "dram" {
        dram();
        return;
    }
    if only == "sweep" {
        sweep(&std::env::args().nth(2).unwrap_or_default());
        return;
    }
    let want = |name: &str| only.is_empty() || name.contains(only.as_str());
    if want("gather") {
        gather_f32_case(&mut rng, 1000, 64, 1, 0);
        gather_f32_case(&mut rng, 1000, 16, 1, 0);
        gather_f32_case(&mut rng, 1000, 4, 1, 0);
        gather_f16_case(&mut rng, 1000, 64);
        gather_f32_case(&mut rng, 1 << 20, 64, 256, 0);
    }
    if want("scatter") {
        scatter_case(&mut rng, 1000, 64, 1, 0);
        scatter_case(&mut rng, 1000, 4, 1, 0);
        scatter_case(&mut rng, 1 << 20, 64, 256, 0);
    }
    if want("experiment") {
        scatter_grouping_experiment(&mut rng, 1000, 64, 1, true);
        scatter_grouping_experiment(&mut rng, 100_000, 256, 16, true);
        scatter_grouping_experiment(&mut rng, 1 << 20, 64, 256, false);
        // The in-cache cases from a table where a heap `Vec` starts.
        gather_f32_case(&mut rng, 1000, 64, 1, 16);
        gather_f32_case(&mut rng, 1000, 16, 1, 16);
        scatter_case(&mut rng, 1000, 64, 1, 16);
    }
    if want("bags") {
        bags_f32_case(&mut rng, 100_000, 64, 20);
        bags_f32_case(&mut rng, 1 << 20, 64, 20);
    }
    if want("quantized") {
        quantized_cases(&mut rng);
    }
    if want("seed") {
        seed_case(&mut rng);
    }
    let _ = (gather_bags::<f32, u32, u32>, scatter_add::<f32, u32>);
}
