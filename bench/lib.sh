# Sourced by bench/run.sh, bench/ab.sh and bench/ingest.sh ($root set to the repository).
#
# Release binaries of a commit, built once.
# build_rev REV prints the directory holding tocsin, tocsin-bench and noop-server of REV:
# the work tree's own target/release for "." (as it is, uncommitted changes included), else a
# build of that commit in a git worktree under target/ab/, kept in target/ab/<sha>/bin.
build_rev() {
  local rev=$1 sha dir
  if [ "$rev" = . ]; then
    cargo build --release --quiet -p tocsin -p tocsin-bench >&2
    echo "$root/target/release"
    return
  fi
  sha=$(git rev-parse --short "$rev^{commit}")
  dir=$root/target/ab/$sha
  if [ ! -x "$dir/bin/noop-server" ]; then
    echo "building $rev ($sha)" >&2
    rm -rf "$dir/src"
    git worktree add -q --detach "$dir/src" "$sha" >&2
    (cd "$dir/src" && CARGO_TARGET_DIR=$root/target/ab/build cargo build --release --quiet \
      -p tocsin -p tocsin-bench >&2)
    mkdir -p "$dir/bin"
    cp "$root/target/ab/build/release/tocsin" "$root/target/ab/build/release/tocsin-bench" \
      "$root/target/ab/build/release/noop-server" "$dir/bin/"
    git worktree remove --force "$dir/src" >&2
  fi
  echo "$dir/bin"
}

# start_alertmanager DIR: Debian's prometheus-alertmanager on a free loopback port, routing to a
# receiver that does nothing, its files in DIR; sets $pid and $am_url, returns once it is ready.
start_alertmanager() {
  local dir=$1 port
  mkdir -p "$dir"
  cat >"$dir/alertmanager.yml" <<'YML'
route:
  receiver: blackhole
  group_by: [alertname, host]
receivers:
  - name: blackhole
YML
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  prometheus-alertmanager --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --cluster.listen-address= --log.level=warn \
    >"$dir/am.out" 2>"$dir/am.err" &
  pid=$!
  am_url=http://127.0.0.1:$port
  local deadline=$((SECONDS + 60))
  until curl -fsS "$am_url/-/ready" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "alertmanager did not start" >&2; cat "$dir/am.err" >&2; return 1
    fi
    sleep 0.1
  done
}

# utime + stime of all of a process's threads, in clock ticks.
cpu_ticks() { cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{s += $14 + $15} END {print s}'; }

# measure ROW BUILD URL SCRIPT: a 1 s warm-up, then the measured run of wrk (bench/wrk/SCRIPT)
# against the server $pid; appends one JSON line to $out (scratch in $work; $conc connections,
# $duration seconds). Shared by bench/ingest.sh and bench/noise.sh.
measure() {
  local row=$1 build=$2 url=$3 script=$4 c0 c1
  wrk -t2 -c"$conc" -d1s -s "$root/bench/wrk/$script" "$url" >/dev/null
  c0=$(cpu_ticks "$pid")
  wrk -t2 -c"$conc" -d"${duration}s" -s "$root/bench/wrk/$script" "$url" | tail -n1 >"$work/run.json"
  c1=$(cpu_ticks "$pid")
  python3 - "$work/run.json" "$((c1 - c0))" "$(getconf CLK_TCK)" "$row" "$build" >>"$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
ok = r["requests"] - r["non_2xx"]
r.update(row=sys.argv[4], build=sys.argv[5],
         cpu_us_per_request=round(ticks / hz * 1e6 / ok, 1) if ok else None)
print(json.dumps(r))
PY
  tail -n1 "$out" >&2
}

# bench_work NAME: a scratch directory $work, removed on exit along with the server $pid if one
# still runs.
bench_work() {
  work=$(mktemp -d -t "tocsin-$1.XXXXXX")
  pid=""
  trap bench_cleanup EXIT
}
bench_cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }

# listen NAME CMD...: start CMD, its output in $work/NAME.{out,err}, and wait for
# "Listening on http://…"; sets $pid and $base.
listen() {
  local name=$1; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  base=""
  for _ in $(seq 1 600); do
    base=$(sed -n 's/^Listening on \(http:[^ ]*\).*/\1/p' "$work/$name.out" | head -1)
    [ -n "$base" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2; cat "$work/$name.err" >&2; exit 1
}

# stop_server: stop the server $pid started by listen.
stop_server() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }
