#!/usr/bin/env bash
# Builds the libmpv runtime tar that image/<instance>/config.json ships to "/"
# through ExtraFilePaths: libmpv's shared-library closure (following RUNPATH,
# symlinks kept, hard links turned into symlinks, absolute links made
# relative), the dynamic loader, Mesa's run-time loaded DRI/GBM/EGL pieces,
# VA-API drivers (amd64), ALSA's configuration, DejaVu fonts and fontconfig,
# and the unversioned libmpv.so that go-mpv's nocgo build dlopens.
#
# Usage: scripts/runtime-tar.sh build ARCH OUT.tar   (ARCH: amd64 | arm64)
#        scripts/runtime-tar.sh check ARCH DIR       (every DT_NEEDED satisfied in DIR)
#        scripts/runtime-tar.sh path ARCH            (prints the cache path for ARCH)
#
# Packages come from Debian 12 through the host's own apt sources, resolved and
# downloaded under a private apt state dir (never touching the host's dpkg
# state). Output is cached in $RUNTIME_CACHE (default ~/.cache/atomicbox/runtime)
# under a name that hashes the recipe (package and file lists, recipe_version). The
# exact package versions are written to usr/share/atomicbox/runtime-packages.txt
# inside the tar and beside it as OUT.tar.packages.
set -euo pipefail

cache=${RUNTIME_CACHE:-$HOME/.cache/atomicbox/runtime}
repo=$(cd "$(dirname "$0")/.." && pwd)

triplet() {
  case $1 in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) echo "runtime-tar: unknown arch $1 (want amd64 or arm64)" >&2; exit 2 ;;
  esac
}

# Top-level packages. Their full dependency closure is downloaded; only what
# the ELF walk below reaches (plus the explicit data files) lands in the tar.
packages() {
  local common="libc6 libmpv2 libgl1-mesa-dri libegl-mesa0 libegl1 libgbm1 libglapi-mesa libgles2
    libdrm-common libasound2 libasound2-data libasound2-plugins fonts-dejavu-core fontconfig-config"
  case $1 in
    amd64) echo "$common intel-media-va-driver i965-va-driver mesa-va-drivers" ;;
    arm64) echo "$common" ;;
  esac
}

# Run-time loaded (dlopen) pieces that no DT_NEEDED reaches, relative to the
# unpacked root. Globs; missing ones are an error unless marked optional (?).
dlopened() {
  local t; t=$(triplet "$1")
  local common="usr/lib/$t/libmpv.so.2 usr/lib/$t/libEGL_mesa.so.0 usr/lib/$t/libGLESv2.so.2
    usr/lib/$t/dri/kms_swrast_dri.so usr/lib/$t/dri/swrast_dri.so usr/lib/$t/dri/virtio_gpu_dri.so
    lib/$t/libnss_files.so.2 lib/$t/libnss_dns.so.2"
  case $1 in
    amd64) echo "$common lib64/ld-linux-x86-64.so.2 usr/lib/$t/dri/iris_dri.so usr/lib/$t/dri/crocus_dri.so
      usr/lib/$t/dri/i915_dri.so usr/lib/$t/dri/radeonsi_dri.so
      usr/lib/$t/dri/iHD_drv_video.so usr/lib/$t/dri/i965_drv_video.so usr/lib/$t/dri/radeonsi_drv_video.so" ;;
    arm64) echo "$common lib/ld-linux-aarch64.so.1 usr/lib/$t/dri/v3d_dri.so usr/lib/$t/dri/vc4_dri.so" ;;
  esac
}

# Data directories copied whole.
datadirs() {
  echo "usr/share/alsa usr/share/glvnd/egl_vendor.d usr/share/drirc.d usr/share/libdrm
    usr/share/fonts/truetype/dejavu etc/fonts usr/share/fontconfig"
}

# Bump when build() changes what lands in the tar; the cache name hashes this
# and the package and file lists, so either change makes a new tar.
recipe_version=2

cache_path() {
  local h
  h=$({ echo "$recipe_version"; packages "$1"; dlopened "$1"; datadirs; } | sha256sum | cut -c1-12)
  echo "$cache/$1-$h.tar"
}

