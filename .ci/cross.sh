#!/usr/bin/env bash
# Cross CI for embedding-kernels: proves the NEON and wasm simd128 paths under
# emulation, and links the kernels into a bare-metal Cortex-M binary.
# Run from a fresh clone as `bash .ci/cross.sh`; installs what it needs
# itself (Debian packages and rustup targets). Idempotent.
#
#   1. aarch64: the whole test suite under qemu-aarch64 (NEON required);
#   2. wasm32-wasip1 with simd128: the whole test suite under Node's WASI
#      (simd128 required), through .ci/wasi-run.mjs;
#   3. thumbv7em-none-eabihf: links ensure_no_std/ and prints its size;
#   4. clippy on code the host never compiles: the NEON and simd128 modules
#      and ensure_no_std/;
#   5. with CROSS_REPORT=1 only: the quick report example (gather cases)
#      under qemu-aarch64, as a sanity check (emulated timings mean little).
#
# CROSS_PROPTEST_CASES=N sets PROPTEST_CASES for the emulated runs (1 and 2)
# only; by default the property tests run their full case counts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# Absolute, so that step 3 (built from inside ensure_no_std/) shares it.
export CARGO_TARGET_DIR="$PWD/target/cross"
LOGS="$CARGO_TARGET_DIR/logs"

# step, timed, timings.
. .ci/timed.sh
# The "ISA paths run" lines the test binaries print (de-interleaved from the
# harness's output), and the summed test counts, of one log.
summary() {
    echo "--- $1"
    grep -Eo 'embedding-kernels: ISA paths run: [a-z0-9]+(, [a-z0-9]+)*; skipped \([^)]*\): [a-z0-9]+(, [a-z0-9]+)*' "$2" |
        sort -u
    grep -E '^test result:' "$2" | awk '
        { for (i = 1; i <= NF; i++) if ($i ~ /^(passed|failed|ignored);$/) n[$i] += $(i - 1); b++ }
        END { printf "tests: %d passed, %d failed, %d ignored (%d test binaries incl. doc tests)\n",
              n["passed;"], n["failed;"], n["ignored;"], b }'
}

step "toolchain and packages"
start_all=$SECONDS
install() {
    local need=()
    command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
    command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
    [ -e /usr/aarch64-linux-gnu/lib/libc.so ] || need+=(libc6-dev-arm64-cross)
    command -v size >/dev/null || need+=(binutils)
    command -v node >/dev/null || need+=(nodejs)
    if [ ${#need[@]} -gt 0 ]; then
        local sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        "${sudo[@]}" apt-get update
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}"
    fi
    rustup component add clippy >/dev/null
    rustup target add aarch64-unknown-linux-gnu wasm32-wasip1 thumbv7em-none-eabihf >/dev/null
}
timed "install" install
rustc --version
qemu-aarch64 --version | head -n 1
echo "node $(node --version)"
mkdir -p "$LOGS"

# Node >= 20 runs WASI unflagged; 18 (Debian 12's) needs the flag.
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
if [ "$NODE_MAJOR" -lt 18 ]; then
    echo "node $(node --version) is too old for WASI preview1; 18 or later is needed" >&2
    exit 1
fi
NODE_FLAGS=(--no-warnings)
[ "$NODE_MAJOR" -ge 20 ] || NODE_FLAGS+=(--experimental-wasi-unstable-preview1)

proptest_env=()
[ -z "${CROSS_PROPTEST_CASES:-}" ] || proptest_env=(PROPTEST_CASES="$CROSS_PROPTEST_CASES")

# qemu emulates a Cortex-A53 (plain Armv8.0, no fp16 arithmetic) unless
# QEMU_CPU says otherwise: the NEON path claims to need nothing more.
aarch64_env=(
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
    QEMU_CPU="${QEMU_CPU:-cortex-a53}"
)

step "aarch64 (NEON) under qemu (-cpu ${QEMU_CPU:-cortex-a53}): cargo test --release --target aarch64-unknown-linux-gnu"
aarch64_build() {
    env "${aarch64_env[@]}" cargo test --release --target aarch64-unknown-linux-gnu --no-run
}
aarch64_test() {
    env "${aarch64_env[@]}" "${proptest_env[@]}" EMBEDDING_KERNELS_REQUIRE=neon \
        cargo test --release --target aarch64-unknown-linux-gnu --no-fail-fast 2>&1 | tee "$LOGS/aarch64.log"
}
timed "aarch64: build tests" aarch64_build
timed "aarch64: run tests (qemu)" aarch64_test

step "wasm32-wasip1 (simd128) under node: cargo test --release --target wasm32-wasip1"
# A panic aborts the whole test binary under wasm (panic=abort): no other
# test of that binary runs after it, and `--nocapture` is what lets its
# message be seen. The tests run one at a time (no threads on wasip1).
# Doc tests are compiled by rustdoc, which reads RUSTDOCFLAGS, not RUSTFLAGS.
wasm_env=(
    RUSTFLAGS="-C target-feature=+simd128"
    RUSTDOCFLAGS="-C target-feature=+simd128"
    CARGO_TARGET_WASM32_WASIP1_RUNNER="node ${NODE_FLAGS[*]} $PWD/.ci/wasi-run.mjs"
)
wasm_build() {
    env "${wasm_env[@]}" cargo test --release --target wasm32-wasip1 --no-run
}
wasm_test() {
    env "${wasm_env[@]}" "${proptest_env[@]}" EMBEDDING_KERNELS_REQUIRE=simd128 \
        cargo test --release --target wasm32-wasip1 --no-fail-fast -- --nocapture 2>&1 | tee "$LOGS/wasm32.log"
}
timed "wasm32: build tests" wasm_build
timed "wasm32: run tests (node)" wasm_test

step "thumbv7em-none-eabihf: link ensure_no_std and measure it"
no_std_build() {
    (cd ensure_no_std && RUSTFLAGS="-D warnings" cargo build --release --target thumbv7em-none-eabihf)
}
timed "thumbv7em: build + link" no_std_build
ELF="$CARGO_TARGET_DIR/thumbv7em-none-eabihf/release/ensure_no_std"
# GNU size reads any little-endian ELF; text = vector table + code + rodata.
size "$ELF"
size -A "$ELF" | grep -E '^(section|\.vector_table|\.text|\.rodata|\.data|\.bss) '

step "clippy, warnings denied, on code the x86_64 host never compiles"
lint() {
    env "${aarch64_env[@]}" cargo clippy --release --lib --target aarch64-unknown-linux-gnu -- -D warnings
    env "${wasm_env[@]}" cargo clippy --release --lib --target wasm32-wasip1 -- -D warnings
    (cd ensure_no_std && cargo clippy --release --target thumbv7em-none-eabihf -- -D warnings)
}
timed "clippy: aarch64, wasm32, thumbv7em" lint

if [ "${CROSS_REPORT:-0}" = 1 ]; then
    step "aarch64 quick report under qemu (sanity check only; emulated timings)"
    report() {
        env "${aarch64_env[@]}" cargo run --release --example report \
            --target aarch64-unknown-linux-gnu -- gather
    }
    timed "aarch64: report example" report
fi

step "summary"
summary "aarch64-unknown-linux-gnu (qemu)" "$LOGS/aarch64.log"
summary "wasm32-wasip1 +simd128 (node)" "$LOGS/wasm32.log"
echo "--- thumbv7em-none-eabihf: $(size "$ELF" | awk 'NR == 2 { print "text " $1 " B, data " $2 " B, bss " $3 " B" }')"
echo "--- wall time"
timings "$start_all"

step "done"
