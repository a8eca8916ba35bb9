#!/usr/bin/env bash
# Memory against hostile replies: runs the protocol sweep against a server streaming a 200 MB JSON
# reply, a 1 GB resource metadata document, and a 100 MB SSE data line, and prints the harness's
# peak resident memory and wall time for each (GNU time). The reads are bounded by
# --max-response-bytes (4 MiB by default), so the peak should stay far below the reply sizes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build -q --release --manifest-path "$ROOT/Cargo.toml" --bin metabind-conformance
BIN="$ROOT/target/release/metabind-conformance"
OUT=$(mktemp -d)
PID=""
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$OUT"; }
trap cleanup EXIT

printf '%-12s %14s %10s %6s\n' mode "peak RSS (MB)" "wall (s)" exit
for mode in huge-reply huge-prm huge-sse; do
  python3 "$ROOT/scripts/hostile_server.py" "$mode" >"$OUT/port" &
  PID=$!
  while [ ! -s "$OUT/port" ]; do sleep 0.05; done
  port=$(cat "$OUT/port")
  code=0
  /usr/bin/time -v -o "$OUT/time" "$BIN" run --target "http://127.0.0.1:$port/mcp" --scenario 'sweep/*' \
    --http-popups --deadline 120 --out "$OUT/$mode" >"$OUT/$mode.txt" 2>&1 || code=$?
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
  rm -f "$OUT/port"
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/time")
  printf '%-12s %14.1f %10s %6s\n' "$mode" "$(echo "$rss_kb / 1024" | bc -l)" "$wall" "$code"
done
