//! embedding-kernels beside what users would pick instead — candle-core,
//! ndarray, the naive loop — on the same data, in one process, printed as
//! two Markdown tables. Well under two minutes.
//!
//! `cd compare && cargo run --release --example table [filter]`
//!
//! Method: single process; each case times all its implementations
//! interleaved round by round (21 rounds, each ~1 ms of calls or at least
//! one call; short, so that fewer samples are cut by preemption on a shared
//! machine) and takes the median per implementation; ratios are taken
//! within the case. The memcpy yardstick is the faster of `copy_from_slice`
//! (glibc memcpy) and an explicit 32-byte load/store loop (see
//! `embedding_kernels_compare::copy_loop` for why).
//!
//! What the timed region includes, per implementation:
//! - `naive`, `embedding-kernels`: the call, writing into a preallocated
//!   output (or the table, for scatter-add).
//! - `candle`: the op on prebuilt tensors (table and u32 id tensors are built
//!   once, outside), producing the output tensor (its allocation), and
//!   dropping it — how a candle user calls it. Not included: building the
//!   input tensors, reading the result back (`to_vec`).
//! - `ndarray`: the op on a prebuilt array view (ids prepared as `usize`,
//!   which `select` takes), producing the output array, and dropping it.
//!
//! In the 256 MB cases each implementation cycles over its own share of 256
//! random id sets (≥ 51 sets, 51 MB of rows, more than the 32 MB L3), so no
//! implementation reads rows another one has just brought into the cache.
//!
//! Every implementation's result is checked equal (`==`) to
//! embedding-kernels' before timing (the data are small integers, so sums
//! are exact in any order).

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use embedding_kernels::{
    Bags, Isa, Pooling, Table, TableMut, f16, gather, gather_bags, onehot, scatter_add,
};
use embedding_kernels_compare::{
    IdSets, LOOKUPS, Rng, add_row, convert_row, copy_loop, copy_row, copy_std, naive_bag_sums,
    naive_gather, naive_scatter, tables,
};
use ndarray::{Array2, ArrayView2, Axis};

const ROUNDS: usize = 21;
const MEMCPY_STD: &str = "memcpy: copy_from_slice";
const MEMCPY_LOOP: &str = "memcpy: 32-byte loop";

