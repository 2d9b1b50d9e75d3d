#!/usr/bin/env bash
# What 50 noise rules cost ingest (issue 18): bench/noise.sh [REV]
# One build (REV, default the work tree "."), alternately a fresh `tocsin serve` whose service has
# no rules and one whose service has the 50 rules of bench/rules.py, BENCH_PAIRS (3) pairs; each
# measures GET /healthz and then durable Kapacitor ingest with a fresh alert id per request (wrk,
# bench/wrk/kapacitor.lua, BENCH_CONCURRENCY (64) connections, BENCH_DURATION (5) s, loopback).
# Reports per row requests/s, p99, p99.9 and the server's CPU per request, then the ratios
# (50 rules ÷ none) pair by pair and their median. Target: rate ≥ 0.9× and CPU ≤ 1.1×.
# JSON lines to $BENCH_OUT if set.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rev=${1:-.}
pairs=${BENCH_PAIRS:-3}
duration=${BENCH_DURATION:-5}
conc=${BENCH_CONCURRENCY:-64}
token=bench_admin_token_0123456789abcdef0123

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bin=$(build_rev "$rev")

bench_work noise
out=${BENCH_OUT:-$work/rows.jsonl}
: >"$out"

api() { # METHOD PATH [BODY]
  curl -fsS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+--data-binary "$3"} "$base/api/v1$2"
}

# serve RULES TAG: a fresh server, RULES (0 or 50) on its service, then healthz and ingest.
serve() {
  local rules=$1 tag=$2 svc team route url
  TOCSIN_ADMIN_TOKEN=$token listen "$tag" "$bin/tocsin" serve --listen 127.0.0.1:0 \
    --rate-limit-per-key 0 --data-dir "$work/$tag"
  url=$(sed -n 's/^Kapacitor webhook URL for "Default Service": //p' "$work/$tag.out" | head -1)
  read -r svc team < <(api GET /services | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(s["id"], s["team_id"])')
  if [ "$rules" -gt 0 ]; then
    route=$(api POST /services "{\"name\": \"Routed\", \"team_id\": \"$team\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    api PUT "/services/$svc/rules" "$(python3 "$root/bench/rules.py" "$route")" >/dev/null
    [ "$(api GET "/services/$svc/rules" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 50 ]
  fi
  measure "healthz-$rules" noise "$base/healthz" get.lua
  measure "ingest-$rules-rules" noise "$url" kapacitor.lua
  stop_server
}

echo "noise rules: $rev ($(git rev-parse --short HEAD) + work tree); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq 1 "$pairs"); do
  serve 0 "none-$round"
  serve 50 "fifty-$round"
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ingest = [r for r in rows if r["row"].startswith("ingest-")]
# Alternating pairs: (no rules, 50 rules) measured back to back on the same machine state.
pairs = list(zip(ingest[0::2], ingest[1::2]))
def med(row, key):
    return statistics.median(r[key] for r in rows if r["row"] == row)
print("| | rules | requests/s | p99 ms | server CPU µs/request |")
print("|---|---:|---:|---:|---:|")
for rules in (0, 50):
    row = f"ingest-{rules}-rules"
    print(f"| durable Kapacitor ingest, fresh id per alert | {rules} | {med(row, 'rate'):,.0f} | "
          f"{med(row, 'p99_ms'):.1f} | {med(row, 'cpu_us_per_request'):.1f} |")
rates = [b["rate"] / a["rate"] for a, b in pairs]
cpus = [b["cpu_us_per_request"] / a["cpu_us_per_request"] for a, b in pairs]
print(f"\n50 rules ÷ none, pair by pair: rate {', '.join(f'{x:.2f}' for x in rates)}; "
      f"CPU per alert {', '.join(f'{x:.2f}' for x in cpus)}")
print(f"median of the pairs: rate {statistics.median(rates):.2f}×, CPU per alert "
      f"{statistics.median(cpus):.2f}× (target: rate ≥ 0.90×, CPU ≤ 1.10×); ratio of the "
      f"medians: rate {med('ingest-50-rules', 'rate') / med('ingest-0-rules', 'rate'):.2f}×, CPU "
      f"{med('ingest-50-rules', 'cpu_us_per_request') / med('ingest-0-rules', 'cpu_us_per_request'):.2f}×")
PY
