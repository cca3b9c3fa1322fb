#!/usr/bin/env bash
# Generates the demo channel's media once, with the publisher's manifest:
#   Orbit         two seasons of two episodes (S1 E1 stays the short clip the
#                 image test plays to the end);
#   Tidewater     S1 E2 has two audio languages (eng, deu) and two subtitle
#                 tracks (mov_text, eng and deu);
#   Night Market  S1 E2 is a premiere: its releaseAt is a placeholder in the
#                 past here (so the manifest publishes as is); scripts/demo.sh
#                 rewrites it to a few minutes after start and republishes then.
# Every episode is DEMO_SECONDS (60) s of 1280x720 H.264 + AAC, moov first
# (faststart), its title drawn in. Posters (show and episode) are artwork
# made of gradients, a planet, a horizon and the title, not colour slabs.
# Usage: scripts/demo-media.sh OUTDIR   (does nothing if OUTDIR is complete)
set -euo pipefail
out=$1
[[ -f "$out/manifest.json" ]] && exit 0
tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/media" "$tmp/posters" "$tmp/text"

# The premiere's placeholder release time (demo.sh replaces this string).
placeholder_release=2026-01-01T00:00:00Z

# id|title|synopsis|colour A|colour B|pattern
shows=(
  "orbit|Orbit|Two engineers keep an ageing space station alive, one failing part at a time.|0x0b1d3a|0x3a7bd5|testsrc2"
  "tidewater|Tidewater|A harbour town, its ferries and the people who never leave.|0x0f3d2e|0x7fc8a9|smptehdbars"
  "night-market|Night Market|Street food stalls after dark, one city per episode.|0x2b0a1e|0xe07a3f|testsrc"
)
# show id -> episodes: season|number|title|synopsis|kind (plain, langs, premiere)
declare -A episodes=(
  [orbit]="1|1|Pilot|It starts here.|plain;1|2|The Second Night|Nothing goes as planned.|plain;2|1|Perihelion|A new season, a new crew member, an old fault.|plain;2|2|Drift|The station loses its attitude control.|plain"
  [tidewater]="1|1|Low Tide|The first ferry of the season runs aground.|plain;1|2|Crossing|A night crossing in two languages, with English and German subtitles.|langs"
  [night-market]="1|1|Bangkok|Boat noodles at midnight.|plain;1|2|Lagos|The premiere: suya and jollof after dark.|premiere"
)

seconds=${DEMO_SECONDS:-60}
drawtext() { # file size y [colour]
  echo "drawtext=textfile=$1:fontcolor=${4:-white}:fontsize=$2:box=1:boxcolor=black@0.45:boxborderw=14:x=(w-text_w)/2:y=$3"
}

# poster OUT TITLEFILE SUBFILE COLOUR_A COLOUR_B SEED: a diagonal gradient
# sky, a ringed planet whose place depends on SEED, a darker horizon band,
# the title and a subtitle. The gradient is seeded too: ffmpeg's gradients
# source is random unless given a seed, and the image test compares the
# home screen with a golden made from these posters (a fresh cache drew a
# different sky and failed it).
poster() {
  local outp=$1 title=$2 sub=$3 a=$4 b=$5 seed=$6
  local px=$((120 + (seed * 97) % 260)) py=$((70 + (seed * 53) % 60)) pr=$((38 + (seed * 13) % 30))
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "gradients=s=480x270:c0=$a:c1=$b:x0=0:y0=0:x1=480:y1=270:nb_colors=2:duration=1:speed=0.00001:seed=$seed" \
    -f lavfi -i "color=c=black@0:s=480x270:d=1,format=rgba,geq=r='255':g='220-60*lt(hypot(X-$px,Y-$py),$((pr - 6)))':b='170':a='255*lt(hypot(X-$px,Y-$py),$pr)+200*between(abs(hypot((X-$px)*0.5,(Y-$py)*2)-$((pr - 4))),0,2)*gt(hypot(X-$px,Y-$py),$pr)'" \
    -filter_complex "[0:v][1:v]overlay=format=auto,drawbox=x=0:y=190:w=480:h=80:color=black@0.45:t=fill,drawbox=x=0:y=186:w=480:h=4:color=white@0.35:t=fill,vignette=PI/5,$(drawtext "$title" 40 '200'),$(drawtext "$sub" 24 '244' 0xf0e0c0)" \
    -frames:v 1 "$outp"
}

