#!/usr/bin/env bash
# Over-the-air update of a running box: builds the instance and sends it with
# gok update (the box writes the inactive root partition, switches to it and
# reboots; /perm is kept).
#
# Usage: scripts/update.sh INSTANCE HOST[:PORT]
#   INSTANCE  rpi or amd64 (image/INSTANCE), or a directory with config.json
#   HOST      the box's name or address; PORT its gokrazy web port (default 80)
# The password is ~/.config/gokrazy/hosts/<Hostname>/http-password.txt, the
# one image-build.sh generated when the image was made.
# Env: CHANNEL and NETWORK_KEY, as for image-build.sh: the new root file
# system carries only what is given here, so an update of a box that follows
# a baked channel must name it again (a box set up by atomicbox.txt keeps its
# settings in /perm either way).
# ATOMICBOX_VERSION, when set, is the build id atomicboxd reports
# (GET /api/settings box.version, -X main.version): how the image test tells
# the updated build from the one it replaced.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
inst=${1:?usage: update.sh INSTANCE HOST[:PORT]}
target=${2:?usage: update.sh INSTANCE HOST[:PORT]}
gok=${GOK:-$HOME/.cache/atomicbox/tools/gok}
[[ -d $inst ]] || inst="$repo/image/$inst"
inst=$(cd "$inst" && pwd)
name=$(basename "$inst")
host=${target%:*}
port=80
[[ $target != *:* ]] || port=${target##*:}

case $(grep -o '"github.com/gokrazy/kernel[^"]*"' "$inst/config.json") in
  *kernel.amd64*) arch=amd64 ;;
  *) arch=arm64 ;;
esac

# gok takes the update target from config.json: work on a copy that names
# HOST, with the builddir's relative replace made absolute.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/$name"
cp -r "$inst/builddir" "$tmp/$name/"
sed -i "s#=> \.\./\.\./\.\.#=> $repo#" "$tmp/$name/builddir/go.mod"
python3 - "$inst/config.json" "$tmp/$name/config.json" "$host" "$port" "${ATOMICBOX_VERSION:-}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
u = c.setdefault("Update", {})
u["Hostname"], u["HTTPPort"] = sys.argv[3], sys.argv[4]
if sys.argv[5]:
    pc = c.setdefault("PackageConfig", {}).setdefault("github.com/atomicnetwork/atomicbox/appliance/cmd/atomicboxd", {})
    pc["GoBuildFlags"] = pc.get("GoBuildFlags", []) + ["-ldflags=-X main.version=" + sys.argv[5]]
json.dump(c, open(sys.argv[2], "w"), indent=4)
PY
if grep -q '"../build/runtime"' "$inst/config.json"; then
  tar=$("$repo/scripts/runtime-tar.sh" path "$arch")
  [[ -f $tar ]] || "$repo/scripts/runtime-tar.sh" build "$arch" "$tar"
  mkdir -p "$tmp/build"
  ln -s "$tar" "$tmp/build/runtime_$arch.tar"
fi
if grep -q '"../build/baked"' "$inst/config.json"; then
  mkdir -p "$tmp/build/baked"
  (cd "$repo" && CGO_ENABLED=0 go run -tags "${ATOMICBOX_GO_TAGS:-nocgo,netgo,osusergo}" ./image/bake/cmd/bake -channel "${CHANNEL:-}" -network-key "${NETWORK_KEY:-}" -o "$tmp/build/baked/baked.txt") ||
    { echo "update: CHANNEL/NETWORK_KEY refused; nothing sent" >&2; exit 2; }
  [[ -n ${CHANNEL:-} ]] ||
    echo "update: WARNING: no CHANNEL given: the update bakes in no channel; a box that has none from atomicbox.txt will stop (not set up)" >&2
fi
GOARCH=$arch GOFLAGS=-buildvcs=false "$gok" --parent_dir "$tmp" -i "$name" update
