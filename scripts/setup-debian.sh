#!/usr/bin/env bash
# Installs the Debian 12 packages a make target needs, only those missing.
# Usage: scripts/setup-debian.sh GROUP...   (groups: run test image wifi bench)
# Runs apt-get only when something is missing, so repeated make calls are fast.
set -euo pipefail

declare -A groups=(
  [run]="ffmpeg libmpv-dev mpv xvfb xauth fonts-dejavu-core fontconfig curl"
  [test]="ffmpeg libmpv-dev mpv xvfb xauth fonts-dejavu-core fontconfig transmission-cli aria2 nginx opentracker iproute2 nftables zbar-tools gdisk e2fsprogs"
  [image]="ca-certificates qemu-system-x86 qemu-system-arm qemu-user qemu-utils e2fsprogs mtools dosfstools xz-utils zstd device-tree-compiler cpio kmod python3 curl bc ffmpeg util-linux binutils gdisk"
  [wifi]="qemu-system-x86 cpio kmod hostapd dnsmasq-base"
  [bench]="iproute2 ffmpeg nftables"
)

want=()
for g in "$@"; do
  [[ -n "${groups[$g]:-}" ]] || { echo "setup-debian: unknown group $g" >&2; exit 2; }
  for p in ${groups[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
  done
done
((${#want[@]})) || exit 0

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "setup-debian: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >&2

# The tests run nginx and opentracker as their own unprivileged processes on
# loopback ports; the system services the packages enable (nginx on port 80,
# opentracker on 6969) are not wanted on a developer's machine, so a fresh
# install turns them off again.
if [[ -d /run/systemd/system ]]; then
  for p in "${want[@]}"; do
    case $p in
      nginx|opentracker) $sudo systemctl disable --now "$p" >&2 || true ;;
    esac
  done
fi
