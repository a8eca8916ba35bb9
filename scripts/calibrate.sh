#!/usr/bin/env bash
# Calibration against servers others wrote: the protocol sweep (`run --target`) against
#   - npm @modelcontextprotocol/server-everything 2026.8.31 (no auth): it must fail exactly on its two
#     genuine bugs (a foreign Origin is served; a DELETEd session answers 400 instead of 404);
#   - a server built with the Python SDK (mcp 2.3.0, no auth, scripts/peers/python_noauth_server.py),
#     stateful and stateless (--stateless): it must fail nothing.
# (Both stateful servers refuse requests without the session id: host.calls.sessionless warns for ChatGPT.)
# Everything else must pass, warn (SHOULD) or be n/a with its reason. Prints each run's findings and
# exits non-zero when a verdict departs from this. Peers come from scripts/peers/install.sh.
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

status=0
# calibrate NAME EXPECTED_FAILING_CHECKS...
calibrate() {
  local name=$1; shift
  local expected=""
  [ $# -eq 0 ] || expected=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  local URL="" PID=""
  eval "$(bash "$ROOT/scripts/peers/start.sh" "$name")"
  PIDS+=("$PID")
  echo "== $name at $URL"
  local code=0
  "$BIN" run --target "$URL" --scenario 'sweep/*' --http-popups --out "$OUT/$name" >"$OUT/$name.txt" 2>&1 || code=$?
  kill "$PID" 2>/dev/null || true
  python3 - "$OUT/$name/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for r in report["results"]:
    for c in r["checks"]:
        if c["status"] != "pass":
            print(f"  {c['status']:<12} {c['id']:<38} {r['scenario']} on {r['host']}: {c['message'][:90]}")
PY
  local failing
  failing=$(python3 - "$OUT/$name/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
ids = sorted({c["id"] for r in report["results"] for c in r["checks"]
              if c["status"] in ("fail", "not-testable", "error")})
print(" ".join(ids), end=" " if ids else "")
PY
)
  if [ "$failing" != "$expected" ]; then
    echo "  CALIBRATION OFF for $name: failing [${failing}] expected [${expected}] (exit $code)"
    tail -n 40 "$OUT/$name.txt"
    status=1
  else
    echo "  ok: fails exactly [${expected}] (exit $code)"
  fi
}

calibrate everything transport.origin.checked transport.session.delete-ends
calibrate python-noauth
calibrate python-stateless
exit $status
