#!/usr/bin/env bash
# Boots an arm64 gokrazy image built with the Debian kernel package
# (scripts/kernel-build.sh) in QEMU's virt machine, software emulation, the
# way the Pi firmware would: vmlinuz, initrd-atomicbox.dtb and cmdline.txt
# are taken from the image's boot partition, the image is the disk.
# Passes when the Go initramfs has mounted the root file system, gokrazy's
# web interface answers 200 on :80 to its password, atomicboxd answers 200
# on :8080 (GET /remote, the page that needs no pairing) and 401 to an
# unpaired GET /api/stats, and the coldplug service has loaded vc4 and v3d
# (the image must contain image/coldplug). Any other status fails: a 401
# from gokrazy or a 500 from the daemon is not "up".
#
# Usage: scripts/kernel-test.sh IMAGE [TIMEOUT_SECONDS]
# The disk is opened with snapshot=on: the image file is not changed.
# Console output: image/build/kernel-test-console.log.
set -euo pipefail

img=${1:?usage: scripts/kernel-test.sh IMAGE [TIMEOUT_SECONDS]}
timeout=${2:-900}
repo=$(cd "$(dirname "$0")/.." && pwd)
log=$repo/image/build/kernel-test-console.log
work=$(mktemp -d)
qemu_pid=
cleanup() {
	if [[ -n $qemu_pid ]]; then kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# The boot partition is MBR entry 1 (gokrazy writes a hybrid MBR + GPT).
start=$(od -An -tu4 -j 454 -N 4 "$img" | tr -d ' ')
[[ $start -gt 0 ]] || { echo "kernel-test: no boot partition in $img" >&2; exit 1; }
fat="$img@@$((start * 512))"
for f in vmlinuz initrd-atomicbox.dtb cmdline.txt; do
	mcopy -n -i "$fat" "::/$f" "$work/$f" || { echo "kernel-test: no $f on the boot partition" >&2; exit 1; }
done
# The Pi's console names mean nothing on virt; keep the serial console.
cmdline=$(sed -e 's/console=tty1//; s/console=serial0,[0-9]*//; s/  */ /g' "$work/cmdline.txt")
[[ $cmdline == *console=ttyAMA0* ]] || cmdline="console=ttyAMA0,115200 $cmdline"
echo "kernel-test: cmdline: $cmdline"

# The waiting and judging is Go (image/boottest).
(cd "$repo" && CGO_ENABLED=0 ${GO:-go} build -trimpath -o "$work/boottest" ./image/boottest/cmd/boottest)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
web=$(free_port)
api=$(free_port)

mkdir -p "$(dirname "$log")"
: >"$log"
begin=$(date +%s)
qemu-system-aarch64 -M virt -cpu cortex-a72 -accel tcg -smp 2 -m 1536 \
	-nographic -no-reboot -monitor none -serial "file:$log" \
	-kernel "$work/vmlinuz" -initrd "$work/initrd-atomicbox.dtb" -append "$cmdline" \
	-drive "if=none,id=disk,format=raw,file=$img,snapshot=on" -device virtio-blk-device,drive=disk \
	-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$web-:80,hostfwd=tcp:127.0.0.1:$api-:8080" \
	-device virtio-net-device,netdev=n0 -device virtio-rng-device </dev/null &
qemu_pid=$!

# wait_for WHAT PROBE ARGS... (see boottest's usage): polls every 2 s until
# the probe holds, QEMU exits or TIMEOUT_SECONDS from QEMU's start are over.
wait_for() {
	local what=$1 why
	shift
	if ! why=$("$work/boottest" wait -interval 2s -timeout "$((timeout - ($(date +%s) - begin)))s" -pid "$qemu_pid" "$@" 2>&1 >"$work/probe.out"); then
		echo "kernel-test: FAIL: no $what: $why" >&2
		tail -40 "$log" >&2
		exit 1
	fi
	echo "kernel-test: $what after $(($(date +%s) - begin)) s"
}

wait_for "initramfs running" console "$log" 'atomicbox initramfs: board'
wait_for "root mounted by the initramfs" console "$log" 'atomicbox initramfs: root .* mounted'
# gokrazy's init prints the hostname; its password opens the web interface.
wait_for "gokrazy init naming its host" console "$log" '^hostname "(.*)"$'
host=$(cat "$work/probe.out")
pw=$(cat "$HOME/.config/gokrazy/hosts/$host/http-password.txt")
wait_for "gokrazy web interface on :80 (200 with the password)" -user "gokrazy:$pw" status "http://127.0.0.1:$web/" 200
wait_for "atomicboxd API on :8080 (200 for /remote)" status "http://127.0.0.1:$api/remote" 200
wait_for "atomicboxd refusing an unpaired client (401 for /api/stats)" status "http://127.0.0.1:$api/api/stats" 401

# The coldplug service (image/coldplug) must have loaded the GPU and display
# drivers; its log is in gokrazy's web interface.
wait_for "coldplug loaded vc4 and v3d" -user "gokrazy:$pw" coldplug "http://127.0.0.1:$web/log?path=/user/coldplug&stream=stderr" vc4 v3d
cut -c1-200 "$work/probe.out"
grep 'atomicbox initramfs' "$log"
echo "kernel-test: PASS ($(($(date +%s) - begin)) s)"
