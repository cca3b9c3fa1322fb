#!/usr/bin/env bash
# The box on a desktop with the built-in demo channel (what `make run` does):
#   1. generates 3 shows x 2 episodes (~60 s, 1280x720 H.264 + AAC, faststart)
#      and posters with ffmpeg, once, under the cache dir;
#   2. publishes them as the network would (torrents with a web seed, a signed
#      catalog; the network key lives in the config dir, never in git);
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
"$here/demo-media.sh" "$cache/media"

# --- 2. publish --------------------------------------------------------------
base="http://127.0.0.1:$origin_port/"
"$BIN/atomicpublish" publish -manifest "$cache/media/manifest.json" -origin "$cache/origin" \
  -base-url "$base" -key "$config/demo-network.key" >"$run/publish.log"
cat "$run/publish.log"
netkey=$("$BIN/atomicpublish" pubkey -key "$config/demo-network.key")

# --- 3. origin ---------------------------------------------------------------
"$BIN/atomicpublish" serve -origin "$cache/origin" -listen "127.0.0.1:$origin_port" >"$run/origin.log" 2>&1 &
pids+=($!)

wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "demo: $1 did not answer within $2 s" >&2; return 1
}
wait_http "${base}catalog.json" 10

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
    -network-key "$netkey" -bt-port "$bt" -no-dht -no-trackers >"$run/neighbour-$n.log" 2>&1 &
  pids+=($!)
  peers+=(-peer "127.0.0.1:$bt")
done

# --- 5. the box and its TV ---------------------------------------------------
"$BIN/atomicboxd" -data "$state/box" -listen "127.0.0.1:$api_port" -channel "$base" \
  -network-key "$netkey" -bt-port 42070 -no-dht -no-trackers "${peers[@]}" >"$run/box.log" 2>&1 &
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
