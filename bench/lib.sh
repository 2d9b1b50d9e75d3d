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
