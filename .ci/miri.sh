#!/usr/bin/env bash
# Miri CI for embedding-kernels: the test suite under Miri, once per x86_64
# target-feature level, so that Miri interprets every x86_64 path:
#
#   a. default features: portable + SSE2, the whole suite (every test file,
#      doc tests included);
#   b. +avx2,+fma,+f16c: portable + SSE2 + AVX2;
#   c. +avx512f,+avx512bw,+avx512vl,+avx2,+fma,+f16c: all four paths. No
#      CPU of ours has AVX-512 and qemu cannot emulate it: this is the only
#      place the AVX-512 path runs.
#
# Miri has no CPUID: a path is available under Miri exactly when its target
# features are enabled at compile time. Run from a fresh clone as
# `bash .ci/miri.sh`; installs what it needs (the nightly toolchain, miri,
# rust-src and Miri's sysroot). Idempotent.
#
# What Miri cannot interpret, and so what b and c leave out (it aborts the
# whole test process at the first intrinsic it lacks; probed with
# nightly 2026-05-19):
#   AVX2:    _mm256_cvtps_ph (llvm.x86.vcvtps2ph.256): f16 narrowing, i.e.
#            scatter_add into f16 tables and from_f32 into f16.
#   AVX-512: _mm512_cvtph_ps (llvm.x86.avx512.mask.vcvtph2ps.512) and
#            _mm512_cvtps_ph (llvm.x86.avx512.mask.vcvtps2ph.512): everything
#            on f16 tables but same-type gathers; _mm512_max_ps
#            (llvm.x86.avx512.max.ps.512) and _mm512_cmp_ps_mask
#            (llvm.x86.avx512.mask.cmp.ps.512): Max pooling.
# The tests in tests/ draw element types and poolings at random, so b and c
# skip every test that can reach those (SKIP_AVX2, SKIP_AVX512 below), and
# run .ci/miri-paths instead: every kernel, element type, pooling and tail
# length on the path, against the portable path and the one-hot oracle,
# skipping (and naming) only the combinations listed above.
#
# Knobs (environment):
#   MIRI_PROPTEST_CASES=N  property-test cases per test in runs a and b
#                          (default 8; the tests' own default under Miri
#                          is 2);
#   MIRI_LANES=1           run the Miri processes one at a time (default:
#                          two at once when the machine has two cores or
#                          more, as Miri itself is single-threaded: about
#                          6 min instead of 11 on a 2-core EPYC);
#   MIRIFLAGS_EXTRA=...    more Miri flags, e.g. -Zmiri-seed=N to draw
#                          other property-test cases;
#   MIRI_TOOLCHAIN=...     the toolchain (default nightly), e.g.
#                          nightly-2026-05-19 to pin the one probed above.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="$PWD/target/miri"
LOGS="$CARGO_TARGET_DIR/logs"
CASES="${MIRI_PROPTEST_CASES:-8}"
TC="${MIRI_TOOLCHAIN:-nightly}"
if [ -z "${MIRI_LANES:-}" ]; then
    MIRI_LANES=1
    [ "$(nproc)" -lt 2 ] || MIRI_LANES=2
fi

step() { printf '\n=== %s\n' "$*"; }
TIMINGS=()
timed() { # timed NAME COMMAND...: runs COMMAND, records its wall time.
    local name=$1 start=$SECONDS
    shift
    "$@"
    TIMINGS+=("$(printf '%-44s %4ds' "$name" $((SECONDS - start)))")
}

step "toolchain"
start_all=$SECONDS
install() {
    rustup toolchain list | grep -q "^$TC" ||
        rustup toolchain install "$TC" --profile minimal
    rustup component add miri rust-src --toolchain "$TC"
    cargo "+$TC" miri setup
}
timed "install + miri setup" install
rustc "+$TC" --version
cargo "+$TC" miri --version
mkdir -p "$LOGS"

# Strict provenance: the kernels do pointer arithmetic only, never integer
# casts. Isolation stays on: proptest needs no files (the tests set no
# failure persistence) and no host entropy (under isolation its seed comes
# from Miri's deterministic RNG: -Zmiri-seed=N in MIRIFLAGS_EXTRA draws other
# cases). But under isolation Miri passes the program no host environment
# variable unless forwarded: without these, PROPTEST_CASES and
# EMBEDDING_KERNELS_REQUIRE would be silently ignored.
MIRIFLAGS_ALL="-Zmiri-strict-provenance -Zmiri-env-forward=PROPTEST_CASES"
MIRIFLAGS_ALL+=" -Zmiri-env-forward=EMBEDDING_KERNELS_REQUIRE -Zmiri-env-forward=MIRI_PATHS_ISA"
MIRIFLAGS_ALL+=" ${MIRIFLAGS_EXTRA:-}"

