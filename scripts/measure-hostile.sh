#!/usr/bin/env bash
# Memory and time against hostile targets: runs the protocol sweep against a server streaming a
# 200 MB JSON reply, a 1 GB resource metadata document, a 100 MB SSE data line, and listing 10,000
# and 100,000 near-identical tools, and prints the harness's peak resident memory and wall time for
# each (GNU time). Reads are bounded by --max-response-bytes (4 MiB by default) and the tool review
# compares at most 1,000 tools, so neither grows with what the server sends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cargo build -q --release --manifest-path "$ROOT/Cargo.toml" --bin metabind-conformance
BIN="$ROOT/target/release/metabind-conformance"
OUT=$(mktemp -d)
PID=""
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$OUT"; }
trap cleanup EXIT

printf '%-12s %14s %10s %6s\n' mode "peak RSS (MB)" "wall (s)" exit
for mode in huge-reply huge-prm huge-sse tools-10k tools-100k; do
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
