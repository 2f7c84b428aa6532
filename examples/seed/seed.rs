//! The seed article's Keras example, in Rust: an `Embedding(1000, 64)` layer
//! applied to ids of shape (32, 10), computed as the lookup it is, checked
//! against its definition `one_hot(x) · W`, from an f32 and an f16 table.
//!
//! `cargo run --release --example seed` (from the repository's root; this
//! example is a package of its own so that it builds without the crate's
//! dev-dependencies, see `Cargo.toml` here).
//!
//! The timing at the end puts the lookup beside the crate's dense oracle,
//! `onehot::matmul`: a deliberately plain triple loop (it is the
//! definition the tests check against, not a fast product). An optimised
//! sgemm is about 324× the lookup at this shape, not tens of thousands:
//! the README's "The seed's comparison" table, measured by `compare/`.

use std::time::{Duration, Instant};

use embedding_kernels::{Isa, Table, f16, gather, onehot};

const VOCAB: usize = 1000;
const DIM: usize = 64;
const BATCH: usize = 32;
const LEN: usize = 10;

/// Best of `reps` timings of `f`.
fn best_of(reps: usize, mut f: impl FnMut()) -> Duration {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> Result<(), embedding_kernels::Error> {
    // Deterministic "random" ids in 0..1000 and table weights in [-0.05, 0.05),
    // like Keras' default uniform initialiser.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let ids: Vec<u32> = (0..BATCH * LEN)
        .map(|_| (next() % VOCAB as u64) as u32)
        .collect();
    let weights: Vec<f32> = (0..VOCAB * DIM)
        .map(|_| ((next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1)
        .collect();
    let table = Table::new(&weights, DIM)?;

    // The lookup.
    let mut out = vec![0.0f32; BATCH * LEN * DIM];
    gather(table, &ids, &mut out)?;
    println!("input shape:  ({BATCH}, {LEN})  ids in 0..{VOCAB}");
    println!("table shape:  ({VOCAB}, {DIM})");
    println!(
        "output shape: ({BATCH}, {LEN}, {DIM})   [{} floats]",
        out.len()
    );
    println!("ISA path:     {}", Isa::best());

    // The definition: one_hot(ids) · W, a (320 × 1000) · (1000 × 64) product.
    let mut one_hot = vec![0.0f32; BATCH * LEN * VOCAB];
    let mut dense = vec![0.0f32; BATCH * LEN * DIM];
    onehot::one_hot(&ids, VOCAB, &mut one_hot)?;
    onehot::matmul(&one_hot, &weights, &mut dense, BATCH * LEN, VOCAB, DIM)?;
    assert_eq!(out, dense, "lookup and one-hot product must agree exactly");
    println!(
        "lookup == one_hot(ids) · W: exact, all {} values",
        out.len()
    );

    // The same from an f16 table: the lookup widens exactly.
    let weights16: Vec<f16> = weights.iter().map(|&w| f16::from_f32(w)).collect();
    let table16 = Table::new(&weights16, DIM)?;
    let mut out16 = vec![0.0f32; BATCH * LEN * DIM];
    gather(table16, &ids, &mut out16)?;
    let mut dense16 = vec![0.0f32; BATCH * LEN * DIM];
    onehot::matmul(&one_hot, &weights16, &mut dense16, BATCH * LEN, VOCAB, DIM)?;
    assert_eq!(
        out16, dense16,
        "f16 lookup and one-hot product must agree exactly"
    );
    let worst = out
        .iter()
        .zip(&out16)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!(
        "f16 table: lookup == one_hot(ids) · W16: exact; largest f16 rounding vs f32: {worst:.2e}"
    );

    // Time: the one-hot product (building one_hot and multiplying) against the lookup.
    let t_dense = best_of(3, || {
        dense.fill(0.0);
        onehot::one_hot(&ids, VOCAB, &mut one_hot).unwrap();
        onehot::matmul(&one_hot, &weights, &mut dense, BATCH * LEN, VOCAB, DIM).unwrap();
        std::hint::black_box(&dense);
    });
    let t_lookup = best_of(2000, || {
        gather(table, std::hint::black_box(&ids), &mut out).unwrap();
        std::hint::black_box(&out);
    });
    println!(
        "time, best of runs: lookup {:.2} us; one_hot(ids) · W {:.1} us ({:.0}x the lookup)",
        t_lookup.as_secs_f64() * 1e6,
        t_dense.as_secs_f64() * 1e6,
        t_dense.as_secs_f64() / t_lookup.as_secs_f64()
    );
    println!(
        "  that product is the crate's oracle, onehot::matmul: a deliberately plain triple loop.\n  \
         An optimised sgemm (ndarray/matrixmultiply, 1 thread) takes about 324x the lookup at\n  \
         this shape: README.md, \"The seed's comparison\" (measured by compare/)."
    );
    Ok(())
}
