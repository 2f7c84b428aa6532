# Sourced by .ci/cross.sh and .ci/models.sh: step headers and timed steps.

step() { printf '\n=== %s\n' "$*"; }
TIMINGS=()
timed() { # timed NAME COMMAND...: runs COMMAND, records its wall time.
    local name=$1 start=$SECONDS
    shift
    "$@"
    TIMINGS+=("$(printf '%-34s %4ds' "$name" $((SECONDS - start)))")
}
timings() { # timings START: the recorded wall times, and the total since START.
    printf '%s\n' "${TIMINGS[@]}"
    printf '%-34s %4ds\n' "total" $((SECONDS - $1))
}
