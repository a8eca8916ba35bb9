#!/usr/bin/env bash
# Starts one peer MCP server on 127.0.0.1, on a port the OS picks, in the background; waits until it
# answers HTTP and prints, one per line:
#   URL=<MCP endpoint>   PID=<pid>   and for simple-auth and ts-auth also AS_URL=<authorization server>
# The caller stops it with `kill PID` (one process per peer). Its output is in $PEERS_DIR/logs/NAME-PID.log.
#
# Usage: scripts/peers/start.sh everything|python-noauth|python-stateless|simple-auth|ts-auth|ts-v2|ts-v2-modern
#   ts-v2: the TypeScript SDK v2 server package (2026-07-28, with its stateless fallback for 2025
#   clients); ts-v2-modern: the same with the fallback off (a server of 2026-07-28 only).
#   ts-auth: the TypeScript SDK's example server (simpleStreamableHttp, in server-everything's tree)
#   with its demo authorization server, --oauth --oauth-strict; it approves without a sign-in page.
# Needs scripts/peers/install.sh first (same PEERS_DIR). PEER_START_TIMEOUT (s, default 30) bounds the wait.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PEERS_DIR=${PEERS_DIR:-$PWD/target/peers}
NAME=${1:?usage: $0 everything|python-noauth|python-stateless|simple-auth|ts-auth|ts-v2|ts-v2-modern}
PY="$PEERS_DIR/venv/bin/python"
NODE="$PEERS_DIR/node/node_modules/.bin/node"
EVERYTHING="$PEERS_DIR/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
TS_EXAMPLE="$PEERS_DIR/everything/node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js"
[ -x "$PY" ] && [ -x "$NODE" ] && [ -f "$EVERYTHING" ] || { echo "run scripts/peers/install.sh first" >&2; exit 2; }

mkdir -p "$PEERS_DIR/logs"
LOG=$(mktemp "$PEERS_DIR/logs/$NAME.XXXXXX")
# stdin from /dev/null and output to the log, so the server holds none of the caller's pipes open.
case "$NAME" in
  everything)
    # loopback.cjs pins the bind to 127.0.0.1 and logs the real port, so PORT=0 is race-free.
    PORT=0 "$NODE" --require "$HERE/loopback.cjs" "$EVERYTHING" streamableHttp </dev/null >"$LOG" 2>&1 & ;;
  python-noauth) "$PY" "$HERE/python_noauth_server.py" --port 0 </dev/null >"$LOG" 2>&1 & ;;
  python-stateless) "$PY" "$HERE/python_noauth_server.py" --port 0 --stateless </dev/null >"$LOG" 2>&1 & ;;
  simple-auth) "$PY" "$HERE/simple_auth_peers.py" </dev/null >"$LOG" 2>&1 & ;;
  ts-v2) PORT=0 "$NODE" "$PEERS_DIR/ts-v2/server.mjs" </dev/null >"$LOG" 2>&1 & ;;
  ts-v2-modern) PORT=0 "$NODE" "$PEERS_DIR/ts-v2/server.mjs" --modern-only </dev/null >"$LOG" 2>&1 & ;;
  ts-auth)
    # The example builds its URLs from MCP_PORT and MCP_AUTH_PORT before it listens, so the ports
    # are chosen here (the OS picks free ones; another process could take one in between).
    free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    TS_MCP_PORT=$(free_port); TS_AUTH_PORT=$(free_port)
    MCP_PORT=$TS_MCP_PORT MCP_AUTH_PORT=$TS_AUTH_PORT "$NODE" --require "$HERE/loopback.cjs" "$TS_EXAMPLE" --oauth --oauth-strict </dev/null >"$LOG" 2>&1 & ;;
  *) echo "unknown peer: $NAME" >&2; rm -f "$LOG"; exit 2 ;;
esac
PID=$!
mv "$LOG" "$PEERS_DIR/logs/$NAME-$PID.log" # the open file follows the rename
LOG="$PEERS_DIR/logs/$NAME-$PID.log"

deadline=$((SECONDS + ${PEER_START_TIMEOUT:-30}))
fail() { echo "peer $NAME: $1; its log:" >&2; tail -n 20 "$LOG" >&2; kill "$PID" 2>/dev/null || true; exit 1; }
# until CMD...: retries CMD every 0.1 s while the server lives and the deadline holds.
until_ok() {
  until "$@"; do
    kill -0 "$PID" 2>/dev/null || fail "exited before it answered"
    [ "$SECONDS" -lt "$deadline" ] || fail "no answer within ${PEER_START_TIMEOUT:-30} s"
    sleep 0.1
  done
}
# Any HTTP status counts as an answer (a bare GET on an MCP endpoint gets 400/405/406).
answers() { "$PY" -c 'import sys, urllib.request as u, urllib.error as e
try: u.urlopen(sys.argv[1], timeout=2)
except e.HTTPError: pass
except OSError: sys.exit(1)' "$1"; }
# from_log REGEX: sets FOUND to the first capture of REGEX (sed -E, matching a whole line) in the log.
from_log() { FOUND=$(sed -nE "s#^$1\$#\\1#p" "$LOG" | head -n 1); [ -n "$FOUND" ]; }

case "$NAME" in
  everything)
    until_ok from_log 'PEER_LISTENING .*"port":([0-9]+)}'
    URL="http://127.0.0.1:$FOUND/mcp" ;;
  python-*)
    until_ok from_log '.*Uvicorn running on (http://127\.0\.0\.1:[0-9]+) .*'
    URL="$FOUND/mcp" ;;
  ts-auth)
    until_ok from_log '.*MCP Streamable HTTP Server listening on port ([0-9]+)'
    URL="http://localhost:$TS_MCP_PORT/mcp"
    AS_URL="http://localhost:$TS_AUTH_PORT"
    until_ok answers "$AS_URL/.well-known/oauth-authorization-server" ;;
  ts-v2*)
    until_ok from_log 'listening on (http://127\.0\.0\.1:[0-9]+/mcp)'
    URL=$FOUND ;;
  simple-auth)
    until_ok from_log 'AS_URL=(.*)'
    AS_URL=$FOUND
    from_log 'URL=(.*)'
    URL=$FOUND
    until_ok answers "$AS_URL/.well-known/oauth-authorization-server" ;;
esac
until_ok answers "$URL"

echo "URL=$URL"
echo "PID=$PID"
if [ -n "${AS_URL:-}" ]; then echo "AS_URL=$AS_URL"; fi
