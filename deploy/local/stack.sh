#!/usr/bin/env bash
# Local stack without Docker: Apache Kafka (KRaft, single node) assembled from Maven
# Central, and FerretDB (MongoDB wire protocol over SQLite) through our own Go launcher.
#
#   stack.sh setup    download/build what is missing (cached; second run is offline)
#   stack.sh start    setup, then start what is not running and wait until ready
#   stack.sh stop [kafka|ferretdb]…   stop what is running (all by default)
#   stack.sh status   say what runs where
#
# Everything lives under $JEMPUT_STATE_DIR (default: .local/ in the repo, git-ignored).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

STATE=${JEMPUT_STATE_DIR:-$repo/.local}
HOST=${JEMPUT_BIND_HOST:-127.0.0.1}
KAFKA_PORT=${JEMPUT_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${JEMPUT_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_PARTITIONS=${JEMPUT_KAFKA_PARTITIONS:-4}
KAFKA_HEAP=${JEMPUT_KAFKA_HEAP:-512m}
MONGO_PORT=${JEMPUT_FERRETDB_PORT:-27017}
READY_TIMEOUT=${JEMPUT_READY_TIMEOUT:-90}
INTAKE_RETENTION_HOURS=${JEMPUT_INTAKE_RETENTION_HOURS:-24}

libs=$STATE/kafka/libs
launcher=$STATE/bin/ferretdb-launcher
run=$STATE/run
logs=$STATE/log

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

alive() { # alive NAME: its pid file names a running process
  local pidfile=$run/$1.pid
  [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

setup_kafka() {
  local stamp=$libs/.pom.sha256 want
  want=$(sha256sum "$here/kafka/pom.xml" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return; fi
  command -v mvn >/dev/null || die "mvn (Maven) is not installed: apt-get install maven"
  command -v java >/dev/null || die "java is not installed: apt-get install default-jre-headless"
  say "assembling Kafka from Maven Central into $libs"
  rm -rf "$libs" && mkdir -p "$libs"
  mkdir -p "$logs"
  mvn -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$logs/maven.log" 2>&1 \
    || { tail -n 30 "$logs/maven.log" >&2; die "Maven could not fetch the Kafka jars (log: $logs/maven.log)"; }
  echo "$want" >"$stamp"
}

setup_ferretdb() {
  # The launcher is built from a vendored FerretDB with our patches applied (an _id look-up
  # that uses the _id index; docs/adr/0006-ferretdb-id-index-patch.md). A patch that no
  # longer applies stops the build: it is never skipped.
  local stamp=$launcher.sha256 want build=$STATE/build/ferretdb patch
  want=$(cat "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" "$here/ferretdb/main.go" \
    "$here"/ferretdb/patches/*.patch | sha256sum | cut -d' ' -f1)
  if [[ -x $launcher && -f $stamp && $(cat "$stamp") == "$want" ]]; then return; fi
  command -v go >/dev/null || die "go is not installed (needed to build the FerretDB launcher)"
  command -v patch >/dev/null || die "patch is not installed: apt-get install patch"
  say "building the patched FerretDB launcher (first time takes a minute or two)"
  rm -rf "$build" && mkdir -p "$build" "$(dirname "$launcher")"
  cp "$here/ferretdb/go.mod" "$here/ferretdb/go.sum" "$here/ferretdb/main.go" "$build/"
  (cd "$build" && go mod vendor) || die "go mod vendor failed for the FerretDB launcher"
  chmod -R u+w "$build/vendor"
  for patch in "$here"/ferretdb/patches/*.patch; do
    patch -d "$build/vendor/github.com/FerretDB/FerretDB" -p1 --forward --batch --quiet <"$patch" \
      || die "$(basename "$patch") no longer applies to the vendored FerretDB: update the patch"
  done
  (cd "$build" && go build -mod=vendor -o "$launcher" .) || die "go build of the FerretDB launcher failed"
  echo "$want" >"$stamp"
}

wait_until() { # wait_until WHAT LOGFILE CHECK...: run CHECK until it succeeds or time is up
  local what=$1 log=$2; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$log" >&2 || true
      die "$what was not ready within ${READY_TIMEOUT}s (last lines of $log above)"
    fi
    sleep 0.3
  done
}

kafka_ready() {
  alive kafka || { tail -n 30 "$logs/kafka.log" >&2; die "Kafka exited during start-up"; }
  port_open "$HOST" "$KAFKA_PORT" && grep -q 'Kafka Server started' "$logs/kafka.log"
}

start_kafka() {
  if alive kafka; then say "Kafka already running on $HOST:$KAFKA_PORT"; return; fi
  port_open "$HOST" "$KAFKA_PORT" && die "port $HOST:$KAFKA_PORT is taken by another program (set JEMPUT_KAFKA_PORT)"
  local data=$STATE/kafka/data conf=$STATE/kafka/server.properties
  mkdir -p "$data" "$run" "$logs"
  sed -e "s|@HOST@|$HOST|g" -e "s|@PORT@|$KAFKA_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$data|g" \
      -e "s|@PARTITIONS@|$KAFKA_PARTITIONS|g" \
      "$here/kafka/server.properties.template" >"$conf"
  local java_opts=(-Xms256m "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties"
    "-Dkafka.logs.dir=$logs" -cp "$libs/*")
  if [[ ! -f $data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    java "${java_opts[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$conf" \
      >"$logs/kafka-format.log" 2>&1 || { cat "$logs/kafka-format.log" >&2; die "formatting Kafka's log dir failed"; }
  fi
  : >"$logs/kafka.log"
  nohup java "${java_opts[@]}" kafka.Kafka "$conf" >>"$logs/kafka.log" 2>&1 &
  echo $! >"$run/kafka.pid"
  wait_until "Kafka" "$logs/kafka.log" kafka_ready
  say "Kafka ready on $HOST:$KAFKA_PORT"
}

# Other systems post whole forms to the intake topic, in clear (they hold no data keys):
# intake stores them sealed at once, so the topic keeps them only INTAKE_RETENTION_HOURS
# (an erasure cannot reach a topic; its retention is what forgets). Created here, with
# the broker's partitions, rather than by a client's first look.
make_intake_topic() {
  local ms=$((INTAKE_RETENTION_HOURS * 3600 * 1000))
  set -- -Xmx128m -XX:TieredStopAtLevel=1 "-Dlog4j2.configurationFile=$here/kafka/log4j2.properties" \
    -cp "$libs/*"
  java "$@" org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
    --create --if-not-exists --topic jemput.intake.v1 --config "retention.ms=$ms" \
    >>"$logs/kafka-topics.log" 2>&1 || { cat "$logs/kafka-topics.log" >&2; die "creating jemput.intake.v1 failed"; }
  # A topic made before (by a client, or with other hours) gets the retention too.
  java "$@" kafka.admin.ConfigCommand --bootstrap-server "$HOST:$KAFKA_PORT" --alter \
    --entity-type topics --entity-name jemput.intake.v1 --add-config "retention.ms=$ms" \
    >>"$logs/kafka-topics.log" 2>&1 || { cat "$logs/kafka-topics.log" >&2; die "setting jemput.intake.v1's retention failed"; }
  say "topic jemput.intake.v1: retention ${INTAKE_RETENTION_HOURS} h"
}

ferretdb_ready() {
  alive ferretdb || { tail -n 30 "$logs/ferretdb.log" >&2; die "FerretDB exited during start-up"; }
  port_open "$HOST" "$MONGO_PORT"
}

start_ferretdb() {
  if alive ferretdb; then say "FerretDB already running on $HOST:$MONGO_PORT"; return; fi
  port_open "$HOST" "$MONGO_PORT" && die "port $HOST:$MONGO_PORT is taken by another program (set JEMPUT_FERRETDB_PORT)"
  mkdir -p "$STATE/ferretdb/data" "$run" "$logs"
  nohup "$launcher" -listen "$HOST:$MONGO_PORT" -sqlite-dir "$STATE/ferretdb/data" \
    >"$logs/ferretdb.log" 2>&1 &
  echo $! >"$run/ferretdb.pid"
  wait_until "FerretDB" "$logs/ferretdb.log" ferretdb_ready
  say "FerretDB ready on $HOST:$MONGO_PORT"
}

stop_one() {
  local name=$1 pidfile=$run/$1.pid pid
  if ! alive "$name"; then rm -f "$pidfile"; return; fi
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "$name did not stop in 20s; killing it"; kill -9 "$pid"; fi
  rm -f "$pidfile"
  say "$name stopped"
}

status() {
  for name in kafka ferretdb; do
    if alive "$name"; then say "$name running (pid $(cat "$run/$name.pid"))"; else say "$name not running"; fi
  done
  say "JEMPUT_KAFKA_BOOTSTRAP=$HOST:$KAFKA_PORT"
  say "JEMPUT_MONGO_URL=mongodb://$HOST:$MONGO_PORT/"
}

case ${1:-} in
  setup) setup_kafka; setup_ferretdb ;;
  start) setup_kafka; setup_ferretdb; start_ferretdb; start_kafka; make_intake_topic; status ;;
  stop) shift; for name in "${@:-kafka ferretdb}"; do for n in $name; do stop_one "$n"; done; done ;;
  status) status ;;
  *) die "usage: $0 setup|start|stop|status" ;;
esac