type Variant<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Times every variant with the shared harness: interleaved round by round,
/// rounds of about 1 ms, median seconds per call.
fn measure(variants: &mut [Variant<'_>]) -> Vec<f64> {
    embedding_kernels_compare::harness::measure(variants, ROUNDS, 1e-3)
}

struct Row {
    case: String,
    name: &'static str,
    gbs: f64,
    x_memcpy: f64,
    x_naive: f64,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
}

impl Report {
    fn case(&mut self, case: String, bytes: usize, mut variants: Vec<Variant<'_>>) {
        eprintln!("timing: {case}");
        let t = measure(&mut variants);
        let find = |name: &str| t[variants.iter().position(|(n, _)| *n == name).unwrap()];
        let memcpy = find(MEMCPY_STD).min(find(MEMCPY_LOOP));
        let naive = find("naive");
        for (k, (name, _)) in variants.iter().enumerate() {
            self.rows.push(Row {
                case: case.clone(),
                name,
                gbs: bytes as f64 / t[k] / 1e9,
                x_memcpy: memcpy / t[k],
                x_naive: naive / t[k],
            });
        }
    }

    fn print(&self) {
        println!("| case | implementation | GB/s | × memcpy | × naive |");
        println!("| --- | --- | ---: | ---: | ---: |");
        let mut last = "";
        for r in &self.rows {
            let case = if r.case == last { "" } else { r.case.as_str() };
            last = &r.case;
            println!(
                "| {case} | {} | {} | {} | {} |",
                r.name,
                num(r.gbs),
                num(r.x_memcpy),
                num(r.x_naive)
            );
        }
    }
}

/// Two decimals, or three significant digits below 0.1 (candle's
/// index_add on the 256 MB table is ~0.005 GB/s).
fn num(x: f64) -> String {
    if x >= 0.1 {
        format!("{x:.2}")
    } else {
        let digits = (2 - x.log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    }
}

/// The CPU model, the number of CPUs and the load average, for the header.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cpus} CPUs, load average {}", loadavg())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn same(case: &str, name: &str, got: &[f32], want: &[f32]) {
    assert!(got == want, "{case}: {name} differs from embedding-kernels");
}

/// The two memcpy yardsticks over `bytes` of f32.
fn memcpy_variants<'a>(src: &'a [f32], dst: &'a RefCell<Vec<f32>>) -> Vec<Variant<'a>> {
    vec![
        (
            MEMCPY_STD,
            Box::new(move || copy_std(&mut dst.borrow_mut(), black_box(src))),
        ),
        (
            MEMCPY_LOOP,
            Box::new(move || copy_loop(&mut dst.borrow_mut(), black_box(src))),
        ),
    ]
}

/// The id sets of implementation `k` of `of`: its own contiguous share of
/// the `sets` id sets, cycled one set per call. With many sets (the DRAM
/// cases) no implementation reads rows another one has just pulled into
/// the cache: each share is ≥ 51 sets × 1 MB of rows, more than the L3.
/// With one set, everyone uses set 0.
fn share(k: usize, of: usize, sets: usize) -> impl FnMut() -> usize {
    let (start, len) = if sets < of {
        (0, sets)
    } else {
        (k * (sets / of), sets / of)
    };
    let mut pos = 0;
    move || {
        pos = (pos + 1) % len;
        start + pos
    }
}

/// The shares (see [`share`]) of `N` implementations.
fn shares<const N: usize>(sets: usize) -> [impl FnMut() -> usize; N] {
    std::array::from_fn(|k| share(k, N, sets))
}

fn gather_f32_case(report: &mut Report, rng: &mut Rng, rows: usize, dim: usize, sets: usize) {
    let n = LOOKUPS;
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 1021) as f32).collect();
    let IdSets { ids, ids_us, ids_c } = IdSets::new(rng, sets, n, rows);
    let (t, table_c, view) = tables(&table, rows, dim);
    let mb = (rows * dim * 4) >> 20;
    let case = format!("gather f32, {rows}×{dim} ({mb} MB table), {n} lookups");

    let mut want = vec![0.0f32; n * dim];
    gather(t, &ids[0], &mut want).unwrap();
    let c = table_c.embedding(&ids_c[0]).unwrap().flatten_all().unwrap();
    same(&case, "candle", &c.to_vec1::<f32>().unwrap(), &want);
    same(
        &case,
        "ndarray",
        view.select(Axis(0), &ids_us[0]).as_slice().unwrap(),
        &want,
    );

    let src = vec![1.0f32; n * dim];
    let out = RefCell::new(vec![0.0f32; n * dim]);
    let mut v = memcpy_variants(&src, &out);
    let (ids, ids_us, ids_c, table, out) = (&ids, &ids_us, &ids_c, &table, &out);
    let (table_c, view) = (&table_c, &view);
    let [mut s0, mut s1, mut s2, mut s3] = shares::<4>(sets);
    v.push((
        "naive",
        Box::new(move || {
            let ids = black_box(&ids[s0()]);
            naive_gather(&mut out.borrow_mut(), dim, ids, (table, dim), copy_row);
        }),
    ));
    v.push((
        "embedding-kernels",
        Box::new(move || {
            gather(t, black_box(&ids[s1()]), &mut out.borrow_mut()).unwrap();
        }),
    ));
    v.push((
        "candle embedding",
        Box::new(move || {
            black_box(table_c.embedding(black_box(&ids_c[s2()])).unwrap());
        }),
    ));
    v.push((
        "ndarray select",
        Box::new(move || {
            black_box(view.select(Axis(0), black_box(&ids_us[s3()])));
        }),
    ));
    report.case(case, n * dim * 4, v);
}

