//! The GGUF reader on the committed fixtures (models/data/gguf/, written by
//! the `gguf` Python package's GGUFWriter; see models/make_fixtures.py):
//! every supported type's lookups equal, bit for bit, the rows that the
//! package itself reads back and dequantizes; an unsupported type is an
//! error naming it; broken files are errors, not panics.

use std::fs;
use std::path::{Path, PathBuf};

use embedding_kernels_models::gguf::{self, GgufError};
use embedding_kernels_models::map;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/gguf")
}

fn manifest() -> Vec<serde_json::Value> {
    let text = fs::read_to_string(dir().join("manifest.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["files"].as_array().unwrap().clone()
}

#[test]
fn fixtures_match_gguf_py() {
    let mut types = Vec::new();
    for entry in manifest() {
        let name = entry["file"].as_str().unwrap();
        let ty = entry["type"].as_str().unwrap();
        let file = map(&dir().join(name)).unwrap();
        let got = gguf::token_embd(&file);
        if let Some(err_ty) = entry.get("error") {
            let err = got.expect_err(name);
            assert!(
                matches!(err, GgufError::Unsupported(t) if t == err_ty),
                "{name}: {err}"
            );
            assert!(err.to_string().contains(ty), "{name}: {err}");
            types.push(format!("{ty} (error)"));
            continue;
        }
        let embd = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(embd.ggml_type, ty, "{name}");
        let (rows, dim) = (embd.table.rows(), embd.table.dim());
        assert_eq!(rows as u64, entry["rows"].as_u64().unwrap(), "{name}");
        assert_eq!(dim as u64, entry["dim"].as_u64().unwrap(), "{name}");
        // Borrowed, not copied: the table's bytes are the file's.
        assert!(embd.file_offset > 0 && embd.file_offset.is_multiple_of(embd.alignment as usize));
        assert!(embd.file_offset + embd.bytes <= file.len());

        let ids: Vec<u32> = entry["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let expect: Vec<f32> = fs::read(dir().join(entry["expect"].as_str().unwrap()))
            .unwrap()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(expect.len(), ids.len() * dim, "{name}");
        let mut out = vec![0.0f32; ids.len() * dim];
        embd.table.gather(&ids, &mut out).unwrap();
        for (k, (g, e)) in out.iter().zip(&expect).enumerate() {
            assert_eq!(
                g.to_bits(),
                e.to_bits(),
                "{name}: token {} column {}: {g} != gguf-py's {e}",
                ids[k / dim],
                k % dim
            );
        }
        types.push(ty.to_string());
    }
    assert_eq!(
        types,
        [
            "Q8_0",
            "Q4_0",
            "F32",
            "F16",
            "BF16",
            "Q4_K",
            "Q6_K",
            "Q5_0 (error)"
        ]
    );
}

#[test]
fn broken_files_are_errors() {
    let bytes = fs::read(dir().join("minilm256_q8_0.gguf")).unwrap();
    // Cut inside the payload: the tensor infos say more than the file has.
    for cut in [0, 3, 24, 100, bytes.len() / 2, bytes.len() - 1] {
        let err = gguf::token_embd(&bytes[..cut]).expect_err("truncated");
        assert!(!err.to_string().is_empty());
    }
    // Not GGUF at all.
    let err = gguf::token_embd(b"GGML\x03\0\0\0 and some more bytes").unwrap_err();
    assert!(matches!(err, GgufError::Read(_)), "{err}");

    // A file without token_embd.weight: rename the tensor in place (same
    // length, so the rest of the file stays valid).
    let mut renamed = bytes.clone();
    let at = renamed
        .windows(gguf::TOKEN_EMBD.len())
        .position(|w| w == gguf::TOKEN_EMBD.as_bytes())
        .unwrap();
    renamed[at..at + 5].copy_from_slice(b"other");
    let err = gguf::token_embd(&renamed).unwrap_err();
    assert!(matches!(err, GgufError::NoTokenEmbd(_)), "{err}");
    assert!(err.to_string().contains("other_embd.weight"), "{err}");
}

#[test]
fn ids_out_of_range_are_errors() {
    let file = map(&dir().join("random64x512_q4_k.gguf")).unwrap();
    let embd = gguf::token_embd(&file).unwrap();
    let mut out = vec![0.0f32; 512];
    let err = embd.table.gather(&[64], &mut out).unwrap_err();
    assert_eq!(
        err.to_string(),
        "index 64 at position 0 is out of range: the table has 64 rows"
    );
}