# The target features go to this crate (and its tests) only, through
# cargo's per-package profile rustflags (nightly, as Miri is): plain
# RUSTFLAGS would apply to every dependency too, and rebuild criterion,
# proptest and the rest under Miri for each feature level (about 70 s each).
feat_args() { # feat_args FEATURES: cargo arguments enabling FEATURES.
    local flags="[\"-Ctarget-feature=$1\"]"
    printf '%s\n' -Zprofile-rustflags \
        --config "profile.test.package.embedding-kernels.rustflags=$flags" \
        --config "profile.test.package.miri-paths.rustflags=$flags"
}
mapfile -t AVX2 < <(feat_args "+avx2,+fma,+f16c")
mapfile -t AVX512 < <(feat_args "+avx512f,+avx512bw,+avx512vl,+avx2,+fma,+f16c")
PATHS=(--manifest-path .ci/miri-paths/Cargo.toml)

# Tests that can reach an intrinsic Miri lacks (see the top of this file).
# `--exact`: whole names, so that nothing else is skipped by accident.
SKIP_AVX2=(
    scatter_add_equals_transposed_one_hot_product # f16 tables: _mm256_cvtps_ph
    scatter_add_paths_agree_on_any_bits           # f16 tables: _mm256_cvtps_ph
    every_dim_and_alignment                       # f16 scatter_add: _mm256_cvtps_ph
    conversions_match_half_on_every_path          # from_f32 into f16: _mm256_cvtps_ph
    every_f16_and_bf16_bit_pattern                # from_f32 into f16: _mm256_cvtps_ph
)
SKIP_AVX512=(
    "${SKIP_AVX2[@]}"                                    # _mm512_cvtps_ph likewise
    gather_equals_one_hot_product                        # f16->f32: _mm512_cvtph_ps
    gather_paths_agree_on_any_bits                       # f16->f32: _mm512_cvtph_ps
    bags_equal_multi_hot_product_exactly_without_repeats # f16, Max: _mm512_cvtph_ps, _mm512_max_ps
    bags_with_repeats_within_bound                       # f16, Max: likewise
    bags_paths_agree_on_any_bits                         # f16, Max: likewise
    public_functions_never_panic                         # f16 bags: _mm512_cvtph_ps
)
skips() { # skips NAME...: libtest arguments skipping exactly NAME...
    printf '%s\n' --exact
    printf -- '--skip\n%s\n' "$@"
}
mapfile -t SKIPS_AVX2 < <(skips "${SKIP_AVX2[@]}")
mapfile -t SKIPS_AVX512 < <(skips "${SKIP_AVX512[@]}")

# cargo-miri records the environment of the build in each test target's
# runner stub and, when running it, prefers those values to the current
# ones (MIRIFLAGS and PROPTEST_CASES included). Stubs left by an earlier
# build with other values would then win silently; so remove this crate's
# stubs (cheap to remake) and build without the run-time variables, which
# are given to the runs below.
fresh_stubs() {
    local names="embedding_kernels|paths"
    for t in tests/*.rs; do names+="|$(basename "$t" .rs)"; done
    find "$CARGO_TARGET_DIR"/miri/*/debug/deps -maxdepth 1 -type f \
        -regextype posix-extended -regex ".*/($names)-[0-9a-f]{16}" -delete 2>/dev/null || true
}
build() {
    fresh_stubs
    local clean=(env -u MIRIFLAGS -u PROPTEST_CASES -u EMBEDDING_KERNELS_REQUIRE -u MIRI_PATHS_ISA)
    "${clean[@]}" cargo "+$TC" miri test --no-run
    "${clean[@]}" cargo "+$TC" miri test --no-run "${AVX2[@]}" --lib --tests
    "${clean[@]}" cargo "+$TC" miri test --no-run "${AVX512[@]}" --lib --tests
    "${clean[@]}" cargo "+$TC" miri test --no-run "${PATHS[@]}" "${AVX2[@]}"
    "${clean[@]}" cargo "+$TC" miri test --no-run "${PATHS[@]}" "${AVX512[@]}"
}
step "build under Miri (three feature levels, and .ci/miri-paths)"
timed "build" build

# One Miri job: job NAME REQUIRE ISA CASES CARGO-ARGS... [-- LIBTEST-ARGS...]
# Output goes to $LOGS/NAME.log; its wall time to $LOGS/NAME.time.
job() {
    local name=$1 require=$2 isa=$3 cases=$4 start=$SECONDS rc=0
    shift 4
    env MIRIFLAGS="$MIRIFLAGS_ALL" EMBEDDING_KERNELS_REQUIRE="$require" \
        MIRI_PATHS_ISA="$isa" PROPTEST_CASES="$cases" \
        cargo "+$TC" miri test --no-fail-fast "$@" >"$LOGS/$name.log" 2>&1 || rc=$?
    echo "$((SECONDS - start)) $rc" >"$LOGS/$name.time"
    printf '[%s] %s in %ds\n' "$(date +%T)" "$name $([ $rc = 0 ] && echo ok || echo FAILED)" $((SECONDS - start))
    return $rc
}

