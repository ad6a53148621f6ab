#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft) from its Maven Central jars.
#   scripts/kafka.sh start   fetch jars (once), format storage (once), start, wait until ready
#   scripts/kafka.sh stop    stop the broker this script started
#   scripts/kafka.sh status  exit 0 when a broker answers on KAFKA_PORT
#   scripts/kafka.sh reset   stop and wipe the broker's data (topics, offsets)
#   scripts/kafka.sh jars    fetch the jars only (the Java-client tests use them, even when some other
#                            broker is already running on KAFKA_PORT)
# Idempotent: `start` on a running broker prints where it is and exits 0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_DIR="${KAFKA_DIR:-$ROOT/.kafka}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-120}"
POM="$ROOT/infra/kafka/pom.xml"
LIBS="$KAFKA_DIR/libs"
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
LOG="$KAFKA_DIR/broker.log"
PIDFILE="$KAFKA_DIR/broker.pid"
# A fixed cluster id: the storage is formatted once per data directory, so it need not be random.
CLUSTER_ID="bG1zLXdlYmhvb2tzLWRldg"

log() { echo "[kafka] $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

our_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

fetch_jars() {
  # Re-fetch only when the pom changes.
  local stamp="$LIBS/.pom.sha256" want; want="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  log "fetching broker jars with Maven (first run only)…"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$POM" dependency:copy-dependencies -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2
  echo "$want" > "$stamp"
}

write_config() {
  mkdir -p "$KAFKA_DIR"
  cat > "$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${DATA}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests create consumer groups all the time: do not wait 3 s for more members to join.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=24
CONF
}

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then return 0; fi
  log "formatting storage in $DATA"
  mkdir -p "$DATA"
  java -cp "$LIBS/*" -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
    kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONF" >>"$KAFKA_DIR/format.log" 2>&1
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT_S))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker exited during start; last lines of $LOG:"; tail -n 30 "$LOG" >&2; return 1
    fi
    if grep -q "Kafka Server started" "$LOG" 2>/dev/null && port_open "$KAFKA_PORT"; then
      # The log line says the broker is up; an admin call proves a client can use it.
      if [[ -d "$ROOT/node_modules/kafkajs" ]]; then
        if node "$ROOT/scripts/kafka-ready.js" "127.0.0.1:$KAFKA_PORT" >&2; then return 0; fi
      else
        return 0
      fi
    fi
    sleep 0.5
  done
  log "broker not ready after ${KAFKA_START_TIMEOUT_S}s; see $LOG"; return 1
}

start() {
  if pid="$(our_pid)"; then
    log "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"; return 0
  fi
  if port_open "$KAFKA_PORT"; then
    log "something already listens on 127.0.0.1:$KAFKA_PORT; using it as the broker"
    node "$ROOT/scripts/kafka-ready.js" "127.0.0.1:$KAFKA_PORT" >&2; return $?
  fi
  command -v java >/dev/null || { log "java not found: install OpenJDK 17+"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found: install Maven"; exit 1; }
  fetch_jars
  write_config
  format_storage
  local started=$SECONDS
  : > "$LOG"
  # setsid: the broker outlives the shell that started it, and Ctrl-C in a terminal does not reach it;
  # `stop` (or npm start's shutdown) ends it.
  # shellcheck disable=SC2086
  setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$CONF" >>"$LOG" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$PIDFILE"
  wait_ready "$pid"
  log "ready on 127.0.0.1:$KAFKA_PORT (pid $pid, $((SECONDS - started))s)"
}

stop() {
  local pid
  if ! pid="$(our_pid)"; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "still up after 30s, killing"; kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) port_open "$KAFKA_PORT" ;;
  reset) stop; rm -rf "$DATA"; log "data wiped" ;;
  jars) fetch_jars ;;
  *) echo "usage: $0 start|stop|status|reset|jars" >&2; exit 2 ;;
esac