# apt_fetch ARCH DIR: resolve and download the closure of packages() into DIR/debs.
apt_fetch() {
  local arch=$1 dir=$2
  mkdir -p "$dir"/{lists/partial,archives/partial,debs}
  : > "$dir/status"
  local opts=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=$dir/status"
    -o "Dir::Cache=$dir" -o "Dir::Cache::archives=$dir/archives"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -o "APT::Install-Recommends=0" -o "APT::Get::AllowUnauthenticated=0")
  apt-get "${opts[@]}" -qq update
  # shellcheck disable=SC2046
  apt-get "${opts[@]}" -y -qq --download-only install $(packages "$arch") >/dev/null
  cp -l "$dir"/archives/*.deb "$dir/debs/" 2>/dev/null || cp "$dir"/archives/*.deb "$dir/debs/"
}

# elfroot ARGS...: the Go side of this script (image/elfroot/cmd/elfroot):
# the ELF closure (symlinks followed inside the root, RUNPATH and $ORIGIN,
# DT_NEEDED resolved as the loader does), the copying into the staging tree
# and the check. Built once per run of this script.
elfroot() {
  if [[ -z ${elfroot_bin:-} ]]; then
    elfroot_dir=$(mktemp -d)
    trap 'rm -rf "$elfroot_dir"' EXIT
    (cd "$repo" && CGO_ENABLED=0 ${GO:-go} build -trimpath -o "$elfroot_dir/elfroot" ./image/elfroot/cmd/elfroot)
    elfroot_bin=$elfroot_dir/elfroot
  fi
  "$elfroot_bin" "$@"
}

# check ARCH DIR: every NEEDED of every ELF in DIR resolves inside DIR (links
# inside DIR are relative, so what the check sees is what the loader will
# see), and DIR has the unversioned libmpv.so.
check() {
  local t
  t=$(triplet "$1")
  elfroot check -arch "$1" -triplet "$t" -require "usr/lib/$t/libmpv.so" "$2"
}

build() {
  local arch=$1 out=$2 t work unpacked stage
  t=$(triplet "$arch")
  work="$cache/work-$arch"
  unpacked="$work/root"
  stage="$work/stage"
  rm -rf "$work/debs" "$unpacked" "$stage"
  apt_fetch "$arch" "$work"
  mkdir -p "$unpacked" "$stage"
  local deb
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$unpacked"
  done
  # Links that Debian makes in maintainer scripts.
  [[ -e "$unpacked/lib64/ld-linux-x86-64.so.2" || $arch != amd64 ]] || {
    mkdir -p "$unpacked/lib64"; ln -s "../lib/$t/ld-linux-x86-64.so.2" "$unpacked/lib64/ld-linux-x86-64.so.2"; }
  local alt
  for alt in libblas.so.3 liblapack.so.3; do
    local real
    real=$(cd "$unpacked/usr/lib/$t" && ls -d -- */"$alt" 2>/dev/null | head -1 || true)
    [[ -z $real || -e "$unpacked/usr/lib/$t/$alt" ]] || ln -s "$real" "$unpacked/usr/lib/$t/$alt"
  done
  ln -sf libmpv.so.2 "$unpacked/usr/lib/$t/libmpv.so"

  # libmpv's closure (DT_NEEDED from the dlopened roots), then the data
  # directories; hard links become symlinks (gokrazy's packer would make
  # them empty files).
  # shellcheck disable=SC2046
  elfroot stage -arch "$arch" -triplet "$t" -src "$unpacked" -dst "$stage" -data "$(datadirs)" \
    $(dlopened "$arch") "usr/lib/$t/libmpv.so"
  # fontconfig's conf.d links are made by its maintainer scripts.
  if [[ -d "$stage/usr/share/fontconfig/conf.avail" ]]; then
    mkdir -p "$stage/etc/fonts/conf.d"
    for c in 10-hinting-slight 10-scale-bitmap-fonts 20-unhint-small-vera 30-metric-aliases 40-nonlatin 45-latin 49-sansserif 50-user 51-local 60-latin 65-fonts-persian 65-nonlatin 69-unifont 80-delicious 90-synthetic; do
      [[ -e "$stage/usr/share/fontconfig/conf.avail/$c.conf" && ! -e "$stage/etc/fonts/conf.d/$c.conf" ]] &&
        ln -s "../../../usr/share/fontconfig/conf.avail/$c.conf" "$stage/etc/fonts/conf.d/$c.conf"
    done
  fi
  # Versions, for the record.
  mkdir -p "$stage/usr/share/atomicbox"
  for deb in "$work"/debs/*.deb; do dpkg-deb -W --showformat='${Package} ${Version} ${Architecture}\n' "$deb"; done |
    sort > "$stage/usr/share/atomicbox/runtime-packages.txt"

  check "$arch" "$stage"
  mkdir -p "$(dirname "$out")"
  # Top-level names, not ".": gok's packer would make a directory named "."
  # (the root file system then fails to list and /lib64 is missing).
  (cd "$stage" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out.tmp" -- *)
  mv "$out.tmp" "$out"
  cp "$stage/usr/share/atomicbox/runtime-packages.txt" "$out.packages"
  echo "runtime-tar: $arch: $out $(du -h "$out" | cut -f1)" >&2
}

case ${1:-} in
  build) build "$2" "$3" ;;
  check) check "$2" "$3" ;;
  path) cache_path "$2" ;;
  *) sed -n '2,20s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
