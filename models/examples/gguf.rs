//! Looks tokens up in a GGUF file's token-embedding table, borrowed from a
//! memory map as a table of its own type (F32, F16, BF16, Q8_0, Q4_0, Q4_K,
//! Q6_K), and prints the rows' first values and a checksum.
//!
//! ```sh
//! cd models
//! CARGO_TARGET_DIR=../target/models cargo run --release --example gguf -- FILE.gguf [TOKEN_ID ...]
//! ```
//!
//! Without ids it looks up the first, second, middle and last rows. Exits
//! non-zero, with the reason, for a file it cannot read, a missing
//! `token_embd.weight`, a type embedding-kernels has no format for (named),
//! or an id out of range.

use std::path::PathBuf;
use std::process::ExitCode;

use embedding_kernels::Isa;
use embedding_kernels_models::{checksum, exit, gguf, map};

fn run() -> Result<(), String> {
    let mut args = std::env::args_os().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: gguf FILE.gguf [TOKEN_ID ...]")?);
    let ids: Vec<u32> = args
        .map(|a| {
            let a = a.to_string_lossy().into_owned();
            a.parse().map_err(|_| format!("not a token id: {a:?}"))
        })
        .collect::<Result<_, _>>()?;

    let file = map(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let embd = gguf::token_embd(&file).map_err(|e| format!("{}: {e}", path.display()))?;
    let table = embd.table;
    let (rows, dim) = (table.rows(), table.dim());
    println!("file:      {} ({} bytes)", path.display(), file.len());
    println!(
        "GGUF v{}, {} tensors, alignment {}",
        embd.version, embd.tensors, embd.alignment
    );
    println!(
        "{}: {} {rows} x {dim}, {} bytes at file offset {}, borrowed from the map as Table<{}>",
        gguf::TOKEN_EMBD,
        embd.ggml_type,
        embd.bytes,
        embd.file_offset,
        table.format_name(),
    );
    println!("ISA path:  {}", Isa::best());

    let ids = if ids.is_empty() {
        let mut d = vec![0, 1, rows / 2, rows - 1];
        d.dedup();
        d.into_iter().map(|i| i as u32).collect()
    } else {
        ids
    };
    let mut out = vec![0.0f32; ids.len() * dim];
    table.gather(&ids, &mut out).map_err(|e| e.to_string())?;
    for (id, row) in ids.iter().zip(out.chunks_exact(dim)) {
        let head: Vec<String> = row.iter().take(4).map(|v| format!("{v:+.6}")).collect();
        let sum: f64 = row.iter().map(|&v| f64::from(v)).sum();
        println!("token {id:>6}: [{}, ...]  sum {sum:+.6}", head.join(", "));
    }
    println!(
        "checksum (FNV-1a of the {} f32 values' bits): {:016x}",
        out.len(),
        checksum(&out)
    );
    Ok(())
}

fn main() -> ExitCode {
    exit(run())
}
