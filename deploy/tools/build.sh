#!/usr/bin/env bash
# Operations tools built from the Go module proxy at pinned versions (checksums verified
# by the Go checksum database through the proxy), cached under $JEMPUT_STATE_DIR/bin:
#
#   build.sh helm       Helm v4: renders deploy/kubernetes/jemput for the manifest tests
#   build.sh promtool   Prometheus' promtool: checks and unit-tests deploy/prometheus/
#   build.sh all        both
#   build.sh jaeger     Jaeger all-in-one (v1.75.0): a local trace viewer for `make run`
#                       (not part of `all`: no test needs it, and it is the biggest build)
#
# A second run with the same version is a no-op (offline). Builds run at nice 19: the
# machine is shared and promtool is a big build (several minutes on two cores).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
STATE=${JEMPUT_STATE_DIR:-$repo/.local}
bin=$STATE/bin

HELM_VERSION=v4.3.2
PROMETHEUS_MODULE_VERSION=v0.316.0 # Prometheus 3.x publishes its Go module as v0.3xx
JAEGER_VERSION=v1.75.0

say() { printf 'tools: %s\n' "$*"; }
die() { printf 'tools: ERROR: %s\n' "$*" >&2; exit 1; }

build() { # build NAME PACKAGE VERSION
  local name=$1 package=$2 version=$3 stamp=$bin/$1.version
  if [[ -x $bin/$name && -f $stamp && $(cat "$stamp") == "$package@$version" ]]; then return; fi
  command -v go >/dev/null || die "go is not installed (needed to build $name)"
  say "building $name $version from the Go module proxy (cached in $bin afterwards)"
  mkdir -p "$bin" "$STATE/log"
  GOBIN=$bin GOFLAGS=-buildvcs=false nice -n 19 go install "$package@$version" \
    >"$STATE/log/build-$name.log" 2>&1 \
    || { tail -n 30 "$STATE/log/build-$name.log" >&2; die "building $name failed (log: $STATE/log/build-$name.log)"; }
  echo "$package@$version" >"$stamp"
}

helm() { build helm helm.sh/helm/v4/cmd/helm "$HELM_VERSION"; }
promtool() { build promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_MODULE_VERSION"; }
# Jaeger's go.mod has a replace directive, so `go install pkg@version` refuses it: the
# module is downloaded through the proxy (checksum-verified) and built in its own
# directory, where its go.mod and go.sum apply as upstream tested them.
jaeger() {
  local module=github.com/jaegertracing/jaeger stamp=$bin/jaeger.version dir
  if [[ -x $bin/jaeger && -f $stamp && $(cat "$stamp") == "$module@$JAEGER_VERSION" ]]; then return; fi
  command -v go >/dev/null || die "go is not installed (needed to build jaeger)"
  say "building jaeger $JAEGER_VERSION from the Go module proxy (cached in $bin afterwards)"
  mkdir -p "$bin" "$STATE/log"
  dir=$(go mod download -json "$module@$JAEGER_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || die "go mod download $module@$JAEGER_VERSION gave no directory"
  (cd "$dir" && GOFLAGS=-buildvcs=false nice -n 19 go build -o "$bin/jaeger" ./cmd/jaeger) \
    >"$STATE/log/build-jaeger.log" 2>&1 \
    || { tail -n 30 "$STATE/log/build-jaeger.log" >&2; die "building jaeger failed (log: $STATE/log/build-jaeger.log)"; }
  echo "$module@$JAEGER_VERSION" >"$stamp"
}

case ${1:-all} in
  helm) helm ;;
  promtool) promtool ;;
  jaeger) jaeger ;;
  all) helm; promtool ;;
  *) die "usage: $0 helm|promtool|jaeger|all" ;;
esac
