#!/usr/bin/env bash
# Power cuts of a real amd64 atomicbox image in QEMU (make powercut-test).
#
# Usage: scripts/powercut-test.sh ATOMICBOX-AMD64.img
#   The image must have the image test's channel baked in (make
#   powercut-test builds it as make image-test does). POWERCUT_CUTS (default
#   20) cuts; POWERCUT_SEED replays a run; POWERCUT_KEEP=1 keeps the files.
#
# In a private network namespace (fixed ports, nothing leaves the machine):
# publishes the demo channel with base URL http://10.0.2.2:8970/ and serves
# it on the namespace's 127.0.0.1:8970, copies the image (the copy is the
# box's disk for the whole run), writes a paired token and a finished
# first-boot page into /perm, then runs image/powercut/cmd/powercut: boot,
# load through the API, SIGKILL QEMU at a random moment, judge /perm, boot
# again, ... Its last line is cuts= files_checked= bytes_compared=
# lost_acknowledged= corrupt=; it exits 1 if anything was lost or corrupt.
set -euo pipefail

if [[ -z ${POWERCUT_NETNS:-} ]]; then
  exec unshare --net env POWERCUT_NETNS=1 "$0" "$@"
fi
ip link set lo up

repo=$(cd "$(dirname "$0")/.." && pwd)
img=$(readlink -f "${1:?usage: powercut-test.sh ATOMICBOX-AMD64.img}")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/atomicbox
work=$(mktemp -d /tmp/atomicbox-powercut.XXXXXX)
perm_offset=1157627904
boot_offset=$((8192 * 512))
origin_port=8970

pids=()
cleanup() {
  local rc=$?
  trap - EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((rc == 0)) && [[ -z ${POWERCUT_KEEP:-} ]]; then rm -rf "$work"; else echo "powercut-test: files kept in $work" >&2; fi
  exit $rc
}
trap cleanup EXIT

mkdir -p "$work/bin"
(cd "$repo" && CGO_ENABLED=0 go build -tags "${ATOMICBOX_GO_TAGS:-nocgo,netgo,osusergo}" -o "$work/bin/" ./appliance/cmd/atomicpublish ./image/powercut/cmd/powercut)
DEMO_SECONDS=${IMAGE_TEST_SECONDS:-8} "$repo/scripts/demo-media.sh" "$cache/imagetest-media-v3"
"$work/bin/atomicpublish" publish -manifest "$cache/imagetest-media-v3/manifest.json" -origin "$work/origin" \
  -base-url "http://10.0.2.2:$origin_port/" -key "$cache/imagetest-network.key" >"$work/publish.log"
netkey=$("$work/bin/atomicpublish" pubkey -key "$cache/imagetest-network.key")
"$work/bin/atomicpublish" serve -origin "$work/origin" -listen "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
pids+=($!)

# The box follows the channel baked into the image; a phone paired once
# (the token) and the first-boot pages are done, so the TV goes home.
cp --sparse=always "$img" "$work/box.img"
mdel -i "$work/box.img@@$boot_offset" ::atomicbox.txt 2>/dev/null || true
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
printf '{"tokens":[{"hash":"%s","created":"%s"}]}\n' "$hash" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/pairing.json"
printf '{"keepFreePercent":10,"household":{"timeZone":"","language":"en","setUp":true}}\n' >"$work/settings.json"
debugfs -w -f - "$work/box.img?offset=$perm_offset" >/dev/null 2>&1 <<EOT
mkdir atomicbox
write $work/pairing.json atomicbox/pairing.json
write $work/settings.json atomicbox/settings.json
EOT

"$work/bin/powercut" -img "$work/box.img" -origin "$work/origin" -work "$work" -token "$token" \
  -network-key "$netkey" -cuts "${POWERCUT_CUTS:-20}" -seed "${POWERCUT_SEED:-0}"
