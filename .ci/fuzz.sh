#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time each, two at a time (AddressSanitizer,
# debug assertions and overflow checks on: cargo fuzz's defaults) and fails on
# the first crash, panic or failed check. Run from anywhere: `bash .ci/fuzz.sh`.
#
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_TARGETS   space-separated targets (default: all of `cargo fuzz list`)
#
# A crash leaves its input in fuzz/artifacts/<target>/; replay it with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-...`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${FUZZ_SECONDS:-30}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

TARGETS=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
echo "building: $(echo $TARGETS)"
cargo +nightly fuzz build

# The targets run two at a time (each is one process; CI machines have two
# cores), from the binaries `cargo fuzz build` made, with the artifact
# prefix `cargo fuzz run` would pass.
BIN="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
RES=$(mktemp -d)
run_target() { # run_target T: fuzz T, its result line in $RES/T.line, 0/1 in $RES/T.rc
    local t=$1 log="$RES/$1.log" start
    mkdir -p "corpus/$t" "artifacts/$t"
    local seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    start=$(date +%s)
    if "$BIN/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$SECONDS_EACH" \
        -print_final_stats=1 "corpus/$t" "${seeds[@]}" >"$log" 2>&1; then
        local runs cov
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        cov=$(grep -E '^#[0-9]+.*(DONE|INITED)' "$log" | tail -1 | grep -o 'cov: [0-9]* ft: [0-9]*' || true)
        echo "fuzz $t: ok, ${runs:-?} runs in $(( $(date +%s) - start )) s, $cov" >"$RES/$t.line"
        echo 0 >"$RES/$t.rc"
    else
        {
            echo "fuzz $t: FAILED"
            grep -E "panicked at|ERROR: |SUMMARY|^thread" -A3 "$log" | head -40
            ls "artifacts/$t" 2>/dev/null | sed "s|^|  artifacts/$t/|"
        } >"$RES/$t.line"
        echo 1 >"$RES/$t.rc"
    fi
}
running=0
for t in $TARGETS; do
    if [ "$running" -ge 2 ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_target "$t" &
    running=$((running + 1))
done
wait || true
status=0
for t in $TARGETS; do
    cat "$RES/$t.line"
    [ "$(cat "$RES/$t.rc" 2>/dev/null)" = 0 ] || status=1
done
rm -rf "$RES"
exit $status
