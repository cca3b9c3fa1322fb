#!/usr/bin/env bash
# Generates the demo channel's media once: 3 shows x 2 episodes of 60 s,
# 1280x720 H.264 + AAC with the moov atom first (faststart), the title drawn
# in, plus a poster per show and per episode, and the publisher's manifest.
# Usage: scripts/demo-media.sh OUTDIR   (does nothing if OUTDIR is complete)
set -euo pipefail
out=$1
[[ -f "$out/manifest.json" ]] && exit 0
tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/media" "$tmp/posters" "$tmp/text"

# id|title|synopsis|colour|pattern
shows=(
  "orbit|Orbit|Two engineers keep an ageing space station alive, one failing part at a time.|0x1d3557|testsrc2"
  "tidewater|Tidewater|A harbour town, its ferries and the people who never leave.|0x2a6f4e|smptehdbars"
  "night-market|Night Market|Street food stalls after dark, one city per episode.|0x7a2e39|testsrc"
)
episodes=("Pilot|It starts here." "The Second Night|Nothing goes as planned.")

seconds=${DEMO_SECONDS:-60}
drawtext() { # file size y
  echo "drawtext=textfile=$1:fontcolor=white:fontsize=$2:box=1:boxcolor=black@0.55:boxborderw=16:x=(w-text_w)/2:y=$3"
}

manifest='{"network":"Atomic Demo Channel","shows":['
first_show=1
for s in "${shows[@]}"; do
  IFS='|' read -r id title synopsis colour pattern <<<"$s"
  printf '%s' "$title" >"$tmp/text/$id.txt"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=$colour:size=480x270:duration=1" \
    -vf "$(drawtext "$tmp/text/$id.txt" 44 '(h-text_h)/2')" -frames:v 1 "$tmp/posters/$id.png"
  ((first_show)) || manifest+=','
  first_show=0
  manifest+="{\"id\":\"$id\",\"title\":\"$title\",\"synopsis\":\"$synopsis\",\"poster\":\"posters/$id.png\",\"episodes\":["
  n=0
  for e in "${episodes[@]}"; do
    IFS='|' read -r etitle esyn <<<"$e"
    n=$((n + 1))
    eid="$id-s01e0$n"
    printf '%s\nS1 E%d  %s' "$title" "$n" "$etitle" >"$tmp/text/$eid.txt"
    printf 'S1 E%d' "$n" >"$tmp/text/$eid-short.txt"
    echo "demo-media: rendering $eid ($seconds s)" >&2
    ffmpeg -hide_banner -loglevel error -y \
      -f lavfi -i "$pattern=size=1280x720:rate=25:duration=$seconds" \
      -f lavfi -i "sine=frequency=$((330 + 110 * n)):sample_rate=48000:duration=$seconds" \
      -vf "$(drawtext "$tmp/text/$eid.txt" 64 '(h-text_h)/2'),drawtext=text='%{pts\:hms}':fontcolor=white:fontsize=36:box=1:boxcolor=black@0.55:x=(w-text_w)/2:y=h-90" \
      -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -b:v 2500k -maxrate 2500k -bufsize 5000k \
      -g 50 -keyint_min 50 -c:a aac -b:a 128k -shortest -movflags +faststart "$tmp/media/$eid.mp4"
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=$colour:size=480x270:duration=1" \
      -vf "$(drawtext "$tmp/text/$id.txt" 40 '(h-text_h)/2-30'),$(drawtext "$tmp/text/$eid-short.txt" 30 '(h-text_h)/2+40')" \
      -frames:v 1 "$tmp/posters/$eid.png"
    ((n == 1)) || manifest+=','
    manifest+="{\"id\":\"$eid\",\"season\":1,\"episode\":$n,\"title\":\"$etitle\",\"synopsis\":\"$esyn\",\"video\":\"media/$eid.mp4\",\"poster\":\"posters/$eid.png\",\"durationSeconds\":$seconds}"
  done
  manifest+=']}'
done
manifest+=']}'
printf '%s\n' "$manifest" >"$tmp/manifest.json"
rm -rf "$tmp/text" "$out"
mv "$tmp" "$out"
