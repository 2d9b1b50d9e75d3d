#!/usr/bin/env bash
# The request path's cost, two builds side by side (issue 16): bench/ingest.sh [REV_A [REV_B]]
# A defaults to $BENCH_BASELINE (the last commit before the issue-16 work), B to the work tree as
# it is ("."). Generator: wrk (Debian's; installed when missing), 2 threads, BENCH_CONCURRENCY (64)
# connections, BENCH_DURATION (5) s per measurement, loopback only. Per build, alternately A, B
# for BENCH_PAIRS (3) pairs, each on a fresh `tocsin serve` (SQLite, synchronous=FULL, 202 only
# after COMMIT, logging at its default level):
#   GET /healthz, then durable Kapacitor ingest with a fresh alert id per request
#   (bench/wrk/kapacitor.lua: every alert opens an incident).
# Once, in the same run: a bare axum handler (noop-server's /healthz) and Prometheus
# Alertmanager (Debian's, in memory) taking the same alerts (bench/wrk/alertmanager.lua), and
# with TOCSIN_BENCH_POSTGRES_URL set, durable ingest on PostgreSQL for A and B.
# Reported per row: requests/s, p99, p99.9 and the server's CPU per request (utime + stime of
# all its threads over the run / requests answered), which moves far less than the rate with
# what else runs. Prints a markdown table and writes JSON lines to $BENCH_OUT when set.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
baseline=${BENCH_BASELINE:-289a7d3}
rev_a=${1:-$baseline}
rev_b=${2:-.}
pairs=${BENCH_PAIRS:-3}
duration=${BENCH_DURATION:-5}
conc=${BENCH_CONCURRENCY:-64}
token=bench_admin_token_0123456789abcdef0123

for tool in wrk prometheus-alertmanager; do
  if ! command -v "$tool" >/dev/null; then
    pkg=$tool; [ "$tool" = wrk ] || pkg=prometheus-alertmanager
    echo "installing $pkg (Debian)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null
  fi
done

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
a=$(build_rev "$rev_a")
b=$(build_rev "$rev_b")

bench_work ingest
out=${BENCH_OUT:-$work/rows.jsonl}
: >"$out"

# tocsin BUILD BINDIR TAG [serve args]: healthz and ingest on a fresh server.
tocsin() {
  local build=$1 bin=$2 tag=$3; shift 3
  TOCSIN_ADMIN_TOKEN=$token listen "$build-$tag" "$bin/tocsin" serve --listen 127.0.0.1:0 \
    --rate-limit-per-key 0 --data-dir "$work/$build-$tag" "$@"
  local url
  url=$(sed -n 's/^Kapacitor webhook URL for "Default Service": //p' "$work/$build-$tag.out" | head -1)
  [ "$tag" = pg ] || measure healthz "$build" "$base/healthz" get.lua
  measure "ingest-$tag" "$build" "$url" kapacitor.lua
  stop_server
}

echo "A = $rev_a, B = $rev_b ($(git rev-parse --short HEAD) + work tree); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq 1 "$pairs"); do
  tocsin A "$a" "sqlite-$round"
  tocsin B "$b" "sqlite-$round"
done
if [ -n "${TOCSIN_BENCH_POSTGRES_URL:-}" ]; then
  for build in A B; do
    bin=$a; [ $build = B ] && bin=$b
    psql -q "$TOCSIN_BENCH_POSTGRES_URL" -c "DROP DATABASE IF EXISTS tocsin_ingest_bench" \
      -c "CREATE DATABASE tocsin_ingest_bench" >/dev/null
    tocsin "$build" "$bin" pg --database-url "${TOCSIN_BENCH_POSTGRES_URL%/*}/tocsin_ingest_bench"
  done
fi

listen noop "$b/noop-server" --listen 127.0.0.1:0
measure healthz bare-axum "$base/healthz" get.lua
stop_server

start_alertmanager "$work/am"
measure ingest alertmanager "$am_url/api/v2/alerts" alertmanager.lua
stop_server

python3 "$root/bench/ingest_table.py" "$out"
