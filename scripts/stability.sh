#!/usr/bin/env bash
# Verdict stability: runs the main job (the whole catalogue against the embedded reference server, real
# browser popups) N times in a row, default 20, and prints how many runs' verdicts differ from the first
# run's. A verdict is a scenario run's status and each of its checks' id and status (messages carry
# timings and are left out). Exit status 1 when any run differs. Not part of .ci/run (it takes N runs).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
cargo build --release --quiet
bin="$PWD/target/release/metabind-conformance"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

verdicts() {
  jq -r '.results[] | [.scenario, .host, .status, ([.checks[] | .id + "=" + .status] | sort | join(","))] | join(" ")' \
    "$1" | sort
}

differ=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  rm -rf "$work/metabind-report"
  code=0
  (cd "$work" && "$bin" >"run$i.log" 2>&1) || code=$?
  end=$(date +%s.%N)
  if [ -f "$work/metabind-report/report.json" ]; then
    verdicts "$work/metabind-report/report.json" >"$work/verdicts$i"
  else
    # A run that left no report differs from any run that did.
    echo "no report (exit $code)" >"$work/verdicts$i"
  fi
  summary=$(grep -o '[0-9]* scenario runs.*' "$work/run$i.log" | tail -1)
  if [ "$i" -gt 1 ] && ! cmp -s "$work/verdicts1" "$work/verdicts$i"; then
    differ=$((differ + 1))
    echo "run $i: $(printf '%.1f' "$(echo "$end - $start" | bc)") s, $summary: DIFFERS from run 1:"
    diff "$work/verdicts1" "$work/verdicts$i" | sed 's/^/    /' | head -20
  else
    echo "run $i: $(printf '%.1f' "$(echo "$end - $start" | bc)") s, $summary"
  fi
done
echo "$runs runs, $differ whose verdicts differ from the first"
[ "$differ" -eq 0 ]
