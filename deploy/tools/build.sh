#!/usr/bin/env bash
# Operations tools built from the Go module proxy at pinned versions (checksums verified
# by the Go checksum database through the proxy), cached under $JEMPUT_STATE_DIR/bin:
#
#   build.sh helm       Helm v4: renders deploy/kubernetes/jemput for the manifest tests
#   build.sh promtool   Prometheus' promtool: checks and unit-tests deploy/prometheus/
#   build.sh all        both
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

case ${1:-all} in
  helm) helm ;;
  promtool) promtool ;;
  all) helm; promtool ;;
  *) die "usage: $0 helm|promtool|all" ;;
esac
