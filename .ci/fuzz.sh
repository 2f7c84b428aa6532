#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time each (AddressSanitizer,
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

status=0
for t in $TARGETS; do
    mkdir -p "corpus/$t"
    seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    log=$(mktemp)
    start=$(date +%s)
    if cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        cov=$(grep -E '^#[0-9]+.*(DONE|INITED)' "$log" | tail -1 | grep -o 'cov: [0-9]* ft: [0-9]*' || true)
        echo "fuzz $t: ok, ${runs:-?} runs in $(( $(date +%s) - start )) s, $cov"
    else
        echo "fuzz $t: FAILED"
        grep -E "panicked at|ERROR: |SUMMARY|^thread" -A3 "$log" | head -40
        ls "artifacts/$t" 2>/dev/null | sed "s|^|  artifacts/$t/|"
        status=1
    fi
    rm -f "$log"
done
exit $status
