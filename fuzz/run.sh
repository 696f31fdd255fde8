#!/usr/bin/env bash
# Builds the cargo-fuzz targets and runs each for SECONDS (default 60), one after another, in
# one libFuzzer process each (one job, one worker). Prints the executions, coverage and corpus
# size per target, and any crash; exits non-zero if a target does not build or finds a crash,
# a timeout or a memory blow-up.
#
#   fuzz/run.sh [SECONDS] [TARGET...]       (no TARGET: every target, as `cargo fuzz list`)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Builds in
# fuzz/target, or FUZZ_TARGET_DIR (never the shared CARGO_TARGET_DIR: sanitizer builds would
# evict it). New inputs go to <that dir>/corpus/TARGET and are reused by the next run; the
# committed seeds in fuzz/corpus/TARGET are only read. A crashing input is kept in
# fuzz/artifacts/TARGET. Environment: FUZZ_TOOLCHAIN (default nightly), FUZZ_ARGS (extra
# libFuzzer flags), FUZZ_FEATURES (e.g. `rust-crypto` to verify with the RustCrypto backend).
set -euo pipefail
cd "$(dirname "$0")"
unset CARGO_TARGET_DIR

secs=${1:-60}
shift || true
case $secs in
  '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
toolchain=${FUZZ_TOOLCHAIN:-nightly}
work=${FUZZ_TARGET_DIR:-target}
cargo_opts=(--target-dir "$work")
if [ -n "${FUZZ_FEATURES:-}" ]; then
  cargo_opts+=(--no-default-features --features "$FUZZ_FEATURES")
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +"$toolchain" fuzz list)
fi

# The default cargo-fuzz build: optimised, with debug assertions and overflow checks (an
# overflow is a finding too).
echo "== fuzz: building ${targets[*]}"
build_start=$SECONDS
if [ $# -gt 0 ]; then
  for t in "${targets[@]}"; do cargo +"$toolchain" fuzz build "${cargo_opts[@]}" "$t"; done
else
  cargo +"$toolchain" fuzz build "${cargo_opts[@]}"
fi
echo "== fuzz: built in $((SECONDS - build_start)) s"

mkdir -p "$work/logs"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "corpus/$t"
  log="$work/logs/$t.log"
  extra=()
  # The verifier's size bound is 8 KiB, for an encrypted token too: let inputs reach past it.
  # Refresh inputs are operation sequences checked against a model in quadratic time: a few
  # hundred operations are plenty.
  [ "$t" = verify_token ] && extra+=(-max_len=9000)
  [ "$t" = verify_encrypted ] && extra+=(-max_len=9000)
  [ "$t" = refresh ] && extra+=(-max_len=512)
  echo "== fuzz: $t for $secs s"
  start=$SECONDS
  status=0
  # FUZZ_ARGS is split into words on purpose.
  # shellcheck disable=SC2086
  cargo +"$toolchain" fuzz run "${cargo_opts[@]}" "$t" "$work/corpus/$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" ${FUZZ_ARGS:-} \
    >"$log" 2>&1 || status=$?
  last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1 || true)
  runs=$(grep -ao 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
  corpus=$(find "$work/corpus/$t" -type f | wc -l)
  echo "$t: ${runs:-?} executions in $((SECONDS - start)) s ($corpus files in $work/corpus/$t); last: ${last:-none}"
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "--- $t FAILED (exit $status); the end of its log ($log):"
    tail -n 60 "$log"
    ls -1 "artifacts/$t" 2>/dev/null | sed 's/^/    artifact: /' || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "== fuzz: no crash in ${targets[*]}"
