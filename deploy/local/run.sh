#!/usr/bin/env bash
# `make run`: the stack, a local SMTP sink, the relay and the three services, with
# development API keys. Ctrl-C stops jemput's processes (the stack keeps running: make down).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
state=${JEMPUT_STATE_DIR:-$repo/.local}
logs=$state/log
py=$repo/.venv/bin/python
mkdir -p "$logs"

"$here/stack.sh" start
# Where this installation's stack listens (stack.sh's own variables), for every process
# started here and for the commands printed below: never someone else's store.
host=${JEMPUT_BIND_HOST:-127.0.0.1}
export JEMPUT_KAFKA_BOOTSTRAP=${JEMPUT_KAFKA_BOOTSTRAP:-$host:${JEMPUT_KAFKA_PORT:-9092}}
export JEMPUT_MONGO_URL=${JEMPUT_MONGO_URL:-mongodb://$host:${JEMPUT_FERRETDB_PORT:-27017}/}

# This installation's own secrets, made on the first run and kept (never committed): the
# chain key seals events, the pseudonym key makes stream ids and tracking codes. With the
# keys in the source, anyone could re-seal an edited log or derive codes and stream ids.
keys=$state/keys.env
if [[ ! -s $keys ]]; then
  random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
  (umask 077 && printf 'JEMPUT_CHAIN_KEY_ID=local-%s\nJEMPUT_CHAIN_KEY=%s\nJEMPUT_PSEUDONYM_KEY=%s\n' \
    "$(date +%Y%m%d)" "$(random)" "$(random)" >"$keys")
  echo "jemput: generated this installation's keys in $keys (keep them: the log is sealed with them)"
fi
# The data KEK wraps the keys of applicants' personal data: installs made before it
# existed get one appended (losing it makes every sealed field unreadable).
if ! grep -q '^JEMPUT_DATA_KEK=' "$keys"; then
  random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
  (umask 077 && printf 'JEMPUT_DATA_KEK_ID=local-%s\nJEMPUT_DATA_KEK=%s\n' \
    "$(date +%Y%m%d)" "$(random)" >>"$keys")
  echo "jemput: generated this installation's data KEK in $keys (keep it: personal data is sealed with it)"
fi
export JEMPUT_ENV_FILE=$keys

# Development API keys: usable only against this local run.
officer_key=dev-officer-key
verifier_key=dev-verifier-key
auditor_key=dev-auditor-key
supervisor_key=dev-supervisor-key
digest() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
export JEMPUT_API_KEYS="{\"officer-dev\": {\"role\": \"officer\", \"sha256\": \"$(digest $officer_key)\"}, \"verifier-dev\": {\"role\": \"verifier\", \"sha256\": \"$(digest $verifier_key)\"}, \"auditor-dev\": {\"role\": \"auditor\", \"sha256\": \"$(digest $auditor_key)\"}, \"supervisor-dev\": {\"role\": \"supervisor\", \"sha256\": \"$(digest $supervisor_key)\"}}"
export JEMPUT_SMTP_PORT=${JEMPUT_SMTP_PORT:-8025}

pids=()
start() { # start NAME COMMAND...: run in the background, log to $logs/NAME.log
  local name=$1; shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!)
}
stop_all() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo "jemput: stopped"; }
trap stop_all EXIT INT TERM

# Traces: to Jaeger when it is built (`make jaeger`) and no other OTLP endpoint is set.
# Started first, so the services export to it from their first request.
jaeger_info="tracing       off (make jaeger, then make run again: one request's trace in a browser)"
if [[ -n ${OTEL_EXPORTER_OTLP_ENDPOINT:-} ]]; then
  jaeger_info="tracing       to $OTEL_EXPORTER_OTLP_ENDPOINT"
elif [[ -x $state/bin/jaeger ]]; then
  export JEMPUT_JAEGER_UI_PORT=${JEMPUT_JAEGER_UI_PORT:-16686}
  export JEMPUT_JAEGER_OTLP_PORT=${JEMPUT_JAEGER_OTLP_PORT:-4318}
  start jaeger "$state/bin/jaeger" --config "$here/jaeger.yaml"
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$JEMPUT_JAEGER_UI_PORT/api/services" >/dev/null 2>&1 && break
    sleep 0.3
  done
  curl -fsS "http://127.0.0.1:$JEMPUT_JAEGER_UI_PORT/api/services" >/dev/null \
    || { echo "jaeger is not ready; see $logs/jaeger.log" >&2; exit 1; }
  export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$JEMPUT_JAEGER_OTLP_PORT
  jaeger_info="traces        http://127.0.0.1:$JEMPUT_JAEGER_UI_PORT/   (Jaeger; OTLP in on :$JEMPUT_JAEGER_OTLP_PORT)"
fi

# JEMPUT_INSTANCES=N runs N processes of intake, verification and notification: the
# consumers share their topics' partitions in one group each; instance i > 0 listens on
# the first instance's port + 100*i (8101, 8102, 8103, ...).
instances=${JEMPUT_INSTANCES:-1}
ports=(8004 8005 8006)
start smtp-sink "$py" "$here/smtp_sink.py" --port "$JEMPUT_SMTP_PORT" --folder "$state/mail"
JEMPUT_HTTP_PORT=8005 start relay "$py" -m services.relay
for ((i = 0; i < instances; i++)); do
  suffix=$([[ $i == 0 ]] && echo "" || echo "-$i")
  JEMPUT_HTTP_PORT=$((8001 + 100 * i)) start "intake$suffix" "$py" -m services.intake
  JEMPUT_HTTP_PORT=$((8002 + 100 * i)) start "verification$suffix" "$py" -m services.verification
  JEMPUT_HTTP_PORT=$((8003 + 100 * i)) start "notification$suffix" "$py" -m services.notification
  ports+=($((8001 + 100 * i)) $((8002 + 100 * i)) $((8003 + 100 * i)))
done
start audit "$py" -m services.audit
start dashboard "$py" -m services.dashboard

for port in "${ports[@]}"; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.3
  done
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "service on :$port is not ready; see $logs" >&2; exit 1; }
done

cat <<INFO

jemput is running:
  intake        http://127.0.0.1:8001/docs    (officer key: $officer_key)
  verification  http://127.0.0.1:8002/docs    (verifier key: $verifier_key)
  notification  http://127.0.0.1:8003/health/ready
  audit         http://127.0.0.1:8004/docs    (auditor key: $auditor_key)
                the CLI on this installation: JEMPUT_ENV_FILE=$keys JEMPUT_MONGO_URL=$JEMPUT_MONGO_URL JEMPUT_KAFKA_BOOTSTRAP=$JEMPUT_KAFKA_BOOTSTRAP .venv/bin/jemput-audit --help
  dashboard     http://127.0.0.1:8006/        (supervisor key: $supervisor_key)
  officers' app http://127.0.0.1:8001/app/    (enrol a tablet first: docs/officers.md)
  relay         http://127.0.0.1:8005/health/ready
  $jaeger_info
  emails        $state/mail/  (SMTP sink on 127.0.0.1:$JEMPUT_SMTP_PORT)
  logs          $logs/
  Kafka $JEMPUT_KAFKA_BOOTSTRAP, FerretDB $JEMPUT_MONGO_URL

Submit a sample request:
  curl -s -X POST http://127.0.0.1:8001/v1/requests -H 'X-API-Key: $officer_key' \\
       -H 'Content-Type: application/json' -d @deploy/local/sample-request.json

Ctrl-C stops jemput (the stack keeps running; make down stops it).
INFO
wait
