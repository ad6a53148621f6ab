#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft) from its Maven Central jars.
#   scripts/kafka.sh start   fetch jars (once), format storage (once), start, wait until ready
#   scripts/kafka.sh stop    stop the broker this script started
#   scripts/kafka.sh status  exit 0 when a broker answers on KAFKA_PORT
#   scripts/kafka.sh reset   stop and wipe the broker's data (topics, offsets)
#   scripts/kafka.sh jars    fetch the jars only (the Java-client tests use them, even when some other
#                            broker is already running on KAFKA_PORT)
#   scripts/kafka.sh cluster start|stop|status|reset
#                            the same for a 3-node KRaft cluster on other ports (see cluster() below),
#                            for trying failover by hand; the shared single broker is not touched
# Idempotent: `start` on a running broker prints where it is and exits 0.
# One node of a cluster is this script with KAFKA_NODE_ID, KAFKA_QUORUM_VOTERS, KAFKA_CLUSTER_ID,
# KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS set (`cluster` and the fault suite's
# test/faults/support/private-kafka-cluster.ts do that); unset, they give today's single node.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_DIR="${KAFKA_DIR:-$ROOT/.kafka}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT_S="${KAFKA_START_TIMEOUT_S:-120}"
KAFKA_NODE_ID="${KAFKA_NODE_ID:-1}"
KAFKA_QUORUM_VOTERS="${KAFKA_QUORUM_VOTERS:-${KAFKA_NODE_ID}@127.0.0.1:${KAFKA_CONTROLLER_PORT}}"
# Every topic the broker creates, the internal ones (consumer offsets, transactions) included, gets this
# many replicas, and acks=all writes need KAFKA_MIN_INSYNC_REPLICAS of them in sync.
KAFKA_REPLICATION_FACTOR="${KAFKA_REPLICATION_FACTOR:-1}"
KAFKA_MIN_INSYNC_REPLICAS="${KAFKA_MIN_INSYNC_REPLICAS:-1}"
# The log cleaner (compacted topics: consumer offsets) allocates this on the heap at start; 128 MiB is
# Kafka's default.
KAFKA_LOG_CLEANER_BUFFER_BYTES="${KAFKA_LOG_CLEANER_BUFFER_BYTES:-134217728}"
POM="$ROOT/infra/kafka/pom.xml"
# The nodes of a cluster share one copy of the jars.
LIBS="${KAFKA_LIBS:-$KAFKA_DIR/libs}"
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
LOG="$KAFKA_DIR/broker.log"
PIDFILE="$KAFKA_DIR/broker.pid"
# A fixed cluster id: the storage is formatted once per data directory, so it need not be random.
# The nodes of one cluster must share it (they refuse to join a quorum formatted with another).
CLUSTER_ID="${KAFKA_CLUSTER_ID:-bG1zLXdlYmhvb2tzLWRldg}"

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
node.id=${KAFKA_NODE_ID}
controller.quorum.voters=${KAFKA_QUORUM_VOTERS}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${DATA}
num.partitions=1
default.replication.factor=${KAFKA_REPLICATION_FACTOR}
min.insync.replicas=${KAFKA_MIN_INSYNC_REPLICAS}
offsets.topic.replication.factor=${KAFKA_REPLICATION_FACTOR}
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=${KAFKA_REPLICATION_FACTOR}
transaction.state.log.min.isr=${KAFKA_MIN_INSYNC_REPLICAS}
share.coordinator.state.topic.replication.factor=${KAFKA_REPLICATION_FACTOR}
share.coordinator.state.topic.min.isr=${KAFKA_MIN_INSYNC_REPLICAS}
log.cleaner.dedupe.buffer.size=${KAFKA_LOG_CLEANER_BUFFER_BYTES}
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

