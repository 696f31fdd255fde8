#!/usr/bin/env bash
# The soak run: two quickstart instances (axum and actix) sharing one Redis and one JWKS source,
# 64 connections of valid, expired, forged, revoked and refreshed tokens for SECONDS (default
# 120, at least 60), with faults injected in phases: Redis killed and restarted, the JWKS answering
# errors and stalling, a key rotation, a burst of unknown `kid`s. Prints a table of outcomes and
# latencies per phase and exits 1 when an invariant breaks (examples/soak.rs says which).
#
#   bash scripts/soak.sh [SECONDS]
#
# Needs cargo and redis-server. Loopback only: every server binds 127.0.0.1, the load comes from
# 127.0.1.x and 127.0.2.x. Every process it starts is killed when it ends, however it ends.
set -euo pipefail

duration="${1:-120}"
connections="${SOAK_CONNECTIONS:-64}"
case "$duration" in
  ''|*[!0-9]*) echo "usage: bash scripts/soak.sh [SECONDS]  (at least 60)" >&2; exit 2 ;;
esac
if [ "$duration" -lt 60 ]; then
  echo "soak: the run lasts at least 60 seconds" >&2
  exit 2
fi
for tool in cargo redis-server; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is needed on the PATH" >&2; exit 2; }
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

features=axum,actix,redis,jwks,metrics
cargo build --release --features "$features" \
  --example axum_quickstart --example actix_quickstart --example soak
target="$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
bin="$target/release/examples"

dir="$(mktemp -d "${TMPDIR:-/tmp}/jwtguard-soak.XXXXXX")"
soak_pid=""
cleanup() {
  if [ -n "$soak_pid" ]; then kill -TERM "$soak_pid" 2>/dev/null || true; fi
  # Whatever the soak run started (redis-server, the two instances), by pid.
  if [ -f "$dir/pids" ]; then
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done < "$dir/pids"
  fi
  if [ -n "$soak_pid" ]; then kill -KILL "$soak_pid" 2>/dev/null || true; fi
  rm -rf "$dir/redis" "$dir/signing-key.pem"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Bounded: the run, plus time to start and to drain; then it is killed.
timeout --kill-after=10 "$((duration + 120))" \
  "$bin/soak" --axum "$bin/axum_quickstart" --actix "$bin/actix_quickstart" \
  --dir "$dir" --duration "$duration" --connections "$connections" &
soak_pid=$!
status=0
wait "$soak_pid" || status=$?
soak_pid=""
echo "soak: logs and report in $dir"
exit "$status"
