#!/usr/bin/env bash
# The HTTP benchmark: axum and actix-web servers answering `ok` from `GET /`, with no
# authentication, jwtguard (cache off, cache on) and a hand-written jsonwebtoken middleware, for
# HS256, RS256, ES256 and EdDSA. Loopback only; every load run is bounded by -d.
#
#   benches/http/run.sh [-d SECONDS] [-r ROUNDS] [-w WARMUP] [-c CONNECTIONS]
#                       [-f "axum actix"] [-m "jwtguard-nocache jwtguard-cache jsonwebtoken"]
#                       [-a "HS256 RS256 ES256 EdDSA"] [-s SERVER_CPU] [-l CLIENT_CPU]
#
# Defaults: 3 rounds of 5 s per configuration after a 1 s warm-up, 64 connections, the server
# pinned to CPU 0 and `wrk -t1` to CPU 1: about 9 minutes for the 26 configurations (2 frameworks
# x (no auth + 3 modes x 4 algorithms)). Needs wrk, curl and taskset. SERVER=<path> runs a server
# binary built earlier instead of building one.
#
# A round runs every configuration once, framework by framework: no auth first, then every
# mode and algorithm, then no auth again; the round's no-auth figure is the mean of those two
# runs, so slow drift in the machine's load cancels out of the ratios. Before each timed run
# the configuration answers three requests: with the token 200 `ok`; without a token and with a
# tampered one 401 (200 for no auth); a configuration that answers otherwise, or any non-2xx
# answer during the run, is reported FAILED instead of a figure.
#
# Reported per configuration, each the median over rounds: req/s; its ratio to the same round's
# no auth; wrk's p50 and p99 latency; the server's CPU time per request (utime + stime of the
# whole process from /proc/<pid>/stat over the timed run, divided by the requests wrk counted)
# and that minus no auth's; the CPU ratio, no auth's CPU per request divided by this one's (about
# the ratio to no auth of a server that has its core to itself: on a loaded machine the req/s say
# as much about the other processes as about the server); the server's CPU use (100% = the core it
# is pinned to); how much of the run its threads were ready but waited for a CPU
# (/proc/<pid>/task/*/schedstat: other processes on its core; near 0% on a quiet machine); and,
# with the cache on, the share of verifications that were cache hits.
set -euo pipefail

duration=5 rounds=3 warmup=1 connections=64
frameworks="axum actix"
modes="jwtguard-nocache jwtguard-cache jsonwebtoken"
algs="HS256 RS256 ES256 EdDSA"
server_cpu=0 client_cpu=1
while getopts "d:r:w:c:f:m:a:s:l:h" opt; do
    case $opt in
        d) duration=$OPTARG ;;
        r) rounds=$OPTARG ;;
        w) warmup=$OPTARG ;;
        c) connections=$OPTARG ;;
        f) frameworks=$OPTARG ;;
        m) modes=$OPTARG ;;
        a) algs=$OPTARG ;;
        s) server_cpu=$OPTARG ;;
        l) client_cpu=$OPTARG ;;
        *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
done
command=("$0" "$@")

for tool in wrk curl taskset; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done

# Resolved here, against the caller's directory (server-path.sh runs from the root).
if [ -n "${SERVER:-}" ]; then SERVER=$(realpath "$SERVER"); export SERVER; fi
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

exe=$(benches/http/server-path.sh)
# A copy, so that a rebuild of the shared target directory during the run cannot swap it.
cp "$exe" "$work/server"
server=$work/server

for alg in HS256 $algs; do
    [ -f "$work/token.$alg" ] || "$server" token "$alg" >"$work/token.$alg"
done
ticks=$(getconf CLK_TCK)

# The configurations of one round, in order.
plan=()
for fw in $frameworks; do
    plan+=("$fw none HS256 start")
    for alg in $algs; do
        for mode in $modes; do plan+=("$fw $mode $alg -"); done
    done
    plan+=("$fw none HS256 end")
done

status_of() { # url [curl args...]: the status code and body, as "200 ok"
    local url=$1
    shift
    curl -s -m 5 -o "$work/body" -w '%{http_code}' "$@" "$url" || echo 000
    printf ' %s' "$(head -c 20 "$work/body" 2>/dev/null)"
}

cpu_ticks() { # utime + stime of a whole process (all its threads), in clock ticks
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

run_queue_ns() { # how long the process's threads were ready to run but waited for a CPU
    cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $2 } END { printf "%.0f\n", ns }'
}

