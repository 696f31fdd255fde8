#!/usr/bin/env bash
# The gateway against nginx, side by side on loopback: what the verifying reverse proxy and the
# forward-auth answer add to a request, in latency and CPU, next to nginx proxying directly.
#
#   benches/gateway/run.sh [-d SECONDS] [-r ROUNDS] [-c CONNECTIONS]
#
# Set-ups, each a bounded wrk run (`wrk -t1 -cC -dD --latency`, the same ES256 token on every
# request, so the gateway's verified-token cache answers all but the first):
#   upstream        nginx `return 200` (the service), directly
#   nginx-proxy     nginx `proxy_pass` to it (keep-alive to the upstream)
#   gateway-public  the gateway's proxy listener, a public route (no token read)
#   gateway-es256   the gateway's proxy listener, a route that verifies the token
#   nginx-auth      nginx `auth_request` to the gateway's forward-auth listener, then the upstream
#                   (the deploy/nginx.conf set-up)
# Servers (the nginx instances and the gateway) are pinned to CPU 0, wrk to CPU 1. Reported per
# set-up, the median over rounds: req/s, p50, p99, and the CPU time per request of the gateway
# and of nginx (utime + stime from /proc/PID/stat over the run, over the requests wrk counted).
# Before each timed run the set-up must answer 200 with the token and (for a verifying one) 401
# without; otherwise it is reported FAILED. Needs nginx, wrk, curl, taskset.
set -euo pipefail

duration=5 rounds=3 connections=32
while getopts "d:r:c:h" opt; do
    case $opt in
        d) duration=$OPTARG ;;
        r) rounds=$OPTARG ;;
        c) connections=$OPTARG ;;
        *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
    esac
done
command=("$0" "$@")

nginx=$(command -v nginx || echo /usr/sbin/nginx)
for tool in "$nginx" wrk curl taskset; do
    command -v "$tool" >/dev/null || [ -x "$tool" ] || { echo "run.sh: $tool is needed" >&2; exit 1; }
done

cd "$(dirname "$0")/../.."
repo=$PWD
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "building the gateway and the CLI (release)..." >&2
nice -n 10 cargo build -q --release -p jwtguard-gateway -p jwtguard-cli
target=${CARGO_TARGET_DIR:-target}
cp "$target/release/jwtguard-gateway" "$target/release/jwtguard" "$work/"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up=$(free_port) nproxy=$(free_port) nauth=$(free_port) gproxy=$(free_port) gauth=$(free_port)

iss=https://bench.example
token=$("$work/jwtguard" sign --key "$repo/crates/jwtguard-test/keys/p256.key.pem" --alg ES256 --iss "$iss" \
    --sub bench --scope orders:read --ttl 2h)

nginx_conf() { # name, server block
    mkdir -p "$work/$1"
    cat >"$work/$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
error_log $work/$1/error.log warn;
pid $work/$1/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/$1; proxy_temp_path $work/$1; fastcgi_temp_path $work/$1;
    uwsgi_temp_path $work/$1; scgi_temp_path $work/$1;
    upstream service { server 127.0.0.1:$up; keepalive 32; }
    upstream gateway { server 127.0.0.1:$gauth; keepalive 32; }
    $2
}
EOF
}
nginx_conf upstream "server { listen 127.0.0.1:$up; location / { return 200 'ok'; } }"
nginx_conf proxy "server { listen 127.0.0.1:$nproxy; location / {
    proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://service; } }"
nginx_conf auth "server { listen 127.0.0.1:$nauth;
    location / { auth_request /_jwtguard;
        auth_request_set \$jwt_user \$upstream_http_x_auth_request_user;
        proxy_set_header X-Auth-Request-User \$jwt_user;
        proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://service; }
    location = /_jwtguard { internal;
        proxy_http_version 1.1; proxy_set_header Connection \"\";
        proxy_pass http://gateway; proxy_pass_request_body off; proxy_set_header Content-Length \"\";
        proxy_set_header X-Original-URI \$request_uri; proxy_set_header X-Forwarded-Method \$request_method;
        proxy_set_header X-Forwarded-Host \$host; } }"

cat >"$work/gateway.toml" <<EOF
[[listener]]
addr = "127.0.0.1:$gproxy"
mode = "proxy"
upstream = "http://127.0.0.1:$up"