# subtitles SRTFILE LANG: three cues over the clip.
subtitles() {
  local f=$1 third=$((seconds / 3))
  case $2 in
  eng) printf '1\n00:00:00,500 --> 00:00:%02d,000\nThe ferry leaves at midnight.\n\n2\n00:00:%02d,000 --> 00:00:%02d,000\nNobody on board speaks.\n\n3\n00:00:%02d,000 --> 00:00:%02d,000\nThe lights of the harbour fade.\n' \
    $((third > 1 ? third : 1)) "$third" $((2 * third)) $((2 * third)) "$seconds" >"$f" ;;
  deu) printf '1\n00:00:00,500 --> 00:00:%02d,000\nDie Fähre legt um Mitternacht ab.\n\n2\n00:00:%02d,000 --> 00:00:%02d,000\nNiemand an Bord spricht.\n\n3\n00:00:%02d,000 --> 00:00:%02d,000\nDie Lichter des Hafens verblassen.\n' \
    $((third > 1 ? third : 1)) "$third" $((2 * third)) $((2 * third)) "$seconds" >"$f" ;;
  esac
}

manifest='{"network":"Atomic Demo Channel","shows":['
first_show=1
seed=0
for s in "${shows[@]}"; do
  IFS='|' read -r id title synopsis ca cb pattern <<<"$s"
  printf '%s' "$title" >"$tmp/text/$id.txt"
  printf '%s' "A demo channel show" >"$tmp/text/$id-sub.txt"
  seed=$((seed + 1))
  poster "$tmp/posters/$id.png" "$tmp/text/$id.txt" "$tmp/text/$id-sub.txt" "$ca" "$cb" "$seed"
  ((first_show)) || manifest+=','
  first_show=0
  manifest+="{\"id\":\"$id\",\"title\":\"$title\",\"synopsis\":\"$synopsis\",\"poster\":\"posters/$id.png\",\"episodes\":["
  first_ep=1
  IFS=';' read -r -a eps <<<"${episodes[$id]}"
  for e in "${eps[@]}"; do
    IFS='|' read -r season n etitle esyn kind <<<"$e"
    eid=$(printf '%s-s%02de%02d' "$id" "$season" "$n")
    printf '%s\nS%d E%d  %s' "$title" "$season" "$n" "$etitle" >"$tmp/text/$eid.txt"
    printf 'S%d E%d  %s' "$season" "$n" "$etitle" >"$tmp/text/$eid-short.txt"
    echo "demo-media: rendering $eid ($seconds s, $kind)" >&2
    video=(-f lavfi -i "$pattern=size=1280x720:rate=25:duration=$seconds")
    audio=(-f lavfi -i "sine=frequency=$((330 + 110 * n)):sample_rate=48000:duration=$seconds")
    maps=(-map 0:v -map 1:a)
    extra=()
    if [[ $kind == langs ]]; then
      subtitles "$tmp/text/$eid.eng.srt" eng
      subtitles "$tmp/text/$eid.deu.srt" deu
      audio+=(-f lavfi -i "sine=frequency=$((660 + 55 * n)):sample_rate=48000:duration=$seconds"
        -i "$tmp/text/$eid.eng.srt" -i "$tmp/text/$eid.deu.srt")
      maps=(-map 0:v -map 1:a -map 2:a -map 3:s -map 4:s)
      extra=(-c:s mov_text -metadata:s:a:0 language=eng -metadata:s:a:0 title=English
        -metadata:s:a:1 language=deu -metadata:s:a:1 title=Deutsch
        -metadata:s:s:0 language=eng -metadata:s:s:1 language=deu)
    fi
    ffmpeg -hide_banner -loglevel error -y "${video[@]}" "${audio[@]}" "${maps[@]}" \
      -vf "$(drawtext "$tmp/text/$eid.txt" 64 '(h-text_h)/2'),drawtext=text='%{pts\:hms}':fontcolor=white:fontsize=36:box=1:boxcolor=black@0.55:x=(w-text_w)/2:y=h-90" \
      -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -b:v 2500k -maxrate 2500k -bufsize 5000k \
      -g 50 -keyint_min 50 -c:a aac -b:a 128k "${extra[@]}" -t "$seconds" -movflags +faststart "$tmp/media/$eid.mp4"
    seed=$((seed + 1))
    poster "$tmp/posters/$eid.png" "$tmp/text/$id.txt" "$tmp/text/$eid-short.txt" "$cb" "$ca" "$seed"
    ((first_ep)) || manifest+=','
    first_ep=0
    release=''
    [[ $kind == premiere ]] && release=",\"releaseAt\":\"$placeholder_release\""
    manifest+="{\"id\":\"$eid\",\"season\":$season,\"episode\":$n,\"title\":\"$etitle\",\"synopsis\":\"$esyn\",\"video\":\"media/$eid.mp4\",\"poster\":\"posters/$eid.png\",\"durationSeconds\":$seconds$release}"
  done
  manifest+=']}'
done
manifest+=']}'
printf '%s\n' "$manifest" >"$tmp/manifest.json"
rm -rf "$tmp/text" "$out"
mv "$tmp" "$out"
