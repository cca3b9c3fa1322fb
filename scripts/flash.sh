#!/usr/bin/env bash
# Writes an atomicbox image to a removable disk (SD card, USB stick), refusing
# anything that looks like it could be the wrong disk.
#
# Usage: scripts/flash.sh IMAGE /dev/sdX
# Refuses: a partition instead of a whole disk; a disk that is not removable
# (USB, SD reader or removable flag); a disk with a mounted or swapped-on
# partition or one used by device-mapper/RAID (holders); a disk smaller than
# the image. Then shows the disk and asks for its name to be typed back.
# Env for tests: FLASH_SYSFS (default /sys), FLASH_MOUNTS (default
# /proc/self/mounts), FLASH_SWAPS (default /proc/swaps). With FLASH_SYSFS set,
# DEV may be a regular file standing in for the disk.
set -euo pipefail

img=${1:?usage: flash.sh IMAGE /dev/sdX}
dev=${2:?usage: flash.sh IMAGE /dev/sdX}
sysfs=${FLASH_SYSFS:-/sys}
mounts=${FLASH_MOUNTS:-/proc/self/mounts}
swaps=${FLASH_SWAPS:-/proc/swaps}

die() { echo "flash: refusing: $*" >&2; exit 1; }

[[ -f $img ]] || die "no image $img"
if [[ -z ${FLASH_SYSFS:-} ]]; then
  [[ -b $dev ]] || die "$dev is not a block device"
fi
name=$(basename "$(readlink -f "$dev")")
blk="$sysfs/block/$name"
if [[ ! -d $blk ]]; then
  if compgen -G "$sysfs/block/*/$name" >/dev/null; then
    die "$dev is a partition; give the whole disk (e.g. /dev/sdb, not /dev/sdb1)"
  fi
  die "$dev is not a disk known to $sysfs/block"
fi

removable=$(cat "$blk/removable" 2>/dev/null || echo 0)
devpath=$(readlink -f "$blk")
sdcard=0
[[ $name == mmcblk* && $(cat "$blk/device/type" 2>/dev/null) == SD ]] && sdcard=1
if [[ $removable != 1 && $devpath != */usb* && $sdcard != 1 ]]; then
  die "$dev is not removable (not USB, not an SD card): it may be a system disk"
fi

# The disk and its partitions: none may be mounted, swapped on or held.
parts=("$name")
for p in "$blk"/"$name"*; do
  [[ -d $p ]] && parts+=("$(basename "$p")")
done
for p in "${parts[@]}"; do
  if awk -v d="/dev/$p" '$1 == d { found = 1 } END { exit !found }' "$mounts"; then
    die "/dev/$p is mounted (unmount it first)"
  fi
  if awk -v d="/dev/$p" '$1 == d { found = 1 } END { exit !found }' "$swaps" 2>/dev/null; then
    die "/dev/$p is used as swap"
  fi
  holders="$blk/holders"
  [[ $p == "$name" ]] || holders="$blk/$p/holders"
  if [[ -d $holders ]] && [[ -n $(ls -A "$holders") ]]; then
    die "/dev/$p is in use by $(ls "$holders" | tr '\n' ' ')(LVM, RAID or dm-crypt)"
  fi
done

size=$(( $(cat "$blk/size") * 512 ))
imgsize=$(stat -c %s "$img")
((size > 0)) || die "$dev has no medium (size 0)"
((imgsize <= size)) || die "$img ($imgsize bytes) is larger than $dev ($size bytes)"

model=$(cat "$blk/device/model" 2>/dev/null | tr -s ' ' || true)
echo "flash: about to overwrite $dev (${model:-unknown model}, $((size / 1000000)) MB, removable)"
echo "flash: with $img ($((imgsize / 1000000)) MB). Everything on $dev will be lost."
printf 'flash: type %s to continue: ' "$name"
read -r answer || answer=
[[ $answer == "$name" ]] || die "answer was not $name"

dd if="$img" of="$dev" bs=4M conv=fsync,notrunc status=progress
sync
echo "flash: done; the boot partition holds atomicbox.txt for the box's settings"
