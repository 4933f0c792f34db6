#!/usr/bin/env bash
# check_phone_page.sh: the phone terminal page (/t/{network}) in a real browser. Starts panicd
# ($PANIC_BUILD/panicd) on 127.0.0.1 with a random port, mints a visitor link through the API,
# loads it in headless Chromium (--dump-dom after the page's script ran) to see the current run,
# the lockout countdown and the network's models with their descriptions, then drives the page over the DevTools protocol with
# tests/checks/phone/drive.js (Node, standard library only): type and send a prompt, the countdown, a
# run started elsewhere, an invalid prompt, invalid and expired QR codes, the rate limit. Installs nothing:
# without chromium or node it says why and counts nothing. Ends with
# "check_phone_page: N passed, N failed".
set -u
name=check_phone_page
here=$(cd "$(dirname "$0")" && pwd)
build=${PANIC_BUILD:-build}
chromium=${CHROMIUM:-}
for c in chromium chromium-browser google-chrome; do
    [ -n "$chromium" ] && break
    chromium=$(command -v "$c" 2>/dev/null || true)
done
if [ -z "$chromium" ]; then
    echo "$name: skipped: chromium is not installed (apt-get install chromium)"
    echo "$name: 0 passed, 0 failed"
    exit 0
fi
if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    echo "$name: skipped: node and curl are needed to drive the page"
    echo "$name: 0 passed, 0 failed"
    exit 0
fi
if [ ! -x "$build/panicd" ]; then
    echo "$name: $build/panicd is not built"
    echo "$name: 0 passed, 1 failed"
    exit 1
fi

passed=0
failed=0
ok() {
    echo "ok   $1"
    passed=$((passed + 1))
}
bad() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}

work=$(mktemp -d /tmp/panic-phone-XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

secret=phone-page-secret-0123456789abcdef
cat >"$work/panicd.conf" <<EOF
listen 127.0.0.1:0
state_dir $work/state
dummy_latency_ms 0
sse_heartbeat_seconds 1
visitor_secret $secret
EOF
mkdir -p "$work/state"
"$build/panicd" --config "$work/panicd.conf" 2>"$work/panicd.log" &
pid=$!
url=
for _ in $(seq 100); do
    if [ -s "$work/state/panicd.url" ]; then
        url=$(head -n 1 "$work/state/panicd.url")
        curl -fsS "$url/api/v1/health" >/dev/null 2>&1 && break
    fi
    sleep 0.1
done
if [ -z "$url" ] || ! curl -fsS "$url/api/v1/health" >/dev/null 2>&1; then
    bad panicd_start "panicd did not come up"
    tail -n 20 "$work/panicd.log"
    echo "$name: $passed passed, $failed failed"
    exit 1
fi
admin=$(head -n 1 "$work/state/admin.token")
api() { # METHOD PATH [BODY]
    curl -sS -X "$1" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$url$2"
}
json_field() { # FIELD: from JSON on stdin
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=JSON.parse(s)[process.argv[1]];console.log(v===undefined?"":v)}catch(e){console.log("")}})' "$1"
}

chrome_flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage
    --disable-background-networking --disable-component-update --disable-sync --no-first-run)

# 1. The page as loaded (the script has run): the current run's prompt and the countdown.
net=$(api POST /api/v1/networks \
    '{"name":"phone <page> & co","models":["dummy-t2t"],"lockout_seconds":30,"schedule":[{"delay_s":1}]}' |
    json_field id)
api POST "/api/v1/networks/$net/runs" '{"prompt":"the run before yours"}' >/dev/null
link=$(api GET "/api/v1/networks/$net/prompt-url" | json_field url)
profile=$(mktemp -d "$work/profile-XXXXXX")
dom=$(timeout 60 "$chromium" "${chrome_flags[@]}" --user-data-dir="$profile" \
    --timeout=3000 --dump-dom "$link" 2>/dev/null)
if [ -z "$dom" ]; then
    bad dump_dom "chromium printed no DOM for $link"
else
    if grep -q 'the run before yours' <<<"$dom"; then
        ok dump_dom_current_run
    else
        bad dump_dom_current_run "the current run's prompt is not on the page"
    fi
    if grep -Eq 'id="count">[0-9]+ seconds? until ready for new input' <<<"$dom"; then
        ok dump_dom_countdown
    else
        bad dump_dom_countdown "no lockout countdown on the page"
    fi
    if grep -q 'phone &lt;page&gt; &amp; co' <<<"$dom" && ! grep -q 'phone <page>' <<<"$dom"; then
        ok dump_dom_escaped_name
    else
        bad dump_dom_escaped_name "the network name is not escaped"
    fi
    # What the network's model does, in a visitor's words (the catalogue's description).
    desc=$(curl -sS "$url/api/v1/networks/$net" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).model_details[0].description)}catch(e){console.log("")}})')
    if [ -n "$desc" ] && grep -q '<ol id="models"><li><b>Dummy Text-to-Text</b>' <<<"$dom" &&
        grep -qF "$desc" <<<"$dom"; then
        ok dump_dom_model_descriptions
    else
        bad dump_dom_model_descriptions "the network's models and their descriptions are not on the page"
    fi
fi

# 2. A link that is not a token of ours is an explanation with a 403, in the same colours (an
# expired one, 410, is drive.js's expired_qr_code).
code=$(curl -s -o "$work/invalid.html" -w '%{http_code}' "$url/t/$net?token=garbage")
if [ "$code" = 403 ] && grep -q 'not valid' "$work/invalid.html" &&
    ! grep -q 'expired' "$work/invalid.html" && grep -q '#18181b' "$work/invalid.html"; then
    ok invalid_page_status
else
    bad invalid_page_status "status $code"
fi

# 3. Typing and sending, over the DevTools protocol.
out=$(TMPDIR="$work" timeout 120 node "$here/phone/drive.js" "$chromium" "$url" "$admin" "$secret" 2>&1)
echo "$out" | grep -E '^(ok|FAIL) '
p=$(echo "$out" | grep -c '^ok ')
f=$(echo "$out" | grep -c '^FAIL ')
if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    bad drive "the driver reported nothing: $(echo "$out" | tail -n 5)"
fi
passed=$((passed + p))
failed=$((failed + f))

if ! kill -0 "$pid" 2>/dev/null; then
    bad panicd_alive "panicd died"
    tail -n 20 "$work/panicd.log"
fi
echo "$name: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
