#!/usr/bin/env bash
# Runs the home-node seeding benchmark (appliance/lab/cmd/atomicload): the
# daemon in ./bin (built if missing) seeds 100 episodes of 52 MiB of
# generated content (5.1 GiB, written once to a temp dir) to 20 in-process
# leechers over loopback, which check every byte they receive, and its RSS
# and CPU are sampled from /proc. Extra arguments go to atomicload, e.g.
# scripts/rss-bench.sh -torrents 10 -leechers 4. Exits 1 if the peak RSS is
# over -budget-mib (150) or a leecher got anything but the content. DAEMON_GOMEMLIMIT=100MiB runs the daemon with
# that soft memory limit (as the image should). The last line of output is
# key=value figures.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
mkdir -p "$BIN"
CGO_ENABLED=0 go build -trimpath -o "$BIN/" ./appliance/lab/cmd/atomicload
[[ -x "$BIN/atomicboxd" ]] || CGO_ENABLED=0 go build -trimpath -o "$BIN/" ./appliance/cmd/atomicboxd
exec "$BIN/atomicload" -daemon "$BIN/atomicboxd" -daemon-gomemlimit "${DAEMON_GOMEMLIMIT:-}" "$@"
