#!/usr/bin/env bash
# check_layers.sh: the layering rules of src/ (docs/DESIGN.md, "Layers"), checked on the text of
# the sources so that a violation fails `make test` even where the compiler would accept it (most
# library headers live in /usr/include, so a pure file could include them unnoticed).
#   1. Pure folders include only libc headers and project headers from other pure folders: every
#      core/ the C headers in LIBC (no I/O), src/common/ LIBC and POSIX (but its adapters: the
#      library wrappers in src/common/lib/ and the wire codecs src/common/proto/*_json.c).
#   2. A library's headers are included only by the adapters that own it (the OWNERS table).
#   3. No function in src/ is longer than 150 lines.
# `check_layers.sh` checks the repository; `check_layers.sh --root DIR` checks another tree (the
# self-test below plants one violation of each kind in a copy and expects each to be caught).
# Ends with "check_layers: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD

# C11 and the POSIX headers a pure module may need (no sockets, no files beyond stdio's types).
LIBC='assert.h ctype.h errno.h float.h inttypes.h limits.h math.h setjmp.h stdalign.h stdarg.h
stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h strings.h time.h'

# library header (a regex on the included name) -> the files or folders allowed to include it
OWNERS='
^sqlite3\.h$                  src/coordinator/store/store.c
^microhttpd\.h$               src/coordinator/api/http.c
^jansson\.h$                  src/coordinator/api/ src/coordinator/coord/ src/coordinator/platforms/replicate/ src/coordinator/platforms/openai/ src/coordinator/platforms/gemini/ src/display/sync.c src/ctl/ src/common/proto/display_config_json.c
^curl/                        src/coordinator/platforms/curl_ev.c src/display/sync.c src/ctl/http_client.c
^SDL                          src/display/main.c src/display/render_sdl.c src/display/render_sdl.h src/display/audio.c src/display/decoder.c src/display/decoder.h src/display/screenshot.c src/display/screen.c src/display/screen.h
^png\.h$                      src/common/lib/png_write.c
^gpiod\.h$                    src/button/input_gpiod.c
^qrencode\.h$                 src/display/main.c src/display/qr.c src/coordinator/api/qr_svg.c
^kiss_fft                     src/display/spectrum.c
^linux/cec                    src/display/cec.c
^openssl/                     src/common/lib/crypto.c src/coordinator/api/hmac.c
^espeak-ng/|^flite/           src/coordinator/platforms/builtin/builtin_speech.c
^pocketsphinx|^sphinxbase     src/coordinator/platforms/builtin/builtin_sphinx.c
^tesseract/|^leptonica/       src/coordinator/platforms/builtin/builtin_ocr.c
^ft2build\.h$|^freetype       src/coordinator/platforms/builtin/builtin_type.c
^avahi-                       src/coordinator/mdns.c src/common/lib/mdns_browse.c
'

# POSIX headers src/common may use besides LIBC (it is libc-only, but does I/O; core/ does none).
POSIX='dirent.h fcntl.h poll.h pthread.h signal.h sys/random.h sys/socket.h sys/stat.h
sys/types.h sys/un.h unistd.h'