fn gather_f16_case(report: &mut Report, rng: &mut Rng, rows: usize, dim: usize) {
    let n = LOOKUPS;
    let table: Vec<f16> = (0..rows * dim)
        .map(|v| f16::from_f32((v % 1021) as f32))
        .collect();
    let IdSets { ids, ids_us, ids_c } = IdSets::new(rng, 1, n, rows);
    let (ids, ids_us, ids_c) = (&ids[0], &ids_us[0], &ids_c[0]);
    let (t, table_c, view) = tables(&table, rows, dim);
    let case = format!("gather f16→f32, {rows}×{dim}, {n} lookups");

    let candle = || {
        table_c
            .embedding(ids_c)
            .unwrap()
            .to_dtype(DType::F32)
            .unwrap()
    };
    let nd = || view.select(Axis(0), ids_us).mapv(|x| x.to_f32());
    let mut want = vec![0.0f32; n * dim];
    gather(t, ids, &mut want).unwrap();
    same(
        &case,
        "candle",
        &candle().flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        &want,
    );
    same(&case, "ndarray", nd().as_slice().unwrap(), &want);

    let src = vec![1.0f32; n * dim];
    let out = RefCell::new(vec![0.0f32; n * dim]);
    let mut v = memcpy_variants(&src, &out);
    let (table, out) = (&table, &out);
    v.push((
        "naive",
        Box::new(move || {
            let (out, put) = (&mut out.borrow_mut(), convert_row(f16::to_f32));
            naive_gather(out, dim, black_box(ids), (table, dim), put);
        }),
    ));
    v.push((
        "embedding-kernels",
        Box::new(move || {
            gather(t, black_box(ids), &mut out.borrow_mut()).unwrap();
        }),
    ));
    v.push((
        "candle embedding + to_dtype(F32)",
        Box::new(move || {
            black_box(candle());
        }),
    ));
    v.push((
        "ndarray select + mapv(to_f32)",
        Box::new(move || {
            black_box(nd());
        }),
    ));
    report.case(case, n * dim * 4, v);
}

fn scatter_case(report: &mut Report, rng: &mut Rng, rows: usize, dim: usize, sets: usize) {
    let n = LOOKUPS;
    let scale = 1.0f32 / 1024.0;
    let id_sets = IdSets::new(rng, sets, n, rows);
    let grad: Vec<f32> = (0..n * dim).map(|v| (v % 7) as f32).collect();
    let dev = Device::Cpu;
    // candle's index_add has no scale: the user passes a pre-scaled gradient
    // (built here, outside the timed region; favours candle).
    let grad_scaled: Vec<f32> = grad.iter().map(|&g| scale * g).collect();
    let grad_c = Tensor::from_slice(&grad_scaled, (n, dim), &dev).unwrap();
    // scatter_add_set (in place) wants one index per element: (n, dim) ids.
    let ids2_c = id_sets.per_element(dim);
    let IdSets { ids, ids_us, ids_c } = id_sets;
    let mb = (rows * dim * 4) >> 20;
    let case = format!("scatter-add f32, {rows}×{dim} ({mb} MB table), {n} rows (bytes: gradient)");

    // The starting table: written element by element, so every page is
    // faulted in before timing (a zeroed allocation would leave untouched
    // pages, and the first implementation timed would pay their faults).
    let start: Vec<f32> = (0..rows * dim).map(|v| (v % 5) as f32).collect();
    // Check from the same start, set 0, every implementation.
    let mut want = start.clone();
    scatter_add(
        &mut TableMut::new(&mut want, dim).unwrap(),
        &ids[0],
        &grad,
        scale,
    )
    .unwrap();
    {
        let t0 = Tensor::from_slice(&start, (rows, dim), &dev).unwrap();
        let got = t0.index_add(&ids_c[0], &grad_c, 0).unwrap();
        same(
            &case,
            "candle index_add",
            &got.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            &want,
        );
        t0.scatter_add_set(&ids2_c[0], &grad_c, 0).unwrap();
        same(
            &case,
            "candle scatter_add_set",
            &t0.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            &want,
        );
        let mut a = Array2::from_shape_vec((rows, dim), start.clone()).unwrap();
        let g = ArrayView2::from_shape((n, dim), &grad).unwrap();
        for (gr, &i) in g.rows().into_iter().zip(&ids_us[0]) {
            a.row_mut(i).scaled_add(scale, &gr);
        }
        same(&case, "ndarray", a.as_slice().unwrap(), &want);
    }
    drop(want);

    // One table shared by naive, embedding-kernels and ndarray (they all
    // update it in place); candle gets its own tensors.
    let table_c = RefCell::new(Tensor::from_slice(&start, (rows, dim), &dev).unwrap());
    let table_c2 = Tensor::from_slice(&start, (rows, dim), &dev).unwrap();
    let table = RefCell::new(Array2::from_shape_vec((rows, dim), start).unwrap());
    let grad_nd = ArrayView2::from_shape((n, dim), &grad).unwrap();
    let copy = RefCell::new(vec![0.0f32; n * dim]);
    let mut v = memcpy_variants(&grad, &copy);
    let (ids, ids_us, ids_c, ids2_c, grad, table) = (&ids, &ids_us, &ids_c, &ids2_c, &grad, &table);
    let (grad_c, table_c, table_c2, grad_nd) = (&grad_c, &table_c, &table_c2, &grad_nd);
    let [mut s0, mut s1, mut s2, mut s3, mut s4] = shares::<5>(sets);
    v.push((
        "naive",
        Box::new(move || {
            let mut t = table.borrow_mut();
            let t = t.as_slice_mut().unwrap();
            naive_scatter(t, dim, black_box(&ids[s0()]), grad, |t, g| *t += scale * g);
        }),
    ));
    v.push((
        "embedding-kernels",
        Box::new(move || {
            let mut t = table.borrow_mut();
            let mut t = TableMut::new(t.as_slice_mut().unwrap(), dim).unwrap();
            scatter_add(&mut t, black_box(&ids[s1()]), grad, scale).unwrap();
        }),
    ));
    v.push((
        "candle index_add (copies the table)",
        Box::new(move || {
            let mut t = table_c.borrow_mut();
            let new = t.index_add(black_box(&ids_c[s2()]), grad_c, 0).unwrap();
            *t = new;
        }),
    ));
    v.push((
        "candle scatter_add_set (in place)",
        Box::new(move || {
            table_c2
                .scatter_add_set(black_box(&ids2_c[s3()]), grad_c, 0)
                .unwrap();
        }),
    ));
    v.push((
        "ndarray rows loop (scaled_add)",
        Box::new(move || {
            let mut t = table.borrow_mut();
            for (g, &i) in grad_nd.rows().into_iter().zip(black_box(&ids_us[s4()])) {
                t.row_mut(i).scaled_add(scale, &g);
            }
        }),
    ));
    report.case(case, n * dim * 4, v);
}