[[listener]]
addr = "127.0.0.1:$gauth"
mode = "forward_auth"

[[issuer]]
name = "bench"
issuer = "$iss"
algorithms = ["ES256"]
pem_files = ["$repo/crates/jwtguard-test/keys/p256.pub.pem"]

[[route]]
path = "/public"
public = true

[[route]]
path = "/"
scopes = ["orders:read"]

[headers]
"X-Auth-Request-User" = "sub"

[log]
level = "error"
EOF

start() { # pid-var-name, command...
    taskset -c 0 "${@:2}" >"$work/$1.out" 2>&1 &
    pids+=("$!")
    printf -v "$1" '%s' "$!"
}
start nginx_up "$nginx" -c "$work/upstream/nginx.conf"
start nginx_proxy "$nginx" -c "$work/proxy/nginx.conf"
start nginx_auth "$nginx" -c "$work/auth/nginx.conf"
start gateway "$work/jwtguard-gateway" "$work/gateway.toml"
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$up/" && curl -s -o /dev/null "http://127.0.0.1:$gproxy/public" \
        && curl -s -o /dev/null "http://127.0.0.1:$nauth/" && break
    sleep 0.1
done

ticks=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@" || echo 000; }

# set-up name, URL, whether it verifies the token, the nginx process on its path (or -)
setups=(
    "upstream http://127.0.0.1:$up/ no $nginx_up"
    "nginx-proxy http://127.0.0.1:$nproxy/ no $nginx_proxy"
    "gateway-public http://127.0.0.1:$gproxy/public no -"
    "gateway-es256 http://127.0.0.1:$gproxy/orders yes -"
    "nginx-auth http://127.0.0.1:$nauth/orders yes $nginx_auth"
)
: >"$work/results"
for round in $(seq "$rounds"); do
    echo "round $round of $rounds" >&2
    for s in "${setups[@]}"; do
        read -r name url verifies npid <<<"$s"
        ok=$(code -H "Authorization: Bearer $token" "$url")
        bare=$(code "$url")
        if [ "$ok" != 200 ] || { [ "$verifies" = yes ] && [ "$bare" != 401 ]; }; then
            echo "$name FAILED (token: $ok, none: $bare)" | tee -a "$work/results" >&2
            continue
        fi
        g0=$(cpu_ticks "$gateway")
        n0=0; [ "$npid" = - ] || n0=$(cpu_ticks "$npid")
        # The upstream nginx serves every set-up; its CPU is not the set-up's own, except directly.
        out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" --latency \
            -H "Authorization: Bearer $token" "$url")
        g1=$(cpu_ticks "$gateway")
        n1=0; [ "$npid" = - ] || n1=$(cpu_ticks "$npid")
        requests=$(awk '/requests in/ { print $1 }' <<<"$out")
        errors=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
        [ -z "$errors" ] || { echo "$name FAILED ($errors non-2xx answers)" | tee -a "$work/results" >&2; continue; }
        rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
        lat() { awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
            else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; print v }' <<<"$out"; }
        gcpu=$(awk -v a="$g0" -v b="$g1" -v t="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", (b - a) / t * 1e6 / n }')
        ncpu=$(awk -v a="$n0" -v b="$n1" -v t="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", (b - a) / t * 1e6 / n }')
        echo "$name $rps $(lat 50%) $(lat 99%) $gcpu $ncpu" | tee -a "$work/results" >&2
    done
done

echo
echo "\`${command[*]}\` — $rounds rounds of ${duration} s per set-up, wrk -t1 -c$connections on CPU 1, servers on CPU 0; $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| set-up | req/s | p50 | p99 | gateway CPU µs/req | nginx CPU µs/req (its own process) |"
echo "|---|---:|---:|---:|---:|---:|"
for s in "${setups[@]}"; do
    read -r name _ <<<"$s"
    if grep -q "^$name FAILED" "$work/results"; then echo "| $name | FAILED | | | | |"; continue; fi
    awk -v n="$name" '$1 == n' "$work/results" | sort -k2 -n | awk -v n="$name" '
        { rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; g[NR] = $5; c[NR] = $6 }
        END { m = int((NR + 1) / 2); printf "| %s | %.0f | %.2f ms | %.2f ms | %s | %s |\n", n, rps[m], p50[m], p99[m], g[m], c[m] }'
done
