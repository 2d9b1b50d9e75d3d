#!/usr/bin/env bash
# Tocsin's ingest beside its ceiling and a peer, on loopback, in one bounded run:
#   1. noop-server (same stack, decodes the body, stores nothing): the ceiling
#   2. tocsin serve on SQLite (durable: 2xx after COMMIT, synchronous=FULL), 0 incidents stored
#      (and on PostgreSQL when TOCSIN_BENCH_POSTGRES_URL is set)
#   3. Prometheus Alertmanager (Debian's prometheus-alertmanager), POST /api/v2/alerts
#   4. tocsin again with 100k and 1M resolved incidents stored (tocsin seed), and RSS
#   5. paging (issue 14): 202 → page latency at 10, 100, 1000 new incidents/s; ingest with a
#      policy paging a receiver vs no policy; idle CPU and RSS with 10,000 steps pending; what
#      a page costs: 100 new incidents/s alone, and beside full-speed ingest, paged or not
#   6. bench/ingest.sh: /healthz and ingest with a fresh id per request (wrk), the baseline
#      build (BENCH_BASELINE) and this one alternately, a bare axum handler and Alertmanager
#   7. bench/noise.sh: the same ingest on a service with 50 noise rules and with none, alternately
# Same generator (tocsin-bench), same concurrency, same key space for all. Writes the results
# into docs/PERFORMANCE.md between the bench markers and prints them.
#
# Knobs: BENCH_DURATION (s, default 5), BENCH_CONCURRENCY (64), BENCH_KEYS (1000),
# BENCH_OK_FRACTION (0.2), BENCH_SCALE ("100000 1000000"; empty to skip), BENCH_NO_DOC=1,
# BENCH_ONLY (a list of steps: noop tocsin alertmanager scale paging ab noise; default all),
# BENCH_PAGING=0 (skip step 5), BENCH_PAGE_RATES ("10 100 1000"), BENCH_PAGE_DURATION (s, 5),
# BENCH_PAGE_ROUNDS (alternating no-policy/policy pairs, 2), BENCH_PENDING (10000),
# BENCH_IDLE_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${BENCH_DURATION:-5}
conc=${BENCH_CONCURRENCY:-64}
keys=${BENCH_KEYS:-1000}
okf=${BENCH_OK_FRACTION:-0.2}
scale=${BENCH_SCALE-100000 1000000}
token=bench_admin_token_0123456789abcdef0123
only=${BENCH_ONLY:-}
page_rates=${BENCH_PAGE_RATES:-10 100 1000}
page_duration=${BENCH_PAGE_DURATION:-5}
page_rounds=${BENCH_PAGE_ROUNDS:-2}
pending=${BENCH_PENDING:-10000}
idle_s=${BENCH_IDLE_SECONDS:-10}

# want STEP: whether BENCH_ONLY (empty: everything) names it.
want() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }

step() { printf '\n==> %s\n' "$*" >&2; }

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

step "building release binaries"
cargo build --release --quiet -p tocsin -p tocsin-bench
bin=$root/target/release

if want alertmanager && ! command -v prometheus-alertmanager >/dev/null; then
  step "installing prometheus-alertmanager (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq prometheus-alertmanager >/dev/null
fi