# A 3-node cluster for local use: every node is broker and controller at once (combined mode), so three
# JVMs make a real Raft quorum that survives losing any one node. Each node is this script run with its
# own KAFKA_DIR and ports; they start together because none is ready until a quorum has formed.
KAFKA_CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$KAFKA_DIR/cluster}"
KAFKA_CLUSTER_PORTS="${KAFKA_CLUSTER_PORTS:-19092,19094,19096}"
KAFKA_CLUSTER_CONTROLLER_PORTS="${KAFKA_CLUSTER_CONTROLLER_PORTS:-19093,19095,19097}"
KAFKA_CLUSTER_REPLICATION_FACTOR="${KAFKA_CLUSTER_REPLICATION_FACTOR:-3}"
KAFKA_CLUSTER_MIN_INSYNC_REPLICAS="${KAFKA_CLUSTER_MIN_INSYNC_REPLICAS:-2}"
# Three brokers share the machine: a small heap each, and so a small log-cleaner buffer (the default
# 128 MiB in a 256 MiB heap failed a node's start with OutOfMemoryError now and then).
KAFKA_CLUSTER_HEAP_OPTS="${KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx256m}"
KAFKA_CLUSTER_LOG_CLEANER_BUFFER_BYTES="${KAFKA_CLUSTER_LOG_CLEANER_BUFFER_BYTES:-16777216}"

cluster() {
  local command="$1" ports controller_ports voters="" i failed=0 pids=()
  IFS=, read -r -a ports <<<"$KAFKA_CLUSTER_PORTS"
  IFS=, read -r -a controller_ports <<<"$KAFKA_CLUSTER_CONTROLLER_PORTS"
  if (( ${#ports[@]} != ${#controller_ports[@]} )); then
    log "KAFKA_CLUSTER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS must list as many ports"; exit 2
  fi
  case "$command" in
    status)
      for i in "${!ports[@]}"; do port_open "${ports[i]}" || return 1; done
      return 0 ;;
    start) fetch_jars ;;
    stop | reset) ;;
    *) echo "usage: $0 cluster start|stop|status|reset" >&2; exit 2 ;;
  esac
  for i in "${!ports[@]}"; do voters+="${voters:+,}$((i + 1))@127.0.0.1:${controller_ports[i]}"; done
  for i in "${!ports[@]}"; do
    KAFKA_DIR="$KAFKA_CLUSTER_DIR/node-$((i + 1))" KAFKA_LIBS="$LIBS" KAFKA_NODE_ID="$((i + 1))" \
      KAFKA_PORT="${ports[i]}" KAFKA_CONTROLLER_PORT="${controller_ports[i]}" \
      KAFKA_QUORUM_VOTERS="$voters" KAFKA_CLUSTER_ID="$CLUSTER_ID" \
      KAFKA_REPLICATION_FACTOR="$KAFKA_CLUSTER_REPLICATION_FACTOR" \
      KAFKA_MIN_INSYNC_REPLICAS="$KAFKA_CLUSTER_MIN_INSYNC_REPLICAS" \
      KAFKA_HEAP_OPTS="$KAFKA_CLUSTER_HEAP_OPTS" \
      KAFKA_LOG_CLEANER_BUFFER_BYTES="$KAFKA_CLUSTER_LOG_CLEANER_BUFFER_BYTES" \
      bash "${BASH_SOURCE[0]}" "$command" &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do wait "${pids[i]}" || failed=1; done
  if [[ "$command" == reset ]]; then rm -rf "$KAFKA_CLUSTER_DIR"; fi
  if (( failed )); then log "cluster $command failed (node logs: $KAFKA_CLUSTER_DIR/node-*/broker.log)"; return 1; fi
  if [[ "$command" == start ]]; then log "cluster ready: brokers 127.0.0.1:${KAFKA_CLUSTER_PORTS//,/,127.0.0.1:}"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) port_open "$KAFKA_PORT" ;;
  reset) stop; rm -rf "$DATA"; log "data wiped" ;;
  jars) fetch_jars ;;
  cluster) cluster "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|reset|jars|cluster start|stop|status|reset" >&2; exit 2 ;;
esac
