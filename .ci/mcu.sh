#!/usr/bin/env bash
# Runs the kernels on an emulated Cortex-M4F and checks their result against
# the host's. Run from a fresh clone as `bash .ci/mcu.sh`; installs what it
# needs itself (qemu-system-arm from Debian, the rustup target). Idempotent.
#
#   1. builds ensure_no_std/ for thumbv7em-none-eabihf (warnings denied);
#   2. runs it under qemu-system-arm on mps2-an386 (Cortex-M4 with FPU) with
#      semihosting: it runs ensure_no_std/src/workload.rs (gather,
#      gather_bags and scatter_add on f32 and f16 tables), prints
#      `checksum 0x…` and `stack used: N bytes`, and exits 0 only when the
#      checksum is workload::EXPECTED;
#   3. fails unless qemu exited 0 within the timeout and the printed checksum
#      is the EXPECTED written in workload.rs; prints code size and stack use.
#
# The host side of the comparison is tests/mcu_workload.rs (part of
# `cargo test --release`), which asserts that the same workload gives
# EXPECTED through the free functions and on every ISA path of the host.
# MCU_TIMEOUT=N sets the emulator's time limit in seconds (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# The same absolute target directory as .ci/cross.sh, so that the build is
# shared with its thumbv7em step.
export CARGO_TARGET_DIR="$PWD/target/cross"
ELF="$CARGO_TARGET_DIR/thumbv7em-none-eabihf/release/ensure_no_std"
LOG="$CARGO_TARGET_DIR/logs/mcu.log"

step() { printf '\n=== %s\n' "$*"; }

step "toolchain and packages"
need=()
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
command -v size >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${need[@]}"
fi
rustup target add thumbv7em-none-eabihf >/dev/null
rustc --version
qemu-system-arm --version | head -n 1
mkdir -p "$(dirname "$LOG")"

step "build: ensure_no_std for thumbv7em-none-eabihf"
(cd ensure_no_std && RUSTFLAGS="-D warnings" cargo build --release --target thumbv7em-none-eabihf)

step "size (text = vector table + code + rodata, including the workload's tables)"
size "$ELF"
size -A "$ELF" | grep -E '^(section|\.vector_table|\.text|\.rodata|\.data|\.bss) '

QEMU=(qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none
    -semihosting-config enable=on,target=native -kernel "$ELF")
step "run under qemu (timeout ${MCU_TIMEOUT:-60}s): ${QEMU[*]}"
run_start=$SECONDS
set +e
# Semihosting writes to qemu's stderr; stdin is not the emulator's.
timeout "${MCU_TIMEOUT:-60}" "${QEMU[@]}" </dev/null >"$LOG" 2>&1
rc=$?
set -e
run_time=$((SECONDS - run_start))
cat "$LOG"

expected=$(sed -nE 's/^pub const EXPECTED: u64 = 0x([0-9A-Fa-f_]+);.*/\1/p' ensure_no_std/src/workload.rs |
    tr -d _ | tr A-F a-f)
expected=$(printf '0x%016x' "0x$expected")
checksum=$(sed -nE 's/^checksum (0x[0-9a-f]{16})$/\1/p' "$LOG" | head -n 1)
stack=$(sed -nE 's/^stack used: ([0-9]+) bytes$/\1/p' "$LOG" | head -n 1)

step "summary"
echo "thumbv7em-none-eabihf on mps2-an386: $(size "$ELF" | awk 'NR == 2 { print "text " $1 " B, data " $2 " B, bss " $3 " B" }')"
echo "stack used: ${stack:-?} bytes"
echo "checksum: MCU ${checksum:-none}, host (workload::EXPECTED) $expected"
echo "qemu: exit code $rc after ${run_time}s; wall time ${SECONDS}s in all"
fail=0
if [ "$rc" -eq 124 ]; then
    echo "FAIL: qemu did not exit within ${MCU_TIMEOUT:-60}s" >&2
    fail=1
elif [ "$rc" -ne 0 ]; then
    echo "FAIL: the MCU run exited $rc (1: checksum mismatch, 2: kernel error, 3: fault, 101: panic)" >&2
    fail=1
fi
if [ -z "$checksum" ]; then
    echo "FAIL: no checksum line in the emulator's output" >&2
    fail=1
elif [ "$checksum" != "$expected" ]; then
    echo "FAIL: the MCU's checksum $checksum is not the host's $expected" >&2
    fail=1
fi
[ -n "$stack" ] || { echo "FAIL: no stack line in the emulator's output" >&2; fail=1; }
[ "$fail" -eq 0 ] || exit 1
echo "ok: the Cortex-M4F computes the host's checksum"
