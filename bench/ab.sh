#!/usr/bin/env bash
# Two commits' durable SQLite ingest, alternately, in one run: bench/ab.sh REV_A REV_B [ROUNDS]
# For "this change is not slower" claims: each round starts a fresh `tocsin serve` of A, then
# of B, on loopback, warms it for 1 s and loads it for BENCH_DURATION s with the same
# generator, and reports alerts/s, p99 and the server's CPU per accepted alert (which moves
# far less than alerts/s with what else runs on the machine). Builds each commit's release
# binaries once, in a git worktree under target/ab/ ("." is the work tree as it is). Knobs: BENCH_DURATION (5),
# BENCH_CONCURRENCY (64), BENCH_KEYS (1000), BENCH_OK_FRACTION (0.2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ $# -ge 2 ] || { echo "usage: bench/ab.sh REV_A REV_B [ROUNDS]" >&2; exit 2; }
rounds=${3:-3}
duration=${BENCH_DURATION:-5}
conc=${BENCH_CONCURRENCY:-64}
keys=${BENCH_KEYS:-1000}
okf=${BENCH_OK_FRACTION:-0.2}
token=bench_admin_token_0123456789abcdef0123

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

a=$(build_rev "$1")
b=$(build_rev "$2")
bench_work ab

one() { # NAME BINDIR ROUND: prints one JSON line
  local name=$1 bin=$2 round=$3 dir out base url cpu0 cpu1
  dir=$work/$name-$round
  out=$work/$name-$round.out
  TOCSIN_ADMIN_TOKEN=$token listen "$name-$round" "$bin/tocsin" serve --listen 127.0.0.1:0 \
    --rate-limit-per-key 0 --data-dir "$dir"
  url=$(sed -n 's/^Kapacitor webhook URL for "Default Service": //p' "$out" | head -1)
  "$bin/tocsin-bench" --url "$url" -c "$conc" -d 1 --keys "$keys" --ok-fraction "$okf" \
    --seed 7 --json >/dev/null
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  "$bin/tocsin-bench" --url "$url" -c "$conc" -d "$duration" --keys "$keys" \
    --ok-fraction "$okf" --seed 8 --json >"$work/$name-$round.json"
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  stop_server
  python3 - "$work/$name-$round.json" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$name" "$round" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
acc = r.get("accepted") or 0
lat = r.get("latency_us") or {}
print(json.dumps({"build": sys.argv[4], "round": int(sys.argv[5]),
    "alerts_per_s": round(r.get("alerts_per_sec") or 0), "p99_ms": (lat.get("p99") or 0) / 1000,
    "server_cpu_us_per_alert": round(ticks / hz * 1e6 / acc, 1) if acc else None,
    "errors": r.get("error_count")}))
EOF
}

echo "A = $1 ($(git rev-parse --short "$1")), B = $2 ($(git rev-parse --short "$2")); load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  one A "$a" "$round"
  one B "$b" "$round"
done