fn bags_case(report: &mut Report, rng: &mut Rng, rows: usize, dim: usize, bag: usize) {
    let n_bags = LOOKUPS / bag;
    let n = n_bags * bag;
    let sets = 16;
    let table: Vec<f32> = (0..rows * dim).map(|v| (v % 13) as f32).collect();
    let IdSets { ids, ids_us, ids_c } = IdSets::new(rng, sets, n, rows);
    let offsets: Vec<u32> = (0..=n_bags).map(|b| (b * bag) as u32).collect();
    let (t, table_c, view) = tables(&table, rows, dim);
    let case = format!("bags: sums of {n_bags} bags of {bag}, {rows}×{dim} (bytes: rows read)");

    let candle = |ids: &Tensor| {
        table_c
            .index_select(ids, 0)
            .unwrap()
            .reshape((n_bags, bag, dim))
            .unwrap()
            .sum(1)
            .unwrap()
    };
    let nd = |ids: &[usize]| {
        view.select(Axis(0), ids)
            .into_shape_with_order((n_bags, bag, dim))
            .unwrap()
            .sum_axis(Axis(1))
    };
    let mut want = vec![0.0f32; n_bags * dim];
    gather_bags(t, Bags::new(&ids[0], &offsets), Pooling::Sum, &mut want).unwrap();
    same(
        &case,
        "candle",
        &candle(&ids_c[0])
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap(),
        &want,
    );
    same(&case, "ndarray", nd(&ids_us[0]).as_slice().unwrap(), &want);

    let src = vec![1.0f32; n * dim];
    let copy = RefCell::new(vec![0.0f32; n * dim]);
    let out = RefCell::new(vec![0.0f32; n_bags * dim]);
    let mut v = memcpy_variants(&src, &copy);
    let (ids, ids_us, ids_c, table, out, offsets) = (&ids, &ids_us, &ids_c, &table, &out, &offsets);
    let (candle, nd) = (&candle, &nd);
    let [mut s0, mut s1, mut s2, mut s3] = shares::<4>(sets);
    v.push((
        "naive",
        Box::new(move || {
            let ids = (black_box(&ids[s0()][..]), bag);
            naive_bag_sums(&mut out.borrow_mut(), dim, ids, (table, dim), add_row);
        }),
    ));
    v.push((
        "embedding-kernels",
        Box::new(move || {
            let bags = Bags::new(black_box(&ids[s1()]), offsets);
            gather_bags(t, bags, Pooling::Sum, &mut out.borrow_mut()).unwrap();
        }),
    ));
    v.push((
        "candle index_select + reshape + sum(1)",
        Box::new(move || {
            black_box(candle(black_box(&ids_c[s2()])));
        }),
    ));
    v.push((
        "ndarray select + sum_axis",
        Box::new(move || {
            black_box(nd(black_box(&ids_us[s3()])));
        }),
    ));
    report.case(case, n * dim * 4, v);
}

