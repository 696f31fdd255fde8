#!/usr/bin/env bash
# Prints the path of the HTTP benchmark's server binary (benches/http/server.rs): $SERVER when
# set (a server built earlier: no build, so no wait for a shared target directory's lock), else
# the one `cargo bench --no-run` builds (release, bench profile, at low priority). Shared by
# run.sh and profile.sh; run from the repository root.
set -euo pipefail
if [ -n "${SERVER:-}" ]; then
    exe=$(realpath "$SERVER")
else
    echo "building the server (release, bench profile)..." >&2
    exe=$(nice -n 10 cargo bench --bench http --features axum,actix --no-run --message-format=json-render-diagnostics \
        | grep '"executable":"[^"]' | grep '"name":"http"' | sed 's/.*"executable":"\([^"]*\)".*/\1/' | tail -1)
fi
[ -x "$exe" ] || { echo "$0: no server binary (the build did not produce it, or \$SERVER is wrong)" >&2; exit 1; }
echo "$exe"
