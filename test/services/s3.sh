#!/usr/bin/env bash
# Builds the S3 server the tests run (versitygw, an Apache-2.0 S3 gateway with Object Lock) from
# the Go module proxy into the Stele cache, once; later runs find it there. test/services/s3.ts
# calls `s3.sh build` before it starts servers; CI may call it ahead to keep build time apart.
#
#   bash test/services/s3.sh build   # prints the binary's path; builds it if missing
#   bash test/services/s3.sh path    # prints the path it would have (built or not)
#
# Why versitygw and not MinIO: the MinIO server is under the AGPL, which this workplace does not
# take in (see docs/test-services.md). Any S3 with Object Lock works for the adapter itself.
set -euo pipefail

# Bump both together; the version is in the file name so a bump rebuilds.
VERSITYGW_MODULE=github.com/versity/versitygw
VERSITYGW_VERSION=v1.8.0

cache_dir="${STELE_CACHE_DIR:-$HOME/.cache/stele}"
bin_dir="$cache_dir/bin"
binary="$bin_dir/versitygw-$VERSITYGW_VERSION"

build() {
  mkdir -p "$bin_dir"
  # Two test files may ask at once on a fresh machine: one builds, the other waits.
  exec 9>"$bin_dir/.versitygw.lock"
  flock 9
  if [[ -x "$binary" ]]; then
    echo "$binary"
    return
  fi
  command -v go >/dev/null || { echo "s3.sh: go is not installed (apt-get install golang-go, or Go >= 1.25)" >&2; exit 1; }
  local work start
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  start=$(date +%s)
  echo "s3.sh: building versitygw $VERSITYGW_VERSION with $(go env GOVERSION) (first run only)..." >&2
  # go install keeps the module's own go.mod and go.sum, so the build is pinned and verified
  # against the checksum database. -trimpath/-s -w: a smaller binary, no local paths in it.
  GOBIN="$work" GOFLAGS="-buildvcs=false -trimpath" \
    go install -ldflags "-s -w" "$VERSITYGW_MODULE/cmd/versitygw@$VERSITYGW_VERSION" >&2
  mv "$work/versitygw" "$binary.tmp"
  mv "$binary.tmp" "$binary"
  echo "s3.sh: built $binary in $(( $(date +%s) - start ))s" >&2
  echo "$binary"
}

case "${1:-}" in
  build) build ;;
  path) echo "$binary" ;;
  *) echo "usage: $0 build|path" >&2; exit 2 ;;
esac
