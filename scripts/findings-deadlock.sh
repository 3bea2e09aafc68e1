#!/usr/bin/env bash
# docs/findings.md, "FastAPI+SQLAlchemy stops answering after an overload": one fresh
# container of a stack, loaded from inside its network namespace (its own 127.0.0.1:8000,
# as `pywebbench run` does) with GET /items/{id} at a rate it sustains, then at an overload,
# then at a trickle; then py-spy dumps every thread of its server processes.
#
# Usage: scripts/findings-deadlock.sh [STACK] [OVERLOAD_RATE]   (default fastapi-sqlalchemy 800)
# Needs: root (nsenter, py-spy attaching to the container's processes), the stack's image
# (`just images`), target/release/pywebbench, .venv/bin/py-spy (`just setup`).
# Prints each phase's summary and, per server process, how many threads wait where.
set -euo pipefail
STACK=${1:-fastapi-sqlalchemy}
OVER=${2:-800}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PWB=$ROOT/target/release/pywebbench
SPY=$ROOT/.venv/bin/py-spy
OUT=${OUT:-$(mktemp -d)}
[ -x "$PWB" ] || { echo "findings-deadlock: $PWB is missing; run \`cargo build --release -p runner\`" >&2; exit 2; }
[ -x "$SPY" ] || { echo "findings-deadlock: $SPY is missing; run \`just setup\`" >&2; exit 2; }
NAME=pywebbench-findings-deadlock-$$
cleanup() { docker rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
docker run -d --name "$NAME" --label pywebbench=1 -e WORKERS=2 -e THREADS=2 \
  --cap-drop ALL --security-opt no-new-privileges "pywebbench/$STACK" >/dev/null
PID=$(docker inspect -f '{{.State.Pid}}' "$NAME")
inns() { nsenter --net=/proc/"$PID"/ns/net "$@"; }
for _ in $(seq 60); do
  if inns "$PWB" load --iterations 1 --vus 1 --timeout 1s http://127.0.0.1:8000/hello >/dev/null 2>&1; then break; fi
  sleep 1
done
phase() { # NAME RATE SECONDS
  echo "== $1: GET /items/{id} at $2 req/s for $3 s"
  inns "$PWB" load --rate "$2" --vus $(( $2 / 10 + 2 )) --max-vus $(( $2 * 4 / 10 + 2 )) \
    --duration "$3s" --timeout 40s --ids 1-1500 "http://127.0.0.1:8000/items/{id}" 2>&1 | grep -E "req/s|requests|errors|latency|p99|mean" | head -8 || true
}
sleep 10
phase sustained 100 10
phase overload "$OVER" 10
sleep 5
phase after 10 10
echo "== the server's threads (py-spy dump, per process)"
PIDS=$(docker top "$NAME" -eo pid,args | awk 'NR>1 && /gunicorn|uvicorn|python/ {print $1}' | sort -u)
for p in $PIDS; do
  "$SPY" dump --pid "$p" > "$OUT/dump-$p.txt" 2>&1 || true
  threads=$(grep -c '^Thread ' "$OUT/dump-$p.txt" || true)
  echo "-- process $p: $threads threads; innermost frames of the threads, counted:"
  awk '/^Thread /{getline; sub(/^ +/, ""); print}' "$OUT/dump-$p.txt" | sed 's/ (.*//' | sort | uniq -c | sort -rn | head -8
done
echo "dumps in $OUT"
