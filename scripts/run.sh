#!/usr/bin/env bash
# `make run`: start panicd on a local state dir (./state), start a run from the prompt deck if the
# network is idle, and follow the live events in the terminal until Ctrl-C.
set -eu
B=${1:-build}
STATE=${PANIC_STATE_DIR:-$PWD/state}
LISTEN=${PANIC_LISTEN:-127.0.0.1:8080}
mkdir -p "$STATE"
rm -f "$STATE/panicd.url"
"$B/panicd" --state-dir "$STATE" --listen "$LISTEN" 2>>"$STATE/panicd.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
    [ -s "$STATE/panicd.url" ] && break
    if ! kill -0 $PID 2>/dev/null; then
        echo "panicd did not start; see $STATE/panicd.log:" >&2
        tail -n 5 "$STATE/panicd.log" >&2
        exit 1
    fi
    sleep 0.1
done
URL=$(head -n 1 "$STATE/panicd.url")
export PANIC_STATE_DIR="$STATE"
echo "panicd is serving $URL (state in $STATE, log in $STATE/panicd.log)"
echo "admin token: $STATE/admin.token   try: $B/panicctl --state-dir $STATE status"
PROMPT=$(shuf -n 1 assets/prompts.txt 2>/dev/null || echo "a lighthouse keeper teaching a robot to paint")
if "$B/panicctl" --state-dir "$STATE" prompt "$PROMPT"; then
    echo "prompt: $PROMPT"
fi
echo "following the live events (Ctrl-C to stop)"
"$B/panicctl" --state-dir "$STATE" tail
