#!/usr/bin/env bash
# Runs the flash-crowd benchmark (appliance/lab/cmd/atomicbench) against the
# daemon in ./bin, as root (network namespaces). Extra arguments go to
# atomicbench, e.g. scripts/bench.sh -scenario thin (presets: crowd30,
# crowd60, thin, dsl, nat, 4k, premiere) or -boxes 60. BOXES=N sets -boxes.
# The last line of output is the scenario's key=value figures.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
CGO_ENABLED=0 go build -trimpath -o "$BIN/" ./appliance/lab/cmd/atomicbench
[[ -x "$BIN/atomicboxd" ]] || { echo "bench: $BIN/atomicboxd is missing (make build)" >&2; exit 1; }
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
# atomicbench cleans up its namespaces and daemons on exit, Ctrl-C and TERM.
exec $sudo "$BIN/atomicbench" -bin "$BIN" ${BOXES:+-boxes "$BOXES"} "$@"