/// Best of `reps` calls, in seconds.
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

/// Sets the thread count candle's matmul uses (it reads RAYON_NUM_THREADS at
/// every call). Called only while no other thread of ours is running code.
fn candle_threads(n: Option<usize>) {
    // SAFETY: single-threaded here: the only other threads are rayon's idle
    // workers, which do not read the environment.
    unsafe {
        match n {
            Some(n) => std::env::set_var("RAYON_NUM_THREADS", n.to_string()),
            None => std::env::remove_var("RAYON_NUM_THREADS"),
        }
    }
}

/// The seed's comparison: 32×10 ids into a `rows`×64 table, the one-hot
/// product against the lookup, for 1k, 10k and 100k rows.
fn seed_cases(rng: &mut Rng) {
    let (n, dim) = (320usize, 64usize);
    let dev = Device::Cpu;
    println!("| vocabulary (rows) | method | µs per call | × embedding-kernels lookup |");
    println!("| ---: | --- | ---: | ---: |");
    for rows in [1000usize, 10_000, 100_000] {
        eprintln!("timing: one-hot vs lookup, {rows} rows");
        let table: Vec<f32> = (0..rows * dim).map(|v| (v % 97) as f32).collect();
        let ids = rng.ids(n, rows);
        let t = Table::new(&table, dim).unwrap();
        let mut want = vec![0.0f32; n * dim];
        gather(t, &ids, &mut want).unwrap();

        // Lookups.
        let mut out = vec![0.0f32; n * dim];
        let lookup = best(2000, || gather(t, black_box(&ids), &mut out).unwrap());
        let naive = best(2000, || {
            naive_gather(&mut out, dim, black_box(&ids), (&table, dim), copy_row);
            black_box(&mut out);
        });
        let table_c = Tensor::from_slice(&table, (rows, dim), &dev).unwrap();
        let ids_c = Tensor::from_slice(&ids, n, &dev).unwrap();
        let cand_lookup = best(2000, || {
            black_box(table_c.embedding(black_box(&ids_c)).unwrap());
        });

        // The one-hot matrix (n × rows), built once for the sgemm rows.
        let mut a = vec![0.0f32; n * rows];
        let build = best(5, || {
            onehot::one_hot(black_box(&ids), rows, &mut a).unwrap()
        });
        let a_nd = Array2::from_shape_vec((n, rows), a.clone()).unwrap();
        let w_nd = ArrayView2::from_shape((rows, dim), &table).unwrap();
        let a_c = Tensor::from_slice(&a, (n, rows), &dev).unwrap();

        // (a) the crate's plain-loop oracle, one-hot construction included.
        let mut dense = vec![0.0f32; n * dim];
        let reps = match rows {
            1000 => 3,
            10_000 => 2,
            _ => 1,
        };
        let oracle = best(reps, || {
            dense.fill(0.0);
            onehot::one_hot(&ids, rows, &mut a).unwrap();
            onehot::matmul(&a, &table, &mut dense, n, rows, dim).unwrap();
            black_box(&dense);
        });
        assert!(dense == want, "oracle differs");

        // (b) real sgemms on the prebuilt one-hot matrix.
        let sg_reps = if rows >= 100_000 { 5 } else { 20 };
        let nd_dot = best(sg_reps, || {
            black_box(a_nd.dot(&w_nd));
        });
        assert!(
            a_nd.dot(&w_nd).as_slice().unwrap() == want.as_slice(),
            "ndarray dot differs"
        );
        candle_threads(Some(1));
        let cand_1 = best(sg_reps, || {
            black_box(a_c.matmul(&table_c).unwrap());
        });
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        candle_threads(Some(threads));
        let cand_all = best(sg_reps, || {
            black_box(a_c.matmul(&table_c).unwrap());
        });
        candle_threads(None);
        let got = a_c
            .matmul(&table_c)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(got == want, "candle matmul differs");

        let rows_out: [(&str, f64); 8] = [
            ("lookup: embedding-kernels `gather`", lookup),
            ("lookup: naive per-row copy", naive),
            ("lookup: candle `embedding`", cand_lookup),
            ("one-hot matrix build alone (`onehot::one_hot`)", build),
            (
                "one-hot · W: crate oracle (plain loops, build included)",
                oracle,
            ),
            (
                "one-hot · W: ndarray `dot` (matrixmultiply sgemm, 1 thread)",
                nd_dot,
            ),
            ("one-hot · W: candle `matmul` (gemm, 1 thread)", cand_1),
            ("one-hot · W: candle `matmul` (gemm, all threads)", cand_all),
        ];
        for (name, secs) in rows_out {
            let name = name.replace("all threads", &format!("{threads} threads"));
            println!(
                "| {rows} | {name} | {:.2} | {:.1} |",
                secs * 1e6,
                secs / lookup
            );
        }
    }
}

