#!/usr/bin/env bash
# Load: tools/list against the reference server (with a bearer credential, the project's CI API key)
# and against the npm server-everything (no auth, its own session) in the same run, with wrk at 8 and
# 64 connections. Prints requests per second, p50/p99 latency and each server's peak RSS.
# Usage: scripts/load.sh [SECONDS per measurement, default 5]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-5}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }
export PEERS_DIR=${PEERS_DIR:-$ROOT/target/peers}
bash "$ROOT/scripts/peers/install.sh" >/dev/null
cargo build -q --release --manifest-path "$ROOT/Cargo.toml" -p metabind-reference-server
OUT=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT

# The reference server: its base URL is the first line it prints.
"$ROOT/target/release/metabind-reference-server" --listen 127.0.0.1:0 >"$OUT/ref.out" 2>"$OUT/ref.err" &
REF_PID=$!
PIDS+=("$REF_PID")
for _ in $(seq 1 100); do [ -s "$OUT/ref.out" ] && break; sleep 0.05; done
REF_URL="$(head -1 "$OUT/ref.out")/acme/storefront"

script() { # $1: extra header line for wrk.headers
  cat <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
$1
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests))
end
LUA
}
script 'wrk.headers["Authorization"] = "Bearer mbk_storefront_ci_3d7e1f09a4c24b5e"' >"$OUT/ref.lua"

# A request that fails is not a result: each server must answer tools/list with its tools first.
check() { # $1: URL, $2: the credential header
  curl -sS -X POST "$1" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2025-11-25' -H "$2" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}' \
    | grep -q '"tools"' || { echo "tools/list failed on $1" >&2; exit 1; }
}
check "$REF_URL" "Authorization: Bearer mbk_storefront_ci_3d7e1f09a4c24b5e"

rss() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
printf '%-22s %6s %12s %10s %10s %8s %14s\n' server conns "requests/s" "p50 (ms)" "p99 (ms)" errors "peak RSS (MB)"
measure() { # $1: name, $2: URL, $3: wrk script, $4: server pid
  for conns in 8 64; do
    line=$(wrk -t2 -c"$conns" -d"${DURATION}s" -s "$3" "$2" | grep '^RESULT')
    read -r _ rps p50 p99 errors _ <<<"$line"
    printf '%-22s %6s %12s %10s %10s %8s %14s\n' "$1" "$conns" "$rps" "$p50" "$p99" "$errors" "$(rss "$4")"
  done
}
measure reference "$REF_URL" "$OUT/ref.lua" "$REF_PID"
kill "$REF_PID" 2>/dev/null || true

# server-everything starts only now: it sends its sessions periodic notifications, which would take
# CPU from the reference server's measurement on a 2-core machine.
URL="" PID=""
eval "$(bash "$ROOT/scripts/peers/start.sh" everything)"
PIDS+=("$PID")
EVERYTHING_URL=$URL
# server-everything keeps sessions: open one as a host would, then list tools on it.
SESSION=$(curl -sS -D - -o /dev/null -X POST "$EVERYTHING_URL" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"load","version":"1"}}}' \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="mcp-session-id" {print $2}')
curl -sS -o /dev/null -X POST "$EVERYTHING_URL" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -H "Mcp-Session-Id: $SESSION" \
  -H 'MCP-Protocol-Version: 2025-11-25' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'

script "wrk.headers[\"Mcp-Session-Id\"] = \"$SESSION\"" >"$OUT/everything.lua"
check "$EVERYTHING_URL" "Mcp-Session-Id: $SESSION"
measure everything "$EVERYTHING_URL" "$OUT/everything.lua" "$PID"
