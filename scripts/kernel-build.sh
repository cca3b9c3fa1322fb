#!/usr/bin/env bash
# Assembles the Raspberry Pi kernel package (a Go module directory gok can use
# as KernelPackage) from Debian's arm64 kernel packages pinned in
# image/kernel/kernel.lock:
#
#   OUT/vmlinuz                    uncompressed arm64 Image
#   OUT/*.dtb                      Pi 4/400/CM4 and Pi 5 device trees (+ firmware names)
#   OUT/initrd-atomicbox.dtb       the initramfs (cpio newc, xz): Go /init + boot modules
#   OUT/overlays/*.dtbo            the IR receiver overlays (image/kernel/overlays)
#   OUT/lib/modules/KVER/          modules from image/kernel/modules.txt + dependencies
#   OUT/config.txt, cmdline.txt    boot files gok writes to the FAT partition
#   OUT/go.mod, kernel.go          so that gok (go list) accepts the directory
#   OUT-firmware/lib/firmware/     Wi-Fi firmware (gok does not copy it from the kernel)
#
# Usage: scripts/kernel-build.sh OUT
# What goes in (the lock file's pins, the module closures) is decided by
# image/kernelbuild (built here as a host tool); this script runs the tools.
# Downloads are cached in ${XDG_CACHE_HOME:-~/.cache}/atomicbox/kernel and
# checked against the lock file. Needs: apt-get, dpkg-deb, depmod (kmod), dtc
# (device-tree-compiler), cpio, xz, go.
set -euo pipefail

out=${1:?usage: scripts/kernel-build.sh OUT}
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
repo=$(cd "$(dirname "$0")/.." && pwd)
lock=$repo/image/kernel/kernel.lock
cache=${XDG_CACHE_HOME:-$HOME/.cache}/atomicbox/kernel
go=${GO:-go}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

tools=$(mktemp -d)
stage=$(mktemp -d)
trap 'rm -rf "$tools" "$stage"' EXIT
(cd "$repo" && CGO_ENABLED=0 "$go" build -trimpath -o "$tools/kernelbuild" ./image/kernelbuild/cmd/kernelbuild)
kb=$tools/kernelbuild
kver=$("$kb" release "$lock")
pins=$("$kb" pins "$lock")

