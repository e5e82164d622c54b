#!/usr/bin/env bash
# Larger schemathesis run than CI's (docs/reliability.md, "Fuzzing"). Two stages:
#  1. the pytest harness (tests/core/test_fuzz_api.py) with SILIAN_FUZZ_EXAMPLES examples per
#     operation and mode, as office and enterprise, on every database in SILIAN_TEST_DATABASES;
#  2. the schemathesis CLI with every check (stateful links included) against a live server on
#     127.0.0.1 with the demo city in a fresh SQLite database, as office and as enterprise.
# Usage: scripts/fuzz.sh [EXAMPLES]   (default 100; FUZZ_SEED=14; FUZZ_STAGES="1 2";
#        SILIAN_TEST_DATABASES=sqlite to skip PostgreSQL in stage 1). Exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
EXAMPLES="${1:-100}"
SEED="${FUZZ_SEED:-14}"
STAGES="${FUZZ_STAGES:-1 2}"

if [[ " $STAGES " == *" 1 "* ]]; then
  echo "== stage 1: pytest harness, $EXAMPLES examples per operation and mode"
  # One JSON line per run (database-role): requests sent and failures per operation.
  report="${FUZZ_REPORT:-artifacts/fuzz-report.jsonl}"
  mkdir -p "$(dirname "$report")"
  : >"$report"
  SILIAN_FUZZ_REPORT="$report" SILIAN_FUZZ_EXAMPLES="$EXAMPLES" \
    "$BIN/pytest" tests/core/test_fuzz_api.py -m fuzz -p no:xdist -q || status=$?
  echo "failures per operation: $report"
fi

if [[ " $STAGES " == *" 2 "* ]]; then
  echo "== stage 2: schemathesis CLI, all checks, $EXAMPLES examples, seed $SEED"
  home="$(mktemp -d)"
  port="$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  export SILIAN_HOME="$home" SILIAN_DATABASE_URL="sqlite:///$home/fuzz.db"
  # Reuse the converted word vectors and classifier between runs; build the index before
  # fuzzing, or the first matching request times out while it is built.
  export SILIAN_MATCHING_CACHE="${SILIAN_MATCHING_CACHE:-$PWD/var/cache/matching}"
  "$BIN/silian" demo load >/dev/null
  "$BIN/silian" index rebuild >/dev/null
  "$BIN/python" -m uvicorn silian.web.main:app --host 127.0.0.1 --port "$port" --no-access-log \
    >"$home/server.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.3
  done
  for user in office enterprise; do
    token="$(curl -fs -d "username=$user&password=silian-demo" "http://127.0.0.1:$port/api/v1/auth/token" \
      | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
    echo "-- as $user"
    "$BIN/st" run "http://127.0.0.1:$port/api/v1/openapi.json" --checks all \
      --max-examples "$EXAMPLES" --seed "$SEED" -H "Authorization: Bearer $token" \
      --report junit --report-dir "$home/report-$user" || status=$?
  done
  echo "server log and reports: $home"
fi
exit "${status:-0}"
