# Sourced by bench/ab.sh and bench/ingest.sh: release binaries of a commit, built once.
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
