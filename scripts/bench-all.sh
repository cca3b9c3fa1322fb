#!/usr/bin/env bash
# Runs every premiere-night scenario of the flash-crowd benchmark one after
# the other (scripts/bench.sh -scenario NAME), printing each run as it goes,
# then the scenarios' key=value lines together, the default crowd30 last.
# Each run's full output is kept in $BIN/bench-NAME.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
scenarios=(crowd60 thin dsl nat 4k premiere crowd30)
lines=()
for s in "${scenarios[@]}"; do
	scripts/bench.sh -scenario "$s" | tee "$BIN/bench-$s.txt"
	lines+=("$(tail -n 1 "$BIN/bench-$s.txt")")
done
echo
echo "all scenarios:"
printf '%s\n' "${lines[@]}"
