#!/usr/bin/env bash
# Where one configuration of the HTTP benchmark spends its instructions: the server under
# callgrind, loaded by wrk over loopback, counted only over a bounded run after a warm-up.
#
#   benches/http/profile.sh FRAMEWORK MODE ALG [SECONDS] [FUNCTIONS]
#   benches/http/profile.sh axum jwtguard-cache HS256
#   benches/http/profile.sh actix none HS256 4
#
# Prints the requests answered, the user-space instructions per request (the kernel's share of a
# request, the TCP and epoll work, is not counted), and the 40 costliest functions, inclusive, in
# instructions per request, among those FUNCTIONS (a regular expression; the default picks the
# middlewares, JSON, base64, crypto, allocation, extensions and HTTP parsing; '.' picks all). Instruction counts
# do not depend on what else runs on the machine, so two configurations compare on a busy one.
# They still vary by a few percent between runs (how many requests one wake-up finds depends on
# timing). Leaves the callgrind file in the current directory for callgrind_annotate.
# Needs valgrind (callgrind_control, callgrind_annotate), wrk and curl. SERVER=<path> profiles a
# server binary built earlier instead of building one.
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
fw=$1 mode=$2 alg=$3 secs=${4:-4}
functions=${5:-'jwtguard|jsonwebtoken|from_fn|[Ee]xtensions|alloc|drop_in_place|serde|base64|aws_lc|httparse|h1::role'}
for tool in valgrind callgrind_control callgrind_annotate wrk curl; do
    command -v "$tool" >/dev/null || { echo "profile.sh: $tool is needed" >&2; exit 1; }
done

here=$PWD
# Resolved here, against the caller's directory (server-path.sh runs from the root).
if [ -n "${SERVER:-}" ]; then SERVER=$(realpath "$SERVER"); export SERVER; fi
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

exe=$(benches/http/server-path.sh)
cp "$exe" "$work/server"
token=$("$work/server" token "$alg")
out="$here/callgrind.$fw.$mode.$alg.out"

valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$work/server" "$fw" "$mode" "$alg" >"$work/log" 2>&1 &
pid=$!
addr=
for _ in $(seq 600); do
    addr=$(sed -n 's/^listening on //p' "$work/log")
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { echo "profile.sh: the server did not start: $(head -c 300 "$work/log")" >&2; exit 1; }
[ "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://$addr/")" = 200 ] \
    || { echo "profile.sh: the server does not accept the token" >&2; exit 1; }

wrk -t1 -c64 -d2s -H "Authorization: Bearer $token" "http://$addr/" >/dev/null
callgrind_control -z "$pid" >/dev/null 2>&1
wrk -t1 -c64 -d"${secs}s" -H "Authorization: Bearer $token" "http://$addr/" >"$work/wrk"
callgrind_control -d "$pid" >/dev/null 2>&1
kill -TERM "$pid"
wait "$pid" || true
pid=
grep -q 'Non-2xx' "$work/wrk" && { echo "profile.sh: some answers were not 2xx" >&2; exit 1; }

dump=$(ls "$work"/cg.*.1)
cp "$dump" "$out"
requests=$(awk '/ requests in/ { print $1 }' "$work/wrk")
[ "${requests:-0}" -gt 0 ] || { echo "profile.sh: wrk got no answer" >&2; cat "$work/wrk" >&2; exit 1; }
total=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
echo "$fw $mode $alg: $requests requests, $((total / requests)) instructions per request (user space)"
echo
callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null \
    | awk -v n="$requests" -v pick="$functions" '
        /^-+$/ { rule++; next }
        rule != 6 || !/^ *[0-9,]+ / { next }
        {
            ir = $1; gsub(",", "", ir)
            name = $0; sub(/^ *[0-9,]+ +(\([ 0-9.]+%\) +)?/, "", name); sub(/ \[[^]]*\]$/, "", name); sub(/^\?\?\?:/, "", name)
            if (pick != "" && name !~ pick) next
            if (++shown > 40) exit
            printf "%9d  %s\n", ir / n, substr(name, 1, 150)
        }'
echo
echo "(instructions per request, inclusive; the callgrind file: $out)"
