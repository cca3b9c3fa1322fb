#!/usr/bin/env bash
# Proves a libmpv runtime tar is complete: unpacks it, checks that every ELF's
# DT_NEEDED resolves inside it, then runs the UI binary for that architecture
# against the unpacked tree alone (arm64: qemu-aarch64 -L, the host has no
# arm64 libraries to fall back on; amd64: chroot) and requires that it loads
# libmpv.so and initialises mpv, then that it plays a real H.264+AAC clip
# (vo=null ao=null) to the end with -selftest-play. Any of these failing,
# including atomictv without -selftest-play, fails the test: nothing is
# skipped.
#
# Usage: scripts/runtime-test.sh ARCH [TAR]   (default TAR: the cached one)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:?usage: runtime-test.sh ARCH [TAR]}
tar=${2:-$("$repo/scripts/runtime-tar.sh" path "$arch")}
[[ -f $tar ]] || "$repo/scripts/runtime-tar.sh" build "$arch" "$tar"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

root=$tmp/root
mkdir -p "$root"
tar -C "$root" -xf "$tar"
"$repo/scripts/runtime-tar.sh" check "$arch" "$root"

# The flags of make vet's arm64 build (the Makefile's TAGS), so make test
# links this from the build cache instead of compiling the graph again (24 s
# with -trimpath).
(cd "$repo" && GOARCH=$arch CGO_ENABLED=0 go build -tags "${ATOMICBOX_GO_TAGS:-nocgo,netgo,osusergo}" -o "$root/atomictv" ./ui/cmd/atomictv)
mkdir -p "$root/tmp" "$root/home"
case $arch in
  arm64) run=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/home qemu-aarch64 -L "$root" "$root/atomictv") ;;
  amd64) run=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/home chroot "$root" /atomictv) ;;
esac

# Headless against an API that is not there: atomictv must get past loading
# libmpv (its init panics without it) and mpv_initialize, then wait for the daemon.
# It waits for ever, so it is stopped once it says so (within 30 s).
start=$(date +%s.%N)
"${run[@]}" -profile headless -api http://127.0.0.1:9 -cache /tmp/c >"$tmp/first.log" 2>&1 &
tv=$!
for _ in $(seq 300); do
  grep -q "daemon unreachable" "$tmp/first.log" && break
  kill -0 "$tv" 2>/dev/null || break
  sleep 0.1
done
kill "$tv" 2>/dev/null || true
wait "$tv" 2>/dev/null || true
out=$(cat "$tmp/first.log")
if [[ $out != *"daemon unreachable"* ]] || [[ $out == *panic* ]]; then
  echo "$out" | tail -20 >&2
  echo "runtime-test: $arch: atomictv did not start with libmpv from $tar" >&2
  exit 1
fi
echo "runtime-test: $arch: atomictv loaded libmpv and started mpv from the tar alone ($(echo "$(date +%s.%N) - $start" | bc | cut -c1-4) s to first API attempt)" >&2

ffmpeg -v error -y -f lavfi -i testsrc2=d=3:s=640x360:r=25 -f lavfi -i sine=d=3 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest -movflags +faststart "$root/tmp/clip.mp4"
# atomictv says how it played (first frame, seconds of media); without that
# line the clip was not played, whatever the exit status.
if ! out=$("${run[@]}" -selftest-play /tmp/clip.mp4 -profile headless -cache /tmp/c 2>&1) ||
  [[ $out != *"selftest: played /tmp/clip.mp4 to the end"* ]]; then
  echo "$out" | tail -20 >&2
  echo "runtime-test: $arch: atomictv did not play a clip to the end with the runtime from $tar" >&2
  exit 1
fi
echo "runtime-test: $arch: ${out##*selftest: }" >&2
