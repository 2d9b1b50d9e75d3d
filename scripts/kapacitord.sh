#!/usr/bin/env bash
# Build (once) and cache a real InfluxData Kapacitor (kapacitord + kapacitor CLI)
# from the Go module proxy, for Tocsin's end-to-end tests.
#
# Usage:  bin_dir=$(scripts/kapacitord.sh)        # last stdout line = dir with the binaries
#         KAPACITOR_VERSION=v1.5.9 scripts/kapacitord.sh
#
# Env:
#   KAPACITOR_VERSION  module version to build (default v1.7.6, see docs/KAPACITOR_NOTES.md)
#   TOCSIN_CACHE_DIR   cache root (default $HOME/.cache/tocsin); binaries end up in
#                      $TOCSIN_CACHE_DIR/kapacitor/<version>/bin/
#   KEEP_BUILD_DIR=1   keep the scratch build directory (for debugging)
#
# Idempotent: if both binaries already exist nothing is built. Concurrent callers
# are serialised with flock. All progress goes to stderr; stdout gets only the dir.
#
# Kapacitor's source is never copied into this repository: the read-only module
# directory from `go mod download` is copied into a scratch dir under the cache.
#
# Version-specific work-arounds (all applied to the scratch copy only):
#  * >= v1.6 (Flux): libflux (Rust) is built by influxdata's pkg-config wrapper
#    (`PKG_CONFIG=./pkg-config.sh`, needs cargo + gcc). Its rust-toolchain file pins
#    an old Rust we cannot download, so RUSTUP_TOOLCHAIN is pinned to the local
#    default toolchain, and `#![deny(warnings)]` in libflux is neutralised with a
#    RUSTC_WRAPPER that appends `--cap-lints warn`.
#  * v1.5.x: the vendored-by-go.mod github.com/ugorji/go (2017) panics at init
#    under Go >= 1.22 ("encoding alphabet includes duplicate symbols"); a patched
#    copy is substituted with `go mod edit -replace`.
set -euo pipefail

log() { printf '[kapacitord.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

version="${KAPACITOR_VERSION:-v1.7.6}"
[[ "$version" == v* ]] || version="v$version"
cache_root="${TOCSIN_CACHE_DIR:-$HOME/.cache/tocsin}/kapacitor"
vdir="$cache_root/$version"
bindir="$vdir/bin"

have_bins() { [[ -x "$bindir/kapacitord" && -x "$bindir/kapacitor" ]]; }

if have_bins; then
    echo "$bindir"
    exit 0
fi

mkdir -p "$cache_root"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache_root/.$version.lock"
    log "waiting for build lock $cache_root/.$version.lock"
    flock 9
    if have_bins; then   # another process built it while we waited
        echo "$bindir"
        exit 0
    fi
fi

command -v go >/dev/null 2>&1 || die "go not found in PATH"
export GOTOOLCHAIN=local   # never try to download a Go toolchain
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

start_ts=$(date +%s)
module="github.com/influxdata/kapacitor"
log "building $module@$version (cache: $vdir)"

# --- 1. download the module and find its directory -------------------------------
dl_json=$(go mod download -json "$module@$version" 2>/dev/null || true)
moddir=$(printf '%s\n' "$dl_json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
if [[ -z "$moddir" || ! -d "$moddir" ]]; then
    err=$(printf '%s\n' "$dl_json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
    die "go mod download $module@$version failed: ${err:-no Dir in output}"
fi
log "module dir: $moddir"

# --- 2. writable scratch copy -------------------------------------------------------
scratch=$(mktemp -d "$cache_root/.build-$version.XXXXXX")
cleanup() {
    if [[ "${KEEP_BUILD_DIR:-0}" == 1 ]]; then
        log "keeping scratch dir $scratch"
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT
src="$scratch/src"
cp -r "$moddir" "$src"
chmod -R u+w "$src"
cd "$src"

# --- 3. version-specific work-arounds -------------------------------------------------
if [[ -f "$src/pkg-config.sh" ]] && grep -q 'github.com/influxdata/flux ' go.mod; then
    log "Flux version: libflux (Rust) will be built through influxdata's pkg-config wrapper"
    command -v cargo >/dev/null 2>&1 || die "cargo not found: Kapacitor $version needs Rust to build libflux (or use KAPACITOR_VERSION=v1.5.9)"
    command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || die "a C compiler is needed (cgo)"
    chmod +x "$src/pkg-config.sh"   # module zips drop the exec bit
    export PKG_CONFIG="$src/pkg-config.sh"
    export CGO_ENABLED=1
    # libflux's rust-toolchain pins Rust 1.58, which cannot be downloaded here: use the local default.
    if [[ -z "${RUSTUP_TOOLCHAIN:-}" ]] && command -v rustup >/dev/null 2>&1; then
        tc=$(cd / && rustup show active-toolchain 2>/dev/null | awk 'NR==1{print $1}')
        [[ -n "$tc" ]] && export RUSTUP_TOOLCHAIN="$tc"
        log "RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-<unset>}"
    fi
    # libflux has #![deny(warnings)]; newer rustc adds lints => cap them to warnings.
    wrapper="$scratch/rustc-cap-lints.sh"
    inner="${RUSTC_WRAPPER:-}"
    {
        echo '#!/bin/sh'
        if [[ -n "$inner" ]]; then
            printf 'exec %q "$@" --cap-lints warn\n' "$inner"
        else
            echo 'exec "$@" --cap-lints warn'
        fi
    } >"$wrapper"
    chmod +x "$wrapper"
    export RUSTC_WRAPPER="$wrapper"
fi

ugorji_line=$(grep -E '^[[:space:]]*github.com/ugorji/go v0\.0\.0-2017' go.mod || true)
if [[ -n "$ugorji_line" ]]; then
    ugorji_ver=$(awk '{print $2}' <<<"$ugorji_line")
    udir=$(go mod download -json "github.com/ugorji/go@$ugorji_ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
    if [[ -n "$udir" ]] && grep -q '0123456789__")' "$udir/codec/gen.go" 2>/dev/null; then
        log "patching github.com/ugorji/go@$ugorji_ver (base64 alphabet panics at init with Go >= 1.22)"
        cp -r "$udir" "$scratch/ugorji"
        chmod -R u+w "$scratch/ugorji"
        sed -i 's/0123456789__")/0123456789_.")/' "$scratch/ugorji/codec/gen.go"
        [[ -f "$scratch/ugorji/go.mod" ]] || echo 'module github.com/ugorji/go' >"$scratch/ugorji/go.mod"
        go mod edit -replace "github.com/ugorji/go=$scratch/ugorji"
    fi
fi

# --- 4. build -------------------------------------------------------------------------
ldflags="-X main.version=${version#v} -X main.branch=module -X main.commit=$version -X main.platform=OSS"
mkdir -p "$scratch/bin"
log "go build ./cmd/kapacitord ./cmd/kapacitor (this takes several minutes on 2 cores)"
go build -ldflags "$ldflags" -o "$scratch/bin/" ./cmd/kapacitord ./cmd/kapacitor >&2

"$scratch/bin/kapacitord" version >&2 || die "built kapacitord does not run"

# --- 5. install atomically ----------------------------------------------------------------
mkdir -p "$vdir"
rm -rf "$bindir"
mv "$scratch/bin" "$bindir"
log "done in $(( $(date +%s) - start_ts ))s"
echo "$bindir"
