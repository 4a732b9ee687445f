#!/bin/sh
# The CDK app command (cdk.json "app"): runs the app's binary, rebuilt with `go build`
# only when a Go source file, go.mod or go.sum changed since the last build, one was
# added or removed, or the Go toolchain or its settings changed. `go run .` gave the
# same result (Go caches the executables of go run since 1.24), but its cache check
# costs about half a second of CPU on every cdk command (make bench-synth); this check
# is two find(1)s. macOS and Linux.
set -eu
cd "$(dirname "$0")/.."
dir=.cache/cdk-app
bin=$dir/intro-aws-go
# Hidden directories (.git, .cache), node_modules, cdk.out and testdata hold no source
# of the app; test files are not part of it.
sources() {
  find . \( -name node_modules -o -name cdk.out -o -name testdata -o -name '.?*' \) -prune \
    -o "$@" \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print
}
key="$(go env GOVERSION GOOS GOARCH GOFLAGS CGO_ENABLED GOEXPERIMENT)
$(sources | LC_ALL=C sort)"
stale=yes
if [ -x "$bin" ] && [ -f "$dir/built-at" ] && [ -f "$dir/key" ] && [ "$(cat "$dir/key")" = "$key" ] &&
  [ -z "$(sources -newer "$dir/built-at" | head -n 1)" ]; then
  stale=no
fi
if [ "$stale" = yes ]; then
  mkdir -p "$dir"
  # Taken before the build: a file saved while go build runs is newer, and rebuilt next time.
  : > "$dir/built-at.new"
  go build -o "$bin.new" .
  mv "$bin.new" "$bin"
  printf '%s' "$key" > "$dir/key"
  mv "$dir/built-at.new" "$dir/built-at"
fi
# make bench-synth times the check alone.
if [ "${1-}" = --build-only ]; then exit 0; fi
exec "$bin" "$@"
