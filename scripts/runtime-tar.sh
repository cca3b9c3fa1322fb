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

# follow ROOT REL: REL with every symlink followed inside ROOT (absolute link
# targets mean ROOT-relative, as they will be on the box).
follow() {
  local root=$1 rel=$2 n=0 t
  while [[ -L "$root/$rel" ]] && ((n++ < 40)); do
    t=$(readlink "$root/$rel")
    if [[ $t == /* ]]; then
      rel=$(realpath -ms --relative-to=/ "$t")
    else
      rel=$(realpath -ms --relative-to=/ "/$(dirname "$rel")/$t")
    fi
  done
  echo "$rel"
}

# resolve ROOT DIR NAME RUNPATH...: prints the path (relative to ROOT) of
# library NAME as the loader would find it, or nothing.
resolve() {
  local root=$1 t=$2 name=$3; shift 3
  local d
  for d in "$@" "lib/$t" "usr/lib/$t" lib usr/lib; do
    if [[ -f "$root/$(follow "$root" "$d/$name")" ]]; then
      echo "$d/$name"
      return
    fi
  done
}

# runpaths ROOT FILE: the RUNPATH/RPATH dirs of FILE relative to ROOT ($ORIGIN expanded).
runpaths() {
  local root=$1 f=$2 origin rp
  origin=$(dirname "$f")
  rp=$(readelf -d "$root/$f" 2>/dev/null | sed -n 's/.*(R\(UN\)\?PATH).*\[\(.*\)\]/\2/p' | head -1)
  [[ -n $rp ]] || return 0
  tr ':' '\n' <<<"$rp" | while read -r d; do
    d=${d//\$ORIGIN/\/$origin}
    d=${d//\$\{ORIGIN\}/\/$origin}
    realpath -ms --relative-to=/ "/$d" 2>/dev/null || true
  done
}

needed() {
  readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

is_elf() {
  [[ -f $1 && ! -L $1 ]] && [[ $(head -c4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]]
}

declare -A inodes=()

# copy_path SRC DST REL: copies REL and, if it is a symlink, the chain it points to.
copy_path() {
  local src=$1 dst=$2 rel=$3 target
  while :; do
    [[ -e "$dst/$rel" || -L "$dst/$rel" ]] && return 0
    mkdir -p "$dst/$(dirname "$rel")"
    if [[ -L "$src/$rel" ]]; then
      target=$(readlink "$src/$rel")
      if [[ $target == /* ]]; then
        target=$(realpath -ms --relative-to="/$(dirname "$rel")" "$target")
      fi
      ln -s "$target" "$dst/$rel"
      rel=$(realpath -ms --relative-to=/ "/$(dirname "$rel")/$target")
    else
      # Hard links (Mesa's megadriver names) become symlinks to the first copy.
      local ino
      ino=$(stat -c '%i:%h' "$src/$rel")
      if [[ ${ino#*:} -gt 1 && -n ${inodes[${ino%:*}]:-} ]]; then
        ln -s "$(realpath -ms --relative-to="/$(dirname "$rel")" "/${inodes[${ino%:*}]}")" "$dst/$rel"
      else
        cp -p "$src/$rel" "$dst/$rel"
        inodes[${ino%:*}]=$rel
      fi
      return 0
    fi
  done
}

# check ARCH DIR: every NEEDED of every ELF in DIR resolves inside DIR (links
# inside DIR are relative, so find -L sees what the loader will see).
check() {
  local arch=$1 root=$2 t f n d dyn missing=0 elves=0
  t=$(triplet "$arch")
  root=$(readlink -f "$root")
  declare -A have=()
  while IFS= read -r f; do have[$f]=1; done < <(cd "$root" && find -L . -type f -printf '%P\n')
  while IFS= read -r f; do
    is_elf "$root/$f" || continue
    elves=$((elves + 1))
    dyn=$(readelf -d "$root/$f" 2>/dev/null || true)
    local -a dirs=()
    local rp
    rp=$(sed -n 's/.*(R\(UN\)\?PATH).*\[\(.*\)\]/\2/p' <<<"$dyn" | head -1)
    if [[ -n $rp ]]; then
      IFS=: read -ra dirs <<<"${rp//\$ORIGIN//$(dirname "$f")}"
      for i in "${!dirs[@]}"; do dirs[i]=$(realpath -ms --relative-to=/ "/${dirs[i]}"); done
    fi
    dirs+=("lib/$t" "usr/lib/$t" lib usr/lib)
    while IFS= read -r n; do
      [[ -n $n ]] || continue
      local ok=0
      for d in "${dirs[@]}"; do
        [[ -n ${have[$d/$n]:-} ]] && { ok=1; break; }
      done
      if ((!ok)); then
        echo "runtime-tar: MISSING $n (needed by /$f)" >&2
        missing=$((missing + 1))
      fi
    done < <(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dyn")
  done < <(cd "$root" && find . -type f -printf '%P\n' | sort)
  if ((missing)); then
    echo "runtime-tar: $missing unsatisfied DT_NEEDED entries in $root" >&2
    return 1
  fi
  [[ -n ${have[usr/lib/$t/libmpv.so]:-} ]] || { echo "runtime-tar: no usr/lib/$t/libmpv.so" >&2; return 1; }
  echo "runtime-tar: $arch: every DT_NEEDED satisfied ($elves ELF files)" >&2
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

  # Walk DT_NEEDED from the dlopened roots.
  local -a queue=() rps=()
  local g f n r
  for g in $(dlopened "$arch") "usr/lib/$t/libmpv.so"; do
    [[ -e "$unpacked/$g" || -L "$unpacked/$g" ]] || { echo "runtime-tar: $arch: $g not in any package" >&2; exit 1; }
    queue+=("$g")
  done
  declare -A seen=()
  while ((${#queue[@]})); do
    f=${queue[0]}; queue=("${queue[@]:1}")
    [[ -z ${seen[$f]:-} ]] || continue
    seen[$f]=1
    copy_path "$unpacked" "$stage" "$f"
    local real
    real=$(follow "$unpacked" "$f")
    is_elf "$unpacked/$real" || continue
    mapfile -t rps < <(runpaths "$unpacked" "$real")
    while IFS= read -r n; do
      [[ -n $n ]] || continue
      r=$(resolve "$unpacked" "$t" "$n" "${rps[@]}")
      if [[ -z $r ]]; then
        echo "runtime-tar: $arch: $n (needed by $f) is in no downloaded package" >&2
        exit 1
      fi
      queue+=("$r")
    done < <(needed "$unpacked/$real")
  done
  for d in $(datadirs); do
    [[ -e "$unpacked/$d" ]] || { echo "runtime-tar: $arch: $d missing" >&2; exit 1; }
    (cd "$unpacked" && find "$d" \( -type f -o -type l \) -printf '%P\n' | while read -r p; do copy_path "$unpacked" "$stage" "$d/$p"; done)
  done
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

  # Hard links would become empty files in gokrazy's packer: make them symlinks.
  (cd "$stage" && find . -type f -links +1 -printf '%i %P\n' | sort -n | awk '
    { if ($1 in first) print first[$1] "\t" $2; else first[$1] = $2 }' |
    while IFS=$'\t' read -r keep dup; do
      rm "$dup"; ln -s "$(realpath -ms --relative-to="/$(dirname "$dup")" "/$keep")" "$dup"
    done)

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