# The jobs, in two lanes of about equal length (this machine: 5 to 6 min
# each). Lane 1 is the longest test, every_dim_and_alignment (16 shapes x 64
# kernel calls on 2 paths and the oracle: about 290 s alone), then c1.
JOBS=(a1 a2 b1 b2 c1 c2)
run_job() {
    case $1 in
    a1) job a1 sse2 "" "$CASES" --test kernels -- --test-threads=1 --exact every_dim_and_alignment ;;
    a2) job a2 sse2 "" "$CASES" -- --test-threads=1 --exact --skip every_dim_and_alignment ;;
    b1) job b1 sse2,avx2 "" "$CASES" "${AVX2[@]}" --lib --tests -- --test-threads=1 "${SKIPS_AVX2[@]}" ;;
    b2) job b2 sse2,avx2 avx2 "$CASES" "${PATHS[@]}" "${AVX2[@]}" -- --test-threads=1 ;;
    c1) job c1 sse2,avx2,avx512 "" "$CASES" "${AVX512[@]}" --lib --tests -- --test-threads=1 "${SKIPS_AVX512[@]}" ;;
    c2) job c2 sse2,avx2,avx512 avx512 "$CASES" "${PATHS[@]}" "${AVX512[@]}" -- --test-threads=1 ;;
    esac
}
lane() { # lane JOB...: runs the jobs one after another; fails if any fails.
    local rc=0
    for j in "$@"; do run_job "$j" || rc=1; done
    return $rc
}

step "Miri runs ($MIRI_LANES at a time; logs in $LOGS)"
start_runs=$SECONDS
rc=0
if [ "$MIRI_LANES" -ge 2 ]; then
    lane a1 c1 & pid1=$!
    lane a2 b1 b2 c2 & pid2=$!
    wait $pid1 || rc=1
    wait $pid2 || rc=1
else
    lane "${JOBS[@]}" || rc=1
fi
TIMINGS+=("$(printf '%-44s %4ds' "Miri runs (wall, $MIRI_LANES lanes)" $((SECONDS - start_runs)))")

# Each job's output, without the line Miri prints once per test binary
# about the profile's opt-level (which it ignores), and blank lines.
for j in "${JOBS[@]}"; do
    step "log of $j"
    grep -v '^warning: Miri does not support optimizations' "$LOGS/$j.log" | grep -v '^$' || true
done

# The "ISA paths run" lines the tests print (de-interleaved from the test
# harness's output), the miri-paths lines, and the summed test counts.
summary() { # summary TITLE JOB...
    echo "--- $1"
    local logs=() secs=0 j
    for j in "${@:2}"; do
        logs+=("$LOGS/$j.log")
        secs=$((secs + $(cut -d' ' -f1 "$LOGS/$j.time")))
    done
    { grep -ho 'embedding-kernels: ISA paths run: [^;]*; skipped (not on this CPU): [a-z0-9, ]*[a-z0-9]' "${logs[@]}" || true; } |
        sort -u
    { grep -ho 'miri-paths: .*' "${logs[@]}" || true; } |
        sed 's/; skipped under Miri: /\n    skipped under Miri: /; s/); /);\n        /g'
    { grep -h '^test result:' "${logs[@]}" || true; } | awk -v secs="$secs" '
        { for (i = 2; i <= NF; i++) n[$i] += $(i - 1); b++ }
        END { printf "tests: %d passed, %d failed, %d ignored, %d filtered out (%d test binaries); Miri time %ds\n",
              n["passed;"], n["failed;"], n["ignored;"], n["filtered"], b, secs }'
    if grep -q "unsupported operation: can't call foreign function" "${logs[@]}"; then
        echo "Miri lacks an intrinsic that one of these tests reaches:"
        grep -h "unsupported operation: can't call foreign function" "${logs[@]}" | sort -u
        echo "(skip that test in SKIP_AVX2/SKIP_AVX512 above, and teach miri_lacks() in .ci/miri-paths/tests/paths.rs)"
    fi
    if grep -q "Undefined Behavior" "${logs[@]}"; then
        echo "UNDEFINED BEHAVIOUR:"
        grep -h -A3 "Undefined Behavior" "${logs[@]}"
    fi
}

step "summary"
summary "a. default features (portable, SSE2): every test file, doc tests" a1 a2
summary "b. +avx2,+fma,+f16c: tests/ minus ${#SKIP_AVX2[@]} f16-narrowing tests, and miri-paths on avx2" b1 b2
summary "c. +avx512f,+avx512bw,+avx512vl,...: tests/ minus ${#SKIP_AVX512[@]} tests, and miri-paths on avx512" c1 c2
echo "--- wall time"
for j in "${JOBS[@]}"; do
    TIMINGS+=("$(printf '%-44s %4ds' "  job $j" "$(cut -d' ' -f1 "$LOGS/$j.time")")")
done
printf '%s\n' "${TIMINGS[@]}"
printf '%-44s %4ds\n' "total" $((SECONDS - start_all))

if [ $rc != 0 ]; then
    step "FAILED (see the logs above)"
    exit 1
fi
step "done"
