#!/usr/bin/env bash
# bench/run.sh: build the Shoal server and shoal-bench, start the server on a
# temporary data directory, run every workload with its baselines (a bare
# net/http handler and the in-process engine), print the tables, stop the
# server. See BENCHMARKS.md.
#
#   bench/run.sh                       # every workload, 10 s each, then fanout 10k subs × 1k writes/s
#   DURATION=3s SUBSCRIBERS=1000 bench/run.sh
#   bench/run.sh -c 32 -items 100000   # extra flags go to the closed-loop run
#
# Environment: DURATION (10s), CLIENTS (16), ITEMS (10000), SYNC (true: the
# server fsyncs and so does the engine baseline), SUBSCRIBERS (10000),
# RATE (1000), FANOUT_DURATION (20s), WORKLOADS (every closed-loop one),
# OUT (directory for the JSON results and the server log; default a new
# temporary directory), SHOAL_SRC (source tree to build; default this
# repository), SHOAL_TOKEN (API key, when the server wants one).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=${SHOAL_SRC:-$ROOT}
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-16}
ITEMS=${ITEMS:-10000}
SYNC=${SYNC:-true}
SUBSCRIBERS=${SUBSCRIBERS:-10000}
RATE=${RATE:-1000}
FANOUT_DURATION=${FANOUT_DURATION:-20s}
WORKLOADS=${WORKLOADS:-get,get:zipf,put,update,query,leaderboard,mixed,session}
OUT=${OUT:-$(mktemp -d -t shoal-bench-out.XXXXXX)}
WORK=$(mktemp -d -t shoal-bench.XXXXXX)
mkdir -p "$OUT"

PID=
cleanup() {
	if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "building the server and shoal-bench from $SRC" >&2
go -C "$SRC" build -o "$WORK/shoal" .
go -C "$SRC" build -o "$WORK/shoal-bench" ./cmd/shoal-bench

args=(-addr 127.0.0.1:0 -data "$WORK/data" -sync="$SYNC" -log-format json)
if "$WORK/shoal" -h 2>&1 | grep -q -- '-insecure-dev'; then
	args+=(-insecure-dev)
fi
"$WORK/shoal" "${args[@]}" 2>"$OUT/server.log" &
PID=$!
ADDR=
for _ in $(seq 300); do
	ADDR=$(grep -o '"msg":"shoal listening","addr":"[^"]*"' "$OUT/server.log" | sed 's/.*"addr":"\([^"]*\)"/\1/' || true)
	[[ -n $ADDR ]] && break
	kill -0 "$PID" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
	sleep 0.1
done
[[ -n $ADDR ]] || { echo "the server did not start" >&2; cat "$OUT/server.log" >&2; exit 1; }
echo "server on $ADDR (pid $PID, sync=$SYNC); results in $OUT" >&2

{
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); $(go version | cut -d' ' -f3-)"
	echo
	"$WORK/shoal-bench" -url "http://$ADDR" -baseline -sync="$SYNC" -duration "$DURATION" -c "$CLIENTS" -items "$ITEMS" \
		-workload "$WORKLOADS" -json-out "$OUT/closed.json" "$@"
	echo
	"$WORK/shoal-bench" -url "http://$ADDR" -baseline -sync="$SYNC" -workload fanout \
		-subscribers "$SUBSCRIBERS" -rate "$RATE" -duration "$FANOUT_DURATION" -json-out "$OUT/fanout.json"
} | tee "$OUT/tables.md"