work=$(mktemp -d -t tocsin-bench.XXXXXX)
results=$work/results
mkdir -p "$results"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME CMD... : run CMD in the background, wait for "Listening on http://…" on its
# stdout; sets $pid and $base.
start() {
  local name=$1; shift
  : >"$work/$name.out"
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  pids+=("$pid")
  local deadline=$((SECONDS + 60))
  base=""
  while [ $SECONDS -lt $deadline ]; do
    base=$(sed -n 's/^Listening on \(http:[^ ]*\).*/\1/p' "$work/$name.out" | head -1)
    [ -n "$base" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before listening:" >&2; cat "$work/$name.err" >&2; return 1
    fi
    sleep 0.05
  done
  echo "$name did not start in time" >&2; return 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# KiB of resident memory now / at its peak.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
# utime + stime of a process, all threads, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# bench NAME TARGET URL [extra args]: a warm-up second, then the measured run.
bench() {
  local name=$1 target=$2 url=$3; shift 3
  "$bin/tocsin-bench" --target "$target" --url "$url" -c "$conc" -d 1 --keys "$keys" \
    --ok-fraction "$okf" --seed 7 --json "$@" >/dev/null
  local cpu0; cpu0=$(cpu_ticks "$pid")
  "$bin/tocsin-bench" --target "$target" --url "$url" -c "$conc" -d "$duration" --keys "$keys" \
    --ok-fraction "$okf" --json "$@" >"$results/$name.run.json"
  # The server's CPU per accepted alert: unlike alerts/s, hardly moved by what else runs.
  python3 - "$results/$name.run.json" "$(( $(cpu_ticks "$pid") - cpu0 ))" "$(getconf CLK_TCK)" \
    >"$results/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
r["server_cpu_s"] = ticks / hz
r["server_cpu_us_per_alert"] = ticks / hz * 1e6 / r["accepted"] if r["accepted"] else None
json.dump(r, sys.stdout)
PY
  python3 - "$results/$name.json" "$name" >&2 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["latency_us"]
print(f"{sys.argv[2]:>22}: {r['alerts_per_sec']:8.0f} alerts/s  p50 {l['p50']/1000:.2f} ms"
      f"  p99 {l['p99']/1000:.2f} ms  p99.9 {l['p999']/1000:.2f} ms"
      f"  server CPU {r['server_cpu_us_per_alert'] or 0:.0f} µs/alert  errors {r['errors'] or 0}")
PY
}

webhook_url() {
  local base=$1 svc
  svc=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/services" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/services/$svc/alert-sources" |
    python3 -c 'import json,sys; print(next(s["webhook_url"] for s in json.load(sys.stdin) if s["source"]=="kapacitor"))'
}

# tocsin_run NAME DATA_DIR [serve args]: start, measure idle RSS, bench, peak RSS, stop.
tocsin_run() {
  local name=$1 dir=$2; shift 2
  # One service key carries the whole load here: the per-key rate limit (1000/s by default,
  # meant for misbehaving senders) is off so the run measures ingest, not the limiter.
  TOCSIN_ADMIN_TOKEN=$token TOCSIN_LOG=${TOCSIN_LOG:-info} \
    start "$name" "$bin/tocsin" serve --listen 127.0.0.1:0 --data-dir "$dir" --rate-limit-per-key 0 "$@" || return 1
  local url; url=$(webhook_url "$base")
  sleep 1 # let the first requests' caches settle before reading idle memory
  echo "{\"idle_rss_kib\": $(rss "$pid")}" >"$results/$name.idle.json"
  bench "$name" tocsin "$url"
  echo "{\"idle_rss_kib\": $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["idle_rss_kib"])' "$results/$name.idle.json"), \"peak_rss_kib\": $(hwm "$pid")}" \
    >"$results/$name.mem.json"
  stop "$pid"
}

echo "{\"loadavg_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"started\": \"$(date -u +%FT%TZ)\", \"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\", \"duration\": $duration, \"concurrency\": $conc, \"keys\": $keys, \"ok_fraction\": $okf, \"cpus\": $(nproc), \"cpu_model\": \"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)\"}" >"$results/meta.json"

if want noop; then
step "1. no-op ceiling"
start noop "$bin/noop-server" --listen 127.0.0.1:0
bench noop noop "$base/"
echo "{\"peak_rss_kib\": $(hwm "$pid")}" >"$results/noop.mem.json"
stop "$pid"
fi

if want tocsin; then
step "2. tocsin, SQLite, empty"
tocsin_run tocsin-sqlite "$work/sqlite0"
step "2b. tocsin, SQLite, one connection (latency of a lone alert: one fsync each)"
TOCSIN_ADMIN_TOKEN=$token start tocsin-c1 "$bin/tocsin" serve --listen 127.0.0.1:0 --rate-limit-per-key 0 --data-dir "$work/sqlite-c1"
conc_saved=$conc; conc=1
bench tocsin-sqlite-c1 tocsin "$(webhook_url "$base")"
conc=$conc_saved
stop "$pid"

if [ -n "${TOCSIN_BENCH_POSTGRES_URL:-}" ]; then
  step "2c. tocsin, PostgreSQL"
  tocsin_run tocsin-postgres "$work/pg" --database-url "$TOCSIN_BENCH_POSTGRES_URL" ||
    echo '{"error": "tocsin did not start with TOCSIN_BENCH_POSTGRES_URL"}' >"$results/tocsin-postgres.json"
fi
fi

if want alertmanager; then

step "3. Prometheus Alertmanager $(prometheus-alertmanager --version 2>&1 | head -1 | awk '{print $3}')"
start_alertmanager "$work/am"
pids+=("$pid")
bench alertmanager alertmanager "$am_url"
echo "{\"peak_rss_kib\": $(hwm "$pid")}" >"$results/alertmanager.mem.json"
stop "$pid"
fi

stored=0
want scale || scale=""
for n in $scale; do
  step "4. tocsin with $n incidents stored"
  add=$((n - stored))
  TOCSIN_ADMIN_TOKEN=$token "$bin/tocsin" seed --data-dir "$work/scale" --incidents "$add" >"$results/seed-$n.txt"
  cat "$results/seed-$n.txt" >&2
  stored=$n
  tocsin_run "tocsin-sqlite-$n" "$work/scale"
  du -sk "$work/scale" | awk '{print "{\"db_kib\": " $1 "}"}' >"$results/tocsin-sqlite-$n.db.json"
done

# page NAME [args]: one page-mode run of the generator against the server at $base.
page() {
  local name=$1; shift
  "$bin/tocsin-bench" --target tocsin --page --url "$base" --admin-token "$token" -c "$conc" \
    --json "$@" >"$results/$name.json"
  python3 - "$results/$name.json" "$name" >&2 <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); p = r["page"]; l = p["latency_us"]
print(f"{sys.argv[2]:>22}: {r['accepted']} accepted, {p['opened']} opened, {p['paged']} paged, "
      f"{p['missing']} missing, {p['duplicates']} duplicates; 202 → page p50 {l['p50']/1000:.2f} ms"
      f"  p99 {l['p99']/1000:.2f} ms  p99.9 {l['p999']/1000:.2f} ms  errors {r['errors'] or 0}")
PY
}

# Nanoseconds on CPU of all of a process's threads (schedstat: finer than clock ticks, which
# an idle server hardly reaches).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

# idle NAME: the server's CPU over $idle_s seconds with no load, and its RSS.
idle() {
  local c0 c1
  c0=$(cpu_ns "$pid")
  sleep "$idle_s"
  c1=$(cpu_ns "$pid")
  echo "{\"seconds\": $idle_s, \"cpu_ms\": $(( (c1 - c0) / 1000000 )), \"rss_kib\": $(rss "$pid")}" \
    | tee "$results/$1.json" >&2
}

if [ "${BENCH_PAGING:-1}" != 0 ] && want paging; then
  serve_page() { # NAME: a fresh tocsin serve for one part of step 5
    TOCSIN_ADMIN_TOKEN=$token start "$1" "$bin/tocsin" serve --listen 127.0.0.1:0 \
      --data-dir "$work/$1" --rate-limit-per-key 0
  }
  step "5a. paging: 202 → page latency, new incidents at $page_rates per second"
  serve_page tocsin-page-latency
  for r in $page_rates; do
    page "page-latency-$r" --new-incidents --rate "$r" -d "$page_duration"
  done
  stop "$pid"

  step "5b. paging: ingest with a policy paging a receiver (answers 204) vs no policy"
  serve_page tocsin-page-ingest
  for round in $(seq 1 "$page_rounds"); do
    bench "page-ingest-off-$round" tocsin "$base" --page --admin-token "$token" --no-policy --settle 3
    bench "page-ingest-on-$round" tocsin "$base" --page --admin-token "$token" --settle 3
  done
  stop "$pid"

  step "5c. paging: $pending incidents each waiting on a 60-minute step"
  serve_page tocsin-page-pending
  page page-pending-0 --new-incidents --rate 100 -d "$page_duration"
  sleep 1
  idle page-idle-0
  page page-pending-fill --new-incidents --policy-delay 60 --rate 1000 -n "$pending" \
    -d 600 --settle 0
  sleep 1
  idle page-idle-pending
  page page-pending-n --new-incidents --rate 100 -d "$page_duration"
  echo "{\"pending\": $pending}" >"$results/page-pending.json"
  stop "$pid"

  step "5d. paging: what a page costs, 100 new incidents/s paged or not, alone and beside full-speed ingest"
  for round in $(seq 1 "$page_rounds"); do
    for mode in off on; do
      policy=(); [ "$mode" = off ] && policy=(--no-policy)
      # Alone: the server's CPU per incident, each on a fresh server.
      serve_page "tocsin-page-alone-$mode-$round"
      c0=$(cpu_ns "$pid")
      "$bin/tocsin-bench" --target tocsin --page --url "$base" --admin-token "$token" \
        --new-incidents --rate 100 -d 10 --settle 2 --json "${policy[@]}" \
        >"$results/page-alone-$mode-$round.json"
      c1=$(cpu_ns "$pid")
      echo "{\"server_cpu_ms\": $(( (c1 - c0) / 1000000 ))}" >"$results/page-alone-$mode-$round.cpu.json"
      stop "$pid"
      # Beside the ingest load of 5b on a service with no policy (so only these incidents page).
      serve_page "tocsin-page-beside-$mode-$round"
      "$bin/tocsin-bench" --target tocsin --page --url "$base" --admin-token "$token" \
        --new-incidents --rate 100 -d $((duration + 3)) --settle 2 --json "${policy[@]}" \
        >"$results/page-beside-trickle-$mode-$round.json" &
      trickle=$!
      sleep 0.5
      bench "page-beside-$mode-$round" tocsin "$base" --page --admin-token "$token" --no-policy --settle 0
      wait "$trickle"
      stop "$pid"
    done
  done
fi

if want ab; then
  step "6. the request path's cost (issue 16): the baseline ${BENCH_BASELINE:-289a7d3} and this build side by side"
  BENCH_OUT=$results/ingest-ab.jsonl "$root/bench/ingest.sh" ${BENCH_BASELINE:-289a7d3} . >&2
fi

if want noise; then
  step "7. noise rules (issue 18): ingest with 50 rules on the service and with none, alternately"
  BENCH_OUT=$results/noise.jsonl "$root/bench/noise.sh" . >&2
fi

echo "{\"loadavg_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >"$results/meta-after.json"
python3 "$root/bench/report.py" "$results" ${BENCH_NO_DOC:+--no-doc} "$root/docs/PERFORMANCE.md"
