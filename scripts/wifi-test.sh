#!/usr/bin/env bash
# The Wi-Fi boot test: Debian's amd64 kernel with mac80211_hwsim in QEMU
# (software emulation), hostapd and dnsmasq from this machine's Debian as
# the access point and router, atomicbox's Wi-Fi code on the other radio
# (image/wifitest/cmd/wifiguest is the initramfs's /init; atomicboxd is in
# the initramfs too, for the first-boot API checks). Passes when the
# guest's "wifitest:" result line says every step worked (wificheck).
#
# Usage: scripts/wifi-test.sh [TIMEOUT_SECONDS]
# The kernel package is fetched once with apt-get download into
# ~/.cache/atomicbox/wifitest (never committed).
# Console output: image/build/wifi-test-console.log.
set -euo pipefail

timeout=${1:-480}
repo=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/atomicbox/wifitest
log=$repo/image/build/wifi-test-console.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache" "$(dirname "$log")"

# --- Debian's kernel (the version linux-image-amd64 points at today)
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $pkg ]] || { echo "wifi-test: apt knows no linux-image-amd64" >&2; exit 1; }
deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | head -1 || true)
if [[ -z $deb ]]; then
	(cd "$cache" && apt-get download -qq "$pkg" 2>/dev/null)
	deb=$(ls "$cache"/"${pkg}"_*.deb | head -1)
fi
kroot=$cache/root-$(basename "$deb" .deb)
if [[ ! -d $kroot ]]; then
	rm -rf "$kroot.tmp" && dpkg-deb -x "$deb" "$kroot.tmp" && mv "$kroot.tmp" "$kroot"
fi
kver=$(ls "$kroot/lib/modules")
[[ -f $kroot/lib/modules/$kver/modules.dep ]] || depmod -b "$kroot" "$kver"

# --- the initramfs tree (built with the Makefile's TAGS: from make test's build cache)
tags=${ATOMICBOX_GO_TAGS:-nocgo,netgo,osusergo}
tree=$work/tree
mkdir -p "$tree/etc/wifitest" "$tree/lib/modules"
(cd "$repo" && CGO_ENABLED=0 "$go" build -tags "$tags" -ldflags=-s -o "$tree/init" ./image/wifitest/cmd/wifiguest)
(cd "$repo" && CGO_ENABLED=0 "$go" build -tags "$tags" -o "$work/wificheck" ./image/wifitest/cmd/wificheck)
# The real daemon, for the first-boot flow of its Wi-Fi API.
(cd "$repo" && CGO_ENABLED=0 "$go" build -tags "$tags" -ldflags=-s -o "$tree/atomicboxd" ./appliance/cmd/atomicboxd)
(cd "$repo" && CGO_ENABLED=0 "$go" build -tags "$tags" -o "$work/elfroot" ./image/elfroot/cmd/elfroot)
: >"$tree/modules.load"
# mac80211's CCMP/GCMP/BIP ciphers are loaded by name (crypto API), which
# modprobe's dependencies do not show: list them first.
while read -r verb path _; do
	[[ $verb == insmod ]] || continue
	grep -qxF "${path#"$kroot"}" "$tree/modules.load" && continue
	rel=${path#"$kroot"}
	mkdir -p "$tree$(dirname "$rel")"
	cp "$path" "$tree$rel"
	echo "$rel" >>"$tree/modules.load"
done < <(for m in ctr ccm cmac gcm ghash_generic seqiv mac80211_hwsim; do
	modprobe -d "$kroot" -S "$kver" --show-depends "$m"
done)
grep -q mac80211_hwsim "$tree/modules.load" || { echo "wifi-test: no mac80211_hwsim in $pkg" >&2; exit 1; }
"$work/elfroot" stage -arch amd64 -triplet x86_64-linux-gnu -src / -dst "$tree" usr/sbin/hostapd usr/sbin/dnsmasq >/dev/null
# The ELF interpreter's path as the binaries name it.
mkdir -p "$tree/lib64" && ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$tree/lib64/ld-linux-x86-64.so.2"
cp "$repo"/image/wifitest/testdata/hostapd*.conf "$tree/etc/wifitest/"
echo "root:x:0:0::/:/init" >"$tree/etc/passwd"
echo "root:x:0:" >"$tree/etc/group"
(cd "$tree" && find . | cpio -o -H newc --quiet) >"$work/initrd"

# --- boot
begin=$(date +%s)
set +e
timeout --foreground "$timeout" qemu-system-x86_64 -accel tcg -m 768 -smp 2 -nographic -no-reboot -monitor none \
	-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$work/initrd" \
	-append "console=ttyS0 panic=-1 loglevel=4" -serial "file:$log" -nic none </dev/null
rc=$?
set -e
echo "wifi-test: QEMU ran $(($(date +%s) - begin)) s (exit $rc)"
"$work/wificheck" "$log"
