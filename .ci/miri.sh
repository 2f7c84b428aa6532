#!/usr/bin/env bash
# Miri CI for embedding-kernels: the whole test suite under Miri, once per
# x86_64 target-feature level, so that Miri interprets every x86_64 path:
#
#   a. default features: portable + SSE2;
#   b. +avx2,+fma,+f16c: portable + SSE2 + AVX2;
#   c. +avx512f,+avx512bw,+avx512vl,+avx2,+fma,+f16c: all four paths.
#
# Miri has no CPUID: a path is available under Miri exactly when its target
# features are enabled at compile time (the tests' "ISA paths run" line says
# which ran). Miri cannot interpret F16C's 256-bit narrowing, the 512-bit
# f16 conversions, or the 512-bit max and compare (probed with nightly
# 2026-05-19), so under `cfg(miri)` those few operations of the AVX2 and
# AVX-512 paths go through the SSE2 path's integer code or the AVX2 halves
# (same bits); every other instruction the paths use, Miri runs. Nothing is
# skipped. Miri gives NaNs made by float instructions arbitrary payloads, so
# under Miri the tests compare NaN-ness, not NaN bits.
#
# Run from a fresh clone as `bash .ci/miri.sh`; installs what it needs (the
# nightly toolchain, miri, rust-src and Miri's sysroot). Idempotent.
#
# Knobs (environment):
#   MIRI_PROPTEST_CASES=N  property-test cases per test (default 2, as
#                          the tests' own default under Miri; the native
#                          runs draw the many cases, Miri looks for UB);
#   MIRIFLAGS_EXTRA=...    more Miri flags, e.g. -Zmiri-seed=N to draw
#                          other property-test cases;
#   MIRI_TOOLCHAIN=...     the toolchain (default nightly).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="$PWD/target/miri"
LOGS="$CARGO_TARGET_DIR/logs"
CASES="${MIRI_PROPTEST_CASES:-2}"
TC="${MIRI_TOOLCHAIN:-nightly}"
step() { printf '\n=== %s\n' "$*"; }

step "toolchain"
start_all=$SECONDS
rustup toolchain list | grep -q "^$TC" || rustup toolchain install "$TC" --profile minimal
rustup component add miri rust-src --toolchain "$TC"
cargo "+$TC" miri setup
rustc "+$TC" --version
mkdir -p "$LOGS"

# Strict provenance: the kernels do pointer arithmetic only, never integer
# casts. Under isolation Miri passes no host environment variable unless
# forwarded: PROPTEST_CASES and EMBEDDING_KERNELS_REQUIRE are.
MIRIFLAGS="-Zmiri-strict-provenance -Zmiri-env-forward=PROPTEST_CASES"
MIRIFLAGS+=" -Zmiri-env-forward=EMBEDDING_KERNELS_REQUIRE ${MIRIFLAGS_EXTRA:-}"
export MIRIFLAGS

# The target features go to this crate (and its tests) only, through
# cargo's per-package profile rustflags (nightly, as Miri is): plain
# RUSTFLAGS would rebuild every dependency under Miri for each level.
feat_args() { # feat_args FEATURES: cargo arguments enabling FEATURES.
    printf '%s\n' -Zprofile-rustflags \
        --config "profile.test.package.embedding-kernels.rustflags=[\"-Ctarget-feature=$1\"]"
}
mapfile -t AVX2 < <(feat_args "+avx2,+fma,+f16c")
mapfile -t AVX512 < <(feat_args "+avx512f,+avx512bw,+avx512vl,+avx2,+fma,+f16c")

# One level: level NAME REQUIRE CARGO-ARGS...; its log in $LOGS/NAME.log,
# its exit code in $LOGS/NAME.rc.
level() {
    local name=$1 require=$2 start=$SECONDS r=0
    shift 2
    env EMBEDDING_KERNELS_REQUIRE="$require" PROPTEST_CASES="$CASES" \
        cargo "+$TC" miri test --no-fail-fast "$@" >"$LOGS/$name.log" 2>&1 || r=$?
    echo "$r" >"$LOGS/$name.rc"
    printf '[%s] %s finished in %ds (exit %d)\n' "$(date +%T)" "$name" $((SECONDS - start)) "$r"
}
# Build first (one cargo at a time), then run the levels in two lanes: Miri
# is single-threaded, and a machine of this project has two cores.
step "build under Miri (three feature levels)"
clean=(env -u MIRIFLAGS -u PROPTEST_CASES -u EMBEDDING_KERNELS_REQUIRE)
"${clean[@]}" cargo "+$TC" miri test --no-run
"${clean[@]}" cargo "+$TC" miri test --no-run "${AVX2[@]}" --lib --tests
"${clean[@]}" cargo "+$TC" miri test --no-run "${AVX512[@]}" --lib --tests
step "Miri runs: a (default features, everything, doc tests included) | b then c (library and tests/)"
level a.default sse2 &
lane1=$!
{
    level b.avx2 sse2,avx2 "${AVX2[@]}" --lib --tests
    level c.avx512 sse2,avx2,avx512 "${AVX512[@]}" --lib --tests
} &
lane2=$!
wait $lane1 $lane2 || true
rc=0
for name in a.default b.avx2 c.avx512; do
    step "Miri, $name"
    grep -v '^warning: Miri does not support optimizations' "$LOGS/$name.log" |
        grep -E '^(test result|error|test .*FAILED)|ISA paths run|Undefined Behavior|panicked|unsupported operation' || true
    awk '/^test result:/ { for (i = 2; i <= NF; i++) n[$i] += $(i - 1) }
         END { printf "%s: %d passed, %d failed\n", "'"$name"'", n["passed;"], n["failed;"] }' "$LOGS/$name.log"
    [ "$(cat "$LOGS/$name.rc")" = 0 ] || rc=1
done
printf '\nMiri total: %ds\n' $((SECONDS - start_all))
exit $rc
