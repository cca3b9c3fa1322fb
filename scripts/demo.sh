#!/usr/bin/env bash
# The box on a desktop with the built-in demo channel (what `make run` does):
#   1. generates the demo channel (scripts/demo-media.sh: 3 shows, 8 episodes
#      of ~60 s, one show with two seasons, one episode with two audio
#      languages and subtitles, a premiere) and posters, once, in the cache;
#   2. publishes them as the network would (torrents with a web seed, a signed
#      catalog; the network key lives in the config dir, never in git), with
#      the premiere embargoed until DEMO_PREMIERE_MINUTES (3) after start, and
#      publishes again at that time (the key goes out; the boxes refresh
#      every 30 s);
#   3. serves the origin on loopback;
#   4. starts 3 neighbour daemons that already hold the episodes;
#   5. starts the box's daemon (it holds nothing) and the TV UI.
# HEADLESS=1 runs the UI under Xvfb. Ctrl-C (or closing the window) stops all.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$here/../bin}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/atomicbox/demo
config=${XDG_CONFIG_HOME:-$HOME/.config}/atomicbox
state=${XDG_DATA_HOME:-$HOME/.local/share}/atomicbox
origin_port=${ORIGIN_PORT:-8970}
api_port=${API_PORT:-8080}
run=$cache/run   # logs and neighbour data dirs, recreated each run
mkdir -p "$cache" "$config" "$state" "$run"
chmod 700 "$config"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# --- 1. demo media -----------------------------------------------------------
# -v2: the channel grew (seasons, languages, a premiere); a new directory
# keeps older caches (and other runs using them) intact.
media=$cache/media-v3
"$here/demo-media.sh" "$media"

# --- 2. publish --------------------------------------------------------------
base="http://127.0.0.1:$origin_port/"
release_at=$(date -u -d "+${DEMO_PREMIERE_MINUTES:-3} min" +%Y-%m-%dT%H:%M:%SZ)
# The manifest's paths are relative to it: the rewritten copy sits beside it.
sed "s/\"releaseAt\":\"[^\"]*\"/\"releaseAt\":\"$release_at\"/" "$media/manifest.json" >"$media/manifest-run.json"
publish() {
  "$BIN/atomicpublish" publish -manifest "$media/manifest-run.json" -origin "$cache/origin" \
    -base-url "$base" -key "$config/demo-network.key"
}
publish >"$run/publish.log"
cat "$run/publish.log"
echo "demo: the premiere opens at $release_at"
netkey=$("$BIN/atomicpublish" pubkey -key "$config/demo-network.key")

# --- 3. origin ---------------------------------------------------------------
"$BIN/atomicpublish" serve -origin "$cache/origin" -listen "127.0.0.1:$origin_port" >"$run/origin.log" 2>&1 &
pids+=($!)

wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "demo: $1 did not answer within $2 s" >&2; return 1
}
wait_http "${base}catalog.json" 10

# Publish again once the premiere's time has come: the catalog then carries
# its key and the boxes unlock it at their next refresh.
(
  wait_s=$(( $(date -u -d "$release_at" +%s) - $(date -u +%s) + 1 ))
  sleep $(( wait_s > 0 ? wait_s : 0 ))
  publish >>"$run/publish.log" 2>&1 && echo "demo: premiere released (republished)"
) &
pids+=($!)

# --- 4. neighbours that already hold the episodes ----------------------------
peers=()
for n in 1 2 3; do
  dir=$run/neighbour-$n
  mkdir -p "$dir/media"
  # The daemon's data layout keeps torrent payloads under media/; files placed
  # there are hash-checked and seeded (see appliance/swarm).
  for f in "$cache/origin/media/"*; do ln -f "$f" "$dir/media/" 2>/dev/null || cp "$f" "$dir/media/"; done
  bt=$((42070 + n))
  "$BIN/atomicboxd" -data "$dir" -listen "127.0.0.1:$((api_port + 10 + n))" -channel "$base" \
    -network-key "$netkey" -bt-port "$bt" -no-dht -no-trackers -refresh 30s >"$run/neighbour-$n.log" 2>&1 &
  pids+=($!)
  peers+=(-peer "127.0.0.1:$bt")
done

# --- 5. the box and its TV ---------------------------------------------------
"$BIN/atomicboxd" -data "$state/box" -listen "127.0.0.1:$api_port" -channel "$base" \
  -network-key "$netkey" -bt-port 42070 -no-dht -no-trackers -refresh 30s "${peers[@]}" >"$run/box.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$api_port/api/catalog" 20

echo "demo: box API http://127.0.0.1:$api_port  web remote http://127.0.0.1:$api_port/remote  logs $run"
profile=desktop
if [[ -n "${HEADLESS:-}" ]]; then
  display=:$((90 + RANDOM % 9))
  Xvfb "$display" -screen 0 1920x1080x24 -nolisten tcp >"$run/xvfb.log" 2>&1 &
  pids+=($!)
  export DISPLAY=$display
  sleep 1
  echo "demo: headless on $DISPLAY; drive it from the web remote; a screenshot: ffmpeg -f x11grab -video_size 1920x1080 -i $DISPLAY -frames:v 1 shot.png"
fi
"$BIN/atomictv" -api "http://127.0.0.1:$api_port" -profile "$profile" 2>"$run/ui.log"