# One run: start the server, check it answers right, warm up, time it, stop it.
# Appends "round fw mode alg which rps p50_us p99_us cpu_us_per_req cpu_pct hits misses wait_pct load1"
# to $work/results, or the same with FAILED and a reason.
run_one() {
    local round=$1 fw=$2 mode=$3 alg=$4 which=$5
    local token
    token=$(cat "$work/token.$alg")
    : >"$work/server.out"
    taskset -c "$server_cpu" "$server" "$fw" "$mode" "$alg" >"$work/server.out" 2>&1 &
    server_pid=$!
    local addr=
    for _ in $(seq 100); do
        addr=$(sed -n 's/^listening on //p' "$work/server.out")
        [ -n "$addr" ] && break
        sleep 0.05
    done
    local url="http://$addr/" failed=
    if [ -z "$addr" ]; then
        failed="did not start: $(head -c 200 "$work/server.out")"
    else
        # Change one character in the middle of the signature: a token that must not verify.
        local cut=$((${#token} - 10)) c=${token:$((${#token} - 10)):1} swapped=A
        [ "$c" = A ] && swapped=B
        local tampered="${token:0:$cut}$swapped${token:$((cut + 1))}"
        local want_denied="401"
        [ "$mode" = none ] && want_denied="200"
        local got_ok got_none got_bad
        got_ok=$(status_of "$url" -H "Authorization: Bearer $token")
        got_none=$(status_of "$url")
        got_bad=$(status_of "$url" -H "Authorization: Bearer $tampered")
        if [ "$got_ok" != "200 ok" ] || [ "${got_none%% *}" != "$want_denied" ] || [ "${got_bad%% *}" != "$want_denied" ]; then
            failed="check: with token '$got_ok', without '$got_none', tampered '$got_bad'"
        fi
    fi
    local load1
    load1=$(cut -d' ' -f1 /proc/loadavg)
    if [ -z "$failed" ]; then
        local wrk_args=(-t1 -c"$connections" -H "Authorization: Bearer $token" "$url")
        if [ "$warmup" != 0 ]; then
            taskset -c "$client_cpu" wrk "${wrk_args[@]}" -d"${warmup}s" >/dev/null
        fi
        local before after
        before=$(cpu_ticks "$server_pid") waited_before=$(run_queue_ns "$server_pid")
        taskset -c "$client_cpu" wrk "${wrk_args[@]}" -d"${duration}s" --latency >"$work/wrk.out"
        after=$(cpu_ticks "$server_pid") waited_after=$(run_queue_ns "$server_pid")
        if grep -q 'Non-2xx' "$work/wrk.out"; then
            failed="$(grep 'Non-2xx' "$work/wrk.out" | tr -s ' ')"
        elif ! grep -q '^ *[1-9][0-9]* requests in' "$work/wrk.out"; then
            failed="no requests answered: $(tr '\n' ' ' <"$work/wrk.out" | head -c 300)"
        fi
        grep 'Socket errors' "$work/wrk.out" | sed "s/^/  $fw $mode $alg: /" >&2 || true
    fi
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    if [ -n "$failed" ]; then
        echo "$round $fw $mode $alg $which FAILED $failed" >>"$work/results"
        echo "  FAILED: $fw $mode $alg: $failed" >&2
        return
    fi
    # wrk prints latencies as 812.00us, 1.20ms or 1.01s.
    awk -v round="$round" -v fw="$fw" -v mode="$mode" -v alg="$alg" -v which="$which" \
        -v ticks="$ticks" -v cpu="$((after - before))" -v waited="$((waited_after - waited_before))" -v load1="$load1" \
        -v cache="$(sed -n 's/^cache hits=\([0-9]*\) misses=\([0-9]*\)$/\1 \2/p' "$work/server.out")" '
        function us(s) {
            if (s ~ /us$/) return s + 0
            if (s ~ /ms$/) return s * 1000
            if (s ~ /s$/) return s * 1000000
            return s + 0
        }
        / requests in / { requests = $1; secs = $4; sub(/s,?$/, "", secs) }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = us($2) }
        $1 == "99%" { p99 = us($2) }
        END {
            split(cache, c, " ")
            hits = (cache == "") ? "-" : c[1]; misses = (cache == "") ? "-" : c[2]
            printf "%s %s %s %s %s %.1f %.1f %.1f %.3f %.1f %s %s %.1f %s\n", round, fw, mode, alg, which,
                rps, p50, p99, (requests > 0) ? cpu / ticks * 1e6 / requests : 0, 100 * cpu / ticks / secs, hits, misses,
                100 * waited / 1e9 / secs, load1
        }' "$work/wrk.out" >>"$work/results"
    tail -1 "$work/results" | awk '{ printf "  %-6s %-17s %-6s %9.0f req/s  cpu %.2f us/req (%s%%, waited %s%%)  load %s\n", $2, $3, $4, $6, $9, $10, $13, $14 }' >&2
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
start=$(date +%s)
for round in $(seq "$rounds"); do
    echo "round $round of $rounds" >&2
    for entry in "${plan[@]}"; do
        # shellcheck disable=SC2086
        run_one "$round" $entry
    done
done
elapsed=$(($(date +%s) - start))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The table: medians over rounds; ratios against the same round's no auth (mean of its two runs).
echo
echo "\`${command[*]}\` — $rounds rounds x ${duration} s per configuration (after ${warmup} s warm-up), wrk -t1 -c$connections, server on CPU $server_cpu, wrk on CPU $client_cpu; $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s"
echo
awk -v load_after="$load_after" '
    function median(list,    n, v, i, j, t) {
        n = split(list, v, " ")
        if (n == 0) return ""
        for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function minmax(list,    n, v, i, lo, hi) {
        n = split(list, v, " "); lo = v[1] + 0; hi = v[1] + 0
        for (i = 2; i <= n; i++) { if (v[i] + 0 < lo) lo = v[i] + 0; if (v[i] + 0 > hi) hi = v[i] + 0 }
        return sprintf("%.2f–%.2f", lo, hi)
    }
    { key = ($3 == "none") ? $2 " none -" : $2 " " $3 " " $4 }
    !(key in seen) { seen[key] = 1; order[++n] = key }
    $6 == "FAILED" { failed[key] = 1; next }
    # A FAILED row ends in its reason, not in the load average.
    { loads = loads " " $NF }
    {
        if ($3 == "none") { nrps[$1 " " $2] += $6; ncpu[$1 " " $2] += $9; nn[$1 " " $2]++ }
        row[NR] = $0; rkey[NR] = key
    }
    END {
        for (i = 1; i <= NR; i++) {
            if (!(i in row)) continue
            split(row[i], f, " ")
            rk = f[1] " " f[2]; k = rkey[i]
            p50[k] = p50[k] " " f[7]; p99[k] = p99[k] " " f[8]; util[k] = util[k] " " f[10]; wait[k] = wait[k] " " f[13]
            if (f[11] != "-" && f[11] + f[12] > 0) hit[k] = hit[k] " " 100 * f[11] / (f[11] + f[12])
            if (!(rk in nn)) continue
            base = nrps[rk] / nn[rk]; basecpu = ncpu[rk] / nn[rk]
            if (f[3] == "none") {
                if (f[5] == "end" && nn[rk] == 2) continue   # the pair counts once per round, as its mean
                rps[k] = rps[k] " " base; cpu[k] = cpu[k] " " basecpu; ratio[k] = ratio[k] " 1"; dcpu[k] = dcpu[k] " 0"
                cratio[k] = cratio[k] " 1"
            } else {
                rps[k] = rps[k] " " f[6]; cpu[k] = cpu[k] " " f[9]
                ratio[k] = ratio[k] " " f[6] / base; dcpu[k] = dcpu[k] " " f[9] - basecpu
                cratio[k] = cratio[k] " " ((f[9] > 0) ? basecpu / f[9] : 0)
            }
        }
        print "| framework | mode | alg | req/s | ratio to no auth | (rounds) | p50 | p99 | server CPU µs/req | vs no auth | CPU ratio | server CPU use | server waited for a CPU | cache hits |"
        print "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= n; i++) {
            k = order[i]; split(k, f, " ")
            if (k in failed) { printf "| %s | %s | %s | FAILED in some round | | | | | | | | | | |\n", f[1], f[2], f[3]; continue }
            if (!(k in rps)) { printf "| %s | %s | %s | no no-auth run to compare with | | | | | | | | | | |\n", f[1], f[2], f[3]; continue }
            printf "| %s | %s | %s | %.0f | %.2f | %s | %.0f µs | %.0f µs | %.2f | %+.2f | %.2f | %.0f%% | %.0f%% | %s |\n",
                f[1], (f[2] == "none" ? "no auth" : f[2]), f[3], median(rps[k]), median(ratio[k]), minmax(ratio[k]),
                median(p50[k]), median(p99[k]), median(cpu[k]), median(dcpu[k]), median(cratio[k]), median(util[k]), median(wait[k]),
                (k in hit) ? sprintf("%.1f%%", median(hit[k])) : "-"
        }
        nl = split(loads, l, " "); lo = l[1] + 0; hi = l[1] + 0
        for (i = 2; i <= nl; i++) { if (l[i] + 0 < lo) lo = l[i] + 0; if (l[i] + 0 > hi) hi = l[i] + 0 }
        printf "\n1-minute load average at the start of each run: %.2f to %.2f (after: %s)\n", lo, hi, load_after
    }' "$work/results"
