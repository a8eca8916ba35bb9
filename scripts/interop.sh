#!/usr/bin/env bash
# Interop: the ChatGPT and Claude host profiles add a connector to MCP servers others wrote, through
# the real browser popup, list their tools and call one, on loopback:
#   - simple-auth: the Python SDK's examples/servers/simple-auth (an authorization server with a
#     sign-in form, and a strict RFC 8707 resource server);
#   - ts-auth: the TypeScript SDK's example server with its demo authorization server (--oauth-strict).
# Where the real host connects (evidence in ../shared/spec/hosts-observed.md: both register with
# client_secret_post, which both servers accept), ours must. The same run sweeps each server signed in
# (the protocol sweep, with the browser popup), which must fail exactly the checks the server deserves.
# Prints the matrix (server x host -> connected / failed and why) and exits non-zero when a cell or a
# sweep departs from what is expected.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PEERS_DIR=${PEERS_DIR:-$ROOT/target/peers}
bash "$ROOT/scripts/peers/install.sh"
cargo build -q --manifest-path "$ROOT/Cargo.toml" --bin metabind-conformance
BIN="$ROOT/target/debug/metabind-conformance"
OUT=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT

# server name, the tool the run may call there, the demo login (simple-auth's README gives it; ts-auth
# approves without a sign-in page), and the checks its sweep fails (or cannot test): the TS example
# answers a body that is not JSON with express's HTML 400 (no -32700), serves a foreign Origin, and its
# demo authorization server answers a made-up token with 500.
SERVERS=(
  "simple-auth get_time demo_user"
  "ts-auth greet demo@example.com auth.token.invalid-rejected transport.json.parse-error transport.origin.checked"
)
status=0
printf '%-12s %-16s %-10s %s\n' server host result why
for entry in "${SERVERS[@]}"; do
  read -r name tool user expected <<<"$entry"
  URL=""; PID=""
  eval "$(bash "$ROOT/scripts/peers/start.sh" "$name")"
  PIDS+=("$PID")
  cat >"$OUT/$name.toml" <<EOF
visibility = "private"
[endpoints]
production = "$URL"
[logins]
member = { email = "$user", password_env = "INTEROP_PASSWORD" }
[calls]
allow = ["$tool"]
EOF
  code=0
  INTEROP_PASSWORD=demo_password "$BIN" run --target-file "$OUT/$name.toml" \
    --host chatgpt --host claude-desktop \
    --scenario connect/member-calls-a-tool --scenario 'sweep/*' \
    --out "$OUT/$name" >"$OUT/$name.txt" 2>&1 || code=$?
  kill "$PID" 2>/dev/null || true
  if [ ! -f "$OUT/$name/report.json" ]; then
    echo "$name: no report (exit $code):"; cat "$OUT/$name.txt"; status=1; continue
  fi
  python3 - "$OUT/$name/report.json" "$name" "${expected:-}" <<'PY' || status=1
import json, sys
report, server = json.load(open(sys.argv[1])), sys.argv[2]
expected = sorted(sys.argv[3].split())
ok = True
sweep = sorted({c["id"] for r in report["results"] if r["scenario"].startswith("sweep/")
                for c in r["checks"] if c["status"] in ("fail", "not-testable", "error")})
if sweep != expected:
    print(f"{server:<12} {'(sweep)':<16} {'departs':<10} fails {sweep}, expected {expected}")
    ok = False
for host in ("chatgpt", "claude-desktop"):
    runs = [r for r in report["results"] if r["host"] == host and not r["scenario"].startswith("sweep/")]
    bad = [r for r in runs if r["status"] not in ("pass", "warn", "info")]
    if not runs:
        print(f"{server:<12} {host:<16} {'missing':<10} no run"); ok = False; continue
    if bad:
        why = bad[0].get("reason") or next(
            (c["message"] for c in bad[0]["checks"] if c["status"] in ("fail", "error", "not-testable")), "")
        print(f"{server:<12} {host:<16} {'failed':<10} {bad[0]['scenario']}: {why[:150]}")
        ok = False
    else:
        calls = sum(1 for r in runs for c in r["checks"] if c["id"] == "host.call.outcome")
        print(f"{server:<12} {host:<16} {'connected':<10} tools listed, {calls} call answered")
if sweep == expected:
    print(f"{server:<12} {'(sweep)':<16} {'as known':<10} fails exactly {', '.join(sweep) or 'nothing'}")
sys.exit(0 if ok else 1)
PY
done
exit $status