# --- download (a private apt state; the host's apt configuration is untouched)
fetch() {
	local aptdir=$cache/apt
	mkdir -p "$aptdir"/etc/apt/{sources.list.d,preferences.d,apt.conf.d} \
		"$aptdir"/var/lib/apt/lists/partial "$aptdir"/var/cache/apt/archives/partial "$aptdir"/var/lib/dpkg
	touch "$aptdir/var/lib/dpkg/status"
	# The mirror comes from the host's own apt sources.
	local mirror
	mirror=$(grep -h -o -E '^URIs: *[^ ]+' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
	[ -n "$mirror" ] || mirror=$(awk '/^deb / && !/security/ {print $2; exit}' /etc/apt/sources.list)
	[ -n "$mirror" ] || { echo "kernel-build: no Debian mirror in the host's apt sources" >&2; exit 1; }
	local suites
	suites=$("$kb" suites "$lock")
	: >"$aptdir/etc/apt/sources.list"
	for s in $suites; do
		echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main non-free-firmware" >>"$aptdir/etc/apt/sources.list"
	done
	local opts=(-oDir="$aptdir" -oDir::Etc="$aptdir/etc/apt" -oDir::State::status="$aptdir/var/lib/dpkg/status"
		-oAPT::Architecture=arm64 -oAPT::Architectures=arm64 -oAPT::Sandbox::User=root -qq)
	apt-get "${opts[@]}" update
	(cd "$cache/debs" && apt-get "${opts[@]}" download "$@")
}

mkdir -p "$cache/debs"
missing=()
debs=()
while read -r name version arch suite sum; do
	f=$cache/debs/${name}_${version}_${arch}.deb
	debs+=("$f")
	if [ ! -f "$f" ] || ! echo "$sum  $f" | sha256sum --status -c -; then
		rm -f "$f"
		missing+=("$name=$version")
	fi
done <<<"$pins"
if [ ${#missing[@]} -gt 0 ]; then
	fetch "${missing[@]}"
fi
while read -r name version arch suite sum; do
	f=$cache/debs/${name}_${version}_${arch}.deb
	echo "$sum  $f" | sha256sum --status -c - || { echo "kernel-build: checksum mismatch for $f (want $sum)" >&2; exit 1; }
done <<<"$pins"

# --- unpack the full tree once per lock file
locksum=$(sha256sum "$lock" | cut -c1-16)
full=$cache/tree-$locksum
if [ ! -f "$full/.done" ]; then
	rm -rf "$full"
	mkdir -p "$full"
	for f in "${debs[@]}"; do dpkg-deb -x "$f" "$full"; done
	mkdir -p "$full/lib"
	mv "$full/usr/lib/modules" "$full/lib/modules"
	depmod -b "$full" "$kver"
	touch "$full/.done"
fi
mods=$full/lib/modules/$kver

# copymods DEST -list FILE | -boards FILE: a lib/modules tree with those
# modules and their dependencies (kernelbuild closure) and a fresh modules.dep
copymods() {
	local dest=$1
	shift
	local list
	list=$("$kb" closure -mods "$mods" "$@")
	rm -rf "$dest/lib/modules"
	mkdir -p "$dest/lib/modules/$kver"
	(cd "$mods" && cp --parents $list modules.builtin modules.builtin.modinfo modules.order "$dest/lib/modules/$kver/")
	depmod -b "$dest" "$kver"
	rm -f "$dest/lib/modules/$kver"/*.bin
}

rm -rf "$out" "$out-firmware"
mkdir -p "$out/overlays"

# --- kernel, device trees, overlays, boot files
cp "$mods/vmlinuz" "$out/vmlinuz"
dtb=$mods/dtb/broadcom
for d in bcm2711-rpi-4-b bcm2711-rpi-400 bcm2711-rpi-cm4-io bcm2712-rpi-5-b bcm2712-d-rpi-5-b; do
	cp "$dtb/$d.dtb" "$out/"
done
# The firmware looks for its own (Raspberry Pi kernel) file names: the CM4
# on any carrier and the Pi 5 with the D0 stepping of the BCM2712.
cp "$dtb/bcm2711-rpi-cm4-io.dtb" "$out/bcm2711-rpi-cm4.dtb"
cp "$dtb/bcm2712-d-rpi-5-b.dtb" "$out/bcm2712d0-rpi-5-b.dtb"
for s in "$repo"/image/kernel/overlays/*.dts; do
	dtc -q -@ -I dts -O dtb -o "$out/overlays/$(basename "$s" .dts).dtbo" "$s"
done
cp "$repo/image/kernel/config.txt" "$repo/image/kernel/cmdline.txt" "$out/"
cat >"$out/go.mod" <<EOF
module github.com/atomicnetwork/atomicbox-kernel-rpi

go 1.22
EOF
cat >"$out/kernel.go" <<EOF
// Package kernel is Debian's arm64 kernel $kver for the Raspberry Pi, assembled by scripts/kernel-build.sh.
package kernel
EOF

# --- modules for the running system
copymods "$out" -list "$repo/image/kernel/modules.txt"

# --- Wi-Fi firmware (Pi 4, 400, CM4, Pi 5: CYW43455/43456), symlinks resolved
fw=$out-firmware/lib/firmware/brcm
mkdir -p "$fw"
for f in "$full"/usr/lib/firmware/brcm/brcmfmac4345[56]-sdio.bin "$full"/usr/lib/firmware/brcm/brcmfmac4345[56]-sdio.clm_blob \
	"$full"/usr/lib/firmware/brcm/brcmfmac4345[56]-sdio.raspberrypi,*.txt; do
	if [ -e "$f" ]; then cp -L "$f" "$fw/"; fi
done
ls "$fw" | grep -q . || { echo "kernel-build: no brcmfmac43455 firmware in firmware-brcm80211" >&2; exit 1; }

# --- initramfs
(cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 "$go" build -trimpath -ldflags=-s -o "$stage/init" ./image/initramfs/cmd/init)
copymods "$stage" -boards "$repo/image/initramfs/boot/boards.txt"
mkdir -p "$stage"/{dev,proc,sys,newroot}
# The kernel opens /dev/console for init before anything is mounted.
if [ "$(id -u)" = 0 ]; then mknod -m 600 "$stage/dev/console" c 5 1; fi
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
	xz --check=crc32 -9 -T1 >"$out/initrd-atomicbox.dtb"

nmods=$(find "$out/lib/modules" -name '*.ko*' | wc -l)
msize=$(du -sk --apparent-size "$out/lib/modules" | cut -f1)
nimods=$(find "$stage/lib/modules" -name '*.ko*' | wc -l)
echo "kernel-build: $kver: $nmods modules (${msize} KiB), initramfs $(stat -c %s "$out/initrd-atomicbox.dtb") bytes with $nimods modules -> $out"
