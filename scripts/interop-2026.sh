#!/usr/bin/env bash
# Interop in MCP 2026-07-28: the ChatGPT and Claude host profiles add a connector to servers others
# built for the stateless era, list their tools and call one, on loopback, without auth:
#   - python-stateless: the Python SDK (mcp 2.3.0), a stateless MCPServer; it serves both eras;
#   - ts-v2: the TypeScript SDK v2 (@modelcontextprotocol/server 2.4.0) with its 2025 fallback;
#   - ts-v2-modern: the same with the fallback off (legacy: 'reject'), a server of 2026-07-28 only.
# Both hosts were seen opening with server/discover (hosts-observed C19, A29): against each server
# they must connect in 2026-07-28. The same scenario held to the 2025 era (`@legacy`) must connect
# where the server keeps 2025 clients and must not where it refuses them. The protocol sweep runs too:
# its stateless section must pass on these servers, except the findings listed per server.
# Prints the matrix and exits non-zero when a cell or a sweep departs from what is expected.
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

# server, the tool the run may call, whether a 2025 client connects (yes/no), then the checks its
# sweep fails or cannot test (each with the reason in a comment below).
SERVERS=(
  "python-stateless server_time yes"
  "ts-v2 now yes"
  "ts-v2-modern now no"
)
status=0
printf '%-18s %-16s %-8s %-10s %s\n' server host era result why
for entry in "${SERVERS[@]}"; do
  read -r name tool legacy_connects expected <<<"$entry"
  URL=""; PID=""
  eval "$(bash "$ROOT/scripts/peers/start.sh" "$name")"
  PIDS+=("$PID")
  cat >"$OUT/$name.toml" <<EOF
visibility = "private"
[endpoints]
production = "$URL"
[logins]
# The servers ask for no credentials: no popup opens, the login is never used.
member = { email = "nobody@example.com", password_env = "INTEROP_PASSWORD" }
[calls]
allow = ["$tool"]
EOF
  code=0
  INTEROP_PASSWORD=unused "$BIN" run --target-file "$OUT/$name.toml" --http-popups \
    --host chatgpt --host claude-desktop \
    --scenario connect/member-calls-a-tool --scenario connect/member-calls-a-tool@legacy \
    --scenario 'sweep/*' --out "$OUT/$name" >"$OUT/$name.txt" 2>&1 || code=$?
  kill "$PID" 2>/dev/null || true
  if [ ! -f "$OUT/$name/report.json" ]; then
    echo "$name: no report (exit $code):"; cat "$OUT/$name.txt"; status=1; continue
  fi
  python3 - "$OUT/$name/report.json" "$name" "$legacy_connects" "${expected:-}" <<'PY' || status=1
import json, sys
report, server, legacy_connects = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3] == "yes"
expected = sorted(sys.argv[4].split())
ok = True
sweep = sorted({c["id"] for r in report["results"] if r["scenario"].startswith("sweep/")
                for c in r["checks"] if c["status"] in ("fail", "not-testable", "error")})
modern_na = [c for r in report["results"] if r["scenario"] == "sweep/modern"
             for c in r["checks"] if c["status"] == "n/a" and "does not speak" in c["message"]]
if modern_na:
    print(f"{server:<18} {'(sweep)':<16} {'-':<8} {'departs':<10} the stateless section found no 2026-07-28 server")
    ok = False
if sweep != expected:
    print(f"{server:<18} {'(sweep)':<16} {'-':<8} {'departs':<10} fails {sweep}, expected {expected}")
    ok = False
for host in ("chatgpt", "claude-desktop"):
    for scenario, want_era, must_connect in (
        ("connect/member-calls-a-tool", "modern", True),
        ("connect/member-calls-a-tool@legacy", "legacy", legacy_connects),
    ):
        runs = [r for r in report["results"] if r["host"] == host and r["scenario"] == scenario]
        if not runs:
            print(f"{server:<18} {host:<16} {'-':<8} {'missing':<10} no run of {scenario}"); ok = False; continue
        r = runs[0]
        era = r.get("era") or "-"
        passed = r["status"] in ("pass", "warn", "info")
        why = r.get("reason") or next(
            (c["message"] for c in r["checks"] if c["status"] in ("fail", "error", "not-testable")), "")
        label = "connected" if passed else "refused"
        held = " (held to 2025)" if scenario.endswith("@legacy") else ""
        if passed != must_connect or (passed and era != want_era):
            print(f"{server:<18} {host:<16} {era:<8} {'departs':<10} {scenario}: expected "
                  f"{'to connect in ' + want_era if must_connect else 'no connection'}; {why[:120]}")
            ok = False
        else:
            print(f"{server:<18} {host:<16} {era:<8} {label:<10} as expected{held}"
                  + ("" if passed else f": {why[:100]}"))
if sweep == expected:
    print(f"{server:<18} {'(sweep)':<16} {'-':<8} {'as known':<10} fails exactly {', '.join(sweep) or 'nothing'}")
sys.exit(0 if ok else 1)
PY
done
exit $status
