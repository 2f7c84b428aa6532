#!/usr/bin/env bash
# Miri CI for embedding-kernels: the whole test suite under Miri with the
# x86_64 target features of every path enabled (AVX-512 F/BW/VL, AVX2, FMA,
# F16C), so that Miri interprets all five x86_64 paths: every test runs
# every path the build has (portable, SSE2, AVX2, AVX-512 and its 256-bit
# form), not only the dispatched one. The doc tests run once more at the default features
# (portable + SSE2), as a user's build compiles them.
#
# One level, not three: the AVX2 and SSE2 bodies are the same Rust whether
# or not AVX-512 is enabled beside them, and at the AVX-512 level the tests
# run them all. (Until 2026-11 this script ran the suite at three levels,
# default, +avx2 and +avx512, which ran the SSE2 path three times and the
# AVX2 path twice, and made Miri about half of CI's time.)
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
# RUSTFLAGS would rebuild every dependency under Miri.
ALL=(-Zprofile-rustflags --config
    'profile.test.package.embedding-kernels.rustflags=["-Ctarget-feature=+avx512f,+avx512bw,+avx512vl,+avx2,+fma,+f16c"]')

# The test binaries, split into two lanes of about equal Miri time (Miri is
# single-threaded; a machine of this project has two cores). Every file of
# tests/ must be in one lane: the check below fails otherwise.
LANE1=(--test kquants --test golden --test threads)
LANE2=(--lib --test kernels --test quantized --test oracle --test isa --test errors
    --test robust --test fpenv --test fuzz_regressions --test mcu_workload)
for f in tests/*.rs; do
    t=$(basename "$f" .rs)
    if [[ " ${LANE1[*]} ${LANE2[*]} " != *" $t "* ]]; then
        echo "tests/$t.rs is in neither Miri lane (.ci/miri.sh)" >&2
        exit 1
    fi
done

# One run: run NAME REQUIRE CARGO-ARGS...; its log in $LOGS/NAME.log, its
# exit code in $LOGS/NAME.rc.
run() {
    local name=$1 require=$2 start=$SECONDS r=0
    shift 2
    env EMBEDDING_KERNELS_REQUIRE="$require" PROPTEST_CASES="$CASES" \
        cargo "+$TC" miri test --no-fail-fast "$@" >"$LOGS/$name.log" 2>&1 || r=$?
    echo "$r" >"$LOGS/$name.rc"
    printf '[%s] %s finished in %ds (exit %d)\n' "$(date +%T)" "$name" $((SECONDS - start)) "$r"
}
# Build first (one cargo at a time), then run the two lanes.
step "build under Miri (every x86_64 path; the doc tests at the default features)"
clean=(env -u MIRIFLAGS -u PROPTEST_CASES -u EMBEDDING_KERNELS_REQUIRE)
"${clean[@]}" cargo "+$TC" miri test --no-run "${ALL[@]}" --lib --tests
step "Miri runs: lane 1 | lane 2 then the doc tests"
run lane1 sse2,avx2,avx512,avx512ymm "${ALL[@]}" "${LANE1[@]}" &
lane1=$!
{
    run lane2 sse2,avx2,avx512,avx512ymm "${ALL[@]}" "${LANE2[@]}"
    run doc sse2 --doc
} &
lane2=$!
wait $lane1 $lane2 || true
rc=0
for name in lane1 lane2 doc; do
    step "Miri, $name"
    grep -v '^warning: Miri does not support optimizations' "$LOGS/$name.log" |
        grep -E '^(test result|error|test .*FAILED)|Running|ISA paths run|Undefined Behavior|panicked|unsupported operation' || true
    awk '/^test result:/ { for (i = 2; i <= NF; i++) n[$i] += $(i - 1) }
         END { printf "%s: %d passed, %d failed\n", "'"$name"'", n["passed;"], n["failed;"] }' "$LOGS/$name.log"
    [ "$(cat "$LOGS/$name.rc")" = 0 ] || rc=1
done
printf '\nMiri total: %ds\n' $((SECONDS - start_all))
exit $rc
