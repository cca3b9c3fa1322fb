#!/usr/bin/env bash
# Builds a flashable gokrazy image of one instance under image/.
#
# Usage: scripts/image-build.sh INSTANCE OUT.img [SIZE_BYTES]
#   INSTANCE    rpi (arm64: Pi 4/400, Pi 5) or amd64 (QEMU, x86-64 mini PCs),
#               or a directory holding config.json and builddir/
#   SIZE_BYTES  image size (default 2 GiB); /perm gets what the boot and two
#               root partitions (1157627904 bytes) leave, formatted ext4.
# Env: GOK (path of the pinned gok, default: built by image/image.mk),
#      GOKRAZY_PARENT_DIR (default image/), RUNTIME_TAR (skip building it),
#      CHANNEL and NETWORK_KEY (the channel the box follows with no file to
#      edit, and the network's public key in base64; both or neither).
#
# Steps: check CHANNEL and NETWORK_KEY and write them where config.json
# expects the baked settings (image/build/baked/baked.txt; atomicboxd reads
# it under atomicbox.txt, which overrides it); make sure the libmpv runtime tar for the instance's architecture
# exists (scripts/runtime-tar.sh, cached outside git) and link it to
# image/build/runtime_<arch>.tar where config.json expects it; make sure the
# update password exists outside the repo; gok overwrite --full; format /perm
# (gok leaves it empty); put the commented atomicbox.txt on the boot partition.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
inst=${1:?usage: image-build.sh INSTANCE OUT.img [SIZE_BYTES]}
out=${2:?usage: image-build.sh INSTANCE OUT.img [SIZE_BYTES]}
size=${3:-2147483648}
size=$(( size / 512 * 512 ))
gok=${GOK:-$HOME/.cache/atomicbox/tools/gok}

if [[ -d $inst ]]; then
  parent=$(cd "$(dirname "$inst")" && pwd)
  inst=$(basename "$inst")
else
  parent=${GOKRAZY_PARENT_DIR:-$repo/image}
fi
cfg="$parent/$inst/config.json"
[[ -f $cfg ]] || { echo "image-build: no $cfg" >&2; exit 2; }
[[ -x $gok ]] || { echo "image-build: no gok at $gok (make gok builds it)" >&2; exit 2; }

# The kernel package decides the architecture.
case $(grep -o '"github.com/gokrazy/kernel[^"]*"' "$cfg") in
  *kernel.amd64*) arch=amd64 ;;
  *) arch=arm64 ;;
esac

perm_offset=1157627904
((size >= perm_offset + 64 * 1024 * 1024)) || { echo "image-build: $size bytes is too small" >&2; exit 2; }

# Baked settings: first, so that a wrong key fails before the slow steps.
mkdir -p "$parent/build"
if grep -q '"../build/baked"' "$cfg"; then
  mkdir -p "$parent/build/baked"
  (cd "$repo" && CGO_ENABLED=0 go run -tags "${ATOMICBOX_GO_TAGS:-nocgo,netgo,osusergo}" ./image/bake/cmd/bake -channel "${CHANNEL:-}" -network-key "${NETWORK_KEY:-}" -o "$parent/build/baked/baked.txt") ||
    { echo "image-build: CHANNEL/NETWORK_KEY refused; no image built" >&2; exit 2; }
  if [[ -n ${CHANNEL:-} ]]; then
    echo "image-build: channel $CHANNEL baked in (atomicbox.txt on the boot partition overrides it)" >&2
  else
    echo "image-build: no channel baked in (make image CHANNEL=… NETWORK_KEY=…); the box needs atomicbox.txt" >&2
  fi
fi

# Runtime tar: config.json names ../build/runtime, gok picks runtime_<arch>.tar.
if grep -q '"../build/runtime"' "$cfg"; then
  tar=${RUNTIME_TAR:-$("$repo/scripts/runtime-tar.sh" path "$arch")}
  [[ -f $tar ]] || "$repo/scripts/runtime-tar.sh" build "$arch" "$tar"
  ln -f "$tar" "$parent/build/runtime_$arch.tar" 2>/dev/null || cp "$tar" "$parent/build/runtime_$arch.tar"
fi

# The update password lives outside the repo; gok reads it from here.
host=$(sed -n 's/^ *"Hostname": *"\([^"]*\)".*/\1/p' "$cfg" | head -1)
pwfile="$HOME/.config/gokrazy/hosts/$host/http-password.txt"
if [[ ! -s $pwfile ]]; then
  mkdir -p "$(dirname "$pwfile")"
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$pwfile")
  echo "image-build: generated the update password in $pwfile" >&2
fi

# Add go.sum lines that the appliance's go.mod gained since the last build.
builddir="$parent/$inst/builddir"
pkgs=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["Packages"]))' "$cfg")
# shellcheck disable=SC2086
(cd "$builddir" && GOFLAGS=-mod=mod GOARCH=$arch CGO_ENABLED=0 go list -e -tags nocgo,gokrazy -deps \
  github.com/gokrazy/gokrazy $pkgs >/dev/null)

rm -f "$out.tmp"
mkdir -p "$(dirname "$out")"
GOARCH=$arch GOFLAGS=-buildvcs=false "$gok" --parent_dir "$parent" -i "$inst" overwrite \
  --full "$out.tmp" --target_storage_bytes "$size" >&2
truncate -s "$size" "$out.tmp"

# /perm: everything after the root partitions but the 33-sector backup GPT.
perm_kib=$(( (size / 512 - 34 - perm_offset / 512) / 2 ))
mkfs.ext4 -q -F -L perm -E offset=$perm_offset "$out.tmp" "$perm_kib" >&2

# The editable settings file on the FAT boot partition (starts at sector
# 8192). gok writes a FAT exactly as large as its files; its FAT table has room
# for a few hundred more clusters, so raise the sector count within the
# 100 MB partition (nothing moves: the amd64 MBR loads vmlinuz by LBA).
boot_off=$((8192 * 512))
python3 - "$out.tmp" "$boot_off" <<'PY'
import struct, sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(512)
    bps, spc, res, nfats, rootents, tot16, _, fatsz = struct.unpack_from("<HBHBHHBH", b, 11)
    tot = tot16 or struct.unpack_from("<I", b, 32)[0]
    data = res + nfats * fatsz + (rootents * 32 + bps - 1) // bps
    maxclusters = min(fatsz * bps // 2 - 2, 65524)
    new = min(data + maxclusters * spc, 100 * 1000 * 1000 // bps)
    if new > tot:
        f.seek(off + (res * bps) + ((tot - data) // spc + 2) * 2)
        if f.read((new - tot) // spc * 2).strip(b"\0"):
            sys.exit("image-build: FAT entries past the end are in use")
        f.seek(off + 19); f.write(struct.pack("<H", 0))
        f.seek(off + 32); f.write(struct.pack("<I", new))
    print(f"image-build: boot FAT {tot} -> {new} sectors", file=sys.stderr)
PY
mcopy -o -i "$out.tmp@@$boot_off" "$repo/image/boot/atomicbox.txt" ::atomicbox.txt
mv "$out.tmp" "$out"
echo "image-build: $out ($arch, $(du -h --apparent-size "$out" | cut -f1), $(du -h "$out" | cut -f1) on disk)" >&2