fn main() {
    let start = Instant::now();
    let machine_at_start = machine();
    // Everything below runs on one thread, except candle's matmul where said.
    candle_threads(Some(1));
    let only = std::env::args().nth(1).unwrap_or_default();
    let want = |name: &str| only.is_empty() || name.contains(only.as_str());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut report = Report::default();
    if want("gather") {
        for dim in [4, 16, 64, 256] {
            gather_f32_case(&mut report, &mut rng, 1000, dim, 1);
        }
        gather_f16_case(&mut report, &mut rng, 1000, 64);
        gather_f32_case(&mut report, &mut rng, 1 << 20, 64, 256);
    }
    if want("scatter") {
        scatter_case(&mut report, &mut rng, 1000, 64, 1);
        scatter_case(&mut report, &mut rng, 1 << 20, 64, 256);
    }
    if want("bags") {
        bags_case(&mut report, &mut rng, 100_000, 64, 20);
    }
    // Versions as locked in compare/Cargo.lock.
    println!(
        "embedding-kernels against candle-core 0.11.1 and ndarray 0.17.2, single thread \
         unless said; ISA paths {}, dispatched = {}.\n\nMachine: {machine_at_start} at \
         the start (load average {} before the one-hot sweep).\n",
        Isa::available()
            .map(|i| i.name())
            .collect::<Vec<_>>()
            .join(", "),
        Isa::best(),
        loadavg()
    );
    println!(
        "Median of {ROUNDS} interleaved rounds; ratios within each case. \"× memcpy\" is \
         against the FASTER of `copy_from_slice` (glibc memcpy, which on this VM can be \
         pathologically slow for 64–256 KB copies, depending on the relative address of \
         source and destination) and an explicit 32-byte load/store loop, both shown. \
         candle/ndarray times include producing (allocating) their output, as users call them; \
         input tensors and id tensors are built outside the timed region. In the 256 MB \
         cases each implementation cycles over its own share (≥ 51 MB of rows) of 256 random \
         id sets, so the rows come from DRAM.\n"
    );
    if !report.rows.is_empty() {
        report.print();
        println!();
    }
    if want("seed") {
        println!(
            "The seed's comparison: 32×10 = 320 ids into a rows×64 f32 table. Lookups: best \
             of 2000 calls. sgemm rows: the one-hot matrix (and its tensor) is prebuilt, \
             only the product is timed (favours the dense approach); the oracle row includes \
             building it. Best of 1–20 calls.\n"
        );
        seed_cases(&mut rng);
    }
    eprintln!("total {:.1} s", start.elapsed().as_secs_f64());
}
