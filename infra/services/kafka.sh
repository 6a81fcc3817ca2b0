#!/usr/bin/env bash
# A private single-node Apache Kafka (KRaft, broker and controller in one JVM) for tests and benchmarks.
#
#   kafka.sh fetch             download Kafka and its runtime jars from Maven Central into the cache
#   kafka.sh start DIR PORT    fetch if needed, format DIR on first use, start the node and print its
#                              bootstrap address 127.0.0.1:PORT (the controller listens on PORT+1)
#   kafka.sh stop DIR          controlled shutdown, killed if it takes longer than 60 s
#
# There is no Kafka distribution to download here, only Maven artifacts: the node runs as
# `java -cp 'JARS/*' kafka.Kafka server.properties`, the class the distribution's scripts start.
# Settings: KAFKA_VERSION (default below), KAFKA_HEAP (default 512m), HEARTH_CACHE_DIR.
set -euo pipefail
SERVICE_NAME=kafka
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
# Kafka's own logging goes through SLF4J 1.7; this binding routes it to the log4j2 that Kafka depends on.
LOG4J_VERSION=2.25.5
CACHE=$(cache_root)/kafka/$KAFKA_VERSION
JARS=$CACHE/libs

usage() { die "usage: kafka.sh fetch | start DIR PORT | stop DIR"; }

need() {
  command -v "$1" >/dev/null && return 0
  apt_install "$2"
  command -v "$1" >/dev/null || die "$1 not found after installing $2"
}

write_pom() {
  cat >"$CACHE/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.hearth.services</groupId>
  <artifactId>kafka-node</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
}

download_jars() {
  [[ -f $JARS/.complete ]] && return 0
  need mvn maven
  say "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
  write_pom
  rm -rf -- "$JARS.partial"
  mvn -B -q -f "$CACHE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$JARS.partial" >"$CACHE/fetch.log" 2>&1 || {
    tail -n 20 "$CACHE/fetch.log" >&2
    die "Maven could not fetch Kafka $KAFKA_VERSION (log: $CACHE/fetch.log)"
  }
  rm -rf -- "$JARS"
  mv -- "$JARS.partial" "$JARS"
  touch -- "$JARS/.complete"
}

fetch() {
  need java openjdk-17-jre-headless
  with_cache_lock "$CACHE" download_jars
}

# A JVM with a small heap, Kafka's jars and the node's log4j2 settings; the class and its arguments follow.
java_command() {
  JAVA=(java -Xms128m -Xmx"${KAFKA_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$DIR/log4j2.properties" -cp "$JARS/*")
}

# Rewritten on every start, so the same data can be served on other ports.
write_config() {
  cat >"$DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((PORT + 1))
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$((PORT + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=1
# One node: every internal topic has a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Few coordinator partitions: the first consumer group and idempotent producer are served in well
# under a second instead of waiting for 50 partitions to be created and loaded.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
# Tests start consumers right away; the default 3 s wait for more group members only slows them down.
group.initial.rebalance.delay.ms=0
EOF
  cat >"$DIR/log4j2.properties" <<'EOF'
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

# First start only: stamp the log folder with a new cluster id, as `kafka-storage.sh format` does.
format_storage() {
  [[ -f $DIR/data/meta.properties ]] && return 0
  # A cluster id is 16 random bytes in unpadded base64url, as `kafka-storage.sh random-uuid` prints;
  # like Kafka's generator, skip ids that begin with '-', which would read as a command-line option.
  local cluster_id=-
  while [[ $cluster_id == -* ]]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$DIR/server.properties" \
    >>"$DIR/kafka.log" 2>&1 || die "formatting $DIR/data failed (log: $DIR/kafka.log)"
}

url() { printf '127.0.0.1:%s\n' "$PORT"; }

started() {
  pid_alive "$DIR/kafka.pid" || {
    tail -n 20 "$DIR/kafka.log" >&2
    die "the node exited during start-up (log: $DIR/kafka.log)"
  }
  awk -v from="$LOG_MARK" 'NR >= from && /Kafka Server started/ { up = 1 } END { exit !up }' \
    "$DIR/kafka.log" && port_open "$PORT"
}

start() {
  fetch
  if pid_alive "$DIR/kafka.pid"; then
    url
    return 0
  fi
  refuse_busy_port "$PORT" $((PORT + 1))
  write_config
  java_command
  touch -- "$DIR/kafka.log"
  format_storage
  # The log keeps earlier runs; only lines after this mark count as this run's start-up.
  LOG_MARK=$(($(wc -l <"$DIR/kafka.log") + 1))
  # Run in its own session, like a daemon: the node outlives the shell that started it.
  setsid "${JAVA[@]}" kafka.Kafka "$DIR/server.properties" >>"$DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$DIR/kafka.pid"
  wait_for 120 "kafka on port $PORT" "$DIR/kafka.log" started
  url
}

stop() {
  stop_pidfile "$DIR/kafka.pid" 60
}

dispatch 1 fetch "$@"
