#!/usr/bin/env bash
# Tests scripts/flash.sh: every refusal path against a fake sysfs root (and a
# real loop device when this machine can make one), and one accepted write to
# a regular file standing in for an SD card. Prints one line per case.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# disk NAME REMOVABLE SECTORS [PARTS...]: a fake /sys/block/NAME.
disk() {
  local n=$1 rem=$2 sec=$3; shift 3
  mkdir -p "$tmp/sys/block/$n/holders" "$tmp/sys/block/$n/device"
  echo "$rem" > "$tmp/sys/block/$n/removable"
  echo "$sec" > "$tmp/sys/block/$n/size"
  echo "Fake Card" > "$tmp/sys/block/$n/device/model"
  for p in "$@"; do mkdir -p "$tmp/sys/block/$n/$p/holders"; done
}

head -c 1048576 /dev/urandom > "$tmp/img"
disk sdb 1 4096 sdb1 sdb2     # 2 MiB removable card
disk sdc 1 4096 sdc1          # mounted partition
disk sdd 0 4096               # fixed disk
disk sde 1 1024               # too small
disk sdf 1 4096 sdf1          # held by dm
mkdir -p "$tmp/sys/block/sdf/sdf1/holders/dm-0"
disk sdg 1 4096               # swap
disk mmcblk0 0 4096 mmcblk0p1 # built-in SD reader: removable=0 but type SD
echo SD > "$tmp/sys/block/mmcblk0/device/type"
printf '/dev/sda2 / ext4 rw 0 0\n/dev/sdc1 /media/x vfat rw 0 0\n' > "$tmp/mounts"
printf 'Filename Type Size Used Priority\n/dev/sdg partition 1 0 -2\n' > "$tmp/swaps"
for d in sdb sdc sdd sde sdf sdg mmcblk0; do : > "$tmp/$d"; done

# check REASON DEV ANSWER WANT(ok|refuse) [MESSAGE]
check() {
  local reason=$1 dev=$2 answer=$3 want=$4 msg=${5:-} out rc=0
  out=$(echo "$answer" | FLASH_SYSFS="$tmp/sys" FLASH_MOUNTS="$tmp/mounts" FLASH_SWAPS="$tmp/swaps" \
    "$here/flash.sh" "$tmp/img" "$dev" 2>&1) || rc=$?
  local got=ok
  ((rc == 0)) || got=refuse
  if [[ $got != "$want" ]] || [[ -n $msg && $out != *"$msg"* ]]; then
    echo "FAIL: $reason: got $got, want $want ${msg:+containing \"$msg\"}"; echo "$out" | sed 's/^/    /'
    fail=1
  else
    echo "ok:   $reason"
  fi
}

check "a removable card, confirmed, is written" "$tmp/sdb" sdb ok
cmp -s "$tmp/img" <(head -c 1048576 "$tmp/sdb") || { echo "FAIL: written bytes differ"; fail=1; }
check "a built-in SD reader (removable=0, type SD) is accepted" "$tmp/mmcblk0" mmcblk0 ok
check "a wrong confirmation writes nothing" "$tmp/sdb" yes refuse "answer was not sdb"
check "a partition is not a disk" "$tmp/sdb1" sdb1 refuse "is a partition"
check "a disk with a mounted partition" "$tmp/sdc" sdc refuse "/dev/sdc1 is mounted"
check "a fixed (system) disk" "$tmp/sdd" sdd refuse "not removable"
check "an image larger than the disk" "$tmp/sde" sde refuse "is larger than"
check "a disk under device-mapper" "$tmp/sdf" sdf refuse "in use by dm-0"
check "a disk used as swap" "$tmp/sdg" sdg refuse "used as swap"
check "an unknown device" "$tmp/nosuch" x refuse "not a disk"

# A real loop device is a fixed disk to the kernel: flash.sh must refuse it.
if loop=$(losetup -f --show "$tmp/img" 2>/dev/null); then
  out=$(echo "$(basename "$loop")" | "$here/flash.sh" "$tmp/img" "$loop" 2>&1) && rc=0 || rc=$?
  losetup -d "$loop"
  if ((rc != 0)) && [[ $out == *"not removable"* ]]; then echo "ok:   a real loop device ($loop) is refused"; else echo "FAIL: loop device: $out"; fail=1; fi
else
  echo "note: no loop device on this machine; the fake sysfs cases above cover the refusals"
fi
exit $fail