# violations ROOT: prints one line per violation, "file:line: reason". One awk pass over src/.
violations() {
    (
        cd "$1" || exit 1
        find src -name '*.[ch]' | sort | xargs awk -v libc="$LIBC" -v posix="$POSIX" \
            -v owners="$OWNERS" '
        BEGIN {
            n = split(libc, a, /[ \n]+/); for (i = 1; i <= n; i++) if (a[i] != "") LIBC[a[i]] = 1
            n = split(posix, a, /[ \n]+/); for (i = 1; i <= n; i++) if (a[i] != "") POSIX[a[i]] = 1
            n = split(owners, rows, "\n")
            for (i = 1; i <= n; i++) {
                if (rows[i] !~ /[^ ]/) continue
                m = split(rows[i], f, /[ ]+/); nown++; RE[nown] = f[1]; OWN[nown] = ""
                for (j = 2; j <= m; j++) if (f[j] != "") OWN[nown] = OWN[nown] " " f[j]
            }
        }
        function kind(path) {   # 2: core/, 1: src/common (but lib/ and *_json), 0: an adapter
            if (path ~ /\/core\//) return 2
            if (path ~ /^src\/common\// && path !~ /_json\.[ch]$/ && path !~ /^src\/common\/lib\//) return 1
            return 0
        }
        function owned(file, list,    k, m, o) {
            m = split(list, o, " ")
            for (k = 1; k <= m; k++) {
                if (o[k] == "") continue
                if (o[k] ~ /\/$/ && index(file, o[k]) == 1) return 1
                if (file == o[k]) return 1
            }
            return 0
        }
        FNR == 1 { pure = kind(FILENAME); dir = FILENAME; sub(/\/[^\/]+$/, "", dir); sig = 0; open = 0 }
        /^[ \t]*#[ \t]*include[ \t]*</ {
            h = $0; sub(/^[^<]*</, "", h); sub(/>.*/, "", h)
            if (pure == 2 && !(h in LIBC)) {
                printf "%s:%d: <%s> in a pure folder (libc only)\n", FILENAME, FNR, h; next
            }
            if (pure == 1 && !(h in LIBC) && !(h in POSIX)) {
                printf "%s:%d: <%s> in src/common (libc only)\n", FILENAME, FNR, h; next
            }
            for (r = 1; r <= nown; r++)
                if (h ~ RE[r] && !owned(FILENAME, OWN[r]))
                    printf "%s:%d: <%s> outside its owners (%s )\n", FILENAME, FNR, h, OWN[r]
            next
        }
        /^[ \t]*#[ \t]*include[ \t]*"/ && pure {
            h = $0; sub(/^[^"]*"/, "", h); sub(/".*/, "", h)
            t = (system("test -f \"" dir "/" h "\"") == 0) ? dir "/" h : "src/" h
            if (kind(t) == 0)
                printf "%s:%d: \"%s\" is not pure (a pure folder includes core/ and src/common/ only)\n", FILENAME, FNR, h
            next
        }
        # Functions: a line "{" alone opens one (the brace style of .clang-format), "}" closes it.
        FILENAME ~ /\.c$/ && /\(/ && !open { sig = FNR }
        FILENAME ~ /\.c$/ && /^\{$/ { open = 1; start = sig ? sig : FNR }
        FILENAME ~ /\.c$/ && /^\}/ && open {
            len = FNR - start + 1
            if (len > 150) printf "%s:%d: function of %d lines (at most 150)\n", FILENAME, start, len
            open = 0; sig = 0
        }'
    )
}

passed=0
failed=0
report() { # name, output
    if [ -z "$2" ]; then
        echo "ok   $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1"
        printf '%s\n' "$2" | head -n 40 | sed 's/^/     /'
        failed=$((failed + 1))
    fi
}

if [ "${1:-}" = "--root" ]; then
    out=$(violations "$2")
    printf '%s\n' "$out"
    [ -z "$out" ]
    exit
fi

report "src/ keeps its layers" "$(violations "$repo")"

# Self-test: each kind of violation, planted in a copy, must be reported.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
plant() { # name, file, text to append, expected pattern
    rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -r "$repo/src" "$tmp/t/"
    printf '%s\n' "$3" >>"$tmp/t/$2"
    got=$(violations "$tmp/t")
    if printf '%s\n' "$got" | grep -q "$4"; then
        report "catches $1" ""
    else
        report "catches $1" "planted in $2, not reported (got: ${got:-nothing})"
    fi
}
plant "a library header in core/" src/coordinator/core/runner.c '#include <sqlite3.h>' \
    'runner.c.*<sqlite3.h> in a pure folder'
plant "a POSIX I/O header in core/" src/display/core/layout.c '#include <unistd.h>' \
    'layout.c.*<unistd.h> in a pure folder'
plant "an adapter header from core/" src/coordinator/core/network.c \
    '#include "coordinator/store/store.h"' 'network.c.*not pure'
plant "a library outside its owner" src/coordinator/platforms/replicate/replicate.c \
    '#include <curl/curl.h>' 'replicate.c.*<curl/curl.h> outside its owners'
plant "sqlite outside the store" src/coordinator/api/api.c '#include <sqlite3.h>' \
    'api.c.*<sqlite3.h> outside its owners'
plant "a library in src/common" src/common/util.c '#include <jansson.h>' \
    'util.c.*<jansson.h> in src/common'
long=$(printf 'static int too_long(void)\n{\n'; for _ in $(seq 1 150); do printf '    (void)0;\n'; done; printf '    return 0;\n}\n')
plant "a function over 150 lines" src/ctl/main.c "$long" 'main.c:.*function of 154 lines'

echo "check_layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
