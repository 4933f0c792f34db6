#!/usr/bin/env bash
# `make run`: start panicd on a local state dir (./state) and one display (a window when a display
# server is there, offscreen frames in ./state/frames when not), start a run from the prompt deck,
# and follow the live events in the terminal until Ctrl-C, which ends it all with status 0.
set -eu
# Job control: every command gets its own process group and the one in the foreground (the tail)
# gets the terminal, so Ctrl-C reaches the tail alone, not make, nor panicd and the display,
# which the EXIT trap ends in order. Without job control make would die of the signal too and say
# "Interrupt". Only where there is a terminal: elsewhere there is no Ctrl-C to route.
if [ -t 0 ]; then
    set -m
fi
B=${1:-build}
STATE=${PANIC_STATE_DIR:-$PWD/state}
LISTEN=${PANIC_LISTEN:-127.0.0.1:8080}
mkdir -p "$STATE"
rm -f "$STATE/panicd.url"
"$B/panicd" --state-dir "$STATE" --listen "$LISTEN" 2>>"$STATE/panicd.log" &
PID=$!
DPID=""
trap 'kill $PID $DPID 2>/dev/null; wait $PID $DPID 2>/dev/null || true' EXIT
trap 'exit 0' INT TERM
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
# The local display speaks for this machine with its admin token (in the environment, not on the
# command line), so its heartbeat is accepted and its QR code gets a phone link.
PANIC_TOKEN=$(cat "$STATE/admin.token")
export PANIC_TOKEN
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    "$B/panic-display" --coordinator "$URL" --name local --state-dir "$STATE/display" \
        --window 1280x720 2>>"$STATE/display.log" &
    DPID=$!
    echo "display: a window (log in $STATE/display.log)"
else
    "$B/panic-display" --offscreen --coordinator "$URL" --name local --state-dir "$STATE/display" \
        --window 1280x720 --fps 10 --frames 0 --screenshot "$STATE/frames" --screenshot-every 20 \
        2>>"$STATE/display.log" &
    DPID=$!
    echo "display: no screen here, so frames go to $STATE/frames/latest.png every 2 s"
fi
echo "following the live events (Ctrl-C to stop)"
"$B/panicctl" --state-dir "$STATE" tail
